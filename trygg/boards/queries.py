"""Every SQL query the Grafana boards run, in one place, so tests and the benchmark run exactly these.

Queries use Grafana's PostgreSQL macros and variable formats ($__timeFilter, $__timeFrom(), $__interval_ms,
${var:sqlstring}); trygg.boards.macros expands them as Grafana does. They read only what trygg_reader may
read: the count rollups, agreement metadata, the effect functions, the aggregate functions of
migrations/0009_boards.sql and 0011_board_aggregates.sql and the perceived-safety functions of
0013_perceived_safety.sql. Partner-facing queries never return a count of 1 or
2 (NULL instead, which the panels show as "<3") and show a % change only together with its 95 % interval.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import SourceKind
from schemas.survey import PRIMARY_QUESTION
from trygg import texts
from trygg.texts import BOARD

ALL_SOURCES = "*"  # the $source option meaning "every source" (the effect functions take NULL for it)


def _sv(entry: texts.Text) -> str:
    """A catalogue entry as a board shows it: Swedish, capitalised (as a cell or a legend starts)."""
    return texts.pick(entry).capitalize()


@dataclass(frozen=True)
class Query:
    """One panel's (or variable's, or annotation's) SQL and how Grafana reads its result."""

    key: str
    sql: str
    format: str = "table"  # Grafana's "table" or "time_series"
    partner_facing: bool = True


def suppressed(expr: str) -> str:
    """A count with 1 and 2 replaced by NULL (shown as "<3"): small counts can point at one person."""
    return f"(CASE WHEN ({expr}) BETWEEN 1 AND 2 THEN NULL ELSE ({expr}) END)::bigint"


def _rate(rate: str, count: str) -> str:
    # A rate reveals its count (rate x days / 30), so it is suppressed with it.
    return f"CASE WHEN ({count}) BETWEEN 1 AND 2 THEN NULL ELSE round(({rate})::numeric, 1) END"


def _pct(ratio: str) -> str:
    return f"concat(CASE WHEN ({ratio}) > 1 THEN '+' END, round(((({ratio}) - 1) * 100)::numeric)::text, ' %')"


def change_text(ratio: str, low: str, high: str) -> str:
    """"-23 % (95 % KI -40 % till -2 %)": a change never without its interval."""
    ci, to = texts.text(BOARD, "ci"), texts.text(BOARD, "to")
    return (f"CASE WHEN ({ratio}) IS NULL OR ({low}) IS NULL OR ({high}) IS NULL THEN '–' "
            f"ELSE concat({_pct(ratio)}, ' ({ci} ', {_pct(low)}, ' {to} ', {_pct(high)}, ')') END")


def verdict_text(verdict: str) -> str:
    cases = " ".join(f"WHEN '{key}' THEN '{_sv(label)}'" for key, label in texts.VERDICTS.items())
    return f"CASE {verdict} {cases} END"


def source_filter(column: str) -> str:
    return "(${source:sqlstring} = '" + ALL_SOURCES + "' OR " + column + " = ${source:sqlstring})"


def _by_scope(scope: str, agreement: str, control: str) -> str:
    """The BOARD wording `agreement` for a row of the agreement's own area, else `control`."""
    return f"CASE {scope} WHEN 'agreement' THEN '{texts.text(BOARD, agreement)}' ELSE '{texts.text(BOARD, control)}' END"


EFFECT = "effect_estimates(${agreement:sqlstring}, NULLIF(${source:sqlstring}, '" + ALL_SOURCES + "'))"
_SOURCE_VALUES = ", ".join(f"('{s.value}', '{texts.source_label(s)}')" for s in SourceKind)

# --- variables ------------------------------------------------------------------------------------

