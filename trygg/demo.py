"""The local demo history: the Umeå sample agreements with a synthetic history from trygg.synthetic.

Agreement areas run 25 % lower in every category from the day they were signed, control areas do not, so
the boards have an effect to show; and the share feeling safe rises by 8 percentage points there (survey waves
each March, pulse answers at every registered site), so they show the Ålidhem story on both outcomes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas import Agreement, Category, IncidentEvent
from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.domain.buckets import STOCKHOLM
from trygg.synthetic import SAMPLE_AGREEMENTS, History, generate, load_sample_agreements
from trygg.synthetic_surveys import SurveyPlan, perceived_safety_history

__all__ = ["AFTER_SIGNING", "SAFETY_AFTER_SIGNING", "SAMPLE_AGREEMENTS", "demo_events", "demo_perceived_safety",
           "load_sample_agreements"]

AFTER_SIGNING = -0.25  # change of every category's rate in agreement areas from signed_at on
SAFETY_AFTER_SIGNING = 0.08  # change of the share feeling safe in agreement areas from signed_at on


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


def demo_perceived_safety(agreements: list[Agreement], *, now: datetime, days: int = 540,
                          seed: int = 7) -> list[SurveyWaveEvent | PulseAnswerEvent]:
    """Survey waves and pulse answers of the same `days` as demo_events (waves that are over by `now`)."""
    last_day = now.astimezone(STOCKHOLM).date()
    first_day = last_day - timedelta(days=days - 1)
    plan = SurveyPlan(first_year=first_day.year, last_year=last_day.year, seed=seed, change=SAFETY_AFTER_SIGNING)
    return perceived_safety_history(agreements, plan, first_day, last_day, imported_at=now)
