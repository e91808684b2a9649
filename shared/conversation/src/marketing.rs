//! The customer's own marketing opt-in: the business's keyword (JOIN), and
//! what texting it records and answers.
//!
//! Owns recognising the keyword next to the carrier's (see `crate::compliance`)
//! and the opt-in itself: service consent restored if it was revoked, marketing
//! consent recorded with its proof (the message's Twilio SID, the confirmation
//! the customer is sent, the time), and that confirmation (business, frequency,
//! cost, STOP). Must not decide who receives marketing: campaigns do, from the
//! consent recorded here.

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use smsbot_config::MarketingSettings;
use smsbot_domain::marketing::FrequencyCap;
use smsbot_domain::{
    ConsentEvidence, ConsentKind, ConsentSource, ConsentState, ContactId, InboundSms, OptInKeyword,
};
use smsbot_store::StoreError;
use smsbot_store::consent::{self, ConsentChange};

use crate::compliance::{self, Keyword};
use crate::replies;

/// The business's marketing opt-in: its keyword and the frequency it promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketingOptIn {
    pub keyword: OptInKeyword,
    /// Told in the confirmation; `None`: "Msg frequency varies".
    pub frequency_cap: Option<FrequencyCap>,
}

impl Default for MarketingOptIn {
    /// JOIN, up to four messages a month.
    fn default() -> Self {
        Self::from_settings(&MarketingSettings::default())
    }
}

impl MarketingOptIn {
    pub fn from_settings(settings: &MarketingSettings) -> Self {
        Self {
            keyword: settings.opt_in_keyword.clone(),
            frequency_cap: settings.frequency_cap,
        }
    }

    /// The carrier's keywords (`compliance::classify`), and this opt-in word.
    /// Twilio's Advanced Opt-Out reports a custom opt-in word as START: the
    /// word itself says it is the marketing opt-in. A STOP stays a STOP.
    pub fn classify(&self, body: &str, opt_out_type: Option<&str>) -> Option<Keyword> {
        let carrier = compliance::classify(body, opt_out_type);
        if matches!(carrier, None | Some(Keyword::OptIn)) && self.keyword.is_texted_in(body) {
            return Some(Keyword::MarketingOptIn);
        }
        carrier
    }

    /// Records the opt-in the customer just texted, inside the turn's
    /// transaction: service consent first (a contact who had texted STOP gets
    /// messages again: JOIN asks for them), then marketing consent with its
    /// proof. Returns the confirmation to send, a compliance reply.
    pub(crate) async fn record(
        &self,
        tx: &Transaction<'_>,
        contact: ContactId,
        sms: &InboundSms,
        business: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let confirmation = replies::joined(business, self.frequency_cap.as_ref());
        let texted = sms.body.as_str().trim();
        consent::set_consent(
            tx,
            contact,
            ConsentState::OptedIn,
            ConsentSource::Keyword,
            Some(texted),
        )
        .await?;
        let evidence = ConsentEvidence::texted(&sms.message_sid, &confirmation, now);
        consent::record(
            tx,
            contact,
            &ConsentChange {
                kind: ConsentKind::Marketing,
                state: ConsentState::OptedIn,
                source: ConsentSource::Keyword,
                detail: Some(texted),
                evidence: Some(&evidence),
            },
        )
        .await?;
        Ok(confirmation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_as_people_text_it_is_the_marketing_opt_in() {
        let opt_in = MarketingOptIn::default();
        for body in ["join", "Join!", "JOIN ", "join."] {
            assert_eq!(
                opt_in.classify(body, None),
                Some(Keyword::MarketingOptIn),
                "{body:?}"
            );
        }
        assert_eq!(opt_in.classify("join me at 3pm?", None), None);
    }

    #[test]
    fn twilio_reporting_join_as_start_is_still_the_marketing_opt_in_but_stop_wins() {
        let opt_in = MarketingOptIn::default();
        assert_eq!(
            opt_in.classify("JOIN", Some("START")),
            Some(Keyword::MarketingOptIn)
        );
        assert_eq!(opt_in.classify("JOIN", Some("STOP")), Some(Keyword::OptOut));
        assert_eq!(opt_in.classify("START", None), Some(Keyword::OptIn));
        assert_eq!(
            opt_in.classify("stop pls", None),
            Some(Keyword::OptOutRequest)
        );
    }

    #[test]
    fn a_configured_word_replaces_join() {
        let opt_in = MarketingOptIn {
            keyword: OptInKeyword::parse("deals").unwrap(),
            frequency_cap: None,
        };
        assert_eq!(
            opt_in.classify("Deals!", None),
            Some(Keyword::MarketingOptIn)
        );
        assert_eq!(opt_in.classify("join", None), None);
    }
}
