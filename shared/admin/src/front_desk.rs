//! The front desk: booking and moving appointments on a customer's behalf (a
//! call, a walk-in) and the day sheet.
//!
//! Owns the request shapes, who the customer is (an existing contact, or a
//! phone number that becomes one), the answers to each outcome of the engine,
//! and the optional confirmation text. Books and moves through the same
//! engine and locks as the bot (`appointments::book_service`,
//! `appointments::reschedule`), so a desk booking and a texting customer
//! racing for one slot end with one booking. Staff may book beyond the limits
//! the bot keeps for customers (lead time, horizon, open appointments) but
//! never into the past, a closure, a full slot or over another booking.
//! Must not hold SQL nor send but through the outbox (the contact's service
//! consent decides; a refused text does not undo the booking).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use smsbot_conversation::replies;
use smsbot_domain::calendar_links;
use smsbot_domain::{
    AppointmentId, AppointmentStatus, ContactId, PhoneNumber, ProviderId, ServiceId, SlotId,
    SmsBody,
};
use smsbot_outbox::Delivery;
use smsbot_store::appointments::{
    self as store, BookingOutcome, BookingRequest, BookingRules, RescheduleOutcome, Unfit,
};
use smsbot_store::outbound::{self, NewOutbound, Purpose};
use smsbot_store::{calendars, contacts};
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::appointments::{Appointment, AppointmentPath};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::validate;
use crate::waitlist;

/// How far ahead the desk may book: further than customers, not forever.
const DESK_HORIZON_DAYS: i64 = 730;
const MAX_NAME_CHARS: usize = 100;
/// Who the confirmation texts say wrote them, in the message log.
const DESK_AUTHOR: &str = "front desk";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    /// An existing contact; or give `phone` instead.
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub contact_id: Option<ContactId>,
    /// The customer's phone number (E.164 or national); a new number becomes
    /// a contact.
    pub phone: Option<String>,
    /// The name of a customer new to the business.
    pub name: Option<String>,
    #[schema(value_type = i64, minimum = 1)]
    pub slot_id: SlotId,
    /// Required when the slot's provider offers more than one service.
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub service_id: Option<ServiceId>,
    /// Text the customer a confirmation (default false).
    #[serde(default)]
    pub notify: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    #[schema(value_type = i64, minimum = 1)]
    pub slot_id: SlotId,
    /// Text the customer the new time (default false).
    #[serde(default)]
    pub notify: bool,
}

/// A booking or move, and whether the customer was texted about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskResult {
    pub appointment: Appointment,
    /// `sent`, `not_requested`, `no_consent` (the contact opted out), or
    /// `failed` (the booking stands; tell the customer another way).
    pub notification: Notification,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Notification {
    Sent,
    NotRequested,
    NoConsent,
    Failed,
}

/// Book an appointment for a customer.
#[utoipa::path(
    post,
    path = "/api/appointments",
    tag = "appointments",
    request_body = NewBooking,
    responses(
        (status = 201, description = "Booked", body = DeskResult),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 409, description = "The slot cannot take this visit: `slot_full`, `overlaps`, `closed`, `does_not_fit`, `provider_inactive`, `slot_in_past`, `already_held`, `held` (kept for a waitlisted customer), `contact_opted_out`", body = ErrorBody),
        (status = 422, description = "Invalid values, an unknown slot, or a service missing or not offered there", body = ErrorBody),
    )
)]
pub async fn book(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<NewBooking>,
) -> Result<(StatusCode, Json<DeskResult>), ApiError> {
    validate::positive_id("slot_id", body.slot_id.get())?;
    if let Some(service) = body.service_id {
        validate::positive_id("service_id", service.get())?;
    }
    let now = state.staff.clock.now();
    let db = state.db().await?;
    let contact_id = customer(&state, &db, &body).await?;
    let request = BookingRequest {
        contact_id,
        slot_id: body.slot_id,
        service_id: body.service_id,
    };
    // Its own transaction: the slot's lock lasts no round trip.
    let appointment = match store::book_service(&db, &request, &desk_rules(now)).await? {
        BookingOutcome::Booked(a) => a,
        BookingOutcome::SlotMissing => {
            return Err(ApiError::invalid("slot_id", "no such slot"));
        }
        BookingOutcome::SlotFull => return Err(slot_full()),
        BookingOutcome::OutsideWindow => return Err(in_past()),
        BookingOutcome::AlreadyHeld => {
            return Err(ApiError::conflict(
                "already_held",
                "the customer already holds this slot",
            ));
        }
        BookingOutcome::TooManyOpen { .. } => {
            return Err(ApiError::Internal(
                "the desk has no open-appointment cap".into(),
            ));
        }
        BookingOutcome::Unfit(why) => return Err(unfit(why)),
    };
    let notification = if body.notify {
        let text = confirmation(&state, &db, &appointment).await?;
        notify(&state, contact_id, &text).await?
    } else {
        Notification::NotRequested
    };
    let result = desk_result(&db, appointment.id, notification).await?;
    Ok((StatusCode::CREATED, Json(result)))
}

