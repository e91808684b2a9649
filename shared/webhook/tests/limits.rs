//! The webhook refuses bodies larger than any Twilio form with 413, before it
//! reads them, and still takes the largest form Twilio really sends.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use smsbot_aws::FifoMessage;
use smsbot_domain::InboundSms;
use smsbot_test_support::{EVENTS_AUTH_TOKEN, EVENTS_PUBLIC_BASE_URL};
use smsbot_twilio::{AuthToken, RequestValidator};
use smsbot_webhook::ports::{ClaimOutcome, Parking, StatusCallback};
use smsbot_webhook::{
    DeliveryStatuses, INBOUND_PATH, InboundQueue, MAX_BODY_BYTES, MessageClaims, ParkedMessages,
    STATUS_PATH, WebhookError, WebhookState, router,
};
use tower::ServiceExt;

/// Dependencies that take everything and note what reached them.
#[derive(Default)]
struct Recorder {
    enqueued: Mutex<Vec<FifoMessage>>,
    statuses: AtomicUsize,
}

#[async_trait]
impl MessageClaims for Recorder {
    async fn claim(&self, _key: &str) -> Result<ClaimOutcome, WebhookError> {
        Ok(ClaimOutcome::Acquired)
    }
    async fn complete(&self, _key: &str) -> Result<(), WebhookError> {
        Ok(())
    }
    async fn release(&self, _key: &str) -> Result<(), WebhookError> {
        Ok(())
    }
}

#[async_trait]
impl InboundQueue for Recorder {
    async fn enqueue(&self, message: &FifoMessage) -> Result<(), WebhookError> {
        self.enqueued.lock().unwrap().push(message.clone());
        Ok(())
    }
}

#[async_trait]
impl ParkedMessages for Recorder {
    async fn park(&self, _: &FifoMessage) -> Result<Parking, WebhookError> {
        unreachable!("the recorder's queue never refuses")
    }
}

