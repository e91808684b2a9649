//! `/api/campaigns`: outbound campaigns, their drafts and their lifecycle.
//!
//! Owns the campaign's JSON shapes and the draft's half: listing, reading,
//! drafting and editing one that has not started. Drafts are validated in
//! `validation` (the template is parsed there, so a placeholder the sender could
//! not fill is a 422 now, not a failure per recipient later); the operator's
//! lifecycle commands (`launch`, `pause`, `resume`, `cancel`) are `commands`.
//! Must not pick recipients or send: the dispatcher does that from the status.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::CampaignId;
use smsbot_domain::campaign::{CampaignKind, CampaignStatus};
use smsbot_store::campaigns as store;
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Page, PageParams};
use crate::validate;

pub mod commands;
mod validation;

use validation::{audience, quiet_time, quiet_window, rate, template};

const MAX_NAME_CHARS: usize = 200;

/// Who receives the campaign: always only contacts with the consent its kind
/// needs. A broadcast reaches contacts who opted in to marketing (JOIN, or an
/// opt-in recorded with proof); a reminder reaches contacts with service
/// consent and a booked appointment ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Audience {
    /// Every contact the campaign's kind may reach.
    AllOptedIn,
    /// Those of them carrying at least one of these tags.
    Tags {
        #[schema(min_items = 1, max_items = 50)]
        tags: Vec<String>,
    },
}

/// What the campaign achieved so far (maintained by the dispatcher and sender).
#[derive(Debug, Serialize, ToSchema)]
pub struct Counters {
    pub targeted: i32,
    pub sent: i32,
    pub delivered: i32,
    pub failed: i32,
    pub skipped_consent: i32,
    pub deferred_quiet: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    #[schema(value_type = i64)]
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    pub template: String,
    pub audience: Audience,
    /// When sending begins; set to the launch time when launched without one.
    pub starts_at: Option<DateTime<Utc>>,
    /// Local time (recipient's timezone) from which nothing is sent, `HH:MM`.
    #[schema(example = "21:00")]
    pub quiet_start: String,
    /// Local time until which nothing is sent, `HH:MM`.
    #[schema(example = "08:00")]
    pub quiet_end: String,
    pub rate_per_second: i32,
    pub status: CampaignStatus,
    /// When the dispatcher first picked recipients; `null` until it started.
    pub started_at: Option<DateTime<Utc>>,
    pub counters: Counters,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<store::Campaign> for Campaign {
    type Error = ApiError;

    fn try_from(c: store::Campaign) -> Result<Self, ApiError> {
        let corrupt = |what: &str| {
            ApiError::Internal(format!("campaign {} has an unreadable {what}", c.id).into())
        };
        let audience =
            serde_json::from_value(c.audience.clone()).map_err(|_| corrupt("audience"))?;
        Ok(Self {
            id: c.id,
            name: c.name,
            kind: c.kind,
            template: c.template,
            audience,
            starts_at: c.starts_at,
            quiet_start: c.quiet_start.format("%H:%M").to_string(),
            quiet_end: c.quiet_end.format("%H:%M").to_string(),
            rate_per_second: c.rate_per_second,
            status: c.status,
            started_at: c.recipients_materialised_at,
            counters: Counters {
                targeted: c.targeted,
                sent: c.sent,
                delivered: c.delivered,
                failed: c.failed,
                skipped_consent: c.skipped_consent,
                deferred_quiet: c.deferred_quiet,
            },
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default `broadcast`.
    pub kind: Option<CampaignKind>,
    /// The message text, 1 to 1600 characters.
    #[schema(min_length = 1, max_length = 1600)]
    pub template: String,
    /// Default: every contact who opted in.
    pub audience: Option<Audience>,
    /// RFC 3339 with an offset; absent: send as soon as launched.
    pub starts_at: Option<DateTime<FixedOffset>>,
    /// `HH:MM`, default `21:00`.
    #[schema(example = "21:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub quiet_start: Option<String>,
    /// `HH:MM`, default `08:00`.
    #[schema(example = "08:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub quiet_end: Option<String>,
    /// Messages per second, 1 to 1000 (default 1).
    #[schema(minimum = 1, maximum = 1000)]
    pub rate_per_second: Option<i32>,
}

/// Changes to a campaign that has not started (draft or scheduled).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignChanges {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub kind: Option<CampaignKind>,
    #[schema(min_length = 1, max_length = 1600)]
    pub template: Option<String>,
    pub audience: Option<Audience>,
    /// `null` clears the start (send as soon as launched).
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<DateTime<FixedOffset>>)]
    pub starts_at: Option<Option<DateTime<FixedOffset>>>,
    #[schema(example = "21:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub quiet_start: Option<String>,
    #[schema(example = "08:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub quiet_end: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    pub rate_per_second: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignFilters {
    /// Only campaigns in this status.
    pub status: Option<CampaignStatus>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct CampaignPath(
    /// The campaign's id.
    pub i64,
);

/// List campaigns, oldest first.
#[utoipa::path(
    get,
    path = "/api/campaigns",
    tag = "campaigns",
    params(PageParams, CampaignFilters),
    responses((status = 200, description = "A page of campaigns", body = Page<Campaign>))
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filters): ApiQuery<CampaignFilters>,
) -> Result<Json<Page<Campaign>>, ApiError> {
    let request = page.resolve::<CampaignId>()?;
    let rows = store::list(
        &state.db().await?,
        filters.status,
        request.after,
        request.fetch(),
    )
    .await?;
    let page = pagination::page(rows, &request, |c| c.id);
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(Campaign::try_from)
            .collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    }))
}

