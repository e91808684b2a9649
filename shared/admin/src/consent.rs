//! `/api/contacts/{id}/consent`: a contact's consent of each kind and its audit
//! trail, and the operator's marketing opt-in (only with proof) and opt-out.
//!
//! Owns the JSON shapes of consent and of its proof, and the answers an
//! operator gets when the change is not theirs to make: a customer's own STOP
//! (or their carrier's block) is undone only by the customer's START or JOIN
//! (409 `opted_out_by_customer`). Must not decide whether an opt-in is allowed
//! (the domain's `ConsentStatus::admin_may_opt_in`, applied by the store under
//! the contact's row lock) nor send anything.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::consent::evidence::{EvidenceError, EvidenceField};
use smsbot_domain::consent::{KindStatus, OptInRefused};
use smsbot_domain::{
    ConsentActor, ConsentEvidence, ConsentKind, ConsentSource, ConsentState, ContactId,
};
use smsbot_store::consent::{self as store, AdminOptIn, ConsentChange};
use utoipa::ToSchema;

use crate::AdminState;
use crate::contacts::{Consent, ContactPath};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

/// A contact's consent of both kinds and every change, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactConsent {
    #[schema(value_type = i64)]
    pub contact_id: ContactId,
    /// Answers, confirmations, reminders of the contact's own appointments.
    pub service: CurrentConsent,
    /// Broadcast campaigns.
    pub marketing: CurrentConsent,
    pub history: Vec<ConsentEvent>,
}

/// Where one kind of consent stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentConsent {
    pub state: ConsentStanding,
    /// Whether an operator may opt the contact in to this kind (with proof,
    /// for marketing); false after the customer's own opt-out.
    pub operator_may_opt_in: bool,
}

/// A kind of consent as it stands: given, revoked, or (marketing) never given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStanding {
    OptedIn,
    OptedOut,
    NotGiven,
}

impl From<Option<ConsentState>> for ConsentStanding {
    fn from(state: Option<ConsentState>) -> Self {
        match state {
            Some(ConsentState::OptedIn) => Self::OptedIn,
            Some(ConsentState::OptedOut) => Self::OptedOut,
            None => Self::NotGiven,
        }
    }
}

/// One consent change, as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEvent {
    pub kind: ConsentKind,
    pub state: Consent,
    /// Through what: `keyword` (the customer texted), `inbound` (their first
    /// message), `carrier_opt_out` (Twilio error 21610), `admin`.
    pub source: ConsentSource,
    pub actor: ConsentActor,
    /// What was said or done, e.g. the keyword as texted.
    pub detail: Option<String>,
    /// The proof recorded with an opt-in (always present for marketing).
    pub evidence: Option<Evidence>,
    /// When the change was recorded.
    pub occurred_at: DateTime<Utc>,
}

/// Proof of a consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evidence {
    /// Where the proof is kept or came from.
    pub source: String,
    /// The consent text shown to (or written by) the customer.
    pub consent_text: String,
    /// When the customer gave the consent.
    pub obtained_at: DateTime<Utc>,
}

impl From<&ConsentEvidence> for Evidence {
    fn from(proof: &ConsentEvidence) -> Self {
        Self {
            source: proof.source().to_owned(),
            consent_text: proof.consent_text().to_owned(),
            obtained_at: proof.obtained_at(),
        }
    }
}

impl From<store::ConsentEvent> for ConsentEvent {
    fn from(event: store::ConsentEvent) -> Self {
        Self {
            kind: event.kind,
            state: event.state.into(),
            source: event.source,
            actor: event.actor,
            detail: event.detail,
            evidence: event.evidence.as_ref().map(Evidence::from),
            occurred_at: event.occurred_at,
        }
    }
}

/// The proof of a marketing opt-in; every field is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketingProof {
    /// Where the proof is kept or came from, e.g. "paper form at the front
    /// desk" or "web form https://example.com/sms-signup".
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500)]
    pub source: Option<String>,
    /// The consent language the customer was shown and agreed to.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 2000)]
    pub consent_text: Option<String>,
    /// When the customer gave the consent (not in the future).
    #[schema(value_type = DateTime<FixedOffset>, required = true)]
    pub obtained_at: Option<DateTime<FixedOffset>>,
}

impl MarketingProof {
    /// The checked evidence; `fields` names the parts as the body does, for
    /// the 422 that names the missing or wrong one.
    pub(crate) fn evidence(&self, fields: &ProofFields) -> Result<ConsentEvidence, ApiError> {
        // A year the database cannot store is refused here, not by it (a 500).
        let obtained_at = self
            .obtained_at
            .map(|at| crate::validate::instant(fields.obtained_at, at))
            .transpose()?;
        ConsentEvidence::new(
            self.source.as_deref(),
            self.consent_text.as_deref(),
            obtained_at,
            Utc::now(),
        )
        .map_err(|e: EvidenceError| ApiError::invalid(fields.name(e.field()), e.to_string()))
    }
}

/// How a request body names the parts of the proof.
pub(crate) struct ProofFields {
    pub source: &'static str,
    pub consent_text: &'static str,
    pub obtained_at: &'static str,
}

impl ProofFields {
    /// The proof is the whole body.
    pub const TOP_LEVEL: Self = Self {
        source: "source",
        consent_text: "consent_text",
        obtained_at: "obtained_at",
    };

