//! Lambda entry point for the Twilio webhooks (API Gateway HTTP API).
//!
//! Wiring only: telemetry, settings (secrets fetched once per container), clients,
//! then the shared router from `smsbot-webhook`. No logic lives here.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smsbot_config::telemetry::init();
    let sdk = smsbot_aws::sdk_config().await;
    let settings = smsbot_aws::load_settings(&sdk).await?;
    let state = smsbot_webhook::WebhookState::from_settings(&settings, &sdk)?;
    lambda_http::run(smsbot_webhook::router(state)).await
}
