//! Lambda entry point for the database migrations, run by CloudFormation as a
//! custom resource (`AWS::CloudFormation::CustomResource`) on every deployment
//! that changes the resource's properties.
//!
//! Wiring only: telemetry, the HTTP client for CloudFormation's response URL, then
//! one request per event. Unlike the other functions, the settings are loaded in
//! each request rather than at start-up: a missing setting, a placeholder still in
//! the app secret or an unreachable Secrets Manager must reach CloudFormation as a
//! FAILED answer, not as a start-up failure that leaves the stack waiting.

mod deadline;
mod handler;
mod migration;
mod request;
mod response;

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let http = response::http_client()?;
    let http = &http;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            handler::handle(event, http).await
        },
    ))
    .await
}
