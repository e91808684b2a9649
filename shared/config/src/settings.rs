//! The typed settings struct. Names follow the original system's environment
//! variables so its operators feel at home; see `.env.example` for every one.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use smsbot_domain::{Faq, MessagingServiceSid, PhoneNumber, Region, Timezone, Website};
use url::Url;

use crate::engine::EngineSettings;
use crate::handoff::HandoffSettings;
use crate::limits::LimitSettings;
use crate::marketing::MarketingSettings;
use crate::placeholder::is_placeholder;

/// Variables that may come from the Secrets Manager secret instead of the
/// environment (the secret is a JSON object with these keys).
pub const SECRET_KEYS: &[&str] = &[
    "DATABASE_URL",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_SECONDARY_AUTH_TOKEN",
    "OPENROUTER_API_KEY",
    "ADMIN_API_KEY",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is required but not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    /// The value is still the placeholder the deployment created the app secret
    /// with (the value itself is never shown).
    #[error(
        "{0} still holds the placeholder the app secret was created with: \
         put the real value in the app secret (aws secretsmanager put-secret-value)"
    )]
    Placeholder(&'static str),
}

/// How outbound SMS leave: a From number or a Messaging Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    PhoneNumber(PhoneNumber),
    MessagingService(MessagingServiceSid),
}

/// Everything an entry point may need. Optional parts are `None` when unset; each
/// function asks for what it uses through the `require_*` accessors, so a missing
/// value is reported by name at start-up, not at the first request.
#[derive(Clone)]
pub struct Settings {
    pub database_url: Option<SecretString>,
    pub database_pool_size: usize,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_tokens: Vec<SecretString>,
    pub twilio_sender: Option<Sender>,
    pub twilio_api_base: Url,
    /// `TWILIO_WEBHOOK_OVERRIDES` (`rc=3&rp=5xx` when unset): the connection
    /// overrides fragment of the inbound webhook URL configured in Twilio, which
    /// the webhook also accepts signatures over. Parsed where the webhook is built.
    pub twilio_webhook_overrides: Option<String>,
    pub openrouter_api_key: Option<SecretString>,
    pub openrouter_model: String,
    pub admin_api_key: Option<SecretString>,
    pub public_base_url: Option<Url>,
    pub inbound_queue_url: Option<String>,
    pub outbound_queue_url: Option<String>,
    pub idempotency_table: Option<String>,
    pub secrets_arn: Option<String>,
    pub default_region: Region,
    pub business_timezone: Timezone,
    pub business_name: String,
    /// `BUSINESS_HOURS` ("mon-fri 09:00-17:00; sat 10:00-14:00"): what the bot
    /// says when asked, and what `smsbot seed-availability` opens.
    pub business_hours: Option<String>,
    /// `BUSINESS_ADDRESS`: where the bot says the business is.
    pub business_address: Option<String>,
    /// `BUSINESS_PHONE`: the number the bot gives for a call.
    pub business_phone: Option<String>,
    /// `BUSINESS_WEBSITE`: the website the bot gives when asked (http or https).
    pub business_website: Option<Website>,
    /// `BUSINESS_FAQ`: questions and the answers the bot texts (a JSON array
    /// of `{"question", "answer"}`); see `crate::business`.
    pub business_faq: Faq,
    pub booking_lead_minutes: i64,
    pub booking_horizon_days: i64,
    pub max_open_appointments: i64,
    /// `NO_SHOW_LIMIT`: after this many no-shows a booking by text waits for
    /// the front desk's approval; 0 (the default) never.
    pub no_show_limit: i64,
    pub conversation_ttl_minutes: i64,
    /// Offline understanding below this confidence asks the LLM (when a key is set).
    pub llm_confidence_threshold: f32,
    /// Campaign dispatch, sending, reminders and housekeeping.
    pub engine: EngineSettings,
    /// The inbound rate limit and the daily LLM budget.
    pub limits: LimitSettings,
    /// The marketing opt-in keyword and frequency cap.
    pub marketing: MarketingSettings,
    /// The human handoff: how long the bot stays quiet, where staff alerts go.
    pub handoff: HandoffSettings,
    /// Secret keys whose value is still a deployment placeholder; the accessors
    /// of those values refuse them.
    placeholders: BTreeSet<&'static str>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads a map of variables (the environment, possibly with secrets overlaid).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let secret = |name: &str| get(name).map(SecretString::from);

