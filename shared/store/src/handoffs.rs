//! Conversations handed to staff.
//!
//! Owns the `handoffs` table: opening a handoff (closing first one whose quiet
//! time passed), finding the one open at an instant, extending it when staff
//! write, releasing it, and listing the conversations that need a human. Every
//! instant comes from the caller's clock, so a test's clock moves quiet times
//! too. Must not decide when a conversation needs a human or what anyone is
//! told: the conversation and the admin API do.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::{ContactId, HandoffId, MessageId, PhoneNumber, StaffReason};

use crate::StoreError;

/// An open handoff: the bot is quiet for the contact until `quiet_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    pub id: HandoffId,
    pub contact_id: ContactId,
    pub reason: StaffReason,
    pub since: DateTime<Utc>,
    pub quiet_until: DateTime<Utc>,
}

const COLUMNS: &str = "id, contact_id, reason, since, quiet_until";

fn from_row(row: &tokio_postgres::Row) -> Result<Handoff, StoreError> {
    Ok(Handoff {
        id: row.get("id"),
        contact_id: row.get("contact_id"),
        reason: row.try_get("reason").map_err(|e| StoreError::Corrupt {
            what: "handoff reason",
            detail: e.to_string(),
        })?,
        since: row.get("since"),
        quiet_until: row.get("quiet_until"),
    })
}

/// A handoff about to be opened.
#[derive(Debug, Clone, Copy)]
pub struct NewHandoff {
    pub contact_id: ContactId,
    pub reason: StaffReason,
    pub since: DateTime<Utc>,
    pub quiet_until: DateTime<Utc>,
    /// The customer's message that asked for it, when they did.
    pub trigger: Option<MessageId>,
}

/// The contact's handoff open at `now`, if any.
pub async fn open_at(
    db: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<Option<Handoff>, StoreError> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM handoffs
              WHERE contact_id = $1 AND released_at IS NULL AND quiet_until > $2"
        ),
        &[&contact_id, &now],
    )
    .await
    .map_err(|e| StoreError::query("reading a handoff", e))?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Whether the contact with this number has a handoff open at `now` (asked
/// before a message is understood, so no LLM is asked while staff have the
/// conversation).
pub async fn open_for_phone(
    db: &impl GenericClient,
    phone: &PhoneNumber,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    db.query_one(
        "SELECT EXISTS (SELECT 1 FROM handoffs h JOIN contacts c ON c.id = h.contact_id
                         WHERE c.phone = $1 AND h.released_at IS NULL AND h.quiet_until > $2)",
        &[&phone.as_e164(), &now],
    )
    .await
    .map(|row| row.get(0))
    .map_err(|e| StoreError::query("looking up a handoff", e))
}

/// Closes the contact's handoff whose quiet time ended by `now` (as of when
/// it ended), so a new one may open.
async fn close_timed_out(
    db: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE handoffs SET released_at = quiet_until, released_by = 'timeout'
          WHERE contact_id = $1 AND released_at IS NULL AND quiet_until <= $2",
        &[&contact_id, &now],
    )
    .await
    .map_err(|e| StoreError::query("closing a handoff that timed out", e))?;
    Ok(())
}

/// Opens a handoff, unless one is open already (another worker or staff got
/// there first): then that one is returned as it is.
pub async fn open(db: &impl GenericClient, new: &NewHandoff) -> Result<Handoff, StoreError> {
    const CONTEXT: &str = "opening a handoff";
    close_timed_out(db, new.contact_id, new.since).await?;
    let inserted = db
        .query_opt(
            &format!(
                "INSERT INTO handoffs (contact_id, reason, since, quiet_until, trigger_message_id)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (contact_id) WHERE released_at IS NULL DO NOTHING
                 RETURNING {COLUMNS}"
            ),
            &[
                &new.contact_id,
                &new.reason,
                &new.since,
                &new.quiet_until,
                &new.trigger,
            ],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    match inserted {
        Some(row) => from_row(&row),
        None => open_at(db, new.contact_id, new.since)
            .await?
            .ok_or(StoreError::NotFound("open handoff")),
    }
}

/// Staff wrote to the contact: the bot stays quiet at least until
/// `quiet_until`, extending the open handoff or opening one (reason
/// `staff_message`).
pub async fn hold_for_staff(
    db: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
    quiet_until: DateTime<Utc>,
) -> Result<Handoff, StoreError> {
    close_timed_out(db, contact_id, now).await?;
    let extended = db
        .query_opt(
            &format!(
                "UPDATE handoffs SET quiet_until = GREATEST(quiet_until, $2)
                  WHERE contact_id = $1 AND released_at IS NULL
                  RETURNING {COLUMNS}"
            ),
            &[&contact_id, &quiet_until],
        )
        .await
        .map_err(|e| StoreError::query("extending a handoff", e))?;
    match extended {
        Some(row) => from_row(&row),
        None => {
            open(
                db,
                &NewHandoff {
                    contact_id,
                    reason: StaffReason::StaffMessage,
                    since: now,
                    quiet_until,
                    trigger: None,
                },
            )
            .await
        }
    }
}

/// Staff give the conversation back to the bot; `None` when none was open.
pub async fn release(
    db: &impl GenericClient,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<Option<Handoff>, StoreError> {
    db.query_opt(
        &format!(
            "UPDATE handoffs SET released_at = $2, released_by = 'staff'
              WHERE contact_id = $1 AND released_at IS NULL AND quiet_until > $2
              RETURNING {COLUMNS}"
        ),
        &[&contact_id, &now],
    )
    .await
    .map_err(|e| StoreError::query("releasing a handoff", e))?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// An open handoff with the contact it is about.
#[derive(Debug, Clone)]
pub struct NeedingHuman {
    pub handoff: Handoff,
    pub phone: PhoneNumber,
    pub name: Option<String>,
}

/// The handoffs open at `now`, oldest first, after `after` (a page of them).
/// Erased contacts are left out.
pub async fn needing_human(
    db: &impl GenericClient,
    now: DateTime<Utc>,
    after: Option<HandoffId>,
    limit: i64,
) -> Result<Vec<NeedingHuman>, StoreError> {
    let rows = db
        .query(
            "SELECT h.id, h.contact_id, h.reason, h.since, h.quiet_until, c.phone, c.name
               FROM handoffs h JOIN contacts c ON c.id = h.contact_id
              WHERE h.released_at IS NULL AND h.quiet_until > $1 AND c.phone IS NOT NULL
                AND ($2::bigint IS NULL OR h.id > $2)
              ORDER BY h.id
              LIMIT $3",
            &[&now, &after, &limit],
        )
        .await
        .map_err(|e| StoreError::query("listing conversations needing a human", e))?;
    rows.iter()
        .map(|row| {
            let phone: String = row.get("phone");
            Ok(NeedingHuman {
                handoff: from_row(row)?,
                phone: PhoneNumber::parse_e164(&phone).map_err(|e| StoreError::Corrupt {
                    what: "contact phone",
                    detail: e.to_string(),
                })?,
                name: row.get("name"),
            })
        })
        .collect()
}
