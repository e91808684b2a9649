//! Whole-message phrase patterns over what people really text: the engine the
//! compliance rules (opt-outs in words) and the conversation's quick readers
//! (questions about one's own appointments) share.
//!
//! A pattern is a sequence of space-separated elements, matched against the
//! whole normalised message, never a part of it:
//!   word          that word
//!   @class        any word of that class (the caller's `Class`)
//!   a|b|c         one of the alternatives
//!   a_b           a sequence of words, inside an alternative
//!   element?      the element may be absent
//!
//! Must not know any particular phrase: the callers own their lists.

/// The words a `@class` stands for.
pub type Class = fn(&str) -> &'static [&'static str];

/// Lower-cased (Unicode), accents folded, apostrophes dropped ("don't" →
/// "dont"), every other non-letter-or-digit (punctuation, emoji) a space;
/// letters repeated three times or more written once ("stoppp", "pleaseee");
/// a few texting spellings written out ("pls", "u", "do not").
pub fn normalise(body: &str) -> Vec<String> {
    let mut text = String::with_capacity(body.len());
    for c in body.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => {}
            'á' | 'à' | 'â' | 'ä' | 'ã' => text.push('a'),
            'é' | 'è' | 'ê' | 'ë' => text.push('e'),
            'í' | 'ì' | 'î' | 'ï' => text.push('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => text.push('o'),
            'ú' | 'ù' | 'û' | 'ü' => text.push('u'),
            'ñ' => text.push('n'),
            'ç' => text.push('c'),
            c if c.is_alphanumeric() => text.push(c),
            _ => text.push(' '),
        }
    }
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let word = squeeze(word);
        let word = match word.as_str() {
            "pls" | "plz" | "plse" | "plez" | "pleas" | "pleae" | "pleez" | "plis" => "please",
            "u" => "you",
            "ur" => "your",
            "r" => "are",
            "dnt" | "donot" => "dont",
            "thanx" | "thnx" | "tks" => "thanks",
            w => w,
        };
        if word == "not" && words.last().is_some_and(|w| w == "do") {
            words.pop();
            words.push("dont".to_owned());
        } else {
            words.push(word.to_owned());
        }
    }
    words
}

/// Writes a letter repeated three times or more once: "stoppp", "pleaseee".
fn squeeze(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|&&c| c == chars[i]).count();
        let keep = if run >= 3 && chars[i].is_alphabetic() {
            1
        } else {
            run
        };
        out.extend(std::iter::repeat_n(chars[i], keep));
        i += run;
    }
    out
}

/// Whether `pattern` matches the first words of `words` (whatever follows).
pub fn starts(pattern: &str, words: &[&str], class: Class) -> bool {
    (0..=words.len()).any(|end| matches(pattern, &words[..end], class))
}

/// How many first words of `words` `pattern` can match exactly, every way
/// it can (one pass, however long the message).
pub fn prefixes(pattern: &str, words: &[&str], class: Class) -> Vec<usize> {
    let elements: Vec<&str> = pattern.split_whitespace().collect();
    let mut ends = Vec::new();
    prefix_from(&elements, words, class, words.len(), &mut ends);
    ends.sort_unstable();
    ends.dedup();
    ends
}

fn prefix_from(
    elements: &[&str],
    words: &[&str],
    class: Class,
    total: usize,
    ends: &mut Vec<usize>,
) {
    let Some((first, rest)) = elements.split_first() else {
        ends.push(total - words.len());
        return;
    };
    let (alternatives, optional) = match first.strip_suffix('?') {
        Some(alternatives) => (alternatives, true),
        None => (*first, false),
    };
    if optional {
        prefix_from(rest, words, class, total, ends);
    }
    for alternative in alternatives.split('|') {
        match alternative.strip_prefix('@') {
            Some(name) => {
                for entry in class(name) {
                    if let Some(remaining) = take(entry, words) {
                        prefix_from(rest, remaining, class, total, ends);
                    }
                }
            }
            None => {
                if let Some(remaining) = take(alternative, words) {
                    prefix_from(rest, remaining, class, total, ends);
                }
            }
        }
    }
}

