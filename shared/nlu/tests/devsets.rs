//! Runs the evaluation on the shared dev corpora and asserts the targets
//! (throughput is measured by `benches/throughput.rs`, not here). Skips,
//! saying so, when the corpora folder is absent (a user's clone).
//!
//! The intent re-scorer (`src/model.rs`) is trained on four fifths of these
//! lines, so the test also scores the held-out fifth
//! (`smsbot_nlu::model::held_out`) alone and asserts the intent target there
//! too: that is the figure that says whether the rules and the model
//! generalise.

use std::path::PathBuf;

use chrono_tz::Tz;
use smsbot_nlu::eval::{Thresholds, evaluate, parse_now};
use smsbot_nlu::model::held_out;
use smsbot_nlu::understand;

/// Intent accuracy required on the held-out fifth (the same 95% target).
const HELD_OUT_MIN: f64 = 0.95;

/// (judged, correct) intents over the held-out lines of `files`.
fn held_out_intents(files: &[PathBuf]) -> (usize, usize) {
    let (mut judged, mut ok) = (0, 0);
    for f in files {
        let text = std::fs::read_to_string(f).expect("corpus is readable");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let id = v["id"].as_str().unwrap_or_default();
            let Some(intents) = v["expect"]["intents"].as_array() else {
                continue;
            };
            if !held_out(id) {
                continue;
            }
            let tz: Tz = v["timezone"].as_str().unwrap_or("UTC").parse().expect("tz");
            let now = parse_now(v["now"].as_str().unwrap_or_default(), tz).expect("now");
            let u = understand(v["text"].as_str().unwrap_or_default(), now);
            judged += 1;
            if intents
                .iter()
                .any(|i| i.as_str() == Some(u.intent.as_str()))
            {
                ok += 1;
            } else if std::env::var_os("NLU_SHOW_MISMATCHES").is_some() {
                println!("held-out\t{:?}\t{}\t{id}\t{}", intents, u.intent, v["text"]);
            }
        }
    }
    (judged, ok)
}

#[test]
fn dev_sets_meet_the_accuracy_targets() {
    let files = smsbot_test_support::nlu_dev_corpora();
    if files.is_empty() {
        return;
    }
    let report = evaluate(&files).expect("corpora are readable");
    println!("{}", report.render_table());
    if std::env::var_os("NLU_SHOW_MISMATCHES").is_some() {
        for m in &report.mismatches {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                m.field, m.expected, m.got, m.id, m.text
            );
        }
    }
    let (judged, ok) = held_out_intents(&files);
    let held = ok as f64 / judged.max(1) as f64;
    println!(
        "held-out intent accuracy: {:.2}% ({ok}/{judged} lines not used in training)",
        held * 100.0
    );
    let t = Thresholds {
        min_throughput: 0.0,
        ..Thresholds::default()
    };
    let failures = report.failures(&t);
    assert!(failures.is_empty(), "targets missed: {failures:#?}");
    assert!(
        held >= HELD_OUT_MIN,
        "held-out intent accuracy {:.2}% is below {:.0}%",
        held * 100.0,
        HELD_OUT_MIN * 100.0
    );
}
