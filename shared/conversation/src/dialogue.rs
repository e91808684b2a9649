//! One conversation step: given the state and what the customer said, decide the
//! next state and the reply, asking the scheduling engine (the store) for facts.
//!
//! The understanding only classifies and extracts; every booking goes through the
//! engine inside the turn's transaction, and every time in a reply comes from a
//! slot or appointment row. What a message means in context (a short answer,
//! a correction of the time just offered, a swap of one appointment for
//! another time) is read by the modules named for it and decided here. Must
//! not send anything or commit: the turn does that.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::calendar_links;
use smsbot_domain::{ContactId, SlotId};
use smsbot_nlu::{Direction, Intent, Understanding, understand};
use smsbot_store::StoreError;
use smsbot_store::appointments::{
    self, BookingOutcome, BookingRequest, CancelOutcome, RescheduleOutcome,
};
use smsbot_store::availability::{self, Slot, Wanted};
use smsbot_store::{calendars, providers, services, waitlist};
use tokio::sync::OnceCell;

use crate::business_questions;
use crate::compliance::{self, ReminderAnswer};
use crate::compound::{self, Swap};
use crate::corrections::{self, Discussed, SameTime};
use crate::faq;
use crate::first_opening;
use crate::moving;
use crate::own_appointments;
use crate::phrases;
use crate::policy::Policy;
use crate::reference::{self, Match, Picked};
use crate::replies;
use crate::short_answer::{self, ShortAnswer};
use crate::state::{Listed, Offer, Purpose, State};
use crate::visit::{Catalog, NamedProvider, NamedService, ProviderWish, Visit};
use crate::window::{names_a_time, search_window};

pub struct Step<'a, C> {
    pub db: &'a C,
    pub policy: &'a Policy,
    pub contact_id: ContactId,
    pub now: DateTime<Utc>,
    /// The message as written: a reminder's C, R or X means nothing to the NLU.
    pub text: &'a str,
    /// The service and provider chosen earlier in this conversation.
    pub visit: Visit,
    /// The business's services and providers, read once per step if needed.
    pub catalog: OnceCell<Catalog>,
}

/// What one step decided: the state to save, the reply, and whether it booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    pub state: State,
    pub reply: String,
    /// A new appointment was booked (counted once the turn commits).
    pub booked: bool,
    /// The visit to remember from now on; `None` keeps the one there was.
    pub visit: Option<Visit>,
    /// A place this step freed (cancelled, or moved away from), for the
    /// waitlist once the turn commits.
    pub freed: Option<SlotId>,
}

/// A step that answers without booking anything.
fn say(state: State, reply: impl Into<String>) -> Next {
    Next {
        state,
        reply: reply.into(),
        booked: false,
        visit: None,
        freed: None,
    }
}

impl Next {
    /// Remembers `visit`, keeping the waitlist window the step found (if any).
    fn remembering(mut self, visit: Visit) -> Self {
        let window = self.visit.as_ref().and_then(|v| v.window);
        self.visit = Some(Visit {
            window: window.or(visit.window),
            ..visit
        });
        self
    }
}

fn offer_of(slot: &Slot) -> Offer {
    Offer {
        slot_id: slot.id,
        starts_at: slot.starts_at,
        provider: None,
    }
}

/// The catalog as the conversation reads it: active services some active
/// provider offers, and active providers.
async fn load_catalog(db: &impl GenericClient) -> Result<Catalog, StoreError> {
    let services = services::active_offered(db)
        .await?
        .into_iter()
        .map(|s| NamedService {
            id: s.id,
            name: s.name,
            minutes: s.duration_minutes,
        })
        .collect();
    let (active, away): (Vec<_>, Vec<_>) = providers::list(db)
        .await?
        .into_iter()
        .partition(|p| p.active);
    let providers = active
        .into_iter()
        .map(|p| NamedProvider {
            id: p.id,
            name: p.name,
            services: p.service_ids,
        })
        .collect();
    Ok(Catalog {
        services,
        providers,
        away: away.into_iter().map(|p| p.name).collect(),
    })
}

/// What a short message means right after the bot's last question: "#2" or
/// "the last one" picks from a list; "y", "k" or "👍" answers a yes-or-no
/// question; after an offer, "I can't do 3" turns it down (a time it goes on
/// to name is still read) and "later" or "anything earlier?" asks for other
/// times. `None`: as understood.
fn in_context(
    state: &State,
    text: &str,
    u: &Understanding,
    tz: chrono_tz::Tz,
) -> Option<Understanding> {
    let listed = match state {
        State::OfferedSlots { offers, .. } => offers.len(),
        // "1" or "the first one" to the one time offered picks it.
        State::AwaitingConfirmation { .. } => 1,
        State::ChoosingToCancel { appointments } | State::ChoosingToReschedule { appointments } => {
            appointments.len()
        }
        _ => 0,
    };
    // "#2", "the last one", "first one works": an option of the list.
    if let Some(n) = short_answer::option(text, listed) {
        return Some(Understanding {
            intent: Intent::Select,
            selection: Some(n),
            direction: None,
            confidence: 1.0,
            ..u.clone()
        });
    }
    // "4 then", "11 works": a number that is no option is an hour.
    if offering(state)
        && let Some(time) = short_answer::number(text).and_then(|n| hour_said(n, state, tz))
    {
        return Some(Understanding {
            intent: Intent::Select,
            selection: None,
            date: None,
            date_range: None,
            time: Some(time),
            time_range: None,
            direction: None,
            confidence: 1.0,
        });
    }
    let (intent, direction) = match short_answer::read(text) {
        Some(answer) if state.asks_yes_or_no() => match answer {
            ShortAnswer::Yes => (Intent::Affirm, None),
            ShortAnswer::No => (Intent::Deny, None),
        },
        _ if offering(state) && short_answer::refuses(text) => (Intent::Deny, u.direction),
        _ if offering(state) => (Intent::Alternatives, Some(short_answer::direction(text)?)),
        _ => return None,
    };
    Some(Understanding {
        intent,
        direction,
        selection: None,
        confidence: 1.0,
        ..u.clone()
    })
}

/// The hour a bare number says while times are offered: that of an offer
/// at `n` o'clock (morning or afternoon), else as the business day reads it.
fn hour_said(n: usize, state: &State, tz: chrono_tz::Tz) -> Option<NaiveTime> {
    let n = u32::try_from(n).ok()?;
    let offers: &[Offer] = match state {
        State::OfferedSlots { offers, .. } => offers,
        State::AwaitingConfirmation { offer, .. } => std::slice::from_ref(offer),
        _ => &[],
    };
    offers
        .iter()
        .map(|o| o.starts_at.with_timezone(&tz).time())
        .find(|t| t.minute() == 0 && (1..=12).contains(&n) && t.hour() % 12 == n % 12)
        .or_else(|| reference::business_hour(n))
}

