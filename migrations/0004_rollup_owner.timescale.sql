-- The processor (trygg_writer) folds late data into the continuous aggregates with
-- refresh_continuous_aggregate, which only an owner may call. The roles exist only from 0003 on.
ALTER MATERIALIZED VIEW incident_counts OWNER TO trygg_writer;
ALTER MATERIALIZED VIEW incident_counts_weekly OWNER TO trygg_writer;
ALTER MATERIALIZED VIEW incident_counts_monthly OWNER TO trygg_writer;
