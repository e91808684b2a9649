-- Booking as fast as the lock allows (issue 15, item 8): the helpers the
-- booking calls while it holds the provider's booking lock were SQL functions
-- whose body reads a table. PostgreSQL inlines only a bare expression, so such
-- a function is parsed and planned again on every call: about 0.25 ms of the
-- 0.5 ms a booking held its locks (measured with pg_stat_statements, 8
-- clients on one slot). As PL/pgSQL they keep their plans for the session.
-- Same arguments, same answers.

-- Whether a visit blocking [from, until) in slot `s` would overlap what the
-- provider's other slots' bookings block. A move (`moving`) must not count
-- the appointment being moved, which its old slot's block includes: it reads
-- the appointments themselves (slower for a crowded slot, and moves are rare).
CREATE OR REPLACE FUNCTION overlaps_other_slots(s availability_slots, "from" timestamptz,
                                                until timestamptz, moving bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF moving IS NULL THEN
        RETURN EXISTS (SELECT 1 FROM availability_slots o
                        WHERE o.provider_id = s.provider_id AND o.id <> s.id
                          AND o.blocked_from IS NOT NULL
                          AND tstzrange(o.blocked_from, o.blocked_until) && tstzrange("from", until));
    END IF;
    RETURN EXISTS (SELECT 1 FROM appointments a
                    WHERE a.provider_id = s.provider_id AND a.status = 'booked'
                      AND a.slot_id <> s.id AND a.id <> moving
                      AND tstzrange(a.blocked_from, a.blocked_until) && tstzrange("from", until));
END $$;

-- How many places of `slot` are held, at `at_time`, for customers other than
-- `except_contact` (NULL: for anyone).
CREATE OR REPLACE FUNCTION slot_live_holds(slot bigint, at_time timestamptz, except_contact bigint)
RETURNS integer
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*)::integer FROM slot_holds h
             WHERE h.slot_id = slot AND h.released_at IS NULL AND h.held_until > at_time
               AND h.contact_id IS DISTINCT FROM except_contact);
END $$;

-- As in V12, with less to do while the locks are held: the contact's
-- appointments are read once, by the contact (see below); under the locks
-- the slot row is read once (locked, then checked for overlaps and
-- capacity), the slot's holds once (others' live ones, and whether the
-- contact has one to release), and the appointment and its history row are
-- written by one statement.
CREATE OR REPLACE FUNCTION book_appointment(contact bigint, slot_id bigint, service bigint,
                                            earliest timestamptz, latest timestamptz,
                                            max_open bigint, now timestamptz,
                                            OUT outcome text, OUT appointment_id bigint,
                                            OUT service_id bigint, OUT starts_at timestamptz,
                                            OUT ends_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    fit record;
    slot availability_slots%ROWTYPE;
    others integer;
    open_count bigint;
    own_hold boolean;
    holds_this_slot boolean;
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
    -- The contact's appointments, read once, by the contact alone: with
    -- `status = 'booked'` in the WHERE clause the planner may take the
    -- partial index of all booked appointments when its statistics say
    -- there are few, and keep that plan for the session while every
    -- booking reads all the bookings made before it.
    SELECT count(*) FILTER (WHERE a.status = 'booked' AND a.starts_at > book_appointment.now),
           coalesce(bool_or(a.status = 'booked' AND a.slot_id = book_appointment.slot_id), false)
      INTO open_count, holds_this_slot
      FROM appointments a
     WHERE a.contact_id = contact;
    IF open_count >= max_open THEN
        outcome := 'too_many_open';
        RETURN;
    END IF;
    IF holds_this_slot THEN
        outcome := 'already_held';
        RETURN;
    END IF;
    -- One booking of the provider's time at a time: two overlapping visits
    -- in different slots inserted at once would each wait on the other in
    -- the exclusion constraint's check (a deadlock); in turn, the second
    -- sees the first committed and is refused at once. From here to commit,
    -- no round trip.
    PERFORM pg_advisory_xact_lock(7302, closure_lock_key(fit.provider));
    SELECT * INTO slot FROM availability_slots s WHERE s.id = book_appointment.slot_id FOR UPDATE;
    -- A booking of another slot that committed since the fit was read: under
    -- the lock nothing else can, so the insert below never meets the
    -- slots' exclusion constraint (left as the last line of defence).
    IF overlaps_other_slots(slot, fit.blocked_from, fit.blocked_until, NULL) THEN
        outcome := 'overlaps';
        RETURN;
    END IF;
    IF slot.booked_count >= slot.capacity THEN
        outcome := 'slot_full';
        RETURN;
    END IF;
    -- Holds are created under the lock just taken, so this sees every hold
    -- that could compete for the place.
    SELECT count(*) FILTER (WHERE h.contact_id IS DISTINCT FROM contact
                              AND h.held_until > book_appointment.now),
           coalesce(bool_or(h.contact_id = contact), false)
      INTO others, own_hold
      FROM slot_holds h
     WHERE h.slot_id = book_appointment.slot_id AND h.released_at IS NULL;
    IF others > 0 AND slot.capacity - slot.booked_count <= others THEN
        outcome := 'held';
        RETURN;
    END IF;
    WITH booked AS (
        INSERT INTO appointments (contact_id, slot_id, service_id, provider_id, starts_at,
                                  ends_at, blocked_from, blocked_until)
        VALUES (contact, book_appointment.slot_id, fit.service_id, fit.provider,
                fit.starts_at, fit.ends_at, fit.blocked_from, fit.blocked_until)
        RETURNING id
    )
    INSERT INTO appointment_events (appointment_id, kind, to_slot_id)
    SELECT booked.id, 'booked', book_appointment.slot_id FROM booked
    RETURNING appointment_events.appointment_id INTO book_appointment.appointment_id;
    -- The contact's own hold on this slot (the waitlist's) has done its work.
    IF own_hold THEN
        PERFORM release_own_hold(book_appointment.slot_id, contact, book_appointment.appointment_id,
                                 book_appointment.now);
    END IF;
    outcome := 'booked';
END $$;

-- The booking writes the provider and the block itself: the trigger that
-- fills them in for other writers need not run for it.
DROP TRIGGER appointments_fill_provider_and_block ON appointments;
CREATE TRIGGER appointments_fill_provider_and_block
    BEFORE INSERT ON appointments
    FOR EACH ROW
    WHEN (NEW.provider_id IS NULL OR NEW.blocked_from IS NULL OR NEW.blocked_until IS NULL)
    EXECUTE FUNCTION appointments_fill_provider_and_block();
