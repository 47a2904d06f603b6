"""Seeded synthetic perceived safety with a known truth: survey waves and pulse answers for the demo, for
`trygg generate --survey-change` and for the estimator's coverage test.

Pure: the same areas and plan always give the same events. The model, per area and survey wave:

* each of `respondents` respondents feels safe with probability
  `base_share` + area offset (fixed per area, uniform in +-`area_spread`) + `change` when the area is an
  agreement area and the wave was fielded on or after its signing date (control areas never change);
* a respondent who feels safe picks one of the question's "safe" answers, else one of the others, uniformly;
* one wave a year, fielded 2-29 March (label = the year), for every survey question of the registry.

Pulse answers: per registered site and Stockholm day, Poisson(`pulse_daily_rate`) taps; a tap is 4 or 5
("trygg") with probability `pulse_base_share`, plus `change` from the agreement's signing on, else 1-3.
Each area and site draws from its own stream (seed + id).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from schemas import Agreement
from trygg.synthetic import poisson
from schemas.survey import PULSE_QUESTION, QUESTIONS, PulseAnswerEvent, QuestionResult, SurveyWaveEvent

SURVEY_QUESTIONS = tuple(q for q in QUESTIONS if q != PULSE_QUESTION)
FIELDING = ((3, 2), (3, 29))  # (month, day) the yearly wave is fielded from and until


@dataclass(frozen=True)
class SurveyArea:
    area_id: str
    signed_at: date | None  # an agreement area's signing date; None for control areas


@dataclass(frozen=True)
class SurveyPlan:
    """What to generate (see the module doc)."""

    first_year: int
    last_year: int
    seed: int = 7
    change: float = 0.08  # true change in the share feeling safe in agreement areas from signing (+0.08 = +8 pp)
    respondents: int = 300
    base_share: float = 0.55
    area_spread: float = 0.05
    pulse_daily_rate: float = 0.4
    pulse_base_share: float = 0.5

    def __post_init__(self) -> None:
        if self.last_year < self.first_year:
            raise ValueError("last_year must not be before first_year")
        highest = self.base_share + self.area_spread + max(self.change, 0)
        lowest = self.base_share - self.area_spread + min(self.change, 0)
        if not (0 <= lowest and highest <= 1):
            raise ValueError("base_share, area_spread and change must keep every share between 0 and 1")


def survey_areas(agreements: Sequence[Agreement]) -> list[SurveyArea]:
    """Every agreement area (with its signing date) and control area of `agreements`, each once (a control
    shared by agreements is surveyed once; one that is an agreement's own area changes with that agreement)."""
    areas = {a.agreement_id: SurveyArea(a.agreement_id, a.signed_at) for a in agreements}
    for agreement in agreements:
        for control in agreement.control_areas:
            areas.setdefault(control.area_id, SurveyArea(control.area_id, None))
    return list(areas.values())


def _stream(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}:{name}")


def true_share(area: SurveyArea, plan: SurveyPlan, fielded_from: date) -> float:
    """The probability that a respondent of this area and wave feels safe."""
    offset = _stream(plan.seed, area.area_id + ":offset").uniform(-plan.area_spread, plan.area_spread)
    after = area.signed_at is not None and fielded_from >= area.signed_at
    return plan.base_share + offset + (plan.change if after else 0.0)


def survey_waves(areas: Sequence[SurveyArea], plan: SurveyPlan, *, imported_at: datetime,
                 until: date | None = None) -> list[SurveyWaveEvent]:
    """One wave per area and year (fielded in March; none that is not over by `until`)."""
    waves = []
    for area in areas:
        rng = _stream(plan.seed, area.area_id)
        for year in range(plan.first_year, plan.last_year + 1):
            start, end = (date(year, m, d) for m, d in FIELDING)
            if until is not None and end >= until:
                continue
            p = true_share(area, plan, start)
            results = []
            for question_id in SURVEY_QUESTIONS:
                question = QUESTIONS[question_id]
                safe, unsafe = sorted(question.safe_answers), sorted(set(question.answers) - question.safe_answers)
                counts = Counter(rng.choice(safe if rng.random() < p else unsafe) for _ in range(plan.respondents))
                results.append(QuestionResult(question_id=question_id, respondents=plan.respondents,
                                              counts={a: counts.get(a, 0) for a in sorted(question.answers)}))
            waves.append(SurveyWaveEvent(event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                                         area_id=area.area_id, wave=str(year), fielded_from=start,
                                         fielded_until=end, imported_at=imported_at, results=tuple(results)))
    return waves


def pulse_answers(agreements: Sequence[Agreement], plan: SurveyPlan, first_day: date,
                  last_day: date) -> list[PulseAnswerEvent]:
    """Taps on the pulse question at every registered site, day by day from first_day to last_day."""
    events = []
    for agreement in agreements:
        for site in agreement.sites:
            rng = _stream(plan.seed, "pulse:" + site.site_id)
            day = first_day
            while day <= last_day:
                p = plan.pulse_base_share + (plan.change if day >= agreement.signed_at else 0.0)
                for _ in range(poisson(rng, plan.pulse_daily_rate)):
                    answer = rng.choice((4, 5)) if rng.random() < p else rng.choice((1, 2, 3))
                    events.append(PulseAnswerEvent(event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                                                   site_id=site.site_id, day=day, answer=answer))
                day += timedelta(days=1)
    return events


def survey_truth(agreements: Sequence[Agreement], plan: SurveyPlan) -> dict[str, Any]:
    """The plan and, per agreement, the true change in the share feeling safe (area, and against control)."""
    return {
        "plan": asdict(plan),
        "questions": list(SURVEY_QUESTIONS),
        "agreements": {a.agreement_id: {"share_change": plan.change, "relative_share_change": plan.change,
                                        "pulse_share_change": plan.change}
                       for a in agreements},
    }


def perceived_safety_history(agreements: Sequence[Agreement], plan: SurveyPlan, first_day: date, last_day: date, *,
                             imported_at: datetime) -> list[SurveyWaveEvent | PulseAnswerEvent]:
    """Survey waves fielded and over within [first_day, last_day] and pulse answers on those days: what
    `trygg generate --survey-change` writes and the `trygg up` demo publishes."""
    waves = [w for w in survey_waves(survey_areas(agreements), plan, imported_at=imported_at,
                                     until=last_day + timedelta(days=1)) if w.fielded_from >= first_day]
    return [*waves, *pulse_answers(agreements, plan, first_day, last_day)]