/// The understanding without the day and hour it names: they named the
/// appointment to move, not where to.
fn nothing_named(u: &Understanding) -> Understanding {
    Understanding {
        date: None,
        date_range: None,
        time: None,
        time_range: None,
        ..u.clone()
    }
}

/// Whether the bot's last message offered a time (or times).
fn offering(state: &State) -> bool {
    matches!(
        state,
        State::OfferedSlots { .. } | State::AwaitingConfirmation { .. }
    )
}

/// The offer at the hour (and on the day, if one is named) the message names.
fn offered_at(u: &Understanding, offers: &[Offer], tz: chrono_tz::Tz) -> Option<Offer> {
    // "after 9:30" names a bound, not an offer.
    if u.time_range.is_some() || u.direction.is_some() {
        return None;
    }
    let at = |o: &Offer| o.starts_at.with_timezone(&tz);
    if let Some(time) = u.time {
        return offers
            .iter()
            .copied()
            .find(|o| at(o).time() == time && u.date.is_none_or(|d| d == at(o).date_naive()));
    }
    // A number beyond the options is an hour: "the 4" out of three.
    let hour = u32::from(u.selection?);
    if u.intent != Intent::Select || (1..=offers.len()).contains(&(hour as usize)) {
        return None;
    }
    offers.iter().copied().find(|o| {
        let local = at(o).time();
        local.minute() == 0 && (local.hour() == hour || local.hour() == hour + 12)
    })
}

/// Whether the message says what it wants in so many words: "cancel" for a
/// cancellation, "reschedule" or "can we move it" for a move, "book" for a
/// booking. Such a message is clear whatever else it says around it ("hey i
/// cant make it tomorrow, can you cancel").
fn said_outright(intent: Intent, text: &str) -> bool {
    let said = phrases::normalise(text);
    let words: &[&str] = match intent {
        Intent::Cancel => &["cancel", "cancl", "cancle", "cancell", "cxl"],
        _ if moving::asked(text) => return true,
        Intent::Reschedule => &["reschedule", "resched", "rebook", "reschedual"],
        // "appointment pls": a request in one word (more words may say
        // more, such as "my appointment is at 3 but I'll be late").
        Intent::Book if said.len() <= 3 => &["book", "appointment", "appt", "booking"],
        Intent::Book => &["book"],
        _ => return false,
    };
    said.iter().any(|w| words.contains(&w.as_str()))
}

/// The 0-based option the customer picked out of `count`, if they picked one.
fn picked(u: &Understanding, count: usize) -> Option<usize> {
    match (u.intent, u.selection) {
        (Intent::Select, Some(n)) if (1..=count).contains(&(n as usize)) => Some(n as usize - 1),
        (Intent::Affirm, _) if count == 1 => Some(0),
        _ => None,
    }
}

