//! Per-contact conversation state.
//!
//! Owns the `conversations` table: the state name, its JSON payload, a version for
//! optimistic concurrency and an expiry. `lock` takes the row lock for the turn's
//! transaction; `save` only succeeds against the version that was read. What the
//! states mean belongs to the conversation crate, not here.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::StoreError;
use crate::contacts::ContactId;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    pub state: String,
    pub payload: serde_json::Value,
    pub version: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Reads the contact's conversation, creating an idle one, and locks it until the
/// transaction ends, so two turns of one contact never interleave.
pub async fn lock(
    tx: &impl GenericClient,
    contact_id: ContactId,
) -> Result<StoredConversation, StoreError> {
    const CONTEXT: &str = "loading conversation state";
    tx.execute(
        "INSERT INTO conversations (contact_id) VALUES ($1) ON CONFLICT DO NOTHING",
        &[&contact_id],
    )
    .await
    .map_err(|e| StoreError::query(CONTEXT, e))?;
    let row = tx
        .query_one(
            "SELECT state, payload, version, expires_at FROM conversations
              WHERE contact_id = $1 FOR UPDATE",
            &[&contact_id],
        )
        .await
        .map_err(|e| StoreError::query(CONTEXT, e))?;
    Ok(StoredConversation {
        state: row.get(0),
        payload: row.get(1),
        version: row.get(2),
        expires_at: row.get(3),
    })
}

/// Saves the next state if nobody saved since `expected_version` was read.
pub async fn save(
    tx: &impl GenericClient,
    contact_id: ContactId,
    expected_version: i64,
    state: &str,
    payload: &serde_json::Value,
    expires_at: Option<DateTime<Utc>>,
) -> Result<i64, StoreError> {
    let row = tx
        .query_opt(
            "UPDATE conversations
                SET state = $3, payload = $4, expires_at = $5, version = version + 1,
                    updated_at = now()
              WHERE contact_id = $1 AND version = $2
              RETURNING version",
            &[&contact_id, &expected_version, &state, payload, &expires_at],
        )
        .await
        .map_err(|e| StoreError::query("saving conversation state", e))?;
    row.map(|r| r.get(0)).ok_or(StoreError::Conflict {
        context: "saving conversation state",
        constraint: "conversations.version".to_owned(),
    })
}

/// Returns conversations whose state expired before `now` to idle (housekeeping).
pub async fn expire_stale(db: &impl GenericClient, now: DateTime<Utc>) -> Result<u64, StoreError> {
    db.execute(
        "UPDATE conversations
            SET state = 'idle', payload = '{}', expires_at = NULL, version = version + 1,
                updated_at = now()
          WHERE expires_at < $1 AND state <> 'idle'",
        &[&now],
    )
    .await
    .map_err(|e| StoreError::query("expiring conversations", e))
}
