//! Learned intent re-scoring: a small multinomial logistic model over word
//! features and the lexicon rules' scores, and a confidence model that turns
//! its answer into the probability of being right.
//!
//! Owns: the feature extraction (words, word pairs, first and last word,
//! five-letter prefixes for typo tolerance, the rules' scores and answer,
//! whether a date or time was found, the [`TIED`] rule features and the
//! confidence model's [`META`] features), the model text format and the
//! embedded weights (`intent_model.txt`, written by
//! `examples/train_intent.rs` with [`train`] from the training part of the
//! dev sets; the held-out part is every line whose [`held_out`] is true),
//! the choice between the model and the rules, and so the full intent
//! classification ([`classify`]: the rules, then the model).
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

pub mod train;

use chrono::DateTime;
use chrono_tz::Tz;

use crate::intent::{Classified, Found, Intent, N, classify_rules};
use crate::prepare::prepare;
use crate::tokens::{Tok, number_word, ordinal_word};

/// The embedded weights: the `classes` and `answers` lines, then one feature
/// a line (`key<TAB>weight ...`, in thousandths, one per class), then the
/// [`TIED`] and [`META`] weights, one each.
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

/// Features whose one weight every intent shares, each valued per intent:
/// the rules' score of the intent, whether it is the rules' answer, and the
/// rules' confidence when it is. Through them a model can answer an intent
/// its training lines never labelled, where the rules are sure of it.
pub const TIED: [&str; 3] = ["t rs", "t r", "t rc"];

/// The values of the [`TIED`] features: one row per feature, one column per
/// intent.
pub type Tied = [[f32; N]; TIED.len()];

fn tied_values(score: &[f32; N], rule: &Classified) -> Tied {
    let mut t = [[0f32; N]; TIED.len()];
    for i in Intent::ALL {
        t[0][i.idx()] = (score[i.idx()] / 4.0).clamp(-2.0, 2.0);
    }
    t[1][rule.intent.idx()] = 1.0;
    t[2][rule.intent.idx()] = rule.confidence;
    t
}

/// What the confidence model reads about one answer: the model's log-odds
/// for it (also times the share of the message's words the model knows),
/// whether it is the model's best and the rules' answer (with the rules'
/// confidence), the share of the message's words and word pairs the model
/// has weights for, whether it is unknown, whether the rules' policy forced
/// it (a bare date or time, a kept rule answer), and whether digits were
/// left unread.
pub const META: [&str; 12] = [
    "c bias",
    "c logit",
    "c logit*cover",
    "c best",
    "c agree",
    "c rconf",
    "c cover",
    "c pairs",
    "c agree*cover",
    "c unknown",
    "c forced",
    "c digits",
];

/// The values of the [`META`] features.
pub type Meta = [f32; META.len()];

/// A message's features as the trainer sees them.
#[derive(Debug, Clone)]
pub struct Features {
    /// `(key, value)` pairs (each intent has its own weight for a key).
    pub keys: Vec<(String, f32)>,
    /// The values of the [`TIED`] features.
    pub tied: Tied,
}

/// The features of a message, for the trainer.
pub fn features(text: &str, now: DateTime<Tz>) -> Features {
    let p = prepare(text, now);
    let (rule, score) = classify_rules(&p.toks, p.found);
    let mut keys = Vec::new();
    for_each_feature(&p.toks, p.found, &score, rule.intent, |parts, v| {
        keys.push((parts.join(" "), v));
    });
    Features {
        keys,
        tied: tied_values(&score, &rule),
    }
}

/// The lexicon rules' intent for a message, for the trainer's comparison.
pub fn rule_intent(text: &str, now: DateTime<Tz>) -> Intent {
    let p = prepare(text, now);
    classify_rules(&p.toks, p.found).0.intent
}

/// The weights and the intents they score. [`Model::embedded`] is the one
/// `understand` uses; the trainer ([`train`]) and the held-out evaluation
/// build others.
pub struct Model {
    /// The intents with a weight column (those some training line accepts).
    classes: Vec<Intent>,
    /// The intents the model can answer: the classes, and with [`TIED`]
    /// weights any other the rules name.
    answers: Vec<Intent>,
    /// The model lists its answers (written since the held-out work): the
    /// rules keep any intent it has no weights for. Older models keep the
    /// policy they were scored with.
    open: bool,
    weights: HashMap<u64, Vec<f32>, BuildHasherDefault<KeyHasher>>,
    tied: [f32; TIED.len()],
    /// The confidence model's weights over [`META`], when calibrated.
    calibration: Option<Meta>,
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

fn milli(v: &str) -> f32 {
    v.parse::<i32>().map_or(0.0, |m| m as f32 / 1000.0)
}

impl Model {
    /// The weights embedded from `intent_model.txt`, parsed once.
    pub fn embedded() -> &'static Model {
        static M: OnceLock<Model> = OnceLock::new();
        M.get_or_init(|| Model::parse(MODEL))
    }

