//! What CloudFormation asks: a custom resource request, read into what to do and
//! where to answer.
//!
//! Owns the reading of the event (`aws_lambda_events`' CloudFormation types) and
//! the physical resource id. A request this function cannot read but that still
//! names where to answer is answered FAILED rather than left unanswered. Must not:
//! log or show the response URL's query (its signature is a write permission).

use std::fmt;

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use serde::Deserialize;
use url::Url;

/// The physical id of the one migrations resource. It never changes, so an
/// update is never taken for a replacement (which would send a Delete).
pub const PHYSICAL_RESOURCE_ID: &str = "smsbot-database-migrations";

/// What the request asks of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create or Update: apply the migrations.
    Migrate,
    /// Delete: nothing; the database and its schema outlive the stack.
    Leave,
}

/// The pre-signed S3 URL CloudFormation reads the answer from.
#[derive(Clone)]
pub struct ResponseUrl(Url);

impl ResponseUrl {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Scheme, host and path only: the query carries the signature.
impl fmt::Debug for ResponseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.0.scheme(),
            self.0.host_str().unwrap_or(""),
            self.0.path()
        )
    }
}

/// Where and under which ids to answer.
#[derive(Debug, Clone)]
pub struct ReplyTo {
    pub response_url: ResponseUrl,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub physical_resource_id: String,
}

/// A request that names where to answer, and what it asks (or why it cannot be
/// done).
#[derive(Debug)]
pub struct Request {
    pub reply_to: ReplyTo,
    pub asked: Result<Action, Unreadable>,
}

/// The request named where to answer but could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the request could not be read as a Create, Update or Delete: {0}")]
pub struct Unreadable(String);

/// Nothing to answer to: not a CloudFormation custom resource request.
#[derive(Debug, thiserror::Error)]
pub enum NotARequest {
    #[error("the event is not a CloudFormation custom resource request: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("ResponseURL is not an https URL")]
    ResponseUrl,
}

/// The fields every request has, for answering one that is otherwise unreadable.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    #[serde(rename = "ResponseURL")]
    response_url: String,
    stack_id: String,
    request_id: String,
    logical_resource_id: String,
    physical_resource_id: Option<String>,
}

impl Request {
    pub fn parse(event: serde_json::Value) -> Result<Self, NotARequest> {
        let envelope: Envelope =
            serde_json::from_value(event.clone()).map_err(NotARequest::Shape)?;
        let response_url = Url::parse(&envelope.response_url)
            .ok()
            .filter(|url| url.scheme() == "https" || is_loopback_http(url))
            .map(ResponseUrl)
            .ok_or(NotARequest::ResponseUrl)?;
        let asked = match serde_json::from_value::<CloudFormationCustomResourceRequest>(event) {
            Ok(CloudFormationCustomResourceRequest::Delete(_)) => Ok(Action::Leave),
            Ok(_) => Ok(Action::Migrate),
            Err(e) => Err(Unreadable(e.to_string())),
        };
        Ok(Self {
            reply_to: ReplyTo {
                response_url,
                stack_id: envelope.stack_id,
                request_id: envelope.request_id,
                logical_resource_id: envelope.logical_resource_id,
                // Create has none yet; Update and Delete carry the one we gave.
                physical_resource_id: envelope
                    .physical_resource_id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| PHYSICAL_RESOURCE_ID.to_owned()),
            },
            asked,
        })
    }
}

/// Plain HTTP only to this machine (the tests' stand-in for S3).
fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn event(request_type: &str) -> Value {
        let mut event = json!({
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:smsbot-migrate",
            "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws/x?X-Amz-Signature=abc",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/smsbot-dev/1",
            "RequestId": "5f2a6e8c-0000-4000-8000-000000000001",
            "ResourceType": "Custom::DatabaseMigrations",
            "LogicalResourceId": "DatabaseMigrations",
            "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:smsbot-migrate"}
        });
        if request_type != "Create" {
            event["PhysicalResourceId"] = json!("given-earlier");
            event["OldResourceProperties"] = json!({});
        }
        event
    }

    #[test]
    fn create_and_update_migrate_and_delete_leaves_the_database_alone() {
        for (kind, action) in [
            ("Create", Action::Migrate),
            ("Update", Action::Migrate),
            ("Delete", Action::Leave),
        ] {
            assert_eq!(
                Request::parse(event(kind)).unwrap().asked,
                Ok(action),
                "{kind}"
            );
        }
    }

    #[test]
    fn create_gets_the_stable_physical_id_and_the_others_keep_the_one_they_carry() {
        let created = Request::parse(event("Create")).unwrap();
        assert_eq!(created.reply_to.physical_resource_id, PHYSICAL_RESOURCE_ID);
        let updated = Request::parse(event("Update")).unwrap();
        assert_eq!(updated.reply_to.physical_resource_id, "given-earlier");
    }

    #[test]
    fn an_unknown_request_type_is_still_answered() {
        let request = Request::parse(event("Import")).unwrap();
        assert!(request.asked.is_err());
        assert_eq!(
            request.reply_to.request_id,
            "5f2a6e8c-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn an_event_without_a_response_url_is_not_a_request() {
        assert!(matches!(
            Request::parse(json!({})),
            Err(NotARequest::Shape(_))
        ));
        let mut plain_http = event("Create");
        plain_http["ResponseURL"] = json!("http://example.com/x");
        assert!(matches!(
            Request::parse(plain_http),
            Err(NotARequest::ResponseUrl)
        ));
    }

    #[test]
    fn the_response_url_is_shown_without_its_signature() {
        let request = Request::parse(event("Create")).unwrap();
        let shown = format!("{:?}", request.reply_to);
        assert!(!shown.contains("X-Amz-Signature"), "{shown}");
        assert!(shown.contains("s3.amazonaws.com"));
    }
}
