//! Limits that protect the customer and the bill: a number over its rate limit
//! is recorded but neither understood nor answered (a STOP still works), and
//! beyond the day's LLM budget the bot understands offline. Counted in the
//! emulator's DynamoDB table, with the OpenRouter stand-in counting LLM calls.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use smsbot_aws::DynamoCounters;
use smsbot_config::limits::{InboundRateLimit, LlmDailyBudget};
use smsbot_conversation::{Counters, DailyLlmBudget, InboundRateLimiter};
use smsbot_nlu::HybridUnderstander;
use smsbot_outbox::Clock;
use smsbot_test_support::openrouter_standin::OpenRouterStandIn;
use smsbot_test_support::{self as support};

use crate::support::TestBot;

const ANA: &str = "+14155550101";
const BEN: &str = "+14155550102";

/// A message the offline rules are unsure of, so the LLM is asked about it.
const UNCLEAR: &str = "what is albert einstein famous for";

/// A bot whose limits count in `counters`, understanding with the OpenRouter
/// stand-in below the usual threshold.
struct LimitedBot {
    bot: TestBot,
    llm: OpenRouterStandIn,
    understander: Arc<HybridUnderstander>,
}

/// Counters in the bot's own table in the emulator.
fn counters_of(bot: &TestBot) -> Arc<DynamoCounters> {
    Arc::new(DynamoCounters::new(
        aws_sdk_dynamodb::Client::new(&bot.sdk),
        &bot.table,
    ))
}

/// Counters behind an SDK configuration (e.g. one whose DynamoDB is down).
fn counters_at(sdk: &aws_config::SdkConfig) -> Arc<DynamoCounters> {
    Arc::new(DynamoCounters::new(
        aws_sdk_dynamodb::Client::new(sdk),
        "smsbot-idempotency",
    ))
}

impl LimitedBot {
    /// Limited to `rate` (e.g. "3/1m") and `budget` LLM calls a day, counted in
    /// the bot's table.
    async fn start(rate: &str, budget: u32) -> Self {
        let bot = TestBot::start().await;
        let counters = counters_of(&bot);
        Self::counting_in(bot, counters, rate, budget).await
    }

    async fn counting_in(
        mut bot: TestBot,
        counters: Arc<DynamoCounters>,
        rate: &str,
        budget: u32,
    ) -> Self {
        // Read as a greeting: answered, so the bot never fails to understand
        // twice in a row (which would hand the customer to staff).
        let (llm, client) = crate::support::llm_reading_everything_as("greeting").await;
        let understander = Arc::new(
            // Asked about all the rules are not certain of, however sure
            // they grow of UNCLEAR.
            HybridUnderstander::new(Some(client), 1.0).with_budget(Arc::new(DailyLlmBudget::new(
                counters.clone(),
                LlmDailyBudget::of(budget),
            ))),
        );
        let limit: InboundRateLimit = rate.parse().unwrap();
        bot.conversation = TestBot::conversation_understanding(
            &bot.db,
            understander.clone(),
            bot.phone.clone(),
            bot.clock.clone(),
        )
        .with_rate_limit(InboundRateLimiter::new(counters, limit));
        Self {
            bot,
            llm,
            understander,
        }
    }

    async fn inbound_from_anyone(&self) -> i64 {
        self.bot
            .count("SELECT count(*) FROM messages WHERE direction = 'inbound'")
            .await
    }
}

#[tokio::test]
async fn a_number_over_its_limit_is_recorded_but_neither_understood_nor_answered() {
    let limited = LimitedBot::start("3/1m", 100).await;

    for n in 1..=3 {
        let replies = limited.bot.text(ANA, UNCLEAR).await;
        assert_eq!(replies.len(), 1, "message {n} is answered: {replies:?}");
    }
    let fourth = limited.bot.text(ANA, UNCLEAR).await;

    assert!(fourth.is_empty(), "the fourth is not answered: {fourth:?}");
    assert_eq!(
        limited.inbound_from_anyone().await,
        4,
        "all four are recorded"
    );
    assert_eq!(limited.llm.calls(), 3, "the LLM never heard the fourth");
    assert_eq!(limited.understander.stats().messages, 3);
}

#[tokio::test]
async fn a_stop_over_the_limit_still_opts_out_and_is_confirmed() {
    let limited = LimitedBot::start("2/1m", 100).await;
    for from in [ANA, BEN] {
        for _ in 0..2 {
            limited.bot.reply_to(from, "hello").await;
        }
        assert!(
            limited.bot.text(from, "hello").await.is_empty(),
            "over the limit"
        );
    }
    let llm_calls = limited.llm.calls();

    let confirmation = limited.bot.reply_to(ANA, "please stop texting me").await;
    let stop = limited.bot.text(BEN, "STOP").await;

    assert!(
        confirmation.starts_with("You're unsubscribed from Test Salon"),
        "{confirmation}"
    );
    assert_eq!(limited.bot.consent_of(ANA).await, "opted_out");
    assert!(stop.is_empty(), "Twilio confirms a STOP itself: {stop:?}");
    assert_eq!(limited.bot.consent_of(BEN).await, "opted_out");
    assert_eq!(limited.llm.calls(), llm_calls, "no keyword reaches the LLM");
}

