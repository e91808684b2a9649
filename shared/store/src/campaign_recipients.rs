//! Campaign recipients: who a campaign reaches, and how far each one got.
//!
//! Owns the `campaign_recipients` rows. The primary key (campaign, contact) makes a
//! contact appear at most once per campaign; every status change here is
//! conditional on the status it moves from, so overlapping dispatchers and
//! redelivered sends cannot move a recipient twice. The campaign counters follow
//! from these rows through database triggers (migration V3). Which recipient to
//! send, defer or skip is decided by the caller (the campaign engine); this module
//! must not hold that rule.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::CampaignKind;

use crate::StoreError;
use crate::campaigns::CampaignId;
use crate::contacts::ContactId;
use crate::messages::MessageId;

/// Who a campaign is for (always only contacts with a usable number and the
/// consent the campaign's kind needs: see [`materialise`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudienceFilter {
    AllOptedIn,
    /// Contacts carrying at least one of these tags.
    Tags(Vec<String>),
    /// Contacts with a booked appointment starting in `[from, to)`.
    AppointmentsBetween {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// Picks the campaign's recipients once. `Ok(None)` when they were picked before.
/// Only contacts with a usable number and service consent, and then, by the
/// consent the campaign's kind needs (`CampaignKind::consent_needed`): for a
/// marketing campaign (a broadcast) only contacts with marketing consent; for a
/// service campaign (a reminder) only contacts with a booked appointment ahead,
/// since that is what it is about.
/// Must run in the (short) transaction that holds the campaign's row lock, the
/// one that also moves it to running.
pub async fn materialise(
    tx: &impl GenericClient,
    campaign_id: CampaignId,
    audience: &AudienceFilter,
    now: DateTime<Utc>,
) -> Result<Option<u64>, StoreError> {
    const CONTEXT: &str = "materialising campaign recipients";
    let first = tx
        .execute(
            "UPDATE campaigns SET recipients_materialised_at = $2, updated_at = now()
              WHERE id = $1 AND recipients_materialised_at IS NULL",
            &[&campaign_id, &now],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    if first == 0 {
        return Ok(None);
    }
    let (kind, tags, from, to) = match audience {
        AudienceFilter::AllOptedIn => ("all", Vec::new(), None, None),
        AudienceFilter::Tags(tags) => ("tags", tags.clone(), None, None),
        AudienceFilter::AppointmentsBetween { from, to } => {
            ("appointments", Vec::new(), Some(*from), Some(*to))
        }
    };
    let inserted = tx
        .execute(
            "INSERT INTO campaign_recipients (campaign_id, contact_id, next_attempt_at, updated_at)
             SELECT $1, c.id, $2, $2 FROM contacts c JOIN campaigns k ON k.id = $1
              WHERE c.consent = 'opted_in' AND c.phone IS NOT NULL AND c.phone_invalid_at IS NULL
                AND CASE WHEN k.kind = ANY($7) THEN c.marketing_consent = 'opted_in'
                         ELSE EXISTS (SELECT 1 FROM appointments a
                                       WHERE a.contact_id = c.id AND a.status = 'booked'
                                         AND a.starts_at >= $2) END
                AND ($3 = 'all'
                     OR ($3 = 'tags' AND c.tags && $4::text[])
                     OR ($3 = 'appointments' AND EXISTS (
                            SELECT 1 FROM appointments a
                             WHERE a.contact_id = c.id AND a.status = 'booked'
                               AND a.starts_at >= $5 AND a.starts_at < $6)))
             ON CONFLICT (campaign_id, contact_id) DO NOTHING",
            &[
                &campaign_id,
                &now,
                &kind,
                &tags,
                &from,
                &to,
                &CampaignKind::needing_marketing_consent(),
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(Some(inserted))
}

/// Whether a recipient may be texted now, as far as the contact row tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reachability {
    Reachable,
    /// Without the consent the campaign's kind needs (service, and marketing
    /// for a broadcast).
    OptedOut,
    /// Twilio refused the number as invalid.
    InvalidNumber,
    /// The contact's personal data was erased.
    Erased,
}

/// A recipient due for dispatch, with what the planner needs about its contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRecipient {
    pub contact_id: ContactId,
    pub due_at: DateTime<Utc>,
    pub timezone: Option<String>,
    pub reachability: Reachability,
}

/// Locks (skipping rows another transaction holds) up to `limit` recipients of a
/// running campaign that are due at `now`: pending ones, and queued ones whose
/// send did not finish by their `next_attempt_at`. In (due time, contact) order
/// after the key `after` (the last one of the previous page), so paging through
/// one tick never rereads a row it already moved.
pub async fn lock_due(
    tx: &impl GenericClient,
    campaign_id: CampaignId,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, ContactId)>,
    limit: i64,
) -> Result<Vec<DueRecipient>, StoreError> {
    let (after_at, after_id) = after.unzip();
    let rows = tx
        .query(
            "SELECT r.contact_id, r.next_attempt_at, c.timezone,
                    CASE WHEN c.phone IS NULL THEN 'erased'
                         WHEN c.consent <> 'opted_in' THEN 'opted_out'
                         WHEN (SELECT kind FROM campaigns WHERE id = $1) = ANY($6)
                              AND c.marketing_consent IS DISTINCT FROM 'opted_in' THEN 'opted_out'
                         WHEN c.phone_invalid_at IS NOT NULL THEN 'invalid'
                         ELSE 'ok' END
               FROM campaign_recipients r
               JOIN contacts c ON c.id = r.contact_id
              WHERE r.campaign_id = $1 AND r.status IN ('pending', 'queued')
                AND r.next_attempt_at <= $2
                AND ($4::timestamptz IS NULL
                     OR (r.next_attempt_at, r.contact_id) > ($4, $5::bigint))
                AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = $1 AND k.status = 'running')
              ORDER BY r.next_attempt_at, r.contact_id
              LIMIT $3
              FOR UPDATE OF r SKIP LOCKED",
            &[
                &campaign_id,
                &now,
                &limit,
                &after_at,
                &after_id,
                &CampaignKind::needing_marketing_consent(),
            ],
        )
        .await
        .map_err(|e| StoreError::query("locking due recipients", e))?;
    Ok(rows
        .iter()
        .map(|row| {
            let reach: &str = row.get(3);
            DueRecipient {
                contact_id: row.get(0),
                due_at: row.get(1),
                timezone: row.get(2),
                reachability: match reach {
                    "erased" => Reachability::Erased,
                    "opted_out" => Reachability::OptedOut,
                    "invalid" => Reachability::InvalidNumber,
                    _ => Reachability::Reachable,
                },
            }
        })
        .collect())
}

