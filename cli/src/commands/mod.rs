//! One module per `smsbot` subcommand.

pub mod campaigns;
pub mod chat;
pub mod dlq;
pub mod migrate;
pub mod nlu;
pub mod seed;
pub mod serve;
