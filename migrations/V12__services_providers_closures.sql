-- Services, providers and closures (issue 15, items 1-3, 8 and 9).
--
-- A slot stays what it was: a provider's bookable start time, and the span of
-- time the provider works from it. A service says how long a visit takes and
-- how much time around it stays free (buffers); an appointment therefore
-- blocks `[starts_at - buffer_before, ends_at + buffer_after)` of its
-- provider, which may reach over following slots. The database refuses two
-- overlapping blocks of one provider in different slots (the slots' exclusion
-- constraint on what their bookings block, below); several bookings of one
-- slot stay governed by its capacity, as before.
--
-- Closures (holidays, training afternoons, a provider's time off) are ranges
-- of time, business-wide (`provider_id IS NULL`) or for one provider. Nothing
-- inside one is offered or bookable. A booking takes a shared advisory lock
-- on its provider (and on the business) before it reads the closures; adding
-- a closure takes the exclusive one, so a closure and a booking racing for
-- the same time serialise: either the booking comes first and the closure
-- lists it, or the closure comes first and the booking is refused.

ALTER TABLE services
    ADD COLUMN buffer_before_minutes integer NOT NULL DEFAULT 0
        CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    ADD COLUMN buffer_after_minutes integer NOT NULL DEFAULT 0
        CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    ADD COLUMN price_cents integer CHECK (price_cents IS NULL OR price_cents >= 0),
    ADD COLUMN description text
        CHECK (description IS NULL OR length(description) BETWEEN 1 AND 300),
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT services_duration_within_a_day CHECK (duration_minutes <= 1440),
    ADD CONSTRAINT services_name_length CHECK (length(name) BETWEEN 1 AND 100);

ALTER TABLE providers
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT providers_name_length CHECK (length(name) BETWEEN 1 AND 100);

-- Which providers offer which services.
CREATE TABLE provider_services (
    provider_id  bigint NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    service_id   bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (provider_id, service_id)
);
CREATE INDEX provider_services_service_idx ON provider_services (service_id);

CREATE TABLE closures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id  bigint REFERENCES providers (id) ON DELETE CASCADE, -- NULL: everyone
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX closures_during_idx ON closures USING gist (tstzrange(starts_at, ends_at));

-- Appointments carry their provider and the time they block.
ALTER TABLE appointments
    ADD COLUMN provider_id bigint REFERENCES providers (id),
    ADD COLUMN blocked_from timestamptz,
    ADD COLUMN blocked_until timestamptz;
UPDATE appointments a
   SET provider_id = s.provider_id, blocked_from = a.starts_at, blocked_until = a.ends_at
  FROM availability_slots s
 WHERE s.id = a.slot_id;

-- Existing data maps to a default service: one named "Appointment", as long
-- as the slots most often are, offered by every provider there is. A new
-- database gets none: the business adds its own.
DO $$
DECLARE
    minutes integer;
    default_service bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM availability_slots) THEN
        RETURN;
    END IF;
    SELECT (extract(epoch FROM ends_at - starts_at) / 60)::integer INTO minutes
      FROM availability_slots
     GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1;
    INSERT INTO services (name, duration_minutes)
    VALUES ('Appointment', least(greatest(minutes, 1), 1440))
    ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
    RETURNING id INTO default_service;
    INSERT INTO provider_services (provider_id, service_id)
    SELECT id, default_service FROM providers
    ON CONFLICT DO NOTHING;
    UPDATE appointments SET service_id = default_service WHERE service_id IS NULL;
END $$;

ALTER TABLE appointments
    ALTER COLUMN provider_id SET NOT NULL,
    ALTER COLUMN blocked_from SET NOT NULL,
    ALTER COLUMN blocked_until SET NOT NULL,
    ADD CONSTRAINT appointments_block_covers_visit
        CHECK (blocked_from <= starts_at AND blocked_until >= ends_at);
CREATE INDEX appointments_provider_day_idx ON appointments (provider_id, starts_at);

