//! Learned intent re-scoring: a small multinomial logistic model over word
//! features and the lexicon rules' scores.
//!
//! Owns: the feature extraction (words, word pairs, first and last word,
//! five-letter prefixes for typo tolerance, the rules' scores and answer,
//! whether a date or time was found), the embedded weights
//! (`intent_model.txt`, written by `examples/train_intent.rs` from the
//! training part of the dev sets; the held-out part is every line whose
//! [`held_out`] is true), the choice between the model and the rules, and so
//! the full intent classification ([`classify`]: the rules, then the model).
//! It builds on `intent` (types and lexicon rules) and `prepare`, never the
//! other way round, so the trainer can read the features without the
//! classification they feed.
//! Must not: read files at run time, keep per-sentence tables (features seen
//! in fewer than two training lines are dropped by the trainer), or allocate
//! per feature on the request path (features are hashed, not built as
//! strings).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use chrono::DateTime;
use chrono_tz::Tz;

use crate::intent::{Classified, Found, Intent, N, classify_rules};
use crate::prepare::prepare;
use crate::tokens::{Tok, number_word, ordinal_word};

/// The embedded weights: one feature a line, `key<TAB>intent=weight ...`.
const MODEL: &str = include_str!("intent_model.txt");

/// True for the lines kept out of training (one in five, by a hash of the
/// line id): the held-out split the README reports.
pub fn held_out(id: &str) -> bool {
    fold(id) == 0
}

/// The line's fold, 0..5, by a hash of its id (fold 0 is held out).
pub fn fold(id: &str) -> u8 {
    (fnv(&[id.as_bytes()]) % 5) as u8
}

fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, p) in parts.iter().enumerate() {
        if k > 0 {
            h ^= u64::from(b' ');
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// A token as the model sees it: words as themselves, numbers and
/// punctuation as placeholders.
fn tok_key(t: &Tok) -> &str {
    match t {
        Tok::Word(w) => w.as_str(),
        Tok::Num(..) => "#n",
        Tok::Clock(..) => "#t",
        Tok::Ordinal(..) => "#o",
        Tok::Slash(..) => "#d",
        Tok::Id => "#id",
        Tok::Punct('?') => "?",
        Tok::Punct('.' | '!') => ".",
        Tok::Punct(_) => ",",
    }
}

/// Strips a common inflection from a long word ("cancelling" -> "cancell").
fn stem(w: &str) -> Option<&str> {
    if w.len() < 6 || !w.is_ascii() {
        return None;
    }
    ["ing", "ed", "es", "s"]
        .iter()
        .find_map(|suf| w.strip_suffix(suf))
}

/// Calls `f(parts, value)` for every feature of a message. The feature's key
/// is its parts joined by single spaces.
fn for_each_feature(
    toks: &[Tok],
    found: Found,
    score: &[f32; N],
    rule: Intent,
    mut f: impl FnMut(&[&str], f32),
) {
    f(&["bias"], 1.0);
    let keys: Vec<&str> = toks.iter().map(tok_key).collect();
    let n_words = toks.iter().filter(|t| t.word().is_some()).count();
    let len = match n_words {
        0 => "0",
        1 => "1",
        2 => "2",
        3 => "3",
        4..=6 => "4-6",
        7..=10 => "7-10",
        _ => "11+",
    };
    f(&["len", len], 1.0);
    if let Some(first) = keys.first() {
        f(&["f", first], 1.0);
    }
    if let Some(last) = keys.iter().rev().find(|k| !matches!(**k, "." | "," | "?")) {
        f(&["l", last], 1.0);
    }
    for (k, w) in keys.iter().enumerate() {
        f(&["w", w], 1.0);
        if let Some(s) = stem(w) {
            f(&["s", s], 1.0);
        }
        if w.len() >= 6 && w.is_ascii() {
            f(&["p", &w[..5]], 1.0);
        }
        let prev = if k == 0 { "^" } else { keys[k - 1] };
        f(&["b", prev, w], 1.0);
    }
    if let Some(last) = keys.last() {
        f(&["b", last, "$"], 1.0);
    }
    f(&["r", rule.as_str()], 1.0);
    for i in Intent::ALL {
        let s = score[i.idx()];
        if s != 0.0 {
            f(&["rs", i.as_str()], (s / 4.0).clamp(-2.0, 2.0));
        }
    }
    if found.has_date {
        f(&["date"], 1.0);
    }
    if found.has_time {
        f(&["time"], 1.0);
    }
    if found.exact_time {
        f(&["clock"], 1.0);
    }
}

/// The features of a message as `(key, value)` pairs, for the trainer.
pub fn features(text: &str, now: DateTime<Tz>) -> Vec<(String, f32)> {
    let p = prepare(text, now);
    let (rule, score) = classify_rules(&p.toks, p.found);
    let mut out = Vec::new();
    for_each_feature(&p.toks, p.found, &score, rule.intent, |parts, v| {
        out.push((parts.join(" "), v));
    });
    out
}

/// The lexicon rules' intent for a message, for the trainer's comparison.
pub fn rule_intent(text: &str, now: DateTime<Tz>) -> Intent {
    let p = prepare(text, now);
    classify_rules(&p.toks, p.found).0.intent
}

/// The weights and the intents they score (an intent with no column is
/// never the model's answer).
struct Model {
    classes: Vec<Intent>,
    weights: HashMap<u64, Vec<f32>, BuildHasherDefault<KeyHasher>>,
}

/// The keys are already FNV hashes: use them as they are.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| parse_model(MODEL))
}

/// Parses the model text; malformed lines are skipped.
fn parse_model(text: &str) -> Model {
    let mut classes = Vec::new();
    let mut weights = HashMap::default();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((key, rest)) = line.split_once('\t') else {
            continue;
        };
        if key == "classes" {
            classes = rest.split(' ').filter_map(Intent::from_name).collect();
            continue;
        }
        let w: Vec<f32> = rest
            .split(' ')
            .map(|v| v.parse::<i32>().map_or(0.0, |m| m as f32 / 1000.0))
            .collect();
        if w.len() != classes.len() {
            continue;
        }
        let parts: Vec<&[u8]> = key.split(' ').map(str::as_bytes).collect();
        weights.insert(fnv(&parts), w);
    }
    Model { classes, weights }
}

