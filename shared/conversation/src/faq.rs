//! Questions from the business's FAQ, as customers text them: "do you take
//! walk-ins?", "walkins??", "is there parking near you", "whats ur
//! cancellation policy". Offline: the words of the message against the words
//! of each entry's question.
//!
//! A message asks an entry's question when it is shaped like a question (a
//! question mark, a question word first, or a bare topic of a few words) and
//! its content words (normalised, stop words and days left out, plurals and
//! "-ing" folded, neighbours joined so "walk-ins", "walk in" and "walkins"
//! meet) mostly appear in the entry's question: at least half of the
//! message's, and at least a third of the question's (or two words). The
//! entry that shares the most wins; the first one on a tie.
//!
//! Never a request: a message with a word that acts ("book", "cancel",
//! "reschedule", "move", "change", …) or a clock time ("at 3", "10am") is not
//! a FAQ question, unless the entry's question has that word too ("can I book
//! online?"). Long messages are not either.
//!
//! Owns the matching. Must not decide what is answered nor change anything:
//! the dialogue answers with the entry and keeps what was pending.

use std::collections::HashSet;

use smsbot_domain::FaqEntry;

use crate::phrases;

/// Longer messages say more than a FAQ question.
const MAX_WORDS: usize = 30;
/// A bare topic ("parking", "walk ins pls") is a question this short.
const TOPIC_WORDS: usize = 3;

/// The entry of `faq` the whole message asks, if it asks one.
pub fn matching<'f>(text: &str, faq: &'f [FaqEntry]) -> Option<&'f FaqEntry> {
    if faq.is_empty() {
        return None;
    }
    let asked = Asked::read(text)?;
    let mut best: Option<(&FaqEntry, Score)> = None;
    for entry in faq {
        let question = Terms::of(&phrases::normalise(entry.question()));
        let Some(score) = asked.score(&question) else {
            continue;
        };
        if best.as_ref().is_none_or(|(_, b)| score.beats(b)) {
            best = Some((entry, score));
        }
    }
    best.map(|(entry, _)| entry)
}

/// A message that may ask a FAQ question: its terms, and the words that
/// would make it a request.
struct Asked {
    terms: Terms,
    /// Stems of acting words and clock times in the message.
    requests: Vec<String>,
}

impl Asked {
    fn read(text: &str) -> Option<Self> {
        let owned = phrases::normalise(text);
        let mut words: Vec<&str> = owned.iter().map(String::as_str).collect();
        if words.is_empty() || words.len() > MAX_WORDS {
            return None;
        }
        while words.len() > 1 && FILLERS.contains(&words[0]) {
            words.remove(0);
        }
        while words.len() > 1 && matches!(words[words.len() - 1], "please" | "thanks" | "thx") {
            words.pop();
        }
        let questioning = text.contains('?')
            || text.contains('\u{ff1f}')
            || QUESTION_WORDS.contains(&words[0])
            || words.len() <= TOPIC_WORDS;
        if !questioning {
            return None;
        }
        let mut requests = Vec::new();
        for word in &words {
            let stem = stem(word);
            if ACTIONS.contains(&stem.as_str()) {
                requests.push(stem);
            } else if is_clock_time(word) {
                requests.push((*word).to_owned());
            }
        }
        let owned: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        let terms = Terms::of(&owned);
        if terms.0.is_empty() {
            return None;
        }
        Some(Self { terms, requests })
    }

