//! A local stand-in for the pre-signed S3 URL a CloudFormation custom resource
//! answers to, for tests.
//!
//! Owns: one HTTP server on 127.0.0.1 (a free port) that takes a `PUT` on any
//! path, records it (path and query, `Content-Type`, body) and answers 200 with an
//! empty body, as S3 does. [`CloudFormationStandIn::response_url`] gives a URL
//! shaped like CloudFormation's (a query with `X-Amz-Signature`) to put in an
//! event's `ResponseURL`. Any other method gets 405.
//!
//! Must not: be reachable from anything but the loopback interface.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::routing::put;
use tokio::sync::Notify;

/// One answer the stand-in received.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Path and query, as requested.
    pub path_and_query: String,
    /// `Content-Type` as sent (`None`: no such header).
    pub content_type: Option<String>,
    /// The body, parsed as JSON.
    pub body: serde_json::Value,
}

#[derive(Default)]
struct Received {
    answers: Mutex<Vec<Answer>>,
    arrived: Notify,
}

pub struct CloudFormationStandIn {
    base_url: String,
    received: Arc<Received>,
    server: tokio::task::JoinHandle<()>,
}

impl CloudFormationStandIn {
    pub async fn start() -> Self {
        let received = Arc::new(Received::default());
        let app = Router::new()
            .route("/{*key}", put(record))
            .with_state(Arc::clone(&received));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the CloudFormation stand-in");
        let address = listener.local_addr().expect("stand-in address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{address}"),
            received,
            server,
        }
    }

    /// A response URL for one request, shaped like CloudFormation's pre-signed one.
    pub fn response_url(&self, request_id: &str) -> String {
        format!(
            "{}/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/test/{request_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=0123456789abcdef",
            self.base_url
        )
    }

    /// Every answer received so far.
    pub fn answers(&self) -> Vec<Answer> {
        self.received
            .answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits up to `timeout` for the first answer.
    pub async fn first_answer(&self, timeout: Duration) -> Option<Answer> {
        let wait = async {
            loop {
                let arrived = self.received.arrived.notified();
                if let Some(answer) = self.answers().into_iter().next() {
                    return answer;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.ok()
    }
}

impl Drop for CloudFormationStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(
    State(received): State<Arc<Received>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Ok(body) = serde_json::from_slice(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let answer = Answer {
        path_and_query: uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        body,
    };
    received
        .answers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(answer);
    received.arrived.notify_waiters();
    StatusCode::OK
}
