//! Messages' stored vocabulary: which way a message went and how far it got.
//!
//! Owns `MessageStatus` (what Twilio reports, plus `pending`: recorded by us and
//! not yet handed to Twilio) and the rule for applying status updates out of
//! order (`rank`, `may_replace`). Pure: the store applies the rule in SQL with
//! the rank computed here, and the Twilio adapter parses what Twilio sends.

crate::text_enum! {
    /// Which way a message went (`messages.direction`).
    pub enum MessageDirection {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

crate::text_enum! {
    /// A message's status (`messages.status`): Twilio's statuses, plus `pending`.
    pub enum MessageStatus {
        /// Recorded by us, not yet accepted by Twilio. Twilio never reports it.
        Pending => "pending",
        /// A Messaging Service accepted the request and is choosing a sender.
        Accepted => "accepted",
        /// Scheduled to be sent later.
        Scheduled => "scheduled",
        /// Waiting in Twilio's queue to be sent.
        Queued => "queued",
        /// Being handed to the carrier.
        Sending => "sending",
        /// The carrier accepted the message.
        Sent => "sent",
        /// An inbound message is being received.
        Receiving => "receiving",
        /// An inbound message was received.
        Received => "received",
        /// The carrier confirmed delivery to the handset.
        Delivered => "delivered",
        /// The carrier reported the message could not be delivered.
        Undelivered => "undelivered",
        /// The message could not be sent (Twilio or carrier refused it).
        Failed => "failed",
        /// The recipient opened the message (channels with read receipts).
        Read => "read",
        /// A scheduled message was canceled before it was sent.
        Canceled => "canceled",
        /// Only some parts of the message were delivered.
        PartiallyDelivered => "partially_delivered",
    }
}

/// The statuses Twilio may report (all but `pending`).
pub const TWILIO_STATUSES: [MessageStatus; 13] = [
    MessageStatus::Accepted,
    MessageStatus::Scheduled,
    MessageStatus::Queued,
    MessageStatus::Sending,
    MessageStatus::Sent,
    MessageStatus::Receiving,
    MessageStatus::Received,
    MessageStatus::Delivered,
    MessageStatus::Undelivered,
    MessageStatus::Failed,
    MessageStatus::Read,
    MessageStatus::Canceled,
    MessageStatus::PartiallyDelivered,
];

impl MessageStatus {
    /// A status as Twilio writes it (REST answers, status callbacks): exactly
    /// one of Twilio's lowercase strings; `pending` is ours, so not accepted.
    pub fn from_twilio(raw: &str) -> Result<Self, crate::text_enum::UnknownValue> {
        match Self::parse(raw)? {
            Self::Pending => Err(crate::text_enum::UnknownValue {
                vocabulary: "Twilio message status",
                value: raw.to_owned(),
            }),
            status => Ok(status),
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
            Self::Pending | Self::Accepted => 0,
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

#[cfg(test)]
mod tests {
    use super::MessageStatus::{self, *};
    use super::TWILIO_STATUSES;

    #[test]
    fn every_status_parses_back_from_its_twilio_string() {
        for &status in MessageStatus::ALL {
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
            for &later in MessageStatus::ALL {
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
        for &status in MessageStatus::ALL {
            assert!(!status.may_replace(status), "{status}");
        }
    }

    #[test]
    fn only_failed_and_undelivered_count_as_failures() {
        let failures: Vec<_> = MessageStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_failure())
            .collect();
        assert_eq!(failures, [Undelivered, Failed]);
    }

    #[test]
    fn pending_is_ours_and_never_read_from_twilio() {
        assert_eq!(MessageStatus::parse("pending"), Ok(Pending));
        assert!(MessageStatus::from_twilio("pending").is_err());
        assert_eq!(MessageStatus::from_twilio("delivered"), Ok(Delivered));
        assert_eq!(TWILIO_STATUSES.len(), MessageStatus::ALL.len() - 1);
        for later in TWILIO_STATUSES {
            assert!(!Pending.may_replace(later));
        }
    }
}
