//! `/api/business-profile`: the business as the bot describes it (name,
//! address, phone, website, opening hours) and its FAQ, the answers the bot
//! texts offline to "do you take walk-ins?" and the like.
//!
//! Owns reading and changing the operators' overrides and FAQ entries, their
//! validation (hours are read the way the bot reads them; a FAQ answer must
//! fit in two SMS segments) and showing each value of the effective profile
//! with its source: `settings` (the environment: `BUSINESS_NAME`, …,
//! `BUSINESS_FAQ`) or `admin`. What applies is the rule of
//! `smsbot_store::business_profile`: an operator's value where one is stored
//! (`null` clears it, and the setting applies again); the FAQ is the
//! settings' until the first entry is added here, which copies the
//! settings' entries in and makes the FAQ the operators' from then on. The
//! bot reads the profile at every message, so a change applies to the next
//! one. Must not hold SQL nor decide what a customer is told.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_config::Settings;
use smsbot_conversation::WeeklyHours;
use smsbot_domain::{Faq, FaqEntry, FaqEntryId, FaqError, Website};
use smsbot_store::business_profile::{
    self as store, FaqAdded, FaqChanges, ProfileChanges, Source, StoredFaqEntry, StoredProfile,
    effective,
};
use utoipa::{IntoParams, ToSchema};

use crate::AdminState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::validate;

const MAX_NAME_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 200;
const MAX_PHONE_CHARS: usize = 40;
const MAX_HOURS_CHARS: usize = 200;

/// The profile the settings give: what applies where operators set nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsProfile {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<Website>,
    /// `BUSINESS_HOURS` as written.
    pub hours: Option<String>,
    pub faq: Faq,
}

impl SettingsProfile {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            name: settings.business_name.clone(),
            address: settings.business_address.clone(),
            phone: settings.business_phone.clone(),
            website: settings.business_website.clone(),
            hours: settings.business_hours.clone(),
            faq: settings.business_faq.clone(),
        }
    }
}

/// Where a value of the profile comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileSource {
    /// The environment (`BUSINESS_NAME`, `BUSINESS_ADDRESS`, …, `BUSINESS_FAQ`).
    Settings,
    /// An operator, through this API.
    Admin,
}

impl From<Source> for ProfileSource {
    fn from(source: Source) -> Self {
        match source {
            Source::Settings => Self::Settings,
            Source::Admin => Self::Admin,
        }
    }
}

/// One value of the profile and where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileField {
    /// `null`: the business has none (the bot suggests a call instead).
    pub value: Option<String>,
    pub source: ProfileSource,
}

/// The business's name and where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct NameField {
    #[schema(example = "Maple Street Salon")]
    pub value: String,
    pub source: ProfileSource,
}

/// The business as the bot describes it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessProfile {
    /// Named in HELP and in the bot's answers.
    pub name: NameField,
    pub address: ProfileField,
    pub phone: ProfileField,
    /// An `http` or `https` URL.
    pub website: ProfileField,
    /// Weekly opening hours as written, e.g. `mon-fri 09:00-17:00; sat 10:00-14:00`.
    pub hours: ProfileField,
    /// The hours as the bot texts them, e.g. `Mon-Fri 9:00 AM-5:00 PM, Sat 10:00 AM-2:00 PM`.
    pub hours_as_told: Option<String>,
    pub faq: FaqList,
    /// When an operator last changed the name, address, phone, website or hours.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The FAQ the bot answers from, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaqList {
    /// `settings` until the first entry is added through this API; `admin`
    /// from then on.
    pub source: ProfileSource,
    pub items: Vec<FaqItem>,
}

/// One question and the answer the bot texts.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaqItem {
    /// `null` for an entry of the settings (it gets an id once the FAQ is
    /// the operators').
    #[schema(value_type = Option<i64>)]
    pub id: Option<FaqEntryId>,
    #[schema(example = "Do you take walk-ins?")]
    pub question: String,
    #[schema(example = "Yes, weekdays before 3pm if a chair is free.")]
    pub answer: String,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl FaqItem {
    fn stored(entry: StoredFaqEntry) -> Self {
        Self {
            id: Some(entry.id),
            question: entry.entry.question().to_owned(),
            answer: entry.entry.answer().to_owned(),
            created_at: Some(entry.created_at),
            updated_at: Some(entry.updated_at),
        }
    }

    fn setting(entry: &FaqEntry) -> Self {
        Self {
            id: None,
            question: entry.question().to_owned(),
            answer: entry.answer().to_owned(),
            created_at: None,
            updated_at: None,
        }
    }
}

