//! Consent: a contact's current consent of each kind and the audit trail of
//! every change.
//!
//! Owns the consent columns of `contacts` (`consent` is the service consent,
//! `marketing_consent` the marketing one) and the `consent_events` table. Every
//! change writes its event (kind, state, source, actor, detail, evidence) in the
//! same statement as the contact row, so the audit trail can never disagree
//! with it; the database refuses a marketing opt-in without proof and marketing
//! consent without service consent. Must not decide when consent changes: the
//! conversation (keywords), the outbox (carrier refusals) and the admin API do;
//! an operator's opt-in is checked here, under the contact's row lock, against
//! the domain's rule (`ConsentStatus::admin_may_opt_in`), so a STOP that arrives
//! meanwhile is never overridden.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use smsbot_domain::consent::{KindStatus, OptInRefused};
use smsbot_domain::{
    ConsentActor, ConsentEvidence, ConsentKind, ConsentSource, ConsentState, ConsentStatus,
};
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

use crate::StoreError;
use crate::contacts::ContactId;

/// One change of one kind of consent.
#[derive(Debug, Clone, Copy)]
pub struct ConsentChange<'a> {
    pub kind: ConsentKind,
    pub state: ConsentState,
    pub source: ConsentSource,
    /// What was said or done, e.g. the keyword as texted ("Join!").
    pub detail: Option<&'a str>,
    /// Proof of the consent (required for a marketing opt-in).
    pub evidence: Option<&'a ConsentEvidence>,
}

/// Sets a contact's consent the way the customer's keywords do: an opt-out
/// revokes *both* kinds (STOP means nothing at all), an opt-in restores the
/// service consent only (marketing needs its own opt-in). A no-op (no event)
/// when nothing changes, so redelivered keywords do not pile up events.
/// Returns whether anything changed.
pub async fn set_consent(
    db: &impl GenericClient,
    contact_id: ContactId,
    state: ConsentState,
    source: ConsentSource,
    detail: Option<&str>,
) -> Result<bool, StoreError> {
    record(
        db,
        contact_id,
        &ConsentChange {
            kind: ConsentKind::Service,
            state,
            source,
            detail,
            evidence: None,
        },
    )
    .await
}

/// Records one change and its event in one statement; a no-op (no event) when
/// the contact is already in that state. Revoking service consent revokes
/// marketing consent with it (a contact who gets nothing gets no marketing).
/// Returns whether anything changed.
pub async fn record(
    db: &impl GenericClient,
    contact_id: ContactId,
    change: &ConsentChange<'_>,
) -> Result<bool, StoreError> {
    if (change.kind, change.state) == (ConsentKind::Service, ConsentState::OptedOut) {
        return revoke_all(db, contact_id, change).await;
    }
    let (state, source, changed_at) = match change.kind {
        ConsentKind::Service => ("consent", "consent_source", "consent_changed_at"),
        ConsentKind::Marketing => (
            "marketing_consent",
            "marketing_consent_source",
            "marketing_consent_changed_at",
        ),
    };
    let evidence = change.evidence;
    let changed = db
        .execute(
            &format!(
                "WITH changed AS (
                     UPDATE contacts
                        SET {state} = $2, {source} = $3, {changed_at} = now(), updated_at = now()
                      WHERE id = $1 AND {state} IS DISTINCT FROM $2
                      RETURNING id
                 )
                 INSERT INTO consent_events (contact_id, kind, consent, source, actor, detail,
                                             evidence_source, consent_text, obtained_at)
                 SELECT id, $4, $2, $3, $5, $6, $7, $8, $9 FROM changed"
            ),
            &[
                &contact_id,
                &change.state,
                &change.source,
                &change.kind,
                &change.source.actor(),
                &change.detail,
                &evidence.map(ConsentEvidence::source),
                &evidence.map(ConsentEvidence::consent_text),
                &evidence.map(ConsentEvidence::obtained_at),
            ],
        )
        .await
        .map_err(|e| StoreError::query("recording a consent change", e))?;
    Ok(changed > 0)
}

/// Opts a contact out of both kinds, with an event for each kind that changed.
async fn revoke_all(
    db: &impl GenericClient,
    contact_id: ContactId,
    change: &ConsentChange<'_>,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            "WITH before AS (
                 SELECT id, consent, marketing_consent FROM contacts WHERE id = $1 FOR UPDATE
             ), changed AS (
                 UPDATE contacts c
                    SET consent = 'opted_out', consent_source = $2, consent_changed_at = now(),
                        marketing_consent = CASE WHEN b.marketing_consent = 'opted_in'
                                                 THEN 'opted_out' ELSE c.marketing_consent END,
                        marketing_consent_source = CASE WHEN b.marketing_consent = 'opted_in'
                                                 THEN $2 ELSE c.marketing_consent_source END,
                        marketing_consent_changed_at = CASE WHEN b.marketing_consent = 'opted_in'
                                                 THEN now() ELSE c.marketing_consent_changed_at END,
                        updated_at = now()
                   FROM before b
                  WHERE c.id = b.id
                    AND (b.consent <> 'opted_out' OR b.marketing_consent = 'opted_in')
                  RETURNING c.id, b.consent <> 'opted_out' AS service,
                            b.marketing_consent IS NOT DISTINCT FROM 'opted_in' AS marketing
             )
             INSERT INTO consent_events (contact_id, kind, consent, source, actor, detail)
             SELECT changed.id, k.kind, 'opted_out', $2, $3, $4
               FROM changed
              CROSS JOIN LATERAL (VALUES ('service', changed.service),
                                         ('marketing', changed.marketing)) AS k(kind, applies)
              WHERE k.applies",
            &[
                &contact_id,
                &change.source,
                &change.source.actor(),
                &change.detail,
            ],
        )
        .await
        .map_err(|e| StoreError::query("revoking consent", e))?;
    Ok(changed > 0)
}

