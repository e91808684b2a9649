//! The admin API's integration tests: one binary, one module per feature.

mod appointments;
mod auth;
mod availability;
mod business_profile;
mod campaign_rules;
mod campaigns;
mod consent;
mod contacts;
mod conversations;
mod fuzz;
mod health;
mod messages;
mod openapi;
mod routing;
mod support;
