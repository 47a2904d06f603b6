-- Effect estimates: the one implementation of "has it gone down since we signed?", called by the boards and by
-- `trygg effect`. Plain SQL so it runs unchanged on plain PostgreSQL and on TimescaleDB.

-- Category labels for boards, in the order of schemas.Category (seeded from schemas.CATEGORY_LABELS).
CREATE TABLE categories (
    category text PRIMARY KEY,
    label_sv text NOT NULL,
    label_en text NOT NULL,
    position integer NOT NULL UNIQUE
);
INSERT INTO categories (category, label_sv, label_en, position) VALUES
    ('shoplifting', 'Snatteri', 'Shoplifting', 1),
    ('theft', 'Stöld', 'Theft', 2),
    ('burglary', 'Inbrott', 'Burglary', 3),
    ('robbery', 'Rån', 'Robbery', 4),
    ('drug_dealing', 'Narkotikahandel', 'Drug dealing', 5),
    ('vandalism', 'Skadegörelse', 'Vandalism', 6),
    ('graffiti', 'Klotter', 'Graffiti', 7),
    ('threat', 'Hot', 'Threat', 8),
    ('violence', 'Våld', 'Violence', 9),
    ('harassment', 'Ofredande', 'Harassment', 10),
    ('disturbance', 'Ordningsstörning', 'Disturbance', 11),
    ('other', 'Övrigt', 'Other', 12);
GRANT SELECT ON categories TO trygg_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON categories TO trygg_writer;

-- The before and after windows around signing, as half-open Europe/Stockholm day ranges. Both end no later
-- than p_until (exclusive; default today, whose day is not over); a window that lies wholly after p_until
-- is empty (end = start).
CREATE FUNCTION effect_windows(p_agreement_id text, p_before_days int, p_after_days int, p_gap_days int,
                               p_until date)
RETURNS TABLE (before_start date, before_end date, after_start date, after_end date)
LANGUAGE sql STABLE AS $$
    SELECT bs, greatest(bs, least(be, u)), ast, greatest(ast, least(ae, u))
    FROM (
        SELECT a.signed_at - p_gap_days - p_before_days AS bs, a.signed_at - p_gap_days AS be,
               a.signed_at + p_gap_days AS ast, a.signed_at + p_gap_days + p_after_days AS ae,
               coalesce(p_until, (now() AT TIME ZONE 'Europe/Stockholm')::date) AS u
        FROM agreements a WHERE a.agreement_id = p_agreement_id
    ) w
$$;
GRANT EXECUTE ON FUNCTION effect_windows(text, int, int, int, date) TO trygg_reader;

-- Method (quasi-Poisson, the same as a Poisson GLM with scale = Pearson X2 / df):
--   * each window is cut into 7-day blocks from its start (the last one may be shorter: its length is the
--     exposure), giving weekly counts y with exposure e;
--   * model log E[y] = log e + b0 + b1 * after: the fitted rate of a window is its count / its days, so
--     rate_ratio = (after / after_days) / (before / before_days);
--   * dispersion phi = Pearson X2 / (n_weeks - 2), at least 1 (taken as 1 with fewer than 3 weeks);
--   * Var(log rate_ratio) = phi * (1 / before + 1 / after); 95 % CI = exp(log RR +- 1.959964 * sqrt(Var));
--   * 'relative' = agreement RR / control RR, Var = sum of both variances, each with its own phi.
-- A window with no incidents, or fewer than 10 in both windows together, gives 'too_few' and NULL ratios.
CREATE FUNCTION effect_estimates(p_agreement_id text, p_source text DEFAULT NULL, p_before_days int DEFAULT 365,
                                 p_after_days int DEFAULT 365, p_gap_days int DEFAULT 0, p_until date DEFAULT NULL)
