//! Reply texts: short, friendly, at most two SMS segments, times in the business's
//! timezone ("Tue Mar 5, 3:00 PM").
//!
//! Every fact in a reply (dates, times, counts) is passed in by the caller from the
//! scheduling engine's answer; nothing here invents one. Pure: no I/O.

use crate::business_questions::BusinessQuestion;
use crate::policy::BusinessProfile;
use crate::weekly_hours::{Opening, WeeklyHours};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use smsbot_domain::marketing::FrequencyCap;
use smsbot_domain::{ProviderId, ServiceId, StaffReason};

use crate::state::{Listed, Offer};

/// "Tue Mar 5, 3:00 PM" in the business timezone.
pub fn when(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%a %b %-d, %-I:%M %p")
        .to_string()
}

/// The customer's appointments numbered, each with what it is for when
/// they are not all for the same service: "1) Tue Mar 3, 10:00 AM
/// (Cleaning) 2) Thu Mar 5, 2:00 PM (Check-up)".
fn numbered(appointments: &[Listed], services: &ServiceNames, tz: Tz) -> String {
    let first = appointments.first().and_then(|a| a.service_id);
    let alike = appointments.iter().all(|a| a.service_id == first);
    appointments
        .iter()
        .enumerate()
        .map(
            |(i, a)| match services.of(a.service_id).filter(|_| !alike) {
                Some(name) => format!("{}) {} ({name})", i + 1, when(a.starts_at, tz)),
                None => format!("{}) {}", i + 1, when(a.starts_at, tz)),
            },
        )
        .collect::<Vec<_>>()
        .join(" ")
}

/// The names of the business's services, to tell appointments apart.
#[derive(Debug, Clone, Default)]
pub struct ServiceNames(Vec<(ServiceId, String)>);

impl ServiceNames {
    pub fn new(names: impl IntoIterator<Item = (ServiceId, String)>) -> Self {
        Self(names.into_iter().collect())
    }

    fn of(&self, id: Option<ServiceId>) -> Option<&str> {
        let id = id?;
        self.0
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, name)| name.as_str())
    }
}

/// The names offers give their providers (an offer names one only when
/// more than one could serve: its `provider` is set then).
#[derive(Debug, Clone, Default)]
pub struct ProviderNames(Vec<(ProviderId, String)>);

impl ProviderNames {
    pub fn new(names: impl IntoIterator<Item = (ProviderId, String)>) -> Self {
        Self(names.into_iter().collect())
    }

    fn of(&self, offer: &Offer) -> Option<&str> {
        let id = offer.provider?;
        self.0
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, name)| name.as_str())
    }

    /// "Tue Mar 5, 3:00 PM", or "Tue Mar 5, 3:00 PM with Dr. Lee".
    fn when(&self, offer: &Offer, tz: Tz) -> String {
        match self.of(offer) {
            Some(name) => format!("{} with {name}", when(offer.starts_at, tz)),
            None => when(offer.starts_at, tz),
        }
    }
}

pub fn offers(offers: &[Offer], tz: Tz, preface: Option<&str>) -> String {
    offers_by(offers, tz, &ProviderNames::default(), preface)
}

/// Offers, naming the provider of each that has one.
pub fn offers_by(offers: &[Offer], tz: Tz, names: &ProviderNames, preface: Option<&str>) -> String {
    let list = offers
        .iter()
        .enumerate()
        .map(|(i, o)| format!("{}) {}", i + 1, names.when(o, tz)))
        .collect::<Vec<_>>()
        .join(" ");
    let pick = if offers.len() == 1 {
        "Reply 1 to take it".to_owned()
    } else {
        format!("Reply 1-{} to choose", offers.len())
    };
    let preface = preface.map(|p| format!("{p} ")).unwrap_or_default();
    format!("{preface}I have: {list}. {pick}, or tell me another time.")
}

pub fn confirm_booking(offer: &Offer, tz: Tz, names: &ProviderNames) -> String {
    format!(
        "{} is open. Shall I book it? Reply YES or NO.",
        names.when(offer, tz)
    )
}

