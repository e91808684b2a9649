//! A local HTTP server that behaves like Twilio's Messages API, for tests.
//!
//! Owns: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` on
//! 127.0.0.1 (a free port), with Twilio's checks and answers: HTTP basic auth
//! (401, code 20003), the account in the path (404, code 20404), the required
//! form fields (400 with 21604 for `To`, 21602 for `Body`, 21603 for the
//! sender), an E.164 `To` (400, 21211), the 1,600-character limit (400,
//! 21617), a `ValidityPeriod` of 1 to 36,000 seconds (400, 21624), and a 201
//! with Twilio's message resource (a fresh `SM` + 32 hex SID, `queued` from a
//! number, `accepted` through a Messaging Service).
//! Also `GET` on the same path: the account's messages, newest first, filtered
//! by `To`/`From` like Twilio's list (what a sender asks when a send's outcome
//! was unknown). Every accepted message is recorded; failures can be scripted,
//! before the message is taken (nothing sent) or after (sent, but the client
//! hears a failure or nothing in time).
//!
//! Must not: depend on `smsbot-twilio` (whose tests use it), or be reachable
//! from anything but the loopback interface.
//!
//! Stricter than Twilio in one place: a request naming both `From` and
//! `MessagingServiceSid` is refused (21603), because our client must send
//! exactly one of them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde_json::json;
use url::Url;

/// One message the stand-in accepted (answered 201).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRecord {
    pub sid: String,
    pub to: String,
    /// `From`, when the request named a number.
    pub from: Option<String>,
    /// `MessagingServiceSid`, when the request named a service.
    pub messaging_service_sid: Option<String>,
    pub body: String,
    pub status_callback: Option<String>,
    /// `ValidityPeriod` in seconds, when the request set one.
    pub validity_period: Option<u32>,
    pub created_at: DateTime<Utc>,
}

/// A running stand-in. Dropping it stops the server.
pub struct TwilioStandIn {
    /// Give this to the client as its API base.
    pub base_url: Url,
    /// The account SID the server accepts (`AC` + 32 hex).
    pub account_sid: String,
    /// The auth token the server accepts.
    pub auth_token: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    state: Mutex<Script>,
}

#[derive(Default)]
struct Script {
    sent: Vec<SentRecord>,
    attempts: usize,
    /// Statuses to answer the next requests with, one per request.
    failures: VecDeque<u16>,
    /// Retry-After seconds of the next 429s, one per request.
    rate_limits: VecDeque<u64>,
    /// Delays before answering the next requests, one per request.
    delays: VecDeque<Duration>,
    /// Error code to answer for a recipient, on every request to it.
    rejected: HashMap<String, u32>,
    /// What happens after the next requests' messages were taken.
    after_accept: VecDeque<AfterAccept>,
}

/// A fault after the message was recorded as sent.
#[derive(Debug, Clone, Copy)]
enum AfterAccept {
    /// Answer with this HTTP status instead of 201.
    Fail(u16),
    /// Answer 201 only after this long (the client times out first).
    Delay(Duration),
}

