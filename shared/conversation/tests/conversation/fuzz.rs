//! Fuzz target of the whole turn: any text a customer could send (arbitrary
//! Unicode, SMS-like text, mutations of the corpora), in whichever state the
//! conversation is in (nothing asked, an offer of one time, a list of times,
//! an appointment held, handed to staff), through the batch handler against a
//! real database. Every reader of the dialogue (short answers, corrections,
//! compound requests, questions about one's appointments or the business,
//! requests for a person) sees it. Never a panic, never a failed record,
//! at most one reply and one an SMS can carry, and never more than one
//! appointment from one text. Each case is a few turns, so the default case
//! count is modest; `SMSBOT_FUZZ_CASES` scales it (`fuzz/README.md`).

#[path = "../../../../fuzz/support.rs"]
mod fuzz_support;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use smsbot_conversation::handle_batch;
use smsbot_domain::SmsBody;

use crate::support::{TestBot, event, record};
use fuzz_support as fz;

/// Cases by default (each two to four turns).
const CASES: u32 = 48;

/// Where the conversation stands when the fuzzed text arrives: the texts
/// that bring it there.
const BEFORE: &[&[&str]] = &[
    &[],
    &["can i come in tomorrow at 3pm"],
    &["any openings tomorrow?"],
    &["book tomorrow at 3pm", "yes"],
    &["can i talk to a real person"],
    &["asdfgh"],
];

struct Texter<'a> {
    bot: &'a TestBot,
    from: String,
}

impl Texter<'_> {
    /// One text through the batch handler: the replies to the sender, or why
    /// the case fails.
    async fn text(&self, body: &str) -> Result<Vec<String>, TestCaseError> {
        let sid = self.bot.next_sid();
        let response = handle_batch(
            &self.bot.conversation,
            event(vec![record(&sid, &self.from, body, &sid)]),
        )
        .await;
        prop_assert!(
            response.batch_item_failures.is_empty(),
            "{body:?} failed its record: {response:?}"
        );
        Ok(self.bot.phone.take(&self.from))
    }
}

#[test]
fn fuzz_any_text_in_any_state_gets_at_most_one_sendable_reply_and_no_failure() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let bot = runtime.block_on(async {
        let bot = TestBot::start().await;
        bot.open_slots(
            &[
                "2026-03-03T15:00:00",
                "2026-03-03T15:30:00",
                "2026-03-03T16:00:00",
                "2026-03-05T10:00:00",
            ],
            100,
        )
        .await;
        bot
    });
    let texts = fz::text(fz::seeds("understanding"))
        // Twilio hands over at most 1,600 characters.
        .prop_map(|t| t.chars().take(1600).collect::<String>())
        .prop_filter("Twilio never sends an empty body", |t| !t.is_empty());
    let strategy = (0..BEFORE.len(), texts);
    let mut runner = TestRunner::new(fz::config_scaled(CASES, 20));
    let case = std::sync::atomic::AtomicU32::new(0);
    let result = runner.run(&strategy, |(state, text)| {
        let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A customer of its own per case: no state leaks between cases.
        let texter = Texter {
            bot: &bot,
            from: format!("+1415{:07}", 1_000_000 + n),
        };
        runtime.block_on(async {
            for earlier in BEFORE[state] {
                texter.text(earlier).await?;
            }
            let booked_before = booked_by(&bot, &texter.from).await;
            let replies = texter.text(&text).await?;
            prop_assert!(replies.len() <= 1, "{text:?} got {replies:?}");
            for reply in &replies {
                prop_assert!(!reply.trim().is_empty(), "{text:?}: an empty reply");
                prop_assert!(
                    SmsBody::parse(reply.clone()).is_ok(),
                    "{text:?}: a reply no SMS can carry: {reply:?}"
                );
            }
            let booked_after = booked_by(&bot, &texter.from).await;
            prop_assert!(
                booked_after <= booked_before + 1,
                "{text:?} booked {} appointments at once",
                booked_after - booked_before
            );
            Ok(())
        })
    });
    drop(bot);
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// How many appointments the customer with this number holds.
async fn booked_by(bot: &TestBot, phone: &str) -> i64 {
    let client = bot.db.pool.get().await.expect("a connection");
    client
        .query_one(
            "SELECT count(*) FROM appointments a JOIN contacts c ON c.id = a.contact_id
              WHERE c.phone = $1 AND a.status = 'booked'",
            &[&phone],
        )
        .await
        .expect("count appointments")
        .get(0)
}
