"""How effect estimates are worded for people (trygg.domain.effect)."""

from __future__ import annotations

import pytest

from trygg.domain.effect import change_with_interval, percent, rate, suppress_small
from trygg.texts import verdict_label


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, "<3"), (2, "<3"), (3, "3"), (1234, "1234"), (None, "–")])
def test_small_counts_are_suppressed(count: int | None, shown: str) -> None:
    assert suppress_small(count) == shown


def test_verdicts_in_swedish() -> None:
    assert verdict_label("clear_decrease") == "tydlig minskning"
    assert verdict_label("clear_increase") == "tydlig ökning"
    assert verdict_label("no_clear_change") == "ingen tydlig förändring"
    assert verdict_label("too_few") == "för få händelser"
    assert verdict_label("clear_decrease", "en") == "clear decrease"
    with pytest.raises(KeyError):
        verdict_label("maybe")


def test_percent_change_always_comes_with_its_interval() -> None:
    assert change_with_interval(0.72, 0.59, 0.88) == "\u221228 % (\u221241 % till \u221212 %)"
    assert change_with_interval(1.3, 1.05, 1.6) == "+30 % (+5 % till +60 %)"
    assert change_with_interval(0.998, 0.8, 1.25) == "0 % (\u221220 % till +25 %)"
    # No interval, no change: a bare percentage would overstate what is known.
    assert change_with_interval(0.72, None, None) == "–"
    assert change_with_interval(None, None, None) == "–"
    assert change_with_interval(0.5, 0.1, float("inf")) == "–"
    assert percent(0.714) == "\u221229 %"
    # With a count of 1-2 behind it, the change would give that count away.
    assert change_with_interval(0.25, 0.05, 1.2, counts=(10, 2)) == "–"
    assert change_with_interval(0.25, 0.05, 1.2, counts=(10, 3)) == "\u221275 % (\u221295 % till +20 %)"


def test_rates_use_a_decimal_comma_and_hide_small_counts() -> None:
    assert rate(12.44) == "12,4"
    assert rate(None) == "–"
    assert rate(0.0, 0) == "0,0"
    assert rate(0.08, 1) == "–"  # the rate would give the suppressed count away
    assert rate(0.25, 3) == "0,2"