        let twilio_auth_tokens = ["TWILIO_AUTH_TOKEN", "TWILIO_SECONDARY_AUTH_TOKEN"]
            .iter()
            .filter_map(|name| secret(name))
            .collect();
        let twilio_sender = match (
            get("TWILIO_MESSAGING_SERVICE_SID"),
            get("TWILIO_PHONE_NUMBER"),
        ) {
            (Some(sid), _) => Some(Sender::MessagingService(
                MessagingServiceSid::parse(&sid)
                    .map_err(|e| invalid("TWILIO_MESSAGING_SERVICE_SID", e))?,
            )),
            (None, Some(number)) => Some(Sender::PhoneNumber(
                PhoneNumber::parse_e164(&number).map_err(|e| invalid("TWILIO_PHONE_NUMBER", e))?,
            )),
            (None, None) => None,
        };
        let url = |name: &'static str| -> Result<Option<Url>, ConfigError> {
            get(name)
                .map(|raw| Url::parse(&raw).map_err(|e| invalid(name, e)))
                .transpose()
        };
        // Ten years ahead at most: far beyond any real calendar, far below what
        // date arithmetic can hold.
        let booking_horizon_days = ranged(
            get("BOOKING_HORIZON_DAYS"),
            "BOOKING_HORIZON_DAYS",
            60,
            1,
            3_650,
        )?;
        let booking_lead_minutes = ranged(
            get("BOOKING_LEAD_MINUTES"),
            "BOOKING_LEAD_MINUTES",
            60,
            0,
            MINUTES_PER_DAY * 30,
        )?;
        if booking_lead_minutes >= booking_horizon_days * MINUTES_PER_DAY {
            return Err(invalid(
                "BOOKING_LEAD_MINUTES",
                "must be shorter than BOOKING_HORIZON_DAYS, or nothing can be booked",
            ));
        }
        Ok(Self {
            database_url: secret("DATABASE_URL"),
            database_pool_size: ranged(get("DATABASE_POOL_SIZE"), "DATABASE_POOL_SIZE", 4, 1, 100)?
                as usize,
            twilio_account_sid: get("TWILIO_ACCOUNT_SID"),
            twilio_auth_tokens,
            twilio_sender,
            twilio_webhook_overrides: get("TWILIO_WEBHOOK_OVERRIDES"),
            twilio_api_base: url("TWILIO_API_BASE")?
                .unwrap_or_else(|| Url::parse("https://api.twilio.com").expect("static URL")),
            openrouter_api_key: secret("OPENROUTER_API_KEY"),
            openrouter_model: get("OPENROUTER_MODEL")
                .unwrap_or_else(|| "openai/gpt-4o-mini".to_owned()),
            admin_api_key: secret("ADMIN_API_KEY"),
            public_base_url: url("PUBLIC_BASE_URL")?,
            inbound_queue_url: get("INBOUND_QUEUE_URL"),
            outbound_queue_url: get("OUTBOUND_QUEUE_URL"),
            idempotency_table: get("IDEMPOTENCY_TABLE"),
            secrets_arn: get("APP_SECRETS_ARN"),
            default_region: get("DEFAULT_PHONE_REGION")
                .map(|r| Region::parse(&r).map_err(|e| invalid("DEFAULT_PHONE_REGION", e)))
                .transpose()?
                .unwrap_or(Region::US),
            business_timezone: get("BUSINESS_TIMEZONE")
                .map(|tz| Timezone::parse(&tz).map_err(|e| invalid("BUSINESS_TIMEZONE", e)))
                .transpose()?
                .unwrap_or_else(chrono_tz_default),
            business_name: get("BUSINESS_NAME").unwrap_or_else(|| "our office".to_owned()),
            business_hours: get("BUSINESS_HOURS"),
            business_address: get("BUSINESS_ADDRESS"),
            business_phone: get("BUSINESS_PHONE"),
            business_website: crate::business::website(get("BUSINESS_WEBSITE").as_deref())?,
            business_faq: crate::business::faq(get("BUSINESS_FAQ").as_deref())?,
            booking_lead_minutes,
            booking_horizon_days,
            // Zero would let nobody book.
            max_open_appointments: ranged(
                get("MAX_OPEN_APPOINTMENTS"),
                "MAX_OPEN_APPOINTMENTS",
                3,
                1,
                100,
            )?,
            no_show_limit: ranged(get("NO_SHOW_LIMIT"), "NO_SHOW_LIMIT", 0, 0, 100)?,
            // A week: a half-finished conversation is not picked up after that.
            conversation_ttl_minutes: ranged(
                get("CONVERSATION_TTL_MINUTES"),
                "CONVERSATION_TTL_MINUTES",
                30,
                1,
                MINUTES_PER_DAY * 7,
            )?,
            llm_confidence_threshold: match get("NLU_LLM_THRESHOLD") {
                None => 0.6,
                Some(raw) => match raw.parse::<f32>() {
                    Ok(t) if (0.0..=1.0).contains(&t) => t,
                    _ => return Err(invalid("NLU_LLM_THRESHOLD", "must be between 0 and 1")),
                },
            },
            engine: EngineSettings::from_vars(vars)?,
            limits: LimitSettings::from_vars(vars)?,
            marketing: MarketingSettings::from_vars(vars)?,
            handoff: HandoffSettings::from_vars(vars)?,
            placeholders: SECRET_KEYS
                .iter()
                .copied()
                .filter(|name| get(name).is_some_and(|v| is_placeholder(&v)))
                .collect(),
        })
    }

    /// `Err(Placeholder(name))` when `name`'s value is still a placeholder.
    fn not_placeholder(&self, name: &'static str) -> Result<(), ConfigError> {
        if self.placeholders.contains(name) {
            return Err(ConfigError::Placeholder(name));
        }
        Ok(())
    }

    pub fn require_database_url(&self) -> Result<&str, ConfigError> {
        self.not_placeholder("DATABASE_URL")?;
        self.database_url
            .as_ref()
            .map(|s| s.expose_secret())
            .ok_or(ConfigError::Missing("DATABASE_URL"))
    }

    pub fn require_admin_api_key(&self) -> Result<&SecretString, ConfigError> {
        self.not_placeholder("ADMIN_API_KEY")?;
        self.admin_api_key
            .as_ref()
            .ok_or(ConfigError::Missing("ADMIN_API_KEY"))
    }

    /// The OpenRouter key when one is set (none: offline understanding only).
    pub fn usable_openrouter_api_key(&self) -> Result<Option<&SecretString>, ConfigError> {
        self.not_placeholder("OPENROUTER_API_KEY")?;
        Ok(self.openrouter_api_key.as_ref())
    }

    pub fn require_public_base_url(&self) -> Result<&Url, ConfigError> {
        self.public_base_url
            .as_ref()
            .ok_or(ConfigError::Missing("PUBLIC_BASE_URL"))
    }

    pub fn require_inbound_queue_url(&self) -> Result<&str, ConfigError> {
        self.inbound_queue_url
            .as_deref()
            .ok_or(ConfigError::Missing("INBOUND_QUEUE_URL"))
    }

    pub fn require_idempotency_table(&self) -> Result<&str, ConfigError> {
        self.idempotency_table
            .as_deref()
            .ok_or(ConfigError::Missing("IDEMPOTENCY_TABLE"))
    }

    /// Current and (during rotation) secondary Twilio auth tokens.
    pub fn require_twilio_auth_tokens(&self) -> Result<Vec<&str>, ConfigError> {
        self.not_placeholder("TWILIO_AUTH_TOKEN")?;
        self.not_placeholder("TWILIO_SECONDARY_AUTH_TOKEN")?;
        if self.twilio_auth_tokens.is_empty() {
            return Err(ConfigError::Missing("TWILIO_AUTH_TOKEN"));
        }
        Ok(self
            .twilio_auth_tokens
            .iter()
            .map(|t| t.expose_secret())
            .collect())
    }
}

