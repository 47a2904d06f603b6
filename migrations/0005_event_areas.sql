-- Which areas each event is counted in, kept on the event: per-agreement views that need more than counts
-- (reporting activity per partner, grid-cell maps) read events by area without re-running placement.
-- Maintained in the same transaction as the counts (processor batches and agreement recounts).
ALTER TABLE incident_events ADD COLUMN area_ids text[] NOT NULL DEFAULT '{}';
CREATE INDEX incident_events_area_ids ON incident_events USING gin (area_ids);
