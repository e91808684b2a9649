//! What the webhook and the parked-message drain count, and the port the counts
//! go through (so a test can read them back).
//!
//! In production [`Emf`] hands each count to `smsbot_config::metrics` (CloudWatch
//! Embedded Metric Format inside Lambda, namespace `smsbot`, dimension
//! `Function`). Must never carry personal data.

use std::collections::HashMap;
use std::sync::Mutex;

use smsbot_config::metrics::Metric;

/// The counts, each named as CloudWatch shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookMetric {
    /// A request refused with 403: its signature was missing, malformed or forged.
    SignatureRejected,
    /// DynamoDB did not answer the claim; the message was handed on unclaimed.
    ClaimsUnavailable,
    /// SQS did not take a message; it was parked in PostgreSQL and answered 200.
    InboundParked,
    /// Neither SQS nor PostgreSQL took a message: answered 503 for Twilio to retry.
    InboundRefused,
    /// A parked message reached the queue.
    InboundDrained,
    /// A parked message the queue did not take this time (it stays parked).
    InboundDrainFailed,
}

impl WebhookMetric {
    /// The system-wide metric this count is.
    pub fn metric(self) -> Metric {
        match self {
            Self::SignatureRejected => Metric::WebhookSignatureRejected,
            Self::ClaimsUnavailable => Metric::WebhookClaimsUnavailable,
            Self::InboundParked => Metric::InboundParked,
            Self::InboundRefused => Metric::InboundRefused,
            Self::InboundDrained => Metric::InboundDrained,
            Self::InboundDrainFailed => Metric::InboundDrainFailed,
        }
    }

    /// The name CloudWatch shows.
    pub fn name(self) -> &'static str {
        self.metric().name()
    }
}

/// Where counts go.
pub trait Counter: Send + Sync {
    fn count(&self, metric: WebhookMetric, n: u64);
}

/// CloudWatch EMF on stdout inside Lambda; a debug log line elsewhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Emf;

impl Counter for Emf {
    fn count(&self, metric: WebhookMetric, n: u64) {
        smsbot_config::metrics::count(metric.metric(), n);
    }
}

/// Counts kept in memory, to be read back.
#[derive(Debug, Default)]
pub struct Tally(Mutex<HashMap<WebhookMetric, u64>>);

impl Tally {
    pub fn get(&self, metric: WebhookMetric) -> u64 {
        let counts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.get(&metric).copied().unwrap_or_default()
    }
}

impl Counter for Tally {
    fn count(&self, metric: WebhookMetric, n: u64) {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry(metric).or_default() += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_count_has_a_cloudwatch_name_of_its_own() {
        let all = [
            WebhookMetric::SignatureRejected,
            WebhookMetric::ClaimsUnavailable,
            WebhookMetric::InboundParked,
            WebhookMetric::InboundRefused,
            WebhookMetric::InboundDrained,
            WebhookMetric::InboundDrainFailed,
        ];
        let names: std::collections::HashSet<_> = all.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            WebhookMetric::SignatureRejected.name(),
            "WebhookSignatureRejected"
        );
    }

    #[test]
    fn a_tally_adds_up_each_metric_on_its_own() {
        let tally = Tally::default();
        tally.count(WebhookMetric::InboundParked, 1);
        tally.count(WebhookMetric::InboundParked, 2);
        assert_eq!(tally.get(WebhookMetric::InboundParked), 3);
        assert_eq!(tally.get(WebhookMetric::InboundDrained), 0);
    }
}
