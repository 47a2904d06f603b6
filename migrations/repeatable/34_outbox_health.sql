-- Repeatable: outbox_health (new in issue 10). Edit it here: trygg migrate re-applies this file when it changes.

-- The outbox for the pipeline-health board, counts only (trygg_reader cannot read the outbox: payloads hold
-- free text): events waiting for their first publication, events published but not yet committed by the
-- processor, and how long ago the oldest of each was accepted.
CREATE OR REPLACE FUNCTION outbox_health()
RETURNS TABLE (unsent bigint, oldest_unsent_s double precision, unconfirmed bigint,
               oldest_unconfirmed_s double precision, resent bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT count(*) FILTER (WHERE attempts = 0),
           extract(epoch FROM now() - min(created_at) FILTER (WHERE attempts = 0)),
           count(*) FILTER (WHERE attempts > 0),
           extract(epoch FROM now() - min(created_at) FILTER (WHERE attempts > 0)),
           count(*) FILTER (WHERE attempts > 1)
    FROM outbox WHERE confirmed_at IS NULL
$$;
REVOKE ALL ON FUNCTION outbox_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_health() TO trygg_reader;
