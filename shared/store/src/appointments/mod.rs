//! Appointments: what the scheduling engine does with them — book, reschedule,
//! cancel, confirm, and list a contact's upcoming ones. An appointment that has
//! started can no longer be cancelled or moved (`AlreadyStarted`); the caller
//! passes `now`.
//!
//! Booking safety lives here, in the database: the slot row is locked
//! (`SELECT … FOR UPDATE`) before its capacity is read, a reschedule locks both
//! slots in id order (so two swaps cannot deadlock), and the `booked_count` CHECK
//! refuses anything that slipped past. Every change writes an `appointment_events`
//! row in the same transaction. Callers pass the rules (window, cap) in; this
//! module must not read clocks or configuration itself.
//!
//! What operators see and do (`operator`) and the housekeeping sweep
//! (`housekeeping`) are submodules sharing the row mapping and the event log;
//! their items are re-exported here, so every caller names `appointments::…`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::StoreError;
use smsbot_domain::AppointmentStatus;

use crate::availability::SlotId;
use crate::contacts::ContactId;

mod housekeeping;
mod operator;

pub use housekeeping::complete_past;
pub use operator::{
    AppointmentDetail, AppointmentFilter, find_detail, list_filtered, mark_no_show,
};

pub use smsbot_domain::AppointmentId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub contact_id: ContactId,
    pub slot_id: SlotId,
    /// Always valid: the column's CHECK holds the same vocabulary.
    pub status: AppointmentStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Appointment {
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            contact_id: row.get("contact_id"),
            slot_id: row.get("slot_id"),
            status: row.get("status"),
            starts_at: row.get("starts_at"),
            ends_at: row.get("ends_at"),
        }
    }
}

const COLUMNS: &str = "id, contact_id, slot_id, status, starts_at, ends_at";

/// What the business allows for a booking made now.
#[derive(Debug, Clone, Copy)]
pub struct BookingRules {
    /// No appointment may start before this (now + lead time).
    pub earliest: DateTime<Utc>,
    /// Nor after this (now + horizon).
    pub latest: DateTime<Utc>,
    /// Open future appointments one contact may hold.
    pub max_open: i64,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingOutcome {
    Booked(Appointment),
    SlotFull,
    SlotMissing,
    OutsideWindow,
    TooManyOpen { limit: i64 },
    AlreadyHeld,
}

async fn lock_slot(
    db: &impl GenericClient,
    slot_id: SlotId,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>, i32, i32)>, StoreError> {
    let row = db
        .query_opt(
            "SELECT starts_at, ends_at, capacity, booked_count FROM availability_slots
              WHERE id = $1 FOR UPDATE",
            &[&slot_id],
        )
        .await
        .map_err(|e| StoreError::query("locking a slot", e))?;
    Ok(row.map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))))
}

