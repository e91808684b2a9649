//! Alerts to staff, from recorded to sent.
//!
//! Owns the `staff_alerts` table. An alert is recorded in the transaction of
//! the turn that raised it (one per inbound message: a redelivery finds it),
//! then claimed under a lease by one worker at a time, handed to a channel and
//! marked sent with the channel's receipt; a failed attempt gives the lease
//! back. Must not decide what an alert says or where it goes: the
//! conversation's `StaffAlerts` port does.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::{ContactId, HandoffId, MessageId, StaffAlertId, StaffReason};

use crate::{Pool, StoreError};

/// An alert about to be recorded.
#[derive(Debug, Clone, Copy)]
pub struct NewAlert<'a> {
    pub contact_id: ContactId,
    /// The customer's message that raised it.
    pub inbound: MessageId,
    pub handoff: Option<HandoffId>,
    pub reason: StaffReason,
    /// A line without personal data (an e-mail subject, a log line).
    pub subject: &'a str,
    /// The whole alert: the contact's number, the reason, their last messages.
    pub body: &'a str,
    pub at: DateTime<Utc>,
}

/// Records an alert once per inbound message; a second call returns the
/// first one's id.
pub async fn record(
    db: &impl GenericClient,
    alert: &NewAlert<'_>,
) -> Result<StaffAlertId, StoreError> {
    const CONTEXT: &str = "recording a staff alert";
    let inserted = db
        .query_opt(
            "INSERT INTO staff_alerts (contact_id, inbound_id, handoff_id, reason, subject, body,
                                       created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (inbound_id) DO NOTHING
             RETURNING id",
            &[
                &alert.contact_id,
                &alert.inbound,
                &alert.handoff,
                &alert.reason,
                &alert.subject,
                &alert.body,
                &alert.at,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = inserted {
        return Ok(row.get(0));
    }
    db.query_one(
        "SELECT id FROM staff_alerts WHERE inbound_id = $1",
        &[&alert.inbound],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query(CONTEXT, e))
}

/// The alert an inbound message raised, if any (a redelivered message
/// finishes sending it).
pub async fn raised_by(
    db: &impl GenericClient,
    inbound: MessageId,
) -> Result<Option<StaffAlertId>, StoreError> {
    db.query_opt(
        "SELECT id FROM staff_alerts WHERE inbound_id = $1",
        &[&inbound],
    )
    .await
    .map(|row| row.map(|r| r.get(0)))
    .map_err(|e| StoreError::query("looking up a staff alert", e))
}

/// An alert this worker may now hand to its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedAlert {
    pub id: StaffAlertId,
    pub contact_id: ContactId,
    pub reason: StaffReason,
    pub subject: String,
    pub body: String,
}

/// Whether an alert could be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertClaim {
    Claimed(ClaimedAlert),
    /// Another worker holds a live lease on it: try again later.
    Busy,
    /// Sent already, or its body was erased: nothing to do.
    Done,
}

/// Claims an unsent alert for `lease_seconds` from `now`.
pub async fn claim(
    pool: &Pool,
    id: StaffAlertId,
    now: DateTime<Utc>,
    lease_seconds: f64,
) -> Result<AlertClaim, StoreError> {
    const CONTEXT: &str = "claiming a staff alert";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let row = client
        .query_opt(
            "UPDATE staff_alerts
                SET lease_until = $2 + make_interval(secs => $3), attempts = attempts + 1
              WHERE id = $1 AND sent_at IS NULL AND body IS NOT NULL
                AND (lease_until IS NULL OR lease_until < $2)
              RETURNING id, contact_id, reason, subject, body",
            &[&id, &now, &lease_seconds],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let Some(row) = row else {
        let busy = client
            .query_opt(
                "SELECT 1 FROM staff_alerts
                  WHERE id = $1 AND sent_at IS NULL AND body IS NOT NULL AND lease_until >= $2",
                &[&id, &now],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?
            .is_some();
        return Ok(if busy {
            AlertClaim::Busy
        } else {
            AlertClaim::Done
        });
    };
    Ok(AlertClaim::Claimed(ClaimedAlert {
        id: row.get("id"),
        contact_id: row.get("contact_id"),
        reason: row.try_get("reason").map_err(|e| StoreError::Corrupt {
            what: "staff alert reason",
            detail: e.to_string(),
        })?,
        subject: row.get("subject"),
        body: row.get("body"),
    }))
}

/// The channel took the alert: recorded with its receipt, never sent again.
pub async fn mark_sent(
    pool: &Pool,
    id: StaffAlertId,
    channel: &str,
    receipt: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "marking a staff alert sent";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .execute(
            "UPDATE staff_alerts SET sent_at = $2, channel = $3, receipt = $4, lease_until = NULL
              WHERE id = $1 AND sent_at IS NULL",
            &[&id, &now, &channel, &receipt],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}

/// An attempt failed: the next one may start at once.
pub async fn release(pool: &Pool, id: StaffAlertId) -> Result<(), StoreError> {
    const CONTEXT: &str = "releasing a staff alert";
    let client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    client
        .execute(
            "UPDATE staff_alerts SET lease_until = NULL WHERE id = $1 AND sent_at IS NULL",
            &[&id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(())
}
