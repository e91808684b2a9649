//! Housekeeping of appointments: closing the ones whose time has passed.
//!
//! Runs from the scheduled housekeeping function, over every contact at once; the
//! cut-off is the caller's (this module must not read the clock). Reminders
//! themselves are `crate::reminders`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::StoreError;

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
