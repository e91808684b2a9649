//! A local HTTP server that behaves like OpenRouter's chat completions API,
//! for tests.
//!
//! Owns: `POST /api/v1/chat/completions` on 127.0.0.1 (a free port): checks
//! the `Authorization: Bearer` key (401 with OpenRouter's error body
//! otherwise) and that the request is JSON with a `model` and a non-empty
//! `messages` array (400 otherwise), records every request body, and answers
//! with the scripted [`Reply`]: a chat completion in OpenRouter's real shape
//! whose assistant content is the scripted text, an HTTP error, a raw body,
//! or any of those after a delay.
//!
//! Must not: depend on `smsbot-nlu` (whose tests use it), or think: it never
//! reads the user's message, it only answers what the test scripted.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use url::Url;

/// What the stand-in answers to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// HTTP 200 with a chat completion whose assistant message content is
    /// this text (valid JSON or not: the stand-in does not look).
    Content(String),
    /// This HTTP status with OpenRouter's error body
    /// `{"error": {"code", "message"}}`.
    Error(u16),
    /// HTTP 200 with this body verbatim (e.g. not a completion at all).
    RawBody(String),
    /// The inner reply, sent after the delay.
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    /// A completion whose content is `value` serialised as JSON.
    pub fn json(value: &Value) -> Self {
        Self::Content(value.to_string())
    }

    /// `self`, answered only after `delay`.
    #[must_use]
    pub fn after(self, delay: Duration) -> Self {
        Self::Delayed(delay, Box::new(self))
    }
}

/// A running stand-in. Dropping it stops the server.
pub struct OpenRouterStandIn {
    /// Give this to the client as its base URL (no path).
    pub base_url: Url,
    /// The API key the server accepts.
    pub api_key: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    api_key: String,
    state: Mutex<Script>,
}

struct Script {
    requests: Vec<Value>,
    queued: VecDeque<Reply>,
    default: Reply,
}

impl OpenRouterStandIn {
    /// Starts a stand-in with a random key. Until scripted it answers 500.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> Self {
        let api_key = format!("sk-or-v1-{}", uuid::Uuid::new_v4().simple());
        let shared = Arc::new(Shared {
            api_key: api_key.clone(),
            state: Mutex::new(Script {
                requests: Vec::new(),
                queued: VecDeque::new(),
                default: Reply::Error(500),
            }),
        });
        let app = Router::new()
            .route("/api/v1/chat/completions", post(chat_completions))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the OpenRouter stand-in");
        let addr = listener.local_addr().expect("stand-in address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let base_url = Url::parse(&format!("http://{addr}")).expect("stand-in URL");
        Self {
            base_url,
            api_key,
            shared,
            server,
        }
    }

    /// Answers every request not otherwise scripted with `reply`.
    pub fn always(&self, reply: Reply) {
        self.shared.script().default = reply;
    }

    /// Answers the next request with `reply` (queued after earlier ones).
    pub fn then(&self, reply: Reply) {
        self.shared.script().queued.push_back(reply);
    }

    /// The JSON bodies of the authorised, well-formed requests, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.script().requests.clone()
    }

    /// How many authorised, well-formed requests arrived.
    pub fn calls(&self) -> usize {
        self.shared.script().requests.len()
    }
}

impl Drop for OpenRouterStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn script(&self) -> MutexGuard<'_, Script> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "code": status.as_u16(), "message": message } });
    (status, axum::Json(body)).into_response()
}

fn completion(model: &str, content: &str) -> Response {
    let id = format!("gen-{}", uuid::Uuid::new_v4().simple());
    let body = json!({
        "id": id,
        "provider": "OpenAI",
        "model": model,
        "object": "chat.completion",
        "created": 1_700_000_000,
        "choices": [{
            "logprobs": null,
            "finish_reason": "stop",
            "native_finish_reason": "stop",
            "index": 0,
            "message": {
                "role": "assistant",
                "content": content,
                "refusal": null,
                "reasoning": null,
            },
        }],
        "usage": { "prompt_tokens": 180, "completion_tokens": 24, "total_tokens": 204 },
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        None => return error(StatusCode::UNAUTHORIZED, "No auth credentials found"),
        Some(key) if key != shared.api_key => {
            return error(StatusCode::UNAUTHORIZED, "User not found.");
        }
        Some(_) => {}
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Invalid JSON in request body");
    };
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let has_messages = request
        .get("messages")
        .and_then(Value::as_array)
        .is_some_and(|m| !m.is_empty());
    if model.is_empty() || !has_messages {
        return error(
            StatusCode::BAD_REQUEST,
            "Input required: specify \"model\" and \"messages\"",
        );
    }

    let mut reply = {
        let mut script = shared.script();
        script.requests.push(request);
        let next = script.queued.pop_front();
        next.unwrap_or_else(|| script.default.clone())
    };
    loop {
        match reply {
            Reply::Delayed(delay, inner) => {
                tokio::time::sleep(delay).await;
                reply = *inner;
            }
            Reply::Content(content) => return completion(&model, &content),
            Reply::Error(status) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return error(status, "Scripted failure");
            }
            Reply::RawBody(raw) => {
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    raw,
                )
                    .into_response();
            }
        }
    }
}
