//! `smsbot chat`: text the local bot from the terminal.
//!
//! Each line is sent to the local webhook signed like Twilio signs it, and the
//! bot's replies are printed before the next line is read, so a conversation can
//! also be piped in (one message a line).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use smsbot_twilio::{AuthToken, RequestValidator};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::serve::LOCAL_AUTH_TOKEN;

#[derive(Args)]
pub struct ChatArgs {
    /// The customer's number you text from.
    #[arg(long, default_value = "+15555550123")]
    from: String,
    /// The business number you text to.
    #[arg(long, default_value = "+15555550100")]
    to: String,
    /// Port of the local process (`smsbot serve`).
    #[arg(long, env = "PORT", default_value_t = 8000)]
    port: u16,
    /// How long to wait for a reply, in seconds.
    #[arg(long, default_value_t = 10)]
    wait: u64,
}

pub async fn run(args: ChatArgs) -> anyhow::Result<()> {
    smsbot_domain::PhoneNumber::parse_e164(&args.from)
        .context("--from must be E.164, like +15555550123")?;
    let local = format!("http://127.0.0.1:{}", args.port);
    let public = std::env::var("PUBLIC_BASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| local.clone());
    let token = std::env::var("TWILIO_AUTH_TOKEN")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| LOCAL_AUTH_TOKEN.to_owned());
    let token = AuthToken::new(token)?;
    let http = reqwest::Client::new();
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        println!(
            "Texting the bot at {local} as {} (Ctrl-D to quit).",
            args.from
        );
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        if interactive {
            use std::io::Write;
            print!("you> ");
            std::io::stdout().flush()?;
        }
        let Some(line) = lines.next_line().await? else {
            break;
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if !interactive {
            println!("you> {text}");
        }
        let params: Vec<(String, String)> = [
            ("MessageSid", format!("SM{}", uuid::Uuid::new_v4().simple())),
            ("AccountSid", format!("AC{}", "0".repeat(32))),
            ("From", args.from.clone()),
            ("To", args.to.clone()),
            ("Body", text.to_owned()),
            ("NumMedia", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let signature =
            RequestValidator::sign_form(&token, &format!("{public}/webhooks/sms/inbound"), &params);
        let response = http
            .post(format!("{local}/webhooks/sms/inbound"))
            .header("x-twilio-signature", signature)
            .form(&params)
            .send()
            .await
            .with_context(|| format!("is `smsbot serve` running on {local}?"))?;
        if !response.status().is_success() {
            println!("bot!> the webhook answered {}", response.status());
            continue;
        }
        let replies =
            wait_for_replies(&http, &local, &args.from, Duration::from_secs(args.wait)).await?;
        if replies.is_empty() {
            println!("bot> (no reply)");
        }
        for reply in replies {
            println!("bot> {reply}");
        }
    }
    Ok(())
}

/// Polls the local outbox until a reply arrives (then briefly for more) or `wait` ends.
async fn wait_for_replies(
    http: &reqwest::Client,
    local: &str,
    to: &str,
    wait: Duration,
) -> anyhow::Result<Vec<String>> {
    let started = Instant::now();
    let mut replies: Vec<String> = Vec::new();
    let mut quiet_since: Option<Instant> = None;
    while started.elapsed() < wait {
        let batch: Vec<String> = http
            .get(format!("{local}/local/outbox"))
            .query(&[("to", to)])
            .send()
            .await?
            .json()
            .await
            .context("the local outbox (is `smsbot serve` using the console sender?)")?;
        if batch.is_empty() {
            if quiet_since.is_some_and(|t| t.elapsed() > Duration::from_millis(300)) {
                break;
            }
        } else {
            replies.extend(batch);
            quiet_since = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(replies)
}