    fn name(&self, field: EvidenceField) -> &'static str {
        match field {
            EvidenceField::Source => self.source,
            EvidenceField::ConsentText => self.consent_text,
            EvidenceField::ObtainedAt => self.obtained_at,
        }
    }
}

/// A contact's consent and its full history.
#[utoipa::path(
    get,
    path = "/api/contacts/{id}/consent",
    tag = "contacts",
    params(ContactPath),
    responses(
        (status = 200, description = "Consent of each kind and every change", body = ContactConsent),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<Json<ContactConsent>, ApiError> {
    let db = state.db().await?;
    Ok(Json(view(&db, id).await?))
}

/// Record a marketing opt-in the business holds proof of (an import, a paper
/// or web form). Refused when the customer opted out themselves: only their
/// START or JOIN undoes their STOP.
#[utoipa::path(
    post,
    path = "/api/contacts/{id}/consent/marketing",
    tag = "contacts",
    params(ContactPath),
    request_body = MarketingProof,
    responses(
        (status = 200, description = "Recorded (or already given); the contact's consent now", body = ContactConsent),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
        (status = 409, description = "Not the operator's to give: the customer opted out themselves (`opted_out_by_customer`), or service consent is revoked (`service_consent_revoked`)", body = ErrorBody),
    )
)]
pub async fn opt_in_to_marketing(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(body): ApiJson<MarketingProof>,
) -> Result<Json<ContactConsent>, ApiError> {
    let evidence = body.evidence(&ProofFields::TOP_LEVEL)?;
    let mut db = state.db().await?;
    let tx = db.transaction().await.map_err(unavailable)?;
    let outcome = store::opt_in_by_admin(
        &tx,
        id,
        ConsentKind::Marketing,
        Some(&evidence),
        "recorded through the admin API",
    )
    .await?;
    match outcome {
        AdminOptIn::Recorded { .. } => {}
        AdminOptIn::Refused(refused) => return Err(refusal(refused)),
        AdminOptIn::NoSuchContact => return Err(ApiError::NotFound("contact")),
    }
    let answer = view(&tx, id).await?;
    tx.commit().await.map_err(unavailable)?;
    Ok(Json(answer))
}

/// Record that the contact wants no more marketing (asked in person or by
/// phone); service messages go on. Only the customer's JOIN, or an operator
/// with new proof, gives marketing consent back.
#[utoipa::path(
    delete,
    path = "/api/contacts/{id}/consent/marketing",
    tag = "contacts",
    params(ContactPath),
    responses(
        (status = 200, description = "Recorded (or already revoked); the contact's consent now", body = ContactConsent),
        (status = 404, description = "No such contact (or it was erased)", body = ErrorBody),
    )
)]
pub async fn opt_out_of_marketing(
    State(state): State<AdminState>,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<Json<ContactConsent>, ApiError> {
    let mut db = state.db().await?;
    let tx = db.transaction().await.map_err(unavailable)?;
    if store::status_of(&tx, id, true).await?.is_none() {
        return Err(ApiError::NotFound("contact"));
    }
    store::record(
        &tx,
        id,
        &ConsentChange {
            kind: ConsentKind::Marketing,
            state: ConsentState::OptedOut,
            source: ConsentSource::Admin,
            detail: Some("revoked through the admin API"),
            evidence: None,
        },
    )
    .await?;
    let answer = view(&tx, id).await?;
    tx.commit().await.map_err(unavailable)?;
    Ok(Json(answer))
}

/// The answer to an operator's opt-in that is not theirs to make.
pub(crate) fn refusal(refused: OptInRefused) -> ApiError {
    match refused {
        OptInRefused::RevokedByCustomer { kind, by } => {
            let who = match by {
                ConsentActor::Carrier => {
                    "the customer's carrier blocks our texts (Twilio error 21610) since they opted out"
                }
                ConsentActor::Customer => "the customer opted out by text themselves",
                ConsentActor::System => {
                    "the opt-out's origin is unknown, so it counts as the customer's own"
                }
                ConsentActor::Admin => "the contact's opt-out is not an operator's to undo",
            };
            ApiError::conflict(
                "opted_out_by_customer",
                format!(
                    "{who} ({kind} consent): only the customer's own START (service messages) \
                     or JOIN (marketing) can undo their STOP, so an operator cannot opt them back in"
                ),
            )
        }
        OptInRefused::ServiceRevoked => ApiError::conflict(
            "service_consent_revoked",
            "marketing needs service consent, which an operator revoked: set the contact's \
             consent to opted_in first (PATCH /api/contacts/{id})",
        ),
    }
}

async fn view(
    db: &impl deadpool_postgres::GenericClient,
    id: ContactId,
) -> Result<ContactConsent, ApiError> {
    let status = store::status_of(db, id, false)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let history = store::history(db, id).await?;
    let current = |kind: ConsentKind| {
        let of: &KindStatus = status.of(kind);
        CurrentConsent {
            state: of.state.into(),
            operator_may_opt_in: status.admin_may_opt_in(kind).is_ok(),
        }
    };
    Ok(ContactConsent {
        contact_id: id,
        service: current(ConsentKind::Service),
        marketing: current(ConsentKind::Marketing),
        history: history.into_iter().map(ConsentEvent::from).collect(),
    })
}

fn unavailable(err: deadpool_postgres::tokio_postgres::Error) -> ApiError {
    ApiError::Unavailable(Box::new(err))
}
