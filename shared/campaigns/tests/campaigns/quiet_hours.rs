//! Quiet hours: each contact is texted only inside their own window.

use chrono::Duration;
use chrono_tz::Tz;
use smsbot_campaigns::QuietHours;

use crate::support::{Engine, all, business_tz, utc};

#[tokio::test]
async fn a_campaign_across_timezones_sends_only_inside_each_contacts_window() {
    // 13:00 UTC: 08:00 in New York, 05:00 in Los Angeles, 22:00 in Tokyo,
    // 13:00 in London.
    let engine = Engine::start(utc("2026-03-02T13:00:00Z")).await;
    let people = [
        ("+12125550101", Some("America/New_York")),
        ("+13105550102", Some("America/Los_Angeles")),
        ("+81355550103", Some("Asia/Tokyo")),
        ("+442075550104", Some("Europe/London")),
        ("+12125550105", None), // the business's zone
    ];
    for (phone, tz) in people {
        engine.contact(phone, Some("Ana"), tz).await;
    }
    let campaign = engine.campaign("Hi {first_name}!", all(), 10).await;
    let zone = |phone: &str| -> Tz {
        people
            .iter()
            .find(|(p, _)| *p == phone)
            .and_then(|(_, tz)| tz.map(|t| t.parse().unwrap()))
            .unwrap_or(business_tz())
    };

    let mut seen = 0;
    let mut first_send = Vec::new();
    // Every 20 minutes for 26 hours.
    for _ in 0..(26 * 3) {
        engine.tick().await;
        engine.drain().await;
        let sent = engine.sent_to();
        for to in &sent[seen..] {
            assert!(
                !QuietHours::default().is_quiet(engine.now(), zone(to)),
                "{to} texted at {} in quiet hours",
                engine.now()
            );
            first_send.push((to.clone(), engine.now()));
        }
        seen = sent.len();
        engine.advance(Duration::minutes(20));
    }

    let when = |phone: &str| first_send.iter().find(|(p, _)| p == phone).unwrap().1;
    assert_eq!(
        first_send.len(),
        5,
        "each contact exactly once: {first_send:?}"
    );
    assert_eq!(when("+12125550101"), utc("2026-03-02T13:00:00Z"));
    assert_eq!(when("+442075550104"), utc("2026-03-02T13:00:00Z"));
    assert_eq!(when("+12125550105"), utc("2026-03-02T13:00:00Z"));
    // 08:00 in Los Angeles; 08:00 the next day in Tokyo.
    assert_eq!(when("+13105550102"), utc("2026-03-02T16:00:00Z"));
    assert_eq!(when("+81355550103"), utc("2026-03-02T23:00:00Z"));

    let counters = engine.assert_counters_add_up(campaign).await;
    assert_eq!(counters.deferred_quiet, 2);
    assert_eq!(counters.sent, 5);
    assert_eq!(
        counters.status,
        smsbot_store::campaigns::CampaignStatus::Completed
    );
}
