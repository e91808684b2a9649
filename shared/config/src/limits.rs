//! The limits that protect the customer and the bill, read with the rest by
//! `Settings::from_vars`:
//!
//! - `INBOUND_RATE_LIMIT` (`10/1m,40/1h,100/1d`): how many messages one number
//!   may send per fixed window before the bot stops understanding and answering
//!   it; `off` for none. Each window is `<messages>/<length><unit>`, the unit one
//!   of `s`, `m`, `h`, `d` (a length of 1 may be left out: `100/d`).
//! - `LLM_DAILY_BUDGET` (2000): LLM calls per UTC day; beyond it understanding
//!   is offline only. 0 never asks the LLM.
//!
//! Owns the parsed values (newtypes that cannot hold nonsense). Must not count
//! anything: the conversation worker applies them.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::ConfigError;
use crate::settings::ranged;

/// The default inbound rate limit. A person texting a clinic sends a handful
/// of messages a minute at most, a few dozen on a busy day; a looping
/// auto-responder answers within seconds, all day long.
pub const DEFAULT_INBOUND_RATE_LIMIT: &str = "10/1m,40/1h,100/1d";

/// The default daily LLM budget: about twenty times what a busy clinic's
/// low-confidence messages need, and a small bill if a bug spends it all.
pub const DEFAULT_LLM_DAILY_BUDGET: u32 = 2000;

const MAX_MESSAGES: u32 = 100_000;
const MAX_WINDOW_SECONDS: u32 = 7 * 24 * 3600;
const MAX_LLM_DAILY_BUDGET: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    /// `INBOUND_RATE_LIMIT`.
    pub inbound_rate: InboundRateLimit,
    /// `LLM_DAILY_BUDGET`.
    pub llm_daily_budget: LlmDailyBudget,
}

impl LimitSettings {
    pub(crate) fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let inbound_rate = match vars.get("INBOUND_RATE_LIMIT").map(|v| v.trim()) {
            None | Some("") => DEFAULT_INBOUND_RATE_LIMIT
                .parse()
                .expect("the default rate limit parses"),
            Some(raw) => raw
                .parse()
                .map_err(|e: RateLimitError| ConfigError::Invalid {
                    name: "INBOUND_RATE_LIMIT",
                    reason: e.to_string(),
                })?,
        };
        let calls = ranged(
            vars.get("LLM_DAILY_BUDGET"),
            "LLM_DAILY_BUDGET",
            i64::from(DEFAULT_LLM_DAILY_BUDGET),
            0,
            MAX_LLM_DAILY_BUDGET,
        )?;
        Ok(Self {
            inbound_rate,
            llm_daily_budget: LlmDailyBudget(calls as u32),
        })
    }
}

/// LLM calls allowed per UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LlmDailyBudget(u32);

impl LlmDailyBudget {
    #[must_use]
    pub fn calls(self) -> u32 {
        self.0
    }

    /// At most `calls` a day (tests and tools; settings are range-checked).
    #[must_use]
    pub fn of(calls: u32) -> Self {
        Self(calls)
    }
}

/// At most `messages` from one number per fixed window of `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    messages: u32,
    seconds: u32,
}

impl RateWindow {
    /// How many messages the window admits.
    #[must_use]
    pub fn messages(self) -> u32 {
        self.messages
    }

    /// The window's length in seconds (never zero).
    #[must_use]
    pub fn seconds(self) -> u32 {
        self.seconds
    }
}

/// Every window one number's messages must fit in; empty when switched off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRateLimit(Vec<RateWindow>);

impl InboundRateLimit {
    /// No limit at all (`off`).
    #[must_use]
    pub fn off() -> Self {
        Self(Vec::new())
    }

    #[must_use]
    pub fn windows(&self) -> &[RateWindow] {
        &self.0
    }

    #[must_use]
    pub fn is_off(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why an `INBOUND_RATE_LIMIT` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    #[error("`{0}` is not <messages>/<length><unit>, e.g. 10/1m")]
    Shape(String),
    #[error("`{0}`: the number of messages must be between 1 and {MAX_MESSAGES}")]
    Messages(String),
    #[error("`{0}`: the unit must be s, m, h or d")]
    Unit(String),
    #[error("`{0}`: the window must be between 1 second and 7 days")]
    Length(String),
    #[error("`{0}`: the same window is given twice")]
    Repeated(String),
}

impl FromStr for InboundRateLimit {
    type Err = RateLimitError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.trim().eq_ignore_ascii_case("off") {
            return Ok(Self::off());
        }
        let mut windows: Vec<RateWindow> = Vec::new();
        for part in raw.split(',').map(str::trim) {
            let window = parse_window(part)?;
            if windows.iter().any(|w| w.seconds == window.seconds) {
                return Err(RateLimitError::Repeated(part.to_owned()));
            }
            windows.push(window);
        }
        windows.sort_by_key(|w| w.seconds);
        Ok(Self(windows))
    }
}

