//! Short answers to a yes-or-no question, the way people really text them:
//! "y", "yep", "ok", "k", "👍", "sounds good", "n", "nah", "👎", "can't make
//! it". Read only right after the bot asked such a question; the same words
//! elsewhere mean nothing in particular, so understanding decides there.
//!
//! After an offer, "later", "anything earlier?" or "got something later in
//! the day" is a short answer too: it asks for other times that way.
//!
//! Owns the word lists and the normalisation; must not decide what a yes does.

use smsbot_nlu::Direction;

/// What a short answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortAnswer {
    Yes,
    No,
}

/// The whole message as a yes or a no, or `None` when it says anything else.
pub fn read(text: &str) -> Option<ShortAnswer> {
    let normal = normalise(text);
    let mut words: Vec<&str> = normal.split_whitespace().collect();
    // Politeness around the answer does not change it: "yes please", "ok thx".
    while words.len() > 1 && POLITE.contains(&words[words.len() - 1]) {
        words.pop();
    }
    let answer = words.join(" ");
    if YES.contains(&answer.as_str()) {
        return Some(ShortAnswer::Yes);
    }
    if NO.contains(&answer.as_str()) {
        return Some(ShortAnswer::No);
    }
    // A yes leading into another: "ok book it", "great, lets do it".
    while words.len() > 1 && YES.contains(&words[0]) {
        words.remove(0);
        if YES.contains(&words.join(" ").as_str()) {
            return Some(ShortAnswer::Yes);
        }
    }
    None
}

/// Whether the whole message only thanks or says goodbye: "thanks!", "ok
/// thx bye", "cheers 🙏".
pub fn closing(text: &str) -> bool {
    let normal = normalise(text);
    let words: Vec<&str> = normal.split_whitespace().collect();
    words.iter().any(|w| CLOSING.contains(w))
        && words
            .iter()
            .all(|w| CLOSING.contains(w) || POLITE.contains(w) || AROUND_A_CLOSING.contains(w))
}

/// Words that go with thanks: "ok great thanks, have a good day".
const AROUND_A_CLOSING: &[&str] = &[
    "ok", "okay", "k", "great", "cool", "perfect", "awesome", "have", "a", "good", "day", "night",
    "weekend", "again", "all", "set", "done", "got", "it",
];

/// Words that thank or take leave.
const CLOSING: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "ty",
    "tysm",
    "thanku",
    "cheers",
    "bye",
    "byee",
    "goodbye",
    "cya",
    "ttyl",
    "later",
    "appreciate",
];

/// Whether the message turns down the time just offered, whatever it adds
/// after: "I can't do 3", "can't make that, sorry", "that doesn't work for
/// me", "i'm busy then". Any new time it names is for understanding to read.
pub fn refuses(text: &str) -> bool {
    let normal = normalise(text);
    let words: Vec<&str> = normal.split_whitespace().collect();
    let mut rest = words.as_slice();
    while let [
        "no" | "nah" | "nope" | "sorry" | "oh" | "hmm" | "ugh" | "unfortunately" | "actually",
        after @ ..,
    ] = rest
    {
        rest = after;
    }
    REFUSALS.iter().any(|refusal| {
        let refusal: Vec<&str> = refusal.split(' ').collect();
        rest.starts_with(&refusal)
    })
}

/// How a refusal of an offered time begins.
const REFUSALS: &[&str] = &[
    "i cant",
    "cant do",
    "cant make",
    "i cannot",
    "cannot do",
    "i wont be able",
    "wont work",
    "that wont work",
    "that doesnt work",
    "doesnt work",
    "that time doesnt",
    "that doesnt suit",
    "im busy",
    "i am busy",
    "busy then",
    "im not free",
    "i am not free",
    "not free then",
    "im not available",
    "not available then",
    "i have work",
    "i work then",
];

/// The option picked out of `count` offered, from a message that says only
/// that: "#2", "2️⃣", "the last one", "first one works", "number 3 pls".
pub fn option(text: &str, count: usize) -> Option<u8> {
    let n = match said_alone(text)? {
        OnlyWord::Last => count,
        OnlyWord::Ordinal(n) | OnlyWord::Digits(n) => n,
    };
    if (1..=count).contains(&n) {
        u8::try_from(n).ok()
    } else {
        None
    }
}

