//! Calendar feeds: a provider's appointments, and a customer's one
//! appointment, as `.ics` files at public URLs whose secret is a token.
//!
//! Owns the routes that make, list and revoke a provider's feeds (behind the
//! admin key like every other), and the two public routes a calendar app or a
//! phone fetches without a key: `GET /api/calendars/feeds/{token}.ics` (the
//! provider's appointments from [`FEED_DAYS_BACK`] days ago to
//! [`FEED_DAYS_AHEAD`] days ahead, cancelled ones left out so a subscribed
//! calendar drops them) and `GET /api/calendars/appointments/{token}.ics`
//! (one appointment as it is now, a cancelled one as `STATUS:CANCELLED`). A
//! token is made once and shown once (the store keeps its hash); an unknown,
//! malformed or revoked one is a 404 that says nothing more. Must not hold
//! SQL, show a phone number or a customer's full name in a calendar, nor log a
//! token.

mod ics;
mod vtimezone;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::ProviderId;
use smsbot_domain::calendar_links::{self, APPOINTMENT_ROUTE, FEED_ROUTE};
use smsbot_store::calendars as store;
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;

pub use ics::Rendering;

/// How far back a feed shows appointments.
pub const FEED_DAYS_BACK: i64 = 30;
/// How far ahead a feed shows appointments: a year and a bit, so the same
/// season next year shows too.
pub const FEED_DAYS_AHEAD: i64 = 400;
/// The public routes, for the OpenAPI document's list of routes without a key.
pub const PUBLIC_PATHS: [&str; 2] = [FEED_ROUTE, APPOINTMENT_ROUTE];
/// The UID host when no `PUBLIC_BASE_URL` is set.
const FALLBACK_UID_HOST: &str = "smsbot.invalid";

/// A provider's feed as listed: its URL was shown once, when it was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeed {
    pub id: i64,
    #[schema(value_type = i64)]
    pub provider_id: ProviderId,
    pub created_at: DateTime<Utc>,
    /// Set once revoked: the URL answers 404 from then on.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<store::Feed> for CalendarFeed {
    fn from(feed: store::Feed) -> Self {
        Self {
            id: feed.id,
            provider_id: feed.provider_id,
            created_at: feed.created_at,
            revoked_at: feed.revoked_at,
        }
    }
}

/// A feed just made, with the only copy of its secret URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewCalendarFeed {
    #[serde(flatten)]
    pub feed: CalendarFeed,
    /// The path of the feed, token included (shown only now).
    pub path: String,
    /// The feed's full URL under `PUBLIC_BASE_URL` (shown only now); `null`
    /// when no public base URL is configured.
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct ProviderPath(
    /// The provider's id.
    pub i64,
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct FeedPath(
    /// The feed's id.
    pub i64,
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("file"), parameter_in = Path)]
pub struct FilePath(
    /// `<token>.ics`
    pub String,
);

