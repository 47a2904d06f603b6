-- Repeatable: the current definition of effect_estimates_many (first in 0011_board_aggregates.sql; its control areas from agreement_scopes since 0015).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Effect estimates for several agreements at once (the method of 0006_effect.sql, unchanged), from effect_weeks.
-- p_totals_only: only the rows of every category together (the overview needs no more). effect_estimates is
-- this function for one agreement, so there is one implementation.
CREATE OR REPLACE FUNCTION effect_estimates_many(p_agreement_ids text[], p_source text DEFAULT NULL,
                                      p_before_days int DEFAULT 365, p_after_days int DEFAULT 365,
                                      p_gap_days int DEFAULT 0, p_until date DEFAULT NULL,
                                      p_totals_only boolean DEFAULT false)
RETURNS SETOF effect_estimate
LANGUAGE sql STABLE SECURITY INVOKER AS $$
WITH w AS (
    SELECT g.agreement_id, x.before_start, x.before_end, x.after_start, x.after_end
    FROM unnest(p_agreement_ids) AS g (agreement_id)
    CROSS JOIN LATERAL effect_windows(g.agreement_id, p_before_days, p_after_days, p_gap_days, p_until) x
),
periods AS (
    SELECT w.agreement_id, 'before' AS period, w.before_start AS start, w.before_end - w.before_start AS days FROM w
    UNION ALL
    SELECT w.agreement_id, 'after', w.after_start, w.after_end - w.after_start FROM w
),
scope_areas AS (
    SELECT s.agreement_id, s.scope, s.area_id FROM agreement_scopes s JOIN w USING (agreement_id)
),
-- '' stands for "all categories" inside the query (real categories are never empty); NULL on output.
cats AS (
    SELECT '' AS category, 0 AS position
    UNION ALL
    SELECT c.category, c.position FROM categories c WHERE NOT p_totals_only
),
-- A window is cut into 7-day blocks from its start. A Monday week overlaps at most two blocks: block k, which
-- holds its first day inside the window (lo), up to that block's end (split), and block k + 1 from there to
-- hi. The days [lo, split) of a week hold c[split - week] - c[lo - week] incidents (c[0] = 0; array subscripts
-- are 1-based, hence the + 1).
week_parts AS (
    SELECT x.agreement_id, x.scope, x.category, x.period, (x.lo - x.start) / 7 AS k,
           x.c[x.split - x.week + 1] - x.c[x.lo - x.week + 1] AS first_part,
           x.c[x.hi - x.week + 1] - x.c[x.split - x.week + 1] AS second_part
    FROM (
        SELECT sa.agreement_id, sa.scope, ew.category, p.period, p.start, ew.week,
               ARRAY[0, ew.c1, ew.c2, ew.c3, ew.c4, ew.c5, ew.c6, ew.c7] AS c,
               greatest(ew.week, p.start) AS lo, least(ew.week + 7, p.start + p.days) AS hi,
               least(ew.week + 7, p.start + p.days,
                     p.start + 7 * ((greatest(ew.week, p.start) - p.start) / 7 + 1)) AS split
        FROM scope_areas sa
        JOIN periods p ON p.agreement_id = sa.agreement_id
        JOIN effect_weeks ew
          ON ew.area_id = sa.area_id AND ew.source = coalesce(p_source, '')
         AND ew.category = ANY (ARRAY(SELECT category FROM cats))  -- an index condition, like the week range
         AND ew.week > p.start - 7 AND ew.week < p.start + p.days
    ) x
),
weekly_counts AS (
    SELECT b.agreement_id, b.scope, b.category, b.period, b.week, sum(b.incidents) AS incidents
    FROM (SELECT agreement_id, scope, category, period, k AS week, first_part AS incidents FROM week_parts
          UNION ALL
          SELECT agreement_id, scope, category, period, k + 1, second_part FROM week_parts WHERE second_part <> 0) b
    GROUP BY b.agreement_id, b.scope, b.category, b.period, b.week
),
weeks AS (
    SELECT p.agreement_id, s.scope, c.category, p.period, k.week, least(7, p.days - 7 * k.week) AS exposure,
           coalesce(wc.incidents, 0)::double precision AS y
    FROM periods p
    CROSS JOIN (VALUES ('agreement'), ('control')) s(scope)
    CROSS JOIN cats c
    CROSS JOIN LATERAL generate_series(0, (p.days + 6) / 7 - 1) k(week)
    LEFT JOIN weekly_counts wc
           ON wc.agreement_id = p.agreement_id AND wc.scope = s.scope AND wc.category = c.category
          AND wc.period = p.period AND wc.week = k.week
),
totals AS (
    SELECT wk.agreement_id, wk.scope, wk.category, wk.period, sum(wk.y) AS n, sum(wk.exposure) AS e
    FROM weeks wk GROUP BY wk.agreement_id, wk.scope, wk.category, wk.period
),
pearson AS (
    SELECT wk.agreement_id, wk.scope, wk.category,
           sum(CASE WHEN t.n > 0 THEN (wk.y - wk.exposure * t.n / t.e) ^ 2 / (wk.exposure * t.n / t.e) ELSE 0 END)
               AS x2,
           count(*) AS n_weeks
    FROM weeks wk JOIN totals t USING (agreement_id, scope, category, period)
    GROUP BY wk.agreement_id, wk.scope, wk.category
),
fits AS (
    SELECT w.agreement_id, s.scope, c.category, c.position,
           coalesce(b.n, 0)::bigint AS nb, coalesce(a.n, 0)::bigint AS na,
           w.before_end - w.before_start AS db, w.after_end - w.after_start AS da,
           CASE WHEN p.n_weeks > 2 THEN greatest(1.0, p.x2 / (p.n_weeks - 2)) ELSE 1.0 END AS phi
    FROM w
    CROSS JOIN (VALUES ('agreement'), ('control')) s(scope)
    CROSS JOIN cats c
    LEFT JOIN totals b
           ON b.agreement_id = w.agreement_id AND b.scope = s.scope AND b.category = c.category AND b.period = 'before'
    LEFT JOIN totals a
           ON a.agreement_id = w.agreement_id AND a.scope = s.scope AND a.category = c.category AND a.period = 'after'
    LEFT JOIN pearson p ON p.agreement_id = w.agreement_id AND p.scope = s.scope AND p.category = c.category
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
    SELECT ag.agreement_id, ag.category, ag.position,
           ag.too_few OR co.too_few AS too_few,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN ag.log_rr - co.log_rr END AS log_rr,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN ag.var_log_rr + co.var_log_rr END AS var_log_rr
    FROM estimates ag
    JOIN estimates co ON co.agreement_id = ag.agreement_id AND co.category = ag.category AND co.scope = 'control'
    WHERE ag.scope = 'agreement'
),
out_rows AS (
    SELECT e.agreement_id, e.category, e.position, e.scope, e.nb, e.na,
           CASE WHEN e.db > 0 THEN e.nb * 30.0 / e.db END AS before_per_30d,
           CASE WHEN e.da > 0 THEN e.na * 30.0 / e.da END AS after_per_30d,
           CASE WHEN NOT e.too_few THEN e.log_rr END AS log_rr,
           CASE WHEN NOT e.too_few THEN e.var_log_rr END AS var_log_rr,
           e.phi, e.too_few
    FROM estimates e
    UNION ALL
    SELECT r.agreement_id, r.category, r.position, 'relative', NULL, NULL, NULL, NULL, r.log_rr, r.var_log_rr, NULL,
           r.too_few
    FROM relative r
)
SELECT r.agreement_id, nullif(r.category, ''), r.scope,
       w.before_start, w.before_end, w.after_start, w.after_end,
       r.nb, r.na, r.before_per_30d, r.after_per_30d,
       exp(r.log_rr), exp(r.log_rr - 1.959963984540054 * sqrt(r.var_log_rr)),
       exp(r.log_rr + 1.959963984540054 * sqrt(r.var_log_rr)),
       r.phi,
       CASE WHEN r.too_few THEN 'too_few'
            WHEN exp(r.log_rr + 1.959963984540054 * sqrt(r.var_log_rr)) < 1 THEN 'clear_decrease'
            WHEN exp(r.log_rr - 1.959963984540054 * sqrt(r.var_log_rr)) > 1 THEN 'clear_increase'
            ELSE 'no_clear_change' END
FROM out_rows r JOIN w ON w.agreement_id = r.agreement_id
ORDER BY r.agreement_id, r.position, CASE r.scope WHEN 'agreement' THEN 1 WHEN 'control' THEN 2 ELSE 3 END
$$;
GRANT EXECUTE ON FUNCTION effect_estimates_many(text[], text, int, int, int, date, boolean) TO trygg_reader;
