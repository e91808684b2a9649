//! The Twilio webhook HTTP surface: one router for the Lambda and the local process.
//!
//! Owns `POST /webhooks/sms/inbound` (verify, claim, enqueue, answer empty TwiML)
//! and `POST /webhooks/sms/status` (verify, apply the delivery status). It does the
//! least possible work so Twilio never waits on the conversation: it must not parse
//! meaning, touch conversation state or send SMS.

mod error;
mod inbound;
pub mod ports;
mod signed_form;
mod status;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use smsbot_twilio::RequestValidator;
use url::Url;

pub use error::WebhookError;
pub use ports::{DeliveryStatuses, InboundQueue, MessageClaims};

pub const INBOUND_PATH: &str = "/webhooks/sms/inbound";
pub const STATUS_PATH: &str = "/webhooks/sms/status";

/// What the handlers need; each capability behind its own small port.
#[derive(Clone)]
pub struct WebhookState {
    pub validator: Arc<RequestValidator>,
    /// The URL Twilio is configured to call, up to (not including) `/webhooks/…`.
    /// Signatures are checked against it, never against a URL rebuilt from the
    /// request: API Gateway stages and custom domains would make that wrong.
    pub public_base_url: Url,
    pub claims: Arc<dyn MessageClaims>,
    pub queue: Arc<dyn InboundQueue>,
    pub statuses: Arc<dyn DeliveryStatuses>,
}

impl WebhookState {
    /// The exact URL Twilio signed for `path` with the request's query string.
    pub(crate) fn signed_url(&self, path: &str, query: Option<&str>) -> String {
        let base = self.public_base_url.as_str().trim_end_matches('/');
        match query {
            Some(q) if !q.is_empty() => format!("{base}{path}?{q}"),
            _ => format!("{base}{path}"),
        }
    }
}

pub fn router(state: WebhookState) -> Router {
    Router::new()
        .route(INBOUND_PATH, post(inbound::receive))
        .route(STATUS_PATH, post(status::receive))
        .with_state(state)
}

/// Why the webhook could not start: reported once at cold start, by name.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] smsbot_config::ConfigError),
    #[error("invalid Twilio auth token")]
    Token(#[from] smsbot_twilio::TokenError),
    #[error(transparent)]
    Store(#[from] smsbot_store::StoreError),
}

impl WebhookState {
    /// Wires the production adapters: DynamoDB claims, the SQS FIFO queue and the
    /// Postgres pool (which connects lazily, on the first status callback).
    pub fn from_settings(
        settings: &smsbot_config::Settings,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, StartupError> {
        let tokens = settings
            .require_twilio_auth_tokens()?
            .into_iter()
            .map(|t| smsbot_twilio::AuthToken::new(t.to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        let pool = smsbot_store::connect(
            settings.require_database_url()?,
            settings.database_pool_size,
        )?;
        Ok(Self {
            validator: Arc::new(RequestValidator::new(tokens)?),
            public_base_url: settings.require_public_base_url()?.clone(),
            claims: Arc::new(smsbot_aws::IdempotencyStore::new(
                aws_sdk_dynamodb::Client::new(sdk),
                settings.require_idempotency_table()?,
            )),
            queue: Arc::new(smsbot_aws::SqsQueue::new(
                aws_sdk_sqs::Client::new(sdk),
                settings.require_inbound_queue_url()?,
            )),
            statuses: Arc::new(pool),
        })
    }
}
