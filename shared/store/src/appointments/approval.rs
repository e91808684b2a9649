//! The no-show rule's side of appointments: how many visits a contact missed,
//! marking a booking as waiting for the front desk, and the desk approving it.
//!
//! Must not decide when approval is needed: the conversation's policy
//! (`NO_SHOW_LIMIT`) does, and passes the decision in.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use super::{AppointmentId, record_event};
use crate::StoreError;
use crate::contacts::ContactId;

/// Booked visits the contact did not come to.
pub async fn no_show_count(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<i64, StoreError> {
    db.query_one(
        "SELECT count(*) FROM appointments WHERE contact_id = $1 AND status = 'no_show'",
        &[&contact_id],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query("counting no-shows", e))
}

/// Marks a booking just made as waiting for staff approval (same
/// transaction as the booking).
pub async fn require_approval(
    tx: &impl GenericClient,
    appointment_id: AppointmentId,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE appointments SET needs_approval = true WHERE id = $1",
        &[&appointment_id],
    )
    .await
    .map_err(|e| StoreError::query("marking a booking for approval", e))?;
    Ok(())
}

/// What approving found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Approved now: the customer's contact and start, to tell them.
    Approved {
        contact_id: ContactId,
        starts_at: DateTime<Utc>,
    },
    /// Approved before, or never needed approval: nothing changed.
    NothingToApprove,
    /// No such booked appointment.
    NotBooked,
}

/// Staff approve a booking waiting for them. Must run inside a transaction.
pub async fn approve(
    tx: &impl GenericClient,
    appointment_id: AppointmentId,
    now: DateTime<Utc>,
) -> Result<Approval, StoreError> {
    const CONTEXT: &str = "approving a booking";
    let approved = tx
        .query_opt(
            "UPDATE appointments SET approved_at = $2, updated_at = now()
              WHERE id = $1 AND status = 'booked' AND needs_approval AND approved_at IS NULL
              RETURNING contact_id, starts_at",
            &[&appointment_id, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = approved {
        record_event(tx, appointment_id, "approved", None, None).await?;
        return Ok(Approval::Approved {
            contact_id: row.get(0),
            starts_at: row.get(1),
        });
    }
    let booked = tx
        .query_opt(
            "SELECT 1 FROM appointments WHERE id = $1 AND status = 'booked'",
            &[&appointment_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(if booked.is_some() {
        Approval::NothingToApprove
    } else {
        Approval::NotBooked
    })
}
