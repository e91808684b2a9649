//! The providers who see customers (a stylist, a hygienist) and the services
//! each offers, as the front desk keeps them through the admin API.
//!
//! Owns the rows of `providers` and `provider_services`: listing providers
//! (by name), reading one, adding one and replacing its editable fields and
//! the services it offers, and the providers the conversation may book a
//! service with ([`offering`]). A provider and its services change in one
//! transaction that first locks the provider's row, so two concurrent
//! replacements of its services end as one of them, never a mix. A name
//! taken by another provider comes back as `StoreError::Conflict` (the
//! table's unique constraint decides).
//!
//! Must not delete a provider (slots and appointments reference it: an
//! operator deactivates it with `active = false`), nor validate beyond what
//! the tables' checks guarantee (the admin API refuses bad input first), nor
//! decide whom a customer is booked with.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

pub use smsbot_domain::{ProviderId, ServiceId};

use crate::{Pool, StoreError};

/// A provider as stored, with the services it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: ProviderId,
    pub name: String,
    /// Inactive providers are kept (slots and appointments reference them)
    /// but nobody is booked with them.
    pub active: bool,
    /// The services this provider offers, in id order.
    pub service_ids: Vec<ServiceId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A provider's editable fields, validated by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderFields<'a> {
    pub name: &'a str,
    pub active: bool,
    /// The services it offers (all of them: the stored ones are replaced).
    pub service_ids: &'a [ServiceId],
}

/// What adding or changing a provider did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Stored; the provider as it is now.
    Provider(Provider),
    /// No provider has this id: nothing was changed.
    NoSuchProvider,
    /// These of the given service ids name no service: nothing was changed.
    UnknownServices(Vec<ServiceId>),
}

const COLUMNS: &str = "p.id, p.name, p.active, p.created_at, p.updated_at,
                       ARRAY(SELECT ps.service_id FROM provider_services ps
                              WHERE ps.provider_id = p.id
                              ORDER BY ps.service_id) AS service_ids";

