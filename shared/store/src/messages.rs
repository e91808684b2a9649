//! Messages and their delivery status.
//!
//! Owns the `messages` and `message_status_events` tables. Status updates are
//! monotonic in the database itself (`status_rank` only rises), so callbacks that
//! arrive late, twice or concurrently cannot move a message backwards.

use deadpool_postgres::GenericClient;

use crate::contacts::{self, ContactId};
use crate::{Pool, StoreError};
use smsbot_domain::{ConsentSource, ConsentState};

/// One delivery status callback, already parsed and ranked by the caller.
#[derive(Debug, Clone)]
pub struct StatusUpdate<'a> {
    pub twilio_sid: &'a str,
    pub status: &'a str,
    pub rank: i16,
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
            &update.rank,
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
                &update.rank,
                &update.error_code,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let outcome = match raised {
        Some(row) => {
            let contact: Option<ContactId> = row.get(0);
            if let (true, Some(contact)) = (update.recipient_opted_out, contact) {
                contacts::set_consent(
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
) -> Result<Option<(String, Option<i32>)>, StoreError> {
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

pub type MessageId = i64;

/// An outbound message about to be handed to Twilio.
#[derive(Debug, Clone)]
pub struct NewOutbound<'a> {
    pub contact_id: ContactId,
    pub body: &'a str,
    pub segments: i32,
    /// The inbound message this answers: at most one reply per inbound message.
    pub reply_to: Option<MessageId>,
    pub correlation_id: Option<&'a str>,
}

/// Records an outbound message before it is sent, so a crash after Twilio accepted
/// it can be recognised. For a reply, a second call returns the first row's id.
pub async fn record_outbound(
    db: &impl GenericClient,
    message: &NewOutbound<'_>,
) -> Result<MessageId, StoreError> {
    const CONTEXT: &str = "recording an outbound message";
    let inserted = db
        .query_opt(
            "INSERT INTO messages (contact_id, direction, body, status, segments,
                                   reply_to_id, correlation_id)
             VALUES ($1, 'outbound', $2, 'pending', $3, $4, $5)
             ON CONFLICT (reply_to_id) DO NOTHING
             RETURNING id",
            &[
                &message.contact_id,
                &message.body,
                &message.segments,
                &message.reply_to,
                &message.correlation_id,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = inserted {
        return Ok(row.get(0));
    }
    db.query_one(
        "SELECT id FROM messages WHERE reply_to_id = $1",
        &[&message.reply_to],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query(CONTEXT, e))
}

/// Stores the SID Twilio gave an outbound message, with the status it answered,
/// then applies any callback that arrived before we knew the SID.
pub async fn attach_sid(
    pool: &Pool,
    message_id: MessageId,
    twilio_sid: &str,
    status: &str,
    rank: i16,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "attaching a Twilio SID";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .execute(
            "UPDATE messages SET twilio_sid = $2, status = $3, status_rank = $4, updated_at = now()
              WHERE id = $1",
            &[&message_id, &twilio_sid, &status, &rank],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    client
        .execute(
            "UPDATE messages m
                SET status = e.status, status_rank = e.status_rank,
                    error_code = COALESCE(e.error_code, m.error_code), updated_at = now()
               FROM (SELECT status, status_rank, error_code FROM message_status_events
                      WHERE twilio_sid = $1 ORDER BY status_rank DESC, id DESC LIMIT 1) e
              WHERE m.twilio_sid = $1 AND m.status_rank < e.status_rank",
            &[&twilio_sid],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}
