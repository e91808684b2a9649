//! The answer to CloudFormation: a custom resource response, PUT to the request's
//! pre-signed S3 URL.
//!
//! Owns the response body (`aws_lambda_events`' type), the failure reason shown in
//! the stack's events, and the upload. CloudFormation's own helper (`cfn-response`)
//! sends the body with an empty `Content-Type`, which is what the URL was signed
//! for; so do we. Must not: put a secret in the reason (it is shown to anyone who
//! can read the stack's events), or outlive the invocation's deadline.

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::deadline::Deadline;
use crate::request::ReplyTo;

/// Longest reason we send (the whole body may not exceed 4,096 bytes).
const MAX_REASON_CHARS: usize = 600;

/// One PUT may take this long at most (the body is under 4 KB).
const PUT_TIMEOUT: Duration = Duration::from_secs(3);

/// Tries at the upload, each within what is left before the deadline.
const PUT_ATTEMPTS: u32 = 3;

/// A short, secret-free explanation for the stack's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// `text` with every `secret` replaced and URL credentials removed, cut to
    /// [`MAX_REASON_CHARS`].
    pub fn redacted(text: &str, secrets: &[&str]) -> Self {
        let mut text = text.to_owned();
        for secret in secrets.iter().filter(|s| s.len() >= 4) {
            text = text.replace(secret, "[redacted]");
        }
        let mut text = without_url_credentials(&text);
        if text.chars().count() > MAX_REASON_CHARS {
            text = text.chars().take(MAX_REASON_CHARS - 1).collect();
            text.push('…');
        }
        Self(text)
    }

    /// An error and its sources, `outer: inner: …`, redacted.
    pub fn from_error(error: &dyn std::error::Error, secrets: &[&str]) -> Self {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(inner) = source {
            let shown = inner.to_string();
            if !text.contains(&shown) {
                text.push_str(": ");
                text.push_str(&shown);
            }
            source = inner.source();
        }
        Self::redacted(&text, secrets)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Drops `user:password@` from anything shaped like `scheme://user:password@host`.
fn without_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(userinfo_end) => {
                out.push_str("[redacted]@");
                rest = &after[userinfo_end + 1..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// What the function did, for the response.
#[derive(Debug)]
pub enum Outcome {
    Success {
        reason: Reason,
        data: HashMap<String, String>,
    },
    Failed(Reason),
}

/// The response body for `reply_to`.
pub fn response(reply_to: &ReplyTo, outcome: Outcome) -> CloudFormationCustomResourceResponse {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.stack_id = reply_to.stack_id.clone();
    response.request_id = reply_to.request_id.clone();
    response.logical_resource_id = reply_to.logical_resource_id.clone();
    response.physical_resource_id = reply_to.physical_resource_id.clone();
    response.no_echo = false;
    match outcome {
        Outcome::Success { reason, data } => {
            response.status = CloudFormationCustomResourceResponseStatus::Success;
            response.reason = Some(reason.0);
            response.data = data;
        }
        Outcome::Failed(reason) => {
            response.status = CloudFormationCustomResourceResponseStatus::Failed;
            response.reason = Some(reason.0);
        }
    }
    response
}

/// The answer could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("the response URL refused the answer with HTTP {0}")]
    Refused(u16),
    #[error("the response URL could not be reached")]
    Unreachable(#[source] reqwest::Error),
    #[error("no time was left to answer")]
    OutOfTime,
}

/// The client for the response URL: rustls, no redirects (S3 answers directly).
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(PUT_TIMEOUT)
        .build()
}

/// PUTs `response` to the request's URL, retrying a failure that may pass, while
/// the deadline allows.
pub async fn send(
    http: &reqwest::Client,
    reply_to: &ReplyTo,
    response: &CloudFormationCustomResourceResponse,
    deadline: Deadline,
) -> Result<(), AnswerError> {
    let body = serde_json::to_vec(response).expect("a response serialises");
    let mut last = AnswerError::OutOfTime;
    for attempt in 1..=PUT_ATTEMPTS {
        let time = deadline.remaining().min(PUT_TIMEOUT);
        if time < Duration::from_millis(100) {
            break;
        }
        let sent = http
            .put(reply_to.response_url.as_str())
            .header(CONTENT_TYPE, HeaderValue::from_static(""))
            .body(body.clone())
            .timeout(time)
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => return Ok(()),
            // 4xx: the URL expired or its signature does not match; retrying
            // the same request cannot help.
            Ok(answer) if answer.status().is_client_error() => {
                return Err(AnswerError::Refused(answer.status().as_u16()));
            }
            Ok(answer) => last = AnswerError::Refused(answer.status().as_u16()),
            Err(e) => last = AnswerError::Unreachable(e.without_url()),
        }
        tracing::warn!(attempt, error = %last, "answering CloudFormation failed; retrying");
        tokio::time::sleep(Duration::from_millis(200) * attempt).await;
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_never_shows_the_database_url_or_its_password() {
        let url = "postgres://app:hunter2hunter2@db.example.com:5432/smsbot";
        let reason = Reason::redacted(
            &format!("could not connect to {url}; password hunter2hunter2 refused"),
            &[url, "hunter2hunter2"],
        );
        assert!(!reason.as_str().contains("hunter2"), "{reason:?}");
        assert!(!reason.as_str().contains(url), "{reason:?}");
    }

    #[test]
    fn url_credentials_are_removed_even_when_the_secret_is_not_known() {
        let reason = Reason::redacted("bad url postgres://u:pw@h:5432/db?sslmode=require", &[]);
        assert_eq!(
            reason.as_str(),
            "bad url postgres://[redacted]@h:5432/db?sslmode=require"
        );
        let plain = Reason::redacted("see https://example.com/a@b", &[]);
        assert_eq!(plain.as_str(), "see https://example.com/a@b");
    }

    #[test]
    fn a_long_reason_is_cut_to_fit_the_response() {
        let reason = Reason::redacted(&"x".repeat(5_000), &[]);
        assert_eq!(reason.as_str().chars().count(), MAX_REASON_CHARS);
        assert!(reason.as_str().ends_with('…'));
    }

    #[test]
    fn an_error_reads_with_its_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("migrating failed")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(
            Reason::from_error(&error, &[]).as_str(),
            "migrating failed: connection refused"
        );
    }
}