/// Books `slot_id` for the contact. Must run inside a transaction.
pub async fn book(
    tx: &impl GenericClient,
    contact_id: ContactId,
    slot_id: SlotId,
    rules: &BookingRules,
) -> Result<BookingOutcome, StoreError> {
    const CONTEXT: &str = "booking";
    // The contact lock serialises one contact's bookings so the cap holds.
    tx.execute(
        "SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE",
        &[&contact_id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    let Some((starts_at, ends_at, capacity, booked)) = lock_slot(tx, slot_id).await? else {
        return Ok(BookingOutcome::SlotMissing);
    };
    if starts_at < rules.earliest || starts_at > rules.latest {
        return Ok(BookingOutcome::OutsideWindow);
    }
    if booked >= capacity {
        return Ok(BookingOutcome::SlotFull);
    }
    let open: i64 = tx
        .query_one(
            "SELECT count(*) FROM appointments
              WHERE contact_id = $1 AND status = 'booked' AND starts_at > $2",
            &[&contact_id, &rules.now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .get(0);
    if open >= rules.max_open {
        return Ok(BookingOutcome::TooManyOpen {
            limit: rules.max_open,
        });
    }
    let held = tx
        .query_opt(
            "SELECT 1 FROM appointments WHERE contact_id = $1 AND slot_id = $2 AND status = 'booked'",
            &[&contact_id, &slot_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if held.is_some() {
        return Ok(BookingOutcome::AlreadyHeld);
    }
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO appointments (contact_id, slot_id, starts_at, ends_at)
                 VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
            ),
            &[&contact_id, &slot_id, &starts_at, &ends_at],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let appointment = Appointment::from_row(&row);
    record_event(tx, appointment.id, "booked", None, Some(slot_id)).await?;
    Ok(BookingOutcome::Booked(appointment))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RescheduleOutcome {
    Rescheduled(Appointment),
    /// The appointment is not this contact's, or not booked any more.
    NotFound,
    /// It has started (`starts_at <= rules.now`): too late to move; left as it is.
    AlreadyStarted(Appointment),
    /// The contact already holds another appointment in that slot (moving
    /// there would book them twice): both stay as they are.
    AlreadyHeld(Appointment),
    SlotFull,
    SlotMissing,
    OutsideWindow,
}

/// Moves a booked appointment that has not started by `rules.now` to another
/// slot, atomically: if the new slot is full the old appointment stays exactly as
/// it was. Must run inside a transaction.
pub async fn reschedule(
    tx: &impl GenericClient,
    contact_id: ContactId,
    appointment_id: AppointmentId,
    new_slot_id: SlotId,
    rules: &BookingRules,
) -> Result<RescheduleOutcome, StoreError> {
    const CONTEXT: &str = "rescheduling";
    let Some(current) = lock_booked(tx, contact_id, appointment_id, CONTEXT).await? else {
        return Ok(RescheduleOutcome::NotFound);
    };
    if current.starts_at <= rules.now {
        return Ok(RescheduleOutcome::AlreadyStarted(current));
    }
    // Both slots, always in id order: two opposite swaps cannot deadlock.
    let locked = tx
        .query(
            "SELECT id, starts_at, ends_at, capacity, booked_count FROM availability_slots
              WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&vec![current.slot_id, new_slot_id]],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let Some(target) = locked.iter().find(|r| r.get::<_, SlotId>(0) == new_slot_id) else {
        return Ok(RescheduleOutcome::SlotMissing);
    };
    let (starts_at, ends_at, capacity, booked): (DateTime<Utc>, DateTime<Utc>, i32, i32) =
        (target.get(1), target.get(2), target.get(3), target.get(4));
    if starts_at < rules.earliest || starts_at > rules.latest {
        return Ok(RescheduleOutcome::OutsideWindow);
    }
    if new_slot_id == current.slot_id {
        return Ok(RescheduleOutcome::Rescheduled(current));
    }
    let held = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM appointments
                  WHERE contact_id = $1 AND slot_id = $2 AND status = 'booked' AND id <> $3"
            ),
            &[&contact_id, &new_slot_id, &appointment_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(other) = held {
        return Ok(RescheduleOutcome::AlreadyHeld(Appointment::from_row(
            &other,
        )));
    }
    if booked >= capacity {
        return Ok(RescheduleOutcome::SlotFull);
    }
    let row = tx
        .query_one(
            &format!(
                "UPDATE appointments
                    SET slot_id = $2, starts_at = $3, ends_at = $4, confirmed_at = NULL,
                        updated_at = now()
                  WHERE id = $1 RETURNING {COLUMNS}"
            ),
            &[&appointment_id, &new_slot_id, &starts_at, &ends_at],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    record_event(
        tx,
        appointment_id,
        "rescheduled",
        Some(current.slot_id),
        Some(new_slot_id),
    )
    .await?;
    Ok(RescheduleOutcome::Rescheduled(Appointment::from_row(&row)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled(Appointment),
    /// The appointment is not this contact's, or not booked any more.
    NotFound,
    /// It has started (`starts_at <= now`): too late to cancel; left as it is.
    AlreadyStarted(Appointment),
}

/// Cancels the contact's booked appointment if it has not started by `now`.
/// Must run inside a transaction.
pub async fn cancel(
    tx: &impl GenericClient,
    contact_id: ContactId,
    appointment_id: AppointmentId,
    now: DateTime<Utc>,
) -> Result<CancelOutcome, StoreError> {
    const CONTEXT: &str = "cancelling";
    let Some(current) = lock_booked(tx, contact_id, appointment_id, CONTEXT).await? else {
        return Ok(CancelOutcome::NotFound);
    };
    if current.starts_at <= now {
        return Ok(CancelOutcome::AlreadyStarted(current));
    }
    let row = tx
        .query_one(
            &format!(
                "UPDATE appointments SET status = 'cancelled', cancelled_at = now(), updated_at = now()
                  WHERE id = $1
                  RETURNING {COLUMNS}"
            ),
            &[&appointment_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let appointment = Appointment::from_row(&row);
    record_event(
        tx,
        appointment.id,
        "cancelled",
        Some(appointment.slot_id),
        None,
    )
    .await?;
    Ok(CancelOutcome::Cancelled(appointment))
}

/// Locks the contact's booked appointment (until the caller's transaction ends).
async fn lock_booked(
    tx: &impl GenericClient,
    contact_id: ContactId,
    appointment_id: AppointmentId,
    context: &'static str,
) -> Result<Option<Appointment>, StoreError> {
    Ok(tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM appointments
                  WHERE id = $1 AND contact_id = $2 AND status = 'booked'
                  FOR UPDATE"
            ),
            &[&appointment_id, &contact_id],
        )
        .await
        .map_err(|e| StoreError::query(context, e))?
        .map(|row| Appointment::from_row(&row)))
}

/// The contact's booked appointments that have not started yet, soonest first.
pub async fn upcoming(
    db: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<Vec<Appointment>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM appointments
                  WHERE contact_id = $1 AND status = 'booked' AND starts_at > $2
                  ORDER BY starts_at"
            ),
            &[&contact_id, &now],
        )
        .await
        .map_err(|e| StoreError::query("listing appointments", e))?;
    Ok(rows.iter().map(Appointment::from_row).collect())
}

/// The customer confirmed a booked appointment (answering a reminder). Records
/// `confirmed_at` and a `confirmed` event the first time; a repeat changes nothing
/// and still returns the appointment. `None` when it is not theirs or not booked.
pub async fn confirm(
    tx: &impl GenericClient,
    contact_id: ContactId,
    appointment_id: AppointmentId,
    now: DateTime<Utc>,
) -> Result<Option<Appointment>, StoreError> {
    const CONTEXT: &str = "confirming an appointment";
    let first = tx
        .query_opt(
            &format!(
                "UPDATE appointments SET confirmed_at = $3, updated_at = now()
                  WHERE id = $1 AND contact_id = $2 AND status = 'booked' AND confirmed_at IS NULL
                  RETURNING {COLUMNS}"
            ),
            &[&appointment_id, &contact_id, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if let Some(row) = first {
        let appointment = Appointment::from_row(&row);
        record_event(tx, appointment.id, "confirmed", None, None).await?;
        return Ok(Some(appointment));
    }
    let row = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM appointments
                  WHERE id = $1 AND contact_id = $2 AND status = 'booked'"
            ),
            &[&appointment_id, &contact_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(row.as_ref().map(Appointment::from_row))
}

/// When the customer confirmed, if they did.
pub async fn confirmed_at(
    db: &impl GenericClient,
    appointment_id: AppointmentId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    db.query_opt(
        "SELECT confirmed_at FROM appointments WHERE id = $1",
        &[&appointment_id],
    )
    .await
    .map(|row| row.and_then(|r| r.get(0)))
    .map_err(|e| StoreError::query("reading a confirmation", e))
}

async fn record_event(
    tx: &impl GenericClient,
    appointment_id: AppointmentId,
    kind: &str,
    from_slot: Option<SlotId>,
    to_slot: Option<SlotId>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO appointment_events (appointment_id, kind, from_slot_id, to_slot_id)
         VALUES ($1, $2, $3, $4)",
        &[&appointment_id, &kind, &from_slot, &to_slot],
    )
    .await
    .map_err(|e| StoreError::query("recording an appointment event", e))?;
    Ok(())
}
