//! The outbound engine's part of the settings (campaign dispatch, sending,
//! reminders, housekeeping), read with the rest by `Settings::from_vars`.
//! Defaults suit a one-minute dispatch schedule and a fifteen-minute
//! housekeeping schedule.

use std::collections::HashMap;

use chrono::Duration;
use smsbot_domain::MarketingWindow;

use crate::ConfigError;
use crate::settings::{MINUTES_PER_DAY, ranged};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSettings {
    /// `DISPATCH_TICK_SECONDS` (60): the dispatcher schedule's period.
    pub dispatch_tick_seconds: i64,
    /// `DISPATCH_REQUEUE_AFTER_MINUTES` (15).
    pub requeue_after: Duration,
    /// `SEND_MAX_ATTEMPTS` (8): transient failures before a recipient fails.
    pub send_max_attempts: i32,
    /// `REMINDER_HOURS_BEFORE` (24).
    pub reminder_hours_before: i64,
    /// `HOUSEKEEPING_INTERVAL_MINUTES` (15): the housekeeping schedule's period.
    pub housekeeping_interval: Duration,
    /// `CONVERSATION_EXPIRY_GRACE_MINUTES` (1440).
    pub state_grace: Duration,
    /// `APPOINTMENT_COMPLETE_AFTER_MINUTES` (720).
    pub complete_after: Duration,
    /// `WAITLIST_HOLD_MINUTES` (15): how long a freed time offered to a
    /// waitlisted customer is kept for them.
    pub waitlist_hold: Duration,
    /// `MARKETING_WINDOW` (`08:00-21:00`): the local hours marketing texts may
    /// arrive in, in every zone the recipient may be in; only narrower than
    /// the default is accepted.
    pub marketing_window: MarketingWindow,
}

impl EngineSettings {
    pub(crate) fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str, default: i64, min: i64, max: i64| {
            ranged(vars.get(name), name, default, min, max)
        };
        Ok(Self {
            // SQS holds a message back at most 900 s, which paces one tick.
            dispatch_tick_seconds: number("DISPATCH_TICK_SECONDS", 60, 1, 900)?,
            requeue_after: Duration::minutes(number(
                "DISPATCH_REQUEUE_AFTER_MINUTES",
                15,
                1,
                MINUTES_PER_DAY,
            )?),
            send_max_attempts: number("SEND_MAX_ATTEMPTS", 8, 1, 100)? as i32,
            // Two weeks.
            reminder_hours_before: number("REMINDER_HOURS_BEFORE", 24, 1, 14 * 24)?,
            housekeeping_interval: Duration::minutes(number(
                "HOUSEKEEPING_INTERVAL_MINUTES",
                15,
                1,
                MINUTES_PER_DAY,
            )?),
            state_grace: Duration::minutes(number(
                "CONVERSATION_EXPIRY_GRACE_MINUTES",
                1440,
                0,
                MINUTES_PER_DAY * 30,
            )?),
            complete_after: Duration::minutes(number(
                "APPOINTMENT_COMPLETE_AFTER_MINUTES",
                720,
                0,
                MINUTES_PER_DAY * 30,
            )?),
            waitlist_hold: Duration::minutes(number(
                "WAITLIST_HOLD_MINUTES",
                15,
                1,
                MINUTES_PER_DAY,
            )?),
            marketing_window: match vars.get("MARKETING_WINDOW").map(|v| v.trim()) {
                None | Some("") => MarketingWindow::default(),
                Some(raw) => MarketingWindow::parse(raw).map_err(|e| ConfigError::Invalid {
                    name: "MARKETING_WINDOW",
                    reason: e.to_string(),
                })?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str, value: &str) -> Option<String> {
        let vars = HashMap::from([(name.to_owned(), value.to_owned())]);
        match EngineSettings::from_vars(&vars) {
            Err(ConfigError::Invalid { name: got, reason }) if got == name => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn the_dispatch_tick_is_at_most_what_sqs_can_delay() {
        assert_eq!(refused("DISPATCH_TICK_SECONDS", "900"), None);
        assert_eq!(
            refused("DISPATCH_TICK_SECONDS", "901").as_deref(),
            Some("must be between 1 and 900")
        );
        assert_eq!(
            refused("DISPATCH_TICK_SECONDS", "0").as_deref(),
            Some("must be between 1 and 900")
        );
    }

    #[test]
    fn send_attempts_are_refused_past_their_range_instead_of_being_cut_short() {
        assert_eq!(
            refused("SEND_MAX_ATTEMPTS", "5000").as_deref(),
            Some("must be between 1 and 100")
        );
        let vars = HashMap::from([("SEND_MAX_ATTEMPTS".to_owned(), "100".to_owned())]);
        assert_eq!(
            EngineSettings::from_vars(&vars).unwrap().send_max_attempts,
            100
        );
    }

    #[test]
    fn graces_may_be_zero_but_intervals_may_not() {
        assert_eq!(refused("CONVERSATION_EXPIRY_GRACE_MINUTES", "0"), None);
        assert_eq!(refused("APPOINTMENT_COMPLETE_AFTER_MINUTES", "0"), None);
        assert!(refused("HOUSEKEEPING_INTERVAL_MINUTES", "0").is_some());
        assert!(refused("DISPATCH_REQUEUE_AFTER_MINUTES", "0").is_some());
        assert!(refused("REMINDER_HOURS_BEFORE", "0").is_some());
    }

    #[test]
    fn a_marketing_window_wider_than_eight_to_nine_stops_start_up_with_a_clear_message() {
        let vars = HashMap::from([("MARKETING_WINDOW".to_owned(), "07:00-21:00".to_owned())]);
        let err = EngineSettings::from_vars(&vars).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MARKETING_WINDOW is invalid: must lie within 08:00-21:00, the hours marketing \
             texts are allowed in the recipient's local time; it may only be narrower"
        );
        let vars = HashMap::from([("MARKETING_WINDOW".to_owned(), "09:00-20:00".to_owned())]);
        let narrower = EngineSettings::from_vars(&vars).unwrap().marketing_window;
        assert_eq!(narrower.to_string(), "09:00-20:00");
        let defaults = EngineSettings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(defaults.marketing_window, MarketingWindow::LEGAL);
    }

    #[test]
    fn defaults_apply_and_nonsense_is_refused_by_name() {
        let defaults = EngineSettings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(defaults.reminder_hours_before, 24);
        let vars = HashMap::from([("REMINDER_HOURS_BEFORE".to_owned(), "soon".to_owned())]);
        assert!(matches!(
            EngineSettings::from_vars(&vars),
            Err(ConfigError::Invalid {
                name: "REMINDER_HOURS_BEFORE",
                ..
            })
        ));
    }
}
