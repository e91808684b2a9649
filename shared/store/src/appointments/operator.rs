//! Appointments as an operator sees and handles them: the detailed view (with the
//! slot's provider and the lifecycle timestamps), the filtered listing in
//! start-time order, and marking a no-show.
//!
//! Must not book or move anything: capacity and the booking window belong to the
//! scheduling engine in the parent module.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use smsbot_domain::AppointmentStatus;

use super::{Appointment, AppointmentId, COLUMNS, record_event};
use crate::StoreError;
use crate::availability::SlotId;
use crate::contacts::ContactId;

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
    /// Booked by a customer over the no-show limit, not yet approved by staff.
    pub awaiting_approval: bool,
}

const DETAIL_SELECT: &str = "SELECT a.id, a.contact_id, a.slot_id, s.provider_id, a.service_id,
        a.status, a.starts_at, a.ends_at, a.confirmed_at, a.cancelled_at, a.created_at,
        a.updated_at, (a.needs_approval AND a.approved_at IS NULL) AS awaiting_approval
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
        awaiting_approval: row.get("awaiting_approval"),
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
