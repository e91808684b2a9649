//! Questions about the customer's own appointments, as people text them: "when
//! is my appointment?", "what time is my appt again", "what time am I booked",
//! "do I have anything this week", "is it still on for tomorrow?". The offline
//! understanding mistakes several of these for booking requests (a time word
//! and no verb), so the whole message is checked against these phrasings
//! first; a match lists the appointments and never starts a booking.
//!
//! Owns the phrasings; must not decide what the answer says.

use crate::phrases;

/// Whether the whole message asks about the sender's own appointments.
pub fn asked(text: &str) -> bool {
    let owned = phrases::normalise(text);
    // Texted spellings of the question words.
    let mut words: Vec<&str> = owned
        .iter()
        .map(|w| match w.as_str() {
            "wat" | "wut" | "wht" => "what",
            "wats" | "wuts" => "whats",
            "wen" => "when",
            w => w,
        })
        .collect();
    while words.len() > 1
        && matches!(
            words[0],
            "hi" | "hey"
                | "hello"
                | "sorry"
                | "quick"
                | "question"
                | "so"
                | "um"
                | "wait"
                | "oh"
                | "ok"
                | "okay"
                | "k"
                | "btw"
                | "also"
                | "and"
                | "thanks"
                | "thx"
                | "ty"
                | "great"
                | "cool"
                | "perfect"
                | "awesome"
        )
    {
        words.remove(0);
    }
    while words.len() > 1
        && matches!(
            words[words.len() - 1],
            "again" | "please" | "thanks" | "thank" | "you" | "exactly" | "right"
        )
    {
        words.pop();
    }
    QUESTIONS
        .iter()
        .any(|pattern| phrases::matches(pattern, &words, class))
        || BEGINNINGS.iter().any(|pattern| {
            (0..=words.len()).any(|end| {
                words.len() - end <= AFTER_A_BEGINNING
                    && phrases::matches(pattern, &words[..end], class)
            })
        })
}

/// How many words may follow a beginning: a few ("at 3?", "for 3 or 4?"),
/// not another request ("is my appt at 3? can i push it to 4").
const AFTER_A_BEGINNING: usize = 4;

/// Beginnings that make a short message a question about one's own
/// booking: "did i book for 3 or 4?", "is my appt at 3?".
const BEGINNINGS: &[&str] = &[
    "did|have i book|booked|schedule|scheduled",
    "what|when|what_time|what_day|which_day did i book|schedule|make",
    "is|was my @appt at|on|for|still|tomorrow|today",
    "whats|what_is my @appt time|day|date",
    "just? checking|confirming what_time|what_day|when",
];

const QUESTIONS: &[&str] = &[
    // "when is my appointment", "what time is my appt", "when's my next visit".
    "when|what_time|what_day|what_date|which_day is|s|was my next|other? @appt @when?",
    // Right after booking or moving: "what time was it again", "when is it now".
    "when|what_time|what_day|what_date|which_day was it|that",
    "when|whens is|s? it|that now?",
    "whens|whats my next? @appt @when?",
    // "what time am I booked", "when am I scheduled for", "what day am I coming in".
    "when|what_time|what_day|which_day am|m i @booked for|in? @when?",
    "when|what_time|what_day|which_day do i come|have_to_come|need_to_come in? @when?",
    // "do I have anything this week", "do I have an appointment tomorrow".
    "do|did i have anything|something|an_appointment|an_appt|any_appointments|any_appts @booked? @when?",
    // "is it still on for tomorrow", "is my appointment still on", "are we still on".
    "is it|my_appointment|my_appt|my_booking still on|happening|good for? @when?",
    "am|are i|we still on|booked for? @when?",
    // "am I booked for tomorrow", "am I booked", "am I still booked".
    "am i still? @booked for? @when?",
    // "just confirming my appt tomorrow", "checking on my appointment".
    "just? confirming|checking|confirm|check|double_checking|verifying on? my @appt @when?",
    // "remind me when my appt is", "can you remind me what time my appointment is".
    "can_you|could_you? remind me when|what_time|what_day my @appt is @when?",
    // "my appointments", "check my appointment", "show my bookings".
    "check|show|list|see|view? my @appts",
    "what|which are my @appts",
    "what|which appointments|appts do i have @when?",
];

fn class(name: &str) -> &'static [&'static str] {
    match name {
        "appt" => &[
            "appointment",
            "appt",
            "apt",
            "appointmnet",
            "appoinment",
            "booking",
            "visit",
            "session",
            "slot",
            "reservation",
        ],
        "appts" => &[
            "appointments",
            "appts",
            "apts",
            "appointment",
            "appt",
            "bookings",
            "booking",
            "visits",
            "reservations",
        ],
        "booked" => &[
            "booked",
            "scheduled",
            "coming",
            "down",
            "signed_up",
            "set",
            "in",
        ],
        "when" => &[
            "today",
            "tonight",
            "tomorrow",
            "tmrw",
            "tmr",
            "tmrw",
            "this_week",
            "next_week",
            "this_weekend",
            "on_monday",
            "on_tuesday",
            "on_wednesday",
            "on_thursday",
            "on_friday",
            "on_saturday",
            "on_sunday",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "at_all",
            "coming_up",
            "this_month",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_ones_own_appointments_are_recognised() {
        for text in [
            "when is my appointment?",
            "When's my appt",
            "what time is my appt again",
            "what time is my appointment tomorrow?",
            "what day is my next appointment",
            "what time am I booked",
            "What time am I booked for?",
            "when am i scheduled",
            "do I have anything this week",
            "do i have an appointment tomorrow?",
            "is it still on for tomorrow?",
            "is my appointment still on?",
            "are we still on for friday?",
            "am I booked for tomorrow?",
            "my appointments",
            "check my appointment",
            "what are my appointments",
            "hi, when is my appointment?",
            "whens my appt",
            "wait when is my other appointment",
            "thx! what time was it again?",
            "when is it now?",
            "hi just confirming my appt tomorrow?",
            "remind me when my appt is",
            "what day did i book",
            "did i book for 3 or 4?",
            "what's my appointment time",
            "is my appt at 3?",
            "just checking what time tomorrow",
            "wat time is my appt tmrw",
        ] {
            assert!(asked(text), "{text:?}");
        }
    }

    #[test]
    fn booking_and_other_requests_are_not_questions_about_ones_own() {
        for text in [
            "is my appt at 3? can i push it to 4",
            "can I book tomorrow at 3pm",
            "book me an appointment",
            "I need an appointment this week",
            "do you have anything this week",
            "do you have an appointment tomorrow?",
            "what times do you have tomorrow",
            "cancel my appointment",
            "reschedule my appointment",
            "is 3pm still open tomorrow?",
            "when are you open",
            "what time do you close",
            "my appointment is at 3 but I'll be late",
            "",
        ] {
            assert!(!asked(text), "{text:?}");
        }
    }
}
