//! Whether a claimed message may go now, and how.
//!
//! Replies answer the contact's own text: any hour. Reminders and reminder
//! campaigns: outside their quiet hours in the contact's zone (the business's
//! when unknown). Marketing texts (broadcasts): the domain's `MarketingRules`
//! with the contact's marketing texts counted afresh at this moment, in every
//! zone the recipient may be in, and a validity period that ends when their
//! window closes. Must not send or record anything: `deliver` does.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use smsbot_domain::marketing::LimitReason;
use smsbot_domain::{MarketingRules, MarketingVerdict, QuietHours, RecipientZones};
use smsbot_store::outbound::{ClaimedSend, SendKind};
use smsbot_store::{Pool, StoreError, marketing};

use crate::port::SendOptions;

/// What the moment allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Moment {
    /// Send now with these options; `marketing` when it counts against the cap.
    Now {
        options: SendOptions,
        marketing: bool,
    },
    /// Not before this instant.
    Later(DateTime<Utc>),
    /// Never: a marketing limit stops it.
    Never(LimitReason),
}

pub(crate) async fn moment(
    pool: &Pool,
    rules: &MarketingRules,
    business: Tz,
    claimed: &ClaimedSend,
    now: DateTime<Utc>,
) -> Result<Moment, StoreError> {
    let quiet = match claimed.kind {
        SendKind::Reply => {
            return Ok(Moment::Now {
                options: SendOptions::default(),
                marketing: false,
            });
        }
        SendKind::Initiated => QuietHours::default(),
        SendKind::Campaign { quiet } => {
            let since = rules.counts_since(now);
            if let Some(already) = marketing::message(pool, claimed.id, since).await? {
                let zones = RecipientZones::resolve(
                    claimed.timezone.as_deref(),
                    Some(&claimed.to_e164),
                    business,
                );
                return Ok(marketing_moment(rules.verdict(now, quiet, &zones, already)));
            }
            quiet
        }
    };
    let tz = claimed
        .timezone
        .as_deref()
        .and_then(|name| name.trim().parse::<Tz>().ok())
        .unwrap_or(business);
    Ok(if quiet.is_quiet(now, tz) {
        Moment::Later(quiet.next_allowed(now, tz))
    } else {
        Moment::Now {
            options: SendOptions::default(),
            marketing: false,
        }
    })
}

fn marketing_moment(verdict: MarketingVerdict) -> Moment {
    match verdict {
        MarketingVerdict::Send { valid_for } => Moment::Now {
            options: SendOptions {
                valid_for: valid_for.to_std().ok(),
            },
            marketing: true,
        },
        MarketingVerdict::Wait(at) => Moment::Later(at),
        MarketingVerdict::Skip(reason) => Moment::Never(reason),
    }
}
