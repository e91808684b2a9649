//! A contact's messaging consent and where a change came from.
//!
//! Owns the vocabulary stored in the database; the keyword rules that change consent
//! live with the conversation, not here.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentState {
    OptedIn,
    OptedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentSource {
    /// The contact texted a keyword (STOP, START, …).
    Keyword,
    /// Twilio refused a send with error 21610: the carrier already blocks us.
    CarrierOptOut,
    /// An operator changed it through the admin API.
    Admin,
    /// The contact first texted us (implied consent to answer).
    Inbound,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown consent value {0:?}")]
pub struct UnknownConsent(pub String);

impl ConsentState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OptedIn => "opted_in",
            Self::OptedOut => "opted_out",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownConsent> {
        match raw {
            "opted_in" => Ok(Self::OptedIn),
            "opted_out" => Ok(Self::OptedOut),
            other => Err(UnknownConsent(other.to_owned())),
        }
    }
}

impl ConsentSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::CarrierOptOut => "carrier_opt_out",
            Self::Admin => "admin",
            Self::Inbound => "inbound",
        }
    }
}

impl fmt::Display for ConsentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
