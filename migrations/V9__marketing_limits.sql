-- Marketing limits (issue 12): the legal sending window in every timezone a
-- recipient may be in, a validity period on marketing sends, and a per-contact
-- frequency cap.
--
-- messages.sent_at: when a send was handed to the provider, in the senders'
-- clock (the outbox stamps it on marketing texts just before sending). The
-- frequency cap counts a contact's marketing texts whose send was handed over
-- in its period and did not fail; rows sent before this migration fall back
-- to created_at.
ALTER TABLE messages ADD COLUMN sent_at timestamptz;

-- A recipient a marketing limit stopped (the frequency cap, or no hour of the
-- marketing window that is daytime in every zone the number may be in) ends in
-- 'skipped_limit', its reason in last_error; it is never retried. Counted in
-- campaigns.skipped_limit, so that
--   targeted = sent + skipped_consent + skipped_limit + failed + (pending and queued)
-- keeps holding (the counters of migration V3 ignore the new status).
ALTER TABLE campaign_recipients DROP CONSTRAINT campaign_recipients_status_check;
ALTER TABLE campaign_recipients ADD CONSTRAINT campaign_recipients_status_check
    CHECK (status IN ('pending', 'queued', 'sent', 'delivered', 'failed',
                      'skipped_consent', 'invalid_number', 'skipped_limit'));

ALTER TABLE campaigns ADD COLUMN skipped_limit integer NOT NULL DEFAULT 0;

CREATE FUNCTION campaign_recipients_count_skipped_limit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaigns c
       SET skipped_limit = c.skipped_limit + d.skipped, updated_at = now()
      FROM (SELECT campaign_id, sum(sign) AS skipped
              FROM (SELECT campaign_id, 1 AS sign FROM after_rows
                     WHERE status = 'skipped_limit'
                    UNION ALL
                    SELECT campaign_id, -1 AS sign FROM before_rows
                     WHERE status = 'skipped_limit') changes
             GROUP BY campaign_id) d
     WHERE c.id = d.campaign_id AND d.skipped <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER campaign_recipients_limits_counted
    AFTER UPDATE ON campaign_recipients
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION campaign_recipients_count_skipped_limit();
