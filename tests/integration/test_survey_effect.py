"""The perceived-safety estimator (`survey_estimates`, migrations/0013_perceived_safety.sql) on real PostgreSQL and
TimescaleDB (PGlite): changes and 95 % intervals equal statsmodels (OLS with HC0 errors on the respondents'
answers, and the Wald interval of two proportions), too_few and suppression follow the thresholds, and over
400 seeds of generated waves with a true +8 percentage points at 300 respondents a wave the intervals cover
the truth 93-97 % of the time (power measured and compared with the normal approximation)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg
import pytest
import statsmodels.api as sm
from scipy.stats import norm
from statsmodels.stats.proportion import confint_proportions_2indep

from schemas import agreements_from_geojson
from schemas.survey import QUESTIONS
from tests.conftest import both_tiers, fresh_database
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.migrations import migrate
from trygg.adapters.surveys import store_perceived_safety
from trygg.cli import main
from trygg.demo import SAMPLE_AGREEMENTS
from trygg.synthetic_surveys import SURVEY_QUESTIONS, SurveyArea, SurveyPlan, survey_areas, survey_waves, true_share

pytestmark = pytest.mark.timescale

UNTIL = date(2026, 12, 1)
IMPORTED = datetime(2026, 11, 1, tzinfo=UTC)
PLAN = SurveyPlan(first_year=2023, last_year=2026, seed=5, respondents=240)
AGREEMENTS = agreements_from_geojson(json.loads(SAMPLE_AGREEMENTS.read_text(encoding="utf-8")))
WAVES = survey_waves(survey_areas(AGREEMENTS), PLAN, imported_at=IMPORTED)
COLUMNS = ("agreement_id", "question_id", "area_scope", "before_start", "before_end", "after_start", "after_end",
           "before_respondents", "after_respondents", "before_share", "after_share", "share_change", "share_ci_low",
           "share_ci_high", "before_mean", "after_mean", "mean_change", "mean_ci_low", "mean_ci_high", "verdict")


@pytest.fixture(scope="module")
def conns(postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, psycopg.Connection]]:  # type: ignore[no-untyped-def]
    def load(conn: psycopg.Connection) -> None:
        migrate(conn)
        upsert_agreements(conn, AGREEMENTS)
        store_perceived_safety(conn, WAVES, [])

    with both_tiers(postgres, tmp_path_factory, load) as opened:
        yield opened


def estimates(conn: psycopg.Connection, agreement: str, **params: object) -> list[dict]:
    names = ", ".join(f"{k} => %({k})s" for k in params)
    sql = f"SELECT * FROM survey_estimates(%(a)s, p_until => %(u)s{', ' + names if names else ''})"
    return [dict(zip(COLUMNS, r, strict=True)) for r in conn.execute(sql, {"a": agreement, "u": UNTIL, **params})]


def _respondents(area_ids: set[str], question_id: str, window: tuple[date, date]) -> tuple[np.ndarray, np.ndarray]:
    """(feels safe 0/1, score) of every respondent of the areas' waves fielded inside the window."""
    question = QUESTIONS[question_id]
    safe, score = [], []
    for wave in WAVES:
        if wave.area_id in area_ids and wave.fielded_from >= window[0] and wave.fielded_until < window[1]:
            for result in wave.results:
                if result.question_id == question_id:
                    for answer, n in result.counts.items():
                        safe += [float(answer in question.safe_answers)] * n
                        score += [float(question.score(answer))] * n
    return np.array(safe), np.array(score)


