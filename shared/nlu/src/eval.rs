//! Corpus tools: `parse_lines` (JSON lines in, understandings out) and
//! `evaluate` (score labelled JSON-lines corpora and render a table).
//!
//! Owns: the line formats, the scoring rules and the thresholds check. A
//! message that names a range ("next week") reports date null, so it is
//! scored as naming no single date. Throughput counts only the time spent
//! in [`crate::understand`], not JSON parsing.
//! Must not: be used on the request path (it reads files), or panic on bad
//! input lines (a bad line yields an "error" field).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::train::{Example, TrainOptions, train};
use crate::model::{Model, fold};
use crate::{DEFAULT_LLM_THRESHOLD, Intent, Understanding, understand, understand_with};

/// Errors of [`evaluate`].
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    BadLine {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Targets checked by [`EvalReport::failures`] (fractions, and msgs/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub min_intent: f64,
    pub min_date: f64,
    pub min_time: f64,
    pub max_false_positive: f64,
    pub min_throughput: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_intent: 0.95,
            min_date: 0.97,
            min_time: 0.98,
            max_false_positive: 0.01,
            min_throughput: 50_000.0,
        }
    }
}

/// Options of [`evaluate_with`].
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions {
    /// Lines whose confidence is below this are counted as LLM calls.
    pub llm_threshold: f32,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            llm_threshold: DEFAULT_LLM_THRESHOLD,
        }
    }
}

/// Counts for one file (or the total).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    pub name: String,
    pub lines: usize,
    pub intent_judged: usize,
    pub intent_ok: usize,
    pub date_judged: usize,
    pub date_ok: usize,
    pub date_none_judged: usize,
    pub date_false_positive: usize,
    pub time_judged: usize,
    pub time_ok: usize,
    pub time_none_judged: usize,
    pub time_false_positive: usize,
    pub below_threshold: usize,
    pub elapsed: Duration,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Score {
    pub fn intent_accuracy(&self) -> Option<f64> {
        ratio(self.intent_ok, self.intent_judged)
    }
    pub fn date_accuracy(&self) -> Option<f64> {
        ratio(self.date_ok, self.date_judged)
    }
    pub fn time_accuracy(&self) -> Option<f64> {
        ratio(self.time_ok, self.time_judged)
    }
    pub fn date_fp_rate(&self) -> Option<f64> {
        ratio(self.date_false_positive, self.date_none_judged)
    }
    pub fn time_fp_rate(&self) -> Option<f64> {
        ratio(self.time_false_positive, self.time_none_judged)
    }
    pub fn throughput(&self) -> Option<f64> {
        let s = self.elapsed.as_secs_f64();
        (s > 0.0).then(|| self.lines as f64 / s)
    }
    fn add(&mut self, o: &Score) {
        self.lines += o.lines;
        self.intent_judged += o.intent_judged;
        self.intent_ok += o.intent_ok;
        self.date_judged += o.date_judged;
        self.date_ok += o.date_ok;
        self.date_none_judged += o.date_none_judged;
        self.date_false_positive += o.date_false_positive;
        self.time_judged += o.time_judged;
        self.time_ok += o.time_ok;
        self.time_none_judged += o.time_none_judged;
        self.time_false_positive += o.time_false_positive;
        self.below_threshold += o.below_threshold;
        self.elapsed += o.elapsed;
    }
}

/// One line the understanding got wrong (for error analysis).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub id: String,
    pub text: String,
    pub field: &'static str,
    pub expected: String,
    pub got: String,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    pub files: Vec<Score>,
    pub total: Score,
    pub llm_threshold: f32,
    pub mismatches: Vec<Mismatch>,
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{:.2}%", v * 100.0))
}

