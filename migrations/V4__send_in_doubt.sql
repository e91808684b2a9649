-- A send that may have reached Twilio without our knowing it (no answer in
-- time, a 5xx, a crash between the send and recording its SID). Set when a
-- send is claimed, cleared once its outcome is known. A message claimed while
-- it is set is looked up at Twilio before it is sent again, so no message is
-- ever sent twice.
ALTER TABLE messages ADD COLUMN send_in_doubt_since timestamptz;