/// What one dispatch tick decided for the recipients it locked.
#[derive(Debug, Clone, Default)]
pub struct DispatchOutcome {
    /// Enqueued: the sender takes it from here. Dispatched again if still queued
    /// at `requeue_at`.
    pub queued: Vec<ContactId>,
    pub requeue_at: Option<DateTime<Utc>>,
    /// In quiet hours: pending until the contact's next allowed minute.
    pub deferred: Vec<(ContactId, DateTime<Utc>)>,
    /// Not sent: opted out (or erased) since the audience was picked.
    pub skipped_consent: Vec<ContactId>,
    /// Not sent: the number was refused as invalid before.
    pub invalid_number: Vec<ContactId>,
}

/// Writes a tick's decisions in one statement, in the transaction that locked
/// the recipients. Sends are recorded as queued before they are enqueued (after
/// that transaction commits): a tick that dies in between leaves them queued, and
/// they are due again at `requeue_at`; what the queue refuses goes back with
/// [`unqueue`].
pub async fn apply_dispatch(
    tx: &impl GenericClient,
    campaign_id: CampaignId,
    outcome: &DispatchOutcome,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "recording a dispatch";
    let size = outcome.queued.len()
        + outcome.deferred.len()
        + outcome.skipped_consent.len()
        + outcome.invalid_number.len();
    if size == 0 {
        return Ok(());
    }
    let mut ids: Vec<ContactId> = Vec::with_capacity(size);
    let mut statuses: Vec<&str> = Vec::with_capacity(size);
    let mut ats: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(size);
    let mut reasons: Vec<Option<&str>> = Vec::with_capacity(size);
    let mut push = |id: ContactId, status, at, reason| {
        ids.push(id);
        statuses.push(status);
        ats.push(at);
        reasons.push(reason);
    };
    for id in &outcome.queued {
        push(*id, "queued", outcome.requeue_at, None);
    }
    for (id, at) in &outcome.deferred {
        push(*id, "pending", Some(*at), None);
    }
    for id in &outcome.skipped_consent {
        push(
            *id,
            "skipped_consent",
            None,
            Some("opted out before dispatch"),
        );
    }
    for id in &outcome.invalid_number {
        push(
            *id,
            "invalid_number",
            None,
            Some("number refused as invalid before"),
        );
    }
    let deferred: i64 = tx
        .query_one(
            "WITH moved AS (
                 UPDATE campaign_recipients r
                    SET status = d.status, next_attempt_at = COALESCE(d.at, r.next_attempt_at),
                        last_error = COALESCE(d.reason, r.last_error), updated_at = now()
                   FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::text[])
                        AS d(contact_id, status, at, reason)
                  WHERE r.campaign_id = $1 AND r.contact_id = d.contact_id
                    AND r.status IN ('pending', 'queued')
                  RETURNING d.status
             )
             SELECT count(*) FILTER (WHERE status = 'pending') FROM moved",
            &[&campaign_id, &ids, &statuses, &ats, &reasons],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?
        .get(0);
    if deferred > 0 {
        tx.execute(
            "UPDATE campaigns SET deferred_quiet = deferred_quiet + $2, updated_at = now()
              WHERE id = $1",
            &[&campaign_id, &(deferred as i32)],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    }
    Ok(())
}

