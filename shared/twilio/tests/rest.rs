//! The REST client against a local stand-in that behaves like Twilio's
//! Messages API: what it sends, what it reads back, and how every kind of
//! refusal reaches the caller.

use std::time::Duration;

use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_twilio::{
    AuthToken, MessageStatus, OutboundMessage, SendError, Sender, TransientCause, TwilioClient,
    TwilioErrorCode, ValidityPeriod,
};
use url::Url;

const CUSTOMER: &str = "+15555550123";
const OUR_NUMBER: &str = "+15555559999";

fn client_for(standin: &TwilioStandIn, token: &str) -> TwilioClient {
    TwilioClient::new(
        standin.base_url.clone(),
        standin.account_sid.clone(),
        AuthToken::new(token.to_owned()).expect("token"),
        reqwest::Client::new(),
    )
    .expect("client")
}

fn client(standin: &TwilioStandIn) -> TwilioClient {
    client_for(standin, &standin.auth_token)
}

fn message(to: &str, body: &str) -> OutboundMessage {
    OutboundMessage {
        to: to.to_owned(),
        from: Sender::PhoneNumber(OUR_NUMBER.to_owned()),
        body: body.to_owned(),
        status_callback: None,
        validity_period: None,
    }
}

#[tokio::test]
async fn a_message_from_our_number_is_queued_and_recorded_with_its_sid() {
    let twilio = TwilioStandIn::start().await;
    let callback = Url::parse("https://example.test/webhooks/sms/status").expect("url");
    let msg = OutboundMessage {
        status_callback: Some(callback.clone()),
        ..message(CUSTOMER, "See you Tue Mar 5, 3:00 PM")
    };

    let sent = client(&twilio).send_message(&msg).await.expect("sent");

    assert_eq!(sent.status, MessageStatus::Queued);
    assert!(
        sent.sid.starts_with("SM") && sent.sid.len() == 34,
        "{}",
        sent.sid
    );
    assert_eq!(sent.num_segments, Some(1));
    let records = twilio.sent();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].sid, sent.sid);
    assert_eq!(records[0].to, CUSTOMER);
    assert_eq!(records[0].from.as_deref(), Some(OUR_NUMBER));
    assert_eq!(records[0].messaging_service_sid, None);
    assert_eq!(records[0].body, "See you Tue Mar 5, 3:00 PM");
    assert_eq!(
        records[0].status_callback.as_deref(),
        Some(callback.as_str())
    );
}

#[tokio::test]
async fn a_validity_period_is_sent_only_when_one_is_asked_for() {
    let twilio = TwilioStandIn::start().await;
    let timely = OutboundMessage {
        validity_period: Some(ValidityPeriod::from_secs(5_400).expect("in range")),
        ..message(CUSTOMER, "Spring offer")
    };
    client(&twilio).send_message(&timely).await.expect("sent");
    client(&twilio)
        .send_message(&message(CUSTOMER, "See you at 3"))
        .await
        .expect("sent");

    let records = twilio.sent();
    assert_eq!(records[0].validity_period, Some(5_400));
    assert_eq!(records[1].validity_period, None);
}

#[tokio::test]
async fn a_message_through_a_messaging_service_is_accepted_without_a_from_number() {
    let twilio = TwilioStandIn::start().await;
    let msg = OutboundMessage {
        from: Sender::MessagingService("MG0123456789abcdef0123456789abcdef".into()),
        ..message(CUSTOMER, "Hello")
    };

    let sent = client(&twilio).send_message(&msg).await.expect("sent");

    assert_eq!(sent.status, MessageStatus::Accepted);
    let record = &twilio.sent()[0];
    assert_eq!(record.from, None);
    assert_eq!(
        record.messaging_service_sid.as_deref(),
        Some("MG0123456789abcdef0123456789abcdef")
    );
}

#[tokio::test]
async fn a_long_unicode_body_reports_its_segments() {
    let twilio = TwilioStandIn::start().await;
    let body = "Réservé ✅ ".repeat(10);
    let sent = client(&twilio)
        .send_message(&message(CUSTOMER, &body))
        .await
        .expect("sent");
    assert_eq!(sent.num_segments, Some(2));
    assert_eq!(twilio.sent()[0].body, body);
}

