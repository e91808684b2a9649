//! `smsbot`: the operator's command line.
//!
//! Parses arguments and dispatches to one module per command; each command wires
//! the shared crates and holds no business logic of its own.

mod commands;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "smsbot",
    version,
    about = "SMS appointment bot: operations and local tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the SQL migrations in migrations/ to DATABASE_URL.
    Migrate,
    /// Create availability slots from weekly business hours (idempotent).
    SeedAvailability(commands::seed::SeedArgs),
    /// Run the whole system in one local process (webhook + worker).
    Serve(commands::serve::ServeArgs),
    /// Text the local bot from the terminal (or from piped lines).
    Chat(commands::chat::ChatArgs),
    /// Dead-letter queues: move failed messages back once the cause is fixed.
    Dlq(commands::dlq::DlqArgs),
    /// Offline language understanding: parse messages or score it on labelled files.
    Nlu(commands::nlu::NluArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate => runtime()?.block_on(commands::migrate::run()),
        Command::SeedAvailability(args) => runtime()?.block_on(commands::seed::run(args)),
        Command::Serve(args) => runtime()?.block_on(commands::serve::run(args)),
        Command::Chat(args) => runtime()?.block_on(commands::chat::run(args)),
        Command::Dlq(args) => runtime()?.block_on(commands::dlq::run(args)),
        Command::Nlu(args) => commands::nlu::run(args),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