/// Puts recipients a tick marked queued (due again at `requeue_at`) back to
/// pending, each due at the time given with it, because the queue did not take
/// their messages. A recipient something else moved meanwhile stays where it is.
/// Returns how many moved.
pub async fn unqueue(
    db: &impl GenericClient,
    campaign_id: CampaignId,
    requeue_at: DateTime<Utc>,
    recipients: &[(ContactId, DateTime<Utc>)],
) -> Result<u64, StoreError> {
    if recipients.is_empty() {
        return Ok(0);
    }
    let (ids, dues): (Vec<ContactId>, Vec<DateTime<Utc>>) = recipients.iter().copied().unzip();
    db.execute(
        "UPDATE campaign_recipients r
            SET status = 'pending', next_attempt_at = d.due_at, updated_at = now()
           FROM unnest($3::bigint[], $4::timestamptz[]) AS d(contact_id, due_at)
          WHERE r.campaign_id = $1 AND r.contact_id = d.contact_id
            AND r.status = 'queued' AND r.next_attempt_at = $2",
        &[&campaign_id, &requeue_at, &ids, &dues],
    )
    .await
    .map_err(|e| StoreError::query("returning unqueued recipients to pending", e))
}

/// Moves a running campaign with nobody left pending or queued to `completed`.
/// Returns whether it did.
pub async fn complete_if_done(
    db: &impl GenericClient,
    campaign_id: CampaignId,
) -> Result<bool, StoreError> {
    db.execute(
        "UPDATE campaigns SET status = 'completed', updated_at = now()
          WHERE id = $1 AND status = 'running'
            AND NOT EXISTS (SELECT 1 FROM campaign_recipients
                             WHERE campaign_id = $1 AND status IN ('pending', 'queued'))",
        &[&campaign_id],
    )
    .await
    .map(|n| n > 0)
    .map_err(|e| StoreError::query("completing a campaign", e))
}

/// Everything the sender needs to decide about one recipient, read under its row
/// lock.
#[derive(Debug, Clone)]
pub struct SendContext {
    pub recipient_status: String,
    pub attempts: i32,
    pub message_id: Option<MessageId>,
    /// The recorded message already has a Twilio SID: it was sent.
    pub message_sent: bool,
    pub campaign_status: crate::campaigns::CampaignStatus,
    pub quiet_start: chrono::NaiveTime,
    pub quiet_end: chrono::NaiveTime,
    pub kind: String,
    pub template: String,
    pub audience: serde_json::Value,
    pub contact_name: Option<String>,
    pub contact_timezone: Option<String>,
    pub reachability: Reachability,
}

/// Locks one recipient for the sender (waiting for a dispatcher that is still
/// writing it). `None` when no such recipient exists.
pub async fn lock_for_send(
    tx: &impl GenericClient,
    campaign_id: CampaignId,
    contact_id: ContactId,
) -> Result<Option<SendContext>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT r.status, r.attempts, r.message_id, m.twilio_sid IS NOT NULL,
                    k.status, k.kind, k.template, k.audience, c.name, c.timezone,
                    k.quiet_start, k.quiet_end,
                    CASE WHEN c.phone IS NULL THEN 'erased'
                         WHEN c.consent <> 'opted_in' THEN 'opted_out'
                         WHEN k.kind = ANY($3)
                              AND c.marketing_consent IS DISTINCT FROM 'opted_in' THEN 'opted_out'
                         WHEN c.phone_invalid_at IS NOT NULL THEN 'invalid'
                         ELSE 'ok' END
               FROM campaign_recipients r
               JOIN campaigns k ON k.id = r.campaign_id
               JOIN contacts c ON c.id = r.contact_id
               LEFT JOIN messages m ON m.id = r.message_id
              WHERE r.campaign_id = $1 AND r.contact_id = $2
              FOR UPDATE OF r",
            &[
                &campaign_id,
                &contact_id,
                &CampaignKind::needing_marketing_consent(),
            ],
        )
        .await
        .map_err(|e| StoreError::query("locking a recipient for sending", e))?;
    Ok(row.map(|row| {
        let reach: &str = row.get(12);
        SendContext {
            recipient_status: row.get(0),
            attempts: row.get(1),
            message_id: row.get(2),
            message_sent: row.get::<_, Option<bool>>(3).unwrap_or(false),
            campaign_status: row.get(4),
            quiet_start: row.get(10),
            quiet_end: row.get(11),
            kind: row.get(5),
            template: row.get(6),
            audience: row.get(7),
            contact_name: row.get(8),
            contact_timezone: row.get(9),
            reachability: match reach {
                "erased" => Reachability::Erased,
                "opted_out" => Reachability::OptedOut,
                "invalid" => Reachability::InvalidNumber,
                _ => Reachability::Reachable,
            },
        }
    }))
}

