//! Contacts: who we text, their details and their erasure.
//!
//! Owns the `contacts` table's identity and detail columns; consent (its columns
//! and the `consent_events` audit trail) is `crate::consent`, except the first
//! consent events of a contact, written in the statement that creates it.

use deadpool_postgres::GenericClient;
use smsbot_domain::consent::OptInRefused;
use smsbot_domain::{ConsentEvidence, ConsentKind, ConsentSource, ConsentState};

use crate::StoreError;
use crate::consent::{self, AdminOptIn, set_consent};

pub use smsbot_domain::ContactId;

/// Finds the contact with this number or creates it with service consent only
/// (source `inbound`: someone who texts us may be answered, not marketed to),
/// recorded as the contact's first consent event. Safe under concurrent first
/// messages.
pub async fn find_or_create_by_phone(
    db: &impl GenericClient,
    phone: &smsbot_domain::PhoneNumber,
) -> Result<ContactId, StoreError> {
    db.query_one(
        "WITH contact AS (
             INSERT INTO contacts (phone, consent, consent_source) VALUES ($1, 'opted_in', $2)
             ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone
             RETURNING id, xmax = 0 AS created
         ), audit AS (
             INSERT INTO consent_events (contact_id, kind, consent, source, actor, detail)
             SELECT id, 'service', 'opted_in', $2, $3, 'first text message'
               FROM contact WHERE created
         )
         SELECT id FROM contact",
        &[
            &phone.as_e164(),
            &ConsentSource::Inbound,
            &ConsentSource::Inbound.actor(),
        ],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query("finding or creating a contact", e))
}

// --- Reading, creating, editing and erasing contacts (the admin API). -----------
// Erased contacts (personal data removed, `erased_at` set) are invisible here:
// every function below treats them as gone.

/// A contact whose personal data has not been erased.
#[derive(Debug, Clone)]
pub struct Contact {
    pub id: ContactId,
    pub phone: smsbot_domain::PhoneNumber,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub tags: Vec<String>,
    /// Service consent: answers, confirmations, reminders.
    pub consent: ConsentState,
    pub consent_source: String,
    pub consent_changed_at: chrono::DateTime<chrono::Utc>,
    /// Marketing consent (broadcasts); `None` until first given.
    pub marketing_consent: Option<ConsentState>,
    pub marketing_consent_changed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const CONTACT_COLUMNS: &str = "id, phone, name, timezone, tags, consent, consent_source, \
     consent_changed_at, marketing_consent, marketing_consent_changed_at, created_at";

fn contact_from_row(row: &tokio_postgres::Row) -> Result<Contact, StoreError> {
    let phone: Option<String> = row.get("phone");
    let phone = phone
        .as_deref()
        .map(smsbot_domain::PhoneNumber::parse_e164)
        .transpose()
        .map_err(|e| StoreError::Corrupt {
            what: "contact phone",
            detail: e.to_string(),
        })?
        .ok_or_else(|| StoreError::Corrupt {
            what: "contact phone",
            detail: "missing on a contact that was not erased".to_owned(),
        })?;
    let corrupt = |e: tokio_postgres::Error| StoreError::Corrupt {
        what: "consent",
        detail: e.to_string(),
    };
    Ok(Contact {
        id: row.get("id"),
        phone,
        name: row.get("name"),
        timezone: row.get("timezone"),
        tags: row.get("tags"),
        consent: row.try_get("consent").map_err(corrupt)?,
        consent_source: row.get("consent_source"),
        consent_changed_at: row.get("consent_changed_at"),
        marketing_consent: row.try_get("marketing_consent").map_err(corrupt)?,
        marketing_consent_changed_at: row.get("marketing_consent_changed_at"),
        created_at: row.get("created_at"),
    })
}

/// A contact an operator adds (fields already validated by the caller).
#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    pub phone: &'a smsbot_domain::PhoneNumber,
    pub name: Option<&'a str>,
    pub timezone: Option<&'a str>,
    pub tags: &'a [String],
    /// Service consent.
    pub consent: ConsentState,
    pub source: ConsentSource,
    /// Marketing consent, given only with its proof (and only with service
    /// consent: the database refuses marketing for an opted-out contact).
    pub marketing: Option<&'a ConsentEvidence>,
}

