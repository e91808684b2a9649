//! Lambda entry point for the Twilio webhooks (API Gateway HTTP API).
//!
//! Wiring only: telemetry, the app (settings with the app secret overlaid, fetched
//! once per container), then the shared router from `smsbot-webhook`.

use smsbot_bootstrap::App;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    lambda_http::run(smsbot_webhook::router(app.webhook()?)).await
}
