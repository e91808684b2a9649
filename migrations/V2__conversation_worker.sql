-- The conversation worker sends each reply at most once per lease: a worker that
-- claims an unsent reply holds it until `send_lease_until`, so concurrent
-- redeliveries of one inbound message cannot send the same reply twice, and a
-- worker that died mid-send does not block the reply forever.
ALTER TABLE messages ADD COLUMN send_lease_until timestamptz;
ALTER TABLE messages ADD COLUMN send_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX messages_unsent_idx ON messages (id) WHERE direction = 'outbound' AND twilio_sid IS NULL;
