//! Carrier compliance keywords, matched the way Twilio matches them, and
//! opt-out requests in the customer's own words.
//!
//! A Twilio keyword is the whole message as a single word (case and surrounding
//! whitespace ignored, trailing punctuation tolerated). Anything else is read as
//! an opt-out request only when the *whole* message, once normalised (see
//! `crate::phrases`), is one of a short list of phrasings ([`BARE`], [`REQUESTS`]),
//! give or take politeness around it ([`LEADING`], [`TRAILING`]). Nothing is
//! searched for inside a longer message: "can I stop by at 3?", "cancel my 3pm"
//! and "don't text me the address, just call" stay conversation. Owns only the
//! classification; what a keyword does to consent is decided by the turn, since
//! "YES" re-subscribes only a contact who is opted out. Must not do I/O.

use crate::phrases;

/// A compliance keyword found in an inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// STOP, STOPALL, UNSUBSCRIBE, END, QUIT, REVOKE, OPTOUT, CANCEL: Twilio
    /// (or the carrier) recognises these itself and confirms them.
    OptOut,
    /// A request to stop that Twilio does not recognise (in the customer's own
    /// words, or in another language): honoured the same, and confirmed by us.
    OptOutRequest,
    /// START, UNSTOP: always a request to re-subscribe.
    OptIn,
    /// YES: a re-subscription only from an opted-out contact, else an answer.
    Yes,
    /// HELP, INFO.
    Help,
    /// The business's marketing opt-in word (JOIN unless configured otherwise):
    /// marketing consent, with service consent. Only
    /// `crate::marketing::MarketingOptIn::classify` finds it, since the word is
    /// a setting.
    MarketingOptIn,
}

const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "CANCEL",
];
const OPT_IN: &[&str] = &["START", "UNSTOP"];
const HELP: &[&str] = &["HELP", "INFO"];

/// Classifies a message. Twilio's `OptOutType` (Advanced Opt-Out) wins when present,
/// since Twilio has already acted on it.
pub fn classify(body: &str, opt_out_type: Option<&str>) -> Option<Keyword> {
    if let Some(kind) = opt_out_type {
        match kind.trim().to_ascii_uppercase().as_str() {
            "STOP" => return Some(Keyword::OptOut),
            "START" => return Some(Keyword::OptIn),
            "HELP" => return Some(Keyword::Help),
            _ => {}
        }
    }
    let word = body
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .trim()
        .to_ascii_uppercase();
    if word.contains(char::is_whitespace) {
        return opt_out_request(body).then_some(Keyword::OptOutRequest);
    }
    let word = word.as_str();
    if OPT_OUT.contains(&word) {
        Some(Keyword::OptOut)
    } else if OPT_IN.contains(&word) {
        Some(Keyword::OptIn)
    } else if word == "YES" {
        Some(Keyword::Yes)
    } else if HELP.contains(&word) {
        Some(Keyword::Help)
    } else {
        opt_out_request(body).then_some(Keyword::OptOutRequest)
    }
}

// ---------------------------------------------------------------------------
// Opt-out requests in the customer's own words.
//
// Patterns are `crate::phrases` patterns over the normalised message, with
// the word classes of `class` below.
// ---------------------------------------------------------------------------

/// Requests that are a bare "stop" and nothing else. Read as an opt-out only
/// without a "wish" prefix: "please stop" and "stop it" are, but "I want to
/// stop" (stop what?) and "quiero cancelar" (cancel my appointment) are not.
const BARE: &[&str] = &[
    // "Stop please", "please stop", "stpo", "STOP 🛑" (Twilio matches the
    // single word only, so these reach us and we confirm them).
    "@stop",
    "@stop @stop @stop?",
    // "stop it", "stop this", "stop all".
    "@stop it|this|that|all|everything",
    // Spanish single words Twilio does not know. CANCELAR is here because
    // a lone CANCEL is an opt-out in English and the bot has no Spanish
    // dialogue for appointments; inside a sentence ("cancelar mi cita") it
    // is never one. PARA is not: it is also "for".
    "parar|pare|paren|detener|detengan|baja|alto|cancelar|desuscribir|desuscribirme|desuscribirse",
    "no mas",
];

