//! A contact's consent of both kinds as it stands, and the rule an operator's
//! opt-in must pass: only the customer can give back consent they (or their
//! carrier) revoked, and marketing needs service consent. Pure.

use super::{ConsentActor, ConsentKind, ConsentState};

/// One kind of consent: where it stands and who revoked it last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindStatus {
    /// `None`: never given nor refused (marketing starts so).
    pub state: Option<ConsentState>,
    /// Who made the latest opt-out of this kind, if there ever was one.
    pub last_opt_out_by: Option<ConsentActor>,
}

impl KindStatus {
    pub fn is_opted_in(&self) -> bool {
        self.state == Some(ConsentState::OptedIn)
    }

    /// The actor whose opt-out stands in an operator's way, if any.
    fn binding_opt_out(&self) -> Option<ConsentActor> {
        self.last_opt_out_by
            .filter(|by| !self.is_opted_in() && by.opt_out_binds_admin())
    }
}

/// Both kinds of a contact's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentStatus {
    pub service: KindStatus,
    pub marketing: KindStatus,
}

/// Why an operator may not opt a contact in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OptInRefused {
    /// The customer revoked this kind themselves (or their carrier blocks us):
    /// only the customer's own START (service) or JOIN (marketing) undoes it.
    #[error("the {kind} consent was revoked by the {by}; only the customer can give it back")]
    RevokedByCustomer { kind: ConsentKind, by: ConsentActor },
    /// Marketing asked for a contact whose service consent an operator revoked:
    /// a contact who gets no messages at all gets no marketing either.
    #[error("marketing needs service consent, which is revoked")]
    ServiceRevoked,
}

impl ConsentStatus {
    pub fn of(&self, kind: ConsentKind) -> &KindStatus {
        match kind {
            ConsentKind::Service => &self.service,
            ConsentKind::Marketing => &self.marketing,
        }
    }

    /// Whether an operator may record an opt-in of `kind` (a no-op when the
    /// contact is opted in already).
    pub fn admin_may_opt_in(&self, kind: ConsentKind) -> Result<(), OptInRefused> {
        let own = self.of(kind);
        if own.is_opted_in() {
            return Ok(());
        }
        if let Some(by) = own.binding_opt_out() {
            return Err(OptInRefused::RevokedByCustomer { kind, by });
        }
        if kind == ConsentKind::Marketing && !self.service.is_opted_in() {
            return Err(match self.service.binding_opt_out() {
                Some(by) => OptInRefused::RevokedByCustomer {
                    kind: ConsentKind::Service,
                    by,
                },
                None => OptInRefused::ServiceRevoked,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentActor::*;
    use ConsentState::*;

    fn kind(state: Option<ConsentState>, by: Option<ConsentActor>) -> KindStatus {
        KindStatus {
            state,
            last_opt_out_by: by,
        }
    }

    fn status(service: KindStatus, marketing: KindStatus) -> ConsentStatus {
        ConsentStatus { service, marketing }
    }

    #[test]
    fn a_contact_who_texted_in_may_be_given_marketing_consent_by_an_operator() {
        let texted_in = status(kind(Some(OptedIn), None), kind(None, None));
        assert_eq!(texted_in.admin_may_opt_in(ConsentKind::Marketing), Ok(()));
    }

    #[test]
    fn a_customers_stop_is_never_undone_by_an_operator_of_either_kind() {
        let stopped = status(
            kind(Some(OptedOut), Some(Customer)),
            kind(Some(OptedOut), Some(Customer)),
        );
        for k in [ConsentKind::Service, ConsentKind::Marketing] {
            assert_eq!(
                stopped.admin_may_opt_in(k),
                Err(OptInRefused::RevokedByCustomer {
                    kind: k,
                    by: Customer
                })
            );
        }
    }

    #[test]
    fn after_stop_and_start_marketing_still_waits_for_the_customer() {
        let restarted = status(
            kind(Some(OptedIn), Some(Customer)),
            kind(Some(OptedOut), Some(Customer)),
        );
        assert_eq!(restarted.admin_may_opt_in(ConsentKind::Service), Ok(()));
        assert!(restarted.admin_may_opt_in(ConsentKind::Marketing).is_err());
    }

    #[test]
    fn a_stop_before_any_marketing_consent_still_blocks_marketing() {
        let stopped = status(kind(Some(OptedOut), Some(Customer)), kind(None, None));
        assert_eq!(
            stopped.admin_may_opt_in(ConsentKind::Marketing),
            Err(OptInRefused::RevokedByCustomer {
                kind: ConsentKind::Service,
                by: Customer
            })
        );
    }

    #[test]
    fn a_carrier_block_binds_like_a_stop_and_an_operators_opt_out_does_not() {
        let blocked = status(kind(Some(OptedOut), Some(Carrier)), kind(None, None));
        assert!(blocked.admin_may_opt_in(ConsentKind::Service).is_err());
        let paused = status(kind(Some(OptedOut), Some(Admin)), kind(None, None));
        assert_eq!(paused.admin_may_opt_in(ConsentKind::Service), Ok(()));
        assert_eq!(
            paused.admin_may_opt_in(ConsentKind::Marketing),
            Err(OptInRefused::ServiceRevoked)
        );
    }
}
