-- The one reply we send to a number that has just opted out: the confirmation
-- of an opt-out the customer asked for in words Twilio does not recognise
-- (Twilio confirms its own keywords itself). Every other message is sent only
-- while the contact is opted in.
ALTER TABLE messages ADD COLUMN consent_exempt boolean NOT NULL DEFAULT false;
