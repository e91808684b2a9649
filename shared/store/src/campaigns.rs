//! Campaigns: what is sent, to whom, when, and how far it got.
//!
//! Owns the `campaigns` table's rows as the admin API and the dispatcher see them.
//! Status changes are compare-and-set (`set_status` succeeds only from the status
//! the caller read), so two operators, or an operator and the dispatcher, cannot
//! both win a race. Which transitions are allowed is decided by the caller; this
//! module must not hold that rule.

use chrono::{DateTime, NaiveTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::StoreError;

pub use smsbot_domain::CampaignId;

pub use smsbot_domain::{CampaignKind, CampaignStatus};

/// One campaign row with its counters.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    pub template: String,
    pub audience: serde_json::Value,
    pub starts_at: Option<DateTime<Utc>>,
    pub quiet_start: NaiveTime,
    pub quiet_end: NaiveTime,
    pub rate_per_second: i32,
    pub status: CampaignStatus,
    /// Set by the dispatcher when it first picked the audience: the campaign started.
    pub recipients_materialised_at: Option<DateTime<Utc>>,
    pub targeted: i32,
    pub sent: i32,
    pub delivered: i32,
    pub failed: i32,
    pub skipped_consent: i32,
    /// Recipients a marketing limit stopped (frequency cap, no common window).
    pub skipped_limit: i32,
    pub deferred_quiet: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, name, kind, template, audience, starts_at, quiet_start, quiet_end,
    rate_per_second, status, recipients_materialised_at, targeted, sent, delivered, failed,
    skipped_consent, skipped_limit, deferred_quiet, created_at, updated_at";

fn from_row(row: &Row) -> Result<Campaign, StoreError> {
    let vocabulary = |what: &'static str| {
        move |e: tokio_postgres::Error| StoreError::Corrupt {
            what,
            detail: e.to_string(),
        }
    };
    Ok(Campaign {
        id: row.get("id"),
        name: row.get("name"),
        kind: row.try_get("kind").map_err(vocabulary("campaign kind"))?,
        template: row.get("template"),
        audience: row.get("audience"),
        starts_at: row.get("starts_at"),
        quiet_start: row.get("quiet_start"),
        quiet_end: row.get("quiet_end"),
        rate_per_second: row.get("rate_per_second"),
        status: row
            .try_get("status")
            .map_err(vocabulary("campaign status"))?,
        recipients_materialised_at: row.get("recipients_materialised_at"),
        targeted: row.get("targeted"),
        sent: row.get("sent"),
        delivered: row.get("delivered"),
        failed: row.get("failed"),
        skipped_consent: row.get("skipped_consent"),
        skipped_limit: row.get("skipped_limit"),
        deferred_quiet: row.get("deferred_quiet"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}

/// A campaign as an operator drafts it (already validated by the caller).
#[derive(Debug, Clone)]
pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub kind: CampaignKind,
    pub template: &'a str,
    pub audience: &'a serde_json::Value,
    pub starts_at: Option<DateTime<Utc>>,
    pub quiet_start: NaiveTime,
    pub quiet_end: NaiveTime,
    pub rate_per_second: i32,
}

/// Creates a campaign in `draft`.
pub async fn create(
    db: &impl GenericClient,
    campaign: &NewCampaign<'_>,
) -> Result<Campaign, StoreError> {
    let row = db
        .query_one(
            &format!(
                "INSERT INTO campaigns (name, kind, template, audience, starts_at,
                                        quiet_start, quiet_end, rate_per_second)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 RETURNING {COLUMNS}"
            ),
            &[
                &campaign.name,
                &campaign.kind,
                &campaign.template,
                campaign.audience,
                &campaign.starts_at,
                &campaign.quiet_start,
                &campaign.quiet_end,
                &campaign.rate_per_second,
            ],
        )
        .await
        .map_err(|e| StoreError::query("creating a campaign", e))?;
    from_row(&row)
}

pub async fn get(db: &impl GenericClient, id: CampaignId) -> Result<Option<Campaign>, StoreError> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1"),
        &[&id],
    )
    .await
    .map_err(|e| StoreError::query("reading a campaign", e))?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Campaigns in id order after `after`, optionally with one status.
