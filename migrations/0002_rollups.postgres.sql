-- Plain PostgreSQL tier: a time_bucket compatible with TimescaleDB's, and the rollups as plain views with
-- the same names and columns as the continuous aggregates on the TimescaleDB tier.

-- Same alignment as TimescaleDB: month buckets count from 2000-01-01, others from Monday 2000-01-03, both
-- in the given zone's local time, so weeks start on Mondays and days at local midnight.
CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz, timezone text)
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

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT time_bucket(bucket_width, ts, 'UTC')
$$;

CREATE VIEW incident_counts AS
SELECT area_id, category, source, time_bucket('1 day', hour, 'Europe/Stockholm') AS bucket,
       sum(incidents)::bigint AS incidents
FROM incident_counts_hourly
GROUP BY area_id, category, source, time_bucket('1 day', hour, 'Europe/Stockholm');

CREATE VIEW incident_counts_weekly AS
SELECT area_id, category, source, time_bucket('1 week', hour, 'Europe/Stockholm') AS bucket,
       sum(incidents)::bigint AS incidents
FROM incident_counts_hourly
GROUP BY area_id, category, source, time_bucket('1 week', hour, 'Europe/Stockholm');

CREATE VIEW incident_counts_monthly AS
SELECT area_id, category, source, time_bucket('1 month', hour, 'Europe/Stockholm') AS bucket,
       sum(incidents)::bigint AS incidents
FROM incident_counts_hourly
GROUP BY area_id, category, source, time_bucket('1 month', hour, 'Europe/Stockholm');