pub fn confirm_move(from: &Listed, to: &Offer, tz: Tz, names: &ProviderNames) -> String {
    format!(
        "Move your {} appointment to {}? Reply YES or NO.",
        when(from.starts_at, tz),
        names.when(to, tz)
    )
}

/// The business offers several services and the customer named none.
pub fn which_service(names: &[&str]) -> String {
    let list = match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    format!("Sure! What is the visit for: {list}?")
}

/// "What is the visit for?" asked again, with how long each takes.
pub fn which_service_again(services: &[(&str, i32)]) -> String {
    let list = services
        .iter()
        .map(|(name, minutes)| format!("{name} ({minutes} min)"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("Which visit would you like: {list}? Just reply with its name.")
}

/// The end of an offer of other times, when the time asked had nothing open.
pub fn or_waitlist() -> &'static str {
    "Or reply WAITLIST and I'll text you if something opens up at the time you asked."
}

/// Nothing open at all for the time asked: the waitlist instead.
pub fn waitlist_question(nothing: &str) -> String {
    format!("{nothing} Want me to text you if something opens up then? Reply YES or NO.")
}

/// On the waitlist for `[from, to)`.
pub fn waitlisted(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> String {
    let last = to - chrono::Duration::minutes(1);
    format!(
        "You're on the waitlist for {} to {}. I'll text you if a time opens up; reply YES to that text to take it.",
        when(from, tz),
        last.with_timezone(&tz).format("%a %b %-d, %-I:%M %p")
    )
}

/// The time asked for has passed: no waitlist for it.
pub fn waitlist_too_late() -> &'static str {
    "That time has already passed, so there is nothing to wait for. Tell me another day or time."
}

/// The held time was taken by the customer answering the offer.
pub fn waitlist_taken(at: DateTime<Utc>, tz: Tz) -> String {
    booked(at, tz)
}

/// The hold ran out before the customer answered.
pub fn waitlist_expired(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "Sorry, {} was held for you only for a while and has gone to the next person. You're still on the waitlist.",
        when(at, tz)
    )
}

/// The customer passed on an offer.
pub fn waitlist_declined() -> &'static str {
    "OK, I'll pass it on. You stay on the waitlist for another time."
}

/// "Nvm" while asked what the visit is for.
pub fn nothing_booked() -> &'static str {
    "No problem, nothing is booked. Text me anytime."
}

/// Several services named at once.
pub fn one_service_at_a_time(names: &[&str]) -> String {
    format!(
        "I can book one visit at a time: which first, {}?",
        names.join(" or ")
    )
}

/// The provider asked for does not offer the service; `who` do.
pub fn provider_does_not_offer(provider: &str, service: &str, who: &[&str]) -> String {
    match who {
        [] => format!("{provider} doesn't do {service} visits."),
        [one] => format!("{provider} doesn't do {service} visits, {one} does."),
        many => format!(
            "{provider} doesn't do {service} visits; {} do.",
            many.join(", ")
        ),
    }
}

/// A provider the customer asked for who is not taking appointments.
pub fn provider_away(provider: &str) -> String {
    format!("{provider} isn't taking appointments right now.")
}

/// A service taken from the customer's last booking, said so they can change it.
pub fn as_last_time(service: &str) -> String {
    format!("Same as last time: {service} (just say if not).")
}

pub fn booked(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "You're booked for {}. See you then! Text \"reschedule\" or \"cancel appointment\" anytime.",
        when(at, tz)
    )
}

/// The confirmation with a link to the appointment's `.ics` file.
pub fn booked_with_calendar(at: DateTime<Utc>, tz: Tz, link: &str) -> String {
    format!(
        "You're booked for {}. Add it to your calendar: {link} Text \"reschedule\" or \"cancel appointment\" anytime.",
        when(at, tz)
    )
}

pub fn moved(at: DateTime<Utc>, tz: Tz) -> String {
    format!("Done, your appointment is now {}.", when(at, tz))
}

pub fn slot_taken() -> &'static str {
    "Sorry, that time was just taken."
}

