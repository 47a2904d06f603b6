-- Repeatable: the current definition of incident_grid (last changed in 0012_grid_category_totals.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

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
REVOKE ALL ON FUNCTION incident_grid(text, timestamptz, timestamptz, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION incident_grid(text, timestamptz, timestamptz, text[], text) TO trygg_reader;
