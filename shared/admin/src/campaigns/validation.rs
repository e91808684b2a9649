//! Checks of a campaign draft's fields beyond their JSON shape: the template
//! renders for every recipient of its kind, a tag audience names at least one
//! valid tag, quiet hours are written `HH:MM` and are not empty, the rate is 1
//! to 1000 messages a second.
//!
//! Each check answers 422 (`ApiError::invalid`) naming the field. None reads the
//! database: the caller supplies what a check depends on (the kind, the other end
//! of the quiet hours), so a draft is judged alike when created and when edited.

use chrono::NaiveTime;
use smsbot_domain::campaign::{CampaignKind, Template};

use super::Audience;
use crate::error::ApiError;
use crate::validate;

/// The template's text, once it is known to render for every recipient of `kind`.
pub(super) fn template(text: &str, kind: CampaignKind) -> Result<String, ApiError> {
    let text = validate::message_text("template", text, smsbot_domain::sms_body::MAX_CHARS)?;
    Template::for_kind(&text, kind).map_err(|e| ApiError::invalid("template", e.to_string()))?;
    Ok(text)
}

pub(super) fn audience(audience: Audience) -> Result<serde_json::Value, ApiError> {
    let audience = match audience {
        Audience::AllOptedIn => Audience::AllOptedIn,
        Audience::Tags { tags } => {
            let tags = validate::tags("audience.tags", &tags)?;
            if tags.is_empty() {
                return Err(ApiError::invalid("audience.tags", "name at least one tag"));
            }
            Audience::Tags { tags }
        }
    };
    serde_json::to_value(&audience).map_err(|e| ApiError::Internal(Box::new(e)))
}

pub(super) fn quiet_time(field: &'static str, text: &str) -> Result<NaiveTime, ApiError> {
    let valid = text.len() == 5 && text.as_bytes().get(2) == Some(&b':');
    valid
        .then(|| NaiveTime::parse_from_str(text, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| ApiError::invalid(field, "must be a local time written HH:MM"))
}

pub(super) fn quiet_window(start: NaiveTime, end: NaiveTime) -> Result<(), ApiError> {
    if start == end {
        return Err(ApiError::invalid(
            "quiet_end",
            "quiet hours must not start and end at the same time",
        ));
    }
    Ok(())
}

pub(super) fn rate(value: i32) -> Result<i32, ApiError> {
    if (1..=1000).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid(
            "rate_per_second",
            "must be between 1 and 1000",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_times_must_be_written_hh_mm() {
        assert!(quiet_time("q", "21:00").is_ok());
        assert!(quiet_time("q", "9:00").is_err());
        assert!(quiet_time("q", "24:00").is_err());
        assert!(quiet_time("q", "21:00:00").is_err());
    }
}
