//! The quiet-hours rule is a domain rule (the outbox checks it at the moment
//! of sending too); the engine's modules name it through here.

pub use smsbot_domain::quiet::QuietHours;
