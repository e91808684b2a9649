-- Two kinds of consent: *service* (answers, confirmations, reminders of the
-- contact's own appointments), which texting in gives, and *marketing*
-- (broadcast campaigns), which only an explicit opt-in with proof gives.
--
-- contacts.consent (with consent_changed_at and consent_source) keeps its value
-- for every existing row and is from now on the service consent: a contact who
-- could be answered before still can, one who opted out stays opted out.
--
-- Marketing consent starts absent (NULL: never given) for every contact. That
-- includes contacts an operator created through the admin API with consent
-- 'opted_in': some may have come from a marketing list, but nothing recorded
-- where, when or in what words they agreed, and a marketing text needs exactly
-- that proof (prior express written consent). Without it the only safe reading
-- is "no marketing consent". The business records the proof it holds through
-- POST /api/contacts/{id}/consent/marketing, or the customer texts JOIN.

ALTER TABLE contacts
    ADD COLUMN marketing_consent text
        CHECK (marketing_consent IN ('opted_in', 'opted_out')),
    ADD COLUMN marketing_consent_changed_at timestamptz,
    ADD COLUMN marketing_consent_source text,
    -- A contact who may receive nothing receives no marketing either.
    ADD CONSTRAINT contacts_marketing_needs_service_consent
        CHECK (marketing_consent IS DISTINCT FROM 'opted_in' OR consent = 'opted_in');

COMMENT ON COLUMN contacts.consent IS
    'Service consent (answers, confirmations, reminders); see consent_events';
COMMENT ON COLUMN contacts.marketing_consent IS
    'Marketing consent (broadcasts); NULL: never given; see consent_events';

-- The audit trail: every change with its kind, who made it (the source says
-- through what) and, for a marketing opt-in, its proof: where it was obtained
-- (evidence_source), the consent text shown to or written by the customer, and
-- when they gave it (obtained_at; occurred_at is when it was recorded).
ALTER TABLE consent_events
    ADD COLUMN kind text NOT NULL DEFAULT 'service'
        CHECK (kind IN ('service', 'marketing')),
    ADD COLUMN actor text,
    ADD COLUMN evidence_source text,
    ADD COLUMN consent_text text,
    ADD COLUMN obtained_at timestamptz;

UPDATE consent_events
   SET actor = CASE source
                   WHEN 'keyword' THEN 'customer'
                   WHEN 'inbound' THEN 'customer'
                   WHEN 'carrier_opt_out' THEN 'carrier'
                   WHEN 'admin' THEN 'admin'
                   ELSE 'system'
               END;

ALTER TABLE consent_events
    ALTER COLUMN kind DROP DEFAULT,
    ALTER COLUMN actor SET NOT NULL,
    ADD CONSTRAINT consent_events_actor_check
        CHECK (actor IN ('customer', 'admin', 'carrier', 'system')),
    -- Proof comes whole or not at all ...
    ADD CONSTRAINT consent_events_evidence_whole
        CHECK ((evidence_source IS NULL) = (consent_text IS NULL)
           AND (consent_text IS NULL) = (obtained_at IS NULL)),
    -- ... and no marketing opt-in is recorded without it.
    ADD CONSTRAINT consent_events_marketing_opt_in_has_proof
        CHECK (kind <> 'marketing' OR consent <> 'opted_in' OR evidence_source IS NOT NULL);

-- Contacts created by their first text message got no event until now: record
-- the service consent each one holds, as the contact row says, so every
-- contact's history starts with how it got its consent.
INSERT INTO consent_events (contact_id, kind, consent, source, actor, detail, occurred_at)
SELECT c.id, 'service', c.consent, c.consent_source,
       CASE c.consent_source
           WHEN 'keyword' THEN 'customer'
           WHEN 'inbound' THEN 'customer'
           WHEN 'carrier_opt_out' THEN 'carrier'
           WHEN 'admin' THEN 'admin'
           ELSE 'system'
       END,
       'recorded by migration V8 from the contact row',
       c.consent_changed_at
  FROM contacts c
 WHERE NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.contact_id = c.id);

-- The latest opt-out of a kind decides whether an operator may opt a contact
-- back in (only the customer may undo their own).
CREATE INDEX consent_events_contact_kind_idx ON consent_events (contact_id, kind, id);
