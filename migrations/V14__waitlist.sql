-- The waitlist (issue 15, item 4).
--
-- A customer for whom nothing fits joins the waitlist with the window they
-- want (and, optionally, a service and a provider). When time frees up (a
-- cancellation), the oldest waiting entry the freed slot suits is offered it
-- with a hold: for `held_until` the slot is kept for that customer alone.
-- When the hold runs out unanswered, the entry expires and the slot goes to
-- the next entry; a customer who declines keeps waiting for another time.
--
-- A hold is enforced where a booking is decided, in the database:
--   * `book_appointment` refuses a slot whose free places are all held for
--     other customers (outcome `held`), judged by the booking's own `now` and
--     after the slot's row lock, which is the lock a hold is created under:
--     a hold and a booking of the same slot therefore serialise, and at most
--     one of a waitlist acceptance and a fresh request can win the place.
--     The held-for customer books it like any slot; the booking releases the
--     hold and marks the entry booked in the same statement.
--   * `slot_fit` (what availability offers from, which has no `now` and no
--     customer) answers `held` for such a slot, judging holds by the
--     transaction's clock (`now()`): a held slot is offered to nobody, not
--     even the held-for customer, who takes it by accepting the offer. A hold
--     whose time ran out stops hiding the slot at once, even before the sweep
--     passes it on, so a sweep that does not run never hides time for good.
--     `held` is answered only where the visit otherwise fits, so every other
--     outcome keeps its meaning.

CREATE TABLE waitlist_entries (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id    bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    service_id    bigint REFERENCES services (id) ON DELETE CASCADE,   -- NULL: the slot's own
    provider_id   bigint REFERENCES providers (id) ON DELETE CASCADE,  -- NULL: anyone
    wanted_from   timestamptz NOT NULL,
    wanted_to     timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'waiting'
                  CHECK (status IN ('waiting', 'offered', 'booked', 'expired', 'withdrawn')),
    appointment_id bigint REFERENCES appointments (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (wanted_to > wanted_from),
    -- One live entry per contact and window: joining again updates it.
    CONSTRAINT waitlist_entries_one_live_per_window
        EXCLUDE USING gist (contact_id WITH =, tstzrange(wanted_from, wanted_to) WITH &&)
        WHERE (status IN ('waiting', 'offered'))
);
-- The queue: oldest first.
CREATE INDEX waitlist_entries_queue_idx ON waitlist_entries (created_at, id)
    WHERE status = 'waiting';
CREATE INDEX waitlist_entries_contact_idx ON waitlist_entries (contact_id, created_at);

CREATE TABLE slot_holds (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slot_id       bigint NOT NULL REFERENCES availability_slots (id) ON DELETE CASCADE,
    contact_id    bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    entry_id      bigint NOT NULL REFERENCES waitlist_entries (id) ON DELETE CASCADE,
    held_until    timestamptz NOT NULL,
    -- Set when the hold ends before or after `held_until`: why.
    released_at   timestamptz,
    released_because text
                  CHECK (released_because IN ('booked', 'declined', 'expired', 'withdrawn')),
    -- The SMS that carries the offer, once recorded (a retry reuses it).
    message_id    bigint REFERENCES messages (id) ON DELETE SET NULL,
    -- Set while the offer may not be texted yet (quiet hours where the
    -- customer is): the text goes, and the hold restarts, from then.
    text_after    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((released_at IS NULL) = (released_because IS NULL))
);
-- A customer has at most one offer open at a time, so a YES is never ambiguous.
CREATE UNIQUE INDEX slot_holds_one_open_per_contact ON slot_holds (contact_id)
    WHERE released_at IS NULL;
CREATE INDEX slot_holds_open_by_slot_idx ON slot_holds (slot_id) WHERE released_at IS NULL;
CREATE INDEX slot_holds_entry_idx ON slot_holds (entry_id);

-- How many places of `slot` are held, at `at_time`, for customers other than
-- `except_contact` (NULL: for anyone).
CREATE FUNCTION slot_live_holds(slot bigint, at_time timestamptz, except_contact bigint)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM slot_holds h
     WHERE h.slot_id = slot AND h.released_at IS NULL AND h.held_until > at_time
       AND h.contact_id IS DISTINCT FROM except_contact
$$;

-- slot_fit as in V12, with one more outcome, `held` (see the top of this
-- file), answered only where the visit otherwise fits.
CREATE OR REPLACE FUNCTION slot_fit(slot_id bigint, service bigint, moving bigint,
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

-- book_appointment as in V12, with one more outcome, `held`: every free
-- place of the slot is held, at `now`, for other customers. Decided after the
-- slot's row lock (see the top of this file). A booking of a slot the contact
-- holds releases the hold and marks its waitlist entry booked.
CREATE OR REPLACE FUNCTION book_appointment(contact bigint, slot_id bigint, service bigint,
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
    -- One booking of the provider's time at a time (see V12): overlapping
    -- visits in different slots inserted at once would deadlock in the
    -- exclusion constraint's check. From here to commit, no round trip.
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
    -- The contact's own hold on this slot (live or run out but not yet
    -- passed on) has done its work.
    WITH released AS (
        UPDATE slot_holds h
           SET released_at = book_appointment.now, released_because = 'booked'
         WHERE h.slot_id = book_appointment.slot_id AND h.contact_id = contact
           AND h.released_at IS NULL
        RETURNING h.entry_id
    )
    UPDATE waitlist_entries e
       SET status = 'booked', appointment_id = book_appointment.appointment_id,
           updated_at = book_appointment.now
      FROM released r
     WHERE e.id = r.entry_id;
    outcome := 'booked';
END $$;
