-- Intake (issue 3): the transactional outbox, partners' personal report links and form submissions.
-- All three are for services only: trygg_reader gets none of them.

-- Every accepted report is stored here in the same transaction that answers the reporter; the relay
-- publishes it to incidents.reported and then erases the payload (it may hold free text).
CREATE TABLE outbox (
    event_id    uuid PRIMARY KEY,
    source      text NOT NULL,
    external_id text,
    payload     bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    UNIQUE (source, external_id)
);
CREATE INDEX outbox_unsent ON outbox (created_at) WHERE sent_at IS NULL;

-- Personal report links. Only the token's sha256 is kept (a leaked table cannot be used to report);
-- token_prefix (the first 6 characters) lets an operator tell links apart and revoke one.
CREATE TABLE partner_links (
    token_sha256 text PRIMARY KEY,
    token_prefix text NOT NULL,
    agreement_id text NOT NULL,
    partner_id   text NOT NULL,
    site_ids     text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX partner_links_partner ON partner_links (partner_id);

-- One row per submitted form, keyed by the form's nonce: a double tap or a resent form finds its row
-- and shows the same receipt. Loss and police reference stay here, not on the event.
CREATE TABLE form_submissions (
    nonce            text PRIMARY KEY,
    token_sha256     text NOT NULL REFERENCES partner_links,
    first_event_id   uuid NOT NULL,
    events           integer NOT NULL CHECK (events >= 1),
    estimated_loss   integer CHECK (estimated_loss >= 0),
    police_reported  boolean,
    police_reference text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON outbox, partner_links, form_submissions TO trygg_writer;
