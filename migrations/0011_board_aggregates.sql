-- What the effect estimates, the map and reporting activity read, aggregated when events are written instead
-- of when a board is opened (they read incident_events or the daily counts: seconds at 10M events). Kept exact
-- by statement-level triggers on incident_events, in the writer's transaction, on both tiers: processor
-- batches insert events, agreement recounts update their area_ids. Events are never deleted (TimescaleDB
-- refuses DELETE triggers with transition tables on compressed hypertables; its 15-year retention drops whole
-- chunks and leaves their days here, far behind anything a board shows).
-- Only agreement and control areas are kept: municipality areas hold every event and no function reads them.

-- Grid cells of about 250 m (as incident_grid always drew them): the latitude step is 250 / 111320 degrees,
-- the longitude step that divided by the cosine of the cell row's middle latitude.
CREATE FUNCTION grid_row(p_lat double precision) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(p_lat / (250 / 111320.0))::integer
$$;
CREATE FUNCTION grid_step_lon(p_row integer) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 250 / (111320.0 * cos(radians((p_row + 0.5) * 250 / 111320.0)))
$$;

-- Incidents per area, Stockholm month, source ('' = every source), category and grid cell (points only): a map
-- of years reads a few rows per month and cell instead of about one per event. The days at either end of the
-- range that do not fill a month come from incident_grid_days.
CREATE TABLE incident_grid_months (
    area_id   text NOT NULL,
    month     date NOT NULL,
    source    text NOT NULL,
    category  text NOT NULL,
    cell_row  integer NOT NULL,
    cell_col  integer NOT NULL,
    incidents integer NOT NULL,
    PRIMARY KEY (area_id, source, month, category, cell_row, cell_col)
);

-- Incidents per area, Stockholm day, category, source and grid cell (points only).
CREATE TABLE incident_grid_days (
    area_id   text NOT NULL,
    day       date NOT NULL,
    category  text NOT NULL,
    source    text NOT NULL,
    cell_row  integer NOT NULL,
    cell_col  integer NOT NULL,
    incidents integer NOT NULL,
    PRIMARY KEY (area_id, day, category, source, cell_row, cell_col)
);

-- Reports per area, Stockholm day, source and (pseudonymous) reporter: active reporters in any window of days.
CREATE TABLE reporter_days (
    area_id  text NOT NULL,
    day      date NOT NULL,
    source   text NOT NULL,
    reporter text NOT NULL,
    reports  integer NOT NULL,
    PRIMARY KEY (area_id, day, source, reporter)
);

-- Incidents per area, source, category and Stockholm week (Monday), with the days inside it: c<i> counts the
-- week's first i days (c7 = the week). The effect estimates cut windows into 7-day blocks from any weekday;
-- a block is then the difference of two such sums in at most two weeks, so reading a window reads a seventh
-- of the rows a daily table would. source '' = every source, category '' = every category, so neither the
-- estimates for "all sources" nor the overview (every category together) sum at query time.
CREATE TABLE effect_weeks (
    area_id  text NOT NULL,
    source   text NOT NULL,
    category text NOT NULL,
    week     date NOT NULL,
    c1 integer NOT NULL, c2 integer NOT NULL, c3 integer NOT NULL, c4 integer NOT NULL,
    c5 integer NOT NULL, c6 integer NOT NULL, c7 integer NOT NULL,
    PRIMARY KEY (area_id, source, category, week)
);