/// Creates a contact and records its initial consent of each kind given as its
/// first consent events, in one statement. A number that already belongs to a
/// contact is a `StoreError::Conflict`.
pub async fn insert(
    db: &impl GenericClient,
    contact: &NewContact<'_>,
) -> Result<Contact, StoreError> {
    let marketing = contact.marketing;
    let row = db
        .query_one(
            &format!(
                "WITH created AS (
                     INSERT INTO contacts (phone, name, timezone, tags, consent, consent_source,
                                           marketing_consent, marketing_consent_source,
                                           marketing_consent_changed_at)
                     SELECT $1, $2, $3, $4, $5, $6, m.state, m.source, m.at
                       FROM (SELECT CASE WHEN $8::text IS NULL THEN NULL ELSE 'opted_in' END,
                                    CASE WHEN $8::text IS NULL THEN NULL ELSE $6::text END,
                                    CASE WHEN $8::text IS NULL THEN NULL ELSE now() END)
                            AS m(state, source, at)
                     RETURNING {CONTACT_COLUMNS}
                 ), audit AS (
                     INSERT INTO consent_events (contact_id, kind, consent, source, actor, detail,
                                                 evidence_source, consent_text, obtained_at)
                     SELECT id, 'service', consent, consent_source, $7::text, 'contact created',
                            NULL::text, NULL::text, NULL::timestamptz
                       FROM created
                     UNION ALL
                     SELECT id, 'marketing', marketing_consent, consent_source, $7::text,
                            'contact created', $8::text, $9::text, $10::timestamptz
                       FROM created WHERE marketing_consent IS NOT NULL
                 )
                 SELECT {CONTACT_COLUMNS} FROM created"
            ),
            &[
                &contact.phone.as_e164(),
                &contact.name,
                &contact.timezone,
                &contact.tags,
                &contact.consent,
                &contact.source,
                &contact.source.actor(),
                &marketing.map(ConsentEvidence::source),
                &marketing.map(ConsentEvidence::consent_text),
                &marketing.map(ConsentEvidence::obtained_at),
            ],
        )
        .await
        .map_err(|e| StoreError::query("creating a contact", e))?;
    contact_from_row(&row)
}

/// The contact with this id, unless it does not exist or was erased.
pub async fn find_active(
    db: &impl GenericClient,
    id: ContactId,
) -> Result<Option<Contact>, StoreError> {
    db.query_opt(
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1 AND erased_at IS NULL"),
        &[&id],
    )
    .await
    .map_err(|e| StoreError::query("reading a contact", e))?
    .as_ref()
    .map(contact_from_row)
    .transpose()
}

/// Gives the contact a name unless they have one (a name the desk heard on
/// the phone must not overwrite the one the customer gave).
pub async fn name_if_unnamed(
    db: &impl GenericClient,
    id: ContactId,
    name: &str,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE contacts SET name = $2, updated_at = now() WHERE id = $1 AND name IS NULL",
        &[&id, &name],
    )
    .await
    .map_err(|e| StoreError::query("naming a contact", e))?;
    Ok(())
}

/// Filters of a contact listing; `None` means any.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactFilter<'a> {
    /// Service consent.
    pub consent: Option<ConsentState>,
    /// Contacts carrying this tag.
    pub tag: Option<&'a str>,
}

/// Contacts that were not erased, in id order after `after`.
pub async fn list_active(
    db: &impl GenericClient,
    filter: ContactFilter<'_>,
    after: Option<ContactId>,
    limit: i64,
) -> Result<Vec<Contact>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts
                  WHERE erased_at IS NULL
                    AND ($1::text IS NULL OR consent = $1)
                    AND ($2::text IS NULL OR tags @> ARRAY[$2::text])
                    AND ($3::bigint IS NULL OR id > $3)
                  ORDER BY id
                  LIMIT $4"
            ),
            &[&filter.consent, &filter.tag, &after, &limit],
        )
        .await
        .map_err(|e| StoreError::query("listing contacts", e))?;
    rows.iter().map(contact_from_row).collect()
}

/// Changes an operator makes; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactChanges<'a> {
    pub name: Option<Option<&'a str>>,
    pub timezone: Option<Option<&'a str>>,
    pub tags: Option<&'a [String]>,
    /// A new service consent set by an operator, with an audit event: an
    /// opt-out revokes both kinds; an opt-in is refused where only the
    /// customer may give consent back (see `consent::opt_in_by_admin`).
    pub consent: Option<ConsentState>,
}

