//! Fuzz targets of the domain's parsers: SMS bodies and their segments,
//! campaign templates, phone numbers and regions. No input may panic; each
//! answer keeps the parser's invariants. Corpora:
//! `fuzz/corpus/{common,sms_body,template,phone}.txt`; how to run longer:
//! `fuzz/README.md`.

#[path = "../../../fuzz/support.rs"]
mod fuzz_support;

use chrono::{DateTime, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use proptest::prelude::*;
use smsbot_domain::campaign::template::{RenderContext, TemplateError, UNKNOWN_FIRST_NAME};
use smsbot_domain::{
    CampaignKind, Encoding, PhoneError, PhoneNumber, Region, SmsBody, SmsBodyError, Template,
};

use fuzz_support as fz;

/// Cases per property by default: a few seconds each on one core.
const CASES: u32 = 3000;

// ---------------------------------------------------------------------------
// SMS bodies

/// GSM 03.38's basic table in code order (0x1B, the escape to the extension
/// table, is not a character of its own), written out here independently of
/// the implementation.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
    ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: each costs the escape plus itself, two septets.
const GSM7_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// The segments a carrier bills for `units` (one entry per character: its
/// septets or UTF-16 units): one message holds `single`; past that, parts
/// hold `part` each, and a character is never split across two parts (an
/// escape and its character, or the halves of a surrogate pair, stay
/// together), which is how Twilio counts.
fn reference_segments(units: &[usize], single: usize, part: usize) -> u32 {
    let total: usize = units.iter().sum();
    if total <= single {
        return 1;
    }
    let (mut parts, mut used) = (1, 0);
    for &u in units {
        if used + u > part {
            parts += 1;
            used = 0;
        }
        used += u;
    }
    parts
}

fn reference(text: &str) -> (Encoding, u32) {
    let septets: Option<Vec<usize>> = text
        .chars()
        .map(|c| {
            if GSM7_BASIC.contains(c) {
                Some(1)
            } else if GSM7_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .collect();
    match septets {
        Some(s) => (Encoding::Gsm7, reference_segments(&s, 160, 153)),
        None => {
            let units: Vec<usize> = text.chars().map(char::len_utf16).collect();
            (Encoding::Ucs2, reference_segments(&units, 70, 67))
        }
    }
}

fn check_body(text: &str) -> Result<(), TestCaseError> {
    let chars = text.chars().count();
    match SmsBody::parse(text) {
        Err(SmsBodyError::TooLong(n)) => {
            prop_assert_eq!(n, chars);
            prop_assert!(chars > 1600, "{chars} characters refused");
        }
        Ok(body) => {
            prop_assert!(chars <= 1600, "{chars} characters accepted");
            // Kept as given, but a NUL (which PostgreSQL cannot store) shows as U+FFFD.
            let text = text.replace('\0', "\u{fffd}");
            let text = text.as_str();
            prop_assert_eq!(body.as_str(), text, "the text is kept as given");
            let segments = body.segments();
            prop_assert!(segments >= 1);
            let (encoding, expected) = reference(text);
            prop_assert_eq!(body.encoding(), encoding);
            prop_assert_eq!(segments, expected, "segments of {:?}", body);
            let gsm_basic = text.chars().all(|c| GSM7_BASIC.contains(c));
            if gsm_basic && chars <= 160 {
                prop_assert_eq!(segments, 1);
            }
            if encoding == Encoding::Ucs2 && text.encode_utf16().count() <= 70 {
                prop_assert_eq!(segments, 1);
            }
            // Never more segments than a worst case of one char per unit.
            prop_assert!(segments as usize <= chars.max(1));
            prop_assert_eq!(format!("{body:?}"), format!("SmsBody({chars} chars)"));
        }
    }
    Ok(())
}

#[test]
fn fuzz_sms_body_segments_every_seed_like_the_reference() {
    for text in fz::seeds("sms_body") {
        if let Err(e) = check_body(&text) {
            panic!("{:?}: {e}", text.chars().take(40).collect::<String>());
        }
    }
}

/// A body near the segment boundaries: GSM basic, extension and UCS-2
/// characters (surrogate pairs included) mixed in long runs.
fn boundary_body() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        8 => prop::sample::select(GSM7_BASIC.chars().collect::<Vec<_>>()),
        2 => prop::sample::select(GSM7_EXTENSION.chars().collect::<Vec<_>>()),
        1 => prop::sample::select(vec!['ç', '字', 'ש', '\u{200b}', '\u{301}']),
        1 => prop::sample::select(vec!['😀', '👍', '\u{1f3fd}', '\u{10ffff}']),
    ];
    prop::collection::vec(ch, 0..1700).prop_map(|v| v.into_iter().collect())
}

proptest! {
    // Bodies run to 1,700 characters: fewer cases for the same few seconds.
    #![proptest_config(fz::config(CASES / 3))]

    #[test]
    fn fuzz_sms_body_never_panics_and_counts_segments_consistently(
        text in prop_oneof![
            fz::text(fz::seeds("sms_body")),
            boundary_body(),
            // pure GSM or pure UCS-2 at exactly the sizes that matter
            (prop::sample::select(vec!['a', '€', 'ç', '😀']), 0_usize..1700)
                .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
        ],
    ) {
        check_body(&text)?;
    }
}

// ---------------------------------------------------------------------------
// Templates

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(&TZ_VARIANTS[..])
}

fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    prop_oneof![
        4 => 0_i64..=4_102_444_800,
        1 => min.timestamp()..=max.timestamp(),
        1 => (max.timestamp() - 200_000)..=max.timestamp(),
        1 => min.timestamp()..=(min.timestamp() + 200_000),
    ]
    .prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range by construction"))
}

fn names() -> impl Strategy<Value = (Option<String>, String)> {
    let name = prop_oneof![
        any::<String>(),
        fz::mutated(fz::corpus("common")),
        Just(String::new()),
        Just("  ".to_owned()),
        Just("{first_name}".to_owned()),
    ];
    (prop::option::of(name.clone()), name)
}

fn render(
    template: &Template,
    contact: Option<&str>,
    business: &str,
    appointment: Option<DateTime<Utc>>,
    tz: Tz,
) -> Result<String, TemplateError> {
    template.render(&RenderContext {
        contact_name: contact,
        business_name: business,
        appointment,
        tz,
    })
}

fn check_template(
    text: &str,
    (contact, business): &(Option<String>, String),
    appointment: Option<DateTime<Utc>>,
    tz: Tz,
) -> Result<(), TestCaseError> {
    let parsed = Template::parse(text);
    for kind in [CampaignKind::Broadcast, CampaignKind::Reminder] {
        let for_kind = Template::for_kind(text, kind);
        prop_assert_eq!(parsed.is_ok() || for_kind.is_err(), true);
    }
    let Ok(template) = parsed else {
        return Ok(());
    };
    prop_assert!(!text.trim().is_empty(), "a blank template parsed");
    let out = render(&template, contact.as_deref(), business, appointment, tz);
    match &out {
        Ok(s) => {
            if !text.contains(['{', '}']) {
                prop_assert_eq!(s, text, "a template without braces renders to itself");
            }
            if template.fields().next().is_none() {
                prop_assert_eq!(s, &text.replace("{{", "{").replace("}}", "}"));
            }
        }
        Err(TemplateError::NoAppointment(_)) => {
            prop_assert!(appointment.is_none() && template.needs_appointment());
        }
        Err(e) => prop_assert!(false, "render failed: {e}"),
    }
    if appointment.is_none() && !template.needs_appointment() {
        prop_assert!(out.is_ok());
    }
    Ok(())
}

#[test]
fn fuzz_template_every_seed_parses_or_is_refused_and_renders() {
    let at = "2026-03-05T20:00:00Z".parse::<DateTime<Utc>>().ok();
    let names = (Some("Ana Lopez".to_owned()), "Bright Smile".to_owned());
    for text in fz::seeds("template") {
        for appointment in [
            None,
            at,
            Some(DateTime::<Utc>::MAX_UTC),
            Some(DateTime::<Utc>::MIN_UTC),
        ] {
            for tz in [Tz::UTC, Tz::Pacific__Kiritimati, Tz::Etc__GMTPlus12] {
                if let Err(e) = check_template(&text, &names, appointment, tz) {
                    panic!("{text:?}: {e}");
                }
            }
        }
    }
}

/// A piece of a template built on purpose: literal text (braces escaped by
/// doubling) or a placeholder.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Field(&'static str),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => any::<String>().prop_map(Piece::Text),
        1 => prop::sample::select(vec!["{", "}", "{{", "}}", "{x}"])
            .prop_map(|s| Piece::Text(s.to_owned())),
        2 => prop::sample::select(vec!["first_name", "business_name", "appointment_date",
                                       "appointment_time"]).prop_map(Piece::Field),
    ]
}

