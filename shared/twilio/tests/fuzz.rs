//! Fuzz targets of X-Twilio-Signature validation: any URL, parameters, header
//! value and tokens give Ok or Err, never a panic; a signature made for a
//! request validates it whatever the parameter order and URL shape, and a
//! changed request or a forged header is refused. Corpora:
//! `fuzz/corpus/{common,signature}.txt`; how to run longer: `fuzz/README.md`.

#[path = "../../../fuzz/support.rs"]
mod fuzz_support;

use proptest::prelude::*;
use smsbot_twilio::{AuthToken, RequestValidator, SignatureError, TokenError, body_sha256_hex};

use fuzz_support as fz;

/// Cases per property by default: a few seconds each on one core.
const CASES: u32 = 3000;

/// URLs as they are configured, proxied and mangled: schemes, credentials,
/// IPv6 literals, ports (also empty or absurd), quotes, percent-escapes,
/// queries and fragments.
fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "(https?|HTTPS|ftp|x)://(u(:p)?@)?(example\\.com|\\[::1\\]|[a-z0-9.é-]{0,10})(:[0-9]{0,6})?(/[a-zA-Z0-9'%/._é-]{0,20})?(\\?[a-zA-Z0-9=&%'_]{0,24})?(#[a-z=]{0,6})?",
        2 => fz::text(fz::seeds("signature")),
        1 => any::<String>(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["Body", "From", "To", "MessageSid", "AccountSid",
                                       "NumMedia", "body", "BODY", "Body ", ""])
            .prop_map(str::to_owned),
        2 => any::<String>(),
        1 => fz::mutated(fz::corpus("common")),
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = prop_oneof![any::<String>(), fz::text(fz::seeds("signature"))];
    prop::collection::vec((key(), value), 0..6)
}

/// A token: printable ASCII like Twilio's, or any non-blank string.
fn token() -> impl Strategy<Value = AuthToken> {
    prop_oneof![
        "[0-9a-f]{32}",
        any::<String>().prop_filter("a usable token", |t| !t.is_empty() && t.trim() == t),
    ]
    .prop_map(|t| AuthToken::new(t).expect("filtered to valid tokens"))
}

fn header() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        3 => any::<String>(),
        2 => fz::text(fz::seeds("signature")),
        // base64 of 0..30 bytes: well-formed headers of the wrong length too
        2 => prop::collection::vec(any::<u8>(), 0..30).prop_map(|b| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(b)
        }),
    ])
}

fn validator(tokens: Vec<AuthToken>) -> RequestValidator {
    RequestValidator::new(tokens).expect("at least one token")
}

#[test]
fn fuzz_signature_every_seed_as_url_header_and_parameter_is_answered() {
    let token = AuthToken::new("12345".to_owned()).unwrap();
    let v = validator(vec![token.clone()]);
    let base = "https://example.com/webhooks/sms/inbound";
    for s in fz::seeds("signature") {
        let params = vec![(s.clone(), s.clone()), ("Body".to_owned(), s.clone())];
        // as the header: refused (or, by a 2^-160 chance, a collision)
        let _ = v.validate_form(base, &params, Some(&s));
        let _ = v.validate_json(&s, s.as_bytes(), Some(&s));
        // as the URL and the parameters: a real signature validates
        let signature = RequestValidator::sign_form(&token, &s, &params);
        assert_eq!(
            v.validate_form(&s, &params, Some(&signature)),
            Ok(()),
            "{s:?}"
        );
        let _ = AuthToken::new(s.clone());
    }
}

