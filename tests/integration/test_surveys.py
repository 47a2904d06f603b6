"""Survey files into the platform: `trygg surveys import` -> outbox -> relay -> surveys.reported -> processor ->
survey tables, on the real broker and PostgreSQL. Well-formed files in every form are stored exactly (microdata
aggregated, never row by row), broken files are refused with a reason per row and leave nothing behind,
re-importing replaces a wave, and bad events on the topic become dead letters."""

from __future__ import annotations

import csv
import json
import random
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from schemas import agreements_from_geojson
from schemas.survey import QUESTIONS, PulseAnswerEvent, QuestionResult, SurveyWaveEvent
from trygg.app.relay_outbox import relay_once
from tests.support import WorkerProcess, read_topic, wait_for
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.kafka import producer
from trygg.adapters.outbox import unsent
from trygg.app.surveys import import_survey_file
from trygg.cli import main
from trygg.demo import SAMPLE_AGREEMENTS
from trygg.settings import Settings
from trygg.texts import say

HEADER = "area_id,wave,fielded_from,fielded_until,question_id,answer"
COUNTS = {  # (area, wave, question) -> answer -> respondents
    ("umea-alidhem", "2025", "unsafe_outdoors_evening"): {1: 40, 2: 80, 3: 60, 4: 20},
    ("umea-alidhem", "2025", "avoided_place"): {1: 70, 2: 130},
    ("umea-tomtebo", "2025", "unsafe_outdoors_evening"): {1: 50, 2: 90, 3: 40, 4: 20},
}
PERIOD = ("2025-03-03", "2025-03-30")


def _count_csv(counts: dict = COUNTS) -> str:
    lines = [HEADER + ",count"]
    lines += [f"{a},{w},{PERIOD[0]},{PERIOD[1]},{q},{answer},{n}"
              for (a, w, q), by in counts.items() for answer, n in by.items()]
    return "\n".join(lines) + "\n"


def _share_json() -> str:
    shares = {1: 0.20, 2: 0.45, 3: 0.25, 4: 0.10}  # of 300 respondents
    return json.dumps([
        {"area_id": "umea-alidhem", "wave": "2026", "fielded_from": "2026-03-02", "fielded_until": "2026-03-29",
         "question_id": "unsafe_outdoors_evening", "answer": answer, "share": share, "respondents": 300}
        for answer, share in shares.items()
    ])


def _microdata(rng: random.Random) -> tuple[str, Counter]:
    truth: Counter = Counter()
    lines = [HEADER]
    for _ in range(437):
        area = rng.choice(["umea-mariehem-centrum", "kommun:umea"])
        answer = rng.choice([1, 2, 3, 4])
        truth[(area, "2026", "unsafe_outdoors_evening", answer)] += 1
        lines.append(f"{area},2026,2026-03-02,2026-03-29,unsafe_outdoors_evening,{answer}")
    return "\n".join(lines) + "\n", truth


def _stored(conn: psycopg.Connection) -> Counter:
    return Counter({(a, w, q, answer): n for a, w, q, answer, n in conn.execute(
        "SELECT area_id, wave, question_id, answer, respondents FROM survey_results")})


def _publish_outbox(conn: psycopg.Connection, settings: Settings) -> None:
    prod = producer(settings)
    try:
        while relay_once(conn, prod, settings).total:
            pass
    finally:
        prod.close()
    assert unsent(conn) == 0


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, agreements_from_geojson(json.loads(SAMPLE_AGREEMENTS.read_text(encoding="utf-8"))))
    return settings


