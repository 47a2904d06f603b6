-- Core tables, the same on TimescaleDB and on plain PostgreSQL.

CREATE TABLE agreements (
    agreement_id text PRIMARY KEY,
    name         text NOT NULL,
    municipality text NOT NULL,
    signed_at    date NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partners (
    agreement_id text NOT NULL REFERENCES agreements ON DELETE CASCADE,
    partner_id   text NOT NULL,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('shop', 'property_owner', 'school', 'police', 'municipality')),
    PRIMARY KEY (agreement_id, partner_id)
);

CREATE TABLE measures (
    agreement_id text NOT NULL REFERENCES agreements ON DELETE CASCADE,
    position     integer NOT NULL,
    description  text NOT NULL,
    starts_on    date NOT NULL,
    PRIMARY KEY (agreement_id, position)
);

-- Agreement areas, control areas and municipalities. Polygons are GeoJSON (no PostGIS needed); the
-- bounding box lets a redraw fetch only the events that can lie inside.
CREATE TABLE areas (
    area_id      text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('agreement', 'control', 'municipality')),
    agreement_id text REFERENCES agreements ON DELETE CASCADE,
    name         text NOT NULL,
    municipality text NOT NULL,
    geometry     jsonb,
    min_lat      double precision,
    max_lat      double precision,
    min_lon      double precision,
    max_lon      double precision,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
    site_id      text PRIMARY KEY,
    agreement_id text NOT NULL REFERENCES agreements ON DELETE CASCADE,
    partner_id   text NOT NULL,
    name         text NOT NULL,
    lat          double precision NOT NULL,
    lon          double precision NOT NULL
);

-- Bumped by every agreements load. A processor batch holds a share lock on this row and checks its index
-- was built from this revision, so a redraw and a batch never interleave.
CREATE TABLE area_revision (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision  bigint NOT NULL
);
INSERT INTO area_revision VALUES (true, 0);

-- The idempotency ledger: one row per accepted event_id, written in the same transaction as the counts.
CREATE TABLE event_ledger (
    event_id  uuid PRIMARY KEY,
    stored_at timestamptz NOT NULL DEFAULT now()
);

-- Every valid event, kept so areas can be redrawn and recounted. No free text here.
CREATE TABLE incident_events (
    event_id     uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    reported_at  timestamptz NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now(),
    source       text NOT NULL,
    reporter     text NOT NULL,
    category     text NOT NULL,
    lat          double precision,
    lon          double precision,
    site_id      text,
    municipality text,
    precision    text NOT NULL,
    external_id  text,
    PRIMARY KEY (occurred_at, event_id)
);
CREATE INDEX incident_events_lat_lon ON incident_events (lat, lon);

-- Free text, apart: never granted to dashboards, erased when expires_at passes.
CREATE TABLE incident_notes (
    event_id   uuid PRIMARY KEY,
    note       text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX incident_notes_expires_at ON incident_notes (expires_at);

-- Hourly counts per area, category and source: the base every rollup and board reads.
CREATE TABLE incident_counts_hourly (
    area_id   text NOT NULL,
    category  text NOT NULL,
    source    text NOT NULL,
    hour      timestamptz NOT NULL,
    incidents integer NOT NULL CHECK (incidents >= 0),
    PRIMARY KEY (area_id, category, source, hour)
);

-- Rejected events, without their payload (that stays on the dead-letter topic): for the health board.
CREATE TABLE rejected_events (
    source_partition integer NOT NULL,
    source_offset    bigint NOT NULL,
    payload_sha256   text NOT NULL,
    rejected_at      timestamptz NOT NULL,
    reason           text NOT NULL,
    field            text NOT NULL,
    PRIMARY KEY (source_partition, source_offset, payload_sha256)
);
CREATE INDEX rejected_events_rejected_at ON rejected_events (rejected_at);
