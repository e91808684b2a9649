//! Training the intent re-scorer: a multinomial logistic regression over the
//! features of [`super::features`] (fitted with AdaGrad), then a confidence
//! model fitted on answers to lines the re-scorer did not train on.
//!
//! Owns: the training loop and its options, the cross-fitting that gives the
//! confidence model its held-out answers, and writing the model text that
//! [`super::Model::parse`] reads (weights in thousandths).
//! Must not: read files or choose which lines it trains on (the callers,
//! `examples/train_intent.rs` and [`crate::eval::held_out_by_source`], do).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::DateTime;
use chrono_tz::Tz;

use super::{Features, META, Meta, Model, TIED, meta_for};
use crate::intent::{Intent, N};

/// The trainer's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    pub epochs: usize,
    pub lr: f32,
    pub l2: f32,
    pub l1: f32,
    /// Features seen in fewer training lines are dropped.
    pub min_df: usize,
    /// Share of word features dropped at random from each training line.
    pub dropout: f32,
    /// Learn the [`TIED`] weights (the rules' scores, shared by every intent).
    pub tied: bool,
    /// Let the model answer every intent but select (through the tied
    /// weights), not only those its training lines label.
    pub open_answers: bool,
    /// Fit the confidence model on cross-fitted answers.
    pub calibrate: bool,
    /// L2 penalty of the confidence model.
    pub calibration_l2: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 30,
            lr: 0.03,
            l2: 1e-3,
            l1: 0.0,
            min_df: 2,
            dropout: 0.0,
            tied: true,
            open_answers: true,
            calibrate: true,
            // chosen on the validation fold (examples/held_out.rs
            // --validation): the least shrinkage with at most 10% of the
            // fold's and each unseen service's lines below 0.60, at an
            // expected calibration error no worse than with L2 1
            calibration_l2: 200.0,
        }
    }
}

impl TrainOptions {
    /// The options of the model shipped before the held-out work: 20 epochs
    /// at rate 0.1, no tied weights, no confidence model.
    pub fn before() -> TrainOptions {
        TrainOptions {
            epochs: 20,
            lr: 0.1,
            tied: false,
            open_answers: false,
            calibrate: false,
            ..TrainOptions::default()
        }
    }

    /// The options as one line, for the model file's header.
    pub fn describe(&self) -> String {
        format!(
            "epochs {}, lr {}, l2 {}, l1 {}, min-df {}, dropout {}, tied {}, open answers {}, \
             calibrated {} (l2 {})",
            self.epochs,
            self.lr,
            self.l2,
            self.l1,
            self.min_df,
            self.dropout,
            self.tied,
            self.open_answers,
            self.calibrate,
            self.calibration_l2
        )
    }
}

/// One labelled training line.
#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub now: DateTime<Tz>,
    pub feats: Features,
    pub targets: Vec<Intent>,
    /// A part of the corpus the confidence model's cross-fitting leaves out
    /// in turn: its domain ("sgd-train/Services_1") where the lines carry
    /// one, else its fold ("hasd-dev fold 3").
    pub group: String,
}

impl Example {
    pub fn new(text: &str, now: DateTime<Tz>, targets: Vec<Intent>, group: &str) -> Example {
        Example {
            text: text.to_string(),
            now,
            feats: super::features(text, now),
            targets,
            group: group.to_string(),
        }
    }
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

/// A deterministic pseudo-random sequence (the same model for the same lines).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0
    }
}

/// Trains on `data` and returns the model text (`header` lines first, each
/// prefixed with "# "): the re-scorer's weights, then (with
/// [`TrainOptions::calibrate`]) the confidence model's.
pub fn train(data: &[&Example], o: &TrainOptions, header: &str) -> String {
    let mut text = String::new();
    for line in header.lines() {
        let _ = writeln!(text, "# {line}");
    }
    text.push_str(&fit(data, o));
    if o.calibrate {
        let rows = cross_fitted(data, o);
        let w = fit_confidence(&rows, o.calibration_l2);
        for (k, name) in META.iter().enumerate() {
            let _ = writeln!(text, "{name}\t{}", (w[k] * 1000.0).round() as i64);
        }
    }
    text
}

