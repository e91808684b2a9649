//! Building the production `Conversation` from settings, shared by the Lambda and
//! the local process so both run the same thing.
//!
//! Understanding is hybrid (offline first, OpenRouter only for low confidence when
//! a key is set). Replies go through Twilio when its credentials are set; only the
//! local process may fall back to the console.

use std::sync::Arc;

use secrecy::ExposeSecret;
use smsbot_config::{ConfigError, Settings};
use smsbot_nlu::{HybridUnderstander, OpenRouterClient, OpenRouterConfig};
use smsbot_twilio::{AuthToken, TwilioClient};

use crate::sender::{ConsoleSender, SmsSender, TwilioSender};
use crate::{Conversation, Policy, SystemClock};

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] smsbot_store::StoreError),
    #[error("Twilio client: {0}")]
    Twilio(String),
    #[error("OpenRouter client: {0}")]
    OpenRouter(#[from] smsbot_nlu::OpenRouterConfigError),
}

/// Where replies go.
pub enum Outbox {
    Twilio(Arc<TwilioSender>),
    Console(Arc<ConsoleSender>),
}

impl Outbox {
    pub fn sender(&self) -> Arc<dyn SmsSender> {
        match self {
            Self::Twilio(s) => s.clone(),
            Self::Console(s) => s.clone(),
        }
    }
}

/// Twilio when configured; otherwise the console if `allow_console`, else an error
/// naming what is missing.
pub fn outbox(settings: &Settings, allow_console: bool) -> Result<Outbox, WiringError> {
    let configured = settings.twilio_account_sid.is_some() && settings.twilio_sender.is_some();
    if !configured {
        if allow_console {
            return Ok(Outbox::Console(Arc::new(ConsoleSender::default())));
        }
        return Err(ConfigError::Missing("TWILIO_ACCOUNT_SID and TWILIO_PHONE_NUMBER").into());
    }
    let token = settings
        .require_twilio_auth_tokens()?
        .first()
        .map(|t| (*t).to_owned())
        .ok_or(ConfigError::Missing("TWILIO_AUTH_TOKEN"))?;
    let client = TwilioClient::new(
        settings.twilio_api_base.clone(),
        settings.twilio_account_sid.clone().unwrap_or_default(),
        AuthToken::new(token).map_err(|e| WiringError::Twilio(e.to_string()))?,
        reqwest::Client::new(),
    )
    .map_err(|e| WiringError::Twilio(e.to_string()))?;
    let from = match &settings.twilio_sender {
        Some(smsbot_config::Sender::MessagingService(sid)) => {
            smsbot_twilio::Sender::MessagingService(sid.to_string())
        }
        Some(smsbot_config::Sender::PhoneNumber(phone)) => {
            smsbot_twilio::Sender::PhoneNumber(phone.as_e164().to_owned())
        }
        None => return Err(ConfigError::Missing("TWILIO_PHONE_NUMBER").into()),
    };
    let status_callback = settings
        .public_base_url
        .as_ref()
        .and_then(|base| base.join("webhooks/sms/status").ok());
    Ok(Outbox::Twilio(Arc::new(TwilioSender::new(
        client,
        from,
        status_callback,
    ))))
}

pub fn understander(settings: &Settings) -> Result<Arc<HybridUnderstander>, WiringError> {
    let llm = match &settings.openrouter_api_key {
        Some(key) => Some(OpenRouterClient::new(
            OpenRouterConfig::new(
                key.expose_secret().to_owned(),
                settings.openrouter_model.clone(),
            ),
            reqwest::Client::new(),
        )?),
        None => None,
    };
    Ok(Arc::new(HybridUnderstander::new(
        llm,
        settings.llm_confidence_threshold,
    )))
}

pub fn conversation(
    settings: &Settings,
    sender: Arc<dyn SmsSender>,
) -> Result<Conversation, WiringError> {
    let pool = smsbot_store::connect(
        settings.require_database_url()?,
        settings.database_pool_size,
    )?;
    Ok(Conversation {
        pool,
        understander: understander(settings)?,
        sender,
        clock: Arc::new(SystemClock),
        policy: Policy::from_settings(settings),
    })
}