/// Whether `pattern` matches exactly all of `words`, `class` naming the words
/// each `@class` stands for.
pub fn matches(pattern: &str, words: &[&str], class: Class) -> bool {
    let elements: Vec<&str> = pattern.split_whitespace().collect();
    match_from(&elements, words, class)
}

fn match_from(elements: &[&str], words: &[&str], class: Class) -> bool {
    let Some((first, rest)) = elements.split_first() else {
        return words.is_empty();
    };
    let (alternatives, optional) = match first.strip_suffix('?') {
        Some(alternatives) => (alternatives, true),
        None => (*first, false),
    };
    let then = |remaining: &[&str]| match_from(rest, remaining, class);
    (optional && then(words))
        || alternatives
            .split('|')
            .any(|alternative| match alternative.strip_prefix('@') {
                Some(name) => class(name)
                    .iter()
                    .any(|entry| take(entry, words).is_some_and(then)),
                None => take(alternative, words).is_some_and(then),
            })
}

/// Consumes `alternative` (a word, or words joined by `_`) from the front of
/// `words`, returning what is left.
fn take<'w, 's>(alternative: &str, words: &'w [&'s str]) -> Option<&'w [&'s str]> {
    let mut words = words;
    for part in alternative.split('_') {
        let (word, rest) = words.split_first()?;
        if *word != part {
            return None;
        }
        words = rest;
    }
    Some(words)
}

/// The days of the week as people text them: names, plurals ("mondays"),
/// abbreviations ("tues", "weds", "thur").
pub const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mondays",
    "tuesdays",
    "wednesdays",
    "thursdays",
    "fridays",
    "saturdays",
    "sundays",
    "mon",
    "tue",
    "tues",
    "wed",
    "weds",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
];

/// "Nvm", "never mind", "forget it", "no thanks": the customer drops what
/// they were asked about.
pub fn letting_go(text: &str) -> bool {
    const FILLER: &[&str] = &[
        "ok", "okay", "oh", "hmm", "thx", "thanks", "then", "lol", "haha", "actually", "pls",
        "please", "sorry",
    ];
    let words = normalise(text);
    let said: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !FILLER.contains(w))
        .collect();
    let said = said.join(" ");
    let whole = words.join(" ");
    [
        "nvm",
        "nevermind",
        "never mind",
        "forget it",
        "no thanks",
        "no thank you",
        "dont bother",
    ]
    .iter()
    .any(|phrase| *phrase == said || *phrase == whole)
}

/// "Waitlist", "put me on the wait list", "text me if something opens up".
pub fn wants_waitlist(text: &str) -> bool {
    let joined = normalise(text).join(" ");
    [
        "waitlist",
        "wait list",
        "waiting list",
        "text me if",
        "let me know if",
        "notify me",
        "if something opens",
        "if anything opens",
    ]
    .iter()
    .any(|p| joined.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_classes(_: &str) -> &'static [&'static str] {
        &[]
    }

    #[test]
    fn a_pattern_gives_every_start_of_the_message_it_matches() {
        let words = ["call", "me", "back", "please"];
        assert_eq!(prefixes("call me back?", &words, no_classes), [2, 3]);
        assert_eq!(
            prefixes("call me back? please?", &words, no_classes),
            [2, 3, 4]
        );
        assert!(prefixes("talk to someone", &words, no_classes).is_empty());
        assert_eq!(
            prefixes("call me back?", &words, no_classes),
            (0..=words.len())
                .filter(|&end| matches("call me back?", &words[..end], no_classes))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn letting_go_is_said_in_a_few_words_and_not_sure_is_not_it() {
        for text in [
            "nvm",
            "Nevermind",
            "never mind thx",
            "ok forget it",
            "no thanks",
        ] {
            assert!(letting_go(text), "{text:?}");
        }
        for text in [
            "hmm not sure tbh",
            "no",
            "cleaning",
            "nvm the cleaning, a checkup",
        ] {
            assert!(!letting_go(text), "{text:?}");
        }
    }
}
