//! `/api/availability`: the slots customers can book.
//!
//! Owns listing slots with validated filters and adding one slot (end after
//! start, capacity 1 to 1000, an existing provider and service). A slot that
//! overlaps another of the same provider is 409 (the database's exclusion
//! constraint decides). Must not book or move appointments.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use smsbot_store::availability as store;
use utoipa::{IntoParams, ToSchema};

use smsbot_domain::{ProviderId, SlotId};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::pagination::{self, Page, PageParams};
use crate::validate;

const MAX_CAPACITY: i32 = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct Slot {
    #[schema(value_type = i64)]
    pub id: SlotId,
    #[schema(value_type = i64)]
    pub provider_id: ProviderId,
    /// `null`: any service may be booked in it.
    pub service_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub booked: i32,
    /// Places left (`capacity - booked`).
    pub remaining: i32,
}

impl From<store::SlotDetail> for Slot {
    fn from(s: store::SlotDetail) -> Self {
        Self {
            id: s.id,
            provider_id: s.provider_id,
            service_id: s.service_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            capacity: s.capacity,
            booked: s.booked,
            remaining: s.capacity - s.booked,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSlot {
    #[schema(minimum = 1)]
    pub provider_id: i64,
    /// Absent: any service.
    #[schema(minimum = 1)]
    pub service_id: Option<i64>,
    /// RFC 3339 with an offset.
    pub starts_at: DateTime<FixedOffset>,
    /// RFC 3339 with an offset; after `starts_at`.
    pub ends_at: DateTime<FixedOffset>,
    /// How many customers the slot takes (1 to 1000, default 1).
    #[schema(minimum = 1, maximum = 1000)]
    pub capacity: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotFilters {
    /// Slots starting at or after this instant (RFC 3339 with an offset;
    /// encode `+` as `%2B`).
    pub from: Option<DateTime<FixedOffset>>,
    /// Slots starting before this instant.
    pub to: Option<DateTime<FixedOffset>>,
    #[param(minimum = 1)]
    pub provider_id: Option<i64>,
    #[param(minimum = 1)]
    pub service_id: Option<i64>,
    /// `true`: only slots with places left.
    pub available: Option<bool>,
}

/// List slots in start-time order.
#[utoipa::path(
    get,
    path = "/api/availability",
    tag = "availability",
    params(PageParams, SlotFilters),
    responses((status = 200, description = "A page of slots", body = Page<Slot>))
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filters): ApiQuery<SlotFilters>,
) -> Result<Json<Page<Slot>>, ApiError> {
    let request = page.resolve::<(DateTime<Utc>, SlotId)>()?;
    let from = validate::query_instant("from", filters.from)?;
    let to = validate::query_instant("to", filters.to)?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    for (name, id) in [
        ("provider_id", filters.provider_id),
        ("service_id", filters.service_id),
    ] {
        if id.is_some_and(|id| id < 1) {
            return Err(ApiError::bad_request(format!(
                "{name} must be a positive id"
            )));
        }
    }
    let filter = store::SlotFilter {
        provider_id: filters.provider_id.map(ProviderId::new),
        from,
        to,
        service_id: filters.service_id,
        open_only: filters.available.unwrap_or(false),
    };
    let rows =
        store::list_filtered(&state.db().await?, filter, request.after, request.fetch()).await?;
    let page = pagination::page(rows, &request, |s| (s.starts_at, s.id));
    Ok(Json(Page {
        items: page.items.into_iter().map(Slot::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Add a slot.
#[utoipa::path(
    post,
    path = "/api/availability",
    tag = "availability",
    request_body = NewSlot,
    responses(
        (status = 201, description = "The slot was added", body = Slot),
        (status = 409, description = "The slot overlaps another slot of the provider", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<NewSlot>,
) -> Result<(StatusCode, Json<Slot>), ApiError> {
    let provider_id = ProviderId::new(validate::positive_id("provider_id", body.provider_id)?);
    let service_id = body
        .service_id
        .map(|id| validate::positive_id("service_id", id))
        .transpose()?;
    let starts_at = validate::instant("starts_at", body.starts_at)?;
    let ends_at = validate::instant("ends_at", body.ends_at)?;
    if ends_at <= starts_at {
        return Err(ApiError::invalid("ends_at", "must be after starts_at"));
    }
    let capacity = body.capacity.unwrap_or(1);
    if !(1..=MAX_CAPACITY).contains(&capacity) {
        return Err(ApiError::invalid(
            "capacity",
            format!("must be between 1 and {MAX_CAPACITY}"),
        ));
    }
    let db = state.db().await?;
    let (provider_known, service_known) =
        store::references_exist(&db, provider_id, service_id).await?;
    if !provider_known {
        return Err(ApiError::invalid("provider_id", "no provider has this id"));
    }
    if !service_known {
        return Err(ApiError::invalid("service_id", "no service has this id"));
    }
    let slot = store::insert_slot(
        &db,
        &store::NewSlotDetail {
            provider_id,
            service_id,
            starts_at,
            ends_at,
            capacity,
        },
    )
    .await
    .map_err(|e| match e {
        smsbot_store::StoreError::Conflict { .. } => ApiError::conflict(
            "slot_overlaps",
            "the slot overlaps another slot of this provider",
        ),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(slot.into())))
}
