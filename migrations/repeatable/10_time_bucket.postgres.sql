-- Repeatable: the current definition of time_bucket (last changed in 0002_rollups.postgres.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Same alignment as TimescaleDB: month buckets count from 2000-01-01, others from Monday 2000-01-03, both
-- in the given zone's local time, so weeks start on Mondays and days at local midnight.
CREATE OR REPLACE FUNCTION time_bucket(bucket_width interval, ts timestamptz, timezone text)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN extract(month FROM bucket_width) + 12 * extract(year FROM bucket_width) > 0 THEN
            (timestamp '2000-01-01' + make_interval(months => (
                floor(((extract(year FROM ts AT TIME ZONE timezone) - 2000) * 12
                       + extract(month FROM ts AT TIME ZONE timezone) - 1)
                      / (extract(month FROM bucket_width) + 12 * extract(year FROM bucket_width)))
                * (extract(month FROM bucket_width) + 12 * extract(year FROM bucket_width)))::int))
            AT TIME ZONE timezone
        ELSE
            (timestamp '2000-01-03' + floor(extract(epoch FROM (ts AT TIME ZONE timezone) - timestamp '2000-01-03')
                                            / extract(epoch FROM bucket_width)) * bucket_width)
            AT TIME ZONE timezone
    END
$$;

CREATE OR REPLACE FUNCTION time_bucket(bucket_width interval, ts timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT time_bucket(bucket_width, ts, 'UTC')
$$;
