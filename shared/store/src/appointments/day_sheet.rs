//! The front desk's day sheet: every appointment starting in a span of time
//! (a day in the business's timezone, chosen by the caller), with the
//! customer's name and phone, the provider and the service, in start order.
//!
//! Must not filter by status: the desk sees cancelled visits and no-shows too.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use smsbot_domain::{AppointmentId, AppointmentStatus, ContactId, ProviderId, ServiceId};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySheetLine {
    pub appointment_id: AppointmentId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    /// `None` once the contact's personal data was erased.
    pub phone: Option<String>,
    pub provider_id: ProviderId,
    pub provider_name: String,
    pub service_id: Option<ServiceId>,
    pub service_name: Option<String>,
    /// Booked over the no-show limit and not yet approved by staff.
    pub awaiting_approval: bool,
}

/// Appointments starting in `[from, to)`, of one provider when given.
pub async fn day_sheet(
    db: &impl GenericClient,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    provider: Option<ProviderId>,
) -> Result<Vec<DaySheetLine>, StoreError> {
    let rows = db
        .query(
            "SELECT a.id, a.starts_at, a.ends_at, a.status, a.contact_id, c.name, c.phone,
                    a.provider_id, p.name, a.service_id, s.name,
                    a.needs_approval AND a.approved_at IS NULL AND a.status = 'booked'
               FROM appointments a
               JOIN contacts c ON c.id = a.contact_id
               JOIN providers p ON p.id = a.provider_id
               LEFT JOIN services s ON s.id = a.service_id
              WHERE a.starts_at >= $1 AND a.starts_at < $2
                AND ($3::bigint IS NULL OR a.provider_id = $3)
              ORDER BY a.starts_at, p.name, a.id",
            &[&from, &to, &provider],
        )
        .await
        .map_err(|e| StoreError::query("reading the day sheet", e))?;
    Ok(rows
        .iter()
        .map(|row| DaySheetLine {
            appointment_id: row.get(0),
            starts_at: row.get(1),
            ends_at: row.get(2),
            status: row.get(3),
            contact_id: row.get(4),
            contact_name: row.get(5),
            phone: row.get(6),
            provider_id: row.get(7),
            provider_name: row.get(8),
            service_id: row.get(9),
            service_name: row.get(10),
            awaiting_approval: row.get(11),
        })
        .collect())
}
