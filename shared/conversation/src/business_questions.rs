//! Questions about the business itself, as people text them: "what are your
//! hours", "are you open saturday?", "where are you located", "what's your
//! number", "do you have a website". Answered from the business profile,
//! offline; a question about something the profile does not hold gets the
//! business's name and a call. The profile's FAQ is `crate::faq`.
//!
//! Owns the phrasings, and which messages the profile answers (so the turn
//! asks no LLM about them); must not decide what the answer says.

use std::sync::LazyLock;

use crate::faq;
use crate::phrases;
use crate::policy::BusinessProfile;

/// What a message asks about the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusinessQuestion {
    Hours,
    Location,
    Phone,
    Website,
}

/// Whether the dialogue answers the whole message from `profile` (a
/// question about the business, or one of its FAQ): understanding it needs
/// no LLM.
pub fn answered_from(text: &str, profile: &BusinessProfile) -> bool {
    asked(text).is_some() || faq::matching(text, &profile.faq).is_some()
}

/// The whole message as a question about the business, or `None`.
pub fn asked(text: &str) -> Option<BusinessQuestion> {
    let owned = phrases::normalise(text);
    let mut words: Vec<&str> = owned.iter().map(String::as_str).collect();
    while words.len() > 1
        && matches!(
            words[0],
            "hi" | "hey"
                | "hello"
                | "quick"
                | "question"
                | "so"
                | "wait"
                | "oh"
                | "ok"
                | "okay"
                | "btw"
                | "also"
                | "and"
                | "sorry"
                | "um"
        )
    {
        words.remove(0);
    }
    while words.len() > 1 && matches!(words[words.len() - 1], "please" | "thanks" | "again") {
        words.pop();
    }
    let any = |patterns: &[&str]| patterns.iter().any(|p| phrases::matches(p, &words, class));
    if any(HOURS) {
        Some(BusinessQuestion::Hours)
    } else if any(LOCATION) {
        Some(BusinessQuestion::Location)
    } else if any(PHONE) {
        Some(BusinessQuestion::Phone)
    } else if any(WEBSITE) {
        Some(BusinessQuestion::Website)
    } else {
        None
    }
}

const HOURS: &[&str] = &[
    // "what are your hours", "hours?", "what are your opening hours today".
    "what|wat are? your? opening|business|office? hours @day?",
    "opening|business? hours @day?",
    // "when are you open", "are you open saturday", "r u open tomorrow".
    "when are you open|closed @day?",
    "are you open|closed on? @day?",
    // "what time do you open", "what time do you close on friday".
    "what_time|when do you open|close @day?",
    "what_time|when do you open|close on? @day?",
    // "open on saturdays?", "saturday hours?".
    "open|closed on? @day",
    "@day hours",
    "hours on? @day",
];

const LOCATION: &[&str] = &[
    // "where are you", "where are you located", "where r u".
    "where are you guys|all|folks? located|based|at? exactly?",
    "where is|s your office|clinic|salon|shop|place|location",
    "whats|what_is your address|location",
    "address|location",
    "how do i get there|to_you",
];

const PHONE: &[&str] = &[
    // "what's your number", "can I call you", "phone number?".
    "whats|what_is your phone? number",
    "phone number?",
    "can|could i call you",
    "what number can|should i call",
];

const WEBSITE: &[&str] = &[
    // "what's your website", "whats ur site", "what is the web address".
    "whats|what_is your|the website|site|web_site|webpage|web_page|url|web_address|link",
    // "do you have a website", "do u guys have a site?", "got a website?".
    "do|does you guys|all|folks? have a|an? website|site|web_site|webpage|web_page",
    "is_there|got a|an? website|site|web_site|webpage|web_page",
    // "website?", "your website".
    "your|the? website|web_site|webpage|web_page|web_address",
    // "can I see your website", "send me the link to your site".
    "can|could i see|have|get your|the website|site|web_site|link",
    "send|text me|us? your|the website|site|web_site|link|url",
    "send|text? me|us? the? link to|for your|the website|site|web_site",
    "are you online",
];

/// `@day`: a day or when, as a question about opening hours names it.
static DAY: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    [
        "today",
        "tonight",
        "tomorrow",
        "tmrw",
        "this_weekend",
        "on_weekends",
        "weekends",
        "on_monday",
        "on_tuesday",
        "on_wednesday",
        "on_thursday",
        "on_friday",
        "on_saturday",
        "on_sunday",
        "on_mon",
        "on_tue",
        "on_tues",
        "on_wed",
        "on_thu",
        "on_thurs",
        "on_fri",
        "on_sat",
        "on_sun",
        "now",
        "right_now",
    ]
    .into_iter()
    .chain(phrases::WEEKDAYS.iter().copied())
    .collect()
});

fn class(name: &str) -> &'static [&'static str] {
    match name {
        "day" => DAY.as_slice(),
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BusinessQuestion::*;

    #[test]
    fn questions_about_the_business_are_recognised() {
        for (text, question) in [
            ("what are your hours?", Hours),
            ("What are your opening hours", Hours),
            ("hours?", Hours),
            ("when are you open", Hours),
            ("are you open saturday?", Hours),
            ("r u open tmrw", Hours),
            ("wat r ur hours", Hours),
            ("where r u located", Location),
            ("are you open on sunday", Hours),
            ("what time do you close today?", Hours),
            ("where are you?", Location),
            ("where are you located", Location),
            ("what's your address", Location),
            ("address?", Location),
            ("what's your number", Phone),
            ("can I call you", Phone),
            ("wait what time do u close", Hours),
            ("oh and where are you located?", Location),
            ("where are u guys", Location),
            ("open on saturdays?", Hours),
            ("what time do u close on fri", Hours),
            ("whats ur website", Website),
            ("what's your website?", Website),
            ("do you have a website", Website),
            ("do u guys have a site?", Website),
            ("website?", Website),
            ("got a website?", Website),
            ("can i see your website", Website),
            ("link to your website pls", Website),
        ] {
            assert_eq!(asked(text), Some(question), "{text:?}");
        }
    }

    #[test]
    fn booking_requests_and_other_messages_are_not_questions_about_the_business() {
        for text in [
            "are you open at 3pm tomorrow? I'd like to book",
            "can I come saturday at 10",
            "book me for tomorrow",
            "when is my appointment",
            "call me",
            "what time is my appointment",
            "where do I park",
            "i booked on your website",
            "the website says you're open sunday",
            "",
        ] {
            assert_eq!(asked(text), None, "{text:?}");
        }
    }
}
