//! Intent classification by lexicon scoring.
//!
//! Owns: the [`Intent`] and [`Direction`] types, the word and phrase lexicon
//! with its weights, the few structural rules that settle common conflicts
//! ("no, thanks" is a refusal, "yes, book it" a confirmation, "thanks, bye" a
//! goodbye), option selection ("2", "the second one") and the confidence.
//! Must not: parse dates or times (it is told whether they were found), keep
//! per-sentence tables, do any I/O, or call the learned re-scorer: `model`
//! reads these types and rules to build its features, so the rules stay the
//! layer below it and the full classification lives in `model::classify`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tokens::{Tok, number_word, ordinal_word};

/// What the sender wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Book,
    Cancel,
    Reschedule,
    Availability,
    MyAppointments,
    Affirm,
    Deny,
    Alternatives,
    Select,
    Greeting,
    Goodbye,
    Help,
    Unknown,
}

impl Intent {
    /// Every intent, in declaration order.
    pub const ALL: [Intent; 13] = [
        Intent::Book,
        Intent::Cancel,
        Intent::Reschedule,
        Intent::Availability,
        Intent::MyAppointments,
        Intent::Affirm,
        Intent::Deny,
        Intent::Alternatives,
        Intent::Select,
        Intent::Greeting,
        Intent::Goodbye,
        Intent::Help,
        Intent::Unknown,
    ];

    /// The snake_case name ("my_appointments").
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Book => "book",
            Intent::Cancel => "cancel",
            Intent::Reschedule => "reschedule",
            Intent::Availability => "availability",
            Intent::MyAppointments => "my_appointments",
            Intent::Affirm => "affirm",
            Intent::Deny => "deny",
            Intent::Alternatives => "alternatives",
            Intent::Select => "select",
            Intent::Greeting => "greeting",
            Intent::Goodbye => "goodbye",
            Intent::Help => "help",
            Intent::Unknown => "unknown",
        }
    }

    /// Parses a snake_case name.
    pub fn from_name(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == s)
    }

    /// Position in [`Intent::ALL`].
    pub fn idx(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way an alternative should move ("later", "earlier").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Later,
    Earlier,
}

/// What the date and time rules found, as input to the intent rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Found {
    pub has_date: bool,
    /// An exact time or a part of day.
    pub has_time: bool,
    /// An exact clock time.
    pub exact_time: bool,
}

/// The intent rules' answer.
#[derive(Debug, Clone, Copy)]
pub struct Classified {
    pub intent: Intent,
    pub selection: Option<u8>,
    pub direction: Option<Direction>,
    pub confidence: f32,
}

use Intent::*;