def test_every_form_stored_exactly_and_reimport_replaces(loaded: Settings, worker: WorkerProcess, tmp_path: Path) -> None:
    settings = loaded
    micro_text, micro_truth = _microdata(random.Random(12))
    files = {"counts.csv": _count_csv(), "shares.json": _share_json(), "micro.csv": micro_text}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    expected = Counter({(a, w, q, answer): n for (a, w, q), by in COUNTS.items() for answer, n in by.items()})
    expected.update({("umea-alidhem", "2026", "unsafe_outdoors_evening", a): n
                     for a, n in {1: 60, 2: 135, 3: 75, 4: 30}.items()})
    expected.update(micro_truth)
    worker.start()
    with connect(settings.database_url) as conn:
        for name in files:
            outcome = import_survey_file(conn, tmp_path / name)
            assert outcome.ok, outcome.parsed.errors
        assert outcome.parsed.form == "microdata" and len(outcome.parsed.waves) == 2
        _publish_outbox(conn, settings)
        wait_for(lambda: _stored(conn) == expected, 60, "the waves to be stored")
        # Microdata is counted on import: no table holds a row per respondent.
        assert conn.execute("SELECT count(*) FROM survey_results").fetchone()[0] == len(expected) < 437
        first_import = dict(conn.execute("SELECT area_id || '/' || wave, imported_at FROM survey_waves").fetchall())
        assert len(first_import) == 5

        # The same file again: the same results, the wave now from the newer import.
        assert import_survey_file(conn, tmp_path / "counts.csv").ok
        _publish_outbox(conn, settings)
        newer = lambda: conn.execute(  # noqa: E731
            "SELECT imported_at FROM survey_waves WHERE area_id = 'umea-alidhem' AND wave = '2025'").fetchone()[0]
        wait_for(lambda: newer() > first_import["umea-alidhem/2025"], 60, "the re-import to be stored")
        assert _stored(conn) == expected

        # Corrected counts replace the wave whole: a question no longer in it is gone.
        corrected = {("umea-alidhem", "2025", "unsafe_outdoors_evening"): {1: 41, 2: 79, 3: 60, 4: 20}}
        (tmp_path / "corrected.csv").write_text(_count_csv(corrected), encoding="utf-8")
        assert import_survey_file(conn, tmp_path / "corrected.csv").ok
        _publish_outbox(conn, settings)
        for answer in (1, 2, 3, 4):
            del expected[("umea-alidhem", "2025", "avoided_place", answer)]
        expected.update({("umea-alidhem", "2025", "unsafe_outdoors_evening", 1): 1,
                         ("umea-alidhem", "2025", "unsafe_outdoors_evening", 2): -1})
        expected = +expected
        wait_for(lambda: _stored(conn) == expected, 60, "the corrected wave to replace the old one")
    worker.assert_alive()


def _wave(**overrides: object) -> dict:
    wave = SurveyWaveEvent(
        event_id=uuid.uuid4(), area_id="umea-alidhem", wave="2024", fielded_from="2024-03-01",
        fielded_until="2024-03-20", imported_at=datetime.now(UTC),
        results=(QuestionResult(question_id="avoided_place", respondents=3, counts={1: 1, 2: 2}),),
    )
    return {**json.loads(wave.model_dump_json()), **overrides}


def test_bad_events_on_the_topic_are_dead_letters_and_repeats_change_nothing(
    loaded: Settings, worker: WorkerProcess
) -> None:
    settings = loaded
    good = _wave()
    site = json.loads(SAMPLE_AGREEMENTS.read_text(encoding="utf-8"))
    site_id = next(f["properties"]["site_id"] for f in site["features"] if f["properties"]["kind"] == "site")
    pulse = json.loads(PulseAnswerEvent(event_id=uuid.uuid4(), site_id=site_id, day="2026-01-05",
                                        answer=4).model_dump_json())
    bad = {
        "unknown_area": _wave(area_id="umea-nowhere"),
        "unknown_question": _wave(results=[{"question_id": "nope", "respondents": 1, "counts": {"1": 1}}]),
        "unknown_answer": _wave(results=[{"question_id": "avoided_place", "respondents": 1, "counts": {"7": 1}}]),
        "counts_do_not_add_up": _wave(results=[{"question_id": "avoided_place", "respondents": 5,
                                                "counts": {"1": 1}}]),
        "period_reversed": _wave(fielded_until="2024-02-01"),
        "unknown_event_kind": _wave(kind="opinion"),
        "unknown_site": {**pulse, "event_id": str(uuid.uuid4()), "site_id": "no-such-site"},
        "invalid_value": {**pulse, "event_id": str(uuid.uuid4()), "answer": 6},
        "unknown_field": {**pulse, "event_id": str(uuid.uuid4()), "comment": "fritext"},
    }
    messages = [json.dumps(good), json.dumps(good), json.dumps(pulse), *map(json.dumps, bad.values()), "{"]
    prod = producer(settings)
    try:
        for value in messages:
            prod.send(settings.topic_surveys_reported, key=str(uuid.uuid4()), value=value.encode())
        prod.flush()
    finally:
        prod.close()
    worker.start()
    letters = [json.loads(v) for v in read_topic(settings, settings.topic_incidents_rejected, len(bad) + 1, 60)]
    assert sorted(letter["reason"] for letter in letters) == sorted([*bad, "invalid_json"])
    assert {letter["source_topic"] for letter in letters} == {settings.topic_surveys_reported}
    with connect(settings.database_url) as conn:
        wait_for(lambda: conn.execute("SELECT count(*) FROM rejected_events WHERE stream = 'surveys'").fetchone()[0]
                 == len(bad) + 1, 30, "the rejections to be recorded")
        assert _stored(conn) == Counter({("umea-alidhem", "2024", "avoided_place", 1): 1,
                                         ("umea-alidhem", "2024", "avoided_place", 2): 2})
        assert conn.execute("SELECT site_id, day::text, answer, answers FROM pulse_counts").fetchall() == [
            (site_id, "2026-01-05", 4, 1)]
        assert conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0] == 2


