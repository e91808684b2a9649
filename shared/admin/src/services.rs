//! `/api/services`: what customers can book (a cleaning, a check-up), how
//! long a visit takes, the time kept free around it, its price and a short
//! description.
//!
//! Owns listing, reading, adding and replacing services and their validation
//! (a name of 1 to 100 characters, a duration of 1 minute to a day, buffers
//! of 0 to 240 minutes, a price in cents that is not negative, a description
//! of at most 300 characters). A name another service has is 409
//! (`name_taken`). Services are never deleted (appointments reference them):
//! `active: false` stops offering one. Which provider offers which service is
//! `providers`'. Must not hold SQL nor decide what a customer is offered.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::ServiceId;
use smsbot_store::StoreError;
use smsbot_store::services::{self as store, ServiceFields};
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::validate;

const MAX_NAME_CHARS: usize = 100;
const MAX_DESCRIPTION_CHARS: usize = 300;
/// A visit lasts at most a day.
const MAX_DURATION_MINUTES: i32 = 1440;
const MAX_BUFFER_MINUTES: i32 = 240;

/// A service customers can book.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    #[schema(value_type = i64)]
    pub id: ServiceId,
    #[schema(example = "Haircut")]
    pub name: String,
    /// How long a visit takes, in minutes.
    #[schema(example = 45)]
    pub duration_minutes: i32,
    /// Minutes the provider keeps free before a visit.
    pub buffer_before_minutes: i32,
    /// Minutes the provider keeps free after a visit.
    #[schema(example = 15)]
    pub buffer_after_minutes: i32,
    /// The price in cents; `null`: none is told.
    #[schema(example = 3500)]
    pub price_cents: Option<i32>,
    pub description: Option<String>,
    /// `false`: kept for the appointments that name it, never offered.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Service> for Service {
    fn from(s: store::Service) -> Self {
        Self {
            id: s.id,
            name: s.name,
            duration_minutes: s.duration_minutes,
            buffer_before_minutes: s.buffer_before_minutes,
            buffer_after_minutes: s.buffer_after_minutes,
            price_cents: s.price_cents,
            description: s.description,
            active: s.active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Every service, active or not, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<Service>,
}

/// A service as added (POST) or replaced (PUT). A PUT replaces every field:
/// one left out takes its default, as it would for a new service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    /// Unique among services.
    #[schema(min_length = 1, max_length = 100, example = "Haircut")]
    pub name: String,
    /// How long a visit takes, in minutes (1 to 1440).
    #[schema(minimum = 1, maximum = 1440, example = 45)]
    pub duration_minutes: i64,
    /// Minutes kept free before a visit (0 to 240, default 0).
    #[schema(minimum = 0, maximum = 240)]
    pub buffer_before_minutes: Option<i64>,
    /// Minutes kept free after a visit (0 to 240, default 0).
    #[schema(minimum = 0, maximum = 240, example = 15)]
    pub buffer_after_minutes: Option<i64>,
    /// The price in cents (default `null`: none is told).
    #[schema(minimum = 0, maximum = 2147483647, example = 3500)]
    pub price_cents: Option<i64>,
    /// One line (default `null`).
    #[schema(min_length = 1, max_length = 300)]
    pub description: Option<String>,
    /// Default `true`; `false` stops offering the service.
    pub active: Option<bool>,
}

/// `body`'s values, checked.
struct Checked {
    name: String,
    duration_minutes: i32,
    buffer_before_minutes: i32,
    buffer_after_minutes: i32,
    price_cents: Option<i32>,
    description: Option<String>,
    active: bool,
}

impl Checked {
    fn fields(&self) -> ServiceFields<'_> {
        ServiceFields {
            name: &self.name,
            duration_minutes: self.duration_minutes,
            buffer_before_minutes: self.buffer_before_minutes,
            buffer_after_minutes: self.buffer_after_minutes,
            price_cents: self.price_cents,
            description: self.description.as_deref(),
            active: self.active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct ServicePath(
    /// The service's id.
    pub i64,
);

/// List every service, active or not, by name.
#[utoipa::path(
    get,
    path = "/api/services",
    tag = "services",
    responses((status = 200, description = "Every service", body = ServiceList))
)]
pub async fn list(State(state): State<AdminState>) -> Result<Json<ServiceList>, ApiError> {
    let services = store::list(&state.db().await?).await?;
    Ok(Json(ServiceList {
        items: services.into_iter().map(Service::from).collect(),
    }))
}

