//! The per-number inbound rate limit: fixed windows counted in expiring counters.
//!
//! Each window of the limit (e.g. ten messages a minute) is one counter, keyed
//! by the sender's pseudonym (never the number itself), the window's length and
//! the instant it started (windows are aligned to the Unix epoch: a minute
//! starts on the minute, a day at midnight UTC), and kept until the window
//! ends. A message is over the limit when any window's count, itself included,
//! exceeds what that window admits. Messages over the limit count too, so a
//! sender that keeps looping stays limited in the longer windows.
//!
//! Owns that rule and its log and metric. Must not be asked about compliance
//! keywords (the turn applies those first, whatever the count), nor decide what
//! the turn does with a limited message. When the counters do not answer it
//! admits the message (fail open: a customer answered beats one ignored) and
//! says so in a log and the `RateLimiterUnavailable` metric.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use smsbot_config::limits::{InboundRateLimit, RateWindow};
use smsbot_config::metrics::{self, Metric};
use smsbot_domain::PhoneNumber;

use crate::counters::Counters;

/// Whether a message may be understood and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Within every window.
    Admitted,
    /// Over at least one window: record it, do not understand or answer it.
    Limited,
    /// The counters did not answer: let it through.
    Unchecked,
}

/// Applies an [`InboundRateLimit`] to senders.
#[derive(Clone)]
pub struct InboundRateLimiter {
    counters: Arc<dyn Counters>,
    limit: InboundRateLimit,
}

impl InboundRateLimiter {
    pub fn new(counters: Arc<dyn Counters>, limit: InboundRateLimit) -> Self {
        Self { counters, limit }
    }

    /// Counts one message from `from` at `now` in every window and says
    /// whether it is within them.
    pub async fn admit(&self, from: &PhoneNumber, now: DateTime<Utc>) -> Admission {
        if self.limit.is_off() {
            return Admission::Admitted;
        }
        let pseudonym = from.pseudonym();
        let counts = futures::future::join_all(self.limit.windows().iter().map(|window| {
            let (key, ends) = counter(&pseudonym, *window, now);
            async move { (window, self.counters.add_one(&key, ends).await) }
        }))
        .await;
        let mut unchecked = None;
        let mut over = None;
        for (window, count) in counts {
            match count {
                Ok(count) if count > u64::from(window.messages()) => {
                    over.get_or_insert((window, count));
                }
                Ok(_) => {}
                Err(err) => unchecked = Some(err),
            }
        }
        if let Some((window, count)) = over {
            metrics::count(Metric::InboundRateLimited, 1);
            tracing::info!(
                window_seconds = window.seconds(),
                admits = window.messages(),
                count,
                "over its number's rate limit: recorded, not understood, not answered"
            );
            return Admission::Limited;
        }
        if let Some(err) = unchecked {
            metrics::count(Metric::RateLimiterUnavailable, 1);
            tracing::warn!(error = %err, "rate limit not checked: the counters did not answer");
            return Admission::Unchecked;
        }
        Admission::Admitted
    }
}

/// The counter of `window` that `now` falls in, and when that window ends.
fn counter(pseudonym: &str, window: RateWindow, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let length = i64::from(window.seconds());
    let start = now.timestamp().div_euclid(length) * length;
    let key = format!("inbound#{pseudonym}#{length}#{start}");
    let ends = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(start + length);
    (key, ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(raw: &str) -> RateWindow {
        raw.parse::<InboundRateLimit>().unwrap().windows()[0]
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        rfc3339.parse().unwrap()
    }

    #[test]
    fn a_minute_window_starts_on_the_minute_and_ends_a_minute_later() {
        let (key, ends) = counter("abc", window("10/1m"), at("2026-03-02T14:05:59Z"));
        assert_eq!(
            key,
            format!("inbound#abc#60#{}", at("2026-03-02T14:05:00Z").timestamp())
        );
        assert_eq!(ends, at("2026-03-02T14:06:00Z"));
    }

    #[test]
    fn a_day_window_runs_from_midnight_to_midnight_utc() {
        let (key, ends) = counter("abc", window("100/1d"), at("2026-03-02T23:59:59Z"));
        assert_eq!(
            key,
            format!(
                "inbound#abc#86400#{}",
                at("2026-03-02T00:00:00Z").timestamp()
            )
        );
        assert_eq!(ends, at("2026-03-03T00:00:00Z"));
    }

    #[test]
    fn the_next_window_has_a_counter_of_its_own() {
        let w = window("10/1m");
        let (this, _) = counter("abc", w, at("2026-03-02T14:05:59Z"));
        let (next, _) = counter("abc", w, at("2026-03-02T14:06:00Z"));
        assert_ne!(this, next);
    }
}
