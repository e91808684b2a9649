//! Providers and availability slots.
//!
//! Owns reading open slots (capacity not yet used up) in a time window, which the
//! scheduling engine offers from, and creating slots idempotently (seeding). Must
//! not decide which slots to offer: the conversation chooses the window; this
//! module only answers what is open in it.
//!
//! What operators see and add (`operator`) is a submodule, re-exported here so
//! every caller names `availability::…`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::StoreError;

mod operator;

pub use operator::{
    NewSlotDetail, SlotDetail, SlotFilter, insert_slot, list_filtered, references_exist,
};

pub use smsbot_domain::{ProviderId, ServiceId, SlotId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: SlotId,
    pub provider_id: ProviderId,
    /// Named in offers when more than one provider could serve.
    pub provider_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub booked: i32,
}

impl Slot {
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            provider_id: row.get("provider_id"),
            provider_name: row.get("provider_name"),
            starts_at: row.get("starts_at"),
            ends_at: row.get("ends_at"),
            capacity: row.get("capacity"),
            booked: row.get("booked_count"),
        }
    }
}

const COLUMNS: &str = "s.id, s.provider_id, p.name AS provider_name, s.starts_at, s.ends_at,
     s.capacity, s.booked_count";

/// What the customer wants to book: a service and a provider, each `None`
/// for "whichever the slot implies" and "anyone".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wanted {
    pub service: Option<ServiceId>,
    pub provider: Option<ProviderId>,
}

/// Open slots starting in `[from, to)` (`$1`, `$2`) where the wanted visit
/// fits (`slot_fit`: provider active, service offered, inside working time,
/// no closure, no overlap with another booking and its buffers): the first
/// `$3` by `pick_order`, returned in time order. `$4` and `$5` are the wanted
/// service and provider; extra parameters (from `$6`) serve `pick_order`.
async fn open_slots(
    db: &impl GenericClient,
    pick_order: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Slot>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM (
                     SELECT s.* FROM availability_slots s
                      WHERE s.starts_at >= $1 AND s.starts_at < $2
                        AND s.booked_count < s.capacity
                        AND ($5::bigint IS NULL OR s.provider_id = $5)
                        AND (slot_fit(s.id, $4, NULL)).outcome = 'fits'
                      ORDER BY {pick_order} LIMIT $3
                 ) s JOIN providers p ON p.id = s.provider_id
                 ORDER BY s.starts_at, s.provider_id"
            ),
            params,
        )
        .await
        .map_err(|e| StoreError::query("finding open slots", e))?;
    Ok(rows.iter().map(Slot::from_row).collect())
}

/// Open slots starting in `[from, to)`, the `limit` nearest to `near`, in time order.
pub async fn open_near(
    db: &impl GenericClient,
    wanted: Wanted,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    near: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Slot>, StoreError> {
    open_slots(
        db,
        "abs(extract(epoch FROM s.starts_at - $6)), s.starts_at, s.provider_id",
        &[&from, &to, &limit, &wanted.service, &wanted.provider, &near],
    )
    .await
}

/// The first `limit` open slots starting in `[from, to)`.
pub async fn open_after(
    db: &impl GenericClient,
    wanted: Wanted,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Slot>, StoreError> {
    open_slots(
        db,
        "s.starts_at, s.provider_id",
        &[&from, &to, &limit, &wanted.service, &wanted.provider],
    )
    .await
}

/// The last `limit` open slots starting in `[from, to)`, in time order.
pub async fn open_before(
    db: &impl GenericClient,
    wanted: Wanted,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Slot>, StoreError> {
    open_slots(
        db,
        "s.starts_at DESC, s.provider_id",
        &[&from, &to, &limit, &wanted.service, &wanted.provider],
    )
    .await
}

pub async fn by_id(db: &impl GenericClient, id: SlotId) -> Result<Option<Slot>, StoreError> {
    let row = db
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM availability_slots s
                   JOIN providers p ON p.id = s.provider_id WHERE s.id = $1"
            ),
            &[&id],
        )
        .await
        .map_err(|e| StoreError::query("reading a slot", e))?;
    Ok(row.as_ref().map(Slot::from_row))
}

/// The provider with this name, created if missing.
pub async fn ensure_provider(
    db: &impl GenericClient,
    name: &str,
) -> Result<ProviderId, StoreError> {
    db.query_one(
        "INSERT INTO providers (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
         RETURNING id",
        &[&name],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query("ensuring a provider", e))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSlot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
}

/// Creates the slots that do not exist yet (same provider and start, or any
/// overlap, counts as existing), so seeding twice creates nothing new.
/// Returns how many were created.
pub async fn insert_missing(
    db: &impl GenericClient,
    provider_id: ProviderId,
    slots: &[NewSlot],
) -> Result<u64, StoreError> {
    let starts: Vec<DateTime<Utc>> = slots.iter().map(|s| s.starts_at).collect();
    let ends: Vec<DateTime<Utc>> = slots.iter().map(|s| s.ends_at).collect();
    let capacities: Vec<i32> = slots.iter().map(|s| s.capacity).collect();
    db.execute(
        "INSERT INTO availability_slots (provider_id, starts_at, ends_at, capacity)
         SELECT $1, s, e, c FROM unnest($2::timestamptz[], $3::timestamptz[], $4::int[]) AS t(s, e, c)
         ON CONFLICT DO NOTHING",
        &[&provider_id, &starts, &ends, &capacities],
    )
    .await
    .map_err(|e| StoreError::query("creating slots", e))
}
