//! Slots as an operator sees and adds them: the detailed view (with the
//! service), the filtered listing in start-time order, and adding one slot.
//!
//! Must not check capacity against bookings or judge overlaps itself: the
//! table's constraints do, and a refused overlap comes back as
//! `StoreError::Conflict`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{ProviderId, SlotId};
use crate::StoreError;

/// A slot with its service, as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotDetail {
    pub id: SlotId,
    pub provider_id: ProviderId,
    pub service_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub booked: i32,
}

const DETAIL_COLUMNS: &str =
    "id, provider_id, service_id, starts_at, ends_at, capacity, booked_count";

fn detail_from_row(row: &Row) -> SlotDetail {
    SlotDetail {
        id: row.get("id"),
        provider_id: row.get("provider_id"),
        service_id: row.get("service_id"),
        starts_at: row.get("starts_at"),
        ends_at: row.get("ends_at"),
        capacity: row.get("capacity"),
        booked: row.get("booked_count"),
    }
}

/// Filters of a slot listing; `None` means any. Times bound `starts_at` as
/// `[from, to)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlotFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub provider_id: Option<ProviderId>,
    pub service_id: Option<i64>,
    /// Only slots with capacity left.
    pub open_only: bool,
}

/// Slots in start-time order (ties by id) after the `after` key.
pub async fn list_filtered(
    db: &impl GenericClient,
    filter: SlotFilter,
    after: Option<(DateTime<Utc>, SlotId)>,
    limit: i64,
) -> Result<Vec<SlotDetail>, StoreError> {
    let (after_start, after_id) = after.unzip();
    let rows = db
        .query(
            &format!(
                "SELECT {DETAIL_COLUMNS} FROM availability_slots
                  WHERE ($1::timestamptz IS NULL OR starts_at >= $1)
                    AND ($2::timestamptz IS NULL OR starts_at < $2)
                    AND ($3::bigint IS NULL OR provider_id = $3)
                    AND ($4::bigint IS NULL OR service_id = $4)
                    AND (NOT $5 OR booked_count < capacity)
                    AND ($6::timestamptz IS NULL OR (starts_at, id) > ($6, $7::bigint))
                  ORDER BY starts_at, id
                  LIMIT $8"
            ),
            &[
                &filter.from,
                &filter.to,
                &filter.provider_id,
                &filter.service_id,
                &filter.open_only,
                &after_start,
                &after_id,
                &limit,
            ],
        )
        .await
        .map_err(|e| StoreError::query("listing slots", e))?;
    Ok(rows.iter().map(detail_from_row).collect())
}

/// One slot an operator adds (validated by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSlotDetail {
    pub provider_id: ProviderId,
    pub service_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
}

/// Adds one slot. A slot overlapping another of the same provider is a
/// `StoreError::Conflict` (the table's exclusion constraint).
pub async fn insert_slot(
    db: &impl GenericClient,
    slot: &NewSlotDetail,
) -> Result<SlotDetail, StoreError> {
    let row = db
        .query_one(
            &format!(
                "INSERT INTO availability_slots (provider_id, service_id, starts_at, ends_at, capacity)
                 VALUES ($1, $2, $3, $4, $5)
                 RETURNING {DETAIL_COLUMNS}"
            ),
            &[
                &slot.provider_id,
                &slot.service_id,
                &slot.starts_at,
                &slot.ends_at,
                &slot.capacity,
            ],
        )
        .await
        .map_err(|e| StoreError::query("adding a slot", e))?;
    Ok(detail_from_row(&row))
}

/// Whether a provider and (when given) a service with these ids exist.
pub async fn references_exist(
    db: &impl GenericClient,
    provider_id: ProviderId,
    service_id: Option<i64>,
) -> Result<(bool, bool), StoreError> {
    let row = db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM providers WHERE id = $1),
                    $2::bigint IS NULL OR EXISTS (SELECT 1 FROM services WHERE id = $2)",
            &[&provider_id, &service_id],
        )
        .await
        .map_err(|e| StoreError::query("checking a slot's provider and service", e))?;
    Ok((row.get(0), row.get(1)))
}