pub fn nothing_open() -> &'static str {
    "Sorry, I have no openings then. Try another day or time?"
}

pub fn nothing_open_at_all() -> &'static str {
    "Sorry, I have no openings in the coming weeks. Please call us to book."
}

pub fn too_many(limit: i64) -> String {
    format!(
        "You already have {limit} upcoming appointments, the most we can hold. Text \"my appointments\" to see them."
    )
}

pub fn no_appointments() -> &'static str {
    "You have no upcoming appointments. Want to book one? Tell me a day and time."
}

pub fn appointment_list(appointments: &[Listed], tz: Tz) -> String {
    match appointments {
        [] => no_appointments().to_owned(),
        [one] => format!("Your next appointment: {}.", when(one.starts_at, tz)),
        many => format!(
            "Your appointments: {}.",
            many.iter()
                .map(|a| when(a.starts_at, tz))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

pub fn which_to_cancel(appointments: &[Listed], services: &ServiceNames, tz: Tz) -> String {
    format!(
        "Which one should I cancel? {}. Reply with its number.",
        numbered(appointments, services, tz)
    )
}

pub fn which_to_move(appointments: &[Listed], services: &ServiceNames, tz: Tz) -> String {
    format!(
        "Which one should I move? {}. Reply with its number.",
        numbered(appointments, services, tz)
    )
}

pub fn confirm_cancel(appointment: &Listed, tz: Tz) -> String {
    format!(
        "Cancel your appointment on {}? Reply YES or NO.",
        when(appointment.starts_at, tz)
    )
}

pub fn cancelled(at: DateTime<Utc>, tz: Tz) -> String {
    format!("Your {} appointment is cancelled.", when(at, tz))
}

/// The customer asked to cancel an appointment that has already started.
pub fn already_started_cancel() -> &'static str {
    "Your appointment has already started, so it can't be cancelled by text. Please call us."
}

/// The customer asked to move an appointment that has already started.
pub fn already_started_move() -> &'static str {
    "Your appointment has already started, so it can't be moved by text. Please call us."
}

/// An appointment reminder. Never uses the word CANCEL alone: carriers read that
/// as an opt-out.
pub fn reminder(business: &str, at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "Reminder from {business}: your appointment is {}. Reply C to confirm, R to reschedule, or X to cancel.",
        when(at, tz)
    )
}

pub fn confirmed(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "Thanks, you're confirmed for {}. See you then!",
        when(at, tz)
    )
}

pub fn kept() -> &'static str {
    "OK, nothing changed."
}

pub fn ask_for_time() -> &'static str {
    "OK. What day and time would suit you?"
}

pub fn pick_a_number(count: usize) -> String {
    format!("Please reply with a number from 1 to {count}.")
}

pub fn greeting(business: &str) -> String {
    format!("Hi! This is {business}. I can book, move or cancel appointments. What would you like?")
}

pub fn goodbye() -> &'static str {
    "Thanks, have a great day!"
}

pub fn help(business: &str) -> String {
    format!(
        "{business}: text a day and time to book (e.g. \"Tue at 3pm\"), \"my appointments\", \"reschedule\" or \"cancel appointment\". Reply STOP to opt out."
    )
}

pub fn not_understood() -> &'static str {
    "Sorry, I didn't get that. You can say e.g. \"book Tuesday at 3pm\", \"my appointments\" or \"cancel appointment\"."
}

pub fn expired_prefix() -> &'static str {
    "Sorry, our last chat timed out, so I started over."
}

/// Moving `from` onto a time the contact already holds would book them twice.
pub fn already_hold(from: DateTime<Utc>, held: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "You already have {} booked, so I kept your {} appointment as it is. \
         Text \"cancel appointment\" if you want to drop one.",
        when(held, tz),
        when(from, tz)
    )
}