impl EvalReport {
    /// A plain-text table: one row per file and a total row.
    pub fn render_table(&self) -> String {
        let mut s = format!(
            "{:<22} {:>6} {:>9} {:>9} {:>9} {:>8} {:>8} {:>10} {:>10}\n",
            "file",
            "lines",
            "intent",
            "date",
            "time",
            "date FP",
            "time FP",
            "msgs/s",
            format!("conf<{:.2}", self.llm_threshold)
        );
        for sc in self.files.iter().chain(std::iter::once(&self.total)) {
            s.push_str(&format!(
                "{:<22} {:>6} {:>9} {:>9} {:>9} {:>8} {:>8} {:>10} {:>10}\n",
                sc.name,
                sc.lines,
                pct(sc.intent_accuracy()),
                pct(sc.date_accuracy()),
                pct(sc.time_accuracy()),
                pct(sc.date_fp_rate()),
                pct(sc.time_fp_rate()),
                sc.throughput()
                    .map_or("-".to_string(), |t| format!("{t:.0}")),
                format!(
                    "{} ({})",
                    sc.below_threshold,
                    pct(ratio(sc.below_threshold, sc.lines))
                ),
            ));
        }
        s
    }

    /// The targets the total misses, as sentences (empty when all are met).
    pub fn failures(&self, t: &Thresholds) -> Vec<String> {
        let mut out = Vec::new();
        let tot = &self.total;
        let mut min = |name: &str, v: Option<f64>, target: f64| {
            if let Some(v) = v
                && v < target
            {
                out.push(format!("{name} {:.2}% < {:.2}%", v * 100.0, target * 100.0));
            }
        };
        min("intent accuracy", tot.intent_accuracy(), t.min_intent);
        min("date accuracy", tot.date_accuracy(), t.min_date);
        min("time accuracy", tot.time_accuracy(), t.min_time);
        for (name, v) in [
            ("date false-positive rate", tot.date_fp_rate()),
            ("time false-positive rate", tot.time_fp_rate()),
        ] {
            if let Some(v) = v
                && v > t.max_false_positive
            {
                out.push(format!(
                    "{name} {:.2}% > {:.2}%",
                    v * 100.0,
                    t.max_false_positive * 100.0
                ));
            }
        }
        if let Some(tp) = tot.throughput()
            && tp < t.min_throughput
        {
            out.push(format!(
                "throughput {tp:.0} msgs/s < {:.0}",
                t.min_throughput
            ));
        }
        out
    }
}

/// Parses "now" (local naive "2019-03-01T09:00:00" or RFC 3339) in `tz`.
pub fn parse_now(now: &str, tz: Tz) -> Result<DateTime<Tz>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(now) {
        return Ok(t.with_timezone(&tz));
    }
    let naive = NaiveDateTime::parse_from_str(now, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(now, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(now, "%Y-%m-%d %H:%M:%S"))
        .map_err(|e| format!("bad now {now:?}: {e}"))?;
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => Ok(t),
        chrono::LocalResult::Ambiguous(t, _) => Ok(t),
        chrono::LocalResult::None => naive
            .checked_add_signed(chrono::Duration::hours(1))
            .and_then(|later| tz.from_local_datetime(&later).earliest())
            .ok_or_else(|| format!("now {now:?} does not exist in {tz}")),
    }
}

#[derive(Deserialize)]
struct Input {
    text: String,
    now: String,
    timezone: String,
}

fn parse_input(line: &str) -> Result<(String, DateTime<Tz>), String> {
    let inp: Input = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let tz: Tz = inp
        .timezone
        .parse()
        .map_err(|e| format!("bad timezone {:?}: {e}", inp.timezone))?;
    let now = parse_now(&inp.now, tz)?;
    Ok((inp.text, now))
}

/// The output line for one understanding.
pub fn to_json(u: &Understanding) -> Value {
    let fmt_t = |t: chrono::NaiveTime| t.format("%H:%M").to_string();
    let fmt_d = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    json!({
        "intent": u.intent.as_str(),
        "date": u.date.map(fmt_d),
        "time": u.time.map(fmt_t),
        "confidence": (f64::from(u.confidence) * 1000.0).round() / 1000.0,
        "date_range": u.date_range.map(|(a, b)| [fmt_d(a), fmt_d(b)]),
        "time_range": u.time_range.map(|(a, b)| [fmt_t(a), fmt_t(b)]),
        "selection": u.selection,
        "direction": u.direction,
    })
}

/// `smsbot nlu parse`: one JSON line in ({"text","now","timezone"}), one
/// JSON line out, in order. A bad line (invalid UTF-8 included) yields
/// {"error": ...} and the lines after it are still answered.
pub fn parse_lines(mut input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if input.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        // What `BufRead::lines` strips: the "\n" and a "\r" before it.
        let line = raw.strip_suffix(b"\n").unwrap_or(&raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let out = match std::str::from_utf8(line) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => match parse_input(line) {
                Ok((text, now)) => to_json(&understand(&text, now)),
                Err(e) => json!({ "error": e }),
            },
            Err(_) => json!({ "error": "the line is not valid UTF-8" }),
        };
        writeln!(output, "{out}")?;
    }
    output.flush()
}