impl<C: GenericClient> Step<'_, C> {
    fn tz(&self) -> chrono_tz::Tz {
        self.policy.timezone
    }

    async fn catalog(&self) -> Result<&Catalog, StoreError> {
        self.catalog.get_or_try_init(|| load_catalog(self.db)).await
    }

    /// "When is my appointment", or "when is my checkup again?" (a service's
    /// name for the appointment).
    async fn asks_own_appointments(&self) -> Result<bool, StoreError> {
        if own_appointments::asked(self.text) {
            return Ok(true);
        }
        if !phrases::normalise(self.text).iter().any(|w| w == "my") {
            return Ok(false);
        }
        let catalog = self.catalog().await?;
        Ok(!catalog.services_named(self.text).is_empty()
            && own_appointments::asked(&catalog.generic(self.text)))
    }

    /// The visit this message asks for: what was chosen before, with what
    /// the message names.
    async fn visit_now(&self) -> Result<Visit, StoreError> {
        Ok(self.visit.updated_by(self.catalog().await?, self.text))
    }

    /// What offers for `purpose` are searched for: the visit being booked,
    /// or the service of the appointment being moved (with anyone).
    async fn wanted(&self, purpose: Purpose) -> Result<Wanted, StoreError> {
        Ok(match purpose {
            Purpose::Book => {
                let visit = self.visit_now().await?;
                Wanted {
                    service: visit.service,
                    provider: visit.provider,
                }
            }
            // The same service, with the same provider unless the message
            // names another (or anyone).
            Purpose::Reschedule { appointment } => {
                let kept = appointments::visit_of(self.db, appointment.appointment_id).await?;
                let provider = match self.catalog().await?.provider_wished(self.text) {
                    ProviderWish::Named(named) => Some(named),
                    ProviderWish::Anyone => None,
                    ProviderWish::Unsaid => kept.map(|(_, provider)| provider),
                };
                Wanted {
                    service: kept.and_then(|(service, _)| service),
                    provider,
                }
            }
        })
    }

    /// Offers for these slots, naming each one's provider when more than
    /// one could serve.
    async fn shown(&self, slots: &[Slot], wanted: Wanted) -> Result<Vec<Offer>, StoreError> {
        let named = self.catalog().await?.providers_for(wanted.service) > 1;
        Ok(slots
            .iter()
            .map(|slot| Offer {
                provider: named.then_some(slot.provider_id),
                ..offer_of(slot)
            })
            .collect())
    }

    async fn names(&self) -> Result<replies::ProviderNames, StoreError> {
        let catalog = self.catalog().await?;
        Ok(replies::ProviderNames::new(
            catalog.providers.iter().map(|p| (p.id, p.name.clone())),
        ))
    }

    async fn offers_text(
        &self,
        offers: &[Offer],
        preface: Option<&str>,
    ) -> Result<String, StoreError> {
        let names = if offers.iter().any(|o| o.provider.is_some()) {
            self.names().await?
        } else {
            replies::ProviderNames::default()
        };
        Ok(replies::offers_by(offers, self.tz(), &names, preface))
    }

    pub async fn respond(&self, state: State, u: &Understanding) -> Result<Next, StoreError> {
        if let Some(next) = self.on_its_own(&state, u).await? {
            return Ok(next);
        }
        if let State::ReminderSent { appointment } = state {
            return self.on_reminder(appointment, u).await;
        }
        if let Some(next) = self.on_waitlist(&state, u).await? {
            return Ok(next);
        }
        if let State::ChoosingService { asked } = &state
            && let Some(next) = self.on_service_question(&state, asked, u).await?
        {
            return Ok(next);
        }
        // "Actually make it a checkup", "can I see Alex instead": the times
        // being talked about, for that.
        if let Some(next) = self.visit_changed(&state, u).await? {
            return Ok(next);
        }
        let answered = in_context(&state, self.text, u, self.tz());
        let u = answered.as_ref().unwrap_or(u);
        // "A cleaning please" with nothing pending asks for a booking.
        if state == State::Idle
            && u.confidence < self.policy.min_confidence
            && self.catalog().await?.service_named(self.text).is_some()
        {
            return self.offer(Purpose::Book, u, None).await;
        }
        // Unsure what was meant: ask, keep what was pending, never guess
        // (unless the message says it outright: "…, can you cancel").
        if u.confidence < self.policy.min_confidence
            && !names_a_time(u)
            && !said_outright(u.intent, self.text)
        {
            return Ok(say(state, replies::not_understood().to_owned()));
        }
        match state {
            State::Idle => self.fresh(u).await,
            State::OfferedSlots { purpose, offers } => self.on_offers(purpose, offers, u).await,
            State::AwaitingConfirmation { purpose, offer } => {
                self.on_confirmation(purpose, offer, u).await
            }
            State::ChoosingToCancel { appointments } => match picked(u, appointments.len()) {
                Some(i) => Ok(self.confirm_cancel(appointments[i])),
                // "thursday", "the 3pm one": the one it names.
                None if let Picked::One(one) = self.named_among(&appointments).await? => {
                    Ok(self.confirm_cancel(one))
                }
                None if u.intent == Intent::Select => Ok(say(
                    State::ChoosingToCancel {
                        appointments: appointments.clone(),
                    },
                    replies::pick_a_number(appointments.len()),
                )),
                None => self.fresh(u).await,
            },
            State::ConfirmingCancel { appointment } => match u.intent {
                Intent::Affirm => self.cancel(appointment).await,
                Intent::Deny => Ok(say(State::Idle, replies::kept().to_owned())),
                _ => self.fresh(u).await,
            },
            State::ReminderSent { appointment } => self.on_reminder(appointment, u).await,
            // Something else than a service ("cancel my appt"): that, instead.
            State::ChoosingService { .. } | State::OfferedWaitlist { .. } => self.fresh(u).await,
            State::ChoosingToReschedule { appointments } => match picked(u, appointments.len()) {
                Some(i) => self.move_to(appointments[i], u).await,
                None if let Picked::One(one) = self.named_among(&appointments).await? => {
                    self.move_to(one, &nothing_named(u)).await
                }
                None if u.intent == Intent::Select => Ok(say(
                    State::ChoosingToReschedule {
                        appointments: appointments.clone(),
                    },
                    replies::pick_a_number(appointments.len()),
                )),
                None => self.fresh(u).await,
            },
        }
    }

    /// Messages whose words say what they want whatever is pending: a
    /// question about one's appointments or the business, or one of its FAQ
    /// (answered, and what was pending stays), a swap, "same time next week", "push it back an
    /// hour", "whats the earliest you have". `None` for anything else.
    async fn on_its_own(
        &self,
        state: &State,
        u: &Understanding,
    ) -> Result<Option<Next>, StoreError> {
        // After a reminder, "just confirming my appt" confirms it.
        let confirms_reminder =
            matches!(state, State::ReminderSent { .. }) && u.intent == Intent::Affirm;
        if self.asks_own_appointments().await? && !confirms_reminder {
            let upcoming = self.upcoming().await?;
            let list = replies::appointment_list(&upcoming, self.tz());
            return Ok(Some(say(state.clone(), list)));
        }
        if let Some(question) = business_questions::asked(self.text) {
            let policy = self.policy;
            let answer = replies::about_business(question, &policy.business_name, &policy.profile);
            return Ok(Some(say(state.clone(), answer)));
        }
        // "Do you take walk-ins?": the business's own answer, nothing booked.
        if let Some(entry) = faq::matching(self.text, &self.policy.profile.faq) {
            return Ok(Some(say(state.clone(), entry.answer())));
        }
        // "Cancel my 3pm and book thursday instead": one appointment moved.
        if let Some(swap) = compound::read(self.text)
            && let Some(next) = self.swap(state, &swap).await?
        {
            return Ok(Some(next));
        }
        // "Same time next week": the hour being talked about, another day.
        if let Some(same) = corrections::same_time(self.text)
            && let Some(next) = self.same_time(state, same, u).await?
        {
            return Ok(Some(next));
        }
        // "Push it back an hour": the time being talked about, shifted.
        if let Some(by) = corrections::shift(self.text)
            && let Some(next) = self.shift(state, by, u).await?
        {
            return Ok(Some(next));
        }
        // "Thanks!", "ok thx bye" with nothing asked: a goodbye, and what was
        // pending (a list to choose from) stays.
        if short_answer::closing(self.text) && !offering(state) && !state.asks_yes_or_no() {
            return Ok(Some(say(state.clone(), replies::goodbye())));
        }
        // "Whats the earliest you have": the first openings.
        if first_opening::asked(self.text) && !names_a_time(u) {
            let purpose = match state {
                State::OfferedSlots { purpose, .. }
                | State::AwaitingConfirmation { purpose, .. } => *purpose,
                _ => Purpose::Book,
            };
            return self.offer(purpose, u, None).await.map(Some);
        }
        Ok(None)
    }

    /// A message taken on its own, with no pending question.
    /// Moves the one upcoming appointment, or asks which of several.
    async fn reschedule(
        &self,
        u: &Understanding,
        upcoming: Vec<Listed>,
    ) -> Result<Next, StoreError> {
        match upcoming.as_slice() {
            [] => Ok(say(State::Idle, replies::no_appointments().to_owned())),
            [one] => self.move_to(*one, u).await,
            many => match self.named_among(many).await? {
                // "Reschedule my tuesday appt": the day named the appointment,
                // not the new time.
                Picked::One(one) => self.move_to(one, &nothing_named(u)).await,
                _ => self.which_to_move(many).await,
            },
        }
    }

    /// Offers times for moving `appointment`; a day alone keeps its hour
    /// ("move it to friday"), an hour alone its day ("push it to 4").
    /// "Can I come in earlier": the times just before it (or after it).
    async fn move_to(&self, appointment: Listed, u: &Understanding) -> Result<Next, StoreError> {
        let purpose = Purpose::Reschedule { appointment };
        let day = appointment.starts_at.with_timezone(&self.tz()).date_naive();
        let names_hour = u.time.is_some() || u.time_range.is_some();
        let same_day = u.date.is_none_or(|d| d == day) && u.date_range.is_none();
        if let (Some(direction), false, true) = (u.direction, names_hour, same_day) {
            let at = appointment.starts_at;
            let wanted = self.wanted(purpose).await?;
            let slots = self.beside(wanted, at, at, Some(direction)).await?;
            if !slots.is_empty() {
                let offers = self.shown(&slots, wanted).await?;
                let text = self.offers_text(&offers, None).await?;
                return Ok(say(State::OfferedSlots { purpose, offers }, text));
            }
        }
        let wanted = corrections::keep(u, &Discussed::at(appointment.starts_at, self.tz()));
        self.offer(purpose, &wanted, None).await
    }

    /// The one of `appointments` the whole message names ("thursday", "my
    /// 11", "the checkup"), if it names one.
    async fn named_among(&self, appointments: &[Listed]) -> Result<Picked, StoreError> {
        self.named_in(self.text, appointments, Match::Named).await
    }

    /// The one(s) of `appointments` that `words` name by day, hour or
    /// service. A service named narrows them down; then a day or hour need
    /// not be named as well.
    async fn named_in(
        &self,
        words: &str,
        appointments: &[Listed],
        how: Match,
    ) -> Result<Picked, StoreError> {
        let tz = self.tz();
        let named = reference::named(words, self.now.with_timezone(&tz));
        if let Some(service) = self.catalog().await?.service_named(words) {
            let of_service: Vec<Listed> = appointments
                .iter()
                .filter(|a| a.service_id == Some(service))
                .copied()
                .collect();
            if !of_service.is_empty() {
                return Ok(reference::pick(&named, &of_service, tz, Match::Lenient));
            }
        }
        Ok(reference::pick(&named, appointments, tz, how))
    }

    async fn service_names(&self) -> Result<replies::ServiceNames, StoreError> {
        let catalog = self.catalog().await?;
        Ok(replies::ServiceNames::new(
            catalog.services.iter().map(|s| (s.id, s.name.clone())),
        ))
    }

    async fn which_to_move(&self, many: &[Listed]) -> Result<Next, StoreError> {
        Ok(say(
            State::ChoosingToReschedule {
                appointments: many.to_vec(),
            },
            replies::which_to_move(many, &self.service_names().await?, self.tz()),
        ))
    }

    /// "Cancel my 3pm and book thursday instead", "move my 3pm to 4": the
    /// appointment the old words name, moved to the time the new words name.
    /// `None` when the new words name no time (the message is something else).
    /// While an offer is pending, words that name no appointment correct the
    /// offer ("can I do thursday instead of tuesday").
    async fn swap(&self, state: &State, swap: &Swap) -> Result<Option<Next>, StoreError> {
        let tz = self.tz();
        let now = self.now.with_timezone(&tz);
        let new = understand(&swap.new, now);
        // "…, same time next week instead?", "… and make it an hour later".
        let same = corrections::same_time(&swap.new);
        let by = corrections::shift(&swap.new);
        if !names_a_time(&new) && same.is_none() && by.is_none() {
            return Ok(None);
        }
        let how = if offering(state) {
            Match::Named
        } else {
            Match::Lenient
        };
        let upcoming = self.upcoming().await?;
        let next = match self.named_in(&swap.old, &upcoming, how).await? {
            Picked::One(appointment) => {
                let at = appointment.starts_at;
                let wanted = match (same, by) {
                    (Some(same), _) => corrections::same_time_again(same, &new, at, tz),
                    (None, Some(by)) => Some(corrections::shifted(&new, at, by, tz)),
                    (None, None) => None,
                };
                self.move_to(appointment, wanted.as_ref().unwrap_or(&new))
                    .await?
            }
            Picked::Several(many) => self.which_to_move(&many).await?,
            Picked::Nothing => match state.clone() {
                State::OfferedSlots { purpose, offers } => {
                    self.on_offers(purpose, offers, &new).await?
                }
                State::AwaitingConfirmation { purpose, offer } => {
                    self.on_confirmation(purpose, offer, &new).await?
                }
                _ => self.offer(Purpose::Book, &new, None).await?,
            },
        };
        Ok(Some(next))
    }

    /// "Same time next week", "same time tues": the hour of the offer being
    /// talked about, or of the customer's latest appointment, on the day
    /// named. A new booking unless the message asks to move the appointment.
    /// `None` when there is no such hour or the message names no day.
    async fn same_time(
        &self,
        state: &State,
        same: SameTime,
        u: &Understanding,
    ) -> Result<Option<Next>, StoreError> {
        let (purpose, reference) = match state {
            State::AwaitingConfirmation { purpose, offer } => (*purpose, offer.starts_at),
            State::OfferedSlots { purpose, offers } if offers.len() == 1 => {
                (*purpose, offers[0].starts_at)
            }
            State::OfferedSlots { .. } => return Ok(None),
            State::ReminderSent { appointment } => {
                (self.book_or_move(*appointment, u), appointment.starts_at)
            }
            _ => {
                let upcoming = self.upcoming().await?;
                // The one booked last: "same time next week" right after booking.
                let Some(latest) = upcoming.iter().max_by_key(|a| a.appointment_id) else {
                    return Ok(None);
                };
                (self.book_or_move(*latest, u), latest.starts_at)
            }
        };
        let Some(wanted) = corrections::same_time_again(same, u, reference, self.tz()) else {
            return Ok(None);
        };
        self.offer(purpose, &wanted, None).await.map(Some)
    }

    /// "Push it back an hour", "30 mins earlier": the offer being talked
    /// about, or the customer's appointment, shifted. `None` when there is
    /// neither.
    async fn shift(
        &self,
        state: &State,
        by: Duration,
        u: &Understanding,
    ) -> Result<Option<Next>, StoreError> {
        let (purpose, reference) = match state {
            State::AwaitingConfirmation { purpose, offer } => (*purpose, offer.starts_at),
            State::OfferedSlots { purpose, offers } if offers.len() == 1 => {
                (*purpose, offers[0].starts_at)
            }
            State::OfferedSlots { .. } => return Ok(None),
            State::ReminderSent { appointment } => (
                Purpose::Reschedule {
                    appointment: *appointment,
                },
                appointment.starts_at,
            ),
            _ => {
                let upcoming = self.upcoming().await?;
                let appointment = match upcoming.as_slice() {
                    [] => return Ok(None),
                    [one] => *one,
                    many => match reference::pick(u, many, self.tz(), Match::Named) {
                        Picked::One(one) => one,
                        _ => return self.which_to_move(many).await.map(Some),
                    },
                };
                (Purpose::Reschedule { appointment }, appointment.starts_at)
            }
        };
        let wanted = corrections::shifted(u, reference, by, self.tz());
        self.offer(purpose, &wanted, None).await.map(Some)
    }

    /// Moving `appointment` when the message says so ("move it", "instead"),
    /// else a new booking.
    fn book_or_move(&self, appointment: Listed, u: &Understanding) -> Purpose {
        let instead = phrases::normalise(self.text)
            .iter()
            .any(|w| matches!(w.as_str(), "instead" | "insted" | "move" | "reschedule"));
        if instead || u.intent == Intent::Reschedule || moving::asked(self.text) {
            Purpose::Reschedule { appointment }
        } else {
            Purpose::Book
        }
    }

    async fn fresh(&self, u: &Understanding) -> Result<Next, StoreError> {
        let business = &self.policy.business_name;
        match u.intent {
            // "Can I move it to Wednesday?" reads like a booking; with an
            // appointment to move, it is a reschedule.
            intent
                if moving::asked(self.text)
                    && !matches!(
                        intent,
                        Intent::Reschedule | Intent::Cancel | Intent::MyAppointments | Intent::Help
                    ) =>
            {
                self.book_or_reschedule(u).await
            }
            Intent::Book | Intent::Availability => self.offer(Purpose::Book, u, None).await,
            Intent::Reschedule => {
                let upcoming = self.upcoming().await?;
                self.reschedule(u, upcoming).await
            }
            Intent::Cancel => {
                let upcoming = self.upcoming().await?;
                match upcoming.as_slice() {
                    [] => Ok(say(State::Idle, replies::no_appointments().to_owned())),
                    [one] => Ok(self.confirm_cancel(*one)),
                    // "Cancel my 3pm": the one it names, if it names one.
                    many => match self.named_among(many).await? {
                        Picked::One(one) => Ok(self.confirm_cancel(one)),
                        _ => Ok(say(
                            State::ChoosingToCancel {
                                appointments: many.to_vec(),
                            },
                            replies::which_to_cancel(many, &self.service_names().await?, self.tz()),
                        )),
                    },
                }
            }
            Intent::MyAppointments => {
                let upcoming = self.upcoming().await?;
                Ok(say(
                    State::Idle,
                    replies::appointment_list(&upcoming, self.tz()),
                ))
            }
            // "Morning! anything earlier tmrw?" is more than a greeting.
            Intent::Greeting if !names_a_time(u) => {
                Ok(say(State::Idle, replies::greeting(business)))
            }
            Intent::Goodbye => Ok(say(State::Idle, replies::goodbye().to_owned())),
            Intent::Help => Ok(say(State::Idle, replies::help(business))),
            // A bare "tomorrow at 3" with nothing pending is a booking request.
            _ if names_a_time(u) => self.offer(Purpose::Book, u, None).await,
            _ => Ok(say(State::Idle, replies::not_understood().to_owned())),
        }
    }

    /// A request to move: the appointment there is, or a booking when
    /// there is none.
    async fn book_or_reschedule(&self, u: &Understanding) -> Result<Next, StoreError> {
        match self.upcoming().await? {
            upcoming if upcoming.is_empty() => self.offer(Purpose::Book, u, None).await,
            upcoming => self.reschedule(u, upcoming).await,
        }
    }

    async fn on_offers(
        &self,
        purpose: Purpose,
        offers: Vec<Offer>,
        u: &Understanding,
    ) -> Result<Next, StoreError> {
        if let Some(i) = picked(u, offers.len()) {
            return self.confirm(purpose, offers[i]).await;
        }
        // "9:30 works", "the 10:30 one", "the 4" (with three offers): the
        // offer at that hour.
        if let Some(offer) = offered_at(u, &offers, self.tz()) {
            return self.confirm(purpose, offer).await;
        }
        match u.intent {
            Intent::Select | Intent::Affirm if !names_a_time(u) => Ok(say(
                State::OfferedSlots {
                    purpose,
                    offers: offers.clone(),
                },
                replies::pick_a_number(offers.len()),
            )),
            Intent::Alternatives if !names_a_time(u) => {
                self.alternatives(purpose, &offers, u.direction).await
            }
            Intent::Deny if u.direction.is_some() => {
                self.alternatives(purpose, &offers, u.direction).await
            }
            // "How about 4": that hour on the day offered; "thursday?": that
            // day at the hour offered (or, when moving, the appointment's).
            _ if names_a_time(u) => match Discussed::offers(&offers, self.tz()) {
                Some(mut discussed) => {
                    if let (None, Purpose::Reschedule { appointment }) = (discussed.time, purpose) {
                        discussed.time = Discussed::at(appointment.starts_at, self.tz()).time;
                    }
                    let wanted = corrections::keep(u, &discussed);
                    self.offer(purpose, &wanted, None).await
                }
                None => self.offer(purpose, u, None).await,
            },
            Intent::Deny => Ok(say(
                State::OfferedSlots { purpose, offers },
                replies::ask_for_time().to_owned(),
            )),
            Intent::Cancel => Ok(say(State::Idle, replies::kept().to_owned())),
            _ => self.fresh(u).await,
        }
    }

    async fn on_confirmation(
        &self,
        purpose: Purpose,
        offer: Offer,
        u: &Understanding,
    ) -> Result<Next, StoreError> {
        match u.intent {
            Intent::Affirm | Intent::Book if !names_a_time(u) => self.commit(purpose, offer).await,
            Intent::Select if u.selection == Some(1) => self.commit(purpose, offer).await,
            Intent::Deny | Intent::Alternatives if u.direction.is_some() && !names_a_time(u) => {
                self.alternatives(purpose, &[offer], u.direction).await
            }
            // "Actually make it 4": that hour on the same day; "thursday?":
            // that day at the same hour. Agreeing while naming the time
            // offered ("ok yes book wed") takes it.
            _ if names_a_time(u) => {
                let tz = self.tz();
                let wanted = corrections::keep(u, &Discussed::at(offer.starts_at, tz));
                let offered = offer.starts_at.with_timezone(&tz);
                let same = wanted.date == Some(offered.date_naive())
                    && wanted.time == Some(offered.time())
                    && wanted.time_range.is_none();
                // "4 works" to an offer of 4:00 PM is a yes.
                let agreed = matches!(u.intent, Intent::Affirm | Intent::Book | Intent::Select);
                if same && agreed {
                    self.commit(purpose, offer).await
                } else {
                    self.offer(purpose, &wanted, None).await
                }
            }
            Intent::Deny | Intent::Alternatives => Ok(say(
                State::OfferedSlots {
                    purpose,
                    offers: vec![offer],
                },
                replies::ask_for_time().to_owned(),
            )),
            Intent::Cancel => Ok(say(State::Idle, replies::kept().to_owned())),
            _ => self.fresh(u).await,
        }
    }

    async fn confirm(&self, purpose: Purpose, offer: Offer) -> Result<Next, StoreError> {
        let names = if offer.provider.is_some() {
            self.names().await?
        } else {
            replies::ProviderNames::default()
        };
        let text = match purpose {
            Purpose::Book => replies::confirm_booking(&offer, self.tz(), &names),
            Purpose::Reschedule { appointment } => {
                replies::confirm_move(&appointment, &offer, self.tz(), &names)
            }
        };
        Ok(say(State::AwaitingConfirmation { purpose, offer }, text))
    }

    fn confirm_cancel(&self, appointment: Listed) -> Next {
        say(
            State::ConfirmingCancel { appointment },
            replies::confirm_cancel(&appointment, self.tz()),
        )
    }

    /// Offers slots for what the customer asked; an exact free time goes straight
    /// to confirmation. A booking must know what the visit is for when the
    /// business offers several services: the one the message names, the one
    /// chosen earlier, the one booked last time, or else the bot asks.
    async fn offer(
        &self,
        purpose: Purpose,
        u: &Understanding,
        preface: Option<&str>,
    ) -> Result<Next, StoreError> {
        if purpose != Purpose::Book {
            let wanted = self.wanted(purpose).await?;
            return self.offer_for(purpose, u, preface, wanted).await;
        }
        let mut visit = self.visit_now().await?;
        let catalog = self.catalog().await?;
        let mut note = None;
        if visit.service.is_none() && catalog.offers_a_choice_of_service() {
            let last = appointments::last_service(self.db, self.contact_id).await?;
            match last.and_then(|id| catalog.service(id)) {
                Some(service) => {
                    visit.service = Some(service.id);
                    note = Some(replies::as_last_time(&service.name));
                }
                None => {
                    let names: Vec<&str> =
                        catalog.services.iter().map(|s| s.name.as_str()).collect();
                    let asked = State::ChoosingService {
                        asked: self.text.to_owned(),
                    };
                    return Ok(say(asked, replies::which_service(&names)).remembering(visit));
                }
            }
        }
        // "Checkup with Dr. Kim" while Dr. Kim is away: say so, offer anyone.
        if let Some(away) = catalog.away_named(self.text) {
            let said = replies::provider_away(away);
            note = Some(match note {
                Some(before) => format!("{before} {said}"),
                None => said,
            });
        }
        // "Checkup with Alex" where only Dr. Lee does them: say so, offer anyone.
        if let (Some(provider), Some(service)) = (visit.provider, visit.service)
            && !catalog.offers(provider, service)
            && let (Some(p), Some(s)) = (catalog.provider(provider), catalog.service(service))
        {
            let who: Vec<&str> = catalog
                .providers
                .iter()
                .filter(|other| other.services.contains(&service))
                .map(|other| other.name.as_str())
                .collect();
            let not_theirs = replies::provider_does_not_offer(&p.name, &s.name, &who);
            note = Some(match note {
                Some(before) => format!("{before} {not_theirs}"),
                None => not_theirs,
            });
            visit.provider = None;
        }
        let wanted = Wanted {
            service: visit.service,
            provider: visit.provider,
        };
        let mut next = self.offer_for(purpose, u, preface, wanted).await?;
        if let Some(note) = note {
            next.reply = format!("{note} {}", next.reply);
        }
        Ok(next.remembering(visit))
    }

    /// The waitlist by text: "yes" to "want me to text you if something
    /// opens up?", "waitlist" after offers for a time that had nothing, and
    /// the answer to a waitlist offer ("yes" takes the held time, "no"
    /// passes). `None` for anything else.
    async fn on_waitlist(
        &self,
        state: &State,
        u: &Understanding,
    ) -> Result<Option<Next>, StoreError> {
        let sure = u.confidence >= self.policy.min_confidence;
        // "y", "ya", "no thanks", "nvm": the short answers, then what the
        // understanding is sure of.
        let answer = match short_answer::read(self.text) {
            Some(answer) => Some(answer),
            None if phrases::letting_go(self.text) => Some(ShortAnswer::No),
            None if sure && u.intent == Intent::Affirm => Some(ShortAnswer::Yes),
            None if sure && u.intent == Intent::Deny => Some(ShortAnswer::No),
            None => None,
        };
        if let State::OfferedWaitlist { from, to } = *state {
            return Ok(match answer {
                Some(ShortAnswer::Yes) => Some(self.join_waitlist(from, to).await?),
                Some(ShortAnswer::No) => Some(say(State::Idle, replies::kept())),
                None if phrases::wants_waitlist(self.text) => {
                    Some(self.join_waitlist(from, to).await?)
                }
                None => None,
            });
        }
        if phrases::wants_waitlist(self.text)
            && let Some((from, to)) = self.visit.window
        {
            return Ok(Some(self.join_waitlist(from, to).await?));
        }
        // A yes or no with no question of ours pending answers a waitlist offer.
        let (true, Some(answer)) = (matches!(state, State::Idle), answer) else {
            return Ok(None);
        };
        if waitlist::live_offer_for(self.db, self.contact_id, self.now)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let tz = self.tz();
        if answer == ShortAnswer::No {
            waitlist::decline(self.db, self.contact_id, self.now).await?;
            return Ok(Some(say(State::Idle, replies::waitlist_declined())));
        }
        let rules = self.policy.booking_rules(self.now);
        Ok(Some(
            match waitlist::accept(self.db, self.contact_id, &rules).await? {
                waitlist::AcceptOutcome::Booked { appointment, .. } => Next {
                    state: State::Idle,
                    reply: self.booked_reply(&appointment).await?,
                    booked: true,
                    visit: None,
                    freed: None,
                },
                waitlist::AcceptOutcome::Expired(offer) => {
                    say(State::Idle, replies::waitlist_expired(offer.starts_at, tz))
                }
                waitlist::AcceptOutcome::Refused { outcome, .. } => match outcome {
                    BookingOutcome::TooManyOpen { limit } => {
                        say(State::Idle, replies::too_many(limit))
                    }
                    _ => say(
                        State::Idle,
                        format!("{} {}", replies::slot_taken(), replies::nothing_open()),
                    ),
                },
                waitlist::AcceptOutcome::NoOffer => return Ok(None),
            },
        ))
    }

    async fn join_waitlist(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Next, StoreError> {
        let entry = waitlist::NewEntry {
            contact_id: self.contact_id,
            service_id: self.visit.service,
            provider_id: self.visit.provider,
            wanted_from: from,
            wanted_to: to,
        };
        Ok(match waitlist::join(self.db, &entry, self.now).await? {
            waitlist::JoinOutcome::Joined(_) | waitlist::JoinOutcome::Updated(_) => say(
                State::Idle,
                replies::waitlisted(from.max(self.now), to, self.tz()),
            ),
            waitlist::JoinOutcome::WindowPassed => say(State::Idle, replies::waitlist_too_late()),
        })
    }

    /// A message while "what is the visit for?" is pending: the service
    /// named, or the question again (told apart by how long each takes), or
    /// nothing booked for "nvm". `None` for a new request, taken as it comes.
    async fn on_service_question(
        &self,
        state: &State,
        asked: &str,
        u: &Understanding,
    ) -> Result<Option<Next>, StoreError> {
        if let Some(next) = self.service_chosen(asked, u).await? {
            return Ok(Some(next));
        }
        let catalog = self.catalog().await?;
        let named = catalog.services_named(self.text);
        if named.len() > 1 {
            let names: Vec<&str> = named
                .iter()
                .filter_map(|id| catalog.service(*id))
                .map(|s| s.name.as_str())
                .collect();
            return Ok(Some(say(
                state.clone(),
                replies::one_service_at_a_time(&names),
            )));
        }
        let confident = u.confidence >= self.policy.min_confidence;
        Ok(match u.intent {
            Intent::Cancel | Intent::Reschedule | Intent::MyAppointments | Intent::Help
                if confident =>
            {
                None
            }
            // "nvm", "forget it": let it go ("not sure" is no answer: ask again).
            _ if phrases::letting_go(self.text) => {
                Some(say(State::Idle, replies::nothing_booked()))
            }
            _ => {
                let services: Vec<(&str, i32)> = catalog
                    .services
                    .iter()
                    .map(|s| (s.name.as_str(), s.minutes))
                    .collect();
                Some(say(state.clone(), replies::which_service_again(&services)))
            }
        })
    }

    /// Offers or a time pending for a booking, and the message names
    /// another service or provider: the same times, for that. `None` when
    /// nothing is pending or the message changes neither.
    async fn visit_changed(
        &self,
        state: &State,
        u: &Understanding,
    ) -> Result<Option<Next>, StoreError> {
        let tz = self.tz();
        let discussed = match state {
            State::OfferedSlots {
                purpose: Purpose::Book,
                offers,
            } => Discussed::offers(offers, tz),
            State::AwaitingConfirmation {
                purpose: Purpose::Book,
                offer,
            } => Some(Discussed::at(offer.starts_at, tz)),
            _ => return Ok(None),
        };
        if self.visit_now().await? == self.visit {
            return Ok(None);
        }
        let mut wanted = u.clone();
        if let Some(discussed) = discussed {
            let names_day = u.date.is_some() || u.date_range.is_some();
            let names_hour = u.time.is_some() || u.time_range.is_some();
            if names_day || names_hour {
                wanted = corrections::keep(u, &discussed);
            } else {
                // Only the visit changed: the same day and hour.
                wanted.date = Some(discussed.day);
                wanted.time = discussed.time;
            }
        }
        self.offer(Purpose::Book, &wanted, None).await.map(Some)
    }

    /// The answer to "what is the visit for?": the request asked before,
    /// now for the service named (and the provider, if either message
    /// named one).
    async fn service_chosen(
        &self,
        asked: &str,
        u: &Understanding,
    ) -> Result<Option<Next>, StoreError> {
        let catalog = self.catalog().await?;
        if catalog.service_named(self.text).is_none() {
            return Ok(None);
        }
        let visit = self
            .visit
            .updated_by(catalog, asked)
            .updated_by(catalog, self.text);
        // "cleaning, but 11 not 10": the answer's day or hour wins.
        let mut request = understand(asked, self.now.with_timezone(&self.tz()));
        if u.time.is_some() || u.time_range.is_some() {
            request.time = u.time;
            request.time_range = u.time_range;
        }
        if u.date.is_some() || u.date_range.is_some() {
            request.date = u.date;
            request.date_range = u.date_range;
        }
        let wanted = Wanted {
            service: visit.service,
            provider: visit.provider,
        };
        let next = self
            .offer_for(Purpose::Book, &request, None, wanted)
            .await?;
        Ok(Some(next.remembering(visit)))
    }

    async fn offer_for(
        &self,
        purpose: Purpose,
        u: &Understanding,
        preface: Option<&str>,
        wanted: Wanted,
    ) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let window = search_window(u, self.tz(), rules.earliest, rules.latest);
        let limit = self.policy.offers_per_reply;
        let slots = if window.exact {
            availability::open_near(self.db, wanted, window.from, window.to, window.near, limit)
                .await?
        } else {
            availability::open_after(self.db, wanted, window.from, window.to, limit).await?
        };
        let offers = self.shown(&slots, wanted).await?;
        if window.exact
            && preface.is_none()
            && let Some(asked) = offers.iter().find(|o| o.starts_at == window.near)
        {
            return self.confirm(purpose, *asked).await;
        }
        if !offers.is_empty() {
            let mut text = self.offers_text(&offers, preface).await?;
            // The very time asked for is taken: the waitlist may get it back.
            let asked_for = window.near..window.near + Duration::minutes(30);
            if purpose == Purpose::Book
                && window.exact
                && !offers.iter().any(|o| asked_for.contains(&o.starts_at))
            {
                text = format!("{text} {}", replies::or_waitlist());
                let asked = Visit {
                    service: wanted.service,
                    provider: wanted.provider,
                    window: Some((asked_for.start, asked_for.end)),
                };
                return Ok(say(State::OfferedSlots { purpose, offers }, text).remembering(asked));
            }
            return Ok(say(State::OfferedSlots { purpose, offers }, text));
        }
        // Nothing in the window asked for: the nearest openings after it,
        // and (for a booking) the waitlist for the time asked.
        let later =
            availability::open_after(self.db, wanted, window.to, rules.latest, limit).await?;
        let waitlist = purpose == Purpose::Book;
        let asked = Visit {
            service: wanted.service,
            provider: wanted.provider,
            window: waitlist.then_some((window.from, window.to)),
        };
        if later.is_empty() {
            if waitlist {
                let question = replies::waitlist_question(replies::nothing_open_at_all());
                let state = State::OfferedWaitlist {
                    from: window.from,
                    to: window.to,
                };
                return Ok(say(state, question).remembering(asked));
            }
            return Ok(say(State::Idle, replies::nothing_open_at_all().to_owned()));
        }
        let offers = self.shown(&later, wanted).await?;
        let mut text = self
            .offers_text(&offers, Some(replies::nothing_open()))
            .await?;
        if waitlist {
            text = format!("{text} {}", replies::or_waitlist());
        }
        Ok(say(State::OfferedSlots { purpose, offers }, text).remembering(asked))
    }

    async fn alternatives(
        &self,
        purpose: Purpose,
        shown: &[Offer],
        direction: Option<Direction>,
    ) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let times = shown.iter().map(|o| o.starts_at);
        let first = times.clone().min().unwrap_or(rules.latest);
        let last = times.max().unwrap_or(rules.earliest);
        let wanted = self.wanted(purpose).await?;
        let slots = self.beside(wanted, first, last, direction).await?;
        if slots.is_empty() {
            return Ok(say(
                State::OfferedSlots {
                    purpose,
                    offers: shown.to_vec(),
                },
                replies::nothing_open().to_owned(),
            ));
        }
        let offers = self.shown(&slots, wanted).await?;
        let text = self.offers_text(&offers, None).await?;
        Ok(say(State::OfferedSlots { purpose, offers }, text))
    }

    /// The open slots just before `first` (earlier) or just after `last`.
    async fn beside(
        &self,
        wanted: Wanted,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        direction: Option<Direction>,
    ) -> Result<Vec<Slot>, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let limit = self.policy.offers_per_reply;
        match direction {
            Some(Direction::Earlier) => {
                availability::open_before(self.db, wanted, rules.earliest, first, limit).await
            }
            _ => {
                let after = last + Duration::seconds(1);
                availability::open_after(self.db, wanted, after, rules.latest, limit).await
            }
        }
    }

    /// The customer said yes: the engine decides, under its locks.
    async fn commit(&self, purpose: Purpose, offer: Offer) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let tz = self.tz();
        match purpose {
            Purpose::Book => {
                let request = BookingRequest {
                    contact_id: self.contact_id,
                    slot_id: offer.slot_id,
                    service_id: self.visit.service,
                };
                // Read before the slot is locked: it needs no lock.
                let needs_approval = self.over_no_show_limit().await?;
                match appointments::book_service(self.db, &request, &rules).await? {
                    BookingOutcome::Booked(a) if needs_approval => {
                        appointments::require_approval(self.db, a.id).await?;
                        Ok(Next {
                            state: State::Idle,
                            reply: replies::pencilled_in(a.starts_at, tz),
                            booked: true,
                            visit: None,
                            freed: None,
                        })
                    }
                    BookingOutcome::Booked(a) => Ok(Next {
                        state: State::Idle,
                        reply: self.booked_reply(&a).await?,
                        booked: true,
                        visit: None,
                        freed: None,
                    }),
                    BookingOutcome::TooManyOpen { limit } => {
                        Ok(say(State::Idle, replies::too_many(limit)))
                    }
                    BookingOutcome::AlreadyHeld => {
                        Ok(say(State::Idle, replies::booked(offer.starts_at, tz)))
                    }
                    BookingOutcome::SlotFull
                    | BookingOutcome::SlotMissing
                    | BookingOutcome::OutsideWindow
                    | BookingOutcome::Unfit(_) => self.taken(purpose, offer).await,
                }
            }
            Purpose::Reschedule { appointment } => {
                let before = appointments::slot_of(self.db, appointment.appointment_id).await?;
                let outcome = appointments::reschedule(
                    self.db,
                    self.contact_id,
                    appointment.appointment_id,
                    offer.slot_id,
                    &rules,
                )
                .await?;
                match outcome {
                    RescheduleOutcome::Rescheduled(a) => Ok(Next {
                        // The place left behind goes to the waitlist.
                        freed: before.filter(|slot| *slot != a.slot_id),
                        ..say(State::Idle, replies::moved(a.starts_at, tz))
                    }),
                    RescheduleOutcome::NotFound => {
                        Ok(say(State::Idle, replies::no_appointments().to_owned()))
                    }
                    RescheduleOutcome::AlreadyStarted(_) => {
                        Ok(say(State::Idle, replies::already_started_move()))
                    }
                    RescheduleOutcome::AlreadyHeld(other) => Ok(say(
                        State::Idle,
                        replies::already_hold(appointment.starts_at, other.starts_at, tz),
                    )),
                    RescheduleOutcome::SlotFull
                    | RescheduleOutcome::SlotMissing
                    | RescheduleOutcome::OutsideWindow
                    | RescheduleOutcome::Unfit(_) => self.taken(purpose, offer).await,
                }
            }
        }
    }

    /// "You're booked for …", with a link to add it to a calendar when the
    /// business has a public address (in this transaction: a turn that
    /// fails makes no link).
    async fn booked_reply(&self, a: &appointments::Appointment) -> Result<String, StoreError> {
        let tz = self.tz();
        let Some(base) = &self.policy.links_base else {
            return Ok(replies::booked(a.starts_at, tz));
        };
        Ok(
            match calendars::create_appointment_link(self.db, a.id, self.now).await? {
                Some(token) => replies::booked_with_calendar(
                    a.starts_at,
                    tz,
                    &calendar_links::appointment_url(base, token.expose()),
                ),
                None => replies::booked(a.starts_at, tz),
            },
        )
    }

    /// Whether the customer missed so many visits that a booking by text
    /// waits for the front desk.
    async fn over_no_show_limit(&self) -> Result<bool, StoreError> {
        let Some(limit) = self.policy.no_show_limit else {
            return Ok(false);
        };
        Ok(appointments::no_show_count(self.db, self.contact_id).await? >= limit)
    }

    /// The chosen slot went to someone else: offer the nearest others.
    async fn taken(&self, purpose: Purpose, offer: Offer) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let wanted = self.wanted(purpose).await?;
        let slots = availability::open_near(
            self.db,
            wanted,
            rules.earliest,
            rules.latest,
            offer.starts_at,
            self.policy.offers_per_reply,
        )
        .await?;
        let others: Vec<Slot> = slots
            .into_iter()
            .filter(|s| s.id != offer.slot_id)
            .collect();
        let offers = self.shown(&others, wanted).await?;
        if offers.is_empty() {
            return Ok(say(
                State::Idle,
                format!("{} {}", replies::slot_taken(), replies::nothing_open()),
            ));
        }
        let text = self
            .offers_text(&offers, Some(replies::slot_taken()))
            .await?;
        Ok(say(State::OfferedSlots { purpose, offers }, text))
    }

    async fn cancel(&self, appointment: Listed) -> Result<Next, StoreError> {
        let outcome = appointments::cancel(
            self.db,
            self.contact_id,
            appointment.appointment_id,
            self.now,
        )
        .await?;
        match outcome {
            CancelOutcome::Cancelled(a) => Ok(Next {
                freed: Some(a.slot_id),
                ..say(State::Idle, replies::cancelled(a.starts_at, self.tz()))
            }),
            CancelOutcome::NotFound => Ok(say(State::Idle, replies::no_appointments().to_owned())),
            CancelOutcome::AlreadyStarted(_) => {
                Ok(say(State::Idle, replies::already_started_cancel()))
            }
        }
    }

    /// The answer to a reminder: C confirms, R moves, X asks to confirm the
    /// cancellation; "yes", "reschedule …" and "cancel appointment" work too.
    async fn on_reminder(
        &self,
        appointment: Listed,
        u: &Understanding,
    ) -> Result<Next, StoreError> {
        let answer = compliance::reminder_answer(self.text).or(match u.intent {
            Intent::Affirm => Some(ReminderAnswer::Confirm),
            Intent::Reschedule => Some(ReminderAnswer::Reschedule),
            Intent::Cancel => Some(ReminderAnswer::Cancel),
            _ => None,
        });
        match answer {
            Some(ReminderAnswer::Confirm) => {
                let confirmed = appointments::confirm(
                    self.db,
                    self.contact_id,
                    appointment.appointment_id,
                    self.now,
                )
                .await?;
                Ok(match confirmed {
                    Some(a) => say(State::Idle, replies::confirmed(a.starts_at, self.tz())),
                    None => say(State::Idle, replies::no_appointments()),
                })
            }
            Some(ReminderAnswer::Reschedule) => self.move_to(appointment, u).await,
            Some(ReminderAnswer::Cancel) => Ok(self.confirm_cancel(appointment)),
            None if u.confidence < self.policy.min_confidence && !names_a_time(u) => Ok(say(
                State::ReminderSent { appointment },
                replies::not_understood().to_owned(),
            )),
            None => self.fresh(u).await,
        }
    }

    async fn upcoming(&self) -> Result<Vec<Listed>, StoreError> {
        Ok(appointments::upcoming(self.db, self.contact_id, self.now)
            .await?
            .into_iter()
            .map(|a| Listed {
                appointment_id: a.id,
                starts_at: a.starts_at,
                service_id: a.service_id,
            })
            .collect())
    }
}
