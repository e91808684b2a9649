//! Lambda entry point for the admin API's authorizer (API Gateway HTTP API,
//! payload format 2.0, simple responses).
//!
//! Wiring only: the admin key is read once per container (environment or app
//! secret), and each request's `X-API-Key` goes through `smsbot_admin::check_api_key`,
//! the same check the admin router applies. Configure the identity source as
//! `$request.header.X-API-Key`: API Gateway then answers 401 itself when the header
//! is missing, and 403 when this function says `{"isAuthorized": false}`.
//! Must not log either key.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_runtime::{LambdaEvent, service_fn};
use secrecy::SecretString;

type Response = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, String>>;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    smsbot_config::telemetry::init();
    let sdk = smsbot_aws::sdk_config().await;
    let settings = smsbot_aws::load_settings(&sdk).await?;
    let key = Arc::new(settings.require_admin_api_key()?.clone());
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let key = Arc::clone(&key);
            async move { Ok::<_, lambda_runtime::Error>(authorize(&key, &event.payload)) }
        },
    ))
    .await
}

fn authorize(key: &SecretString, request: &ApiGatewayV2CustomAuthorizerV2Request) -> Response {
    let outcome = smsbot_admin::auth::check_headers(key, &request.headers);
    if let Err(refused) = &outcome {
        tracing::warn!(route = request.route_key.as_deref(), reason = %refused, "admin request refused");
    }
    let mut response = Response::default();
    response.is_authorized = outcome.is_ok();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: serde_json::Value) -> ApiGatewayV2CustomAuthorizerV2Request {
        serde_json::from_value(serde_json::json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/api/contacts",
            "identitySource": ["admin-key"],
            "routeKey": "GET /api/contacts",
            "rawPath": "/api/contacts",
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "abc123",
                "http": {
                    "method": "GET",
                    "path": "/api/contacts",
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.7",
                    "userAgent": "curl/8"
                },
                "requestId": "req-1",
                "routeKey": "GET /api/contacts",
                "stage": "$default",
                "time": "12/Mar/2026:19:03:58 +0000",
                "timeEpoch": 1773342238000_u64
            }
        }))
        .expect("a valid authorizer event")
    }

    fn key() -> SecretString {
        SecretString::from("admin-key".to_owned())
    }

    #[test]
    fn the_admin_key_is_authorized_and_answers_in_the_simple_format() {
        let response = authorize(
            &key(),
            &request(serde_json::json!({"x-api-key": "admin-key"})),
        );
        assert!(response.is_authorized);
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["isAuthorized"], true);
    }

    #[test]
    fn a_wrong_or_missing_key_is_not_authorized() {
        for headers in [
            serde_json::json!({"x-api-key": "admin-kez"}),
            serde_json::json!({"x-api-key": ""}),
            serde_json::json!({}),
        ] {
            assert!(!authorize(&key(), &request(headers)).is_authorized);
        }
    }
}