/// Links the recorded message to its recipient.
pub async fn attach_message(
    tx: &impl GenericClient,
    campaign_id: CampaignId,
    contact_id: ContactId,
    message_id: MessageId,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE campaign_recipients SET message_id = $3, updated_at = now()
          WHERE campaign_id = $1 AND contact_id = $2",
        &[&campaign_id, &contact_id, &message_id],
    )
    .await
    .map_err(|e| StoreError::query("linking a campaign message", e))?;
    Ok(())
}

/// A final outcome for a recipient that was not (or will not be) sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsent {
    SkippedConsent,
    InvalidNumber,
    Failed,
}

impl Unsent {
    fn as_str(self) -> &'static str {
        match self {
            Self::SkippedConsent => "skipped_consent",
            Self::InvalidNumber => "invalid_number",
            Self::Failed => "failed",
        }
    }
}

/// Ends a queued (or pending) recipient without a send. Returns whether it moved.
pub async fn finish_unsent(
    db: &impl GenericClient,
    campaign_id: CampaignId,
    contact_id: ContactId,
    outcome: Unsent,
    reason: &str,
) -> Result<bool, StoreError> {
    db.execute(
        "UPDATE campaign_recipients SET status = $3, last_error = $4, updated_at = now()
          WHERE campaign_id = $1 AND contact_id = $2 AND status IN ('pending', 'queued')",
        &[&campaign_id, &contact_id, &outcome.as_str(), &reason],
    )
    .await
    .map(|n| n > 0)
    .map_err(|e| StoreError::query("finishing an unsent recipient", e))
}

/// Puts a queued recipient back to pending, due at `next_attempt_at`; counts an
/// attempt when a send was tried. Returns whether it moved.
pub async fn back_to_pending(
    db: &impl GenericClient,
    campaign_id: CampaignId,
    contact_id: ContactId,
    next_attempt_at: DateTime<Utc>,
    attempted: bool,
    reason: Option<&str>,
) -> Result<bool, StoreError> {
    db.execute(
        "UPDATE campaign_recipients
            SET status = 'pending', next_attempt_at = $3,
                attempts = attempts + CASE WHEN $4 THEN 1 ELSE 0 END,
                last_error = COALESCE($5, last_error), updated_at = now()
          WHERE campaign_id = $1 AND contact_id = $2 AND status = 'queued'",
        &[
            &campaign_id,
            &contact_id,
            &next_attempt_at,
            &attempted,
            &reason,
        ],
    )
    .await
    .map(|n| n > 0)
    .map_err(|e| StoreError::query("returning a recipient to pending", e))
}

/// Puts a queued recipient back to pending until `at` because it is quiet
/// where the contact is (the send came too late), counting the deferral.
pub async fn defer_quiet(
    db: &impl GenericClient,
    campaign_id: CampaignId,
    contact_id: ContactId,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let moved = back_to_pending(db, campaign_id, contact_id, at, false, None).await?;
    if moved {
        db.execute(
            "UPDATE campaigns SET deferred_quiet = deferred_quiet + 1, updated_at = now()
              WHERE id = $1",
            &[&campaign_id],
        )
        .await
        .map_err(|e| StoreError::query("counting a deferral", e))?;
    }
    Ok(moved)
}

/// Marks a queued recipient sent (Twilio accepted its message). A recipient
/// that a status callback already moved on stays where it is.
pub async fn mark_sent(
    db: &impl GenericClient,
    campaign_id: CampaignId,
    contact_id: ContactId,
) -> Result<bool, StoreError> {
    db.execute(
        "UPDATE campaign_recipients
            SET status = 'sent', attempts = attempts + 1, last_error = NULL, updated_at = now()
          WHERE campaign_id = $1 AND contact_id = $2 AND status = 'queued'",
        &[&campaign_id, &contact_id],
    )
    .await
    .map(|n| n > 0)
    .map_err(|e| StoreError::query("marking a recipient sent", e))
}

/// Recipients of a campaign per status (tests, the admin API, reports).
pub async fn status_counts(
    db: &impl GenericClient,
    campaign_id: CampaignId,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = db
        .query(
            "SELECT status, count(*) FROM campaign_recipients WHERE campaign_id = $1
              GROUP BY status ORDER BY status",
            &[&campaign_id],
        )
        .await
        .map_err(|e| StoreError::query("counting recipients", e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
