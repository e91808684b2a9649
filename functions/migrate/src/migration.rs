//! Brings the stack's database up to date: the settings (environment, then the app
//! secret, as every function reads them), the pool, the store's migrations, the
//! same code `smsbot migrate` runs.
//!
//! Owns when to try again: a database that could not be reached (not up yet, a
//! proxy still registering its target) is tried again with growing pauses; one
//! that answered with an error (a wrong password, a failing migration) is not.
//! Must not: work past the time it is given, or let the database URL into an
//! error it returns.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret;
use smsbot_bootstrap::{App, BootstrapError};
use smsbot_store::StoreError;
use smsbot_store::migrate::MigrationReport;
use tokio::time::Instant;
use tokio_postgres::error::{DbError, SqlState};
use url::Url;

use crate::response::Reason;

/// The first pause before trying an unreachable database again; it doubles up to
/// [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(8);

/// Why the database was not brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("the function's settings could not be loaded")]
    Settings(#[source] BootstrapError),
    #[error("the migrations did not run")]
    Store(#[source] StoreError),
    #[error("out of time before the Lambda deadline while {0}")]
    OutOfTime(&'static str, #[source] Option<StoreError>),
}

/// Applies the migrations, giving up at `work_ends`. On failure, the reason to
/// show (already free of the database URL and its password).
pub async fn run(work_ends: Instant) -> Result<MigrationReport, Reason> {
    let app = match tokio::time::timeout_at(work_ends, App::load()).await {
        Ok(Ok(app)) => app,
        Ok(Err(e)) => return Err(failure(&MigrateError::Settings(e), &[])),
        Err(_) => {
            return Err(failure(
                &MigrateError::OutOfTime("loading the settings", None),
                &[],
            ));
        }
    };
    let secrets = database_secrets(&app);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    migrate(&app, work_ends, &secrets)
        .await
        .map_err(|e| failure(&e, &secrets))
}

async fn migrate(
    app: &App,
    work_ends: Instant,
    secrets: &[&str],
) -> Result<MigrationReport, MigrateError> {
    let pool = app.pool().map_err(MigrateError::Settings)?;
    let mut pause = FIRST_PAUSE;
    let mut last = None;
    loop {
        let error =
            match tokio::time::timeout_at(work_ends, smsbot_store::migrate::apply(&pool)).await {
                Ok(Ok(report)) => return Ok(report),
                Ok(Err(e)) => e,
                Err(_) => return Err(MigrateError::OutOfTime("migrating", last)),
            };
        if !worth_another_try(&error) {
            return Err(MigrateError::Store(error));
        }
        if Instant::now() + pause >= work_ends {
            return Err(MigrateError::OutOfTime("migrating", Some(error)));
        }
        tracing::warn!(error = %Reason::from_error(&error, secrets).as_str(), pause_s = pause.as_secs(), "database not reachable yet; trying again");
        last = Some(error);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// A database that gave no answer (refused, timed out, connection lost) or that
/// asked us to come back (starting up, too many connections) may do better in a
/// moment; one that answered with an error will answer the same.
fn worth_another_try(error: &StoreError) -> bool {
    if !error.is_transient() {
        return false;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(db) = e.downcast_ref::<DbError>() {
            return [
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
                SqlState::ADMIN_SHUTDOWN,
            ]
            .contains(db.code());
        }
        source = e.source();
    }
    true
}

/// The database URL and its password, to keep out of reasons.
fn database_secrets(app: &App) -> Vec<String> {
    let Some(url) = &app.settings().database_url else {
        return Vec::new();
    };
    let url = url.expose_secret();
    let mut secrets = vec![url.to_owned()];
    if let Some(password) = Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        secrets.push(password);
    }
    secrets
}

fn failure(error: &MigrateError, secrets: &[&str]) -> Reason {
    let reason = Reason::from_error(error, secrets);
    tracing::error!(reason = reason.as_str(), "migrations failed");
    reason
}

/// The report as the resource's attributes (`!GetAtt <resource>.SchemaVersion`…).
pub fn data(report: &MigrationReport) -> HashMap<String, String> {
    let mut data = HashMap::from([("AppliedCount".to_owned(), report.applied.len().to_string())]);
    if let Some((version, name)) = &report.current {
        data.insert("SchemaVersion".to_owned(), version.to_string());
        data.insert("LastMigration".to_owned(), name.clone());
    }
    data
}

#[cfg(test)]
mod tests {
    use smsbot_store::migrate::SchemaVersion;

    use super::*;

    #[test]
    fn an_unreachable_database_is_worth_another_try_and_a_refusal_is_not() {
        let unreachable = StoreError::Unavailable {
            context: "migrating",
            source: Box::new(std::io::Error::other("connection refused")),
        };
        assert!(worth_another_try(&unreachable));
        assert!(!worth_another_try(&StoreError::Config("bad".into())));
    }

    #[test]
    fn the_attributes_name_the_version_the_database_is_at() {
        let report = MigrationReport {
            applied: vec!["V7__parked_inbound".into()],
            current: Some((SchemaVersion::from(7), "V7__parked_inbound".into())),
        };
        let data = data(&report);
        assert_eq!(data["AppliedCount"], "1");
        assert_eq!(data["SchemaVersion"], "7");
        assert_eq!(data["LastMigration"], "V7__parked_inbound");
    }
}
