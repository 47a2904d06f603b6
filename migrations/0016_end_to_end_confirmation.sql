-- Issue 10: an outbox row stays re-sendable until the processor has committed its event, not merely until the
-- broker acknowledged it. The embedded broker keeps its log in memory: an event acknowledged but not yet
-- counted when it restarts exists nowhere else.
--   sent_at      the last time it was published (NULL: never)
--   attempts     how often it was published
--   due_at       when the relay publishes it (again) unless confirmed first
--   confirmed_at when the processor committed it (in its ledger, or as a recorded rejection); the payload is
--                erased in that same transaction
ALTER TABLE outbox
    ADD COLUMN attempts     integer NOT NULL DEFAULT 0,
    ADD COLUMN due_at       timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN confirmed_at timestamptz;
-- Rows sent before this version had their payload erased on the broker's acknowledgement: nothing to re-send.
UPDATE outbox SET attempts = 1, confirmed_at = sent_at WHERE sent_at IS NOT NULL;
UPDATE outbox SET due_at = created_at WHERE sent_at IS NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_resendable_until_confirmed CHECK (confirmed_at IS NOT NULL OR payload IS NOT NULL);
DROP INDEX outbox_unsent;
CREATE INDEX outbox_due ON outbox (due_at) WHERE confirmed_at IS NULL;