proptest! {
    #![proptest_config(fz::config(CASES))]

    #[test]
    fn fuzz_template_parse_and_render_never_panic_on_any_text(
        text in fz::text(fz::seeds("template")),
        names in names(),
        appointment in prop::option::of(any_instant()),
        tz in zone(),
    ) {
        check_template(&text, &names, appointment, tz)?;
    }

    #[test]
    fn fuzz_template_built_from_pieces_renders_them_in_order(
        pieces in prop::collection::vec(piece(), 1..8),
        names in names(),
        appointment in any_instant(),
        tz in zone(),
    ) {
        let (contact, business) = &names;
        let mut text = String::new();
        for p in &pieces {
            match p {
                Piece::Text(t) => text.push_str(&t.replace('{', "{{").replace('}', "}}")),
                Piece::Field(f) => text.push_str(&format!("{{{f}}}")),
            }
        }
        prop_assume!(!text.trim().is_empty());
        let template = Template::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let fields: Vec<&str> = template.fields().map(|f| f.name()).collect();
        let expected_fields: Vec<&str> = pieces
            .iter()
            .filter_map(|p| match p { Piece::Field(f) => Some(*f), Piece::Text(_) => None })
            .collect();
        prop_assert_eq!(fields, expected_fields);
        let out = render(&template, contact.as_deref(), business, Some(appointment), tz)
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        // Every literal piece appears in order in the output.
        let mut rest = out.as_str();
        for p in &pieces {
            if let Piece::Text(t) = p {
                let Some(at) = rest.find(t.as_str()) else {
                    return Err(TestCaseError::fail(format!("{t:?} missing from {out:?}")));
                };
                rest = &rest[at + t.len()..];
            }
        }
        if pieces.iter().any(|p| matches!(p, Piece::Field("first_name"))) {
            let first = contact
                .as_deref()
                .and_then(|n| n.split_whitespace().next())
                .unwrap_or(UNKNOWN_FIRST_NAME);
            prop_assert!(out.contains(first));
        }
    }
}

// ---------------------------------------------------------------------------
// Phone numbers

/// Every region the phone metadata knows (ISO 3166 alpha-2, plus AC and TA).
const REGIONS: &str = "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
    BJ BL BM BN BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP \
    GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR \
    MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS \
    PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA \
    TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE \
    YT ZA ZM ZW";

fn region_codes() -> Vec<&'static str> {
    REGIONS.split_whitespace().collect()
}

/// A region code as an operator might type it: known, lower-case, padded,
/// or anything.
fn region_code() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(region_codes()).prop_map(str::to_owned),
        1 => prop::sample::select(region_codes()).prop_map(|c| format!(" {} ", c.to_lowercase())),
        1 => any::<String>(),
        1 => "[A-Za-z]{0,4}",
    ]
}

/// Something shaped like a phone number: digits with the punctuation people
/// type, a `+` or an international prefix, an extension, odd digits.
fn phoneish() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        8 => "[0-9]{1,4}",
        2 => prop::sample::select(vec![" ", "-", ".", "(", ")", "/", "+", "x", "ext. ", ";ext=",
                                       "tel:", ";phone-context=", "*", "#", "\u{a0}", "\u{200b}"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["٤", "१", "１", "𝟙", "²", "⑴", "Ⅸ"]).prop_map(str::to_owned),
        1 => "[A-Za-z]{1,6}",
    ];
    (
        prop::sample::select(vec!["", "+", "+1", "+44", "00", "011", "+0", "++"]),
        prop::collection::vec(part, 0..10),
    )
        .prop_map(|(head, parts)| format!("{head}{}", parts.concat()))
}

fn check_phone(input: &str, region: &str) -> Result<(), TestCaseError> {
    let region = Region::parse(region);
    let region = region.unwrap_or(Region::US);
    match PhoneNumber::parse(input, region) {
        Ok(phone) => check_e164(&phone, region)?,
        Err(PhoneError::Empty) => prop_assert!(input.trim().is_empty()),
        Err(PhoneError::UnknownRegion(_)) => prop_assert!(false, "UnknownRegion from parse"),
        Err(_) => {}
    }
    match PhoneNumber::parse_e164(input) {
        Ok(phone) => {
            prop_assert_eq!(phone.as_e164(), input.trim());
            prop_assert_eq!(PhoneNumber::parse_e164(phone.as_e164()), Ok(phone.clone()));
            check_masked(&phone)?;
        }
        Err(PhoneError::Empty) => prop_assert!(input.trim().is_empty()),
        Err(_) => {}
    }
    Ok(())
}

