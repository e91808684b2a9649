//! An inbound SMS as the webhook hands it to the conversation worker.
//!
//! Owns reading Twilio's webhook form fields into typed values and the JSON shape
//! of the queue message. Must not look at what the text means.

use crate::{AccountSid, MessageSid, PhoneNumber, SmsBody};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InboundSmsError {
    #[error("form field {0} is missing")]
    Missing(&'static str),
    #[error("form field {field} is malformed: {reason}")]
    Malformed { field: &'static str, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InboundSms {
    pub message_sid: MessageSid,
    pub account_sid: Option<AccountSid>,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub body: SmsBody,
    pub num_media: u32,
    /// Twilio's Advanced Opt-Out verdict (`STOP`, `START`, `HELP`) when enabled.
    pub opt_out_type: Option<String>,
}

impl InboundSms {
    /// Reads Twilio's `application/x-www-form-urlencoded` fields.
    pub fn from_form(params: &[(String, String)]) -> Result<Self, InboundSmsError> {
        let field = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let required = |name: &'static str| field(name).ok_or(InboundSmsError::Missing(name));
        let malformed = |field: &'static str| {
            move |e: &dyn std::fmt::Display| InboundSmsError::Malformed {
                field,
                reason: e.to_string(),
            }
        };
        let sid_raw = field("MessageSid")
            .or_else(|| field("SmsMessageSid"))
            .ok_or(InboundSmsError::Missing("MessageSid"))?;
        Ok(Self {
            message_sid: MessageSid::parse(sid_raw).map_err(|e| malformed("MessageSid")(&e))?,
            account_sid: field("AccountSid")
                .map(AccountSid::parse)
                .transpose()
                .map_err(|e| malformed("AccountSid")(&e))?,
            from: PhoneNumber::parse_e164(required("From")?).map_err(|e| malformed("From")(&e))?,
            to: PhoneNumber::parse_e164(required("To")?).map_err(|e| malformed("To")(&e))?,
            body: SmsBody::parse(field("Body").unwrap_or_default())
                .map_err(|e| malformed("Body")(&e))?,
            num_media: field("NumMedia")
                .map(str::parse)
                .transpose()
                .map_err(|e| malformed("NumMedia")(&e))?
                .unwrap_or(0),
            opt_out_type: field("OptOutType")
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const SID: &str = "SM0123456789abcdef0123456789abcdef";

    #[test]
    fn a_twilio_form_becomes_a_typed_inbound_sms() {
        let sms = InboundSms::from_form(&form(&[
            ("MessageSid", SID),
            ("From", "+14155550100"),
            ("To", "+14155550199"),
            ("Body", "Book me tomorrow at 3"),
            ("NumMedia", "0"),
            ("OptOutType", "STOP"),
        ]))
        .unwrap();
        assert_eq!(sms.message_sid.as_str(), SID);
        assert_eq!(sms.from.as_e164(), "+14155550100");
        assert_eq!(sms.body.as_str(), "Book me tomorrow at 3");
        assert_eq!(sms.opt_out_type.as_deref(), Some("STOP"));
    }

    #[test]
    fn a_form_without_a_sender_is_rejected() {
        let err = InboundSms::from_form(&form(&[("MessageSid", SID), ("To", "+14155550199")]))
            .unwrap_err();
        assert_eq!(err, InboundSmsError::Missing("From"));
    }

    #[test]
    fn a_bad_message_sid_is_named_in_the_error() {
        let err = InboundSms::from_form(&form(&[
            ("MessageSid", "nope"),
            ("From", "+14155550100"),
            ("To", "+14155550199"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            InboundSmsError::Malformed {
                field: "MessageSid",
                ..
            }
        ));
    }

    #[test]
    fn the_queue_message_round_trips_through_json() {
        let sms = InboundSms::from_form(&form(&[
            ("MessageSid", SID),
            ("From", "+14155550100"),
            ("To", "+14155550199"),
            ("Body", "hi"),
        ]))
        .unwrap();
        let json = serde_json::to_string(&sms).unwrap();
        assert_eq!(serde_json::from_str::<InboundSms>(&json).unwrap(), sms);
    }
}