/// Make a calendar feed of a provider's appointments. The answer holds its
/// secret URL, which is never shown again.
#[utoipa::path(
    post,
    path = "/api/providers/{id}/calendar-feeds",
    tag = "calendars",
    params(ProviderPath),
    responses(
        (status = 201, description = "The feed and its URL", body = NewCalendarFeed),
        (status = 404, description = "No such provider", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiPath(provider): ApiPath<ProviderId>,
) -> Result<(StatusCode, Json<NewCalendarFeed>), ApiError> {
    let now = state.staff.clock.now();
    let made = store::create_feed(&state.db().await?, provider, now)
        .await?
        .ok_or(ApiError::NotFound("provider"))?;
    let path = calendar_links::feed_path(made.token.expose());
    let url = state
        .public_base_url
        .as_ref()
        .map(|base| calendar_links::absolute(base, &path));
    Ok((
        StatusCode::CREATED,
        Json(NewCalendarFeed {
            feed: made.feed.into(),
            path,
            url,
        }),
    ))
}

/// A provider's calendar feeds, revoked ones too (without their URLs).
#[utoipa::path(
    get,
    path = "/api/providers/{id}/calendar-feeds",
    tag = "calendars",
    params(ProviderPath),
    responses(
        (status = 200, description = "The feeds, oldest first", body = Vec<CalendarFeed>),
        (status = 404, description = "No such provider", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiPath(provider): ApiPath<ProviderId>,
) -> Result<Json<Vec<CalendarFeed>>, ApiError> {
    let db = state.db().await?;
    if smsbot_store::providers::get(&db, provider).await?.is_none() {
        return Err(ApiError::NotFound("provider"));
    }
    let feeds = store::feeds_of(&db, provider).await?;
    Ok(Json(feeds.into_iter().map(CalendarFeed::from).collect()))
}

/// Revoke a calendar feed: its URL answers 404 from now on (revoking again
/// changes nothing).
#[utoipa::path(
    delete,
    path = "/api/calendar-feeds/{id}",
    tag = "calendars",
    params(FeedPath),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such feed", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AdminState>,
    ApiPath(feed): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let now = state.staff.clock.now();
    match store::revoke_feed(&state.db().await?, feed, now).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound("calendar feed")),
    }
}

/// A provider's appointments as an iCalendar feed (public: the token in the
/// URL is the key).
#[utoipa::path(
    get,
    path = "/api/calendars/feeds/{file}",
    tag = "calendars",
    params(FilePath),
    responses(
        (status = 200, description = "The feed (RFC 5545)", content_type = "text/calendar", body = String),
        (status = 404, description = "No such feed, or revoked", body = ErrorBody),
    )
)]
pub async fn feed(
    State(state): State<AdminState>,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, ApiError> {
    let token = calendar_links::token_of_file(&file).ok_or(ApiError::NotFound("calendar"))?;
    let db = state.db().await?;
    let (provider, provider_name) = store::provider_of_feed(&db, token)
        .await?
        .ok_or(ApiError::NotFound("calendar"))?;
    let now = state.staff.clock.now();
    let from = now - Duration::days(FEED_DAYS_BACK);
    let until = now + Duration::days(FEED_DAYS_AHEAD);
    let entries = store::entries_of_provider(&db, provider, from, until).await?;
    let text = rendering(&state, now).provider_feed(&provider_name, &entries, from, until);
    Ok(calendar_response(text, None))
}

/// One appointment as an iCalendar file, for the customer's calendar
/// (public: the token in the URL is the key).
#[utoipa::path(
    get,
    path = "/api/calendars/appointments/{file}",
    tag = "calendars",
    params(FilePath),
    responses(
        (status = 200, description = "The appointment (RFC 5545)", content_type = "text/calendar", body = String),
        (status = 404, description = "No such link", body = ErrorBody),
    )
)]
pub async fn appointment(
    State(state): State<AdminState>,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, ApiError> {
    let token = calendar_links::token_of_file(&file).ok_or(ApiError::NotFound("calendar"))?;
    let db = state.db().await?;
    let entry = store::entry_of_link(&db, token)
        .await?
        .ok_or(ApiError::NotFound("calendar"))?;
    let business = smsbot_store::business_profile::stored_name(&db)
        .await?
        .unwrap_or_else(|| state.business.name.clone());
    let text = rendering(&state, state.staff.clock.now()).customer_event(&entry, &business);
    Ok(calendar_response(text, Some("appointment.ics")))
}

fn rendering(state: &AdminState, now: DateTime<Utc>) -> Rendering<'_> {
    Rendering {
        zone: state.staff.outbox.business_timezone(),
        uid_host: state
            .public_base_url
            .as_ref()
            .and_then(|base| base.host_str())
            .unwrap_or(FALLBACK_UID_HOST),
        now,
    }
}

/// `text` as `text/calendar`, kept by no cache (it holds customers' first
/// names); `download` names the file a browser saves.
fn calendar_response(text: String, download: Option<&'static str>) -> Response {
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        text,
    )
        .into_response();
    if let Some(name) = download {
        let disposition = format!("attachment; filename=\"{name}\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}