/// Weights of single words.
fn unigram(w: &str) -> &'static [(Intent, f32)] {
    match w {
        // booking
        "book" | "schedule" | "reserve" | "arrange" | "setup" => &[(Book, 3.0)],
        "booking" | "reservation" | "go" | "have" | "create" => &[(Book, 1.0)],
        "appointment" | "appointments" | "meeting" | "session" | "consultation" | "consult" => {
            &[(Book, 1.2)]
        }
        "visit" | "see" | "meet" | "checkup" | "haircut" | "cleaning" | "exam" | "slot" => {
            &[(Book, 1.0)]
        }
        "dentist" | "doctor" | "salon" | "stylist" | "dr" | "prof" | "professor" | "advisor"
        | "ms" | "mr" | "mrs" | "therapist" | "barber" | "ophthalmologist" | "dermatologist"
        | "gynecologist" | "physician" | "clinic" | "dott" | "dentistry" | "doc" => &[(Book, 0.6)],
        "need" | "want" | "like" | "get" | "make" | "set" | "put" | "fit" | "squeeze"
        | "pencil" | "add" | "sign" | "register" | "enroll" | "plan" | "organize" | "organise"
        | "talk" | "speak" | "request" | "calendar" | "time" => &[(Book, 0.4)],
        // cancelling
        "cancel" | "unbook" | "annul" | "revoke" | "withdraw" => &[(Cancel, 5.0)],
        "delete" | "remove" | "scrap" | "nix" | "drop" | "erase" | "abort" | "terminate"
        | "rid" | "void" | "discard" | "clear" | "kill" | "end" | "stop" => &[(Cancel, 2.5)],
        "longer" | "attend" | "skip" | "unable" | "forget" => &[(Cancel, 1.5)],
        // rescheduling
        "reschedule" | "postpone" | "rearrange" | "rebook" | "conflict" | "clash" | "defer"
        | "delay" | "prepone" | "reorganize" | "relocate" => &[(Reschedule, 5.0)],
        "move" | "shift" | "push" | "change" | "moving" | "switch" | "modify" | "swap" | "bump"
        | "transfer" | "adjust" | "alter" | "amend" | "update" | "replace" | "edit" => {
            &[(Reschedule, 3.0)]
        }
        "forward" | "back" | "pushed" | "moved" | "changed" | "plans" | "instead" => {
            &[(Reschedule, 1.0)]
        }
        // availability
        "available" | "availability" | "availabilities" | "openings" | "vacancy" | "vacancies" => {
            &[(Availability, 3.2)]
        }
        "opening" | "open" | "slots" | "free" | "spots" | "spot" | "timeslots" | "timeslot"
        | "hours" | "times" | "options" => &[(Availability, 2.0)],
        "show" | "list" | "check" | "display" | "view" | "find" | "any" | "anything" | "when" => {
            &[(Availability, 0.8)]
        }
        // my appointments
        "upcoming" | "booked" | "scheduled" => &[(MyAppointments, 1.5)],
        // affirm
        "yes" | "sure" | "correct" | "affirmative" | "yep" | "absolutely" | "definitely"
        | "certainly" | "exactly" | "indeed" | "true" | "confirm" | "confirmed" | "agreed"
        | "agree" | "accurate" | "precisely" | "yessir" => &[(Affirm, 3.0)],
        "ok" | "right" | "perfect" | "great" | "fine" | "works" | "good" | "excellent"
        | "awesome" | "cool" | "nice" | "fantastic" | "wonderful" | "suits" | "ideal"
        | "lovely" | "alright" | "done" | "deal" | "brilliant" | "fab" | "super" | "sounds" => {
            &[(Affirm, 1.5)]
        }
        // deny
        "no" | "negative" | "incorrect" | "false" | "wrong" | "untrue" | "nope" => &[(Deny, 3.0)],
        "not" | "dont" | "never" | "nothing" | "neither" | "nor" | "pass" | "decline"
        | "rather" | "refuse" => &[(Deny, 1.5)],
        // alternatives
        "else" | "another" | "different" | "other" | "others" | "elsewhere" | "alternative"
        | "alternatives" | "alternate" | "somewhere" => &[(Alternatives, 2.6)],
        "later" | "earlier" | "sooner" | "after" | "before" => &[(Alternatives, 1.0)],
        // greeting
        "hi" | "hello" | "hey" | "howdy" | "greetings" | "hiya" | "heya" | "yo" | "sup"
        | "hola" | "morning" => &[(Greeting, 3.0)],
        // goodbye
        "bye" | "goodbye" | "cya" | "adios" | "farewell" | "ciao" | "goodnight" | "sayonara"
        | "syonara" | "ttyl" | "byebye" | "cheerio" | "later!" => &[(Goodbye, 5.0)],
        "thanks" | "thank" | "thankyou" | "appreciate" | "appreciated" | "grateful" | "cheers"
        | "thankful" | "merci" | "gracias" => &[(Goodbye, 2.5), (Affirm, 0.8)],
        "regards" | "peace" | "outta" | "chat" | "chatting" | "enjoyable" | "fun" => {
            &[(Goodbye, 2.0)]
        }
        "aloha" | "bonjour" | "wassup" | "whatsup" | "hello!" | "namaste" | "salut" => {
            &[(Greeting, 4.0)]
        }
        "roger" | "uh" | "huh" | "yup" | "aye" | "affirm" => &[(Affirm, 2.5)],
        "erroneous" | "inaccurate" | "nah" | "nay" => &[(Deny, 3.0)],
        // help
        "help" | "assist" | "assistance" | "support" | "menu" | "commands" | "instructions"
        | "confused" => &[(Help, 1.5)],
        _ => &[],
    }
}