/// The number a message says and nothing more ("4 then", "11 works", "the
/// 3 pls"), whatever it counts: out of the options offered, an hour.
pub fn number(text: &str) -> Option<usize> {
    match said_alone(text)? {
        OnlyWord::Digits(n) => Some(n),
        OnlyWord::Last | OnlyWord::Ordinal(_) => None,
    }
}

/// What is left of a message once the words that only lead up to an
/// option, or agree with it, are taken off.
enum OnlyWord {
    Last,
    /// "first", "2nd".
    Ordinal(usize),
    Digits(usize),
}

fn said_alone(text: &str) -> Option<OnlyWord> {
    let normal = normalise(text);
    let mut words: Vec<&str> = normal.split_whitespace().collect();
    while let Some(first) = words.first()
        && words.len() > 1
        && OPTION_OPENERS.contains(first)
    {
        words.remove(0);
    }
    while let Some(last) = words.last()
        && words.len() > 1
        && OPTION_CLOSERS.contains(last)
    {
        words.pop();
    }
    Some(match words.as_slice() {
        ["last"] => OnlyWord::Last,
        ["first" | "1st"] => OnlyWord::Ordinal(1),
        ["second" | "2nd"] => OnlyWord::Ordinal(2),
        ["third" | "3rd"] => OnlyWord::Ordinal(3),
        ["fourth" | "4th"] => OnlyWord::Ordinal(4),
        ["fifth" | "5th"] => OnlyWord::Ordinal(5),
        [digits] => OnlyWord::Digits(digits.parse().ok()?),
        _ => return None,
    })
}

/// Words before an option that only lead up to it.
const OPTION_OPENERS: &[&str] = &[
    "the", "ok", "okay", "k", "yes", "yeah", "yep", "ya", "um", "hmm", "lets", "let", "us", "do",
    "go", "with", "ill", "i", "take", "want", "pick", "choose", "id", "like", "number", "no",
    "num", "nr", "option", "opt", "choice", "gimme", "give", "me", "can", "get", "have",
];

/// Words after an option that only agree with it.
const OPTION_CLOSERS: &[&str] = &[
    "one", "option", "slot", "time", "please", "pls", "plz", "thanks", "thx", "works", "work",
    "is", "good", "fine", "perfect", "great", "for", "me", "then", "sounds", "best", "ok", "okay",
    "would", "be", "👍", "🙏", "😊", "🙂",
];

/// The whole message as "later" or "earlier", with nothing else said but
/// the words around such a request ("hmm anything later?", "a bit earlier
/// pls"), or `None`.
pub fn direction(text: &str) -> Option<Direction> {
    let normal = normalise(text);
    let mut found = None;
    let words: Vec<&str> = normal.split_whitespace().collect();
    let too = words.contains(&"too");
    for word in words {
        let this = match word {
            "later" | "latr" | "l8r" | "l8ter" | "after" => Direction::Later,
            "earlier" | "erlier" | "earler" | "sooner" | "before" => Direction::Earlier,
            // "those are too early for me": later, please.
            "early" if too => Direction::Later,
            "late" if too => Direction::Earlier,
            "early" => Direction::Earlier,
            "late" => Direction::Later,
            w if AROUND_A_DIRECTION.contains(&w) => continue,
            _ => return None,
        };
        if found.is_some_and(|d| d != this) {
            return None;
        }
        found = Some(this);
    }
    found
}

/// Words that only wrap a request for a later or earlier time.
const AROUND_A_DIRECTION: &[&str] = &[
    "hmm",
    "hm",
    "um",
    "umm",
    "uh",
    "oh",
    "ok",
    "okay",
    "k",
    "no",
    "nah",
    "nope",
    "sorry",
    "well",
    "actually",
    "maybe",
    "do",
    "you",
    "u",
    "have",
    "got",
    "is",
    "there",
    "are",
    "any",
    "anything",
    "something",
    "sth",
    "smth",
    "one",
    "a",
    "bit",
    "little",
    "lil",
    "tad",
    "time",
    "times",
    "slot",
    "slots",
    "than",
    "that",
    "in",
    "the",
    "day",
    "please",
    "pls",
    "plz",
    "thanks",
    "thx",
    "how",
    "about",
    "what",
    "possible",
    "can",
    "i",
    "come",
    "get",
    "even",
    "much",
    "else",
    "just",
    "slightly",
    "on",
    "somewhat",
    "abit",
    "ya",
    "y",
    "yall",
    "option",
    "options",
    "ones",
    "if",
    "so",
    "hey",
    "preferably",
    "ideally",
    "go",
    "we",
    "make",
    "it",
    "try",
    "some",
    "lot",
    "way",
    "or",
    "those",
    "these",
    "them",
    "all",
    "too",
    "for",
    "me",
    "🙏",
];

