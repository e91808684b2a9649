//! Lambda entry point for the admin API (API Gateway HTTP API, `/api/...`).
//!
//! Wiring only: telemetry, the app (settings with the app secret overlaid), then
//! the shared router from `smsbot-admin`, which checks the API key again behind
//! the authorizer.

use smsbot_bootstrap::App;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    lambda_http::run(smsbot_admin::router(app.admin()?)).await
}
