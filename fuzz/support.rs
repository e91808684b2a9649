//! What every fuzz target shares: the case count, where proptest keeps its
//! failures, the seed corpora under `fuzz/corpus/` and the text strategies.
//!
//! Each target includes this file with `#[path = ".../fuzz/support.rs"] mod
//! fuzz_support;`, so the corpus format has one reader. See `fuzz/README.md`.

#![allow(dead_code)]

use std::borrow::Cow;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence};

/// The environment variable that sets every target's case count.
pub const CASES_ENV: &str = "SMSBOT_FUZZ_CASES";

/// `SMSBOT_FUZZ_CASES` when set (a positive integer), else `default`.
pub fn cases(default: u32) -> u32 {
    match std::env::var(CASES_ENV) {
        Ok(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or_else(|| panic!("{CASES_ENV}={v:?} is not a positive integer")),
        Err(_) => default,
    }
}

/// The proptest configuration of a target: `cases(default)` cases, failures
/// kept in this crate's `proptest-regressions/fuzz.txt` (check it in: every
/// line is a seed replayed first on the next run).
pub fn config(default: u32) -> Config {
    with_cases(cases(default))
}

/// For the targets where one case costs a database round trip or more:
/// `SMSBOT_FUZZ_CASES / divisor` (at least 1) when set, else `default`.
pub fn config_scaled(default: u32, divisor: u32) -> Config {
    let n = match std::env::var(CASES_ENV) {
        Ok(_) => (cases(default) / divisor).max(1),
        Err(_) => default,
    };
    with_cases(n)
}

fn with_cases(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/fuzz.txt"
        )))),
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

/// The corpora, by target name (`fuzz/corpus/<name>.txt`).
const CORPORA: &[(&str, &str)] = &[
    ("common", include_str!("corpus/common.txt")),
    ("understanding", include_str!("corpus/understanding.txt")),
    ("webhook_form", include_str!("corpus/webhook_form.txt")),
    (
        "status_callback",
        include_str!("corpus/status_callback.txt"),
    ),
    ("signature", include_str!("corpus/signature.txt")),
    ("sms_body", include_str!("corpus/sms_body.txt")),
    ("template", include_str!("corpus/template.txt")),
    ("phone", include_str!("corpus/phone.txt")),
    ("admin_json", include_str!("corpus/admin_json.txt")),
];

/// Every input of `fuzz/corpus/<name>.txt`, as bytes.
pub fn corpus_bytes(name: &str) -> Vec<Vec<u8>> {
    let (_, text) = CORPORA
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no corpus named {name}"));
    // The final newline ends the last line; it does not start an empty one.
    text.strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#'))
        .map(|(i, line)| {
            unescape(line).unwrap_or_else(|e| panic!("fuzz/corpus/{name}.txt:{}: {e}", i + 1))
        })
        .collect()
}

/// Every input of `fuzz/corpus/<name>.txt`, as text (a `\xHH` escape that
/// makes a line invalid UTF-8 is an error in a text corpus).
pub fn corpus(name: &str) -> Vec<String> {
    corpus_bytes(name)
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            String::from_utf8(b)
                .unwrap_or_else(|_| panic!("fuzz/corpus/{name}.txt: input {i} is not UTF-8"))
        })
        .collect()
}

/// The common corpus followed by the target's own.
pub fn seeds(name: &str) -> Vec<String> {
    let mut all = corpus("common");
    all.extend(corpus(name));
    all
}

/// Reads one corpus line: `\\`, `\n`, `\r`, `\t`, `\0`, `\#`, `\u{HEX}`
/// (a char), `\xHH` (a raw byte) and `\*N{TEXT}` (TEXT, itself without
/// escapes or `}`, repeated N times).
pub fn unescape(line: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..pos]);
        let after = &rest[pos + 1..];
        let mut chars = after.chars();
        let c = chars.next().ok_or("a lone backslash ends the line")?;
        let tail = chars.as_str();
        rest = match c {
            '\\' | '#' => {
                out.push(c as u8);
                tail
            }
            'n' => {
                out.push(b'\n');
                tail
            }
            'r' => {
                out.push(b'\r');
                tail
            }
            't' => {
                out.push(b'\t');
                tail
            }
            '0' => {
                out.push(0);
                tail
            }
            'u' => {
                let (hex, tail) = braced(tail)?;
                let n = u32::from_str_radix(hex, 16).map_err(|e| format!("\\u{{{hex}}}: {e}"))?;
                let ch = char::from_u32(n).ok_or(format!("\\u{{{hex}}} is not a char"))?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                tail
            }
            'x' => {
                let hex = tail.get(..2).ok_or("\\x needs two hex digits")?;
                out.push(u8::from_str_radix(hex, 16).map_err(|e| format!("\\x{hex}: {e}"))?);
                &tail[2..]
            }
            '*' => {
                let digits = tail.find('{').ok_or("\\*N needs {TEXT}")?;
                let n: usize = tail[..digits]
                    .parse()
                    .map_err(|e| format!("\\*{}: {e}", &tail[..digits]))?;
                let (text, tail) = braced(&tail[digits..])?;
                out.extend_from_slice(text.repeat(n).as_bytes());
                tail
            }
            other => return Err(format!("unknown escape \\{other}")),
        };
    }
    out.extend_from_slice(rest.as_bytes());
    Ok(out)
}

/// `{inside}rest` -> (inside, rest).
fn braced(s: &str) -> Result<(&str, &str), String> {
    let inner = s.strip_prefix('{').ok_or("expected {")?;
    let end = inner.find('}').ok_or("expected }")?;
    Ok((&inner[..end], &inner[end + 1..]))
}

