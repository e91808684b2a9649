//! The business profile operators keep through the admin API, over the one
//! the settings give.
//!
//! Owns the `business_profile` row (overrides of the name, address, phone,
//! website and hours) and the `faq_entries` table. The rule for what applies
//! (the *effective* profile), used by the conversation and the admin API
//! alike through [`effective`]:
//!
//! - each field is the operator's value where one is stored, else the
//!   setting's (`BUSINESS_NAME`, `BUSINESS_ADDRESS`, …); clearing an override
//!   (storing NULL) brings the setting back;
//! - the FAQ is the settings' `BUSINESS_FAQ` until the first entry is added
//!   through the API. That addition copies the settings' entries into the
//!   table first (so nothing an operator saw disappears) and marks the FAQ as
//!   the operators' (`faq_from_admin`); from then on the stored entries are
//!   the FAQ, whatever `BUSINESS_FAQ` says, and deleting them all leaves none.
//!
//! Reading the profile is one query, cheap enough for every turn. Must not
//! decide what a customer is told, nor validate beyond the domain types it
//! stores (the admin API refuses bad input; the checks of the table stop the
//! rest).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::business_profile::MAX_FAQ_ENTRIES;
use smsbot_domain::{Faq, FaqEntry, FaqEntryId, Website};
use tokio_postgres::Row;

use crate::{Pool, StoreError};

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The settings (environment): nothing stored overrides them.
    Settings,
    /// An operator, through the admin API.
    Admin,
}

/// A value of the effective profile and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// This module's rule: the operator's value where one is stored, else the
/// setting's.
pub fn effective<T>(stored: Option<T>, setting: T) -> Sourced<T> {
    match stored {
        Some(value) => Sourced {
            value,
            source: Source::Admin,
        },
        None => Sourced {
            value: setting,
            source: Source::Settings,
        },
    }
}

/// A FAQ entry kept through the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFaqEntry {
    pub id: FaqEntryId,
    pub entry: FaqEntry,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What operators stored; `None` everywhere means the settings apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredProfile {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<Website>,
    /// Weekly hours as written (`mon-fri 09:00-17:00; sat 10:00-14:00`).
    pub hours: Option<String>,
    /// `Some` once operators took the FAQ over (see the module's rule): the
    /// FAQ, in order, possibly empty.
    pub faq: Option<Vec<StoredFaqEntry>>,
    /// When an operator last changed a field (not the FAQ).
    pub updated_at: Option<DateTime<Utc>>,
}

impl StoredProfile {
    /// Whether nothing stored overrides the settings.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.address.is_none()
            && self.phone.is_none()
            && self.website.is_none()
            && self.hours.is_none()
            && self.faq.is_none()
    }
}

const CORRUPT: &str = "business profile";

fn corrupt(detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: CORRUPT,
        detail: detail.to_string(),
    }
}

/// The name operators gave the business, if any: what reminders and
/// campaign messages sign with instead of `BUSINESS_NAME`.
pub async fn stored_name(db: &impl GenericClient) -> Result<Option<String>, StoreError> {
    Ok(db
        .query_opt("SELECT name FROM business_profile WHERE id = 1", &[])
        .await
        .map_err(|e| StoreError::query("reading the business's name", e))?
        .and_then(|row| row.get(0)))
}

/// The stored profile and, once operators took it over, its FAQ: one query.
pub async fn load(db: &impl GenericClient) -> Result<StoredProfile, StoreError> {
    let rows = db
        .query(
            "SELECT p.name, p.address, p.phone, p.website, p.hours, p.faq_from_admin,
                    p.updated_at, f.id, f.question, f.answer, f.created_at, f.updated_at
               FROM business_profile p
               LEFT JOIN faq_entries f ON p.faq_from_admin
              WHERE p.id = 1
              ORDER BY f.position, f.id",
            &[],
        )
        .await
        .map_err(|e| StoreError::query("reading the business profile", e))?;
    let Some(first) = rows.first() else {
        return Ok(StoredProfile::default());
    };
    let website: Option<String> = first.get(3);
    let faq = if first.get::<_, bool>(5) {
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(id) = row.get::<_, Option<FaqEntryId>>(7) {
                entries.push(faq_entry(row, id, 8)?);
            }
        }
        Some(entries)
    } else {
        None
    };
    Ok(StoredProfile {
        name: first.get(0),
        address: first.get(1),
        phone: first.get(2),
        website: website
            .map(|w| Website::parse(&w).map_err(corrupt))
            .transpose()?,
        hours: first.get(4),
        faq,
        updated_at: first.get(6),
    })
}

/// A FAQ entry from `row`: its question, answer, created_at and updated_at
/// from column `from` on.
fn faq_entry(row: &Row, id: FaqEntryId, from: usize) -> Result<StoredFaqEntry, StoreError> {
    let question: String = row.get(from);
    let answer: String = row.get(from + 1);
    Ok(StoredFaqEntry {
        id,
        entry: FaqEntry::parse(&question, &answer).map_err(corrupt)?,
        created_at: row.get(from + 2),
        updated_at: row.get(from + 3),
    })
}

/// A change of the overrides: `None` leaves a field, `Some(None)` clears the
/// override (the setting applies again), `Some(Some(v))` sets it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileChanges<'a> {
    pub name: Option<Option<&'a str>>,
    pub address: Option<Option<&'a str>>,
    pub phone: Option<Option<&'a str>>,
    pub website: Option<Option<&'a Website>>,
    pub hours: Option<Option<&'a str>>,
}