#[tokio::test]
async fn a_wrong_auth_token_is_rejected_and_not_retried() {
    let twilio = TwilioStandIn::start().await;
    let err = client_for(&twilio, "not-the-token")
        .send_message(&message(CUSTOMER, "Hi"))
        .await
        .expect_err("unauthorised");
    assert_eq!(
        err,
        SendError::Rejected {
            status: 401,
            code: Some(TwilioErrorCode(20003))
        }
    );
    assert!(!err.is_retryable());
    assert!(twilio.sent().is_empty());
}

#[tokio::test]
async fn an_opted_out_recipient_is_reported_as_opted_out() {
    let twilio = TwilioStandIn::start().await;
    twilio.reject_recipient(CUSTOMER, 21610);
    let err = client(&twilio)
        .send_message(&message(CUSTOMER, "Hi"))
        .await
        .expect_err("opted out");
    assert_eq!(err, SendError::OptedOut);
    assert!(err.blocks_recipient());
    assert!(!err.is_retryable());
    assert!(twilio.sent().is_empty());
}

#[tokio::test]
async fn an_invalid_or_non_mobile_recipient_is_reported_with_its_code() {
    let twilio = TwilioStandIn::start().await;
    twilio.reject_recipient("+15555550100", 21614);
    let client = client(&twilio);

    let not_mobile = client
        .send_message(&message("+15555550100", "Hi"))
        .await
        .expect_err("not mobile");
    let not_a_number = client
        .send_message(&message("555-0100", "Hi"))
        .await
        .expect_err("not E.164");

    assert_eq!(
        not_mobile,
        SendError::InvalidRecipient {
            code: TwilioErrorCode(21614)
        }
    );
    assert_eq!(
        not_a_number,
        SendError::InvalidRecipient {
            code: TwilioErrorCode(21211)
        }
    );
    assert!(!format!("{not_a_number:?} {not_a_number}").contains("0100"));
}

#[tokio::test]
async fn a_server_error_is_transient_and_the_next_attempt_succeeds() {
    let twilio = TwilioStandIn::start().await;
    twilio.fail_next(1, 500);
    let client = client(&twilio);

    let first = client
        .send_message(&message(CUSTOMER, "Hi"))
        .await
        .expect_err("500");
    let second = client.send_message(&message(CUSTOMER, "Hi")).await;

    assert!(matches!(
        first,
        SendError::Transient(TransientCause::Server { status: 500, .. })
    ));
    assert!(first.is_retryable());
    assert!(second.is_ok());
    assert_eq!(twilio.attempts(), 2);
    assert_eq!(twilio.sent().len(), 1);
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_retry_after_header() {
    let twilio = TwilioStandIn::start().await;
    twilio.rate_limit_next_with(1, 7);
    let err = client(&twilio)
        .send_message(&message(CUSTOMER, "Hi"))
        .await
        .expect_err("429");
    assert_eq!(
        err,
        SendError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_slow_twilio_times_out_as_transient() {
    let twilio = TwilioStandIn::start().await;
    twilio.delay_next(1, Duration::from_secs(2));
    let err = client(&twilio)
        .with_timeout(Duration::from_millis(200))
        .send_message(&message(CUSTOMER, "Hi"))
        .await
        .expect_err("timeout");
    assert_eq!(err, SendError::Transient(TransientCause::Timeout));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_twilio_is_a_transient_connection_failure() {
    let client = TwilioClient::new(
        Url::parse("http://127.0.0.1:9").expect("url"),
        "AC00000000000000000000000000000000".into(),
        AuthToken::new("token".into()).expect("token"),
        reqwest::Client::new(),
    )
    .expect("client");
    let err = client
        .send_message(&message(CUSTOMER, "Hi"))
        .await
        .expect_err("refused");
    assert_eq!(err, SendError::Transient(TransientCause::Connection));
}

#[tokio::test]
async fn an_empty_body_is_rejected_like_twilio_does() {
    let twilio = TwilioStandIn::start().await;
    let err = client(&twilio)
        .send_message(&message(CUSTOMER, ""))
        .await
        .expect_err("empty body");
    assert_eq!(
        err,
        SendError::Rejected {
            status: 400,
            code: Some(TwilioErrorCode(21602))
        }
    );
}