VAR_AGREEMENT = Query("var_agreement", "SELECT agreement_id AS __value, name AS __text FROM agreements ORDER BY name")
VAR_CATEGORY = Query("var_category", "SELECT category AS __value, label_sv AS __text FROM categories ORDER BY position")
VAR_SOURCE = Query(
    "var_source",
    f"SELECT * FROM (VALUES ('{ALL_SOURCES}', '{_sv(texts.ALL_SOURCES)}'), {_SOURCE_VALUES}) AS s(__value, __text)",
)
VAR_MUNICIPALITY = Query(
    "var_municipality", "SELECT DISTINCT municipality AS __value FROM agreements ORDER BY 1"
)

# --- agreement board ------------------------------------------------------------------------------

ANNOTATIONS = Query(
    "annotations",
    f"""SELECT (a.signed_at::timestamp AT TIME ZONE 'Europe/Stockholm') AS time,
       '{texts.text(BOARD, 'signed_event')}' AS text, '{texts.text(BOARD, 'signed_tag')}' AS tags
FROM agreements a WHERE a.agreement_id = ${{agreement:sqlstring}}
UNION ALL
SELECT (m.starts_on::timestamp AT TIME ZONE 'Europe/Stockholm'), concat('{texts.text(BOARD, 'measure_event')}: ', m.description), '{texts.text(BOARD, 'measure_tag')}'
FROM measures m WHERE m.agreement_id = ${{agreement:sqlstring}}
ORDER BY 1, 2""",
)

HEADLINE = Query(
    "headline",
    f"""SELECT {_by_scope('e.area_scope', 'in_area', 'vs_control_areas')}
         AS "{texts.text(BOARD, 'comparison')}",
       {change_text('e.rate_ratio', 'e.ci_low', 'e.ci_high')} AS "{texts.text(BOARD, 'change')}",
       {verdict_text('e.verdict')} AS "{texts.text(BOARD, 'verdict')}"
FROM {EFFECT} e
WHERE e.category IS NULL AND e.area_scope IN ('agreement', 'relative')
ORDER BY e.area_scope""",
)


def _scoped(column: str, scope: str) -> str:
    return f"max({column}) FILTER (WHERE e.area_scope = '{scope}')"


# The area's change and the change against its control areas, each with its interval and verdict (the effect
# table and the overview show the same four columns).
_CHANGE_COLUMNS = f"""       {change_text(_scoped('e.rate_ratio', 'agreement'), _scoped('e.ci_low', 'agreement'),
                    _scoped('e.ci_high', 'agreement'))} AS "{texts.text(BOARD, 'change_in_area')}",
       {verdict_text(_scoped('e.verdict', 'agreement'))} AS "{texts.text(BOARD, 'verdict')}",
       {change_text(_scoped('e.rate_ratio', 'relative'), _scoped('e.ci_low', 'relative'),
                    _scoped('e.ci_high', 'relative'))} AS "{texts.text(BOARD, 'change_vs_control')}",
       {verdict_text(_scoped('e.verdict', 'relative'))} AS "{texts.text(BOARD, 'verdict_vs_control')}\""""


EFFECT_TABLE = Query(
    "effect_table",
    f"""SELECT c.label_sv AS "{texts.text(BOARD, 'category')}",
       {suppressed(_scoped('e.before_incidents', 'agreement'))} AS "{texts.text(BOARD, 'before')}",
       {suppressed(_scoped('e.after_incidents', 'agreement'))} AS "{texts.text(BOARD, 'after')}",
       {_rate(_scoped('e.before_per_30d', 'agreement'), _scoped('e.before_incidents', 'agreement'))}
         AS "{texts.text(BOARD, 'before_per_30d')}",
       {_rate(_scoped('e.after_per_30d', 'agreement'), _scoped('e.after_incidents', 'agreement'))}
         AS "{texts.text(BOARD, 'after_per_30d')}",
{_CHANGE_COLUMNS}
FROM {EFFECT} e JOIN categories c ON c.category = e.category
WHERE e.category IN (${{category:sqlstring}})
GROUP BY c.label_sv, c.position
ORDER BY c.position""",
)

