//! Tokenizer and SMS-style normalisation.
//!
//! Owns: turning a raw message into a small vector of [`Tok`]s (lower-cased
//! words with SMS spellings and common typos mapped to their dictionary form,
//! numbers, clock times such as `3:15`, ordinals such as `13th`, slashed dates
//! such as `3/7`, reference ids such as `#123456`, and sentence punctuation).
//! Must not: interpret dates, times or intents (that is `date`, `time` and
//! `intent`), allocate more than a few small strings, or do any I/O.

/// One token of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A lower-cased word, apostrophes removed ("that's" -> "thats").
    Word(String),
    /// A run of digits (value saturates at `u32::MAX`) and its digit count.
    Num(u32, u8),
    /// A clock time written with a colon or dot: `3:15`, `15.30`.
    Clock(u32, u32),
    /// A numeric ordinal: `13th`, `1st`.
    Ordinal(u32),
    /// A slashed date `a/b` or `a/b/c` (US order: month/day/year).
    Slash(u32, u32, Option<u32>),
    /// A reference number such as `#123456`: never a date or a time.
    Id,
    /// Sentence or clause punctuation: one of `. , ? ! ; : -`.
    Punct(char),
}

impl Tok {
    /// The word, if this token is one.
    pub fn word(&self) -> Option<&str> {
        match self {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        }
    }

    /// True when this token is the given word.
    pub fn is(&self, w: &str) -> bool {
        self.word() == Some(w)
    }

    /// True for clause punctuation.
    pub fn is_punct(&self) -> bool {
        matches!(self, Tok::Punct(_))
    }
}

/// Tokenizes and normalises a message.
pub fn tokenize(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::with_capacity(chars.len() / 4 + 1);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() {
            let mut w = String::new();
            while i < chars.len() {
                let ch = chars[i];
                if ch.is_alphabetic() {
                    w.extend(ch.to_lowercase());
                    i += 1;
                } else if is_apostrophe(ch)
                    && i + 1 < chars.len()
                    && chars[i + 1].is_alphabetic()
                    && !w.is_empty()
                {
                    // o'clock, that's, i'd
                    i += 1;
                } else if ch == '"' && w == "o" && i + 1 < chars.len() && chars[i + 1] == 'c' {
                    // o"clock as written in some corpora
                    i += 1;
                } else if ch == '.'
                    && w.len() == 1
                    && (w == "a" || w == "p")
                    && i + 1 < chars.len()
                    && (chars[i + 1] == 'm' || chars[i + 1] == 'M')
                {
                    // a.m. / p.m.
                    w.push('m');
                    i += 2;
                    if i < chars.len() && chars[i] == '.' {
                        i += 1;
                    }
                    break;
                } else {
                    break;
                }
            }
            push_word(&mut out, w);
        } else if c.is_ascii_digit() {
            let (n, len, next) = read_num(&chars, i);
            i = next;
            // clock time 3:15 or 3.15 (dot only with exactly two digits after)
            if i + 2 < chars.len() + 1
                && i < chars.len()
                && (chars[i] == ':' || chars[i] == '.')
                && i + 2 < chars.len() + 1
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && chars.get(i + 2).is_some_and(|d| d.is_ascii_digit())
                && !chars.get(i + 3).is_some_and(|d| d.is_ascii_digit())
                && len <= 2
            {
                let m = digit(chars[i + 1]) * 10 + digit(chars[i + 2]);
                out.push(Tok::Clock(n, m));
                i += 3;
                continue;
            }
            // slashed date 3/7 or 3/7/2019
            if i < chars.len()
                && chars[i] == '/'
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && len <= 2
            {
                let (b, blen, next2) = read_num(&chars, i + 1);
                if blen <= 2 {
                    let mut j = next2;
                    let mut year = None;
                    if j < chars.len()
                        && chars[j] == '/'
                        && chars.get(j + 1).is_some_and(|d| d.is_ascii_digit())
                    {
                        let (y, _, next3) = read_num(&chars, j + 1);
                        year = Some(y);
                        j = next3;
                    }
                    out.push(Tok::Slash(n, b, year));
                    i = j;
                    continue;
                }
            }
            // letters glued to the number: 13th, 3pm, 2moro
            if i < chars.len() && chars[i].is_alphabetic() {
                let mut w = String::new();
                let mut j = i;
                while j < chars.len() && chars[j].is_alphabetic() {
                    w.extend(chars[j].to_lowercase());
                    j += 1;
                }
                let ordinal = matches!(w.as_str(), "st" | "nd" | "rd" | "th");
                if ordinal {
                    out.push(Tok::Ordinal(n));
                    i = j;
                    continue;
                }
                if n == 2
                    && len == 1
                    && let Some(m) = two_prefixed(&w)
                {
                    out.push(Tok::Word(m.to_string()));
                    i = j;
                    continue;
                }
                out.push(Tok::Num(n, len));
                i = j;
                push_word(&mut out, w);
                continue;
            }
            out.push(Tok::Num(n, len));
        } else if c == '#' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
            let (_, _, next) = read_num(&chars, i + 1);
            out.push(Tok::Id);
            i = next;
        } else if c == '@' {
            out.push(Tok::Word("at".to_string()));
            i += 1;
        } else if c == '&' {
            out.push(Tok::Word("and".to_string()));
            i += 1;
        } else {
            if matches!(c, '.' | ',' | '?' | '!' | ';' | ':' | '-' | '(' | ')') {
                out.push(Tok::Punct(c));
            }
            i += 1;
        }
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '`')
}

