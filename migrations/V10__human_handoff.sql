-- A human in the loop (issue 14): a conversation handed to staff, the alerts
-- that tell staff about it, and the messages staff write.
--
-- A handoff is open from `since` until staff release it (`released_by`
-- 'staff') or `quiet_until` passes; while it is open the bot records the
-- contact's messages but answers only compliance keywords (STOP, START, HELP,
-- JOIN). A handoff whose quiet time passed is closed (`released_by`
-- 'timeout', `released_at` = `quiet_until`) when the next one opens.
CREATE TABLE handoffs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id          bigint NOT NULL REFERENCES contacts (id),
    reason              text NOT NULL
                        CHECK (reason IN ('asked_for_person', 'asked_for_call', 'complaint',
                                          'not_understood', 'staff_message')),
    since               timestamptz NOT NULL,
    quiet_until         timestamptz NOT NULL,
    -- The customer's message that asked for a person; NULL when staff wrote first.
    trigger_message_id  bigint REFERENCES messages (id),
    released_at         timestamptz,
    released_by         text CHECK (released_by IN ('staff', 'timeout')),
    CHECK (quiet_until > since),
    CHECK ((released_at IS NULL) = (released_by IS NULL))
);
-- At most one open handoff per contact.
CREATE UNIQUE INDEX handoffs_one_open_per_contact ON handoffs (contact_id)
    WHERE released_at IS NULL;
CREATE INDEX handoffs_contact_idx ON handoffs (contact_id, id);

-- What staff are told, recorded in the turn that raised it and published after
-- commit: by SNS in AWS, by SMS to the staff phone locally. One alert per
-- inbound message (a redelivered message finds its alert instead of raising
-- another); `sent_at` once the channel took it. The body names the contact and
-- quotes their messages, so erasing the contact empties it.
CREATE TABLE staff_alerts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id   bigint NOT NULL REFERENCES contacts (id),
    inbound_id   bigint NOT NULL UNIQUE REFERENCES messages (id),
    handoff_id   bigint REFERENCES handoffs (id),
    reason       text NOT NULL
                 CHECK (reason IN ('asked_for_person', 'asked_for_call', 'complaint',
                                   'not_understood', 'running_late', 'arrived', 'on_the_way')),
    subject      text NOT NULL,
    body         text, -- NULL once the contact was erased
    created_at   timestamptz NOT NULL,
    lease_until  timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    sent_at      timestamptz,
    channel      text CHECK (channel IN ('sns', 'sms', 'memory')),
    -- The channel's id for it: the SNS MessageId, or the SMS's message row.
    receipt      text,
    CHECK ((sent_at IS NULL) = (channel IS NULL))
);
CREATE INDEX staff_alerts_unsent_idx ON staff_alerts (id) WHERE sent_at IS NULL;

-- Staff write to a contact through the admin API: the message says who
-- (`staff_author`). An alert sent by SMS is an internal message: no contact,
-- the staff number in `internal_to`, the alert it carries in `staff_alert_id`
-- (unique: an alert is texted at most once), sent without a consent check
-- (staff are not customers) and never counted as a contact's message.
ALTER TABLE messages
    ADD COLUMN staff_author text
        CHECK (staff_author IS NULL OR (direction = 'outbound' AND length(staff_author) BETWEEN 1 AND 100)),
    ADD COLUMN staff_alert_id bigint UNIQUE REFERENCES staff_alerts (id),
    ADD COLUMN internal_to text CHECK (internal_to ~ '^\+[1-9][0-9]{6,14}$'),
    ADD CONSTRAINT messages_internal_is_an_alert_to_staff
        CHECK ((internal_to IS NULL) = (staff_alert_id IS NULL)
           AND (internal_to IS NULL OR (contact_id IS NULL AND direction = 'outbound')));