WEEKLY = Query(
    "weekly",
    f"""SELECT w.bucket AS time, c.label_sv AS metric, {suppressed('sum(w.incidents)')} AS value
FROM incident_counts_weekly w JOIN categories c ON c.category = w.category
WHERE w.area_id = ${{agreement:sqlstring}} AND $__timeFilter(w.bucket)
  AND w.category IN (${{category:sqlstring}}) AND {source_filter('w.source')}
GROUP BY w.bucket, c.label_sv
ORDER BY 1, 2""",
    format="time_series",
)

BEFORE_AFTER = Query(
    "before_after",
    f"""SELECT c.label_sv AS "{texts.text(BOARD, 'category')}",
       {_rate('e.before_per_30d', 'e.before_incidents')} AS "{texts.text(BOARD, 'before_per_30d_bar')}",
       {_rate('e.after_per_30d', 'e.after_incidents')} AS "{texts.text(BOARD, 'after_per_30d_bar')}"
FROM {EFFECT} e JOIN categories c ON c.category = e.category
WHERE e.area_scope = 'agreement' AND e.category IN (${{category:sqlstring}})
ORDER BY c.position""",
)

# Monthly incidents in the agreement area and in its control areas (pooled), each as an index: 100 = its
# mean month in the 12 months before signing. The areas are given as an array (not a join) so that the
# filter is an index condition on the rollup (and reaches into the continuous aggregate on TimescaleDB).
# Index values are not counts, so they are not suppressed; a series whose before-period is empty has no index.
AREA_VS_CONTROL = Query(
    "area_vs_control",
    f"""WITH agreement AS (
    SELECT agreement_id, signed_at FROM agreements WHERE agreement_id = ${{agreement:sqlstring}}
), monthly AS (
    SELECT m.bucket, s.scope AS kind, sum(m.incidents) AS incidents
    FROM incident_counts_monthly m
    JOIN agreement_scopes s ON s.area_id = m.area_id AND s.agreement_id = ${{agreement:sqlstring}}
    WHERE m.area_id = ANY (ARRAY(SELECT area_id FROM agreement_scopes WHERE agreement_id = ${{agreement:sqlstring}}))
      AND m.category IN (${{category:sqlstring}}) AND {source_filter('m.source')}
    GROUP BY m.bucket, s.scope
), base AS (
    SELECT mo.kind, sum(mo.incidents) / 12.0 AS mean_month
    FROM monthly mo, agreement g
    WHERE mo.bucket >= ((g.signed_at - interval '12 months')::timestamp AT TIME ZONE 'Europe/Stockholm')
      AND mo.bucket < (g.signed_at::timestamp AT TIME ZONE 'Europe/Stockholm')
    GROUP BY mo.kind
)
SELECT mo.bucket AS time,
       {_by_scope('mo.kind', 'area', 'control_areas')} AS metric,
       round((100 * mo.incidents / b.mean_month)::numeric, 1) AS value
FROM monthly mo JOIN base b ON b.kind = mo.kind AND b.mean_month > 0
WHERE $__timeFilter(mo.bucket)
ORDER BY 1, 2""",
    format="time_series",
)

REPORTING = Query(
    "reporting",
    f"""SELECT CASE r.period WHEN 'before' THEN '{_sv(texts.PERIODS["before"])}' ELSE '{_sv(texts.PERIODS["after"])}' END AS "{texts.text(BOARD, 'period')}",
       coalesce(s.label, r.source) AS "{texts.text(BOARD, 'source')}",
       {suppressed('r.active_reporters')} AS "{texts.text(BOARD, 'active_reporters')}",
       {suppressed('r.reports')} AS "{texts.text(BOARD, 'reports')}",
       {_rate('r.reports_per_reporter', 'r.reports')} AS "{texts.text(BOARD, 'reports_per_reporter')}"
FROM reporting_activity(${{agreement:sqlstring}}) r
LEFT JOIN (VALUES {_SOURCE_VALUES}) AS s(source, label) ON s.source = r.source
ORDER BY r.source, r.period DESC""",
)

