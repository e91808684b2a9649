//! `/api/appointments`: bookings as operators see and correct them.
//!
//! Owns listing with validated filters, cancelling a booked appointment that has
//! not started (its slot's capacity is freed by the database trigger) and marking
//! a booked appointment that has started as a no-show; anything else is 409.
//! Every change is recorded as an appointment event by the store. Booking and
//! moving on a customer's behalf is the front desk's (`front_desk`); this
//! module must not text the customer (a freed place goes to the waitlist
//! through `waitlist`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::AppointmentStatus;
use smsbot_store::appointments as store;
use utoipa::{IntoParams, ToSchema};

use smsbot_domain::{AppointmentId, ContactId, ProviderId, SlotId};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::{self, Page, PageParams};
use crate::validate;

#[derive(Debug, Serialize, ToSchema)]
pub struct Appointment {
    #[schema(value_type = i64)]
    pub id: AppointmentId,
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    #[schema(value_type = i64)]
    pub slot_id: SlotId,
    #[schema(value_type = i64)]
    pub provider_id: ProviderId,
    pub service_id: Option<i64>,
    pub status: AppointmentStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Booked by text by a customer over the no-show limit: approve it
    /// (`POST /api/appointments/{id}/approve`) or cancel it.
    pub awaiting_approval: bool,
}

impl TryFrom<store::AppointmentDetail> for Appointment {
    type Error = ApiError;

    fn try_from(a: store::AppointmentDetail) -> Result<Self, ApiError> {
        Ok(Self {
            id: a.id,
            contact_id: a.contact_id,
            slot_id: a.slot_id,
            provider_id: a.provider_id,
            service_id: a.service_id,
            status: a.status,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            confirmed_at: a.confirmed_at,
            cancelled_at: a.cancelled_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
            awaiting_approval: a.awaiting_approval,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppointmentFilters {
    /// Only this contact's appointments.
    #[param(minimum = 1)]
    #[param(value_type = Option<i64>)]
    pub contact_id: Option<ContactId>,
    /// Appointments starting at or after this instant (RFC 3339 with an offset;
    /// encode `+` as `%2B`).
    pub from: Option<DateTime<FixedOffset>>,
    /// Appointments starting before this instant.
    pub to: Option<DateTime<FixedOffset>>,
    pub status: Option<AppointmentStatus>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct AppointmentPath(
    /// The appointment's id.
    pub i64,
);

/// List appointments in start-time order.
#[utoipa::path(
    get,
    path = "/api/appointments",
    tag = "appointments",
    params(PageParams, AppointmentFilters),
    responses((status = 200, description = "A page of appointments", body = Page<Appointment>))
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filters): ApiQuery<AppointmentFilters>,
) -> Result<Json<Page<Appointment>>, ApiError> {
    let request = page.resolve::<(DateTime<Utc>, AppointmentId)>()?;
    let from = validate::query_instant("from", filters.from)?;
    let to = validate::query_instant("to", filters.to)?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    if filters.contact_id.is_some_and(|id| id.get() < 1) {
        return Err(ApiError::bad_request("contact_id must be a positive id"));
    }
    let filter = store::AppointmentFilter {
        contact_id: filters.contact_id,
        from,
        to,
        status: filters.status,
    };
    let rows =
        store::list_filtered(&state.db().await?, filter, request.after, request.fetch()).await?;
    let page = pagination::page(rows, &request, |a| (a.starts_at, a.id));
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(Appointment::try_from)
            .collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    }))
}

/// Cancel a booked appointment; its place in the slot is freed and offered to
/// the first waitlisted customer it suits (texted, with a hold).
#[utoipa::path(
    post,
    path = "/api/appointments/{id}/cancel",
    tag = "appointments",
    params(AppointmentPath),
    responses(
        (status = 200, description = "The appointment, now cancelled", body = Appointment),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Only a booked appointment that has not started can be cancelled (`invalid_transition`, `appointment_started`)", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<AppointmentId>,
) -> Result<Json<Appointment>, ApiError> {
    let mut db = state.db().await?;
    let tx = db.transaction().await.map_err(store_error)?;
    let current = store::find_detail(&tx, id)
        .await?
        .ok_or(ApiError::NotFound("appointment"))?;
    let freed = match store::cancel(&tx, current.contact_id, id, Utc::now()).await? {
        store::CancelOutcome::Cancelled(cancelled) => cancelled.slot_id,
        store::CancelOutcome::NotFound => return Err(not_booked(current.status, "cancelled")),
        store::CancelOutcome::AlreadyStarted(_) => {
            return Err(ApiError::conflict(
                "appointment_started",
                "the appointment has already started, so it can no longer be cancelled; mark it a no-show if the customer did not come",
            ));
        }
    };
    let updated = store::find_detail(&tx, id)
        .await?
        .ok_or(ApiError::NotFound("appointment"))?;
    tx.commit().await.map_err(store_error)?;
    crate::waitlist::offer_freed(&state, freed).await;
    Ok(Json(updated.try_into()?))
}

/// Record that the customer did not come to a booked appointment that has started.
#[utoipa::path(
    post,
    path = "/api/appointments/{id}/no-show",
    tag = "appointments",
    params(AppointmentPath),
    responses(
        (status = 200, description = "The appointment, now a no-show", body = Appointment),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Only a booked appointment that has started can be a no-show", body = ErrorBody),
    )
)]
pub async fn no_show(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<AppointmentId>,
) -> Result<Json<Appointment>, ApiError> {
    let mut db = state.db().await?;
    let tx = db.transaction().await.map_err(store_error)?;
    let current = store::find_detail(&tx, id)
        .await?
        .ok_or(ApiError::NotFound("appointment"))?;
    if store::mark_no_show(&tx, id, Utc::now()).await?.is_none() {
        if current.status == AppointmentStatus::Booked {
            return Err(ApiError::conflict(
                "appointment_not_started",
                "an appointment can be marked a no-show only once it has started",
            ));
        }
        return Err(not_booked(current.status, "marked a no-show"));
    }
    let updated = store::find_detail(&tx, id)
        .await?
        .ok_or(ApiError::NotFound("appointment"))?;
    tx.commit().await.map_err(store_error)?;
    Ok(Json(updated.try_into()?))
}

fn not_booked(status: AppointmentStatus, done: &str) -> ApiError {
    ApiError::conflict(
        "invalid_transition",
        format!("an appointment that is {status} cannot be {done}"),
    )
}

fn store_error(err: tokio_postgres_error::Error) -> ApiError {
    ApiError::Unavailable(Box::new(err))
}

/// The driver's error type, as the pool's transactions return it.
mod tokio_postgres_error {
    pub use deadpool_postgres::tokio_postgres::Error;
}
