//! `/api/contacts`: the people the business texts.
//!
//! Owns reading phone numbers in national or E.164 form (stored E.164), names,
//! timezones (IANA, validated), tags and service consent changes made by an
//! operator (recorded with source `admin`; an opt-in the customer's own STOP
//! forbids is a 409), a new contact's marketing consent (only with its proof),
//! and erasure. Must not send anything, and must not delete consent history:
//! erasing a contact removes personal data only. A contact's consent history
//! and the marketing opt-in of an existing contact are `crate::consent`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::{ConsentSource, ConsentState, PhoneNumber, Timezone};
use smsbot_store::contacts as store;
use utoipa::{IntoParams, ToSchema};

use smsbot_domain::ContactId;

use crate::AdminState;
use crate::consent::{self, ConsentStanding, MarketingProof, ProofFields};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Page, PageParams};
use crate::validate;

const MAX_NAME_CHARS: usize = 200;

/// How a new contact's body names the parts of its marketing proof.
const MARKETING_PROOF: ProofFields = ProofFields {
    source: "marketing_consent.source",
    consent_text: "marketing_consent.consent_text",
    obtained_at: "marketing_consent.obtained_at",
};

/// Whether the contact may be sent messages of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    OptedIn,
    OptedOut,
}

impl From<Consent> for ConsentState {
    fn from(consent: Consent) -> Self {
        match consent {
            Consent::OptedIn => ConsentState::OptedIn,
            Consent::OptedOut => ConsentState::OptedOut,
        }
    }
}

