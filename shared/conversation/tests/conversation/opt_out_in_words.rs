//! Opt-outs in the customer's own words: Twilio does not act on them, so the
//! bot opts the contact out and confirms once, itself; and look-alikes
//! ("can I stop by…") stay conversation. Also measures false opt-outs on the
//! shared NLU dev corpora.

use smsbot_conversation::compliance::{Keyword, classify};

use crate::support;

use support::{TestBot, ny};

const ANA: &str = "+14155550101";
const BEN: &str = "+14155550102";

#[tokio::test]
async fn a_request_in_words_is_confirmed_once_and_then_nothing_until_start() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    let confirmation = bot.reply_to(ANA, "please stop texting me").await;
    assert!(
        confirmation.starts_with("You're unsubscribed from Test Salon"),
        "{confirmation}"
    );
    assert!(confirmation.contains("Reply START"), "{confirmation}");
    assert_eq!(bot.consent_of(ANA).await, "opted_out");

    assert!(
        bot.text(ANA, "Stop texting me!!").await.is_empty(),
        "confirmed once only"
    );
    assert!(
        bot.text(ANA, "book tomorrow at 3pm").await.is_empty(),
        "no reply while opted out"
    );
    assert!(bot.booked_starts().await.is_empty());

    let back = bot.reply_to(ANA, "START").await;
    assert!(back.starts_with("You're subscribed again"), "{back}");
    assert_eq!(bot.consent_of(ANA).await, "opted_in");
    let offer = bot.reply_to(ANA, "book tomorrow at 3pm").await;
    assert!(offer.contains("Shall I book it?"), "{offer}");
}

#[tokio::test]
async fn the_request_is_recorded_as_a_keyword_opt_out_with_its_words() {
    let bot = TestBot::start().await;

    bot.reply_to(ANA, "Remove me from your list").await;

    assert_eq!(
        bot.count(
            "SELECT count(*) FROM consent_events \
             WHERE source = 'keyword' AND detail = 'Remove me from your list'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn spanish_single_words_are_confirmed_too() {
    let bot = TestBot::start().await;

    let confirmation = bot.reply_to(ANA, "NO MÁS").await;
    assert!(
        confirmation.starts_with("You're unsubscribed"),
        "{confirmation}"
    );
    assert_eq!(bot.consent_of(ANA).await, "opted_out");

    bot.reply_to(BEN, "Baja").await;
    assert_eq!(bot.consent_of(BEN).await, "opted_out");
}

#[tokio::test]
async fn twilios_own_keyword_is_still_left_to_twilio_to_confirm() {
    let bot = TestBot::start().await;

    assert!(bot.text(ANA, "Unsubscribe").await.is_empty());
    assert_eq!(bot.consent_of(ANA).await, "opted_out");
}

#[tokio::test]
async fn stopping_by_is_a_booking_not_an_opt_out() {
    let bot = TestBot::start().await;
    bot.open_slots(&["2026-03-03T15:00:00"], 1).await;

    let question = bot.reply_to(ANA, "can I stop by tomorrow at 3pm").await;
    assert_eq!(
        question,
        "Tue Mar 3, 3:00 PM is open. Shall I book it? Reply YES or NO."
    );
    let done = bot.reply_to(ANA, "yes").await;
    assert!(done.starts_with("You're booked"), "{done}");
    assert_eq!(bot.booked_starts().await, vec![ny("2026-03-03T15:00:00")]);
    assert_eq!(bot.consent_of(ANA).await, "opted_in");
}

#[tokio::test]
async fn dont_text_me_the_address_is_not_an_opt_out() {
    let bot = TestBot::start().await;

    let replies = bot.text(ANA, "don't text me the address, just call").await;

    assert!(
        replies
            .iter()
            .all(|r| !r.starts_with("You're unsubscribed")),
        "{replies:?}"
    );
    assert_eq!(bot.consent_of(ANA).await, "opted_in");
}

/// Every line of the shared dev corpora (booking, cancelling, small talk; none
/// of them an opt-out) classified alone. Only a message that is Twilio's own
/// keyword by itself ("Cancel !") may come out as an opt-out: Twilio opts the
/// sender out whatever we decide. No request in words may.
#[test]
fn no_line_of_the_dev_corpora_is_read_as_a_request_to_stop() {
    let files = smsbot_test_support::nlu_dev_corpora();
    if files.is_empty() {
        return;
    }
    let (mut lines, mut requests, mut keywords) = (0, Vec::new(), Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("corpus is readable");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let body = v["text"].as_str().unwrap_or_default();
            let label = v["expect"]["intents"].to_string();
            lines += 1;
            match classify(body, None) {
                Some(Keyword::OptOutRequest) => requests.push((body.to_owned(), label)),
                Some(Keyword::OptOut) => keywords.push((body.to_owned(), label)),
                _ => {}
            }
        }
    }
    println!(
        "{lines} lines: {} read as opt-out requests, {} as Twilio's keyword alone: {keywords:?}",
        requests.len(),
        keywords.len()
    );
    assert!(requests.is_empty(), "false opt-out requests: {requests:#?}");
    for (body, _) in &keywords {
        let word = body
            .trim()
            .trim_end_matches(['.', '!', '?'])
            .trim()
            .to_ascii_uppercase();
        assert!(
            [
                "STOP",
                "STOPALL",
                "UNSUBSCRIBE",
                "END",
                "QUIT",
                "REVOKE",
                "OPTOUT",
                "CANCEL"
            ]
            .contains(&word.as_str()),
            "{body:?} is not a lone Twilio keyword"
        );
    }
    assert!(keywords.len() <= 1, "{keywords:?}");
}