/// The answer to a question about the business, from its profile; what the
/// profile does not hold is left to a call.
pub fn about_business(
    question: BusinessQuestion,
    business: &str,
    profile: &BusinessProfile,
) -> String {
    let call = match &profile.phone {
        Some(phone) => format!("call us at {phone}"),
        None => "call us".to_owned(),
    };
    match (question, profile) {
        (BusinessQuestion::Hours, BusinessProfile { hours: Some(h), .. }) => format!(
            "{business} is open {}. Text a day and time to book.",
            h.describe()
        ),
        (
            BusinessQuestion::Location,
            BusinessProfile {
                address: Some(a), ..
            },
        ) => format!("{business} is at {a}."),
        (BusinessQuestion::Phone, BusinessProfile { phone: Some(p), .. }) => {
            format!("You can reach {business} at {p}.")
        }
        (
            BusinessQuestion::Website,
            BusinessProfile {
                website: Some(w), ..
            },
        ) => format!("You'll find {business} online at {w}"),
        _ => format!("I can't answer that by text, sorry: please {call}."),
    }
}

/// A turn failed in a way retrying cannot fix: say so, and where to turn.
pub fn something_went_wrong(business: &str) -> String {
    format!(
        "Sorry, something went wrong on our side and I couldn't finish that. \
         Please try again later, or call {business}."
    )
}

/// The confirmation of an opt-out asked for in words Twilio does not know.
pub fn opted_out(business: &str) -> String {
    format!(
        "You're unsubscribed from {business} and won't get any more texts from us. \
         Reply START to resubscribe."
    )
}

/// The confirmation of a marketing opt-in (JOIN): who is texting, how often,
/// what it may cost and how to stop, as carriers require.
pub fn joined(business: &str, frequency: Option<&FrequencyCap>) -> String {
    let frequency = match frequency {
        Some(cap) => format!("{}.", often(cap)),
        None => "Msg frequency varies.".to_owned(),
    };
    format!(
        "{business}: you're signed up for offers by text, {frequency} \
         Msg&data rates may apply. Reply STOP to opt out, HELP for help."
    )
}

/// A frequency cap as the customer is told it: "up to 4 msgs/month".
fn often(cap: &FrequencyCap) -> String {
    let messages = match cap.max() {
        1 => "1 msg".to_owned(),
        n => format!("{n} msgs"),
    };
    let hours = cap.per().num_hours();
    let period = match (hours % 24, hours / 24) {
        (0, 1) => "day".to_owned(),
        (0, 7) => "week".to_owned(),
        (0, 30) => "month".to_owned(),
        (0, 365) => "year".to_owned(),
        (0, days) => format!("{days} days"),
        _ if hours == 1 => "hour".to_owned(),
        _ => format!("{hours} hours"),
    };
    format!("up to {messages}/{period}")
}

pub fn opted_in() -> &'static str {
    "You're subscribed again and can book by text. Reply STOP to opt out, HELP for help."
}

/// What every "didn't get that" reply says, however it goes on.
const NOT_UNDERSTOOD: &str = "Sorry, I didn't get that.";

/// Whether a reply (ours, as sent) said we did not understand.
pub fn is_not_understood(reply: &str) -> bool {
    reply.contains(NOT_UNDERSTOOD)
}

/// The conversation went to staff: who follows up, and when (`when` from
/// [`follow_up_when`]).
pub fn handed_off(reason: StaffReason, business: &str, when: &str) -> String {
    match reason {
        StaffReason::AskedForCall => {
            format!("Sure - I've asked someone from {business} to call you {when}.")
        }
        StaffReason::Complaint => format!(
            "I'm sorry to hear that. I've passed this on to {business}, and someone will get back to you {when}."
        ),
        StaffReason::NotUnderstood => format!(
            "Sorry, I'm not getting it. I've asked someone from {business} to get back to you {when}."
        ),
        _ => format!("Sure - I've asked someone from {business} to get back to you {when}."),
    }
}

/// "Running late", "I'm here", "on my way": acknowledged, passed on.
pub fn passed_on() -> &'static str {
    "Thanks for letting us know \u{2014} we'll tell the team."
}