/// The model's probability of every intent (None when no model is embedded).
fn probabilities(toks: &[Tok], found: Found, score: &[f32; N], rule: Intent) -> Option<[f32; N]> {
    let m = model();
    if m.classes.is_empty() {
        return None;
    }
    let k = m.classes.len();
    let mut acc = [0f32; N];
    for_each_feature(toks, found, score, rule, |parts, v| {
        let mut bytes: [&[u8]; 3] = [&[]; 3];
        for (b, p) in bytes.iter_mut().zip(parts) {
            *b = p.as_bytes();
        }
        if let Some(ws) = m.weights.get(&fnv(&bytes[..parts.len().min(3)])) {
            for (l, x) in acc[..k].iter_mut().zip(ws) {
                *l += x * v;
            }
        }
    });
    let mut logit = [f32::MIN; N];
    for (c, a) in m.classes.iter().zip(acc) {
        logit[c.idx()] = a;
    }
    let max = logit.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for l in &mut logit {
        *l = (*l - max).exp();
        sum += *l;
    }
    for l in &mut logit {
        *l /= sum;
    }
    Some(logit)
}

/// Classifies a tokenized message: the lexicon rules, then the learned
/// re-scorer over words and the rule scores (a selection is the rules' alone).
pub fn classify(toks: &[Tok], found: Found) -> Classified {
    let (rule, score) = classify_rules(toks, found);
    if rule.intent == Intent::Select {
        return rule;
    }
    rescore(toks, found, &score, rule)
}

/// Combines the rules' answer with the model's: the model decides among the
/// intents it was trained on; the rules keep the intents the dev sets do not
/// label (help, my appointments).
pub(crate) fn rescore(
    toks: &[Tok],
    found: Found,
    score: &[f32; N],
    rule: Classified,
) -> Classified {
    // "no, later" is a refusal that still says which way to look.
    let direction = |i: Intent| {
        if matches!(i, Intent::Alternatives | Intent::Deny) {
            rule.direction
        } else {
            None
        }
    };
    let Some(p) = probabilities(toks, found, score, rule.intent) else {
        return Classified {
            direction: direction(rule.intent),
            ..rule
        };
    };
    let mut best = Intent::Unknown;
    for i in Intent::ALL {
        if p[i.idx()] > p[best.idx()] {
            best = i;
        }
    }
    let ws: Vec<&str> = toks.iter().filter_map(Tok::word).collect();
    // The dev sets never label help or my appointments, so the model cannot
    // answer them: the rules keep a short request for help ("help", "what
    // can you do") and a question about the sender's own bookings.
    let keep_rule = match rule.intent {
        Intent::Help => ws.len() <= 4 && rule.confidence >= 0.6,
        Intent::MyAppointments => {
            p[best.idx()] < 0.5
                || own_bookings(&ws)
                    && matches!(best, Intent::Unknown | Intent::Availability | Intent::Book)
        }
        // a clear request in words the model did not see in training
        // ("what's your availability on monday" read as out of scope)
        Intent::Book | Intent::Cancel | Intent::Reschedule | Intent::Availability => {
            rule.confidence >= 0.7 && best == Intent::Unknown && p[best.idx()] < 0.9
        }
        _ => false,
    };
    // a bare date or time ("tmrw @ 3", "friday at 10") answers "when?"
    let bare_when = (found.has_date || found.has_time) && ws.iter().all(|w| is_when_word(w));
    let (intent, confidence) = if bare_when {
        (Intent::Book, rule.confidence.max(0.6))
    } else if keep_rule {
        (rule.intent, rule.confidence)
    } else {
        (best, p[best.idx()])
    };
    // "unknown" is never an answer the bot can act on: leave it to the LLM
    let confidence = if intent == Intent::Unknown {
        confidence.min(0.5)
    } else {
        confidence
    };
    Classified {
        intent,
        selection: None,
        direction: direction(intent),
        confidence,
    }
}

