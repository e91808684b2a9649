//! The daily LLM budget kept in expiring counters: one counter per UTC day,
//! kept until the day ends, each LLM call the hybrid policy is about to make
//! adding one. Beyond `LLM_DAILY_BUDGET` calls the policy understands offline.
//!
//! Owns the day's key and the comparison with the budget, and the warning when
//! the budget runs out. Must not decide when the LLM is asked (the hybrid
//! policy does, and asks this only for a call it would make). When the
//! counters do not answer it grants the call (fail open, like the rate limit)
//! and says so in a log and the `RateLimiterUnavailable` metric.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Days, Utc};
use smsbot_config::limits::LlmDailyBudget;
use smsbot_config::metrics::{self, Metric};
use smsbot_nlu::{Allowance, LlmBudget};

use crate::counters::Counters;

/// LLM calls per UTC day, counted in [`Counters`].
#[derive(Clone)]
pub struct DailyLlmBudget {
    counters: Arc<dyn Counters>,
    budget: LlmDailyBudget,
}

impl DailyLlmBudget {
    pub fn new(counters: Arc<dyn Counters>, budget: LlmDailyBudget) -> Self {
        Self { counters, budget }
    }
}

#[async_trait]
impl LlmBudget for DailyLlmBudget {
    async fn take_one(&self, now: DateTime<Utc>) -> Allowance {
        let calls = self.budget.calls();
        if calls == 0 {
            return Allowance::Exhausted;
        }
        let day = now.date_naive();
        let ends = day
            .checked_add_days(Days::new(1))
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .map_or(now, |midnight| midnight.and_utc());
        match self.counters.add_one(&format!("llm#{day}"), ends).await {
            Ok(count) if count <= u64::from(calls) => Allowance::Granted,
            Ok(count) => {
                if count == u64::from(calls) + 1 {
                    tracing::warn!(
                        budget = calls,
                        "the day's LLM budget is spent: understanding is offline until midnight UTC"
                    );
                }
                Allowance::Exhausted
            }
            Err(err) => {
                metrics::count(Metric::RateLimiterUnavailable, 1);
                tracing::warn!(error = %err, "LLM budget not checked: the counters did not answer");
                Allowance::Granted
            }
        }
    }
}
