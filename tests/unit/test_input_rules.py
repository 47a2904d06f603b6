"""Attacks of issue 16 on the pure rules (scope, reporters, repeats, scrubbing, JSON arrays, ids, CSRF).

Each test plays what the attacker did against 0d570b2 and asserts the refusal a user would check."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas import Agreement, IncidentEvent, RejectionReason
from schemas.agreement import agreements_from_geojson
from tests.support import AGREEMENT_A, SITE, world_agreements, world_geojson
from trygg.app.render_report import default_out
from trygg.domain.free_text import REMOVED, scrub_free_text
from trygg.domain.intake import sign_form, verify_form
from trygg.domain.placement import AreaIndex
from trygg.domain.police_intake import Agency, evaluate, split_json_array
from trygg.domain.validation import validate_event
from trygg.settings import load_settings

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INDEX = AreaIndex.from_agreements(world_agreements())
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
VINDELN = Agency.create("polisen-vindeln", "police", ["Vindeln"], [])
UMEA = Agency.create("polisen-umea", "police", ["Umeå"], [])
ALIDHEM = Agency.create("polisen-alidhem", "police", [], [AGREEMENT_A.area_id])
INSIDE_A = {"lat": 63.812, "lon": 20.292}


def doc(agency: Agency, n: int = 1, **changes: object) -> dict:
    base = {"event_id": f"5b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b{n:02d}", "schema_version": 1, "source": "police",
            "reporter": agency.agency_id, "category": "drug_dealing", "occurred_at": "2026-11-01T21:40:00+01:00",
            "reported_at": "2026-11-02T08:00:00+01:00", "location": INSIDE_A}
    return {**base, **changes}


def check(docs: list, agency: Agency | None) -> list:
    return evaluate([json.dumps(d).encode() if isinstance(d, dict) else d for d in docs], agency=agency,
                    index=INDEX, now=NOW, max_clock_skew=timedelta(minutes=5), known_sites=INDEX.sites)


def reasons(outcomes: list) -> list:
    return [(o.errors[0].field, o.errors[0].reason) if o.errors else o.status for o in outcomes]


# --- Item 1: scope by where the event lies -----------------------------------------------------------------

def test_an_agency_cannot_count_in_another_municipality_s_agreement_by_naming_its_own():
    """Vindeln's agency posted a point in Ålidhem (Umeå) labelled "Vindeln", and a Umeå site labelled so."""
    labelled = doc(VINDELN, 1, location={**INSIDE_A, "municipality": "Vindeln"})
    by_site = doc(VINDELN, 2, location={"site_id": SITE[0], "municipality": "Vindeln"})
    assert reasons(check([labelled, by_site], VINDELN)) == [("location", RejectionReason.outside_scope)] * 2
    # Ålidhem's own agency may not make it count for Vindeln either; Umeå's may report the plain point.
    assert reasons(check([labelled], Agency.create(
        "polisen-alidhem", "police", [], [AGREEMENT_A.area_id], ["polisen-vindeln"]))) == [
        ("location", RejectionReason.outside_scope)]
    assert reasons(check([doc(UMEA, 3), doc(UMEA, 4, location={**INSIDE_A, "municipality": "Umeå"})], UMEA)) == [
        "accepted", "accepted"]
    assert reasons(check([doc(ALIDHEM, 5)], ALIDHEM)) == ["accepted"]
    # Outside every agreement and control area only the name is known: its own municipality is fine.
    coarse = doc(VINDELN, 6, location={"lat": 64.2, "lon": 19.72, "municipality": "Vindeln"})
    assert reasons(check([coarse], VINDELN)) == ["accepted"]


# --- Item 3: reporters bound to the credential ----------------------------------------------------------

def test_an_agency_cannot_report_as_a_shop_s_reporter():
    """A police token reported as `ica-alidhem`, raising the board's "active police reporters"."""
    assert reasons(check([doc(UMEA, 1, reporter="ica-alidhem")], UMEA)) == [("reporter", RejectionReason.outside_scope)]
    stations = Agency.create("polisen-umea", "police", ["Umeå"], [], ["polisen-umea-city"])
    assert reasons(check([doc(UMEA, 2, reporter="polisen-umea-city")], stations)) == ["accepted"]


# --- Item 7: notes scrubbed wherever they come from ------------------------------------------------------

def readme_scrub_formats() -> list[str]:
    listed = README.split("before it is stored anywhere. Scrubbed", 1)[1].split("Kept:", 1)[0]
    return [f for f in re.findall(r"`([^`]+)`", listed) if f not in (REMOVED, "phonenumbers", "+", "00")]


def test_the_readme_lists_the_formats_tested():
    assert len(readme_scrub_formats()) >= 25