proptest! {
    #![proptest_config(fz::config(CASES))]

    #[test]
    fn fuzz_signature_validation_never_panics_on_any_request(
        url in url(),
        params in params(),
        header in header(),
        tokens in prop::collection::vec(token(), 1..3),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let v = validator(tokens);
        let form = v.validate_form(&url, &params, header.as_deref());
        let json = v.validate_json(&url, &body, header.as_deref());
        for result in [form, json] {
            match result {
                Err(SignatureError::Missing) => {
                    prop_assert!(header.as_deref().is_none_or(|h| h.trim().is_empty()));
                }
                Err(_) => {}
                // Only a header equal to the right HMAC could pass: 2^-160.
                Ok(()) => prop_assert!(false, "an arbitrary header was accepted"),
            }
        }
    }

    #[test]
    fn fuzz_a_twilio_signature_validates_its_request_in_any_order_and_nothing_else(
        url in url(),
        params in params(),
        tokens in prop::collection::vec(token(), 1..4),
        signer in any::<prop::sample::Index>(),
        order in any::<prop::sample::Index>(),
        padding in prop::sample::select(vec!["", " ", "\t", "  \n"]),
    ) {
        let signer = signer.get(&tokens).clone();
        let v = validator(tokens);
        let signature = RequestValidator::sign_form(&signer, &url, &params);
        let mut shuffled = params.clone();
        if !shuffled.is_empty() {
            let k = order.index(shuffled.len());
            shuffled.rotate_left(k);
            shuffled.reverse();
        }
        let padded = format!("{padding}{signature}{padding}");
        prop_assert_eq!(v.validate_form(&url, &shuffled, Some(&padded)), Ok(()));
        // An exactly repeated pair is signed once.
        if let Some(first) = params.first() {
            let mut repeated = params.clone();
            repeated.push(first.clone());
            prop_assert_eq!(v.validate_form(&url, &repeated, Some(&signature)), Ok(()));
        }
        // A parameter added in transit changes what was signed.
        let mut tampered = params.clone();
        tampered.push(("\u{1}tamper".to_owned(), String::new()));
        prop_assert_eq!(
            v.validate_form(&url, &tampered, Some(&signature)),
            Err(SignatureError::Mismatch)
        );
        // And a signature by a token the validator does not hold is refused.
        let stranger = AuthToken::new(format!("{}-other", "x".repeat(8))).unwrap();
        let forged = RequestValidator::sign_form(&stranger, &url, &params);
        prop_assert_eq!(
            v.validate_form(&url, &params, Some(&forged)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn fuzz_a_json_webhook_validates_only_with_its_own_body(
        url in url(),
        body in prop::collection::vec(any::<u8>(), 0..128),
        other in prop::collection::vec(any::<u8>(), 0..128),
        token in token(),
    ) {
        // Twilio appends bodySHA256 to the query and signs the URL alone.
        let base = url.split('#').next().unwrap_or_default();
        let separator = if base.contains('?') { '&' } else { '?' };
        let signed_url = format!("{base}{separator}bodySHA256={}", body_sha256_hex(&body));
        let v = validator(vec![token.clone()]);
        let signature = RequestValidator::sign_form(&token, &signed_url, &[]);
        let first_hash = signed_url
            .split_once('?')
            .map(|(_, q)| q)
            .into_iter()
            .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()))
            .find(|(k, _)| k == "bodySHA256")
            .map(|(_, v)| v.into_owned());
        // When the URL already carried a bodySHA256, that one is the claim.
        if first_hash.as_deref() == Some(body_sha256_hex(&body).as_str()) {
            prop_assert_eq!(v.validate_json(&signed_url, &body, Some(&signature)), Ok(()));
            if other != body {
                prop_assert_eq!(
                    v.validate_json(&signed_url, &other, Some(&signature)),
                    Err(SignatureError::BodyHashMismatch)
                );
            }
        } else {
            prop_assert!(v.validate_json(&signed_url, &body, Some(&signature)).is_err());
        }
    }

    #[test]
    fn fuzz_an_auth_token_is_refused_only_when_empty_or_padded(token in prop_oneof![
        any::<String>(),
        fz::text(fz::seeds("signature")),
    ]) {
        let expected = if token.is_empty() {
            Err(TokenError::Empty)
        } else if token.trim() != token {
            Err(TokenError::SurroundingWhitespace)
        } else {
            Ok(())
        };
        prop_assert_eq!(AuthToken::new(token).map(|_| ()), expected);
    }
}
