//! Reading a campaign's stored audience (`{"type":"all_opted_in"}`,
//! `{"type":"tags","tags":[...]}` or `{"type":"appointments_between","from":…,"to":…}`)
//! into the store's filter. Pure: no I/O.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use smsbot_store::campaign_recipients::AudienceFilter;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudienceError {
    #[error("unreadable audience: {0}")]
    Unreadable(String),
    #[error("an audience of tags must name at least one tag")]
    NoTags,
    #[error("an appointment range must end after it starts")]
    EmptyRange,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Stored {
    AllOptedIn,
    Tags {
        tags: Vec<String>,
    },
    AppointmentsBetween {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

pub fn parse(audience: &serde_json::Value) -> Result<AudienceFilter, AudienceError> {
    let stored: Stored = serde_json::from_value(audience.clone())
        .map_err(|e| AudienceError::Unreadable(e.to_string()))?;
    match stored {
        Stored::AllOptedIn => Ok(AudienceFilter::AllOptedIn),
        Stored::Tags { tags } if tags.is_empty() => Err(AudienceError::NoTags),
        Stored::Tags { tags } => Ok(AudienceFilter::Tags(tags)),
        Stored::AppointmentsBetween { from, to } if to <= from => Err(AudienceError::EmptyRange),
        Stored::AppointmentsBetween { from, to } => {
            Ok(AudienceFilter::AppointmentsBetween { from, to })
        }
    }
}

/// The appointment range of an audience, when it has one.
pub fn appointment_range(audience: &serde_json::Value) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    match parse(audience) {
        Ok(AudienceFilter::AppointmentsBetween { from, to }) => Some((from, to)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_admin_apis_shapes_are_read() {
        assert_eq!(
            parse(&json!({"type": "all_opted_in"})),
            Ok(AudienceFilter::AllOptedIn)
        );
        assert_eq!(
            parse(&json!({"type": "tags", "tags": ["vip"]})),
            Ok(AudienceFilter::Tags(vec!["vip".to_owned()]))
        );
        assert!(parse(&json!({"type": "tags", "tags": []})).is_err());
        assert!(parse(&json!({"type": "everyone"})).is_err());
    }
}
