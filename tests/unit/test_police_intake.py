"""Police feed, pure parts: the police events adapter, the batch and file readers, scope rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from schemas import Category, IncidentEvent, RejectionReason
from tests.support import AGREEMENT_A, CONTROL_A, world_agreements
from trygg.domain.police_intake import (
    CSV_COLUMNS, Agency, csv_row_item, csv_rows, evaluate, police_item, split_json_array, split_ndjson,
)
from trygg.domain.placement import AreaIndex
from trygg.domain.police_events import POLICE_TYPES, parse_police_datetime, police_event_id, police_to_incident

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INDEX = AreaIndex.from_agreements(world_agreements())


def police_doc(kind: str = "Stöld", **changes: object) -> dict:
    doc = {
        "id": 449310, "datetime": "2024-04-13 9:58:49 +02:00", "name": "13 april 09.58, Stöld, Umeå",
        "summary": "En man greps efter stöld i butik på Ålidhem.", "url": "/aktuellt/handelser/2024/april/13/",
        "type": kind, "location": {"name": "Umeå", "gps": "63.825847,20.263035"},
    }
    return {**doc, **changes}


def check(items: list, agency: Agency | None = None) -> list:
    return evaluate(items, agency=agency, index=INDEX, now=NOW, max_clock_skew=timedelta(minutes=5),
                    known_sites=INDEX.sites)


EXPECTED_TYPES = {
    "Stöld": Category.theft, "Stöld/inbrott": Category.burglary, "Inbrott": Category.burglary,
    "Narkotikabrott": Category.drug_dealing, "Skadegörelse": Category.vandalism, "Rån": Category.robbery,
    "Olaga hot": Category.threat, "Misshandel": Category.violence, "Ofredande/förargelse": Category.harassment,
    "Bråk": Category.disturbance, "Ordningslagen": Category.disturbance, "Snatteri": Category.shoplifting,
}


@pytest.mark.parametrize("kind", sorted(POLICE_TYPES))
def test_every_mapped_police_type_becomes_a_valid_municipality_level_event(kind):
    [outcome] = check([police_item(json.dumps(police_doc(kind)).encode(), "polisen-ac")])
    assert outcome.status == "accepted", outcome.errors
    event: IncidentEvent = outcome.event
    assert event.category is POLICE_TYPES[kind]
    assert event.location.precision.value == "municipality" and event.location.municipality == "Umeå"
    assert event.occurred_at == datetime(2024, 4, 13, 7, 58, 49, tzinfo=UTC)
    assert event.external_id == "449310" and event.event_id == police_event_id(449310)
    assert event.note is None  # summary and name are never copied
    assert "butik" not in event.model_dump_json()


def test_the_issue_s_police_types_map_to_the_expected_categories():
    assert {k: POLICE_TYPES[k] for k in EXPECTED_TYPES} == EXPECTED_TYPES


@pytest.mark.parametrize("kind", ["Trafikolycka", "Brand", "Sammanfattning natt", ""])
def test_a_police_type_without_category_is_rejected_with_that_reason(kind):
    [outcome] = check([police_item(json.dumps(police_doc(kind)).encode(), "polisen")])
    assert outcome.status == "rejected"
    assert outcome.errors[0].reason is RejectionReason.unmapped_police_type and outcome.errors[0].field == "type"


@pytest.mark.parametrize("changes, field, reason", [
    ({"datetime": "2024-04-13 09:58:49"}, "datetime", RejectionReason.invalid_value),
    ({"datetime": "2024-02-30 09:58:49 +01:00"}, "datetime", RejectionReason.invalid_value),
    ({"location": {"name": "Umeå", "gps": "63.8"}}, "location.gps", RejectionReason.invalid_value),
    ({"location": {"name": "", "gps": "63.8,20.2"}}, "location.name", RejectionReason.missing_municipality),
    ({"location": {"name": "Nordsjön", "gps": "56.5,3.1"}}, "location", RejectionReason.location_outside_sweden),
    ({"id": None}, "id", RejectionReason.missing_field),
])
def test_broken_police_events_say_which_field_is_wrong(changes, field, reason):
    [outcome] = check([police_item(json.dumps(police_doc(**changes)).encode(), "polisen")])
    assert outcome.status == "rejected"
    assert (outcome.errors[0].field, outcome.errors[0].reason) == (field, reason)


def test_police_datetime_accepts_a_one_digit_hour_and_an_offset_without_colon():
    assert parse_police_datetime("2018-04-13 9:58:49 +0200") == datetime(2018, 4, 13, 7, 58, 49, tzinfo=UTC)
    assert police_to_incident([1, 2])[0].reason is RejectionReason.not_an_object  # type: ignore[index]


def event_doc(**changes: object) -> dict:
    doc = {"event_id": "5b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10", "schema_version": 1, "source": "police",
           "reporter": "polisen-umea", "category": "drug_dealing", "occurred_at": "2024-05-01T21:40:00+02:00",
           "reported_at": "2024-05-02T08:00:00+02:00", "location": {"lat": 63.815, "lon": 20.295},
           "external_id": "AB-1"}
    return {**doc, **changes}


def test_repeats_inside_one_batch_are_duplicates_by_event_id_and_by_external_id():
    first = event_doc()
    same_external = event_doc(event_id="6b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10")
    other = event_doc(event_id="7b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10", external_id="AB-2")
    outcomes = check([json.dumps(d).encode() for d in (first, first, same_external, other)])
    assert [o.status for o in outcomes] == ["accepted", "duplicate", "duplicate", "accepted"]
    assert json.loads(outcomes[1].json_text(1)) == {"index": 1, "status": "duplicate", "event_id": first["event_id"]}
    assert json.loads(check([b"[]"])[0].json_text(0))["errors"][0]["reason"] == "not_an_object"


def test_scope_an_agency_reports_only_for_its_municipalities_and_agreements():
    municipal = Agency.create("polisen-umea", "police", ["Umeå"], [])
    by_agreement = Agency.create("polisen-alidhem", "police", [], [AGREEMENT_A.area_id], ["polisen-umea"])
    elsewhere = Agency.create("polisen-lulea", "police", ["Luleå"], [], ["polisen-umea"])
    inside_a = event_doc()  # inside agreement A (and so in Umeå, the agreement's municipality)
    in_control = event_doc(event_id="8b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10", external_id="AB-3",
                           location={"lat": (CONTROL_A.min_lat + CONTROL_A.max_lat) / 2, "lon": CONTROL_A.min_lon + 0.005})
    coarse = event_doc(event_id="9b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10", external_id="AB-4",
                       location={"lat": 63.82, "lon": 20.26, "municipality": "Umeå", "precision": "municipality"})
    raws = [json.dumps(d).encode() for d in (inside_a, in_control, coarse)]
    assert [o.status for o in check(raws, municipal)] == ["accepted", "accepted", "accepted"]  # all in Umeå
    # A control area is not the agreement's area; a municipality centre is never placed in an agreement.
    assert [o.status for o in check(raws, by_agreement)] == ["accepted", "rejected", "rejected"]
    refused = check(raws, elsewhere)
    assert {o.errors[0].reason for o in refused} == {RejectionReason.outside_scope}
    wrong_source = check([json.dumps(event_doc(source="school")).encode()], municipal)[0]
    assert (wrong_source.errors[0].field, wrong_source.errors[0].reason) == ("source", RejectionReason.outside_scope)


def test_ndjson_lines_and_json_arrays_become_items_and_bad_lines_are_rejected_alone():
    body = json.dumps(event_doc()).encode() + b"\n\n{not json\n" + b"\xff\xfe\n"
    outcomes = check(list(split_ndjson(body.splitlines())))
    assert [o.status for o in outcomes] == ["accepted", "rejected", "rejected"]
    assert {o.errors[0].reason for o in outcomes[1:]} == {RejectionReason.invalid_json}
    assert len(split_json_array(json.dumps([event_doc(), 5]).encode())) == 2
    for bad in (b"{}", b"[1,", b"\xff"):
        with pytest.raises(ValueError):
            split_json_array(bad)


def test_csv_rows_become_events_with_numbers_for_coordinates():
    header = list(CSV_COLUMNS)
    line = ("5b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10,police,polisen-umea,theft,2024-05-01T21:40:00+02:00,"
            "2024-05-02T08:00:00+02:00,63.815,20.295,,,,AB-9")
    [row] = csv_rows([line])
    [outcome] = check([csv_row_item(header, row)])
    assert outcome.status == "accepted" and outcome.event.location.lat == 63.815
    [short] = check([csv_row_item(header, row[:3])])
    assert short.errors[0].reason is RejectionReason.invalid_value
    [typo] = check([csv_row_item(header, [*row[:6], "north", *row[7:]])])
    assert (typo.errors[0].field, typo.errors[0].reason) == ("location.lat", RejectionReason.invalid_value)


def test_the_documented_producer_example_builds_valid_events():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "producer_example.py"
    spec = importlib.util.spec_from_file_location("producer_example", path)
    example = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(example)  # type: ignore[union-attr]
    doc = example.incident("AB-1", "theft", datetime(2024, 5, 1, 21, 40, tzinfo=UTC), 63.8155, 20.2955)
    [outcome] = evaluate([json.dumps(doc).encode()], agency=None, index=INDEX, now=datetime.now(UTC),
                         max_clock_skew=timedelta(minutes=5), known_sites=INDEX.sites)
    assert outcome.status == "accepted", outcome.errors
    assert example.incident("AB-1", "theft", NOW, 63.8, 20.3)["event_id"] == doc["event_id"]  # stable ids
