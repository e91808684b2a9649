//! A local stand-in for the AWS Lambda Runtime API, to run the function binaries
//! the way Lambda runs them, for tests.
//!
//! Owns: one HTTP server per function on 127.0.0.1 (a free port) serving the
//! Runtime API the `lambda_runtime` crate talks to:
//! - `GET /2018-06-01/runtime/invocation/next` (long poll): the next event, with
//!   the headers `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//!   `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id`;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `…/{id}/error`
//!   (202; 400 `InvalidRequestID` for an id that is not waiting; 413 past
//!   Lambda's 6 MB response limit);
//! - `POST /2018-06-01/runtime/init/error` (202).
//!
//! [`LambdaFunction`] spawns a function binary (in a test, from
//! `env!("CARGO_BIN_EXE_<name>")`) against it with the environment Lambda gives a
//! function (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME`,
//! `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `AWS_LAMBDA_FUNCTION_VERSION`,
//! `AWS_LAMBDA_LOG_STREAM_NAME`, `AWS_LAMBDA_LOG_GROUP_NAME`, `TZ`, …) plus the
//! variables the test gives it, and nothing else from the test's environment but
//! the AWS credentials, region and `AWS_ENDPOINT_URL` (so it talks to the same
//! emulator, as a function talks to the AWS of its account). `invoke` hands it an
//! event and waits for the answer, an error, the process's exit or the timeout.
//! The process's output is kept and shown when an invocation fails or the test
//! panics; the process is killed when the `LambdaFunction` is dropped.
//!
//! [`Stack`] is what the SAM template gives every function, in the emulator: a
//! fresh migrated database and the app secret naming it (`APP_SECRETS_ARN`), so
//! secrets reach the functions through Secrets Manager as in AWS.
//!
//! Must not: reach anything but loopback and the emulator, or pass the test's
//! `DATABASE_URL` or Twilio token to a function (those come from the secret).
//!
//! Not emulated: response streaming, SnapStart (`/restore/*`), concurrent
//! invocations of one process beyond queueing them, the separate 10 s init
//! phase (one timeout covers init and the invocation), freezing between events.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use crate::TestDatabase;

/// How long an invocation (including the function's start-up) may take unless the
/// builder says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Lambda's limit on a synchronous response: 6 MB.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// Variables of the test's environment a function also gets: what Lambda gives it
/// from its role and region, and the emulator's endpoint.
const PASSED_THROUGH: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_EC2_METADATA_DISABLED",
];

/// An error the function (or its runtime) reported: Lambda's `errorType` and
/// `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub error_type: String,
    pub error_message: String,
}

impl Diagnostic {
    fn from_body(headers: &HeaderMap, body: &[u8]) -> Self {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let header_type = headers
            .get("lambda-runtime-function-error-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Self {
            error_type: field("errorType")
                .or(header_type)
                .unwrap_or_else(|| "Unknown".to_owned()),
            error_message: field("errorMessage")
                .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
        }
    }
}

/// Why an invocation gave no response.
#[derive(Debug)]
pub enum Failure {
    /// The handler failed (`/invocation/{id}/error`), as Lambda reports it to a
    /// synchronous caller with `X-Amz-Function-Error: Unhandled`.
    Function(Diagnostic),
    /// The runtime reported a failed start (`/init/error`).
    Init(Diagnostic),
    /// The process ended without answering (in Lambda: `Runtime.ExitError`).
    Exited(ExitStatus),
    /// No answer within the timeout (in Lambda: `Task timed out`).
    TimedOut(Duration),
    /// The response was more than Lambda's 6 MB.
    ResponseTooLarge(usize),
    /// The response was not JSON.
    NotJson(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Function(d) => write!(
                f,
                "the function failed: {}: {}",
                d.error_type, d.error_message
            ),
            Self::Init(d) => write!(
                f,
                "the runtime failed to start: {}: {}",
                d.error_type, d.error_message
            ),
            Self::Exited(status) => write!(
                f,
                "the function's process ended without answering ({status})"
            ),
            Self::TimedOut(after) => write!(f, "no answer within {after:?}"),
            Self::ResponseTooLarge(n) => {
                write!(f, "the response was {n} bytes, more than Lambda's 6 MB")
            }
            Self::NotJson(body) => write!(f, "the response is not JSON: {body}"),
        }
    }
}

/// A failed invocation, with the function's output up to that moment.
pub struct InvokeError {
    pub function: String,
    pub failure: Failure,
    pub log: String,
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invoking {}: {}\n--- {} output ---\n{}",
            self.function,
            self.failure,
            self.function,
            tail(&self.log, 80)
        )
    }
}