POLICE_VS_ALL = Query(
    "police_vs_all",
    f"""SELECT e.sources AS "{texts.text(BOARD, 'sources')}",
       {suppressed('e.before_incidents')} AS "{texts.text(BOARD, 'before')}", {suppressed('e.after_incidents')} AS "{texts.text(BOARD, 'after')}",
       {change_text('e.rate_ratio', 'e.ci_low', 'e.ci_high')} AS "{texts.text(BOARD, 'change_in_area')}",
       {verdict_text('e.verdict')} AS "{texts.text(BOARD, 'verdict')}"
FROM (
    SELECT 1 AS position, '{_sv(texts.ALL_SOURCES)}' AS sources, * FROM effect_estimates(${{agreement:sqlstring}}, NULL)
    UNION ALL
    SELECT 2, '{_sv(texts.POLICE_ONLY)}', * FROM effect_estimates(${{agreement:sqlstring}}, 'police')
) e
WHERE e.category IS NULL AND e.area_scope = 'agreement'
ORDER BY e.position""",
)

MAP = Query(
    "map",
    f"""SELECT g.lat, g.lon, g.incidents AS "{texts.text(BOARD, 'incidents')}"
FROM incident_grid(${{agreement:sqlstring}}, $__timeFrom(), $__timeTo(), ARRAY[${{category:sqlstring}}],
                   NULLIF(${{source:sqlstring}}, '{ALL_SOURCES}')) g
ORDER BY 1, 2""",
)

# --- perceived safety (trygghet) ------------------------------------------------------------------

# The verdicts' wording is the catalogue's (trygg.texts), capitalised for table cells.
SAFETY_VERDICTS_SV = {key: _sv(text) for key, text in texts.SAFETY_VERDICTS.items()}


def _points(value: str) -> str:
    return f"concat(CASE WHEN ({value}) > 0 THEN '+' END, round((({value}) * 100)::numeric)::text)"


def points_text(change: str, low: str, high: str) -> str:
    """"+8 procentenheter (95 % KI +2 till +14)": a change in share never without its interval."""
    points, ci, to = (texts.text(BOARD, key) for key in ("percentage_points", "ci", "to"))
    return (f"CASE WHEN ({change}) IS NULL OR ({low}) IS NULL OR ({high}) IS NULL THEN '–' "
            f"ELSE concat({_points(change)}, ' {points} ({ci} ', {_points(low)}, ' {to} ', {_points(high)},"
            f" ')') END")


def safety_verdict_text(verdict: str) -> str:
    cases = " ".join(f"WHEN '{key}' THEN '{label}'" for key, label in SAFETY_VERDICTS_SV.items())
    return f"CASE {verdict} {cases} END"


def _share(value: str) -> str:
    return f"round((({value}) * 100)::numeric)"


# Per question: the share feeling safe before and after (empty when too few answered), the change in the area
# and against its control areas, each with its interval and verdict (survey_estimates suppresses and decides).
SAFETY_TABLE = Query(
    "safety_table",
    f"""SELECT q.text_sv AS "{texts.text(BOARD, 'question')}",
       {_share(_scoped('e.before_share', 'agreement'))} AS "{texts.text(BOARD, 'safe_before')}",
       {_share(_scoped('e.after_share', 'agreement'))} AS "{texts.text(BOARD, 'safe_after')}",
       {points_text(_scoped('e.share_change', 'agreement'), _scoped('e.share_ci_low', 'agreement'),
                    _scoped('e.share_ci_high', 'agreement'))} AS "{texts.text(BOARD, 'change_in_area')}",
       {safety_verdict_text(_scoped('e.verdict', 'agreement'))} AS "{texts.text(BOARD, 'verdict')}",
       {points_text(_scoped('e.share_change', 'relative'), _scoped('e.share_ci_low', 'relative'),
                    _scoped('e.share_ci_high', 'relative'))} AS "{texts.text(BOARD, 'change_vs_control')}",
       {safety_verdict_text(_scoped('e.verdict', 'relative'))} AS "{texts.text(BOARD, 'verdict_vs_control')}"
FROM survey_estimates(${{agreement:sqlstring}}) e JOIN survey_questions q ON q.question_id = e.question_id
GROUP BY q.text_sv, q.position
ORDER BY q.position""",
)

