//! Outbound messages, from recorded to sent or refused: the bookkeeping of the
//! one send protocol (`smsbot_outbox::Outbox::deliver`).
//!
//! Owns the outbound rows of `messages` (the bot's, staff's, and the internal
//! SMS that carry alerts to the staff phone) and the campaign recipient and
//! contact columns a send's outcome changes. Every message is recorded before it is
//! sent, claimed under a lease by exactly one worker (and marked in doubt: the
//! send may reach the provider), and then either gets its Twilio SID, goes back
//! to unclaimed (certainly not sent), stays in doubt until it is looked up at
//! the provider, or is refused for good.
//! Must not decide whether a failure is transient or what a Twilio code means:
//! the outbox does.

use chrono::{DateTime, NaiveTime, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::{
    CampaignKind, ConsentSource, ConsentState, MessageStatus, PhoneNumber, QuietHours, SmsBody,
    StaffAlertId,
};

use crate::appointments::AppointmentId;
use crate::campaigns::CampaignId;
use crate::contacts::{self, ContactId};
use crate::messages::MessageId;
use crate::{Pool, StoreError, consent};

/// Why a message is sent; decides what else its outcome touches.
#[derive(Debug, Clone, Copy)]
pub enum Purpose<'a> {
    /// The answer to an inbound message: at most one per inbound message.
    Reply {
        inbound: MessageId,
        correlation_id: &'a str,
    },
    /// A reply carrier rules let us send whatever the contact's consent (the
    /// confirmation of an opt-out asked for in words, the answer to HELP).
    ComplianceReply {
        inbound: MessageId,
        correlation_id: &'a str,
    },
    /// A campaign message: its recipient row follows the send's outcome.
    Campaign(CampaignId),
    /// An appointment reminder.
    Reminder(AppointmentId),
    /// A message staff wrote to the contact (the admin API), with who wrote
    /// it. Sent like a reply: any hour, with service consent.
    Staff { author: &'a str },
}

/// An outbound message about to be recorded.
#[derive(Debug, Clone, Copy)]
pub struct NewOutbound<'a> {
    pub contact_id: ContactId,
    pub body: &'a SmsBody,
    pub purpose: Purpose<'a>,
}

