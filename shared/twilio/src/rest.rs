//! Sending SMS through Twilio's Messages REST API.
//!
//! Owns: the one HTTP call this product makes to Twilio (`POST
//! /2010-04-01/Accounts/{AccountSid}/Messages.json` with basic auth), reading
//! Twilio's 201 body into a [`SentMessage`], and turning every failure into a
//! [`SendError`] the caller can act on (stop messaging the recipient, retry
//! later, or record and move on).
//!
//! Must not: retry by itself (SQS redelivery is the retry), decide anything
//! about consent, or log a phone number unmasked or a message body at all.
//! Twilio's error `message` often quotes the `To` number, so it is never kept in
//! a [`SendError`] nor logged; only the numeric code is.
//!
//! A timeout, a connection broken after the request left us or a 5xx is
//! [`SendError::Transient`] although Twilio may have accepted the message
//! ([`SendError::may_have_been_accepted`]): the caller must not resend such a
//! message before asking Twilio whether it exists ([`TwilioClient::find_messages`],
//! `GET …/Messages.json`).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;
use url::Url;

use crate::error_code::{ErrorClass, TwilioErrorCode, classify_response};
use crate::signature::AuthToken;
use crate::validity::ValidityPeriod;
use smsbot_domain::MessageStatus;

/// Twilio's production API.
pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";

/// How long one send may take before it is given up as transient.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Who the message is sent from.
#[derive(Clone, PartialEq, Eq)]
pub enum Sender {
    /// A Twilio phone number in E.164 form (`From`).
    PhoneNumber(String),
    /// A Messaging Service SID, `MG…` (`MessagingServiceSid`): Twilio picks
    /// the number from the service's pool.
    MessagingService(String),
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PhoneNumber(number) => write!(f, "PhoneNumber({})", mask_phone(number)),
            Self::MessagingService(sid) => write!(f, "MessagingService({sid})"),
        }
    }
}

/// One SMS to send.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// The recipient, E.164 (`+15555550123`).
    pub to: String,
    /// Our number or Messaging Service.
    pub from: Sender,
    /// The text as it should arrive.
    pub body: String,
    /// Where Twilio should post delivery status updates.
    pub status_callback: Option<Url>,
    /// How long Twilio may hold the message before giving up on it
    /// (`ValidityPeriod`); `None`: Twilio's default.
    pub validity_period: Option<ValidityPeriod>,
}

/// Debug masks the recipient and shows only the body's length.
impl fmt::Debug for OutboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundMessage")
            .field("to", &mask_phone(&self.to))
            .field("from", &self.from)
            .field("body_chars", &self.body.chars().count())
            .field(
                "status_callback",
                &self.status_callback.as_ref().map(Url::as_str),
            )
            .field("validity_period", &self.validity_period)
            .finish()
    }
}

/// What Twilio said about a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The Message SID (`SM…`), the key for later status callbacks.
    pub sid: String,
    /// Usually `queued` (from a number) or `accepted` (Messaging Service).
    pub status: MessageStatus,
    /// Parts the body was split into, when Twilio reported it.
    pub num_segments: Option<u32>,
    /// Set only if Twilio already knows the message failed.
    pub error_code: Option<TwilioErrorCode>,
}

/// Why a message was not sent, sorted by what the caller should do.
///
/// No variant carries a phone number, a body or Twilio's free-text message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The recipient replied STOP (21610): record the opt-out, never retry.
    #[error("Twilio refused: the recipient has opted out (21610)")]
    OptedOut,
    /// The number cannot receive SMS from us (21211, 21614, 21612, 21635).
    #[error("Twilio refused: the recipient cannot receive this SMS ({code})")]
    InvalidRecipient { code: TwilioErrorCode },
    /// Too many requests (HTTP 429, 20429, 14107, 30001): retry later.
    #[error("Twilio rate limit (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// Twilio or the network failed (5xx, timeout, connection): retry.
    #[error("transient failure talking to Twilio: {0}")]
    Transient(TransientCause),
    /// Any other refusal (4xx): permanent for this message; record it.
    #[error("Twilio rejected the message with HTTP {status} (code {code:?})")]
    Rejected {
        status: u16,
        code: Option<TwilioErrorCode>,
    },
    /// Twilio answered 2xx with a body this client cannot read. The message
    /// was probably accepted, so do not resend it automatically.
    #[error("Twilio answered HTTP {status} with an unreadable body")]
    UnreadableResponse { status: u16 },
}