#[async_trait]
impl DeliveryStatuses for Recorder {
    async fn apply(&self, _callback: &StatusCallback) -> Result<(), WebhookError> {
        self.statuses.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn webhook() -> (Router, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let token = AuthToken::new(EVENTS_AUTH_TOKEN.to_owned()).unwrap();
    let state = WebhookState::new(
        Arc::new(RequestValidator::new(vec![token]).unwrap()),
        EVENTS_PUBLIC_BASE_URL.parse().unwrap(),
        recorder.clone(),
        recorder.clone(),
        recorder.clone(),
        recorder.clone(),
    );
    (router(state), recorder)
}

async fn call(router: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = tokio::time::timeout(Duration::from_secs(10), router.oneshot(request))
        .await
        .expect("answered without reading an endless body")
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A body that never ends, counting the bytes anyone read from it.
fn endless_body(read: Arc<AtomicUsize>) -> Body {
    let chunk = Bytes::from(vec![b'a'; 4096]);
    let stream = futures::stream::repeat_with(move || {
        read.fetch_add(chunk.len(), Ordering::SeqCst);
        Ok::<_, Infallible>(chunk.clone())
    });
    Body::from_stream(stream)
}

fn signed(path: &str, params: &[(String, String)]) -> Request<Body> {
    let token = AuthToken::new(EVENTS_AUTH_TOKEN.to_owned()).unwrap();
    let signature =
        RequestValidator::sign_form(&token, &format!("{EVENTS_PUBLIC_BASE_URL}{path}"), params);
    let body = serde_urlencoded::to_string(params).unwrap();
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", body.len())
        .header("x-twilio-signature", signature)
        .body(Body::from(body))
        .unwrap()
}

/// An inbound form with every parameter Twilio sends, ten media URLs, and `body`.
fn inbound_form(body: &str) -> Vec<(String, String)> {
    let sid = "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0";
    let mut form: Vec<(String, String)> = [
        ("ToCountry", "US"),
        ("ToState", "CA"),
        ("SmsMessageSid", sid),
        ("NumMedia", "10"),
        ("ToCity", "SAN FRANCISCO"),
        ("FromZip", "94105"),
        ("SmsSid", sid),
        ("FromState", "CA"),
        ("SmsStatus", "received"),
        ("FromCity", "SAN FRANCISCO"),
        ("Body", body),
        ("FromCountry", "US"),
        ("To", "+14155550199"),
        ("ToZip", "94105"),
        ("NumSegments", "25"),
        ("MessageSid", sid),
        ("AccountSid", "AC0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"),
        ("From", "+14155550123"),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for i in 0..10 {
        form.push((
            format!("MediaUrl{i}"),
            format!(
                "https://api.twilio.com/2010-04-01/Accounts/AC0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d/Messages/{sid}/Media/ME0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c{i:02}"
            ),
        ));
        form.push((format!("MediaContentType{i}"), "image/jpeg".to_owned()));
    }
    form
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_with_413_before_any_of_it_is_read() {
    let (router, recorder) = webhook();
    let read = Arc::new(AtomicUsize::new(0));
    let request = Request::post(INBOUND_PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", 10 * 1024 * 1024)
        .header("x-twilio-signature", "4W10htiV/lnHLVRLRLmev5uw438=")
        .body(endless_body(read.clone()))
        .unwrap();

    let (status, body) = call(router, request).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, "request too large");
    assert_eq!(read.load(Ordering::SeqCst), 0, "not a byte read");
    assert!(recorder.enqueued.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_body_without_a_length_is_cut_off_once_it_passes_the_limit() {
    let (router, recorder) = webhook();
    let read = Arc::new(AtomicUsize::new(0));
    let request = Request::post(INBOUND_PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", "4W10htiV/lnHLVRLRLmev5uw438=")
        .body(endless_body(read.clone()))
        .unwrap();

    let (status, body) = call(router, request).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, "request too large");
    assert!(
        read.load(Ordering::SeqCst) <= MAX_BODY_BYTES + 4096,
        "read {} bytes",
        read.load(Ordering::SeqCst)
    );
    assert!(recorder.enqueued.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_body_that_lies_about_its_length_is_cut_off_at_the_limit_too() {
    let (router, _) = webhook();
    let read = Arc::new(AtomicUsize::new(0));
    let request = Request::post(STATUS_PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", 300)
        .header("x-twilio-signature", "4W10htiV/lnHLVRLRLmev5uw438=")
        .body(endless_body(read.clone()))
        .unwrap();

    let (status, body) = call(router, request).await;

    assert_eq!(
        (status, body.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "request too large")
    );
    assert!(read.load(Ordering::SeqCst) <= MAX_BODY_BYTES + 4096);
}

#[tokio::test]
async fn a_status_callback_over_the_limit_is_refused_like_an_inbound_sms() {
    let (router, recorder) = webhook();
    let mut form = vec![
        (
            "MessageSid".to_owned(),
            "SM9a8b7c6d5e4f30211203f4e5d6c7b8a9".to_owned(),
        ),
        ("MessageStatus".to_owned(), "delivered".to_owned()),
    ];
    form.push(("Padding".to_owned(), "x".repeat(MAX_BODY_BYTES)));

    let (status, body) = call(router, signed(STATUS_PATH, &form)).await;

    assert_eq!(
        (status, body.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "request too large")
    );
    assert_eq!(recorder.statuses.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_largest_form_twilio_sends_still_goes_through() {
    let (router, recorder) = webhook();
    // 1,600 characters, each four bytes in UTF-8 and twelve urlencoded.
    let longest = "😀".repeat(1600);
    let request = signed(INBOUND_PATH, &inbound_form(&longest));
    let size: usize = request
        .headers()
        .get("content-length")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(size > 16 * 1024 && size < MAX_BODY_BYTES, "{size} bytes");

    let (status, body) = call(router, request).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let enqueued = recorder.enqueued.lock().unwrap();
    assert_eq!(enqueued.len(), 1);
    let sms: InboundSms = serde_json::from_str(&enqueued[0].body).unwrap();
    assert_eq!(sms.body.as_str(), longest);
}