fn parse_window(part: &str) -> Result<RateWindow, RateLimitError> {
    let shape = || RateLimitError::Shape(part.to_owned());
    let (messages, length) = part.split_once('/').ok_or_else(shape)?;
    let messages = messages.trim();
    if messages.is_empty() || !messages.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape());
    }
    let messages = match messages.parse::<u32>() {
        Ok(n) if (1..=MAX_MESSAGES).contains(&n) => n,
        _ => return Err(RateLimitError::Messages(part.to_owned())),
    };
    let length = length.trim();
    let unit_at = length
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(shape)?;
    let (count, unit) = length.split_at(unit_at);
    let unit_seconds: u64 = match unit.to_ascii_lowercase().as_str() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(RateLimitError::Unit(part.to_owned())),
    };
    let count: u64 = if count.is_empty() {
        1
    } else {
        count
            .parse()
            .map_err(|_| RateLimitError::Length(part.to_owned()))?
    };
    let seconds = count
        .checked_mul(unit_seconds)
        .filter(|s| (1..=u64::from(MAX_WINDOW_SECONDS)).contains(s))
        .ok_or_else(|| RateLimitError::Length(part.to_owned()))?;
    Ok(RateWindow {
        messages,
        seconds: seconds as u32,
    })
}

impl fmt::Display for InboundRateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_off() {
            return f.write_str("off");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|w| format!("{}/{}s", w.messages, w.seconds))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, &str)]) -> Result<LimitSettings, ConfigError> {
        LimitSettings::from_vars(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn windows(raw: &str) -> Vec<(u32, u32)> {
        raw.parse::<InboundRateLimit>()
            .unwrap()
            .windows()
            .iter()
            .map(|w| (w.messages(), w.seconds()))
            .collect()
    }

    #[test]
    fn the_defaults_are_ten_a_minute_forty_an_hour_a_hundred_a_day_and_two_thousand_llm_calls() {
        let defaults = limits(&[]).unwrap();
        assert_eq!(
            defaults.inbound_rate.to_string(),
            "10/60s,40/3600s,100/86400s"
        );
        assert_eq!(defaults.llm_daily_budget.calls(), 2000);
    }

    #[test]
    fn windows_read_in_any_unit_and_are_kept_shortest_first() {
        assert_eq!(
            windows("100/d, 5/30s,40/1H"),
            vec![(5, 30), (40, 3600), (100, 86_400)]
        );
        assert_eq!(windows("3/m"), vec![(3, 60)]);
        assert_eq!(windows("1/7d"), vec![(1, 7 * 86_400)]);
    }

    #[test]
    fn off_switches_the_rate_limit_off() {
        let settings = limits(&[("INBOUND_RATE_LIMIT", "OFF")]).unwrap();
        assert!(settings.inbound_rate.is_off());
        assert_eq!(settings.inbound_rate.to_string(), "off");
    }

    #[test]
    fn nonsense_rate_limits_are_refused_by_name_with_the_reason() {
        for (raw, reason) in [
            ("10", "`10` is not <messages>/<length><unit>, e.g. 10/1m"),
            (
                "ten/1m",
                "`ten/1m` is not <messages>/<length><unit>, e.g. 10/1m",
            ),
            (
                "10/15",
                "`10/15` is not <messages>/<length><unit>, e.g. 10/1m",
            ),
            (
                "0/1m",
                "`0/1m`: the number of messages must be between 1 and 100000",
            ),
            ("10/1w", "`10/1w`: the unit must be s, m, h or d"),
            (
                "10/0m",
                "`10/0m`: the window must be between 1 second and 7 days",
            ),
            (
                "10/8d",
                "`10/8d`: the window must be between 1 second and 7 days",
            ),
            (
                "10/99999999999999999999d",
                "`10/99999999999999999999d`: the window must be between 1 second and 7 days",
            ),
            ("10/1m,20/60s", "`20/60s`: the same window is given twice"),
            ("10/1m,", "`` is not <messages>/<length><unit>, e.g. 10/1m"),
        ] {
            assert_eq!(
                limits(&[("INBOUND_RATE_LIMIT", raw)]),
                Err(ConfigError::Invalid {
                    name: "INBOUND_RATE_LIMIT",
                    reason: reason.to_owned()
                }),
                "{raw}"
            );
        }
    }

    #[test]
    fn the_llm_budget_may_be_zero_but_not_negative_or_absurd() {
        assert_eq!(
            limits(&[("LLM_DAILY_BUDGET", "0")])
                .unwrap()
                .llm_daily_budget
                .calls(),
            0
        );
        for raw in ["-1", "1000001", "lots"] {
            assert!(
                matches!(
                    limits(&[("LLM_DAILY_BUDGET", raw)]),
                    Err(ConfigError::Invalid {
                        name: "LLM_DAILY_BUDGET",
                        ..
                    })
                ),
                "{raw}"
            );
        }
    }
}
