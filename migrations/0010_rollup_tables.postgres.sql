-- Plain PostgreSQL tier: the day, week and month rollups become tables (they were views aggregating the hourly
-- counts at every board query: seconds at 10M events). Same names and columns as the continuous aggregates of
-- the TimescaleDB tier, so the boards run unchanged on both. They are kept exact in the writer's own
-- transaction by statement-level triggers on incident_counts_hourly, whatever writes there (processor batches,
-- agreement recounts, a manual fix): each statement's transition tables give the change, which is folded into
-- every rollup at once. No refresh, no lag, and the processor does not need to know the tier.

DROP VIEW incident_counts, incident_counts_weekly, incident_counts_monthly;

-- Key order: boards filter one or a few areas and a time range, then categories and sources.
CREATE TABLE incident_counts (
    area_id   text NOT NULL,
    category  text NOT NULL,
    source    text NOT NULL,
    bucket    timestamptz NOT NULL,
    incidents bigint NOT NULL,
    PRIMARY KEY (area_id, bucket, category, source)
);
CREATE TABLE incident_counts_weekly (LIKE incident_counts INCLUDING ALL);
CREATE TABLE incident_counts_monthly (LIKE incident_counts INCLUDING ALL);

-- The statement that adds `delta` (a query of area_id, category, source, hour, incidents; negative for removed
-- counts) to one rollup. Keys are upserted in primary-key order, so concurrent writers lock shared rows in the
-- same order and cannot deadlock on them. It returns the keys whose count fell to 0, which the caller
-- deletes: a rollup row exists only where the hourly counts have one, as on the TimescaleDB tier.
CREATE FUNCTION rollup_fold_sql(p_rollup text, p_width interval, p_delta text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($f$
        WITH changed AS (
            SELECT area_id, category, source, time_bucket(%L, hour, 'Europe/Stockholm') AS bucket,
                   sum(incidents)::bigint AS incidents
            FROM (%s) d (area_id, category, source, hour, incidents)
            GROUP BY 1, 2, 3, 4
            HAVING sum(incidents) <> 0
        ), folded AS (
            INSERT INTO %I AS r (area_id, category, source, bucket, incidents)
            SELECT area_id, category, source, bucket, incidents FROM changed ORDER BY area_id, bucket, category, source
            ON CONFLICT (area_id, bucket, category, source) DO UPDATE SET incidents = r.incidents + EXCLUDED.incidents
            RETURNING r.area_id, r.bucket, r.category, r.source, r.incidents
        )
        SELECT array_agg(area_id), array_agg(bucket), array_agg(category), array_agg(source)
        FROM folded WHERE incidents = 0$f$, p_width, p_delta, p_rollup)
$$;

CREATE FUNCTION fold_hourly_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT area_id, category, source, hour, incidents FROM new_counts'
        WHEN 'DELETE' THEN 'SELECT area_id, category, source, hour, -incidents FROM old_counts'
        ELSE 'SELECT area_id, category, source, hour, incidents FROM new_counts
              UNION ALL SELECT area_id, category, source, hour, -incidents FROM old_counts' END;
    rollup record;
    areas text[];
    buckets timestamptz[];
    categories text[];
    sources text[];
BEGIN
    -- Always days, then weeks, then months: the same table order for every writer.
    FOR rollup IN SELECT * FROM (VALUES ('incident_counts', interval '1 day'), ('incident_counts_weekly', '1 week'),
                                        ('incident_counts_monthly', '1 month')) v (name, width) LOOP
        EXECUTE rollup_fold_sql(rollup.name, rollup.width, delta) INTO areas, buckets, categories, sources;
        IF areas IS NOT NULL THEN
            EXECUTE format('DELETE FROM %I WHERE (area_id, bucket, category, source)
                                IN (SELECT * FROM unnest($1, $2, $3, $4)) AND incidents = 0', rollup.name)
            USING areas, buckets, categories, sources;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- One trigger per operation: a trigger with transition tables may fire on one event only. An INSERT ... ON
-- CONFLICT DO UPDATE fires both: its inserted rows reach the INSERT trigger, its updated ones the UPDATE trigger.
CREATE TRIGGER incident_counts_hourly_fold_insert AFTER INSERT ON incident_counts_hourly
    REFERENCING NEW TABLE AS new_counts FOR EACH STATEMENT EXECUTE FUNCTION fold_hourly_counts();
CREATE TRIGGER incident_counts_hourly_fold_update AFTER UPDATE ON incident_counts_hourly
    REFERENCING OLD TABLE AS old_counts NEW TABLE AS new_counts FOR EACH STATEMENT EXECUTE FUNCTION fold_hourly_counts();
CREATE TRIGGER incident_counts_hourly_fold_delete AFTER DELETE ON incident_counts_hourly
    REFERENCING OLD TABLE AS old_counts FOR EACH STATEMENT EXECUTE FUNCTION fold_hourly_counts();

-- The counts already stored (an existing database), folded with the same statements.
DO $$
BEGIN
    EXECUTE rollup_fold_sql('incident_counts', '1 day', 'SELECT area_id, category, source, hour, incidents FROM incident_counts_hourly');
    EXECUTE rollup_fold_sql('incident_counts_weekly', '1 week', 'SELECT area_id, category, source, hour, incidents FROM incident_counts_hourly');
    EXECUTE rollup_fold_sql('incident_counts_monthly', '1 month', 'SELECT area_id, category, source, hour, incidents FROM incident_counts_hourly');
END
$$;

GRANT SELECT ON incident_counts, incident_counts_weekly, incident_counts_monthly TO trygg_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON incident_counts, incident_counts_weekly, incident_counts_monthly TO trygg_writer;
