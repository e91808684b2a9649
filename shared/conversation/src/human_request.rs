//! Messages that are for a person, not the bot, as people text them: asking
//! for one ("can I talk to a real person?", "human pls", "call me"), a
//! complaint ("this is ridiculous", "worst service ever"), and the notices
//! staff want passed on ("running 10 min late, sorry!", "I'm here", "omw").
//!
//! High precision over recall: a message the bot could still serve must not
//! go to staff, so requests and complaints match at the start of the message
//! and only go on with words that keep their meaning ("call me back to
//! confirm" does, "call me a taxi" does not), and notices match the whole
//! message (politeness aside): "running late, can we do 4 instead?" is a
//! request to move, for the bot. "can I book a call tomorrow" is a booking.
//!
//! Owns the phrasings; must not decide what happens next: the turn does.

use std::sync::LazyLock;

use smsbot_domain::StaffReason;

use crate::phrases;

/// The message as something for staff, with why; `None` when it is for the bot.
pub fn asked(text: &str) -> Option<StaffReason> {
    let owned = phrases::normalise(text);
    let mut words: Vec<&str> = owned.iter().map(String::as_str).collect();
    strip_leading(&mut words);
    if words.is_empty() {
        return None;
    }
    for family in FAMILIES {
        if family.matches(&words) {
            return Some(family.reason);
        }
    }
    // Notices: the whole message, once politeness is set aside.
    strip_trailing(&mut words);
    NOTICES
        .iter()
        .find(|(_, patterns)| patterns.iter().any(|p| phrases::matches(p, &words, class)))
        .map(|(reason, _)| *reason)
}

/// How a request or complaint may go on after its phrase.
#[derive(Clone, Copy)]
enum Then {
    /// With anything (a complaint said first is a complaint).
    Anything,
    /// Only with these words next ("talk to someone about…", not "…else").
    Only(&'static [&'static str]),
    /// With anything but these ("call me a taxi").
    Not(&'static [&'static str]),
}

struct Family {
    reason: StaffReason,
    patterns: &'static [&'static str],
    then: Then,
}

impl Family {
    fn matches(&self, words: &[&str]) -> bool {
        self.patterns.iter().any(|pattern| {
            phrases::prefixes(pattern, words, class)
                .into_iter()
                .filter(|&end| end > 0)
                .any(|end| match (words.get(end), self.then) {
                    (None, _) | (Some(_), Then::Anything) => true,
                    (Some(next), Then::Only(allowed)) => allowed.contains(next),
                    (Some(next), Then::Not(refused)) => !refused.contains(next),
                })
        })
    }
}

/// Words that may follow a request for a person and keep it one.
const AFTER_PERSON: &[&str] = &[
    "about",
    "regarding",
    "re",
    "please",
    "asap",
    "now",
    "today",
    "right",
    "quick",
    "quickly",
    "when",
    "if",
    "i",
    "im",
    "my",
    "because",
    "cause",
    "cuz",
    "bc",
    "thanks",
    "thank",
    "instead",
    "there",
    "who",
    "in",
    "not",
    "rather",
    "than",
    "this",
    "thx",
    "ty",
    "lol",
    "ugh",
    "and",
    "so",
    "is",
    "cant",
    "its",
    "already",
];

/// Words after "call me" that make it something else ("call me a taxi",
/// "call me crazy").
const NOT_A_CALL: &[&str] = &["a", "an", "crazy", "names", "old", "that", "lol", "haha"];

