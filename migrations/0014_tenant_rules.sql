-- Issue 16 (what an attacker found):
-- * external ids are an agency's own: repeats are found per owner ("agency:<id>", or "source:<kind>" for the
--   form and imports without an agency), so one agency can no longer squat another's ids;
-- * an agency's events may only name the reporters it registered (its own id always);
-- * trygg_reader may not create temporary tables (PUBLIC may, by default); the writer keeps the right.
ALTER TABLE outbox ADD COLUMN owner text;
UPDATE outbox SET owner = 'source:' || source;
ALTER TABLE outbox ALTER COLUMN owner SET NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_source_external_id_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_owner_external_id_key UNIQUE (owner, external_id);

ALTER TABLE agencies ADD COLUMN reporters text[] NOT NULL DEFAULT '{}';

-- PGlite (the TimescaleDB test tier) cannot change a database's privileges at all: every GRANT/REVOKE ON
-- DATABASE fails there with "tuple concurrently deleted". Native PostgreSQL and TimescaleDB take it; the
-- reader's refusal is tested on PostgreSQL.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO trygg_writer', current_database());
EXCEPTION WHEN internal_error THEN
    RAISE WARNING 'TEMPORARY on database % left as it was: %', current_database(), SQLERRM;
END
$$;
