"""The local demo history: the Umeå sample agreements with a synthetic history from trygg.synthetic.

Agreement areas run 25 % lower in every category from the day they were signed, control areas do not, so
the boards have an effect to show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas import Agreement, Category, IncidentEvent
from trygg.domain.buckets import STOCKHOLM
from trygg.synthetic import SAMPLE_AGREEMENTS, History, generate, load_sample_agreements

__all__ = ["AFTER_SIGNING", "SAMPLE_AGREEMENTS", "demo_events", "load_sample_agreements"]

AFTER_SIGNING = -0.25  # change of every category's rate in agreement areas from signed_at on


def demo_events(agreements: list[Agreement], *, now: datetime, days: int = 540, seed: int = 7) -> list[IncidentEvent]:
    """A plausible history of `days` Stockholm days ending on `now`'s day, sorted by occurred_at.

    Nothing occurs or is reported after `now`, which must be timezone-aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if days < 1:
        raise ValueError("days must be at least 1")
    last_day = now.astimezone(STOCKHOLM).date()
    history = History(first_day=last_day - timedelta(days=days - 1), last_day=last_day, seed=seed,
                      effects={category: AFTER_SIGNING for category in Category})
    return generate(agreements, history, now=now)
