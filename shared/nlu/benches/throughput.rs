//! Throughput benchmark: messages understood per second on one core.
//! Uses the shared dev corpora when present, else a small built-in sample.
//! Run with `cargo bench -p smsbot-nlu --bench throughput`.

use std::path::PathBuf;
use std::time::Instant;

use chrono::TimeZone;
use chrono_tz::America::Los_Angeles;

fn corpus() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/nlu");
    let mut texts = Vec::new();
    for f in ["sgd-train.jsonl", "hasd-dev.jsonl"] {
        if let Ok(s) = std::fs::read_to_string(dir.join(f)) {
            for line in s.lines() {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                    && let Some(t) = v.get("text").and_then(|t| t.as_str())
                {
                    texts.push(t.to_string());
                }
            }
        }
    }
    if texts.is_empty() {
        eprintln!("corpora absent: using the built-in sample");
        texts = [
            "Can I book a haircut tmrw @ 3pm pls",
            "No, something later",
            "the second one",
            "Please cancel my appt on the 13th",
            "Can we move it to next Friday at quarter past 2 in the afternoon?",
            "thanks, bye!",
            "Is there anything available March 7th in the morning?",
            "yes that works",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
    }
    texts
}

fn main() {
    let texts = corpus();
    let Some(now) = Los_Angeles.with_ymd_and_hms(2019, 3, 1, 9, 0, 0).single() else {
        eprintln!("bad reference instant");
        return;
    };
    // warm up
    let mut sink = 0usize;
    for t in &texts {
        sink += smsbot_nlu::understand(t, now).intent as usize;
    }
    let rounds = (200_000 / texts.len()).max(1);
    let start = Instant::now();
    for _ in 0..rounds {
        for t in &texts {
            sink += smsbot_nlu::understand(t, now).intent as usize;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = rounds * texts.len();
    println!(
        "understand: {n} messages in {secs:.3} s = {:.0} msgs/s (checksum {sink})",
        n as f64 / secs
    );
}
