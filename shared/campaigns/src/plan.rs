//! The dispatch planner: for each due recipient, send now, defer to the next
//! allowed minute of their quiet hours, or skip. A marketing campaign's
//! recipients are planned by the marketing rules (the legal window on top of
//! the campaign's own, in every zone their number may be in; the frequency
//! cap). Pure: the dispatcher reads the recipients and writes the decisions;
//! this only decides.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use smsbot_domain::marketing::LimitReason;
use smsbot_domain::{ContactId, MarketingRules, MarketingVerdict, RecipientZones};
use smsbot_store::campaign_recipients::{DueRecipient, Reachability};
use smsbot_store::marketing::Recipient;

use crate::quiet::QuietHours;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// Quiet hours where the contact is: pending until this instant.
    Defer(DateTime<Utc>),
    SkipConsent,
    InvalidNumber,
    /// A marketing limit stops it for good.
    SkipLimit(LimitReason),
}

/// Resolves contacts' zone names, falling back to the business timezone for a
/// missing or unknown name, parsing each distinct name once.
pub struct Zones {
    business: Tz,
    parsed: HashMap<String, Tz>,
}

impl Zones {
    pub fn new(business: Tz) -> Self {
        Self {
            business,
            parsed: HashMap::new(),
        }
    }

    pub fn of(&mut self, name: Option<&str>) -> Tz {
        let Some(name) = name else {
            return self.business;
        };
        if let Some(tz) = self.parsed.get(name) {
            return *tz;
        }
        let tz = name.trim().parse::<Tz>().unwrap_or(self.business);
        self.parsed.insert(name.to_owned(), tz);
        tz
    }
}

/// One recipient's decision at `now`.
pub fn decide(
    reachability: Reachability,
    tz: Tz,
    now: DateTime<Utc>,
    quiet: &QuietHours,
) -> Decision {
    match reachability {
        Reachability::OptedOut | Reachability::Erased => Decision::SkipConsent,
        Reachability::InvalidNumber => Decision::InvalidNumber,
        Reachability::Reachable if quiet.is_quiet(now, tz) => {
            Decision::Defer(quiet.next_allowed(now, tz))
        }
        Reachability::Reachable => Decision::Send,
    }
}

/// Decisions for a page of due recipients, in order.
pub fn plan(
    recipients: &[DueRecipient],
    now: DateTime<Utc>,
    quiet: &QuietHours,
    zones: &mut Zones,
) -> Vec<(ContactId, Decision)> {
    recipients
        .iter()
        .map(|r| {
            let tz = zones.of(r.timezone.as_deref());
            (r.contact_id, decide(r.reachability, tz, now, quiet))
        })
        .collect()
}

/// Decisions for a page of due recipients of a marketing campaign, in order:
/// `known` has what the marketing rules need about each contact (a contact
/// missing from it is planned with nothing known).
pub fn plan_marketing(
    recipients: &[DueRecipient],
    now: DateTime<Utc>,
    quiet: &QuietHours,
    rules: &MarketingRules,
    business: Tz,
    known: &HashMap<ContactId, Recipient>,
) -> Vec<(ContactId, Decision)> {
    recipients
        .iter()
        .map(|r| {
            let decision = match r.reachability {
                Reachability::Reachable => {
                    let facts = known.get(&r.contact_id);
                    let zones = RecipientZones::resolve(
                        facts.and_then(|f| f.timezone.as_deref()),
                        facts.and_then(|f| f.phone.as_deref()),
                        business,
                    );
                    let already = facts.map_or(0, |f| f.marketing_sent);
                    match rules.verdict(now, *quiet, &zones, already) {
                        MarketingVerdict::Send { .. } => Decision::Send,
                        MarketingVerdict::Wait(at) => Decision::Defer(at),
                        MarketingVerdict::Skip(reason) => Decision::SkipLimit(reason),
                    }
                }
                other => decide(other, business, now, quiet),
            };
            (r.contact_id, decision)
        })
        .collect()
}

/// The SQS delay that spreads `index` sends of one tick at `rate` per second.
pub fn pacing_delay(index: usize, rate_per_second: i32, tick_seconds: i64) -> i32 {
    let rate = rate_per_second.max(1) as usize;
    let cap = (tick_seconds.clamp(1, 900) - 1) as usize;
    (index / rate).min(cap) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_zone_name_falls_back_to_the_business_zone() {
        let business: Tz = "America/Chicago".parse().unwrap();
        let mut zones = Zones::new(business);
        assert_eq!(zones.of(Some("Mars/Olympus")), business);
        assert_eq!(zones.of(None), business);
        assert_eq!(zones.of(Some("Europe/Paris")), chrono_tz::Europe::Paris);
    }

    #[test]
    fn opted_out_contacts_are_skipped_even_in_quiet_hours() {
        let now: DateTime<Utc> = "2026-03-02T05:00:00Z".parse().unwrap();
        let q = QuietHours::default();
        let tz = chrono_tz::America::New_York;
        assert_eq!(
            decide(Reachability::OptedOut, tz, now, &q),
            Decision::SkipConsent
        );
        assert!(matches!(
            decide(Reachability::Reachable, tz, now, &q),
            Decision::Defer(_)
        ));
    }

    fn due(contact: i64) -> DueRecipient {
        DueRecipient {
            contact_id: ContactId::new(contact),
            due_at: "2026-03-02T00:00:00Z".parse().unwrap(),
            timezone: None,
            reachability: Reachability::Reachable,
        }
    }

    fn known(phone: &str, marketing_sent: i64) -> Recipient {
        Recipient {
            phone: Some(phone.to_owned()),
            timezone: None,
            marketing_sent,
        }
    }

    #[test]
    fn a_marketing_recipient_is_planned_in_the_zones_of_their_area_code_and_by_the_cap() {
        // 08:30 in New York: 05:30 in Los Angeles.
        let now: DateTime<Utc> = "2026-03-02T13:30:00Z".parse().unwrap();
        let quiet = QuietHours::new(chrono::NaiveTime::MIN, chrono::NaiveTime::MIN);
        let rules = MarketingRules::default();
        let facts = HashMap::from([
            (ContactId::new(1), known("+12125550101", 0)),
            (ContactId::new(2), known("+14155550102", 0)),
            (ContactId::new(3), known("+12125550103", 4)),
        ]);
        let decisions = plan_marketing(
            &[due(1), due(2), due(3)],
            now,
            &quiet,
            &rules,
            chrono_tz::America::New_York,
            &facts,
        );
        assert_eq!(decisions[0].1, Decision::Send);
        assert_eq!(
            decisions[1].1,
            Decision::Defer("2026-03-02T16:00:00Z".parse().unwrap())
        );
        assert!(matches!(
            decisions[2].1,
            Decision::SkipLimit(LimitReason::FrequencyCap(_))
        ));
    }

    #[test]
    fn pacing_spreads_a_tick_at_the_rate_and_stays_inside_it() {
        assert_eq!(pacing_delay(0, 2, 60), 0);
        assert_eq!(pacing_delay(5, 2, 60), 2);
        assert_eq!(pacing_delay(10_000, 1, 60), 59);
    }
}