fn digit(c: char) -> u32 {
    c.to_digit(10).unwrap_or(0)
}

fn read_num(chars: &[char], start: usize) -> (u32, u8, usize) {
    let mut n: u32 = 0;
    let mut len: u8 = 0;
    let mut i = start;
    while i < chars.len() && chars[i].is_ascii_digit() {
        n = n.saturating_mul(10).saturating_add(digit(chars[i]));
        len = len.saturating_add(1);
        i += 1;
    }
    (n, len, i)
}

/// "2moro", "2day", "2nite": SMS spellings that start with the digit 2.
fn two_prefixed(rest: &str) -> Option<&'static str> {
    match rest {
        "moro" | "morrow" | "mrw" | "mro" | "morow" | "mrow" | "mr" => Some("tomorrow"),
        "day" => Some("today"),
        "nite" | "night" | "nyt" => Some("tonight"),
        _ => None,
    }
}

fn push_word(out: &mut Vec<Tok>, w: String) {
    let mapped = normalise(&w);
    match mapped {
        Some(m) => {
            for part in m.split(' ') {
                out.push(Tok::Word(part.to_string()));
            }
        }
        None => out.push(Tok::Word(w)),
    }
}

/// SMS spellings, common typos and contractions mapped to a canonical form.
fn normalise(w: &str) -> Option<&'static str> {
    Some(match w {
        "tmrw" | "tmrow" | "tmr" | "tmro" | "tomoz" | "tommorow" | "tommorrow" | "tomorow"
        | "tomorrrow" | "tomrrow" | "tomorrw" | "tomm" | "tmw" | "tomo" | "tommorw" | "tomoro"
        | "tomorro" | "tmorrow" | "tommarow" | "tomarrow" | "tomorrows" | "tmrws" | "tmrows"
        | "tmws" => "tomorrow",
        "tdy" | "tday" | "todays" | "toda" => "today",
        "tonite" | "tonigh" | "tonights" => "tonight",
        "appt" | "appts" | "apt" | "appoinment" | "appointmnet" | "appointmentn" | "apointment"
        | "appointement" | "appiontment" | "appontment" | "apppointment" | "appointmet"
        | "appoint" | "appointmnt" => "appointment",
        "pls" | "plz" | "plse" | "pleas" | "plez" | "pleae" | "plase" => "please",
        "thx" | "thnx" | "thanx" | "tnx" | "ty" | "thanku" | "thnks" | "thks" | "tx" => "thanks",
        "u" => "you",
        "ur" => "your",
        "r" => "are",
        "b" => "be",
        "k" | "kk" | "okey" | "okie" | "oki" | "okk" | "okok" | "okies" => "ok",
        "okay" | "alright" | "allright" => "ok",
        "yea" | "yah" | "yeh" | "yup" | "yep" | "yess" | "yesss" | "yse" | "ye" | "yeap"
        | "yas" | "yeah" | "yh" => "yes",
        "nope" | "nah" | "naw" | "nay" | "noo" | "nooo" | "nopes" => "no",
        "mon" => "monday",
        "tue" | "tues" | "tuesdays" | "teusday" | "tuseday" | "tusday" => "tuesday",
        "wed" | "weds" | "wednes" | "wensday" | "wendesday" | "wednsday" | "wednesdays"
        | "wenesday" | "wedensday" => "wednesday",
        "thu" | "thur" | "thurs" | "thrus" | "thursdays" | "thurday" | "thrusday" => "thursday",
        "fri" | "fridays" | "firday" | "fryday" | "friday's" => "friday",
        "sat" | "saturdays" | "saterday" | "satruday" => "saturday",
        "sun" | "sundays" | "sunady" => "sunday",
        "mondays" | "monady" => "monday",
        "jan" => "january",
        "feb" | "febuary" => "february",
        "mar" => "march",
        "apr" => "april",
        "jun" => "june",
        "jul" => "july",
        "aug" => "august",
        "sep" | "sept" => "september",
        "oct" => "october",
        "nov" => "november",
        "dec" => "december",
        "oclock" | "oclok" | "oclk" => "oclock",
        "noonish" | "midday" => "noon",
        "arvo" | "afternon" | "aftrnoon" | "afternoom" | "afternooon" => "afternoon",
        "mornin" | "morn" | "morining" | "moring" | "mornig" => "morning",
        "evenin" | "eve" | "evning" | "evenning" => "evening",
        "resched" | "reschdule" | "reshedule" | "rescedule" | "reschedual" | "reschule" => {
            "reschedule"
        }
        "cancell" | "cancle" | "cancl" | "cancelled" | "canceled" | "cancelling" | "canceling"
        | "cancellation" | "cxl" => "cancel",
        "wanna" => "want to",
        "gonna" => "going to",
        "gotta" => "got to",
        "dont" | "don" => "dont",
        "cant" | "cannot" => "cant",
        "wont" => "wont",
        "im" => "i am",
        "hrs" | "hr" => "hours",
        "mins" | "min" => "minutes",
        "wk" | "wks" => "week",
        "nxt" => "next",
        "abt" => "about",
        "avail" | "availble" | "avaliable" | "avalible" | "avalaible" | "avaiable" | "availabe"
        | "availale" => "available",
        _ => return None,
    })
}

