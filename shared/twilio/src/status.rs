//! Twilio message delivery statuses and the rule for applying status updates.
//!
//! Owns: the `MessageStatus` values Twilio reports (REST responses and
//! `MessageStatus` in status callbacks), parsing them, and deciding whether a newly
//! reported status may overwrite the one already stored.
//!
//! Must not: do I/O or store anything; it only answers questions. Status strings
//! are not personal data, but callers must still never log the phone numbers or
//! bodies that arrive alongside them.

use std::fmt;
use std::str::FromStr;

/// A message's status as Twilio reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// A Messaging Service accepted the request and is choosing a sender.
    Accepted,
    /// Scheduled to be sent later.
    Scheduled,
    /// Waiting in Twilio's queue to be sent.
    Queued,
    /// Being handed to the carrier.
    Sending,
    /// The carrier accepted the message.
    Sent,
    /// An inbound message is being received.
    Receiving,
    /// An inbound message was received.
    Received,
    /// The carrier confirmed delivery to the handset.
    Delivered,
    /// The carrier reported the message could not be delivered.
    Undelivered,
    /// The message could not be sent (Twilio or carrier refused it).
    Failed,
    /// The recipient opened the message (channels with read receipts).
    Read,
    /// A scheduled message was canceled before it was sent.
    Canceled,
    /// Only some parts of the message were delivered.
    PartiallyDelivered,
}

/// A status string Twilio sent that this crate does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Twilio message status {0:?}")]
pub struct UnknownStatus(pub String);

impl MessageStatus {
    /// Every status, in declaration order.
    pub const ALL: [Self; 13] = [
        Self::Accepted,
        Self::Scheduled,
        Self::Queued,
        Self::Sending,
        Self::Sent,
        Self::Receiving,
        Self::Received,
        Self::Delivered,
        Self::Undelivered,
        Self::Failed,
        Self::Read,
        Self::Canceled,
        Self::PartiallyDelivered,
    ];

    /// Parses Twilio's lowercase status string (`"delivered"`,
    /// `"partially_delivered"`, ...).
    ///
    /// # Errors
    /// [`UnknownStatus`] for anything else, including other capitalisations.
    pub fn parse(s: &str) -> Result<Self, UnknownStatus> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }

    /// Twilio's string for this status.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Receiving => "receiving",
            Self::Received => "received",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
            Self::Read => "read",
            Self::Canceled => "canceled",
            Self::PartiallyDelivered => "partially_delivered",
        }
    }

    /// How far along its life a message with this status is.
    ///
    /// Why this order: Twilio's status callbacks are separate HTTP requests that
    /// may arrive out of order or be retried, so a late `sent` can land after
    /// `delivered`. Ranking statuses by how far the message has got lets a store
    /// keep the furthest one instead of the last one to arrive:
    ///
    /// - `accepted` < `scheduled` < `queued` < `sending`/`receiving` < `sent` <
    ///   `partially_delivered` < outcome < `read`;
    /// - the outcomes `delivered`, `undelivered`, `failed`, `canceled` and
    ///   `received` share a rank, so once one is stored a contradicting outcome
    ///   reported later does not flip it (the first word from the carrier stands);
    /// - `read` ranks above `delivered` because a read receipt can only follow a
    ///   delivery.
    #[must_use]
    pub const fn rank(self) -> u8 {
        match self {
            Self::Accepted => 0,
            Self::Scheduled => 1,
            Self::Queued => 2,
            Self::Sending | Self::Receiving => 3,
            Self::Sent => 4,
            Self::PartiallyDelivered => 5,
            Self::Delivered
            | Self::Undelivered
            | Self::Failed
            | Self::Canceled
            | Self::Received => 6,
            Self::Read => 7,
        }
    }

    /// Whether nothing can follow this status: no later update replaces it.
    ///
    /// `delivered` is not terminal, because `read` may still follow it.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Undelivered | Self::Failed | Self::Canceled | Self::Received | Self::Read
        )
    }

    /// Whether the message did not reach the recipient and never will.
    #[must_use]
    pub const fn is_failure(self) -> bool {
        matches!(self, Self::Undelivered | Self::Failed)
    }

    /// Whether this newly reported status should overwrite `current`, the status
    /// already stored: only when `current` is not terminal and this one is further
    /// along (see [`MessageStatus::rank`]). Repeating the stored status is not a
    /// change.
    #[must_use]
    pub const fn may_replace(self, current: Self) -> bool {
        !current.is_terminal() && self.rank() > current.rank()
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::{self, *};

    #[test]
    fn every_status_parses_back_from_its_twilio_string() {
        for status in MessageStatus::ALL {
            assert_eq!(MessageStatus::parse(status.as_str()), Ok(status));
            assert_eq!(status.to_string().parse::<MessageStatus>(), Ok(status));
        }
        assert_eq!(
            MessageStatus::parse("partially_delivered"),
            Ok(PartiallyDelivered)
        );
    }

    #[test]
    fn an_unknown_or_differently_cased_status_is_an_error() {
        assert!(MessageStatus::parse("lost").is_err());
        assert!(MessageStatus::parse("Delivered").is_err());
        assert!(MessageStatus::parse("").is_err());
    }

    #[test]
    fn a_late_sent_never_overwrites_delivered() {
        assert!(!Sent.may_replace(Delivered));
        assert!(Delivered.may_replace(Sent));
    }

    #[test]
    fn the_normal_outbound_progression_is_accepted_step_by_step() {
        let path = [Accepted, Scheduled, Queued, Sending, Sent, Delivered, Read];
        for pair in path.windows(2) {
            assert!(pair[1].may_replace(pair[0]), "{} -> {}", pair[0], pair[1]);
            assert!(!pair[0].may_replace(pair[1]), "{} -> {}", pair[1], pair[0]);
        }
    }

    #[test]
    fn read_beats_delivered() {
        assert!(Read.may_replace(Delivered));
        assert!(!Delivered.may_replace(Read));
    }

    #[test]
    fn failed_and_undelivered_are_terminal() {
        for terminal in [Failed, Undelivered] {
            for later in MessageStatus::ALL {
                assert!(!later.may_replace(terminal), "{later} replaced {terminal}");
            }
        }
    }

    #[test]
    fn a_failure_may_replace_any_in_flight_status() {
        for in_flight in [
            Accepted,
            Scheduled,
            Queued,
            Sending,
            Sent,
            PartiallyDelivered,
        ] {
            assert!(Failed.may_replace(in_flight));
            assert!(Undelivered.may_replace(in_flight));
        }
    }

    #[test]
    fn a_failure_reported_after_delivered_does_not_flip_it() {
        assert!(!Undelivered.may_replace(Delivered));
        assert!(!Failed.may_replace(Delivered));
    }

    #[test]
    fn a_canceled_scheduled_message_stays_canceled() {
        assert!(Canceled.may_replace(Scheduled));
        assert!(!Queued.may_replace(Canceled));
        assert!(!Sent.may_replace(Canceled));
    }

    #[test]
    fn repeating_the_stored_status_is_not_a_change() {
        for status in MessageStatus::ALL {
            assert!(!status.may_replace(status), "{status}");
        }
    }

    #[test]
    fn only_failed_and_undelivered_count_as_failures() {
        let failures: Vec<_> = MessageStatus::ALL
            .into_iter()
            .filter(|s| s.is_failure())
            .collect();
        assert_eq!(failures, [Undelivered, Failed]);
    }
}