/// What went wrong in a [`SendError::Transient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransientCause {
    /// No complete answer within the timeout.
    #[error("timed out")]
    Timeout,
    /// Could not connect: the request never left.
    #[error("connection failed")]
    Connection,
    /// The connection broke after the request may have been sent.
    #[error("connection interrupted")]
    Interrupted,
    /// Twilio answered with a server error (or 408).
    #[error("HTTP {status} (code {code:?})")]
    Server {
        status: u16,
        code: Option<TwilioErrorCode>,
    },
}

impl SendError {
    /// Whether sending the same message later may succeed unchanged.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient(_))
    }

    /// Whether Twilio may have taken the message although it did not say so
    /// (no answer in time, a broken connection, a 5xx, an unreadable 2xx):
    /// sending it again could text the recipient twice.
    #[must_use]
    pub const fn may_have_been_accepted(&self) -> bool {
        matches!(
            self,
            Self::Transient(
                TransientCause::Timeout
                    | TransientCause::Interrupted
                    | TransientCause::Server { .. }
            ) | Self::UnreadableResponse { .. }
        )
    }

    /// Whether no further messages should go to this recipient.
    #[must_use]
    pub const fn blocks_recipient(&self) -> bool {
        matches!(self, Self::OptedOut | Self::InvalidRecipient { .. })
    }

    /// The Twilio error code behind this error, when there was one.
    #[must_use]
    pub const fn code(&self) -> Option<TwilioErrorCode> {
        match self {
            Self::OptedOut => Some(TwilioErrorCode::UNSUBSCRIBED_RECIPIENT),
            Self::InvalidRecipient { code } => Some(*code),
            Self::Rejected { code, .. } | Self::Transient(TransientCause::Server { code, .. }) => {
                *code
            }
            Self::RateLimited { .. } | Self::Transient(_) | Self::UnreadableResponse { .. } => None,
        }
    }
}

/// Why a [`TwilioClient`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientConfigError {
    /// The API base is not an `http(s)` URL that can carry a path.
    #[error("the Twilio API base must be an http(s) URL")]
    ApiBase,
    /// The account SID is empty or not alphanumeric.
    #[error("the Twilio account SID must be non-empty and alphanumeric")]
    AccountSid,
}

/// Sends SMS through one Twilio account.
#[derive(Clone)]
pub struct TwilioClient {
    messages_url: Url,
    account_sid: String,
    auth_token: AuthToken,
    http: reqwest::Client,
    timeout: Duration,
}