/// When staff will follow up, from the opening hours and the local time now:
/// "during opening hours today (until 5:00 PM)", "today from 9:00 AM",
/// "tomorrow from 9:00 AM", "on Saturday from 10:00 AM"; "as soon as they
/// can" when the hours are not known. Less than half an hour before closing
/// counts as closed.
pub fn follow_up_when(hours: Option<&WeeklyHours>, now: NaiveDateTime) -> String {
    let Some(hours) = hours else {
        return "as soon as they can".to_owned();
    };
    let time = |t: chrono::NaiveTime| t.format("%-I:%M %p").to_string();
    let opens = match hours.opening(now) {
        Opening::Now { closes } if closes - now.time() >= chrono::Duration::minutes(30) => {
            return format!("during opening hours today (until {})", time(closes));
        }
        Opening::Now { closes } => match hours.opening(now.date().and_time(closes)) {
            Opening::At(at) => at,
            Opening::Now { .. } => return "as soon as they can".to_owned(),
        },
        Opening::At(at) => at,
    };
    let day = match (opens.date() - now.date()).num_days() {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        _ => format!("on {}", opens.format("%A")),
    };
    format!("{day} from {}", time(opens.time()))
}

/// Staff closed the business (or the provider) over the customer's booking.
pub fn closed_on_appointment(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "Sorry, we have to close at the time of your {} appointment. Reply \"reschedule\" to pick a new time, or call us.",
        when(at, tz)
    )
}

/// Booked by a customer over the no-show limit: the desk confirms it.
pub fn pencilled_in(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "I've pencilled you in for {}. Our front desk will text you to confirm it shortly.",
        when(at, tz)
    )
}

