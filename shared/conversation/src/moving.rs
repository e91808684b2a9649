//! A request to move the appointment one already has, however it is phrased:
//! "can I move it to wednesday at 10am", "change my appointment to friday",
//! "push it to 4". The offline understanding reads several of these as a new
//! booking (a day and a time, and no "reschedule"), which would book twice.
//!
//! Owns the phrasings (how the message begins); must not decide what moving
//! does: the scheduling engine does.

use crate::phrases;

/// Whether the message begins by asking to move an existing appointment.
pub fn asked(text: &str) -> bool {
    let owned = phrases::normalise(text);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    BEGINNINGS
        .iter()
        .any(|pattern| phrases::starts(pattern, &words, class))
}

const BEGINNINGS: &[&str] = &[
    // "can I move it to", "could we change my appointment to", "please push it".
    "@ask? @move @it to|til|till|until|for|back|forward|up|earlier|later",
    // "actually, move my appt", "move my 3pm".
    "@ask? @move my|the @appt",
];

fn class(name: &str) -> &'static [&'static str] {
    match name {
        "ask" => &[
            "can_i",
            "could_i",
            "can_we",
            "could_we",
            "can_you",
            "could_you",
            "please",
            "actually",
            "i_need_to",
            "i_want_to",
            "id_like_to",
            "i_would_like_to",
            "i_wanna",
            "lets",
            "hi_can_i",
            "hey_can_i",
            "hi_could_i",
            "is_it_possible_to",
        ],
        "move" => &[
            "move",
            "change",
            "push",
            "switch",
            "shift",
            "reschedule",
            "bump",
            "postpone",
        ],
        "it" => &[
            "it",
            "that",
            "this",
            "my_appointment",
            "my_appt",
            "my_booking",
            "the_appointment",
            "the_appt",
        ],
        "appt" => &["appointment", "appt", "booking", "visit", "time", "slot"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asking_to_move_ones_appointment_is_recognised() {
        for text in [
            "can I move it to wednesday at 10am",
            "move it to friday",
            "Could we change my appointment to thursday at 2?",
            "push it to 4pm",
            "actually, move my appt to next week",
            "please change it to tomorrow morning",
            "can I push it back an hour",
            "I need to reschedule it to monday",
        ] {
            assert!(asked(text), "{text:?}");
        }
    }

    #[test]
    fn new_bookings_and_other_requests_are_not_moves() {
        for text in [
            "can I book wednesday at 10am",
            "book me for friday",
            "I'd like an appointment tomorrow",
            "cancel my appointment",
            "when is my appointment",
            "move",
            "",
        ] {
            assert!(!asked(text), "{text:?}");
        }
    }
}
