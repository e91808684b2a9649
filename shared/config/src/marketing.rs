//! The marketing part of the settings, read with the rest by `Settings::from_vars`:
//!
//! - `MARKETING_OPT_IN_KEYWORD` (`JOIN`): the word a customer texts to opt in
//!   to marketing messages; one word of letters or digits, never a carrier
//!   keyword (STOP, START, HELP, …).
//! - `MARKETING_FREQUENCY_CAP` (`4/30d`): at most so many marketing messages to
//!   one contact in a rolling period (days `d` or hours `h`), told to the
//!   customer when they opt in and enforced when broadcasts are sent; `off`
//!   for no cap.
//!
//! Owns the parsed values. Must not decide anything about a message: the
//! conversation (the opt-in) and the campaign sender (the cap) apply them.

use std::collections::HashMap;

use smsbot_domain::OptInKeyword;
use smsbot_domain::marketing::FrequencyCap;

use crate::ConfigError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketingSettings {
    /// `MARKETING_OPT_IN_KEYWORD`.
    pub opt_in_keyword: OptInKeyword,
    /// `MARKETING_FREQUENCY_CAP`; `None` when `off`.
    pub frequency_cap: Option<FrequencyCap>,
}

impl Default for MarketingSettings {
    fn default() -> Self {
        Self {
            opt_in_keyword: OptInKeyword::default(),
            frequency_cap: Some(FrequencyCap::default()),
        }
    }
}

impl MarketingSettings {
    pub(crate) fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid { name, reason };
        let defaults = Self::default();
        Ok(Self {
            opt_in_keyword: match get("MARKETING_OPT_IN_KEYWORD") {
                None => defaults.opt_in_keyword,
                Some(raw) => OptInKeyword::parse(raw)
                    .map_err(|e| invalid("MARKETING_OPT_IN_KEYWORD", e.to_string()))?,
            },
            frequency_cap: match get("MARKETING_FREQUENCY_CAP") {
                None => defaults.frequency_cap,
                Some(raw) if raw.eq_ignore_ascii_case("off") => None,
                Some(raw) => Some(
                    FrequencyCap::parse(raw)
                        .map_err(|e| invalid("MARKETING_FREQUENCY_CAP", e.to_string()))?,
                ),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<MarketingSettings, ConfigError> {
        MarketingSettings::from_vars(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn unset_the_keyword_is_join_and_the_cap_four_a_month() {
        let settings = read(&[]).unwrap();
        assert_eq!(settings.opt_in_keyword.as_str(), "JOIN");
        assert_eq!(settings.frequency_cap.unwrap().to_string(), "4/30d");
    }

    #[test]
    fn another_keyword_and_cap_are_read_and_off_means_no_cap() {
        let settings = read(&[
            ("MARKETING_OPT_IN_KEYWORD", "deals"),
            ("MARKETING_FREQUENCY_CAP", "2/7d"),
        ])
        .unwrap();
        assert_eq!(settings.opt_in_keyword.as_str(), "DEALS");
        assert_eq!(settings.frequency_cap.unwrap().to_string(), "2/7d");
        let uncapped = read(&[("MARKETING_FREQUENCY_CAP", "off")]).unwrap();
        assert_eq!(uncapped.frequency_cap, None);
    }

    #[test]
    fn a_carrier_keyword_or_an_unreadable_cap_stops_start_up_by_name() {
        assert!(matches!(
            read(&[("MARKETING_OPT_IN_KEYWORD", "START")]),
            Err(ConfigError::Invalid {
                name: "MARKETING_OPT_IN_KEYWORD",
                ..
            })
        ));
        assert!(matches!(
            read(&[("MARKETING_FREQUENCY_CAP", "4 a month")]),
            Err(ConfigError::Invalid {
                name: "MARKETING_FREQUENCY_CAP",
                ..
            })
        ));
    }
}
