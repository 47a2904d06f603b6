-- TimescaleDB tier: hypertables, compression, retention, and the rollups as real-time continuous aggregates
-- with the same names and columns as the plain views of 0002_rollups.postgres.sql (area_id, category, source,
-- bucket timestamptz, incidents bigint), so boards and 0003_roles.sql work unchanged on both tiers.
-- Runs in one transaction (the migration runner wraps each file): every statement here is transaction-safe
-- (continuous aggregates are created WITH NO DATA, which is; WITH DATA would not be).

CREATE EXTENSION IF NOT EXISTS timescaledb;

-- Hypertables. Both primary keys already contain the time column, as TimescaleDB requires of unique indexes.
-- migrate_data: the tables may already hold rows when this runs on an existing database.
-- 30-day chunks for the events (the bulk of the data); 90-day chunks for the much smaller hourly counts.
SELECT create_hypertable('incident_events', by_range('occurred_at', INTERVAL '30 days'), migrate_data => true);
SELECT create_hypertable('incident_counts_hourly', by_range('hour', INTERVAL '90 days'), migrate_data => true);

-- The rollups. Days, weeks and months are Europe/Stockholm calendar buckets (days start at local midnight,
-- weeks on Monday, months on the 1st), as on the plain tier.
-- materialized_only = false (real time): buckets newer than the last refresh are computed from the
-- hourly counts at query time, so boards show the current hour without waiting for a refresh. Buckets
-- older than the refresh watermark are read from the materialization; a late event (hours or years old)
-- changes them only once refreshed: the processor calls trygg.adapters.database.refresh_rollups every
-- few seconds after batches that accepted events, and the refresh policies below are the safety net.
CREATE MATERIALIZED VIEW incident_counts
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT area_id, category, source, time_bucket('1 day', hour, 'Europe/Stockholm') AS bucket,
       sum(incidents)::bigint AS incidents
FROM incident_counts_hourly
GROUP BY area_id, category, source, time_bucket('1 day', hour, 'Europe/Stockholm')
WITH NO DATA;

-- Weeks and months are hierarchical: aggregated from the daily aggregate, not from the hourly table, so a
-- refresh reads about 24 times fewer rows. Every Stockholm week and month is a whole number of Stockholm
-- days, so the result is the same. (sum over bigint is numeric: cast back to bigint.)
CREATE MATERIALIZED VIEW incident_counts_weekly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT area_id, category, source, time_bucket('1 week', bucket, 'Europe/Stockholm') AS bucket,
       sum(incidents)::bigint AS incidents
FROM incident_counts
GROUP BY area_id, category, source, time_bucket('1 week', bucket, 'Europe/Stockholm')
WITH NO DATA;

CREATE MATERIALIZED VIEW incident_counts_monthly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT area_id, category, source, time_bucket('1 month', bucket, 'Europe/Stockholm') AS bucket,
       sum(incidents)::bigint AS incidents
FROM incident_counts
GROUP BY area_id, category, source, time_bucket('1 month', bucket, 'Europe/Stockholm')
WITH NO DATA;

-- Refresh policies: the safety net behind refresh_rollups (e.g. while the processor is down). A refresh
-- recomputes only the buckets that writes invalidated, so a wide window costs little. The window ends a
-- little before now (newer buckets are served in real time anyway) and starts 14 years back, short of the
-- 15-year retention below: dropping chunks invalidates their range, and a refresh over it recomputes those
-- buckets from nothing. Order matters for the hierarchy: days, then weeks and months.
SELECT add_continuous_aggregate_policy('incident_counts',
    start_offset => INTERVAL '14 years', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes');
SELECT add_continuous_aggregate_policy('incident_counts_weekly',
    start_offset => INTERVAL '14 years', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
SELECT add_continuous_aggregate_policy('incident_counts_monthly',
    start_offset => INTERVAL '14 years', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');

-- Compression (columnstore) of chunks older than 180 days: old data is rarely written, only read by
-- refreshes and recounts. Late events and recounts still write to compressed chunks (TimescaleDB supports
-- INSERT, ON CONFLICT upserts and DELETE there), just more slowly.
-- Events: segmented by category (a dozen values, so large, well-compressing segments), in time order.
ALTER TABLE incident_events SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'category',
    timescaledb.compress_orderby = 'occurred_at DESC'
);
-- Hourly counts: segmented by area, the unit that agreement reloads delete and recount and that boards
-- filter on; ordered by time, then the rest of the primary key, so an upsert of one hour decompresses only
-- the batch holding that hour. (Not by category too: counts are sparse, segments would get tiny.)
ALTER TABLE incident_counts_hourly SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'area_id',
    timescaledb.compress_orderby = 'hour DESC, category, source'
);
SELECT add_compression_policy('incident_events', compress_after => INTERVAL '180 days');
SELECT add_compression_policy('incident_counts_hourly', compress_after => INTERVAL '180 days');

-- Retention: 15 years. Raw events must be kept long: agreement areas get redrawn and new ones signed, and
-- their history is recounted from the stored events (upsert_agreements), so every event dropped is missing
-- from every later recount. The hourly counts go with the events they were counted from.
SELECT add_retention_policy('incident_events', drop_after => INTERVAL '15 years');
SELECT add_retention_policy('incident_counts_hourly', drop_after => INTERVAL '15 years');
-- The rollups follow, on purpose: dropping hourly chunks invalidates their range in the aggregates, so the
-- next refresh over it (refresh_rollups refreshes the whole range by default) would empty those buckets
-- anyway, at a moment that depends on when late data arrives. Same horizon everywhere is predictable.
SELECT add_retention_policy('incident_counts', drop_after => INTERVAL '15 years');
SELECT add_retention_policy('incident_counts_weekly', drop_after => INTERVAL '15 years');
SELECT add_retention_policy('incident_counts_monthly', drop_after => INTERVAL '15 years');
