//! Consent: a contact's current consent and the audit trail of every change.
//!
//! Owns the consent columns of `contacts` and the `consent_events` table. Every
//! change writes an event in the same statement, so the audit trail can never
//! disagree with the contact row. Must not decide when consent changes: the
//! conversation (keywords), the outbox (carrier refusals) and the admin API do.

use deadpool_postgres::GenericClient;
use smsbot_domain::{ConsentSource, ConsentState};

use crate::StoreError;
use crate::contacts::ContactId;

/// Sets a contact's consent and records the change. A no-op (no event) when the
/// contact is already in that state, so redelivered keywords do not pile up events.
/// Returns whether the state changed.
pub async fn set_consent(
    db: &impl GenericClient,
    contact_id: ContactId,
    state: ConsentState,
    source: ConsentSource,
    detail: Option<&str>,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            "WITH changed AS (
                 UPDATE contacts
                    SET consent = $2, consent_source = $3,
                        consent_changed_at = now(), updated_at = now()
                  WHERE id = $1 AND consent <> $2
                  RETURNING id
             )
             INSERT INTO consent_events (contact_id, consent, source, detail)
             SELECT id, $2, $3, $4 FROM changed",
            &[&contact_id, &state.as_str(), &source.as_str(), &detail],
        )
        .await
        .map_err(|e| StoreError::query("setting consent", e))?;
    Ok(changed > 0)
}

/// The contact's current consent.
pub async fn consent_of(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<ConsentState, StoreError> {
    let row = db
        .query_opt("SELECT consent FROM contacts WHERE id = $1", &[&contact_id])
        .await
        .map_err(|e| StoreError::query("reading consent", e))?
        .ok_or(StoreError::NotFound("contact"))?;
    let raw: String = row.get(0);
    ConsentState::parse(&raw).map_err(|e| StoreError::Corrupt {
        what: "consent",
        detail: e.to_string(),
    })
}