/// Draft a campaign.
#[utoipa::path(
    post,
    path = "/api/campaigns",
    tag = "campaigns",
    request_body = NewCampaign,
    responses((status = 201, description = "The campaign, in `draft`", body = Campaign))
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<NewCampaign>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let name = validate::line("name", &body.name, MAX_NAME_CHARS)?;
    let kind = body.kind.unwrap_or(CampaignKind::Broadcast);
    let template = template(&body.template, kind)?;
    let audience = audience(body.audience.unwrap_or(Audience::AllOptedIn))?;
    let starts_at = body
        .starts_at
        .map(|at| validate::instant("starts_at", at))
        .transpose()?;
    let quiet_start = quiet_time(
        "quiet_start",
        body.quiet_start.as_deref().unwrap_or("21:00"),
    )?;
    let quiet_end = quiet_time("quiet_end", body.quiet_end.as_deref().unwrap_or("08:00"))?;
    quiet_window(quiet_start, quiet_end)?;
    let rate = rate(body.rate_per_second.unwrap_or(1))?;
    let created = store::create(
        &state.db().await?,
        &store::NewCampaign {
            name: &name,
            kind,
            template: &template,
            audience: &audience,
            starts_at,
            quiet_start,
            quiet_end,
            rate_per_second: rate,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.try_into()?)))
}

/// One campaign with its counters.
#[utoipa::path(
    get,
    path = "/api/campaigns/{id}",
    tag = "campaigns",
    params(CampaignPath),
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        (status = 404, description = "No such campaign", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<CampaignId>,
) -> Result<Json<Campaign>, ApiError> {
    let campaign = store::get(&state.db().await?, id)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    Ok(Json(campaign.try_into()?))
}

/// Edit a campaign that has not started.
#[utoipa::path(
    patch,
    path = "/api/campaigns/{id}",
    tag = "campaigns",
    params(CampaignPath),
    request_body = CampaignChanges,
    responses(
        (status = 200, description = "The campaign after the change", body = Campaign),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is no longer a draft or scheduled", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<CampaignId>,
    ApiJson(body): ApiJson<CampaignChanges>,
) -> Result<Json<Campaign>, ApiError> {
    let name = body
        .name
        .as_deref()
        .map(|n| validate::line("name", n, MAX_NAME_CHARS))
        .transpose()?;
    let audience = body.audience.map(audience).transpose()?;
    let starts_at = match body.starts_at {
        Some(Some(at)) => Some(Some(validate::instant("starts_at", at)?)),
        Some(None) => Some(None),
        None => None,
    };
    let quiet_start = body
        .quiet_start
        .as_deref()
        .map(|t| quiet_time("quiet_start", t))
        .transpose()?;
    let quiet_end = body
        .quiet_end
        .as_deref()
        .map(|t| quiet_time("quiet_end", t))
        .transpose()?;
    let rate = body.rate_per_second.map(rate).transpose()?;
    let db = state.db().await?;
    let current = store::get(&db, id)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    // The template is checked against the kind it will be sent as, whichever of
    // the two this change touches.
    let kind = body.kind.unwrap_or(current.kind);
    let template = match (&body.template, body.kind) {
        (Some(text), _) => Some(template(text, kind)?),
        (None, Some(_)) => {
            template(&current.template, kind)?;
            None
        }
        (None, None) => None,
    };
    quiet_window(
        quiet_start.unwrap_or(current.quiet_start),
        quiet_end.unwrap_or(current.quiet_end),
    )?;
    let changes = store::CampaignChanges {
        name: name.as_deref(),
        kind: body.kind,
        template: template.as_deref(),
        audience: audience.as_ref(),
        starts_at,
        quiet_start,
        quiet_end,
        rate_per_second: rate,
    };
    match store::update(&db, id, &CampaignStatus::EDITABLE, &changes).await? {
        Some(updated) => Ok(Json(updated.try_into()?)),
        None => Err(not_editable_or_gone(&db, id).await),
    }
}

async fn not_editable_or_gone(db: &deadpool_postgres::Object, id: CampaignId) -> ApiError {
    match store::get(db, id).await {
        Ok(Some(campaign)) => ApiError::conflict(
            "campaign_not_editable",
            format!("a {} campaign can no longer be edited", campaign.status),
        ),
        Ok(None) => ApiError::NotFound("campaign"),
        Err(e) => e.into(),
    }
}
