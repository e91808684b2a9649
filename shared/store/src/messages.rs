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

/// An outbound message this worker may now hand to Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSend {
    pub id: MessageId,
    pub to_e164: String,
    pub body: String,
}

/// Claims an unsent outbound message for `lease_seconds`. `None` when it was sent
/// already, failed permanently, or another worker holds a live lease on it.
pub async fn claim_send(
    pool: &Pool,
    message_id: MessageId,
    lease_seconds: f64,
) -> Result<Option<ClaimedSend>, StoreError> {
    const CONTEXT: &str = "claiming a send";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let row = client
        .query_opt(
            "UPDATE messages m
                SET send_lease_until = now() + make_interval(secs => $2),
                    send_attempts = send_attempts + 1, updated_at = now()
               FROM contacts c
              WHERE m.id = $1 AND c.id = m.contact_id AND c.phone IS NOT NULL
                AND m.direction = 'outbound' AND m.twilio_sid IS NULL AND m.status = 'pending'
                AND (m.send_lease_until IS NULL OR m.send_lease_until < now())
              RETURNING m.id, c.phone, m.body",
            &[&message_id, &lease_seconds],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(row.map(|r| ClaimedSend {
        id: r.get(0),
        to_e164: r.get(1),
        body: r.get(2),
    }))
}

/// Gives up a send lease after a transient failure, so the retry may send at once.
pub async fn release_send(pool: &Pool, message_id: MessageId) -> Result<(), StoreError> {
    const CONTEXT: &str = "releasing a send";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .execute(
            "UPDATE messages SET send_lease_until = NULL WHERE id = $1 AND twilio_sid IS NULL",
            &[&message_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}

/// Marks an outbound message as refused for good (e.g. the recipient opted out).
pub async fn mark_send_failed(
    pool: &Pool,
    message_id: MessageId,
    error_code: Option<i32>,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "marking a send failed";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .execute(
            "UPDATE messages SET status = 'failed', status_rank = 100, error_code = $2,
                    send_lease_until = NULL, updated_at = now()
              WHERE id = $1 AND twilio_sid IS NULL",
            &[&message_id, &error_code],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}

// --- Admin API (issue 6): listing a contact's messages, erasing their bodies. ----

/// A stored message as the admin API shows it.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: MessageId,
    pub contact_id: Option<ContactId>,
    pub direction: String,
    /// `None` once the contact's personal data was erased.
    pub body: Option<String>,
    pub twilio_sid: Option<String>,
    pub status: String,
    pub error_code: Option<i32>,
    pub segments: i32,
    pub campaign_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
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
            "SELECT id, contact_id, direction, body, twilio_sid, status, error_code, segments,
                    campaign_id, appointment_id, created_at, updated_at
               FROM messages
              WHERE contact_id = $1 AND ($2::bigint IS NULL OR id > $2)
              ORDER BY id
              LIMIT $3",
            &[&contact_id, &after, &limit],
        )
        .await
        .map_err(|e| StoreError::query("listing messages", e))?;
    Ok(rows
        .iter()
        .map(|row| StoredMessage {
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
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        })
        .collect())
}

/// Removes the text of every message to or from a contact (erasure); delivery
/// metadata stays for billing and audit.
pub async fn erase_bodies_of(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<u64, StoreError> {
    db.execute(
        "UPDATE messages SET body = NULL, updated_at = now() WHERE contact_id = $1",
        &[&contact_id],
    )
    .await
    .map_err(|e| StoreError::query("erasing message bodies", e))
}

// --- Campaign engine (issue 5): campaign messages and reminders. -------------------

/// An outbound message that is not a reply: a campaign message or a reminder.
#[derive(Debug, Clone)]
pub struct LinkedOutbound<'a> {
    pub contact_id: ContactId,
    pub body: &'a str,
    pub segments: i32,
    pub campaign_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub correlation_id: Option<&'a str>,
}

/// Records a campaign message or reminder before it is sent. The caller keeps the
/// id (on the recipient or the reminder row) so a retry reuses it.
pub async fn record_linked_outbound(
    db: &impl GenericClient,
    message: &LinkedOutbound<'_>,
) -> Result<MessageId, StoreError> {
    db.query_one(
        "INSERT INTO messages (contact_id, direction, body, status, segments, campaign_id,
                               appointment_id, correlation_id)
         VALUES ($1, 'outbound', $2, 'pending', $3, $4, $5, $6)
         RETURNING id",
        &[
            &message.contact_id,
            &message.body,
            &message.segments,
            &message.campaign_id,
            &message.appointment_id,
            &message.correlation_id,
        ],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query("recording a campaign message", e))
}

/// Claims an unsent campaign message, like [`claim_send`], but only while, at this
/// very statement, the contact is opted in with a usable number, the recipient is
/// still queued for this message and the campaign is running.
pub async fn claim_campaign_send(
    pool: &Pool,
    message_id: MessageId,
    lease_seconds: f64,
) -> Result<Option<ClaimedSend>, StoreError> {
    const CONTEXT: &str = "claiming a campaign send";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let row = client
        .query_opt(
            "UPDATE messages m
                SET send_lease_until = now() + make_interval(secs => $2),
                    send_attempts = send_attempts + 1, updated_at = now()
               FROM contacts c, campaign_recipients r, campaigns k
              WHERE m.id = $1 AND c.id = m.contact_id AND c.phone IS NOT NULL
                AND c.consent = 'opted_in' AND c.phone_invalid_at IS NULL
                AND r.campaign_id = m.campaign_id AND r.contact_id = m.contact_id
                AND r.message_id = m.id AND r.status = 'queued'
                AND k.id = m.campaign_id AND k.status = 'running'
                AND m.direction = 'outbound' AND m.twilio_sid IS NULL AND m.status = 'pending'
                AND (m.send_lease_until IS NULL OR m.send_lease_until < now())
              RETURNING m.id, c.phone, m.body",
            &[&message_id, &lease_seconds],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(row.map(|r| ClaimedSend {
        id: r.get(0),
        to_e164: r.get(1),
        body: r.get(2),
    }))
}

/// Claims an unsent message, like [`claim_send`], only while its contact is opted in.
pub async fn claim_send_if_opted_in(
    pool: &Pool,
    message_id: MessageId,
    lease_seconds: f64,
) -> Result<Option<ClaimedSend>, StoreError> {
    const CONTEXT: &str = "claiming a send";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let row = client
        .query_opt(
            "UPDATE messages m
                SET send_lease_until = now() + make_interval(secs => $2),
                    send_attempts = send_attempts + 1, updated_at = now()
               FROM contacts c
              WHERE m.id = $1 AND c.id = m.contact_id AND c.phone IS NOT NULL
                AND c.consent = 'opted_in'
                AND m.direction = 'outbound' AND m.twilio_sid IS NULL AND m.status = 'pending'
                AND (m.send_lease_until IS NULL OR m.send_lease_until < now())
              RETURNING m.id, c.phone, m.body",
            &[&message_id, &lease_seconds],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(row.map(|r| ClaimedSend {
        id: r.get(0),
        to_e164: r.get(1),
        body: r.get(2),
    }))
}

/// Marks an unsent outbound message as never to be sent (e.g. the contact opted
/// out between recording and sending), inside the caller's transaction.
pub async fn abandon_unsent(
    db: &impl GenericClient,
    message_id: MessageId,
    error_code: Option<i32>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE messages SET status = 'failed', status_rank = 100, error_code = $2,
                send_lease_until = NULL, updated_at = now()
          WHERE id = $1 AND twilio_sid IS NULL AND status = 'pending'",
        &[&message_id, &error_code],
    )
    .await
    .map_err(|e| StoreError::query("abandoning an unsent message", e))?;
    Ok(())
}
