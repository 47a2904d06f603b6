"""Several processor workers (one app id, the 6-partition topic): exact under rebalances, a SIGKILL, a clean stop
and an agreement redraw while two of them write (issue 10, part 2)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_faults import _publish_steadily
from tests.support import (
    AGREEMENT_A, RECTS, Rect, Traffic, WorkerProcess, build_traffic, consumed_everything, ledger_size, stored_counts,
    wait_for, world_agreements,
)
from trygg.adapters.database import connect, upsert_agreements
from trygg.settings import Settings


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
    started = [WorkerProcess(settings, tmp_path / f"worker-{i}.log") for i in range(3)]
    yield started
    for worker in started:
        worker.stop()


def _batches_written(worker: WorkerProcess) -> int:
    return worker.log_path.read_text(errors="replace").count("batch: ") if worker.log_path.exists() else 0


def _wait_for_share(settings: Settings, traffic: Traffic, share: float) -> None:
    wait_for(lambda: ledger_size(settings.database_url) >= share * len(traffic.valid), 180,
             f"{share:.0%} of the events stored", interval=0.05)


def _assert_exact(settings: Settings, traffic: Traffic, rects: tuple[Rect, ...] = RECTS) -> None:
    wait_for(lambda: ledger_size(settings.database_url) == len(traffic.valid), 300, "every event stored")
    wait_for(lambda: consumed_everything(settings), 120, "every partition consumed and committed")
    expected, actual = traffic.truth(rects), stored_counts(settings.database_url)
    assert sum(actual.values()) == sum(expected.values()), "lost or doubled events"
    assert actual == expected


def test_a_third_worker_joins_and_one_is_sigkilled_while_60000_events_flow(settings, workers) -> None:
    first, second, third = workers
    traffic = build_traffic(seed=31, valid=60_000, duplicate_share=0.05, invalid_per_reason=2)
    first.start()
    second.start()
    producer = _publish_steadily(settings, traffic.messages, seconds=40)
    _wait_for_share(settings, traffic, 0.15)
    third.start()  # a rebalance: partitions move to the newcomer while batches are in flight
    _wait_for_share(settings, traffic, 0.45)
    written_before_kill = _batches_written(third)
    first.kill()  # another rebalance, with a batch of the first possibly half-way
    assert ledger_size(settings.database_url) < len(traffic.valid), "the kill must land while events flow"
    producer.join()
    _assert_exact(settings, traffic)
    assert first.orphans == [], "the writer process must die with its worker"
    second.assert_alive()
    third.assert_alive()
    assert _batches_written(second) > 0 and _batches_written(third) > written_before_kill, (
        "both remaining workers took partitions")


def test_a_worker_stopped_cleanly_during_a_rebalance_loses_nothing(settings, workers) -> None:
    first, second, third = workers
    traffic = build_traffic(seed=32, valid=30_000, duplicate_share=0.05, invalid_per_reason=2)
    first.start()
    second.start()
    producer = _publish_steadily(settings, traffic.messages, seconds=25)
    _wait_for_share(settings, traffic, 0.2)
    third.start()
    time.sleep(1.0)  # the group is rebalancing to take the newcomer in
    first.stop()  # SIGTERM: it leaves the group in the middle of that rebalance
    assert ledger_size(settings.database_url) < len(traffic.valid), "the stop must land while events flow"
    assert first.process is not None and first.process.returncode == 0, first.log_tail()
    producer.join()
    _assert_exact(settings, traffic)
    second.assert_alive()
    third.assert_alive()


def test_an_agreement_redrawn_while_two_workers_write_is_exact(settings, workers) -> None:
    first, second, _ = workers
    traffic = build_traffic(seed=33, valid=30_000, duplicate_share=0.05, invalid_per_reason=0)
    first.start()
    second.start()
    producer = _publish_steadily(settings, traffic.messages, seconds=25)
    _wait_for_share(settings, traffic, 0.3)
    widened = Rect(AGREEMENT_A.area_id, AGREEMENT_A.min_lon, AGREEMENT_A.min_lat, 20.3125, 63.8225)
    redrawn = (widened, *RECTS[1:])
    with connect(settings.database_url) as conn:
        # Both workers hold the area_revision share lock batch by batch; the recount waits for them, and their
        # next batches see the new revision and reload the areas.
        assert AGREEMENT_A.area_id in upsert_agreements(conn, world_agreements(redrawn)).recounted_areas
    assert ledger_size(settings.database_url) < len(traffic.valid), "the redraw must land mid-stream"
    producer.join()
    _assert_exact(settings, traffic, redrawn)
    first.assert_alive()
    second.assert_alive()
