-- The whole schema of the design (../README.md "Data"): contacts and consent,
-- messages, services/providers and availability, appointments, conversation state,
-- campaigns and their recipients. Constraints here are the last line of defence:
-- application code checks first, the database refuses what slipped through.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Contacts ------------------------------------------------------------------------
CREATE TABLE contacts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- E.164; NULL only after the contact's personal data was erased.
    phone               text UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name                text,
    timezone            text,
    tags                text[] NOT NULL DEFAULT '{}',
    consent             text NOT NULL DEFAULT 'opted_in'
                        CHECK (consent IN ('opted_in', 'opted_out')),
    consent_changed_at  timestamptz NOT NULL DEFAULT now(),
    consent_source      text NOT NULL DEFAULT 'inbound',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    erased_at           timestamptz,
    CHECK ((erased_at IS NULL) = (phone IS NOT NULL))
);
CREATE INDEX contacts_tags_idx ON contacts USING gin (tags);

-- Every consent change, kept when a contact is erased: the proof of consent
-- outlives the personal data.
CREATE TABLE consent_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id   bigint NOT NULL REFERENCES contacts (id),
    consent      text NOT NULL CHECK (consent IN ('opted_in', 'opted_out')),
    source       text NOT NULL,
    detail       text,
    occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_contact_idx ON consent_events (contact_id, occurred_at);

-- Services, providers, availability -------------------------------------------------
CREATE TABLE services (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL UNIQUE,
    duration_minutes  integer NOT NULL CHECK (duration_minutes > 0),
    active            boolean NOT NULL DEFAULT true
);

CREATE TABLE providers (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    active  boolean NOT NULL DEFAULT true
);

CREATE TABLE availability_slots (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id   bigint NOT NULL REFERENCES providers (id),
    service_id    bigint REFERENCES services (id), -- NULL: any service
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    capacity      integer NOT NULL CHECK (capacity > 0),
    -- Maintained by the appointments trigger below, so capacity holds even if a
    -- caller forgot to lock the slot.
    booked_count  integer NOT NULL DEFAULT 0,
    CHECK (ends_at > starts_at),
    CHECK (booked_count >= 0 AND booked_count <= capacity),
    UNIQUE (provider_id, starts_at),
    EXCLUDE USING gist (provider_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
);
CREATE INDEX availability_slots_starts_idx ON availability_slots (starts_at);

-- Appointments -----------------------------------------------------------------------
CREATE TABLE appointments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id         bigint NOT NULL REFERENCES contacts (id),
    slot_id            bigint NOT NULL REFERENCES availability_slots (id),
    service_id         bigint REFERENCES services (id),
    status             text NOT NULL DEFAULT 'booked'
                       CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    confirmed_at       timestamptz,
    cancelled_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
-- One contact never holds the same slot twice.
CREATE UNIQUE INDEX appointments_one_booking_per_contact_and_slot
    ON appointments (contact_id, slot_id) WHERE status = 'booked';
CREATE INDEX appointments_contact_idx ON appointments (contact_id, starts_at);
CREATE INDEX appointments_starts_idx ON appointments (starts_at) WHERE status = 'booked';

-- History of what happened to an appointment (booked, rescheduled, cancelled, …).
CREATE TABLE appointment_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id  bigint NOT NULL REFERENCES appointments (id),
    kind            text NOT NULL
                    CHECK (kind IN ('booked', 'rescheduled', 'cancelled', 'confirmed',
                                    'completed', 'no_show')),
    from_slot_id    bigint REFERENCES availability_slots (id),
    to_slot_id      bigint REFERENCES availability_slots (id),
    occurred_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointment_events_appointment_idx ON appointment_events (appointment_id);

-- Keeps availability_slots.booked_count equal to the number of booked appointments;
-- the slot's CHECK then refuses any booking beyond capacity.
CREATE FUNCTION appointments_maintain_booked_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'booked' THEN
        UPDATE availability_slots SET booked_count = booked_count - 1 WHERE id = OLD.slot_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'booked' THEN
        UPDATE availability_slots SET booked_count = booked_count + 1 WHERE id = NEW.slot_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER appointments_booked_count
    AFTER INSERT OR UPDATE OF status, slot_id OR DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_maintain_booked_count();

-- Campaigns --------------------------------------------------------------------------
CREATE TABLE campaigns (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL,
    kind               text NOT NULL DEFAULT 'broadcast' CHECK (kind IN ('broadcast', 'reminder')),
    template           text NOT NULL CHECK (length(template) BETWEEN 1 AND 1600),
    audience           jsonb NOT NULL DEFAULT '{"type": "all_opted_in"}',
    starts_at          timestamptz,
    quiet_start        time NOT NULL DEFAULT '21:00',
    quiet_end          time NOT NULL DEFAULT '08:00',
    rate_per_second    integer NOT NULL DEFAULT 1 CHECK (rate_per_second BETWEEN 1 AND 1000),
    status             text NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'scheduled', 'running', 'paused',
                                         'completed', 'cancelled')),
    recipients_materialised_at timestamptz,
    targeted           integer NOT NULL DEFAULT 0,
    sent               integer NOT NULL DEFAULT 0,
    delivered          integer NOT NULL DEFAULT 0,
    failed             integer NOT NULL DEFAULT 0,
    skipped_consent    integer NOT NULL DEFAULT 0,
    deferred_quiet     integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_due_idx ON campaigns (starts_at) WHERE status IN ('scheduled', 'running');

