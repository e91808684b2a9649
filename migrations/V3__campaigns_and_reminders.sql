-- Campaign sending and appointment reminders (issue 5).
--
-- Campaign counters are kept by the database from the recipients' statuses, the
-- way availability_slots.booked_count is kept from appointments: whatever code
-- path changes a recipient, the counters follow in the same transaction, so
--   targeted = sent + skipped_consent + failed + (pending and queued recipients)
-- always holds. `sent` counts recipients whose message Twilio accepted and that
-- did not fail later; `delivered` is the part of them the carrier confirmed; a
-- delivery failure reported by a status callback moves a recipient from `sent`
-- to `failed`. `deferred_quiet` counts deferrals and is kept by the dispatcher.

-- Contacts ------------------------------------------------------------------------
-- A number Twilio refused as invalid (21211, 21614, …). Campaigns skip it; the
-- mark is cleared whenever the number changes (an operator fixed it, or erasure).
ALTER TABLE contacts ADD COLUMN phone_invalid_at timestamptz;
ALTER TABLE contacts ADD COLUMN phone_invalid_code integer;

CREATE FUNCTION contacts_clear_invalid_phone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.phone IS DISTINCT FROM OLD.phone THEN
        NEW.phone_invalid_at := NULL;
        NEW.phone_invalid_code := NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER contacts_invalid_phone_follows_phone
    BEFORE UPDATE OF phone ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_clear_invalid_phone();

-- Campaign recipients -----------------------------------------------------------------
-- The dispatcher picks pending recipients that are due, and queued ones whose
-- `next_attempt_at` (set when queued) passed without the sender finishing them
-- (a message lost to the dead-letter queue is sent again; the sender is idempotent).
-- The contact id makes the order total, so a tick pages through with a key.
DROP INDEX campaign_recipients_due_idx;
CREATE INDEX campaign_recipients_due_idx
    ON campaign_recipients (campaign_id, next_attempt_at, contact_id)
    WHERE status IN ('pending', 'queued');

CREATE FUNCTION campaign_recipients_count_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaigns c
       SET targeted = c.targeted + d.n,
           sent = c.sent + d.sent,
           delivered = c.delivered + d.delivered,
           failed = c.failed + d.failed,
           skipped_consent = c.skipped_consent + d.skipped,
           updated_at = now()
      FROM (SELECT campaign_id,
                   count(*) AS n,
                   count(*) FILTER (WHERE status IN ('sent', 'delivered')) AS sent,
                   count(*) FILTER (WHERE status = 'delivered') AS delivered,
                   count(*) FILTER (WHERE status IN ('failed', 'invalid_number')) AS failed,
                   count(*) FILTER (WHERE status = 'skipped_consent') AS skipped
              FROM inserted GROUP BY campaign_id) d
     WHERE c.id = d.campaign_id;
    RETURN NULL;
END $$;

CREATE FUNCTION campaign_recipients_count_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaigns c
       SET sent = c.sent + d.sent,
           delivered = c.delivered + d.delivered,
           failed = c.failed + d.failed,
           skipped_consent = c.skipped_consent + d.skipped,
           updated_at = now()
      FROM (SELECT campaign_id,
                   sum(sign * (status IN ('sent', 'delivered'))::int) AS sent,
                   sum(sign * (status = 'delivered')::int) AS delivered,
                   sum(sign * (status IN ('failed', 'invalid_number'))::int) AS failed,
                   sum(sign * (status = 'skipped_consent')::int) AS skipped
              FROM (SELECT campaign_id, status, 1 AS sign FROM after_rows
                    UNION ALL
                    SELECT campaign_id, status, -1 AS sign FROM before_rows) changes
             GROUP BY campaign_id) d
     WHERE c.id = d.campaign_id
       AND (d.sent, d.delivered, d.failed, d.skipped) <> (0, 0, 0, 0);
    RETURN NULL;
END $$;

CREATE TRIGGER campaign_recipients_counted_on_insert
    AFTER INSERT ON campaign_recipients
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION campaign_recipients_count_inserted();

CREATE TRIGGER campaign_recipients_counted_on_update
    AFTER UPDATE ON campaign_recipients
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION campaign_recipients_count_updated();

-- A campaign message's delivery outcome (from status callbacks, applied by
-- smsbot-store's messages module) moves its recipient once: the status rank only
-- rises and outcomes share one rank, so each message reaches one outcome once.
CREATE FUNCTION messages_outcome_to_recipient() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('delivered', 'read') THEN
        UPDATE campaign_recipients SET status = 'delivered', updated_at = now()
         WHERE campaign_id = NEW.campaign_id AND contact_id = NEW.contact_id
           AND message_id = NEW.id AND status IN ('queued', 'sent');
    ELSIF NEW.status IN ('failed', 'undelivered') THEN
        UPDATE campaign_recipients
           SET status = 'failed', updated_at = now(),
               last_error = COALESCE('twilio error ' || NEW.error_code, NEW.status)
         WHERE campaign_id = NEW.campaign_id AND contact_id = NEW.contact_id
           AND message_id = NEW.id AND status IN ('queued', 'sent');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_campaign_outcome
    AFTER UPDATE OF status ON messages
    FOR EACH ROW
    WHEN (NEW.campaign_id IS NOT NULL AND NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION messages_outcome_to_recipient();

-- Appointment reminders ---------------------------------------------------------------
-- One reminder per appointment and start time: a moved appointment is reminded of
-- its new time, never twice of the same one.
CREATE TABLE appointment_reminders (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id  bigint NOT NULL REFERENCES appointments (id),
    starts_at       timestamptz NOT NULL,
    message_id      bigint REFERENCES messages (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (appointment_id, starts_at)
);