/// Weights of two-word phrases.
fn bigram(a: &str, b: &str) -> &'static [(Intent, f32)] {
    match (a, b) {
        ("set", "up")
        | ("sign", "up")
        | ("make", "an")
        | ("get", "an")
        | ("fit", "me")
        | ("squeeze", "me")
        | ("book", "me")
        | ("pencil", "me") => &[(Book, 1.5)],
        ("call", "off")
        | ("no", "longer")
        | ("not", "needed")
        | ("get", "rid")
        | ("wont", "make")
        | ("cant", "make")
        | ("cant", "attend")
        | ("wont", "be")
        | ("not", "coming")
        | ("cant", "come")
        | ("not", "attend")
        | ("take", "off") => &[(Cancel, 3.0)],
        ("another", "time")
        | ("another", "day")
        | ("different", "time")
        | ("different", "day")
        | ("new", "time")
        | ("new", "date")
        | ("other", "time")
        | ("bring", "forward")
        | ("move", "up")
        | ("push", "back")
        | ("move", "my")
        | ("change", "my") => &[(Reschedule, 2.5)],
        ("when", "is")
        | ("when", "are")
        | ("what", "times")
        | ("what", "time")
        | ("any", "openings")
        | ("free", "time")
        | ("open", "slots")
        | ("is", "there")
        | ("are", "there")
        | ("do", "you")
        | ("you", "have") => &[(Availability, 1.2)],
        ("my", "appointments")
        | ("my", "bookings")
        | ("my", "schedule")
        | ("my", "reservations")
        | ("do", "i")
        | ("have", "any")
        | ("am", "i") => &[(MyAppointments, 1.5)],
        ("sounds", "good")
        | ("sounds", "great")
        | ("go", "ahead")
        | ("please", "do")
        | ("that", "works")
        | ("works", "for")
        | ("of", "course")
        | ("do", "it")
        | ("i", "do")
        | ("that", "is")
        | ("is", "right")
        | ("is", "correct")
        | ("is", "true")
        | ("works", "fine")
        | ("for", "sure")
        | ("lets", "do")
        | ("you", "got")
        | ("checks", "out")
        | ("all", "set") => &[(Affirm, 1.5)],
        ("not", "now")
        | ("no", "thanks")
        | ("not", "right")
        | ("no", "thank")
        | ("not", "really")
        | ("not", "correct")
        | ("not", "true")
        | ("i", "wont")
        | ("not", "interested")
        | ("no", "way")
        | ("not", "at")
        | ("maybe", "later")
        | ("not", "sure")
        | ("is", "wrong")
        | ("is", "false") => &[(Deny, 2.0)],
        ("anyone", "else")
        | ("someone", "else")
        | ("something", "else")
        | ("somewhere", "else")
        | ("other", "options")
        | ("keep", "looking")
        | ("look", "again")
        | ("try", "again")
        | ("next", "one") => &[(Alternatives, 2.0)],
        ("good", "morning")
        | ("good", "afternoon")
        | ("good", "evening")
        | ("how", "are")
        | ("how", "is")
        | ("hows", "it")
        | ("whats", "up")
        | ("how", "goes")
        | ("how", "you")
        | ("hows", "everything")
        | ("how", "ya")
        | ("you", "doing")
        | ("are", "you")
        | ("whats", "new")
        | ("hows", "life")
        | ("nice", "to")
        | ("whats", "going")
        | ("whats", "happening")
        | ("treating", "you")
        | ("going", "well")
        | ("you", "been")
        | ("whats", "good") => &[(Greeting, 2.5)],
        ("see", "you")
        | ("talk", "later")
        | ("take", "care")
        | ("have", "a")
        | ("good", "night")
        | ("see", "ya")
        | ("talk", "soon")
        | ("catch", "you")
        | ("thats", "all")
        | ("is", "all")
        | ("be", "all")
        | ("all", "i")
        | ("im", "done")
        | ("nice", "talking")
        | ("nice", "chatting")
        | ("good", "chatting")
        | ("good", "talking")
        | ("great", "talking")
        | ("nice", "chat")
        | ("nice", "conversation")
        | ("was", "nice")
        | ("was", "good")
        | ("was", "great")
        | ("talk", "to")
        | ("speak", "with")
        | ("see", "ya!") => &[(Goodbye, 2.0)],
        ("what", "can") | ("how", "does") | ("how", "do") | ("can", "you") | ("what", "do") => {
            &[(Help, 0.8)]
        }
        _ => &[],
    }
}

