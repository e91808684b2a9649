//! Serves the admin router on a loopback port, for fuzzing the OpenAPI document
//! (schemathesis) or trying the API by hand. Settings come from the environment
//! as in production (`DATABASE_URL`, `ADMIN_API_KEY`, `IDEMPOTENCY_TABLE`, and
//! `AWS_ENDPOINT_URL` for the emulator); migrations are applied first.
//!
//! `cargo run -p smsbot-admin --example serve -- 127.0.0.1:8081`

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    smsbot_config::telemetry::init();
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned())
        .parse()?;
    if !addr.ip().is_loopback() {
        return Err("serve listens on a loopback address only".into());
    }
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let settings = smsbot_config::Settings::from_env()?;
    let state = smsbot_admin::AdminState::from_settings(&settings, &sdk)?;
    smsbot_store::migrate::run(&state.pool).await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "admin API listening");
    axum::serve(listener, smsbot_admin::router(state)).await?;
    Ok(())
}
