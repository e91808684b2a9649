//! Lambda entry point for the admin API (API Gateway HTTP API, `/api/...`).
//!
//! Wiring only: telemetry, settings (the admin key and database URL may come from
//! the app secret, fetched once per container), clients, then the shared router
//! from `smsbot-admin`, which checks the API key again behind the authorizer.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smsbot_config::telemetry::init();
    let sdk = smsbot_aws::sdk_config().await;
    let settings = smsbot_aws::load_settings(&sdk).await?;
    let state = smsbot_admin::AdminState::from_settings(&settings, &sdk)?;
    lambda_http::run(smsbot_admin::router(state)).await
}
