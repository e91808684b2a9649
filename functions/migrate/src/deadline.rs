//! The time one invocation has, from Lambda's deadline.
//!
//! Owns the split of that time: the work (settings, database, migrations) stops
//! [`ANSWER_MARGIN`] before the deadline, so CloudFormation always gets an answer,
//! FAILED at worst, instead of waiting out the custom resource's service timeout
//! (an hour unless the template sets `ServiceTimeout`). Must not: read the clock
//! anywhere but here.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Kept back from the work for answering: the PUT to the response URL (an S3
/// upload of under 4 KB, normally well under a second) with a retry or two.
pub const ANSWER_MARGIN: Duration = Duration::from_secs(5);

/// The invocation's deadline, on the monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// From Lambda's `Lambda-Runtime-Deadline-Ms` (milliseconds since the epoch).
    pub fn from_epoch_millis(deadline_ms: u64) -> Self {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let left_ms = u128::from(deadline_ms).saturating_sub(now_ms);
        let left = Duration::from_millis(u64::try_from(left_ms).unwrap_or(u64::MAX));
        Self(Instant::now() + left)
    }

    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// When the work must be over: the deadline less [`ANSWER_MARGIN`].
    pub fn work_ends(self) -> Instant {
        self.0.checked_sub(ANSWER_MARGIN).unwrap_or(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_ms(ms: u64) -> u64 {
        u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
            + ms
    }

    #[test]
    fn the_work_ends_the_answer_margin_before_the_deadline() {
        let deadline = Deadline::from_epoch_millis(in_ms(60_000));
        let work = deadline
            .work_ends()
            .saturating_duration_since(Instant::now());
        assert!(work <= Duration::from_secs(55), "{work:?}");
        assert!(work > Duration::from_secs(54), "{work:?}");
    }

    #[test]
    fn a_deadline_already_passed_leaves_no_time_at_all() {
        let deadline = Deadline::from_epoch_millis(in_ms(0).saturating_sub(1_000));
        assert_eq!(deadline.remaining(), Duration::ZERO);
        assert!(deadline.work_ends() <= Instant::now());
    }
}