/// The confidence model's training rows: every line answered by a
/// re-scorer trained without its group (its domain, or its fold where the
/// lines carry no domain), so the confidence learns how often answers are
/// right on a part of the data the re-scorer has not seen.
fn cross_fitted(data: &[&Example], o: &TrainOptions) -> Vec<(Meta, bool)> {
    let groups: BTreeSet<&str> = data.iter().map(|e| e.group.as_str()).collect();
    let mut rows = Vec::new();
    if groups.len() < 2 {
        return rows;
    }
    for g in groups {
        let rest: Vec<&Example> = data.iter().copied().filter(|e| e.group != g).collect();
        let m = Model::parse(&fit(&rest, o));
        for e in data.iter().filter(|e| e.group == g) {
            rows.extend(meta_for(&m, &e.text, e.now, &e.targets));
        }
    }
    rows
}

/// A logistic regression of "the answer is right" on the [`META`] features
/// (Newton's method, L2 `l2` on every weight but the bias).
fn fit_confidence(rows: &[(Meta, bool)], l2: f64) -> [f64; META.len()] {
    const D: usize = META.len();
    let mut w = [0f64; D];
    for _ in 0..50 {
        let mut g = [0f64; D];
        let mut h = [[0f64; D]; D];
        for (x, y) in rows {
            let z: f64 = w.iter().zip(x).map(|(w, x)| w * f64::from(*x)).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let r = p - f64::from(u8::from(*y));
            for i in 0..D {
                g[i] += r * f64::from(x[i]);
                for j in 0..D {
                    h[i][j] += p * (1.0 - p) * f64::from(x[i]) * f64::from(x[j]);
                }
            }
        }
        for i in 1..D {
            g[i] += l2 * w[i];
            h[i][i] += l2;
        }
        h[0][0] += 1e-6;
        let step = solve(h, g);
        let mut moved = 0f64;
        for i in 0..D {
            w[i] -= step[i];
            moved = moved.max(step[i].abs());
        }
        if moved < 1e-6 {
            break;
        }
    }
    w
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting (a zero
/// pivot leaves that unknown at 0).
fn solve<const D: usize>(mut a: [[f64; D]; D], mut b: [f64; D]) -> [f64; D] {
    for col in 0..D {
        let piv = (col..D)
            .max_by(|i, j| a[*i][col].abs().total_cmp(&a[*j][col].abs()))
            .unwrap_or(col);
        a.swap(col, piv);
        b.swap(col, piv);
        if a[col][col].abs() < 1e-12 {
            continue;
        }
        for r in col + 1..D {
            let f = a[r][col] / a[col][col];
            let pivot = a[col];
            for (x, p) in a[r].iter_mut().zip(pivot).skip(col) {
                *x -= f * p;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = [0f64; D];
    for r in (0..D).rev() {
        if a[r][r].abs() < 1e-12 {
            continue;
        }
        let s: f64 = (r + 1..D).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x
}

/// The re-scorer alone: the classes, answers and tied lines, then one line
/// per weighted feature.
fn fit(data: &[&Example], o: &TrainOptions) -> String {
    // vocabulary: features in at least min_df training lines
    let mut df: HashMap<&str, usize> = HashMap::new();
    for ex in data {
        let mut seen: Vec<&str> = ex.feats.keys.iter().map(|(k, _)| k.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        for k in seen {
            *df.entry(k).or_default() += 1;
        }
    }
    let mut vocab: Vec<&str> = df
        .iter()
        .filter(|(_, c)| **c >= o.min_df)
        .map(|(k, _)| *k)
        .collect();
    vocab.sort_unstable();
    let index: HashMap<&str, usize> = vocab.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let encoded: Vec<Vec<(usize, f32)>> = data
        .iter()
        .map(|e| {
            e.feats
                .keys
                .iter()
                .filter_map(|(k, v)| index.get(k.as_str()).map(|i| (*i, *v)))
                .collect()
        })
        .collect();
    let targets: Vec<Vec<usize>> = data
        .iter()
        .map(|e| e.targets.iter().map(|t| t.idx()).collect())
        .collect();

    // only the intents some training line accepts get weights
    let mut classes: Vec<usize> = targets.iter().flatten().copied().collect();
    classes.sort_unstable();
    classes.dedup();
    let answers: Vec<usize> = if o.tied && o.open_answers {
        Intent::ALL
            .iter()
            .filter(|i| **i != Intent::Select)
            .map(|i| i.idx())
            .collect()
    } else {
        classes.clone()
    };
    let droppable: Vec<bool> = vocab
        .iter()
        .map(|k| !(k.starts_with("r ") || k.starts_with("rs ")))
        .collect();
    let mut w = vec![[0f32; N]; vocab.len()];
    let mut g2 = vec![[1e-6f32; N]; vocab.len()];
    let mut tw = [0f32; TIED.len()];
    let mut tg2 = [1e-6f32; TIED.len()];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = Lcg(0x5eed);
    for _ in 0..o.epochs {
        for i in (1..order.len()).rev() {
            let j = (rng.next() >> 33) as usize % (i + 1);
            order.swap(i, j);
        }
        for &e in &order {
            // word-feature dropout: teaches the model to lean on the rule
            // scores as well as on the words it saw in training
            let feats: Vec<(usize, f32)> = encoded[e]
                .iter()
                .copied()
                .filter(|(f, _)| {
                    o.dropout <= 0.0
                        || !droppable[*f]
                        || ((rng.next() >> 40) as f32 / (1u64 << 24) as f32) >= o.dropout
                })
                .collect();
            let tied = &data[e].feats.tied;
            let mut p = [f32::MIN; N];
            for &c in &answers {
                p[c] = 0.0;
                if o.tied {
                    for (x, row) in tw.iter().zip(tied) {
                        p[c] += x * row[c];
                    }
                }
            }
            for &(f, v) in &feats {
                for &c in &classes {
                    p[c] += w[f][c] * v;
                }
            }
            softmax(&mut p);
            let mass: f32 = targets[e].iter().map(|t| p[*t]).sum();
            let mut grad = p;
            for t in &targets[e] {
                grad[*t] -= p[*t] / mass.max(1e-12);
            }
            for &(f, v) in &feats {
                for &c in &classes {
                    let g = grad[c] * v + o.l2 * w[f][c];
                    g2[f][c] += g * g;
                    let step = o.lr / g2[f][c].sqrt();
                    let x = w[f][c] - step * g;
                    // proximal L1 step: small weights become exactly zero
                    w[f][c] = x.signum() * (x.abs() - o.l1 * step).max(0.0);
                }
            }
            if o.tied {
                for (j, row) in tied.iter().enumerate() {
                    let g: f32 =
                        answers.iter().map(|c| grad[*c] * row[*c]).sum::<f32>() + o.l2 * tw[j];
                    tg2[j] += g * g;
                    tw[j] -= o.lr / tg2[j].sqrt() * g;
                }
            }
        }
    }

    let names = |cs: &[usize]| -> String {
        cs.iter()
            .map(|c| Intent::ALL[*c].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut text = String::new();
    let _ = writeln!(text, "classes\t{}", names(&classes));
    if o.tied {
        let _ = writeln!(text, "answers\t{}", names(&answers));
        for (name, x) in TIED.iter().zip(tw) {
            let _ = writeln!(text, "{name}\t{}", (x * 1000.0).round() as i32);
        }
    }
    for (f, key) in vocab.iter().enumerate() {
        let milli: Vec<i32> = classes
            .iter()
            .map(|c| (w[f][*c] * 1000.0).round() as i32)
            .collect();
        if milli.iter().any(|m| *m != 0) {
            let cols: Vec<String> = milli.iter().map(i32::to_string).collect();
            let _ = writeln!(text, "{key}\t{}", cols.join(" "));
        }
    }
    text
}