impl From<ConsentState> for Consent {
    fn from(state: ConsentState) -> Self {
        match state {
            ConsentState::OptedIn => Consent::OptedIn,
            ConsentState::OptedOut => Consent::OptedOut,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    #[schema(value_type = i64)]
    pub id: ContactId,
    /// E.164.
    #[schema(example = "+14155550100")]
    pub phone: String,
    pub name: Option<String>,
    /// IANA timezone name.
    #[schema(example = "America/New_York")]
    pub timezone: Option<String>,
    pub tags: Vec<String>,
    /// Service consent: answers, confirmations, reminders.
    pub consent: Consent,
    /// Who changed service consent last: `inbound`, `keyword`, `carrier_opt_out` or `admin`.
    pub consent_source: String,
    pub consent_changed_at: DateTime<Utc>,
    /// Marketing consent (broadcasts); its history is at `/api/contacts/{id}/consent`.
    pub marketing_consent: ConsentStanding,
    pub marketing_consent_changed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Booked visits they did not come to (given for one contact, not in
    /// lists; at `NO_SHOW_LIMIT` their bookings by text wait for staff
    /// approval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_show_count: Option<i64>,
}

impl From<store::Contact> for Contact {
    fn from(c: store::Contact) -> Self {
        Self {
            id: c.id,
            phone: c.phone.as_e164().to_owned(),
            name: c.name,
            timezone: c.timezone,
            tags: c.tags,
            consent: c.consent.into(),
            consent_source: c.consent_source,
            consent_changed_at: c.consent_changed_at,
            marketing_consent: c.marketing_consent.into(),
            marketing_consent_changed_at: c.marketing_consent_changed_at,
            created_at: c.created_at,
            no_show_count: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// E.164 (`+14155550100`) or national form (`(415) 555-0100`, read in the
    /// business's default region).
    #[schema(example = "+14155550100")]
    pub phone: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(example = "America/New_York")]
    pub timezone: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub tags: Vec<String>,
    /// Initial service consent (default `opted_in`), recorded with source `admin`.
    pub consent: Option<Consent>,
    /// Marketing consent, recorded only with its proof (an import from a list
    /// the customer signed up to); absent: none.
    pub marketing_consent: Option<MarketingProof>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChanges {
    /// `null` clears the name.
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    /// `null` clears the timezone (the business's timezone applies).
    #[serde(default, deserialize_with = "crate::extract::patch_field")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
    /// Replaces all tags.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// Service consent, recorded with source `admin` and an audit event.
    /// `opted_out` revokes marketing too; `opted_in` is refused (409) when the
    /// customer opted out themselves. Marketing has its own route,
    /// `/api/contacts/{id}/consent/marketing`.
    pub consent: Option<Consent>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactFilters {
    /// Only contacts with this service consent.
    pub consent: Option<Consent>,
    /// Only contacts carrying this tag.
    pub tag: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct ContactPath(
    /// The contact's id.
    pub i64,
);

/// List contacts (not erased), oldest first.
#[utoipa::path(
    get,
    path = "/api/contacts",
    tag = "contacts",
    params(PageParams, ContactFilters),
    responses((status = 200, description = "A page of contacts", body = Page<Contact>))
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filters): ApiQuery<ContactFilters>,
) -> Result<Json<Page<Contact>>, ApiError> {
    let request = page.resolve::<ContactId>()?;
    let tag = filters
        .tag
        .as_deref()
        .map(|tag| validate::line("tag", tag, validate::MAX_TAG_CHARS))
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let filter = store::ContactFilter {
        consent: filters.consent.map(Into::into),
        tag: tag.as_deref(),
    };
    let rows =
        store::list_active(&state.db().await?, filter, request.after, request.fetch()).await?;
    let page = pagination::page(rows, &request, |c| c.id);
    Ok(Json(Page {
        items: page.items.into_iter().map(Contact::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Add a contact.
#[utoipa::path(
    post,
    path = "/api/contacts",
    tag = "contacts",
    request_body = NewContact,
    responses(
        (status = 201, description = "The contact was created", body = Contact),
        (status = 409, description = "A contact with this phone number exists (`phone_taken`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<NewContact>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let phone = PhoneNumber::parse(&body.phone, state.default_region)
        .map_err(|e| ApiError::invalid("phone", e.to_string()))?;
    let name = body
        .name
        .as_deref()
        .map(|n| validate::line("name", n, MAX_NAME_CHARS))
        .transpose()?;
    let timezone = body.timezone.as_deref().map(timezone).transpose()?;
    let tags = validate::tags("tags", &body.tags)?;
    let consent = body.consent.unwrap_or(Consent::OptedIn);
    let marketing = body
        .marketing_consent
        .as_ref()
        .map(|proof| proof.evidence(&MARKETING_PROOF))
        .transpose()?;
    if marketing.is_some() && consent == Consent::OptedOut {
        return Err(ApiError::invalid(
            "marketing_consent",
            "needs service consent: a contact created opted out gets no marketing",
        ));
    }
    let created = store::insert(
        &state.db().await?,
        &store::NewContact {
            phone: &phone,
            name: name.as_deref(),
            timezone,
            tags: &tags,
            consent: consent.into(),
            source: ConsentSource::Admin,
            marketing: marketing.as_ref(),
        },
    )
    .await
    .map_err(|e| match e {
        smsbot_store::StoreError::Conflict { .. } => ApiError::conflict(
            "phone_taken",
            "a contact with this phone number already exists",
        ),
        other => other.into(),
    })?;
    // Nobody new has missed a visit.
    Ok((
        StatusCode::CREATED,
        Json(Contact {
            no_show_count: Some(0),
            ..created.into()
        }),
    ))
}

/// One contact.
#[utoipa::path(
    get,
    path = "/api/contacts/{id}",
    tag = "contacts",
    params(ContactPath),
    responses(
        (status = 200, description = "The contact", body = Contact),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<Json<Contact>, ApiError> {
    let db = state.db().await?;
    let contact = store::find_active(&db, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let no_shows = smsbot_store::appointments::no_show_count(&db, id).await?;
    Ok(Json(Contact {
        no_show_count: Some(no_shows),
        ..contact.into()
    }))
}

/// Change a contact's name, timezone, tags or service consent.
#[utoipa::path(
    patch,
    path = "/api/contacts/{id}",
    tag = "contacts",
    params(ContactPath),
    request_body = ContactChanges,
    responses(
        (status = 200, description = "The contact after the change", body = Contact),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
        (status = 409, description = "Nothing was changed: the customer opted out themselves, and only their START or JOIN can undo that (`opted_out_by_customer`)", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(body): ApiJson<ContactChanges>,
) -> Result<Json<Contact>, ApiError> {
    let name = match &body.name {
        Some(Some(n)) => Some(Some(validate::line("name", n, MAX_NAME_CHARS)?)),
        Some(None) => Some(None),
        None => None,
    };
    let zone = match &body.timezone {
        Some(Some(tz)) => Some(Some(timezone(tz)?)),
        Some(None) => Some(None),
        None => None,
    };
    let tags = body
        .tags
        .as_deref()
        .map(|tags| validate::tags("tags", tags))
        .transpose()?;
    let changes = store::ContactChanges {
        name: name.as_ref().map(|n| n.as_deref()),
        timezone: zone,
        tags: tags.as_deref(),
        consent: body.consent.map(ConsentState::from),
    };
    match store::update_details(&state.pool, id, &changes).await? {
        store::Updated::Contact(contact) => {
            let no_shows =
                smsbot_store::appointments::no_show_count(&state.db().await?, id).await?;
            Ok(Json(Contact {
                no_show_count: Some(no_shows),
                ..contact.into()
            }))
        }
        store::Updated::NotFound => Err(ApiError::NotFound("contact")),
        store::Updated::ConsentRefused(refused) => Err(consent::refusal(refused)),
    }
}

/// Erase a contact's personal data (phone, name, timezone, tags, message
/// bodies, conversation). The consent history is kept as proof of consent.
#[utoipa::path(
    delete,
    path = "/api/contacts/{id}",
    tag = "contacts",
    params(ContactPath),
    responses(
        (status = 204, description = "The personal data was erased"),
        (status = 404, description = "No such contact (or it was already erased)", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<StatusCode, ApiError> {
    if store::erase(&state.pool, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("contact"))
    }
}

fn timezone(name: &str) -> Result<&'static str, ApiError> {
    Timezone::parse(name)
        .map(|tz| tz.name())
        .map_err(|e| ApiError::invalid("timezone", e.to_string()))
}
