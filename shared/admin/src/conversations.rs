//! `/api/conversations`: the conversations the bot handed to staff, and
//! staff answering them.
//!
//! Owns listing the conversations that need a human (open handoffs, with the
//! contact and their last messages), a staff member's message to a contact
//! (recorded with its author, refused without the contact's service consent,
//! sent through the outbox like a reply; it keeps the bot quiet for the
//! contact as long as a handoff does) and releasing a conversation back to the
//! bot. Every instant comes from the clock the conversation uses. Must not
//! decide when a conversation needs a human (the conversation does) nor send
//! other than through the outbox.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::{ConsentState, ContactId, HandoffId, MessageId, SmsBody, StaffReason};
use smsbot_outbox::Delivery;
use smsbot_store::outbound::{self, NewOutbound, Purpose};
use smsbot_store::{contacts, handoffs, messages as store};
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::messages::Message;
use crate::pagination::{self, Page, PageParams};
use crate::validate;

/// How many of a contact's last messages a listed conversation shows.
const RECENT: i64 = 10;
const MAX_AUTHOR_CHARS: usize = 100;

/// A conversation the bot handed to staff and is quiet in.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedingHuman {
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    /// The contact's number (E.164), to call them back.
    #[schema(example = "+14155550100")]
    pub phone: String,
    pub name: Option<String>,
    /// Why: `asked_for_person`, `asked_for_call`, `complaint`,
    /// `not_understood`, or `staff_message` (staff wrote first).
    pub reason: StaffReason,
    /// When the bot stepped back.
    pub since: DateTime<Utc>,
    /// When the bot answers again unless released sooner.
    pub quiet_until: DateTime<Utc>,
    /// The contact's last messages, oldest first.
    pub recent_messages: Vec<Message>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("contact_id"), parameter_in = Path)]
pub struct ConversationPath(
    /// The contact's id.
    pub i64,
);

/// A message from staff to a contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMessage {
    /// The text, sent as one SMS (long texts go in several segments).
    #[schema(min_length = 1, max_length = 1600)]
    pub body: String,
    /// Who writes (shown in the conversation and in later alerts).
    #[schema(min_length = 1, max_length = 100, example = "Dana")]
    pub author: String,
}

/// A conversation given back to the bot.
#[derive(Debug, Serialize, ToSchema)]
pub struct Released {
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    pub reason: StaffReason,
    pub since: DateTime<Utc>,
    pub released_at: DateTime<Utc>,
}

