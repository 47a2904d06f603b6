-- Police feed (issue 3): agency credentials for the batch endpoint and progress of resumable imports.
-- Only the sha256 of a bearer token is kept: a leaked table does not let anyone report.

CREATE TABLE agencies (
    agency_id      text PRIMARY KEY,
    source         text NOT NULL CHECK (source IN ('shop', 'property_owner', 'school', 'police', 'municipality')),
    token_sha256   text NOT NULL UNIQUE,
    municipalities text[] NOT NULL DEFAULT '{}',  -- area ids "kommun:<name>" the agency may report for
    agreement_ids  text[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);

-- One row per imported file (sha256 of its bytes); updated in the same transaction as the outbox rows of
-- each batch, so an interrupted import resumes after the last committed line.
CREATE TABLE import_progress (
    fingerprint text PRIMARY KEY,
    path        text NOT NULL,
    format      text NOT NULL,
    lines_done  bigint NOT NULL DEFAULT 0,
    accepted    bigint NOT NULL DEFAULT 0,
    duplicates  bigint NOT NULL DEFAULT 0,
    rejected    bigint NOT NULL DEFAULT 0,
    finished_at timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Rejected lines of an import (reason only, never the line's content), for the summary after a resume.
CREATE TABLE import_rejections (
    fingerprint text NOT NULL REFERENCES import_progress ON DELETE CASCADE,
    line        bigint NOT NULL,
    field       text NOT NULL,
    reason      text NOT NULL,
    message     text NOT NULL,
    PRIMARY KEY (fingerprint, line)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON agencies, import_progress, import_rejections TO trygg_writer;