/// "my appointments", "what do I have", "am I booked": the sender's own
/// bookings.
fn own_bookings(ws: &[&str]) -> bool {
    let pair = |a: &str, b: &[&str]| ws.windows(2).any(|p| p[0] == a && b.contains(&p[1]));
    let noun = [
        "appointments",
        "appointment",
        "bookings",
        "booking",
        "reservations",
        "reservation",
        "visits",
    ];
    pair("my", &noun)
        || pair("my", &["upcoming", "next", "scheduled"])
        || ws
            .windows(3)
            .any(|p| p[0] == "do" && p[1] == "i" && p[2] == "have")
            && ws
                .iter()
                .any(|w| noun.contains(w) || *w == "booked" || *w == "scheduled")
        || ws.windows(2).any(|p| p[0] == "am" && p[1] == "i")
            && ws.iter().any(|w| matches!(*w, "booked" | "scheduled"))
}

/// Words that can make up a bare date or time answer.
fn is_when_word(w: &str) -> bool {
    matches!(
        w,
        "at" | "on"
            | "the"
            | "of"
            | "in"
            | "for"
            | "around"
            | "about"
            | "by"
            | "this"
            | "next"
            | "today"
            | "tomorrow"
            | "tonight"
            | "tmrw"
            | "tmr"
            | "am"
            | "pm"
            | "oclock"
            | "noon"
            | "morning"
            | "afternoon"
            | "evening"
            | "night"
            | "day"
            | "after"
            | "week"
            | "monday"
            | "tuesday"
            | "wednesday"
            | "thursday"
            | "friday"
            | "saturday"
            | "sunday"
            | "january"
            | "february"
            | "march"
            | "april"
            | "may"
            | "june"
            | "july"
            | "august"
            | "september"
            | "october"
            | "november"
            | "december"
            | "half"
            | "past"
            | "quarter"
            | "to"
            | "a"
            | "an"
            | "pls"
            | "please"
            | "maybe"
            | "how"
            | "or"
            | "and"
    ) || number_word(w).is_some()
        || ordinal_word(w).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::Direction;
    use crate::tokens::tokenize;

    fn intent(text: &str) -> Intent {
        classify(&tokenize(text), Found::default()).intent
    }

    #[test]
    fn a_selection_is_the_rules_answer() {
        let c = classify(&tokenize("the second one"), Found::default());
        assert_eq!(c.intent, Intent::Select);
        assert_eq!(c.selection, Some(2));
        assert_eq!(
            classify(&tokenize("option 3 pls"), Found::default()).selection,
            Some(3)
        );
    }

    #[test]
    fn domain_requests() {
        assert_eq!(intent("I need to book an appt"), Intent::Book);
        assert_eq!(intent("pls cancel my appointment"), Intent::Cancel);
        assert_eq!(
            intent("can I move my appointment to another day"),
            Intent::Reschedule
        );
        assert_eq!(intent("what times are available"), Intent::Availability);
    }

    #[test]
    fn conversational_replies() {
        assert_eq!(intent("yes please"), Intent::Affirm);
        assert_eq!(intent("no thanks"), Intent::Deny);
        assert_eq!(intent("thanks, bye!"), Intent::Goodbye);
        assert_eq!(intent("hello there"), Intent::Greeting);
        assert_eq!(intent("help"), Intent::Help);
    }

    #[test]
    fn no_later_asks_for_a_later_alternative() {
        let c = classify(
            &tokenize("anything else? something later"),
            Found::default(),
        );
        assert_eq!(c.intent, Intent::Alternatives);
        assert_eq!(c.direction, Some(Direction::Later));
    }
}
