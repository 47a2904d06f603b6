"""Provisioning a running Grafana over its HTTP API (grafana-client): data source, boards, and per agreement a
folder, a team that may only view that folder, and that agreement's board with the agreement fixed.

Every step reads before it writes, so running it again changes nothing. Checked against a local server that
implements Grafana's documented endpoints (tests/fake_grafana.py), not against a live Grafana.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from trygg.adapters.retrying import GrafanaNotReady, grafana_starting, outage
from trygg.boards.build import rendered
from trygg.settings import Settings
from trygg.texts import BOARD, say, text

DATASOURCE_FILE = Path(__file__).resolve().parents[2] / "deploy/grafana/provisioning/datasources/trygg.yaml"
# (uid, title): the folder the file provider of deploy/grafana/provisioning/dashboards loads the boards into, so
# that sync restricts the very folder they are in (tests/unit/test_compose.py checks the two agree).
INTERNAL_FOLDER = ("trygg-intern", "Trygg (intern)")
VIEW = 1  # Grafana's folder permission level for viewing
MAX_SAVE_ATTEMPTS = 3


@dataclass
class SyncReport:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (say("grafana_synced", changed=len(self.changed), unchanged=len(self.unchanged))
                + "".join(f"\n  {say('grafana_changed')}: {what}" for what in self.changed))


def grafana_api(settings: Settings) -> GrafanaApi:
    credential: str | tuple[str, str] | None = settings.grafana_token or (
        (settings.grafana_user, settings.grafana_password) if settings.grafana_password else None
    )
    if credential is None:
        raise SystemExit(say("grafana_credentials"))
    return GrafanaApi.from_url(settings.grafana_url, credential=credential, timeout=10)


def _status(error: GrafanaException) -> int | None:
    return getattr(error, "status_code", None)


def _get_or_none(call: Any, *args: Any) -> Any:
    """The call's answer, or None when Grafana answers 404."""
    try:
        return call(*args)
    except GrafanaClientError as error:
        if _status(error) == 404:
            return None
        raise


def wait_healthy(api: GrafanaApi, timeout_s: float) -> None:
    """Wait until Grafana answers /api/health with its database ok; gives up with the last error after
    `timeout_s`. A 4xx (e.g. 401) is raised at once: waiting will not help."""
    def check() -> None:
        if api.client.GET("/health").get("database") != "ok":  # GET /api/health, no auth needed
            raise GrafanaNotReady(say("grafana_not_ready"))

    outage(grafana_starting, "Grafana", first_wait=1, max_wait=1, give_up_after=timeout_s)(check)


def desired_datasource(reader_password: str | None) -> dict[str, Any]:
    """The data source of the file provisioning, with the reader's password from the settings."""
    source = copy.deepcopy(yaml.safe_load(DATASOURCE_FILE.read_text(encoding="utf-8"))["datasources"][0])
    source["secureJsonData"] = {"password": reader_password or ""}
    source.pop("editable", None)
    return source


def _upsert_datasource(api: GrafanaApi, wanted: dict[str, Any], report: SyncReport) -> None:
    current = _get_or_none(api.datasource.get_datasource_by_uid, wanted["uid"])
    name = f"{say('grafana_datasource')} {wanted['uid']}"
    if current is None:
        api.datasource.create_datasource(wanted)
        report.changed.append(name)
    elif current.get("readOnly"):  # provisioned from file: Grafana refuses API edits, and it is already right
        report.unchanged.append(name)
    elif all(current.get(k) == v for k, v in wanted.items() if k != "secureJsonData"):
        report.unchanged.append(name)
    else:
        api.datasource.update_datasource_by_uid(wanted["uid"], wanted)
        report.changed.append(name)


def _upsert_folder(api: GrafanaApi, uid: str, title: str, report: SyncReport) -> None:
    current = _get_or_none(api.folder.get_folder, uid)
    name = f"{say('grafana_folder')} {uid}"
    if current is None:
        api.folder.create_folder(title, uid=uid)
        report.changed.append(name)
    elif current.get("title") != title:
        api.folder.update_folder(uid, title=title, version=current.get("version"), overwrite=True)
        report.changed.append(name)
    else:
        report.unchanged.append(name)


def _set_permissions(api: GrafanaApi, uid: str, items: list[dict[str, Any]], report: SyncReport) -> None:
    """Exactly these permissions on the folder (Grafana's POST replaces all, including the defaults that
    let every Viewer and Editor see a new folder)."""
    keys = ("teamId", "role", "userId", "permission")
    have = sorted(json.dumps({k: p.get(k) for k in keys if p.get(k)}, sort_keys=True)
                  for p in api.folder.get_folder_permissions(uid) if not p.get("inherited"))
    want = sorted(json.dumps(item, sort_keys=True) for item in items)
    name = f"{say('grafana_permissions')} {uid}"
    if have == want:
        report.unchanged.append(name)
        return
    api.folder.update_folder_permissions(uid, {"items": items})
    report.changed.append(name)


def team_name(agreement_id: str) -> str:
    return text(BOARD, "team", agreement=agreement_id)


def _team_id(api: GrafanaApi, name: str) -> int | None:
    found = api.teams.search_teams(query=name)
    return next((team["id"] for team in found if team["name"] == name), None)


def _ensure_team(api: GrafanaApi, name: str, report: SyncReport) -> int:
    team_id = _team_id(api, name)
    said = f"{say('grafana_team')} {name}"
    if team_id is not None:
        report.unchanged.append(said)
        return team_id
    report.changed.append(said)
    return api.teams.add_team({"name": name})["teamId"]


