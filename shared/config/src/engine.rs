//! The outbound engine's part of the settings (campaign dispatch, sending,
//! reminders, housekeeping), read with the rest by `Settings::from_vars`.
//! Defaults suit a one-minute dispatch schedule and a fifteen-minute
//! housekeeping schedule.

use std::collections::HashMap;

use chrono::Duration;

use crate::ConfigError;

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
}

impl EngineSettings {
    pub(crate) fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str, default: i64, min: i64| -> Result<i64, ConfigError> {
            match vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(raw) => match raw.parse::<i64>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(ConfigError::Invalid {
                        name,
                        reason: format!("must be a whole number of at least {min}"),
                    }),
                },
            }
        };
        Ok(Self {
            dispatch_tick_seconds: number("DISPATCH_TICK_SECONDS", 60, 1)?,
            requeue_after: Duration::minutes(number("DISPATCH_REQUEUE_AFTER_MINUTES", 15, 1)?),
            send_max_attempts: number("SEND_MAX_ATTEMPTS", 8, 1)?.min(1_000) as i32,
            reminder_hours_before: number("REMINDER_HOURS_BEFORE", 24, 1)?,
            housekeeping_interval: Duration::minutes(number(
                "HOUSEKEEPING_INTERVAL_MINUTES",
                15,
                1,
            )?),
            state_grace: Duration::minutes(number("CONVERSATION_EXPIRY_GRACE_MINUTES", 1440, 0)?),
            complete_after: Duration::minutes(number(
                "APPOINTMENT_COMPLETE_AFTER_MINUTES",
                720,
                0,
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
