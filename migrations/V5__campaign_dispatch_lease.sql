-- The campaign dispatcher's lease on a campaign.
--
-- A dispatch tick used to hold the campaign row `FOR UPDATE` for the whole tick,
-- SQS calls included, so status callbacks (whose counter triggers update the same
-- row) and operators waited on it. Now a tick claims a campaign in a short
-- statement that sets a lease, and works on it without holding the row: only a
-- tick whose token is on the row may move its recipients, and another tick skips
-- the campaign until the lease is released or has run out (a tick that died).
ALTER TABLE campaigns ADD COLUMN dispatch_lease_until timestamptz;
ALTER TABLE campaigns ADD COLUMN dispatch_lease_token bigint;

CREATE SEQUENCE campaign_dispatch_lease_tokens;