/// Scores corpora with the default options.
pub fn evaluate(paths: &[PathBuf]) -> Result<EvalReport, EvalError> {
    evaluate_with(paths, EvalOptions::default())
}

struct Case {
    id: String,
    text: String,
    now: DateTime<Tz>,
    intents: Option<Vec<String>>,
    date: Expect,
    time: Expect,
    /// The line's "source" field ("sgd train Services_2"), empty when absent.
    source: String,
}

enum Expect {
    Skip,
    None,
    Value(String),
}

fn expect_of(v: Option<&Value>) -> Expect {
    match v {
        None | Some(Value::Null) => Expect::None,
        Some(Value::String(s)) if s == "?" => Expect::Skip,
        Some(Value::String(s)) => Expect::Value(s.clone()),
        Some(_) => Expect::Skip,
    }
}

fn read_cases(path: &Path) -> Result<Vec<Case>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| EvalError::BadLine {
            path: path.to_path_buf(),
            line: n + 1,
            message,
        };
        let v: Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let (text, now) = parse_input(line).map_err(bad)?;
        let e = v.get("expect");
        let intents = e
            .and_then(|e| e.get("intents"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
        cases.push(Case {
            id: v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            text,
            now,
            intents,
            date: expect_of(e.and_then(|e| e.get("date"))),
            time: expect_of(e.and_then(|e| e.get("time"))),
            source: v
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(cases)
}

/// Scores corpora (format in the testdata README).
pub fn evaluate_with(paths: &[PathBuf], opts: EvalOptions) -> Result<EvalReport, EvalError> {
    let mut report = EvalReport {
        llm_threshold: opts.llm_threshold,
        ..EvalReport::default()
    };
    report.total.name = "total".to_string();
    for path in paths {
        let cases = read_cases(path)?;
        let start = Instant::now();
        let results: Vec<Understanding> =
            cases.iter().map(|c| understand(&c.text, c.now)).collect();
        let elapsed = start.elapsed();
        let mut sc = Score {
            name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            lines: cases.len(),
            elapsed,
            ..Score::default()
        };
        for (c, u) in cases.iter().zip(&results) {
            if u.low_confidence(opts.llm_threshold) {
                sc.below_threshold += 1;
            }
            let mut miss = |field: &'static str, expected: String, got: String| {
                report.mismatches.push(Mismatch {
                    id: c.id.clone(),
                    text: c.text.clone(),
                    field,
                    expected,
                    got,
                });
            };
            if let Some(intents) = &c.intents {
                sc.intent_judged += 1;
                if intents.iter().any(|i| i == u.intent.as_str()) {
                    sc.intent_ok += 1;
                } else {
                    miss("intent", intents.join("|"), u.intent.to_string());
                }
            }
            let got_d = u.date.map(|d| d.format("%Y-%m-%d").to_string());
            match &c.date {
                Expect::Skip => {}
                Expect::None => {
                    sc.date_none_judged += 1;
                    if let Some(g) = got_d {
                        sc.date_false_positive += 1;
                        miss("date", "null".into(), g);
                    }
                }
                Expect::Value(v) => {
                    sc.date_judged += 1;
                    if got_d.as_deref() == Some(v.as_str()) {
                        sc.date_ok += 1;
                    } else {
                        miss("date", v.clone(), got_d.unwrap_or_else(|| "null".into()));
                    }
                }
            }
            let got_t = u.time.map(|t| t.format("%H:%M").to_string());
            match &c.time {
                Expect::Skip => {}
                Expect::None => {
                    sc.time_none_judged += 1;
                    if let Some(g) = got_t {
                        sc.time_false_positive += 1;
                        miss("time", "null".into(), g);
                    }
                }
                Expect::Value(v) => {
                    sc.time_judged += 1;
                    if got_t.as_deref() == Some(v.as_str()) {
                        sc.time_ok += 1;
                    } else {
                        miss("time", v.clone(), got_t.unwrap_or_else(|| "null".into()));
                    }
                }
            }
        }
        report.total.add(&sc);
        report.files.push(sc);
    }
    Ok(report)
}

// ---------------------------------------------------------------------------
// Held-out evaluation: train the re-scorer on some sources, score the others.

/// The fold on which options are chosen ([`HeldOutOptions::validation`]);
/// fold 0 is the final model's test fold ([`crate::model::held_out`]).
pub const VALIDATION_FOLD: u8 = 1;

/// Options of [`held_out_by_source`].
#[derive(Debug, Clone, Copy)]
pub struct HeldOutOptions {
    /// Lines whose confidence is below this are counted as LLM calls.
    pub llm_threshold: f32,
    /// How each split's model is trained.
    pub train: TrainOptions,
    /// Score the validation fold instead of the test lines: every split then
    /// trains on folds 2-4 of its training side and scores fold 1 of its test
    /// side. Options and rules are chosen this way, never on the test lines.
    pub validation: bool,
}

impl Default for HeldOutOptions {
    fn default() -> Self {
        HeldOutOptions {
            llm_threshold: DEFAULT_LLM_THRESHOLD,
            train: TrainOptions::default(),
            validation: false,
        }
    }
}

/// The figures of one held-out split.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HeldOutRow {
    /// "sgd-train -> hasd-dev", "rest -> sgd-train/Services_1", "folds 1-4 -> fold 0".
    pub split: String,
    /// "corpus", "domain" or "fold"; "part" for one corpus of a split that
    /// tests several.
    pub kind: &'static str,
    /// Intent-judged lines the split's model was trained on.
    pub train_lines: usize,
    /// Test lines (judged or not).
    pub lines: usize,
    /// Test lines whose confidence is below the threshold.
    pub below: usize,
    pub judged: usize,
    pub correct: usize,
    /// Judged lines the rules alone (no model) get right.
    pub rules_correct: usize,
    /// Judged lines below the threshold.
    pub judged_below: usize,
    /// Judged lines at or above the threshold that are right.
    pub correct_above: usize,
    /// (confidence, right, labelled with an intent the training lines
    /// have, right by the rules alone) of every judged test line.
    #[serde(skip)]
    pub scored: Vec<(f32, bool, bool, bool)>,
}

impl HeldOutRow {
    fn add(
        &mut self,
        c: &Case,
        u: &Understanding,
        rules: &Understanding,
        low: bool,
        shared: Option<bool>,
    ) {
        self.lines += 1;
        self.below += usize::from(low);
        let (Some(intents), Some(shared)) = (&c.intents, shared) else {
            return;
        };
        let right = |i: Intent| intents.iter().any(|n| n == i.as_str());
        let ok = right(u.intent);
        self.judged += 1;
        self.correct += usize::from(ok);
        self.judged_below += usize::from(low);
        self.correct_above += usize::from(ok && !low);
        let rules_ok = right(rules.intent);
        self.rules_correct += usize::from(rules_ok);
        self.scored.push((u.confidence, ok, shared, rules_ok));
    }

    fn merge(&mut self, o: &HeldOutRow) {
        self.lines += o.lines;
        self.below += o.below;
        self.judged += o.judged;
        self.correct += o.correct;
        self.rules_correct += o.rules_correct;
        self.judged_below += o.judged_below;
        self.correct_above += o.correct_above;
        self.scored.extend_from_slice(&o.scored);
    }

    pub fn intent_accuracy(&self) -> Option<f64> {
        ratio(self.correct, self.judged)
    }
    pub fn rules_accuracy(&self) -> Option<f64> {
        ratio(self.rules_correct, self.judged)
    }
    /// Share of all test lines below the threshold (LLM calls).
    pub fn below_share(&self) -> Option<f64> {
        ratio(self.below, self.lines)
    }
    /// Share of the judged test lines below the threshold.
    pub fn judged_below_share(&self) -> Option<f64> {
        ratio(self.judged_below, self.judged)
    }
    /// Accuracy of the answers the bot would act on without the LLM.
    pub fn accuracy_above(&self) -> Option<f64> {
        ratio(self.correct_above, self.judged - self.judged_below)
    }
}

/// The result of [`held_out_by_source`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct HeldOutReport {
    pub rows: Vec<HeldOutRow>,
    pub llm_threshold: f32,
    pub validation: bool,
}

