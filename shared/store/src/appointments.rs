//! Appointments: booking, rescheduling, cancelling, listing.
//!
//! Booking safety lives here, in the database: the slot row is locked
//! (`SELECT … FOR UPDATE`) before its capacity is read, a reschedule locks both
//! slots in id order (so two swaps cannot deadlock), and the `booked_count` CHECK
//! refuses anything that slipped past. Every change writes an `appointment_events`
//! row in the same transaction. Callers pass the rules (window, cap) in; this
//! module must not read clocks or configuration itself.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::StoreError;
use smsbot_domain::AppointmentStatus;

use crate::availability::SlotId;
use crate::contacts::ContactId;

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
    SlotFull,
    SlotMissing,
    OutsideWindow,
}

/// Moves a booked appointment to another slot, atomically: if the new slot is full
/// the old appointment stays exactly as it was. Must run inside a transaction.
pub async fn reschedule(
    tx: &impl GenericClient,
    contact_id: ContactId,
    appointment_id: AppointmentId,
    new_slot_id: SlotId,
    rules: &BookingRules,
) -> Result<RescheduleOutcome, StoreError> {
    const CONTEXT: &str = "rescheduling";
    let Some(current) = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM appointments
                  WHERE id = $1 AND contact_id = $2 AND status = 'booked' AND starts_at > $3
                  FOR UPDATE"
            ),
            &[&appointment_id, &contact_id, &rules.now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .map(|row| Appointment::from_row(&row))
    else {
        return Ok(RescheduleOutcome::NotFound);
    };
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

/// Cancels the contact's booked appointment; `None` when there is no such booking.
pub async fn cancel(
    tx: &impl GenericClient,
    contact_id: ContactId,
    appointment_id: AppointmentId,
) -> Result<Option<Appointment>, StoreError> {
    let row = tx
        .query_opt(
            &format!(
                "UPDATE appointments SET status = 'cancelled', cancelled_at = now(), updated_at = now()
                  WHERE id = $1 AND contact_id = $2 AND status = 'booked'
                  RETURNING {COLUMNS}"
            ),
            &[&appointment_id, &contact_id],
        )
        .await
        .map_err(|e| StoreError::query("cancelling", e))?;
    let Some(row) = row else { return Ok(None) };
    let appointment = Appointment::from_row(&row);
    record_event(
        tx,
        appointment.id,
        "cancelled",
        Some(appointment.slot_id),
        None,
    )
    .await?;
    Ok(Some(appointment))
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

// --- Admin API (issue 6): listing appointments, cancelling, marking no-shows. ----

/// An appointment with everything an operator sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentDetail {
    pub id: AppointmentId,
    pub contact_id: ContactId,
    pub slot_id: SlotId,
    pub provider_id: smsbot_domain::ProviderId,
    pub service_id: Option<i64>,
    /// Always valid: the column's CHECK holds the same vocabulary.
    pub status: AppointmentStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const DETAIL_SELECT: &str = "SELECT a.id, a.contact_id, a.slot_id, s.provider_id, a.service_id,
        a.status, a.starts_at, a.ends_at, a.confirmed_at, a.cancelled_at, a.created_at,
        a.updated_at
   FROM appointments a JOIN availability_slots s ON s.id = a.slot_id";

fn detail_from_row(row: &Row) -> AppointmentDetail {
    AppointmentDetail {
        id: row.get("id"),
        contact_id: row.get("contact_id"),
        slot_id: row.get("slot_id"),
        provider_id: row.get("provider_id"),
        service_id: row.get("service_id"),
        status: row.get("status"),
        starts_at: row.get("starts_at"),
        ends_at: row.get("ends_at"),
        confirmed_at: row.get("confirmed_at"),
        cancelled_at: row.get("cancelled_at"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// Filters of an appointment listing; `None` means any. Times bound `starts_at`
/// as `[from, to)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppointmentFilter {
    pub contact_id: Option<ContactId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub status: Option<AppointmentStatus>,
}

/// Appointments in start-time order (ties by id) after the `after` key.
pub async fn list_filtered(
    db: &impl GenericClient,
    filter: AppointmentFilter,
    after: Option<(DateTime<Utc>, AppointmentId)>,
    limit: i64,
) -> Result<Vec<AppointmentDetail>, StoreError> {
    let (after_start, after_id) = after.unzip();
    let rows = db
        .query(
            &format!(
                "{DETAIL_SELECT}
                  WHERE ($1::bigint IS NULL OR a.contact_id = $1)
                    AND ($2::timestamptz IS NULL OR a.starts_at >= $2)
                    AND ($3::timestamptz IS NULL OR a.starts_at < $3)
                    AND ($4::text IS NULL OR a.status = $4)
                    AND ($5::timestamptz IS NULL OR (a.starts_at, a.id) > ($5, $6::bigint))
                  ORDER BY a.starts_at, a.id
                  LIMIT $7"
            ),
            &[
                &filter.contact_id,
                &filter.from,
                &filter.to,
                &filter.status,
                &after_start,
                &after_id,
                &limit,
            ],
        )
        .await
        .map_err(|e| StoreError::query("listing appointments", e))?;
    Ok(rows.iter().map(detail_from_row).collect())
}

pub async fn find_detail(
    db: &impl GenericClient,
    id: AppointmentId,
) -> Result<Option<AppointmentDetail>, StoreError> {
    let row = db
        .query_opt(&format!("{DETAIL_SELECT} WHERE a.id = $1"), &[&id])
        .await
        .map_err(|e| StoreError::query("reading an appointment", e))?;
    Ok(row.as_ref().map(detail_from_row))
}

/// Marks a booked appointment that has started (`starts_at <= now`) as a
/// no-show, freeing nothing (the time has passed) but recording the event.
/// `None` when it is not booked or has not started. Must run in a transaction.
pub async fn mark_no_show(
    tx: &impl GenericClient,
    id: AppointmentId,
    now: DateTime<Utc>,
) -> Result<Option<Appointment>, StoreError> {
    let row = tx
        .query_opt(
            &format!(
                "UPDATE appointments SET status = 'no_show', updated_at = now()
                  WHERE id = $1 AND status = 'booked' AND starts_at <= $2
                  RETURNING {COLUMNS}"
            ),
            &[&id, &now],
        )
        .await
        .map_err(|e| StoreError::query("marking a no-show", e))?;
    let Some(row) = row else { return Ok(None) };
    let appointment = Appointment::from_row(&row);
    record_event(
        tx,
        appointment.id,
        "no_show",
        Some(appointment.slot_id),
        None,
    )
    .await?;
    Ok(Some(appointment))
}

// --- Reminders and housekeeping (issue 5). -----------------------------------------

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

/// Marks booked appointments that ended before `ended_before` completed (a no-show
/// is marked by an operator, and is never booked any more). Returns how many.
pub async fn complete_past(
    db: &impl GenericClient,
    ended_before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    db.execute(
        "WITH done AS (
             UPDATE appointments SET status = 'completed', updated_at = now()
              WHERE status = 'booked' AND ends_at < $1
              RETURNING id, slot_id
         )
         INSERT INTO appointment_events (appointment_id, kind, from_slot_id)
         SELECT id, 'completed', slot_id FROM done",
        &[&ended_before],
    )
    .await
    .map_err(|e| StoreError::query("completing past appointments", e))
}