    /// Parses the model text (the format `intent_model.txt` documents);
    /// malformed lines are skipped. An empty text is no model: the rules
    /// alone answer.
    pub fn parse(text: &str) -> Model {
        let mut m = Model {
            classes: Vec::new(),
            answers: Vec::new(),
            open: false,
            weights: HashMap::default(),
            tied: [0.0; TIED.len()],
            calibration: None,
        };
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some((key, rest)) = line.split_once('\t') else {
                continue;
            };
            let intents = || rest.split(' ').filter_map(Intent::from_name).collect();
            if key == "classes" {
                m.classes = intents();
                continue;
            }
            if key == "answers" {
                m.answers = intents();
                m.open = true;
                continue;
            }
            if let Some(k) = TIED.iter().position(|t| *t == key) {
                m.tied[k] = milli(rest);
                continue;
            }
            if let Some(k) = META.iter().position(|t| *t == key) {
                m.calibration.get_or_insert([0.0; META.len()])[k] = milli(rest);
                continue;
            }
            let w: Vec<f32> = rest.split(' ').map(milli).collect();
            if w.len() != m.classes.len() {
                continue;
            }
            let parts: Vec<&[u8]> = key.split(' ').map(str::as_bytes).collect();
            m.weights.insert(fnv(&parts), w);
        }
        if m.answers.is_empty() {
            m.answers = m.classes.clone();
        }
        m
    }

    /// The number of weighted features.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// True when the model has no classes (the rules alone answer).
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// True when the confidence comes from a trained confidence model.
    pub fn is_calibrated(&self) -> bool {
        self.calibration.is_some()
    }

    /// The model's probability of every intent, and the shares of the
    /// message's words and word pairs it has weights for (0 when it has
    /// none; None when the model has no classes).
    fn probabilities(
        &self,
        toks: &[Tok],
        found: Found,
        score: &[f32; N],
        rule: &Classified,
    ) -> Option<([f32; N], [f32; 2])> {
        if self.classes.is_empty() {
            return None;
        }
        let k = self.classes.len();
        let mut acc = [0f32; N];
        // [words, word pairs] seen, and those with weights
        let mut seen = [0u32; 2];
        let mut known = [0u32; 2];
        for_each_feature(toks, found, score, rule.intent, |parts, v| {
            let mut bytes: [&[u8]; 3] = [&[]; 3];
            for (b, p) in bytes.iter_mut().zip(parts) {
                *b = p.as_bytes();
            }
            let hit = self.weights.get(&fnv(&bytes[..parts.len().min(3)]));
            // words proper (not numbers or punctuation), and every pair
            let kind = match parts {
                ["w", w] if !w.starts_with('#') && w.chars().any(char::is_alphanumeric) => 0,
                ["b", ..] => 1,
                _ => 2,
            };
            if kind < 2 {
                seen[kind] += 1;
                known[kind] += u32::from(hit.is_some());
            }
            if let Some(ws) = hit {
                for (l, x) in acc[..k].iter_mut().zip(ws) {
                    *l += x * v;
                }
            }
        });
        let mut logit = [f32::MIN; N];
        for (c, a) in self.classes.iter().zip(acc) {
            logit[c.idx()] = a;
        }
        if self.tied.iter().any(|w| *w != 0.0) {
            let t = tied_values(score, rule);
            for c in &self.answers {
                let l = &mut logit[c.idx()];
                if *l == f32::MIN {
                    *l = 0.0;
                }
                for (w, row) in self.tied.iter().zip(&t) {
                    *l += w * row[c.idx()];
                }
            }
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
        let cover = [0, 1].map(|k| known[k] as f32 / seen[k].max(1) as f32);
        Some((logit, cover))
    }

    /// The calibrated probability that the answer is right.
    fn calibrate(&self, meta: &Meta) -> Option<f32> {
        let c = self.calibration.as_ref()?;
        let z: f32 = c.iter().zip(meta).map(|(w, x)| w * x).sum();
        Some(1.0 / (1.0 + (-z).exp()))
    }
}

/// Classifies a tokenized message with the embedded model.
pub fn classify(toks: &[Tok], found: Found) -> Classified {
    classify_with(Model::embedded(), toks, found)
}

/// Classifies a tokenized message: the lexicon rules, then the learned
/// re-scorer over words and the rule scores (a selection is the rules' alone).
pub fn classify_with(model: &Model, toks: &[Tok], found: Found) -> Classified {
    classify_meta(model, toks, found).0
}

