"""`trygg grafana sync` and `invite` against tests/fake_grafana.py (Grafana's documented endpoints; no live
Grafana here): the end state per agreement, idempotency, a 412 version conflict, waiting, and 401."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from grafana_client.client import GrafanaUnauthorizedError

from tests.fake_grafana import ADMIN, TOKEN, FakeGrafana
from trygg.adapters.grafana import INTERNAL_FOLDER, grafana_api, invite, sync, team_name
from trygg.boards.build import rendered
from trygg.settings import load_settings
from trygg.texts import say

AGREEMENTS = [("umea-alidhem", "Ålidhem centrum"), ("umea-teg", "Teg centrum")]


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    fake = FakeGrafana().start()
    yield fake
    fake.stop()


def api_for(fake: FakeGrafana, **credentials: str):  # type: ignore[no-untyped-def]
    return grafana_api(load_settings(grafana_url=fake.url, **(credentials or {"grafana_token": TOKEN})))


def test_sync_builds_one_folder_team_and_board_per_agreement_and_is_idempotent(grafana: FakeGrafana) -> None:
    grafana.state.unhealthy_checks = 2  # Grafana still starting: sync waits
    api = api_for(grafana)
    first = sync(api, AGREEMENTS, reader_password="secret", timeout_s=20)
    s = grafana.state
    assert s.datasources["trygg-timescaledb"]["user"] == "trygg_reader"
    assert s.datasources["trygg-timescaledb"]["type"] == "grafana-postgresql-datasource"
    teams = {t["name"]: t["id"] for t in s.teams.values()}
    for agreement_id, name in AGREEMENTS:
        uid = f"avtal-{agreement_id}"
        assert s.folders[uid]["title"] == name
        # Only the agreement's team may view its folder: the default Viewer/Editor rights are gone.
        assert s.permissions[uid] == [{"teamId": teams[team_name(agreement_id)], "permission": 1}]
        board = s.dashboards[uid]
        assert board["folderUid"] == uid
        fixed = next(v for v in board["dashboard"]["templating"]["list"] if v["name"] == "agreement")
        assert fixed["type"] == "constant" and fixed["query"] == agreement_id and fixed["hide"] == 2
    internal_uid, _ = INTERNAL_FOLDER
    assert s.permissions[internal_uid] == [{"role": "Editor", "permission": 1}]
    assert {u for u, b in s.dashboards.items() if b["folderUid"] == internal_uid} == {
        "trygg-agreement", "trygg-municipality", "trygg-pipeline-health"}
    assert first.changed

    writes, versions = s.writes, {u: b["dashboard"]["version"] for u, b in s.dashboards.items()}
    again = sync(api, AGREEMENTS, reader_password="secret", timeout_s=5)
    assert again.changed == [] and s.writes == writes
    assert {u: b["dashboard"]["version"] for u, b in s.dashboards.items()} == versions


def test_sync_restricts_the_folder_the_file_provider_loaded_the_boards_into(grafana: FakeGrafana) -> None:
    """The compose stack: Grafana's file provider has created the internal folder, open to every Viewer by
    default, with the boards of dashboards/intern in it. Sync takes the Viewers' right away and leaves the
    provisioned boards as they are."""
    uid, title = INTERNAL_FOLDER
    s = grafana.state
    s.provision_from_files(uid, title, [json.loads(text) for text in rendered().values()])
    assert {"role": "Viewer", "permission": 1} in s.permissions[uid]
    boards = {u: b["dashboard"]["version"] for u, b in s.dashboards.items()}
    report = sync(api_for(grafana), AGREEMENTS, timeout_s=5)
    assert s.permissions[uid] == [{"role": "Editor", "permission": 1}]
    assert f"{say('grafana_folder')} {uid}" in report.unchanged
    assert f"{say('grafana_permissions')} {uid}" in report.changed
    assert {u: b["dashboard"]["version"] for u, b in s.dashboards.items() if u in boards} == boards
    assert all(s.dashboards[u]["folderUid"] == uid for u in boards)
    assert {f"{say('grafana_board')} {u} ({say('grafana_from_file')})" for u in boards} <= set(report.unchanged)


def test_a_412_version_conflict_is_read_again_and_saved(grafana: FakeGrafana) -> None:
    api = api_for(grafana)
    sync(api, AGREEMENTS[:1], timeout_s=5)
    board = grafana.state.dashboards["avtal-umea-alidhem"]
    board["dashboard"]["title"] = "ändrad i webbläsaren"  # drifted: sync must restore it
    grafana.state.concurrent_edit = "avtal-umea-alidhem"  # and someone saves again during the sync
    report = sync(api, AGREEMENTS[:1], timeout_s=5)
    assert f"{say('grafana_board')} avtal-umea-alidhem" in report.changed
    assert grafana.state.dashboards["avtal-umea-alidhem"]["dashboard"]["title"] == "Ålidhem centrum: före och efter"


def test_invite_adds_a_new_or_existing_user_to_the_team_once(grafana: FakeGrafana) -> None:
    api = api_for(grafana, grafana_user=ADMIN[0], grafana_password=ADMIN[1])
    sync(api, AGREEMENTS, timeout_s=5)
    added, member = say("invite_added", email="butik@example.se"), say("invite_member", email="butik@example.se")
    assert invite(api, "umea-alidhem", "butik@example.se").startswith(
        f"{added}: {team_name('umea-alidhem')} ({say('invite_new_user')}: ")
    assert invite(api, "umea-alidhem", "butik@example.se") == f"{member}: {team_name('umea-alidhem')}"
    # The same user, a second agreement.
    assert invite(api, "umea-teg", "butik@example.se") == f"{added}: {team_name('umea-teg')}"
    s = grafana.state
    assert len(s.users) == 1
    user_id = next(iter(s.users))
    teams = {t["name"]: t["id"] for t in s.teams.values()}
    assert s.members[teams[team_name("umea-alidhem")]] == {user_id}
    assert s.members[teams[team_name("umea-teg")]] == {user_id}
    with pytest.raises(SystemExit) as refused:
        invite(api, "no-such-agreement", "x@example.se")
    assert refused.value.code == say("no_team", agreement="no-such-agreement")


def test_a_wrong_token_is_refused_with_401(grafana: FakeGrafana) -> None:
    with pytest.raises(GrafanaUnauthorizedError):
        sync(api_for(grafana, grafana_token="wrong"), AGREEMENTS, timeout_s=5)
    assert grafana.state.writes == 0
