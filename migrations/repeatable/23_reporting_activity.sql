-- Repeatable: the current definition of reporting_activity (last changed in 0011_board_aggregates.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Reporting activity per source, before and after (as in 0006), from reporter_days instead of the events.
CREATE OR REPLACE FUNCTION reporting_activity(p_agreement_id text, p_before_days int DEFAULT 365,
                                              p_after_days int DEFAULT 365, p_gap_days int DEFAULT 0,
                                              p_until date DEFAULT NULL)
RETURNS TABLE (period text, source text, active_reporters int, reports bigint,
               reports_per_reporter double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
WITH w AS (
    SELECT * FROM effect_windows(p_agreement_id, p_before_days, p_after_days, p_gap_days, p_until)
),
periods AS (
    SELECT 'before' AS period, 1 AS position, w.before_start AS start, w.before_end AS stop FROM w
    UNION ALL
    SELECT 'after', 2, w.after_start, w.after_end FROM w
),
counted AS (
    SELECT p.period, r.source, count(DISTINCT r.reporter)::int AS active, sum(r.reports) AS reports
    FROM periods p
    JOIN reporter_days r ON r.area_id = p_agreement_id AND r.day >= p.start AND r.day < p.stop
    WHERE r.reports > 0
    GROUP BY p.period, r.source
)
-- Every source seen in either window gets a row for both, so before and after always sit side by side.
SELECT p.period, s.source, coalesce(c.active, 0), coalesce(c.reports, 0),
       c.reports::double precision / nullif(c.active, 0)
FROM periods p
CROSS JOIN (SELECT DISTINCT counted.source FROM counted) s
LEFT JOIN counted c ON c.period = p.period AND c.source = s.source
ORDER BY p.position, s.source
$$;
REVOKE EXECUTE ON FUNCTION reporting_activity(text, int, int, int, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reporting_activity(text, int, int, int, date) TO trygg_reader, trygg_writer;
