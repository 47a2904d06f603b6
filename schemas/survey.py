"""Perceived safety (trygghet): the question registry, survey waves and pulse answers (topic `surveys.reported`).

A survey wave is one area's aggregated answers to one or more registered questions in one fielding period;
a pulse answer is one partner's one-tap "Hur trygg kändes platsen idag?" for one site and day. Neither
carries anything that identifies a respondent, and neither has a free-text field.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

SURVEY_SCHEMA_VERSION = 1
AREA_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"  # agreement, control area and kommun:<name> ids
WAVE_PATTERN = r"^[A-Za-z0-9_.:-]+$"  # e.g. "2025", "2025-var"


class Direction(str, enum.Enum):
    """How a question's answer codes run: is a higher code safer or less safe?"""

    higher_is_safer = "higher_is_safer"
    higher_is_less_safe = "higher_is_less_safe"


@dataclass(frozen=True)
class Question:
    """A standard question: wording in Swedish and English, its answer codes, and which of them mean "safe".

    `score` orients every question the same way: 1 = least safe, len(answers) = safest, so mean scores of
    questions with either direction compare.
    """

    question_id: str
    text_sv: str
    text_en: str
    answers: dict[int, tuple[str, str]]  # code -> (Swedish, English)
    direction: Direction
    safe_answers: frozenset[int]

    def score(self, answer: int) -> int:
        """The answer on the common scale, 1 (least safe) to the number of options (safest)."""
        codes = sorted(self.answers)
        position = codes.index(answer) + 1
        return position if self.direction is Direction.higher_is_safer else len(codes) + 1 - position


QUESTIONS: dict[str, Question] = {
    q.question_id: q
    for q in (
        Question(
            "unsafe_outdoors_evening",
            "Hur trygg eller otrygg skulle du känna dig om du gick ut ensam sent en kväll i området där du bor?",
            "How safe or unsafe would you feel walking alone late in the evening in the area where you live?",
            {1: ("Mycket trygg", "Very safe"), 2: ("Ganska trygg", "Fairly safe"),
             3: ("Ganska otrygg", "Fairly unsafe"), 4: ("Mycket otrygg", "Very unsafe")},
            Direction.higher_is_less_safe, frozenset({1, 2}),
        ),
        Question(
            "worry_crime",
            "Hur ofta har du under de senaste tolv månaderna känt dig orolig för att utsättas för brott?",
            "How often in the last twelve months have you worried about becoming a victim of crime?",
            {1: ("Aldrig", "Never"), 2: ("Sällan", "Seldom"), 3: ("Ibland", "Sometimes"),
             4: ("Ofta", "Often")},
            Direction.higher_is_less_safe, frozenset({1, 2}),
        ),
        Question(
            "avoided_place",
            "Har du under de senaste tolv månaderna avstått från att gå till en plats i området på grund av otrygghet?",
            "In the last twelve months, have you avoided going somewhere in the area because it felt unsafe?",
            {1: ("Ja", "Yes"), 2: ("Nej", "No")},
            Direction.higher_is_safer, frozenset({2}),
        ),
        Question(
            "site_safe_today",
            "Hur trygg kändes platsen idag?",
            "How safe did the place feel today?",
            {1: ("Mycket otrygg", "Very unsafe"), 2: ("Ganska otrygg", "Fairly unsafe"), 3: ("Varken eller", "Neither"),
             4: ("Ganska trygg", "Fairly safe"), 5: ("Mycket trygg", "Very safe")},
            Direction.higher_is_safer, frozenset({4, 5}),
        ),
    )
}
PRIMARY_QUESTION = "unsafe_outdoors_evening"  # the one the boards' headline shows (the NTU question)
PULSE_QUESTION = "site_safe_today"  # the partner form's one-tap question


class QuestionResult(BaseModel):
    """One question's answers in one wave: respondents and the count per answer code (they add up)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: str = Field(min_length=1, max_length=64)
    respondents: int = Field(ge=1, le=10_000_000)
    counts: dict[int, Annotated[int, Field(ge=0)]]

    @model_validator(mode="after")
    def _consistent(self) -> QuestionResult:
        question = QUESTIONS.get(self.question_id)
        if question is None:
            raise PydanticCustomError("unknown_question", "no registered question {q!r}", {"q": self.question_id})
        unknown = sorted(set(self.counts) - set(question.answers))
        if unknown:
            raise PydanticCustomError(
                "unknown_answer", "answer codes {codes} are not options of {q}", {"codes": unknown, "q": self.question_id}
            )
        if sum(self.counts.values()) != self.respondents:
            raise PydanticCustomError(
                "counts_do_not_add_up", "answer counts add up to {total}, not to respondents {n}",
                {"total": sum(self.counts.values()), "n": self.respondents},
            )
        return self


class _PerceivedSafetyEvent(BaseModel):
    """What every event on `surveys.reported` has: `event_id` is the idempotency key (re-sending changes nothing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    schema_version: Literal[1] = SURVEY_SCHEMA_VERSION


class SurveyWaveEvent(_PerceivedSafetyEvent):
    """One area's results of one survey wave. A later import of the same (area_id, wave) replaces it whole."""

    kind: Literal["survey_wave"] = "survey_wave"
    area_id: str = Field(min_length=1, max_length=128, pattern=AREA_ID_PATTERN)
    wave: str = Field(min_length=1, max_length=64, pattern=WAVE_PATTERN)
    fielded_from: date
    fielded_until: date
    imported_at: AwareDatetime = Field(description="when this version was imported: the newest version wins")
    results: tuple[QuestionResult, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> SurveyWaveEvent:
        if self.fielded_until < self.fielded_from:
            raise PydanticCustomError("period_reversed", "fielded_until is earlier than fielded_from")
        ids = [r.question_id for r in self.results]
        if len(ids) != len(set(ids)):
            raise PydanticCustomError("duplicate_question", "a question appears twice in one wave")
        return self


class PulseAnswerEvent(_PerceivedSafetyEvent):
    """One tap on the partner form's pulse question: a site, a Stockholm day and an answer 1-5, nothing else."""

    kind: Literal["pulse_answer"] = "pulse_answer"
    site_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    day: date
    answer: int = Field(ge=1, le=5)


PerceivedSafetyEvent = Annotated[SurveyWaveEvent | PulseAnswerEvent, Field(discriminator="kind")]
