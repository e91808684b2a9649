//! Settings with secret values from AWS Secrets Manager.
//!
//! When `APP_SECRETS_ARN` is set, the secret (a JSON object whose keys are the
//! variable names in `smsbot_config::SECRET_KEYS`) is fetched once and overlaid on
//! the environment. Entry points call this once at start-up, so the value is cached
//! for the life of the Lambda container.

use std::collections::HashMap;

use smsbot_config::{ConfigError, SECRET_KEYS, Settings};

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("Secrets Manager unavailable while reading the app secret")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the app secret is not a JSON object of strings")]
    Malformed(#[source] serde_json::Error),
    #[error("the app secret has no string value")]
    Empty,
}

/// Reads the environment and, when configured, the app secret.
pub async fn load_settings(sdk: &aws_config::SdkConfig) -> Result<Settings, SecretsError> {
    load_settings_from(sdk, std::env::vars().collect()).await
}

/// Like `load_settings`, from the given variables instead of the environment.
pub async fn load_settings_from(
    sdk: &aws_config::SdkConfig,
    mut vars: HashMap<String, String>,
) -> Result<Settings, SecretsError> {
    if let Some(arn) = vars
        .get("APP_SECRETS_ARN")
        .filter(|v| !v.is_empty())
        .cloned()
    {
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        let secret = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| SecretsError::Unavailable(Box::new(e)))?;
        let raw = secret.secret_string().ok_or(SecretsError::Empty)?;
        overlay_secret(&mut vars, raw)?;
    }
    Ok(Settings::from_vars(&vars)?)
}

/// Puts the secret's known keys over the environment; unknown keys are ignored so a
/// shared secret may hold more than we read.
pub fn overlay_secret(vars: &mut HashMap<String, String>, raw: &str) -> Result<(), SecretsError> {
    let values: HashMap<String, String> =
        serde_json::from_str(raw).map_err(SecretsError::Malformed)?;
    for key in SECRET_KEYS {
        if let Some(value) = values.get(*key) {
            vars.insert((*key).to_owned(), value.clone());
        }
    }
    Ok(())
}
