//! Appointments as iCalendar (RFC 5545) text.
//!
//! Owns what a calendar shows of an appointment: a UID that stays the same
//! for the appointment (`appointment-<id>@<host>`, so a subscribed calendar
//! updates the event instead of adding another), DTSTAMP, LAST-MODIFIED,
//! SUMMARY (in a provider's feed the service and the customer's first name;
//! in a customer's own file the service, the business and the provider),
//! STATUS, and start and end as local times of the business timezone
//! (`TZID`) with the `VTIMEZONE` that defines it for the span shown. The
//! `icalendar` crate writes the calendar and its events (escaping, line
//! folding, CRLF); `vtimezone` writes the one component it cannot. Must not
//! read anything (the caller passes the entries) nor show a phone number or
//! a customer's full name.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};
use smsbot_domain::AppointmentStatus;
use smsbot_store::calendars::CalendarEntry;

use super::vtimezone;

const PRODUCT_ID: &str = "-//smsbot//appointments//EN";
/// How often a subscribed calendar should fetch the feed again.
const REFRESH: Duration = Duration::hours(1);

/// What every calendar of this business shares.
#[derive(Debug, Clone, Copy)]
pub struct Rendering<'a> {
    /// The business timezone: events are local times of it.
    pub zone: Tz,
    /// The right-hand side of every UID (the public host).
    pub uid_host: &'a str,
    /// DTSTAMP: when this text was made.
    pub now: DateTime<Utc>,
}

impl Rendering<'_> {
    /// A provider's feed: `entries` (all within `[from, until)`) under
    /// `calendar_name`.
    pub fn provider_feed(
        &self,
        calendar_name: &str,
        entries: &[CalendarEntry],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> String {
        let events = entries.iter().map(|entry| {
            let summary = match &entry.customer_first_name {
                Some(first_name) => format!("{} - {first_name}", service(entry)),
                None => service(entry).to_owned(),
            };
            self.event(entry, &summary)
        });
        let last_end = entries.iter().map(|e| e.ends_at).max().unwrap_or(until);
        self.calendar(Some(calendar_name), events, from, until.max(last_end))
    }

    /// One appointment, for the customer who booked it at `business_name`.
    pub fn customer_event(&self, entry: &CalendarEntry, business_name: &str) -> String {
        let summary = match business_name.trim() {
            "" => service(entry).to_owned(),
            name => format!("{} at {name}", service(entry)),
        };
        let mut event = self.event(entry, &summary);
        event.description(&format!("With {}", entry.provider_name));
        // The span around the visit that its VTIMEZONE must cover.
        let from = entry.starts_at - Duration::days(1);
        let until = entry.ends_at + Duration::days(1);
        self.calendar(None, [event], from, until)
    }

    fn event(&self, entry: &CalendarEntry, summary: &str) -> Event {
        let status = match entry.status {
            AppointmentStatus::Cancelled => EventStatus::Cancelled,
            _ => EventStatus::Confirmed,
        };
        Event::new()
            .uid(&format!(
                "appointment-{}@{}",
                entry.appointment_id, self.uid_host
            ))
            .timestamp(self.now)
            .last_modified(entry.updated_at)
            .summary(summary)
            .starts(self.local(entry.starts_at))
            .ends(self.local(entry.ends_at))
            .status(status)
            .done()
    }

    fn local(&self, instant: DateTime<Utc>) -> CalendarDateTime {
        CalendarDateTime::WithTimezone {
            date_time: instant.with_timezone(&self.zone).naive_local(),
            tzid: self.zone.name().to_owned(),
        }
    }

    /// The calendar around `events`, with the VTIMEZONE for `[from, until]`.
    fn calendar(
        &self,
        name: Option<&str>,
        events: impl IntoIterator<Item = Event>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> String {
        let mut calendar = Calendar::empty();
        calendar
            .append_property(("VERSION", "2.0"))
            .append_property(("PRODID", PRODUCT_ID))
            .append_property(("CALSCALE", "GREGORIAN"))
            .append_property(("METHOD", "PUBLISH"));
        if let Some(name) = name {
            calendar.name(name).ttl(&REFRESH);
        }
        calendar.timezone(self.zone.name());
        let head = calendar.to_string();
        // The header's own END line goes after the components.
        let mut text = head
            .strip_suffix("END:VCALENDAR\r\n")
            .unwrap_or(&head)
            .to_owned();
        text.push_str(&vtimezone::component(self.zone, from, until));
        for event in events {
            text.push_str(&event.to_string());
        }
        text.push_str("END:VCALENDAR\r\n");
        text
    }
}

fn service(entry: &CalendarEntry) -> &str {
    entry.service_name.as_deref().unwrap_or("Appointment")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(first_name: Option<&str>) -> CalendarEntry {
        CalendarEntry {
            appointment_id: smsbot_domain::AppointmentId::new(7),
            status: AppointmentStatus::Booked,
            starts_at: "2027-03-15T13:00:00Z".parse().unwrap(),
            ends_at: "2027-03-15T13:30:00Z".parse().unwrap(),
            service_name: Some("Cut, colour; and \"style\"".to_owned()),
            provider_name: "Dana".to_owned(),
            customer_first_name: first_name.map(str::to_owned),
            updated_at: "2026-12-01T10:00:00Z".parse().unwrap(),
        }
    }

    fn rendering() -> Rendering<'static> {
        Rendering {
            zone: chrono_tz::America::New_York,
            uid_host: "example.com",
            now: "2026-12-02T01:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn an_event_is_local_time_with_its_zone_and_a_stable_uid() {
        let text = rendering().customer_event(&entry(None), "Salon");
        assert!(
            text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
            "{text}"
        );
        assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"), "{text}");
        assert!(
            text.contains("DTSTART;TZID=America/New_York:20270315T090000\r\n"),
            "{text}"
        );
        assert!(text.contains("UID:appointment-7@example.com\r\n"), "{text}");
        assert!(text.contains("STATUS:CONFIRMED\r\n"), "{text}");
        assert!(text.contains("SUMMARY:Cut\\, colour\\; and \"style\" at Salon\r\n"));
        assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1, "{text}");
        assert!(text.split("\r\n").all(|line| line.len() <= 75), "{text}");
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_between_characters() {
        let business = "Salon Été ".repeat(12);
        let text = rendering().customer_event(&entry(None), &business);
        assert!(text.split("\r\n").all(|line| line.len() <= 75), "{text}");
        assert!(
            text.replace("\r\n ", "").contains(business.trim()),
            "{text}"
        );
    }

    #[test]
    fn the_feed_shows_the_first_name_and_a_cancelled_visit_as_cancelled() {
        let mut cancelled = entry(Some("Ana"));
        cancelled.status = AppointmentStatus::Cancelled;
        let text = rendering().provider_feed(
            "Dana",
            &[cancelled],
            "2027-03-01T00:00:00Z".parse().unwrap(),
            "2027-04-01T00:00:00Z".parse().unwrap(),
        );
        assert!(
            text.contains("SUMMARY:Cut\\, colour\\; and \"style\" - Ana\r\n"),
            "{text}"
        );
        assert!(text.contains("STATUS:CANCELLED\r\n"), "{text}");
        assert!(text.contains("X-WR-CALNAME:Dana\r\n"), "{text}");
    }
}
