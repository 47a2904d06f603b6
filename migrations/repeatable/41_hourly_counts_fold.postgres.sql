-- Repeatable: the current definition of rollup_fold_sql, fold_hourly_counts (last changed in 0010_rollup_tables.postgres.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- The statement that adds `delta` (a query of area_id, category, source, hour, incidents; negative for removed
-- counts) to one rollup. Keys are upserted in primary-key order, so concurrent writers lock shared rows in the
-- same order and cannot deadlock on them. It returns the keys whose count fell to 0, which the caller
-- deletes: a rollup row exists only where the hourly counts have one, as on the TimescaleDB tier.
CREATE OR REPLACE FUNCTION rollup_fold_sql(p_rollup text, p_width interval, p_delta text)
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

CREATE OR REPLACE FUNCTION fold_hourly_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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
