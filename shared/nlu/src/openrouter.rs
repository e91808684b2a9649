//! The OpenRouter client: understanding one message with an LLM.
//!
//! Owns: the chat-completions request (a short system prompt with today's
//! date, weekday, time and timezone and the list of intents; the user's text;
//! a strict JSON schema for the answer; temperature 0; a timeout of a few
//! seconds) and the strict validation of the answer into an
//! [`Understanding`]. Every way this can fail is an [`LlmError`].
//!
//! Must not: book, decide or reply anything (it only classifies and
//! extracts), fall back by itself (that is [`crate::understander`]'s job),
//! or log or return the user's text or the API key. Error values carry
//! reasons only, never the message or the model's raw output.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::{Direction, Intent, Understanding};

/// OpenRouter's production API.
pub const DEFAULT_BASE_URL: &str = "https://openrouter.ai";

/// How long one LLM call may take before the offline answer is used.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);

/// The confidence given to a validated LLM answer.
pub const LLM_CONFIDENCE: f32 = 0.9;

/// How far ahead a date named by the LLM may lie before it is called absurd.
const MAX_DAYS_AHEAD: i64 = 400;

/// Settings of an [`OpenRouterClient`].
#[derive(Clone)]
pub struct OpenRouterConfig {
    /// The OpenRouter API key (`sk-or-…`).
    pub api_key: String,
    /// The model, e.g. `openai/gpt-4o-mini`.
    pub model: String,
    /// [`DEFAULT_BASE_URL`], or a stand-in's URL in tests.
    pub base_url: Url,
    /// [`DEFAULT_TIMEOUT`] unless set.
    pub timeout: Duration,
}

