"""`trygg report` on a generated history: the PNGs and the HTML page are what a partner would open, and the
page renders in a real headless Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from schemas import IncidentEvent, agreements_from_geojson
from tests.conftest import fresh_database
from tests.support import AGREEMENT_A, STOCKHOLM, world_geojson
from schemas.survey import PRIMARY_QUESTION, QuestionResult, SurveyWaveEvent
from trygg.adapters.database import connect, store_batch, upsert_agreements
from trygg.adapters.surveys import store_perceived_safety
from trygg.demo import demo_events
from trygg.domain.placement import AreaIndex
from trygg.localstack.processes import Postgres
from trygg.synthetic_surveys import SurveyPlan, survey_areas, survey_waves
from trygg.texts import say

SIGNED = date(2024, 5, 1)  # world_geojson's signing date
UNTIL = date(2025, 5, 1)  # a full year on each side
NOTE = "Mannen i grön jacka sade att han heter Sven"
MEASURES = [{"description": "Ordningsvakter fredag och lördag kväll", "starts_on": "2024-05-15"},
            {"description": "Bättre belysning vid torget", "starts_on": "2024-09-01"}]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
AFTER_BLUE = (0x1F, 0x6F, 0xEB)  # the charts' colour for "after"; the page's own CSS never uses it


def _load_history(database_url: str) -> None:
    """Two years of demo history around signing, a few events with a note, one more reporting shop after
    signing, and violence only 1 + 2 times."""
    geojson = world_geojson()
    geojson["features"][0]["properties"]["measures"] = MEASURES
    agreements = agreements_from_geojson(geojson)
    end = datetime(UNTIL.year, UNTIL.month, UNTIL.day, tzinfo=STOCKHOLM) - timedelta(seconds=1)
    events = [e for e in demo_events(agreements, now=end, days=730) if e.category.value != "violence"]
    events = [e.model_copy(update={"note": NOTE}) if i % 50 == 0 else e for i, e in enumerate(events)]
    # A second shop till starts reporting at signing: more partners report, so the page must warn.
    events = [e.model_copy(update={"reporter": "ica-test-kassa2"})
              if e.source.value == "shop" and e.occurred_at.date() >= SIGNED and i % 3 == 0 else e
              for i, e in enumerate(events)]
    for i, day in enumerate([SIGNED - timedelta(days=30), SIGNED + timedelta(days=30), SIGNED + timedelta(days=60)]):
        at = datetime(day.year, day.month, day.day, 14, tzinfo=STOCKHOLM).isoformat()
        events.append(IncidentEvent.model_validate({
            "event_id": str(uuid.UUID(int=i + 1, version=4)), "source": "police", "reporter": "polisen-umea",
            "category": "violence", "occurred_at": at, "reported_at": at, "location": {"lat": 63.815, "lon": 20.293}}))
    with connect(database_url) as conn:
        revision = upsert_agreements(conn, agreements).revision
        index = AreaIndex.from_agreements(agreements, revision=revision)
        store_batch(conn, list(zip(events, index.place_all(events), strict=True)), [], index_revision=revision,
                    now=datetime.now(UTC), note_retention=timedelta(days=90))
        assert conn.execute("SELECT count(*) FROM incident_notes").fetchone()[0] > 0
        # A survey wave a year in the area and its control areas, with a true +8 pp from signing, and one
        # small autumn wave (12 respondents) whose share must not be shown.
        plan = SurveyPlan(first_year=2023, last_year=2025, seed=3)
        small = SurveyWaveEvent(
            event_id=uuid.UUID(int=99, version=4), area_id=AGREEMENT_A.area_id, wave="2024-host",
            fielded_from=date(2024, 10, 1), fielded_until=date(2024, 10, 20), imported_at=datetime.now(UTC),
            results=(QuestionResult(question_id=PRIMARY_QUESTION, respondents=12, counts={1: 4, 2: 4, 3: 4}),))
        store_perceived_safety(conn, [*survey_waves(survey_areas(agreements), plan, imported_at=datetime.now(UTC),
                                                    until=UNTIL), small], [])


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


def _blue_share(pixels: np.ndarray) -> float:
    return float((np.abs(pixels - np.array(AFTER_BLUE)).sum(axis=2) < 30).mean())


@pytest.fixture(scope="module")
def report(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One report, made by `trygg report` as a subprocess, shared by the tests that read it."""
    database = fresh_database(postgres)
    _load_history(database)
    out = tmp_path_factory.mktemp("rapport")
    env = {**os.environ, "DATABASE_URL": database, "STATE_DIR": str(out / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "trygg.cli", "report", "--agreement", AGREEMENT_A.area_id, "--out", str(out),
         "--until", UNTIL.isoformat()],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_report_writes_readable_charts_and_a_self_contained_page(report):
    out, stdout = report
    assert f"{say('report_page')}: {(out / 'index.html').resolve()}\n" in stdout
    assert "Snatteri" in stdout  # the effect table was printed
    for name in ("veckor.png", "kategorier.png", "kontroll.png", "rapportering.png", "trygghet.png"):
        pixels = _pixels(out / name)
        assert pixels.shape[0] >= 300 and pixels.shape[1] >= 800, name
        assert pixels.std() > 20, f"{name} is (nearly) one colour"
        assert _blue_share(pixels) > 0.002, f"{name} has no data drawn in it"

    page = (out / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "page loads something from outside"
    assert "@import" not in page and "url(" not in page
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == 5
    assert "Ålidhem (test)" in page and "ICA Test" in page and MEASURES[1]["description"] in page
    assert "Så läser du intervallen" in page
    assert "fler rapporterande partner kan dölja en verklig minskning" in page.lower()
    assert re.search(r"tydlig minskning|tydlig ökning|ingen tydlig förändring|för få händelser", page)
    assert NOTE not in page and "grön jacka" not in page
    assert not re.search(r"63\.81\d|20\.29\d", page), "exact points in the page"
    counts = re.findall(r'<td class="count"[^>]*>([^<]*)</td>', page)
    assert counts and "&lt;3" in counts, "violence (1 before, 2 after) must show as <3"
    assert not {"1", "2"} & set(counts), "a count of 1 or 2 printed bare"
    safety = page.split("<h2>Trygghet</h2>", 1)[1].split("<h2>", 1)[0]
    rows = re.findall(r"<tr>(<td.*?)</tr>", safety)
    assert len(rows) == 3, "one row per survey question"
    for row in rows:
        cells = re.findall(r'<td data-label="[^"]*">([^<]*)</td>', row)
        assert re.fullmatch(r"\d+ / \d+", cells[1]) and re.fullmatch(r"\d+ % → \d+ %", cells[2]), cells
        assert re.fullmatch(r"[−+]?\d+ procentenheter \([−+]?\d+ till [−+]?\d+\)", cells[3]), cells
        assert cells[4] in ("tydligt tryggare", "tydligt otryggare", "ingen tydlig förändring")
    assert "Trygghet (andel som känner sig trygga" in stdout
    violence_row = re.search(r'<tr><td class="" data-label="Kategori">Våld</td>(.*?)</tr>', page).group(1)
    assert violence_row.count("&lt;3") == 2 and "för få händelser" in violence_row.lower()


def test_report_opens_in_headless_chromium(report, tmp_path):
    out, _ = report
    for width, height in ((1200, 6000), (390, 9000)):
        shot = tmp_path / f"skarm-{width}.png"
        done = subprocess.run(
            ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / f'chromium-{width}'}",
             "--hide-scrollbars", f"--screenshot={shot}", f"--window-size={width},{height}",
             (out / "index.html").resolve().as_uri()],
            capture_output=True, text=True, timeout=120,
        )
        assert shot.exists(), done.stderr[-2000:]
        pixels = _pixels(shot)
        assert pixels.std() > 10, "blank screenshot"
        # The blue of the charts' "after" series only exists inside the embedded PNGs: they rendered.
        assert _blue_share(pixels) > 0.001, f"no chart rendered at width {width}"
