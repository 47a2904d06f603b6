"""Wording of effect estimates for people: % change always with its interval, small counts suppressed.
Shared by `trygg effect` and the report (the boards say the same in SQL); the words are in trygg.texts."""

from __future__ import annotations

import math
from collections.abc import Iterable
SMALL_COUNT = "<3"  # partner-facing output never shows 1 or 2: few enough to point at a person
MINUS = "\u2212"  # typographic minus, as Swedish print uses


def suppress_small(count: int | None) -> str:
    """A count as partners may see it: 1 and 2 become "<3"; 0 and 3+ are shown; None (not applicable) is "–"."""
    if count is None:
        return "–"
    return SMALL_COUNT if is_small(count) else str(count)


def percent(ratio: float) -> str:
    """A rate ratio as a signed whole-percent change: 0.72 -> "−28 %", 1.05 -> "+5 %", 1.0 -> "0 %"."""
    change = round((ratio - 1) * 100)
    if change == 0:
        return "0 %"
    return f"{MINUS if change < 0 else '+'}{abs(change)} %"


def is_small(count: int | None) -> bool:
    """True for the counts partner-facing output must not show (1 and 2)."""
    return count is not None and 1 <= count <= 2


def change_with_interval(
    ratio: float | None, low: float | None, high: float | None, counts: Iterable[int | None] = ()
) -> str:
    """A % change with its 95 % interval, "−28 % (−41 % till −12 %)"; "–" when there is no estimate.

    Never returns a change without its interval: without both bounds there is no estimate to show.
    `counts` are the incidents behind the estimate (for an area-vs-control ratio: all four); if any is 1 or
    2 the change is hidden too, since with the other count and the window lengths it gives that count away.
    """
    if ratio is None or low is None or high is None or not all(map(math.isfinite, (ratio, low, high))):
        return "–"
    if any(is_small(count) for count in counts):
        return "–"
    return f"{percent(ratio)} ({percent(low)} till {percent(high)})"


def rate(per_30_days: float | None, count: int | None = None) -> str:
    """Incidents per 30 days with one decimal and a decimal comma ("12,4").

    "–" when not applicable, or when `count` (the incidents behind the rate) is 1 or 2: the rate would
    give the suppressed count away.
    """
    if per_30_days is None or is_small(count):
        return "–"
    return f"{per_30_days:.1f}".replace(".", ",")


def share_percent(share: float | None) -> str:
    """A share as whole percent ("62 %"); "–" when it is not shown (too few respondents)."""
    return "–" if share is None else f"{round(share * 100)} %"


def _points(change: float) -> str:
    points = round(change * 100)
    return "0" if points == 0 else f"{MINUS if points < 0 else '+'}{abs(points)}"


def points_with_interval(change: float | None, low: float | None, high: float | None) -> str:
    """A change in share as percentage points with its 95 % interval, "+8 procentenheter (+2 till +14)"."""
    if change is None or low is None or high is None:
        return "–"
    return f"{_points(change)} procentenheter ({_points(low)} till {_points(high)})"
