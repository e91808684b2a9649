//! Runs the evaluation on the shared dev corpora and asserts the targets
//! (throughput is measured by `benches/throughput.rs`, not here). Skips,
//! saying so, when the corpora folder is absent (a user's clone).
//!
//! The intent re-scorer (`src/model.rs`) is trained on four fifths of these
//! lines, so the test also scores the held-out fifth
//! (`smsbot_nlu::model::held_out`) alone and asserts the intent target there
//! too, and that the LLM would be asked for at most a tenth of its messages
//! while the answers kept offline stay right. Training on one source and
//! testing on another is `smsbot nlu eval --held-out-by-source` (it trains
//! several models, too slow for a debug test).

use std::path::PathBuf;

use chrono_tz::Tz;
use smsbot_nlu::eval::{Thresholds, evaluate, parse_now};
use smsbot_nlu::model::held_out;
use smsbot_nlu::{DEFAULT_LLM_THRESHOLD, understand};

/// Intent accuracy required on the held-out fifth (the same 95% target).
const HELD_OUT_MIN: f64 = 0.95;

/// Intent-judged held-out lines must be right at least this often when the
/// confidence is at or above the LLM threshold (the answers acted on offline).
const HELD_OUT_ABOVE_MIN: f64 = 0.95;

/// At most this share of the held-out lines (judged or not) falls below the
/// LLM threshold.
const HELD_OUT_BELOW_MAX: f64 = 0.10;

/// What the held-out lines of `files` score.
#[derive(Default)]
struct Held {
    lines: usize,
    below: usize,
    judged: usize,
    ok: usize,
    judged_above: usize,
    ok_above: usize,
}

fn held_out_intents(files: &[PathBuf]) -> Held {
    let mut h = Held::default();
    for f in files {
        let text = std::fs::read_to_string(f).expect("corpus is readable");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let id = v["id"].as_str().unwrap_or_default();
            if !held_out(id) {
                continue;
            }
            let tz: Tz = v["timezone"].as_str().unwrap_or("UTC").parse().expect("tz");
            let now = parse_now(v["now"].as_str().unwrap_or_default(), tz).expect("now");
            let u = understand(v["text"].as_str().unwrap_or_default(), now);
            let low = u.low_confidence(DEFAULT_LLM_THRESHOLD);
            h.lines += 1;
            h.below += usize::from(low);
            let Some(intents) = v["expect"]["intents"].as_array() else {
                continue;
            };
            let ok = intents
                .iter()
                .any(|i| i.as_str() == Some(u.intent.as_str()));
            h.judged += 1;
            h.ok += usize::from(ok);
            h.judged_above += usize::from(!low);
            h.ok_above += usize::from(ok && !low);
            if !ok && std::env::var_os("NLU_SHOW_MISMATCHES").is_some() {
                println!("held-out\t{:?}\t{}\t{id}\t{}", intents, u.intent, v["text"]);
            }
        }
    }
    h
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
    let h = held_out_intents(&files);
    let ratio = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    let held = ratio(h.ok, h.judged);
    let below = ratio(h.below, h.lines);
    let above = ratio(h.ok_above, h.judged_above);
    println!(
        "held-out fold: intent accuracy {:.2}% ({}/{} lines not used in training); \
         {:.2}% of its {} lines below the LLM threshold; {:.2}% right at or above it",
        held * 100.0,
        h.ok,
        h.judged,
        below * 100.0,
        h.lines,
        above * 100.0
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
    assert!(
        below <= HELD_OUT_BELOW_MAX,
        "{:.2}% of the held-out lines are below the LLM threshold (at most {:.0}%)",
        below * 100.0,
        HELD_OUT_BELOW_MAX * 100.0
    );
    assert!(
        above >= HELD_OUT_ABOVE_MIN,
        "held-out answers at or above the LLM threshold are right {:.2}% of the time \
         (at least {:.0}%)",
        above * 100.0,
        HELD_OUT_ABOVE_MIN * 100.0
    );
}