/// [`classify_with`], and what the confidence model read (None for a
/// selection and for an answer the rules keep because the model cannot judge
/// it).
fn classify_meta(model: &Model, toks: &[Tok], found: Found) -> (Classified, Option<Meta>) {
    let (rule, score) = classify_rules(toks, found);
    if rule.intent == Intent::Select {
        return (rule, None);
    }
    rescore(model, toks, found, &score, rule)
}

/// A training row of the confidence model for one message: what it reads
/// and whether the answer is among `intents` (None when it has nothing to
/// read, see [`classify_meta`]).
pub fn meta_for(
    model: &Model,
    text: &str,
    now: DateTime<Tz>,
    intents: &[Intent],
) -> Option<(Meta, bool)> {
    let p = prepare(text, now);
    let (c, meta) = classify_meta(model, &p.toks, p.found);
    Some((meta?, intents.contains(&c.intent)))
}

/// Combines the rules' answer with the model's. A bare date or time is a
/// booking; the rules keep the intents the model cannot judge (help, my
/// appointments, any intent it never saw in training), a message none of
/// whose words the model knows, and a clear request it would call out of
/// scope; otherwise the model's answer stands. With a
/// confidence model, the confidence is its probability that the answer is
/// right; an answer kept because the model cannot judge it keeps the rules'
/// confidence.
pub(crate) fn rescore(
    model: &Model,
    toks: &[Tok],
    found: Found,
    score: &[f32; N],
    rule: Classified,
) -> (Classified, Option<Meta>) {
    // "no, later" is a refusal that still says which way to look.
    let direction = |i: Intent| {
        if matches!(i, Intent::Alternatives | Intent::Deny) {
            rule.direction
        } else {
            None
        }
    };
    // digits not read as a date, a time or an option: less sure
    let digits_unread = !found.has_date
        && !found.has_time
        && toks.iter().any(|t| {
            matches!(
                t,
                Tok::Num(..) | Tok::Clock(..) | Tok::Ordinal(..) | Tok::Slash(..) | Tok::Id
            )
        });
    let Some((p, cover)) = model.probabilities(toks, found, score, &rule) else {
        let confidence = rule.confidence * if digits_unread { 0.9 } else { 1.0 };
        let c = Classified {
            direction: direction(rule.intent),
            confidence,
            ..rule
        };
        return (c, None);
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
    } || model.open
        && !matches!(rule.intent, Intent::Help | Intent::MyAppointments)
        // an intent the model never saw in training: it cannot judge it
        && !model.classes.contains(&rule.intent);
    // a bare date or time ("tmrw @ 3", "friday at 10") answers "when?"
    let bare_when = (found.has_date || found.has_time) && ws.iter().all(|w| is_when_word(w));
    // Not one word of the message known to the model ("qwzx plorb ??",
    // "adios"): the rules' answer if their lexicon found one, else the
    // model's guess from length and punctuation alone; either way only the
    // rules' confidence.
    let blind = model.open && !bare_when && cover[0] == 0.0;
    let unjudged = model.open && !bare_when && keep_rule && !model.classes.contains(&rule.intent);
    if blind || unjudged {
        // nothing to weigh the rules' answer against: their confidence stands
        let intent = if unjudged || rule.intent != Intent::Unknown {
            rule.intent
        } else {
            best
        };
        let c = Classified {
            intent,
            direction: direction(intent),
            confidence: rule.confidence * if digits_unread { 0.9 } else { 1.0 },
            ..rule
        };
        return (c, None);
    }
    let forced = if bare_when {
        Some((Intent::Book, rule.confidence.max(0.6)))
    } else if keep_rule {
        Some((rule.intent, rule.confidence))
    } else {
        None
    };
    let intent = forced.map_or(best, |f| f.0);
    let pi = p[intent.idx()].clamp(1e-3, 1.0 - 1e-3);
    let logit = (pi / (1.0 - pi)).ln();
    let agree = rule.intent == intent;
    let flag = |b: bool| f32::from(u8::from(b));
    let meta: Meta = [
        1.0,
        logit,
        logit * cover[0],
        flag(best == intent),
        flag(agree),
        if agree { rule.confidence } else { 0.0 },
        cover[0],
        cover[1],
        flag(agree) * cover[0],
        flag(intent == Intent::Unknown),
        flag(forced.is_some()),
        flag(digits_unread),
    ];
    let confidence = model.calibrate(&meta).unwrap_or_else(|| {
        let c = forced.map_or(p[best.idx()], |f| f.1);
        // "unknown" is never an answer the bot can act on: leave it to the LLM
        let c = if intent == Intent::Unknown {
            c.min(0.5)
        } else {
            c
        };
        c * if digits_unread { 0.9 } else { 1.0 }
    });
    let c = Classified {
        intent,
        selection: None,
        direction: direction(intent),
        confidence,
    };
    (c, Some(meta))
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