/// Add a service.
#[utoipa::path(
    post,
    path = "/api/services",
    tag = "services",
    request_body = ServiceBody,
    responses(
        (status = 201, description = "The service was added", body = Service),
        (status = 409, description = "Another service has this name (`name_taken`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    let checked = check(body)?;
    let now = state.staff.clock.now();
    let created = store::create(&state.db().await?, &checked.fields(), now)
        .await
        .map_err(|e| name_taken(e, &checked.name))?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One service.
#[utoipa::path(
    get,
    path = "/api/services/{id}",
    tag = "services",
    params(ServicePath),
    responses(
        (status = 200, description = "The service", body = Service),
        (status = 404, description = "No such service", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ServiceId>,
) -> Result<Json<Service>, ApiError> {
    store::get(&state.db().await?, id)
        .await?
        .map(|s| Json(s.into()))
        .ok_or(ApiError::NotFound("service"))
}

/// Replace a service: every field, those left out taking their defaults.
/// `active: false` stops offering it (it is never deleted: appointments
/// name it).
#[utoipa::path(
    put,
    path = "/api/services/{id}",
    tag = "services",
    params(ServicePath),
    request_body = ServiceBody,
    responses(
        (status = 200, description = "The service after the change", body = Service),
        (status = 404, description = "No such service", body = ErrorBody),
        (status = 409, description = "Another service has this name (`name_taken`)", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ServiceId>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<Json<Service>, ApiError> {
    let checked = check(body)?;
    let now = state.staff.clock.now();
    store::update(&state.db().await?, id, &checked.fields(), now)
        .await
        .map_err(|e| name_taken(e, &checked.name))?
        .map(|s| Json(s.into()))
        .ok_or(ApiError::NotFound("service"))
}

fn check(body: ServiceBody) -> Result<Checked, ApiError> {
    let name = validate::line("name", &body.name, MAX_NAME_CHARS)?;
    let duration_minutes = within(
        "duration_minutes",
        body.duration_minutes,
        1,
        MAX_DURATION_MINUTES,
    )?;
    let buffer =
        |field, value: Option<i64>| within(field, value.unwrap_or(0), 0, MAX_BUFFER_MINUTES);
    let buffer_before_minutes = buffer("buffer_before_minutes", body.buffer_before_minutes)?;
    let buffer_after_minutes = buffer("buffer_after_minutes", body.buffer_after_minutes)?;
    let price_cents = body
        .price_cents
        .map(|cents| {
            if cents < 0 {
                Err(ApiError::invalid("price_cents", "must not be negative"))
            } else {
                i32::try_from(cents).map_err(|_| {
                    ApiError::invalid("price_cents", format!("must be at most {}", i32::MAX))
                })
            }
        })
        .transpose()?;
    let description = body
        .description
        .as_deref()
        .map(|d| validate::line("description", d, MAX_DESCRIPTION_CHARS))
        .transpose()?;
    Ok(Checked {
        name,
        duration_minutes,
        buffer_before_minutes,
        buffer_after_minutes,
        price_cents,
        description,
        active: body.active.unwrap_or(true),
    })
}

/// `value` if it lies in `min..=max`.
fn within(field: &'static str, value: i64, min: i32, max: i32) -> Result<i32, ApiError> {
    match i32::try_from(value) {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(ApiError::invalid(
            field,
            format!("must be between {min} and {max}"),
        )),
    }
}

/// The database's refusal of a second service named `name` (the handlers
/// checked every other constraint of the table).
fn name_taken(error: StoreError, name: &str) -> ApiError {
    match error {
        StoreError::Conflict { .. } => {
            ApiError::conflict("name_taken", format!("another service is named \"{name}\""))
        }
        other => other.into(),
    }
}