/// Requests that say what is to stop; also read after "I want to" etc.
const REQUESTS: &[&str] = &[
    // "stop texting me", "stpo texting", "stop messaging me on this number".
    "@stop @texting @me? @number?",
    // "stop sending me messages", "stop sending texts", "stop sending".
    "@stop sending|send @me? @the? @more? @msgs? @from_you?",
    // "stop the texts", "stop all messages", "stop receiving texts".
    "@stop receiving|getting? @the? @msgs @from_you?",
    // "no more messages", "no more texts pls".
    "no more|further @msgs @from_you?",
    // "unsubscribe me", "unsubcribe", "unsubscribe me from your list".
    "@unsub @me? from? @the? @list?",
    // "opt me out", "opt out", "opt me out of your texts".
    "opt @me? out of|from? @the? @list?",
    "optout|opt_out|unsub @me",
    // "take me off your list", "remove my number from the list".
    "take|get|remove|delete|drop|erase @me off|from|of|out_of @the? @list",
    // "remove me", "delete my number": nothing else to remove a person from.
    "remove|delete|erase @me",
    // "don't text me", "dont text me anymore", "do not contact me",
    // "never text this number again"; never with anything after it.
    "dont|never ever? @text @me? @number? ever? again?",
    // Plural only from here on: "don't send the text" may be about one text.
    "dont|never ever? send @me? @the? @more? @many @from_you? ever? again?",
    // "I don't want these texts", "I don't want to receive any more messages".
    "i|we? dont|no_longer want|need @the? @more? @many @from_you?",
    "i|we? dont|no_longer want|wish to receive|get @the? @more? @many @from_you?",
    "i|we? dont|no_longer want|wish to be texted|contacted|messaged",
    // "leave me alone".
    "leave @me alone",
    // "cancel texts", "cancel all messages" (but never "cancel my 3pm": only
    // messages can follow, and "subscription" may be a salon membership).
    "cancel @the? @many",
    // "revoke consent", "I withdraw my consent".
    "i? revoke|withdraw my? consent",
    // Spanish: "darme de baja", "no más mensajes", "no me manden mensajes".
    "darse|darme|dar|dame|deme|denme de baja",
    "no quiero? mas? @msgs_es",
    "no me manden|envien|escriban|mande|envie|escriba mas? @msgs_es?",
    "parar|detener|cancelar @msgs_es",
];

/// Politeness in front of a request: "please", "can you", "hi", "wrong number".
const LEADING: &[&[&str]] = &[
    &["please"],
    &["just"],
    &["ok"],
    &["okay"],
    &["hi"],
    &["hey"],
    &["hello"],
    &["seriously"],
    &["can", "you"],
    &["could", "you"],
    &["will", "you"],
    &["would", "you"],
    &["i", "said"],
    &["wrong", "number"],
    &["por", "favor"],
    &["porfa"],
    &["ya"],
];

/// A wish in front of a request: "I want to unsubscribe". After one of these,
/// only `REQUESTS` count (see `BARE`).
const WISH: &[&[&str]] = &[
    &["i", "want", "to"],
    &["i", "wanna"],
    &["i", "would", "like", "to"],
    &["id", "like", "to"],
    &["i", "wish", "to"],
    &["i", "need", "to"],
    &["we", "want", "to"],
    &["quiero"],
    &["quisiera"],
];

/// Politeness and emphasis after a request: "stop texting me now pls thanks".
const TRAILING: &[&[&str]] = &[
    &["please"],
    &["now"],
    &["right", "now"],
    &["asap"],
    &["immediately"],
    &["thanks"],
    &["thank", "you"],
    &["thx"],
    &["ty"],
    &["ok"],
    &["anymore"],
    &["any", "more"],
    &["already"],
    &["for", "good"],
    &["forever"],
    &["por", "favor"],
    &["porfa"],
    &["ya"],
    &["gracias"],
];

