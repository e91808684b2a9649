//! Consent: what a contact agreed to receive, where each change came from and
//! who made it, and the one rule about who may give consent back.
//!
//! Two kinds: *service* consent (answers, confirmations, reminders of the
//! contact's own appointments), which texting in gives, and *marketing* consent
//! (broadcasts), which only an explicit opt-in with proof gives. Owns the stored
//! vocabularies, the evidence a marketing opt-in must carry ([`evidence`]), the
//! business's opt-in keyword ([`keyword`]) and
//! [`status::ConsentStatus::admin_may_opt_in`]. (The marketing frequency cap
//! and window are `crate::marketing`'s.) The keyword
//! rules that change consent live with the conversation; storing a change is the
//! store's. Pure: no I/O.

pub mod evidence;
pub mod keyword;
pub mod status;

pub use evidence::{ConsentEvidence, EvidenceError};
pub use keyword::{OptInKeyword, OptInKeywordError};
pub use status::{ConsentStatus, KindStatus, OptInRefused};

use crate::campaign::CampaignKind;

crate::text_enum! {
    /// What a consent covers (`consent_events.kind`).
    pub enum ConsentKind {
        /// Answers, confirmations and reminders of the contact's own appointments.
        Service => "service",
        /// Broadcasts: offers, news, announcements.
        Marketing => "marketing",
    }
}

crate::text_enum! {
    /// Whether the contact may be sent messages of one kind.
    pub enum ConsentState {
        OptedIn => "opted_in",
        OptedOut => "opted_out",
    }
}

crate::text_enum! {
    /// The channel a consent change came through (`consent_events.source`).
    pub enum ConsentSource {
        /// The contact texted a keyword or asked in words (STOP, START, JOIN, …).
        Keyword => "keyword",
        /// Twilio refused a send with error 21610: the carrier already blocks us.
        CarrierOptOut => "carrier_opt_out",
        /// An operator changed it through the admin API.
        Admin => "admin",
        /// The contact first texted us (implied consent to answer).
        Inbound => "inbound",
    }
}

crate::text_enum! {
    /// Who made a consent change (`consent_events.actor`).
    pub enum ConsentActor {
        /// The contact, by texting.
        Customer => "customer",
        /// An operator, through the admin API.
        Admin => "admin",
        /// The carrier (or Twilio) blocking the number.
        Carrier => "carrier",
        /// The system itself, recording a state whose origin it does not know
        /// (migration V8, for a contact row whose source it did not recognise).
        System => "system",
    }
}

impl ConsentSource {
    /// Who acts through this source.
    pub const fn actor(self) -> ConsentActor {
        match self {
            Self::Keyword | Self::Inbound => ConsentActor::Customer,
            Self::CarrierOptOut => ConsentActor::Carrier,
            Self::Admin => ConsentActor::Admin,
        }
    }
}

impl ConsentActor {
    /// Whether an opt-out by this actor may be undone only by the customer:
    /// their own STOP (in any words), a carrier block (which only the
    /// customer's START lifts) and, to be safe, one of unknown origin. Only an
    /// operator's own opt-out may be undone by an operator.
    pub const fn opt_out_binds_admin(self) -> bool {
        !matches!(self, Self::Admin)
    }
}

impl CampaignKind {
    /// The consent a campaign of this kind needs: a reminder is about the
    /// recipient's own appointment (service); anything else is marketing.
    pub const fn consent_needed(self) -> ConsentKind {
        match self {
            Self::Reminder => ConsentKind::Service,
            Self::Broadcast => ConsentKind::Marketing,
        }
    }

    /// The kinds that need marketing consent, as stored (for the store's queries).
    pub fn needing_marketing_consent() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .filter(|kind| kind.consent_needed() == ConsentKind::Marketing)
            .map(|kind| kind.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_need_marketing_consent_and_reminders_service_consent() {
        assert_eq!(
            CampaignKind::Broadcast.consent_needed(),
            ConsentKind::Marketing
        );
        assert_eq!(
            CampaignKind::Reminder.consent_needed(),
            ConsentKind::Service
        );
        assert_eq!(CampaignKind::needing_marketing_consent(), vec!["broadcast"]);
    }

    #[test]
    fn only_the_customers_and_the_carriers_opt_outs_bind_an_operator() {
        assert!(ConsentSource::Keyword.actor().opt_out_binds_admin());
        assert!(ConsentSource::CarrierOptOut.actor().opt_out_binds_admin());
        assert!(!ConsentSource::Admin.actor().opt_out_binds_admin());
        assert!(ConsentActor::System.opt_out_binds_admin());
    }
}
