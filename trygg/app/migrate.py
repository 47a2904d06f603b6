"""Use case: bring the database schema up to date (`trygg migrate`, and `trygg up` before anything starts)."""

from __future__ import annotations

from trygg.adapters.database import connect
from trygg.adapters.migrations import Migration, Repeatable, detect_tier, migrate
from trygg.settings import Settings


def migrate_database(settings: Settings) -> tuple[str, list[Migration | Repeatable]]:
    """Apply pending migrations and changed repeatable files, set the service roles' passwords; (tier, files
    applied now)."""
    with connect(settings.database_url) as conn:
        applied = migrate(conn, writer_password=settings.database_writer_password,
                          reader_password=settings.database_reader_password,
                          survey_thresholds=(settings.survey_min_respondents, settings.survey_suppress_below))
        return detect_tier(conn), applied