const FAMILIES: &[Family] = &[
    Family {
        reason: StaffReason::Complaint,
        patterns: &[
            // "this is ridiculous", "that's unacceptable", "this is so frustrating".
            "this_is|that_is|it_is|thats|its|this_s|that_s|this_was|that_was|it_was so|really|absolutely|just|totally|beyond? @outrage",
            "@outrage",
            "what_a joke|nightmare|mess|disgrace",
            // "i want to complain", "i'd like to make a complaint", "i have a complaint".
            "i|id? want|wanna|wish|need|would_like|like to? complain",
            "i|id? want|wanna|wish|need|would_like|like to? make|file|lodge|submit|raise a|an? formal? complaint",
            "i have|got a|an? complaint",
            "complaint",
            // "worst service ever", "this is the worst experience", "terrible service".
            "this|that|it? is|s|was? the|what_a? worst @service|place|salon|clinic|office ever?",
            "worst @service|place ever?",
            "terrible|horrible|awful|appalling|shocking|lousy|crap|crappy|rubbish|bad|poor|shit @service",
            // "you guys are useless", "this bot is useless", "stupid bot".
            "you|this|your guys|bot|app|system|thing? are|is|s? so|really|completely? useless|incompetent|pathetic|hopeless|a_joke|a_waste_of_time",
            "useless|stupid|dumb|pointless bot|app|system",
        ],
        then: Then::Anything,
    },
    Family {
        reason: StaffReason::Complaint,
        patterns: &[
            // "i'm very unhappy with…": unhappy with us, not about having to cancel.
            "im|i_am|we_are|were so|very|really|extremely? unhappy|upset|angry|furious|fed_up|frustrated|disgusted|livid",
        ],
        then: Then::Only(&["with", "about", "by", "at", "right", "honestly", "tbh"]),
    },
    Family {
        reason: StaffReason::AskedForCall,
        patterns: &[
            // "call me", "call me back", "ring me".
            "call|ring|phone me back?",
            // "can someone call me", "could you call me back", "can u call me".
            "can|could|would|will|pls you|someone|somebody|anyone|one_of_you|the_team|someone_from_the_team please? call|ring|phone me back?",
            // "can I get a call back", "i need a callback", "give me a call".
            "can|could|may i get|have a call|callback|call_back|phone_call back?",
            "i? need|want|would_like|d_like|like a call|callback|call_back|phone_call back?",
            "give me a call|ring|buzz",
            "call_back|callback please?",
            "request a call|callback|call_back|phone_call back?",
        ],
        then: Then::Not(NOT_A_CALL),
    },
    Family {
        reason: StaffReason::AskedForPerson,
        patterns: &[
            // "can I talk to a real person?", "may I speak with someone".
            "can|could|may i please? talk|tlk|speak|speek|spk|chat to|with? @a? @person",
            // "i want to talk to a human", "i'd like to speak to someone", "i need to talk to someone".
            "i|id? want|need|wanna|would_like|like|have to? talk|tlk|speak|speek|spk|chat to|with? @a? @person",
            "let me talk|tlk|speak|speek|spk|chat to|with @a? @person",
            "talk|tlk|speak|speek|spk|chat to|with @a? @person",
            // "is there a person I can talk to", "is there anyone there?".
            "is|are there @a? @person i|we can|could talk|tlk|speak|speek|spk|chat to|with?",
            "is|are there @a? @person there|around",
            // "human pls", "real person", "agent", "a human please".
            "@a? @human",
            "get|give|put|connect|transfer me to? @a? @human",
            "i|id? want|need|would_like|like @a? @human",
        ],
        then: Then::Only(AFTER_PERSON),
    },
];

const NOTICES: &[(StaffReason, &[&str])] = &[
    (
        StaffReason::RunningLate,
        &[
            // "running late", "running 10 min late", "im running a few minutes late".
            "im|i_am|were|we_are|i_m? running|runnin @num? @unit? late|behind",
            // "gonna be 5 min late", "i'll be late", "going to be a bit late".
            "im|i_am|were|we_are|i|we? gonna|going_to|will|ll? be @num? @unit? late",
            "ill|well|i_will|we_will be @num? @unit? late",
            "@num @unit? late",
            "stuck|caught in bad|heavy? traffic",
        ],
    ),
    (
        StaffReason::Arrived,
        &[
            // "I'm here", "we're outside", "here now".
            "im|i_am|i_m|were|we_are|am here|outside|downstairs|in_the_lobby|at_the_door|at_the_front_desk|at_reception|in_the_parking_lot|in_the_car_park|parked @now?",
            "here|outside @now?",
            // "just arrived", "i've arrived", "we just got here".
            "i|we|ive|weve|i_have|we_have? just? arrived|got_here|pulled_up|parked @now?",
        ],
    ),
    (
        StaffReason::OnTheWay,
        &[
            // "on my way", "omw", "otw", "on the way now".
            "im|i_am|were|we_are? on my|our|the way @now?",
            "omw|otw @now?",
            "im|i_am|were|we_are? heading|coming over|in|there|your_way|to_you @now?",
            "im|i_am|were|we_are? leaving|setting_off",
            "just left",
            "almost|nearly there|here",
            // "be there in 5", "i'll be there in 10 mins", "be there soon".
            "im|i_am|i|were|we|ill|well|i_will|we_will|gonna|going_to|will? be there|here|over in @num @unit?",
            "im|i_am|i|were|we|ill|well|i_will|we_will|gonna|going_to|will? be there|here|over soon|shortly",
        ],
    ),
];