# The headline question's share feeling safe per wave, with its 95 % interval, in the area and in its control
# areas; each wave at the middle of its fielding period (the signing and measures are the board's annotations).
SAFETY_WAVES = Query(
    "safety_waves",
    f"""SELECT w.time, concat({_by_scope('w.area_scope', 'area', 'control_areas')}, v.part)
         AS metric, round((v.value * 100)::numeric, 1) AS value
FROM (
    SELECT ((s.fielded_from + (s.fielded_until - s.fielded_from) / 2)::timestamp AT TIME ZONE 'Europe/Stockholm')
               AS time, s.*
    FROM survey_wave_shares(${{agreement:sqlstring}}, '{PRIMARY_QUESTION}') s
) w
CROSS JOIN LATERAL (VALUES ('', w.share), (', {texts.text(BOARD, 'ci_low')}', w.ci_low), (', {texts.text(BOARD, 'ci_high')}', w.ci_high)) AS v(part, value)
WHERE v.value IS NOT NULL AND $__timeFilter(w.time)
ORDER BY 1, 2""",
    format="time_series",
)

# The partner form's pulse question per month: taps and the share answering 4-5 (suppressed when few).
PULSE = Query(
    "pulse",
    f"""SELECT (p.month::timestamp AT TIME ZONE 'Europe/Stockholm') AS time, p.answers AS "{texts.text(BOARD, 'answers')}",
       round((p.share_safe * 100)::numeric, 1) AS "{texts.text(BOARD, 'share_safe')}", round(p.mean_answer::numeric, 2) AS "{texts.text(BOARD, 'mean_answer')}"
FROM pulse_monthly(${{agreement:sqlstring}}, ($__timeFrom() AT TIME ZONE 'Europe/Stockholm')::date,
                   ($__timeTo() AT TIME ZONE 'Europe/Stockholm')::date + 1) p
ORDER BY 1""",
)

# --- municipality overview ------------------------------------------------------------------------

OVERVIEW = Query(
    "overview",
    f"""SELECT a.name AS "{texts.text(BOARD, 'agreement')}", a.municipality AS "{texts.text(BOARD, 'municipality')}", a.signed_at AS "{texts.text(BOARD, 'signed')}",
       {suppressed(_scoped('e.before_incidents', 'agreement'))} AS "{texts.text(BOARD, 'before')}",
       {suppressed(_scoped('e.after_incidents', 'agreement'))} AS "{texts.text(BOARD, 'after')}",
{_CHANGE_COLUMNS},
       coalesce(max(t.safety), '–') AS "{texts.text(BOARD, 'safety_in_area')}"
FROM effect_estimates_many(ARRAY(SELECT agreement_id FROM agreements
                                 WHERE municipality IN (${{municipality:sqlstring}})), p_totals_only => true) e
JOIN agreements a ON a.agreement_id = e.agreement_id
LEFT JOIN LATERAL (
    SELECT concat({points_text('s.share_change', 's.share_ci_low', 's.share_ci_high')}, ': ',
                  {safety_verdict_text('s.verdict')}) AS safety
    FROM survey_estimates(a.agreement_id, '{PRIMARY_QUESTION}') s WHERE s.area_scope = 'agreement'
) t ON true
WHERE e.category IS NULL
GROUP BY a.agreement_id, a.name, a.municipality, a.signed_at
ORDER BY a.municipality, a.name""",
)

