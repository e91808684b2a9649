//! The admin HTTP API under `/api`: one router for the Lambda and the local process.
//!
//! Owns the routes operators and a future dashboard use (contacts, campaigns,
//! appointments and the front desk's bookings, availability, services,
//! providers, closures, messages, conversations needing a human, the
//! business profile and its FAQ, health), their validation, their JSON shapes and the OpenAPI document
//! generated from the same handlers. Every route
//! but `GET /api/health` and the calendar files under `/api/calendars/`
//! (whose URLs hold their own secret token, see `calendars`) requires the
//! admin key (`X-API-Key`), checked here as
//! well as by the API Gateway authorizer, through the same `auth::check_api_key`.
//! Must not hold SQL (that is `smsbot-store`) nor send SMS but through the
//! outbox (a staff member's message to a contact): changing a campaign's
//! status only tells the dispatcher what to do next.

pub mod appointments;
pub mod auth;
pub mod availability;
pub mod business_profile;
pub mod calendars;
pub mod campaigns;
pub mod closures;
pub mod consent;
pub mod contacts;
pub mod conversations;
pub mod error;
mod extract;
pub mod front_desk;
pub mod health;
pub mod messages;
pub mod openapi;
pub mod pagination;
pub mod providers;
pub mod services;
mod validate;
pub mod waitlist;
pub mod working_hours;

use std::sync::Arc;

use axum::Router;
use secrecy::SecretString;
use smsbot_domain::Region;
use smsbot_outbox::{Clock, Outbox};
use smsbot_store::Pool;

pub use auth::{AuthError, check_api_key};
pub use error::ApiError;

/// What the handlers need.
#[derive(Clone)]
pub struct AdminState {
    pub pool: Pool,
    /// The admin key every protected route checks.
    pub api_key: Arc<SecretString>,
    /// How national phone numbers (`(415) 555-0100`) are read.
    pub default_region: Region,
    /// Probed by the health check: the idempotency table the webhook depends on.
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub idempotency_table: String,
    /// Staff writing to contacts and releasing conversations to the bot.
    pub staff: StaffDesk,
    /// The business profile the settings give, under the operators' changes.
    pub business: Arc<business_profile::SettingsProfile>,
    /// `PUBLIC_BASE_URL`: where the calendar links point; `None`: links
    /// are given as paths.
    pub public_base_url: Option<url::Url>,
    /// `WAITLIST_HOLD_MINUTES`: how long time freed by staff is held for the
    /// waitlisted customer it is offered to.
    pub waitlist_hold: chrono::Duration,
}

/// What staff's routes need: the one send path, the clock the conversation
/// uses (handoffs open and end by it), and how long a staff message keeps
/// the bot quiet for the contact (`HANDOFF_QUIET_HOURS`).
#[derive(Clone)]
pub struct StaffDesk {
    pub outbox: Outbox,
    pub clock: Arc<dyn Clock>,
    pub quiet: chrono::Duration,
}

impl AdminState {
    /// A database connection, or 503 when the pool cannot give one.
    pub(crate) async fn db(&self) -> Result<deadpool_postgres::Object, ApiError> {
        Ok(self.pool.get().await?)
    }
}

/// The admin router with its state, ready for `lambda_http::run` or a server.
pub fn router(state: AdminState) -> Router {
    openapi::router(state.clone()).with_state(state)
}

impl AdminState {
    pub fn new(
        pool: Pool,
        api_key: Arc<SecretString>,
        default_region: Region,
        dynamodb: aws_sdk_dynamodb::Client,
        idempotency_table: String,
        staff: StaffDesk,
    ) -> Self {
        Self {
            pool,
            api_key,
            default_region,
            dynamodb,
            idempotency_table,
            staff,
            business: Arc::default(),
            public_base_url: None,
            waitlist_hold: smsbot_conversation::waitlist_offers::DEFAULT_HOLD,
        }
    }

    /// The same API, holding freed time for `hold` (`WAITLIST_HOLD_MINUTES`).
    pub fn with_waitlist_hold(mut self, hold: chrono::Duration) -> Self {
        self.waitlist_hold = hold;
        self
    }

    /// The same API, linking calendars under `base` (`PUBLIC_BASE_URL`).
    pub fn with_public_base_url(mut self, base: Option<url::Url>) -> Self {
        self.public_base_url = base;
        self
    }

    /// The same API, showing `profile` (the settings') where operators
    /// changed nothing.
    pub fn with_business_profile(mut self, profile: business_profile::SettingsProfile) -> Self {
        self.business = Arc::new(profile);
        self
    }
}