-- The statement that adds `delta` (incident_events rows with a column `sign`: +1 added, -1 removed) to the
-- four tables, keys in primary-key order so concurrent writers lock shared rows in the same order. Rows that
-- fall to 0 (a redraw moved events out) stay: they add nothing, and reporting_activity counts only reporters
-- with reports.
CREATE FUNCTION events_fold_sql(p_delta text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($f$
        WITH changed AS MATERIALIZED (
            SELECT d.sign, ar.area_id, l.day, extract(isodow FROM l.day)::integer AS weekday, d.category, d.source,
                   d.reporter, d.lat, d.lon
            FROM (%s) d
            CROSS JOIN LATERAL (SELECT (d.occurred_at AT TIME ZONE 'Europe/Stockholm')::date AS day) l
            CROSS JOIN LATERAL unnest(d.area_ids) AS u (area_id)
            JOIN areas ar ON ar.area_id = u.area_id AND ar.kind IN ('agreement', 'control')
        ), cells AS MATERIALIZED (
            SELECT c.sign, c.area_id, c.day, c.category, c.source, r.cell_row,
                   floor(c.lon / grid_step_lon(r.cell_row))::integer AS cell_col
            FROM changed c CROSS JOIN LATERAL (SELECT grid_row(c.lat) AS cell_row) r
            WHERE c.lat IS NOT NULL
        ), grid_months AS (
            INSERT INTO incident_grid_months AS g (area_id, source, month, category, cell_row, cell_col, incidents)
            SELECT c.area_id, v.source, date_trunc('month', c.day)::date, c.category, c.cell_row, c.cell_col, sum(c.sign)
            FROM cells c CROSS JOIN LATERAL (VALUES (c.source), ('')) v (source)
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(c.sign) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (area_id, source, month, category, cell_row, cell_col)
            DO UPDATE SET incidents = g.incidents + EXCLUDED.incidents
        ), grid_days AS (
            INSERT INTO incident_grid_days AS g (area_id, day, category, source, cell_row, cell_col, incidents)
            SELECT area_id, day, category, source, cell_row, cell_col, sum(sign) FROM cells
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (area_id, day, category, source, cell_row, cell_col)
            DO UPDATE SET incidents = g.incidents + EXCLUDED.incidents
        ), reporters AS (
            INSERT INTO reporter_days AS r (area_id, day, source, reporter, reports)
            SELECT area_id, day, source, reporter, sum(sign) FROM changed
            GROUP BY 1, 2, 3, 4 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4
            ON CONFLICT (area_id, day, source, reporter) DO UPDATE SET reports = r.reports + EXCLUDED.reports
        )
        -- No HAVING here: a statement that removes one event and adds another in the same week can leave the
        -- week's total unchanged and its days not; a zero delta added to an existing row changes nothing.
        INSERT INTO effect_weeks AS w (area_id, source, category, week, c1, c2, c3, c4, c5, c6, c7)
        SELECT c.area_id, v.source, v.category, c.day - (c.weekday - 1),
               sum(c.sign * (c.weekday <= 1)::integer), sum(c.sign * (c.weekday <= 2)::integer),
               sum(c.sign * (c.weekday <= 3)::integer), sum(c.sign * (c.weekday <= 4)::integer),
               sum(c.sign * (c.weekday <= 5)::integer), sum(c.sign * (c.weekday <= 6)::integer), sum(c.sign)
        FROM changed c
        CROSS JOIN LATERAL (VALUES (c.source, c.category), ('', c.category), (c.source, ''), ('', '')) v (source, category)
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (area_id, source, category, week) DO UPDATE SET
            c1 = w.c1 + EXCLUDED.c1, c2 = w.c2 + EXCLUDED.c2, c3 = w.c3 + EXCLUDED.c3, c4 = w.c4 + EXCLUDED.c4,
            c5 = w.c5 + EXCLUDED.c5, c6 = w.c6 + EXCLUDED.c6, c7 = w.c7 + EXCLUDED.c7$f$,
        p_delta)
$$;

CREATE FUNCTION fold_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE events_fold_sql(CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_events'
        ELSE 'SELECT 1 AS sign, * FROM new_events UNION ALL SELECT -1, * FROM old_events' END);
    RETURN NULL;
END
$$;

CREATE TRIGGER incident_events_fold_insert AFTER INSERT ON incident_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fold_events();
CREATE TRIGGER incident_events_fold_update AFTER UPDATE ON incident_events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fold_events();

-- The events already stored (an existing database), folded with the same statement.
DO $$ BEGIN EXECUTE events_fold_sql('SELECT 1 AS sign, * FROM incident_events'); END $$;

GRANT SELECT ON effect_weeks TO trygg_reader;  -- counts per area and week, like incident_counts
GRANT SELECT, INSERT, UPDATE, DELETE ON incident_grid_months, incident_grid_days, reporter_days, effect_weeks
TO trygg_writer;

-- Incidents in an agreement (or control) area per ~250 m grid cell between two instants, cells with fewer than 3
-- incidents left out (a cell of 1-2 incidents would point at a single shop or home); lat/lon are the cell's
-- centre. Replaces the 0009 version, which read every event in the range and took the cell size as a
-- parameter that no board changed. The range is read at three levels, each for what the coarser one cannot
-- cover: whole Stockholm months from incident_grid_months, the whole days before and after them from
-- incident_grid_days, the parts of days at either end from the events (found by time). A range [a, b) split
-- at A (a rounded up) and B (b rounded down) is [a, least(b, A)) + [A, B) + [greatest(least(b, A), B), b):
-- the middle is empty and the head is all when a and b lie in one unit.
DROP FUNCTION incident_grid(text, timestamptz, timestamptz, text[], text, double precision);
CREATE FUNCTION incident_grid(p_area_id text, p_from timestamptz, p_to timestamptz,
                              p_categories text[] DEFAULT NULL, p_source text DEFAULT NULL)
RETURNS TABLE (lat double precision, lon double precision, incidents bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    WITH d AS (  -- whole days [first_day, end_day)
        SELECT (p_from AT TIME ZONE 'Europe/Stockholm')::date
                   + CASE WHEN (p_from AT TIME ZONE 'Europe/Stockholm')::time = '00:00' THEN 0 ELSE 1 END AS first_day,
               (p_to AT TIME ZONE 'Europe/Stockholm')::date AS end_day
    ), m AS (  -- whole months [first_month, end_month) within them
        SELECT d.*, date_trunc('month', d.end_day)::date AS end_month,
               CASE WHEN extract(day FROM d.first_day) = 1 THEN d.first_day
                    ELSE (date_trunc('month', d.first_day) + interval '1 month')::date END AS first_month
        FROM d
    ), day_ranges AS (
        SELECT m.first_day AS lo, least(m.end_day, m.first_month) AS hi FROM m
        UNION ALL
        SELECT greatest(least(m.end_day, m.first_month), m.end_month), m.end_day FROM m
    ), moment_ranges AS (
        SELECT p_from AS lo, least(p_to, d.first_day::timestamp AT TIME ZONE 'Europe/Stockholm') AS hi FROM d
        UNION ALL
        SELECT greatest(least(p_to, d.first_day::timestamp AT TIME ZONE 'Europe/Stockholm'),
                        d.end_day::timestamp AT TIME ZONE 'Europe/Stockholm'), p_to
        FROM d
    ), cells AS (
        SELECT g.cell_row, g.cell_col, g.incidents
        FROM m JOIN incident_grid_months g
          ON g.area_id = p_area_id AND g.source = coalesce(p_source, '')
         AND g.month >= m.first_month AND g.month < m.end_month
        WHERE p_categories IS NULL OR g.category = ANY (p_categories)
        UNION ALL
        SELECT g.cell_row, g.cell_col, g.incidents
        FROM day_ranges r JOIN incident_grid_days g ON g.area_id = p_area_id AND g.day >= r.lo AND g.day < r.hi
        WHERE (p_categories IS NULL OR g.category = ANY (p_categories)) AND (p_source IS NULL OR g.source = p_source)
        UNION ALL
        SELECT c.cell_row, floor(e.lon / grid_step_lon(c.cell_row))::integer, 1
        FROM moment_ranges r
        JOIN incident_events e ON e.occurred_at >= r.lo AND e.occurred_at < r.hi
        CROSS JOIN LATERAL (SELECT grid_row(e.lat) AS cell_row) c
        WHERE e.area_ids @> ARRAY[p_area_id] AND e.lat IS NOT NULL
          AND (p_categories IS NULL OR e.category = ANY (p_categories))
          AND (p_source IS NULL OR e.source = p_source)
    )
    SELECT (cell_row + 0.5) * 250 / 111320.0, (cell_col + 0.5) * grid_step_lon(cell_row), sum(incidents)::bigint
    FROM cells GROUP BY cell_row, cell_col HAVING sum(incidents) >= 3
$$;
REVOKE ALL ON FUNCTION incident_grid(text, timestamptz, timestamptz, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION incident_grid(text, timestamptz, timestamptz, text[], text) TO trygg_reader;

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

-- One row of the effect estimates (the columns of 0006's effect_estimates).
CREATE TYPE effect_estimate AS (
    agreement_id text,
    category text,
    area_scope text,
    before_start date, before_end date, after_start date, after_end date,
    before_incidents bigint, after_incidents bigint,
    before_per_30d double precision, after_per_30d double precision,
    rate_ratio double precision, ci_low double precision, ci_high double precision,
    dispersion double precision,
    verdict text
);

-- Effect estimates for several agreements at once (the method of 0006_effect.sql, unchanged), from effect_weeks.
-- p_totals_only: only the rows of every category together (the overview needs no more). effect_estimates is
-- this function for one agreement, so there is one implementation.
CREATE FUNCTION effect_estimates_many(p_agreement_ids text[], p_source text DEFAULT NULL,
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
    SELECT w.agreement_id, 'agreement' AS scope, w.agreement_id AS area_id FROM w
    UNION ALL
    SELECT w.agreement_id, 'control', ar.area_id
    FROM w JOIN areas ar ON ar.kind = 'control' AND ar.agreement_id = w.agreement_id
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

DROP FUNCTION effect_estimates(text, text, int, int, int, date);
CREATE FUNCTION effect_estimates(p_agreement_id text, p_source text DEFAULT NULL, p_before_days int DEFAULT 365,
                                 p_after_days int DEFAULT 365, p_gap_days int DEFAULT 0, p_until date DEFAULT NULL)
RETURNS SETOF effect_estimate
LANGUAGE sql STABLE SECURITY INVOKER AS $$
    SELECT * FROM effect_estimates_many(ARRAY[p_agreement_id], p_source, p_before_days, p_after_days, p_gap_days,
                                        p_until)
$$;
GRANT EXECUTE ON FUNCTION effect_estimates(text, text, int, int, int, date) TO trygg_reader;
