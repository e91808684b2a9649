//! `/api/messages`: a contact's conversation as stored.
//!
//! Owns listing one contact's messages, oldest first, with delivery status.
//! Must not show text of an erased contact (the store has removed it) nor log
//! message bodies.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_store::{contacts, messages as store};
use utoipa::{IntoParams, ToSchema};

use smsbot_domain::{
    AppointmentId, CampaignId, ContactId, MessageDirection, MessageId, MessageStatus,
};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::pagination::{self, Page, PageParams};

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    #[schema(value_type = i64)]
    pub id: MessageId,
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    pub direction: MessageDirection,
    /// The text; `null` once the contact's data was erased.
    pub body: Option<String>,
    /// Twilio's MessageSid; `null` for an outbound message not yet accepted.
    pub twilio_sid: Option<String>,
    /// Twilio delivery status (`pending` before it was handed to Twilio).
    pub status: MessageStatus,
    /// Twilio error code of a failed delivery.
    pub error_code: Option<i32>,
    pub segments: i32,
    #[schema(value_type = Option<i64>)]
    pub campaign_id: Option<CampaignId>,
    #[schema(value_type = Option<i64>)]
    pub appointment_id: Option<AppointmentId>,
    /// The staff member who wrote an outbound message; `null` for the bot's
    /// messages and the contact's own.
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Message {
    /// A stored message of `contact_id`'s conversation.
    pub(crate) fn of(contact_id: ContactId, m: store::StoredMessage) -> Self {
        Self {
            id: m.id,
            contact_id,
            direction: m.direction,
            body: m.body,
            twilio_sid: m.twilio_sid,
            status: m.status,
            error_code: m.error_code,
            segments: m.segments,
            campaign_id: m.campaign_id,
            appointment_id: m.appointment_id,
            author: m.staff_author,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageFilters {
    /// The contact whose messages to list.
    #[param(minimum = 1)]
    #[param(value_type = i64)]
    pub contact_id: ContactId,
}

/// A contact's messages, oldest first.
#[utoipa::path(
    get,
    path = "/api/messages",
    tag = "messages",
    params(PageParams, MessageFilters),
    responses(
        (status = 200, description = "A page of messages", body = Page<Message>),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filters): ApiQuery<MessageFilters>,
) -> Result<Json<Page<Message>>, ApiError> {
    let request = page.resolve::<MessageId>()?;
    let db = state.db().await?;
    if contacts::find_active(&db, filters.contact_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound("contact"));
    }
    let rows =
        store::list_for_contact(&db, filters.contact_id, request.after, request.fetch()).await?;
    let page = pagination::page(rows, &request, |m| m.id);
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|m| Message::of(filters.contact_id, m))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