impl TwilioStandIn {
    /// Starts a stand-in with a random account SID and auth token.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> Self {
        let account_sid = format!("AC{}", uuid::Uuid::new_v4().simple());
        let auth_token = uuid::Uuid::new_v4().simple().to_string();
        let shared = Arc::new(Shared {
            account_sid: account_sid.clone(),
            auth_token: auth_token.clone(),
            state: Mutex::new(Script::default()),
        });
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message).get(list_messages),
            )
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the Twilio stand-in");
        let addr = listener.local_addr().expect("stand-in address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let base_url = Url::parse(&format!("http://{addr}")).expect("stand-in URL");
        Self {
            base_url,
            account_sid,
            auth_token,
            shared,
            server,
        }
    }

    /// Every message accepted so far, oldest first.
    pub fn sent(&self) -> Vec<SentRecord> {
        self.shared.script().sent.clone()
    }

    /// Requests that reached the Messages endpoint, accepted or not.
    pub fn attempts(&self) -> usize {
        self.shared.script().attempts
    }

    /// The next `n` requests get HTTP `status` (e.g. 500, 503) with Twilio's
    /// error body, and nothing is sent.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.shared
            .script()
            .failures
            .extend(std::iter::repeat_n(status, n));
    }

    /// The next `n` requests get 429 (code 20429) with `Retry-After: 1`.
    pub fn rate_limit_next(&self, n: usize) {
        self.rate_limit_next_with(n, 1);
    }

    /// The next `n` requests get 429 (code 20429) with `Retry-After:
    /// retry_after_secs`.
    pub fn rate_limit_next_with(&self, n: usize, retry_after_secs: u64) {
        self.shared
            .script()
            .rate_limits
            .extend(std::iter::repeat_n(retry_after_secs, n));
    }

    /// The next `n` requests are answered only after `delay` (to make a
    /// client time out).
    pub fn delay_next(&self, n: usize, delay: Duration) {
        self.shared
            .script()
            .delays
            .extend(std::iter::repeat_n(delay, n));
    }

    /// The next `n` messages are sent (recorded), then answered with HTTP
    /// `status` as if Twilio failed afterwards.
    pub fn accept_then_fail_next(&self, n: usize, status: u16) {
        self.shared
            .script()
            .after_accept
            .extend(std::iter::repeat_n(AfterAccept::Fail(status), n));
    }

    /// The next `n` messages are sent (recorded), then answered only after
    /// `delay` (to make a client time out after Twilio took the message).
    pub fn accept_then_delay_next(&self, n: usize, delay: Duration) {
        self.shared
            .script()
            .after_accept
            .extend(std::iter::repeat_n(AfterAccept::Delay(delay), n));
    }

    /// Every message to `to` is refused with `code` (HTTP 400), e.g. 21610
    /// (unsubscribed recipient), 21211 (invalid number), 21614 (not mobile).
    pub fn reject_recipient(&self, to: &str, code: u32) {
        self.shared.script().rejected.insert(to.to_owned(), code);
    }

    /// Forgets every scripted failure (recorded messages are kept).
    pub fn clear_script(&self) {
        let mut script = self.shared.script();
        script.failures.clear();
        script.rate_limits.clear();
        script.delays.clear();
        script.rejected.clear();
        script.after_accept.clear();
    }
}

impl Drop for TwilioStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn script(&self) -> MutexGuard<'_, Script> {
        // A test that panicked while holding the lock must not hide the
        // recorded messages from the next assertion.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Twilio's error resource.
fn twilio_error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, axum::Json(body)).into_response()
}

fn authorized(headers: &HeaderMap, shared: &Shared) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = BASE64.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{}:{}", shared.account_sid, shared.auth_token);
    decoded == expected.as_bytes()
}

fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Segments as carriers count them (GSM-7 160/153, UCS-2 70/67).
fn segments(body: &str) -> u32 {
    smsbot_domain::SmsBody::parse(body.to_owned()).map_or(1, |b| b.segments())
}

enum Scripted {
    Fail(u16),
    RateLimit(u64),
}

