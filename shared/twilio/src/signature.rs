//! Validation of Twilio's `X-Twilio-Signature` webhook header.
//!
//! Owns: the signing rule Twilio uses for webhooks, the URL forms a signature is
//! checked against, the `bodySHA256` check for JSON webhooks, and auth-token
//! rotation (a validator holds one or more tokens and accepts a signature from any).
//!
//! Must not: do I/O, read configuration or secrets itself, or log anything. Phone
//! numbers and message bodies arrive here inside `params`/`body`; they never leave
//! this module except through the HMAC, and no error carries them.
//!
//! # The signing rule
//!
//! Checked against all 93 cases of `tests/fixtures/twilio_signature_vectors.json`,
//! which come from the unit tests of Twilio's six helper libraries:
//!
//! 1. The signed string is the full URL Twilio requested (scheme, any `user:pass@`,
//!    host, path, query — byte for byte, no normalisation of percent-encoding,
//!    double slashes or non-ASCII), followed by every POST parameter as `key` then
//!    `value`, with the parameters sorted by key and then by value (plain byte
//!    order, so `CALLSID < CallSid < callSid` and `Reason < ReasonConferenceEnded`),
//!    and an exactly repeated `key=value` pair counted once.
//! 2. The signature is `base64(HMAC-SHA1(auth_token, signed string))`.
//! 3. Because a proxy or load balancer may add or drop the port, and may or may not
//!    percent-encode `'`, the URL is tried in these forms: as given, with any
//!    explicit port removed, with the scheme's default port (`:443`/`:80`) added
//!    when none is given; each of those also with `'` written as `%27` and with
//!    `%27` written as `'`. A signature matching any form, under any configured
//!    token, is accepted.
//! 4. JSON webhooks (`application/json`) carry no form parameters: the URL has a
//!    `bodySHA256` query parameter holding the lowercase hex SHA-256 of the raw
//!    body; the signature is over the URL alone (rule 1 with no parameters), and
//!    the hash must match the body. A JSON body whose URL has no `bodySHA256` is
//!    rejected.
//! 5. A URL configured with connection overrides (`…/inbound#rc=3&rp=5xx`, see
//!    [`crate::overrides`]): Twilio does not send the fragment, and its docs do not
//!    say whether it signs it, so every form of rule 3 is tried without the
//!    fragment and with it (both need the auth token, so neither is weaker).
//!
//! All HMAC comparisons are constant-time (`subtle`), and every candidate is
//! computed and compared before answering, so the time taken does not depend on
//! which token or URL form matched, or how much of a forged signature was right.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::{Choice, ConstantTimeEq};

use crate::ConnectionOverrides;

/// Length in bytes of an HMAC-SHA1 tag.
const TAG_LEN: usize = 20;

/// Name of the query parameter carrying the SHA-256 of a JSON body.
const BODY_SHA256_PARAM: &str = "bodySHA256";

/// A Twilio auth token: the HMAC key for webhook signatures.
///
/// Its `Debug` output is redacted and it has no `Display`, so it cannot end up in
/// logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    /// Wraps a token.
    ///
    /// # Errors
    /// [`TokenError::Empty`] for an empty token, [`TokenError::SurroundingWhitespace`]
    /// for one with leading or trailing whitespace (usually a newline copied with the
    /// secret; such a token would never validate a signature).
    pub fn new(token: String) -> Result<Self, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.trim() != token {
            return Err(TokenError::SurroundingWhitespace);
        }
        Ok(Self(token))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The token itself, for HTTP basic auth on REST calls inside this crate.
    pub(crate) fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

/// Why an auth token or a set of tokens was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is the empty string.
    #[error("the Twilio auth token is empty")]
    Empty,
    /// The token starts or ends with whitespace.
    #[error("the Twilio auth token has leading or trailing whitespace")]
    SurroundingWhitespace,
    /// A validator was given no token at all.
    #[error("a request validator needs at least one Twilio auth token")]
    NoTokens,
}

