//! `/api/providers/{id}/working-hours`: when each provider works.
//!
//! Owns reading the weekly hours ("mon-fri 09:00-17:00; sat 10:00-14:00",
//! the same form as `BUSINESS_HOURS`), turning them into the provider's slots
//! for the coming weeks in the business's timezone (daylight-saving days
//! included), and answering what changed. Time off is a closure of the
//! provider (`/api/closures`), not a change of hours. Must not hold SQL.

use axum::Json;
use axum::extract::State;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use smsbot_conversation::WeeklyHours;
use smsbot_domain::ProviderId;
use smsbot_store::working_hours as store;
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::validate;

const MAX_HOURS_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct ProviderPath(
    /// The provider's id.
    pub i64,
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkingHours {
    /// Weekly hours, e.g. `mon-fri 09:00-17:00; sat 10:00-14:00`.
    pub hours: String,
    /// How many weeks ahead to open slots, from today (1 to 26, default 4).
    #[schema(minimum = 1, maximum = 26)]
    pub weeks: Option<u32>,
    /// Minutes per slot (5 to 240, default 30): the grid visits start on.
    #[schema(minimum = 5, maximum = 240)]
    pub slot_minutes: Option<i64>,
    /// Customers one slot takes (1 to 1000, default 1).
    #[schema(minimum = 1, maximum = 1000)]
    pub capacity: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkingHours {
    #[schema(value_type = i64)]
    pub provider_id: ProviderId,
    /// `null`: never set (the provider keeps the slots they have).
    pub hours: Option<String>,
    /// Slots opened by this change (absent when reading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots_opened: Option<u64>,
    /// Unused future slots outside the new hours, removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots_removed: Option<u64>,
}

/// A provider's weekly working hours.
#[utoipa::path(
    get,
    path = "/api/providers/{id}/working-hours",
    tag = "providers",
    params(ProviderPath),
    responses(
        (status = 200, description = "The hours", body = WorkingHours),
        (status = 404, description = "No such provider", body = ErrorBody),
    )
)]
pub async fn show_hours(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ProviderId>,
) -> Result<Json<WorkingHours>, ApiError> {
    let hours = store::of(&state.db().await?, id)
        .await?
        .ok_or(ApiError::NotFound("provider"))?;
    Ok(Json(WorkingHours {
        provider_id: id,
        hours,
        slots_opened: None,
        slots_removed: None,
    }))
}

/// Set a provider's weekly hours: their slots for the coming weeks follow
/// (booked slots are never touched).
#[utoipa::path(
    put,
    path = "/api/providers/{id}/working-hours",
    tag = "providers",
    params(ProviderPath),
    request_body = NewWorkingHours,
    responses(
        (status = 200, description = "The hours, and the slots opened and removed", body = WorkingHours),
        (status = 404, description = "No such provider", body = ErrorBody),
        (status = 422, description = "Hours that do not read, or numbers out of range", body = ErrorBody),
    )
)]
pub async fn set_hours(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ProviderId>,
    ApiJson(body): ApiJson<NewWorkingHours>,
) -> Result<Json<WorkingHours>, ApiError> {
    let text = validate::line("hours", &body.hours, MAX_HOURS_CHARS)?;
    let hours = WeeklyHours::parse(&text).map_err(|e| ApiError::invalid("hours", e.to_string()))?;
    let weeks = body.weeks.unwrap_or(4);
    if !(1..=26).contains(&weeks) {
        return Err(ApiError::invalid("weeks", "must be between 1 and 26"));
    }
    let minutes = body.slot_minutes.unwrap_or(30);
    if !(5..=240).contains(&minutes) {
        return Err(ApiError::invalid(
            "slot_minutes",
            "must be between 5 and 240",
        ));
    }
    let capacity = body.capacity.unwrap_or(1);
    if !(1..=1000).contains(&capacity) {
        return Err(ApiError::invalid("capacity", "must be between 1 and 1000"));
    }
    let now = state.staff.clock.now();
    let tz = state.staff.outbox.business_timezone();
    let today = now.with_timezone(&tz).date_naive();
    // Today's slots that already started are past: only later ones change.
    let slots: Vec<_> = hours
        .slots(tz, today, weeks, Duration::minutes(minutes), capacity)
        .into_iter()
        .filter(|s| s.starts_at > now)
        .collect();
    let mut db = state.db().await?;
    let tx = db
        .transaction()
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    let changed = store::replace(&tx, id, &text, &slots, now)
        .await?
        .ok_or(ApiError::NotFound("provider"))?;
    tx.commit()
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    Ok(Json(WorkingHours {
        provider_id: id,
        hours: Some(text),
        slots_opened: Some(changed.opened),
        slots_removed: Some(changed.removed),
    }))
}