impl fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioClient")
            .field("messages_url", &self.messages_url.as_str())
            .field("auth_token", &self.auth_token)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl TwilioClient {
    /// A client for `account_sid` at `api_base` ([`DEFAULT_API_BASE`] in
    /// production, a stand-in's URL in tests). Any path on `api_base` is kept
    /// as a prefix.
    ///
    /// # Errors
    /// [`ClientConfigError`] for a base that is not http(s) or an account SID
    /// that is empty or has characters other than ASCII letters and digits.
    pub fn new(
        api_base: Url,
        account_sid: String,
        auth_token: AuthToken,
        http: reqwest::Client,
    ) -> Result<Self, ClientConfigError> {
        if account_sid.is_empty() || !account_sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ClientConfigError::AccountSid);
        }
        if !matches!(api_base.scheme(), "http" | "https") {
            return Err(ClientConfigError::ApiBase);
        }
        let mut messages_url = api_base;
        messages_url.set_query(None);
        messages_url.set_fragment(None);
        messages_url
            .path_segments_mut()
            .map_err(|()| ClientConfigError::ApiBase)?
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", &account_sid, "Messages.json"]);
        Ok(Self {
            messages_url,
            account_sid,
            auth_token,
            http,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same client with another per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The URL messages are posted to.
    #[must_use]
    pub fn messages_url(&self) -> &Url {
        &self.messages_url
    }

    /// Sends one SMS.
    ///
    /// # Errors
    /// A [`SendError`]; see its variants for what to do about each.
    pub async fn send_message(&self, msg: &OutboundMessage) -> Result<SentMessage, SendError> {
        let to = mask_phone(&msg.to);
        let result = self.post(msg).await;
        match &result {
            Ok(sent) => tracing::info!(
                to = %to,
                sid = %sent.sid,
                status = sent.status.as_str(),
                segments = sent.num_segments,
                "twilio accepted the message"
            ),
            Err(error) => tracing::warn!(
                to = %to,
                code = error.code().map(TwilioErrorCode::get),
                retryable = error.is_retryable(),
                %error,
                "twilio did not accept the message"
            ),
        }
        result
    }

    /// Messages to `to` whose body is `body`, created at or after `since`,
    /// newest first: what a sender asks before retrying a send whose outcome
    /// it does not know. One page of Twilio's list (the most recent 100 to that
    /// number) is enough: the question is about the last few minutes.
    ///
    /// # Errors
    /// A [`SendError`] when Twilio cannot be asked now.
    pub async fn find_messages(
        &self,
        to: &str,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SentMessage>, SendError> {
        let request = self
            .http
            .get(self.messages_url.clone())
            .query(&[("To", to), ("PageSize", "100")]);
        let (status, retry_after, bytes) = self.exchange(request).await?;
        if !status.is_success() {
            return Err(interpret(status, retry_after, &bytes).err().unwrap_or(
                SendError::UnreadableResponse {
                    status: status.as_u16(),
                },
            ));
        }
        let page: MessagePage =
            serde_json::from_slice(&bytes).map_err(|_| SendError::UnreadableResponse {
                status: status.as_u16(),
            })?;
        Ok(page
            .messages
            .into_iter()
            .filter(|m| m.body.as_deref() == Some(body))
            .filter(|m| {
                m.date_created
                    .as_deref()
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .is_some_and(|created| created >= since)
            })
            .filter_map(|m| {
                let status = MessageStatus::from_twilio(&m.status).ok()?;
                Some(SentMessage {
                    sid: m.sid,
                    status,
                    num_segments: None,
                    error_code: None,
                })
            })
            .collect())
    }

    async fn post(&self, msg: &OutboundMessage) -> Result<SentMessage, SendError> {
        let mut form: Vec<(&str, &str)> = vec![("To", &msg.to)];
        match &msg.from {
            Sender::PhoneNumber(number) => form.push(("From", number)),
            Sender::MessagingService(sid) => form.push(("MessagingServiceSid", sid)),
        }
        form.push(("Body", &msg.body));
        if let Some(callback) = &msg.status_callback {
            form.push(("StatusCallback", callback.as_str()));
        }
        let validity = msg.validity_period.map(|v| v.to_string());
        if let Some(validity) = &validity {
            form.push(("ValidityPeriod", validity));
        }
        tracing::debug!(body = %msg.body, "twilio message body");

        let request = self.http.post(self.messages_url.clone()).form(&form);
        let (status, retry_after, bytes) = self.exchange(request).await?;
        interpret(status, retry_after, &bytes)
    }

    /// One authenticated call with the client's timeout: Twilio's status,
    /// `Retry-After` and body, or the transport failure.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Option<Duration>, Vec<u8>), SendError> {
        let response = request
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(transport_error)?;
        Ok((status, retry_after, bytes.to_vec()))
    }
}

/// Reads Twilio's answer: a message resource on 2xx, an error otherwise.
fn interpret(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<SentMessage, SendError> {
    let http = status.as_u16();
    if status.is_success() {
        return parse_message(body).ok_or(SendError::UnreadableResponse { status: http });
    }
    let code = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.code)
        .map(TwilioErrorCode);
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        // A 5xx is Twilio's fault whatever code it carries.
        return Err(SendError::Transient(TransientCause::Server {
            status: http,
            code,
        }));
    }
    Err(match (classify_response(http, code), code) {
        (ErrorClass::OptedOut, _) => SendError::OptedOut,
        (ErrorClass::InvalidRecipient, Some(code)) => SendError::InvalidRecipient { code },
        (ErrorClass::RateLimited, _) => SendError::RateLimited { retry_after },
        _ => SendError::Rejected { status: http, code },
    })
}

