//! A request to move the appointment one already has, however it is phrased:
//! "can I move it to wednesday at 10am", "change my appointment to friday",
//! "push it to 4", "could we do thursday instead". The offline understanding reads several of these as a new
//! booking (a day and a time, and no "reschedule"), which would book twice.
//!
//! Owns the phrasings (how the message begins); must not decide what moving
//! does: the scheduling engine does.

use crate::phrases;

/// Whether the message asks to move an existing appointment: a sentence of
/// it begins like "can I move it to" (also after "I'm out of town, …"), or
/// it asks for another time "instead" ("could we do wednesday next week
/// instead").
pub fn asked(text: &str) -> bool {
    let owned = phrases::normalise(text);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    (0..words.len()).any(|from| {
        BEGINNINGS
            .iter()
            .any(|pattern| phrases::starts(pattern, &words[from..], class))
    }) || moves_an_appointment(&words)
        || words
            .iter()
            .any(|w| matches!(*w, "instead" | "insted" | "instaed"))
}

/// A moving word with the appointment right after it: "can i move tmrws
/// appt", "change the time of my appointment".
fn moves_an_appointment(words: &[&str]) -> bool {
    let moving = class("move");
    let appointment = class("appt");
    words.iter().enumerate().any(|(i, w)| {
        moving.contains(w)
            && words[i + 1..]
                .iter()
                .take(4)
                .any(|next| appointment.contains(next))
    })
}

const BEGINNINGS: &[&str] = &[
    // "can I move it to", "could we change my appointment to", "please push it".
    "@ask? @move @it to|til|till|until|for|back|forward|up|earlier|later",
    // "can we move it?", "could you reschedule it".
    "@ask @move @it",
    // "actually, move my appt", "move my 3pm".
    "@ask? @move my|the @appt",
    // "can I come in earlier", "could I get in a bit later".
    "@ask? come|come_in|get_in|be_in|be_there|arrive a_bit|a_little|a_little_bit|an_hour|bit? earlier|later|sooner",
    // "is there anything earlier tomorrow?", "got anything sooner".
    "is_there|are_there|got|do_you_have|you_have|any anything|something|any|one|times? earlier|sooner",
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
            "could we do wednesday next week instead",
            "can i come earlier tomorrow? like 1?",
            "is there anything earlier tomorrow? i'd rather come in the morning",
            "could I get in a bit later",
            "I'm going to be out of town, can we move it?",
            "hey! quick q - can i move tmrws appt to later in the day? like 4ish",
            "can you change the time of my appointment",
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
