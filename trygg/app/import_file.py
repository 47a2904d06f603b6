"""Use case: import a file (`trygg import`), a historical backfill from CSV, NDJSON or police NDJSON, streamed and resumable.

Each batch of lines is one transaction: its accepted events are published to Kafka (and registered in the
outbox as sent, which makes later repeats duplicates and lets the relay send them again if the processor has
not counted them in time), its rejected lines go to import_rejections, and the file's progress moves on.
Publishing directly spares a million-line backfill the relay's first round trip through the outbox.
Killed at any moment, a rerun continues after the last committed batch; a batch published but not committed
is published again, and the processor's ledger drops the repeats (same event_id). While the broker is away
the import waits and retries the batch.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from kafka import KafkaProducer
from tqdm import tqdm

from trygg.adapters.agencies import (
    ImportState,
    agency_by_id,
    commit_import_batch,
    finish_import,
    import_rejections,
    start_import,
)
from trygg.adapters.database import connect, load_index
from trygg.adapters.kafka import FAIL_FAST, deliver, producer
from trygg.adapters.outbox import Publish
from trygg.adapters.retrying import broker_away, outage
from trygg.domain.police_intake import (
    CSV_COLUMNS,
    Agency,
    bad_json,
    csv_row_item,
    csv_rows,
    evaluate,
    police_item,
)
from trygg.settings import Settings
from trygg.texts import say


def scan(path: Path) -> tuple[str, int]:
    """sha256 and line count of the file, read in chunks (constant memory)."""
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def guess_format(path: Path) -> str:
    return "csv" if path.suffix.lower() == ".csv" else "ndjson"


def _items(path: Path, fmt: str, skip: int, reporter: str) -> Iterator[tuple[int, object]]:
    """(line number, item) for every non-empty line after the first `skip` lines (the CSV header is re-read)."""
    with path.open("rb") as f:
        header: list[str] | None = None
        if fmt == "csv":
            header = next(csv_rows([f.readline().decode("utf-8-sig")]), [])
            unknown = [c for c in header if c not in CSV_COLUMNS]
            if unknown:
                raise ValueError(f"{say('csv_columns_unknown')}: {unknown}; {say('csv_columns')}: "
                                 f"{', '.join(CSV_COLUMNS)}")
        number = 1 if header is not None else 0
        for line in f:
            number += 1
            if number <= skip or not line.strip():
                continue
            if fmt == "ndjson":
                yield number, line.strip()
            elif fmt == "police":
                yield number, police_item(line, reporter)
            else:
                try:
                    row = next(csv_rows([line.decode("utf-8")]), [])
                except UnicodeDecodeError as exc:
                    yield number, bad_json(f"line is not UTF-8 text (byte {exc.start})")
                    continue
                yield number, csv_row_item(header, row)  # type: ignore[arg-type]


def summary(state: ImportState, path: Path, fmt: str, lines: int, rejections: list) -> dict:
    return {
        "file": str(path), "format": fmt, "sha256": state.fingerprint, "lines": lines,
        "accepted": state.accepted, "duplicates": state.duplicates, "rejected": state.rejected,
        "rejected_lines": [{"line": line, **error.model_dump(mode="json")} for line, error in rejections],
    }


class _Publisher:
    """The import's producer, replaced after a failure; says so while the broker is away (Ctrl-C is safe)."""

    def __init__(self, settings: Settings, state: ImportState, bar: tqdm) -> None:
        self.settings, self.state, self.bar = settings, state, bar
        self._producer: KafkaProducer | None = None

    def publish(self, messages: list[tuple[str, bytes]]) -> object:
        self._producer = self._producer or producer(self.settings, **FAIL_FAST)
        return deliver(self._producer, self.settings.topic_incidents_reported, messages)

    def broker_away(self, error: BaseException, wait: float) -> None:
        self.bar.write(f"{say('broker_away')}: {self.settings.kafka_bootstrap_servers} ({type(error).__name__}); "
                       f"{say('retrying', wait=wait)}; {say('saved_up_to', line=self.state.lines_done)}")
        self.close(timeout_s=1)

    def close(self, timeout_s: float = 5) -> None:
        if self._producer is not None:
            self._producer.close(timeout=timeout_s)
        self._producer = None


def run_import(
    settings: Settings, path: Path, fmt: str | None = None, agency_id: str | None = None,
    report: Path | None = None, progress: bool = True,
) -> dict:
    """Import `path` (resuming where an earlier run stopped) and write the summary; returns it."""
    fmt = fmt or guess_format(path)
    fingerprint, lines = scan(path)
    skew = timedelta(seconds=settings.max_clock_skew_seconds)
    with connect(settings.database_url) as conn:
        agency: Agency | None = None
        if agency_id is not None:
            agency = agency_by_id(conn, agency_id)
            if agency is None:
                raise ValueError(say("agency_inactive", agency=agency_id))
        index = load_index(conn)
        state = start_import(conn, fingerprint, str(path), fmt)
        bar = tqdm(total=lines, initial=state.lines_done, unit=" rader", unit_scale=True, file=sys.stderr,
                   disable=not progress or state.finished, desc="import")
        items = _items(path, fmt, state.lines_done, agency_id or "polisen")
        publisher = _Publisher(settings, state, bar)
        publish = Publish(publisher.publish, timedelta(seconds=settings.relay_resend_after_seconds))
        # A batch is committed only together with its publication: while the broker is away it waits and is
        # committed again, as a whole (a failed publish rolls the batch's transaction back).
        retry = outage(broker_away, "Kafka (import)", first_wait=1, max_wait=30, on_retry=publisher.broker_away)
        try:
            while not state.finished:
                batch = list(islice(items, settings.import_batch_size))
                if not batch:
                    finish_import(conn, state)
                    break
                numbers = [n for n, _ in batch]
                outcomes = evaluate([item for _, item in batch], agency=agency, index=index, now=datetime.now(UTC),
                                    max_clock_skew=skew, known_sites=index.sites)
                retry(commit_import_batch, conn, state, numbers, outcomes, numbers[-1], publish, agency=agency)
                bar.update(min(numbers[-1], lines) - bar.n)
        finally:
            publisher.close()
        bar.close()
        result = summary(state, path, fmt, lines, import_rejections(conn, fingerprint))
    target = report or path.with_name(path.name + ".summary.json")
    target.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result