/// Records an outbound message before it is sent, so a crash after Twilio
/// accepted it can be recognised. For a reply, a second call returns the first
/// row's id (the unique `reply_to_id`); the other purposes keep the id on their
/// own row (recipient, reminder) so a retry reuses it.
pub async fn record(
    db: &impl GenericClient,
    message: &NewOutbound<'_>,
) -> Result<MessageId, StoreError> {
    const CONTEXT: &str = "recording an outbound message";
    let (reply_to, correlation_id, campaign_id, appointment_id) = match message.purpose {
        Purpose::Reply {
            inbound,
            correlation_id,
        }
        | Purpose::ComplianceReply {
            inbound,
            correlation_id,
        } => (Some(inbound), Some(correlation_id), None, None),
        Purpose::Campaign(id) => (None, None, Some(id), None),
        Purpose::Reminder(id) => (None, None, None, Some(id)),
        Purpose::Staff { .. } => (None, None, None, None),
    };
    let consent_exempt = matches!(message.purpose, Purpose::ComplianceReply { .. });
    let staff_author = match message.purpose {
        Purpose::Staff { author } => Some(author),
        _ => None,
    };
    let inserted = db
        .query_opt(
            "INSERT INTO messages (contact_id, direction, body, status, segments, reply_to_id,
                                   correlation_id, campaign_id, appointment_id, consent_exempt,
                                   staff_author)
             VALUES ($1, 'outbound', $2, 'pending', $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (reply_to_id) DO NOTHING
             RETURNING id",
            &[
                &message.contact_id,
                &message.body.as_str(),
                &(message.body.segments() as i32),
                &reply_to,
                &correlation_id,
                &campaign_id,
                &appointment_id,
                &consent_exempt,
                &staff_author,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = inserted {
        return Ok(row.get(0));
    }
    db.query_one(
        "SELECT id FROM messages WHERE reply_to_id = $1",
        &[&reply_to],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query(CONTEXT, e))
}

/// Records the SMS that carries a staff alert to the staff phone `to`: an
/// internal message (no contact, no consent needed), recorded once per alert
/// (the unique `staff_alert_id`), so a retry finds it and the outbox sends it
/// at most once.
pub async fn record_staff_alert(
    db: &impl GenericClient,
    alert: StaffAlertId,
    to: &PhoneNumber,
    body: &SmsBody,
) -> Result<MessageId, StoreError> {
    const CONTEXT: &str = "recording a staff alert SMS";
    let inserted = db
        .query_opt(
            "INSERT INTO messages (direction, body, status, segments, staff_alert_id, internal_to)
             VALUES ('outbound', $2, 'pending', $3, $1, $4)
             ON CONFLICT (staff_alert_id) DO NOTHING
             RETURNING id",
            &[
                &alert,
                &body.as_str(),
                &(body.segments() as i32),
                &to.as_e164(),
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = inserted {
        return Ok(row.get(0));
    }
    db.query_one(
        "SELECT id FROM messages WHERE staff_alert_id = $1",
        &[&alert],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query(CONTEXT, e))
}

/// What a message is, as far as the moment of sending is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendKind {
    /// An answer to the contact's own message (the bot's or staff's), or an
    /// alert to staff: sent whenever it is ready.
    Reply,
    /// A campaign message: never inside the campaign's quiet hours.
    Campaign { quiet: QuietHours },
    /// Anything else we start (reminders): never inside the default quiet hours.
    Initiated,
}

/// An outbound message this worker may now hand to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSend {
    pub id: MessageId,
    /// `None` for an internal message (an alert to the staff phone).
    pub contact_id: Option<ContactId>,
    pub to_e164: String,
    pub body: String,
    pub kind: SendKind,
    /// The contact's IANA timezone, when known.
    pub timezone: Option<String>,
    /// Set when an earlier claim may have reached the provider: since when.
    pub in_doubt_since: Option<DateTime<Utc>>,
}

/// Why a message could not be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    Claimed(ClaimedSend),
    /// Another worker holds a live lease on it: try again later.
    Busy,
    /// Sent or refused already, or it must not go (no consent, no number, the
    /// campaign stopped): nothing to do.
    Closed,
}

/// Claims an unsent outbound message for `lease_seconds`, only while, at this
/// very statement, the contact has a number and the consent its purpose needs:
/// none for a compliance reply carrier rules allow regardless (nor for an
/// internal alert to the staff phone, which has no contact); service consent
/// for replies, staff's messages, reminders and reminder campaigns; service *and* marketing
/// consent for a broadcast (`CampaignKind::consent_needed`). For a campaign
/// message, also that the number was not refused before, the recipient is
/// still queued for this message and the campaign is running. The claim marks
/// the message in doubt (the send may reach the provider) and reports whether
/// an earlier claim had already done so.
/// Leases are in the callers' time (`now`), like every other deadline of the
/// use cases, so a test's clock moves them too.
pub async fn claim(
    pool: &Pool,
    message_id: MessageId,
    now: DateTime<Utc>,
    lease_seconds: f64,
) -> Result<Claim, StoreError> {
    const CONTEXT: &str = "claiming a send";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let row = client
        .query_opt(
            "UPDATE messages m
                SET send_lease_until = $3 + make_interval(secs => $2),
                    send_attempts = send_attempts + 1, updated_at = now(),
                    send_in_doubt_since = COALESCE(m.send_in_doubt_since, $3)
               FROM (SELECT id, contact_id, send_in_doubt_since FROM messages WHERE id = $1) earlier
                    LEFT JOIN contacts c ON c.id = earlier.contact_id
              WHERE m.id = $1 AND earlier.id = m.id
                AND (m.internal_to IS NOT NULL
                     OR (c.phone IS NOT NULL
                         AND (m.consent_exempt
                              OR (c.consent = 'opted_in'
                                  AND (c.marketing_consent = 'opted_in'
                                       OR NOT EXISTS (SELECT 1 FROM campaigns k
                                                       WHERE k.id = m.campaign_id
                                                         AND k.kind = ANY($4)))))))
                AND m.direction = 'outbound' AND m.twilio_sid IS NULL AND m.status = 'pending'
                AND (m.send_lease_until IS NULL OR m.send_lease_until < $3)
                AND (m.campaign_id IS NULL OR (
                        c.phone_invalid_at IS NULL
                    AND EXISTS (SELECT 1 FROM campaign_recipients r
                                  JOIN campaigns k ON k.id = r.campaign_id
                                 WHERE r.campaign_id = m.campaign_id
                                   AND r.contact_id = m.contact_id
                                   AND r.message_id = m.id AND r.status = 'queued'
                                   AND k.status = 'running')))
              RETURNING m.id, m.contact_id, COALESCE(m.internal_to, c.phone), m.body, c.timezone,
                        earlier.send_in_doubt_since,
                        m.reply_to_id IS NOT NULL OR m.staff_author IS NOT NULL
                            OR m.internal_to IS NOT NULL,
                        (SELECT ARRAY[quiet_start, quiet_end] FROM campaigns
                          WHERE id = m.campaign_id)",
            &[
                &message_id,
                &lease_seconds,
                &now,
                &CampaignKind::needing_marketing_consent(),
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let Some(r) = row else {
        let busy = client
            .query_opt(
                "SELECT 1 FROM messages
                  WHERE id = $1 AND twilio_sid IS NULL AND status = 'pending'
                    AND send_lease_until >= $2",
                &[&message_id, &now],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?
            .is_some();
        return Ok(if busy { Claim::Busy } else { Claim::Closed });
    };
    let campaign_quiet: Option<Vec<NaiveTime>> = r.get(7);
    let kind = match (r.get::<_, bool>(6), campaign_quiet.as_deref()) {
        (true, _) => SendKind::Reply,
        (false, Some(&[start, end])) => SendKind::Campaign {
            quiet: QuietHours::new(start, end),
        },
        (false, _) => SendKind::Initiated,
    };
    Ok(Claim::Claimed(ClaimedSend {
        id: r.get(0),
        contact_id: r.get(1),
        to_e164: r.get(2),
        body: r.get(3),
        timezone: r.get(4),
        in_doubt_since: r.get(5),
        kind,
    }))
}

/// Whether some message already carries this provider SID (a reconciliation
/// must not claim another message's send).
pub async fn sid_recorded(pool: &Pool, twilio_sid: &str) -> Result<bool, StoreError> {
    const CONTEXT: &str = "looking up a provider SID";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .query_opt(
            "SELECT 1 FROM messages WHERE twilio_sid = $1",
            &[&twilio_sid],
        )
        .await
        .map(|row| row.is_some())
        .map_err(|e| StoreError::query(CONTEXT, e))
}

/// Stores the SID the provider gave a message with the status it answered
/// (or the later status a callback that arrived before the SID already
/// reported), clears the doubt, and marks a campaign recipient sent: one
/// statement, so a crash leaves either nothing or all of it, in one round trip.
pub async fn attach_sid(
    pool: &Pool,
    message_id: MessageId,
    twilio_sid: &str,
    status: MessageStatus,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "attaching a Twilio SID";
    let rank = i16::from(status.rank());
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let row = client
        .query_opt(
            "WITH early AS (
                 SELECT status, status_rank, error_code FROM message_status_events
                  WHERE twilio_sid = $2 ORDER BY status_rank DESC, id DESC LIMIT 1),
             sent AS (
                 UPDATE messages m
                    SET twilio_sid = $2,
                        status = CASE WHEN early.status_rank > $4 THEN early.status ELSE $3 END,
                        status_rank = GREATEST($4, early.status_rank),
                        error_code = CASE WHEN early.status_rank > $4
                                          THEN COALESCE(early.error_code, m.error_code)
                                          ELSE m.error_code END,
                        send_in_doubt_since = NULL, updated_at = now()
                   FROM (SELECT 1) AS one LEFT JOIN early ON true
                  WHERE m.id = $1
              RETURNING m.id, m.campaign_id, m.contact_id),
             recipient AS (
                 UPDATE campaign_recipients r
                    SET status = 'sent', attempts = attempts + 1, last_error = NULL,
                        updated_at = now()
                   FROM sent
                  WHERE r.campaign_id = sent.campaign_id AND r.contact_id = sent.contact_id
                    AND r.message_id = sent.id AND r.status = 'queued')
             SELECT sent.contact_id,
                    EXISTS (SELECT 1 FROM message_status_events
                             WHERE twilio_sid = $2 AND error_code = $5)
               FROM sent",
            &[&message_id, &twilio_sid, &status, &rank, &CARRIER_OPT_OUT],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    // A callback that beat the SID may have said the carrier blocks us (21610):
    // the opt-out it carries counts as much as one that arrives later.
    if let Some(row) = row
        && row.get::<_, bool>(1)
        && let Some(contact) = row.get::<_, Option<ContactId>>(0)
    {
        consent::set_consent(
            &client,
            contact,
            ConsentState::OptedOut,
            ConsentSource::CarrierOptOut,
            Some("twilio error 21610"),
        )
        .await?;
    }
    Ok(())
}

/// Twilio's error code for a recipient who blocked us at the carrier.
const CARRIER_OPT_OUT: i32 = 21610;

/// Gives up a send lease when the message certainly did not reach the
/// provider (no connection, throttled, quiet hours), so a retry may send at
/// once, without looking it up first.
pub async fn release(pool: &Pool, message_id: MessageId) -> Result<(), StoreError> {
    const CONTEXT: &str = "releasing a send";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .execute(
            "UPDATE messages SET send_lease_until = NULL, send_in_doubt_since = NULL
              WHERE id = $1 AND twilio_sid IS NULL",
            &[&message_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}

/// What a refusal says about the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The carrier blocks us (Twilio 21610): the contact is opted out.
    OptedOutAtCarrier,
    /// The number cannot take SMS: the contact's number is marked invalid.
    InvalidNumber,
    /// Anything else: only this message fails.
    Failed,
}

impl Refusal {
    /// The campaign recipient status this refusal ends in.
    fn recipient_status(self) -> &'static str {
        match self {
            Self::OptedOutAtCarrier => "skipped_consent",
            Self::InvalidNumber => "invalid_number",
            Self::Failed => "failed",
        }
    }
}

/// Refuses a message for good: a campaign recipient ends first (otherwise the
/// message's failure would count as a delivery failure in the campaign's
/// counters), then the message fails with `error_code`, then the contact is
/// opted out or its number marked invalid, all in one transaction.
pub async fn refuse(
    pool: &Pool,
    message_id: MessageId,
    refusal: Refusal,
    error_code: Option<i32>,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "refusing a send";
    let reason = error_code.map_or_else(|| "refused".to_owned(), |c| format!("twilio error {c}"));
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    tx.execute(
        "UPDATE campaign_recipients r SET status = $2, last_error = $3, updated_at = now()
           FROM messages m
          WHERE m.id = $1 AND r.campaign_id = m.campaign_id AND r.contact_id = m.contact_id
            AND r.status IN ('pending', 'queued')",
        &[&message_id, &refusal.recipient_status(), &reason],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    let contact: Option<ContactId> = tx
        .query_opt(
            "UPDATE messages SET status = 'failed', status_rank = 100, error_code = $2,
                    send_lease_until = NULL, send_in_doubt_since = NULL, updated_at = now()
              WHERE id = $1 AND twilio_sid IS NULL AND status = 'pending'
              RETURNING contact_id",
            &[&message_id, &error_code],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .and_then(|row| row.get(0));
    match (refusal, contact) {
        (Refusal::OptedOutAtCarrier, Some(contact)) => {
            consent::set_consent(
                &tx,
                contact,
                ConsentState::OptedOut,
                ConsentSource::CarrierOptOut,
                Some(&reason),
            )
            .await?;
        }
        (Refusal::InvalidNumber, Some(contact)) => {
            contacts::mark_phone_invalid(&tx, contact, error_code).await?;
        }
        _ => {}
    }
    tx.commit().await.map_err(|e| StoreError::query(CONTEXT, e))
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
