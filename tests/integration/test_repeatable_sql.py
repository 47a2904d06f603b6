"""Functions live in repeatable files (migrations/repeatable/), one current definition each, re-applied when
they change; tables keep their versioned migrations. Upgrading a database of the schema before the move (every
versioned migration up to 0014, functions as the migrations left them) applies every repeatable file once and
gives the same functions, grants, triggers and views as a fresh database, on plain PostgreSQL and on
TimescaleDB (PGlite). (That the move itself changed no definition was checked at 0014, before 0015 changed
three functions on purpose.)"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import fresh_database
from trygg.adapters.database import connect
from trygg.adapters.migrations import REPEATABLE_DIR, REPEATABLE_SINCE, Repeatable, detect_tier, migrate
from trygg.localstack.pglite import PGlite
from trygg.localstack.processes import Postgres

TODAY = REPEATABLE_SINCE - 1  # the last versioned migration before functions moved to repeatable files


def _schema(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    """Every function (definition, owner, grants), trigger and view of the public schema, extensions' left out."""
    functions = {
        signature: f"{definition}\nowner {owner}\ngrants {grants}"
        for signature, definition, owner, grants in conn.execute(
            """SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), p.proowner::regrole::text,
                      coalesce(p.proacl::text, '')
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public' AND p.prokind = 'f'
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"""
        )
    }
    triggers = dict(conn.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgname NOT LIKE 'ts_%'"
    ).fetchall())
    views = dict(conn.execute("SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'").fetchall())
    return {"functions": functions, "triggers": triggers, "views": views}


def _defined_in_repeatables(tier: str) -> dict[str, list[str]]:
    """Function name -> the repeatable files (for `tier`) that define it."""
    found: dict[str, list[str]] = {}
    for path in sorted(REPEATABLE_DIR.glob("*.sql")):
        if path.name.endswith(f".{'postgres' if tier == 'timescale' else 'timescale'}.sql"):
            continue
        for name in set(re.findall(r"CREATE OR REPLACE FUNCTION (\w+)\(", path.read_text())):
            found.setdefault(name, []).append(path.name)
    return found


def _upgrade_keeps_every_definition(today: psycopg.Connection, fresh: psycopg.Connection) -> None:
    migrate(today, up_to=TODAY)
    applied = migrate(today)
    tier = detect_tier(today)
    repeatables = [m.path.name for m in applied if isinstance(m, Repeatable)]
    assert repeatables == [p.name for p in sorted(REPEATABLE_DIR.glob("*.sql"))
                           if not p.name.endswith(f".{'postgres' if tier == 'timescale' else 'timescale'}.sql")]
    before = _schema(today)
    assert migrate(today) == [], "unchanged repeatable files are not applied again"
    migrate(fresh)
    assert _schema(fresh) == before, "a fresh database differs from an upgraded one"
    # One current definition each: every function of the schema is in exactly one repeatable file.
    defined = _defined_in_repeatables(tier)
    names = {signature.split("(")[0] for signature in before["functions"]}
    assert {name: defined.get(name, []) for name in names if len(defined.get(name, [])) != 1} == {}
    assert set(defined) == names


def test_upgrade_from_todays_schema_on_postgres(postgres: Postgres) -> None:
    with connect(fresh_database(postgres, up_to=0)) as today, connect(fresh_database(postgres, up_to=0)) as fresh:
        _upgrade_keeps_every_definition(today, fresh)


@pytest.mark.timescale
def test_upgrade_from_todays_schema_on_timescale(tmp_path: Path) -> None:
    servers = [PGlite(None, log_path=tmp_path / f"pglite-{n}.log").start() for n in ("today", "fresh")]
    try:
        with connect(servers[0].url()) as today, connect(servers[1].url()) as fresh:
            _upgrade_keeps_every_definition(today, fresh)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def migrated(postgres: Postgres) -> Iterator[psycopg.Connection]:
    with connect(fresh_database(postgres)) as conn:
        yield conn


def test_a_changed_repeatable_file_is_applied_again_and_only_it(migrated: psycopg.Connection, tmp_path: Path) -> None:
    directory = shutil.copytree(REPEATABLE_DIR, tmp_path / "repeatable")
    changed = directory / "20_effect_windows.sql"
    changed.write_text(changed.read_text().replace("SELECT bs, greatest", "SELECT /* redefined */ bs, greatest"))
    applied = migrate(migrated, repeatable_dir=directory)
    assert [m.path.name for m in applied] == ["20_effect_windows.sql"]
    definition = migrated.execute("SELECT pg_get_functiondef('effect_windows'::regproc)").fetchone()[0]
    assert "/* redefined */" in definition
    assert migrate(migrated, repeatable_dir=directory) == []
    # Its grant came with it: the reader may still call it.
    assert migrated.execute("SELECT has_function_privilege('trygg_reader', 'effect_windows(text, int, int, int, date)',"
                            " 'EXECUTE')").fetchone()[0]