const YES: &[&str] = &[
    "y",
    "ya",
    "yah",
    "yas",
    "ye",
    "yea",
    "yeah",
    "yeh",
    "yep",
    "yup",
    "yes",
    "yess",
    "yesh",
    "sure",
    "sure thing",
    "ok",
    "okay",
    "okey",
    "okie",
    "k",
    "kk",
    "alright",
    "all right",
    "👍",
    "✅",
    "✔",
    "👌",
    "🙌",
    "sounds good",
    "sounds great",
    "sounds perfect",
    "perfect",
    "great",
    "that works",
    "works",
    "works for me",
    "that works for me",
    "confirmed",
    "confirm",
    "book it",
    "100",
    "💯",
    "do it",
    "go ahead",
    "go for it",
    "lets do it",
    "lets do that",
    "lets go",
    "lets book it",
    "book me",
    "book me in",
    "absolutely",
    "definitely",
    "of course",
    "yes book it",
    "yes that works",
    "yes please book it",
    "si",
    "claro",
    "dale",
];

const NO: &[&str] = &[
    "n",
    "no",
    "nope",
    "nah",
    "na",
    "naw",
    "no way",
    "👎",
    "❌",
    "not really",
    "cant make it",
    "i cant make it",
    "cant",
    "i cant",
    "no i cant",
    "nevermind",
    "never mind",
    "no sorry",
    "not that one",
    "that doesnt work",
    "doesnt work",
    "that wont work",
    "wont work",
];

/// Trailing words (and emoji) that only soften or repeat the answer:
/// "yes please", "yes!! thank u so much", "ok see you then".
const POLITE: &[&str] = &[
    "please", "pls", "plz", "thanks", "thank", "you", "u", "thx", "ty", "sorry", "then", "so",
    "much", "very", "lots", "again", "x", "xx", "xo", "see", "ya", "🙂", "😊", "🙏", "👍", "✅",
    "✔", "👌", "🙌", "👎", "❌", "💯", "😀", "😁", "❤", "♥",
];

/// Lower case; apostrophes dropped ("can't" → "cant"); punctuation, variation
/// selectors and skin tones gone; a letter repeated three times or more kept
/// once ("yesss", "okkk"), so "Yes!!" and "yesss 👍🏽" read like "yes".
fn normalise(text: &str) -> String {
    let mut runs: Vec<(char, usize)> = Vec::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            '\'' | '’' | '\u{fe0f}' | '\u{200d}' | '\u{1f3fb}'..='\u{1f3ff}' => continue,
            c if c.is_alphanumeric() || is_answer_symbol(c) => c,
            _ => ' ',
        };
        match runs.last_mut() {
            Some((last, n)) if *last == c => *n += 1,
            _ => runs.push((c, 1)),
        }
    }
    runs.into_iter()
        .flat_map(|(c, n)| {
            let kept = if n >= 3 && c.is_alphabetic() { 1 } else { n };
            std::iter::repeat_n(c, kept)
        })
        .collect()
}

