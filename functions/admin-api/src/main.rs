//! Lambda entry point for the admin API (API Gateway HTTP API, `/api/...`).
//!
//! Wiring only: telemetry, the app (settings with the app secret overlaid),
//! Twilio as the SMS channel (staff write to contacts through the outbox), then
//! the shared router from `smsbot-admin`, which checks the API key again behind
//! the authorizer.

use smsbot_bootstrap::App;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    let outbox = app.outbox(&app.sms_channel(false)?)?;
    lambda_http::run(smsbot_admin::router(app.admin(outbox)?)).await
}
