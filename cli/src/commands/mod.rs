//! One module per `smsbot` subcommand.

pub mod migrate;
pub mod nlu;
