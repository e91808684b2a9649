//! Row ids as their own types, so `book(contact, slot)` cannot be called with
//! the two swapped and an appointment id never reaches a query about slots.
//!
//! Each is a `bigint` in the database (`ToSql`/`FromSql` with the `sql`
//! feature) and a plain integer in JSON (and in OpenAPI documents, where the
//! fields say `value_type = i64`). Must not be built from arbitrary
//! integers outside the boundaries that read them (rows, API paths, queues).

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// An id read at a boundary (a path, a queue message, a test fixture).
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        $crate::stored_as!($name as i64, |this| this.0, |raw| Ok(Self(raw)));
    };
}

id_type!(
    /// A row of `contacts`.
    ContactId
);
id_type!(
    /// A row of `availability_slots`.
    SlotId
);
id_type!(
    /// A row of `appointments`.
    AppointmentId
);
id_type!(
    /// A row of `messages`.
    MessageId
);
id_type!(
    /// A row of `campaigns`.
    CampaignId
);
id_type!(
    /// A row of `providers`.
    ProviderId
);
id_type!(
    /// A row of `handoffs`: a conversation handed to staff.
    HandoffId
);
id_type!(
    /// A row of `staff_alerts`: one alert to staff.
    StaffAlertId
);
id_type!(
    /// A row of `faq_entries`: one question of the business's FAQ.
    FaqEntryId
);
id_type!(
    /// A row of `services`: what a customer can book (a cleaning, a check-up).
    ServiceId
);
id_type!(
    /// A row of `closures`: time nobody (or one provider) can be booked.
    ClosureId
);