pub(crate) const MINUTES_PER_DAY: i64 = 24 * 60;

/// A whole-number setting from its raw value (`None`: unset, so `default`),
/// refused by name unless it lies in `min..=max`. Every numeric setting has such
/// a range, so a typo (an extra zero, a value in the wrong unit) stops the
/// function at start-up instead of overflowing date arithmetic later.
pub(crate) fn ranged(
    raw: Option<impl AsRef<str>>,
    name: &'static str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ConfigError> {
    debug_assert!(
        (min..=max).contains(&default),
        "{name}'s default is out of range"
    );
    let Some(raw) = raw else {
        return Ok(default);
    };
    let raw = raw.as_ref().trim();
    if raw.is_empty() {
        return Ok(default);
    }
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(invalid(name, format!("must be between {min} and {max}"))),
        // Far out of range, or not a whole number at all.
        Err(_)
            if raw
                .trim_start_matches(['-', '+'])
                .bytes()
                .all(|b| b.is_ascii_digit()) =>
        {
            Err(invalid(name, format!("must be between {min} and {max}")))
        }
        Err(_) => Err(invalid(
            name,
            format!("must be a whole number between {min} and {max}"),
        )),
    }
}

fn chrono_tz_default() -> Timezone {
    Timezone::parse("America/New_York").expect("static zone name")
}