// `expect` prints the Debug form: make it the readable one.
impl fmt::Debug for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for InvokeError {}

fn tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    let start = all.len().saturating_sub(lines);
    let mut shown = all[start..].join("\n");
    if start > 0 {
        shown.insert_str(0, &format!("[{start} earlier line(s) left out]\n"));
    }
    shown
}

// ---------------------------------------------------------------------------
// The Runtime API server

struct Invocation {
    request_id: String,
    event: Bytes,
    deadline_ms: u128,
}

enum Outcome {
    Response(Bytes),
    Error(Diagnostic),
    TooLarge(usize),
}

struct Api {
    function_arn: String,
    queue: mpsc::UnboundedSender<Invocation>,
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: watch::Sender<Option<Diagnostic>>,
}

impl Api {
    fn waiting(&self) -> MutexGuard<'_, HashMap<String, oneshot::Sender<Outcome>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "OK"}))).into_response()
}

fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"errorMessage": message, "errorType": error_type})),
    )
        .into_response()
}

fn random_hex(len: usize) -> String {
    let mut hex = String::new();
    while hex.len() < len {
        hex.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    hex.truncate(len);
    hex
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

async fn next_invocation(State(api): State<Arc<Api>>) -> Response {
    let invocation = { api.next.lock().await.recv().await };
    let Some(invocation) = invocation else {
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "the stand-in is shutting down",
        );
    };
    let trace_id = format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        now().as_secs(),
        random_hex(24),
        random_hex(16)
    );
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        invocation.event,
    )
        .into_response();
    let headers = response.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        headers.insert(
            name,
            HeaderValue::from_str(value).expect("a valid header value"),
        );
    };
    put("lambda-runtime-aws-request-id", &invocation.request_id);
    put(
        "lambda-runtime-deadline-ms",
        &invocation.deadline_ms.to_string(),
    );
    put("lambda-runtime-invoked-function-arn", &api.function_arn);
    put("lambda-runtime-trace-id", &trace_id);
    response
}

/// Hands `outcome` to the invocation waiting for `request_id`: 202, or 400
/// `InvalidRequestID` when none is waiting (answered already, or unknown).
fn answer(api: &Api, request_id: &str, outcome: Outcome) -> Response {
    let Some(waiting) = api.waiting().remove(request_id) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "Invalid request ID",
        );
    };
    // The invoking future may be gone (dropped); Lambda answers 202 all the same.
    let _ = waiting.send(outcome);
    accepted()
}

async fn invocation_response(
    State(api): State<Arc<Api>>,
    UrlPath(request_id): UrlPath<String>,
    body: Bytes,
) -> Response {
    if body.len() > MAX_RESPONSE_BYTES {
        let _ = answer(&api, &request_id, Outcome::TooLarge(body.len()));
        return api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
        );
    }
    answer(&api, &request_id, Outcome::Response(body))
}

