//! Pure domain types of the SMS appointment bot.
//!
//! Owns the newtypes every outside string is parsed into (phone numbers, Twilio SIDs,
//! IANA timezones, SMS bodies) and the small rules that belong to them (masking,
//! segment counting), the stored vocabularies (statuses, kinds) and the rules
//! that belong to them (the campaign lifecycle, templates). Must not do I/O: no
//! database, network, clock or logging here.

pub mod text_enum;

pub mod appointment;
pub mod business_profile;
pub mod calendar_links;
pub mod campaign;
pub mod consent;
pub mod handoff;
pub mod ids;
pub mod inbound;
pub mod marketing;
pub mod message;
mod nanp_timezones;
pub mod phone;
pub mod quiet;
pub mod recipient_zones;
pub mod sending_window;
pub mod sid;
pub mod sms_body;
pub mod timezone;

pub use appointment::AppointmentStatus;
pub use business_profile::{Faq, FaqEntry, FaqError, Website, WebsiteError};
pub use campaign::{CampaignKind, CampaignStatus, Template, TemplateError};
pub use consent::{
    ConsentActor, ConsentEvidence, ConsentKind, ConsentSource, ConsentState, ConsentStatus,
    OptInKeyword,
};
pub use handoff::StaffReason;
pub use ids::{
    AppointmentId, CampaignId, ClosureId, ContactId, FaqEntryId, HandoffId, MessageId, ProviderId,
    ServiceId, SlotId, StaffAlertId,
};
pub use inbound::{InboundSms, InboundSmsError};
pub use marketing::{MarketingRules, MarketingVerdict, MarketingWindow};
pub use message::{MessageDirection, MessageStatus};
pub use phone::{MaskedPhone, PhoneError, PhoneNumber, Region};
pub use quiet::QuietHours;
pub use recipient_zones::RecipientZones;
pub use sid::{AccountSid, MessageSid, MessagingServiceSid, SidError};
pub use sms_body::{Encoding, SmsBody, SmsBodyError};
pub use timezone::{Timezone, TimezoneError};
