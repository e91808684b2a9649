//! Trains the intent re-scorer (`src/intent_model.txt`) on the dev sets'
//! training split and reports its accuracy on the held-out split (one line
//! in five, chosen by `smsbot_nlu::model::held_out` on the line id).
//!
//! `cargo run --release -p smsbot-nlu --example train_intent -- [--dir DIR]
//! [--out FILE] [--epochs N] [--l2 X] [--lr X] [--min-df N] [--dry-run] [--tune]`
//!
//! `--tune` leaves the held-out fold out entirely and reports on fold 1
//! instead (for choosing the options without looking at the held-out fold);
//! combine it with `--dry-run`, or with `--out` to try rule changes against
//! fold 1 (`examples/eval_fold.rs`), never to ship.
//!
//! The model is a multinomial logistic regression trained with AdaGrad; a
//! line with several acceptable intents maximises the probability of the
//! set. Features seen in fewer than `--min-df` training lines are dropped.

use std::collections::HashMap;
use std::path::PathBuf;

use smsbot_nlu::Intent;
use smsbot_nlu::eval::parse_now;
use smsbot_nlu::model::{features, fold, rule_intent};

const N: usize = Intent::ALL.len();

struct Example {
    source: String,
    held: bool,
    skip: bool,
    feats: Vec<(String, f32)>,
    targets: Vec<usize>,
    rule: usize,
}

struct Args {
    dir: PathBuf,
    out: PathBuf,
    epochs: usize,
    l2: f32,
    l1: f32,
    lr: f32,
    min_df: usize,
    dropout: f32,
    dry_run: bool,
    tune: bool,
}

fn args() -> Args {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        dir: manifest.join("../../../shared/testdata/nlu"),
        out: manifest.join("src/intent_model.txt"),
        epochs: 20,
        l2: 1e-3,
        l1: 0.0,
        lr: 0.1,
        min_df: 2,
        dropout: 0.0,
        dry_run: false,
        tune: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--dry-run" => a.dry_run = true,
            "--tune" => a.tune = true,
            _ => {
                let v = it.next().unwrap_or_default();
                match k.as_str() {
                    "--dir" => a.dir = v.into(),
                    "--out" => a.out = v.into(),
                    "--epochs" => a.epochs = v.parse().unwrap_or(a.epochs),
                    "--l2" => a.l2 = v.parse().unwrap_or(a.l2),
                    "--l1" => a.l1 = v.parse().unwrap_or(a.l1),
                    "--lr" => a.lr = v.parse().unwrap_or(a.lr),
                    "--min-df" => a.min_df = v.parse().unwrap_or(a.min_df),
                    "--dropout" => a.dropout = v.parse().unwrap_or(a.dropout),
                    _ => eprintln!("unknown option {k}"),
                }
            }
        }
    }
    a
}

fn load(dir: &std::path::Path, tune: bool) -> Vec<Example> {
    let mut out = Vec::new();
    for f in ["sgd-train.jsonl", "hasd-dev.jsonl"] {
        let path = dir.join(f);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let Some(intents) = v["expect"]["intents"].as_array() else {
                continue;
            };
            let targets: Vec<usize> = intents
                .iter()
                .filter_map(|i| Intent::from_name(i.as_str()?))
                .map(|i| i as usize)
                .collect();
            if targets.is_empty() {
                continue;
            }
            let id = v["id"].as_str().unwrap_or_default();
            let text = v["text"].as_str().unwrap_or_default();
            let tz: chrono_tz::Tz = v["timezone"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(chrono_tz::UTC);
            let Ok(now) = parse_now(v["now"].as_str().unwrap_or_default(), tz) else {
                continue;
            };
            out.push(Example {
                source: id.split(':').next().unwrap_or_default().to_string(),
                // --tune: fold 1 stands in for the held-out fold, which is dropped
                held: if tune { fold(id) == 1 } else { fold(id) == 0 },
                skip: tune && fold(id) == 0,
                feats: features(text, now),
                targets,
                rule: rule_intent(text, now) as usize,
            });
        }
    }
    out
}

fn softmax(logit: &mut [f32; N]) {
    let max = logit.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for l in logit.iter_mut() {
        *l = (*l - max).exp();
        sum += *l;
    }
    for l in logit.iter_mut() {
        *l /= sum;
    }
}

fn predict(w: &[[f32; N]], feats: &[(usize, f32)], classes: &[usize]) -> [f32; N] {
    let mut logit = [f32::MIN; N];
    for c in classes {
        logit[*c] = 0.0;
    }
    for &(f, v) in feats {
        for (l, x) in logit.iter_mut().zip(&w[f]) {
            *l += x * v;
        }
    }
    softmax(&mut logit);
    logit
}

fn argmax(p: &[f32; N]) -> usize {
    (0..N).fold(0, |b, i| if p[i] > p[b] { i } else { b })
}

