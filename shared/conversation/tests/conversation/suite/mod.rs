//! The conversation suite: every conversation written in `conversations/*.txt`
//! at the repository root, played against a fresh database through the real
//! turn pipeline. The format is described in `script` and in
//! `conversations/README.md`.
//!
//! One test plays them all, a few at a time, and reports every conversation
//! that did not go as written with its file and line; conversations marked
//! `pending:` are played and reported as pending, never counted as passed.
//! `SMSBOT_CONVERSATIONS=<words>` plays only the conversations whose file name
//! or title contains those words.

mod play;
mod script;

use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use script::{Script, SuiteFile};

/// How many conversations play at once (each with its own database).
const AT_ONCE: usize = 6;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conversations")
}

/// "conversations/booking.txt", as failures name it.
fn file_label(file: &SuiteFile) -> String {
    let name = file.path.file_name().unwrap_or_default().to_string_lossy();
    format!("conversations/{name}")
}

/// What became of one conversation.
enum Verdict {
    Passed,
    Failed(String),
    /// Pending, and (still) failing: the reason and the failure.
    Pending(String, String),
    /// Pending, yet it went as written.
    PendingPasses(String),
}

/// Where a conversation is, and what became of it.
fn judge(file: &str, script: Script, played: Result<(), play::Failure>) -> (String, Verdict) {
    let at = format!("{file}:{} {}", script.line, script.title);
    let failure = played
        .err()
        .map(|f| format!("{file}:{}: {}\n    {}", f.line, script.title, f.what));
    let verdict = match (script.pending, failure) {
        (None, None) => Verdict::Passed,
        (None, Some(failure)) => Verdict::Failed(failure),
        (Some(why), Some(failure)) => Verdict::Pending(why, failure),
        (Some(why), None) => Verdict::PendingPasses(why),
    };
    (at, verdict)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conversation_in_the_suite_goes_as_written() {
    let dir = suite_dir();
    let files = script::read_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let only = std::env::var("SMSBOT_CONVERSATIONS").ok();
    let mut chosen: Vec<(String, Script)> = Vec::new();
    for file in &files {
        let name = file_label(file);
        for script in &file.conversations {
            let wanted = only
                .as_deref()
                .is_none_or(|w| name.contains(w) || script.title.contains(w));
            if wanted {
                chosen.push((name.clone(), script.clone()));
            }
        }
    }

    let template = Arc::new(play::Template::create().await);
    let verdicts: Vec<(String, Verdict)> = futures::stream::iter(chosen)
        .map(|(file, script)| {
            let template = template.clone();
            // A task each: dropping a database blocks its thread a moment.
            tokio::spawn(async move {
                let played = play::play(&template, &script).await;
                judge(&file, script, played)
            })
        })
        .buffered(AT_ONCE)
        .map(|joined| joined.expect("a conversation's task ends"))
        .collect()
        .await;

    let mut failed = Vec::new();
    let (mut passed, mut pending) = (0, 0);
    for (at, verdict) in &verdicts {
        match verdict {
            Verdict::Passed => passed += 1,
            Verdict::Failed(failure) => failed.push(failure.clone()),
            Verdict::Pending(why, failure) => {
                pending += 1;
                println!("PENDING {at} ({why})\n  {failure}");
            }
            Verdict::PendingPasses(why) => {
                pending += 1;
                println!("PENDING {at} ({why}): it now goes as written; remove `pending:`");
            }
        }
    }
    println!(
        "conversation suite: {passed} passed, {} failed, {pending} pending",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} conversations did not go as written:\n\n{}",
        failed.len(),
        verdicts.len(),
        failed.join("\n\n")
    );
    assert!(
        only.is_some() || verdicts.len() >= 150,
        "the suite holds {} conversations; it should hold at least 150",
        verdicts.len()
    );
}
