//! Hand-written SMS phrasings (not taken from the dev sets) for every
//! intent: a check that the rules and the learned re-scorer generalise
//! beyond the corpora the model was trained on.

use chrono::TimeZone;
use chrono_tz::America::New_York;
use smsbot_nlu::understand;

const CASES: &[(&str, &str)] = &[
    ("book", "I'd like to book a haircut"),
    ("book", "can you schedule me for a cleaning"),
    ("book", "set up an appointment with Dr. Lee"),
    ("book", "put me on the calendar for thursday"),
    ("book", "please arrange a consultation next week"),
    ("book", "I need to see the dentist"),
    ("book", "tmrw @ 3"),
    ("book", "friday at 10am works, book it"),
    ("book", "can I get an appointment tomorrow morning"),
    ("book", "pencil me in for monday"),
    ("book", "I want to make an appointment"),
    ("cancel", "I need to call off my dentist visit"),
    ("cancel", "please cancel my appointment"),
    ("cancel", "drop my booking for friday"),
    ("cancel", "remove my appointment on tuesday"),
    ("cancel", "delete my reservation"),
    ("cancel", "I can't make it tomorrow, please cancel"),
    ("cancel", "cancel #123456"),
    ("cancel", "I won't be able to come, cancel it"),
    ("reschedule", "can we push my appointment to friday"),
    ("reschedule", "I need to reschedule"),
    ("reschedule", "move my appointment to next week"),
    ("reschedule", "can I change my appointment time"),
    ("reschedule", "postpone my visit to monday"),
    ("reschedule", "I need to move my 3pm to 4pm"),
    ("availability", "any openings next week?"),
    ("availability", "what times are available on friday"),
    ("availability", "do you have any free slots tomorrow"),
    ("availability", "when is the dentist free"),
    ("availability", "are there any open slots this afternoon"),
    ("availability", "what's your availability on monday"),
    ("my_appointments", "what appointments do I have"),
    ("my_appointments", "show my appointments"),
    ("my_appointments", "do I have any appointments this week"),
    ("my_appointments", "list my bookings"),
    ("affirm", "yes"),
    ("affirm", "yes please"),
    ("affirm", "sounds good"),
    ("affirm", "that works"),
    ("affirm", "yep that's right"),
    ("deny", "no"),
    ("deny", "no thanks"),
    ("deny", "not now"),
    ("deny", "nope"),
    ("alternatives", "anything else?"),
    ("alternatives", "do you have something later"),
    ("alternatives", "any other times?"),
    ("greeting", "hi"),
    ("greeting", "hello there"),
    ("greeting", "good morning"),
    ("goodbye", "bye"),
    ("goodbye", "thanks, bye"),
    ("goodbye", "see you later"),
    ("help", "help"),
    ("help", "what can you do"),
    ("unknown", "what is the capital of france"),
    ("unknown", "how tall is mount everest"),
    ("unknown", "play some music"),
    ("select", "2"),
    ("select", "the second one"),
];

#[test]
fn hand_written_phrasings_get_their_intent() {
    let now = New_York
        .with_ymd_and_hms(2019, 3, 1, 9, 0, 0)
        .single()
        .expect("unambiguous instant");
    let misses: Vec<String> = CASES
        .iter()
        .filter_map(|(want, text)| {
            let got = understand(text, now).intent;
            (got.as_str() != *want).then(|| format!("{text:?}: want {want}, got {got}"))
        })
        .collect();
    assert!(misses.is_empty(), "misses: {misses:#?}");
}
