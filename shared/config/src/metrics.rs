//! Business metrics in CloudWatch Embedded Metric Format (EMF).
//!
//! Inside Lambda each count is one JSON line on stdout with an `_aws` header, which
//! CloudWatch Logs turns into a metric (namespace `smsbot`, dimension `Function`)
//! with no API call and no extra latency. Outside Lambda (tests, the local process)
//! nothing is printed. Must never carry personal data: names and counts only.

use std::time::{SystemTime, UNIX_EPOCH};

/// What the system counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    MessagesIn,
    MessagesOut,
    Bookings,
    OptOuts,
    LlmFallbacks,
    /// A handler panicked on one record (its group is retried, the batch goes on).
    HandlerPanics,
    /// The webhook refused a request (403): its signature was missing or forged.
    /// Many in a row mean a wrong auth token or base URL, not an attacker.
    WebhookSignatureRejected,
    /// DynamoDB did not answer a claim; the message went on unclaimed.
    WebhookClaimsUnavailable,
    /// SQS did not take an inbound SMS; it was parked in PostgreSQL.
    InboundParked,
    /// Neither SQS nor PostgreSQL took an inbound SMS: 503, for Twilio to retry.
    InboundRefused,
    /// Parked inbound SMS moved to the queue.
    InboundDrained,
    /// Parked inbound SMS the queue did not take this time (they stay parked).
    InboundDrainFailed,
    /// An inbound SMS beyond its number's rate limit: recorded, not understood,
    /// not answered.
    InboundRateLimited,
    /// Calls made to the LLM.
    LlmCalls,
    /// A message the LLM would have been asked about, understood offline
    /// because the day's LLM budget was spent.
    LlmBudgetExhausted,
    /// The DynamoDB counters (rate limit or LLM budget) did not answer: the
    /// message was let through unchecked.
    RateLimiterUnavailable,
    /// A conversation went to staff (asked for a person, a complaint, two
    /// messages not understood); the bot is quiet for that contact.
    Handoffs,
    /// "Running late", "I'm here", "on my way": acknowledged and passed on.
    StaffNotices,
    /// A staff alert taken by its channel (SNS, or SMS to the staff phone).
    StaffAlertsSent,
    /// A staff alert its channel refused for good (a wrong topic, no
    /// permission): staff were not told; the admin API still lists the handoff.
    StaffAlertsFailed,
    /// A message staff wrote through the admin API, sent.
    StaffMessagesSent,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Self::MessagesIn => "MessagesIn",
            Self::MessagesOut => "MessagesOut",
            Self::Bookings => "Bookings",
            Self::OptOuts => "OptOuts",
            Self::LlmFallbacks => "LlmFallbacks",
            Self::HandlerPanics => "HandlerPanics",
            Self::WebhookSignatureRejected => "WebhookSignatureRejected",
            Self::WebhookClaimsUnavailable => "WebhookClaimsUnavailable",
            Self::InboundParked => "InboundParked",
            Self::InboundRefused => "InboundRefused",
            Self::InboundDrained => "InboundDrained",
            Self::InboundDrainFailed => "InboundDrainFailed",
            Self::InboundRateLimited => "InboundRateLimited",
            Self::LlmCalls => "LlmCalls",
            Self::LlmBudgetExhausted => "LlmBudgetExhausted",
            Self::RateLimiterUnavailable => "RateLimiterUnavailable",
            Self::Handoffs => "Handoffs",
            Self::StaffNotices => "StaffNotices",
            Self::StaffAlertsSent => "StaffAlertsSent",
            Self::StaffAlertsFailed => "StaffAlertsFailed",
            Self::StaffMessagesSent => "StaffMessagesSent",
        }
    }
}

pub const NAMESPACE: &str = "smsbot";

/// The EMF document for one count.
pub fn emf_line(
    metric: Metric,
    count: u64,
    function: &str,
    timestamp_ms: u128,
) -> serde_json::Value {
    serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": [{"Name": metric.name(), "Unit": "Count"}],
            }],
        },
        "Function": function,
        metric.name(): count,
    })
}

/// Counts `n` of `metric` (printed as EMF only when running in Lambda).
pub fn count(metric: Metric, n: u64) {
    let Ok(function) = std::env::var("AWS_LAMBDA_FUNCTION_NAME") else {
        tracing::debug!(metric = metric.name(), n, "metric");
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    println!("{}", emf_line(metric, n, &function, now));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_an_emf_document_cloudwatch_can_read() {
        let line = emf_line(Metric::Bookings, 2, "smsbot-worker", 1_700_000_000_000);
        let definition = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(definition["Namespace"], "smsbot");
        assert_eq!(definition["Dimensions"][0][0], "Function");
        assert_eq!(definition["Metrics"][0]["Name"], "Bookings");
        assert_eq!(line["Function"], "smsbot-worker");
        assert_eq!(line["Bookings"], 2);
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
    }
}