/// Words of a message (without numbers and punctuation), lower case.
fn words(toks: &[Tok]) -> Vec<&str> {
    toks.iter().filter_map(Tok::word).collect()
}

/// "2", "#2", "option 2", "the second one", "2nd one", "number two".
fn selection(toks: &[Tok], ws: &[&str]) -> Option<u8> {
    let content: Vec<&Tok> = toks
        .iter()
        .filter(|t| {
            !t.is_punct()
                && !matches!(
                    t.word(),
                    Some(
                        "the"
                            | "one"
                            | "option"
                            | "number"
                            | "no"
                            | "choice"
                            | "please"
                            | "i"
                            | "ill"
                            | "take"
                            | "want"
                            | "pick"
                            | "choose"
                            | "go"
                            | "with"
                            | "lets"
                            | "ok"
                            | "yes"
                            | "slot"
                            | "that"
                            | "id"
                            | "like"
                            | "would"
                            | "select"
                            | "for"
                            | "me"
                    )
                )
        })
        .collect();
    if content.len() != 1 || ws.len() > 6 {
        return None;
    }
    let n = match content[0] {
        Tok::Num(n, len) if *len <= 2 => *n,
        Tok::Ordinal(n) => {
            // "the 2nd" alone is a date; "2nd one"/"2nd option" is a choice
            if !ws
                .iter()
                .any(|w| matches!(*w, "one" | "option" | "choice" | "slot"))
            {
                return None;
            }
            *n
        }
        Tok::Word(w) => {
            if let Some(n) = ordinal_word(w) {
                n
            } else if ws
                .iter()
                .any(|w| matches!(*w, "option" | "number" | "choice"))
            {
                number_word(w)?
            } else {
                return None;
            }
        }
        _ => return None,
    };
    if (1..=20).contains(&n) {
        u8::try_from(n).ok()
    } else {
        None
    }
}

/// Number of intents.
pub const N: usize = Intent::ALL.len();

/// Lexicon lookup with a light stemmer ("moved" -> "move", "openings" ->
/// "opening", "cancelling" -> "cancel").
fn lookup(w: &str) -> &'static [(Intent, f32)] {
    let direct = unigram(w);
    if !direct.is_empty() || w.len() < 5 {
        return direct;
    }
    for suf in ["ing", "ed", "es", "s", "d"] {
        if let Some(stem) = w.strip_suffix(suf) {
            let hit = unigram(stem);
            if !hit.is_empty() {
                return hit;
            }
            // "shifting" -> "shift", "stopped" -> "stop"; the doubled letter
            // may be wider than a byte ("tööd"), so drop it as a char.
            if let Some(last) = stem.chars().last()
                && stem.len() > 3
                && stem.ends_with(&format!("{last}{last}"))
            {
                let hit = unigram(&stem[..stem.len() - last.len_utf8()]);
                if !hit.is_empty() {
                    return hit;
                }
            }
        }
    }
    &[]
}

fn is_negator(w: &str) -> bool {
    matches!(
        w,
        "not"
            | "dont"
            | "isnt"
            | "arent"
            | "wasnt"
            | "doesnt"
            | "didnt"
            | "no"
            | "never"
            | "hardly"
            | "aint"
            | "cant"
            | "wont"
            | "wouldnt"
            | "shouldnt"
    )
}

