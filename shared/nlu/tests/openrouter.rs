//! The hybrid understanding against a local stand-in that behaves like
//! OpenRouter: when the LLM is asked, what it is sent, and how every kind of
//! failure falls back to the offline answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use serde_json::json;
use smsbot_nlu::{
    Allowance, DEFAULT_LLM_THRESHOLD, HybridStats, HybridUnderstander, Intent, LlmBudget, LlmError,
    OpenRouterClient, OpenRouterConfig, Understander, understand,
};
use smsbot_test_support::openrouter_standin::{OpenRouterStandIn, Reply};

/// A message the rules are sure of.
const CLEAR: &str = "can I book tomorrow at 3pm";
/// A message the offline understanding is unsure of (its answer is likely
/// wrong: ask the LLM).
const UNCLEAR: &str = "is it going to rain";

fn now() -> DateTime<Tz> {
    New_York
        .with_ymd_and_hms(2024, 3, 5, 9, 30, 0)
        .single()
        .expect("an instant")
}

fn config(standin: &OpenRouterStandIn) -> OpenRouterConfig {
    OpenRouterConfig::new(standin.api_key.clone(), "openai/gpt-4o-mini".into())
        .with_base_url(standin.base_url.clone())
        .with_timeout(Duration::from_millis(500))
}

fn hybrid(config: OpenRouterConfig) -> HybridUnderstander {
    let client = OpenRouterClient::new(config, reqwest::Client::new()).expect("client");
    HybridUnderstander::new(Some(client), DEFAULT_LLM_THRESHOLD)
}

fn booking_answer() -> Reply {
    Reply::json(&json!({
        "intent": "book", "date": "2024-03-08", "time": "15:30",
        "selection": null, "direction": null,
    }))
}

fn stats(calls: u64, fallbacks: u64) -> HybridStats {
    HybridStats {
        messages: 1,
        llm_calls: calls,
        llm_fallbacks: fallbacks,
        llm_budget_exhausted: 0,
    }
}

#[test]
fn the_two_sample_messages_sit_on_either_side_of_the_threshold() {
    assert!(!understand(CLEAR, now()).low_confidence(DEFAULT_LLM_THRESHOLD));
    assert!(understand(UNCLEAR, now()).low_confidence(DEFAULT_LLM_THRESHOLD));
}

#[tokio::test]
async fn a_message_the_rules_are_sure_of_never_reaches_the_llm() {
    let llm = OpenRouterStandIn::start().await;
    llm.always(booking_answer());
    let understander = hybrid(config(&llm));

    let u = understander.understand(CLEAR, now()).await;

    assert_eq!(u, understand(CLEAR, now()));
    assert_eq!(llm.calls(), 0);
    assert_eq!(understander.stats(), stats(0, 0));
}

#[tokio::test]
async fn without_an_llm_a_low_confidence_message_gets_the_offline_answer() {
    let understander = HybridUnderstander::offline_only();
    let u = understander.understand(UNCLEAR, now()).await;
    assert_eq!(u, understand(UNCLEAR, now()));
    assert_eq!(understander.stats(), stats(0, 0));
}

#[tokio::test]
async fn a_low_confidence_message_is_asked_of_the_llm_and_its_valid_answer_is_used() {
    let llm = OpenRouterStandIn::start().await;
    llm.always(booking_answer());
    let understander = hybrid(config(&llm));

    let u = understander.understand(UNCLEAR, now()).await;

    assert_eq!(u.intent, Intent::Book);
    assert_eq!(u.date, NaiveDate::from_ymd_opt(2024, 3, 8));
    assert_eq!(u.time, NaiveTime::from_hms_opt(15, 30, 0));
    assert!(u.confidence > DEFAULT_LLM_THRESHOLD);
    assert_eq!(understander.stats(), stats(1, 0));
}

