//! Cursor pagination shared by every list.
//!
//! Owns the `limit`/`cursor` query parameters, the `{"items", "next_cursor"}` page
//! shape and the cursor encoding. A cursor is opaque to clients (base64url of the
//! last item's sort key), so the ordering can change without breaking them. Must
//! not know what is being listed: each list says which key it sorts by.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return (1 to 200; 50 when absent).
    #[param(minimum = 1, maximum = 200, value_type = Option<i64>)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; absent for the first page.
    #[param(value_type = Option<String>)]
    pub cursor: Option<String>,
}

/// One page of a list, in the list's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A list's sort key, as carried by a cursor.
pub trait CursorKey: Sized {
    fn to_text(&self) -> String;
    fn from_text(text: &str) -> Option<Self>;
}

/// Row ids a list can be ordered by.
pub trait ListId: Copy {
    fn from_raw(raw: i64) -> Self;
    fn raw(self) -> i64;
}

macro_rules! list_id {
    ($($id:ty),+) => {$(
        impl ListId for $id {
            fn from_raw(raw: i64) -> Self {
                <$id>::new(raw)
            }

            fn raw(self) -> i64 {
                self.get()
            }
        }
    )+};
}

list_id!(
    smsbot_domain::ContactId,
    smsbot_domain::SlotId,
    smsbot_domain::AppointmentId,
    smsbot_domain::CampaignId,
    smsbot_domain::MessageId,
    smsbot_domain::HandoffId
);

/// Lists in id order.
impl<I: ListId> CursorKey for I {
    fn to_text(&self) -> String {
        format!("i:{}", self.raw())
    }

    fn from_text(text: &str) -> Option<Self> {
        text.strip_prefix("i:")?.parse().ok().map(I::from_raw)
    }
}

/// Lists in time order, ties broken by id.
impl<I: ListId> CursorKey for (DateTime<Utc>, I) {
    fn to_text(&self) -> String {
        format!("t:{}:{}", self.0.timestamp_micros(), self.1.raw())
    }

    fn from_text(text: &str) -> Option<Self> {
        let (micros, id) = text.strip_prefix("t:")?.split_once(':')?;
        let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        Some((at, I::from_raw(id.parse().ok()?)))
    }
}

/// What a handler asks the store for: `limit + 1` rows after `after`, so it
/// knows whether another page follows.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<K> {
    pub limit: i64,
    pub after: Option<K>,
}

impl<K> PageRequest<K> {
    /// The number of rows to fetch.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

impl PageParams {
    pub fn resolve<K: CursorKey>(&self) -> Result<PageRequest<K>, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let after = self
            .cursor
            .as_deref()
            .map(|cursor| {
                URL_SAFE_NO_PAD
                    .decode(cursor)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|text| K::from_text(&text))
                    .ok_or_else(|| ApiError::bad_request("cursor is not a cursor this list gave"))
            })
            .transpose()?;
        Ok(PageRequest { limit, after })
    }
}

/// Builds the page from up to `limit + 1` rows.
pub fn page<T, K: CursorKey>(
    mut items: Vec<T>,
    request: &PageRequest<K>,
    key: impl Fn(&T) -> K,
) -> Page<T> {
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items
            .last()
            .map(|last| URL_SAFE_NO_PAD.encode(key(last).to_text()))
    } else {
        None
    };
    Page { items, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_cursor_reads_back_the_same_key() {
        let key = (
            DateTime::from_timestamp_micros(1_767_000_000_123_456).unwrap(),
            smsbot_domain::SlotId::new(42),
        );
        assert_eq!(
            <(DateTime<Utc>, smsbot_domain::SlotId)>::from_text(&key.to_text()),
            Some(key)
        );
    }

    #[test]
    fn an_id_cursor_is_not_a_time_cursor() {
        let id = smsbot_domain::ContactId::new(7);
        assert_eq!(
            <(DateTime<Utc>, smsbot_domain::ContactId)>::from_text(&id.to_text()),
            None
        );
    }
}