#[tokio::test]
async fn a_yes_over_the_limit_still_resubscribes_a_number_that_opted_out() {
    let limited = LimitedBot::start("1/1m", 100).await;
    limited.bot.text(ANA, "STOP").await;
    limited.bot.text(ANA, "hello").await; // counted, unanswered: opted out
    assert!(
        limited.bot.text(ANA, "hello").await.is_empty(),
        "over the limit"
    );

    let back = limited.bot.reply_to(ANA, "YES").await;

    assert!(back.starts_with("You're subscribed again"), "{back}");
    assert_eq!(limited.bot.consent_of(ANA).await, "opted_in");
}

#[tokio::test]
async fn another_number_is_unaffected_by_a_limited_one() {
    let limited = LimitedBot::start("2/1m", 100).await;
    for _ in 0..3 {
        limited.bot.text(ANA, "hello").await;
    }
    assert!(limited.bot.text(ANA, "hello").await.is_empty());

    for _ in 0..2 {
        limited.bot.reply_to(BEN, "hello").await;
    }
}

#[tokio::test]
async fn the_next_window_answers_again() {
    let limited = LimitedBot::start("2/1m", 100).await;
    for _ in 0..2 {
        limited.bot.reply_to(ANA, "hello").await;
    }
    assert!(limited.bot.text(ANA, "hello").await.is_empty());

    limited.bot.clock.advance(Duration::seconds(60));

    limited.bot.reply_to(ANA, "hello").await;
}

#[tokio::test]
async fn a_longer_window_still_limits_when_the_shorter_one_has_passed() {
    let limited = LimitedBot::start("3/1m,4/1h", 100).await;
    for _ in 0..3 {
        limited.bot.reply_to(ANA, "hello").await;
    }
    limited.bot.clock.advance(Duration::seconds(60));
    limited.bot.reply_to(ANA, "hello").await;

    assert!(
        limited.bot.text(ANA, "hello").await.is_empty(),
        "the fifth message this hour is over 4/1h"
    );
}

#[tokio::test]
async fn with_dynamodb_down_every_message_is_answered() {
    let bot = TestBot::start().await;
    let down = counters_at(&support::unreachable_aws().await);
    let limited = LimitedBot::counting_in(bot, down, "1/1m", 1).await;

    for _ in 0..3 {
        let replies = limited.bot.text(ANA, UNCLEAR).await;
        assert_eq!(replies.len(), 1, "{replies:?}");
    }
    assert_eq!(
        limited.llm.calls(),
        3,
        "the LLM budget is not enforced either while its counter is unknown"
    );
}

#[tokio::test]
async fn a_dynamodb_that_hangs_delays_a_turn_by_about_a_second_at_most() {
    let bot = TestBot::start().await;
    let hanging = counters_at(&support::hanging_aws().await);
    let limited = LimitedBot::counting_in(bot, hanging, "1/1m,5/1h", 100).await;

    let started = Instant::now();
    let replies = limited.bot.text(ANA, "hello").await;

    assert_eq!(replies.len(), 1, "{replies:?}");
    // The counters' own timeout is a second; the production call timeouts
    // alone would hold the turn four.
    assert!(
        started.elapsed() < StdDuration::from_millis(3500),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn with_a_budget_of_two_the_third_unclear_message_is_understood_offline() {
    let limited = LimitedBot::start("off", 2).await;

    for from in [ANA, BEN, ANA] {
        let replies = limited.bot.text(from, UNCLEAR).await;
        assert_eq!(replies.len(), 1, "every message is answered: {replies:?}");
    }

    assert_eq!(limited.llm.calls(), 2);
    let stats = limited.understander.stats();
    assert_eq!(stats.llm_calls, 2);
    assert_eq!(stats.llm_budget_exhausted, 1);
}

#[tokio::test]
async fn the_llm_budget_is_renewed_at_midnight_utc() {
    let limited = LimitedBot::start("off", 1).await;
    limited.bot.text(ANA, UNCLEAR).await;
    limited.bot.text(ANA, UNCLEAR).await;
    assert_eq!(limited.llm.calls(), 1);

    let now = limited.bot.clock.now();
    let midnight = (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    limited.bot.clock.advance(midnight - now);
    limited.bot.text(ANA, UNCLEAR).await;

    assert_eq!(limited.llm.calls(), 2);
}

#[tokio::test]
async fn a_budget_of_zero_never_asks_the_llm() {
    let limited = LimitedBot::start("off", 0).await;

    limited.bot.reply_to(ANA, UNCLEAR).await;

    assert_eq!(limited.llm.calls(), 0);
}

#[tokio::test]
async fn counts_made_at_the_same_time_are_never_lost() {
    let bot = TestBot::start().await;
    let counters = counters_of(&bot);
    let until = Utc::now() + Duration::minutes(5);

    let counts = futures::future::join_all(
        (0..20).map(|_| Counters::add_one(counters.as_ref(), "same-key", until)),
    )
    .await;

    let mut counts: Vec<u64> = counts.into_iter().map(Result::unwrap).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<u64>>());
}

#[tokio::test]
async fn a_counter_lives_in_the_idempotency_table_under_its_prefix_with_a_ttl() {
    let bot = TestBot::start().await;
    let until = Utc::now() + Duration::minutes(5);

    Counters::add_one(counters_of(&bot).as_ref(), "some-window", until)
        .await
        .unwrap();

    let item = aws_sdk_dynamodb::Client::new(&bot.sdk)
        .get_item()
        .table_name(&bot.table)
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S("counter#some-window".into()),
        )
        .send()
        .await
        .unwrap();
    let item = item.item().expect("the counter's item");
    assert_eq!(
        item.get("expiration").and_then(|v| v.as_n().ok()),
        Some(&until.timestamp().to_string())
    );
}
