//! Checks on operator input that serde's types do not express.
//!
//! Owns text rules (trimmed, bounded, no control characters: PostgreSQL refuses
//! NUL and logs should never carry terminal escapes), timestamp bounds and tag
//! lists. Must not touch the database.

use chrono::{DateTime, Datelike, FixedOffset, Utc};

use crate::error::ApiError;

/// A trimmed, non-empty single-line text of at most `max` characters.
pub fn line(field: &'static str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// A message text: like `line`, but line breaks and tabs are allowed and
/// surrounding whitespace is kept.
pub fn message_text(field: &'static str, value: &str, max: usize) -> Result<String, ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(value.to_owned())
}

pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;

/// Tags: each a `line`, at most 50, duplicates dropped, order kept.
pub fn tags(field: &'static str, values: &[String]) -> Result<Vec<String>, ApiError> {
    if values.len() > MAX_TAGS {
        return Err(ApiError::invalid(
            field,
            format!("at most {MAX_TAGS} tags are allowed"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let tag = line(field, value, MAX_TAG_CHARS)?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// Timestamps are accepted between these years: wide enough for any schedule,
/// narrow enough for every system they travel through.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// A body timestamp (RFC 3339 with an offset) within the accepted years.
pub fn instant(
    field: &'static str,
    value: DateTime<FixedOffset>,
) -> Result<DateTime<Utc>, ApiError> {
    let utc = value.with_timezone(&Utc);
    if !YEARS.contains(&utc.year()) {
        return Err(ApiError::invalid(
            field,
            "must be between the years 1970 and 9999",
        ));
    }
    Ok(utc)
}

/// A query-string timestamp; out of range is a malformed request (400).
pub fn query_instant(
    name: &'static str,
    value: Option<DateTime<FixedOffset>>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|v| {
            instant(name, v).map_err(|_| {
                ApiError::bad_request(format!("{name} must be between the years 1970 and 9999"))
            })
        })
        .transpose()
}

/// An id given in a body or query; ids are positive.
pub fn positive_id(field: &'static str, value: i64) -> Result<i64, ApiError> {
    if value > 0 {
        Ok(value)
    } else {
        Err(ApiError::invalid(field, "must be a positive id"))
    }
}