/// Reliability buckets: lower bounds of the confidence ranges.
const BUCKETS: [f32; 7] = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97];

impl HeldOutReport {
    /// The table of splits, the same on the test lines labelled with an
    /// intent the training lines have, then a reliability table (accuracy by
    /// confidence bucket) for each kind of split.
    pub fn render(&self) -> String {
        let th = self.llm_threshold;
        let header = |first: &str| {
            format!(
                "{:<36} {:>6} {:>6} {:>7} {:>8} {:>8} {:>11} {:>11} {:>10}\n",
                first,
                "train",
                "test",
                "judged",
                "intent",
                "rules",
                format!("<{th:.2} all"),
                format!("<{th:.2} jdg"),
                format!("acc>={th:.2}"),
            )
        };
        let mut s = header("split (train -> test)");
        for r in &self.rows {
            s.push_str(&format!(
                "{:<36} {:>6} {:>6} {:>7} {:>8} {:>8} {:>11} {:>11} {:>10}\n",
                r.split,
                r.train_lines,
                r.lines,
                r.judged,
                pct(r.intent_accuracy()),
                pct(r.rules_accuracy()),
                pct(r.below_share()),
                pct(r.judged_below_share()),
                pct(r.accuracy_above()),
            ));
        }
        s.push_str("\nthe test lines labelled with an intent the training lines have:\n");
        s.push_str(&header("split (train -> test)"));
        for r in &self.rows {
            let sc: Vec<&(f32, bool, bool, bool)> = r.scored.iter().filter(|x| x.2).collect();
            let n = sc.len();
            let ok = sc.iter().filter(|x| x.1).count();
            let rules_ok = sc.iter().filter(|x| x.3).count();
            let below = sc.iter().filter(|x| x.0 < th).count();
            let ok_above = sc.iter().filter(|x| x.1 && x.0 >= th).count();
            s.push_str(&format!(
                "{:<36} {:>6} {:>6} {:>7} {:>8} {:>8} {:>11} {:>11} {:>10}\n",
                r.split,
                r.train_lines,
                "-",
                n,
                pct(ratio(ok, n)),
                pct(ratio(rules_ok, n)),
                "-",
                pct(ratio(below, n)),
                pct(ratio(ok_above, n - below)),
            ));
        }
        for kind in ["corpus", "domain", "fold"] {
            let scored: Vec<(f32, bool)> = self
                .rows
                .iter()
                .filter(|r| r.kind == kind)
                .flat_map(|r| r.scored.iter().map(|x| (x.0, x.1)))
                .collect();
            if scored.is_empty() {
                continue;
            }
            let n = scored.len() as f64;
            let brier = scored
                .iter()
                .map(|(c, r)| (f64::from(*c) - f64::from(u8::from(*r))).powi(2))
                .sum::<f64>()
                / n;
            let mut ece = 0.0;
            let mut table = String::new();
            for (k, lo) in BUCKETS.iter().enumerate() {
                let hi = BUCKETS.get(k + 1).copied().unwrap_or(f32::INFINITY);
                let b: Vec<&(f32, bool)> = scored
                    .iter()
                    .filter(|(c, _)| *c >= *lo && *c < hi)
                    .collect();
                let bn = b.len();
                let mean = b.iter().map(|(c, _)| f64::from(*c)).sum::<f64>() / bn.max(1) as f64;
                let ok = b.iter().filter(|(_, r)| *r).count();
                ece += (mean - ok as f64 / bn.max(1) as f64).abs() * bn as f64 / n;
                let range = if hi.is_finite() {
                    format!("{lo:.2}-{hi:.2}")
                } else {
                    format!("{lo:.2}-1.00")
                };
                table.push_str(&format!(
                    "{range:<12} {bn:>6} {:>9} {:>9}\n",
                    if bn > 0 {
                        format!("{mean:.3}")
                    } else {
                        "-".into()
                    },
                    pct(ratio(ok, bn))
                ));
            }
            s.push_str(&format!(
                "\nreliability, {kind} splits pooled ({} judged lines; expected calibration error \
                 {ece:.3}, Brier {brier:.3})\n{:<12} {:>6} {:>9} {:>9}\n{table}",
                scored.len(),
                "confidence",
                "lines",
                "mean conf",
                "accuracy"
            ));
        }
        s
    }
}