/// A parsed number is E.164 and re-parses to itself, both ways.
fn check_e164(phone: &PhoneNumber, region: Region) -> Result<(), TestCaseError> {
    let e164 = phone.as_e164();
    let digits = e164.strip_prefix('+').unwrap_or("");
    prop_assert!(
        !digits.is_empty()
            && digits.len() <= 15
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0'),
        "not E.164: {e164:?}"
    );
    let json = serde_json::to_string(phone).expect("serializes");
    let back: Result<PhoneNumber, _> = serde_json::from_str(&json);
    prop_assert!(
        back.as_ref().ok() == Some(phone),
        "{e164} does not deserialize"
    );
    prop_assert_eq!(PhoneNumber::parse(e164, region), Ok(phone.clone()));
    prop_assert_eq!(PhoneNumber::parse(e164, Region::US), Ok(phone.clone()));
    if digits.len() >= 7 {
        prop_assert_eq!(PhoneNumber::parse_e164(e164), Ok(phone.clone()));
    }
    check_masked(phone)
}

fn check_masked(phone: &PhoneNumber) -> Result<(), TestCaseError> {
    let e164 = phone.as_e164();
    let masked = phone.masked().to_string();
    prop_assert_eq!(masked.chars().count(), e164.chars().count());
    if e164.chars().count() > 6 {
        prop_assert!(
            masked != e164 && masked.contains('*'),
            "{masked} shows {e164}"
        );
        let debug = format!("{phone:?}");
        prop_assert!(!debug.contains(e164), "{debug} shows {e164}");
    }
    let pseudonym = phone.pseudonym();
    prop_assert!(pseudonym.len() == 64 && pseudonym.bytes().all(|b| b.is_ascii_hexdigit()));
    Ok(())
}

#[test]
fn fuzz_regression_a_number_naming_its_country_keeps_its_digits_in_any_default_region() {
    // phonenumber 0.3 stripped the default region's national prefix ("1" in
    // the US) from numbers of other countries: "+358 13 1234567" became the
    // different, valid "+35831234567"; "+43 1 231 99999" (Vienna) was refused.
    for (input, region, expected) in [
        ("+358 13 1234567", "US", "+358131234567"),
        ("+95 1 234567", "US", "+951234567"),
        ("+263 13 12345", "US", "+2631312345"),
        ("+43 1 231 99999", "US", "+43123199999"),
        ("011 358 13 1234567", "US", "+358131234567"),
        ("00 358 13 1234567", "DE", "+358131234567"),
        ("+1 415 555 0100", "FI", "+14155550100"),
        ("(415) 555-0100", "US", "+14155550100"),
        ("020 7946 0958", "GB", "+442079460958"),
    ] {
        let region = Region::parse(region).unwrap();
        let phone = PhoneNumber::parse(input, region).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(phone.as_e164(), expected, "{input}");
        assert_eq!(PhoneNumber::parse(expected, Region::US), Ok(phone));
    }
}

#[test]
fn fuzz_regression_a_number_longer_than_e164_allows_is_refused() {
    // libphonenumber took this for a valid German number of 16 digits; E.164
    // (and Twilio, and our own deserializer) allow 15.
    let ascension = Region::parse("AC").unwrap();
    assert_eq!(
        PhoneNumber::parse("00492010AAAAAA0000", ascension),
        Err(PhoneError::Invalid)
    );
    assert_eq!(
        PhoneNumber::parse("+49 2010 2222220000", Region::US),
        Err(PhoneError::Invalid)
    );
}

/// The seed test's regions (all of them take minutes in a debug build; the
/// random target draws from all).
const SEED_REGIONS: &[&str] = &["US", "GB", "DE", "FI", "IN", "BR", "GA", "XK"];

#[test]
fn fuzz_phone_every_seed_in_many_regions_parses_or_is_refused() {
    let mut accepted = 0;
    for input in fz::seeds("phone") {
        for &region in SEED_REGIONS {
            if let Err(e) = check_phone(&input, region) {
                panic!("{input:?} in {region}: {e}");
            }
            accepted +=
                usize::from(PhoneNumber::parse(&input, Region::parse(region).unwrap()).is_ok());
        }
    }
    assert!(accepted > 100, "the seeds exercise the accepting path too");
}

proptest! {
    #![proptest_config(fz::config(CASES))]

    #[test]
    fn fuzz_phone_parse_never_panics_and_e164_reparses_to_itself(
        input in prop_oneof![
            3 => phoneish(),
            2 => fz::text(fz::seeds("phone")),
        ],
        region in region_code(),
    ) {
        check_phone(&input, &region)?;
    }
}