RETURNS TABLE (
    agreement_id text,
    category text,
    area_scope text,
    before_start date, before_end date, after_start date, after_end date,
    before_incidents bigint, after_incidents bigint,
    before_per_30d double precision, after_per_30d double precision,
    rate_ratio double precision, ci_low double precision, ci_high double precision,
    dispersion double precision,
    verdict text
)
LANGUAGE sql STABLE SECURITY INVOKER AS $$
WITH w AS (
    SELECT * FROM effect_windows(p_agreement_id, p_before_days, p_after_days, p_gap_days, p_until)
),
periods AS (
    SELECT 'before' AS period, w.before_start AS start, w.before_end - w.before_start AS days FROM w
    UNION ALL
    SELECT 'after', w.after_start, w.after_end - w.after_start FROM w
),
scope_areas AS (
    SELECT 'agreement' AS scope, p_agreement_id AS area_id FROM w
    UNION ALL
    SELECT 'control', ar.area_id FROM areas ar WHERE ar.kind = 'control' AND ar.agreement_id = p_agreement_id
),
-- '' stands for "all categories" inside the query (real categories are never empty); NULL on output.
cats AS (
    SELECT '' AS category, 0 AS position
    UNION ALL
    SELECT c.category, c.position FROM categories c
),
daily AS (
    SELECT sa.scope, coalesce(ic.category, '') AS category,
           (ic.bucket AT TIME ZONE 'Europe/Stockholm')::date AS day, sum(ic.incidents) AS incidents
    FROM incident_counts ic
    JOIN scope_areas sa ON sa.area_id = ic.area_id
    CROSS JOIN w
    -- The area list as an array (an init plan) lets the filter reach the hourly table's index through the
    -- plain-PostgreSQL view; a join alone would aggregate every area first.
    WHERE ic.area_id = ANY (ARRAY(SELECT area_id FROM scope_areas))
      AND (p_source IS NULL OR ic.source = p_source)
      AND ic.bucket >= (w.before_start::timestamp AT TIME ZONE 'Europe/Stockholm')
      AND ic.bucket < (w.after_end::timestamp AT TIME ZONE 'Europe/Stockholm')
    GROUP BY GROUPING SETS ((sa.scope, ic.category, (ic.bucket AT TIME ZONE 'Europe/Stockholm')::date),
                            (sa.scope, (ic.bucket AT TIME ZONE 'Europe/Stockholm')::date))
),
weekly_counts AS (
    SELECT d.scope, d.category, p.period, (d.day - p.start) / 7 AS week, sum(d.incidents) AS incidents
    FROM daily d JOIN periods p ON d.day >= p.start AND d.day < p.start + p.days
    GROUP BY d.scope, d.category, p.period, (d.day - p.start) / 7
),
weeks AS (
    SELECT s.scope, c.category, p.period, k.week, least(7, p.days - 7 * k.week) AS exposure,
           coalesce(wc.incidents, 0)::double precision AS y
    FROM (VALUES ('agreement'), ('control')) s(scope)
    CROSS JOIN cats c
    CROSS JOIN periods p
    CROSS JOIN LATERAL generate_series(0, (p.days + 6) / 7 - 1) k(week)
    LEFT JOIN weekly_counts wc
           ON wc.scope = s.scope AND wc.category = c.category AND wc.period = p.period AND wc.week = k.week
),
totals AS (
    SELECT wk.scope, wk.category, wk.period, sum(wk.y) AS n, sum(wk.exposure) AS e, count(*) AS n_weeks
    FROM weeks wk GROUP BY wk.scope, wk.category, wk.period
),
pearson AS (
    SELECT wk.scope, wk.category,
           sum(CASE WHEN t.n > 0 THEN (wk.y - wk.exposure * t.n / t.e) ^ 2 / (wk.exposure * t.n / t.e) ELSE 0 END)
               AS x2,
           count(*) AS n_weeks
    FROM weeks wk JOIN totals t USING (scope, category, period)
    GROUP BY wk.scope, wk.category
),
fits AS (
    SELECT s.scope, c.category, c.position,
           coalesce(b.n, 0)::bigint AS nb, coalesce(a.n, 0)::bigint AS na,
           (SELECT days FROM periods WHERE period = 'before') AS db,
           (SELECT days FROM periods WHERE period = 'after') AS da,
           CASE WHEN p.n_weeks > 2 THEN greatest(1.0, p.x2 / (p.n_weeks - 2)) ELSE 1.0 END AS phi
    FROM (VALUES ('agreement'), ('control')) s(scope)
    CROSS JOIN cats c
    LEFT JOIN totals b ON b.scope = s.scope AND b.category = c.category AND b.period = 'before'
    LEFT JOIN totals a ON a.scope = s.scope AND a.category = c.category AND a.period = 'after'
    LEFT JOIN pearson p ON p.scope = s.scope AND p.category = c.category
),
estimates AS (
    SELECT f.*,
           (f.nb + f.na < 10 OR f.nb = 0 OR f.na = 0 OR f.db = 0 OR f.da = 0) AS too_few,
           CASE WHEN f.nb > 0 AND f.na > 0 AND f.db > 0 AND f.da > 0
                THEN ln((f.na::double precision / f.da) / (f.nb::double precision / f.db)) END AS log_rr,
           CASE WHEN f.nb > 0 AND f.na > 0 THEN f.phi * (1.0 / f.nb + 1.0 / f.na) END AS var_log_rr
    FROM fits f
),
relative AS (
    SELECT ag.category, ag.position,
           ag.too_few OR co.too_few AS too_few,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN ag.log_rr - co.log_rr END AS log_rr,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN ag.var_log_rr + co.var_log_rr END AS var_log_rr
    FROM estimates ag JOIN estimates co ON co.category = ag.category AND co.scope = 'control'
    WHERE ag.scope = 'agreement'
),
out_rows AS (
    SELECT e.category, e.position, e.scope, e.nb, e.na,
           CASE WHEN e.db > 0 THEN e.nb * 30.0 / e.db END AS before_per_30d,
           CASE WHEN e.da > 0 THEN e.na * 30.0 / e.da END AS after_per_30d,
           CASE WHEN NOT e.too_few THEN e.log_rr END AS log_rr,
           CASE WHEN NOT e.too_few THEN e.var_log_rr END AS var_log_rr,
           e.phi, e.too_few
    FROM estimates e
    UNION ALL
    SELECT r.category, r.position, 'relative', NULL, NULL, NULL, NULL, r.log_rr, r.var_log_rr, NULL, r.too_few
    FROM relative r
)
SELECT p_agreement_id, nullif(r.category, ''), r.scope,
       w.before_start, w.before_end, w.after_start, w.after_end,
       r.nb, r.na, r.before_per_30d, r.after_per_30d,
       exp(r.log_rr), exp(r.log_rr - 1.959963984540054 * sqrt(r.var_log_rr)),
       exp(r.log_rr + 1.959963984540054 * sqrt(r.var_log_rr)),
       r.phi,
       CASE WHEN r.too_few THEN 'too_few'
            WHEN exp(r.log_rr + 1.959963984540054 * sqrt(r.var_log_rr)) < 1 THEN 'clear_decrease'
            WHEN exp(r.log_rr - 1.959963984540054 * sqrt(r.var_log_rr)) > 1 THEN 'clear_increase'
            ELSE 'no_clear_change' END
FROM out_rows r CROSS JOIN w
ORDER BY r.position, CASE r.scope WHEN 'agreement' THEN 1 WHEN 'control' THEN 2 ELSE 3 END
$$;
GRANT EXECUTE ON FUNCTION effect_estimates(text, text, int, int, int, date) TO trygg_reader;

-- Reporting activity per source, before and after: an agreement often makes partners report more, which can
-- hide a real decrease. Reads incident_events, which the reader role cannot: SECURITY DEFINER returns only
-- the aggregates (pseudonymous reporter ids are counted, never returned).
CREATE FUNCTION reporting_activity(p_agreement_id text, p_before_days int DEFAULT 365, p_after_days int DEFAULT 365,
                                   p_gap_days int DEFAULT 0, p_until date DEFAULT NULL)
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
    SELECT p.period, e.source, count(DISTINCT e.reporter)::int AS active, count(*) AS reports
    FROM incident_events e
    JOIN periods p ON e.occurred_at >= (p.start::timestamp AT TIME ZONE 'Europe/Stockholm')
                  AND e.occurred_at < (p.stop::timestamp AT TIME ZONE 'Europe/Stockholm')
    WHERE e.area_ids @> ARRAY[p_agreement_id]
    GROUP BY p.period, e.source
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
