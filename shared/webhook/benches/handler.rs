//! Benchmark: the webhook handler's own work per inbound request.
//!
//! Routing, form decoding, signature verification, typed parsing and building the
//! SQS message, with the AWS calls replaced by in-memory ports (they are network
//! round trips we do not control). Run: `cargo bench -p smsbot-webhook --bench handler`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use smsbot_aws::{Claim, FifoMessage};
use smsbot_twilio::{AuthToken, RequestValidator};
use smsbot_webhook::ports::{Parking, StatusCallback};
use smsbot_webhook::{
    DeliveryStatuses, InboundQueue, MessageClaims, ParkedMessages, WebhookError, WebhookState,
};
use tower::ServiceExt;

struct AlwaysNew;

#[async_trait]
impl MessageClaims for AlwaysNew {
    async fn claim(&self, _: &str) -> Result<Claim, WebhookError> {
        Ok(Claim::Acquired)
    }
    async fn complete(&self, _: &str) -> Result<(), WebhookError> {
        Ok(())
    }
    async fn release(&self, _: &str) -> Result<(), WebhookError> {
        Ok(())
    }
}

/// Takes the SQS message the handler built, and drops it.
struct DropIt;

#[async_trait]
impl InboundQueue for DropIt {
    async fn enqueue(&self, message: &FifoMessage) -> Result<(), WebhookError> {
        std::hint::black_box(message);
        Ok(())
    }
}

#[async_trait]
impl ParkedMessages for DropIt {
    async fn park(&self, _: &FifoMessage) -> Result<Parking, WebhookError> {
        unreachable!("the queue never refuses")
    }
}

struct Unused;

#[async_trait]
impl DeliveryStatuses for Unused {
    async fn apply(&self, _: &StatusCallback) -> Result<(), WebhookError> {
        Ok(())
    }
}

fn main() {
    let token = AuthToken::new("bench-auth-token".to_owned()).unwrap();
    let base = "https://abc123.execute-api.us-east-1.amazonaws.com";
    let params: Vec<(String, String)> = [
        ("ToCountry", "US"),
        ("SmsMessageSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
        ("NumMedia", "0"),
        ("SmsSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
        ("SmsStatus", "received"),
        ("Body", "Hi! Can I book a haircut tomorrow at 3pm?"),
        ("FromCountry", "US"),
        ("To", "+14155550199"),
        ("NumSegments", "1"),
        ("MessageSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
        ("AccountSid", "AC0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"),
        ("From", "+14155550123"),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let signature =
        RequestValidator::sign_form(&token, &format!("{base}/webhooks/sms/inbound"), &params);
    let body = serde_urlencoded::to_string(&params).unwrap();
    let state = WebhookState::new(
        Arc::new(RequestValidator::new(vec![token]).unwrap()),
        base.parse().unwrap(),
        Arc::new(AlwaysNew),
        Arc::new(DropIt),
        Arc::new(DropIt),
        Arc::new(Unused),
    );
    let router = smsbot_webhook::router(state);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let request = || {
        Request::post("/webhooks/sms/inbound")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature.as_str())
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let run = |n: usize| {
        runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..n {
                let response = router.clone().oneshot(request()).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
            }
            start.elapsed()
        })
    };
    run(2_000); // warm-up
    let mut samples: Vec<Duration> = (0..7).map(|_| run(20_000) / 20_000).collect();
    samples.sort();
    println!(
        "webhook inbound handler (route + decode + verify + parse + SQS message): median {:.2} µs/request, best {:.2} µs ({:.0} requests/s on one core)",
        samples[3].as_secs_f64() * 1e6,
        samples[0].as_secs_f64() * 1e6,
        1.0 / samples[3].as_secs_f64()
    );
}
