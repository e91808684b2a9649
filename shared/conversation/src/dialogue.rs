//! One conversation step: given the state and what the customer said, decide the
//! next state and the reply, asking the scheduling engine (the store) for facts.
//!
//! The understanding only classifies and extracts; every booking goes through the
//! engine inside the turn's transaction, and every time in a reply comes from a
//! slot or appointment row. Must not send anything or commit: the turn does that.

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use smsbot_domain::ContactId;
use smsbot_nlu::{Direction, Intent, Understanding};
use smsbot_store::StoreError;
use smsbot_store::appointments::{self, BookingOutcome, CancelOutcome, RescheduleOutcome};
use smsbot_store::availability::{self, Slot};

use crate::business_questions;
use crate::compliance::{self, ReminderAnswer};
use crate::moving;
use crate::own_appointments;
use crate::policy::Policy;
use crate::replies;
use crate::short_answer::{self, ShortAnswer};
use crate::state::{Listed, Offer, Purpose, State};
use crate::window::{names_a_time, search_window};

pub struct Step<'a, C> {
    pub db: &'a C,
    pub policy: &'a Policy,
    pub contact_id: ContactId,
    pub now: DateTime<Utc>,
    /// The message as written: a reminder's C, R or X means nothing to the NLU.
    pub text: &'a str,
}

/// What one step decided: the state to save, the reply, and whether it booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    pub state: State,
    pub reply: String,
    /// A new appointment was booked (counted once the turn commits).
    pub booked: bool,
}

/// A step that answers without booking anything.
fn say(state: State, reply: impl Into<String>) -> Next {
    Next {
        state,
        reply: reply.into(),
        booked: false,
    }
}

