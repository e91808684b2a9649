//! What the marketing limits are decided from, and where their outcome is
//! written.
//!
//! Owns the queries of the frequency cap (a contact's marketing texts handed to
//! the provider in a period: `messages.sent_at`, migration V9), the numbers
//! and zones the sending window is read for, and ending a recipient a limit
//! stopped (`skipped_limit`, with its reason, never retried). A marketing text
//! is a message of a campaign whose kind needs marketing consent.
//! Must not decide the limits: the domain's `MarketingRules` does.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::CampaignKind;

use crate::campaigns::CampaignId;
use crate::contacts::ContactId;
use crate::messages::MessageId;
use crate::{Pool, StoreError};

/// The marketing texts of contact `c.id` that count against the cap: handed to
/// the provider (a SID, or a send in doubt) at or after `$since` and not
/// failed, other than message `$except`. Parameters: $1 since, $2 the
/// marketing kinds, $3 the message not to count.
const SENT_SINCE: &str = "(SELECT count(*) FROM messages m JOIN campaigns k ON k.id = m.campaign_id
                            WHERE m.contact_id = c.id AND m.direction = 'outbound'
                              AND k.kind = ANY($2)
                              AND (m.twilio_sid IS NOT NULL OR m.send_in_doubt_since IS NOT NULL)
                              AND m.status NOT IN ('failed', 'undelivered', 'canceled')
                              AND COALESCE(m.sent_at, m.created_at) >= $1
                              AND m.id IS DISTINCT FROM $3)";

/// A recipient as the marketing limits see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub phone: Option<String>,
    pub timezone: Option<String>,
    /// Marketing texts in the cap's period (0 when no period was asked for).
    pub marketing_sent: i64,
}

/// The contacts' numbers and zones, and their marketing texts since `since`
/// (none counted when `None`: no cap).
pub async fn recipients(
    db: &impl GenericClient,
    contacts: &[ContactId],
    since: Option<DateTime<Utc>>,
) -> Result<HashMap<ContactId, Recipient>, StoreError> {
    if contacts.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = db
        .query(
            &format!(
                "SELECT c.id, c.phone, c.timezone,
                        CASE WHEN $1::timestamptz IS NULL THEN 0 ELSE {SENT_SINCE} END
                   FROM contacts c WHERE c.id = ANY($4)"
            ),
            &[
                &since,
                &CampaignKind::needing_marketing_consent(),
                &None::<MessageId>,
                &contacts,
            ],
        )
        .await
        .map_err(|e| StoreError::query("reading recipients for the marketing limits", e))?;
    Ok(rows
        .iter()
        .map(|row| {
            let recipient = Recipient {
                phone: row.get(1),
                timezone: row.get(2),
                marketing_sent: row.get(3),
            };
            (row.get(0), recipient)
        })
        .collect())
}

/// Whether a recorded message is a marketing text and, if so, how many other
/// marketing texts its contact had since `since` (0 when `None`).
pub async fn message(
    pool: &Pool,
    message_id: MessageId,
    since: Option<DateTime<Utc>>,
) -> Result<Option<i64>, StoreError> {
    const CONTEXT: &str = "reading a message for the marketing limits";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let row = client
        .query_opt(
            &format!(
                "SELECT CASE WHEN $1::timestamptz IS NULL THEN 0 ELSE {SENT_SINCE} END
                   FROM messages me
                   JOIN contacts c ON c.id = me.contact_id
                   JOIN campaigns k ON k.id = me.campaign_id
                  WHERE me.id = $3 AND k.kind = ANY($2)"
            ),
            &[
                &since,
                &CampaignKind::needing_marketing_consent(),
                &Some(message_id),
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(row.map(|r| r.get(0)))
}

/// Records when a message is handed to the provider (the senders' clock).
pub async fn stamp_sent_at(
    pool: &Pool,
    message_id: MessageId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "stamping a send";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .execute(
            "UPDATE messages SET sent_at = $2 WHERE id = $1 AND twilio_sid IS NULL",
            &[&message_id, &at],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}

/// Ends these pending or queued recipients of a campaign as stopped by a
/// marketing limit, and fails their recorded messages that were not sent.
/// Run it in a transaction: the recipients move before their messages, so
/// the messages' failure does not count as a delivery failure.
pub async fn skip_recipients(
    db: &impl GenericClient,
    campaign_id: CampaignId,
    contacts: &[ContactId],
    reason: &str,
) -> Result<u64, StoreError> {
    const CONTEXT: &str = "skipping recipients over a marketing limit";
    if contacts.is_empty() {
        return Ok(0);
    }
    let skipped: Vec<Option<MessageId>> = db
        .query(
            "UPDATE campaign_recipients SET status = 'skipped_limit', last_error = $3,
                    updated_at = now()
              WHERE campaign_id = $1 AND contact_id = ANY($2)
                AND status IN ('pending', 'queued')
              RETURNING message_id",
            &[&campaign_id, &contacts, &reason],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let messages: Vec<MessageId> = skipped.iter().flatten().copied().collect();
    if !messages.is_empty() {
        db.execute(
            "UPDATE messages SET status = 'failed', status_rank = 100,
                    send_lease_until = NULL, send_in_doubt_since = NULL, updated_at = now()
              WHERE id = ANY($1) AND twilio_sid IS NULL AND status = 'pending'",
            &[&messages],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    }
    Ok(skipped.len() as u64)
}

/// [`skip_recipients`] for the recipient of one recorded campaign message.
pub async fn skip_message(
    pool: &Pool,
    message_id: MessageId,
    reason: &str,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "skipping a message over a marketing limit";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let owner = tx
        .query_opt(
            "SELECT campaign_id, contact_id FROM messages
              WHERE id = $1 AND campaign_id IS NOT NULL AND contact_id IS NOT NULL",
            &[&message_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = owner {
        skip_recipients(&tx, row.get(0), &[row.get(1)], reason).await?;
    }
    tx.commit().await.map_err(|e| StoreError::query(CONTEXT, e))
}