fn transport_error(error: reqwest::Error) -> SendError {
    if error.is_timeout() {
        SendError::Transient(TransientCause::Timeout)
    } else if error.is_connect() {
        SendError::Transient(TransientCause::Connection)
    } else {
        SendError::Transient(TransientCause::Interrupted)
    }
}

/// `Retry-After` in seconds; the HTTP-date form (unused by Twilio) is ignored.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The fields of Twilio's message resource this product uses. Twilio sends
/// `num_segments` as a decimal string ("1"); a number is accepted too.
#[derive(Deserialize)]
struct MessageBody {
    sid: String,
    status: String,
    #[serde(default)]
    num_segments: Option<serde_json::Value>,
    #[serde(default)]
    error_code: Option<serde_json::Value>,
}

/// One page of Twilio's message list: the fields a reconciliation compares.
#[derive(Deserialize)]
struct MessagePage {
    #[serde(default)]
    messages: Vec<ListedMessage>,
}

#[derive(Deserialize)]
struct ListedMessage {
    sid: String,
    status: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    date_created: Option<String>,
}

/// Twilio's REST error body: `{"code", "message", "more_info", "status"}`.
/// Only the code is read: the message may quote the phone number.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<u32>,
}

fn parse_message(body: &[u8]) -> Option<SentMessage> {
    let raw: MessageBody = serde_json::from_slice(body).ok()?;
    if raw.sid.is_empty() {
        return None;
    }
    let status = MessageStatus::from_twilio(&raw.status).ok()?;
    Some(SentMessage {
        sid: raw.sid,
        status,
        num_segments: raw.num_segments.as_ref().and_then(json_u32),
        error_code: raw
            .error_code
            .as_ref()
            .and_then(json_u32)
            .map(TwilioErrorCode),
    })
}

