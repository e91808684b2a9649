//! Asking for the first time the business can take someone, however it is
//! put: "whats the earliest you have", "next available?", "asap pls", "soonest
//! you can fit me in", "first opening". The offline understanding is often
//! unsure of these (no day, no time, no booking verb).
//!
//! Owns the phrasings; must not decide what is open: the scheduling engine
//! does.

use crate::phrases;

/// Whether the message asks for the first opening.
pub fn asked(text: &str) -> bool {
    let owned = phrases::normalise(text);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    let says = |phrase: &[&str]| words.windows(phrase.len()).any(|w| w == phrase);
    words
        .iter()
        .any(|w| matches!(*w, "earliest" | "soonest" | "asap" | "asp"))
        || says(&["as", "soon", "as", "possible"])
        || says(&["as", "soon", "as", "you", "can"])
        || ["first", "1st", "next"].iter().any(|first| {
            [
                "available",
                "availability",
                "opening",
                "open",
                "slot",
                "spot",
                "free",
            ]
            .iter()
            .any(|then| says(&[first, then]))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asking_for_the_first_opening_is_recognised() {
        for text in [
            "whats the earliest you have",
            "next available?",
            "asap pls",
            "soonest you can fit me in",
            "when is your first opening",
            "I need an appointment as soon as possible",
            "earliest appt please",
            "1st available pls",
        ] {
            assert!(asked(text), "{text:?}");
        }
    }

    #[test]
    fn other_requests_are_not() {
        for text in [
            "tmrw at 3",
            "what are your hours",
            "next week",
            "first of all, can I book friday",
            "",
        ] {
            assert!(!asked(text), "{text:?}");
        }
    }
}