fn invalid(name: &'static str, reason: impl fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_string(),
    }
}

/// Secrets show as `[redacted]`; everything else is printed for start-up logs.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| if present { "[redacted]" } else { "unset" };
        f.debug_struct("Settings")
            .field("database_url", &redacted(self.database_url.is_some()))
            .field("database_pool_size", &self.database_pool_size)
            .field("twilio_account_sid", &self.twilio_account_sid)
            .field("twilio_webhook_overrides", &self.twilio_webhook_overrides)
            .field(
                "twilio_auth_tokens",
                &format!("{} [redacted]", self.twilio_auth_tokens.len()),
            )
            .field(
                "twilio_sender",
                &self.twilio_sender.as_ref().map(|s| match s {
                    Sender::PhoneNumber(p) => p.masked().to_string(),
                    Sender::MessagingService(sid) => sid.to_string(),
                }),
            )
            .field("twilio_api_base", &self.twilio_api_base.as_str())
            .field(
                "openrouter_api_key",
                &redacted(self.openrouter_api_key.is_some()),
            )
            .field("openrouter_model", &self.openrouter_model)
            .field("admin_api_key", &redacted(self.admin_api_key.is_some()))
            .field(
                "public_base_url",
                &self.public_base_url.as_ref().map(Url::as_str),
            )
            .field("inbound_queue_url", &self.inbound_queue_url)
            .field("outbound_queue_url", &self.outbound_queue_url)
            .field("idempotency_table", &self.idempotency_table)
            .field("secrets_arn", &self.secrets_arn)
            .field("business_timezone", &self.business_timezone)
            .field("business_name", &self.business_name)
            .field("business_hours", &self.business_hours)
            .field("business_address", &self.business_address)
            .field("business_phone", &self.business_phone)
            .field(
                "business_website",
                &self.business_website.as_ref().map(Website::as_str),
            )
            .field("business_faq_entries", &self.business_faq.len())
            .field("booking_lead_minutes", &self.booking_lead_minutes)
            .field("booking_horizon_days", &self.booking_horizon_days)
            .field("max_open_appointments", &self.max_open_appointments)
            .field("no_show_limit", &self.no_show_limit)
            .field("conversation_ttl_minutes", &self.conversation_ttl_minutes)
            .field("llm_confidence_threshold", &self.llm_confidence_threshold)
            .field("engine", &self.engine)
            .field("limits", &self.limits)
            .field("marketing", &self.marketing)
            .field("handoff", &self.handoff)
            .field("placeholders", &self.placeholders)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn debug_output_never_contains_a_secret() {
        let settings = Settings::from_vars(&vars(&[
            ("DATABASE_URL", "postgres://app:hunter2@db/app"),
            ("TWILIO_AUTH_TOKEN", "tok-live-123"),
            ("ADMIN_API_KEY", "admin-key-xyz"),
            ("OPENROUTER_API_KEY", "sk-or-abc"),
        ]))
        .unwrap();
        let shown = format!("{settings:?}");
        for secret in ["hunter2", "tok-live-123", "admin-key-xyz", "sk-or-abc"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn both_auth_tokens_are_kept_for_rotation() {
        let settings = Settings::from_vars(&vars(&[
            ("TWILIO_AUTH_TOKEN", "new"),
            ("TWILIO_SECONDARY_AUTH_TOKEN", "old"),
        ]))
        .unwrap();
        assert_eq!(
            settings.require_twilio_auth_tokens().unwrap(),
            vec!["new", "old"]
        );
    }

    #[test]
    fn a_messaging_service_wins_over_a_from_number() {
        let settings = Settings::from_vars(&vars(&[
            ("TWILIO_PHONE_NUMBER", "+14155550100"),
            (
                "TWILIO_MESSAGING_SERVICE_SID",
                "MG0123456789abcdef0123456789abcdef",
            ),
        ]))
        .unwrap();
        assert!(matches!(
            settings.twilio_sender,
            Some(Sender::MessagingService(_))
        ));
    }

    #[test]
    fn an_unknown_business_timezone_is_reported_by_name() {
        let err = Settings::from_vars(&vars(&[("BUSINESS_TIMEZONE", "Nowhere/Land")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "BUSINESS_TIMEZONE",
                ..
            }
        ));
    }

    /// Every whole-number setting with the range it must fall in.
    const BOUNDS: &[(&str, i64, i64)] = &[
        ("DATABASE_POOL_SIZE", 1, 100),
        ("BOOKING_LEAD_MINUTES", 0, 43_200),
        ("BOOKING_HORIZON_DAYS", 1, 3_650),
        ("MAX_OPEN_APPOINTMENTS", 1, 100),
        ("NO_SHOW_LIMIT", 0, 100),
        ("CONVERSATION_TTL_MINUTES", 1, 10_080),
        ("DISPATCH_TICK_SECONDS", 1, 900),
        ("DISPATCH_REQUEUE_AFTER_MINUTES", 1, 1_440),
        ("SEND_MAX_ATTEMPTS", 1, 100),
        ("REMINDER_HOURS_BEFORE", 1, 336),
        ("HOUSEKEEPING_INTERVAL_MINUTES", 1, 1_440),
        ("CONVERSATION_EXPIRY_GRACE_MINUTES", 0, 43_200),
        ("APPOINTMENT_COMPLETE_AFTER_MINUTES", 0, 43_200),
        ("WAITLIST_HOLD_MINUTES", 1, 1_440),
        ("HANDOFF_QUIET_HOURS", 1, 720),
    ];

    /// The settings with `name` set to `value`, and a horizon long enough for
    /// any booking lead time in range.
    fn with(name: &str, value: &str) -> Result<Settings, ConfigError> {
        let mut vars = vars(&[("BOOKING_HORIZON_DAYS", "3650")]);
        vars.insert(name.to_owned(), value.to_owned());
        Settings::from_vars(&vars)
    }

    fn refused(name: &str, value: &str) -> String {
        match with(name, value) {
            Err(ConfigError::Invalid { name: got, reason }) if got == name => reason,
            other => panic!("{name}={value} should be refused by name, got {other:?}"),
        }
    }

    #[test]
    fn every_whole_number_setting_accepts_both_ends_of_its_range() {
        for (name, min, max) in BOUNDS {
            for value in [min, max] {
                assert!(
                    with(name, &value.to_string()).is_ok(),
                    "{name}={value} should be accepted"
                );
            }
        }
    }

    #[test]
    fn every_whole_number_setting_refuses_one_below_its_range() {
        for (name, min, max) in BOUNDS {
            assert_eq!(
                refused(name, &(min - 1).to_string()),
                format!("must be between {min} and {max}"),
                "{name}"
            );
        }
    }

    #[test]
    fn every_whole_number_setting_refuses_one_above_its_range() {
        for (name, min, max) in BOUNDS {
            assert_eq!(
                refused(name, &(max + 1).to_string()),
                format!("must be between {min} and {max}"),
                "{name}"
            );
        }
    }

    #[test]
    fn every_whole_number_setting_refuses_what_is_not_a_whole_number() {
        for (name, min, max) in BOUNDS {
            assert_eq!(
                refused(name, "ten"),
                format!("must be a whole number between {min} and {max}"),
                "{name}"
            );
            assert_eq!(
                refused(name, "1.5"),
                format!("must be a whole number between {min} and {max}"),
                "{name}"
            );
        }
    }

    #[test]
    fn a_horizon_that_would_overflow_date_arithmetic_stops_start_up_with_a_clear_message() {
        let err = Settings::from_vars(&vars(&[("BOOKING_HORIZON_DAYS", "200000000")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BOOKING_HORIZON_DAYS is invalid: must be between 1 and 3650"
        );
        // Even past what a 64-bit number holds.
        assert_eq!(
            refused("BOOKING_HORIZON_DAYS", "99999999999999999999999"),
            "must be between 1 and 3650"
        );
    }

    #[test]
    fn a_lead_time_as_long_as_the_horizon_is_refused() {
        let err = Settings::from_vars(&vars(&[
            ("BOOKING_HORIZON_DAYS", "1"),
            ("BOOKING_LEAD_MINUTES", "1440"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "BOOKING_LEAD_MINUTES",
                ..
            }
        ));
        let ok = Settings::from_vars(&vars(&[
            ("BOOKING_HORIZON_DAYS", "1"),
            ("BOOKING_LEAD_MINUTES", "1439"),
        ]));
        assert!(ok.is_ok());
    }

    #[test]
    fn unset_or_blank_numbers_take_their_defaults() {
        let settings = Settings::from_vars(&vars(&[("DATABASE_POOL_SIZE", "  ")])).unwrap();
        assert_eq!(settings.database_pool_size, 4);
        assert_eq!(settings.booking_horizon_days, 60);
        assert_eq!(settings.booking_lead_minutes, 60);
        assert_eq!(settings.max_open_appointments, 3);
        assert_eq!(settings.conversation_ttl_minutes, 30);
        assert_eq!(settings.engine.dispatch_tick_seconds, 60);
    }

    #[test]
    fn the_confidence_threshold_is_refused_outside_zero_to_one() {
        for value in ["-0.1", "1.01", "high"] {
            assert_eq!(
                refused("NLU_LLM_THRESHOLD", value),
                "must be between 0 and 1"
            );
        }
        assert!(with("NLU_LLM_THRESHOLD", "0").is_ok());
        assert!(with("NLU_LLM_THRESHOLD", "1").is_ok());
    }

    #[test]
    fn the_website_and_faq_are_read_and_refused_by_name_when_wrong() {
        let settings = Settings::from_vars(&vars(&[
            ("BUSINESS_WEBSITE", "https://maplestreet.example"),
            (
                "BUSINESS_FAQ",
                r#"[{"question": "Do you take walk-ins?", "answer": "Yes, before 3pm."}]"#,
            ),
        ]))
        .unwrap();
        assert_eq!(
            settings.business_website.unwrap().as_str(),
            "https://maplestreet.example"
        );
        assert_eq!(
            settings.business_faq.entries()[0].answer(),
            "Yes, before 3pm."
        );
        let unset = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(unset.business_website, None);
        assert!(unset.business_faq.is_empty());

        assert!(refused("BUSINESS_WEBSITE", "maplestreet.example").contains("absolute URL"));
        assert_eq!(
            refused("BUSINESS_WEBSITE", "ftp://maplestreet.example"),
            "must start with http:// or https://"
        );
        assert!(refused("BUSINESS_FAQ", "walk-ins: yes").starts_with("must be a JSON array"));
        assert_eq!(
            refused("BUSINESS_FAQ", r#"[{"question": " ", "answer": "a"}]"#),
            "entry 1: the question must not be empty"
        );
    }

    #[test]
    fn missing_required_values_are_named() {
        let settings = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(
            settings.require_database_url(),
            Err(ConfigError::Missing("DATABASE_URL"))
        );
        assert_eq!(
            settings.require_twilio_auth_tokens(),
            Err(ConfigError::Missing("TWILIO_AUTH_TOKEN"))
        );
    }
}