fn strip_leading(words: &mut Vec<&str>) {
    while words.len() > 1
        && matches!(
            words[0],
            "hi" | "hey"
                | "hello"
                | "hiya"
                | "ok"
                | "okay"
                | "um"
                | "umm"
                | "uh"
                | "so"
                | "sorry"
                | "just"
                | "fyi"
                | "please"
                | "yes"
                | "yeah"
                | "look"
                | "honestly"
                | "seriously"
                | "ugh"
                | "hmm"
                | "actually"
                | "well"
                | "also"
                | "oh"
        )
    {
        words.remove(0);
    }
}

/// Politeness and feeling after a notice: "…, sorry!", "see you soon", "thx".
fn strip_trailing(words: &mut Vec<&str>) {
    const SUFFIXES: &[&[&str]] = &[
        &["sorry"],
        &["sry"],
        &["so", "sorry"],
        &["im", "sorry"],
        &["apologies"],
        &["my", "bad"],
        &["see", "you", "soon"],
        &["see", "you"],
        &["thanks"],
        &["thank", "you"],
        &["thx"],
        &["ty"],
        &["lol"],
        &["haha"],
        &["ugh"],
        &["now"],
        &["already"],
        &["due", "to", "traffic"],
        &["for", "my", "appointment"],
        &["for", "my", "appt"],
        &["for", "the", "appointment"],
        &["please"],
        &["x"],
        &["xx"],
    ];
    // The longest first: "so sorry" before "sorry".
    let mut suffixes = SUFFIXES.to_vec();
    suffixes.sort_by_key(|suffix| std::cmp::Reverse(suffix.len()));
    while let Some(suffix) = suffixes
        .iter()
        .find(|suffix| words.len() > suffix.len() && words.ends_with(suffix))
    {
        words.truncate(words.len() - suffix.len());
    }
}

/// What a person is called when asked for on their own ("human pls",
/// "get me an agent").
const HUMAN: &[&str] = &[
    "person",
    "real_person",
    "actual_person",
    "live_person",
    "human",
    "humans",
    "real_human",
    "actual_human",
    "human_being",
    "agent",
    "live_agent",
    "real_agent",
    "representative",
    "manager",
    "staff_member",
    "member_of_staff",
    "receptionist",
    "operator",
];

/// Words that name a person only after "talk to" and the like ("talk to
/// someone", not "someone" alone).
const SOMEONE: &[&str] = &[
    "someone",
    "somebody",
    "some1",
    "sum1",
    "someone_real",
    "anyone",
    "anybody",
    "rep",
    "staff",
    "front_desk",
];

/// `@person`: a human or someone.
static PERSON: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| HUMAN.iter().chain(SOMEONE).copied().collect());