/// Move a booked appointment to another slot; it keeps its service.
#[utoipa::path(
    post,
    path = "/api/appointments/{id}/reschedule",
    tag = "appointments",
    params(AppointmentPath),
    request_body = Move,
    responses(
        (status = 200, description = "Moved (or already there)", body = DeskResult),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Not booked, started, or the slot cannot take it (as for booking)", body = ErrorBody),
        (status = 422, description = "Invalid values or an unknown slot", body = ErrorBody),
    )
)]
pub async fn reschedule(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<AppointmentId>,
    ApiJson(body): ApiJson<Move>,
) -> Result<Json<DeskResult>, ApiError> {
    validate::positive_id("slot_id", body.slot_id.get())?;
    let now = state.staff.clock.now();
    let mut db = state.db().await?;
    let tx = db.transaction().await.map_err(unavailable)?;
    let current = store::find_detail(&tx, id)
        .await?
        .ok_or(ApiError::NotFound("appointment"))?;
    let moved = match store::reschedule(&tx, current.contact_id, id, body.slot_id, &desk_rules(now))
        .await?
    {
        RescheduleOutcome::Rescheduled(a) => a,
        RescheduleOutcome::NotFound => {
            return Err(ApiError::conflict(
                "invalid_transition",
                format!(
                    "an appointment that is {} cannot be rescheduled",
                    current.status
                ),
            ));
        }
        RescheduleOutcome::AlreadyStarted(_) => {
            return Err(ApiError::conflict(
                "appointment_started",
                "the appointment has already started, so it can no longer be moved",
            ));
        }
        RescheduleOutcome::AlreadyHeld(_) => {
            return Err(ApiError::conflict(
                "already_held",
                "the customer already holds that slot",
            ));
        }
        RescheduleOutcome::SlotMissing => {
            return Err(ApiError::invalid("slot_id", "no such slot"));
        }
        RescheduleOutcome::SlotFull => return Err(slot_full()),
        RescheduleOutcome::OutsideWindow => return Err(in_past()),
        RescheduleOutcome::Unfit(why) => return Err(unfit(why)),
    };
    tx.commit().await.map_err(unavailable)?;
    if moved.slot_id != current.slot_id {
        waitlist::offer_freed(&state, current.slot_id).await;
    }
    let changed = moved.starts_at != current.starts_at;
    let notification = if body.notify && changed {
        notify(
            &state,
            current.contact_id,
            &replies::moved(moved.starts_at, tz(&state)),
        )
        .await?
    } else {
        Notification::NotRequested
    };
    Ok(Json(desk_result(&db, id, notification).await?))
}

