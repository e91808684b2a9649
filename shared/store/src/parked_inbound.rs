//! Inbound SMS parked while the SQS queue was unavailable.
//!
//! Owns the `parked_inbound` table: the webhook parks the queue message exactly as
//! it would have sent it (body, group id, MessageSid as deduplication id), and
//! housekeeping later takes batches under `FOR UPDATE SKIP LOCKED`, so overlapping
//! runs never move the same row, and deletes each row only after the queue took it.
//! Must not talk to SQS or decide when a move counts as done: the caller does.

use deadpool_postgres::GenericClient;

use crate::StoreError;

/// A parked row's key; also the cursor of a housekeeping run (rows in id order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ParkedId(i64);

/// A queue message waiting for the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedMessage {
    pub id: ParkedId,
    pub message_sid: String,
    pub group_id: String,
    pub payload: String,
    /// Failed attempts to move it so far.
    pub attempts: i32,
}

/// What parking a message found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parking {
    Parked,
    /// A row for this MessageSid is there already (a retry of a parked message).
    AlreadyParked,
}

/// Keeps a queue message for later. A second park of the same MessageSid keeps
/// the first one.
pub async fn park(
    db: &impl GenericClient,
    message_sid: &str,
    group_id: &str,
    payload: &str,
) -> Result<Parking, StoreError> {
    let inserted = db
        .execute(
            "INSERT INTO parked_inbound (message_sid, group_id, payload) VALUES ($1, $2, $3)
             ON CONFLICT (message_sid) DO NOTHING",
            &[&message_sid, &group_id, &payload],
        )
        .await
        .map_err(|e| StoreError::query("parking an inbound message", e))?;
    Ok(if inserted > 0 {
        Parking::Parked
    } else {
        Parking::AlreadyParked
    })
}

/// How many messages are parked.
pub async fn waiting(db: &impl GenericClient) -> Result<i64, StoreError> {
    db.query_one("SELECT count(*) FROM parked_inbound", &[])
        .await
        .map(|row| row.get(0))
        .map_err(|e| StoreError::query("counting parked inbound messages", e))
}

/// Up to `limit` parked messages after `after`, oldest first, locked in a
/// transaction of their own; rows another run holds are skipped.
pub async fn lock_next(
    client: &mut deadpool_postgres::Client,
    after: Option<ParkedId>,
    limit: i64,
) -> Result<LockedBatch<'_>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::query("starting to move parked inbound messages", e))?;
    let rows = tx
        .query(
            "SELECT id, message_sid, group_id, payload, attempts FROM parked_inbound
              WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
            &[&after.map_or(0, |id| id.0), &limit],
        )
        .await
        .map_err(|e| StoreError::query("locking parked inbound messages", e))?;
    let messages = rows
        .iter()
        .map(|r| ParkedMessage {
            id: ParkedId(r.get(0)),
            message_sid: r.get(1),
            group_id: r.get(2),
            payload: r.get(3),
            attempts: r.get(4),
        })
        .collect();
    Ok(LockedBatch { tx, messages })
}

/// Parked messages locked by one run until [`LockedBatch::commit`].
pub struct LockedBatch<'a> {
    tx: deadpool_postgres::Transaction<'a>,
    messages: Vec<ParkedMessage>,
}

impl LockedBatch<'_> {
    pub fn messages(&self) -> &[ParkedMessage] {
        &self.messages
    }

    /// The queue took this message: its row goes at commit.
    pub async fn moved(&self, id: ParkedId) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM parked_inbound WHERE id = $1", &[&id.0])
            .await
            .map_err(|e| StoreError::query("deleting a moved inbound message", e))?;
        Ok(())
    }

    /// The queue refused this message (or was not asked): it stays, counted.
    pub async fn not_moved(&self, id: ParkedId) -> Result<(), StoreError> {
        self.tx
            .execute(
                "UPDATE parked_inbound SET attempts = attempts + 1, last_attempt_at = now()
                  WHERE id = $1",
                &[&id.0],
            )
            .await
            .map_err(|e| StoreError::query("counting a failed move", e))?;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx
            .commit()
            .await
            .map_err(|e| StoreError::query("committing moved inbound messages", e))
    }
}