BROKEN = [  # (reason, row, file name, text)
    ("unknown_column", 0, "x.csv", HEADER + ",count,personnummer\numea-alidhem,2025,2025-03-01,2025-03-02,"
                                            "avoided_place,1,3,19800101-1234\n"),
    ("missing_column", 0, "x.csv", "area_id,wave,question_id,answer\numea-alidhem,2025,avoided_place,1\n"),
    ("missing_value", 1, "x.csv", HEADER + ",count\numea-alidhem,,2025-03-01,2025-03-02,avoided_place,1,3\n"),
    ("invalid_date", 1, "x.csv", HEADER + ",count\numea-alidhem,2025,1 mars,2025-03-02,avoided_place,1,3\n"),
    ("period_reversed", 1, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-05,2025-03-02,avoided_place,1,3\n"),
    ("unknown_area", 1, "x.csv", HEADER + ",count\numea-nowhere,2025,2025-03-01,2025-03-02,avoided_place,1,3\n"),
    ("unknown_question", 1, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-01,2025-03-02,happiness,1,3\n"),
    ("unknown_answer", 1, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,3,3\n"),
    ("invalid_count", 1, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,-3\n"),
    ("invalid_share", 1, "x.json", json.dumps([{"area_id": "umea-alidhem", "wave": "2025", "fielded_from": "2025-03-01",
                                               "fielded_until": "2025-03-02", "question_id": "avoided_place",
                                               "answer": 1, "share": 1.5, "respondents": 10}])),
    ("duplicate_answer", 2, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,3\n"
                                              "umea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,4\n"),
    ("conflicting_period", 2, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,3\n"
                                                "umea-alidhem,2025,2025-03-01,2025-03-09,avoided_place,2,4\n"),
    ("respondents_mismatch", 2, "x.csv", HEADER + ",share,respondents\n"
                                                  "umea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,0.5,100\n"
                                                  "umea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,2,0.5,90\n"),
    ("shares_do_not_add_up", 1, "x.csv", HEADER + ",share,respondents\n"
                                                  "umea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,0.5,100\n"
                                                  "umea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,2,0.3,100\n"),
    ("counts_do_not_add_up", 1, "x.csv", HEADER + ",count,respondents\n"
                                                  "umea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,30,100\n"
                                                  "umea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,2,60,100\n"),
    ("no_respondents", 1, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,0\n"),
    ("too_many_cells", 1, "x.csv", HEADER + ",count\numea-alidhem,2025,2025-03-01,2025-03-02,avoided_place,1,3,9\n"),
    ("invalid_json", 0, "x.json", "[{"),
    ("not_an_array", 0, "x.json", json.dumps({"rows": []})),
    ("unreadable_file", 0, "x.csv", b"\xff\xfe\x00garbage"),
]


@pytest.mark.parametrize(("reason", "row", "name", "text"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_refused_with_its_reason_and_nothing_queued(database: str, tmp_path: Path, reason: str, row: int,
                                                               name: str, text: str | bytes) -> None:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    good_rows = _count_csv().splitlines()[1:]
    if name.endswith(".csv") and reason not in ("unknown_column", "missing_column", "unreadable_file"):
        # A broken row among good ones: the good ones are not imported either.
        header, *rows = text.splitlines()  # type: ignore[union-attr]
        if header == HEADER + ",count":
            path.write_text("\n".join([header, *rows, *good_rows]) + "\n", encoding="utf-8")
    with connect(database) as conn:
        upsert_agreements(conn, agreements_from_geojson(json.loads(SAMPLE_AGREEMENTS.read_text(encoding="utf-8"))))
        outcome = import_survey_file(conn, path)
        assert not outcome.ok and outcome.queued == 0
        assert (outcome.parsed.errors[0].reason, outcome.parsed.errors[0].row) == (reason, row)
        assert outcome.parsed.errors[0].message
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_cli_prints_a_reason_per_bad_row(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with connect(database) as conn:
        upsert_agreements(conn, agreements_from_geojson(json.loads(SAMPLE_AGREEMENTS.read_text(encoding="utf-8"))))
    rows = [HEADER.split(",") + ["count"],
            ["umea-alidhem", "2025", "2025-03-01", "2025-03-02", "avoided_place", "1", "3"],
            ["umea-alidhem", "2025", "2025-03-01", "2025-03-02", "avoided_place", "9", "3"],
            ["umea-nowhere", "2025", "2025-03-01", "2025-03-02", "avoided_place", "1", "3"]]
    path = tmp_path / "survey.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    monkeypatch.setenv("DATABASE_URL", database)
    assert main(["surveys", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: {say('surveys_refused', problems=2)}:\n" in err
    assert f"  {say('survey_row')} 2: answer: unknown_answer: " in err
    assert f"  {say('survey_row')} 3: area_id: unknown_area: " in err
    assert set(QUESTIONS["avoided_place"].answers) == {1, 2}
    rows.pop(2), rows.pop(2)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    assert main(["surveys", "import", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["waves_queued"] == 1