fn from_row(row: &Row) -> Provider {
    Provider {
        id: row.get("id"),
        name: row.get("name"),
        active: row.get("active"),
        service_ids: row.get("service_ids"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// Every provider, active or not, by name (ties by id).
pub async fn list(db: &impl GenericClient) -> Result<Vec<Provider>, StoreError> {
    let rows = db
        .query(
            &format!("SELECT {COLUMNS} FROM providers p ORDER BY p.name, p.id"),
            &[],
        )
        .await
        .map_err(|e| StoreError::query("listing providers", e))?;
    Ok(rows.iter().map(from_row).collect())
}

/// One provider; `None` when there is no such provider.
pub async fn get(db: &impl GenericClient, id: ProviderId) -> Result<Option<Provider>, StoreError> {
    let row = db
        .query_opt(
            &format!("SELECT {COLUMNS} FROM providers p WHERE p.id = $1"),
            &[&id],
        )
        .await
        .map_err(|e| StoreError::query("reading a provider", e))?;
    Ok(row.as_ref().map(from_row))
}

/// The services `provider` offers, in id order (none for an unknown
/// provider).
pub async fn services_of(
    db: &impl GenericClient,
    provider: ProviderId,
) -> Result<Vec<ServiceId>, StoreError> {
    let rows = db
        .query(
            "SELECT service_id FROM provider_services
              WHERE provider_id = $1
              ORDER BY service_id",
            &[&provider],
        )
        .await
        .map_err(|e| StoreError::query("reading a provider's services", e))?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// The active providers offering `service`, by name (ties by id).
pub async fn offering(
    db: &impl GenericClient,
    service: ServiceId,
) -> Result<Vec<Provider>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM providers p
                  WHERE p.active
                    AND EXISTS (SELECT 1 FROM provider_services ps
                                 WHERE ps.provider_id = p.id AND ps.service_id = $1)
                  ORDER BY p.name, p.id"
            ),
            &[&service],
        )
        .await
        .map_err(|e| StoreError::query("listing the providers of a service", e))?;
    Ok(rows.iter().map(from_row).collect())
}

/// Adds a provider offering `fields.service_ids`, in one transaction. A
/// name another provider has is a `StoreError::Conflict`.
pub async fn create(
    pool: &Pool,
    fields: &ProviderFields<'_>,
    now: DateTime<Utc>,
) -> Result<Saved, StoreError> {
    const CONTEXT: &str = "adding a provider";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let unknown = unknown_services(&tx, fields.service_ids, CONTEXT).await?;
    if !unknown.is_empty() {
        return Ok(Saved::UnknownServices(unknown));
    }
    let id: ProviderId = tx
        .query_one(
            "INSERT INTO providers (name, active, created_at, updated_at)
             VALUES ($1, $2, $3, $3)
             RETURNING id",
            &[&fields.name, &fields.active, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .get(0);
    replace_services(&tx, id, fields.service_ids, CONTEXT).await?;
    commit_saved(tx, id, CONTEXT).await
}

/// Replaces a provider's editable fields and the services it offers, in one
/// transaction. A name another provider has is a `StoreError::Conflict`.
pub async fn update(
    pool: &Pool,
    id: ProviderId,
    fields: &ProviderFields<'_>,
    now: DateTime<Utc>,
) -> Result<Saved, StoreError> {
    const CONTEXT: &str = "changing a provider";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if !lock(&tx, id, CONTEXT).await? {
        return Ok(Saved::NoSuchProvider);
    }
    let unknown = unknown_services(&tx, fields.service_ids, CONTEXT).await?;
    if !unknown.is_empty() {
        return Ok(Saved::UnknownServices(unknown));
    }
    tx.execute(
        "UPDATE providers SET name = $2, active = $3, updated_at = $4 WHERE id = $1",
        &[&id, &fields.name, &fields.active, &now],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    replace_services(&tx, id, fields.service_ids, CONTEXT).await?;
    commit_saved(tx, id, CONTEXT).await
}

/// Reads the saved provider back and commits.
async fn commit_saved(
    tx: deadpool_postgres::Transaction<'_>,
    id: ProviderId,
    context: &'static str,
) -> Result<Saved, StoreError> {
    let saved = get(&tx, id)
        .await?
        .ok_or(StoreError::NotFound("provider"))?;
    tx.commit()
        .await
        .map_err(|e| StoreError::query(context, e))?;
    Ok(Saved::Provider(saved))
}

/// Replaces the services `provider` offers with `services`, in one
/// transaction; the provider's other fields stay as they are.
pub async fn set_services(
    pool: &Pool,
    provider: ProviderId,
    services: &[ServiceId],
    now: DateTime<Utc>,
) -> Result<Saved, StoreError> {
    const CONTEXT: &str = "setting a provider's services";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if !lock(&tx, provider, CONTEXT).await? {
        return Ok(Saved::NoSuchProvider);
    }
    let unknown = unknown_services(&tx, services, CONTEXT).await?;
    if !unknown.is_empty() {
        return Ok(Saved::UnknownServices(unknown));
    }
    tx.execute(
        "UPDATE providers SET updated_at = $2 WHERE id = $1",
        &[&provider, &now],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    replace_services(&tx, provider, services, CONTEXT).await?;
    commit_saved(tx, provider, CONTEXT).await
}

/// Locks the provider's row until the transaction ends; false when there is
/// no such provider.
async fn lock(
    tx: &impl GenericClient,
    id: ProviderId,
    context: &'static str,
) -> Result<bool, StoreError> {
    tx.query_opt("SELECT 1 FROM providers WHERE id = $1 FOR UPDATE", &[&id])
        .await
        .map(|row| row.is_some())
        .map_err(|e| StoreError::query(context, e))
}

/// Which of `services` name no service, in the order given.
async fn unknown_services(
    db: &impl GenericClient,
    services: &[ServiceId],
    context: &'static str,
) -> Result<Vec<ServiceId>, StoreError> {
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .query(
            "SELECT given.id FROM unnest($1::bigint[]) WITH ORDINALITY AS given (id, n)
              WHERE NOT EXISTS (SELECT 1 FROM services s WHERE s.id = given.id)
              ORDER BY given.n",
            &[&services],
        )
        .await
        .map_err(|e| StoreError::query(context, e))?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Makes `services` exactly the ones `provider` offers. Runs inside the
/// caller's transaction, after the provider's row is locked (or inserted by
/// it), so no concurrent replacement interleaves.
async fn replace_services(
    tx: &impl GenericClient,
    provider: ProviderId,
    services: &[ServiceId],
    context: &'static str,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM provider_services
          WHERE provider_id = $1 AND service_id <> ALL ($2::bigint[])",
        &[&provider, &services],
    )
    .await
    .map_err(|e| StoreError::query(context, e))?;
    tx.execute(
        "INSERT INTO provider_services (provider_id, service_id)
         SELECT $1, unnest($2::bigint[])
         ON CONFLICT DO NOTHING",
        &[&provider, &services],
    )
    .await
    .map_err(|e| StoreError::query(context, e))?;
    Ok(())
}