/// Approve a booking made by text by a customer over the no-show limit;
/// the customer is texted that it is confirmed (with their consent).
#[utoipa::path(
    post,
    path = "/api/appointments/{id}/approve",
    tag = "appointments",
    params(AppointmentPath),
    responses(
        (status = 200, description = "Approved (or nothing was waiting)", body = DeskResult),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "The appointment is not booked (`invalid_transition`)", body = ErrorBody),
    )
)]
pub async fn approve(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<AppointmentId>,
) -> Result<Json<DeskResult>, ApiError> {
    let now = state.staff.clock.now();
    let mut db = state.db().await?;
    let tx = db.transaction().await.map_err(unavailable)?;
    let current = store::find_detail(&tx, id)
        .await?
        .ok_or(ApiError::NotFound("appointment"))?;
    let approval = store::approve(&tx, id, now).await?;
    tx.commit().await.map_err(unavailable)?;
    let notification = match approval {
        store::Approval::Approved {
            contact_id,
            starts_at,
        } => {
            notify(
                &state,
                contact_id,
                &replies::approved(starts_at, tz(&state)),
            )
            .await?
        }
        store::Approval::NothingToApprove => Notification::NotRequested,
        store::Approval::NotBooked => {
            return Err(ApiError::conflict(
                "invalid_transition",
                format!(
                    "an appointment that is {} cannot be approved",
                    current.status
                ),
            ));
        }
    };
    Ok(Json(desk_result(&db, id, notification).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The day, in the business's timezone (`2026-03-02`).
    #[param(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Only this provider's appointments.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub provider_id: Option<ProviderId>,
}

/// One appointment on the day sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayLine {
    #[schema(value_type = i64)]
    pub appointment_id: AppointmentId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    /// `null` once the contact's data was erased.
    pub phone: Option<String>,
    #[schema(value_type = i64)]
    pub provider_id: ProviderId,
    pub provider_name: String,
    #[schema(value_type = Option<i64>)]
    pub service_id: Option<ServiceId>,
    pub service_name: Option<String>,
    /// Booked over the no-show limit, waiting for staff approval.
    pub awaiting_approval: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DaySheet {
    pub date: NaiveDate,
    /// The business's timezone the day is read in.
    pub timezone: String,
    pub appointments: Vec<DayLine>,
}

/// The appointments of one day, every status, in start order.
#[utoipa::path(
    get,
    path = "/api/appointments/day",
    tag = "appointments",
    params(DayQuery),
    responses((status = 200, description = "The day sheet", body = DaySheet))
)]
pub async fn day(
    State(state): State<AdminState>,
    ApiQuery(query): ApiQuery<DayQuery>,
) -> Result<Json<DaySheet>, ApiError> {
    // A query parameter out of range is a malformed request (400), as elsewhere.
    if query.provider_id.is_some_and(|p| p.get() < 1) {
        return Err(ApiError::bad_request("provider_id must be a positive id"));
    }
    let zone = tz(&state);
    let (from, to) = day_bounds(query.date, zone)
        .ok_or_else(|| ApiError::bad_request("date is out of range"))?;
    let lines = store::day_sheet(&state.db().await?, from, to, query.provider_id).await?;
    Ok(Json(DaySheet {
        date: query.date,
        timezone: zone.name().to_owned(),
        appointments: lines
            .into_iter()
            .map(|l| DayLine {
                appointment_id: l.appointment_id,
                starts_at: l.starts_at,
                ends_at: l.ends_at,
                status: l.status,
                contact_id: l.contact_id,
                contact_name: l.contact_name,
                phone: l.phone,
                provider_id: l.provider_id,
                provider_name: l.provider_name,
                service_id: l.service_id,
                service_name: l.service_name,
                awaiting_approval: l.awaiting_approval,
            })
            .collect(),
    }))
}

/// A local day's first instant and the next day's: 23 or 25 hours apart on
/// the days clocks change.
fn day_bounds(date: NaiveDate, zone: chrono_tz::Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0)?;
        // A zone whose clocks jump at midnight has no 00:00 that day: the
        // day starts at its first instant after the gap.
        (0..=120).step_by(30).find_map(|m| {
            (midnight + Duration::minutes(m))
                .and_local_timezone(zone)
                .earliest()
        })
    };
    Some((
        start(date)?.with_timezone(&Utc),
        start(date.succ_opt()?)?.with_timezone(&Utc),
    ))
}

/// Customers cannot book within the lead time or beyond the horizon; the
/// desk can, but not into the past.
fn desk_rules(now: DateTime<Utc>) -> BookingRules {
    BookingRules {
        earliest: now,
        latest: now + Duration::days(DESK_HORIZON_DAYS),
        max_open: i64::MAX,
        now,
    }
}

async fn customer(
    state: &AdminState,
    db: &deadpool_postgres::Object,
    body: &NewBooking,
) -> Result<ContactId, ApiError> {
    match (body.contact_id, body.phone.as_deref()) {
        (Some(id), None) => {
            validate::positive_id("contact_id", id.get())?;
            contacts::find_active(db, id)
                .await?
                .map(|c| c.id)
                .ok_or(ApiError::NotFound("contact"))
        }
        (None, Some(phone)) => {
            let phone = PhoneNumber::parse(phone, state.default_region)
                .map_err(|e| ApiError::invalid("phone", e.to_string()))?;
            let name = body
                .name
                .as_deref()
                .map(|n| validate::line("name", n, MAX_NAME_CHARS))
                .transpose()?;
            let id = contacts::find_or_create_by_phone(db, &phone).await?;
            if let Some(name) = name {
                contacts::name_if_unnamed(db, id, &name).await?;
            }
            Ok(id)
        }
        _ => Err(ApiError::invalid(
            "contact_id",
            "give either contact_id or phone, not both",
        )),
    }
}

