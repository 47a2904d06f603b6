"""Time buckets. Counts are kept per UTC hour; calendar buckets are Europe/Stockholm days, weeks, months.

Sweden's offsets are whole hours (+01:00, +02:00 in summer), so every Stockholm day is an exact union of
UTC hours: 24 of them, 23 on the last Sunday of March, 25 on the last Sunday of October.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def hour_bucket(moment: datetime) -> datetime:
    """The start (UTC) of the hour containing `moment` (which must be timezone-aware)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_bucket(moment: datetime) -> datetime:
    """The start of the Europe/Stockholm calendar day containing `moment`, as an aware datetime."""
    local = moment.astimezone(STOCKHOLM)
    return datetime(local.year, local.month, local.day, tzinfo=STOCKHOLM)


def day_length(day_start: datetime) -> timedelta:
    """Real elapsed time of the Stockholm day starting at `day_start` (23, 24 or 25 hours)."""
    local = day_start.astimezone(STOCKHOLM)
    following = datetime(local.year, local.month, local.day, tzinfo=STOCKHOLM) + timedelta(days=1)
    nxt = datetime(following.year, following.month, following.day, tzinfo=STOCKHOLM)
    return nxt.astimezone(UTC) - local.astimezone(UTC)
