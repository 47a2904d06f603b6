"""The schema: versioned migrations for tables and data, repeatable files for functions.

`migrations/NNNN_name.sql` are applied once each, in order, and checksummed (an applied one never changes).
They hold what has history: tables, types, indexes, triggers, roles, data. `migrations/repeatable/NN_name.sql`
hold what has only a current definition: functions (with their grants). After the versioned migrations,
every repeatable file whose text changed since it was last applied (or that never was) is applied again, in
file name order, so each function is read in one file, as it is now, instead of replayed from history.

On both kinds of file a `.timescale.sql` / `.postgres.sql` suffix limits it to one tier (the one the server
offers); a plain `.sql` runs on both.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
REPEATABLE_DIR = MIGRATIONS_DIR / "repeatable"
# From this version on, versioned migrations define no function: those live in REPEATABLE_DIR only.
REPEATABLE_SINCE = 15
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(timescale|postgres))?\.sql$")
_REPEATABLE_NAME = re.compile(r"^(\d{2})_([a-z0-9_]+?)(?:\.(timescale|postgres))?\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Repeatable:
    name: str  # the file name, which is also its key in schema_repeatables
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def detect_tier(conn: psycopg.Connection) -> str:
    """'timescale' when the server offers the TimescaleDB extension, else 'postgres'."""
    row = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
    return "timescale" if row and row[0] else "postgres"


def migrations_for(tier: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The ordered migrations that apply to `tier`."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name not understood: {path.name}")
        version, name, variant = int(match[1]), match[2], match[3]
        if variant not in (None, tier):
            continue
        if version in found:
            raise ValueError(f"two migrations with version {version}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, name, path)
    return [found[v] for v in sorted(found)]


def repeatables_for(tier: str, directory: Path = REPEATABLE_DIR) -> list[Repeatable]:
    """The repeatable files that apply to `tier`, in the order they are applied."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _REPEATABLE_NAME.match(path.name)
        if not match:
            raise ValueError(f"repeatable file name not understood: {path.name}")
        if match[3] in (None, tier):
            found.append(Repeatable(path.name, path))
    return found


def _apply_repeatables(conn: psycopg.Connection, tier: str, directory: Path) -> list[Repeatable]:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_repeatables (
               name text PRIMARY KEY, tier text NOT NULL, checksum text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )
    applied = dict(conn.execute("SELECT name, checksum FROM schema_repeatables").fetchall())
    done = []
    for repeatable in repeatables_for(tier, directory):
        checksum = repeatable.checksum
        if applied.get(repeatable.name) == checksum:
            continue
        with conn.transaction():
            conn.execute(repeatable.path.read_text())  # type: ignore[arg-type]
            conn.execute(
                """INSERT INTO schema_repeatables (name, tier, checksum) VALUES (%s, %s, %s)
                   ON CONFLICT (name) DO UPDATE SET tier = EXCLUDED.tier, checksum = EXCLUDED.checksum,
                       applied_at = now()""",
                (repeatable.name, tier, checksum),
            )
        done.append(repeatable)
    return done


def migrate(
    conn: psycopg.Connection,
    *,
    writer_password: str | None = None,
    reader_password: str | None = None,
    up_to: int | None = None,
    survey_thresholds: tuple[int, int] | None = None,
    repeatable_dir: Path = REPEATABLE_DIR,
) -> list[Migration | Repeatable]:
    """Apply every pending migration, each in its own transaction, then every changed repeatable file; returns
    the ones applied now. With `up_to`, only the migrations up to that version and no repeatable file: the
    schema as it was then (upgrade tests).

    `conn` must be in autocommit mode (see trygg.adapters.database.connect). Afterwards the survey question
    registry is synced from the code, and `survey_thresholds` (min_respondents, suppress_below) are set if given.
    """
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version integer PRIMARY KEY, name text NOT NULL, tier text NOT NULL,
               checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"""
    )
    tier = detect_tier(conn)
    applied = {v: c for v, c in conn.execute("SELECT version, checksum FROM schema_migrations")}
    done: list[Migration | Repeatable] = []
    for migration in migrations_for(tier):
        if up_to is not None and migration.version > up_to:
            break
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise RuntimeError(
                    f"migration {migration.path.name} changed after it was applied; add a new migration instead"
                )
            continue
        with conn.transaction():
            conn.execute(migration.path.read_text())  # type: ignore[arg-type]
            conn.execute(
                "INSERT INTO schema_migrations (version, name, tier, checksum) VALUES (%s, %s, %s, %s)",
                (migration.version, migration.name, tier, migration.checksum),
            )
        done.append(migration)
    if up_to is None:
        done += _apply_repeatables(conn, tier, repeatable_dir)
    if conn.execute("SELECT to_regclass('survey_questions') IS NOT NULL").fetchone()[0]:
        _sync_survey_registry(conn, survey_thresholds)
    for role, password in (("trygg_writer", writer_password), ("trygg_reader", reader_password)):
        if password:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
    return done


def _sync_survey_registry(conn: psycopg.Connection, thresholds: tuple[int, int] | None) -> None:
    """Upsert schemas.survey.QUESTIONS into survey_questions (its one source is the code) and set the thresholds."""
    from schemas.survey import QUESTIONS

    with conn.transaction():
        for position, q in enumerate(QUESTIONS.values(), start=1):
            conn.execute(
                """INSERT INTO survey_questions (question_id, text_sv, text_en, direction, answers, safe_answers, position)
                   VALUES (%s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (question_id) DO UPDATE SET text_sv = EXCLUDED.text_sv, text_en = EXCLUDED.text_en,
                       direction = EXCLUDED.direction, answers = EXCLUDED.answers,
                       safe_answers = EXCLUDED.safe_answers, position = EXCLUDED.position""",
                (q.question_id, q.text_sv, q.text_en, q.direction.value, sorted(q.answers), sorted(q.safe_answers),
                 position),
            )
        if thresholds is not None:
            conn.execute("UPDATE survey_thresholds SET min_respondents = %s, suppress_below = %s", thresholds)
