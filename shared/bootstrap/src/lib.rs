//! The composition root: every production dependency is built here, once per
//! process, from the one `Settings`, and handed to the routers and handlers
//! that take them already built.
//!
//! A Lambda's `main` loads an [`App`] and asks it for the one thing it runs;
//! `smsbot serve` asks the same `App` for all of them, so they share one
//! database pool and one set of clients. Must not hold business rules: only
//! which adapter serves which port.

use std::sync::{Arc, OnceLock};

use aws_config::SdkConfig;
use secrecy::ExposeSecret;
use smsbot_admin::business_profile::SettingsProfile;
use smsbot_admin::{AdminState, StaffDesk};
use smsbot_aws::{DynamoCounters, IdempotencyStore, SnsTopic, SqsQueue};
use smsbot_campaigns::dispatcher::DispatcherConfig;
use smsbot_campaigns::housekeeping::HousekeepingConfig;
use smsbot_campaigns::{
    Dispatcher, Housekeeping, OutboundQueue, OutboundSender, QuietHours, ReminderConfig, Reminders,
    SenderConfig,
};
use smsbot_config::{ConfigError, Settings};
use smsbot_conversation::{
    Conversation, DailyLlmBudget, Handoff, InMemoryStaffAlerts, InboundRateLimiter, Policy,
    SmsStaffAlerts, SnsStaffAlerts, StaffAlerts,
};
use smsbot_domain::MarketingRules;
use smsbot_nlu::{HybridUnderstander, OpenRouterClient, OpenRouterConfig};
use smsbot_outbox::{
    Clock, ConsoleSender, Outbox, SmsSender, SystemClock, TwilioSender, status_callback_url,
};
use smsbot_store::Pool;
use smsbot_twilio::{AuthToken, RequestValidator, TwilioClient};
use smsbot_webhook::metrics::Emf;
use smsbot_webhook::{ParkedDrain, WebhookState};