def save_dashboard(api: GrafanaApi, board: dict[str, Any], folder_uid: str, report: SyncReport) -> None:
    """Create or update a board unless it is unchanged or provisioned from file.

    Saves against the version just read, without overwrite: when someone saves in between, Grafana
    answers 412 and the board is read and saved again, so nobody's edit is silently lost in a race."""
    uid = board["uid"]

    def kept_changing(state: RetryCallState) -> None:
        raise RuntimeError(f"{say('board_kept_changing', attempts=MAX_SAVE_ATTEMPTS)}: {uid}")

    Retrying(retry=retry_if_exception(lambda e: _status(e) == 412), stop=stop_after_attempt(MAX_SAVE_ATTEMPTS),
             retry_error_callback=kept_changing)(_save_once, api, board, uid, folder_uid, report)


def _save_once(api: GrafanaApi, board: dict[str, Any], uid: str, folder_uid: str, report: SyncReport) -> None:
    """One read-compare-save; a GrafanaClientError with status 412 when someone saved in between."""
    current = _get_or_none(api.dashboard.get_dashboard, uid)
    meta = current["meta"] if current else {}
    name = f"{say('grafana_board')} {uid}"
    if meta.get("provisioned"):
        report.unchanged.append(f"{name} ({say('grafana_from_file')})")
        return
    if current and meta.get("folderUid") == folder_uid and all(
            current["dashboard"].get(k) == v for k, v in board.items()):
        report.unchanged.append(name)
        return
    body = {**board, "id": current["dashboard"].get("id") if current else None,
            "version": current["dashboard"].get("version") if current else None}
    api.dashboard.update_dashboard({"dashboard": body, "folderUid": folder_uid, "overwrite": False,
                                    "message": "trygg grafana sync"})
    report.changed.append(name)


def folder_uid(agreement_id: str) -> str:
    """The Grafana uid of an agreement's folder and board: different for every agreement id.

    Grafana uids are at most 40 characters of letters, digits, '-' and '_'. An id that fits as it is keeps
    the readable "avtal-<id>"; any other gets "avtal_", a readable part and 16 hex digits of its sha256. The
    prefixes differ, so no id of one form can take another's uid ("umea.alidhem" is not "umea-alidhem").
    """
    if re.fullmatch(r"[A-Za-z0-9-]{1,34}", agreement_id):
        return "avtal-" + agreement_id
    readable = re.sub(r"[^A-Za-z0-9-]", "-", agreement_id)[:17]
    return f"avtal_{readable}_{hashlib.sha256(agreement_id.encode()).hexdigest()[:16]}"


def agreement_copy(agreement_id: str, name: str) -> dict[str, Any]:
    """The agreement board for one agreement: $agreement a hidden constant, so the board shows only it."""
    board = json.loads(rendered()["agreement.json"])
    board["uid"], board["title"] = folder_uid(agreement_id), text(BOARD, "agreement_copy", name=name)
    fixed = {"type": "constant", "name": "agreement", "query": agreement_id, "hide": 2, "skipUrlSync": True,
             "current": {"text": agreement_id, "value": agreement_id}}
    board["templating"]["list"] = [fixed if v["name"] == "agreement" else v for v in board["templating"]["list"]]
    return board


def sync(api: GrafanaApi, agreements: list[tuple[str, str]], reader_password: str | None = None,
         timeout_s: float = 60) -> SyncReport:
    """Data source, the shared boards in an internal folder, and per agreement (id, name) its folder, team,
    view permission and board."""
    wait_healthy(api, timeout_s)
    report = SyncReport()
    _upsert_datasource(api, desired_datasource(reader_password), report)
    internal_uid, internal_title = INTERNAL_FOLDER
    _upsert_folder(api, internal_uid, internal_title, report)
    # Partners are Viewers: only Editors (municipality staff, analysts) see the boards across agreements.
    _set_permissions(api, internal_uid, [{"role": "Editor", "permission": VIEW}], report)
    for text in rendered().values():
        save_dashboard(api, json.loads(text), internal_uid, report)
    for agreement_id, name in agreements:
        uid = folder_uid(agreement_id)
        _upsert_folder(api, uid, name, report)
        team_id = _ensure_team(api, team_name(agreement_id), report)
        _set_permissions(api, uid, [{"teamId": team_id, "permission": VIEW}], report)
        save_dashboard(api, agreement_copy(agreement_id, name), uid, report)
    return report


def invite(api: GrafanaApi, agreement_id: str, email: str) -> str:
    """Add the user with this e-mail (created when missing) to the agreement's team."""
    team_id = _team_id(api, team_name(agreement_id))
    if team_id is None:
        raise SystemExit(say("no_team", agreement=agreement_id))
    user = _get_or_none(lambda: api.client.GET("/users/lookup", params={"loginOrEmail": email}))
    created = ""
    if user is None:
        password = secrets.token_urlsafe(12)
        user_id = api.admin.create_user({"name": email, "email": email, "login": email, "password": password})["id"]
        created = f" ({say('invite_new_user')}: {password})"
    else:
        user_id = user["id"]
    if any(member["userId"] == user_id for member in api.teams.get_team_members(team_id)):
        return f"{say('invite_member', email=email)}: {team_name(agreement_id)}"
    api.teams.add_team_member(team_id, user_id)
    return f"{say('invite_added', email=email)}: {team_name(agreement_id)}{created}"