fn split<T>(change: Option<Option<T>>) -> (bool, Option<T>) {
    match change {
        Some(value) => (true, value),
        None => (false, None),
    }
}

/// The profile's one row, created if it went missing.
async fn ensure_row(db: &impl GenericClient, context: &'static str) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO business_profile (id) VALUES (1) ON CONFLICT (id) DO NOTHING",
        &[],
    )
    .await
    .map(drop)
    .map_err(|e| StoreError::query(context, e))
}

/// Applies `changes` and returns what is stored afterwards.
pub async fn update(
    pool: &Pool,
    changes: &ProfileChanges<'_>,
    now: DateTime<Utc>,
) -> Result<StoredProfile, StoreError> {
    const CONTEXT: &str = "changing the business profile";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    ensure_row(&tx, CONTEXT).await?;
    let (set_name, name) = split(changes.name);
    let (set_address, address) = split(changes.address);
    let (set_phone, phone) = split(changes.phone);
    let (set_website, website) = split(changes.website);
    let website = website.map(Website::as_str);
    let (set_hours, hours) = split(changes.hours);
    tx.execute(
        "UPDATE business_profile
            SET name = CASE WHEN $1 THEN $2 ELSE name END,
                address = CASE WHEN $3 THEN $4 ELSE address END,
                phone = CASE WHEN $5 THEN $6 ELSE phone END,
                website = CASE WHEN $7 THEN $8 ELSE website END,
                hours = CASE WHEN $9 THEN $10 ELSE hours END,
                updated_at = $11
          WHERE id = 1",
        &[
            &set_name,
            &name,
            &set_address,
            &address,
            &set_phone,
            &phone,
            &set_website,
            &website,
            &set_hours,
            &hours,
            &now,
        ],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    let stored = load(&tx).await?;
    tx.commit()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(stored)
}

/// Whether a FAQ entry was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaqAdded {
    Added(StoredFaqEntry),
    /// The FAQ holds the most entries it may: nothing was changed.
    Full,
}

/// Adds `entry` at the end of the FAQ. The first addition takes the FAQ
/// over from the settings: `settings`' entries are copied in first, in the
/// same transaction (see the module's rule).
pub async fn add_faq_entry(
    pool: &Pool,
    settings: &Faq,
    entry: &FaqEntry,
    now: DateTime<Utc>,
) -> Result<FaqAdded, StoreError> {
    const CONTEXT: &str = "adding a FAQ entry";
    let mut client = pool.get().await.map_err(|e| StoreError::pool(CONTEXT, e))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    ensure_row(&tx, CONTEXT).await?;
    // The row lock orders concurrent additions (and the one takeover).
    let taken_over: bool = tx
        .query_one(
            "SELECT faq_from_admin FROM business_profile WHERE id = 1 FOR UPDATE",
            &[],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .get(0);
    if !taken_over {
        for copied in settings.entries() {
            insert_entry(&tx, copied, now, CONTEXT).await?;
        }
        tx.execute(
            "UPDATE business_profile SET faq_from_admin = true WHERE id = 1",
            &[],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    }
    let count: i64 = tx
        .query_one("SELECT count(*) FROM faq_entries", &[])
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .get(0);
    if count >= MAX_FAQ_ENTRIES as i64 {
        // Rolled back: not even the takeover happens.
        return Ok(FaqAdded::Full);
    }
    let added = insert_entry(&tx, entry, now, CONTEXT).await?;
    tx.commit()
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(FaqAdded::Added(added))
}

async fn insert_entry(
    db: &impl GenericClient,
    entry: &FaqEntry,
    now: DateTime<Utc>,
    context: &'static str,
) -> Result<StoredFaqEntry, StoreError> {
    let row = db
        .query_one(
            "INSERT INTO faq_entries (question, answer, position, created_at, updated_at)
             SELECT $1, $2, COALESCE(max(position), 0) + 1, $3, $3 FROM faq_entries
             RETURNING id, question, answer, created_at, updated_at",
            &[&entry.question(), &entry.answer(), &now],
        )
        .await
        .map_err(|e| StoreError::query(context, e))?;
    faq_entry(&row, row.get(0), 1)
}

/// A change of one entry: `None` keeps that part.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaqChanges<'a> {
    pub question: Option<&'a str>,
    pub answer: Option<&'a str>,
}

/// Changes a stored entry; `None` when there is no such entry.
pub async fn update_faq_entry(
    db: &impl GenericClient,
    id: FaqEntryId,
    changes: &FaqChanges<'_>,
    now: DateTime<Utc>,
) -> Result<Option<StoredFaqEntry>, StoreError> {
    const CONTEXT: &str = "changing a FAQ entry";
    let row = db
        .query_opt(
            "UPDATE faq_entries
                SET question = COALESCE($2, question),
                    answer = COALESCE($3, answer),
                    updated_at = $4
              WHERE id = $1
              RETURNING id, question, answer, created_at, updated_at",
            &[&id, &changes.question, &changes.answer, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    row.map(|row| faq_entry(&row, row.get(0), 1)).transpose()
}

/// Deletes a stored entry; false when there is no such entry.
pub async fn delete_faq_entry(db: &impl GenericClient, id: FaqEntryId) -> Result<bool, StoreError> {
    db.execute("DELETE FROM faq_entries WHERE id = $1", &[&id])
        .await
        .map(|deleted| deleted > 0)
        .map_err(|e| StoreError::query("deleting a FAQ entry", e))
}
