"""Versioned SQL migrations from `migrations/`, applied once each, on TimescaleDB or plain PostgreSQL.

File names: `NNNN_name.sql` runs on both tiers; `NNNN_name.timescale.sql` / `NNNN_name.postgres.sql` are
the two variants of one version, of which exactly the one for the server's tier runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(timescale|postgres))?\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
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


def migrate(
    conn: psycopg.Connection,
    *,
    writer_password: str | None = None,
    reader_password: str | None = None,
    up_to: int | None = None,
    survey_thresholds: tuple[int, int] | None = None,
) -> list[Migration]:
    """Apply every pending migration (up to version `up_to`, if given), each in its own transaction; returns the
    ones applied now.

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
    done: list[Migration] = []
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
