//! The business's scheduling policy: lead time, horizon, cap, conversation expiry.

use crate::marketing::MarketingOptIn;
use crate::weekly_hours::{HoursError, WeeklyHours};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use smsbot_store::appointments::BookingRules;

#[derive(Debug, Clone)]
pub struct Policy {
    pub timezone: Tz,
    pub business_name: String,
    /// Bookings must start at least this long from now.
    pub lead_time: Duration,
    /// And at most this far ahead.
    pub horizon: Duration,
    pub max_open_appointments: i64,
    /// A half-finished conversation is forgotten after this long.
    pub conversation_ttl: Duration,
    /// How many slots one reply offers.
    pub offers_per_reply: i64,
    /// Below this understanding confidence the bot asks instead of acting.
    pub min_confidence: f32,
    /// What the bot says about the business when asked.
    pub profile: BusinessProfile,
    /// The marketing opt-in keyword (JOIN) and the frequency it promises.
    pub marketing: MarketingOptIn,
}

/// The business as the bot describes it: hours, address, phone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessProfile {
    pub hours: Option<WeeklyHours>,
    pub address: Option<String>,
    pub phone: Option<String>,
}

impl Policy {
    /// # Errors
    /// `BUSINESS_HOURS` that do not parse, reported at start-up by name.
    pub fn from_settings(settings: &smsbot_config::Settings) -> Result<Self, HoursError> {
        let hours = settings
            .business_hours
            .as_deref()
            .map(WeeklyHours::parse)
            .transpose()?;
        Ok(Self {
            timezone: settings.business_timezone.tz(),
            business_name: settings.business_name.clone(),
            lead_time: Duration::minutes(settings.booking_lead_minutes),
            horizon: Duration::days(settings.booking_horizon_days),
            max_open_appointments: settings.max_open_appointments,
            conversation_ttl: Duration::minutes(settings.conversation_ttl_minutes),
            offers_per_reply: 3,
            min_confidence: 0.5,
            profile: BusinessProfile {
                hours,
                address: settings.business_address.clone(),
                phone: settings.business_phone.clone(),
            },
            marketing: MarketingOptIn::from_settings(&settings.marketing),
        })
    }

    pub fn booking_rules(&self, now: DateTime<Utc>) -> BookingRules {
        BookingRules {
            earliest: now + self.lead_time,
            latest: now + self.horizon,
            max_open: self.max_open_appointments,
            now,
        }
    }
}