async fn create_message(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (delay, scripted) = {
        let mut script = shared.script();
        script.attempts += 1;
        let delay = script.delays.pop_front();
        let scripted = if let Some(status) = script.failures.pop_front() {
            Some(Scripted::Fail(status))
        } else {
            script.rate_limits.pop_front().map(Scripted::RateLimit)
        };
        (delay, scripted)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }

    if !authorized(&headers, &shared) {
        let mut response = twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
        return response;
    }
    if account != shared.account_sid {
        return twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    }
    match scripted {
        Some(Scripted::Fail(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return twilio_error(status, 20500, "An internal server error has occurred");
        }
        Some(Scripted::RateLimit(secs)) => {
            let mut response =
                twilio_error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return response;
        }
        None => {}
    }

    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            20001,
            "Could not parse the request",
        );
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(to) = field("To").filter(|v| !v.is_empty()) else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    };
    let from = field("From").filter(|v| !v.is_empty());
    let service = field("MessagingServiceSid").filter(|v| !v.is_empty());
    if from.is_some() == service.is_some() {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' phone number or a 'MessagingServiceSid' is required.",
        );
    }
    let Some(text) = field("Body").filter(|v| !v.is_empty()) else {
        return twilio_error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    };
    if !is_e164(&to) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("Invalid 'To' Phone Number: {to}"),
        );
    }
    let validity_period = match field("ValidityPeriod") {
        None => None,
        Some(raw) => match raw.parse::<u32>() {
            Ok(secs) if (1..=36_000).contains(&secs) => Some(secs),
            _ => {
                return twilio_error(
                    StatusCode::BAD_REQUEST,
                    21624,
                    "Invalid validity period value",
                );
            }
        },
    };
    if text.chars().count() > 1600 {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }
    let rejected = shared.script().rejected.get(&to).copied();
    if let Some(code) = rejected {
        let message = match code {
            21610 => "Attempt to send to unsubscribed recipient".to_owned(),
            21614 => format!("'To' number {to} is not a valid mobile number"),
            _ => format!("Invalid 'To' Phone Number: {to}"),
        };
        return twilio_error(StatusCode::BAD_REQUEST, code, &message);
    }

    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let record = SentRecord {
        sid: sid.clone(),
        to: to.clone(),
        from: from.clone(),
        messaging_service_sid: service.clone(),
        body: text.clone(),
        status_callback: field("StatusCallback"),
        validity_period,
        created_at: Utc::now(),
    };
    let resource = message_resource(&record, &account);
    let after_accept = {
        let mut script = shared.script();
        script.sent.push(record);
        script.after_accept.pop_front()
    };
    match after_accept {
        Some(AfterAccept::Fail(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return twilio_error(status, 20500, "An internal server error has occurred");
        }
        Some(AfterAccept::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    (StatusCode::CREATED, axum::Json(resource)).into_response()
}

/// Twilio's message resource for a recorded message.
fn message_resource(record: &SentRecord, account: &str) -> serde_json::Value {
    let SentRecord {
        sid,
        to,
        from,
        messaging_service_sid: service,
        body: text,
        created_at,
        ..
    } = record;

    let status = if service.is_some() {
        "accepted"
    } else {
        "queued"
    };
    let now = created_at.to_rfc2822();
    let uri = format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json");
    json!({
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": text,
        "date_created": now,
        "date_sent": null,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": from,
        "messaging_service_sid": service,
        "num_media": "0",
        "num_segments": segments(text).to_string(),
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {
            "media": format!("/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"),
        },
        "to": to,
        "uri": uri,
    })
}

#[derive(serde::Deserialize)]
struct ListQuery {
    #[serde(rename = "To")]
    to: Option<String>,
    #[serde(rename = "From")]
    from: Option<String>,
    #[serde(rename = "PageSize")]
    page_size: Option<usize>,
}

/// `GET …/Messages.json?To=…&From=…&PageSize=…`: newest first, one page.
async fn list_messages(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers, &shared) {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if account != shared.account_sid {
        return twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    }
    let page_size = query.page_size.unwrap_or(50).clamp(1, 1000);
    let messages: Vec<serde_json::Value> = shared
        .script()
        .sent
        .iter()
        .rev()
        .filter(|m| query.to.as_ref().is_none_or(|to| *to == m.to))
        .filter(|m| {
            query
                .from
                .as_ref()
                .is_none_or(|from| Some(from) == m.from.as_ref())
        })
        .take(page_size)
        .map(|m| message_resource(m, &account))
        .collect();
    let body = json!({
        "messages": messages,
        "next_page_uri": null,
        "page": 0,
        "page_size": page_size,
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}