/// The front desk approved a pencilled-in booking.
pub fn approved(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "You're confirmed for {}. See you then! Text \"reschedule\" or \"cancel appointment\" anytime.",
        when(at, tz)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsbot_domain::SmsBody;

    fn tz() -> Tz {
        "America/New_York".parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn segments(text: &str) -> u32 {
        SmsBody::parse(text).unwrap().segments()
    }

    #[test]
    fn the_join_confirmation_names_the_business_the_frequency_the_cost_and_stop() {
        let cap = FrequencyCap::default();
        assert_eq!(
            joined("Bright Smile", Some(&cap)),
            "Bright Smile: you're signed up for offers by text, up to 4 msgs/month. \
             Msg&data rates may apply. Reply STOP to opt out, HELP for help."
        );
        let uncapped = joined("Bright Smile", None);
        assert!(uncapped.contains("Msg frequency varies."), "{uncapped}");
        assert_eq!(segments(&joined("Bright Smile", Some(&cap))), 1);
    }

    #[test]
    fn a_frequency_is_told_in_the_plainest_period() {
        let told = |raw: &str| often(&FrequencyCap::parse(raw).unwrap());
        assert_eq!(told("1/7d"), "up to 1 msg/week");
        assert_eq!(told("2/1d"), "up to 2 msgs/day");
        assert_eq!(told("10/90d"), "up to 10 msgs/90 days");
        assert_eq!(told("3/12h"), "up to 3 msgs/12 hours");
    }

    #[test]
    fn staff_follow_up_during_opening_hours_or_from_the_next_opening() {
        let hours = crate::WeeklyHours::parse("mon-fri 09:00-17:00; sat 10:00-14:00").unwrap();
        let when = |local: &str| follow_up_when(Some(&hours), local.parse().unwrap());
        // Monday 2026-03-02.
        assert_eq!(
            when("2026-03-02T11:00:00"),
            "during opening hours today (until 5:00 PM)"
        );
        assert_eq!(when("2026-03-02T07:30:00"), "today from 9:00 AM");
        assert_eq!(when("2026-03-02T16:45:00"), "tomorrow from 9:00 AM");
        assert_eq!(when("2026-03-02T22:10:00"), "tomorrow from 9:00 AM");
        assert_eq!(when("2026-03-06T18:00:00"), "tomorrow from 10:00 AM");
        assert_eq!(when("2026-03-07T15:00:00"), "on Monday from 9:00 AM");
        assert_eq!(
            follow_up_when(None, "2026-03-02T11:00:00".parse().unwrap()),
            "as soon as they can"
        );
    }

    #[test]
    fn a_handoff_says_who_follows_up_and_a_notice_is_acknowledged() {
        assert_eq!(
            handed_off(
                StaffReason::AskedForPerson,
                "Test Salon",
                "tomorrow from 9:00 AM"
            ),
            "Sure - I've asked someone from Test Salon to get back to you tomorrow from 9:00 AM."
        );
        assert!(
            handed_off(
                StaffReason::AskedForCall,
                "Test Salon",
                "today from 9:00 AM"
            )
            .contains("to call you today from 9:00 AM")
        );
        assert!(
            handed_off(StaffReason::Complaint, "Test Salon", "as soon as they can")
                .starts_with("I'm sorry to hear that.")
        );
        assert_eq!(
            passed_on(),
            "Thanks for letting us know \u{2014} we'll tell the team."
        );
        assert!(is_not_understood(not_understood()));
        assert!(is_not_understood(&format!(
            "{} {}",
            expired_prefix(),
            not_understood()
        )));
        assert!(!is_not_understood(passed_on()));
    }

    #[test]
    fn times_are_shown_in_the_business_timezone() {
        assert_eq!(when(at("2026-03-05T20:00:00Z"), tz()), "Thu Mar 5, 3:00 PM");
    }

    #[test]
    fn the_longest_replies_fit_in_two_segments() {
        let shown: Vec<Offer> = (0..3)
            .map(|i| Offer {
                slot_id: smsbot_domain::SlotId::new(i),
                starts_at: at("2026-12-30T15:30:00Z") + chrono::Duration::hours(i),
                provider: None,
            })
            .collect();
        let listed: Vec<Listed> = (0..3)
            .map(|i| Listed {
                appointment_id: smsbot_domain::AppointmentId::new(i),
                starts_at: at("2026-12-30T15:30:00Z") + chrono::Duration::days(i),
                service_id: Some(ServiceId::new(i)),
            })
            .collect();
        let services = ServiceNames::new(
            ["Check-up", "Cleaning", "Whitening consult"]
                .into_iter()
                .enumerate()
                .map(|(i, name)| (ServiceId::new(i as i64), name.to_owned())),
        );
        let longest = [
            offers(&shown, tz(), Some(expired_prefix())),
            offers(&shown, tz(), Some(slot_taken())),
            format!("{} {}", expired_prefix(), not_understood()),
            help("Bright Smile Dental Clinic of Springfield"),
            greeting("Bright Smile Dental Clinic of Springfield"),
            appointment_list(&listed, tz()),
            which_to_cancel(&listed, &services, tz()),
            which_to_move(&listed, &services, tz()),
            confirm_move(&listed[0], &shown[0], tz(), &ProviderNames::default()),
            booked(shown[0].starts_at, tz()),
            too_many(3),
            format!("{} {}", expired_prefix(), already_started_cancel()),
            format!("{} {}", expired_prefix(), already_started_move()),
            format!(
                "{} {}",
                expired_prefix(),
                already_hold(shown[0].starts_at, shown[1].starts_at, tz())
            ),
            something_went_wrong("Bright Smile Dental Clinic of Springfield"),
            joined(
                "Bright Smile Dental Clinic of Springfield",
                Some(&FrequencyCap::parse("100/365d").unwrap()),
            ),
            reminder(
                "Bright Smile Dental Clinic of Springfield",
                shown[0].starts_at,
                tz(),
            ),
            handed_off(
                StaffReason::Complaint,
                "Bright Smile Dental Clinic of Springfield",
                "during opening hours today (until 12:30 PM)",
            ),
            handed_off(
                StaffReason::NotUnderstood,
                "Bright Smile Dental Clinic of Springfield",
                "on Wednesday from 10:00 AM",
            ),
            passed_on().to_owned(),
        ];
        for reply in &longest {
            assert!(
                segments(reply) <= 2,
                "{} segments: {reply}",
                segments(reply)
            );
        }
    }
}
