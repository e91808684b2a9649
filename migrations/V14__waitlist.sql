-- The waitlist (issue 15, item 4).
--
-- A customer for whom nothing fits joins the waitlist with the window they
-- want (and, optionally, a service and a provider). When time frees up (a
-- cancellation), the oldest waiting entry the freed slot suits is offered it
-- with a hold: for `held_until` the slot is kept for that customer alone.
-- When the hold runs out unanswered, the entry expires and the slot goes to
-- the next entry; a customer who declines keeps waiting for another time.
--
-- A hold is enforced where a booking is decided, in the database (V12's
-- `slot_fit` and `book_appointment` call `slot_live_holds` and
-- `release_own_hold`, which this migration gives their bodies):
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
CREATE OR REPLACE FUNCTION slot_live_holds(slot bigint, at_time timestamptz, except_contact bigint)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM slot_holds h
     WHERE h.slot_id = slot AND h.released_at IS NULL AND h.held_until > at_time
       AND h.contact_id IS DISTINCT FROM except_contact
$$;

-- Releases the booking contact's own hold on the slot (live, or run out but
-- not yet passed on) and marks its entry booked: `book_appointment` calls it.
CREATE OR REPLACE FUNCTION release_own_hold(slot bigint, contact bigint, appointment bigint,
                                            at_time timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH released AS (
        UPDATE slot_holds h
           SET released_at = at_time, released_because = 'booked'
         WHERE h.slot_id = slot AND h.contact_id = release_own_hold.contact
           AND h.released_at IS NULL
        RETURNING h.entry_id
    )
    UPDATE waitlist_entries e
       SET status = 'booked', appointment_id = appointment,
           updated_at = at_time
      FROM released r
     WHERE e.id = r.entry_id;
END $$;


