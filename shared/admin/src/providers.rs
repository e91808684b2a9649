//! `/api/providers`: the people customers are booked with (a stylist, a
//! hygienist) and the services each offers.
//!
//! Owns listing, reading, adding and replacing providers with the services
//! they offer (`service_ids`, replaced as a whole), and their validation (a
//! name of 1 to 100 characters, positive service ids naming existing
//! services: an unknown one is 422). A name another provider has is 409
//! (`name_taken`). Providers are never deleted (slots and appointments
//! reference them): `active: false` stops booking with one. Must not hold
//! SQL nor decide whom a customer is booked with.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::{ProviderId, ServiceId};
use smsbot_store::StoreError;
use smsbot_store::providers::{self as store, ProviderFields, Saved};
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::validate;

const MAX_NAME_CHARS: usize = 100;
/// More services than any business keeps: a bound on the request's work.
const MAX_SERVICES: usize = 200;

/// A provider and the services they offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Provider {
    #[schema(value_type = i64)]
    pub id: ProviderId,
    #[schema(example = "Dana")]
    pub name: String,
    /// `false`: kept for the slots and appointments that name them, never
    /// booked.
    pub active: bool,
    /// The services they offer, in id order.
    #[schema(value_type = Vec<i64>, example = json!([1, 3]))]
    pub service_ids: Vec<ServiceId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Provider> for Provider {
    fn from(p: store::Provider) -> Self {
        Self {
            id: p.id,
            name: p.name,
            active: p.active,
            service_ids: p.service_ids,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Every provider, active or not, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderList {
    pub items: Vec<Provider>,
}

/// A provider as added (POST) or replaced (PUT). A PUT replaces every
/// field: one left out takes its default, as it would for a new provider
/// (so `service_ids` left out leaves the provider offering nothing).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    /// Unique among providers.
    #[schema(min_length = 1, max_length = 100, example = "Dana")]
    pub name: String,
    /// Default `true`; `false` stops booking with the provider.
    pub active: Option<bool>,
    /// The services the provider offers: all of them (default none). Each an
    /// existing service's id; repeats count once.
    #[schema(max_items = 200, example = json!([1, 3]))]
    pub service_ids: Option<Vec<i64>>,
}

/// `body`'s values, checked.
struct Checked {
    name: String,
    active: bool,
    service_ids: Vec<ServiceId>,
}

impl Checked {
    fn fields(&self) -> ProviderFields<'_> {
        ProviderFields {
            name: &self.name,
            active: self.active,
            service_ids: &self.service_ids,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct ProviderPath(
    /// The provider's id.
    pub i64,
);

/// List every provider, active or not, by name.
#[utoipa::path(
    get,
    path = "/api/providers",
    tag = "providers",
    responses((status = 200, description = "Every provider", body = ProviderList))
)]
pub async fn list(State(state): State<AdminState>) -> Result<Json<ProviderList>, ApiError> {
    let providers = store::list(&state.db().await?).await?;
    Ok(Json(ProviderList {
        items: providers.into_iter().map(Provider::from).collect(),
    }))
}

/// Add a provider and the services they offer.
#[utoipa::path(
    post,
    path = "/api/providers",
    tag = "providers",
    request_body = ProviderBody,
    responses(
        (status = 201, description = "The provider was added", body = Provider),
        (status = 409, description = "Another provider has this name (`name_taken`)", body = ErrorBody),
        (status = 422, description = "A value is not acceptable, or a service id names no service", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<ProviderBody>,
) -> Result<(StatusCode, Json<Provider>), ApiError> {
    let checked = check(body)?;
    let now = state.staff.clock.now();
    let saved = store::create(&state.pool, &checked.fields(), now)
        .await
        .map_err(|e| name_taken(e, &checked.name))?;
    saved_provider(saved).map(|p| (StatusCode::CREATED, Json(p)))
}

/// One provider.
#[utoipa::path(
    get,
    path = "/api/providers/{id}",
    tag = "providers",
    params(ProviderPath),
    responses(
        (status = 200, description = "The provider", body = Provider),
        (status = 404, description = "No such provider", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ProviderId>,
) -> Result<Json<Provider>, ApiError> {
    store::get(&state.db().await?, id)
        .await?
        .map(|p| Json(p.into()))
        .ok_or(ApiError::NotFound("provider"))
}

/// Replace a provider: every field, those left out taking their defaults;
/// `service_ids` replaces the services they offer. `active: false` stops
/// booking with them (they are never deleted: slots and appointments name
/// them).
#[utoipa::path(
    put,
    path = "/api/providers/{id}",
    tag = "providers",
    params(ProviderPath),
    request_body = ProviderBody,
    responses(
        (status = 200, description = "The provider after the change", body = Provider),
        (status = 404, description = "No such provider", body = ErrorBody),
        (status = 409, description = "Another provider has this name (`name_taken`)", body = ErrorBody),
        (status = 422, description = "A value is not acceptable, or a service id names no service", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ProviderId>,
    ApiJson(body): ApiJson<ProviderBody>,
) -> Result<Json<Provider>, ApiError> {
    let checked = check(body)?;
    let now = state.staff.clock.now();
    let saved = store::update(&state.pool, id, &checked.fields(), now)
        .await
        .map_err(|e| name_taken(e, &checked.name))?;
    saved_provider(saved).map(Json)
}

fn check(body: ProviderBody) -> Result<Checked, ApiError> {
    let name = validate::line("name", &body.name, MAX_NAME_CHARS)?;
    let given = body.service_ids.unwrap_or_default();
    if given.len() > MAX_SERVICES {
        return Err(ApiError::invalid(
            "service_ids",
            format!("at most {MAX_SERVICES} services are allowed"),
        ));
    }
    let mut service_ids: Vec<ServiceId> = Vec::with_capacity(given.len());
    for id in given {
        let id = ServiceId::new(validate::positive_id("service_ids", id)?);
        if !service_ids.contains(&id) {
            service_ids.push(id);
        }
    }
    Ok(Checked {
        name,
        active: body.active.unwrap_or(true),
        service_ids,
    })
}

fn saved_provider(saved: Saved) -> Result<Provider, ApiError> {
    match saved {
        Saved::Provider(provider) => Ok(provider.into()),
        Saved::NoSuchProvider => Err(ApiError::NotFound("provider")),
        Saved::UnknownServices(unknown) => {
            let ids = unknown
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let message = if unknown.len() == 1 {
                format!("no service has the id {ids}")
            } else {
                format!("no services have the ids {ids}")
            };
            Err(ApiError::invalid("service_ids", message))
        }
    }
}

/// The database's refusal of a second provider named `name` (the handlers
/// checked every other constraint of the tables).
fn name_taken(error: StoreError, name: &str) -> ApiError {
    match error {
        StoreError::Conflict { .. } => ApiError::conflict(
            "name_taken",
            format!("another provider is named \"{name}\""),
        ),
        other => other.into(),
    }
}
