//! Applies the plain SQL files of the repository's `migrations/` folder.
//!
//! The files are embedded at compile time by refinery, which records what it applied
//! in `refinery_schema_history`, so running it again is a no-op. `smsbot migrate`
//! and the `migrate` Lambda (the stack's custom resource) both run [`apply`].

use std::fmt;

use crate::{Pool, StoreError};

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// A migration's version: the number after `V` in its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaVersion(i64);

impl SchemaVersion {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for SchemaVersion {
    fn from(version: i64) -> Self {
        Self(version)
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What one run did, and where the database stands after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Names (`V3__campaigns_and_reminders`) of the migrations this run applied.
    pub applied: Vec<String>,
    /// The last migration the database has, with its name; `None` on a database
    /// that has none (there is always one after a successful run).
    pub current: Option<(SchemaVersion, String)>,
}

/// Names of the migrations applied by this call.
pub async fn run(pool: &Pool) -> Result<Vec<String>, StoreError> {
    Ok(apply(pool).await?.applied)
}

/// Applies what is missing and reports the database's version afterwards.
pub async fn apply(pool: &Pool) -> Result<MigrationReport, StoreError> {
    apply_with(pool, embedded::migrations::runner()).await
}

/// Applies what is missing up to and including `version` (for the migrations'
/// own tests: data written in an older schema, then the next migration).
pub async fn apply_up_to(
    pool: &Pool,
    version: SchemaVersion,
) -> Result<MigrationReport, StoreError> {
    let target = i32::try_from(version.get())
        .map_err(|_| StoreError::Config(format!("no migration has version {version}")))?;
    apply_with(
        pool,
        embedded::migrations::runner().set_target(refinery::Target::Version(target)),
    )
    .await
}

async fn apply_with(pool: &Pool, runner: refinery::Runner) -> Result<MigrationReport, StoreError> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| StoreError::pool("migrating", e))?;
    let report = runner
        .run_async(&mut **client)
        .await
        .map_err(StoreError::Migration)?;
    let last = runner
        .get_last_applied_migration_async(&mut **client)
        .await
        .map_err(StoreError::Migration)?;
    Ok(MigrationReport {
        applied: report
            .applied_migrations()
            .iter()
            .map(|m| m.to_string())
            .collect(),
        current: last.map(|m| (SchemaVersion::from(i64::from(m.version())), m.to_string())),
    })
}