/// A change of the profile: a field left out stays as it is, `null` clears
/// the operators' value (the setting applies again), a value replaces it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub address: Option<Option<String>>,
    /// A number to call, as customers should read it: `(555) 010-2030`.
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 40)]
    pub phone: Option<Option<String>>,
    /// An absolute `http` or `https` URL.
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<String>, max_length = 200, example = "https://maplestreet.example")]
    pub website: Option<Option<String>>,
    /// Like `BUSINESS_HOURS`: `mon-fri 09:00-17:00; sat 10:00-14:00`.
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<String>, max_length = 200, example = "mon-fri 09:00-17:00; sat 10:00-14:00")]
    pub hours: Option<Option<String>>,
}

/// A new FAQ entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFaqEntry {
    /// One line.
    #[schema(min_length = 1, max_length = 200, example = "Do you take walk-ins?")]
    pub question: String,
    /// Texted as written; it must fit in two SMS segments (at most 306
    /// characters, fewer with emoji or other characters outside GSM-7).
    #[schema(
        min_length = 1,
        max_length = 306,
        example = "Yes, weekdays before 3pm if a chair is free."
    )]
    pub answer: String,
}

/// A change of a FAQ entry: a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqEntryChange {
    #[schema(min_length = 1, max_length = 200)]
    pub question: Option<String>,
    #[schema(min_length = 1, max_length = 306)]
    pub answer: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct FaqPath(
    /// The FAQ entry's id.
    pub i64,
);

/// The business profile the bot answers from, each value with its source.
#[utoipa::path(
    get,
    path = "/api/business-profile",
    tag = "business_profile",
    responses((status = 200, description = "The effective profile", body = BusinessProfile))
)]
pub async fn show(State(state): State<AdminState>) -> Result<Json<BusinessProfile>, ApiError> {
    let stored = store::load(&state.db().await?).await?;
    Ok(Json(profile(&state.business, stored)))
}

/// Change the name, address, phone, website or hours; `null` gives a field
/// back to the settings.
#[utoipa::path(
    put,
    path = "/api/business-profile",
    tag = "business_profile",
    request_body = ProfileChange,
    responses((status = 200, description = "The effective profile after the change", body = BusinessProfile))
)]
pub async fn update(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<ProfileChange>,
) -> Result<Json<BusinessProfile>, ApiError> {
    let line = |field, max| {
        move |value: &str| -> Result<String, ApiError> { validate::line(field, value, max) }
    };
    let name = change(&body.name, line("name", MAX_NAME_CHARS))?;
    let address = change(&body.address, line("address", MAX_ADDRESS_CHARS))?;
    let phone = change(&body.phone, phone)?;
    let website = change(&body.website, |raw| {
        Website::parse(raw).map_err(|e| ApiError::invalid("website", e.to_string()))
    })?;
    let hours = change(&body.hours, hours)?;
    let changes = ProfileChanges {
        name: name.as_ref().map(Option::as_deref),
        address: address.as_ref().map(Option::as_deref),
        phone: phone.as_ref().map(Option::as_deref),
        website: website.as_ref().map(Option::as_ref),
        hours: hours.as_ref().map(Option::as_deref),
    };
    let untouched = [
        changes.name.is_none(),
        changes.address.is_none(),
        changes.phone.is_none(),
        changes.website.is_none(),
        changes.hours.is_none(),
    ];
    let stored = if untouched.iter().all(|&u| u) {
        store::load(&state.db().await?).await?
    } else {
        store::update(&state.pool, &changes, state.staff.clock.now()).await?
    };
    Ok(Json(profile(&state.business, stored)))
}

/// The FAQ the bot answers from.
#[utoipa::path(
    get,
    path = "/api/business-profile/faq",
    tag = "business_profile",
    responses((status = 200, description = "The FAQ, in order", body = FaqList))
)]
pub async fn faq(State(state): State<AdminState>) -> Result<Json<FaqList>, ApiError> {
    let stored = store::load(&state.db().await?).await?;
    Ok(Json(faq_list(&state.business.faq, stored.faq)))
}

/// Add a FAQ entry at the end. The first one added makes the FAQ the
/// operators': the settings' entries are copied in first (they get ids),
/// and `BUSINESS_FAQ` no longer applies.
#[utoipa::path(
    post,
    path = "/api/business-profile/faq",
    tag = "business_profile",
    request_body = NewFaqEntry,
    responses(
        (status = 201, description = "The entry was added", body = FaqItem),
        (status = 409, description = "The FAQ holds 50 entries already (`faq_full`)", body = ErrorBody),
    )
)]
pub async fn add_faq_entry(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<NewFaqEntry>,
) -> Result<(StatusCode, Json<FaqItem>), ApiError> {
    let entry = FaqEntry::parse(&body.question, &body.answer).map_err(faq_invalid)?;
    let now = state.staff.clock.now();
    match store::add_faq_entry(&state.pool, &state.business.faq, &entry, now).await? {
        FaqAdded::Added(added) => Ok((StatusCode::CREATED, Json(FaqItem::stored(added)))),
        FaqAdded::Full => Err(ApiError::conflict(
            "faq_full",
            format!(
                "the FAQ holds {} entries, the most it may: delete one first",
                smsbot_domain::business_profile::MAX_FAQ_ENTRIES
            ),
        )),
    }
}

