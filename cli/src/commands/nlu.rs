//! `smsbot nlu parse` and `smsbot nlu eval`.
//!
//! `parse` turns JSON lines on stdin into one JSON answer per line, in order.
//! `eval` scores labelled files and exits non-zero below the thresholds given as
//! flags, so CI can hold the line.

use std::io::{BufWriter, stdin, stdout};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use smsbot_nlu::eval::{self, EvalOptions, Thresholds};

#[derive(Args)]
pub struct NluArgs {
    #[command(subcommand)]
    command: NluCommand,
}

#[derive(Subcommand)]
enum NluCommand {
    /// Read {"text","now","timezone"} JSON lines on stdin, write one answer line each.
    Parse,
    /// Score files of labelled messages (format: testdata/nlu README) and print a table.
    Eval(EvalArgs),
}

#[derive(Args)]
struct EvalArgs {
    /// Labelled JSON-lines files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Fail below this intent accuracy (0..1).
    #[arg(long, default_value_t = 0.0)]
    min_intent: f64,
    /// Fail below this date accuracy (0..1).
    #[arg(long, default_value_t = 0.0)]
    min_date: f64,
    /// Fail below this time accuracy (0..1).
    #[arg(long, default_value_t = 0.0)]
    min_time: f64,
    /// Fail above this date or time false-positive rate (0..1).
    #[arg(long, default_value_t = 1.0)]
    max_false_positive: f64,
    /// Fail below this many messages per second.
    #[arg(long, default_value_t = 0.0)]
    min_throughput: f64,
    /// Confidence below which the hybrid policy would ask the LLM (counted, not called).
    #[arg(long, default_value_t = smsbot_nlu::DEFAULT_LLM_THRESHOLD)]
    llm_threshold: f32,
}

pub fn run(args: NluArgs) -> anyhow::Result<()> {
    match args.command {
        NluCommand::Parse => {
            eval::parse_lines(stdin().lock(), BufWriter::new(stdout().lock()))
                .context("reading messages from stdin")?;
            Ok(())
        }
        NluCommand::Eval(args) => evaluate(args),
    }
}

fn evaluate(args: EvalArgs) -> anyhow::Result<()> {
    let report = eval::evaluate_with(
        &args.files,
        EvalOptions {
            llm_threshold: args.llm_threshold,
        },
    )?;
    print!("{}", report.render_table());
    let failures = report.failures(&Thresholds {
        min_intent: args.min_intent,
        min_date: args.min_date,
        min_time: args.min_time,
        max_false_positive: args.max_false_positive,
        min_throughput: args.min_throughput,
    });
    if failures.is_empty() {
        return Ok(());
    }
    for failure in &failures {
        eprintln!("below threshold: {failure}");
    }
    anyhow::bail!("{} NLU threshold(s) not met", failures.len())
}
