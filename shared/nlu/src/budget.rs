//! The daily LLM budget, as the hybrid policy sees it: a port asked for one
//! call each time the policy is about to ask the LLM.
//!
//! Owns the port and its answer. Must not count or store anything itself (an
//! adapter outside this crate keeps the count), and must not be asked for a
//! message the rules are sure of: only a call that would really be made
//! spends the budget.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Whether the LLM may be asked this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// One call taken from the budget (or the budget could not be read, and
    /// its keeper chose to let the call through).
    Granted,
    /// The budget of `now`'s day is spent: understand offline.
    Exhausted,
}

/// Keeps the count of LLM calls against a budget.
#[async_trait]
pub trait LlmBudget: Send + Sync {
    /// Takes one call from the budget that covers `now`.
    async fn take_one(&self, now: DateTime<Utc>) -> Allowance;
}
