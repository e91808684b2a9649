//! A round trip for a pooled connection that has sat idle, before it is handed
//! out.
//!
//! Owns the pool's `post_recycle` hook. deadpool's `RecyclingMethod::Fast` only
//! asks `Client::is_closed`, which stays false for a connection the other end
//! dropped without our side seeing it: a Lambda container frozen for minutes
//! wakes up holding connections that RDS Proxy (idle client timeout) or a NAT
//! gateway (350 s) let go of while it slept. So a connection idle longer than
//! [`IdleCheck::after`] answers an empty query first, within
//! [`IdleCheck::timeout`]; one that fails is dropped and the checkout moves on to
//! the next idle connection or a new one. A connection used more recently skips
//! the check: within seconds of its last use it is as alive as Fast assumes.
//!
//! Must not: run the check on every checkout (it would add a round trip to every
//! query of a busy function), or wait longer than `timeout` on a dead connection.

use std::time::Duration;

use deadpool_postgres::{Hook, HookError};

/// Idle longer than this, a connection is checked before use. Thirty seconds is
/// far below what drops idle connections (RDS Proxy's idle client timeout, 30 min
/// by default; a NAT gateway's 350 s; a load balancer's 60 s or more) and far
/// above the gap between two queries of one invocation, so a container that was
/// frozen between invocations checks its connections once, and a busy one never.
pub const IDLE_CHECK_AFTER: Duration = Duration::from_secs(30);

/// How long the check may wait for the server's answer. An empty query is answered
/// in a millisecond by a live server in the same region, so no answer in two
/// seconds means a dead connection; waiting longer would spend the caller's
/// time (Twilio gives the webhook 15 s) on a socket that will never answer.
pub const IDLE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// When a pooled connection is checked with a round trip before use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleCheck {
    /// Connections idle at least this long are checked.
    pub after: Duration,
    /// The longest the check waits for the server.
    pub timeout: Duration,
}

impl Default for IdleCheck {
    fn default() -> Self {
        Self {
            after: IDLE_CHECK_AFTER,
            timeout: IDLE_CHECK_TIMEOUT,
        }
    }
}

impl IdleCheck {
    /// The `post_recycle` hook: runs after Fast's `is_closed` check, with the
    /// connection's metrics from before this checkout (`last_used` is the time
    /// since it was last handed out, or created).
    pub(super) fn hook(self) -> Hook {
        Hook::async_fn(move |client, metrics| {
            let idle = metrics.last_used();
            Box::pin(async move {
                if idle < self.after {
                    return Ok(());
                }
                match tokio::time::timeout(self.timeout, client.simple_query("")).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => {
                        tracing::info!(idle_s = idle.as_secs(), error = %e, "idle connection was dead; replacing it");
                        Err(HookError::Backend(e))
                    }
                    Err(_) => {
                        tracing::info!(
                            idle_s = idle.as_secs(),
                            "idle connection did not answer; replacing it"
                        );
                        Err(HookError::message("idle connection did not answer"))
                    }
                }
            })
        })
    }
}