async fn invocation_error(
    State(api): State<Arc<Api>>,
    UrlPath(request_id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let diagnostic = Diagnostic::from_body(&headers, &body);
    answer(&api, &request_id, Outcome::Error(diagnostic))
}

async fn init_failure(State(api): State<Arc<Api>>, headers: HeaderMap, body: Bytes) -> Response {
    let diagnostic = Diagnostic::from_body(&headers, &body);
    api.init_error.send_replace(Some(diagnostic));
    accepted()
}

async fn unknown_path() -> Response {
    api_error(StatusCode::NOT_FOUND, "InvalidRequest", "unknown path")
}

// ---------------------------------------------------------------------------
// The function process

/// How to start a function: its name, binary and environment.
pub struct FunctionBuilder {
    name: String,
    binary: PathBuf,
    vars: Vec<(String, String)>,
    memory_mb: u32,
    timeout: Duration,
}

impl FunctionBuilder {
    /// Sets a variable of the function's environment (as the template's
    /// `Environment.Variables` does).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (default 128, Lambda's default).
    pub fn memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// The longest an invocation may take, start-up included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts the Runtime API stand-in and the function's process. The function
    /// starts up at once, as in a Lambda cold start; a failed start shows in the
    /// first `invoke`.
    ///
    /// # Panics
    /// Without `AWS_ENDPOINT_URL` (a function must never reach a real AWS
    /// account), or when no loopback port can be bound or the binary cannot be
    /// spawned.
    pub async fn start(self) -> LambdaFunction {
        crate::required_env("AWS_ENDPOINT_URL");
        let (queue, next) = mpsc::unbounded_channel();
        let (init_error, init_errors) = watch::channel(None);
        let api = Arc::new(Api {
            function_arn: format!(
                "arn:aws:lambda:{}:123456789012:function:{}",
                std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned()),
                self.name
            ),
            queue,
            next: tokio::sync::Mutex::new(next),
            waiting: Mutex::new(HashMap::new()),
            init_error,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_failure))
            .fallback(unknown_path)
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&api));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the Runtime API stand-in");
        let address = listener.local_addr().expect("stand-in address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let mut command = Command::new(&self.binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.name),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("2026/01/01/[$LATEST]{}", random_hex(32)),
            )
            .env("LAMBDA_TASK_ROOT", "/var/task")
            .env("LAMBDA_RUNTIME_DIR", "/var/runtime")
            .env("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin")
            .env("LANG", "en_US.UTF-8")
            .env("TZ", ":UTC");
        for name in PASSED_THROUGH {
            if let Ok(value) = std::env::var(name) {
                command.env(name, value);
            }
        }
        command
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "spawn the {} binary {}: {e}",
                self.name,
                self.binary.display()
            )
        });
        let log = Arc::new(Mutex::new(String::new()));
        let readers = [
            child.stdout.take().map(|out| keep_lines(out, &log)),
            child.stderr.take().map(|err| keep_lines(err, &log)),
        ]
        .into_iter()
        .flatten()
        .collect();

        LambdaFunction {
            name: self.name,
            timeout: self.timeout,
            api,
            init_errors,
            server,
            child: Mutex::new(child),
            log,
            readers: Mutex::new(readers),
        }
    }
}

fn keep_lines(output: impl Read + Send + 'static, log: &Arc<Mutex<String>>) -> JoinHandle<()> {
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        let mut lines = BufReader::new(output);
        let mut line = Vec::new();
        while matches!(lines.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
            log.push_str(&String::from_utf8_lossy(&line));
            if !line.ends_with(b"\n") {
                log.push('\n');
            }
            line.clear();
        }
    })
}

/// A function binary running against its own Runtime API stand-in. Dropping it
/// kills the process.
pub struct LambdaFunction {
    name: String,
    timeout: Duration,
    api: Arc<Api>,
    init_errors: watch::Receiver<Option<Diagnostic>>,
    server: tokio::task::JoinHandle<()>,
    child: Mutex<Child>,
    log: Arc<Mutex<String>>,
    readers: Mutex<Vec<JoinHandle<()>>>,
}

