//! Outbound messaging that respects consent and quiet hours: campaigns and
//! appointment reminders.
//!
//! Owns the pure rules of sending (quiet hours in the contact's timezone, the
//! dispatch plan; the campaign lifecycle and templates are domain rules) and the three scheduled or queued use
//! cases built on them: the dispatcher (EventBridge → SQS), the outbound sender
//! (SQS → Twilio) and housekeeping (reminders, stale conversations, past
//! appointments). SQL stays in smsbot-store and SMS leave through the outbox;
//! this crate must hold neither.

pub mod audience;
pub mod dispatcher;
pub mod housekeeping;
pub mod outbound;
pub mod plan;
pub mod quiet;
pub mod reminders;
pub mod sender;

pub use dispatcher::{Dispatcher, DispatcherConfig, TickReport};
pub use housekeeping::{Housekeeping, HousekeepingConfig};
pub use outbound::{OutboundMessage, OutboundQueue};
pub use quiet::QuietHours;
pub use reminders::{ReminderConfig, Reminders};
pub use sender::{OutboundSender, SendOutcome, SenderConfig};
