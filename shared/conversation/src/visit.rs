//! What a visit is for and with whom: the service and the provider a customer
//! names in their own words ("a cleaning", "checkup w/ dr lee", "anyone is
//! fine"), read against the business's catalog of active services and
//! providers, and what the conversation remembers of them between turns.
//!
//! Owns the matching (words, not the NLU: names are the business's own and
//! change without a model being retrained) and the `Visit` kept in the
//! conversation's stored state. Must not read the database itself: the
//! dialogue loads the catalog and passes it in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smsbot_domain::{ProviderId, ServiceId};

/// The service and provider chosen so far in this conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceId>,
    /// `None`: anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
    /// The time last asked for that had nothing open: what "waitlist" means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// A service as the conversation names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedService {
    pub id: ServiceId,
    pub name: String,
    /// How long the visit takes, to tell services apart when asked.
    pub minutes: i32,
}

/// A provider as the conversation names it, with what they offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedProvider {
    pub id: ProviderId,
    pub name: String,
    pub services: Vec<ServiceId>,
}

/// The active services offered by an active provider, and the active providers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub services: Vec<NamedService>,
    pub providers: Vec<NamedProvider>,
    /// Names of providers who are not active (on leave, gone): a customer
    /// who asks for one is told, not silently given someone else.
    pub away: Vec<String>,
}

/// What a message says about the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderWish {
    Named(ProviderId),
    /// "Anyone is fine", "no preference".
    Anyone,
    Unsaid,
}

/// Words that say any provider will do.
const ANYONE: &[&str] = &[
    "anyone",
    "any one",
    "anybody",
    "whoever",
    "no preference",
    "dont care",
    "don't care",
    "doesnt matter",
    "doesn't matter",
    "either is fine",
    "either one",
    "whoevers free",
    "whoever's free",
    "any provider",
    "any doctor",
];

/// Titles that are not part of what customers call a provider.
const TITLES: &[&str] = &["dr", "doctor", "mr", "mrs", "ms", "miss", "prof", "nurse"];

impl Catalog {
    /// Whether the customer must say what the visit is for.
    pub fn offers_a_choice_of_service(&self) -> bool {
        self.services.len() > 1
    }

    pub fn service(&self, id: ServiceId) -> Option<&NamedService> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn provider(&self, id: ProviderId) -> Option<&NamedProvider> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// How many active providers could serve `service` (any service: all).
    pub fn providers_for(&self, service: Option<ServiceId>) -> usize {
        self.providers
            .iter()
            .filter(|p| service.is_none_or(|s| p.services.contains(&s)))
            .count()
    }