-- The time a slot's bookings block: the union of their blocks (NULL without
-- a booking), kept by the booked-count trigger below under the slot's row
-- lock. Two slots of one provider whose bookings' blocks overlap are refused,
-- so a long visit never overlaps the next booking. Kept per slot rather than
-- per appointment so that the check costs the same however many customers
-- share one slot (a class of 20, a benchmark's 10,000).
ALTER TABLE availability_slots
    ADD COLUMN blocked_from timestamptz,
    ADD COLUMN blocked_until timestamptz;
UPDATE availability_slots s
   SET blocked_from = b.blocked_from, blocked_until = b.blocked_until
  FROM (SELECT slot_id, min(blocked_from) AS blocked_from, max(blocked_until) AS blocked_until
          FROM appointments WHERE status = 'booked' GROUP BY slot_id) b
 WHERE b.slot_id = s.id;
ALTER TABLE availability_slots
    ADD CONSTRAINT availability_slots_blocks_never_overlap
        EXCLUDE USING gist (provider_id WITH =, tstzrange(blocked_from, blocked_until) WITH &&)
        WHERE (blocked_from IS NOT NULL);

-- The booked count as before, and the slot's block with it: a booking widens
-- it, a cancellation or a move away recomputes it from what stays booked.
CREATE OR REPLACE FUNCTION appointments_maintain_booked_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'booked' THEN
        UPDATE availability_slots s
           SET booked_count = s.booked_count - 1,
               -- A slot's bookings start when it does: found by the
               -- provider's day index (an index on slot_id alone would
               -- tempt the planner away from the contact's own index
               -- in the booking's checks).
               (blocked_from, blocked_until) =
                   (SELECT min(a.blocked_from), max(a.blocked_until) FROM appointments a
                     WHERE a.provider_id = OLD.provider_id AND a.starts_at = s.starts_at
                       AND a.slot_id = OLD.slot_id AND a.status = 'booked')
         WHERE s.id = OLD.slot_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'booked' THEN
        UPDATE availability_slots s
           SET booked_count = s.booked_count + 1,
               blocked_from = least(s.blocked_from, NEW.blocked_from),
               blocked_until = greatest(s.blocked_until, NEW.blocked_until)
         WHERE s.id = NEW.slot_id;
    END IF;
    RETURN NULL;
END $$;

-- An appointment written without its provider or block (by hand, by a script
-- from before this migration) takes the slot's provider and blocks exactly
-- its own time.
CREATE FUNCTION appointments_fill_provider_and_block() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.provider_id IS NULL THEN
        SELECT s.provider_id INTO NEW.provider_id FROM availability_slots s WHERE s.id = NEW.slot_id;
    END IF;
    NEW.blocked_from := coalesce(NEW.blocked_from, NEW.starts_at);
    NEW.blocked_until := coalesce(NEW.blocked_until, NEW.ends_at);
    RETURN NEW;
END $$;

CREATE TRIGGER appointments_fill_provider_and_block
    BEFORE INSERT ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_fill_provider_and_block();

-- Keys of the advisory locks between bookings and closures (7301: shared by
-- bookings, exclusive for a new closure) and of one provider's bookings
-- (7302: exclusive, held by a booking or a move from just before it locks its
-- slot to commit).
CREATE FUNCTION closure_lock_key(provider bigint) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT (coalesce(provider, 0) % 2147483647)::integer $$;

-- Waitlist holds (V14 gives these their bodies): how many places of `slot`
-- are held at `at_time` for customers other than `except_contact` (NULL: for
-- anyone), and releasing the booking contact's own hold once they booked.
-- Before the waitlist there are none.
CREATE FUNCTION slot_live_holds(slot bigint, at_time timestamptz, except_contact bigint)
RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT 0 $$;

CREATE FUNCTION release_own_hold(slot bigint, contact bigint, appointment bigint,
                                 at_time timestamptz) RETURNS void
LANGUAGE sql AS $$ SELECT $$;

-- Whether a visit blocking [from, until) in slot `s` would overlap what the
-- provider's other slots' bookings block. A move (`moving`) must not count
-- the appointment being moved, which its old slot's block includes: it reads
-- the appointments themselves (slower for a crowded slot, and moves are rare).
CREATE FUNCTION overlaps_other_slots(s availability_slots, "from" timestamptz,
                                     until timestamptz, moving bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN moving IS NULL THEN
        EXISTS (SELECT 1 FROM availability_slots o
                 WHERE o.provider_id = s.provider_id AND o.id <> s.id
                   AND o.blocked_from IS NOT NULL
                   AND tstzrange(o.blocked_from, o.blocked_until) && tstzrange("from", until))
    ELSE
        EXISTS (SELECT 1 FROM appointments a
                 WHERE a.provider_id = s.provider_id AND a.status = 'booked'
                   AND a.slot_id <> s.id AND a.id <> moving
                   AND tstzrange(a.blocked_from, a.blocked_until) && tstzrange("from", until))
    END
$$;

-- Whether `service` (NULL: the one the slot or its provider implies) can start
-- in slot `slot_id`, ignoring appointment `moving` (being rescheduled), and the
-- visit and block it would have. Reads only; takes no lock. `outcome` is one of
-- fits, slot_missing, provider_inactive, service_required, service_not_offered,
-- does_not_fit, closed, overlaps, held (every free place is held for a
-- waitlisted customer: see V14).
CREATE FUNCTION slot_fit(slot_id bigint, service bigint, moving bigint,
                         OUT outcome text, OUT provider bigint, OUT service_id bigint,
                         OUT starts_at timestamptz, OUT ends_at timestamptz,
                         OUT blocked_from timestamptz, OUT blocked_until timestamptz)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    s  availability_slots%ROWTYPE;
    sv services%ROWTYPE;
    offered integer;
    covered interval;
    holds integer;
BEGIN
    SELECT * INTO s FROM availability_slots a WHERE a.id = slot_fit.slot_id;
    IF NOT FOUND THEN
        outcome := 'slot_missing';
        RETURN;
    END IF;
    provider := s.provider_id;
    starts_at := s.starts_at;
    IF NOT (SELECT p.active FROM providers p WHERE p.id = s.provider_id) THEN
        outcome := 'provider_inactive';
        RETURN;
    END IF;
    service_id := coalesce(service, s.service_id);
    IF service_id IS NULL THEN
        SELECT count(*), min(ps.service_id) INTO offered, service_id
          FROM provider_services ps JOIN services x ON x.id = ps.service_id
         WHERE ps.provider_id = s.provider_id AND x.active;
        IF offered > 1 THEN
            outcome := 'service_required';
            RETURN;
        END IF;
    END IF;
    IF service_id IS NULL THEN
        -- A business that keeps no services: the visit is the slot.
        ends_at := s.ends_at;
        blocked_from := s.starts_at;
        blocked_until := s.ends_at;
    ELSE
        SELECT * INTO sv FROM services x WHERE x.id = slot_fit.service_id;
        IF NOT FOUND OR NOT sv.active
           OR (s.service_id IS NOT NULL AND s.service_id <> sv.id)
           OR NOT EXISTS (SELECT 1 FROM provider_services ps
                           WHERE ps.provider_id = s.provider_id AND ps.service_id = sv.id) THEN
            outcome := 'service_not_offered';
            RETURN;
        END IF;
        ends_at := s.starts_at + make_interval(mins => sv.duration_minutes);
        blocked_from := s.starts_at - make_interval(mins => sv.buffer_before_minutes);
        blocked_until := ends_at + make_interval(mins => sv.buffer_after_minutes);
        -- The visit must lie within the provider's working time: the provider's
        -- slots (which never overlap) must cover all of it.
        SELECT coalesce(sum(least(a.ends_at, slot_fit.ends_at) - greatest(a.starts_at, s.starts_at)),
                        interval '0')
          INTO covered
          FROM availability_slots a
         WHERE a.provider_id = s.provider_id
           AND tstzrange(a.starts_at, a.ends_at) && tstzrange(s.starts_at, slot_fit.ends_at);
        IF covered < slot_fit.ends_at - s.starts_at THEN
            outcome := 'does_not_fit';
            RETURN;
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM closures c
                WHERE (c.provider_id IS NULL OR c.provider_id = s.provider_id)
                  AND tstzrange(c.starts_at, c.ends_at) && tstzrange(s.starts_at, slot_fit.ends_at)) THEN
        outcome := 'closed';
        RETURN;
    END IF;
    IF overlaps_other_slots(s, slot_fit.blocked_from, slot_fit.blocked_until, moving) THEN
        outcome := 'overlaps';
        RETURN;
    END IF;
    -- Every free place kept for a waitlisted customer (a full slot stays a
    -- full slot: `slot_full` is decided under the slot's lock).
    holds := slot_live_holds(s.id, now(), NULL);
    IF holds > 0 AND s.booked_count < s.capacity AND s.capacity - s.booked_count <= holds THEN
        outcome := 'held';
        RETURN;
    END IF;
    outcome := 'fits';
END $$;

-- Books `slot_id` for `contact` in one statement, so a caller holds the
-- slot's row lock for no network round trip: everything that needs no slot
-- lock (the fit, closures, the contact's limits) is checked first; then the
-- slot row is locked, its capacity read and the appointment inserted, and the
-- lock lasts until the caller commits. `outcome` is `booked` or why not:
-- slot_fit's outcomes, outside_window, too_many_open, already_held, slot_full.
CREATE FUNCTION book_appointment(contact bigint, slot_id bigint, service bigint,
                                 earliest timestamptz, latest timestamptz,
                                 max_open bigint, now timestamptz,
                                 OUT outcome text, OUT appointment_id bigint,
                                 OUT service_id bigint, OUT starts_at timestamptz,
                                 OUT ends_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    fit record;
    booked integer;
    capacity integer;
    others integer;
BEGIN
    -- Closures cannot change from here to the caller's commit.
    PERFORM pg_advisory_xact_lock_shared(7301, 0);
    PERFORM pg_advisory_xact_lock_shared(7301, closure_lock_key(s.provider_id))
       FROM availability_slots s WHERE s.id = book_appointment.slot_id;
    SELECT * INTO fit FROM slot_fit(book_appointment.slot_id, service, NULL);
    service_id := fit.service_id;
    starts_at := fit.starts_at;
    ends_at := fit.ends_at;
    -- slot_fit judges holds by the clock and for no one in particular; this
    -- booking judges them below, by its own `now` and for its contact.
    IF fit.outcome NOT IN ('fits', 'held') THEN
        outcome := fit.outcome;
        RETURN;
    END IF;
    IF fit.starts_at < earliest OR fit.starts_at > latest THEN
        outcome := 'outside_window';
        RETURN;
    END IF;
    -- One contact's bookings, one at a time, so the cap holds.
    PERFORM 1 FROM contacts c WHERE c.id = contact FOR UPDATE;
    IF (SELECT count(*) FROM appointments a
         WHERE a.contact_id = contact AND a.status = 'booked'
           AND a.starts_at > book_appointment.now) >= max_open THEN
        outcome := 'too_many_open';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM appointments a
                WHERE a.contact_id = contact AND a.slot_id = book_appointment.slot_id
                  AND a.status = 'booked') THEN
        outcome := 'already_held';
        RETURN;
    END IF;
    -- One booking of the provider's time at a time: two overlapping visits
    -- in different slots inserted at once would each wait on the other in
    -- the exclusion constraint's check (a deadlock); in turn, the second
    -- sees the first committed and is refused at once. From here to commit,
    -- no round trip.
    PERFORM pg_advisory_xact_lock(7302, closure_lock_key(fit.provider));
    -- A booking of another slot that committed since the fit was read: under
    -- the lock nothing else can, so the insert below never meets the
    -- slots' exclusion constraint (left as the last line of defence).
    IF overlaps_other_slots((SELECT s FROM availability_slots s WHERE s.id = book_appointment.slot_id),
                            fit.blocked_from, fit.blocked_until, NULL) THEN
        outcome := 'overlaps';
        RETURN;
    END IF;
    SELECT s.booked_count, s.capacity INTO booked, capacity
      FROM availability_slots s WHERE s.id = book_appointment.slot_id FOR UPDATE;
    IF booked >= capacity THEN
        outcome := 'slot_full';
        RETURN;
    END IF;
    -- Holds are created under the lock just taken, so this sees every hold
    -- that could compete for the place.
    others := slot_live_holds(book_appointment.slot_id, book_appointment.now, contact);
    IF others > 0 AND capacity - booked <= others THEN
        outcome := 'held';
        RETURN;
    END IF;
    INSERT INTO appointments (contact_id, slot_id, service_id, provider_id, starts_at,
                              ends_at, blocked_from, blocked_until)
    VALUES (contact, book_appointment.slot_id, fit.service_id, fit.provider,
            fit.starts_at, fit.ends_at, fit.blocked_from, fit.blocked_until)
    RETURNING id INTO appointment_id;
    INSERT INTO appointment_events (appointment_id, kind, to_slot_id)
    VALUES (appointment_id, 'booked', book_appointment.slot_id);
    -- The contact's own hold on this slot (the waitlist's) has done its work.
    PERFORM release_own_hold(book_appointment.slot_id, contact, appointment_id,
                             book_appointment.now);
    outcome := 'booked';
END $$;