fn json_u32(value: &serde_json::Value) -> Option<u32> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A phone number as it may appear in logs: the first 2 and last 4
/// characters kept, the rest starred (`+1******4567`). Short inputs are
/// starred whole.
#[must_use]
pub fn mask_phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 6;
    let mut out = String::with_capacity(chars.len());
    out.extend(&chars[..2]);
    out.extend(std::iter::repeat_n('*', hidden));
    out.extend(&chars[chars.len() - 4..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: u16, body: &str) -> SendError {
        let status = StatusCode::from_u16(status).expect("valid status");
        interpret(status, None, body.as_bytes()).expect_err("an error")
    }

    fn twilio_error(code: u32, status: u16) -> String {
        format!(
            r#"{{"code": {code}, "message": "The 'To' number +15555550123 is not valid", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": {status}}}"#
        )
    }

    #[test]
    fn a_phone_number_is_masked_to_its_first_two_and_last_four_characters() {
        assert_eq!(mask_phone("+15555554567"), "+1******4567");
        assert_eq!(mask_phone("+4479460"), "+4**9460");
        assert_eq!(mask_phone("12345"), "*****");
    }

    #[test]
    fn twilios_real_201_body_is_read_with_segments_as_a_string() {
        let body = r#"{"account_sid": "AC00000000000000000000000000000000", "api_version": "2010-04-01",
            "body": "Hi", "date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "date_sent": null,
            "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000", "direction": "outbound-api",
            "error_code": null, "error_message": null, "from": "+14155552345",
            "messaging_service_sid": null, "num_media": "0", "num_segments": "2", "price": null,
            "price_unit": "USD", "sid": "SM0123456789abcdef0123456789abcdef", "status": "queued",
            "subresource_uris": {}, "to": "+15558675310", "uri": "/x.json"}"#;
        let sent = interpret(StatusCode::CREATED, None, body.as_bytes()).expect("sent");
        assert_eq!(sent.sid, "SM0123456789abcdef0123456789abcdef");
        assert_eq!(sent.status, MessageStatus::Queued);
        assert_eq!(sent.num_segments, Some(2));
        assert_eq!(sent.error_code, None);
    }

    #[test]
    fn a_2xx_without_a_readable_message_is_not_retried() {
        let err = interpret(StatusCode::CREATED, None, b"<html>").expect_err("unreadable");
        assert_eq!(err, SendError::UnreadableResponse { status: 201 });
        assert!(!err.is_retryable());
        let unknown_status = br#"{"sid": "SM1", "status": "teleported"}"#;
        assert!(interpret(StatusCode::CREATED, None, unknown_status).is_err());
    }

    #[test]
    fn error_bodies_map_to_what_the_caller_should_do() {
        assert_eq!(error(400, &twilio_error(21610, 400)), SendError::OptedOut);
        assert_eq!(
            error(400, &twilio_error(21211, 400)),
            SendError::InvalidRecipient {
                code: TwilioErrorCode(21211)
            }
        );
        assert_eq!(
            error(400, &twilio_error(21614, 400)),
            SendError::InvalidRecipient {
                code: TwilioErrorCode(21614)
            }
        );
        assert_eq!(
            error(401, &twilio_error(20003, 401)),
            SendError::Rejected {
                status: 401,
                code: Some(TwilioErrorCode(20003))
            }
        );
        assert_eq!(
            error(400, "not json"),
            SendError::Rejected {
                status: 400,
                code: None
            }
        );
        assert!(matches!(
            error(503, &twilio_error(20503, 503)),
            SendError::Transient(TransientCause::Server { status: 503, .. })
        ));
        assert!(matches!(
            error(429, "{}"),
            SendError::RateLimited { retry_after: None }
        ));
    }

    #[test]
    fn no_error_carries_the_number_twilio_quoted() {
        for status in [400, 401, 404, 429, 500] {
            let err = error(status, &twilio_error(21211, status));
            assert!(!format!("{err} {err:?}").contains("5555550123"));
        }
    }

    #[test]
    fn debug_output_masks_the_recipient_and_hides_the_body() {
        let msg = OutboundMessage {
            to: "+15555550123".into(),
            from: Sender::PhoneNumber("+15555559876".into()),
            body: "secret appointment details".into(),
            status_callback: None,
            validity_period: None,
        };
        let shown = format!("{msg:?}");
        assert!(shown.contains("+1******0123"), "{shown}");
        assert!(!shown.contains("5555550123"));
        assert!(!shown.contains("5555559876"));
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn the_messages_url_keeps_a_base_path_and_drops_a_trailing_slash() {
        let token = AuthToken::new("t".into()).expect("token");
        let client = TwilioClient::new(
            Url::parse("http://127.0.0.1:9/prefix/").expect("url"),
            "AC123".into(),
            token.clone(),
            reqwest::Client::new(),
        )
        .expect("client");
        assert_eq!(
            client.messages_url().as_str(),
            "http://127.0.0.1:9/prefix/2010-04-01/Accounts/AC123/Messages.json"
        );
        let bad_sid = TwilioClient::new(
            Url::parse(DEFAULT_API_BASE).expect("url"),
            "AC/../x".into(),
            token,
            reqwest::Client::new(),
        );
        assert_eq!(bad_sid.err(), Some(ClientConfigError::AccountSid));
    }
}
