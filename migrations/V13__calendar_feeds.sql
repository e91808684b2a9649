-- Calendar feeds (issue 15, item 6).
--
-- A provider's calendar app subscribes to an ICS feed at a public URL; the
-- URL's only secret is a random token, because a calendar app cannot send the
-- admin key. The database keeps the SHA-256 of each token, never the token:
-- the admin API shows the URL once, when the feed is made, and a stolen
-- backup holds no working link. A provider may have several feeds (a phone
-- and a shared front-desk calendar); revoking one sets `revoked_at`, after
-- which its URL answers 404. Rows are kept, so the list shows what existed.
CREATE TABLE calendar_feeds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id  bigint NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
CREATE INDEX calendar_feeds_provider_idx ON calendar_feeds (provider_id, id);

-- The link to one appointment's `.ics` in a customer's confirmation, by the
-- same rule: a random token, stored hashed. Each confirmation may make a new
-- link (the token cannot be shown twice); every link of an appointment shows
-- it as it is now (a cancelled one as cancelled) and goes with it.
CREATE TABLE appointment_calendar_links (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id bigint NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    token_sha256   bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at     timestamptz NOT NULL
);
CREATE INDEX appointment_calendar_links_appointment_idx
    ON appointment_calendar_links (appointment_id);