fn offer_of(slot: &Slot) -> Offer {
    Offer {
        slot_id: slot.id,
        starts_at: slot.starts_at,
    }
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

    pub async fn respond(&self, state: State, u: &Understanding) -> Result<Next, StoreError> {
        // "When is my appointment?" is answered whatever is pending, and what
        // was pending stays (an offer, a reminder's C/R/X).
        if own_appointments::asked(self.text) {
            let upcoming = self.upcoming().await?;
            return Ok(say(state, replies::appointment_list(&upcoming, self.tz())));
        }
        // So is a question about the business: hours, address, phone.
        if let Some(question) = business_questions::asked(self.text) {
            let policy = self.policy;
            return Ok(say(
                state,
                replies::about_business(question, &policy.business_name, &policy.profile),
            ));
        }
        if let State::ReminderSent { appointment } = state {
            return self.on_reminder(appointment, u).await;
        }
        // Right after a yes-or-no question, "y", "k" or "👍" is an answer.
        let answered;
        let u = match short_answer::read(self.text) {
            Some(answer) if state.asks_yes_or_no() => {
                answered = Understanding {
                    intent: match answer {
                        ShortAnswer::Yes => Intent::Affirm,
                        ShortAnswer::No => Intent::Deny,
                    },
                    direction: None,
                    selection: None,
                    confidence: 1.0,
                    ..u.clone()
                };
                &answered
            }
            _ => u,
        };
        // Unsure what was meant: ask, keep what was pending, never guess.
        if u.confidence < self.policy.min_confidence && !names_a_time(u) {
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
            State::ChoosingToReschedule { appointments } => match picked(u, appointments.len()) {
                Some(i) => {
                    let purpose = Purpose::Reschedule {
                        appointment: appointments[i],
                    };
                    self.offer(purpose, u, None).await
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

    /// A message taken on its own, with no pending question.
    /// Moves the one upcoming appointment, or asks which of several.
    async fn reschedule(
        &self,
        u: &Understanding,
        upcoming: Vec<Listed>,
    ) -> Result<Next, StoreError> {
        match upcoming.as_slice() {
            [] => Ok(say(State::Idle, replies::no_appointments().to_owned())),
            [one] => {
                let purpose = Purpose::Reschedule { appointment: *one };
                self.offer(purpose, u, None).await
            }
            many => Ok(say(
                State::ChoosingToReschedule {
                    appointments: many.to_vec(),
                },
                replies::which_to_move(many, self.tz()),
            )),
        }
    }

    async fn fresh(&self, u: &Understanding) -> Result<Next, StoreError> {
        let business = &self.policy.business_name;
        match u.intent {
            // "Can I move it to Wednesday?" reads like a booking; with an
            // appointment to move, it is a reschedule.
            Intent::Book | Intent::Availability if moving::asked(self.text) => {
                match self.upcoming().await? {
                    upcoming if upcoming.is_empty() => self.offer(Purpose::Book, u, None).await,
                    upcoming => self.reschedule(u, upcoming).await,
                }
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
                    many => Ok(say(
                        State::ChoosingToCancel {
                            appointments: many.to_vec(),
                        },
                        replies::which_to_cancel(many, self.tz()),
                    )),
                }
            }
            Intent::MyAppointments => {
                let upcoming = self.upcoming().await?;
                Ok(say(
                    State::Idle,
                    replies::appointment_list(&upcoming, self.tz()),
                ))
            }
            Intent::Greeting => Ok(say(State::Idle, replies::greeting(business))),
            Intent::Goodbye => Ok(say(State::Idle, replies::goodbye().to_owned())),
            Intent::Help => Ok(say(State::Idle, replies::help(business))),
            // A bare "tomorrow at 3" with nothing pending is a booking request.
            _ if names_a_time(u) => self.offer(Purpose::Book, u, None).await,
            _ => Ok(say(State::Idle, replies::not_understood().to_owned())),
        }
    }

    async fn on_offers(
        &self,
        purpose: Purpose,
        offers: Vec<Offer>,
        u: &Understanding,
    ) -> Result<Next, StoreError> {
        if let Some(i) = picked(u, offers.len()) {
            return Ok(self.confirm(purpose, offers[i]));
        }
        match u.intent {
            Intent::Select | Intent::Affirm => Ok(say(
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
            _ if names_a_time(u) => self.offer(purpose, u, None).await,
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
            _ if names_a_time(u) => self.offer(purpose, u, None).await,
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

    fn confirm(&self, purpose: Purpose, offer: Offer) -> Next {
        let text = match purpose {
            Purpose::Book => replies::confirm_booking(&offer, self.tz()),
            Purpose::Reschedule { appointment } => {
                replies::confirm_move(&appointment, &offer, self.tz())
            }
        };
        say(State::AwaitingConfirmation { purpose, offer }, text)
    }

    fn confirm_cancel(&self, appointment: Listed) -> Next {
        say(
            State::ConfirmingCancel { appointment },
            replies::confirm_cancel(&appointment, self.tz()),
        )
    }

    /// Offers slots for what the customer asked; an exact free time goes straight
    /// to confirmation.
    async fn offer(
        &self,
        purpose: Purpose,
        u: &Understanding,
        preface: Option<&str>,
    ) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let window = search_window(u, self.tz(), rules.earliest, rules.latest);
        let limit = self.policy.offers_per_reply;
        let slots = if window.exact {
            availability::open_near(self.db, window.from, window.to, window.near, limit).await?
        } else {
            availability::open_after(self.db, window.from, window.to, limit).await?
        };
        if window.exact
            && preface.is_none()
            && let Some(asked) = slots.iter().find(|s| s.starts_at == window.near)
        {
            return Ok(self.confirm(purpose, offer_of(asked)));
        }
        if !slots.is_empty() {
            let offers: Vec<Offer> = slots.iter().map(offer_of).collect();
            let text = replies::offers(&offers, self.tz(), preface);
            return Ok(say(State::OfferedSlots { purpose, offers }, text));
        }
        // Nothing in the window asked for: the nearest openings after it.
        let later = availability::open_after(self.db, window.to, rules.latest, limit).await?;
        if later.is_empty() {
            return Ok(say(State::Idle, replies::nothing_open_at_all().to_owned()));
        }
        let offers: Vec<Offer> = later.iter().map(offer_of).collect();
        let text = replies::offers(&offers, self.tz(), Some(replies::nothing_open()));
        Ok(say(State::OfferedSlots { purpose, offers }, text))
    }

    async fn alternatives(
        &self,
        purpose: Purpose,
        shown: &[Offer],
        direction: Option<Direction>,
    ) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let limit = self.policy.offers_per_reply;
        let slots = match direction {
            Some(Direction::Earlier) => {
                let first = shown
                    .iter()
                    .map(|o| o.starts_at)
                    .min()
                    .unwrap_or(rules.latest);
                availability::open_before(self.db, rules.earliest, first, limit).await?
            }
            _ => {
                let last = shown
                    .iter()
                    .map(|o| o.starts_at)
                    .max()
                    .unwrap_or(rules.earliest);
                availability::open_after(self.db, last + Duration::seconds(1), rules.latest, limit)
                    .await?
            }
        };
        if slots.is_empty() {
            return Ok(say(
                State::OfferedSlots {
                    purpose,
                    offers: shown.to_vec(),
                },
                replies::nothing_open().to_owned(),
            ));
        }
        let offers: Vec<Offer> = slots.iter().map(offer_of).collect();
        let text = replies::offers(&offers, self.tz(), None);
        Ok(say(State::OfferedSlots { purpose, offers }, text))
    }

    /// The customer said yes: the engine decides, under its locks.
    async fn commit(&self, purpose: Purpose, offer: Offer) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let tz = self.tz();
        match purpose {
            Purpose::Book => {
                match appointments::book(self.db, self.contact_id, offer.slot_id, &rules).await? {
                    BookingOutcome::Booked(a) => Ok(Next {
                        state: State::Idle,
                        reply: replies::booked(a.starts_at, tz),
                        booked: true,
                    }),
                    BookingOutcome::TooManyOpen { limit } => {
                        Ok(say(State::Idle, replies::too_many(limit)))
                    }
                    BookingOutcome::AlreadyHeld => {
                        Ok(say(State::Idle, replies::booked(offer.starts_at, tz)))
                    }
                    BookingOutcome::SlotFull
                    | BookingOutcome::SlotMissing
                    | BookingOutcome::OutsideWindow => self.taken(purpose, offer).await,
                }
            }
            Purpose::Reschedule { appointment } => {
                let outcome = appointments::reschedule(
                    self.db,
                    self.contact_id,
                    appointment.appointment_id,
                    offer.slot_id,
                    &rules,
                )
                .await?;
                match outcome {
                    RescheduleOutcome::Rescheduled(a) => {
                        Ok(say(State::Idle, replies::moved(a.starts_at, tz)))
                    }
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
                    | RescheduleOutcome::OutsideWindow => self.taken(purpose, offer).await,
                }
            }
        }
    }

    /// The chosen slot went to someone else: offer the nearest others.
    async fn taken(&self, purpose: Purpose, offer: Offer) -> Result<Next, StoreError> {
        let rules = self.policy.booking_rules(self.now);
        let slots = availability::open_near(
            self.db,
            rules.earliest,
            rules.latest,
            offer.starts_at,
            self.policy.offers_per_reply,
        )
        .await?;
        let offers: Vec<Offer> = slots
            .iter()
            .filter(|s| s.id != offer.slot_id)
            .map(offer_of)
            .collect();
        if offers.is_empty() {
            return Ok(say(
                State::Idle,
                format!("{} {}", replies::slot_taken(), replies::nothing_open()),
            ));
        }
        let text = replies::offers(&offers, self.tz(), Some(replies::slot_taken()));
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
            CancelOutcome::Cancelled(a) => {
                Ok(say(State::Idle, replies::cancelled(a.starts_at, self.tz())))
            }
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
            Some(ReminderAnswer::Reschedule) => {
                self.offer(Purpose::Reschedule { appointment }, u, None)
                    .await
            }
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
            })
            .collect())
    }
}