def _ols(y: np.ndarray, design: np.ndarray, column: int) -> tuple[float, float, float]:
    fit = sm.OLS(y, design).fit(cov_type="HC0", use_t=False)
    low, high = fit.conf_int(alpha=0.05)[column]
    return fit.params[column], low, high


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_estimates_equal_statsmodels(conns, tier):
    checked = 0
    for agreement in AGREEMENTS:
        signed = agreement.signed_at
        before, after = (signed - timedelta(days=365), signed), (signed, min(signed + timedelta(days=365), UNTIL))
        controls = {c.area_id for c in agreement.control_areas}
        rows = estimates(conns[tier], agreement.agreement_id)
        assert [(r["question_id"], r["area_scope"]) for r in rows] == [
            (q, s) for q in SURVEY_QUESTIONS for s in ("agreement", "control", "relative")]
        cells = {}
        for row in rows:
            if row["area_scope"] == "relative":
                continue
            areas = {agreement.agreement_id} if row["area_scope"] == "agreement" else controls
            b, a = _respondents(areas, row["question_id"], before), _respondents(areas, row["question_id"], after)
            cells[(row["question_id"], row["area_scope"])] = (b, a)
            assert (row["before_respondents"], row["after_respondents"]) == (len(b[0]), len(a[0])) != (0, 0)
            assert row["before_share"] == pytest.approx(b[0].mean(), abs=1e-12)
            assert row["after_mean"] == pytest.approx(a[1].mean(), abs=1e-12)
            wald = confint_proportions_2indep(a[0].sum(), len(a[0]), b[0].sum(), len(b[0]), method="wald",
                                              compare="diff")
            assert (row["share_ci_low"], row["share_ci_high"]) == pytest.approx(wald, abs=1e-9)
            after_dummy = np.r_[np.zeros(len(b[0])), np.ones(len(a[0]))]
            design = sm.add_constant(after_dummy)
            for measure, index in (("share", 0), ("mean", 1)):
                change, low, high = _ols(np.r_[b[index], a[index]], design, 1)
                assert (row[f"{measure}_change"], row[f"{measure}_ci_low"], row[f"{measure}_ci_high"]) == \
                    pytest.approx((change, low, high), abs=1e-9)
            checked += 1
        for row in rows:
            if row["area_scope"] != "relative":
                continue
            groups = [(cells[(row["question_id"], s)][k], s == "agreement", k == 1)
                      for s in ("agreement", "control") for k in (0, 1)]
            for measure, index in (("share", 0), ("mean", 1)):
                y = np.concatenate([g[0][index] for g in groups])
                area = np.concatenate([np.full(len(g[0][index]), float(g[1])) for g in groups])
                later = np.concatenate([np.full(len(g[0][index]), float(g[2])) for g in groups])
                design = np.column_stack([np.ones_like(y), area, later, area * later])
                change, low, high = _ols(y, design, 3)
                assert (row[f"{measure}_change"], row[f"{measure}_ci_low"], row[f"{measure}_ci_high"]) == \
                    pytest.approx((change, low, high), abs=1e-9)
            checked += 1
    assert checked == len(AGREEMENTS) * len(SURVEY_QUESTIONS) * 3


@pytest.mark.parametrize("tier", ["postgres", "timescale"])
def test_too_few_and_suppression_follow_the_thresholds(conns, tier):
    conn = conns[tier]
    pooled = 2 * PLAN.respondents  # Ålidhem has two control areas
    rows = estimates(conn, "umea-alidhem", p_min_respondents=pooled + 1)
    assert {r["verdict"] for r in rows} == {"too_few"}
    assert all(r["share_change"] is None and r["mean_ci_low"] is None for r in rows)
    assert all(r["before_share"] is not None for r in rows if r["area_scope"] == "agreement")  # shown, not estimated
    assert {r["verdict"] for r in estimates(conn, "umea-alidhem", p_min_respondents=PLAN.respondents)} != {"too_few"}
    with conn.transaction():
        conn.execute("UPDATE survey_thresholds SET suppress_below = %s", (pooled + 1,))
        rows = estimates(conn, "umea-alidhem")
        assert {r["verdict"] for r in rows} == {"too_few"}  # never an estimate from shares that are not shown
        assert all(r["before_share"] is None and r["after_mean"] is None for r in rows)
        shares = conn.execute("SELECT respondents, share, ci_low FROM survey_wave_shares('umea-alidhem', %s)",
                              (SURVEY_QUESTIONS[0],)).fetchall()
        assert shares and all(n in (PLAN.respondents, pooled) and share is None and low is None for n, share, low in shares)
        conn.execute("ROLLBACK")  # leave the thresholds as they were for the other tests
    assert conn.execute("SELECT suppress_below FROM survey_thresholds").fetchone()[0] == 30


COVERAGE_SEEDS = 400
TRUE_CHANGE = 0.08