-- Messages ---------------------------------------------------------------------------
CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id      bigint REFERENCES contacts (id),
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    body            text, -- NULL once erased
    -- Twilio's MessageSid: the key that makes redelivery harmless. An outbound row
    -- exists before Twilio answers, so its SID is filled in afterwards.
    twilio_sid      text UNIQUE CHECK (twilio_sid ~ '^(SM|MM)[0-9a-fA-F]{32}$'),
    status          text NOT NULL,
    -- Order of Twilio statuses; an update only ever raises it (see smsbot-twilio).
    status_rank     smallint NOT NULL DEFAULT 0,
    error_code      integer,
    segments        integer NOT NULL DEFAULT 1 CHECK (segments > 0),
    campaign_id     bigint REFERENCES campaigns (id),
    appointment_id  bigint REFERENCES appointments (id),
    -- For a reply: the inbound message it answers (one reply per inbound message).
    reply_to_id     bigint UNIQUE REFERENCES messages (id),
    correlation_id  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (direction = 'outbound' OR twilio_sid IS NOT NULL)
);
CREATE INDEX messages_contact_idx ON messages (contact_id, id);
CREATE INDEX messages_campaign_idx ON messages (campaign_id) WHERE campaign_id IS NOT NULL;

-- Every delivery status callback as received, including ones that arrive before
-- the outbound row knows its SID; the row is brought up to date from here.
CREATE TABLE message_status_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    twilio_sid   text NOT NULL,
    status       text NOT NULL,
    status_rank  smallint NOT NULL,
    error_code   integer,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_status_events_sid_idx ON message_status_events (twilio_sid);

CREATE TABLE campaign_recipients (
    campaign_id      bigint NOT NULL REFERENCES campaigns (id),
    contact_id       bigint NOT NULL REFERENCES contacts (id),
    -- A contact appears at most once per campaign, across retries and ticks.
    PRIMARY KEY (campaign_id, contact_id),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'queued', 'sent', 'delivered', 'failed',
                                       'skipped_consent', 'invalid_number')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    message_id       bigint REFERENCES messages (id),
    last_error       text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_recipients_due_idx
    ON campaign_recipients (campaign_id, next_attempt_at) WHERE status = 'pending';

-- Conversation state -----------------------------------------------------------------
CREATE TABLE conversations (
    contact_id  bigint PRIMARY KEY REFERENCES contacts (id),
    state       text NOT NULL DEFAULT 'idle',
    payload     jsonb NOT NULL DEFAULT '{}',
    -- Optimistic concurrency: a save succeeds only against the version it read.
    version     bigint NOT NULL DEFAULT 0,
    expires_at  timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_expiry_idx ON conversations (expires_at) WHERE expires_at IS NOT NULL;
