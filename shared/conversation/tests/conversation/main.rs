//! The conversation worker's integration tests: one binary, one module per theme.

mod business_questions;
mod calendar_link;
mod dialogue;
mod faults;
mod fuzz;
mod handoff;
mod limits;
mod marketing_opt_in;
mod no_shows;
mod one_connection;
mod opt_out_in_words;
mod own_appointments;
mod parked;
mod poison;
mod races;
mod services;
mod short_answers;
mod started;
mod suite;
mod support;
mod waitlist;
