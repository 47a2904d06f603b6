-- The map was the board panel at the limit at 10M events (40-59 ms p95; target < 50 ms). Two changes, measured
-- on one 10M database (bench.boards): 42 -> 36 ms here, 36 -> 10 ms in incident_grid below.
-- The map of every category (what a board opens with) reads one row per month and cell instead of one per
-- category, month and cell: incident_grid_months gains rows with category '' (every category together), as
-- effect_weeks has, and its key puts the category before the month, so either kind of read is one index range
-- per category.

ALTER TABLE incident_grid_months DROP CONSTRAINT incident_grid_months_pkey;
INSERT INTO incident_grid_months (area_id, month, source, category, cell_row, cell_col, incidents)
SELECT area_id, month, source, '', cell_row, cell_col, sum(incidents)
FROM incident_grid_months GROUP BY area_id, month, source, cell_row, cell_col;
ALTER TABLE incident_grid_months ADD PRIMARY KEY (area_id, source, category, month, cell_row, cell_col);

-- As in 0011, with the grid months folded for (source, category), ('', category), (source, '') and ('', '') and
-- upserted in the new key order.
CREATE OR REPLACE FUNCTION events_fold_sql(p_delta text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
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
            INSERT INTO incident_grid_months AS g (area_id, source, category, month, cell_row, cell_col, incidents)
            SELECT c.area_id, v.source, v.category, date_trunc('month', c.day)::date, c.cell_row, c.cell_col,
                   sum(c.sign)
            FROM cells c
            CROSS JOIN LATERAL (VALUES (c.source, c.category), ('', c.category), (c.source, ''), ('', ''))
                v (source, category)
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(c.sign) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (area_id, source, category, month, cell_row, cell_col)
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

-- As in 0011, answered from the same three levels, now in PL/pgSQL: the bounds of each level are computed first
-- and EXECUTE plans the query for them. As one SQL query the parts of days at either end were bounded by values
-- the planner could not see, so it expected a million events there, not a few hundred, and intersected the
-- time index with the area's GIN index (every event the area ever had): 39 of the map's 42 ms at 10M events.
-- The events are found by time alone (`= ANY`, which the GIN index cannot serve): a part of a day is at most a
-- day's events of every area. Whole months of every category (p_categories NULL, or holding every category as
-- Grafana sends "All") read the '' rows.
CREATE OR REPLACE FUNCTION incident_grid(p_area_id text, p_from timestamptz, p_to timestamptz,
                                         p_categories text[] DEFAULT NULL, p_source text DEFAULT NULL)
RETURNS TABLE (lat double precision, lon double precision, incidents bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE
    -- whole Stockholm days [first_day, end_day), whole months [first_month, end_month) within them
    first_day date := (p_from AT TIME ZONE 'Europe/Stockholm')::date
                      + CASE WHEN (p_from AT TIME ZONE 'Europe/Stockholm')::time = '00:00' THEN 0 ELSE 1 END;
    end_day date := (p_to AT TIME ZONE 'Europe/Stockholm')::date;
    first_month date := CASE WHEN extract(day FROM first_day) = 1 THEN first_day
                             ELSE (date_trunc('month', first_day) + interval '1 month')::date END;
    end_month date := date_trunc('month', end_day)::date;
    head_days_end date := least(end_day, first_month);
    tail_days_start date := greatest(head_days_end, end_month);
    head_end timestamptz := least(p_to, first_day::timestamp AT TIME ZONE 'Europe/Stockholm');
    tail_start timestamptz := greatest(head_end, end_day::timestamp AT TIME ZONE 'Europe/Stockholm');
    month_categories text[] := CASE WHEN p_categories IS NULL OR ARRAY(SELECT category FROM categories) <@ p_categories
                                    THEN ARRAY[''] ELSE array_remove(p_categories, '') END;
BEGIN
    RETURN QUERY EXECUTE $q$
        WITH cells AS (
            SELECT g.cell_row, g.cell_col, g.incidents
            FROM incident_grid_months g
            WHERE g.area_id = $1 AND g.source = coalesce($5, '') AND g.category = ANY ($6)
              AND g.month >= $7 AND g.month < $8
            UNION ALL
            SELECT g.cell_row, g.cell_col, g.incidents
            FROM incident_grid_days g
            WHERE g.area_id = $1 AND (g.day >= $9 AND g.day < $10 OR g.day >= $11 AND g.day < $12)
              AND ($4 IS NULL OR g.category = ANY ($4)) AND ($5 IS NULL OR g.source = $5)
            UNION ALL
            SELECT c.cell_row, floor(e.lon / grid_step_lon(c.cell_row))::integer, 1
            FROM incident_events e CROSS JOIN LATERAL (SELECT grid_row(e.lat) AS cell_row) c
            WHERE (e.occurred_at >= $2 AND e.occurred_at < $13 OR e.occurred_at >= $14 AND e.occurred_at < $3)
              AND $1 = ANY (e.area_ids) AND e.lat IS NOT NULL
              AND ($4 IS NULL OR e.category = ANY ($4)) AND ($5 IS NULL OR e.source = $5)
        )
        SELECT ((cell_row + 0.5) * 250 / 111320.0)::double precision, (cell_col + 0.5) * grid_step_lon(cell_row),
               sum(incidents)::bigint
        FROM cells GROUP BY cell_row, cell_col HAVING sum(incidents) >= 3$q$
    USING p_area_id, p_from, p_to, p_categories, p_source, month_categories, first_month, end_month,
          first_day, head_days_end, tail_days_start, end_day, head_end, tail_start;
END
$$;