/// Cardinal number words up to 59 (units and tens; compounds are joined by the caller).
pub fn number_word(w: &str) -> Option<u32> {
    Some(match w {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        _ => return None,
    })
}

/// Ordinal number words ("first" .. "thirty-first" as single words).
pub fn ordinal_word(w: &str) -> Option<u32> {
    Some(match w {
        "first" => 1,
        "second" => 2,
        "third" => 3,
        "fourth" => 4,
        "fifth" => 5,
        "sixth" => 6,
        "seventh" => 7,
        "eighth" => 8,
        "ninth" => 9,
        "tenth" => 10,
        "eleventh" => 11,
        "twelfth" => 12,
        "thirteenth" => 13,
        "fourteenth" => 14,
        "fifteenth" => 15,
        "sixteenth" => 16,
        "seventeenth" => 17,
        "eighteenth" => 18,
        "nineteenth" => 19,
        "twentieth" => 20,
        "thirtieth" => 30,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Tok {
        Tok::Word(s.to_string())
    }

    #[test]
    fn sms_spellings_become_dictionary_words() {
        assert_eq!(
            tokenize("2moro @ 3pm pls"),
            vec![w("tomorrow"), w("at"), Tok::Num(3, 1), w("pm"), w("please")]
        );
    }

    #[test]
    fn clock_ordinal_slash_and_ids_are_single_tokens() {
        assert_eq!(
            tokenize("3:15 the 13th 3/7 #123456"),
            vec![
                Tok::Clock(3, 15),
                w("the"),
                Tok::Ordinal(13),
                Tok::Slash(3, 7, None),
                Tok::Id
            ]
        );
    }

    #[test]
    fn oclock_with_odd_quotes_and_am_pm_with_dots() {
        assert_eq!(
            tokenize("4 o\"clock, 5 p.m."),
            vec![
                Tok::Num(4, 1),
                w("oclock"),
                Tok::Punct(','),
                Tok::Num(5, 1),
                w("pm")
            ]
        );
    }
}
