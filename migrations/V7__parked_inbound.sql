-- Inbound SMS the webhook could not put on the SQS FIFO queue.
--
-- Twilio does not retry a messaging webhook after a 5xx unless its URL carries
-- connection overrides, so when SendMessage fails the webhook keeps the message
-- here, exactly as it would have sent it, and answers 200. Housekeeping moves
-- each row to the queue with the same group and deduplication ids and deletes it
-- only once SQS has accepted it; a failed attempt leaves it with attempts + 1.
CREATE TABLE parked_inbound (
    id              bigserial PRIMARY KEY,
    -- Twilio's MessageSid: also the SQS deduplication id. A retry of a parked
    -- message finds its row instead of parking it twice.
    message_sid     text NOT NULL UNIQUE,
    -- The SQS message group (a hash of the sender, never the number).
    group_id        text NOT NULL,
    -- The SQS message body, byte for byte.
    payload         text NOT NULL,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz
);
