//! The human handoff's part of the settings, read with the rest by
//! `Settings::from_vars`:
//!
//! - `HANDOFF_QUIET_HOURS` (24): how long the bot stays quiet for a contact
//!   whose conversation went to staff, unless staff release it sooner (1 to 720).
//! - `STAFF_ALERT_TOPIC_ARN`: the SNS topic staff alerts are published to (in
//!   AWS; subscribe staff's e-mail, SMS or a chat hook to it).
//! - `STAFF_PHONE`: an E.164 number alerts are texted to through the outbox
//!   when no topic is set (local use, or a business without SNS subscribers).
//!
//! With neither, alerts are kept in the process and logged (the admin API still
//! lists the conversations). Owns the parsed values; must not send anything.

use std::collections::HashMap;
use std::fmt;

use smsbot_domain::PhoneNumber;

use crate::ConfigError;
use crate::settings::ranged;

/// An SNS topic's ARN: `arn:<partition>:sns:<region>:<account>:<name>`.
#[derive(Clone, PartialEq, Eq)]
pub struct TopicArn(String);

impl TopicArn {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw.split(':').collect();
        let shaped = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "sns"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && !parts[5].is_empty();
        if shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Err(
                "must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:staff-alerts"
                    .to_owned(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct HandoffSettings {
    /// `HANDOFF_QUIET_HOURS`.
    pub quiet_hours: i64,
    /// `STAFF_ALERT_TOPIC_ARN`.
    pub staff_alert_topic: Option<TopicArn>,
    /// `STAFF_PHONE`.
    pub staff_phone: Option<PhoneNumber>,
}

/// The staff number shows masked, like every number in logs.
impl fmt::Debug for HandoffSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandoffSettings")
            .field("quiet_hours", &self.quiet_hours)
            .field("staff_alert_topic", &self.staff_alert_topic)
            .field(
                "staff_phone",
                &self.staff_phone.as_ref().map(|p| p.masked().to_string()),
            )
            .finish()
    }
}

impl HandoffSettings {
    pub(crate) fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid { name, reason };
        Ok(Self {
            quiet_hours: ranged(
                get("HANDOFF_QUIET_HOURS"),
                "HANDOFF_QUIET_HOURS",
                24,
                1,
                720,
            )?,
            staff_alert_topic: get("STAFF_ALERT_TOPIC_ARN")
                .map(|raw| TopicArn::parse(raw).map_err(|e| invalid("STAFF_ALERT_TOPIC_ARN", e)))
                .transpose()?,
            staff_phone: get("STAFF_PHONE")
                .map(|raw| {
                    PhoneNumber::parse_e164(raw).map_err(|e| {
                        invalid("STAFF_PHONE", format!("{e} (E.164, like +14155550100)"))
                    })
                })
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<HandoffSettings, ConfigError> {
        HandoffSettings::from_vars(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn refused(name: &str, value: &str) -> String {
        match read(&[(name, value)]) {
            Err(ConfigError::Invalid { name: got, reason }) if got == name => reason,
            other => panic!("{name}={value} should be refused by name, got {other:?}"),
        }
    }

    #[test]
    fn unset_the_bot_is_quiet_for_a_day_and_alerts_have_no_channel() {
        let settings = read(&[]).unwrap();
        assert_eq!(settings.quiet_hours, 24);
        assert_eq!(settings.staff_alert_topic, None);
        assert_eq!(settings.staff_phone, None);
    }

    #[test]
    fn the_quiet_time_is_between_an_hour_and_a_month() {
        assert_eq!(
            read(&[("HANDOFF_QUIET_HOURS", "1")]).unwrap().quiet_hours,
            1
        );
        assert_eq!(
            read(&[("HANDOFF_QUIET_HOURS", "720")]).unwrap().quiet_hours,
            720
        );
        assert_eq!(
            refused("HANDOFF_QUIET_HOURS", "0"),
            "must be between 1 and 720"
        );
        assert_eq!(
            refused("HANDOFF_QUIET_HOURS", "721"),
            "must be between 1 and 720"
        );
    }

    #[test]
    fn a_topic_must_be_an_sns_topic_arn() {
        let arn = "arn:aws:sns:us-east-1:123456789012:smsbot-staff-alerts";
        let settings = read(&[("STAFF_ALERT_TOPIC_ARN", arn)]).unwrap();
        assert_eq!(settings.staff_alert_topic.unwrap().as_str(), arn);
        for wrong in [
            "smsbot-staff-alerts",
            "arn:aws:sqs:us-east-1:123456789012:smsbot-staff-alerts",
            "arn:aws:sns:us-east-1:1234:smsbot-staff-alerts",
            "https://sns.us-east-1.amazonaws.com/123456789012/alerts",
        ] {
            assert!(
                refused("STAFF_ALERT_TOPIC_ARN", wrong).starts_with("must be an SNS topic ARN"),
                "{wrong}"
            );
        }
    }

    #[test]
    fn the_staff_phone_is_e164_and_shows_masked() {
        let settings = read(&[("STAFF_PHONE", "+14155550188")]).unwrap();
        assert_eq!(
            settings.staff_phone.as_ref().unwrap().as_e164(),
            "+14155550188"
        );
        let shown = format!("{settings:?}");
        assert!(!shown.contains("4155550188"), "{shown}");
        assert!(refused("STAFF_PHONE", "415 555 0188").contains("E.164"));
    }
}