/// Why a webhook request was not accepted as coming from Twilio.
///
/// None of the variants carries request data, so they are safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// There is no `X-Twilio-Signature` header, or it is empty.
    #[error("the X-Twilio-Signature header is missing or empty")]
    Missing,
    /// The header is not the base64 of a 20-byte HMAC-SHA1 tag.
    #[error("the X-Twilio-Signature header is not a base64 HMAC-SHA1")]
    Malformed,
    /// The header is well-formed but no configured token signed this request.
    #[error("the X-Twilio-Signature does not match the request")]
    Mismatch,
    /// A JSON body arrived on a URL with no `bodySHA256` query parameter.
    #[error("the request URL has no bodySHA256 parameter for its JSON body")]
    BodyHashMissing,
    /// The signed URL's `bodySHA256` is not the SHA-256 of the body received.
    #[error("the bodySHA256 URL parameter does not match the request body")]
    BodyHashMismatch,
}

/// Checks `X-Twilio-Signature` headers against one or more auth tokens.
///
/// Holding several tokens lets a token be rotated without rejecting webhooks:
/// configure the new token next to the old, switch Twilio over, then drop the old.
#[derive(Debug, Clone)]
pub struct RequestValidator {
    tokens: Vec<AuthToken>,
}

impl RequestValidator {
    /// A validator accepting signatures made with any of `tokens`.
    ///
    /// # Errors
    /// [`TokenError::NoTokens`] when `tokens` is empty.
    pub fn new(tokens: Vec<AuthToken>) -> Result<Self, TokenError> {
        if tokens.is_empty() {
            return Err(TokenError::NoTokens);
        }
        Ok(Self { tokens })
    }