impl OpenRouterConfig {
    /// Production base URL and the default timeout.
    ///
    /// # Panics
    /// Never: the default base URL is a valid constant.
    #[must_use]
    pub fn new(api_key: String, model: String) -> Self {
        Self {
            api_key,
            model,
            base_url: Url::parse(DEFAULT_BASE_URL).expect("static URL"),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same settings with another base URL.
    #[must_use]
    pub fn with_base_url(mut self, base_url: Url) -> Self {
        self.base_url = base_url;
        self
    }

    /// The same settings with another timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl fmt::Debug for OpenRouterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenRouterConfig")
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("base_url", &self.base_url.as_str())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an [`OpenRouterClient`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenRouterConfigError {
    #[error("the OpenRouter API key is empty")]
    EmptyKey,
    #[error("the OpenRouter model name is empty")]
    EmptyModel,
    #[error("the OpenRouter base URL must be an http(s) URL")]
    BaseUrl,
}

/// Why the LLM gave no usable understanding. None of the variants carries the
/// user's text or the model's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("the LLM call timed out")]
    Timeout,
    #[error("could not reach the LLM API")]
    Connection,
    #[error("the LLM API answered HTTP {status}")]
    Http { status: u16 },
    #[error("the LLM API answer is not a chat completion")]
    NotACompletion,
    #[error("the LLM answer content is not JSON")]
    InvalidJson,
    #[error("the LLM answer does not match the schema: {0}")]
    SchemaMismatch(&'static str),
}

/// Understands messages with an LLM through OpenRouter.
#[derive(Clone)]
pub struct OpenRouterClient {
    endpoint: Url,
    config: OpenRouterConfig,
    http: reqwest::Client,
}

impl fmt::Debug for OpenRouterClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenRouterClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OpenRouterClient {
    /// A client posting to `{base_url}/api/v1/chat/completions`.
    ///
    /// # Errors
    /// [`OpenRouterConfigError`] for an empty key or model or a base URL that
    /// is not http(s).
    pub fn new(
        config: OpenRouterConfig,
        http: reqwest::Client,
    ) -> Result<Self, OpenRouterConfigError> {
        if config.api_key.trim().is_empty() {
            return Err(OpenRouterConfigError::EmptyKey);
        }
        if config.model.trim().is_empty() {
            return Err(OpenRouterConfigError::EmptyModel);
        }
        if !matches!(config.base_url.scheme(), "http" | "https") {
            return Err(OpenRouterConfigError::BaseUrl);
        }
        let mut endpoint = config.base_url.clone();
        endpoint.set_query(None);
        endpoint.set_fragment(None);
        endpoint
            .path_segments_mut()
            .map_err(|()| OpenRouterConfigError::BaseUrl)?
            .pop_if_empty()
            .extend(["api", "v1", "chat", "completions"]);
        Ok(Self {
            endpoint,
            config,
            http,
        })
    }

    /// The model asked.
    #[must_use]
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// Asks the LLM what `text` means, `now` being the current instant in the
    /// business timezone.
    ///
    /// # Errors
    /// An [`LlmError`] for a failed call or an answer that does not validate.
    pub async fn understand(
        &self,
        text: &str,
        now: DateTime<Tz>,
    ) -> Result<Understanding, LlmError> {
        let request = request_body(&self.config.model, text, now);
        let response = self
            .http
            .post(self.endpoint.clone())
            .bearer_auth(&self.config.api_key)
            .header("X-Title", "smsbot")
            .json(&request)
            .timeout(self.config.timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if !status.is_success() {
            return Err(LlmError::Http {
                status: status.as_u16(),
            });
        }
        let body = response.bytes().await.map_err(transport_error)?;
        let content = completion_content(&body)?;
        parse_answer(&content, now)
    }
}

fn transport_error(error: reqwest::Error) -> LlmError {
    if error.is_timeout() {
        LlmError::Timeout
    } else {
        LlmError::Connection
    }
}

/// The system prompt: what today is and what to answer.
#[must_use]
pub fn system_prompt(now: DateTime<Tz>) -> String {
    let intents = Intent::ALL.map(Intent::as_str).join(", ");
    // Not `now.format(..)`: it panics at the ends of chrono's range.
    let local = crate::prepare::local_naive(&now);
    format!(
        "You read one SMS sent to a business's appointment booking line and \
         classify it. You never book or promise anything.\n\
         Now: {weekday} {date}, {hh:02}:{mm:02}, timezone {tz}.\n\
         Resolve relative dates (tomorrow, next Friday, the 13th) to the first \
         matching calendar date on or after today.\n\
         intent is one of: {intents}. book = wants an appointment; \
         availability = asks for open times; my_appointments = asks about their \
         own bookings; affirm = yes; deny = no; alternatives = wants other \
         options (direction later or earlier); select = picks an offered \
         option by number or ordinal (selection = that number, 1-based); \
         goodbye includes thanks; unknown = anything else.\n\
         date = the appointment day named, YYYY-MM-DD, else null. time = the \
         clock time named, HH:MM 24-hour, else null. Never guess a date or \
         time the message does not name.",
        weekday = local.format("%A"),
        date = local.format("%Y-%m-%d"),
        hh = local.hour(),
        mm = local.minute(),
        tz = now.timezone().name(),
    )
}

/// The JSON schema the answer must follow (strict mode: every property
/// required, nothing else allowed).
#[must_use]
pub fn answer_schema() -> Value {
    let intents: Vec<&str> = Intent::ALL.map(Intent::as_str).to_vec();
    json!({
        "type": "object",
        "properties": {
            "intent": { "type": "string", "enum": intents },
            "date": {
                "type": ["string", "null"],
                "description": "YYYY-MM-DD, the appointment day named, or null",
            },
            "time": {
                "type": ["string", "null"],
                "description": "HH:MM, 24-hour clock time named, or null",
            },
            "selection": {
                "type": ["integer", "null"],
                "description": "1-based option picked, for intent select",
            },
            "direction": {
                "type": ["string", "null"],
                "enum": ["later", "earlier", null],
                "description": "for intent alternatives",
            },
        },
        "required": ANSWER_FIELDS,
        "additionalProperties": false,
    })
}

fn request_body(model: &str, text: &str, now: DateTime<Tz>) -> Value {
    json!({
        "model": model,
        "messages": [
            { "role": "system", "content": system_prompt(now) },
            { "role": "user", "content": text },
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "understanding",
                "strict": true,
                "schema": answer_schema(),
            },
        },
        "temperature": 0,
        "max_tokens": 120,
        // Route only to providers that honour response_format.
        "provider": { "require_parameters": true },
    })
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

fn completion_content(body: &[u8]) -> Result<String, LlmError> {
    let completion: Completion =
        serde_json::from_slice(body).map_err(|_| LlmError::NotACompletion)?;
    completion
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .ok_or(LlmError::NotACompletion)
}

/// The fields of [`answer_schema`], all required.
const ANSWER_FIELDS: [&str; 5] = ["intent", "date", "time", "selection", "direction"];

/// The answer as the schema describes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    intent: String,
    date: Option<String>,
    time: Option<String>,
    selection: Option<i64>,
    direction: Option<String>,
}

/// Validates the model's JSON answer strictly into an [`Understanding`].
///
/// # Errors
/// [`LlmError::InvalidJson`] when the content is not JSON (a Markdown code
/// fence around it is tolerated), [`LlmError::SchemaMismatch`] when it is
/// JSON of the wrong shape or with a value out of range.
pub fn parse_answer(content: &str, now: DateTime<Tz>) -> Result<Understanding, LlmError> {
    let json = strip_code_fence(content);
    let value: Value = serde_json::from_str(json).map_err(|_| LlmError::InvalidJson)?;
    // Strict: every field present (serde would read a missing one as null).
    let complete = value
        .as_object()
        .is_some_and(|fields| ANSWER_FIELDS.iter().all(|name| fields.contains_key(*name)));
    if !complete {
        return Err(LlmError::SchemaMismatch("a required field is missing"));
    }
    let answer: Answer = serde_json::from_value(value)
        .map_err(|_| LlmError::SchemaMismatch("fields or types differ from the schema"))?;

    let intent =
        Intent::from_name(&answer.intent).ok_or(LlmError::SchemaMismatch("unknown intent"))?;
    let date = answer.date.as_deref().map(parse_date).transpose()?;
    if let Some(date) = date {
        let today = crate::prepare::local_date(&now);
        let ahead = date.signed_duration_since(today).num_days();
        if !(0..=MAX_DAYS_AHEAD).contains(&ahead) {
            return Err(LlmError::SchemaMismatch(
                "date in the past or too far ahead",
            ));
        }
    }
    let time = answer.time.as_deref().map(parse_time).transpose()?;
    let selection = answer
        .selection
        .map(|n| {
            u8::try_from(n)
                .ok()
                .filter(|n| (1..=20).contains(n))
                .ok_or(LlmError::SchemaMismatch("selection out of range"))
        })
        .transpose()?;
    let direction = match answer.direction.as_deref() {
        None => None,
        Some("later") => Some(Direction::Later),
        Some("earlier") => Some(Direction::Earlier),
        Some(_) => return Err(LlmError::SchemaMismatch("unknown direction")),
    };
    Ok(Understanding {
        intent,
        date,
        date_range: None,
        time,
        time_range: None,
        selection: if intent == Intent::Select {
            selection
        } else {
            None
        },
        direction: if intent == Intent::Alternatives {
            direction
        } else {
            None
        },
        confidence: LLM_CONFIDENCE,
    })
}

fn strip_code_fence(content: &str) -> &str {
    let trimmed = content.trim();
    let Some(inner) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let inner = inner.strip_prefix("json").unwrap_or(inner);
    inner.strip_suffix("```").unwrap_or(inner).trim()
}

fn parse_date(s: &str) -> Result<NaiveDate, LlmError> {
    let bad = LlmError::SchemaMismatch("date is not YYYY-MM-DD");
    if s.len() != 10 {
        return Err(bad);
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad.clone())?;
    // Reject years chrono accepts but a calendar date here cannot have.
    if !(2000..=9999).contains(&date.year()) {
        return Err(bad);
    }
    Ok(date)
}

fn parse_time(s: &str) -> Result<NaiveTime, LlmError> {
    let bad = LlmError::SchemaMismatch("time is not HH:MM");
    if s.len() != 5 {
        return Err(bad);
    }
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::New_York;

    fn now() -> DateTime<Tz> {
        New_York
            .with_ymd_and_hms(2024, 3, 5, 9, 30, 0)
            .single()
            .expect("an instant")
    }

    #[test]
    fn the_system_prompt_names_today_the_weekday_and_the_timezone() {
        let prompt = system_prompt(now());
        assert!(prompt.contains("Tuesday 2024-03-05"), "{prompt}");
        assert!(prompt.contains("America/New_York"));
        assert!(prompt.contains("my_appointments"));
    }

    #[test]
    fn the_request_asks_for_a_strict_json_schema_at_temperature_zero() {
        let body = request_body("m", "hi", now());
        assert_eq!(body["temperature"], 0);
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        let schema = &body["response_format"]["json_schema"]["schema"];
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["intent"]["enum"][0], "book");
        assert_eq!(body["messages"][1]["content"], "hi");
    }

    #[test]
    fn a_valid_answer_becomes_an_understanding() {
        let u = parse_answer(
            r#"{"intent":"book","date":"2024-03-08","time":"15:30","selection":null,"direction":null}"#,
            now(),
        )
        .expect("valid");
        assert_eq!(u.intent, Intent::Book);
        assert_eq!(u.date, NaiveDate::from_ymd_opt(2024, 3, 8));
        assert_eq!(u.time, NaiveTime::from_hms_opt(15, 30, 0));
        assert!((u.confidence - LLM_CONFIDENCE).abs() < f32::EPSILON);
    }

    #[test]
    fn a_code_fenced_answer_is_still_read() {
        let u = parse_answer(
            "```json\n{\"intent\":\"select\",\"date\":null,\"time\":null,\"selection\":2,\"direction\":null}\n```",
            now(),
        )
        .expect("valid");
        assert_eq!(u.selection, Some(2));
    }

    #[test]
    fn answers_outside_the_schema_are_refused() {
        let cases = [
            (
                r#"{"intent":"order_pizza","date":null,"time":null,"selection":null,"direction":null}"#,
                "unknown intent",
            ),
            (
                r#"{"intent":"book","date":"March 8","time":null,"selection":null,"direction":null}"#,
                "date format",
            ),
            (
                r#"{"intent":"book","date":"2024-02-30","time":null,"selection":null,"direction":null}"#,
                "impossible date",
            ),
            (
                r#"{"intent":"book","date":"2023-03-08","time":null,"selection":null,"direction":null}"#,
                "past date",
            ),
            (
                r#"{"intent":"book","date":"2031-03-08","time":null,"selection":null,"direction":null}"#,
                "far date",
            ),
            (
                r#"{"intent":"book","date":null,"time":"3pm","selection":null,"direction":null}"#,
                "time format",
            ),
            (
                r#"{"intent":"book","date":null,"time":"25:00","selection":null,"direction":null}"#,
                "hour 25",
            ),
            (
                r#"{"intent":"select","date":null,"time":null,"selection":0,"direction":null}"#,
                "selection 0",
            ),
            (
                r#"{"intent":"book","date":null,"time":null,"selection":null,"direction":null,"booked":true}"#,
                "extra field",
            ),
            (r#"{"intent":"book"}"#, "missing fields"),
            (r#"["book"]"#, "not an object"),
        ];
        for (content, why) in cases {
            assert!(
                matches!(
                    parse_answer(content, now()),
                    Err(LlmError::SchemaMismatch(_))
                ),
                "{why}"
            );
        }
        assert_eq!(
            parse_answer("Sure! The intent is book.", now()),
            Err(LlmError::InvalidJson)
        );
    }

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        let config = OpenRouterConfig::new("sk-or-secret".into(), "m".into());
        let client = OpenRouterClient::new(config, reqwest::Client::new()).expect("client");
        assert!(!format!("{client:?}").contains("sk-or-secret"));
        assert_eq!(
            client.endpoint.as_str(),
            "https://openrouter.ai/api/v1/chat/completions"
        );
    }
}
