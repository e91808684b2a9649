//! The conversation's states, as stored between turns.
//!
//! idle → offered slots → awaiting confirmation → (booked) idle, plus the cancel
//! and reschedule paths. Each state carries the facts the next turn needs (slot ids
//! and their times as the engine reported them). A reminder puts the conversation
//! in `ReminderSent`, so a bare C, R or X is understood. Pure data: no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::{AppointmentId, ProviderId, ServiceId, SlotId};

/// A slot the bot offered, with the start time it showed the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub slot_id: SlotId,
    pub starts_at: DateTime<Utc>,
    /// The provider the offer named, when more than one could serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
}

/// One of the customer's appointments, as listed to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub appointment_id: AppointmentId,
    pub starts_at: DateTime<Utc>,
    /// What the visit is for, so "cancel the checkup" can name it (absent
    /// in a state saved before services were listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<ServiceId>,
}

/// What choosing a slot will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    Book,
    Reschedule { appointment: Listed },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    Idle,
    OfferedSlots {
        purpose: Purpose,
        offers: Vec<Offer>,
    },
    AwaitingConfirmation {
        purpose: Purpose,
        offer: Offer,
    },
    ChoosingToCancel {
        appointments: Vec<Listed>,
    },
    ConfirmingCancel {
        appointment: Listed,
    },
    ChoosingToReschedule {
        appointments: Vec<Listed>,
    },
    /// A reminder of this appointment went out asking for C, R or X (written by
    /// the reminder sender, not by a turn).
    ReminderSent {
        appointment: Listed,
    },
    /// Asked what the visit is for (the business offers several services).
    /// `asked` is the request the answer completes ("tmrw at 3?"), read
    /// again once the service is known.
    ChoosingService {
        asked: String,
    },
    /// Nothing was open in the time asked for (nor later): asked whether to
    /// put the customer on the waitlist for it.
    OfferedWaitlist {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

impl State {
    /// Whether the bot's last message asked a yes-or-no question, so that a
    /// bare "y" or "👎" answers it.
    pub fn asks_yes_or_no(&self) -> bool {
        match self {
            Self::AwaitingConfirmation { .. }
            | Self::ConfirmingCancel { .. }
            | Self::OfferedWaitlist { .. } => true,
            // "I have: 1) … Reply 1 to take it": a yes takes the one offer.
            Self::OfferedSlots { offers, .. } => offers.len() == 1,
            _ => false,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::OfferedSlots { .. } => "offered_slots",
            Self::AwaitingConfirmation { .. } => "awaiting_confirmation",
            Self::ChoosingToCancel { .. } => "choosing_to_cancel",
            Self::ConfirmingCancel { .. } => "confirming_cancel",
            Self::ChoosingToReschedule { .. } => "choosing_to_reschedule",
            Self::ReminderSent { .. } => "reminder_sent",
            Self::ChoosingService { .. } => "choosing_service",
            Self::OfferedWaitlist { .. } => "offered_waitlist",
        }
    }

    /// Reads a stored payload; anything unreadable (an older format) starts idle.
    pub fn from_payload(payload: &serde_json::Value) -> Self {
        serde_json::from_value(payload.clone()).unwrap_or(Self::Idle)
    }

    pub fn to_payload(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({"state": "idle"}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_round_trips_through_its_stored_payload() {
        let state = State::AwaitingConfirmation {
            purpose: Purpose::Book,
            offer: Offer {
                slot_id: SlotId::new(7),
                starts_at: "2026-03-05T20:00:00Z".parse().unwrap(),
                provider: Some(ProviderId::new(2)),
            },
        };
        assert_eq!(State::from_payload(&state.to_payload()), state);
    }

    #[test]
    fn an_unreadable_payload_starts_idle() {
        assert_eq!(
            State::from_payload(&serde_json::json!({"state": "gone"})),
            State::Idle
        );
        assert_eq!(State::from_payload(&serde_json::json!({})), State::Idle);
    }
}