/// The words a `@class` in a pattern stands for, misspellings included.
fn class(name: &str) -> &'static [&'static str] {
    match name {
        // QUIT, CANCEL and END are Twilio's when alone; "quit texting me" is ours.
        "stop" => &[
            "stop", "stpo", "sotp", "stopp", "stahp", "stp", "quit", "cease", "halt",
        ],
        "texting" => &[
            "texting",
            "txting",
            "texing",
            "textin",
            "txtin",
            "messaging",
            "messageing",
            "msging",
            "messeging",
            "contacting",
            "spamming",
            "bothering",
            "harassing",
        ],
        "text" => &["text", "txt", "message", "msg", "sms", "contact", "spam"],
        "msgs" => &[
            "texts",
            "txts",
            "text",
            "txt",
            "messages",
            "message",
            "msgs",
            "msg",
            "mesages",
            "messeges",
            "sms",
            "smss",
            "text_messages",
            "notifications",
            "alerts",
            "spam",
        ],
        "many" => &[
            "texts",
            "txts",
            "messages",
            "msgs",
            "mesages",
            "messeges",
            "sms",
            "text_messages",
            "notifications",
            "alerts",
        ],
        "msgs_es" => &["mensajes", "mensaje", "textos", "sms", "msjs", "msj"],
        "me" => &["me", "us", "my_number", "this_number", "my_phone"],
        "number" => &[
            "this_number",
            "my_number",
            "this_phone",
            "my_phone",
            "on_this_number",
            "on_my_number",
            "on_this_phone",
            "on_my_phone",
        ],
        "the" => &[
            "the",
            "these",
            "those",
            "this",
            "that",
            "your",
            "all",
            "all_the",
            "all_these",
            "any",
            "my",
        ],
        "more" => &["more", "any_more", "further"],
        "from_you" => &["from_you", "from_this_number", "from_this", "from_here"],
        "list" => &[
            "list",
            "lists",
            "text_list",
            "texting_list",
            "sms_list",
            "mailing_list",
            "contact_list",
            "message_list",
            "messaging_list",
            "distribution_list",
            "call_list",
            "contacts",
            "database",
            "system",
            "texts",
            "messages",
            "msgs",
            "sms",
            "notifications",
            "alerts",
            "this",
            "everything",
        ],
        "unsub" => &[
            "unsubscribe",
            "unsubcribe",
            "unsuscribe",
            "unsubscibe",
            "unsubsribe",
            "unsubscrib",
            "unsubsrcibe",
            "unsubscirbe",
            "unscubscribe",
            "unsubscriber",
            "unsub",
            "unsubs",
        ],
        _ => &[],
    }
}

/// Whether the whole message asks, in words Twilio does not know, to stop.
fn opt_out_request(body: &str) -> bool {
    let owned = phrases::normalise(body);
    let mut words: Vec<&str> = owned.iter().map(String::as_str).collect();
    strip_politeness(&mut words);
    let mut wished = false;
    if let Some(wish) = WISH.iter().find(|w| words.starts_with(w)) {
        words.drain(..wish.len());
        wished = true;
        strip_politeness(&mut words);
    }
    if words.is_empty() {
        return false;
    }
    (!wished && BARE.iter().any(|p| phrases::matches(p, &words, class)))
        || REQUESTS.iter().any(|p| phrases::matches(p, &words, class))
}

/// Drops `LEADING` and `TRAILING` words, never the last word.
fn strip_politeness(words: &mut Vec<&str>) {
    loop {
        if let Some(f) = LEADING
            .iter()
            .find(|f| words.len() > f.len() && words.starts_with(f))
        {
            words.drain(..f.len());
        } else if let Some(f) = TRAILING
            .iter()
            .find(|f| words.len() > f.len() && words.ends_with(f))
        {
            words.truncate(words.len() - f.len());
        } else {
            return;
        }
    }
}

/// An answer to an appointment reminder ("Reply C to confirm, R to reschedule,
/// or X to cancel"). Only meaningful right after a reminder; CANCEL stays an
/// opt-out, which is why reminders ask for X.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderAnswer {
    Confirm,
    Reschedule,
    Cancel,
}

