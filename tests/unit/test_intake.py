"""The report form's pure rules: scrubbing free text, signed form tokens, receipts, field checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from trygg.domain.free_text import REMOVED, scrub_free_text
from trygg.domain.intake import derived_event_ids, parse_report, reference_code, sign_form, verify_form


@pytest.mark.parametrize("personal", [
    "19121212-1212", "121212-1212", "121212+1212", "191212121212", "1212121212", "20051231-0004",
    "121272-1212",  # co-ordination number (day + 60)
    "070-123 45 67", "0701234567", "070 123 45 67", "+46 70 123 45 67", "+46701234567", "0046 70-123 45 67",
    "090-12 34 56", "08-123 456 78", "08/123 456 78", "+46 (0)70 123 45 67",
    "anna.svensson@example.se", "a+b@sub.example.com",
])
def test_personal_data_is_replaced(personal: str) -> None:
    assert scrub_free_text(f"Hon sa {personal} igår") == f"Hon sa {REMOVED} igår"


@pytest.mark.parametrize("harmless", [
    "Två personer, 3 flaskor, förlust 450 kr", "Hände 2024-05-01 kl 14:30", "Kassa 2 och 12 minuter senare",
    "Ordernummer 123", "100000 kronor", "Röd jacka, cirka 20 år",
])
def test_ordinary_text_is_kept(harmless: str) -> None:
    assert scrub_free_text(harmless) == harmless


def test_csrf_token_is_bound_to_link_nonce_and_age() -> None:
    token = sign_form("secret", "link-hash", "nonce-1", 1000)
    assert verify_form("secret", "link-hash", "nonce-1", token, now=1100, max_age_s=3600)
    assert not verify_form("other-secret", "link-hash", "nonce-1", token, now=1100, max_age_s=3600)
    assert not verify_form("secret", "other-link", "nonce-1", token, now=1100, max_age_s=3600)
    assert not verify_form("secret", "link-hash", "nonce-2", token, now=1100, max_age_s=3600)
    assert not verify_form("secret", "link-hash", "nonce-1", token, now=1000 + 3601, max_age_s=3600)
    assert not verify_form("secret", "link-hash", "nonce-1", "999" + token[4:], now=1100, max_age_s=3600)
    assert not verify_form("secret", "link-hash", "nonce-1", "garbage", now=1100, max_age_s=3600)


def test_reference_codes_are_short_readable_and_stable() -> None:
    event_id = uuid.UUID("5b0e9f0e-3a51-4d6c-9f5e-2a9d1c7e8b10")
    assert reference_code(event_id) == reference_code(event_id)
    code = reference_code(event_id)
    assert len(code) == 9 and code[4] == "-" and set(code.replace("-", "")) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert len({reference_code(uuid.uuid4()) for _ in range(1000)}) == 1000


def test_a_report_of_several_incidents_gets_stable_distinct_ids() -> None:
    first = uuid.uuid4()
    ids = derived_event_ids(first, 3)
    assert ids[0] == first and len(set(ids)) == 3 and ids == derived_event_ids(first, 3)


NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # 14:00 in Stockholm
VALID = {"category": "shoplifting", "date": "2024-05-01", "time": "13:30", "where": "site-a"}


def test_a_valid_form_is_read_in_swedish_time() -> None:
    report, errors = parse_report({**VALID, "count": "3", "loss": "450", "police": "yes",
                                   "police_reference": "5000-K123456-24", "note": " ring 0701234567 "},
                                  now=NOW, max_count=20)
    assert errors == {}
    assert report.occurred_at == datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    assert (report.site_id, report.count, report.estimated_loss, report.police_reported) == ("site-a", 3, 450, True)
    assert report.note == f"ring {REMOVED}"


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"category": ""}, "category", "category_missing"),
    ({"category": "jaywalking"}, "category", "category_unknown"),
    ({"time": "14:01"}, "when", "when_future"),
    ({"date": "1999-12-31"}, "when", "when_too_old"),
    ({"date": "1 maj"}, "when", "when_invalid"),
    ({"where": ""}, "where", "where_missing"),
    ({"where": "pin", "lat": "63,8", "lon": ""}, "where", "pin_invalid"),
    ({"where": "pin", "lat": "56.5", "lon": "3.1"}, "where", "pin_outside_sweden"),  # the North Sea
    ({"count": "0"}, "count", "count_invalid"),
    ({"count": "2.5"}, "count", "count_invalid"),
    ({"count": "21"}, "count", "count_invalid"),
    ({"loss": "-5"}, "loss", "loss_invalid"),
    ({"police": "no", "police_reference": "K1"}, "police_reference", "reference_without_report"),
    ({"police": "yes", "police_reference": "<script>"}, "police_reference", "reference_invalid"),
    ({"note": "x" * 501}, "note", "note_too_long"),
])
def test_each_mistake_is_reported_at_its_field(change: dict, field: str, code: str) -> None:
    report, errors = parse_report({**VALID, **change}, now=NOW, max_count=20)
    assert report is None and errors == {field: code}