/// Characters that break naive text handling: zero-width, joiners, BOM,
/// replacement char, NUL and controls, combining marks, case mappings that
/// change length (`İ` lower-cases to two chars, `ß` upper-cases to two),
/// ligatures, non-ASCII digits, RTL marks and letters, emoji with modifiers.
pub const ODD: &[&str] = &[
    "\u{200b}",
    "\u{200c}",
    "\u{200d}",
    "\u{feff}",
    "\u{fffd}",
    "\0",
    "\u{1}",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\r",
    "\n",
    "\t",
    "\u{a0}",
    "\u{3000}",
    "e\u{301}",
    "\u{301}",
    "\u{308}",
    "ö",
    "é",
    "ç",
    "ß",
    "İ",
    "ı",
    "ﬃ",
    "Ⅻ",
    "٣",
    "１",
    "²",
    "½",
    "\u{202e}",
    "\u{200f}",
    "ש",
    "ع",
    "字",
    "ｶ",
    "👍🏽",
    "👩\u{200d}👩\u{200d}👧",
    "🇺🇸",
    "😀",
    "\u{e000}",
    "\u{10ffff}",
    "\u{2019}",
    "`",
    "'",
    "\"",
    "@",
    "&",
    "#",
    "%",
    "+",
    "=",
    "{",
    "}",
    "{{",
    "}}",
    "\\",
    "€",
    "^",
    "~",
    "|",
    "[",
    "]",
];

/// Words and number shapes people text, for building plausible messages.
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = CORPORA
        .iter()
        .filter(|(name, _)| matches!(*name, "common" | "understanding" | "template"))
        .flat_map(|(name, _)| corpus(name))
        .flat_map(|line| {
            line.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort();
    words.dedup();
    words
}

/// A number-ish token: counts, clock times, slashed dates, ordinals, ids,
/// overlong digit runs.
pub fn number_token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,4}",
        "[0-9]{1,2}[:.][0-9]{1,3}",
        "[0-9]{1,2}/[0-9]{1,2}(/[0-9]{1,5})?",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",
        "#[0-9]{1,8}",
        "[0-9]{5,30}",
        "[0-9]{1,3}(am|pm|AM|PM|a|p|st|nd|rd|th|h|ish|moro|day|nite)",
        "[0-9]{1,2}:[0-9]{2} ?(am|pm|a\\.m\\.|p\\.m\\.)",
    ]
}

/// One token of a plausible message.
fn token(vocab: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vocab),
        3 => number_token(),
        1 => prop::sample::select(ODD).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ]
}

const SEPARATORS: &[&str] = &[
    " ", " ", " ", "", ", ", ",", "  ", "\n", "\t", "-", "/", ":", ".", "!", "?", "'", "\u{a0}",
    "...", " - ",
];

/// A message made of words people text, numbers, odd characters and
/// separators: reaches much deeper into a parser than uniform Unicode.
pub fn sms_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (token(vocabulary()), prop::sample::select(SEPARATORS)),
        0..16,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(t, s)| [t, s.to_owned()])
            .collect()
    })
}

/// One edit of a seed.
#[derive(Debug, Clone)]
pub enum Edit {
    Insert(Index, char),
    Delete(Index),
    Replace(Index, char),
    /// Doubles the char at the index ("tööd" from "töd").
    Double(Index),
    Splice(Index, String),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let odd_char = prop_oneof![
        any::<char>(),
        prop::sample::select(ODD).prop_map(|s| s.chars().next().unwrap_or(' ')),
        prop::char::range('0', '9'),
    ];
    prop_oneof![
        (any::<Index>(), odd_char.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), odd_char).prop_map(|(i, c)| Edit::Replace(i, c)),
        any::<Index>().prop_map(Edit::Double),
        (any::<Index>(), prop::sample::select(ODD)).prop_map(|(i, s)| Edit::Splice(i, s.into())),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// Applies edits at char positions (never splitting a char).
pub fn apply_edits(seed: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for e in edits {
        let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
        match e {
            Edit::Insert(i, c) => chars.insert(at(i, chars.len() + 1), *c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(at(i, chars.len()));
            }
            Edit::Replace(i, c) if !chars.is_empty() => {
                let k = at(i, chars.len());
                chars[k] = *c;
            }
            Edit::Double(i) if !chars.is_empty() => {
                let k = at(i, chars.len());
                chars.insert(k, chars[k]);
            }
            Edit::Splice(i, s) => {
                let k = at(i, chars.len() + 1);
                chars.splice(k..k, s.chars());
            }
            Edit::Truncate(i) if !chars.is_empty() => chars.truncate(at(i, chars.len())),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// A seed with a few edits, or two seeds joined.
pub fn mutated(seeds: Vec<String>) -> impl Strategy<Value = String> {
    let seeds: Cow<'static, [String]> = seeds.into();
    prop_oneof![
        3 => (
            prop::sample::select(seeds.clone()),
            prop::collection::vec(edit(), 0..5)
        )
            .prop_map(|(seed, edits)| apply_edits(&seed, &edits)),
        1 => (
            prop::sample::select(seeds.clone()),
            prop::sample::select(SEPARATORS),
            prop::sample::select(seeds)
        )
            .prop_map(|(a, s, b)| format!("{a}{s}{b}")),
    ]
}

/// Any text a target should survive: arbitrary Unicode, plausible messages,
/// and mutations of `seeds`.
pub fn text(seeds: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        3 => sms_like(),
        3 => mutated(seeds),
        1 => prop::collection::vec(prop::sample::select(ODD), 0..12).prop_map(|v| v.concat()),
    ]
}
