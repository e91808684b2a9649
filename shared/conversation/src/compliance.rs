//! Carrier compliance keywords, matched the way Twilio matches them.
//!
//! The whole message must be a single keyword (case and surrounding whitespace
//! ignored, trailing punctuation tolerated). Owns only the classification; what a
//! keyword does to consent is decided by the turn, since "YES" re-subscribes only a
//! contact who is opted out. Must not do I/O.

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
        return None;
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
        None
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
        assert_eq!(classify("please stop", None), None);
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
}