/// Conversations the bot handed to staff (asked for a person, a complaint,
/// not understood twice), oldest first, while the bot is quiet in them.
#[utoipa::path(
    get,
    path = "/api/conversations/needing-human",
    tag = "conversations",
    params(PageParams),
    responses(
        (status = 200, description = "A page of conversations needing a human", body = Page<NeedingHuman>),
    )
)]
pub async fn needing_human(
    State(state): State<AdminState>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<NeedingHuman>>, ApiError> {
    let request = page.resolve::<HandoffId>()?;
    let db = state.db().await?;
    let now = state.staff.clock.now();
    let rows = handoffs::needing_human(&db, now, request.after, request.fetch()).await?;
    let page = pagination::page(rows, &request, |n| n.handoff.id);
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let contact = row.handoff.contact_id;
        let recent = store::recent_for_contact(&db, contact, RECENT).await?;
        items.push(NeedingHuman {
            contact_id: contact,
            phone: row.phone.as_e164().to_owned(),
            name: row.name,
            reason: row.handoff.reason,
            since: row.handoff.since,
            quiet_until: row.handoff.quiet_until,
            recent_messages: recent
                .into_iter()
                .map(|m| Message::of(contact, m))
                .collect(),
        });
    }
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Send a message to a contact as staff: recorded with its author, sent
/// through the outbox like a reply (any hour, service consent needed). The
/// bot then stays quiet for the contact as after a handoff, until released.
#[utoipa::path(
    post,
    path = "/api/conversations/{contact_id}/messages",
    tag = "conversations",
    params(ConversationPath),
    request_body = StaffMessage,
    responses(
        (status = 201, description = "Sent: the message as recorded", body = Message),
        (status = 202, description = "Handed to the SMS provider, whose answer was lost: it may have been sent and is not sent again", body = Message),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
        (status = 409, description = "The contact has no service consent (`no_service_consent`), or the SMS provider refused the message (`sms_refused`, recorded as failed)", body = ErrorBody),
    )
)]
pub async fn send(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(request): ApiJson<StaffMessage>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let text = validate::message_text("body", &request.body, smsbot_domain::sms_body::MAX_CHARS)?;
    let body = SmsBody::parse(text).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let author = validate::line("author", &request.author, MAX_AUTHOR_CHARS)?;
    let message = {
        let mut db = state.db().await?;
        let tx = db.transaction().await.map_err(unavailable)?;
        let contact = contacts::find_active(&tx, id)
            .await?
            .ok_or(ApiError::NotFound("contact"))?;
        if contact.consent != ConsentState::OptedIn {
            return Err(no_consent());
        }
        let message = outbound::record(
            &tx,
            &NewOutbound {
                contact_id: id,
                body: &body,
                purpose: Purpose::Staff { author: &author },
            },
        )
        .await?;
        tx.commit().await.map_err(unavailable)?;
        message
    };
    let status = match state.staff.outbox.deliver(message).await {
        Ok(Delivery::Sent(_)) => StatusCode::CREATED,
        // Consent was taken back between the check and the send.
        Ok(Delivery::NotClaimed) => {
            abandon(&state, message).await?;
            return Err(no_consent());
        }
        Ok(Delivery::Refused(failure)) => {
            return Err(ApiError::conflict(
                "sms_refused",
                format!("the SMS provider refused the message: {failure}"),
            ));
        }
        Ok(Delivery::Retry(failure)) if !failure.may_have_been_sent() => {
            // Certainly not sent: nothing is left pending, staff try again.
            abandon(&state, message).await?;
            return Err(ApiError::Unavailable(Box::new(failure)));
        }
        // The outcome is unknown (or, never for a fresh message, another
        // worker holds it): it stays in doubt and is never sent twice.
        Ok(Delivery::Retry(_) | Delivery::Busy | Delivery::Deferred(_)) => StatusCode::ACCEPTED,
        Err(err) if err.is_transient() => return Err(ApiError::Unavailable(Box::new(err))),
        Err(err) => return Err(ApiError::Internal(Box::new(err))),
    };
    smsbot_config::metrics::count(smsbot_config::metrics::Metric::StaffMessagesSent, 1);
    let db = state.db().await?;
    let now = state.staff.clock.now();
    handoffs::hold_for_staff(&db, id, now, now + state.staff.quiet).await?;
    let sent = store::get(&db, message)
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    Ok((status, Json(Message::of(id, sent))))
}

/// Give the conversation back to the bot: it answers the contact's next message.
#[utoipa::path(
    post,
    path = "/api/conversations/{contact_id}/release",
    tag = "conversations",
    params(ConversationPath),
    responses(
        (status = 200, description = "Released: the bot answers again", body = Released),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
        (status = 409, description = "The conversation is not with staff (`not_needing_human`): never handed over, released already, or its quiet time passed", body = ErrorBody),
    )
)]
pub async fn release(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<Json<Released>, ApiError> {
    let db = state.db().await?;
    if contacts::find_active(&db, id).await?.is_none() {
        return Err(ApiError::NotFound("contact"));
    }
    let now = state.staff.clock.now();
    let released = handoffs::release(&db, id, now).await?.ok_or_else(|| {
        ApiError::conflict(
            "not_needing_human",
            "the conversation is not with staff: the bot already answers this contact",
        )
    })?;
    Ok(Json(Released {
        contact_id: id,
        reason: released.reason,
        since: released.since,
        released_at: now,
    }))
}

fn no_consent() -> ApiError {
    ApiError::conflict(
        "no_service_consent",
        "the contact opted out of texts: only their own START lets us text them again",
    )
}

/// Marks a staff message that was not sent as failed, so it never goes later.
async fn abandon(state: &AdminState, message: MessageId) -> Result<(), ApiError> {
    let db = state.db().await?;
    outbound::abandon_unsent(&db, message, None).await?;
    Ok(())
}

fn unavailable(err: deadpool_postgres::tokio_postgres::Error) -> ApiError {
    ApiError::Unavailable(Box::new(err))
}
