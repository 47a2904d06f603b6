"""A small Grafana stand-in for tests: the HTTP endpoints `trygg grafana sync`/`invite` call, with the request
and response shapes of Grafana's HTTP API documentation (health, data sources by uid, folders and their
permissions, teams and members, user lookup, admin user creation, dashboards by uid and /api/dashboards/db
with its 412 version-mismatch), bearer-token or basic auth (401 otherwise). No Grafana runs on these machines.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from trygg.localstack.processes import free_port

TOKEN = "glsa_test_token"
ADMIN = ("admin", "admin-password")


@dataclass
class State:
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    permissions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    teams: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> {dashboard, folderUid}
    provisioned: set[str] = field(default_factory=set)  # uids loaded by the file provider: read-only to the API
    writes: int = 0  # POST/PUT requests that changed something
    unhealthy_checks: int = 0  # answer this many health checks with 503 first
    concurrent_edit: str | None = None  # before the next save of this uid, someone else saves it
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def provision_from_files(self, folder_uid: str, title: str, boards: list[dict[str, Any]]) -> None:
        """What Grafana's file provider does at startup with `folder` and `folderUid` set: create the folder
        (with the default permissions) unless it exists, and load the boards into it, marked provisioned."""
        if folder_uid not in self.folders:
            self.folders[folder_uid] = {"id": self.new_id(), "uid": folder_uid, "title": title, "version": 1}
            self.permissions[folder_uid] = _default_permissions()
        for board in boards:
            self.dashboards[board["uid"]] = {"dashboard": {**board, "id": self.new_id(), "version": 1},
                                             "folderUid": folder_uid}
            self.provisioned.add(board["uid"])


def _default_permissions() -> list[dict[str, Any]]:
    # A new folder lets every Viewer view and every Editor edit (Grafana's defaults).
    return [{"role": "Viewer", "permission": 1}, {"role": "Editor", "permission": 2}]


class FakeGrafana:
    def __init__(self) -> None:
        self.state = State()
        self.lock = threading.Lock()
        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGrafana:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                header = self.headers.get("Authorization", "")
                if header == f"Bearer {TOKEN}":
                    return True
                if header.startswith("Basic "):
                    return base64.b64decode(header[6:]).decode() == ":".join(ADMIN)
                return False

            def _handle(self, method: str) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if url.path == "/api/health":
                    with fake.lock:
                        if fake.state.unhealthy_checks > 0:
                            fake.state.unhealthy_checks -= 1
                            return self._send(503, {"database": "failing"})
                    return self._send(200, {"commit": "fake", "database": "ok", "version": "11.6.0"})
                if not self._authorized():
                    return self._send(401, {"message": "Unauthorized"})
                with fake.lock:
                    status, answer = fake.route(method, url.path, query, body)
                self._send(status, answer)

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_PUT(self) -> None:  # noqa: N802
                self._handle("PUT")

        return Handler

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:  # noqa: C901, PLR0911, PLR0912
        s = self.state
        if m := re.fullmatch(r"/api/datasources/uid/([^/]+)", path):
            uid = m.group(1)
            if method == "GET":
                return (200, s.datasources[uid]) if uid in s.datasources else (404, {"message": "Data source not found"})
            stored = {**body, "id": s.datasources[uid]["id"], "readOnly": False}
            stored.pop("secureJsonData", None)
            s.datasources[uid] = stored
            s.writes += 1
            return 200, {"datasource": stored, "id": stored["id"], "message": "Datasource updated", "name": stored["name"]}
        if path == "/api/datasources" and method == "POST":
            if body["uid"] in s.datasources:
                return 409, {"message": "data source with the same uid already exists"}
            stored = {**body, "id": s.new_id(), "readOnly": False}
            stored.pop("secureJsonData", None)
            s.datasources[body["uid"]] = stored
            s.writes += 1
            return 200, {"datasource": stored, "id": stored["id"], "message": "Datasource added", "name": stored["name"]}
        if m := re.fullmatch(r"/api/folders/([^/]+)/permissions", path):
            uid = m.group(1)
            if uid not in s.folders:
                return 404, {"message": "folder not found"}
            if method == "GET":
                return 200, [{"id": i, "uid": uid, "userId": p.get("userId", 0), "teamId": p.get("teamId", 0),
                              "role": p.get("role", ""), "permission": p["permission"]}
                             for i, p in enumerate(s.permissions[uid])]
            s.permissions[uid] = list(body["items"])
            s.writes += 1
            return 200, {"message": "Folder permissions updated"}
        if m := re.fullmatch(r"/api/folders/([^/]+)", path):
            uid = m.group(1)
            if uid not in s.folders:
                return 404, {"message": "folder not found"}
            if method == "PUT":
                folder = s.folders[uid]
                if not body.get("overwrite") and body.get("version") != folder["version"]:
                    return 412, {"message": "the folder has been changed by someone else", "status": "version-mismatch"}
                folder.update(title=body["title"], version=folder["version"] + 1)
                s.writes += 1
            return 200, s.folders[uid]
        if path == "/api/folders" and method == "POST":
            uid = body["uid"]
            if uid in s.folders:
                return 409, {"message": "a folder with the same uid already exists"}
            s.folders[uid] = {"id": s.new_id(), "uid": uid, "title": body["title"], "version": 1}
            s.permissions[uid] = _default_permissions()
            s.writes += 1
            return 200, s.folders[uid]
        if path == "/api/teams/search":
            name = query.get("query") or query.get("name") or ""
            teams = [t for t in s.teams.values() if name.lower() in t["name"].lower()]
            return 200, {"totalCount": len(teams), "teams": teams, "page": 1, "perPage": 1000}
        if path == "/api/teams" and method == "POST":
            if any(t["name"] == body["name"] for t in s.teams.values()):
                return 409, {"message": "Team name taken"}
            team_id = s.new_id()
            s.teams[team_id] = {"id": team_id, "orgId": 1, "name": body["name"], "email": body.get("email", ""),
                                "memberCount": 0}
            s.members[team_id] = set()
            s.writes += 1
            return 200, {"message": "Team created", "teamId": team_id}
        if m := re.fullmatch(r"/api/teams/(\d+)/members", path):
            team_id = int(m.group(1))
            if team_id not in s.teams:
                return 404, {"message": "Team not found"}
            if method == "GET":
                return 200, [{"orgId": 1, "teamId": team_id, "userId": u, "email": s.users[u]["email"],
                              "login": s.users[u]["login"]} for u in sorted(s.members[team_id])]
            if body["userId"] in s.members[team_id]:
                return 400, {"message": "User is already added to this team"}
            s.members[team_id].add(body["userId"])
            s.teams[team_id]["memberCount"] = len(s.members[team_id])
            s.writes += 1
            return 200, {"message": "Member added to Team"}
        if path == "/api/users/lookup":
            wanted = query.get("loginOrEmail")
            user = next((u for u in s.users.values() if wanted in (u["login"], u["email"])), None)
            return (200, user) if user else (404, {"message": "user not found"})
        if path == "/api/admin/users" and method == "POST":
            if any(u["login"] == body["login"] for u in s.users.values()):
                return 412, {"message": "user already exists"}
            user_id = s.new_id()
            s.users[user_id] = {"id": user_id, "email": body["email"], "login": body["login"], "name": body["name"]}
            s.writes += 1
            return 200, {"id": user_id, "message": "User created"}
        if m := re.fullmatch(r"/api/dashboards/uid/([^/]+)", path):
            stored = s.dashboards.get(m.group(1))
            if stored is None:
                return 404, {"message": "Dashboard not found"}
            return 200, {"dashboard": stored["dashboard"], "meta": {
                "folderUid": stored["folderUid"], "version": stored["dashboard"]["version"],
                "provisioned": m.group(1) in s.provisioned,
                "slug": stored["dashboard"]["uid"]}}
        if path == "/api/dashboards/db" and method == "POST":
            return self._save_dashboard(body)
        return 404, {"message": "Not found"}

    def _save_dashboard(self, body: dict[str, Any]) -> tuple[int, Any]:
        s = self.state
        board = dict(body["dashboard"])
        uid = board["uid"]
        if s.concurrent_edit == uid and uid in s.dashboards:
            s.concurrent_edit = None
            s.dashboards[uid]["dashboard"]["version"] += 1  # someone saved it from the UI meanwhile
        if uid in s.provisioned:
            return 400, {"message": "Cannot save provisioned dashboard", "status": "provisioned-dashboard"}
        current = s.dashboards.get(uid)
        if current and not body.get("overwrite") and board.get("version") != current["dashboard"]["version"]:
            return 412, {"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}
        if body.get("folderUid") and body["folderUid"] not in s.folders:
            return 400, {"message": "folder not found"}
        board["id"] = current["dashboard"]["id"] if current else s.new_id()
        board["version"] = current["dashboard"]["version"] + 1 if current else 1
        s.dashboards[uid] = {"dashboard": board, "folderUid": body.get("folderUid", "")}
        s.writes += 1
        return 200, {"id": board["id"], "uid": uid, "url": f"/d/{uid}/x", "status": "success",
                     "version": board["version"], "slug": uid}
