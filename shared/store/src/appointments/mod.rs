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
use smsbot_domain::{AppointmentStatus, ServiceId};

use crate::availability::{ProviderId, SlotId};
use crate::contacts::ContactId;

mod approval;
mod day_sheet;
mod housekeeping;
mod operator;

pub use approval::{Approval, approve, no_show_count, require_approval};
pub use day_sheet::{DaySheetLine, day_sheet};
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
    /// What the visit is for; `None` for a business that keeps no services.
    pub service_id: Option<ServiceId>,
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
            service_id: row.get("service_id"),
        }
    }
}

const COLUMNS: &str = "id, contact_id, slot_id, status, starts_at, ends_at, service_id";

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
    TooManyOpen {
        limit: i64,
    },
    AlreadyHeld,
    /// The slot exists, but this visit cannot start there.
    Unfit(Unfit),
}

/// Why a visit cannot start in a slot that exists (the database's `slot_fit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    /// The slot's provider no longer takes bookings.
    ProviderInactive,
    /// The provider offers several services and none was named.
    ServiceRequired,
    /// The service is inactive, unknown, or not offered by this provider or slot.
    ServiceNotOffered,
    /// The visit runs past the provider's working time.
    DoesNotFit,
    /// A closure (holiday, time off) covers part of the visit.
    Closed,
    /// Another booking of the provider (with its buffers) overlaps the visit.
    Overlaps,
    /// Every free place is held for a waitlisted customer who was offered it
    /// (`waitlist`); the holder books it, anyone else after the hold ends.
    Held,
}

impl Unfit {
    /// `slot_fit`'s outcome word; `None` for `fits` or a word it does not know.
    fn from_outcome(outcome: &str) -> Option<Self> {
        Some(match outcome {
            "provider_inactive" => Self::ProviderInactive,
            "service_required" => Self::ServiceRequired,
            "service_not_offered" => Self::ServiceNotOffered,
            "does_not_fit" => Self::DoesNotFit,
            "closed" => Self::Closed,
            "overlaps" => Self::Overlaps,
            "held" => Self::Held,
            _ => return None,
        })
    }

    fn read(outcome: &str) -> Result<Self, StoreError> {
        Self::from_outcome(outcome).ok_or_else(|| StoreError::Corrupt {
            what: "booking outcome",
            detail: outcome.to_owned(),
        })
    }
}

/// What to book: the slot, and the service when the customer named one
/// (`None`: the slot's own, or the provider's only one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRequest {
    pub contact_id: ContactId,
    pub slot_id: SlotId,
    pub service_id: Option<ServiceId>,
}

/// Books `slot_id` for the contact with the slot's own service. Must run
/// inside a transaction.
pub async fn book(
    tx: &impl GenericClient,
    contact_id: ContactId,
    slot_id: SlotId,
    rules: &BookingRules,
) -> Result<BookingOutcome, StoreError> {
    let request = BookingRequest {
        contact_id,
        slot_id,
        service_id: None,
    };
    book_service(tx, &request, rules).await
}

