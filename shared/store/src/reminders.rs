//! Appointment reminders: which booked appointments still need one, and the
//! record that one was sent.
//!
//! Owns the `appointment_reminders` table. Its unique (appointment, start time)
//! makes a reminder happen at most once per appointment time, whatever the number
//! of overlapping housekeeping runs; a moved appointment is reminded of its new
//! time. When to remind (hours before, quiet hours) is the caller's rule.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::StoreError;
use crate::appointments::AppointmentId;
use crate::contacts::ContactId;
use crate::messages::MessageId;

/// A booked appointment with no reminder for its current time yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCandidate {
    pub appointment_id: AppointmentId,
    pub contact_id: ContactId,
    pub starts_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub contact_name: Option<String>,
    pub contact_timezone: Option<String>,
}

/// Booked appointments of contacts with service consent starting in `(after, until]` that have
/// no reminder for their current start time.
pub async fn candidates(
    db: &impl GenericClient,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ReminderCandidate>, StoreError> {
    let rows = db
        .query(
            "SELECT a.id, a.contact_id, a.starts_at, a.created_at, c.name, c.timezone
               FROM appointments a JOIN contacts c ON c.id = a.contact_id
              WHERE a.status = 'booked' AND a.starts_at > $1 AND a.starts_at <= $2
                AND c.phone IS NOT NULL AND c.consent = 'opted_in'
                AND NOT EXISTS (SELECT 1 FROM appointment_reminders r
                                 WHERE r.appointment_id = a.id AND r.starts_at = a.starts_at)
              ORDER BY a.starts_at, a.id",
            &[&after, &until],
        )
        .await
        .map_err(|e| StoreError::query("finding appointments to remind", e))?;
    Ok(rows
        .iter()
        .map(|r| ReminderCandidate {
            appointment_id: r.get(0),
            contact_id: r.get(1),
            starts_at: r.get(2),
            created_at: r.get(3),
            contact_name: r.get(4),
            contact_timezone: r.get(5),
        })
        .collect())
}

/// Takes the reminder of this appointment time for the caller. `false` when
/// another run took it already. Must run in the transaction that records the
/// message (then [`attach_message`]).
pub async fn claim(
    tx: &impl GenericClient,
    appointment_id: AppointmentId,
    starts_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    tx.execute(
        "INSERT INTO appointment_reminders (appointment_id, starts_at) VALUES ($1, $2)
         ON CONFLICT (appointment_id, starts_at) DO NOTHING",
        &[&appointment_id, &starts_at],
    )
    .await
    .map(|n| n > 0)
    .map_err(|e| StoreError::query("claiming a reminder", e))
}

pub async fn attach_message(
    tx: &impl GenericClient,
    appointment_id: AppointmentId,
    starts_at: DateTime<Utc>,
    message_id: MessageId,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE appointment_reminders SET message_id = $3
          WHERE appointment_id = $1 AND starts_at = $2",
        &[&appointment_id, &starts_at, &message_id],
    )
    .await
    .map_err(|e| StoreError::query("linking a reminder message", e))?;
    Ok(())
}

/// Reminder messages recorded but not handed to Twilio (a send failed
/// transiently), whose appointment is still booked at that time and after `now`.
pub async fn unsent(
    db: &impl GenericClient,
    now: DateTime<Utc>,
) -> Result<Vec<MessageId>, StoreError> {
    let rows = db
        .query(
            "SELECT m.id FROM appointment_reminders r
               JOIN messages m ON m.id = r.message_id
               JOIN appointments a ON a.id = r.appointment_id
              WHERE m.twilio_sid IS NULL AND m.status = 'pending'
                AND a.status = 'booked' AND a.starts_at = r.starts_at AND a.starts_at > $1
              ORDER BY m.id",
            &[&now],
        )
        .await
        .map_err(|e| StoreError::query("finding unsent reminders", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// How many reminders an appointment got (tests and reports).
pub async fn count_for(
    db: &impl GenericClient,
    appointment_id: AppointmentId,
) -> Result<i64, StoreError> {
    db.query_one(
        "SELECT count(*) FROM appointment_reminders WHERE appointment_id = $1",
        &[&appointment_id],
    )
    .await
    .map(|r| r.get(0))
    .map_err(|e| StoreError::query("counting reminders", e))
}
