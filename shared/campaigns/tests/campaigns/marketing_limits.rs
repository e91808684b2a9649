//! Marketing limits: the legal window where the recipient's number says they
//! may be, a validity period that ends with it, and the frequency cap.

use chrono::Duration;
use serde_json::json;
use smsbot_campaigns::OutboundMessage;
use smsbot_campaigns::sender::SendOutcome;
use smsbot_domain::{CampaignId, ContactId};

use crate::support::{Engine, all, business_tz, local, utc};

/// Numbers the stand-in accepted messages for, with the validity period each
/// one was sent with.
fn validity_by_number(engine: &Engine) -> Vec<(String, Option<u32>)> {
    engine
        .twilio
        .sent()
        .into_iter()
        .map(|s| (s.to, s.validity_period))
        .collect()
}

async fn last_error(engine: &Engine, campaign: CampaignId, contact: ContactId) -> String {
    let client = engine.db.pool.get().await.unwrap();
    client
        .query_one(
            "SELECT last_error FROM campaign_recipients WHERE campaign_id = $1 AND contact_id = $2",
            &[&campaign, &contact],
        )
        .await
        .unwrap()
        .get::<_, Option<String>>(0)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_contact_without_a_timezone_on_a_west_coast_number_waits_for_eight_there() {
    let engine = Engine::start(local(business_tz(), "2026-03-02T08:30:00")).await;
    let west = engine.contact("+14155550101", Some("Ana"), None).await;
    let east = engine.contact("+12125550102", Some("Ben"), None).await;
    // Their own timezone wins over what their number suggests.
    engine
        .contact("+14155550103", Some("Cal"), Some("America/New_York"))
        .await;
    let campaign = engine
        .campaign("Spring offer, {first_name}!", all(), 10)
        .await;

    let first = engine.tick().await;
    engine.drain().await;

    assert_eq!((first.queued, first.deferred), (2, 1));
    let mut sent = engine.sent_to();
    sent.sort();
    assert_eq!(sent, ["+12125550102", "+14155550103"]);
    assert_eq!(engine.recipient_status(campaign, west).await, "pending");
    assert_eq!(engine.recipient_status(campaign, east).await, "sent");

    // 07:59 in Los Angeles: still too early.
    engine.advance(Duration::minutes(2 * 60 + 29));
    engine.tick().await;
    engine.drain().await;
    assert_eq!(engine.sent_to().len(), 2);

    engine.advance(Duration::minutes(1));
    assert_eq!(
        engine.now(),
        local(chrono_tz::America::Los_Angeles, "2026-03-02T08:00:00")
    );
    engine.tick().await;
    engine.drain().await;
    assert_eq!(
        engine.sent_to().last().map(String::as_str),
        Some("+14155550101")
    );
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!((c.sent, c.deferred_quiet), (3, 1));
}

#[tokio::test]
async fn an_evening_broadcast_is_valid_only_until_nine_pm_where_the_recipient_may_be() {
    let engine = Engine::start(local(business_tz(), "2026-03-02T19:00:00")).await;
    // 850 is Central and Eastern: its window closes at 21:00 in New York.
    engine.contact("+18505550101", Some("Ana"), None).await;
    // 312 is Chicago: 21:00 there is 22:00 in New York.
    engine.contact("+13125550102", Some("Ben"), None).await;
    engine
        .campaign("Tonight only, {first_name}", all(), 10)
        .await;

    engine.tick().await;
    engine.drain().await;

    let mut sent = validity_by_number(&engine);
    sent.sort();
    assert_eq!(
        sent,
        [
            ("+13125550102".to_owned(), Some(3 * 3600)),
            ("+18505550101".to_owned(), Some(2 * 3600)),
        ]
    );
}

#[tokio::test]
async fn a_morning_broadcast_asks_for_twilios_longest_validity_period() {
    let engine = Engine::start(local(business_tz(), "2026-03-02T09:00:00")).await;
    engine.contact("+12125550101", Some("Ana"), None).await;
    engine.campaign("Spring offer", all(), 10).await;

    engine.tick().await;
    engine.drain().await;

    // Twelve hours to 21:00, cut to Twilio's ten.
    assert_eq!(validity_by_number(&engine)[0].1, Some(36_000));
}

#[tokio::test]
async fn a_contact_with_four_broadcasts_in_thirty_days_is_skipped_on_the_fifth_until_the_period_passes()
 {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    let ny = Some("America/New_York");
    let regular = engine
        .contact_tagged("+12125550101", Some("Ana"), ny, &["regulars"])
        .await;
    let newcomer = engine.contact("+12125550102", Some("Ben"), ny).await;
    for day in 0..4 {
        engine
            .campaign(
                "Weekly deal",
                json!({"type": "tags", "tags": ["regulars"]}),
                10,
            )
            .await;
        engine.tick().await;
        engine.drain().await;
        assert_eq!(engine.sent_to().len(), day + 1);
        engine.advance(Duration::days(1));
    }

    let fifth = engine.campaign("Big sale", all(), 10).await;
    let report = engine.tick().await;
    engine.drain().await;

    assert_eq!(report.skipped_limit, 1);
    assert_eq!(
        engine.recipient_status(fifth, regular).await,
        "skipped_limit"
    );
    assert!(
        last_error(&engine, fifth, regular)
            .await
            .starts_with("frequency cap 4/30d"),
        "{}",
        last_error(&engine, fifth, regular).await
    );
    assert_eq!(engine.recipient_status(fifth, newcomer).await, "sent");
    let c = engine.assert_counters_add_up(fifth).await;
    assert_eq!((c.targeted, c.sent, c.skipped_limit), (2, 1, 1));
    // Skipped for good: a later tick does not try again.
    engine.advance(Duration::hours(1));
    engine.tick().await;
    engine.drain().await;
    assert_eq!(
        engine
            .sent_to()
            .iter()
            .filter(|to| *to == "+12125550101")
            .count(),
        4
    );

    // Thirty days on, the oldest broadcasts no longer count.
    engine.advance(Duration::days(27));
    let sixth = engine.campaign("Spring sale", all(), 10).await;
    engine.tick().await;
    engine.drain().await;
    assert_eq!(engine.recipient_status(sixth, regular).await, "sent");
    assert_eq!(
        engine
            .sent_to()
            .iter()
            .filter(|to| *to == "+12125550101")
            .count(),
        5
    );
}

#[tokio::test]
async fn two_broadcasts_queued_together_are_counted_again_right_before_sending() {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    let ana = engine
        .contact("+12125550101", Some("Ana"), Some("America/New_York"))
        .await;
    for _ in 0..3 {
        engine.campaign("Weekly deal", all(), 10).await;
        engine.tick().await;
        engine.drain().await;
        engine.advance(Duration::hours(2));
    }
    let fourth = engine.campaign("Fourth", all(), 10).await;
    let fifth = engine.campaign("Fifth", all(), 10).await;
    // Both dispatched while Ana had three: each one passes the cap alone.
    assert_eq!(engine.tick().await.queued, 2);

    let first = engine
        .sender
        .send(OutboundMessage {
            campaign_id: fourth,
            contact_id: ana,
        })
        .await
        .unwrap();
    let second = engine
        .sender
        .send(OutboundMessage {
            campaign_id: fifth,
            contact_id: ana,
        })
        .await
        .unwrap();
    engine.drain().await;

    assert_eq!(first, SendOutcome::Sent);
    assert!(
        matches!(&second, SendOutcome::SkippedLimit(reason) if reason.starts_with("frequency cap")),
        "{second:?}"
    );
    assert_eq!(engine.sent_to().len(), 4);
    assert_eq!(engine.recipient_status(fifth, ana).await, "skipped_limit");
    engine.assert_counters_add_up(fifth).await;
}
