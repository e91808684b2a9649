//! Appointments' stored vocabulary. Which changes are allowed lives with the
//! scheduling engine in the store (it needs the row locks); the words live here
//! so the store, the conversation and the admin API share one spelling.

crate::text_enum! {
    /// Where an appointment stands (`appointments.status`).
    pub enum AppointmentStatus {
        Booked => "booked",
        Cancelled => "cancelled",
        Completed => "completed",
        NoShow => "no_show",
    }
}