def test_coverage_and_power_over_400_seeds(postgres, capsys):  # type: ignore[no-untyped-def]
    """Each seed is its own agreement (signed 2025-09-01) with one control area, a wave a year of 300
    respondents; the truth is +8 pp in the area and against control."""
    signed = date(2025, 9, 1)
    plan_of = {seed: SurveyPlan(first_year=2025, last_year=2026, seed=seed, change=TRUE_CHANGE) for seed in
               range(COVERAGE_SEEDS)}
    with connect(fresh_database(postgres)) as conn:
        with conn.transaction():
            for seed, plan in plan_of.items():
                conn.execute("INSERT INTO agreements VALUES (%s, %s, 'Umeå', %s)", (f"cov-{seed}", f"cov {seed}", signed))
                conn.execute("""INSERT INTO areas (area_id, kind, agreement_id, name, municipality)
                                VALUES (%s, 'agreement', %s, 'a', 'Umeå'), (%s, 'control', NULL, 'c', 'Umeå')""",
                             (f"cov-{seed}", f"cov-{seed}", f"cov-{seed}-c"))
                conn.execute("INSERT INTO agreement_control_areas VALUES (%s, %s)", (f"cov-{seed}", f"cov-{seed}-c"))
                areas = [SurveyArea(f"cov-{seed}", signed), SurveyArea(f"cov-{seed}-c", None)]
                store_perceived_safety(conn, survey_waves(areas, plan, imported_at=IMPORTED), [])
        covered = {"agreement": 0, "relative": 0}
        clear = {"agreement": 0, "relative": 0}
        expected_power = {"agreement": 0.0, "relative": 0.0}
        for seed, plan in plan_of.items():
            rows = {r["area_scope"]: r for r in estimates(conn, f"cov-{seed}", p_question_id=SURVEY_QUESTIONS[0])}
            shares = {name: true_share(SurveyArea(name, signed if name == f"cov-{seed}" else None), plan, d)
                      for name in (f"cov-{seed}", f"cov-{seed}-c") for d in (date(2025, 3, 2),)}
            for scope in covered:
                row = rows[scope]
                covered[scope] += row["share_ci_low"] <= TRUE_CHANGE <= row["share_ci_high"]
                clear[scope] += row["verdict"] == "clear_increase"
            # The normal approximation's power for this seed's true shares.
            p_a, p_c = shares[f"cov-{seed}"], shares[f"cov-{seed}-c"]
            var = {"agreement": (p_a * (1 - p_a) + (p_a + TRUE_CHANGE) * (1 - p_a - TRUE_CHANGE)) / plan.respondents}
            var["relative"] = var["agreement"] + 2 * p_c * (1 - p_c) / plan.respondents
            for scope, v in var.items():
                expected_power[scope] += norm.sf(1.959964 - TRUE_CHANGE / math.sqrt(v)) / COVERAGE_SEEDS
    coverage = {scope: n / COVERAGE_SEEDS for scope, n in covered.items()}
    power = {scope: n / COVERAGE_SEEDS for scope, n in clear.items()}
    with capsys.disabled():
        print(f"\nperceived safety, {COVERAGE_SEEDS} seeds, +8 pp at 300 respondents a wave: coverage {coverage}, "
              f"power {power} (normal approximation {expected_power})")
    for scope in covered:
        assert 0.93 <= coverage[scope] <= 0.97, (scope, coverage)
        assert abs(power[scope] - expected_power[scope]) < 0.08, (scope, power, expected_power)


def test_effect_command_shows_perceived_safety_from_the_same_function(conns, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    conn = conns["postgres"]
    monkeypatch.setenv("DATABASE_URL", conn.info.dsn)
    assert main(["effect", "--agreement", "umea-alidhem", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    until_today = [  # the command's windows end today
        dict(zip(COLUMNS, r, strict=True)) for r in conn.execute("SELECT * FROM survey_estimates('umea-alidhem')")]
    assert json.loads(json.dumps(until_today, default=str)) == document["perceived_safety"]
    assert main(["effect", "--agreement", "umea-alidhem"]) == 0
    table = capsys.readouterr().out
    headline = next(line for line in table.splitlines()
                    if line.startswith(SURVEY_QUESTIONS[0]) and " området " in line and "kontroll" not in line)
    row = next(r for r in until_today if r["question_id"] == SURVEY_QUESTIONS[0] and r["area_scope"] == "agreement")
    points = round(row["share_change"] * 100)
    assert re.search(rf"[−+]?{abs(points)} procentenheter \([−+]?\d+ till [−+]?\d+\)", headline), headline
    assert f"{round(row['before_share'] * 100)} %" in headline and QUESTIONS[SURVEY_QUESTIONS[0]].text_sv in table
