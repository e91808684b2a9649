//! The admin API's integration tests: one binary, one module per feature.

mod appointments;
mod auth;
mod availability;
mod business_profile;
mod calendars;
mod campaign_rules;
mod campaigns;
mod closures;
mod consent;
mod contacts;
mod conversations;
mod front_desk;
mod front_desk_race;
mod fuzz;
mod health;
mod messages;
mod openapi;
mod providers;
mod routing;
mod services;
mod support;
mod waitlist;
mod working_hours;
