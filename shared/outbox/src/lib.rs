//! The outbox: the one way an SMS leaves the system.
//!
//! Every outbound message (a reply, a reminder, a campaign message) is recorded
//! by its use case first, then handed to [`Outbox::deliver`], which claims it
//! under a lease (consent and campaign state checked in the same statement),
//! checks the moment (quiet hours; for a marketing text also the frequency cap
//! and the window in every zone the recipient may be in, which also give it
//! its validity period), sends it through the [`SmsSender`] port, and records
//! the provider's answer as a typed [`SendFailure`]: sent, back for a retry,
//! or refused for good (a carrier opt-out opts the contact out, an invalid
//! number is marked).
//! Owns the port, its adapters (Twilio, the local console) and the clock.
//! Must not decide what to send or to whom: the use cases do.

pub mod clock;
mod console;
mod deliver;
mod moment;
mod port;
mod twilio;

pub use clock::{Clock, ManualClock, SystemClock};
pub use console::ConsoleSender;
pub use deliver::{DeliverError, Delivery, Outbox};
pub use port::{SendFailure, SendOptions, SentSms, SmsSender};
pub use twilio::{TwilioSender, status_callback_url};
