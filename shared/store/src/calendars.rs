//! Calendar feeds and appointment links: the secrets in public `.ics` URLs,
//! and the appointments those URLs show.
//!
//! Owns making a random token (32 bytes, URL-safe base64) for a provider's
//! feed or for one appointment's link, keeping only its SHA-256, revoking a
//! feed, listing a provider's feeds (never a token: it cannot be read back),
//! finding what a presented token opens, and reading a provider's
//! appointments in a span of time with only what a calendar may show: the
//! service's name and the customer's first name (a feed may end up in a
//! shared calendar: no phone number, no full name). Must not render
//! iCalendar text nor build URLs (the admin API does both), nor decide which
//! span a feed shows.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use sha2::{Digest, Sha256};
use tokio_postgres::Row;

use smsbot_domain::{AppointmentId, AppointmentStatus, ProviderId};

use crate::StoreError;

/// Random bytes in a token: 256 bits, beyond guessing.
const TOKEN_BYTES: usize = 32;
/// Characters of a token: URL-safe base64 of [`TOKEN_BYTES`] without padding.
const TOKEN_CHARS: usize = 43;

/// A secret for a public URL, as made: shown once, stored only as its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainToken(String);

impl PlainToken {
    fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::fill(&mut bytes[..]);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The token as it goes into a URL.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainToken(<redacted>)")
    }
}

/// The stored form of a token; `None` for text that no token can be (so a
/// malformed URL costs no query).
fn hash_of(presented: &str) -> Option<Vec<u8>> {
    let well_formed = presented.len() == TOKEN_CHARS
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| Sha256::digest(presented.as_bytes()).to_vec())
}

/// A provider's feed as listed: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub id: i64,
    pub provider_id: ProviderId,
    pub created_at: DateTime<Utc>,
    /// Set once revoked: the URL no longer answers.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Feed {
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            provider_id: row.get("provider_id"),
            created_at: row.get("created_at"),
            revoked_at: row.get("revoked_at"),
        }
    }
}

/// A feed just made, with its token: the only time the token exists outside
/// the caller's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeed {
    pub feed: Feed,
    pub token: PlainToken,
}

/// Makes a feed of `provider`'s appointments; `None` when there is no such
/// provider.
pub async fn create_feed(
    db: &impl GenericClient,
    provider: ProviderId,
    now: DateTime<Utc>,
) -> Result<Option<NewFeed>, StoreError> {
    let token = PlainToken::generate();
    let hash = Sha256::digest(token.expose().as_bytes()).to_vec();
    let row = db
        .query_opt(
            "INSERT INTO calendar_feeds (provider_id, token_sha256, created_at)
             SELECT p.id, $2, $3 FROM providers p WHERE p.id = $1
             RETURNING id, provider_id, created_at, revoked_at",
            &[&provider, &hash, &now],
        )
        .await
        .map_err(|e| StoreError::query("making a calendar feed", e))?;
    Ok(row.map(|row| NewFeed {
        feed: Feed::from_row(&row),
        token,
    }))
}

/// `provider`'s feeds, revoked ones too, oldest first.
pub async fn feeds_of(
    db: &impl GenericClient,
    provider: ProviderId,
) -> Result<Vec<Feed>, StoreError> {
    let rows = db
        .query(
            "SELECT id, provider_id, created_at, revoked_at FROM calendar_feeds
              WHERE provider_id = $1 ORDER BY id",
            &[&provider],
        )
        .await
        .map_err(|e| StoreError::query("listing calendar feeds", e))?;
    Ok(rows.iter().map(Feed::from_row).collect())
}

/// Revokes feed `feed` (again: nothing changes); `None` when there is no
/// such feed.
pub async fn revoke_feed(
    db: &impl GenericClient,
    feed: i64,
    now: DateTime<Utc>,
) -> Result<Option<Feed>, StoreError> {
    let row = db
        .query_opt(
            "UPDATE calendar_feeds
                SET revoked_at = coalesce(revoked_at, greatest($2, created_at))
              WHERE id = $1
             RETURNING id, provider_id, created_at, revoked_at",
            &[&feed, &now],
        )
        .await
        .map_err(|e| StoreError::query("revoking a calendar feed", e))?;
    Ok(row.as_ref().map(Feed::from_row))
}

