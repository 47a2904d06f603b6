-- Repeatable: the current definition of ingest_stats (last changed in 0009_boards.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Ingest per time bucket and source: events stored, and the delay from occurrence to storage (median and
-- 95th percentile, seconds). The sources are the vocabulary of schemas.SourceKind.
CREATE OR REPLACE FUNCTION ingest_stats(p_from timestamptz, p_to timestamptz, p_bucket interval)
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
REVOKE ALL ON FUNCTION ingest_stats(timestamptz, timestamptz, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest_stats(timestamptz, timestamptz, interval) TO trygg_reader;
