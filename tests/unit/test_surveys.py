"""Perceived safety in the domain: the question registry's scale, shares into counts, survey rows into waves,
and one example per rejection reason of `surveys.reported`."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from schemas import Rejection, RejectionReason
from schemas.survey import QUESTIONS, Direction, PulseAnswerEvent, SurveyWaveEvent
from trygg.domain.surveys import counts_from_shares, parse_survey_rows, validate_perceived_safety

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
AREAS = {"umea-alidhem", "umea-tomtebo"}
SITES = {"ica-alidhem"}
COLUMNS = ["area_id", "wave", "fielded_from", "fielded_until", "question_id", "answer"]


def test_scores_run_from_least_safe_to_safest_whatever_the_direction() -> None:
    for question in QUESTIONS.values():
        scores = {question.score(a) for a in question.answers}
        assert scores == set(range(1, len(question.answers) + 1))
        safest = max(question.answers, key=question.score)
        assert safest in question.safe_answers
        assert (question.direction is Direction.higher_is_safer) == (safest == max(question.answers))


@pytest.mark.parametrize("seed", range(20))
def test_shares_become_counts_that_add_up(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randrange(1, 2000)
    true = Counter(rng.choice([1, 2, 3, 4]) for _ in range(n))
    shares = {a: round(c / n, 2) for a, c in true.items()}  # rounded percentages, as reports print them
    counts = counts_from_shares(shares, n)
    assert sum(counts.values()) == n
    assert all(abs(counts[a] - true[a]) <= 0.005 * n + 1 for a in true)


def test_microdata_counted_exactly_and_one_wave_per_area() -> None:
    rng = random.Random(3)
    rows = [dict(zip(COLUMNS, (rng.choice(sorted(AREAS)), "2025", "2025-03-01", "2025-03-20",
                               "unsafe_outdoors_evening", str(rng.randrange(1, 5))))) for _ in range(999)]
    parsed = parse_survey_rows(rows, COLUMNS, known_areas=AREAS, imported_at=NOW)
    assert parsed.form == "microdata" and not parsed.errors
    truth = Counter((r["area_id"], int(r["answer"])) for r in rows)
    got = Counter({(w.area_id, a): n for w in parsed.waves for r in w.results for a, n in r.counts.items()})
    assert +got == truth and len(parsed.waves) == 2
    assert all(w.imported_at == NOW and w.fielded_from == date(2025, 3, 1) for w in parsed.waves)


def _wave(**overrides: object) -> bytes:
    wave = SurveyWaveEvent(event_id=uuid.uuid4(), area_id="umea-alidhem", wave="2025", fielded_from="2025-03-01",
                           fielded_until="2025-03-20", imported_at=NOW,
                           results=[{"question_id": "avoided_place", "respondents": 3, "counts": {1: 1, 2: 2}}])
    return json.dumps({**json.loads(wave.model_dump_json()), **overrides}).encode()


def _pulse(**overrides: object) -> bytes:
    pulse = PulseAnswerEvent(event_id=uuid.uuid4(), site_id="ica-alidhem", day="2026-02-28", answer=5)
    return json.dumps({**json.loads(pulse.model_dump_json()), **overrides}).encode()


SURVEY_CASES = [
    (RejectionReason.unknown_event_kind, _wave(kind="opinion"), "kind"),
    (RejectionReason.unknown_area, _wave(area_id="umea-nowhere"), "area_id"),
    (RejectionReason.unknown_question, _wave(results=[{"question_id": "x", "respondents": 1, "counts": {"1": 1}}]),
     "results.0"),
    (RejectionReason.unknown_answer,
     _wave(results=[{"question_id": "avoided_place", "respondents": 1, "counts": {"3": 1}}]), "results.0"),
    (RejectionReason.counts_do_not_add_up,
     _wave(results=[{"question_id": "avoided_place", "respondents": 2, "counts": {"1": 1}}]), "results.0"),
    (RejectionReason.period_reversed, _wave(fielded_until="2025-02-01"), ""),
    (RejectionReason.duplicate_question,
     _wave(results=[{"question_id": "avoided_place", "respondents": 1, "counts": {"1": 1}}] * 2), ""),
    (RejectionReason.unknown_site, _pulse(site_id="nowhere"), "site_id"),
    (RejectionReason.occurred_in_future, _pulse(day="2026-03-05"), "day"),
    (RejectionReason.unknown_field, _pulse(note="fritext"), "note"),
    (RejectionReason.invalid_value, _pulse(answer=0), "answer"),
    (RejectionReason.missing_field, json.dumps({k: v for k, v in json.loads(_pulse()).items() if k != "day"}).encode(),
     "day"),
    (RejectionReason.invalid_json, b"{", ""),
]


@pytest.mark.parametrize(("reason", "raw", "field"), SURVEY_CASES, ids=[c[0].value for c in SURVEY_CASES])
def test_each_rejection_names_its_reason_and_field(reason: RejectionReason, raw: bytes, field: str) -> None:
    outcome = validate_perceived_safety(raw, now=NOW, known_areas=AREAS, known_sites=SITES)
    assert isinstance(outcome, Rejection), outcome
    assert (outcome.reason, outcome.errors[0].field) == (reason, field)
    assert outcome.payload == raw.decode()


def test_good_events_pass() -> None:
    for raw in (_wave(), _pulse()):
        assert not isinstance(validate_perceived_safety(raw, now=NOW, known_areas=AREAS, known_sites=SITES), Rejection)