/// A labelled line and where it comes from.
struct SourcedLine {
    case: Case,
    corpus: String,
    domain: Option<String>,
    fold: u8,
    example: Option<Example>,
}

/// The "domain" of each line of one corpus: the last word of its source
/// field ("Services_2"), when that word is not just the label (each value
/// covers several intents), else None.
fn domains(cases: &[Case]) -> Vec<Option<String>> {
    let last = |c: &Case| {
        c.source
            .split(' ')
            .next_back()
            .unwrap_or_default()
            .to_string()
    };
    let mut intents_by: std::collections::BTreeMap<String, Vec<&Vec<String>>> =
        std::collections::BTreeMap::new();
    for c in cases {
        if let Some(i) = &c.intents {
            let e = intents_by.entry(last(c)).or_default();
            if !e.contains(&i) {
                e.push(i);
            }
        }
    }
    let meaningful = intents_by.len() >= 2 && intents_by.values().all(|v| v.len() >= 2);
    cases.iter().map(|c| meaningful.then(|| last(c))).collect()
}

/// Every line of the corpora with its corpus (the file name without
/// extension), fold, domain and, when it has an intent label, its training
/// example (grouped by domain, or by fold where the lines carry no domain).
fn sourced_lines(paths: &[PathBuf]) -> Result<Vec<SourcedLine>, EvalError> {
    let mut lines = Vec::new();
    for path in paths {
        let corpus = path.file_stem().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let cases = read_cases(path)?;
        let doms = domains(&cases);
        for (case, domain) in cases.into_iter().zip(doms) {
            let k = fold(&case.id);
            let domain = domain.map(|d| format!("{corpus}/{d}"));
            let group = domain
                .clone()
                .unwrap_or_else(|| format!("{corpus} fold {k}"));
            let example = case.intents.as_ref().and_then(|i| {
                let targets: Vec<Intent> = i.iter().filter_map(|n| Intent::from_name(n)).collect();
                (!targets.is_empty()).then(|| Example::new(&case.text, case.now, targets, &group))
            });
            lines.push(SourcedLine {
                fold: k,
                domain,
                corpus: corpus.clone(),
                case,
                example,
            });
        }
    }
    Ok(lines)
}

