"""A control area shared by two agreements, and an agreement's area as another's control (issue 14).

The Umeå sample, changed: Teg compares with Mariehem centrum, which is also Ålidhem's control (Teg's feature
names it without a polygon), and Ersboda compares with Teg's own area. The same events are loaded into a
database of that file and into one where Teg and Ersboda have private copies of those areas under their own
ids: every estimate must be the same, while the shared file counts each incident once.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from schemas import IncidentEvent, agreements_from_geojson
from tests.conftest import fresh_database
from tests.support import load_history
from tests.integration.test_timescale_tier import pglite  # noqa: F401 (the module-wide PGlite server fixture)
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.migrations import migrate
from trygg.boards import queries as q
from trygg.boards.macros import expand
from trygg.cli import main
from trygg.demo import SAMPLE_AGREEMENTS
from trygg.localstack.pglite import PGlite
from trygg.localstack.processes import Postgres
from trygg.report.data import load_report_data
from trygg.synthetic import History, generate

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 1, tzinfo=STOCKHOLM)
HISTORY = History(first_day=date(2024, 8, 1), last_day=date(2026, 10, 31), seed=14)
SHARED = "umea-mariehem-centrum"  # Ålidhem's control, and Teg's


def _sample() -> dict[str, Any]:
    return json.loads(SAMPLE_AGREEMENTS.read_text(encoding="utf-8"))


def _controls(document: dict[str, Any], agreement_id: str) -> list[dict[str, Any]]:
    return [f for f in document["features"]
            if f["properties"]["kind"] == "control_area" and f["properties"]["agreement_id"] == agreement_id]


def _reference(agreement_id: str, area_id: str) -> dict[str, Any]:
    """A control_area feature that names an area drawn elsewhere in the file."""
    return {"type": "Feature", "geometry": None,
            "properties": {"kind": "control_area", "agreement_id": agreement_id, "area_id": area_id}}


def shared_file() -> dict[str, Any]:
    document = _sample()
    teg_own = _controls(document, "umea-teg")[0]  # Västerslätt centrum: replaced by the shared Mariehem
    ersboda_own = _controls(document, "umea-ersboda")[0]
    document["features"] = [f for f in document["features"] if f not in (teg_own, ersboda_own)]
    document["features"] += [_reference("umea-teg", SHARED), _reference("umea-ersboda", "umea-teg")]
    return document


def private_file() -> dict[str, Any]:
    """The same comparisons with copies of the shared areas under ids of their own."""
    document = _sample()
    teg_own = _controls(document, "umea-teg")[0]
    ersboda_own = _controls(document, "umea-ersboda")[0]
    mariehem = next(f for f in _controls(document, "umea-alidhem") if f["properties"]["area_id"] == SHARED)
    teg = next(f for f in document["features"] if f["properties"]["kind"] == "agreement"
               and f["properties"]["agreement_id"] == "umea-teg")
    mariehem_copy = copy.deepcopy(mariehem)
    mariehem_copy["properties"].update(agreement_id="umea-teg", area_id="kopia-mariehem")
    teg_copy = {"type": "Feature", "geometry": teg["geometry"],
                "properties": {"kind": "control_area", "agreement_id": "umea-ersboda", "area_id": "kopia-teg",
                               "name": "Teg (kopia)"}}
    document["features"] = [f for f in document["features"] if f not in (teg_own, ersboda_own)]
    document["features"] += [mariehem_copy, teg_copy]
    return document


@pytest.fixture(scope="module")
def events() -> list[IncidentEvent]:
    return generate(agreements_from_geojson(shared_file()), HISTORY, now=NOW)


@pytest.fixture(scope="module")
def loaded(postgres: Postgres, events: list[IncidentEvent]) -> Iterator[dict[str, psycopg.Connection]]:
    opened = {name: connect(fresh_database(postgres)) for name in ("shared", "private")}
    load_history(opened["shared"], agreements_from_geojson(shared_file()), events, NOW)
    load_history(opened["private"], agreements_from_geojson(private_file()), events, NOW)
    yield opened
    for conn in opened.values():
        conn.close()


def _estimates(conn: psycopg.Connection, agreement_id: str, source: str | None = None) -> list[tuple]:
    return conn.execute("SELECT * FROM effect_estimates(%s, %s, p_until => %s)",
                        (agreement_id, source, NOW.date())).fetchall()


def _hourly(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT area_id, category, source, hour, incidents FROM incident_counts_hourly "
                        "ORDER BY 1, 2, 3, 4").fetchall()


@pytest.mark.parametrize("agreement_id", ["umea-alidhem", "umea-teg", "umea-ersboda"])
@pytest.mark.parametrize("source", [None, "police"])
def test_vs_control_estimates_equal_those_with_a_private_copy(loaded, agreement_id: str, source: str | None) -> None:
    shared, private = (_estimates(loaded[name], agreement_id, source) for name in ("shared", "private"))

    assert shared == private
    control_rows = [r for r in shared if r[2] in ("control", "relative")]
    assert control_rows and any(r[7] > 0 for r in control_rows if r[2] == "control")  # the control has incidents


def test_a_shared_control_is_one_area_counted_once_and_named_by_both(loaded) -> None:
    conn = loaded["shared"]
    assert conn.execute("SELECT kind, agreement_id FROM areas WHERE area_id = %s", (SHARED,)).fetchone() == \
        ("control", None)
    assert conn.execute("SELECT agreement_id FROM agreement_control_areas WHERE area_id = %s ORDER BY 1",
                        (SHARED,)).fetchall() == [("umea-alidhem",), ("umea-teg",)]
    # Each incident inside Mariehem appears once in the counts (the private file counts it twice).
    inside = conn.execute("SELECT count(*) FROM incident_events WHERE %s = ANY(area_ids)", (SHARED,)).fetchone()[0]
    assert inside > 50
    assert conn.execute("SELECT sum(incidents) FROM incident_counts_hourly WHERE area_id = %s",
                        (SHARED,)).fetchone()[0] == inside
    assert conn.execute("SELECT count(*) FROM incident_events WHERE cardinality(area_ids) <> "
                        "(SELECT count(DISTINCT a) FROM unnest(area_ids) a)").fetchone()[0] == 0
    counted = conn.execute("SELECT sum(incidents) FROM incident_counts_hourly").fetchone()[0]
    copies = loaded["private"].execute("SELECT sum(incidents) FROM incident_counts_hourly WHERE area_id LIKE "
                                       "'kopia-%'").fetchone()[0]
    assert loaded["private"].execute("SELECT sum(incidents) FROM incident_counts_hourly").fetchone()[0] == \
        counted + copies


def test_another_agreements_area_as_control_stays_that_agreements_area(loaded) -> None:
    conn = loaded["shared"]
    assert conn.execute("SELECT kind, agreement_id FROM areas WHERE area_id = 'umea-teg'").fetchone() == \
        ("agreement", "umea-teg")
    (total,) = [r for r in _estimates(conn, "umea-ersboda") if r[2] == "control" and r[1] is None]
    # Ersboda's controls are Teg's area and Grubbe: their incidents are the events in them in Ersboda's windows.
    for start, end, incidents in ((total[3], total[4], total[7]), (total[5], total[6], total[8])):
        assert incidents == conn.execute(
            """SELECT count(*) FROM incident_events, unnest(area_ids) a WHERE a IN ('umea-teg', 'umea-grubbe')
               AND occurred_at >= (%s::timestamp AT TIME ZONE 'Europe/Stockholm')
               AND occurred_at < (%s::timestamp AT TIME ZONE 'Europe/Stockholm')""", (start, end)).fetchone()[0] > 0
    assert conn.execute("SELECT area_id FROM agreement_scopes WHERE agreement_id = 'umea-ersboda' "
                        "AND scope = 'control' ORDER BY 1").fetchall() == [("umea-grubbe",), ("umea-teg",)]


def test_a_reload_changes_nothing(loaded) -> None:
    conn = loaded["shared"]
    before = _hourly(conn), conn.execute("SELECT * FROM agreement_control_areas ORDER BY 1, 2").fetchall()

    result = upsert_agreements(conn, agreements_from_geojson(shared_file()))

    assert (result.recounted_areas, result.removed_areas) == ((), ())
    assert (_hourly(conn), conn.execute("SELECT * FROM agreement_control_areas ORDER BY 1, 2").fetchall()) == before


def test_board_and_report_follow_the_shared_control(loaded) -> None:
    start, end = datetime(2024, 8, 1, tzinfo=UTC), NOW
    variables = {"agreement": "umea-teg", "category": ["shoplifting", "vandalism"], "source": q.ALL_SOURCES,
                 "municipality": ["Umeå"]}
    boards = {name: conn.execute(expand(q.AREA_VS_CONTROL.sql, variables, start, end)).fetchall()  # type: ignore[arg-type]
              for name, conn in loaded.items()}
    assert boards["shared"] == boards["private"]
    assert {row[1] for row in boards["shared"]} == {"Området", "Kontrollområdena"}

    reports = {name: load_report_data(conn, "umea-teg", NOW.date()) for name, conn in loaded.items()}
    assert reports["shared"].blocks == reports["private"].blocks
    assert reports["shared"].effects == reports["private"].effects
    assert "Mariehem centrum" in reports["shared"].control_names


def test_dropping_a_shared_control_from_one_agreement_keeps_it_for_the_other(postgres: Postgres,
                                                                            events: list[IncidentEvent]) -> None:
    with connect(fresh_database(postgres)) as conn:
        load_history(conn, agreements_from_geojson(shared_file()), events, NOW)
        counts = conn.execute("SELECT sum(incidents) FROM incident_counts_hourly WHERE area_id = %s",
                              (SHARED,)).fetchone()
        document = shared_file()
        document["features"] = [f for f in document["features"]
                                if f["properties"].get("area_id") != SHARED or f["geometry"] is not None]

        assert upsert_agreements(conn, agreements_from_geojson(document)).removed_areas == ()
        assert conn.execute("SELECT agreement_id FROM agreement_control_areas WHERE area_id = %s",
                            (SHARED,)).fetchall() == [("umea-alidhem",)]
        assert conn.execute("SELECT sum(incidents) FROM incident_counts_hourly WHERE area_id = %s",
                            (SHARED,)).fetchone() == counts

        document["features"] = [f for f in document["features"] if f["properties"].get("area_id") != SHARED]
        assert upsert_agreements(conn, agreements_from_geojson(document)).removed_areas == (SHARED,)
        assert conn.execute("SELECT count(*) FROM areas WHERE area_id = %s", (SHARED,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM incident_counts_hourly WHERE area_id = %s",
                            (SHARED,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM incident_events WHERE %s = ANY(area_ids)",
                            (SHARED,)).fetchone()[0] == 0


def test_a_control_drawn_unlike_the_agreement_it_is_is_refused_and_nothing_loaded(postgres: Postgres) -> None:
    with connect(fresh_database(postgres)) as conn:
        upsert_agreements(conn, agreements_from_geojson(_sample()))
        before = conn.execute("SELECT * FROM agreement_control_areas ORDER BY 1, 2").fetchall()
        # Ersboda's file alone, naming Teg's area as its control with Mariehem's polygon.
        document = _sample()
        mariehem = next(f for f in _controls(document, "umea-alidhem") if f["properties"]["area_id"] == SHARED)
        document["features"] = [f for f in document["features"] if f["properties"]["agreement_id"] == "umea-ersboda"]
        wrong = copy.deepcopy(mariehem)
        wrong["properties"].update(agreement_id="umea-ersboda", area_id="umea-teg")
        document["features"].append(wrong)

        with pytest.raises(ValueError, match="control area umea-teg of agreement umea-ersboda is agreement umea-teg's own"):
            upsert_agreements(conn, agreements_from_geojson(document))
        assert conn.execute("SELECT * FROM agreement_control_areas ORDER BY 1, 2").fetchall() == before
        assert conn.execute("SELECT kind FROM areas WHERE area_id = 'umea-teg'").fetchone() == ("agreement",)


def test_load_command_names_the_feature_of_a_second_polygon(postgres: Postgres, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    url = fresh_database(postgres)
    document = shared_file()
    mariehem = next(f for f in _controls(document, "umea-alidhem") if f["properties"]["area_id"] == SHARED)
    other = next(f for f in _controls(document, "umea-teg") if f["geometry"] is not None)  # Haga's polygon
    moved = copy.deepcopy(mariehem)
    moved["properties"]["agreement_id"] = "umea-teg"
    moved["geometry"] = other["geometry"]
    document["features"] = [f for f in document["features"] if f["properties"].get("area_id") != SHARED
                            or f is mariehem] + [moved]
    path = tmp_path / "agreements.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)

    code = main(["agreements", "load", str(path)])

    error = capsys.readouterr().err
    number = document["features"].index(moved) + 1
    first = document["features"].index(mariehem) + 1
    assert code != 0
    assert f"feature {number}: area {SHARED} has a different polygon than in feature {first}" in error
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM agreements").fetchone()[0] == 0


def test_existing_databases_keep_their_controls_after_the_migration(postgres: Postgres) -> None:
    url = fresh_database(postgres, up_to=14)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO agreements (agreement_id, name, municipality, signed_at) "
                     "VALUES ('a', 'A', 'Umeå', '2024-01-01')")
        conn.execute("""INSERT INTO areas (area_id, kind, agreement_id, name, municipality)
                        VALUES ('a', 'agreement', 'a', 'A', 'Umeå'), ('c', 'control', 'a', 'C', 'Umeå')""")
        migrate(conn)
        assert conn.execute("SELECT agreement_id, area_id FROM agreement_control_areas").fetchall() == [("a", "c")]
        assert conn.execute("SELECT agreement_id FROM areas WHERE area_id = 'c'").fetchone() == (None,)
        assert conn.execute("SELECT scope, area_id FROM agreement_scopes WHERE agreement_id = 'a' ORDER BY 1"
                            ).fetchall() == [("agreement", "a"), ("control", "c")]


@pytest.mark.timescale
def test_timescale_tier_gives_the_same_shared_control_estimates(pglite: PGlite,  # noqa: F811
                                                                loaded, events: list[IncidentEvent]) -> None:
    with connect(pglite.url()) as conn:
        load_history(conn, agreements_from_geojson(shared_file()), events, NOW)
        for agreement_id in ("umea-teg", "umea-ersboda"):
            assert _estimates(conn, agreement_id) == _estimates(loaded["shared"], agreement_id)
