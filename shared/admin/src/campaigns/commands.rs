//! The operator's lifecycle commands on a campaign: `launch`, `pause`, `resume`,
//! `cancel`, each `POST /api/campaigns/{id}/<command>`.
//!
//! Owns turning a command into a status change: the domain's one table
//! (`CampaignStatus::next`) decides the next status, and what it refuses is 409.
//! The change is a compare-and-set on the status read, so a concurrent change is
//! 409 too. Must not hold transition rules of its own nor act on the new status:
//! the dispatcher picks recipients and sends from it.

use axum::Json;
use axum::extract::State;
use smsbot_domain::CampaignId;
use smsbot_domain::campaign::Event;
use smsbot_store::campaigns as store;

use super::{Campaign, CampaignPath};
use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;

async fn transition(
    state: &AdminState,
    id: CampaignId,
    event: Event,
) -> Result<Json<Campaign>, ApiError> {
    let db = state.db().await?;
    let current = store::get(&db, id)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    let started = current.recipients_materialised_at.is_some();
    let Some(next) = current.status.next(started, event) else {
        return Err(ApiError::conflict(
            "invalid_transition",
            format!(
                "cannot {} a campaign that is {}",
                event.verb(),
                current.status
            ),
        ));
    };
    match store::set_status(&db, id, current.status, next).await? {
        Some(updated) => Ok(Json(updated.try_into()?)),
        None => Err(ApiError::conflict(
            "invalid_transition",
            "the campaign changed meanwhile; read it again and retry",
        )),
    }
}

/// One command handler with its OpenAPI operation. The commands differ only in
/// the event they apply and what their responses say; the path and the strings
/// are passed as `tt` so utoipa's attribute parser sees plain literals.
macro_rules! command {
    (
        $(#[doc = $doc:tt])*
        $name:ident: $event:ident,
        path = $path:tt,
        done = $done:tt,
        refused = $refused:tt $(,)?
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            post,
            path = $path,
            tag = "campaigns",
            params(CampaignPath),
            responses(
                (status = 200, description = $done, body = Campaign),
                (status = 404, description = "No such campaign", body = ErrorBody),
                (status = 409, description = $refused, body = ErrorBody),
            )
        )]
        pub async fn $name(
            State(state): State<AdminState>,
            ApiPath(id): ApiPath<CampaignId>,
        ) -> Result<Json<Campaign>, ApiError> {
            transition(&state, id, Event::$event).await
        }
    };
}

command! {
    /// Launch a draft: it becomes `scheduled` and is sent from `starts_at` (now when unset).
    launch: Launch,
    path = "/api/campaigns/{id}/launch",
    done = "The campaign, now scheduled",
    refused = "Only a draft can be launched",
}

command! {
    /// Pause a scheduled or running campaign.
    pause: Pause,
    path = "/api/campaigns/{id}/pause",
    done = "The campaign, now paused",
    refused = "Only a scheduled or running campaign can be paused",
}

command! {
    /// Resume a paused campaign: running again, or scheduled if it never started.
    resume: Resume,
    path = "/api/campaigns/{id}/resume",
    done = "The campaign, running or scheduled again",
    refused = "Only a paused campaign can be resumed",
}

command! {
    /// Cancel a campaign that has not finished. Final: it cannot be resumed.
    cancel: Cancel,
    path = "/api/campaigns/{id}/cancel",
    done = "The campaign, now cancelled",
    refused = "The campaign is already completed or cancelled",
}
