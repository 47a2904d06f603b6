"""Grafana's PostgreSQL macros and template variables, expanded as Grafana documents them, so tests and the
benchmark run a panel's SQL exactly as Grafana would send it. Not used by Grafana itself.

Covered: $__timeFilter(col), $__timeFrom(), $__timeTo(), $__timeGroup(col, interval[, fill]) and
$__timeGroupAlias, $__unixEpochFilter(col), $__interval, $__interval_ms, and variables as $var, ${var},
${var:sqlstring}, ${var:csv}, ${var:raw}, ${var:singlequote}. A plain $var of a multi-value variable is
quoted and comma-separated like sqlstring (Grafana's default format for SQL data sources).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

Value = str | Sequence[str]

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def interval_seconds(text: str) -> float:
    """Grafana interval text ("5m", "1h", "100ms") in seconds."""
    match = re.fullmatch(r"\s*'?(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)'?\s*", text)
    if match is None:
        raise ValueError(f"not a Grafana interval: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def grafana_interval(start: datetime, end: datetime, max_data_points: int = 1000, minimum: str = "1s") -> str:
    """$__interval as Grafana computes it: the range over max data points, rounded to a 'nice' step."""
    raw = max((end - start).total_seconds() / max_data_points, interval_seconds(minimum))
    steps = [("ms", 0.001 * n) for n in (10, 20, 50, 100, 200, 500)] + [
        ("s", n) for n in (1, 2, 5, 10, 15, 20, 30)] + [("m", 60 * n) for n in (1, 2, 5, 10, 15, 20, 30)] + [
        ("h", 3600 * n) for n in (1, 2, 3, 6, 12)] + [("d", 86400 * n) for n in (1, 7, 30)] + [("y", 31536000)]
    for unit, seconds in steps:
        if raw <= seconds:
            return f"{round(seconds / _UNITS[unit])}{unit}"
    return "1y"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _format(value: Value, fmt: str | None) -> str:
    values = [value] if isinstance(value, str) else list(value)
    if fmt in (None, "sqlstring", "singlequote"):
        return ",".join(_quote(v) for v in values) if (fmt or not isinstance(value, str)) else value
    if fmt in ("csv", "raw"):
        return ",".join(values)
    raise ValueError(f"variable format {fmt!r} is not supported here")


def _split_args(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


def expand(sql: str, variables: Mapping[str, Value], start: datetime, end: datetime,
           interval: str | None = None) -> str:
    """The SQL Grafana sends for `sql` with these variable values and this dashboard time range."""
    interval = interval or grafana_interval(start, end)
    step = interval_seconds(interval)

    # Variables first, as Grafana's template service runs before the data source's macro engine.
    def variable(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        if name.startswith("__"):
            return match.group(0)  # a built-in: handled below
        if name not in variables:
            raise KeyError(f"variable ${name} has no value")
        return _format(variables[name], match.group("fmt"))

    sql = re.sub(r"\$\{(?P<braced>\w+)(?::(?P<fmt>\w+))?\}|\$(?P<plain>\w+)", variable, sql)
    sql = sql.replace("$__interval_ms", str(int(step * 1000))).replace("$__interval", interval)

    def time_group(match: re.Match[str]) -> str:
        args = _split_args(match.group(2))
        seconds = int(interval_seconds(args[1]))
        group = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
        return group + (' AS "time"' if match.group(1) == "Alias" else "")

    sql = re.sub(r"\$__timeGroup(Alias)?\(([^)]*)\)", time_group, sql)
    sql = re.sub(
        r"\$__timeFilter\(([^)]*)\)",
        lambda m: f"{m.group(1).strip()} BETWEEN '{_rfc3339(start)}' AND '{_rfc3339(end)}'",
        sql,
    )
    sql = re.sub(
        r"\$__unixEpochFilter\(([^)]*)\)",
        lambda m: f"{m.group(1).strip()} >= {int(start.timestamp())} AND {m.group(1).strip()} <= {int(end.timestamp())}",
        sql,
    )
    sql = sql.replace("$__timeFrom()", f"'{_rfc3339(start)}'").replace("$__timeTo()", f"'{_rfc3339(end)}'")
    if "$__" in sql:
        raise ValueError(f"unexpanded macro in: {sql}")
    return sql

