//! `smsbot seed-availability`: slots from weekly business hours for the next weeks.
//!
//! Idempotent: slots that exist (same provider and start, or overlapping) are left
//! alone, so running it twice creates nothing new.

use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Args;
use smsbot_conversation::WeeklyHours;
use smsbot_store::availability;

/// The demo business's hours, when `BUSINESS_HOURS` is not set: what the local
/// process seeds and what the bot says it is open.
pub const LOCAL_HOURS: &str = "mon-fri 09:00-17:00; sat 10:00-14:00";

#[derive(Args)]
pub struct SeedArgs {
    /// Weekly opening hours, e.g. "mon-fri 09:00-17:00; sat 10:00-14:00".
    #[arg(long, env = "BUSINESS_HOURS", default_value = LOCAL_HOURS)]
    hours: String,
    /// How many weeks ahead, starting today.
    #[arg(long, default_value_t = 4)]
    weeks: u32,
    /// Length of one slot in minutes.
    #[arg(long, default_value_t = 30)]
    slot_minutes: i64,
    /// Appointments one slot holds.
    #[arg(long, default_value_t = 1)]
    capacity: i32,
    /// The provider the slots belong to.
    #[arg(long, default_value = "Front desk")]
    provider: String,
}

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let settings = smsbot_config::Settings::from_env()?;
    let hours = WeeklyHours::parse(&args.hours)?;
    let tz = settings.business_timezone.tz();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let slots = hours.slots(
        tz,
        today,
        args.weeks,
        Duration::minutes(args.slot_minutes),
        args.capacity,
    );
    let pool = smsbot_store::connect(settings.require_database_url()?, 1)?;
    let client = pool.get().await.context("connecting to the database")?;
    let provider = availability::ensure_provider(&client, &args.provider).await?;
    let created = availability::insert_missing(&client, provider, &slots).await?;
    println!(
        "{created} new slots ({} in the plan) for {} over {} weeks in {}",
        slots.len(),
        args.provider,
        args.weeks,
        tz.name()
    );
    Ok(())
}