fn main() {
    let a = args();
    let mut data = load(&a.dir, a.tune);
    data.retain(|e| !e.skip);
    // vocabulary: features in at least min_df training lines
    let mut df: HashMap<&str, usize> = HashMap::new();
    for ex in data.iter().filter(|e| !e.held) {
        let mut seen: Vec<&str> = ex.feats.iter().map(|(k, _)| k.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        for k in seen {
            *df.entry(k).or_default() += 1;
        }
    }
    let mut vocab: Vec<&str> = df
        .iter()
        .filter(|(_, c)| **c >= a.min_df)
        .map(|(k, _)| *k)
        .collect();
    vocab.sort_unstable();
    let index: HashMap<&str, usize> = vocab.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let encoded: Vec<Vec<(usize, f32)>> = data
        .iter()
        .map(|e| {
            e.feats
                .iter()
                .filter_map(|(k, v)| index.get(k.as_str()).map(|i| (*i, *v)))
                .collect()
        })
        .collect();

    // only the intents some training line accepts get weights
    let mut classes: Vec<usize> = data
        .iter()
        .filter(|e| !e.held)
        .flat_map(|e| e.targets.iter().copied())
        .collect();
    classes.sort_unstable();
    classes.dedup();
    let droppable: Vec<bool> = vocab
        .iter()
        .map(|k| !(k.starts_with("r ") || k.starts_with("rs ")))
        .collect();
    let mut w = vec![[0f32; N]; vocab.len()];
    let mut g2 = vec![[1e-6f32; N]; vocab.len()];
    let mut order: Vec<usize> = (0..data.len()).filter(|i| !data[*i].held).collect();
    let mut seed: u64 = 0x5eed;
    for _ in 0..a.epochs {
        // deterministic shuffle
        for i in (1..order.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let j = (seed >> 33) as usize % (i + 1);
            order.swap(i, j);
        }
        for &e in &order {
            // word-feature dropout: teaches the model to lean on the rule
            // scores as well as on the words it saw in training
            let feats: Vec<(usize, f32)> = encoded[e]
                .iter()
                .copied()
                .filter(|(f, _)| {
                    if a.dropout <= 0.0 || !droppable[*f] {
                        return true;
                    }
                    seed = seed
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((seed >> 40) as f32 / (1u64 << 24) as f32) >= a.dropout
                })
                .collect();
            let p = predict(&w, &feats, &classes);
            let mass: f32 = data[e].targets.iter().map(|t| p[*t]).sum();
            let mut grad = p;
            for t in &data[e].targets {
                grad[*t] -= p[*t] / mass.max(1e-12);
            }
            for &(f, v) in &feats {
                for &c in &classes {
                    let g = grad[c] * v + a.l2 * w[f][c];
                    g2[f][c] += g * g;
                    let step = a.lr / g2[f][c].sqrt();
                    let x = w[f][c] - step * g;
                    // proximal L1 step: small weights become exactly zero
                    w[f][c] = x.signum() * (x.abs() - a.l1 * step).max(0.0);
                }
            }
        }
    }

    // report
    let mut rows: Vec<(String, bool)> = Vec::new();
    for ex in &data {
        if !rows.contains(&(ex.source.clone(), ex.held)) {
            rows.push((ex.source.clone(), ex.held));
        }
    }
    println!("split     source  lines  model  rules");
    for held in [false, true] {
        let mut tot = (0, 0, 0);
        for src in ["sgd", "hasd"] {
            let mut c = (0, 0, 0);
            for (e, ex) in data.iter().enumerate() {
                if ex.held != held || ex.source != src {
                    continue;
                }
                c.0 += 1;
                if ex
                    .targets
                    .contains(&argmax(&predict(&w, &encoded[e], &classes)))
                {
                    c.1 += 1;
                }
                if ex.targets.contains(&ex.rule) {
                    c.2 += 1;
                }
            }
            tot = (tot.0 + c.0, tot.1 + c.1, tot.2 + c.2);
            let name = if held { "held-out" } else { "train" };
            println!(
                "{name:<9} {src:<6} {:>6} {:>5.2}% {:>5.2}%",
                c.0,
                100.0 * c.1 as f64 / c.0.max(1) as f64,
                100.0 * c.2 as f64 / c.0.max(1) as f64
            );
        }
        println!(
            "{:<9} {:<6} {:>6} {:>5.2}% {:>5.2}%",
            if held { "held-out" } else { "train" },
            "all",
            tot.0,
            100.0 * tot.1 as f64 / tot.0.max(1) as f64,
            100.0 * tot.2 as f64 / tot.0.max(1) as f64
        );
    }
    if a.dry_run {
        return;
    }
    let names: Vec<&str> = classes.iter().map(|c| Intent::ALL[*c].as_str()).collect();
    let mut text = format!(
        "# smsbot-nlu intent model: multinomial logistic regression over the features\n\
         # of src/model.rs, written by examples/train_intent.rs (epochs {}, l2 {}, l1 {},\n\
         # lr {}, min-df {}) from the training split of the dev sets (lines whose id\n\
         # is not held out). One feature a line: key<TAB>weights in thousandths, one\n\
         # per intent of the classes line, in that order.\n\
         classes\t{}\n",
        a.epochs,
        a.l2,
        a.l1,
        a.lr,
        a.min_df,
        names.join(" ")
    );
    let mut kept = 0;
    for (f, key) in vocab.iter().enumerate() {
        let milli: Vec<i32> = classes
            .iter()
            .map(|c| (w[f][*c] * 1000.0).round() as i32)
            .collect();
        if milli.iter().any(|m| *m != 0) {
            kept += 1;
            let cols: Vec<String> = milli.iter().map(i32::to_string).collect();
            text.push_str(&format!("{key}\t{}\n", cols.join(" ")));
        }
    }
    std::fs::write(&a.out, text).expect("writing the model");
    eprintln!("wrote {} ({kept} features)", a.out.display());
}
