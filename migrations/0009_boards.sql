-- What the Grafana boards need beyond the counts, readable by trygg_reader without exposing events:
-- incidents aggregated to grid cells (no exact points, small cells left out) and pipeline health.
-- Both read incident_events, which the reader cannot, so they are SECURITY DEFINER functions owned by the
-- migration role with a fixed search_path; they return aggregates only, never a row per event.

-- Health queries select by storage time; per source, so "last event per source" is one index probe each.
CREATE INDEX incident_events_source_stored_at ON incident_events (source, stored_at);

-- Incidents in an agreement area per grid cell of about p_cell_m metres, cells with fewer than 3
-- incidents left out (a cell of 1-2 incidents would point at a single shop or home). Cells are fixed in
-- degrees: the latitude step is p_cell_m / 111320, the longitude step that divided by the cosine of the
-- cell row's middle latitude, so every cell is about p_cell_m square. lat/lon are the cell's centre.
CREATE FUNCTION incident_grid(p_area_id text, p_from timestamptz, p_to timestamptz,
                              p_categories text[] DEFAULT NULL, p_source text DEFAULT NULL,
                              p_cell_m double precision DEFAULT 250)
RETURNS TABLE (lat double precision, lon double precision, incidents bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    WITH cells AS (
        SELECT floor(e.lat / (p_cell_m / 111320.0)) AS row_no, e.lon
        FROM incident_events e
        WHERE e.area_ids @> ARRAY[p_area_id] AND e.lat IS NOT NULL
          AND e.occurred_at >= p_from AND e.occurred_at < p_to
          AND (p_categories IS NULL OR e.category = ANY (p_categories))
          AND (p_source IS NULL OR e.source = p_source)
    ), placed AS (
        SELECT row_no, floor(lon / (p_cell_m / (111320.0 * cos(radians((row_no + 0.5) * p_cell_m / 111320.0)))))
                   AS col_no
        FROM cells
    )
    SELECT (row_no + 0.5) * p_cell_m / 111320.0,
           (col_no + 0.5) * p_cell_m / (111320.0 * cos(radians((row_no + 0.5) * p_cell_m / 111320.0))),
           count(*)
    FROM placed GROUP BY row_no, col_no HAVING count(*) >= 3
$$;

-- Ingest per time bucket and source: events stored, and the delay from occurrence to storage (median and
-- 95th percentile, seconds). The sources are the vocabulary of schemas.SourceKind.
CREATE FUNCTION ingest_stats(p_from timestamptz, p_to timestamptz, p_bucket interval)
RETURNS TABLE (bucket timestamptz, source text, events bigint, delay_p50_s double precision,
               delay_p95_s double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT time_bucket(p_bucket, e.stored_at), s.source, count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.stored_at - e.occurred_at)),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM e.stored_at - e.occurred_at))
    FROM (VALUES ('shop'), ('property_owner'), ('school'), ('police'), ('municipality')) AS s(source)
    JOIN incident_events e ON e.source = s.source AND e.stored_at >= p_from AND e.stored_at < p_to
    GROUP BY 1, 2
$$;

-- The newest stored event per source, and when it occurred.
CREATE FUNCTION last_event_per_source()
RETURNS TABLE (source text, last_stored_at timestamptz, last_occurred_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT s.source, last.stored_at, last.occurred_at
    FROM (VALUES ('shop'), ('property_owner'), ('school'), ('police'), ('municipality')) AS s(source)
    LEFT JOIN LATERAL (
        SELECT e.stored_at, e.occurred_at FROM incident_events e
        WHERE e.source = s.source ORDER BY e.stored_at DESC, e.occurred_at DESC LIMIT 1
    ) last ON true
$$;

REVOKE ALL ON FUNCTION incident_grid(text, timestamptz, timestamptz, text[], text, double precision),
                       ingest_stats(timestamptz, timestamptz, interval), last_event_per_source() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION incident_grid(text, timestamptz, timestamptz, text[], text, double precision),
                          ingest_stats(timestamptz, timestamptz, interval), last_event_per_source()
TO trygg_reader;
