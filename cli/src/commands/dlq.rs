//! `smsbot dlq redrive`: put dead-lettered messages back on their queue.
//!
//! For after an outage is fixed: the messages that exhausted their retries go back
//! to the queue they came from, in their original FIFO groups.

use clap::{Args, Subcommand};
use smsbot_aws::SqsQueue;

#[derive(Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(Subcommand)]
enum DlqCommand {
    /// Move messages from a dead-letter queue back to its source queue.
    Redrive {
        /// URL of the dead-letter queue.
        #[arg(long)]
        from: String,
        /// URL of the queue to put them back on.
        #[arg(long)]
        to: String,
        /// Move at most this many.
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

pub async fn run(args: DlqArgs) -> anyhow::Result<()> {
    let DlqCommand::Redrive { from, to, max } = args.command;
    let sdk = smsbot_aws::sdk_config().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let moved = SqsQueue::new(client.clone(), to)
        .redrive_from(&SqsQueue::new(client, from), max)
        .await?;
    println!("moved {moved} messages back");
    Ok(())
}
