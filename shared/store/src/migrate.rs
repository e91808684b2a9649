//! Applies the plain SQL files of the repository's `migrations/` folder.
//!
//! The files are embedded at compile time by refinery, which records what it applied
//! in `refinery_schema_history`, so running it again is a no-op.

use crate::{Pool, StoreError};

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// Names of the migrations applied by this call.
pub async fn run(pool: &Pool) -> Result<Vec<String>, StoreError> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| StoreError::pool("migrating", e))?;
    let report = embedded::migrations::runner()
        .run_async(&mut **client)
        .await
        .map_err(StoreError::Migration)?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect())
}
