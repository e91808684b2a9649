//! A provider's weekly working hours and the slots that follow from them.
//!
//! Owns storing the hours and, in the same transaction, making the
//! provider's future slots match them: opening the slots the caller computed
//! and removing future slots outside them that no appointment ever used.
//! Must not compute slots from hours (the caller does, in the business's
//! timezone) nor touch a slot an appointment references, even a cancelled one.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use smsbot_domain::ProviderId;

use crate::StoreError;
use crate::availability::{self, NewSlot};

/// What setting the hours changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reslotted {
    pub opened: u64,
    pub removed: u64,
}

/// Stores `hours` for the provider and makes their slots from `from` on the
/// given ones. `None` when there is no such provider. Must run inside a
/// transaction.
pub async fn replace(
    tx: &impl GenericClient,
    provider: ProviderId,
    hours: &str,
    slots: &[NewSlot],
    from: DateTime<Utc>,
) -> Result<Option<Reslotted>, StoreError> {
    const CONTEXT: &str = "setting working hours";
    let found = tx
        .query_opt(
            "UPDATE providers SET working_hours = $2, updated_at = now() WHERE id = $1 RETURNING id",
            &[&provider, &hours],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if found.is_none() {
        return Ok(None);
    }
    let starts: Vec<DateTime<Utc>> = slots.iter().map(|s| s.starts_at).collect();
    let ends: Vec<DateTime<Utc>> = slots.iter().map(|s| s.ends_at).collect();
    // Unused slots that are not exactly one of the new ones go.
    let removed = tx
        .execute(
            "DELETE FROM availability_slots s
              WHERE s.provider_id = $1 AND s.starts_at >= $2
                AND NOT EXISTS (SELECT 1 FROM unnest($3::timestamptz[], $4::timestamptz[]) AS n(st, en)
                                 WHERE n.st = s.starts_at AND n.en = s.ends_at)
                AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id)
                AND NOT EXISTS (SELECT 1 FROM appointment_events e
                                 WHERE e.from_slot_id = s.id OR e.to_slot_id = s.id)",
            &[&provider, &from, &starts, &ends],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let opened = availability::insert_missing(tx, provider, slots).await?;
    Ok(Some(Reslotted { opened, removed }))
}

/// The provider's stored hours: `None` for no such provider, `Some(None)`
/// when none were set.
pub async fn of(
    db: &impl GenericClient,
    provider: ProviderId,
) -> Result<Option<Option<String>>, StoreError> {
    db.query_opt(
        "SELECT working_hours FROM providers WHERE id = $1",
        &[&provider],
    )
    .await
    .map(|row| row.map(|r| r.get(0)))
    .map_err(|e| StoreError::query("reading working hours", e))
}