/// Change a FAQ entry's question or answer.
#[utoipa::path(
    put,
    path = "/api/business-profile/faq/{id}",
    tag = "business_profile",
    params(FaqPath),
    request_body = FaqEntryChange,
    responses(
        (status = 200, description = "The entry after the change", body = FaqItem),
        (status = 404, description = "No such entry (entries of the settings have none until one is added here)", body = ErrorBody),
    )
)]
pub async fn update_faq_entry(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<FaqEntryId>,
    ApiJson(body): ApiJson<FaqEntryChange>,
) -> Result<Json<FaqItem>, ApiError> {
    let question = body
        .question
        .as_deref()
        .map(FaqEntry::parse_question)
        .transpose()
        .map_err(faq_invalid)?;
    let answer = body
        .answer
        .as_deref()
        .map(FaqEntry::parse_answer)
        .transpose()
        .map_err(faq_invalid)?;
    let changes = FaqChanges {
        question: question.as_deref(),
        answer: answer.as_deref(),
    };
    let now = state.staff.clock.now();
    store::update_faq_entry(&state.db().await?, id, &changes, now)
        .await?
        .map(|entry| Json(FaqItem::stored(entry)))
        .ok_or(ApiError::NotFound("FAQ entry"))
}

/// Delete a FAQ entry. With none left the bot has no FAQ (the settings'
/// entries do not come back).
#[utoipa::path(
    delete,
    path = "/api/business-profile/faq/{id}",
    tag = "business_profile",
    params(FaqPath),
    responses(
        (status = 204, description = "The entry was deleted"),
        (status = 404, description = "No such entry", body = ErrorBody),
    )
)]
pub async fn delete_faq_entry(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<FaqEntryId>,
) -> Result<StatusCode, ApiError> {
    if store::delete_faq_entry(&state.db().await?, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("FAQ entry"))
    }
}

/// A PUT field validated: left out stays `None`, `null` stays `Some(None)`.
fn change<T>(
    field: &Option<Option<String>>,
    check: impl Fn(&str) -> Result<T, ApiError>,
) -> Result<Option<Option<T>>, ApiError> {
    match field {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(value)) => check(value).map(|v| Some(Some(v))),
    }
}

fn phone(raw: &str) -> Result<String, ApiError> {
    let phone = validate::line("phone", raw, MAX_PHONE_CHARS)?;
    if phone.chars().filter(char::is_ascii_digit).count() < 3 {
        return Err(ApiError::invalid("phone", "must be a number to call"));
    }
    Ok(phone)
}

/// Hours the bot can read, as `BUSINESS_HOURS` would be.
fn hours(raw: &str) -> Result<String, ApiError> {
    let text = validate::line("hours", raw, MAX_HOURS_CHARS)?;
    WeeklyHours::parse(&text).map_err(|e| ApiError::invalid("hours", e.to_string()))?;
    Ok(text)
}

fn faq_invalid(error: FaqError) -> ApiError {
    ApiError::invalid(error.field().unwrap_or("body"), error.to_string())
}

fn profile(settings: &Arc<SettingsProfile>, stored: StoredProfile) -> BusinessProfile {
    let field = |stored: Option<String>, setting: &Option<String>| {
        let sourced = effective(stored.map(Some), setting.clone());
        ProfileField {
            value: sourced.value,
            source: sourced.source.into(),
        }
    };
    let name = effective(stored.name, settings.name.clone());
    let hours = field(stored.hours, &settings.hours);
    BusinessProfile {
        name: NameField {
            value: name.value,
            source: name.source.into(),
        },
        address: field(stored.address, &settings.address),
        phone: field(stored.phone, &settings.phone),
        website: field(
            stored.website.map(|w| w.as_str().to_owned()),
            &settings.website.as_ref().map(|w| w.as_str().to_owned()),
        ),
        hours_as_told: hours
            .value
            .as_deref()
            .and_then(|text| WeeklyHours::parse(text).ok())
            .map(|h| h.describe()),
        hours,
        faq: faq_list(&settings.faq, stored.faq),
        updated_at: stored.updated_at,
    }
}

fn faq_list(settings: &Faq, stored: Option<Vec<StoredFaqEntry>>) -> FaqList {
    match stored {
        Some(entries) => FaqList {
            source: ProfileSource::Admin,
            items: entries.into_iter().map(FaqItem::stored).collect(),
        },
        None => FaqList {
            source: ProfileSource::Settings,
            items: settings.entries().iter().map(FaqItem::setting).collect(),
        },
    }
}
