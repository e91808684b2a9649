//! The business's scheduling policy: lead time, horizon, cap, conversation
//! expiry; and the business as the bot describes it, from the settings with
//! what operators stored over them (`Policy::with_stored`, by the rule of
//! `smsbot_store::business_profile`).

use crate::marketing::MarketingOptIn;
use crate::weekly_hours::{HoursError, WeeklyHours};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use smsbot_domain::{FaqEntry, Website};
use smsbot_store::appointments::BookingRules;
use smsbot_store::business_profile::{StoredProfile, effective};

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
    /// After this many no-shows a booking by text waits for the front
    /// desk's approval (`NO_SHOW_LIMIT`; `None`: never).
    pub no_show_limit: Option<i64>,
    /// `PUBLIC_BASE_URL`: where the `.ics` link in a booking confirmation
    /// points (`None`: confirmations carry no link).
    pub links_base: Option<url::Url>,
}

/// The business as the bot describes it: hours, address, phone, website and
/// the answers to its frequently asked questions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessProfile {
    pub hours: Option<WeeklyHours>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<Website>,
    /// In order: the first of equally good matches answers.
    pub faq: Vec<FaqEntry>,
}

impl BusinessProfile {
    /// This profile (the settings') with what operators stored over it.
    /// Stored hours that no longer parse are skipped (and logged): the
    /// admin API refuses such hours, so only a hand edit leaves them.
    pub fn with_stored(&self, stored: &StoredProfile) -> Self {
        let hours = stored
            .hours
            .as_deref()
            .and_then(|text| match WeeklyHours::parse(text) {
                Ok(hours) => Some(hours),
                Err(error) => {
                    tracing::warn!(%error, "stored business hours do not parse; using the settings'");
                    None
                }
            });
        Self {
            hours: effective(hours.map(Some), self.hours.clone()).value,
            address: effective(stored.address.clone().map(Some), self.address.clone()).value,
            phone: effective(stored.phone.clone().map(Some), self.phone.clone()).value,
            website: effective(stored.website.clone().map(Some), self.website.clone()).value,
            faq: effective(
                stored
                    .faq
                    .as_ref()
                    .map(|entries| entries.iter().map(|e| e.entry.clone()).collect()),
                self.faq.clone(),
            )
            .value,
        }
    }
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
                website: settings.business_website.clone(),
                faq: settings.business_faq.entries().to_vec(),
            },
            marketing: MarketingOptIn::from_settings(&settings.marketing),
            no_show_limit: (settings.no_show_limit > 0).then_some(settings.no_show_limit),
            links_base: settings.public_base_url.clone(),
        })
    }

    /// The policy for one turn: the business's name and profile with what
    /// operators stored over the settings' (nothing stored: the same).
    pub fn with_stored(&self, stored: &StoredProfile) -> Self {
        Self {
            business_name: effective(stored.name.clone(), self.business_name.clone()).value,
            profile: self.profile.with_stored(stored),
            ..self.clone()
        }
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