fn is_yes(w: &str) -> bool {
    matches!(
        w,
        "yes"
            | "sure"
            | "ok"
            | "correct"
            | "definitely"
            | "absolutely"
            | "certainly"
            | "right"
            | "fine"
            | "please"
    )
}

/// Verbs that ask to make a booking.
fn is_book_verb(w: &str) -> bool {
    matches!(w, "book" | "schedule" | "reserve" | "setup" | "rebook")
}

/// The lexicon rules alone: their answer and the score of every intent
/// (all zero for a selection, which the rules settle by themselves).
/// `model::classify` puts the learned re-scorer on top of them.
pub fn classify_rules(toks: &[Tok], found: Found) -> (Classified, [f32; N]) {
    let ws = words(toks);
    if let Some(sel) = selection(toks, &ws)
        && !found.has_time
    {
        let c = Classified {
            intent: Select,
            selection: Some(sel),
            direction: None,
            confidence: 0.9,
        };
        return (c, [0f32; N]);
    }
    let mut score = [0f32; N];
    for (k, w) in ws.iter().enumerate() {
        let negated = (1..=3).any(|d| k >= d && is_negator(ws[k - d]));
        for (i, s) in lookup(w) {
            // "not correct", "I don't think that is right": affirm words negated
            if negated && *i == Affirm {
                score[Deny.idx()] += s;
            } else {
                score[i.idx()] += s;
            }
        }
        if let Some(next) = ws.get(k + 1) {
            for (i, s) in bigram(w, next) {
                score[i.idx()] += s;
            }
        }
    }
    let first = ws.first().copied().unwrap_or("");
    let has = |x: &str| ws.contains(&x);
    let has2 = |a: &str, b: &str| ws.windows(2).any(|p| p[0] == a && p[1] == b);
    let n_words = ws.len();

    let yes_first = is_yes(first) && first != "please";
    let no_first = matches!(first, "no" | "not" | "nothing");
    let thanks = ws.iter().any(|w| {
        matches!(
            *w,
            "thanks" | "thank" | "thankyou" | "appreciate" | "appreciated" | "grateful"
        )
    });
    // "No, I don't want to book it now": a refused booking.
    let neg_book = ws.iter().enumerate().any(|(k, w)| {
        (is_book_verb(w) || *w == "appointment") && (1..=4).any(|d| k >= d && is_negator(ws[k - d]))
    });
    let book_verb = !neg_book
        && (ws.iter().any(|w| is_book_verb(w))
            || has2("make", "an") && has("appointment")
            || has2("an", "appointment")
            || has2("a", "appointment")
            || has2("set", "up"));
    // "maybe later", "another time", "not now", "not yet": putting it off.
    let deferral = has2("maybe", "later")
        || has2("perhaps", "later")
        || has2("later", "possibly")
        || has2("possibly", "later")
        || has2("will", "decide")
        || has2("decide", "later")
        || has2("maybe", "another")
        || has2("another", "time") && (first == "another" || has("maybe") || has("perhaps"))
        || has2("other", "time") && (has("some") || has("maybe"))
        || has2("not", "now")
        || has2("not", "yet")
        || has2("right", "now") && no_first
        || has2("later", "time")
        || first == "later"
        || has2("better", "later");
    let out_of_scope = has("cab")
        || has("taxi")
        || has("ride")
        || has("uber")
        || has("weather")
        || has("event") && has("calendar")
        || has("add") && has("calendar");
    let alt_cue = ws.iter().enumerate().any(|(k, w)| {
        let next = ws.get(k + 1).copied().unwrap_or("");
        let about_time = matches!(next, "time" | "day" | "date" | "slot" | "times");
        match *w {
            "else" | "elsewhere" | "anymore" | "alternatives" => true,
            "another" | "different" | "other" | "alternative" => !about_time,
            "more" => matches!(next, "options" | "choices" | "suggestions"),
            _ => false,
        }
    }) && !(has("nothing") || has("dont") || has("not") && has("else"));
    let own_calendar = has2("am", "i") && (has("free") || has("available"))
        || has2("i", "free")
        || has2("my", "availability")
        || has2("do", "i") && (has("free") || has("have"))
        || has2("i", "have") && has("free");
    let existing = has2("my", "appointment")
        || has2("my", "booking")
        || has2("my", "reservation")
        || has2("my", "meeting")
        || toks.iter().any(|t| matches!(t, Tok::Id));

    if found.has_date || found.has_time {
        score[Book.idx()] += 1.5;
    }
    // "anything available at 4:30?" while booking: a request for that time
    if found.exact_time {
        score[Book.idx()] += 2.0;
        score[Availability.idx()] -= 1.0;
    }
    // "I'd like to visit a doctor", "I want to choose this dentist",
    // "I like that one": asking to book (or picking a provider to book).
    let wants = ws.iter().enumerate().any(|(k, w)| {
        matches!(
            *w,
            "visit"
                | "see"
                | "book"
                | "schedule"
                | "meet"
                | "choose"
                | "go"
                | "pick"
                | "consult"
                | "speak"
                | "talk"
                | "try"
        ) && (1..=3).any(|d| {
            k >= d
                && matches!(
                    ws[k - d],
                    "like"
                        | "want"
                        | "need"
                        | "wish"
                        | "love"
                        | "lets"
                        | "must"
                        | "prefer"
                        | "can"
                        | "could"
                )
        })
    }) || (has2("this", "one") || has2("that", "one") || has2("this", "dentist"))
        && (has("like") || has("want") || has("choose") || has("prefer") || has("go"));
    if wants && !neg_book {
        score[Book.idx()] += 2.0;
    }
    if book_verb {
        score[Book.idx()] += 1.5;
    }
    if neg_book {
        score[Book.idx()] -= 3.0;
        score[Deny.idx()] += 2.0;
    }
    let existing = existing
        || has2("have", "a")
            && (has("meeting") || has("session") || has("appointment"))
            && !has("can")
            && !has("could");
    if existing {
        score[Book.idx()] -= 2.0;
    }
    // "schedule"/"calendar" as a noun: someone's timetable
    for (k, w) in ws.iter().enumerate() {
        let prev = if k > 0 { ws[k - 1] } else { "" };
        let verb_slot = k == 0
            || matches!(
                prev,
                "to" | "please"
                    | "you"
                    | "lets"
                    | "i"
                    | "and"
                    | "can"
                    | "could"
                    | "would"
                    | "will"
                    | "me"
                    | "then"
                    | "just"
                    | "ok"
                    | "yes"
                    | "now"
                    | "also"
                    | "we"
            );
        if *w == "schedule" && !verb_slot || *w == "calendar" && !has("put") && !has("add") {
            score[Book.idx()] -= if *w == "schedule" { 3.0 } else { 0.4 };
            score[Availability.idx()] += 2.5;
        }
    }
    // "nothing else", "don't need anything else": closing, not alternatives.
    if !alt_cue && (has("else") || has("more")) {
        score[Alternatives.idx()] -= 4.0;
        score[Goodbye.idx()] += 1.5;
        score[Deny.idx()] += 1.0;
    }
    if alt_cue {
        score[Alternatives.idx()] += 2.0;
        if !found.has_time {
            score[Availability.idx()] -= 2.0;
        }
    }
    // "find another time", "a different time for my meeting": reschedule
    if has2("another", "time") || has2("different", "time") || has2("another", "day") {
        score[Reschedule.idx()] += 1.5;
    }
    if out_of_scope {
        score[Book.idx()] -= 6.0;
        score[Availability.idx()] -= 2.0;
        let opener = matches!(
            first,
            "ok" | "great" | "perfect" | "fine" | "awesome" | "cool" | "yes" | "sure"
        );
        score[Goodbye.idx()] += if thanks || opener { 5.0 } else { 1.0 };
    }
    if own_calendar {
        score[Availability.idx()] -= 2.0;
        score[Book.idx()] -= 1.0;
        score[MyAppointments.idx()] += 2.0;
    }
    if deferral {
        score[Deny.idx()] += 5.0;
        score[Alternatives.idx()] -= 2.0;
    }
    // "I have to go", "gotta go": leaving
    if ws.ends_with(&["to", "go"]) || has2("get", "going") || has2("signing", "off") {
        score[Goodbye.idx()] += 3.0;
    }
    let domain = [
        Book,
        Cancel,
        Reschedule,
        Availability,
        MyAppointments,
        Alternatives,
    ];
    let best_domain = domain.iter().map(|i| score[i.idx()]).fold(0f32, f32::max);
    // Greeting words also open other requests ("hi, I need a dentist").
    if score[Greeting.idx()] > 0.0 && best_domain >= 2.5 {
        score[Greeting.idx()] = 0.0;
    }
    // "help me find a dentist" is a booking, not a request for help.
    if best_domain >= 1.5 {
        score[Help.idx()] = 0.0;
    }
    // "No, that's all (thanks)": a refusal in a closing.
    if no_first && score[Goodbye.idx()] > 0.0 && best_domain < 2.5 {
        score[Deny.idx()] += 2.0;
    }
    let strong_yes = matches!(first, "yes" | "sure" | "correct" | "right" | "definitely");
    if thanks && !strong_yes {
        score[Affirm.idx()] -= 2.5;
    }
    // A clear request outranks the "yes"/"no"/"thanks" around it, except a
    // short "yes, book it" that confirms what was offered.
    if best_domain >= 3.0 && !deferral {
        let confirm = yes_first
            && (has("book") || has("schedule"))
            && !neg_book
            && !found.has_date
            && !found.has_time
            && n_words <= 8
            && score[Book.idx()] >= best_domain;
        if confirm {
            score[Affirm.idx()] += best_domain;
        } else {
            for i in [Affirm, Deny, Goodbye] {
                score[i.idx()] = score[i.idx()].min(best_domain - 0.5);
            }
        }
    } else if yes_first && !found.has_date && !found.has_time && (!thanks || strong_yes) {
        score[Affirm.idx()] += 1.5;
    }
    if has2("later", "today") {
        score[Alternatives.idx()] -= 1.0;
    }

    let mut order: Vec<Intent> = Intent::ALL.to_vec();
    order.sort_by(|a, b| score[b.idx()].total_cmp(&score[a.idx()]));
    let top = order[0];
    let top_s = score[top.idx()];
    let second_s = score[order[1].idx()];
    let provider = ws.iter().any(|w| {
        matches!(
            *w,
            "dr" | "prof" | "professor" | "mr" | "mrs" | "ms" | "dott" | "doctor" | "dentist"
        )
    });
    let (intent, confidence) = if top_s < 0.8 {
        if found.has_date || found.has_time || provider {
            (Book, 0.55)
        } else {
            (Unknown, 0.3)
        }
    } else {
        let margin = (top_s - second_s) / top_s.max(1.0);
        let strength = (top_s / 4.0).min(1.0);
        (top, (0.35 + 0.35 * margin + 0.3 * strength).min(1.0))
    };
    let direction = if has("later") && !has2("later", "today") || has("after") {
        Some(Direction::Later)
    } else if has("earlier") || has("sooner") || has("before") {
        Some(Direction::Earlier)
    } else {
        None
    };
    let c = Classified {
        intent,
        selection: None,
        direction,
        confidence,
    };
    (c, score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::tokenize;

    fn rules(text: &str) -> Classified {
        classify_rules(&tokenize(text), Found::default()).0
    }

    #[test]
    fn intent_names_are_snake_case() {
        assert_eq!(MyAppointments.to_string(), "my_appointments");
        assert_eq!(Intent::from_name("my_appointments"), Some(MyAppointments));
    }

    #[test]
    fn the_second_one_selects_option_two() {
        let c = rules("the second one");
        assert_eq!(c.intent, Select);
        assert_eq!(c.selection, Some(2));
        assert_eq!(rules("2").selection, Some(2));
        assert_eq!(rules("option 3 pls").selection, Some(3));
    }
}
