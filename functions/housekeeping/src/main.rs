//! Lambda entry point for housekeeping (an EventBridge Scheduler schedule, e.g.
//! every 15 minutes): inbound messages parked while SQS was unavailable,
//! appointment reminders, stale conversation states, past appointments, and
//! waitlist offers whose hold ran out.
//!
//! Wiring only: telemetry, the app (secrets fetched once per container), then one
//! housekeeping run per event at the current time.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_bootstrap::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    let outbox = app.outbox(&app.sms_channel(false)?)?;
    let waitlist = app.waitlist_offers(outbox.clone())?;
    let housekeeping = app.housekeeping(outbox)?;
    let (housekeeping, waitlist) = (&housekeeping, &waitlist);
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<serde_json::Value>| async move {
            let report = housekeeping.run(chrono::Utc::now()).await?;
            tracing::info!(?report, "housekeeping done");
            // Waitlist holds that ran out pass on; a failure is retried by
            // the next tick (the holds stay in the database).
            match waitlist.sweep().await {
                Ok(report) => tracing::info!(?report, "waitlist swept"),
                Err(err) => tracing::error!(error = %err, "waitlist sweep failed"),
            }
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