pub async fn list(
    db: &impl GenericClient,
    status: Option<CampaignStatus>,
    after: Option<CampaignId>,
    limit: i64,
) -> Result<Vec<Campaign>, StoreError> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM campaigns
                  WHERE ($1::text IS NULL OR status = $1)
                    AND ($2::bigint IS NULL OR id > $2)
                  ORDER BY id
                  LIMIT $3"
            ),
            &[&status, &after, &limit],
        )
        .await
        .map_err(|e| StoreError::query("listing campaigns", e))?;
    rows.iter().map(from_row).collect()
}

/// Fields an operator may change; `None` leaves a field as it is. `starts_at`
/// is doubly optional: `Some(None)` clears the start time.
#[derive(Debug, Clone, Default)]
pub struct CampaignChanges<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<CampaignKind>,
    pub template: Option<&'a str>,
    pub audience: Option<&'a serde_json::Value>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub quiet_start: Option<NaiveTime>,
    pub quiet_end: Option<NaiveTime>,
    pub rate_per_second: Option<i32>,
}

/// Applies `changes` only while the campaign is in one of `editable` statuses.
/// `Ok(None)` when no such row exists in such a status (the caller tells apart
/// "not found" from "not editable" with `get`).
pub async fn update(
    db: &impl GenericClient,
    id: CampaignId,
    editable: &[CampaignStatus],
    changes: &CampaignChanges<'_>,
) -> Result<Option<Campaign>, StoreError> {
    let (set_start, starts_at) = match changes.starts_at {
        Some(value) => (true, value),
        None => (false, None),
    };
    db.query_opt(
        &format!(
            "UPDATE campaigns
                SET name = COALESCE($3, name),
                    kind = COALESCE($4, kind),
                    template = COALESCE($5, template),
                    audience = COALESCE($6, audience),
                    starts_at = CASE WHEN $7 THEN $8 ELSE starts_at END,
                    quiet_start = COALESCE($9, quiet_start),
                    quiet_end = COALESCE($10, quiet_end),
                    rate_per_second = COALESCE($11, rate_per_second),
                    updated_at = now()
              WHERE id = $1 AND status = ANY($2)
              RETURNING {COLUMNS}"
        ),
        &[
            &id,
            &editable,
            &changes.name,
            &changes.kind,
            &changes.template,
            &changes.audience,
            &set_start,
            &starts_at,
            &changes.quiet_start,
            &changes.quiet_end,
            &changes.rate_per_second,
        ],
    )
    .await
    .map_err(|e| StoreError::query("updating a campaign", e))?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Moves a campaign from `expected` to `next` if it still shows `expected`.
/// Entering `scheduled` without a start time sets it to now (send as soon as
/// possible). `Ok(None)` when the row is gone or its status moved meanwhile.
pub async fn set_status(
    db: &impl GenericClient,
    id: CampaignId,
    expected: CampaignStatus,
    next: CampaignStatus,
) -> Result<Option<Campaign>, StoreError> {
    db.query_opt(
        &format!(
            "UPDATE campaigns
                SET status = $3,
                    starts_at = CASE WHEN $3::text = 'scheduled' THEN COALESCE(starts_at, now())
                                     ELSE starts_at END,
                    updated_at = now()
              WHERE id = $1 AND status = $2
              RETURNING {COLUMNS}"
        ),
        &[&id, &expected, &next],
    )
    .await
    .map_err(|e| StoreError::query("changing a campaign's status", e))?
    .as_ref()
    .map(from_row)
    .transpose()
}

// --- The dispatcher's lease on a due campaign. -----------------------------------
//
// A tick never holds the campaign row while it talks to SQS: it claims the
// campaign with a lease (a token and an expiry on the row, migration V5) in one
// short statement, does its work in short transactions that each check the token
// is still there, and releases the lease at the end. Another tick skips a leased
// campaign until the lease is released or has run out (its tick died).

/// Which tick holds a campaign's dispatch lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseToken(pub i64);

/// The campaigns due at `now`: running, or scheduled with their start come.
const DUE: &str = "(status = 'running' OR (status = 'scheduled' AND starts_at <= $1))";

/// Not leased, or the lease ran out by `now`.
const FREE: &str = "(dispatch_lease_until IS NULL OR dispatch_lease_until <= $1)";

/// Claims the next campaign (by id, after `after`) that is due at `now` and not
/// leased by another tick, leasing it until `until`. Each claim is its own
/// statement (autocommit): the lease is visible to other ticks at once and no row
/// stays locked. A campaign another tick claimed meanwhile is passed over.
pub async fn claim_next_due(
    db: &impl GenericClient,
    now: DateTime<Utc>,
    after: CampaignId,
    until: DateTime<Utc>,
) -> Result<Option<(Campaign, LeaseToken)>, StoreError> {
    const CONTEXT: &str = "claiming a due campaign";
    let mut after = after;
    loop {
        let Some(candidate) = db
            .query_opt(
                &format!(
                    "SELECT id FROM campaigns WHERE id > $2 AND {DUE} AND {FREE}
                      ORDER BY id LIMIT 1"
                ),
                &[&now, &after],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?
        else {
            return Ok(None);
        };
        let id: CampaignId = candidate.get(0);
        // Re-checked under the row lock the UPDATE takes: of two ticks that saw
        // the campaign free, one sets the lease and the other finds it taken.
        let claimed = db
            .query_opt(
                &format!(
                    "UPDATE campaigns
                        SET dispatch_lease_until = $3,
                            dispatch_lease_token = nextval('campaign_dispatch_lease_tokens')
                      WHERE id = $2 AND {DUE} AND {FREE}
                      RETURNING {COLUMNS}, dispatch_lease_token"
                ),
                &[&now, &id, &until],
            )
            .await
            .map_err(|e| StoreError::query(CONTEXT, e))?;
        match claimed {
            Some(row) => {
                let token = LeaseToken(row.get("dispatch_lease_token"));
                return Ok(Some((from_row(&row)?, token)));
            }
            None => after = id,
        }
    }
}

/// Locks a campaign for the rest of the caller's (short) transaction, if the
/// lease `token` is still on it; reads it afresh (an operator may have edited or
/// paused it since the claim). `Ok(None)` when the lease was lost.
pub async fn lock_leased(
    tx: &impl GenericClient,
    id: CampaignId,
    token: LeaseToken,
) -> Result<Option<Campaign>, StoreError> {
    tx.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM campaigns
              WHERE id = $1 AND dispatch_lease_token = $2
              FOR UPDATE"
        ),
        &[&id, &token.0],
    )
    .await
    .map_err(|e| StoreError::query("locking a leased campaign", e))?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Extends the lease `token` holds to `until`. Returns whether the token was
/// still on the row (false: the lease ran out and another tick took the
/// campaign, so the caller must roll back and stop). Run last in a transaction,
/// it also keeps other ticks from claiming the campaign until that commits.
pub async fn renew_lease(
    db: &impl GenericClient,
    id: CampaignId,
    token: LeaseToken,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    db.execute(
        "UPDATE campaigns SET dispatch_lease_until = GREATEST(dispatch_lease_until, $3)
          WHERE id = $1 AND dispatch_lease_token = $2",
        &[&id, &token.0, &until],
    )
    .await
    .map(|n| n > 0)
    .map_err(|e| StoreError::query("renewing a campaign's dispatch lease", e))
}

/// Gives the lease up, if `token` still holds it. Returns whether it did.
pub async fn release_lease(
    db: &impl GenericClient,
    id: CampaignId,
    token: LeaseToken,
) -> Result<bool, StoreError> {
    db.execute(
        "UPDATE campaigns SET dispatch_lease_until = NULL, dispatch_lease_token = NULL
          WHERE id = $1 AND dispatch_lease_token = $2",
        &[&id, &token.0],
    )
    .await
    .map(|n| n > 0)
    .map_err(|e| StoreError::query("releasing a campaign's dispatch lease", e))
}
