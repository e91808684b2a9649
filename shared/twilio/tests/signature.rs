//! X-Twilio-Signature validation against the cases from Twilio's own helper
//! libraries (see `tests/fixtures/README.md`), plus token rotation and rejection.

use serde_json::Value;
use smsbot_twilio::{AuthToken, RequestValidator, SignatureError, TokenError, body_sha256_hex};

const VECTORS: &str = include_str!("fixtures/twilio_signature_vectors.json");

fn token(s: &str) -> AuthToken {
    AuthToken::new(s.to_owned()).expect("non-empty token")
}

fn validator(tokens: &[&str]) -> RequestValidator {
    RequestValidator::new(tokens.iter().map(|t| token(t)).collect()).expect("tokens")
}

/// One fixture case, read without trusting its shape more than needed.
struct Case {
    index: usize,
    note: String,
    source: String,
    auth_token: String,
    url: String,
    params: Vec<(String, String)>,
    body: Option<String>,
    signature: Option<String>,
    expect_valid: bool,
}

impl Case {
    fn from_json(index: usize, v: &Value) -> Self {
        let text = |field: &str| {
            v[field]
                .as_str()
                .unwrap_or_else(|| panic!("case {index}: {field} is not a string"))
                .to_owned()
        };
        // The Java "null parameter value" case stores null; Twilio signs it as "".
        let params = v["params"]
            .as_array()
            .map(|pairs| {
                pairs
                    .iter()
                    .map(|pair| {
                        let key = pair[0].as_str().expect("param key").to_owned();
                        let value = pair[1].as_str().unwrap_or_default().to_owned();
                        (key, value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            index,
            note: text("note"),
            source: text("source"),
            auth_token: text("auth_token"),
            url: text("url"),
            params,
            body: v["body"].as_str().map(str::to_owned),
            signature: v["signature"].as_str().map(str::to_owned),
            expect_valid: v["expect_valid"].as_bool().expect("expect_valid"),
        }
    }

    fn validate(&self) -> Result<(), SignatureError> {
        let validator = validator(&[&self.auth_token]);
        let signature = self.signature.as_deref();
        match &self.body {
            Some(body) => validator.validate_json(&self.url, body.as_bytes(), signature),
            None => validator.validate_form(&self.url, &self.params, signature),
        }
    }
}

fn cases() -> Vec<Case> {
    let all: Value = serde_json::from_str(VECTORS).expect("fixture is JSON");
    all.as_array()
        .expect("fixture is a JSON array")
        .iter()
        .enumerate()
        .map(|(i, v)| Case::from_json(i, v))
        .collect()
}

#[test]
fn all_93_cases_from_twilios_helper_libraries_get_the_expected_verdict() {
    let cases = cases();
    assert_eq!(cases.len(), 93, "the fixture should hold all 93 cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let result = case.validate();
            (result.is_ok() != case.expect_valid).then(|| {
                format!(
                    "case {} ({}): {:?}, expected {} — {}",
                    case.index,
                    case.source,
                    result,
                    if case.expect_valid {
                        "valid"
                    } else {
                        "invalid"
                    },
                    case.note
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_valid_form_case_signed_as_given_reproduces_twilios_signature() {
    // Where the fixture says the URL as given reproduces the HMAC, sign_form must
    // produce exactly Twilio's header value (the simulator relies on this).
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    for (case, raw) in cases().iter().zip(all.as_array().unwrap()) {
        let as_is = raw["signed_url_variants_matching"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "as_is");
        if case.expect_valid && as_is {
            let params = if case.body.is_some() {
                &[][..]
            } else {
                &case.params
            };
            assert_eq!(
                Some(RequestValidator::sign_form(
                    &token(&case.auth_token),
                    &case.url,
                    params
                )),
                case.signature,
                "case {}: {}",
                case.index,
                case.note
            );
        }
    }
}

fn sms_params() -> Vec<(String, String)> {
    [
        ("MessageSid", "SM00000000000000000000000000000000"),
        ("From", "+15550000001"),
        ("To", "+15550000002"),
        ("Body", "Can I book Tuesday at 3?"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

const URL: &str = "https://sms.example.com/twilio/sms";

#[test]
fn a_signature_from_the_second_configured_token_is_accepted_during_rotation() {
    let signature = RequestValidator::sign_form(&token("new-token"), URL, &sms_params());
    let rotating = validator(&["old-token", "new-token"]);
    assert_eq!(
        rotating.validate_form(URL, &sms_params(), Some(&signature)),
        Ok(())
    );

    let old_only = validator(&["old-token"]);
    assert_eq!(
        old_only.validate_form(URL, &sms_params(), Some(&signature)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_signature_made_with_another_token_is_rejected_as_forged() {
    let forged = RequestValidator::sign_form(&token("attacker-guess"), URL, &sms_params());
    assert_eq!(
        validator(&["real-token"]).validate_form(URL, &sms_params(), Some(&forged)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_genuine_signature_is_rejected_once_a_parameter_is_altered() {
    let signature = RequestValidator::sign_form(&token("real-token"), URL, &sms_params());
    let mut altered = sms_params();
    altered[3].1 = "Cancel everything".to_owned();
    assert_eq!(
        validator(&["real-token"]).validate_form(URL, &altered, Some(&signature)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_missing_or_empty_header_is_rejected_as_missing() {
    let v = validator(&["real-token"]);
    assert_eq!(
        v.validate_form(URL, &sms_params(), None),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        v.validate_form(URL, &sms_params(), Some("")),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        v.validate_json(URL, b"{}", None),
        Err(SignatureError::Missing)
    );
}

#[test]
fn a_header_that_is_not_a_base64_hmac_sha1_is_malformed() {
    let v = validator(&["real-token"]);
    for header in ["WRONG_SIGNATURE", "not base64!", "AAAA"] {
        assert_eq!(
            v.validate_form(URL, &sms_params(), Some(header)),
            Err(SignatureError::Malformed),
            "{header}"
        );
    }
}

#[test]
fn a_json_webhook_is_checked_for_both_signature_and_body_hash() {
    let body = br#"{"event":"delivered"}"#;
    let url = format!("{URL}?bodySHA256={}", body_sha256_hex(body));
    let signature = RequestValidator::sign_form(&token("real-token"), &url, &[]);
    let v = validator(&["real-token"]);

    assert_eq!(v.validate_json(&url, body, Some(&signature)), Ok(()));
    assert_eq!(
        v.validate_json(&url, br#"{"event":"failed"}"#, Some(&signature)),
        Err(SignatureError::BodyHashMismatch)
    );

    let unhashed_signature = RequestValidator::sign_form(&token("real-token"), URL, &[]);
    assert_eq!(
        v.validate_json(URL, body, Some(&unhashed_signature)),
        Err(SignatureError::BodyHashMissing)
    );
}

#[test]
fn tokens_must_be_non_empty_and_a_validator_needs_at_least_one() {
    assert_eq!(AuthToken::new(String::new()), Err(TokenError::Empty));
    assert_eq!(
        AuthToken::new("token\n".to_owned()),
        Err(TokenError::SurroundingWhitespace)
    );
    assert_eq!(
        RequestValidator::new(Vec::new()).map(|_| ()),
        Err(TokenError::NoTokens)
    );
    assert_eq!(format!("{:?}", token("s3cr3t")), "AuthToken(<redacted>)");
}
