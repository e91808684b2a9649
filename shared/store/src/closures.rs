//! Closures: time in which nothing is offered or booked, for the whole
//! business (`provider_id` `None`: a holiday) or one provider (time off, a
//! training afternoon).
//!
//! Owns adding, listing and removing closures, and which booked appointments a
//! new closure falls on (for staff to call or text). Adding one takes the
//! exclusive side of the advisory lock every booking holds shared from its
//! closure check to its commit (`book_appointment`), so the two serialise.
//! Must not cancel or notify anything itself: staff decide what happens to
//! the appointments it lists.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use smsbot_domain::{AppointmentId, ClosureId, ContactId, ProviderId};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub id: ClosureId,
    pub provider_id: Option<ProviderId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl Closure {
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            provider_id: row.get("provider_id"),
            starts_at: row.get("starts_at"),
            ends_at: row.get("ends_at"),
            reason: row.get("reason"),
            created_at: row.get("created_at"),
        }
    }
}

const COLUMNS: &str = "id, provider_id, starts_at, ends_at, reason, created_at";

/// A closure to add (validated by the caller: `ends_at > starts_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClosure {
    pub provider_id: Option<ProviderId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// A booked appointment a closure falls on, as staff need it to reach the
/// customer. `phone` is `None` once the contact's data was erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    pub appointment_id: AppointmentId,
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub provider_id: ProviderId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Adds a closure and returns it with the booked appointments inside it. Must
/// run inside a transaction: the lock it takes waits for bookings in flight
/// and keeps new ones out until the caller commits.
pub async fn add(
    tx: &impl GenericClient,
    closure: &NewClosure,
) -> Result<(Closure, Vec<Affected>), StoreError> {
    const CONTEXT: &str = "adding a closure";
    tx.execute(
        "SELECT pg_advisory_xact_lock(7301, closure_lock_key($1))",
        &[&closure.provider_id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO closures (provider_id, starts_at, ends_at, reason)
                 VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
            ),
            &[
                &closure.provider_id,
                &closure.starts_at,
                &closure.ends_at,
                &closure.reason,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let added = Closure::from_row(&row);
    let affected = affected_by(tx, &added).await?;
    Ok((added, affected))
}

/// Booked appointments overlapping the closure's time (of its provider, or of
/// anyone for a business-wide one), soonest first.
pub async fn affected_by(
    db: &impl GenericClient,
    closure: &Closure,
) -> Result<Vec<Affected>, StoreError> {
    let rows = db
        .query(
            "SELECT a.id, a.contact_id, c.name, c.phone, a.provider_id, a.starts_at, a.ends_at
               FROM appointments a JOIN contacts c ON c.id = a.contact_id
              WHERE a.status = 'booked'
                AND ($1::bigint IS NULL OR a.provider_id = $1)
                AND tstzrange(a.starts_at, a.ends_at) && tstzrange($2, $3)
              ORDER BY a.starts_at, a.id",
            &[&closure.provider_id, &closure.starts_at, &closure.ends_at],
        )
        .await
        .map_err(|e| StoreError::query("listing appointments in a closure", e))?;
    Ok(rows
        .iter()
        .map(|row| Affected {
            appointment_id: row.get(0),
            contact_id: row.get(1),
            contact_name: row.get(2),
            phone: row.get(3),
            provider_id: row.get(4),
            starts_at: row.get(5),
            ends_at: row.get(6),
        })
        .collect())
}

/// Closures overlapping `[from, to)`, in start order (ties by id).
pub async fn overlapping(
    db: &impl GenericClient,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Closure>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM closures
                  WHERE tstzrange(starts_at, ends_at) && tstzrange($1, $2)
                  ORDER BY starts_at, id"
            ),
            &[&from, &to],
        )
        .await
        .map_err(|e| StoreError::query("listing closures", e))?;
    Ok(rows.iter().map(Closure::from_row).collect())
}

pub async fn by_id(db: &impl GenericClient, id: ClosureId) -> Result<Option<Closure>, StoreError> {
    let row = db
        .query_opt(
            &format!("SELECT {COLUMNS} FROM closures WHERE id = $1"),
            &[&id],
        )
        .await
        .map_err(|e| StoreError::query("reading a closure", e))?;
    Ok(row.as_ref().map(Closure::from_row))
}

/// Removes a closure (its time is offered again). Whether one was removed.
pub async fn remove(db: &impl GenericClient, id: ClosureId) -> Result<bool, StoreError> {
    db.execute("DELETE FROM closures WHERE id = $1", &[&id])
        .await
        .map(|n| n == 1)
        .map_err(|e| StoreError::query("removing a closure", e))
}
