//! Messages: inbound ones, delivery status callbacks, and listing/erasure.
//!
//! Owns the `messages` and `message_status_events` tables, but for the outbound
//! send protocol's columns (`crate::outbound`). Status updates are
//! monotonic in the database itself (`status_rank` only rises), so callbacks that
//! arrive late, twice or concurrently cannot move a message backwards.

use deadpool_postgres::GenericClient;

use crate::contacts::ContactId;
use crate::{Pool, StoreError, consent};
use smsbot_domain::{
    AppointmentId, CampaignId, ConsentSource, ConsentState, MessageDirection, MessageStatus,
};

/// One delivery status callback, already parsed by the caller.
#[derive(Debug, Clone)]
pub struct StatusUpdate<'a> {
    pub twilio_sid: &'a str,
    pub status: MessageStatus,
    pub error_code: Option<i32>,
    /// The carrier says the recipient opted out (Twilio 21610): record it.
    pub recipient_opted_out: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The message row now shows this status.
    Applied,
    /// The row already shows a later status; the event is kept for the record.
    Stale,
    /// No message has this SID yet (the callback beat the send's bookkeeping);
    /// the event is kept and applied when the SID is recorded.
    UnknownMessage,
}

/// Records a status callback and raises the message's status if it is newer.
pub async fn apply_status(
    pool: &Pool,
    update: &StatusUpdate<'_>,
) -> Result<StatusOutcome, StoreError> {
    const CONTEXT: &str = "applying a delivery status";
    let rank = i16::from(update.status.rank());
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    tx.execute(
        "INSERT INTO message_status_events (twilio_sid, status, status_rank, error_code)
         VALUES ($1, $2, $3, $4)",
        &[
            &update.twilio_sid,
            &update.status,
            &rank,
            &update.error_code,
        ],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    let raised = tx
        .query_opt(
            "UPDATE messages
                SET status = $2, status_rank = $3,
                    error_code = COALESCE($4, error_code), updated_at = now()
              WHERE twilio_sid = $1 AND status_rank < $3
              RETURNING contact_id",
            &[
                &update.twilio_sid,
                &update.status,
                &rank,
                &update.error_code,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let outcome = match raised {
        Some(row) => {
            let contact: Option<ContactId> = row.get(0);
            if let (true, Some(contact)) = (update.recipient_opted_out, contact) {
                consent::set_consent(
                    &tx,
                    contact,
                    ConsentState::OptedOut,
                    ConsentSource::CarrierOptOut,
                    Some("twilio error 21610"),
                )
                .await?;
            }
            StatusOutcome::Applied
        }
        None if message_exists(&tx, update.twilio_sid).await? => StatusOutcome::Stale,
        None => StatusOutcome::UnknownMessage,
    };
    tx.commit()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(outcome)
}

async fn message_exists(db: &impl GenericClient, twilio_sid: &str) -> Result<bool, StoreError> {
    db.query_opt(
        "SELECT 1 FROM messages WHERE twilio_sid = $1",
        &[&twilio_sid],
    )
    .await
    .map(|row| row.is_some())
    .map_err(|e| StoreError::query("looking up a message", e))
}

/// The status and error code a message shows now (for tests and the admin API).
pub async fn status_of(
    pool: &Pool,
    twilio_sid: &str,
) -> Result<Option<(MessageStatus, Option<i32>)>, StoreError> {
    let client = pool
        .get()
        .await
        .map_err(|e| StoreError::pool("reading a message status", e))?;
    let row = client
        .query_opt(
            "SELECT status, error_code FROM messages WHERE twilio_sid = $1",
            &[&twilio_sid],
        )
        .await
        .map_err(|e| StoreError::query("reading a message status", e))?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

pub use smsbot_domain::MessageId;

/// Whether an inbound message was new or had been recorded before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundRecord {
    New(MessageId),
    /// A redelivery: the first delivery's turn already committed.
    Duplicate(MessageId),
}

/// Records an inbound message once per Twilio SID. A concurrent insert of the same
/// SID waits for the first transaction and then reports a duplicate.
pub async fn record_inbound(
    db: &impl GenericClient,
    contact_id: ContactId,
    twilio_sid: &str,
    body: &str,
    segments: i32,
) -> Result<InboundRecord, StoreError> {
    const CONTEXT: &str = "recording an inbound message";
    let inserted = db
        .query_opt(
            "INSERT INTO messages (contact_id, direction, body, twilio_sid, status, status_rank,
                                   segments, correlation_id)
             VALUES ($1, 'inbound', $2, $3, 'received', 0, $4, $3)
             ON CONFLICT (twilio_sid) DO NOTHING
             RETURNING id",
            &[&contact_id, &body, &twilio_sid, &segments],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = inserted {
        return Ok(InboundRecord::New(row.get(0)));
    }
    db.query_one(
        "SELECT id FROM messages WHERE twilio_sid = $1",
        &[&twilio_sid],
    )
    .await
    .map(|row| InboundRecord::Duplicate(row.get(0)))
    .map_err(|e| StoreError::query(CONTEXT, e))
}

/// The reply recorded for an inbound message, if any.
pub async fn reply_for(
    db: &impl GenericClient,
    inbound_id: MessageId,
) -> Result<Option<MessageId>, StoreError> {
    db.query_opt(
        "SELECT id FROM messages WHERE reply_to_id = $1",
        &[&inbound_id],
    )
    .await
    .map(|row| row.map(|r| r.get(0)))
    .map_err(|e| StoreError::query("looking up a reply", e))
}

// --- Listing a contact's messages, erasing their bodies (the admin API). -------

/// A stored message as the admin API shows it.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: MessageId,
    pub contact_id: Option<ContactId>,
    pub direction: MessageDirection,
    /// `None` once the contact's personal data was erased.
    pub body: Option<String>,
    pub twilio_sid: Option<String>,
    pub status: MessageStatus,
    pub error_code: Option<i32>,
    pub segments: i32,
    pub campaign_id: Option<CampaignId>,
    pub appointment_id: Option<AppointmentId>,
    /// The staff member who wrote an outbound message; `None` for the bot's.
    pub staff_author: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

const STORED_COLUMNS: &str = "id, contact_id, direction, body, twilio_sid, status, error_code, \
     segments, campaign_id, appointment_id, staff_author, created_at, updated_at";

fn stored_from_row(row: &tokio_postgres::Row) -> StoredMessage {
    StoredMessage {
        id: row.get("id"),
        contact_id: row.get("contact_id"),
        direction: row.get("direction"),
        body: row.get("body"),
        twilio_sid: row.get("twilio_sid"),
        status: row.get("status"),
        error_code: row.get("error_code"),
        segments: row.get("segments"),
        campaign_id: row.get("campaign_id"),
        appointment_id: row.get("appointment_id"),
        staff_author: row.get("staff_author"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// A contact's messages in id order (oldest first) after `after`.
pub async fn list_for_contact(
    db: &impl GenericClient,
    contact_id: ContactId,
    after: Option<MessageId>,
    limit: i64,
) -> Result<Vec<StoredMessage>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {STORED_COLUMNS}
                   FROM messages
                  WHERE contact_id = $1 AND ($2::bigint IS NULL OR id > $2)
                  ORDER BY id
                  LIMIT $3"
            ),
            &[&contact_id, &after, &limit],
        )
        .await
        .map_err(|e| StoreError::query("listing messages", e))?;
    Ok(rows.iter().map(stored_from_row).collect())
}

/// One message of a contact's conversation (not an internal one).
pub async fn get(
    db: &impl GenericClient,
    id: MessageId,
) -> Result<Option<StoredMessage>, StoreError> {
    db.query_opt(
        &format!("SELECT {STORED_COLUMNS} FROM messages WHERE id = $1 AND contact_id IS NOT NULL"),
        &[&id],
    )
    .await
    .map(|row| row.as_ref().map(stored_from_row))
    .map_err(|e| StoreError::query("reading a message", e))
}

/// A contact's last `count` messages, oldest first (what staff read before
/// they answer).
pub async fn recent_for_contact(
    db: &impl GenericClient,
    contact_id: ContactId,
    count: i64,
) -> Result<Vec<StoredMessage>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {STORED_COLUMNS} FROM (
                     SELECT * FROM messages WHERE contact_id = $1 ORDER BY id DESC LIMIT $2
                 ) recent
                 ORDER BY id"
            ),
            &[&contact_id, &count],
        )
        .await
        .map_err(|e| StoreError::query("reading recent messages", e))?;
    Ok(rows.iter().map(stored_from_row).collect())
}