/// Texts the customer through the outbox, with their service consent.
pub(crate) async fn notify(
    state: &AdminState,
    contact_id: ContactId,
    text: &str,
) -> Result<Notification, ApiError> {
    let body = SmsBody::parse(text).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let message = {
        let db = state.db().await?;
        let consented = contacts::find_active(&db, contact_id)
            .await?
            .is_some_and(|c| c.consent == smsbot_domain::ConsentState::OptedIn);
        if !consented {
            return Ok(Notification::NoConsent);
        }
        outbound::record(
            &db,
            &NewOutbound {
                contact_id,
                body: &body,
                purpose: Purpose::Staff {
                    author: DESK_AUTHOR,
                },
            },
        )
        .await?
    };
    Ok(match state.staff.outbox.deliver(message).await {
        Ok(Delivery::Sent(_)) => Notification::Sent,
        Ok(Delivery::NotClaimed) => Notification::NoConsent,
        Ok(Delivery::Refused(_)) => Notification::Failed,
        // In doubt or retried later by the outbox: never sent twice.
        Ok(Delivery::Retry(_) | Delivery::Busy | Delivery::Deferred(_)) => Notification::Failed,
        Err(err) => {
            tracing::warn!(error = %err, "front desk confirmation not sent");
            Notification::Failed
        }
    })
}

/// "You're booked for …", with the calendar link the bot's confirmation
/// has when the API knows its public address.
async fn confirmation(
    state: &AdminState,
    db: &deadpool_postgres::Object,
    appointment: &store::Appointment,
) -> Result<String, ApiError> {
    let zone = tz(state);
    let Some(base) = &state.public_base_url else {
        return Ok(replies::booked(appointment.starts_at, zone));
    };
    let now = state.staff.clock.now();
    Ok(
        match calendars::create_appointment_link(db, appointment.id, now).await? {
            Some(token) => replies::booked_with_calendar(
                appointment.starts_at,
                zone,
                &calendar_links::appointment_url(base, token.expose()),
            ),
            None => replies::booked(appointment.starts_at, zone),
        },
    )
}

/// The appointment as it now is, and whether the customer was texted.
async fn desk_result(
    db: &deadpool_postgres::Object,
    id: AppointmentId,
    notification: Notification,
) -> Result<DeskResult, ApiError> {
    let detail = store::find_detail(db, id)
        .await?
        .ok_or(ApiError::NotFound("appointment"))?;
    Ok(DeskResult {
        appointment: detail.try_into()?,
        notification,
    })
}

fn tz(state: &AdminState) -> chrono_tz::Tz {
    state.staff.outbox.business_timezone()
}

fn slot_full() -> ApiError {
    ApiError::conflict("slot_full", "that slot is fully booked")
}

fn in_past() -> ApiError {
    ApiError::conflict(
        "slot_in_past",
        "that slot has started or is too far ahead to book",
    )
}

fn unfit(why: Unfit) -> ApiError {
    match why {
        Unfit::ServiceRequired => ApiError::invalid(
            "service_id",
            "the provider offers several services: say which",
        ),
        Unfit::ServiceNotOffered => ApiError::invalid(
            "service_id",
            "that service is inactive or not offered in this slot",
        ),
        Unfit::ProviderInactive => ApiError::conflict(
            "provider_inactive",
            "the slot's provider is not taking bookings",
        ),
        Unfit::DoesNotFit => ApiError::conflict(
            "does_not_fit",
            "the visit would run past the provider's working time",
        ),
        Unfit::Closed => ApiError::conflict("closed", "a closure covers that time"),
        Unfit::Overlaps => ApiError::conflict(
            "overlaps",
            "the visit would overlap another booking of the provider",
        ),
        Unfit::Held => ApiError::conflict(
            "held",
            "the time is held for a waitlisted customer who was offered it",
        ),
    }
}

fn unavailable(err: deadpool_postgres::tokio_postgres::Error) -> ApiError {
    ApiError::Unavailable(Box::new(err))
}