/// Books a visit in one statement (`book_appointment`): everything that needs
/// no lock is checked first, then the slot's row is locked and the
/// appointment written, so the contended lock is held for no round trip
/// before the caller commits. Runs inside the caller's transaction, or alone
/// as its own.
pub async fn book_service(
    tx: &impl GenericClient,
    request: &BookingRequest,
    rules: &BookingRules,
) -> Result<BookingOutcome, StoreError> {
    // Prepared once per connection: a booking is then one round trip, not
    // two (parse and describe, then execute).
    let statement = tx
        .prepare_cached(
            "SELECT outcome, appointment_id, starts_at, ends_at, service_id
               FROM book_appointment($1, $2, $3, $4, $5, $6, $7)",
        )
        .await
        .map_err(|e| StoreError::query("preparing a booking", e))?;
    let row = tx
        .query_one(
            &statement,
            &[
                &request.contact_id,
                &request.slot_id,
                &request.service_id,
                &rules.earliest,
                &rules.latest,
                &rules.max_open,
                &rules.now,
            ],
        )
        .await
        .map_err(|e| StoreError::query("booking", e))?;
    let outcome: &str = row.get(0);
    Ok(match outcome {
        "booked" => BookingOutcome::Booked(Appointment {
            id: row.get(1),
            contact_id: request.contact_id,
            slot_id: request.slot_id,
            status: AppointmentStatus::Booked,
            starts_at: row.get(2),
            ends_at: row.get(3),
            service_id: row.get(4),
        }),
        "slot_missing" => BookingOutcome::SlotMissing,
        "slot_full" => BookingOutcome::SlotFull,
        "outside_window" => BookingOutcome::OutsideWindow,
        "too_many_open" => BookingOutcome::TooManyOpen {
            limit: rules.max_open,
        },
        "already_held" => BookingOutcome::AlreadyHeld,
        other => BookingOutcome::Unfit(Unfit::read(other)?),
    })
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
    /// The new slot exists, but this visit cannot start there.
    Unfit(Unfit),
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
    if new_slot_id == current.slot_id {
        return Ok(RescheduleOutcome::Rescheduled(current));
    }
    // The same checks as a booking, before any slot is locked.
    hold_off_closures(tx, new_slot_id, CONTEXT).await?;
    let fit = tx
        .query_one(
            "SELECT outcome, provider, starts_at, ends_at, blocked_from, blocked_until
               FROM slot_fit($1, $2, $3)",
            &[&new_slot_id, &current.service_id, &appointment_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    match fit.get::<_, &str>(0) {
        "fits" => {}
        "slot_missing" => return Ok(RescheduleOutcome::SlotMissing),
        other => return Ok(RescheduleOutcome::Unfit(Unfit::read(other)?)),
    }
    let (provider_id, starts_at, ends_at, blocked_from, blocked_until): (
        ProviderId,
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
    ) = (fit.get(1), fit.get(2), fit.get(3), fit.get(4), fit.get(5));
    if starts_at < rules.earliest || starts_at > rules.latest {
        return Ok(RescheduleOutcome::OutsideWindow);
    }
    // One change of the provider's booked time at a time (as in
    // `book_appointment`): two overlapping visits written at once would
    // otherwise wait on each other in the exclusion constraint's check.
    tx.execute(
        "SELECT pg_advisory_xact_lock(7302, closure_lock_key($1))",
        &[&provider_id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    // Both slots, always in id order: two opposite swaps cannot deadlock.
    let locked = tx
        .query(
            "SELECT id, capacity, booked_count FROM availability_slots
              WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&vec![current.slot_id, new_slot_id]],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let Some(target) = locked.iter().find(|r| r.get::<_, SlotId>(0) == new_slot_id) else {
        return Ok(RescheduleOutcome::SlotMissing);
    };
    let (capacity, booked): (i32, i32) = (target.get(1), target.get(2));
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
                    SET slot_id = $2, starts_at = $3, ends_at = $4, provider_id = $5,
                        blocked_from = $6, blocked_until = $7, confirmed_at = NULL,
                        updated_at = now()
                  WHERE id = $1 RETURNING {COLUMNS}"
            ),
            &[
                &appointment_id,
                &new_slot_id,
                &starts_at,
                &ends_at,
                &provider_id,
                &blocked_from,
                &blocked_until,
            ],
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

/// Takes the shared side of the locks a new closure takes exclusively (the
/// business's and the slot's provider's), so no closure over this slot can
/// commit before the caller's transaction ends.
async fn hold_off_closures(
    tx: &impl GenericClient,
    slot_id: SlotId,
    context: &'static str,
) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock_shared(7301, 0),
                pg_advisory_xact_lock_shared(7301, closure_lock_key(provider_id))
           FROM availability_slots WHERE id = $1",
        &[&slot_id],
    )
    .await
    .map_err(|e| StoreError::query(context, e))?;
    Ok(())
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

/// What the contact booked last (and did not cancel), to offer it again.
pub async fn last_service(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<Option<ServiceId>, StoreError> {
    db.query_opt(
        "SELECT service_id FROM appointments
          WHERE contact_id = $1 AND service_id IS NOT NULL
            AND status IN ('booked', 'completed')
          ORDER BY created_at DESC, id DESC LIMIT 1",
        &[&contact_id],
    )
    .await
    .map(|row| row.map(|r| r.get(0)))
    .map_err(|e| StoreError::query("reading the last service booked", e))
}

/// The service an appointment is for (`None` for a business without
/// services) and its provider; `None` for no such appointment.
pub async fn visit_of(
    db: &impl GenericClient,
    appointment_id: AppointmentId,
) -> Result<Option<(Option<ServiceId>, ProviderId)>, StoreError> {
    db.query_opt(
        "SELECT service_id, provider_id FROM appointments WHERE id = $1",
        &[&appointment_id],
    )
    .await
    .map(|row| row.map(|r| (r.get(0), r.get(1))))
    .map_err(|e| StoreError::query("reading an appointment's service and provider", e))
}

/// The slot an appointment is in; `None` for no such appointment.
pub async fn slot_of(
    db: &impl GenericClient,
    appointment_id: AppointmentId,
) -> Result<Option<SlotId>, StoreError> {
    db.query_opt(
        "SELECT slot_id FROM appointments WHERE id = $1",
        &[&appointment_id],
    )
    .await
    .map(|row| row.map(|r| r.get(0)))
    .map_err(|e| StoreError::query("reading an appointment's slot", e))
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