/// The emoji and marks people answer with.
fn is_answer_symbol(c: char) -> bool {
    matches!(
        c,
        '👍' | '👎'
            | '✅'
            | '✔'
            | '❌'
            | '👌'
            | '🙌'
            | '🙂'
            | '😊'
            | '🙏'
            | '💯'
            | '😀'
            | '😁'
            | '❤'
            | '♥'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ways_people_say_yes_are_read_as_yes() {
        for text in [
            "y",
            "Y",
            "ya",
            "yeah",
            "Yep",
            "yes!",
            "YES!!",
            "yesss",
            "sure",
            "ok",
            "OK.",
            "k",
            "K",
            "👍",
            "👍🏽",
            "✅",
            "sounds good",
            "Sounds good!",
            "perfect",
            "that works",
            "confirmed",
            "yes please",
            "ok thanks",
            "yep thank you",
            "Yes, book it",
            "yeah 👍",
            "okkk",
            "Sure thing!",
            "go ahead",
            "yes!! thank u so much",
            "100%",
            "yep see you then",
            "ok book it",
            "lets do it",
            "great, lets do it",
        ] {
            assert_eq!(read(text), Some(ShortAnswer::Yes), "{text:?}");
        }
    }

    #[test]
    fn thanks_and_goodbyes_alone_are_closings() {
        for text in [
            "thanks!",
            "ok thx bye",
            "cheers 🙏",
            "Thank you so much!",
            "great, thanks, have a good day",
        ] {
            assert!(closing(text), "{text:?}");
        }
        for text in [
            "thanks, can i also book friday",
            "ok",
            "yes",
            "no thanks",
            "",
        ] {
            assert!(!closing(text), "{text:?}");
        }
    }

    #[test]
    fn the_ways_people_say_no_are_read_as_no() {
        for text in [
            "n",
            "N",
            "no",
            "No.",
            "nope",
            "nah",
            "👎",
            "❌",
            "not really",
            "can't make it",
            "Cant make it",
            "I can’t make it",
            "no thanks",
            "never mind",
            "nooo",
        ] {
            assert_eq!(read(text), Some(ShortAnswer::No), "{text:?}");
        }
    }

    #[test]
    fn turning_down_an_offered_time_is_read_however_it_goes_on() {
        for text in [
            "I can't do 3",
            "no sorry, i'm busy then",
            "that doesn't work for me",
            "cant make that one sorry",
            "Nah I have work then",
        ] {
            assert!(refuses(text), "{text:?}");
        }
        for text in [
            "can i do 3",
            "yes",
            "no, later",
            "i can do 3",
            "works for me",
        ] {
            assert!(!refuses(text), "{text:?}");
        }
    }

    #[test]
    fn asking_for_later_or_earlier_times_is_read_as_that_direction() {
        for text in [
            "later",
            "Later?",
            "hmm anything later?",
            "got anything a bit later in the day",
            "no, later",
            "something later pls",
            "those are too early for me",
        ] {
            assert_eq!(direction(text), Some(Direction::Later), "{text:?}");
        }
        for text in [
            "earlier?",
            "got anything earlier",
            "sooner?",
            "anything a little earlier",
            "those are too late",
        ] {
            assert_eq!(direction(text), Some(Direction::Earlier), "{text:?}");
        }
    }

    #[test]
    fn an_option_is_read_however_it_is_picked() {
        for (text, n) in [
            ("#2", 2),
            ("2️⃣", 2),
            ("the last one", 3),
            ("first one works", 1),
            ("number 3 pls", 3),
            ("lets go with the 2nd one", 2),
            ("ok the third works for me", 3),
        ] {
            assert_eq!(option(text, 3), Some(n), "{text:?}");
        }
        for text in ["4", "the first one tomorrow", "last week", "2 people", ""] {
            assert_eq!(option(text, 3), None, "{text:?}");
        }
    }

    #[test]
    fn a_number_said_alone_is_read_whatever_it_counts() {
        for (text, n) in [
            ("4 then", 4),
            ("11 works", 11),
            ("the 3 pls", 3),
            ("ok 9", 9),
        ] {
            assert_eq!(number(text), Some(n), "{text:?}");
        }
        for text in [
            "the last one",
            "first",
            "4 people",
            "at 4 tmrw",
            "99999999999999999999999",
            "",
        ] {
            assert_eq!(number(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_direction_with_anything_else_said_is_left_to_understanding() {
        for text in [
            "later today",
            "see you later",
            "talk later",
            "earlier or later",
            "later on thursday",
            "ok",
            "",
        ] {
            assert_eq!(direction(text), None, "{text:?}");
        }
    }

    #[test]
    fn anything_more_than_an_answer_is_left_to_understanding() {
        for text in [
            "yes but at 4pm instead",
            "no, later",
            "ok what about thursday",
            "can I come at 3",
            "cancel",
            "stop",
            "yesterday",
            "know",
            "okay so what time",
            "nothing at 3?",
            "",
            "   ",
            "thanks",
        ] {
            assert_eq!(read(text), None, "{text:?}");
        }
    }

    proptest::proptest! {
        /// Whatever is texted, an option is one of those offered and a
        /// number is one the text spells out in digits.
        #[test]
        fn any_text_reads_as_an_offered_option_or_a_number_it_spells(
            text in proptest::prop_oneof![
                "\\PC{0,40}",
                "(the |ok |#)?[0-9]{1,25}( then| works| pls| 👍|️⃣)?",
            ],
            count in 0usize..6,
        ) {
            if let Some(n) = option(&text, count) {
                proptest::prop_assert!((1..=count).contains(&usize::from(n)));
            }
            if let Some(n) = number(&text) {
                proptest::prop_assert!(text.contains(&n.to_string()));
            }
        }
    }
}
