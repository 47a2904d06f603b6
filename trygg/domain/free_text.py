"""Free text (an event's note) is scrubbed of personal data before it is stored, whichever way it came in:
the form, the police feed, imports and events produced to Kafka all pass `scrub_free_text` (validation)."""

from __future__ import annotations

import re

import phonenumbers

REMOVED = "[borttaget]"

# Personal identity numbers: YYMMDD-XXXX, YYMMDD+XXXX (over 100), YYYYMMDDXXXX, with or without the sign or a
# space (also around the sign); month 01-12 and day 01-31 (+60 for co-ordination numbers). Not inside longer
# digit runs.
_PERSONNUMMER = re.compile(
    r"(?<![\d])(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"(?:\s?[-+]\s?|\s)?\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Identity and phone numbers have at least 7 digits with a few separators between them: text without such a
# run (most notes) skips the phone matcher, which costs far more than the rest of validation.
_DIGIT_RUN = re.compile(r"\d(?:\D{0,4}\d){6}")


def _without_numbers(text: str) -> str:
    # VALID: phone numbers that exist in the numbering plan (Swedish without a prefix, any country with + or
    # 00), so amounts, order numbers and times are left alone.
    text = _PERSONNUMMER.sub(REMOVED, text)
    matches = list(phonenumbers.PhoneNumberMatcher(text, "SE", leniency=phonenumbers.Leniency.VALID))
    for match in reversed(matches):
        text = text[:match.start] + REMOVED + text[match.end:]
    return text


def scrub_free_text(text: str) -> str:
    """Replace e-mail addresses, personal identity numbers and phone numbers with REMOVED; trim whitespace."""
    if "@" in text:  # the address pattern backtracks over every word: only where one can be
        text = _EMAIL.sub(REMOVED, text)
    if _DIGIT_RUN.search(text):
        text = _without_numbers(text)
    return text.strip()