    /// How well the message asks `question`; `None` when it does not.
    fn score(&self, question: &Terms) -> Option<Score> {
        // A request is one unless the question itself says so.
        let allowed = question.forms();
        if self
            .requests
            .iter()
            .any(|r| !allowed.contains(r.as_str()) && !allowed.contains(stem(r).as_str()))
        {
            return None;
        }
        if question.0.is_empty() {
            return None;
        }
        let mine = self.terms.forms();
        let matched = self
            .terms
            .0
            .iter()
            .filter(|t| t.iter().any(|f| allowed.contains(f.as_str())))
            .count();
        let covered = question
            .0
            .iter()
            .filter(|t| t.iter().any(|f| mine.contains(f.as_str())))
            .count();
        let (mine_len, theirs_len) = (self.terms.0.len(), question.0.len());
        // A request word the question allows: only for exactly that question.
        let most_of_mine = if self.requests.is_empty() {
            matched * 2 >= mine_len
        } else {
            matched == mine_len
        };
        let enough = matched >= 1 && most_of_mine && (covered * 3 >= theirs_len || covered >= 2);
        enough.then_some(Score {
            matched,
            closeness: matched as f32 / mine_len as f32 + covered as f32 / theirs_len as f32,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Score {
    matched: usize,
    closeness: f32,
}

impl Score {
    fn beats(&self, other: &Score) -> bool {
        (self.matched, self.closeness) > (other.matched, other.closeness)
    }
}

/// A text's content words, each with the forms it may take: its stem, and
/// the stems of it joined with its neighbours ("walk" "in" → "walkin").
struct Terms(Vec<Vec<String>>);

impl Terms {
    fn of(words: &[String]) -> Self {
        let mut terms = Vec::new();
        for (i, word) in words.iter().enumerate() {
            if is_stop(word) {
                continue;
            }
            let mut forms = vec![stem(word)];
            if let Some(before) = i.checked_sub(1).and_then(|b| words.get(b)) {
                forms.push(stem(&format!("{before}{word}")));
            }
            if let Some(after) = words.get(i + 1) {
                forms.push(stem(&format!("{word}{after}")));
            }
            forms.dedup();
            terms.push(forms);
        }
        Self(terms)
    }

    fn forms(&self) -> HashSet<&str> {
        self.0.iter().flatten().map(String::as_str).collect()
    }
}

fn is_stop(word: &str) -> bool {
    STOP_WORDS.contains(&word)
        || DAYS.contains(&word)
        || phrases::WEEKDAYS.contains(&word)
        || word.chars().all(|c| !c.is_alphabetic())
}

/// A word folded to the stem it shares with its plural and "-ing" forms:
/// "walkins" → "walkin", "parking" → "park", "policies" → "policy",
/// "cancelled" → "cancel", "bookings" → "book".
fn stem(word: &str) -> String {
    unsuffix(&singular(word))
}

/// The word without a plural "s" or "es" ("ies" → "y").
fn singular(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let cut = |k: usize| chars[..n - k].iter().collect::<String>();
    let ends = |suffix: &str| word.ends_with(suffix);
    if n <= 3 {
        word.to_owned()
    } else if ends("ies") && n >= 5 {
        cut(3) + "y"
    } else if ends("sses") || ends("xes") || ends("ches") || ends("shes") || ends("zes") {
        cut(2)
    } else if ends("s") && !ends("ss") && !ends("us") && !ends("is") {
        cut(1)
    } else {
        word.to_owned()
    }
}

/// The word without "-ing" or "-ed" ("parking" → "park", "shopped" →
/// "shop", "cancelled" → "cancel").
fn unsuffix(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let cut = |k: usize| chars[..n - k].to_vec();
    let ends = |suffix: &str| word.ends_with(suffix);
    let mut stem = if ends("ing") && n >= 6 {
        cut(3)
    } else if ends("ied") && n >= 5 {
        let mut stem = cut(3);
        stem.push('y');
        return stem.into_iter().collect();
    } else if ends("ed") && n >= 5 && !ends("eed") {
        cut(2)
    } else {
        return word.to_owned();
    };
    // "shopp" → "shop", "cancell" → "cancel"; "call", "spell", "pass" stay.
    if let [.., a, b] = stem.as_slice()
        && a == b
        && a.is_alphabetic()
        && (!matches!(a, 'l' | 's' | 'z' | 'f') || (*a == 'l' && stem.len() > 5))
    {
        stem.pop();
    }
    stem.into_iter().collect()
}

/// "3", "10", "1030", "3pm", "10am", "noon": a time of day, which makes a
/// message a request ("walk in at 3?").
fn is_clock_time(word: &str) -> bool {
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    let rest = &word[digits..];
    match (digits, rest) {
        (0, rest) => matches!(rest, "noon" | "oclock" | "midday"),
        (1..=4, "" | "am" | "pm" | "a" | "p" | "h" | "hr" | "oclock") => true,
        _ => false,
    }
}

/// Words a message may start with before what it says.
const FILLERS: &[&str] = &[
    "hi",
    "hey",
    "hello",
    "yo",
    "quick",
    "question",
    "so",
    "wait",
    "oh",
    "ok",
    "okay",
    "btw",
    "also",
    "and",
    "sorry",
    "um",
    "hmm",
    "just",
    "wondering",
    "curious",
];

/// A message that starts with one of these asks something.
const QUESTION_WORDS: &[&str] = &[
    "do", "does", "did", "is", "are", "can", "could", "would", "will", "should", "may", "what",
    "whats", "where", "wheres", "when", "how", "hows", "who", "which", "why", "any", "anything",
    "got", "have", "has", "isnt", "arent", "dont", "doesnt", "cant", "u", "you", "r", "wat",
];

/// Stems of words that ask for something to be done, not explained.
const ACTIONS: &[&str] = &[
    "book",
    "rebook",
    "cancel",
    "cancl",
    "cancle",
    "cxl",
    "reschedule",
    "reschedul",
    "resched",
    "reschedual",
    "move",
    "mov",
    "change",
    "chang",
    "switch",
    "push",
    "confirm",
    "schedule",
    "schedul",
    "make",
    "mak",
    "set",
    "reserve",
    "reserv",
];

/// Days and parts of days (with [`phrases::WEEKDAYS`]): when, not what, so
/// they never count.
const DAYS: &[&str] = &[
    "today",
    "tonight",
    "tomorrow",
    "tmrw",
    "tmr",
    "weekend",
    "weekends",
    "week",
    "morning",
    "mornings",
    "afternoon",
    "afternoons",
    "evening",
    "evenings",
];

/// Words that carry no subject.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "so",
    "of",
    "to",
    "in",
    "ins",
    "on",
    "at",
    "for",
    "from",
    "with",
    "by",
    "about",
    "as",
    "into",
    "up",
    "out",
    "off",
    "over",
    "than",
    "then",
    "i",
    "me",
    "my",
    "mine",
    "you",
    "your",
    "yours",
    "u",
    "ur",
    "we",
    "us",
    "our",
    "they",
    "them",
    "their",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "there",
    "theres",
    "here",
    "what",
    "whats",
    "wat",
    "where",
    "wheres",
    "when",
    "how",
    "hows",
    "who",
    "whom",
    "which",
    "why",
    "do",
    "does",
    "did",
    "dont",
    "doesnt",
    "is",
    "are",
    "r",
    "was",
    "were",
    "be",
    "been",
    "am",
    "im",
    "ive",
    "id",
    "isnt",
    "arent",
    "have",
    "has",
    "had",
    "havent",
    "hasnt",
    "get",
    "got",
    "take",
    "takes",
    "accept",
    "accepts",
    "offer",
    "offers",
    "allow",
    "allowed",
    "need",
    "needs",
    "needed",
    "can",
    "cant",
    "could",
    "would",
    "will",
    "should",
    "may",
    "might",
    "must",
    "any",
    "anyone",
    "anything",
    "some",
    "someone",
    "something",
    "all",
    "also",
    "too",
    "just",
    "really",
    "very",
    "please",
    "thanks",
    "thank",
    "thx",
    "hi",
    "hey",
    "hello",
    "yo",
    "ok",
    "okay",
    "question",
    "quick",
    "wondering",
    "wonder",
    "curious",
    "know",
    "tell",
    "let",
    "like",
    "want",
    "wanna",
    "not",
    "no",
    "yes",
    "yeah",
    "yea",
    "ya",
    "guys",
    "folks",
    "yall",
    "still",
    "again",
    "ever",
    "now",
    "currently",
    "near",
    "nearby",
    "around",
    "available",
    "possible",
    "able",
    "okay",
    "fine",
    "there",
    "much",
    "many",
    "long",
    "go",
    "come",
    "going",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn faq() -> Vec<FaqEntry> {
        [
            (
                "Do you take walk-ins?",
                "Yes, weekdays before 3pm if a chair is free.",
            ),
            (
                "Is there parking?",
                "Free parking in the lot behind the salon.",
            ),
            (
                "What is your cancellation policy?",
                "Please give us 24 hours' notice; late cancellations may be charged.",
            ),
            (
                "Do you accept insurance or payment plans?",
                "We take most plans.",
            ),
            (
                "Do you have wifi?",
                "Yes: network Maple-Guest, password on the counter.",
            ),
            ("Can I book online?", "Yes, or just text us a day and time."),
            ("Are you open on holidays?", "Closed on public holidays."),
        ]
        .iter()
        .map(|(q, a)| FaqEntry::parse(q, a).unwrap())
        .collect()
    }

    fn asked(text: &str) -> Option<String> {
        let faq = faq();
        matching(text, &faq).map(|e| e.question().to_owned())
    }

    #[test]
    fn questions_about_an_entry_are_matched_however_they_are_written() {
        for (text, question) in [
            ("do you take walk-ins?", "Do you take walk-ins?"),
            ("Do u take walkins", "Do you take walk-ins?"),
            ("walk ins??", "Do you take walk-ins?"),
            ("hi do you guys accept walk in", "Do you take walk-ins?"),
            ("can i just walk in?", "Do you take walk-ins?"),
            ("do you take walk-ins on saturday?", "Do you take walk-ins?"),
            ("is there parking", "Is there parking?"),
            ("where can i park my car?", "Is there parking?"),
            ("parking?", "Is there parking?"),
            (
                "whats ur cancellation policy",
                "What is your cancellation policy?",
            ),
            ("cancellation policy?", "What is your cancellation policy?"),
            (
                "do you take insurance?",
                "Do you accept insurance or payment plans?",
            ),
            ("do you have wi-fi", "Do you have wifi?"),
            ("can i book online?", "Can I book online?"),
            ("online booking?", "Can I book online?"),
            ("r u open on holidays", "Are you open on holidays?"),
            ("PARKING?? 🚗", "Is there parking?"),
        ] {
            assert_eq!(asked(text).as_deref(), Some(question), "{text:?}");
        }
    }

    #[test]
    fn requests_and_other_messages_are_never_taken_for_a_faq_question() {
        for text in [
            "can I book a walk-in tomorrow at 3",
            "book me a walk in",
            "walk in at 3pm?",
            "can i come in at 10 am",
            "cancel my appointment",
            "i need to cancel",
            "can i cancel my walk in",
            "can i change my appointment",
            "reschedule please",
            "can i book online for friday at 2?",
            "can i book a walk in?",
            "can i make an appointment",
            "yes",
            "ok",
            "thanks!",
            "I'm in the parking lot",
            "my car got a parking ticket from your lot last week and I am not happy",
            "what is albert einstein famous for",
            "",
            "???",
            "🙂",
        ] {
            assert_eq!(asked(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_business_without_a_faq_matches_nothing() {
        assert!(matching("do you take walk-ins?", &[]).is_none());
    }

    #[test]
    fn plurals_and_ing_forms_share_a_stem() {
        for (a, b) in [
            ("walkins", "walkin"),
            ("parking", "park"),
            ("policies", "policy"),
            ("cancelled", "cancel"),
            ("shopping", "shop"),
            ("bookings", "book"),
            ("plans", "plan"),
            ("glasses", "glass"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} ~ {b}");
        }
    }

    proptest! {
        #[test]
        fn fuzz_no_message_makes_the_faq_matcher_panic(text in "\\PC{0,400}") {
            let faq = faq();
            if let Some(entry) = matching(&text, &faq) {
                prop_assert!(faq.contains(entry));
            }
        }

        #[test]
        fn fuzz_words_emoji_and_odd_unicode_never_make_it_panic(
            words in proptest::collection::vec(
                prop_oneof![
                    Just("walk-ins".to_owned()), Just("parking".to_owned()),
                    Just("🙂".to_owned()), Just("👨‍👩‍👧".to_owned()), Just("?".to_owned()),
                    Just("İstanbul".to_owned()), Just("ß".to_owned()), Just("ǅ".to_owned()),
                    Just("3pm".to_owned()), Just("١٢".to_owned()), Just("\u{301}".to_owned()),
                    "\\PC{1,12}",
                ],
                0..60,
            ),
        ) {
            let text = words.join(" ");
            let faq = faq();
            let _ = matching(&text, &faq);
            let long = text.repeat(20);
            let _ = matching(&long, &faq);
        }
    }
}
