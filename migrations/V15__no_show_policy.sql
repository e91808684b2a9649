-- No-shows (issue 15, item 7): a customer who missed `NO_SHOW_LIMIT` booked
-- visits may still book by text, but the booking waits for the front desk:
-- it holds its place like any booking (so nobody else takes it meanwhile)
-- and is marked `needs_approval` until staff approve it (or cancel it).
ALTER TABLE appointments
    ADD COLUMN needs_approval boolean NOT NULL DEFAULT false,
    ADD COLUMN approved_at timestamptz;
CREATE INDEX appointments_awaiting_approval_idx ON appointments (starts_at)
    WHERE needs_approval AND approved_at IS NULL AND status = 'booked';
-- The no-show count per contact is read at every booking by text.
CREATE INDEX appointments_no_shows_idx ON appointments (contact_id) WHERE status = 'no_show';

ALTER TABLE appointment_events DROP CONSTRAINT appointment_events_kind_check;
ALTER TABLE appointment_events ADD CONSTRAINT appointment_events_kind_check
    CHECK (kind IN ('booked', 'rescheduled', 'cancelled', 'confirmed', 'completed',
                    'no_show', 'approved'));
