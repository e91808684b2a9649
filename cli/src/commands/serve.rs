//! `smsbot serve`: the whole system in one local process.
//!
//! Mounts the same webhook and admin routers as the Lambdas and drains the inbound FIFO queue
//! (in the local AWS emulator) with the same batch handler as the conversation
//! worker Lambda; the campaign dispatcher, outbound sender and housekeeping run on
//! their schedules in the same process. Everything is built by one `App`, so
//! the process has one database pool. With no Twilio credentials replies go to
//! the console and to an outbox the chat simulator reads; with no OpenRouter key
//! understanding is offline.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use clap::Args;
use smsbot_aws::SqsQueue;
use smsbot_bootstrap::{App, SmsChannel};
use smsbot_conversation::{Conversation, handle_batch};
use smsbot_outbox::ConsoleSender;

use super::campaigns;

/// The auth token local requests are signed with when none is configured (also
/// what the sample events in `events/` are signed with). Not a secret.
pub const LOCAL_AUTH_TOKEN: &str = "local-dev-auth-token";
/// The admin API key when none is configured (local only, not a secret).
const LOCAL_ADMIN_KEY: &str = "local-admin-key";
const LOCAL_QUEUE: &str = "smsbot-inbound.fifo";
const LOCAL_OUTBOUND_QUEUE: &str = "smsbot-outbound";
const LOCAL_TABLE: &str = "smsbot-idempotency";
/// Where staff alerts go locally (the console; a number no phone has).
const LOCAL_STAFF_PHONE: &str = "+15555550100";

#[derive(Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    smsbot_config::telemetry::init();
    let sdk = smsbot_aws::sdk_config().await;
    let vars = with_local_defaults(&sdk, args.port).await?;
    let settings = smsbot_aws::load_settings_from(&sdk, vars).await?;

    let app = App::new(settings, sdk);
    smsbot_store::migrate::run(&app.pool()?)
        .await
        .context("migrating")?;

    let channel = app.sms_channel(true)?;
    let outbox = app.outbox(&channel)?;
    let conversation = app.conversation(outbox.clone())?;
    let mut router = smsbot_webhook::router(app.webhook()?)
        .merge(smsbot_admin::router(app.admin(outbox.clone())?));
    if let SmsChannel::Console(console) = &channel {
        router = router.merge(outbox_router(console.clone()));
    }
    tokio::spawn(drain(app.inbound_queue()?, conversation));
    campaigns::spawn(&app, outbox)?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
    println!(
        "smsbot is listening on http://127.0.0.1:{} (replies: {}, understanding: {})",
        args.port,
        match channel {
            SmsChannel::Twilio(_) => "Twilio",
            SmsChannel::Console(_) => "console",
        },
        if app.settings().openrouter_api_key.is_some() {
            "offline + OpenRouter"
        } else {
            "offline"
        },
    );
    println!("text it from another terminal: scripts/chat --from +15555550123");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}

/// The environment, with safe local defaults for what is not set (printed).
async fn with_local_defaults(
    sdk: &aws_config::SdkConfig,
    port: u16,
) -> anyhow::Result<HashMap<String, String>> {
    let mut vars: HashMap<String, String> = std::env::vars().collect();
    let mut default = |name: &str, value: String| {
        if vars.get(name).is_none_or(|v| v.is_empty()) {
            println!("{name}={value} (local default)");
            vars.insert(name.to_owned(), value);
        }
    };
    default("TWILIO_AUTH_TOKEN", LOCAL_AUTH_TOKEN.to_owned());
    default("PUBLIC_BASE_URL", format!("http://127.0.0.1:{port}"));
    default("ADMIN_API_KEY", LOCAL_ADMIN_KEY.to_owned());
    default("BUSINESS_HOURS", super::seed::LOCAL_HOURS.to_owned());
    let unset = |name: &str| !std::env::var(name).is_ok_and(|v| !v.is_empty());
    // Staff alerts go to the console like every SMS when Twilio is not set up
    // (with Twilio, only a real number set by hand is texted).
    if unset("TWILIO_ACCOUNT_SID") && unset("STAFF_ALERT_TOPIC_ARN") {
        default("STAFF_PHONE", LOCAL_STAFF_PHONE.to_owned());
    }
    if unset("INBOUND_QUEUE_URL") {
        let url = smsbot_aws::provision::fifo_queue(sdk, LOCAL_QUEUE).await?;
        default("INBOUND_QUEUE_URL", url);
    }
    if unset("OUTBOUND_QUEUE_URL") {
        let url = smsbot_aws::provision::standard_queue(sdk, LOCAL_OUTBOUND_QUEUE).await?;
        default("OUTBOUND_QUEUE_URL", url);
    }
    if unset("IDEMPOTENCY_TABLE") {
        smsbot_aws::provision::idempotency_table(sdk, LOCAL_TABLE).await?;
        default("IDEMPOTENCY_TABLE", LOCAL_TABLE.to_owned());
    }
    Ok(vars)
}

/// Receives batches like the Lambda event source does and deletes what succeeded.
async fn drain(queue: SqsQueue, conversation: Conversation) {
    loop {
        let event = match queue.receive_event(10, 1).await {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(error = %err, "could not poll the inbound queue; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if event.records.is_empty() {
            continue;
        }
        let response = handle_batch(&conversation, event.clone()).await;
        if let Err(err) = queue.acknowledge(&event, &response).await {
            tracing::warn!(error = %err, "could not delete handled messages");
        }
    }
}

#[derive(serde::Deserialize)]
struct OutboxQuery {
    to: String,
}

/// `GET /local/outbox?to=+1…`: takes the replies sent to a number (local only).
fn outbox_router(console: Arc<ConsoleSender>) -> Router {
    Router::new()
        .route(
            "/local/outbox",
            get(
                |State(console): State<Arc<ConsoleSender>>, Query(q): Query<OutboxQuery>| async move {
                    axum::Json(console.take(&q.to))
                },
            ),
        )
        .with_state(console)
}
