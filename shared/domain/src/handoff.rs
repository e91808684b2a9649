//! The human handoff's stored vocabulary: why staff are brought into a
//! conversation (`handoffs.reason`, `staff_alerts.reason`).
//!
//! Owns the reasons and the two rules that belong to them: which reasons hand
//! the conversation over (the bot goes quiet until staff release it) and which
//! only pass a notice on ("running late": acknowledged, the bot stays), and how
//! a reason reads in an alert. Pure: the conversation decides when a reason
//! applies, the store keeps it.

crate::text_enum! {
    /// Why staff are needed.
    pub enum StaffReason {
        /// "can I talk to a real person?", "human pls".
        AskedForPerson => "asked_for_person",
        /// "call me", "can someone call me".
        AskedForCall => "asked_for_call",
        /// "this is ridiculous", "i want to complain".
        Complaint => "complaint",
        /// The bot did not understand two messages in a row.
        NotUnderstood => "not_understood",
        /// Staff wrote to the contact themselves (the admin API).
        StaffMessage => "staff_message",
        /// "running 10 min late, sorry!"
        RunningLate => "running_late",
        /// "I'm here".
        Arrived => "arrived",
        /// "on my way", "omw".
        OnTheWay => "on_the_way",
    }
}

impl StaffReason {
    /// Whether the conversation goes to staff (the bot stays quiet until it is
    /// released or the quiet time passes). The others are notices: staff are
    /// told, the bot goes on.
    pub const fn hands_off(self) -> bool {
        matches!(
            self,
            Self::AskedForPerson
                | Self::AskedForCall
                | Self::Complaint
                | Self::NotUnderstood
                | Self::StaffMessage
        )
    }

    /// Whether staff are alerted (everything the customer raised; staff who
    /// wrote themselves know already).
    pub const fn alerts_staff(self) -> bool {
        !matches!(self, Self::StaffMessage)
    }

    /// The reason as staff read it in an alert.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::AskedForPerson => "asked to talk to a person",
            Self::AskedForCall => "asked for a call",
            Self::Complaint => "is unhappy (complaint)",
            Self::NotUnderstood => "was not understood twice in a row",
            Self::StaffMessage => "was written to by staff",
            Self::RunningLate => "is running late",
            Self::Arrived => "has arrived",
            Self::OnTheWay => "is on the way",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_do_not_hand_the_conversation_over() {
        let handing_off: Vec<_> = StaffReason::ALL
            .iter()
            .filter(|r| r.hands_off())
            .map(|r| r.as_str())
            .collect();
        assert_eq!(
            handing_off,
            [
                "asked_for_person",
                "asked_for_call",
                "complaint",
                "not_understood",
                "staff_message"
            ]
        );
    }

    #[test]
    fn only_what_staff_did_themselves_raises_no_alert() {
        assert!(!StaffReason::StaffMessage.alerts_staff());
        assert!(StaffReason::RunningLate.alerts_staff());
        assert!(StaffReason::NotUnderstood.alerts_staff());
    }
}