/// Why a process could not start: reported once at cold start, by name.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("loading the app secret failed")]
    Secrets(#[from] smsbot_aws::SecretsError),
    #[error("the database pool could not be built")]
    Store(#[from] smsbot_store::StoreError),
    #[error("invalid Twilio auth token")]
    TwilioToken(#[from] smsbot_twilio::TokenError),
    #[error("the Twilio client could not be built")]
    TwilioClient(#[from] smsbot_twilio::ClientConfigError),
    #[error("the OpenRouter client could not be built")]
    OpenRouter(#[from] smsbot_nlu::OpenRouterConfigError),
    #[error("BUSINESS_HOURS is invalid")]
    BusinessHours(#[from] smsbot_conversation::weekly_hours::HoursError),
    #[error("TWILIO_WEBHOOK_OVERRIDES is invalid")]
    WebhookOverrides(#[from] smsbot_twilio::OverridesError),
}

/// Where SMS go: Twilio, or (local process only) the console.
#[derive(Clone)]
pub enum SmsChannel {
    Twilio(Arc<TwilioSender>),
    Console(Arc<ConsoleSender>),
}

impl SmsChannel {
    pub fn sender(&self) -> Arc<dyn SmsSender> {
        match self {
            Self::Twilio(s) => s.clone(),
            Self::Console(s) => s.clone(),
        }
    }
}

/// The settings, the AWS configuration and what is built from them, each once.
pub struct App {
    settings: Settings,
    sdk: SdkConfig,
    pool: OnceLock<Pool>,
    clock: Arc<dyn Clock>,
}

impl App {
    /// The environment with the app secret overlaid (AWS Secrets Manager), as
    /// every Lambda starts.
    pub async fn load() -> Result<Self, BootstrapError> {
        let sdk = smsbot_aws::sdk_config().await;
        let settings = smsbot_aws::load_settings(&sdk).await?;
        Ok(Self::new(settings, sdk))
    }

    pub fn new(settings: Settings, sdk: SdkConfig) -> Self {
        Self {
            settings,
            sdk,
            pool: OnceLock::new(),
            clock: Arc::new(SystemClock),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The one database pool of this process (it connects lazily).
    pub fn pool(&self) -> Result<Pool, BootstrapError> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool.clone());
        }
        let pool = smsbot_store::connect(
            self.settings.require_database_url()?,
            self.settings.database_pool_size,
        )?;
        // Another thread may have won the race; either pool is as good.
        Ok(self.pool.get_or_init(|| pool).clone())
    }

    /// Twilio when its credentials are set; otherwise the console if
    /// `allow_console` (the local process), else an error naming what is missing.
    pub fn sms_channel(&self, allow_console: bool) -> Result<SmsChannel, BootstrapError> {
        let s = &self.settings;
        let (Some(account_sid), Some(sender)) = (&s.twilio_account_sid, &s.twilio_sender) else {
            if allow_console {
                return Ok(SmsChannel::Console(Arc::new(ConsoleSender::default())));
            }
            return Err(ConfigError::Missing("TWILIO_ACCOUNT_SID and TWILIO_PHONE_NUMBER").into());
        };
        let token = s
            .require_twilio_auth_tokens()?
            .first()
            .map(|t| (*t).to_owned())
            .ok_or(ConfigError::Missing("TWILIO_AUTH_TOKEN"))?;
        let client = TwilioClient::new(
            s.twilio_api_base.clone(),
            account_sid.clone(),
            AuthToken::new(token)?,
            reqwest::Client::new(),
        )?;
        let from = match sender {
            smsbot_config::Sender::MessagingService(sid) => {
                smsbot_twilio::Sender::MessagingService(sid.to_string())
            }
            smsbot_config::Sender::PhoneNumber(phone) => {
                smsbot_twilio::Sender::PhoneNumber(phone.as_e164().to_owned())
            }
        };
        let status_callback = s.public_base_url.as_ref().map(status_callback_url);
        Ok(SmsChannel::Twilio(Arc::new(TwilioSender::new(
            client,
            from,
            status_callback,
        ))))
    }

    /// The one send path, through `channel`.
    pub fn outbox(&self, channel: &SmsChannel) -> Result<Outbox, BootstrapError> {
        Ok(Outbox::new(
            self.pool()?,
            channel.sender(),
            self.clock.clone(),
            self.settings.business_timezone.tz(),
        )
        .with_marketing(self.marketing_rules()))
    }

    /// `MARKETING_WINDOW` and `MARKETING_FREQUENCY_CAP`, for every place a
    /// marketing text is decided on.
    fn marketing_rules(&self) -> MarketingRules {
        MarketingRules {
            window: self.settings.engine.marketing_window,
            cap: self.settings.marketing.frequency_cap,
        }
    }

    /// Offline understanding, asking OpenRouter below the threshold when a key
    /// is set, within the daily LLM budget (counted in DynamoDB).
    pub fn understander(&self) -> Result<Arc<HybridUnderstander>, BootstrapError> {
        let s = &self.settings;
        let llm = match s.usable_openrouter_api_key()? {
            Some(key) => Some(OpenRouterClient::new(
                OpenRouterConfig::new(key.expose_secret().to_owned(), s.openrouter_model.clone()),
                reqwest::Client::new(),
            )?),
            None => None,
        };
        let hybrid = HybridUnderstander::new(llm, s.llm_confidence_threshold);
        if !hybrid.has_llm() {
            return Ok(Arc::new(hybrid));
        }
        let budget = DailyLlmBudget::new(self.counters()?, s.limits.llm_daily_budget);
        Ok(Arc::new(hybrid.with_budget(Arc::new(budget))))
    }

    pub fn inbound_queue(&self) -> Result<SqsQueue, BootstrapError> {
        Ok(SqsQueue::new(
            aws_sdk_sqs::Client::new(&self.sdk),
            self.settings.require_inbound_queue_url()?,
        ))
    }

    pub fn outbound_queue(&self) -> Result<SqsQueue, BootstrapError> {
        let url = self
            .settings
            .outbound_queue_url
            .clone()
            .ok_or(ConfigError::Missing("OUTBOUND_QUEUE_URL"))?;
        Ok(SqsQueue::new(aws_sdk_sqs::Client::new(&self.sdk), url))
    }

    /// The Twilio webhooks: signature check, DynamoDB claims, the FIFO queue, and
    /// the pool for parked messages and status callbacks.
    pub fn webhook(&self) -> Result<WebhookState, BootstrapError> {
        let tokens = self
            .settings
            .require_twilio_auth_tokens()?
            .into_iter()
            .map(|t| AuthToken::new(t.to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        let overrides = self
            .settings
            .twilio_webhook_overrides
            .as_deref()
            .map(smsbot_twilio::ConnectionOverrides::parse)
            .transpose()?
            .unwrap_or_default();
        Ok(WebhookState::new(
            Arc::new(RequestValidator::new(tokens)?),
            self.settings.require_public_base_url()?.clone(),
            Arc::new(self.idempotency_store()?),
            Arc::new(self.inbound_queue()?),
            Arc::new(self.pool()?),
            Arc::new(self.pool()?),
        )
        .with_connection_overrides(overrides))
    }

    /// The admin API; staff's messages leave through `outbox`.
    pub fn admin(&self, outbox: Outbox) -> Result<AdminState, BootstrapError> {
        let api_key = self.settings.require_admin_api_key()?.clone();
        Ok(AdminState::new(
            self.pool()?,
            Arc::new(api_key),
            self.settings.default_region,
            aws_sdk_dynamodb::Client::new(&self.sdk),
            self.settings.require_idempotency_table()?.to_owned(),
            StaffDesk {
                outbox,
                clock: self.clock.clone(),
                quiet: self.handoff_quiet(),
            },
        )
        .with_business_profile(SettingsProfile::from_settings(&self.settings))
        .with_public_base_url(self.settings.public_base_url.clone())
        .with_waitlist_hold(self.settings.engine.waitlist_hold))
    }

    fn handoff_quiet(&self) -> chrono::Duration {
        chrono::Duration::hours(self.settings.handoff.quiet_hours)
    }

    /// Where staff alerts go: the SNS topic when `STAFF_ALERT_TOPIC_ARN` is
    /// set, else an SMS to `STAFF_PHONE` through `outbox`, else memory (and
    /// the log).
    pub fn staff_alerts(&self, outbox: &Outbox) -> Result<Arc<dyn StaffAlerts>, BootstrapError> {
        let handoff = &self.settings.handoff;
        if let Some(arn) = &handoff.staff_alert_topic {
            let topic = SnsTopic::new(aws_sdk_sns::Client::new(&self.sdk), arn.as_str());
            return Ok(Arc::new(SnsStaffAlerts::new(topic)));
        }
        if let Some(phone) = &handoff.staff_phone {
            return Ok(Arc::new(SmsStaffAlerts::new(
                self.pool()?,
                outbox.clone(),
                phone.clone(),
            )));
        }
        tracing::warn!(
            "neither STAFF_ALERT_TOPIC_ARN nor STAFF_PHONE is set: staff alerts are only logged"
        );
        Ok(Arc::new(InMemoryStaffAlerts::default()))
    }

    /// The turn, with the inbound rate limit (counted in DynamoDB) unless it
    /// is off, handing conversations to staff as the settings say.
    pub fn conversation(&self, outbox: Outbox) -> Result<Conversation, BootstrapError> {
        let handoff = Handoff::new(self.handoff_quiet(), self.staff_alerts(&outbox)?);
        let waitlist = self.waitlist_offers(outbox.clone())?;
        let conversation = Conversation::new(
            self.pool()?,
            self.understander()?,
            outbox,
            self.clock.clone(),
            Policy::from_settings(&self.settings)?,
        )
        .with_handoff(handoff)
        .with_waitlist(waitlist);
        let limit = &self.settings.limits.inbound_rate;
        if limit.is_off() {
            return Ok(conversation);
        }
        let limiter = InboundRateLimiter::new(self.counters()?, limit.clone());
        Ok(conversation.with_rate_limit(limiter))
    }

    pub fn dispatcher(&self, queue: Arc<dyn OutboundQueue>) -> Result<Dispatcher, BootstrapError> {
        let s = &self.settings;
        Ok(Dispatcher {
            pool: self.pool()?,
            queue,
            config: DispatcherConfig {
                marketing: self.marketing_rules(),
                ..DispatcherConfig::from_settings(&s.engine, s.business_timezone.tz())
            },
        })
    }

    pub fn outbound_sender(&self, outbox: Outbox) -> Result<OutboundSender, BootstrapError> {
        let s = &self.settings;
        let mut config = SenderConfig::new(s.business_name.clone(), s.business_timezone.tz());
        config.max_attempts = s.engine.send_max_attempts;
        config.marketing = self.marketing_rules();
        Ok(OutboundSender::new(
            self.pool()?,
            outbox,
            self.clock.clone(),
            config,
        ))
    }

    pub fn housekeeping(&self, outbox: Outbox) -> Result<Housekeeping, BootstrapError> {
        let s = &self.settings;
        let reminders = ReminderConfig {
            hours_before: s.engine.reminder_hours_before,
            lookahead: s.engine.housekeeping_interval,
            quiet: QuietHours::default(),
            business_name: s.business_name.clone(),
            business_timezone: s.business_timezone.tz(),
        };
        Ok(Housekeeping {
            pool: self.pool()?,
            parked_inbound: ParkedDrain::new(
                self.pool()?,
                Arc::new(self.inbound_queue()?),
                Arc::new(Emf),
            ),
            reminders: Reminders::new(self.pool()?, outbox, reminders),
            config: HousekeepingConfig {
                state_grace: s.engine.state_grace,
                complete_after: s.engine.complete_after,
            },
        })
    }

    /// Texting waitlist offers: housekeeping's sweep of holds that ran out,
    /// and offering time a cancellation freed.
    pub fn waitlist_offers(
        &self,
        outbox: Outbox,
    ) -> Result<smsbot_conversation::waitlist_offers::WaitlistOffers, BootstrapError> {
        Ok(smsbot_conversation::waitlist_offers::WaitlistOffers::new(
            self.pool()?,
            outbox,
            self.clock.clone(),
            self.settings.engine.waitlist_hold,
        ))
    }

    /// The limits' counters, in the idempotency table.
    fn counters(&self) -> Result<Arc<DynamoCounters>, BootstrapError> {
        Ok(Arc::new(DynamoCounters::new(
            aws_sdk_dynamodb::Client::new(&self.sdk),
            self.settings.require_idempotency_table()?,
        )))
    }

    fn idempotency_store(&self) -> Result<IdempotencyStore, BootstrapError> {
        Ok(IdempotencyStore::new(
            aws_sdk_dynamodb::Client::new(&self.sdk),
            self.settings.require_idempotency_table()?,
        ))
    }
}