    /// Validates a form-encoded (`application/x-www-form-urlencoded`) webhook.
    ///
    /// `url` is the public URL Twilio was configured to call, including its query
    /// string; `params` are the decoded POST parameters in any order, repeated keys
    /// kept; `signature` is the header value, `None` when the header is absent.
    ///
    /// # Errors
    /// [`SignatureError::Missing`], [`SignatureError::Malformed`] or
    /// [`SignatureError::Mismatch`].
    pub fn validate_form(
        &self,
        url: &str,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Result<(), SignatureError> {
        self.validate_form_at(&[url], params, signature)
    }

    /// Validates a form webhook whose URL is configured in Twilio with connection
    /// `overrides` (rule 5): `url` is the URL without the fragment.
    ///
    /// # Errors
    /// As [`RequestValidator::validate_form`].
    pub fn validate_form_with_overrides(
        &self,
        url: &str,
        overrides: &ConnectionOverrides,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Result<(), SignatureError> {
        self.validate_form_at(&[url, &overrides.append_to(url)], params, signature)
    }

    fn validate_form_at(
        &self,
        urls: &[&str],
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Result<(), SignatureError> {
        let tag = decode_signature(signature)?;
        let params = canonical_params(params);
        if self.any_candidate_matches(urls, &params, &tag) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// Validates a JSON (`application/json`) webhook.
    ///
    /// The signature is checked over `url` alone, then the URL's `bodySHA256` query
    /// parameter is checked against the SHA-256 of `body`, so a request whose body
    /// was swapped in transit is refused even though its URL is genuine.
    ///
    /// # Errors
    /// [`SignatureError::Missing`], [`SignatureError::Malformed`],
    /// [`SignatureError::Mismatch`], [`SignatureError::BodyHashMissing`] or
    /// [`SignatureError::BodyHashMismatch`].
    pub fn validate_json(
        &self,
        url: &str,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<(), SignatureError> {
        let tag = decode_signature(signature)?;
        if !self.any_candidate_matches(&[url], &[], &tag) {
            return Err(SignatureError::Mismatch);
        }
        let claimed = query_param(url, BODY_SHA256_PARAM).ok_or(SignatureError::BodyHashMissing)?;
        let claimed = hex::decode(claimed).map_err(|_| SignatureError::BodyHashMismatch)?;
        let actual = Sha256::digest(body);
        if bool::from(constant_time_eq(&claimed, actual.as_slice())) {
            Ok(())
        } else {
            Err(SignatureError::BodyHashMismatch)
        }
    }

    /// The `X-Twilio-Signature` Twilio would send for a form webhook to `url` with
    /// `params`. For a JSON webhook, pass the URL including its `bodySHA256`
    /// parameter (see [`body_sha256_hex`]) and no params.
    #[must_use]
    pub fn sign_form(token: &AuthToken, url: &str, params: &[(String, String)]) -> String {
        BASE64.encode(hmac_tag(token, url, &canonical_params(params)))
    }

    /// Tries every token against every form of every URL, without stopping at
    /// the first match, and answers whether any matched.
    fn any_candidate_matches(
        &self,
        urls: &[&str],
        params: &[(&str, &str)],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        let candidates: Vec<String> = urls.iter().flat_map(|url| url_candidates(url)).collect();
        let mut matched = Choice::from(0);
        for token in &self.tokens {
            for candidate in &candidates {
                let expected = hmac_tag(token, candidate, params);
                matched |= constant_time_eq(&expected, tag);
            }
        }
        bool::from(matched)
    }
}

/// Lowercase hex SHA-256 of a body: the value Twilio puts in the `bodySHA256`
/// query parameter of a JSON webhook's URL.
#[must_use]
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Decodes the header into a tag. Its length is not secret (every HMAC-SHA1 tag is
/// 20 bytes), so refusing other lengths early leaks nothing.
fn decode_signature(signature: Option<&str>) -> Result<[u8; TAG_LEN], SignatureError> {
    let signature = signature.map(str::trim).unwrap_or_default();
    if signature.is_empty() {
        return Err(SignatureError::Missing);
    }
    let bytes = BASE64
        .decode(signature)
        .map_err(|_| SignatureError::Malformed)?;
    bytes.try_into().map_err(|_| SignatureError::Malformed)
}

/// The parameters in signing order: sorted by key, then value, byte-wise, with
/// exactly repeated pairs kept once (Twilio's libraries sign a set of values per
/// key).
fn canonical_params(params: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

fn hmac_tag(token: &AuthToken, url: &str, params: &[(&str, &str)]) -> [u8; TAG_LEN] {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(token.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(url.as_bytes());
    for (key, value) in params {
        mac.update(key.as_bytes());
        mac.update(value.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

/// The single comparison of secret-derived bytes in this module.
fn constant_time_eq(a: &[u8], b: &[u8]) -> Choice {
    #[cfg(test)]
    tests::CT_COMPARISONS.with(|count| count.set(count.get() + 1));
    a.ct_eq(b)
}

/// Every form of `url` a signature is checked against (rule 3), without repeats.
fn url_candidates(url: &str) -> Vec<String> {
    let mut quote_forms = vec![url.to_owned()];
    if url.contains('\'') {
        quote_forms.push(url.replace('\'', "%27"));
    }
    if url.contains("%27") {
        quote_forms.push(url.replace("%27", "'"));
    }
    let mut candidates: Vec<String> = Vec::with_capacity(quote_forms.len() * 3);
    for form in quote_forms {
        let removed = with_port_removed(&form);
        let added = with_default_port_added(&form);
        for candidate in [Some(form), removed, added].into_iter().flatten() {
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
    }
    candidates
}

/// Byte ranges of the parts of a URL's authority that port handling needs.
struct Authority<'a> {
    scheme: &'a str,
    /// Index just past the host, where `:port` starts or would be inserted.
    host_end: usize,
    /// Index of the end of the authority (start of path, query or fragment).
    end: usize,
}

/// Finds the authority in `scheme://[userinfo@]host[:port]...` by hand, so that
/// the rest of the URL stays byte for byte as Twilio signed it.
fn split_authority(url: &str) -> Option<Authority<'_>> {
    let scheme_end = url.find("://")?;
    let start = scheme_end + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];
    // An IPv6 literal `[..]` has colons of its own: the port comes after `]`.
    let search_from = host_port.find(']').map_or(0, |i| i + 1);
    let host_end = host_port[search_from..]
        .find(':')
        .map_or(host_port.len(), |i| search_from + i);
    Some(Authority {
        scheme: &url[..scheme_end],
        host_end: start + host_start + host_end,
        end,
    })
}

/// `url` without its explicit port, if it has one (any port, as Twilio's libraries
/// do: a proxy in front of a non-default port does not change what Twilio signed).
fn with_port_removed(url: &str) -> Option<String> {
    let authority = split_authority(url)?;
    (authority.host_end < authority.end)
        .then(|| format!("{}{}", &url[..authority.host_end], &url[authority.end..]))
}

/// `url` with the scheme's default port written out, if it has no port.
fn with_default_port_added(url: &str) -> Option<String> {
    let authority = split_authority(url)?;
    if authority.host_end < authority.end {
        return None;
    }
    let port = if authority.scheme.eq_ignore_ascii_case("https") {
        443
    } else if authority.scheme.eq_ignore_ascii_case("http") {
        80
    } else {
        return None;
    };
    let (before, after) = url.split_at(authority.host_end);
    Some(format!("{before}:{port}{after}"))
}

/// The first value of query parameter `name` in `url`, percent-decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// How many times [`constant_time_eq`] ran on this thread.
        pub(super) static CT_COMPARISONS: Cell<usize> = const { Cell::new(0) };
    }

    fn token(s: &str) -> AuthToken {
        AuthToken::new(s.to_owned()).expect("non-empty token")
    }

    fn params() -> Vec<(String, String)> {
        vec![("Body".to_owned(), "hi".to_owned())]
    }

    #[test]
    fn every_token_and_url_form_is_compared_in_constant_time_even_after_a_match() {
        let url = "https://example.com/sms";
        let validator = RequestValidator::new(vec![token("first"), token("second")]).unwrap();
        let signature = RequestValidator::sign_form(&token("first"), url, &params());

        CT_COMPARISONS.with(|c| c.set(0));
        validator
            .validate_form(url, &params(), Some(&signature))
            .unwrap();
        let forms = url_candidates(url).len();
        assert_eq!(forms, 2, "as given and with :443 added");
        assert_eq!(CT_COMPARISONS.with(Cell::get), 2 * forms);
    }

    #[test]
    fn a_forged_signature_is_rejected_after_the_same_constant_time_comparisons() {
        let url = "https://example.com/sms";
        let validator = RequestValidator::new(vec![token("first"), token("second")]).unwrap();
        let forged = BASE64.encode([0u8; TAG_LEN]);

        CT_COMPARISONS.with(|c| c.set(0));
        let result = validator.validate_form(url, &params(), Some(&forged));
        assert_eq!(result, Err(SignatureError::Mismatch));
        assert_eq!(
            CT_COMPARISONS.with(Cell::get),
            2 * url_candidates(url).len()
        );
    }

    #[test]
    fn a_url_with_overrides_is_checked_without_and_with_its_fragment_in_constant_time() {
        let url = "https://example.com/sms";
        let overrides = ConnectionOverrides::default();
        let validator = RequestValidator::new(vec![token("first")]).unwrap();
        let without = RequestValidator::sign_form(&token("first"), url, &params());
        let with = RequestValidator::sign_form(
            &token("first"),
            "https://example.com/sms#rc=3&rp=5xx",
            &params(),
        );
        let other = RequestValidator::sign_form(
            &token("first"),
            "https://example.com/sms#rc=5&rp=5xx",
            &params(),
        );

        for signature in [&without, &with] {
            CT_COMPARISONS.with(|c| c.set(0));
            let checked =
                validator.validate_form_with_overrides(url, &overrides, &params(), Some(signature));
            assert_eq!(checked, Ok(()));
            assert_eq!(
                CT_COMPARISONS.with(Cell::get),
                2 * url_candidates(url).len()
            );
        }
        let checked =
            validator.validate_form_with_overrides(url, &overrides, &params(), Some(&other));
        assert_eq!(checked, Err(SignatureError::Mismatch));
    }

    #[test]
    fn the_port_is_found_after_credentials_and_ipv6_brackets() {
        assert_eq!(
            with_port_removed("https://u:p@host:8443/x?y=1").as_deref(),
            Some("https://u:p@host/x?y=1")
        );
        assert_eq!(
            with_default_port_added("https://u:p@host/x").as_deref(),
            Some("https://u:p@host:443/x")
        );
        assert_eq!(
            with_port_removed("http://[::1]:8080/x").as_deref(),
            Some("http://[::1]/x")
        );
        assert_eq!(
            with_default_port_added("http://[::1]?a=b").as_deref(),
            Some("http://[::1]:80?a=b")
        );
        assert_eq!(with_port_removed("https://host/x:1"), None);
        assert_eq!(with_default_port_added("https://host:1/x"), None);
        assert_eq!(with_default_port_added("ftp://host/x"), None);
        assert_eq!(with_port_removed("not a url"), None);
    }

    #[test]
    fn the_body_hash_is_read_from_the_query_and_not_the_fragment() {
        assert_eq!(
            query_param("https://h/p?a=1&bodySHA256=ab#bodySHA256=cd", "bodySHA256").as_deref(),
            Some("ab")
        );
        assert_eq!(query_param("https://h/p#bodySHA256=cd", "bodySHA256"), None);
    }

    #[test]
    fn an_auth_token_never_shows_in_debug_output() {
        let validator = RequestValidator::new(vec![token("super-secret")]).unwrap();
        assert!(!format!("{validator:?}").contains("super-secret"));
    }
}
