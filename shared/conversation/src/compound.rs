//! Messages that give up one appointment for another time in one go, as
//! people text them: "cancel my 3pm and book thursday instead", "cancel tmrw
//! n put me in friday", "can i do thursday instead of tuesday", "move my 3pm
//! to 4". Each is one reschedule: the appointment keeps its identity and
//! moves, never a cancellation plus a second booking.
//!
//! Owns splitting such a message into the words that name the appointment and
//! the words that name the new time. Must not pick the appointment or the
//! slot: the dialogue reads the two parts and the scheduling engine decides.

/// A message split into the appointment it gives up and the time it wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    /// The words naming the appointment ("my 3pm"); may be empty ("it").
    pub old: String,
    /// The words naming the new time ("book thursday instead").
    pub new: String,
}

/// The message as a swap, when it is shaped like one. Whether the new part
/// really names a time is for the caller to check.
pub fn read(text: &str) -> Option<Swap> {
    let toks = tokens(text);
    cancel_then_book(&toks)
        .or_else(|| instead_of(&toks))
        .or_else(|| move_to(&toks))
}

/// A word, or a clause mark (`,` `.` `;` `!` `?`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Mark,
}

impl Tok {
    fn is(&self, words: &[&str]) -> bool {
        matches!(self, Tok::Word(w) if words.contains(&w.as_str()))
    }
}

/// Lower case; "tuesday's" → "tuesday"; other apostrophes dropped; clause
/// punctuation kept as marks; "&" is "and", "@" is "at"; emoji and the rest
/// are spaces. "3:30", "3/5" and "3pm" stay one word.
fn tokens(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok::Word(std::mem::take(word)));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let glue = |d: Option<char>| d.is_some_and(|d| d.is_ascii_digit());
        match c {
            c if c.is_alphanumeric() => word.push(c),
            '\'' | '\u{2019}' => {
                // "tuesday's appt": the possessive says nothing more.
                let after = chars.get(i + 2).copied();
                if next == Some('s') && !after.is_some_and(char::is_alphanumeric) {
                    i += 1;
                }
            }
            ':' | '/' | '.' if !word.is_empty() && glue(next) && glue(word.chars().last()) => {
                word.push(c)
            }
            ',' | '.' | ';' | '!' | '?' => {
                flush(&mut word, &mut out);
                out.push(Tok::Mark);
            }
            '&' | '+' => {
                flush(&mut word, &mut out);
                out.push(Tok::Word("and".to_owned()));
            }
            '@' => {
                flush(&mut word, &mut out);
                out.push(Tok::Word("at".to_owned()));
            }
            _ => flush(&mut word, &mut out),
        }
        i += 1;
    }
    flush(&mut word, &mut out);
    out
}

