//! Short answers to a yes-or-no question, the way people really text them:
//! "y", "yep", "ok", "k", "👍", "sounds good", "n", "nah", "👎", "can't make
//! it". Read only right after the bot asked such a question; the same words
//! elsewhere mean nothing in particular, so understanding decides there.
//!
//! Owns the word lists and the normalisation; must not decide what a yes does.

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
        Some(ShortAnswer::Yes)
    } else if NO.contains(&answer.as_str()) {
        Some(ShortAnswer::No)
    } else {
        None
    }
}

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
    "do it",
    "go ahead",
    "go for it",
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

/// Trailing words (and emoji) that only soften or repeat the answer.
const POLITE: &[&str] = &[
    "please", "pls", "plz", "thanks", "thank", "you", "thx", "ty", "sorry", "then", "🙂", "😊",
    "🙏", "👍", "✅", "✔", "👌", "🙌", "👎", "❌",
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
        '👍' | '👎' | '✅' | '✔' | '❌' | '👌' | '🙌' | '🙂' | '😊' | '🙏'
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
        ] {
            assert_eq!(read(text), Some(ShortAnswer::Yes), "{text:?}");
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
}
