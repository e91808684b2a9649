//! One trait for understanding a message, and the hybrid policy behind it.
//!
//! Owns: [`Understander`] (what the conversation worker calls),
//! [`OfflineUnderstander`] (the rules of this crate, no network) and
//! [`HybridUnderstander`]: offline first; only when the offline confidence is
//! below the threshold and an LLM is configured, the LLM; on any LLM failure
//! the offline answer, with the reason logged at warn. With a daily budget
//! ([`LlmBudget`]) each call it is about to make is first taken from the
//! budget; when the day's budget is spent, the offline answer. It counts LLM
//! calls, fallbacks and refusals for metrics.
//!
//! Must not: book anything or look at conversation state (an understanding is
//! all it returns), or log the message text (reasons only).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use smsbot_config::metrics::{self, Metric};

use crate::budget::{Allowance, LlmBudget};
use crate::openrouter::OpenRouterClient;
use crate::{DEFAULT_LLM_THRESHOLD, Understanding};

/// Turns one message into an [`Understanding`].
#[async_trait]
pub trait Understander: Send + Sync {
    /// What `text` means; `now` is the current instant in the business
    /// timezone. Never fails: an implementation that cannot tell answers
    /// [`crate::Intent::Unknown`] with a low confidence.
    async fn understand(&self, text: &str, now: DateTime<Tz>) -> Understanding;
}

/// The offline rules ([`crate::understand`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineUnderstander;

#[async_trait]
impl Understander for OfflineUnderstander {
    async fn understand(&self, text: &str, now: DateTime<Tz>) -> Understanding {
        crate::understand(text, now)
    }
}

/// Counts of the hybrid policy's decisions since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HybridStats {
    /// Messages understood.
    pub messages: u64,
    /// Messages sent to the LLM (offline confidence below the threshold).
    pub llm_calls: u64,
    /// LLM calls that failed, so the offline answer was used.
    pub llm_fallbacks: u64,
    /// Messages the LLM would have been asked about when the day's budget was
    /// spent (understood offline; not counted in `llm_calls`).
    pub llm_budget_exhausted: u64,
}

/// Offline first, the LLM only for what the rules are unsure of.
pub struct HybridUnderstander {
    offline: OfflineUnderstander,
    llm: Option<OpenRouterClient>,
    threshold: f32,
    budget: Option<Arc<dyn LlmBudget>>,
    messages: AtomicU64,
    llm_calls: AtomicU64,
    llm_fallbacks: AtomicU64,
    llm_budget_exhausted: AtomicU64,
}

impl fmt::Debug for HybridUnderstander {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HybridUnderstander")
            .field("llm", &self.llm)
            .field("threshold", &self.threshold)
            .field("budget", &self.budget.is_some())
            .field("stats", &self.stats())
            .finish()
    }
}

impl HybridUnderstander {
    /// The hybrid policy with `llm` (none: offline only) consulted below
    /// `threshold` (e.g. [`DEFAULT_LLM_THRESHOLD`]).
    #[must_use]
    pub fn new(llm: Option<OpenRouterClient>, threshold: f32) -> Self {
        Self {
            offline: OfflineUnderstander,
            llm,
            threshold,
            budget: None,
            messages: AtomicU64::new(0),
            llm_calls: AtomicU64::new(0),
            llm_fallbacks: AtomicU64::new(0),
            llm_budget_exhausted: AtomicU64::new(0),
        }
    }

    /// The same policy, taking every LLM call from `budget` first.
    #[must_use]
    pub fn with_budget(mut self, budget: Arc<dyn LlmBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Offline only: the default without an OpenRouter key.
    #[must_use]
    pub fn offline_only() -> Self {
        Self::new(None, DEFAULT_LLM_THRESHOLD)
    }

    /// Whether an LLM is configured.
    #[must_use]
    pub fn has_llm(&self) -> bool {
        self.llm.is_some()
    }

    /// The confidence below which the LLM is asked.
    #[must_use]
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The counters so far.
    #[must_use]
    pub fn stats(&self) -> HybridStats {
        HybridStats {
            messages: self.messages.load(Ordering::Relaxed),
            llm_calls: self.llm_calls.load(Ordering::Relaxed),
            llm_fallbacks: self.llm_fallbacks.load(Ordering::Relaxed),
            llm_budget_exhausted: self.llm_budget_exhausted.load(Ordering::Relaxed),
        }
    }
}

/// The LLM's answer, completed with what only the rules express: a range of
/// days ("next week") when the LLM named no single day, and a part of the
/// day ("morning") when it named no clock time.
fn merge(llm: Understanding, offline: &Understanding) -> Understanding {
    Understanding {
        date_range: if llm.date.is_none() {
            offline.date_range
        } else {
            None
        },
        time_range: if llm.time.is_none() {
            offline.time_range
        } else {
            None
        },
        ..llm
    }
}

#[async_trait]
impl Understander for HybridUnderstander {
    async fn understand(&self, text: &str, now: DateTime<Tz>) -> Understanding {
        self.messages.fetch_add(1, Ordering::Relaxed);
        let offline = self.offline.understand(text, now).await;
        let Some(llm) = &self.llm else {
            return offline;
        };
        if !offline.low_confidence(self.threshold) {
            return offline;
        }
        if let Some(budget) = &self.budget
            && budget.take_one(now.with_timezone(&Utc)).await == Allowance::Exhausted
        {
            self.llm_budget_exhausted.fetch_add(1, Ordering::Relaxed);
            metrics::count(Metric::LlmBudgetExhausted, 1);
            tracing::warn!(
                offline_intent = offline.intent.as_str(),
                offline_confidence = offline.confidence,
                "the day's LLM budget is spent; using the offline answer"
            );
            return offline;
        }
        self.llm_calls.fetch_add(1, Ordering::Relaxed);
        metrics::count(Metric::LlmCalls, 1);
        match llm.understand(text, now).await {
            Ok(answer) => {
                tracing::debug!(
                    offline_intent = offline.intent.as_str(),
                    offline_confidence = offline.confidence,
                    llm_intent = answer.intent.as_str(),
                    "LLM understanding used"
                );
                merge(answer, &offline)
            }
            Err(error) => {
                self.llm_fallbacks.fetch_add(1, Ordering::Relaxed);
                metrics::count(Metric::LlmFallbacks, 1);
                tracing::warn!(
                    reason = %error,
                    model = llm.model(),
                    offline_intent = offline.intent.as_str(),
                    offline_confidence = offline.confidence,
                    "LLM understanding failed; using the offline answer"
                );
                offline
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    #[test]
    fn a_merged_answer_keeps_the_offline_ranges_only_where_the_llm_named_nothing() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 11);
        let range = day.zip(NaiveDate::from_ymd_opt(2024, 3, 17));
        let morning = NaiveTime::from_hms_opt(8, 0, 0).zip(NaiveTime::from_hms_opt(12, 0, 0));
        let offline = Understanding {
            intent: crate::Intent::Unknown,
            date: None,
            date_range: range,
            time: None,
            time_range: morning,
            selection: None,
            direction: None,
            confidence: 0.3,
        };
        let llm = Understanding {
            intent: crate::Intent::Book,
            date: None,
            date_range: None,
            time: NaiveTime::from_hms_opt(9, 0, 0),
            time_range: None,
            selection: None,
            direction: None,
            confidence: 0.9,
        };
        let merged = merge(llm, &offline);
        assert_eq!(merged.intent, crate::Intent::Book);
        assert_eq!(merged.date_range, range);
        assert_eq!(merged.time_range, None);
        assert_eq!(merged.time, NaiveTime::from_hms_opt(9, 0, 0));
    }
}
