-- Two roles: trygg_writer for services, trygg_reader for dashboards (counts and agreement metadata, no
-- events, no free text). Passwords are set by `trygg migrate` from the settings, never stored here.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trygg_writer') THEN
        CREATE ROLE trygg_writer LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trygg_reader') THEN
        CREATE ROLE trygg_reader LOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO trygg_writer, trygg_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO trygg_writer;

GRANT SELECT ON agreements, partners, measures, areas, sites, area_revision,
                incident_counts_hourly, incident_counts, incident_counts_weekly, incident_counts_monthly,
                rejected_events
TO trygg_reader;
