-- Repeatable: the current definition of events_fold_sql, fold_events (last changed in 0011_board_aggregates.sql, 0012_grid_category_totals.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

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

CREATE OR REPLACE FUNCTION fold_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE events_fold_sql(CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_events'
        ELSE 'SELECT 1 AS sign, * FROM new_events UNION ALL SELECT -1, * FROM old_events' END);
    RETURN NULL;
END
$$;
