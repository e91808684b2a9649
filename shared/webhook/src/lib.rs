//! The Twilio webhook HTTP surface: one router for the Lambda and the local process.
//!
//! Owns `POST /webhooks/sms/inbound` (verify, claim, enqueue or park, answer empty
//! TwiML), `POST /webhooks/sms/status` (verify, apply the delivery status), and
//! moving parked inbound messages to the queue ([`parked`], run by housekeeping).
//! It does the least possible work so Twilio never waits on the conversation: it
//! must not parse meaning, touch conversation state or send SMS.
//!
//! A body over [`MAX_BODY_BYTES`] is refused with 413 before it is read: by its
//! `Content-Length` when it has one, else as soon as the bytes read pass the limit.

mod error;
mod handover;
mod inbound;
pub mod metrics;
pub mod parked;
pub mod ports;
mod signed_form;
mod status;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use smsbot_twilio::{ConnectionOverrides, RequestValidator};
use url::Url;

pub use error::WebhookError;
pub use metrics::{Counter, WebhookMetric};
pub use parked::{DrainReport, ParkedDrain};
pub use ports::{DeliveryStatuses, InboundQueue, MessageClaims, ParkedMessages};

pub const INBOUND_PATH: &str = "/webhooks/sms/inbound";
pub const STATUS_PATH: &str = "/webhooks/sms/status";

/// The largest body either webhook reads. Twilio's forms are small: an SMS body
/// is at most 1,600 characters (19 KB urlencoded even if every one is a
/// four-byte emoji), and all the other parameters, media URLs included, a few KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the handlers need; each capability behind its own small port.
#[derive(Clone)]
pub struct WebhookState {
    pub validator: Arc<RequestValidator>,
    /// The URL Twilio is configured to call, up to (not including) `/webhooks/…`.
    /// Signatures are checked against it, never against a URL rebuilt from the
    /// request: API Gateway stages and custom domains would make that wrong.
    pub public_base_url: Url,
    /// The fragment Twilio's webhook URL may carry (`#rc=3&rp=5xx`); signatures
    /// over the URL with it or without it are accepted.
    pub connection_overrides: ConnectionOverrides,
    pub claims: Arc<dyn MessageClaims>,
    pub queue: Arc<dyn InboundQueue>,
    /// Where a message goes when the queue does not take it.
    pub parking: Arc<dyn ParkedMessages>,
    pub statuses: Arc<dyn DeliveryStatuses>,
    pub metrics: Arc<dyn Counter>,
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

impl WebhookState {
    /// The default connection overrides, counted to CloudWatch (EMF).
    pub fn new(
        validator: Arc<RequestValidator>,
        public_base_url: Url,
        claims: Arc<dyn MessageClaims>,
        queue: Arc<dyn InboundQueue>,
        parking: Arc<dyn ParkedMessages>,
        statuses: Arc<dyn DeliveryStatuses>,
    ) -> Self {
        Self {
            validator,
            public_base_url,
            connection_overrides: ConnectionOverrides::default(),
            claims,
            queue,
            parking,
            statuses,
            metrics: Arc::new(metrics::Emf),
        }
    }

    pub fn with_connection_overrides(mut self, overrides: ConnectionOverrides) -> Self {
        self.connection_overrides = overrides;
        self
    }

    pub fn with_metrics(mut self, metrics: Arc<dyn Counter>) -> Self {
        self.metrics = metrics;
        self
    }
}