#[tokio::test]
async fn the_llm_is_sent_the_model_today_the_text_and_a_strict_schema() {
    let llm = OpenRouterStandIn::start().await;
    llm.always(booking_answer());
    hybrid(config(&llm)).understand(UNCLEAR, now()).await;

    let request = &llm.requests()[0];
    assert_eq!(request["model"], "openai/gpt-4o-mini");
    assert_eq!(request["temperature"], 0);
    let system = request["messages"][0]["content"].as_str().expect("prompt");
    assert!(system.contains("Tuesday 2024-03-05") && system.contains("America/New_York"));
    assert_eq!(request["messages"][1]["role"], "user");
    assert_eq!(request["messages"][1]["content"], UNCLEAR);
    let format = &request["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "understanding");
    assert_eq!(format["json_schema"]["strict"], true);
}

/// Each failure mode, scripted on a fresh stand-in, falls back to exactly the
/// offline answer and counts one call and one fallback.
async fn falls_back_to_offline(reply: Reply, why: &str) {
    let llm = OpenRouterStandIn::start().await;
    llm.always(reply);
    let understander = hybrid(config(&llm));

    let u = understander.understand(UNCLEAR, now()).await;

    assert_eq!(u, understand(UNCLEAR, now()), "{why}");
    assert_eq!(llm.calls(), 1, "{why}");
    assert_eq!(understander.stats(), stats(1, 1), "{why}");
}

#[tokio::test]
async fn a_server_error_falls_back_to_offline() {
    falls_back_to_offline(Reply::Error(500), "HTTP 500").await;
    falls_back_to_offline(Reply::Error(429), "HTTP 429").await;
}

#[tokio::test]
async fn content_that_is_not_json_falls_back_to_offline() {
    falls_back_to_offline(
        Reply::Content("I think they want to book on Friday.".into()),
        "prose",
    )
    .await;
}

#[tokio::test]
async fn json_of_the_wrong_shape_falls_back_to_offline() {
    falls_back_to_offline(
        Reply::json(
            &json!({ "intent": "order_pizza", "date": null, "time": null,
            "selection": null, "direction": null }),
        ),
        "unknown intent",
    )
    .await;
    falls_back_to_offline(
        Reply::json(
            &json!({ "intent": "book", "date": "next friday", "time": null,
            "selection": null, "direction": null }),
        ),
        "date not YYYY-MM-DD",
    )
    .await;
    falls_back_to_offline(
        Reply::json(
            &json!({ "intent": "book", "date": "1999-01-01", "time": null,
            "selection": null, "direction": null }),
        ),
        "absurd date",
    )
    .await;
    falls_back_to_offline(Reply::json(&json!({ "answer": "book" })), "other fields").await;
}

#[tokio::test]
async fn a_body_that_is_not_a_chat_completion_falls_back_to_offline() {
    falls_back_to_offline(Reply::RawBody("<html>gateway</html>".into()), "html").await;
    falls_back_to_offline(Reply::RawBody(r#"{"choices": []}"#.into()), "no choices").await;
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_falls_back_to_offline() {
    falls_back_to_offline(booking_answer().after(Duration::from_secs(3)), "slow").await;
}

#[tokio::test]
async fn a_wrong_api_key_falls_back_to_offline_and_reports_401() {
    let llm = OpenRouterStandIn::start().await;
    llm.always(booking_answer());
    let wrong = OpenRouterConfig {
        api_key: "sk-or-v1-wrong".into(),
        ..config(&llm)
    };
    let client = OpenRouterClient::new(wrong.clone(), reqwest::Client::new()).expect("client");

    assert_eq!(
        client.understand(UNCLEAR, now()).await,
        Err(LlmError::Http { status: 401 })
    );
    let understander = hybrid(wrong);
    assert_eq!(
        understander.understand(UNCLEAR, now()).await,
        understand(UNCLEAR, now())
    );
    assert_eq!(understander.stats(), stats(1, 1));
    assert_eq!(
        llm.calls(),
        0,
        "the stand-in refused both before reading them"
    );
}

#[tokio::test]
async fn an_unreachable_llm_falls_back_to_offline() {
    let unreachable = OpenRouterConfig::new("sk-or-v1-x".into(), "m".into())
        .with_base_url(url::Url::parse("http://127.0.0.1:9").expect("url"));
    let understander = hybrid(unreachable);
    assert_eq!(
        understander.understand(UNCLEAR, now()).await,
        understand(UNCLEAR, now())
    );
    assert_eq!(understander.stats(), stats(1, 1));
}

#[tokio::test]
async fn scripted_replies_are_used_in_order_then_the_default() {
    let llm = OpenRouterStandIn::start().await;
    llm.then(Reply::Error(503));
    llm.always(booking_answer());
    let understander = hybrid(config(&llm));

    let first = understander.understand(UNCLEAR, now()).await;
    let second = understander.understand(UNCLEAR, now()).await;

    assert_eq!(first, understand(UNCLEAR, now()));
    assert_eq!(second.intent, Intent::Book);
    assert_eq!(
        understander.stats(),
        HybridStats {
            messages: 2,
            llm_calls: 2,
            llm_fallbacks: 1,
            llm_budget_exhausted: 0,
        }
    );
}

/// A budget of `left` calls, kept in memory; records the instants it was asked at.
struct Calls {
    left: Mutex<u32>,
    asked_at: Mutex<Vec<DateTime<Utc>>>,
}

impl Calls {
    fn of(left: u32) -> Arc<Self> {
        Arc::new(Self {
            left: Mutex::new(left),
            asked_at: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl LlmBudget for Calls {
    async fn take_one(&self, now: DateTime<Utc>) -> Allowance {
        self.asked_at.lock().unwrap().push(now);
        let mut left = self.left.lock().unwrap();
        if *left == 0 {
            return Allowance::Exhausted;
        }
        *left -= 1;
        Allowance::Granted
    }
}

#[tokio::test]
async fn with_a_budget_of_two_the_third_unclear_message_is_understood_offline() {
    let llm = OpenRouterStandIn::start().await;
    llm.always(booking_answer());
    let budget = Calls::of(2);
    let understander = hybrid(config(&llm)).with_budget(budget.clone());

    let first = understander.understand(UNCLEAR, now()).await;
    let second = understander.understand(UNCLEAR, now()).await;
    let third = understander.understand(UNCLEAR, now()).await;

    assert_eq!(first.intent, Intent::Book);
    assert_eq!(second.intent, Intent::Book);
    assert_eq!(third, understand(UNCLEAR, now()));
    assert_eq!(llm.calls(), 2);
    assert_eq!(
        understander.stats(),
        HybridStats {
            messages: 3,
            llm_calls: 2,
            llm_fallbacks: 0,
            llm_budget_exhausted: 1,
        }
    );
    assert_eq!(
        budget.asked_at.lock().unwrap().last().copied(),
        Some(now().with_timezone(&Utc)),
        "the budget is asked about the message's instant"
    );
}

#[tokio::test]
async fn a_message_the_rules_are_sure_of_spends_nothing_from_the_budget() {
    let llm = OpenRouterStandIn::start().await;
    let budget = Calls::of(1);
    let understander = hybrid(config(&llm)).with_budget(budget.clone());

    understander.understand(CLEAR, now()).await;

    assert!(budget.asked_at.lock().unwrap().is_empty());
    assert_eq!(*budget.left.lock().unwrap(), 1);
}

#[tokio::test]
async fn without_an_llm_the_budget_is_never_asked() {
    let budget = Calls::of(1);
    let understander = HybridUnderstander::offline_only().with_budget(budget.clone());

    understander.understand(UNCLEAR, now()).await;

    assert!(budget.asked_at.lock().unwrap().is_empty());
}
