-- The business profile (issue 14, item 3): what operators change through the
-- admin API over what the settings say (BUSINESS_NAME, BUSINESS_ADDRESS,
-- BUSINESS_PHONE, BUSINESS_WEBSITE, BUSINESS_HOURS, BUSINESS_FAQ).
--
-- One row. A NULL column is no override: the setting applies. The FAQ is the
-- settings' until the first entry is added through the API: that addition
-- copies the settings' entries into `faq_entries` and sets `faq_from_admin`;
-- from then on the stored entries are the FAQ (none left: no FAQ).
CREATE TABLE business_profile (
    id              smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name            text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 100),
    address         text CHECK (address IS NULL OR length(address) BETWEEN 1 AND 200),
    phone           text CHECK (phone IS NULL OR length(phone) BETWEEN 1 AND 40),
    website         text CHECK (website IS NULL OR (length(website) <= 200
                                                    AND website ~* '^https?://')),
    hours           text CHECK (hours IS NULL OR length(hours) BETWEEN 1 AND 200),
    faq_from_admin  boolean NOT NULL DEFAULT false,
    updated_at      timestamptz
);
INSERT INTO business_profile (id) VALUES (1);

-- The FAQ kept through the admin API, in `position` order (then id).
CREATE TABLE faq_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question    text NOT NULL CHECK (length(question) BETWEEN 1 AND 200),
    answer      text NOT NULL CHECK (length(answer) BETWEEN 1 AND 306),
    position    integer NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX faq_entries_order_idx ON faq_entries (position, id);
