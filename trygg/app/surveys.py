"""Perceived safety use cases: import a survey file into the outbox (`trygg surveys import`), queue generated
waves and pulse answers (the `trygg up` demo)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.adapters.database import connect
from trygg.adapters.outbox import enqueue_perceived_safety
from trygg.adapters.surveys import known_areas_and_sites
from trygg.domain.surveys import ParsedFile, RowError, parse_survey_rows
from trygg.settings import Settings


@dataclass(frozen=True)
class SurveyImport:
    parsed: ParsedFile
    queued: int  # wave events stored in the outbox for the relay

    @property
    def ok(self) -> bool:
        return not self.parsed.errors


def read_survey_file(path: Path, file_format: str | None = None) -> tuple[list[dict], list[str]] | RowError:
    """Rows and columns of a CSV (header line) or JSON (array of objects) survey file; a RowError when unreadable."""
    file_format = file_format or ("json" if path.suffix.lower() == ".json" else "csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return RowError(0, "", "unreadable_file", f"cannot read {path} as UTF-8 text: {exc}")
    if file_format == "csv":
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        if any(None in row for row in rows):
            line = next(i for i, row in enumerate(rows, start=1) if None in row)
            return RowError(line, "", "too_many_cells", f"row {line} has more cells than the header")
        return rows, [c.strip() for c in reader.fieldnames or []]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return RowError(0, "", "invalid_json", f"not JSON: {exc}")
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        return RowError(0, "", "not_an_array", "a JSON survey file is an array of objects, one per row")
    columns = list(dict.fromkeys(key for row in document for key in row))
    return document, columns


def import_survey_file(conn: psycopg.Connection, path: Path, file_format: str | None = None,
                       now: datetime | None = None) -> SurveyImport:
    """Check every row of a survey file and, only if all are good, queue one wave event per (area, wave).

    All or nothing, in one transaction: a file with any bad row queues nothing. Importing the same waves
    again replaces them (the newer import wins), so re-running an import is safe.
    """
    read = read_survey_file(path, file_format)
    if isinstance(read, RowError):
        return SurveyImport(ParsedFile([], [read], "", 0), 0)
    rows, columns = read
    areas, _ = known_areas_and_sites(conn)
    parsed = parse_survey_rows(rows, columns, known_areas=areas, imported_at=now or datetime.now(UTC))
    if parsed.errors:
        return SurveyImport(parsed, 0)
    with conn.transaction():
        queued = enqueue_perceived_safety(conn, parsed.waves)
    return SurveyImport(parsed, queued)


def queue_perceived_safety(settings: Settings, events: Sequence[SurveyWaveEvent | PulseAnswerEvent]) -> int:
    """Queue already valid survey waves and pulse answers for the relay in one transaction; how many were new."""
    with connect(settings.database_url) as conn, conn.transaction():
        return enqueue_perceived_safety(conn, events)
