//! Building the dispatcher, the sender and housekeeping from settings, for the
//! Lambda entry points (and the local process). SMS leave through the
//! conversation crate's `SmsSender` (Twilio, with the status callback URL).

use std::sync::Arc;

use smsbot_config::{ConfigError, Settings};
use smsbot_conversation::wiring::{WiringError, outbox};
use smsbot_conversation::{SmsSender, SystemClock};
use smsbot_store::Pool;

use crate::dispatcher::{Dispatcher, DispatcherConfig};
use crate::housekeeping::{Housekeeping, HousekeepingConfig};
use crate::outbound::OutboundQueue;
use crate::quiet::QuietHours;
use crate::reminders::{ReminderConfig, Reminders};
use crate::sender::{OutboundSender, SenderConfig};
use crate::settings::{EngineSettings, SettingsError};

#[derive(Debug, thiserror::Error)]
pub enum EngineWiringError {
    #[error(transparent)]
    Wiring(#[from] WiringError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Store(#[from] smsbot_store::StoreError),
}

pub fn pool(settings: &Settings) -> Result<Pool, EngineWiringError> {
    Ok(smsbot_store::connect(
        settings.require_database_url()?,
        settings.database_pool_size,
    )?)
}

pub fn dispatcher(
    settings: &Settings,
    engine: &EngineSettings,
    queue: Arc<dyn OutboundQueue>,
) -> Result<Dispatcher, EngineWiringError> {
    Ok(Dispatcher {
        pool: pool(settings)?,
        queue,
        config: DispatcherConfig::from_settings(engine, settings.business_timezone.tz()),
    })
}

/// Twilio, as the Lambdas send (the local process passes its console instead).
pub fn twilio(settings: &Settings) -> Result<Arc<dyn SmsSender>, EngineWiringError> {
    Ok(outbox(settings, false)?.sender())
}

pub fn sender(
    settings: &Settings,
    engine: &EngineSettings,
    sms: Arc<dyn SmsSender>,
) -> Result<OutboundSender, EngineWiringError> {
    let mut config = SenderConfig::new(
        settings.business_name.clone(),
        settings.business_timezone.tz(),
    );
    config.max_attempts = engine.send_max_attempts;
    Ok(OutboundSender {
        pool: pool(settings)?,
        sms,
        clock: Arc::new(SystemClock),
        config,
    })
}

pub fn housekeeping(
    settings: &Settings,
    engine: &EngineSettings,
    sms: Arc<dyn SmsSender>,
) -> Result<Housekeeping, EngineWiringError> {
    let pool = pool(settings)?;
    Ok(Housekeeping {
        reminders: Reminders {
            pool: pool.clone(),
            sms,
            config: ReminderConfig {
                hours_before: engine.reminder_hours_before,
                lookahead: engine.housekeeping_interval,
                quiet: QuietHours::default(),
                business_name: settings.business_name.clone(),
                business_timezone: settings.business_timezone.tz(),
                lease_seconds: 30.0,
            },
        },
        pool,
        config: HousekeepingConfig {
            state_grace: engine.state_grace,
            complete_after: engine.complete_after,
        },
    })
}