impl LambdaFunction {
    /// A function named `name` (`AWS_LAMBDA_FUNCTION_NAME`) running `binary`.
    pub fn builder(name: impl Into<String>, binary: impl AsRef<Path>) -> FunctionBuilder {
        FunctionBuilder {
            name: name.into(),
            binary: binary.as_ref().to_owned(),
            vars: Vec::new(),
            memory_mb: 128,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Invokes the function with a sample event from `events/`.
    pub async fn invoke_event(&self, name: &str) -> Result<Value, InvokeError> {
        let event: Value = serde_json::from_str(&crate::event_text(name))
            .unwrap_or_else(|e| panic!("events/{name} is not JSON: {e}"));
        self.invoke(&event).await
    }

    /// Invokes the function synchronously (`RequestResponse`): hands it `event`
    /// through the Runtime API and waits for its response, an error, the
    /// process's exit or the timeout.
    pub async fn invoke(&self, event: &Value) -> Result<Value, InvokeError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (answered, answer) = oneshot::channel();
        self.api.waiting().insert(request_id.clone(), answered);
        let deadline = now() + self.timeout;
        self.api
            .queue
            .send(Invocation {
                request_id: request_id.clone(),
                event: Bytes::from(serde_json::to_vec(event).expect("an event serialises")),
                deadline_ms: deadline.as_millis(),
            })
            .expect("the Runtime API stand-in is running");

        let outcome = self.wait_for(answer).await;
        self.api.waiting().remove(&request_id);
        match outcome {
            Ok(Outcome::Response(body)) => serde_json::from_slice(&body)
                .map_err(|_| self.error(Failure::NotJson(String::from_utf8_lossy(&body).into()))),
            Ok(Outcome::Error(diagnostic)) => Err(self.error(Failure::Function(diagnostic))),
            Ok(Outcome::TooLarge(size)) => Err(self.error(Failure::ResponseTooLarge(size))),
            Err(failure) => Err(self.error(failure)),
        }
    }

    async fn wait_for(&self, mut answer: oneshot::Receiver<Outcome>) -> Result<Outcome, Failure> {
        let mut init_errors = self.init_errors.clone();
        let mut exit_check = tokio::time::interval(Duration::from_millis(20));
        let timeout = tokio::time::sleep(self.timeout);
        tokio::pin!(timeout);
        loop {
            tokio::select! {
                biased;
                outcome = &mut answer => {
                    // (The stand-in answers every waiting sender it removes.)
                    return outcome.map_err(|_| Failure::TimedOut(self.timeout));
                }
                Ok(diagnostic) = init_errors.wait_for(Option::is_some) => {
                    return Err(Failure::Init(diagnostic.clone().unwrap_or_else(|| Diagnostic {
                        error_type: "Unknown".to_owned(),
                        error_message: String::new(),
                    })));
                }
                _ = exit_check.tick() => {
                    if let Some(status) = self.exited() {
                        // The answer may have been posted just before the exit.
                        return answer.try_recv().map_err(|_| Failure::Exited(status));
                    }
                }
                () = &mut timeout => return Err(Failure::TimedOut(self.timeout)),
            }
        }
    }

    /// The exit status once the process has ended (its output is then complete).
    fn exited(&self) -> Option<ExitStatus> {
        let status = self
            .child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_wait()
            .ok()
            .flatten()?;
        let readers =
            std::mem::take(&mut *self.readers.lock().unwrap_or_else(PoisonError::into_inner));
        for reader in readers {
            let _ = reader.join();
        }
        Some(status)
    }

    fn error(&self, failure: Failure) -> InvokeError {
        InvokeError {
            function: self.name.clone(),
            failure,
            log: self.log(),
        }
    }
}

impl Drop for LambdaFunction {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
        self.server.abort();
        if std::thread::panicking() {
            eprintln!("--- {} output ---\n{}", self.name, self.log());
        }
    }
}

// ---------------------------------------------------------------------------
// What the template gives every function

/// The shared part of a deployment, in the emulator: a fresh migrated database and
/// the app secret (`DATABASE_URL`, the Twilio auth token, …) that the functions
/// read through `APP_SECRETS_ARN`, plus the template's global variables.
pub struct Stack {
    pub db: TestDatabase,
    pub sdk: aws_config::SdkConfig,
    pub secret_arn: String,
}

impl Stack {
    /// A database of its own and an app secret naming it, with
    /// `twilio_auth_token` as `TWILIO_AUTH_TOKEN` (the token the function checks
    /// signatures with and authenticates to Twilio with).
    ///
    /// # Panics
    /// Without `DATABASE_URL` or `AWS_ENDPOINT_URL` (run through scripts/test or
    /// scripts/dev-env).
    pub async fn create(twilio_auth_token: &str) -> Self {
        Self::with_database(TestDatabase::create().await, twilio_auth_token).await
    }

    /// Like [`Stack::create`], around `db` (e.g. one not migrated yet).
    pub async fn with_database(db: TestDatabase, twilio_auth_token: &str) -> Self {
        let sdk = crate::aws().await;
        let secret_arn = crate::create_app_secret(
            &sdk,
            &json!({
                "DATABASE_URL": db.url,
                "TWILIO_AUTH_TOKEN": twilio_auth_token,
                "TWILIO_SECONDARY_AUTH_TOKEN": "",
                "OPENROUTER_API_KEY": "",
                "ADMIN_API_KEY": "lambda-test-admin-key",
            }),
        )
        .await;
        Self {
            db,
            sdk,
            secret_arn,
        }
    }

    /// A function of this stack: the template's globals (256 MB, `RUST_LOG`,
    /// `APP_SECRETS_ARN`, `BUSINESS_NAME`, `BUSINESS_TIMEZONE`) and a small
    /// `DATABASE_POOL_SIZE`; add the function's own variables with `env`. (The
    /// timeout stays the generous default: debug builds on a busy machine.)
    pub fn function(&self, name: &str, binary: impl AsRef<Path>) -> FunctionBuilder {
        LambdaFunction::builder(name, binary)
            .memory_mb(256)
            .env("RUST_LOG", "info")
            .env("APP_SECRETS_ARN", &self.secret_arn)
            .env("BUSINESS_NAME", "Lambda Test Salon")
            .env("BUSINESS_TIMEZONE", "America/New_York")
            .env("DATABASE_POOL_SIZE", "2")
    }
}