/// Reads a reminder answer: the whole message must be C, R or X (any case,
/// trailing punctuation tolerated).
pub fn reminder_answer(body: &str) -> Option<ReminderAnswer> {
    match body
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .trim()
        .to_ascii_uppercase()
        .as_str()
    {
        "C" => Some(ReminderAnswer::Confirm),
        "R" => Some(ReminderAnswer::Reschedule),
        "X" => Some(ReminderAnswer::Cancel),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phrases::normalise;

    #[test]
    fn every_twilio_opt_out_word_opts_out_whatever_its_case() {
        for word in OPT_OUT {
            assert_eq!(classify(word, None), Some(Keyword::OptOut), "{word}");
            assert_eq!(
                classify(&format!("  {}\n", word.to_lowercase()), None),
                Some(Keyword::OptOut)
            );
        }
    }

    #[test]
    fn a_lone_cancel_is_an_opt_out_but_cancel_my_appointment_is_not_a_keyword() {
        assert_eq!(classify("Cancel", None), Some(Keyword::OptOut));
        assert_eq!(classify("cancel my appointment", None), None);
        // Not Twilio's keyword (Twilio will not confirm it), but still a
        // request to stop, which we confirm ourselves.
        assert_eq!(classify("please stop", None), Some(Keyword::OptOutRequest));
    }

    #[test]
    fn start_and_unstop_opt_in_and_yes_is_set_apart() {
        assert_eq!(classify("start", None), Some(Keyword::OptIn));
        assert_eq!(classify("UNSTOP", None), Some(Keyword::OptIn));
        assert_eq!(classify("Yes!", None), Some(Keyword::Yes));
        assert_eq!(classify("yes please", None), None);
    }

    #[test]
    fn reminder_answers_are_single_letters_and_none_is_a_carrier_keyword() {
        assert_eq!(reminder_answer(" c "), Some(ReminderAnswer::Confirm));
        assert_eq!(reminder_answer("R."), Some(ReminderAnswer::Reschedule));
        assert_eq!(reminder_answer("x"), Some(ReminderAnswer::Cancel));
        assert_eq!(reminder_answer("cancel"), None);
        for answer in ["C", "R", "X"] {
            assert_eq!(classify(answer, None), None);
        }
    }

    #[test]
    fn help_and_info_ask_for_help() {
        assert_eq!(classify("help", None), Some(Keyword::Help));
        assert_eq!(classify("INFO", None), Some(Keyword::Help));
    }

    #[test]
    fn twilios_opt_out_type_wins_over_the_text() {
        assert_eq!(classify("arrêtez", Some("STOP")), Some(Keyword::OptOut));
        assert_eq!(classify("whatever", Some("START")), Some(Keyword::OptIn));
    }

    /// Requests to stop in the customer's own words (or in Spanish), which
    /// Twilio does not act on: honoured, and confirmed by us.
    const REQUESTS_TO_STOP: &[&str] = &[
        "stop texting me",
        "please stop texting me",
        "Please stop texting me!!",
        "stop sending me messages",
        "Stop sending me these messages please",
        "no more messages",
        "no more texts pls",
        "No more texts 🙏",
        "unsubscribe me",
        "Unsubscribe me from your list",
        "opt me out",
        "Opt-out",
        "opt out please",
        "take me off your list",
        "take me off your texting list",
        "remove me from your list",
        "Remove my number from your list.",
        "remove me",
        "don't text me",
        "Don’t text me",
        "dont text me anymore",
        "do not contact me",
        "Do not text this number again",
        "never text me again",
        "leave me alone",
        "Leave me alone!!! 😡",
        "I don't want these texts",
        "I do not want to receive any more messages from you",
        "i dont want ur texts",
        "Stop please",
        "please stop",
        "stop it",
        "Stop it now",
        "STOP 🛑",
        "stop,",
        "stop stop stop",
        "stoppp",
        "Stop all",
        "unsubcribe",
        "unsuscribe me",
        "stpo texting",
        "stpo",
        "stop texting me on this number",
        "stop the texts",
        "stop receiving messages",
        "quit texting me",
        "stop messaging me",
        "stop contacting me",
        "stop spamming me",
        "can you stop texting me",
        "could you please remove me from your list",
        "hi, please unsubscribe me",
        "wrong number, stop texting me",
        "I want to unsubscribe",
        "I'd like to opt out",
        "i wanna unsubscribe",
        "cancel all texts",
        "cancel these messages",
        "i revoke consent",
        "stop texting me now pls thanks",
        "STOP TEXTING ME",
        "  Stop   texting   me  ",
        // Spanish.
        "PARAR",
        "baja",
        "Baja.",
        "ALTO",
        "alto por favor",
        "detener",
        "cancelar",
        "NO MAS",
        "NO MÁS",
        "No más!",
        "no más mensajes",
        "no quiero más mensajes",
        "DESUSCRIBIR",
        "desuscribirme",
        "DARSE DE BAJA",
        "darme de baja",
        "Quiero darme de baja",
        "dar de baja por favor",
        "no me manden más mensajes",
    ];

    /// Messages that look like an opt-out and are not one.
    const LOOK_ALIKES: &[&str] = &[
        "can I stop by tomorrow at 3?",
        "stop by around noon",
        "I'll stop by later",
        "cancel my appointment",
        "cancel my 3pm",
        "I need to cancel",
        "I want to cancel",
        "cancel it",
        "please cancel",
        "please don't cancel",
        "cancel all",
        "cancel my subscription",
        "no more than 30 minutes please",
        "no more",
        "no",
        "no thanks",
        "don't text me the address, just call",
        "don't text me, just call",
        "dont send the text",
        "don't bother",
        "don't worry",
        "can you remove my 2pm appointment",
        "remove my appointment from the calendar",
        "please remove me from the 3pm slot",
        "is the bus stop near you?",
        "which stop do I get off at",
        "I have an alto sax lesson on Tuesday",
        "alto sax lesson at 3",
        "I live in Palo Alto",
        "Palo Alto",
        "I want to stop",
        "I need to stop at the bank first",
        "stop",
        "STOP",
        "Stop.",
        "stop!!!",
        "quiero cancelar",
        "quiero cancelar mi cita",
        "cancelar mi cita",
        "para mañana a las 3",
        "para",
        "mas tarde",
        "no, más tarde",
        "Hola, quisiera saber si tienen disponibilidad",
        "text me the address",
        "please text me when you're ready",
        "you can text me anytime",
        "I don't want the 3pm, any later?",
        "I don't want Tuesday",
        "no more appointments this week",
        "leave it",
        "leave me a message",
        "opt in",
        "subscribe",
        "sure",
        "yes please",
        "unsure",
        "end of the day works",
        "the end",
        "stop sending me to voicemail",
        "thanks",
        "bye",
        "adios",
        "",
        "   ",
        "🙏",
        "!!!",
    ];

    #[test]
    fn requests_in_the_customers_own_words_are_opt_out_requests() {
        assert!(REQUESTS_TO_STOP.len() >= 30);
        let missed: Vec<_> = REQUESTS_TO_STOP
            .iter()
            .filter(|m| classify(m, None) != Some(Keyword::OptOutRequest))
            .map(|m| (m, classify(m, None)))
            .collect();
        assert!(missed.is_empty(), "not read as requests: {missed:?}");
    }

    #[test]
    fn look_alikes_are_not_requests_to_stop() {
        assert!(LOOK_ALIKES.len() >= 30);
        let wrong: Vec<_> = LOOK_ALIKES
            .iter()
            .filter(|m| classify(m, None) == Some(Keyword::OptOutRequest))
            .collect();
        assert!(wrong.is_empty(), "read as requests to stop: {wrong:?}");
        let opted_out: Vec<_> = LOOK_ALIKES
            .iter()
            .filter(|m| classify(m, None) == Some(Keyword::OptOut))
            .collect();
        assert_eq!(
            opted_out,
            [&"stop", &"STOP", &"Stop.", &"stop!!!"],
            "only Twilio's own keyword, alone, is Twilio's opt-out"
        );
    }

    #[test]
    fn twilios_own_words_stay_twilios_even_with_trailing_punctuation() {
        for word in [
            "stop.",
            "STOP!!!",
            "Unsubscribe!",
            "end?",
            "quit",
            "Cancel.",
        ] {
            assert_eq!(classify(word, None), Some(Keyword::OptOut), "{word}");
        }
        // With anything else around it, Twilio does not act: we confirm.
        assert_eq!(classify("stop 🛑", None), Some(Keyword::OptOutRequest));
        assert_eq!(classify("quit please", None), Some(Keyword::OptOutRequest));
    }

    #[test]
    fn accents_and_case_are_folded_with_unicode_rules() {
        assert_eq!(normalise("NO MÁS"), ["no", "mas"]);
        assert_eq!(normalise("DÉJENME"), ["dejenme"]);
        assert_eq!(normalise("Don’t  TEXT me!!! 😡"), ["dont", "text", "me"]);
        assert_eq!(normalise("do not, pls"), ["dont", "please"]);
        assert_eq!(normalise("stoppp 2000"), ["stop", "2000"]);
    }

    #[test]
    fn a_wish_makes_only_a_request_that_says_what_to_stop() {
        assert_eq!(classify("I want to stop", None), None);
        assert_eq!(classify("quiero cancelar", None), None);
        assert_eq!(
            classify("I want to stop getting texts", None),
            Some(Keyword::OptOutRequest)
        );
    }

    #[test]
    fn every_class_named_in_a_pattern_has_words() {
        for pattern in BARE.iter().chain(REQUESTS) {
            for element in pattern.split_whitespace() {
                for alternative in element.trim_end_matches('?').split('|') {
                    if let Some(name) = alternative.strip_prefix('@') {
                        assert!(!class(name).is_empty(), "@{name} in {pattern:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn patterns_are_written_in_normalised_words() {
        for pattern in BARE.iter().chain(REQUESTS) {
            for word in pattern
                .split(['|', '_', ' ', '?'])
                .filter(|w| !w.is_empty())
            {
                let word = word.trim_start_matches('@');
                assert_eq!(normalise(word), [word], "{pattern:?}");
            }
        }
    }
}
