//! The placeholders a deployment puts in the app secret until the operator puts
//! the real values in.
//!
//! Owns recognising them: the SAM template creates the secret with `REPLACE_ME`
//! tokens and a `DATABASE_URL` on `db.invalid` (`.invalid` is reserved by RFC 2606
//! and never resolves). The settings keep the names of the secret keys that still
//! hold one, and every accessor of a value a function needs refuses it with
//! `ConfigError::Placeholder`, so a stack deployed and never filled in stops at
//! start-up, by name, instead of failing later in ways that hide why.
//!
//! Must not: put a value, or any part of one, in an error or a log.

use url::Url;

/// The token the template's app secret holds until the real value is put in.
pub const PLACEHOLDER_TOKEN: &str = "REPLACE_ME";

/// Whether `value` is (or contains) a deployment placeholder.
pub(crate) fn is_placeholder(value: &str) -> bool {
    value.to_ascii_uppercase().contains(PLACEHOLDER_TOKEN) || names_a_reserved_host(value)
}

/// A URL whose host is in the `.invalid` top-level domain.
fn names_a_reserved_host(value: &str) -> bool {
    Url::parse(value)
        .ok()
        .and_then(|url| {
            url.host_str()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        })
        .is_some_and(|host| host == "invalid" || host.ends_with(".invalid"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::{ConfigError, Settings};

    /// What the template's `AppSecret` holds until the operator fills it in.
    fn the_templates_secret() -> HashMap<String, String> {
        [
            (
                "DATABASE_URL",
                "postgres://REPLACE_ME@db.invalid:5432/smsbot?sslmode=require",
            ),
            ("TWILIO_AUTH_TOKEN", "REPLACE_ME"),
            ("TWILIO_SECONDARY_AUTH_TOKEN", ""),
            ("OPENROUTER_API_KEY", ""),
            (
                "ADMIN_API_KEY",
                "Zk3q9generatedbycloudformation48characterslong0",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn a_database_url_still_holding_the_placeholder_is_refused_by_name_without_its_value() {
        let settings = Settings::from_vars(&the_templates_secret()).unwrap();
        let err = settings.require_database_url().unwrap_err();
        assert_eq!(err, ConfigError::Placeholder("DATABASE_URL"));
        let message = err.to_string();
        assert!(message.starts_with("DATABASE_URL still holds the placeholder"));
        assert!(message.contains("put the real value in the app secret"));
        assert!(!message.contains("REPLACE_ME") && !message.contains("db.invalid"));
    }

    #[test]
    fn a_twilio_auth_token_still_holding_the_placeholder_is_refused() {
        let settings = Settings::from_vars(&the_templates_secret()).unwrap();
        assert_eq!(
            settings.require_twilio_auth_tokens(),
            Err(ConfigError::Placeholder("TWILIO_AUTH_TOKEN"))
        );
    }

    #[test]
    fn a_placeholder_in_the_secondary_token_or_the_keys_is_refused_too() {
        let mut vars = the_templates_secret();
        vars.insert(
            "TWILIO_AUTH_TOKEN".into(),
            "0123456789abcdef0123456789abcdef".into(),
        );
        vars.insert("TWILIO_SECONDARY_AUTH_TOKEN".into(), "REPLACE_ME".into());
        vars.insert("OPENROUTER_API_KEY".into(), "REPLACE_ME".into());
        vars.insert("ADMIN_API_KEY".into(), "REPLACE_ME".into());
        let settings = Settings::from_vars(&vars).unwrap();
        assert_eq!(
            settings.require_twilio_auth_tokens(),
            Err(ConfigError::Placeholder("TWILIO_SECONDARY_AUTH_TOKEN"))
        );
        assert_eq!(
            settings.usable_openrouter_api_key().map(|k| k.is_some()),
            Err(ConfigError::Placeholder("OPENROUTER_API_KEY"))
        );
        assert_eq!(
            settings.require_admin_api_key().map(|_| ()),
            Err(ConfigError::Placeholder("ADMIN_API_KEY"))
        );
    }

    #[test]
    fn a_placeholder_only_stops_a_function_that_needs_that_value() {
        // The authorizer needs the admin key alone; the template generates it.
        let settings = Settings::from_vars(&the_templates_secret()).unwrap();
        assert!(settings.require_admin_api_key().is_ok());
        assert_eq!(
            settings.usable_openrouter_api_key().map(|k| k.is_some()),
            Ok(false)
        );
    }

    #[test]
    fn filled_in_values_are_accepted() {
        let mut vars = the_templates_secret();
        vars.insert(
            "DATABASE_URL".into(),
            "postgres://app:s3cret@smsbot.proxy-abc.us-east-1.rds.amazonaws.com/smsbot".into(),
        );
        vars.insert(
            "TWILIO_AUTH_TOKEN".into(),
            "0123456789abcdef0123456789abcdef".into(),
        );
        let settings = Settings::from_vars(&vars).unwrap();
        assert!(settings.require_database_url().is_ok());
        assert_eq!(settings.require_twilio_auth_tokens().unwrap().len(), 1);
    }

    #[test]
    fn the_settings_debug_output_names_the_placeholders_without_values() {
        let settings = Settings::from_vars(&the_templates_secret()).unwrap();
        let shown = format!("{settings:?}");
        assert!(
            shown.contains(r#"placeholders: {"DATABASE_URL", "TWILIO_AUTH_TOKEN"}"#),
            "{shown}"
        );
        assert!(!shown.contains("REPLACE_ME"), "{shown}");
    }

    #[test]
    fn the_templates_placeholders_are_recognised() {
        assert!(is_placeholder("REPLACE_ME"));
        assert!(is_placeholder(
            "postgres://REPLACE_ME@db.invalid:5432/smsbot?sslmode=require"
        ));
        assert!(is_placeholder("postgres://app:secret@db.invalid/smsbot"));
        assert!(is_placeholder("replace_me"));
    }

    #[test]
    fn real_values_are_not_placeholders() {
        for value in [
            "postgres://app:s3cret@smsbot.proxy-abc.us-east-1.rds.amazonaws.com:5432/smsbot",
            "postgres://postgres@127.0.0.1:5432/smsbot",
            "0123456789abcdef0123456789abcdef",
            "sk-or-v1-abc",
            "invalid-looking-but-real-token",
        ] {
            assert!(!is_placeholder(value), "{value}");
        }
    }
}