/// What an operator's change came to.
#[derive(Debug, Clone)]
pub enum Updated {
    Contact(Contact),
    /// No such contact, or it was erased.
    NotFound,
    /// Nothing was changed: the consent change is not the operator's to make.
    ConsentRefused(OptInRefused),
}

/// Applies `changes` in one transaction, all or nothing.
pub async fn update_details(
    pool: &crate::Pool,
    id: ContactId,
    changes: &ContactChanges<'_>,
) -> Result<Updated, StoreError> {
    const CONTEXT: &str = "updating a contact";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let (set_name, name) = split_change(changes.name);
    let (set_timezone, timezone) = split_change(changes.timezone);
    let updated = tx
        .execute(
            "UPDATE contacts
                SET name = CASE WHEN $2 THEN $3 ELSE name END,
                    timezone = CASE WHEN $4 THEN $5 ELSE timezone END,
                    tags = COALESCE($6, tags),
                    updated_at = now()
              WHERE id = $1 AND erased_at IS NULL",
            &[
                &id,
                &set_name,
                &name,
                &set_timezone,
                &timezone,
                &changes.tags,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if updated == 0 {
        return Ok(Updated::NotFound);
    }
    const DETAIL: &str = "changed through the admin API";
    match changes.consent {
        Some(ConsentState::OptedOut) => {
            set_consent(
                &tx,
                id,
                ConsentState::OptedOut,
                ConsentSource::Admin,
                Some(DETAIL),
            )
            .await?;
        }
        Some(ConsentState::OptedIn) => {
            match consent::opt_in_by_admin(&tx, id, ConsentKind::Service, None, DETAIL).await? {
                AdminOptIn::Recorded { .. } => {}
                AdminOptIn::Refused(refused) => return Ok(Updated::ConsentRefused(refused)),
                AdminOptIn::NoSuchContact => return Ok(Updated::NotFound),
            }
        }
        None => {}
    }
    let Some(contact) = find_active(&tx, id).await? else {
        return Ok(Updated::NotFound);
    };
    tx.commit()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(Updated::Contact(contact))
}

fn split_change<T>(change: Option<Option<T>>) -> (bool, Option<T>) {
    match change {
        Some(value) => (true, value),
        None => (false, None),
    }
}

/// Erases a contact's personal data: phone, name, timezone, tags, message bodies
/// and conversation state. The row and its consent events stay, so the proof of
/// consent outlives the data; the erasure itself is recorded as an opt-out event
/// (source `admin`), so nothing can text the contact afterwards. Returns false
/// when the contact does not exist or was already erased.
pub async fn erase(pool: &crate::Pool, id: ContactId) -> Result<bool, StoreError> {
    const CONTEXT: &str = "erasing a contact";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    let locked = tx
        .query_opt(
            "SELECT id FROM contacts WHERE id = $1 AND erased_at IS NULL FOR UPDATE",
            &[&id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if locked.is_none() {
        return Ok(false);
    }
    set_consent(
        &tx,
        id,
        ConsentState::OptedOut,
        ConsentSource::Admin,
        Some("personal data erased"),
    )
    .await?;
    tx.execute(
        "UPDATE contacts
            SET phone = NULL, name = NULL, timezone = NULL, tags = '{}',
                erased_at = now(), updated_at = now()
          WHERE id = $1",
        &[&id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    crate::messages::erase_bodies_of(&tx, id).await?;
    // The conversation payload may quote what the contact wrote.
    tx.execute("DELETE FROM conversations WHERE contact_id = $1", &[&id])
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    tx.commit()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(true)
}

/// A cheap query proving the database answers and is migrated (health checks).
pub async fn probe(db: &impl GenericClient) -> Result<(), StoreError> {
    db.query_opt("SELECT 1 FROM contacts LIMIT 1", &[])
        .await
        .map(|_| ())
        .map_err(|e| StoreError::query("probing the database", e))
}

// --- Numbers Twilio refused: the sender marks them, campaigns skip them. ----------

/// Records that Twilio refused this contact's number as invalid (21211, 21614, …):
/// campaigns skip it until the number changes (a trigger clears the mark then).
pub async fn mark_phone_invalid(
    db: &impl GenericClient,
    contact_id: ContactId,
    code: Option<i32>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE contacts SET phone_invalid_at = now(), phone_invalid_code = $2, updated_at = now()
          WHERE id = $1 AND phone IS NOT NULL",
        &[&contact_id, &code],
    )
    .await
    .map_err(|e| StoreError::query("marking a number invalid", e))?;
    Ok(())
}
