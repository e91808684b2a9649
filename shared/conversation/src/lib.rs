//! The conversation: from an inbound SMS to a reply and, when the customer wants
//! one, an appointment.
//!
//! Owns compliance keywords, the state machine, the dialogue, reply texts, the
//! turn use case and the SQS batch handler shared by the Lambda and the local
//! process. Bookings themselves are made by the store's scheduling engine; this
//! crate must not hold SQL or call AWS directly.

pub mod clock;
pub mod compliance;
mod dialogue;
pub mod policy;
pub mod replies;
pub mod sender;
pub mod state;
pub mod turn;
pub mod weekly_hours;
pub mod window;
pub mod wiring;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use policy::Policy;
pub use sender::{ConsoleSender, SendFailure, SentSms, SmsSender};
pub use turn::{Conversation, TurnError, TurnOutcome};
pub use weekly_hours::WeeklyHours;
pub use worker::handle_batch;