fn text_of(toks: &[Tok]) -> String {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Word(w) => Some(w.as_str()),
            Tok::Mark => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const CANCEL: &[&str] = &[
    "cancel", "cancl", "cancle", "cancell", "canel", "cansel", "cxl", "scrap", "ditch", "drop",
    "nix", "scratch",
];

/// Words that end the part naming the appointment to cancel.
const JOINERS: &[&str] = &["and", "n", "then", "but", "so", "instead", "plus", "an"];

/// Words saying a new time is wanted after a cancellation.
const BOOK_CUES: &[&str] = &[
    "book",
    "rebook",
    "booking",
    "schedule",
    "make",
    "put",
    "get",
    "do",
    "come",
    "move",
    "switch",
    "change",
    "reschedule",
    "resched",
    "instead",
    "want",
    "wanna",
    "like",
    "how",
    "what",
    "try",
    "give",
    "grab",
    "take",
    "prefer",
    "need",
    "squeeze",
    "fit",
    "add",
    "set",
];

/// Where the appointment given up is named: after "cancel", or after "can't
/// make" ("I can't make my 3pm tomorrow, can I do thursday instead?").
fn giving_up(toks: &[Tok]) -> Option<usize> {
    toks.iter().enumerate().find_map(|(i, t)| {
        if t.is(CANCEL) {
            return Some(i + 1);
        }
        let refused = t.is(&["cant", "cannot", "wont", "couldnt"])
            && toks.get(i + 1)?.is(&["make", "do", "come", "attend"]);
        refused.then_some(i + 2)
    })
}

/// "cancel my 3pm and book thursday instead", "cancel tmrw, can i come friday".
fn cancel_then_book(toks: &[Tok]) -> Option<Swap> {
    let rest = &toks[giving_up(toks)?..];
    let end = rest.iter().position(|t| *t == Tok::Mark || t.is(JOINERS))?;
    let old = &rest[..end];
    let new = &rest[end..];
    let wants_another = new.iter().any(|t| t.is(BOOK_CUES))
        || toks.iter().any(|t| t.is(&["instead", "insted", "instaed"]));
    wants_another.then(|| Swap {
        old: text_of(old),
        new: text_of(new),
    })
}

/// Words that end "instead of <the appointment>".
const AFTER_OLD: &[&str] = &[
    "can", "could", "i", "id", "ill", "im", "lets", "please", "pls", "plz", "book", "make", "do",
    "put", "move", "would", "will", "is", "works", "work", "and", "so", "but", "thanks", "thx",
    "get", "want", "like", "maybe", "how", "what", "if", "we", "you", "u", "is", "that",
];

/// "can i do thursday instead of tuesday", "instead of my 3pm can i come at 5".
fn instead_of(toks: &[Tok]) -> Option<Swap> {
    let at = toks
        .windows(2)
        .position(|w| w[0].is(&["instead", "insted", "instaed"]) && w[1].is(&["of"]))?;
    let after = &toks[at + 2..];
    let end = after
        .iter()
        .position(|t| *t == Tok::Mark || t.is(AFTER_OLD))
        .unwrap_or(after.len());
    if end == 0 {
        return None;
    }
    let new: Vec<Tok> = toks[..at].iter().chain(&after[end..]).cloned().collect();
    let new = text_of(&new);
    (!new.is_empty()).then(|| Swap {
        old: text_of(&after[..end]),
        new,
    })
}

const MOVE: &[&str] = &[
    "move",
    "push",
    "change",
    "switch",
    "shift",
    "reschedule",
    "resched",
    "bump",
    "swap",
];

/// "move my 3pm to 4", "can you push tmrw's appt to friday", "reschedule for monday".
fn move_to(toks: &[Tok]) -> Option<Swap> {
    let verb = toks.iter().position(|t| t.is(MOVE))?;
    let rest = &toks[verb + 1..];
    let to = rest
        .iter()
        .position(|t| t.is(&["to", "til", "till", "until", "for", "into"]))?;
    if rest[..to].contains(&Tok::Mark) {
        return None;
    }
    let after = &rest[to + 1..];
    let end = after
        .iter()
        .position(|t| *t == Tok::Mark)
        .unwrap_or(after.len());
    let mut new = text_of(&after[..end]);
    // "to 4" names an hour: "at 4".
    if new.starts_with(|c: char| c.is_ascii_digit()) {
        new = format!("at {new}");
    }
    (!new.is_empty()).then(|| Swap {
        old: text_of(&rest[..to]),
        new,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swap(old: &str, new: &str) -> Option<Swap> {
        Some(Swap {
            old: old.to_owned(),
            new: new.to_owned(),
        })
    }

    #[test]
    fn a_cancellation_followed_by_a_booking_is_one_swap() {
        assert_eq!(
            read("cancel my 3pm and book thursday instead"),
            swap("my 3pm", "and book thursday instead")
        );
        assert_eq!(
            read("Cancel my 3pm, can I come Thursday instead?"),
            swap("my 3pm", "can i come thursday instead")
        );
        assert_eq!(
            read("pls cancel tmrw n put me in friday"),
            swap("tmrw", "n put me in friday")
        );
        assert_eq!(
            read("cancel tuesday's appt & do wed at 4 instead"),
            swap("tuesday appt", "and do wed at 4 instead")
        );
        assert_eq!(
            read("I can't make my 3pm tomorrow, can I do thursday instead?"),
            swap("my 3pm tomorrow", "can i do thursday instead")
        );
    }

    #[test]
    fn a_cancellation_alone_or_of_two_is_not_a_swap() {
        assert_eq!(read("cancel my 3pm"), None);
        assert_eq!(read("cancel my appointment please"), None);
        assert_eq!(read("cancel my 3pm and my 4pm"), None);
        assert_eq!(read("i cant make it, sorry"), None);
        assert_eq!(read("cancel it, I'm sick"), None);
    }

    #[test]
    fn instead_of_names_the_old_time_on_either_side() {
        assert_eq!(
            read("can i do thursday instead of tuesday"),
            swap("tuesday", "can i do thursday")
        );
        assert_eq!(
            read("instead of my 3pm can I come at 5?"),
            swap("my 3pm", "can i come at 5")
        );
        assert_eq!(read("instead of"), None);
    }

    #[test]
    fn moving_an_appointment_to_a_time_is_a_swap_without_a_cancellation() {
        assert_eq!(read("move my 3pm to 4"), swap("my 3pm", "at 4"));
        assert_eq!(
            read("can you push tomorrow's appt to friday at 10?"),
            swap("tomorrow appt", "friday at 10")
        );
        assert_eq!(read("reschedule for monday"), swap("", "monday"));
        assert_eq!(read("I need to move"), None);
        assert_eq!(read("change my appointment"), None);
    }
}
