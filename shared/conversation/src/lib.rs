//! The conversation: from an inbound SMS to a reply and, when the customer wants
//! one, an appointment.
//!
//! Owns compliance keywords, the state machine, the dialogue, reply texts, the
//! turn use case with its limits (the per-number rate limit, the daily LLM
//! budget), the handoff to staff with the `StaffAlerts` port and its adapters,
//! and the SQS batch handler shared by the Lambda and the local process. Bookings themselves are made by the store's scheduling engine and
//! replies leave through the outbox; this crate must not hold SQL, send SMS
//! itself or call AWS directly.

pub mod business_questions;
pub mod compliance;
mod compound;
mod corrections;
pub mod counters;
mod dialogue;
pub mod faq;
mod first_opening;
pub mod handoff;
pub mod human_request;
pub mod llm_budget;
pub mod marketing;
mod moving;
mod own_appointments;
mod phrases;
pub mod policy;
pub mod rate_limit;
mod reference;
pub mod replies;
pub mod short_answer;
pub mod staff_alerts;
pub mod state;
pub mod turn;
pub mod visit;
pub mod waitlist_offers;
pub mod weekly_hours;
pub mod window;
pub mod worker;

pub use counters::Counters;
pub use handoff::Handoff;
pub use llm_budget::DailyLlmBudget;
pub use marketing::MarketingOptIn;
pub use policy::{BusinessProfile, Policy};
pub use rate_limit::InboundRateLimiter;
pub use staff_alerts::{InMemoryStaffAlerts, SmsStaffAlerts, SnsStaffAlerts, StaffAlerts};
pub use turn::{Conversation, TurnError, TurnOutcome};
pub use weekly_hours::WeeklyHours;
pub use worker::handle_batch;
