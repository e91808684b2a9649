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

use crate::{DEFAULT_LLM_THRESHOLD, Understanding, understand};

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