    /// The one service the text names, if it names exactly one.
    pub fn service_named(&self, text: &str) -> Option<ServiceId> {
        match self.services_named(text).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Every service the text names.
    pub fn services_named(&self, text: &str) -> Vec<ServiceId> {
        let words = words(text);
        self.services
            .iter()
            .filter(|s| names(&words, &s.name, &self.services))
            .map(|s| s.id)
            .collect()
    }

    /// The text with each word naming a service written "appointment", so
    /// "when is my checkup again?" reads as a question about one's own
    /// appointments.
    pub fn generic(&self, text: &str) -> String {
        let words = words(text);
        words
            .iter()
            .map(|w| {
                let one = std::slice::from_ref(w);
                if self
                    .services
                    .iter()
                    .any(|s| names(one, &s.name, &self.services))
                {
                    "appointment"
                } else {
                    w.as_str()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether `provider` offers `service`.
    pub fn offers(&self, provider: ProviderId, service: ServiceId) -> bool {
        self.provider(provider)
            .is_some_and(|p| p.services.contains(&service))
    }

    /// The provider who is not active that the text names, when it names
    /// no active one ("checkup with dr kim" while Dr. Kim is away).
    pub fn away_named(&self, text: &str) -> Option<&str> {
        if self.provider_wished(text) != ProviderWish::Unsaid {
            return None;
        }
        let words = words(text);
        self.away
            .iter()
            .find(|name| names_person(&words, name))
            .map(String::as_str)
    }

    /// What the text says about the provider.
    pub fn provider_wished(&self, text: &str) -> ProviderWish {
        let lower = text.to_lowercase().replace(['’', '‘'], "'");
        let words = words(text);
        let named: Vec<ProviderId> = self
            .providers
            .iter()
            .filter(|p| names_person(&words, &p.name))
            .map(|p| p.id)
            .collect();
        if let [one] = named.as_slice() {
            return ProviderWish::Named(*one);
        }
        if ANYONE.iter().any(|a| contains_phrase(&lower, a)) {
            return ProviderWish::Anyone;
        }
        ProviderWish::Unsaid
    }
}

impl Visit {
    /// This visit with what `text` adds: a service it names, a provider it
    /// names (or "anyone", which forgets the one named before).
    pub fn updated_by(&self, catalog: &Catalog, text: &str) -> Visit {
        let service = catalog.service_named(text).or(self.service);
        let provider = match catalog.provider_wished(text) {
            ProviderWish::Named(p) => Some(p),
            ProviderWish::Anyone => None,
            ProviderWish::Unsaid => self.provider,
        };
        Visit {
            service,
            provider,
            window: self.window,
        }
    }
}

/// The visit kept beside the state in the conversation's stored payload
/// (none in a payload from before visits were kept).
pub fn stored_in(payload: &serde_json::Value) -> Visit {
    payload
        .get(PAYLOAD_KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// Keeps `visit` in the stored payload, beside the state's own fields.
pub fn store_in(payload: &mut serde_json::Value, visit: &Visit) {
    if *visit == Visit::default() {
        return;
    }
    if let (Some(object), Ok(value)) = (payload.as_object_mut(), serde_json::to_value(visit)) {
        object.insert(PAYLOAD_KEY.to_owned(), value);
    }
}

/// The payload key; the state's tag and fields never use it.
const PAYLOAD_KEY: &str = "visit";

/// Lower-case words of letters and digits ("Check-up" → "check", "up").
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains_phrase(lower: &str, phrase: &str) -> bool {
    lower.match_indices(phrase).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether `words` name the service `name`: all its words in a row, or
/// written as one ("checkup", "check up", "check-up"), or its one
/// distinctive long word ("whitening" for "Teeth whitening"); a plural or a
/// single typo in a long word still counts.
fn names(words: &[String], name: &str, all: &[NamedService]) -> bool {
    let own = self::words(name);
    if own.is_empty() {
        return false;
    }
    let joined = own.concat();
    let longest = own.len().max(2);
    let said_as_name = (1..=longest)
        .flat_map(|n| words.windows(n).map(<[String]>::concat))
        .any(|span| same_word(&span, &joined));
    if said_as_name {
        return true;
    }
    // One long word of the name that no other service shares.
    own.iter().filter(|w| w.len() >= 5).any(|w| {
        let shared = all
            .iter()
            .filter(|s| s.name != name)
            .any(|s| self::words(&s.name).iter().any(|o| o == w));
        !shared && words.iter().any(|t| same_word(t, w))
    })
}

/// Whether `words` name the person `name`: one of its words that is not a
/// title and has at least three letters ("lee" for "Dr. Lee").
fn names_person(words: &[String], name: &str) -> bool {
    self::words(name)
        .iter()
        .filter(|w| w.len() >= 3 && !TITLES.contains(&w.as_str()))
        .any(|w| {
            words
                .iter()
                .any(|t| t == w || (w.len() >= 5 && same_word(t, w)))
        })
}

/// Equal, or a plural, or (for five letters or more) one edit apart: a
/// letter changed, added, dropped, or two neighbours swapped.
fn same_word(said: &str, name: &str) -> bool {
    if said == name || said.strip_suffix('s') == Some(name) {
        return true;
    }
    name.chars().count() >= 5 && one_edit_apart(said, name)
}

fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let differ: Vec<usize> = (0..short.len()).filter(|&i| short[i] != long[i]).collect();
            match differ.as_slice() {
                [_] => true,
                // Two neighbours swapped: "cleanign".
                [a, b] => *b == a + 1 && short[*a] == long[*b] && short[*b] == long[*a],
                _ => false,
            }
        }
        1 => {
            let first = short.iter().zip(&long).take_while(|(x, y)| x == y).count();
            short[first..] == long[first + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clinic() -> Catalog {
        let cleaning = ServiceId::new(1);
        let check_up = ServiceId::new(2);
        let whitening = ServiceId::new(3);
        Catalog {
            services: vec![
                NamedService {
                    id: check_up,
                    name: "Check-up".to_owned(),
                    minutes: 60,
                },
                NamedService {
                    id: cleaning,
                    name: "Cleaning".to_owned(),
                    minutes: 30,
                },
                NamedService {
                    id: whitening,
                    name: "Teeth whitening".to_owned(),
                    minutes: 90,
                },
            ],
            providers: vec![
                NamedProvider {
                    id: ProviderId::new(10),
                    name: "Dr. Lee".to_owned(),
                    services: vec![cleaning, check_up],
                },
                NamedProvider {
                    id: ProviderId::new(11),
                    name: "Dr. Maria Kim".to_owned(),
                    services: vec![cleaning, whitening],
                },
            ],
            away: vec!["Dr. Patel".to_owned()],
        }
    }

    #[test]
    fn a_service_is_named_however_customers_write_it() {
        let catalog = clinic();
        for (text, id) in [
            ("cleaning", 1),
            ("can i get a cleaning tmrw at 3", 1),
            ("Cleanings?", 1),
            ("cleanig pls", 1),
            ("CLEANIGN 🙏", 1),
            ("checkup", 2),
            ("check up w dr lee", 2),
            ("Check-Up", 2),
            ("a check-up 🙏", 2),
            ("whitening", 3),
            ("teeth whitening friday", 3),
        ] {
            assert_eq!(
                catalog.service_named(text),
                Some(ServiceId::new(id)),
                "{text:?}"
            );
        }
        for text in [
            "tomorrow at 3",
            "yes",
            "",
            "c",
            "clean up my calendar",
            "up",
        ] {
            assert_eq!(catalog.service_named(text), None, "{text:?}");
        }
    }

    #[test]
    fn two_services_named_at_once_name_neither() {
        assert_eq!(clinic().service_named("cleaning or checkup?"), None);
        assert_eq!(clinic().services_named("cleaning or checkup?").len(), 2);
    }

    #[test]
    fn a_question_about_ones_own_visit_reads_as_one_about_an_appointment() {
        assert_eq!(
            clinic().generic("When is my CHECKUP again?"),
            "when is my appointment again"
        );
        assert_eq!(clinic().generic("tmrw 3pm"), "tmrw 3pm");
    }

    #[test]
    fn a_provider_is_named_without_their_title_and_anyone_means_no_preference() {
        let catalog = clinic();
        assert_eq!(
            catalog.provider_wished("with Dr. Lee please"),
            ProviderWish::Named(ProviderId::new(10))
        );
        assert_eq!(
            catalog.provider_wished("w/ lee"),
            ProviderWish::Named(ProviderId::new(10))
        );
        assert_eq!(
            catalog.provider_wished("maria if shes free"),
            ProviderWish::Named(ProviderId::new(11))
        );
        assert_eq!(
            catalog.provider_wished("anyone is fine"),
            ProviderWish::Anyone
        );
        assert_eq!(
            catalog.provider_wished("I don’t care who"),
            ProviderWish::Anyone
        );
        assert_eq!(catalog.provider_wished("dr 3pm"), ProviderWish::Unsaid);
        assert_eq!(catalog.provider_wished("tomorrow"), ProviderWish::Unsaid);
    }

    #[test]
    fn a_provider_who_is_away_is_noticed_only_when_no_active_one_is_named() {
        let catalog = clinic();
        assert_eq!(catalog.away_named("checkup w dr patel"), Some("Dr. Patel"));
        assert_eq!(catalog.away_named("PATEL pls"), Some("Dr. Patel"));
        assert_eq!(catalog.away_named("patel or lee"), None);
        assert_eq!(catalog.away_named("checkup tmrw"), None);
        assert_eq!(catalog.away_named("dr 3pm"), None);
    }

    #[test]
    fn a_visit_keeps_what_was_chosen_until_the_customer_says_otherwise() {
        let catalog = clinic();
        let visit = Visit::default().updated_by(&catalog, "cleaning with dr lee");
        assert_eq!(
            visit,
            Visit {
                service: Some(ServiceId::new(1)),
                provider: Some(ProviderId::new(10)),
                window: None,
            }
        );
        assert_eq!(visit.updated_by(&catalog, "friday at 2"), visit);
        assert_eq!(
            visit.updated_by(&catalog, "actually anyone"),
            Visit {
                service: Some(ServiceId::new(1)),
                provider: None,
                window: None,
            }
        );
    }

    #[test]
    fn a_visit_reads_back_from_an_older_payload_without_one() {
        let visit: Visit = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(visit, Visit::default());
    }

    proptest::proptest! {
        /// Whatever a customer texts (any Unicode: combining marks, RTL,
        /// emoji, letters whose lower case is longer), reading it for a
        /// service or a provider never panics, and naming one service is
        /// naming one of the catalog's.
        #[test]
        fn any_text_reads_without_panic(text in "\\PC{0,80}") {
            let catalog = clinic();
            let named = catalog.service_named(&text);
            proptest::prop_assert!(named.is_none_or(|id| catalog.service(id).is_some()));
            let _ = catalog.provider_wished(&text);
            let _ = catalog.generic(&text);
            let _ = Visit::default().updated_by(&catalog, &text);
        }
    }

    #[test]
    fn strange_unicode_reads_as_no_service_and_no_provider() {
        let catalog = clinic();
        for text in [
            "İİİ dr",
            "ß\u{301}cleaning\u{200d}",
            "\u{202e}gninaelc",
            "ﬁ ﬂ",
            "🧼🦷",
            "Ⅻ",
        ] {
            let _ = catalog.provider_wished(text);
            let _ = catalog.generic(text);
        }
        // A service named in another script still reads.
        assert_eq!(
            catalog.service_named("CLEANING!!!"),
            Some(ServiceId::new(1))
        );
    }
}
