//! `smsbot migrate`: bring the database at DATABASE_URL up to date.
//!
//! Reads settings the same way the Lambdas do (environment, then the app secret
//! when APP_SECRETS_ARN is set), so it can run from a machine or a task that
//! reaches the deployed database.

use anyhow::Context;

pub async fn run() -> anyhow::Result<()> {
    smsbot_config::telemetry::init();
    let settings = if std::env::var_os("APP_SECRETS_ARN").is_some() {
        let sdk = smsbot_aws::sdk_config().await;
        smsbot_aws::load_settings(&sdk).await?
    } else {
        smsbot_config::Settings::from_env()?
    };
    let pool = smsbot_store::connect(settings.require_database_url()?, 1)?;
    let applied = smsbot_store::migrate::run(&pool)
        .await
        .context("applying migrations")?;
    if applied.is_empty() {
        println!("database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}
