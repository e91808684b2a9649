//! `/api/waitlist`: the customers waiting for time to free up, as staff see
//! them, and offering time a staff cancellation freed.
//!
//! Owns listing the waitlist in queue order (who, the window they want, where
//! they stand, the place held for them) and, after a cancellation through
//! this API commits, handing the freed slot to the conversation's
//! `WaitlistOffers`, which texts the first waiting customer it suits. Must
//! not decide who is offered what (the store's queue does) nor send other
//! than through `WaitlistOffers` (the outbox).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_conversation::waitlist_offers::WaitlistOffers;
use smsbot_domain::{AppointmentId, ContactId, ProviderId, SlotId};
use smsbot_store::waitlist::{self as store, EntryFilter, EntryView, WaitlistEntryId};
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pagination::{self, ListId, Page, PageParams};

impl ListId for WaitlistEntryId {
    fn from_raw(raw: i64) -> Self {
        WaitlistEntryId::new(raw)
    }

    fn raw(self) -> i64 {
        self.get()
    }
}

/// Where a waitlist entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitlistStatus {
    /// In the queue.
    Waiting,
    /// A freed time is held for the customer, who was texted.
    Offered,
    /// The customer took the offered time.
    Booked,
    /// An offer ran out unanswered, or the wanted window passed.
    Expired,
    /// Taken off the waitlist (by the customer, or they could not be texted).
    Withdrawn,
}

impl From<store::WaitlistStatus> for WaitlistStatus {
    fn from(status: store::WaitlistStatus) -> Self {
        match status {
            store::WaitlistStatus::Waiting => Self::Waiting,
            store::WaitlistStatus::Offered => Self::Offered,
            store::WaitlistStatus::Booked => Self::Booked,
            store::WaitlistStatus::Expired => Self::Expired,
            store::WaitlistStatus::Withdrawn => Self::Withdrawn,
        }
    }
}

impl From<WaitlistStatus> for store::WaitlistStatus {
    fn from(status: WaitlistStatus) -> Self {
        match status {
            WaitlistStatus::Waiting => Self::Waiting,
            WaitlistStatus::Offered => Self::Offered,
            WaitlistStatus::Booked => Self::Booked,
            WaitlistStatus::Expired => Self::Expired,
            WaitlistStatus::Withdrawn => Self::Withdrawn,
        }
    }
}

/// A place held for the customer: the time they were offered.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldOffer {
    #[schema(value_type = i64)]
    pub slot_id: SlotId,
    #[schema(value_type = i64)]
    pub provider_id: ProviderId,
    pub starts_at: DateTime<Utc>,
    /// Kept for the customer until then.
    pub held_until: DateTime<Utc>,
}

/// A customer waiting for time in a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitlistEntry {
    pub id: i64,
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    /// The contact's number (E.164); `null` once the contact was erased.
    #[schema(example = "+14155550100")]
    pub phone: Option<String>,
    pub name: Option<String>,
    /// The service wanted; `null`: whatever the slot offers.
    pub service_id: Option<i64>,
    /// The provider wanted; `null`: anyone.
    #[schema(value_type = Option<i64>)]
    pub provider_id: Option<ProviderId>,
    /// A freed time is offered when it starts at or after this instant…
    pub wanted_from: DateTime<Utc>,
    /// …and before this one.
    pub wanted_to: DateTime<Utc>,
    pub status: WaitlistStatus,
    /// The appointment the entry booked, once booked.
    #[schema(value_type = Option<i64>)]
    pub appointment_id: Option<AppointmentId>,
    /// When the customer joined: the queue's order.
    pub created_at: DateTime<Utc>,
    /// The time held for the customer now, if any.
    pub offer: Option<HeldOffer>,
}

impl From<EntryView> for WaitlistEntry {
    fn from(view: EntryView) -> Self {
        let e = view.entry;
        Self {
            id: e.id.get(),
            contact_id: e.contact_id,
            phone: view.phone,
            name: view.name,
            service_id: e.service_id.map(|s| s.get()),
            provider_id: e.provider_id,
            wanted_from: e.wanted_from,
            wanted_to: e.wanted_to,
            status: e.status.into(),
            appointment_id: e.appointment_id,
            created_at: e.created_at,
            offer: view.offer.map(|o| HeldOffer {
                slot_id: o.slot_id,
                provider_id: o.provider_id,
                starts_at: o.starts_at,
                held_until: o.held_until,
            }),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitlistFilters {
    /// Only entries standing so.
    pub status: Option<WaitlistStatus>,
    /// Only this contact's entries.
    #[param(minimum = 1)]
    #[param(value_type = Option<i64>)]
    pub contact_id: Option<ContactId>,
}

/// List the waitlist in queue order (who joined first is offered first).
#[utoipa::path(
    get,
    path = "/api/waitlist",
    tag = "waitlist",
    params(PageParams, WaitlistFilters),
    responses((status = 200, description = "A page of waitlist entries", body = Page<WaitlistEntry>))
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filters): ApiQuery<WaitlistFilters>,
) -> Result<Json<Page<WaitlistEntry>>, ApiError> {
    let request = page.resolve::<(DateTime<Utc>, WaitlistEntryId)>()?;
    if filters.contact_id.is_some_and(|id| id.get() < 1) {
        return Err(ApiError::bad_request("contact_id must be a positive id"));
    }
    let filter = EntryFilter {
        status: filters.status.map(Into::into),
        contact_id: filters.contact_id,
    };
    let rows = store::list(&state.db().await?, filter, request.after, request.fetch()).await?;
    let page = pagination::page(rows, &request, |v| (v.entry.created_at, v.entry.id));
    Ok(Json(Page {
        items: page.items.into_iter().map(WaitlistEntry::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Offers a place a staff cancellation or move freed (committed already) to
/// the waitlist, held for `WAITLIST_HOLD_MINUTES`. The change stands whatever
/// happens here: a failure is logged, and a hold made before it is texted by
/// the next sweep.
pub(crate) async fn offer_freed(state: &AdminState, slot: SlotId) {
    let offers = WaitlistOffers::new(
        state.pool.clone(),
        state.staff.outbox.clone(),
        state.staff.clock.clone(),
        state.waitlist_hold,
    );
    match offers.slot_freed(slot).await {
        Ok(report) => tracing::info!(
            slot = slot.get(),
            ?report,
            "freed time offered to the waitlist"
        ),
        Err(err) => {
            tracing::warn!(slot = slot.get(), error = %err, "could not offer freed time to the waitlist")
        }
    }
}