@pytest.mark.parametrize("personal", readme_scrub_formats())
def test_every_format_the_readme_lists_is_scrubbed(personal: str) -> None:
    assert scrub_free_text(f"Hon sa {personal} igår") == f"Hon sa {REMOVED} igår"


@pytest.mark.parametrize("harmless", [
    "Kvitto 4455667788", "AB-247803-26", "kl 14.30-15.45", "pris 1 234 567 kr", "2024-05-01 14:30:00",
])
def test_amounts_times_and_references_are_kept(harmless: str) -> None:
    assert scrub_free_text(harmless) == harmless


def test_a_note_that_arrives_by_kafka_or_the_feed_is_scrubbed_in_validation():
    """Only the form scrubbed: a note sent to the feed, an import or Kafka was stored as it came."""
    raw = json.dumps(doc(UMEA, 1, note="Ring 070.123.45.67 eller 19121212-1212, mejla a@b.se")).encode()
    event = validate_event(raw, now=NOW, max_clock_skew=timedelta(minutes=5), known_sites=())
    assert isinstance(event, IncidentEvent)
    assert event.note == f"Ring {REMOVED} eller {REMOVED}, mejla {REMOVED}"
    [outcome] = check([raw], UMEA)
    assert outcome.event.note == event.note


# --- Item 5: JSON arrays answer per item -------------------------------------------------------------------

def test_one_bad_item_of_a_json_array_is_that_item_s_rejection_not_the_batch_s():
    """A lone surrogate escape or a 5,000-digit integer made the whole array a 400."""
    good = [json.dumps(doc(UMEA, n)) for n in range(1, 99)]
    surrogate = json.dumps(doc(UMEA, 99, external_id="X")).replace('"X"', '"\\ud800"')
    huge = json.dumps(doc(UMEA, 98)).replace('"schema_version": 1', '"schema_version": ' + "9" * 5000)
    body = ("[" + ",".join([*good[:50], surrogate, *good[50:], huge]) + "]").encode()
    outcomes = check(split_json_array(body), UMEA)
    assert len(outcomes) == 100
    assert [o.status for o in outcomes].count("accepted") == 98
    assert reasons([outcomes[50], outcomes[99]]) == [("", RejectionReason.invalid_json)] * 2
    for not_an_array in (b'{"a": 1}', b"[1, 2", b"", b"x[1]"):
        with pytest.raises(ValueError):
            split_json_array(not_an_array)


def test_an_array_that_is_not_well_formed_json_is_refused_whole_not_split_by_guess():
    """A junk item with a comma in it (`#,`) was split into two items: 3 sent, 4 answered."""
    good, other = json.dumps(doc(UMEA, 1)), json.dumps(doc(UMEA, 2))
    with pytest.raises(ValueError, match="line 1, column"):
        split_json_array(f"[{good},#,x,{other}]".encode())
    broken_utf8 = good.replace('"drug_dealing"', '"drug\xff"').encode("latin-1")  # no UTF-8, inside a string
    outcomes = check(split_json_array(b"[" + broken_utf8 + b"," + other.encode() + b"]"), UMEA)
    assert [o.status for o in outcomes] == ["rejected", "accepted"]
    assert reasons(outcomes[:1]) == [("", RejectionReason.invalid_json)]


# --- Item 10: ids that are paths, CSRF in other digits -----------------------------------------------------

def test_dot_dot_is_no_agreement_id_and_no_report_folder():
    """`agreement_id: ".."` passed the identifier pattern, so `trygg report --agreement ..` wrote into STATE_DIR."""
    geojson = world_geojson()
    for feature in geojson["features"]:
        if feature["properties"].get("agreement_id") == AGREEMENT_A.area_id:
            feature["properties"]["agreement_id"] = ".."
    with pytest.raises(ValidationError, match="agreement_id"):
        agreements_from_geojson(geojson)
    with pytest.raises(ValidationError, match="agreement_id"):
        Agreement.model_validate({**world_agreements()[0].model_dump(mode="json"), "agreement_id": ".."})
    with pytest.raises(LookupError):
        default_out(load_settings(), "..")
    assert default_out(load_settings(), "umea-alidhem").name == "umea-alidhem"


@pytest.mark.parametrize("digits", ["١٧٠٠٠٠٠٠٠٠", "¹²³", "１２３"])
def test_a_csrf_token_in_other_digits_is_an_expired_form_not_an_error(digits: str) -> None:
    """A CSRF timestamp in non-ASCII digits made verify_form raise (HTTP 500)."""
    token = sign_form("secret", "link", "nonce", 1000)
    forged = digits + "." + token.split(".", 1)[1]
    assert verify_form("secret", "link", "nonce", forged, now=1100, max_age_s=3600) is False
    assert verify_form("secret", "link", "nonce", token + "é", now=1100, max_age_s=3600) is False