TREND = Query(
    "trend",
    f"""SELECT m.bucket AS time, a.name AS metric, {suppressed('sum(m.incidents)')} AS value
FROM incident_counts_monthly m JOIN agreements a ON a.agreement_id = m.area_id
WHERE m.area_id = ANY (ARRAY(SELECT agreement_id FROM agreements
                             WHERE municipality IN (${{municipality:sqlstring}})))
  AND $__timeFilter(m.bucket)
GROUP BY m.bucket, a.name
ORDER BY 1, 2""",
    format="time_series",
)

# --- pipeline health (operators only) -------------------------------------------------------------

INGEST = Query(
    "ingest",
    """SELECT s.bucket AS time, s.source AS metric, s.events AS value
FROM ingest_stats($__timeFrom(), $__timeTo(), $__interval_ms * interval '1 millisecond') s
ORDER BY 1, 2""",
    format="time_series",
    partner_facing=False,
)

DELAY = Query(
    "delay",
    f"""SELECT s.bucket AS time, d.metric, d.value
FROM ingest_stats($__timeFrom(), $__timeTo(), $__interval_ms * interval '1 millisecond') s
CROSS JOIN LATERAL (VALUES (concat(s.source, ' {texts.text(BOARD, 'delay_median')}'), s.delay_p50_s),
                           (concat(s.source, ' {texts.text(BOARD, 'delay_p95')}'), s.delay_p95_s)) AS d(metric, value)
ORDER BY 1, 2""",
    format="time_series",
    partner_facing=False,
)

REJECTED = Query(
    "rejected",
    """SELECT $__timeGroupAlias(rejected_at, $__interval), reason AS metric, count(*) AS value
FROM rejected_events
WHERE $__timeFilter(rejected_at)
GROUP BY 1, 2
ORDER BY 1, 2""",
    format="time_series",
    partner_facing=False,
)

LAST_EVENT = Query(
    "last_event",
    f"""SELECT coalesce(s.label, l.source) AS "{texts.text(BOARD, 'source')}", l.last_stored_at AS "{texts.text(BOARD, 'last_stored')}",
       l.last_occurred_at AS "{texts.text(BOARD, 'last_occurred')}"
FROM last_event_per_source() l LEFT JOIN (VALUES {_SOURCE_VALUES}) AS s(source, label) ON s.source = l.source
ORDER BY l.source""",
    partner_facing=False,
)

VARIABLES = (VAR_AGREEMENT, VAR_CATEGORY, VAR_SOURCE, VAR_MUNICIPALITY)
AGREEMENT_PANELS = (HEADLINE, EFFECT_TABLE, WEEKLY, BEFORE_AFTER, AREA_VS_CONTROL, REPORTING, POLICE_VS_ALL, MAP,
                    SAFETY_TABLE, SAFETY_WAVES, PULSE)
MUNICIPALITY_PANELS = (OVERVIEW, TREND)
OUTBOX = Query(
    "outbox",
    f"""SELECT unsent AS "{texts.text(BOARD, 'outbox_unsent')}",
       round(oldest_unsent_s) AS "{texts.text(BOARD, 'outbox_oldest_unsent')}",
       unconfirmed AS "{texts.text(BOARD, 'outbox_unconfirmed')}",
       round(oldest_unconfirmed_s) AS "{texts.text(BOARD, 'outbox_oldest_unconfirmed')}",
       resent AS "{texts.text(BOARD, 'outbox_resent')}"
FROM outbox_health()""",
    partner_facing=False,
)

HEALTH_PANELS = (INGEST, DELAY, REJECTED, LAST_EVENT, OUTBOX)
ALL_QUERIES = (*VARIABLES, ANNOTATIONS, *AGREEMENT_PANELS, *MUNICIPALITY_PANELS, *HEALTH_PANELS)
