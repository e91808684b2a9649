//! Twilio's webhook connection overrides: the URL fragment (`#rc=3&rp=5xx`) that
//! tells Twilio how to retry a webhook.
//!
//! Owns parsing and writing the fragment. Without it Twilio does not retry an
//! SMS webhook that answered 5xx; with `rc` (retry count, 0–5) and `rp` (retry
//! policy: `4xx`, `5xx`, `ct`, `rt`, `all`, comma-separated) it does. The other
//! keys are `ct`/`rt`/`tt` (connect, read, total timeout in ms), `e` (edge) and
//! `sni` (`y`/`n`). Twilio does not send the fragment with the request, so the
//! webhook must know it to check a signature that may cover it. Must not do I/O.

use std::fmt;
use std::str::FromStr;

/// A validated fragment, kept as written (without the `#`), since a signature
/// over it covers its exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionOverrides(String);

/// Why a fragment was refused; names the key so an operator can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverridesError {
    #[error("connection overrides are empty")]
    Empty,
    #[error("`{0}` is not key=value")]
    NotAPair(String),
    #[error("`{0}` is not a Twilio connection override (ct, rt, tt, rc, rp, e, sni)")]
    UnknownKey(String),
    #[error("`{0}` is given twice")]
    Repeated(String),
    #[error("{key} must be {expected}")]
    Invalid {
        key: &'static str,
        expected: &'static str,
    },
}

impl ConnectionOverrides {
    /// What the webhook URL carries unless configured otherwise: three retries
    /// after a 5xx (which the webhook answers only when a message could be
    /// neither queued nor parked).
    pub const DEFAULT: &'static str = "rc=3&rp=5xx";

    /// Parses `rc=3&rp=5xx` (a leading `#` is allowed).
    pub fn parse(raw: &str) -> Result<Self, OverridesError> {
        let text = raw.trim().trim_start_matches('#');
        if text.is_empty() {
            return Err(OverridesError::Empty);
        }
        let mut seen: Vec<&str> = Vec::new();
        for pair in text.split('&') {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| OverridesError::NotAPair(pair.to_owned()))?;
            if seen.contains(&key) {
                return Err(OverridesError::Repeated(key.to_owned()));
            }
            check(key, value)?;
            seen.push(key);
        }
        Ok(Self(text.to_owned()))
    }

    /// The fragment without its `#`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `url` as configured in Twilio: with `#` and the overrides appended.
    pub fn append_to(&self, url: &str) -> String {
        format!("{url}#{}", self.0)
    }
}

impl Default for ConnectionOverrides {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl FromStr for ConnectionOverrides {
    type Err = OverridesError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ConnectionOverrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

fn check(key: &str, value: &str) -> Result<(), OverridesError> {
    let millis = |key, max| {
        ranged(value, 100, max).ok_or(OverridesError::Invalid {
            key,
            expected: "a number of milliseconds from 100",
        })
    };
    match key {
        "ct" => millis("ct", 10_000),
        "rt" => millis("rt", 15_000),
        "tt" => millis("tt", 15_000),
        "rc" => ranged(value, 0, 5).ok_or(OverridesError::Invalid {
            key: "rc",
            expected: "a retry count from 0 to 5",
        }),
        "rp" => value
            .split(',')
            .all(|p| matches!(p, "4xx" | "5xx" | "ct" | "rt" | "all"))
            .then_some(())
            .ok_or(OverridesError::Invalid {
                key: "rp",
                expected: "4xx, 5xx, ct, rt or all (comma-separated)",
            }),
        "e" => (!value.is_empty() && value.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
            .then_some(())
            .ok_or(OverridesError::Invalid {
                key: "e",
                expected: "an edge name such as ashburn",
            }),
        "sni" => matches!(value, "y" | "n")
            .then_some(())
            .ok_or(OverridesError::Invalid {
                key: "sni",
                expected: "y or n",
            }),
        other => Err(OverridesError::UnknownKey(other.to_owned())),
    }
}

fn ranged(value: &str, min: u32, max: u32) -> Option<()> {
    let n: u32 = value.parse().ok()?;
    (min..=max).contains(&n).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_retries_three_times_after_a_5xx() {
        let overrides = ConnectionOverrides::default();
        assert_eq!(overrides.as_str(), "rc=3&rp=5xx");
        assert_eq!(ConnectionOverrides::parse("rc=3&rp=5xx"), Ok(overrides));
    }

    #[test]
    fn a_leading_hash_is_allowed_and_the_text_is_kept_as_written() {
        let overrides = ConnectionOverrides::parse("#ct=1000&rc=2&rp=ct,5xx&e=ashburn").unwrap();
        assert_eq!(overrides.as_str(), "ct=1000&rc=2&rp=ct,5xx&e=ashburn");
        assert_eq!(
            overrides.append_to("https://h/webhooks/sms/inbound"),
            "https://h/webhooks/sms/inbound#ct=1000&rc=2&rp=ct,5xx&e=ashburn"
        );
        assert_eq!(overrides.to_string(), "#ct=1000&rc=2&rp=ct,5xx&e=ashburn");
    }

    #[test]
    fn values_outside_twilios_ranges_are_refused_by_key() {
        for (raw, key) in [
            ("rc=6", "rc"),
            ("rc=-1", "rc"),
            ("ct=99", "ct"),
            ("rt=15001", "rt"),
            ("tt=abc", "tt"),
            ("rp=6xx", "rp"),
            ("rp=", "rp"),
            ("sni=yes", "sni"),
            ("e=", "e"),
        ] {
            match ConnectionOverrides::parse(raw) {
                Err(OverridesError::Invalid { key: got, .. }) => assert_eq!(got, key, "{raw}"),
                other => panic!("{raw} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_repeated_or_malformed_pairs_are_refused() {
        assert_eq!(
            ConnectionOverrides::parse("rc=3&retries=5"),
            Err(OverridesError::UnknownKey("retries".to_owned()))
        );
        assert_eq!(
            ConnectionOverrides::parse("rc=3&rc=4"),
            Err(OverridesError::Repeated("rc".to_owned()))
        );
        assert_eq!(
            ConnectionOverrides::parse("rc=3&"),
            Err(OverridesError::NotAPair(String::new()))
        );
        assert_eq!(
            ConnectionOverrides::parse(" # "),
            Err(OverridesError::Empty)
        );
    }
}