/// The provider whose feed `presented` opens, with the provider's name;
/// `None` for an unknown or revoked token.
pub async fn provider_of_feed(
    db: &impl GenericClient,
    presented: &str,
) -> Result<Option<(ProviderId, String)>, StoreError> {
    let Some(hash) = hash_of(presented) else {
        return Ok(None);
    };
    let row = db
        .query_opt(
            "SELECT p.id, p.name FROM calendar_feeds f JOIN providers p ON p.id = f.provider_id
              WHERE f.token_sha256 = $1 AND f.revoked_at IS NULL",
            &[&hash],
        )
        .await
        .map_err(|e| StoreError::query("opening a calendar feed", e))?;
    Ok(row.map(|row| (row.get(0), row.get(1))))
}

/// An appointment as a calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    pub appointment_id: AppointmentId,
    pub status: AppointmentStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `None`: booked without a service.
    pub service_name: Option<String>,
    pub provider_name: String,
    /// The first word of the customer's name, if the customer gave one.
    pub customer_first_name: Option<String>,
    /// When the row last changed (the event's LAST-MODIFIED).
    pub updated_at: DateTime<Utc>,
}

const ENTRY_COLUMNS: &str = "a.id, a.status, a.starts_at, a.ends_at, s.name AS service_name,
       p.name AS provider_name,
       nullif(split_part(btrim(c.name), ' ', 1), '') AS customer_first_name,
       a.updated_at";

const ENTRY_JOINS: &str = "appointments a
       JOIN providers p ON p.id = a.provider_id
       JOIN contacts c ON c.id = a.contact_id
       LEFT JOIN services s ON s.id = a.service_id";

impl CalendarEntry {
    fn from_row(row: &Row) -> Self {
        Self {
            appointment_id: row.get("id"),
            status: row.get("status"),
            starts_at: row.get("starts_at"),
            ends_at: row.get("ends_at"),
            service_name: row.get("service_name"),
            provider_name: row.get("provider_name"),
            customer_first_name: row.get("customer_first_name"),
            updated_at: row.get("updated_at"),
        }
    }
}

/// `provider`'s appointments starting in `[from, to)` that took or take
/// place (cancelled ones are left out), in start order.
pub async fn entries_of_provider(
    db: &impl GenericClient,
    provider: ProviderId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CalendarEntry>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM {ENTRY_JOINS}
                  WHERE a.provider_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3
                    AND a.status <> 'cancelled'
                  ORDER BY a.starts_at, a.id"
            ),
            &[&provider, &from, &to],
        )
        .await
        .map_err(|e| StoreError::query("reading a provider's calendar", e))?;
    Ok(rows.iter().map(CalendarEntry::from_row).collect())
}

/// Makes a link token for `appointment`; `None` when there is no such
/// appointment. Every call makes a new one; all of them keep working.
pub async fn create_appointment_link(
    db: &impl GenericClient,
    appointment: AppointmentId,
    now: DateTime<Utc>,
) -> Result<Option<PlainToken>, StoreError> {
    let token = PlainToken::generate();
    let hash = Sha256::digest(token.expose().as_bytes()).to_vec();
    let inserted = db
        .execute(
            "INSERT INTO appointment_calendar_links (appointment_id, token_sha256, created_at)
             SELECT a.id, $2, $3 FROM appointments a WHERE a.id = $1",
            &[&appointment, &hash, &now],
        )
        .await
        .map_err(|e| StoreError::query("making an appointment's calendar link", e))?;
    Ok((inserted == 1).then_some(token))
}

/// The appointment a link token opens, whatever its status; `None` for an
/// unknown token.
pub async fn entry_of_link(
    db: &impl GenericClient,
    presented: &str,
) -> Result<Option<CalendarEntry>, StoreError> {
    let Some(hash) = hash_of(presented) else {
        return Ok(None);
    };
    let row = db
        .query_opt(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM {ENTRY_JOINS}
                   JOIN appointment_calendar_links l ON l.appointment_id = a.id
                  WHERE l.token_sha256 = $1"
            ),
            &[&hash],
        )
        .await
        .map_err(|e| StoreError::query("opening an appointment's calendar link", e))?;
    Ok(row.as_ref().map(CalendarEntry::from_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let a = PlainToken::generate();
        let b = PlainToken::generate();
        assert_eq!(a.expose().len(), TOKEN_CHARS);
        assert!(hash_of(a.expose()).is_some());
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "PlainToken(<redacted>)");
    }

    #[test]
    fn text_that_no_token_can_be_needs_no_lookup() {
        for presented in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
        ] {
            assert_eq!(hash_of(presented), None, "{presented}");
        }
    }
}
