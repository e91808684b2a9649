//! Where a recipient may be: the timezones their local hours are read in.
//!
//! Owns the rule: the contact's own IANA zone when it is known; else, for a
//! North American (+1) number, every zone its area code covers (the generated
//! `nanp_timezones` table; a non-geographic or unknown area code may be
//! anywhere in the plan); else, when nothing is known, the business's zone.
//! Must not pick one zone out of several: the caller takes the window that
//! holds in all of them.

use chrono_tz::Tz;

use crate::nanp_timezones::{AREA_CODES, COUNTRY};

/// The zones a recipient may be in (never empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientZones {
    /// The contact's own timezone.
    Known(Tz),
    /// Inferred from a +1 number: its area code's zones, or every zone of the
    /// plan for a code that names no place.
    AreaCode(&'static [Tz]),
    /// Nothing is known: the business's timezone.
    Business(Tz),
}

impl RecipientZones {
    /// The zones of a contact with this stored timezone name (unparseable is
    /// unknown) and this E.164 number.
    pub fn resolve(timezone: Option<&str>, phone_e164: Option<&str>, business: Tz) -> Self {
        if let Some(tz) = timezone.and_then(|name| name.trim().parse::<Tz>().ok()) {
            return Self::Known(tz);
        }
        match phone_e164.and_then(nanp_area_code) {
            Some(code) => Self::AreaCode(area_code_zones(code).unwrap_or(COUNTRY)),
            None => Self::Business(business),
        }
    }

    pub fn zones(&self) -> &[Tz] {
        match self {
            Self::Known(tz) | Self::Business(tz) => std::slice::from_ref(tz),
            Self::AreaCode(zones) => zones,
        }
    }
}

/// The zones of a North American area code, when it names a place.
pub fn area_code_zones(area_code: u16) -> Option<&'static [Tz]> {
    AREA_CODES
        .binary_search_by_key(&area_code, |(code, _)| *code)
        .ok()
        .map(|i| AREA_CODES[i].1)
}

/// The area code of a +1 number in E.164 form (`+1` and ten digits).
fn nanp_area_code(e164: &str) -> Option<u16> {
    let digits = e164.trim().strip_prefix("+1")?;
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits[..3].parse().ok()
}

#[cfg(test)]
mod tests {
    use chrono_tz::America;

    use super::*;

    fn zones_of(phone: &str) -> Vec<Tz> {
        RecipientZones::resolve(None, Some(phone), America::Chicago)
            .zones()
            .to_vec()
    }

    #[test]
    fn a_single_zone_area_code_is_that_zone() {
        assert_eq!(zones_of("+12125550100"), [America::New_York]);
        assert_eq!(zones_of("+14155550100"), [America::Los_Angeles]);
        assert_eq!(zones_of("+18085550100"), [chrono_tz::Pacific::Honolulu]);
        assert_eq!(zones_of("+16045550100"), [America::Vancouver]);
    }

    #[test]
    fn an_area_code_split_between_zones_names_all_of_them() {
        // The Florida panhandle and western Kentucky straddle Central and Eastern.
        assert_eq!(
            zones_of("+18505550100"),
            [America::Chicago, America::New_York]
        );
        assert_eq!(
            zones_of("+12705550100"),
            [America::Chicago, America::New_York]
        );
    }

    #[test]
    fn a_toll_free_number_may_be_anywhere_in_the_plan() {
        let zones = zones_of("+18005550100");
        assert_eq!(zones, COUNTRY);
        assert!(zones.contains(&chrono_tz::Pacific::Guam));
        assert!(zones.contains(&America::St_Johns));
    }

    #[test]
    fn the_contacts_own_zone_wins_over_the_number() {
        let zones =
            RecipientZones::resolve(Some("Europe/Paris"), Some("+14155550100"), America::Chicago);
        assert_eq!(zones, RecipientZones::Known(chrono_tz::Europe::Paris));
        let garbled =
            RecipientZones::resolve(Some("Mars/Base"), Some("+14155550100"), America::Chicago);
        assert_eq!(garbled.zones(), [America::Los_Angeles]);
    }

    #[test]
    fn only_when_nothing_is_known_is_the_recipient_in_the_business_zone() {
        for phone in [Some("+442071234567"), Some("+1415555"), None] {
            assert_eq!(
                RecipientZones::resolve(None, phone, America::Chicago),
                RecipientZones::Business(America::Chicago),
                "{phone:?}"
            );
        }
    }

    #[test]
    fn the_generated_table_is_sorted_and_every_code_has_a_zone() {
        assert!(AREA_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(AREA_CODES.iter().all(|(code, zones)| {
            (200..1000).contains(code)
                && !zones.is_empty()
                && zones.iter().all(|z| COUNTRY.contains(z))
        }));
    }
}
