"""Micro-batch aggregation: accepted events -> count increments per (area, category, source, hour)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schemas import IncidentEvent
from trygg.domain.buckets import hour_bucket
from trygg.domain.placement import Placement


@dataclass(frozen=True)
class CountKey:
    area_id: str
    category: str
    source: str
    hour: datetime


def count_increments(placed: Iterable[tuple[IncidentEvent, Placement]]) -> Counter[CountKey]:
    """How much each hourly count grows when these (new, deduplicated) events are added."""
    increments: Counter[CountKey] = Counter()
    for event, placement in placed:
        hour = hour_bucket(event.occurred_at)
        for area_id in placement.area_ids:
            increments[CountKey(area_id, event.category.value, event.source.value, hour)] += 1
    return increments


def first_of_each(events: Iterable[IncidentEvent]) -> list[IncidentEvent]:
    """Drop repeats of an event_id within one batch, keeping the first (the ledger handles repeats across batches)."""
    seen: set = set()
    unique = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            unique.append(event)
    return unique