/// The text of the last message we sent the contact before `before` (an
/// inbound message's id), whoever wrote it; `None` when there is none.
pub async fn last_outbound_before(
    db: &impl GenericClient,
    contact_id: ContactId,
    before: MessageId,
) -> Result<Option<String>, StoreError> {
    db.query_opt(
        "SELECT body FROM messages
          WHERE contact_id = $1 AND direction = 'outbound' AND id < $2
          ORDER BY id DESC LIMIT 1",
        &[&contact_id, &before],
    )
    .await
    .map(|row| row.and_then(|r| r.get(0)))
    .map_err(|e| StoreError::query("reading the last message sent", e))
}

/// Removes the text of every message to or from a contact (erasure), and of
/// the alerts staff got about them (which quote the contact) with the SMS
/// that carried them; delivery metadata stays for billing and audit.
pub async fn erase_bodies_of(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<u64, StoreError> {
    const CONTEXT: &str = "erasing message bodies";
    db.execute(
        "WITH alerts AS (
             UPDATE staff_alerts SET body = NULL WHERE contact_id = $1 RETURNING id
         )
         UPDATE messages SET body = NULL, updated_at = now()
          WHERE staff_alert_id IN (SELECT id FROM alerts)",
        &[&contact_id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    db.execute(
        "UPDATE messages SET body = NULL, updated_at = now() WHERE contact_id = $1",
        &[&contact_id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))
}
