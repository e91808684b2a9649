//! The services a customer can book (a cleaning, a check-up), as the front
//! desk keeps them through the admin API.
//!
//! Owns the rows of `services`: listing them (by name), reading one, adding
//! one and replacing its editable fields, and the services the conversation
//! may offer ([`active_offered`]). A name taken by another service comes back
//! as `StoreError::Conflict` (the table's unique constraint decides).
//!
//! Must not delete a service (appointments and slots reference it: an
//! operator deactivates it with `active = false`), nor validate beyond what
//! the table's checks guarantee (the admin API refuses bad input first), nor
//! decide which service a customer is offered.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

pub use smsbot_domain::ServiceId;

use crate::StoreError;

/// A service as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    /// How long a visit takes (1 to 1440).
    pub duration_minutes: i32,
    /// Time kept free before a visit (0 to 240).
    pub buffer_before_minutes: i32,
    /// Time kept free after a visit (0 to 240).
    pub buffer_after_minutes: i32,
    /// `None`: no price is told.
    pub price_cents: Option<i32>,
    pub description: Option<String>,
    /// Inactive services are kept (appointments reference them) but not offered.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A service's editable fields, validated by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceFields<'a> {
    pub name: &'a str,
    pub duration_minutes: i32,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub price_cents: Option<i32>,
    pub description: Option<&'a str>,
    pub active: bool,
}

const COLUMNS: &str = "s.id, s.name, s.duration_minutes, s.buffer_before_minutes, \
                       s.buffer_after_minutes, s.price_cents, s.description, s.active, \
                       s.created_at, s.updated_at";

fn from_row(row: &Row) -> Service {
    Service {
        id: row.get("id"),
        name: row.get("name"),
        duration_minutes: row.get("duration_minutes"),
        buffer_before_minutes: row.get("buffer_before_minutes"),
        buffer_after_minutes: row.get("buffer_after_minutes"),
        price_cents: row.get("price_cents"),
        description: row.get("description"),
        active: row.get("active"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// Every service, active or not, by name (ties by id).
pub async fn list(db: &impl GenericClient) -> Result<Vec<Service>, StoreError> {
    let rows = db
        .query(
            &format!("SELECT {COLUMNS} FROM services s ORDER BY s.name, s.id"),
            &[],
        )
        .await
        .map_err(|e| StoreError::query("listing services", e))?;
    Ok(rows.iter().map(from_row).collect())
}

/// One service; `None` when there is no such service.
pub async fn get(db: &impl GenericClient, id: ServiceId) -> Result<Option<Service>, StoreError> {
    let row = db
        .query_opt(
            &format!("SELECT {COLUMNS} FROM services s WHERE s.id = $1"),
            &[&id],
        )
        .await
        .map_err(|e| StoreError::query("reading a service", e))?;
    Ok(row.as_ref().map(from_row))
}

/// Adds a service. A name another service has is a `StoreError::Conflict`.
pub async fn create(
    db: &impl GenericClient,
    fields: &ServiceFields<'_>,
    now: DateTime<Utc>,
) -> Result<Service, StoreError> {
    let row = db
        .query_one(
            &format!(
                "INSERT INTO services AS s (name, duration_minutes, buffer_before_minutes,
                                            buffer_after_minutes, price_cents, description,
                                            active, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                 RETURNING {COLUMNS}"
            ),
            &[
                &fields.name,
                &fields.duration_minutes,
                &fields.buffer_before_minutes,
                &fields.buffer_after_minutes,
                &fields.price_cents,
                &fields.description,
                &fields.active,
                &now,
            ],
        )
        .await
        .map_err(|e| StoreError::query("adding a service", e))?;
    Ok(from_row(&row))
}

/// Replaces a service's editable fields; `None` when there is no such
/// service. A name another service has is a `StoreError::Conflict`.
pub async fn update(
    db: &impl GenericClient,
    id: ServiceId,
    fields: &ServiceFields<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Service>, StoreError> {
    let row = db
        .query_opt(
            &format!(
                "UPDATE services AS s
                    SET name = $2, duration_minutes = $3, buffer_before_minutes = $4,
                        buffer_after_minutes = $5, price_cents = $6, description = $7,
                        active = $8, updated_at = $9
                  WHERE s.id = $1
                  RETURNING {COLUMNS}"
            ),
            &[
                &id,
                &fields.name,
                &fields.duration_minutes,
                &fields.buffer_before_minutes,
                &fields.buffer_after_minutes,
                &fields.price_cents,
                &fields.description,
                &fields.active,
                &now,
            ],
        )
        .await
        .map_err(|e| StoreError::query("changing a service", e))?;
    Ok(row.as_ref().map(from_row))
}

/// The services a customer can be offered: active, and offered by at least
/// one active provider; by name (ties by id).
pub async fn active_offered(db: &impl GenericClient) -> Result<Vec<Service>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM services s
                  WHERE s.active
                    AND EXISTS (SELECT 1 FROM provider_services ps
                                  JOIN providers p ON p.id = ps.provider_id
                                 WHERE ps.service_id = s.id AND p.active)
                  ORDER BY s.name, s.id"
            ),
            &[],
        )
        .await
        .map_err(|e| StoreError::query("listing the services offered", e))?;
    Ok(rows.iter().map(from_row).collect())
}
