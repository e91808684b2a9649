//! Trains the intent re-scorer (`src/intent_model.txt`) on the dev sets'
//! training split (folds 1-4; fold 0, `smsbot_nlu::model::held_out`, is never
//! trained on) with `smsbot_nlu::model::train`, and reports the accuracy of
//! the model and of the rules alone on each split.
//!
//! `cargo run --release -p smsbot-nlu --example train_intent -- [--dir DIR]
//! [--out FILE] [--epochs N] [--lr X] [--l2 X] [--l1 X] [--min-df N]
//! [--dropout X] [--calibration-l2 X] [--before] [--dry-run]`
//!
//! The options were chosen on fold 1 with
//! `cargo run --release -p smsbot-nlu --example held_out -- --validation`
//! (every split trained on folds 2-4), never on the test lines.

use std::path::PathBuf;

use smsbot_nlu::eval::training_lines;
use smsbot_nlu::model::train::{Example, TrainOptions, train};
use smsbot_nlu::model::{Model, rule_intent};
use smsbot_nlu::understand_with;

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dir = manifest.join("../../../shared/testdata/nlu");
    let mut out = manifest.join("src/intent_model.txt");
    let mut o = TrainOptions::default();
    let mut dry_run = false;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().unwrap_or_default();
        match k.as_str() {
            "--dry-run" => dry_run = true,
            "--before" => o = TrainOptions::before(),
            "--dir" => dir = val().into(),
            "--out" => out = val().into(),
            "--epochs" => o.epochs = val().parse().expect("--epochs N"),
            "--lr" => o.lr = val().parse().expect("--lr X"),
            "--l2" => o.l2 = val().parse().expect("--l2 X"),
            "--l1" => o.l1 = val().parse().expect("--l1 X"),
            "--min-df" => o.min_df = val().parse().expect("--min-df N"),
            "--dropout" => o.dropout = val().parse().expect("--dropout X"),
            "--calibration-l2" => o.calibration_l2 = val().parse().expect("--calibration-l2 X"),
            _ => panic!("unknown option {k}"),
        }
    }
    let files: Vec<PathBuf> = ["sgd-train.jsonl", "hasd-dev.jsonl"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    let lines = training_lines(&files).expect("the dev sets are readable");
    let training: Vec<&Example> = lines
        .iter()
        .filter(|l| l.fold != 0)
        .map(|l| &l.example)
        .collect();
    let header = format!(
        "smsbot-nlu intent model: multinomial logistic regression over the features of\n\
         src/model.rs plus a confidence model, written by examples/train_intent.rs\n\
         ({}) from folds 1-4 of the dev sets (fold 0 is held out).\n\
         Format: classes and answers lines; one feature a line, key<TAB>weights in\n\
         thousandths, one per intent of the classes line; the tied (t ...) and\n\
         confidence (c ...) weights, one each.",
        o.describe()
    );
    let text = train(&training, &o, &header);
    let model = Model::parse(&text);

    println!("split     source  lines  model  rules  conf<0.60");
    for held in [false, true] {
        for src in ["sgd-train", "hasd-dev", "all"] {
            let (mut n, mut ok, mut rules, mut low) = (0, 0, 0, 0);
            for l in &lines {
                if (l.fold == 0) != held || src != "all" && l.corpus != src {
                    continue;
                }
                let e = &l.example;
                let u = understand_with(&model, &e.text, e.now);
                n += 1;
                ok += usize::from(e.targets.contains(&u.intent));
                rules += usize::from(e.targets.contains(&rule_intent(&e.text, e.now)));
                low += usize::from(u.low_confidence(smsbot_nlu::DEFAULT_LLM_THRESHOLD));
            }
            let pct = |x: usize| 100.0 * x as f64 / n.max(1) as f64;
            println!(
                "{:<9} {src:<9} {n:>5} {:>5.2}% {:>5.2}% {:>5.2}%",
                if held { "held-out" } else { "train" },
                pct(ok),
                pct(rules),
                pct(low)
            );
        }
    }
    if dry_run {
        return;
    }
    std::fs::write(&out, &text).expect("writing the model");
    eprintln!("wrote {} ({} features)", out.display(), model.len());
}