fn class(name: &str) -> &'static [&'static str] {
    match name {
        "person" => PERSON.as_slice(),
        "human" => HUMAN,
        "a" => &["a", "an", "the", "some", "your", "a_real", "an_actual"],
        "outrage" => &[
            "ridiculous",
            "rediculous",
            "unacceptable",
            "outrageous",
            "absurd",
            "disgraceful",
            "a_disgrace",
            "a_joke",
            "a_nightmare",
            "pathetic",
            "frustrating",
            "infuriating",
        ],
        "service" => &[
            "service",
            "customer_service",
            "experience",
            "support",
            "bot",
        ],
        "num" => &[
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7",
            "8",
            "9",
            "10",
            "12",
            "15",
            "20",
            "25",
            "30",
            "40",
            "45",
            "5min",
            "5mins",
            "10min",
            "10mins",
            "15min",
            "15mins",
            "20min",
            "20mins",
            "30min",
            "30mins",
            "five",
            "ten",
            "fifteen",
            "twenty",
            "thirty",
            "a_few",
            "few",
            "a_couple",
            "a_couple_of",
            "couple",
            "a_bit",
            "a_little",
            "a_little_bit",
            "bit",
            "little",
            "a_tad",
            "slightly",
            "abit",
            "lil",
            "a_lil",
            "a_lil_bit",
        ],
        "unit" => &["min", "mins", "minute", "minutes", "mn", "m", "sec", "secs"],
        "now" => &[
            "now",
            "early",
            "already",
            "a_bit_early",
            "for_my_appointment",
            "for_my_appt",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StaffReason::*;

    fn reads(cases: &[&str], as_: StaffReason) {
        for text in cases {
            assert_eq!(asked(text), Some(as_), "{text:?}");
        }
    }

    #[test]
    fn asking_for_a_person_in_many_words() {
        reads(
            &[
                "can I talk to a real person?",
                "can i speak to someone",
                "talk to someone",
                "Talk to a human please",
                "human pls",
                "HUMAN",
                "real person",
                "agent",
                "i want to talk to a person",
                "i need to speak with someone about my bill",
                "id like to speak to the manager",
                "is there a person i can talk to?",
                "is there anyone there??",
                "get me a human",
                "hey can i chat with a real person plz",
                "i wanna talk to someone real 😤",
            ],
            AskedForPerson,
        );
    }

    #[test]
    fn asking_for_a_call() {
        reads(
            &[
                "call me",
                "pls call me",
                "call me back",
                "can someone call me",
                "can someone call me?",
                "could you call me when you get a chance",
                "can u call me asap",
                "call me back to confirm",
                "call me at 415 555 0100",
                "can i get a call back",
                "i need a callback",
                "give me a call",
            ],
            AskedForCall,
        );
    }

    #[test]
    fn complaints() {
        reads(
            &[
                "this is ridiculous",
                "This is ridiculous!!! 3 texts and still no booking",
                "that's unacceptable",
                "i want to complain",
                "I'd like to make a complaint",
                "i have a complaint",
                "worst service",
                "worst service ever",
                "this is the worst service ever",
                "terrible service",
                "ur useless",
                "this bot is useless",
                "stupid bot",
                "im very unhappy with how i was treated",
            ],
            Complaint,
        );
    }

    #[test]
    fn running_late_here_and_on_the_way() {
        reads(
            &[
                "running late",
                "running 10 min late, sorry!",
                "im running a few minutes late",
                "Running a bit behind sorry",
                "gonna be 5 mins late",
                "I'll be late, so sorry",
                "10 min late sorry",
                "stuck in traffic",
            ],
            RunningLate,
        );
        reads(
            &[
                "I'm here",
                "im here!",
                "here",
                "we're outside",
                "just arrived",
                "i've arrived for my appointment",
                "here now 👋",
            ],
            Arrived,
        );
        reads(
            &[
                "on my way",
                "omw",
                "OMW!",
                "on the way now",
                "be there in 5",
                "ill be there in 10 mins",
                "be there soon",
                "almost there",
                "leaving now",
            ],
            OnTheWay,
        );
    }

    #[test]
    fn look_alikes_stay_with_the_bot() {
        for text in [
            // Bookings and questions that mention a call, a person, lateness.
            "can I book a call tomorrow",
            "can i schedule a phone call for friday at 2",
            "can I call you",
            "what's your number, i'll call",
            "i'll call you tomorrow",
            "dont call me, text only",
            "please don't call me",
            "call me a taxi lol",
            "you can call me Ana",
            "I'd like to book a personal training session",
            "find someone else",
            "someone else please",
            "can someone do my nails tomorrow at 3",
            "i need to talk to my husband first",
            "I'll talk to my wife and get back to you",
            "is there someone available friday at 10?",
            // Lateness and arrival as part of a request.
            "running late, can we do 4 instead?",
            "can I come in late tomorrow",
            "late afternoon works",
            "is it too late to cancel?",
            "my appointment is at 3 but I'll be late",
            "i'm here to book an appointment",
            "I'll be there",
            "see you there",
            "on my way home i'll check my calendar",
            "where are you? im on my way but lost",
            // Praise and calm.
            "no complaints, see you tuesday",
            "this is ridiculously easy, thanks!",
            "not the worst idea",
            "the worst part is i can't come till 5",
            "book me for tomorrow",
            "yes",
            "",
        ] {
            assert_eq!(asked(text), None, "{text:?}");
        }
    }
}
