//! `/api/closures`: holidays, training afternoons and a provider's time off.
//!
//! Owns validating a closure, adding one (the store serialises it with
//! bookings in flight and lists the booked appointments it falls on, which the
//! answer shows staff), texting those customers when asked (through the
//! outbox, with their consent), listing and removing closures. Must not
//! cancel the appointments it lists: staff call, move or cancel them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use smsbot_conversation::replies;
use smsbot_domain::{AppointmentId, ClosureId, ContactId, ProviderId};
use smsbot_store::closures::{self as store, NewClosure};
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::front_desk::{self, Notification};
use crate::validate;

const MAX_REASON_CHARS: usize = 200;
/// A listing without `to` shows this far ahead.
const DEFAULT_SPAN_DAYS: i64 = 365;

#[derive(Debug, Serialize, ToSchema)]
pub struct Closure {
    #[schema(value_type = i64)]
    pub id: ClosureId,
    /// `null`: the whole business is closed.
    #[schema(value_type = Option<i64>)]
    pub provider_id: Option<ProviderId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl From<store::Closure> for Closure {
    fn from(c: store::Closure) -> Self {
        Self {
            id: c.id,
            provider_id: c.provider_id,
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            reason: c.reason,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosureBody {
    /// Absent: the whole business.
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub provider_id: Option<ProviderId>,
    /// RFC 3339 with an offset.
    pub starts_at: DateTime<FixedOffset>,
    /// RFC 3339 with an offset; after `starts_at`.
    pub ends_at: DateTime<FixedOffset>,
    /// Shown to staff, and to customers when they are told (1 to 200 characters).
    pub reason: String,
    /// Text the customers whose appointments fall inside (default false).
    #[serde(default)]
    pub notify: bool,
}

/// A booked appointment the new closure falls on.
#[derive(Debug, Serialize, ToSchema)]
pub struct AffectedAppointment {
    #[schema(value_type = i64)]
    pub appointment_id: AppointmentId,
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    #[schema(value_type = i64)]
    pub provider_id: ProviderId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Whether the customer was texted (`not_requested` unless `notify`).
    pub notification: Notification,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddedClosure {
    pub closure: Closure,
    /// Still booked: call, move or cancel them.
    pub affected_appointments: Vec<AffectedAppointment>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClosureFilters {
    /// Closures ending after this instant (default now; RFC 3339, `+` as `%2B`).
    pub from: Option<DateTime<FixedOffset>>,
    /// Closures starting before this instant (default a year after `from`).
    pub to: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct ClosurePath(
    /// The closure's id.
    pub i64,
);

/// Closures overlapping a span of time, in start order.
#[utoipa::path(
    get,
    path = "/api/closures",
    tag = "closures",
    params(ClosureFilters),
    responses((status = 200, description = "The closures", body = Vec<Closure>))
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(filters): ApiQuery<ClosureFilters>,
) -> Result<Json<Vec<Closure>>, ApiError> {
    let from =
        validate::query_instant("from", filters.from)?.unwrap_or_else(|| state.staff.clock.now());
    let to = validate::query_instant("to", filters.to)?
        .unwrap_or(from + Duration::days(DEFAULT_SPAN_DAYS));
    if from >= to {
        return Err(ApiError::bad_request("from must be before to"));
    }
    let rows = store::overlapping(&state.db().await?, from, to).await?;
    Ok(Json(rows.into_iter().map(Closure::from).collect()))
}

/// Close the business, or one provider, for a span of time.
#[utoipa::path(
    post,
    path = "/api/closures",
    tag = "closures",
    request_body = NewClosureBody,
    responses(
        (status = 201, description = "The closure, and the appointments it falls on", body = AddedClosure),
        (status = 422, description = "Invalid values or an unknown provider", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<NewClosureBody>,
) -> Result<(StatusCode, Json<AddedClosure>), ApiError> {
    let starts_at = validate::instant("starts_at", body.starts_at)?;
    let ends_at = validate::instant("ends_at", body.ends_at)?;
    if ends_at <= starts_at {
        return Err(ApiError::invalid("ends_at", "must be after starts_at"));
    }
    let reason = validate::line("reason", &body.reason, MAX_REASON_CHARS)?;
    if let Some(provider) = body.provider_id {
        validate::positive_id("provider_id", provider.get())?;
    }
    let closure = NewClosure {
        provider_id: body.provider_id,
        starts_at,
        ends_at,
        reason,
    };
    let (added, affected) = {
        let mut db = state.db().await?;
        let tx = db
            .transaction()
            .await
            .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
        let added = store::add(&tx, &closure).await.map_err(|err| match err {
            smsbot_store::StoreError::Conflict { .. } => {
                ApiError::invalid("provider_id", "no such provider")
            }
            other => other.into(),
        })?;
        tx.commit()
            .await
            .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
        added
    };
    let zone = state.staff.outbox.business_timezone();
    let mut listed = Vec::with_capacity(affected.len());
    for a in affected {
        let notification = if body.notify {
            let text = replies::closed_on_appointment(a.starts_at, zone);
            front_desk::notify(&state, a.contact_id, &text).await?
        } else {
            Notification::NotRequested
        };
        listed.push(AffectedAppointment {
            appointment_id: a.appointment_id,
            contact_id: a.contact_id,
            contact_name: a.contact_name,
            phone: a.phone,
            provider_id: a.provider_id,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            notification,
        });
    }
    Ok((
        StatusCode::CREATED,
        Json(AddedClosure {
            closure: added.into(),
            affected_appointments: listed,
        }),
    ))
}

/// Remove a closure: its time is offered again.
#[utoipa::path(
    delete,
    path = "/api/closures/{id}",
    tag = "closures",
    params(ClosurePath),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such closure", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ClosureId>,
) -> Result<StatusCode, ApiError> {
    if store::remove(&state.db().await?, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("closure"))
    }
}
