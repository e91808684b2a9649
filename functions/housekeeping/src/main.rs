//! Lambda entry point for housekeeping (an EventBridge Scheduler schedule, e.g.
//! every 15 minutes): inbound messages parked while SQS was unavailable,
//! appointment reminders, stale conversation states, past appointments.
//!
//! Wiring only: telemetry, the app (secrets fetched once per container), then one
//! housekeeping run per event at the current time.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_bootstrap::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    let housekeeping = app.housekeeping(app.outbox(&app.sms_channel(false)?)?)?;
    let housekeeping = &housekeeping;
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<serde_json::Value>| async move {
            let report = housekeeping.run(chrono::Utc::now()).await?;
            tracing::info!(?report, "housekeeping done");
            Ok::<serde_json::Value, Error>(serde_json::json!({
                "parked_inbound_moved": report.parked_inbound.moved,
                "parked_inbound_failed": report.parked_inbound.failed,
                "reminders_sent": report.reminders.sent,
                "conversations_expired": report.conversations_expired,
                "appointments_completed": report.appointments_completed,
            }))
        },
    ))
    .await
}