/// An intent-labelled line as a training example, with its corpus and fold.
pub struct TrainingLine {
    /// The file name without extension ("sgd-train").
    pub corpus: String,
    pub fold: u8,
    pub example: Example,
}

/// The intent-labelled lines of the corpora as training examples (what
/// `examples/train_intent.rs` trains the embedded model on, folds 1-4).
pub fn training_lines(paths: &[PathBuf]) -> Result<Vec<TrainingLine>, EvalError> {
    Ok(sourced_lines(paths)?
        .into_iter()
        .filter_map(|l| {
            Some(TrainingLine {
                corpus: l.corpus,
                fold: l.fold,
                example: l.example?,
            })
        })
        .collect())
}

/// Trains the intent re-scorer on some sources and scores it on the others:
/// leave one corpus (file) out, leave one domain (the source field's last
/// word, where it is not the label) out, and the random fold 0 the shipped
/// model never trains on. Cross splits test on every fold but
/// [`VALIDATION_FOLD`]; with [`HeldOutOptions::validation`] they train on
/// folds 2-4 and test on fold 1 instead.
pub fn held_out_by_source(
    paths: &[PathBuf],
    opts: HeldOutOptions,
) -> Result<HeldOutReport, EvalError> {
    let lines = sourced_lines(paths)?;
    let v = opts.validation;
    // the training side: folds 2-4 when validating, else every fold
    let train_fold = |f: u8| !v || f > VALIDATION_FOLD;
    let test_fold = |f: u8| {
        if v {
            f == VALIDATION_FOLD
        } else {
            f != VALIDATION_FOLD
        }
    };
    type Pick<'a> = Box<dyn Fn(&SourcedLine) -> bool + 'a>;
    let mut splits: Vec<(String, &'static str, Pick, Pick)> = Vec::new();
    let mut corpora: Vec<String> = lines.iter().map(|l| l.corpus.clone()).collect();
    corpora.dedup();
    if corpora.len() >= 2 {
        for c in &corpora {
            let rest: Vec<&str> = corpora
                .iter()
                .filter(|o| *o != c)
                .map(String::as_str)
                .collect();
            let (c1, c2) = (c.clone(), c.clone());
            splits.push((
                format!("{} -> {c}", rest.join("+")),
                "corpus",
                Box::new(move |l| l.corpus != c1 && train_fold(l.fold)),
                Box::new(move |l| l.corpus == c2 && test_fold(l.fold)),
            ));
        }
    }
    let mut doms: Vec<String> = lines.iter().filter_map(|l| l.domain.clone()).collect();
    doms.sort();
    doms.dedup();
    for d in doms {
        let d2 = d.clone();
        splits.push((
            format!("rest -> {d}"),
            "domain",
            Box::new(move |l| l.domain.as_deref() != Some(&d) && train_fold(l.fold)),
            Box::new(move |l| l.domain.as_deref() == Some(&d2) && test_fold(l.fold)),
        ));
    }
    let (tr, te) = if v { ("2-4", 1) } else { ("1-4", 0) };
    splits.push((
        format!("folds {tr} -> fold {te}"),
        "fold",
        Box::new(move |l| l.fold != 0 && train_fold(l.fold)),
        Box::new(move |l| l.fold == te),
    ));

    let rules_only = Model::parse("");
    let mut report = HeldOutReport {
        llm_threshold: opts.llm_threshold,
        validation: v,
        ..HeldOutReport::default()
    };
    for (split, kind, train_pick, test_pick) in splits {
        let train_set: Vec<&Example> = lines
            .iter()
            .filter(|l| train_pick(l))
            .filter_map(|l| l.example.as_ref())
            .collect();
        let model = Model::parse(&train(&train_set, &opts.train, ""));
        let known: Vec<Intent> = train_set.iter().flat_map(|e| e.targets.clone()).collect();
        // the split as a whole, then (when it tests several corpora) each one
        let mut rows: Vec<HeldOutRow> = Vec::new();
        let total = HeldOutRow {
            split: split.clone(),
            kind,
            train_lines: train_set.len(),
            ..HeldOutRow::default()
        };
        for l in lines.iter().filter(|l| test_pick(l)) {
            let u = understand_with(&model, &l.case.text, l.case.now);
            let rules = understand_with(&rules_only, &l.case.text, l.case.now);
            let name = format!("  {split}: {}", l.corpus);
            let k = match rows.iter().position(|r| r.split == name) {
                Some(k) => k,
                None => {
                    rows.push(HeldOutRow {
                        split: name,
                        kind: "part",
                        train_lines: train_set.len(),
                        ..HeldOutRow::default()
                    });
                    rows.len() - 1
                }
            };
            let low = u.low_confidence(opts.llm_threshold);
            let shared = l.case.intents.as_ref().map(|intents| {
                intents
                    .iter()
                    .any(|n| Intent::from_name(n).is_some_and(|i| known.contains(&i)))
            });
            rows[k].add(&l.case, &u, &rules, low, shared);
        }
        let mut total = rows.iter().fold(total, |mut t, r| {
            t.merge(r);
            t
        });
        total.split = split;
        report.rows.push(total);
        if rows.len() > 1 {
            report.rows.extend(rows);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_lines_answers_each_line_and_reports_bad_ones() {
        let input = concat!(
            r#"{"text":"tmrw @ 3pm pls","now":"2019-03-01T09:00:00","timezone":"America/Los_Angeles"}"#,
            "\n",
            "not json\n",
            r#"{"text":"cancel","now":"2019-03-01T17:00:00Z","timezone":"Mars/Olympus"}"#,
            "\n"
        );
        let mut out = Vec::new();
        parse_lines(input.as_bytes(), &mut out).expect("writes to a Vec");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["date"], "2019-03-02");
        assert_eq!(lines[0]["time"], "15:00");
        assert!(lines[1].get("error").is_some());
        assert!(lines[2].get("error").is_some());
    }

    #[test]
    fn rfc3339_now_is_converted_to_the_business_timezone() {
        let tz: Tz = "America/Los_Angeles".parse().expect("known tz");
        let now = parse_now("2019-03-02T03:00:00Z", tz).expect("parses");
        assert_eq!(now.date_naive().to_string(), "2019-03-01");
    }
}
