-- Repeatable: the current definition of last_event_per_source (last changed in 0009_boards.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- The newest stored event per source, and when it occurred.
CREATE OR REPLACE FUNCTION last_event_per_source()
RETURNS TABLE (source text, last_stored_at timestamptz, last_occurred_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT s.source, last.stored_at, last.occurred_at
    FROM (VALUES ('shop'), ('property_owner'), ('school'), ('police'), ('municipality')) AS s(source)
    LEFT JOIN LATERAL (
        SELECT e.stored_at, e.occurred_at FROM incident_events e
        WHERE e.source = s.source ORDER BY e.stored_at DESC, e.occurred_at DESC LIMIT 1
    ) last ON true
$$;
REVOKE ALL ON FUNCTION last_event_per_source() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION last_event_per_source() TO trygg_reader;
