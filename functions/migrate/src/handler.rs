//! One custom resource request, start to finish: read it, do what it asks within
//! the deadline, answer CloudFormation.
//!
//! Owns the rule that every request naming a response URL gets an answer: SUCCESS
//! with the schema version after migrating (Create, Update), SUCCESS without
//! touching the database (Delete), FAILED with a reason otherwise. Must not:
//! return to Lambda before answering, or answer twice.

use std::collections::HashMap;

use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

use crate::deadline::Deadline;
use crate::migration;
use crate::request::{Action, Request};
use crate::response::{self, Outcome, Reason};

/// Handles one event. The value returned is the answer CloudFormation was sent
/// (for logs and `aws lambda invoke`); an error means no answer could be sent,
/// and Lambda's retry of the asynchronous invocation tries again (migrating
/// twice is harmless).
pub async fn handle(event: LambdaEvent<Value>, http: &reqwest::Client) -> Result<Value, Error> {
    let deadline = Deadline::from_epoch_millis(event.context.deadline);
    let request = Request::parse(event.payload)?;
    let reply_to = &request.reply_to;
    tracing::info!(
        logical_resource_id = %reply_to.logical_resource_id,
        request_id = %reply_to.request_id,
        stack_id = %reply_to.stack_id,
        asked = ?request.asked,
        "custom resource request"
    );
    let logs = &event.context.env_config;
    let outcome = match request.asked {
        Ok(Action::Leave) => Outcome::Success {
            reason: Reason::redacted("nothing to do: the database outlives the stack", &[]),
            data: HashMap::new(),
        },
        Ok(Action::Migrate) => match migration::run(deadline.work_ends().into()).await {
            Ok(report) => Outcome::Success {
                reason: Reason::redacted(
                    &format!("{} migration(s) applied", report.applied.len()),
                    &[],
                ),
                data: migration::data(&report),
            },
            Err(reason) => Outcome::Failed(Reason::redacted(
                &format!(
                    "{} (log group {}, stream {})",
                    reason.as_str(),
                    logs.log_group,
                    logs.log_stream
                ),
                &[],
            )),
        },
        Err(unreadable) => Outcome::Failed(Reason::from_error(&unreadable, &[])),
    };
    let answer = response::response(reply_to, outcome);
    response::send(http, reply_to, &answer, deadline).await?;
    tracing::info!(status = ?answer.status, reason = ?answer.reason, "answered CloudFormation");
    Ok(serde_json::to_value(&answer)?)
}