/// The contact's current service consent.
pub async fn consent_of(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<ConsentState, StoreError> {
    let row = db
        .query_opt("SELECT consent FROM contacts WHERE id = $1", &[&contact_id])
        .await
        .map_err(|e| StoreError::query("reading consent", e))?
        .ok_or(StoreError::NotFound("contact"))?;
    read(&row, 0, "consent")
}

/// Both kinds of consent of a contact that was not erased, with who revoked
/// each last; `FOR UPDATE` when `lock` (inside a transaction).
pub async fn status_of(
    db: &impl GenericClient,
    contact_id: ContactId,
    lock: bool,
) -> Result<Option<ConsentStatus>, StoreError> {
    let last_opt_out = |kind: &str| {
        format!(
            "(SELECT e.actor FROM consent_events e
               WHERE e.contact_id = c.id AND e.kind = '{kind}' AND e.consent = 'opted_out'
               ORDER BY e.id DESC LIMIT 1)"
        )
    };
    let row = db
        .query_opt(
            &format!(
                "SELECT c.consent, c.marketing_consent, {}, {}
                   FROM contacts c
                  WHERE c.id = $1 AND c.erased_at IS NULL {}",
                last_opt_out("service"),
                last_opt_out("marketing"),
                if lock { "FOR UPDATE OF c" } else { "" },
            ),
            &[&contact_id],
        )
        .await
        .map_err(|e| StoreError::query("reading consent", e))?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(ConsentStatus {
        service: KindStatus {
            state: Some(read(&row, 0, "consent")?),
            last_opt_out_by: read(&row, 2, "consent")?,
        },
        marketing: KindStatus {
            state: read(&row, 1, "consent")?,
            last_opt_out_by: read(&row, 3, "consent")?,
        },
    }))
}

/// What an operator's opt-in came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOptIn {
    /// Recorded (`changed`: false when the contact was opted in already).
    Recorded { changed: bool },
    /// Not allowed: see the reason.
    Refused(OptInRefused),
    /// No such contact, or it was erased.
    NoSuchContact,
}

/// Records an operator's opt-in of `kind` (with `evidence`, required for
/// marketing) in the caller's transaction, after locking the contact and
/// checking `ConsentStatus::admin_may_opt_in` on what the lock shows.
pub async fn opt_in_by_admin(
    tx: &Transaction<'_>,
    contact_id: ContactId,
    kind: ConsentKind,
    evidence: Option<&ConsentEvidence>,
    detail: &str,
) -> Result<AdminOptIn, StoreError> {
    let Some(status) = status_of(tx, contact_id, true).await? else {
        return Ok(AdminOptIn::NoSuchContact);
    };
    if let Err(refused) = status.admin_may_opt_in(kind) {
        return Ok(AdminOptIn::Refused(refused));
    }
    let changed = record(
        tx,
        contact_id,
        &ConsentChange {
            kind,
            state: ConsentState::OptedIn,
            source: ConsentSource::Admin,
            detail: Some(detail),
            evidence,
        },
    )
    .await?;
    Ok(AdminOptIn::Recorded { changed })
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    pub kind: ConsentKind,
    pub state: ConsentState,
    pub source: ConsentSource,
    pub actor: ConsentActor,
    pub detail: Option<String>,
    pub evidence: Option<ConsentEvidence>,
    pub occurred_at: DateTime<Utc>,
}

/// Every consent change of a contact, oldest first.
pub async fn history(
    db: &impl GenericClient,
    contact_id: ContactId,
) -> Result<Vec<ConsentEvent>, StoreError> {
    let rows = db
        .query(
            "SELECT kind, consent, source, actor, detail,
                    evidence_source, consent_text, obtained_at, occurred_at
               FROM consent_events WHERE contact_id = $1
              ORDER BY occurred_at, id",
            &[&contact_id],
        )
        .await
        .map_err(|e| StoreError::query("reading the consent history", e))?;
    const WHAT: &str = "consent event";
    rows.iter()
        .map(|row| {
            let evidence_source: Option<String> = read(row, 5, WHAT)?;
            let consent_text: Option<String> = read(row, 6, WHAT)?;
            let obtained_at: Option<DateTime<Utc>> = read(row, 7, WHAT)?;
            Ok(ConsentEvent {
                kind: read(row, 0, WHAT)?,
                state: read(row, 1, WHAT)?,
                source: read(row, 2, WHAT)?,
                actor: read(row, 3, WHAT)?,
                detail: read(row, 4, WHAT)?,
                evidence: match (evidence_source, consent_text, obtained_at) {
                    (Some(source), Some(text), Some(at)) => {
                        Some(ConsentEvidence::stored(source, text, at))
                    }
                    _ => None,
                },
                occurred_at: read(row, 8, WHAT)?,
            })
        })
        .collect()
}

/// A column of a consent row; a value no vocabulary knows is corrupt data.
fn read<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    what: &'static str,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}
