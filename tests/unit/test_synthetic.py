"""The synthetic history generator (trygg.synthetic): seeded, seasonal, effect only where and when it should be."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from schemas import Agreement, Category, IncidentEvent, Rejection, SourceKind
from schemas.survey import PulseAnswerEvent, SurveyWaveEvent
from trygg.cli import main
from trygg.domain.buckets import STOCKHOLM
from trygg.domain.placement import AreaIndex
from trygg.domain.surveys import validate_perceived_safety
from trygg.synthetic import History, generate, load_sample_agreements, true_effects
from trygg.synthetic_surveys import survey_areas
from trygg.texts import say

FIRST, LAST = date(2023, 1, 1), date(2025, 12, 31)


@pytest.fixture(scope="module")
def agreements() -> list[Agreement]:
    return load_sample_agreements()[:1]  # Ålidhem, signed 2025-09-01, with two control areas


def _by_area(agreements: list[Agreement], events: list[IncidentEvent]) -> dict[str, list[IncidentEvent]]:
    index = AreaIndex.from_agreements(agreements)
    areas: dict[str, list[IncidentEvent]] = {}
    for event, placement in zip(events, index.place_all(events), strict=True):
        for area_id in placement.area_ids:
            areas.setdefault(area_id, []).append(event)
    return areas


def test_same_seed_same_history_other_seed_other_history(agreements: list[Agreement]) -> None:
    history = History(first_day=date(2025, 1, 1), last_day=date(2025, 3, 31), seed=3)
    first = generate(agreements, history)
    assert [e.model_dump() for e in generate(agreements, history)] == [e.model_dump() for e in first]
    other = generate(agreements, History(first_day=date(2025, 1, 1), last_day=date(2025, 3, 31), seed=4))
    assert {e.event_id for e in other}.isdisjoint(e.event_id for e in first)


def test_effect_only_after_signing_and_only_in_the_agreement_area(agreements: list[Agreement]) -> None:
    agreement = agreements[0]
    last = date(2027, 8, 31)  # two years after signing
    plain = History(first_day=FIRST, last_day=last)
    effect = History(first_day=FIRST, last_day=last, effects={Category.shoplifting: -0.5})
    without = _by_area(agreements, generate(agreements, plain))
    with_effect = _by_area(agreements, generate(agreements, effect))
    # Each area has its own random stream: control areas and the agreement area before signing are untouched.
    for control in agreement.control_areas:
        assert [e.event_id for e in with_effect[control.area_id]] == [e.event_id for e in without[control.area_id]]

    def split(events: list[IncidentEvent]) -> tuple[list[IncidentEvent], list[IncidentEvent]]:
        day = [e.occurred_at.astimezone(STOCKHOLM).date() for e in events]
        return ([e for e, d in zip(events, day, strict=True) if d < agreement.signed_at],
                [e for e, d in zip(events, day, strict=True) if d >= agreement.signed_at])

    before_plain, after_plain = split(without[agreement.agreement_id])
    before_effect, after_effect = split(with_effect[agreement.agreement_id])
    assert [e.event_id for e in before_effect] == [e.event_id for e in before_plain]
    shoplifting = [sum(e.category is Category.shoplifting for e in events) for events in (after_plain, after_effect)]
    assert 0.35 < shoplifting[1] / shoplifting[0] < 0.65
    others = [sum(e.category is not Category.shoplifting for e in events) for events in (after_plain, after_effect)]
    assert 0.85 < others[1] / others[0] < 1.15


def test_seasons_weekdays_and_opening_hours(agreements: list[Agreement]) -> None:
    events = generate(agreements, History(first_day=FIRST, last_day=LAST, seed=5))
    local = [e.occurred_at.astimezone(STOCKHOLM) for e in events]
    months = Counter(t.month for t in local)
    assert months[7] > 1.3 * months[1]  # summer peak, winter low (amplitude 0.2: 1.2 / 0.8)
    weekdays = Counter(t.weekday() for t in local)
    assert weekdays[5] > 1.25 * weekdays[6]  # Saturday busier than Sunday
    open_hours = sum(10 <= t.hour < 22 for t in local)
    assert open_hours > 0.7 * len(events)


def test_overdispersed_weekly_counts(agreements: list[Agreement]) -> None:
    events = generate(agreements, History(first_day=FIRST, last_day=LAST, seed=6, seasonal_amplitude=0.0,
                                          shared_shock_shape=5, area_shock_shape=5))
    area = _by_area(agreements, events)[agreements[0].agreement_id]
    weeks = Counter((e.occurred_at.astimezone(STOCKHOLM).date() - FIRST).days // 7 for e in area
                    if e.occurred_at.astimezone(STOCKHOLM).date() < agreements[0].signed_at)
    counts = [weeks[w] for w in range(max(weeks))]
    mean = sum(counts) / len(counts)
    variance = sum((c - mean) ** 2 for c in counts) / (len(counts) - 1)
    assert variance > 1.5 * mean


def test_reporting_rise_raises_partner_reports_not_police(agreements: list[Agreement]) -> None:
    history = History(first_day=FIRST, last_day=LAST, reporting_rise=0.5, seasonal_amplitude=0.0)
    truth = true_effects(agreements, history)[agreements[0].agreement_id]
    assert truth["all"]["rate_ratio"] == 1.0
    assert truth["all"]["police_rate_ratio"] == 1.0
    assert 1.3 < truth["all"]["observed_rate_ratio"] < 1.5
    events = _by_area(agreements, generate(agreements, history))[agreements[0].agreement_id]
    signed = agreements[0].signed_at
    days_before, days_after = (signed - FIRST).days, (LAST - signed).days + 1
    for police, low, high in ((True, 0.8, 1.25), (False, 1.2, 1.9)):
        chosen = [e for e in events if (e.source is SourceKind.police) == police]
        before = sum(e.occurred_at.astimezone(STOCKHOLM).date() < signed for e in chosen) / days_before
        after = (len(chosen) - before * days_before) / days_after
        assert low < after / before < high, police


def test_generate_command_writes_events_and_truth(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "history.ndjson"
    assert main(["generate", "--out", str(out), "--years", "1", "--seed", "2", "--effect", "all=-0.3",
                 "--effect", "shoplifting=-0.5", "--reporting-rise", "0.2"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    events = [IncidentEvent.model_validate_json(line) for line in lines]
    assert len(events) > 1000 and len({e.event_id for e in events}) == len(events)
    truth = json.loads((tmp_path / "history.truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 2 and truth["parameters"]["reporting_rise"] == 0.2
    alidhem = truth["agreements"]["umea-alidhem"]
    assert alidhem["categories"]["shoplifting"]["rate_ratio"] == 0.5
    assert alidhem["categories"]["theft"]["rate_ratio"] == pytest.approx(0.7)
    assert capsys.readouterr().out == (
        f"{say('wrote_history', events=len(events))}: {out}, {tmp_path / 'history.truth.json'}\n")
    assert main(["generate", "--out", str(out), "--effect", "nonsense=-0.3"]) == 2


def test_generate_command_writes_survey_waves_and_pulse_answers_with_their_truth(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "history.ndjson"
    assert main(["generate", "--out", str(out), "--years", "3", "--seed", "3", "--survey-change", "0.08"]) == 0
    agreements = load_sample_agreements()
    areas = {a.agreement_id for a in agreements} | {c.area_id for a in agreements for c in a.control_areas}
    sites = {s.site_id for a in agreements for s in a.sites}
    now = datetime.now(UTC)
    parsed = [validate_perceived_safety(line.encode(), now=now, known_areas=areas, known_sites=sites)
              for line in (tmp_path / "history.surveys.ndjson").read_text(encoding="utf-8").splitlines()]
    assert not [p for p in parsed if isinstance(p, Rejection)]
    today = now.astimezone(STOCKHOLM).date()
    first = today - timedelta(days=365 * 3 - 1)
    marches = [y for y in range(first.year, today.year + 1) if date(y, 3, 2) >= first and date(y, 3, 29) < today]
    waves = [p for p in parsed if isinstance(p, SurveyWaveEvent)]
    assert sorted((w.area_id, w.wave) for w in waves) == sorted((a, str(y)) for a in areas for y in marches)
    pulses = [p for p in parsed if isinstance(p, PulseAnswerEvent)]
    assert len(pulses) > 1000 and all(first <= p.day <= today for p in pulses)
    assert {p.site_id for p in pulses} == sites
    truth = json.loads((tmp_path / "history.truth.json").read_text(encoding="utf-8"))
    assert truth["perceived_safety"]["agreements"]["umea-alidhem"]["share_change"] == 0.08
    printed = capsys.readouterr().out
    assert f"{say('wrote_surveys', events=len(parsed))}: {tmp_path / 'history.surveys.ndjson'}\n" in printed


def test_a_shared_control_area_is_generated_once() -> None:
    alidhem, teg, _ = load_sample_agreements()
    shared = teg.model_copy(update={"control_areas": alidhem.control_areas})
    history = History(first_day=FIRST, last_day=LAST, seed=5)
    control = alidhem.control_areas[0].area_id

    def in_control(agreements: list[Agreement]) -> list[IncidentEvent]:
        index = AreaIndex.from_agreements(agreements)
        return [e for e in generate(agreements, history) if control in index.place(e).area_ids]

    assert in_control([alidhem, shared]) == in_control([alidhem])
    assert [a.area_id for a in survey_areas([alidhem, shared])] == [
        alidhem.agreement_id, teg.agreement_id, *(c.area_id for c in alidhem.control_areas)]
