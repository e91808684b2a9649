//! The admin key: every protected route refuses a request without it or with
//! a wrong one, and the check itself accepts only the exact key.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use secrecy::SecretString;
use smsbot_admin::{AuthError, check_api_key};

use crate::support::{Admin, KEY, PROTECTED, assert_error, send};

#[tokio::test]
async fn every_protected_route_answers_401_without_a_key_and_403_with_a_wrong_one() {
    let admin = Admin::start().await;
    for (method, uri) in PROTECTED {
        for (key, status, expected) in [
            (None, StatusCode::UNAUTHORIZED, "unauthorized"),
            (Some(""), StatusCode::UNAUTHORIZED, "unauthorized"),
            (Some("wrong-key"), StatusCode::FORBIDDEN, "forbidden"),
            (
                Some(&KEY[..KEY.len() - 1]),
                StatusCode::FORBIDDEN,
                "forbidden",
            ),
        ] {
            let mut request = Request::builder()
                .method(*method)
                .uri(*uri)
                .header("content-type", "application/json");
            if let Some(key) = key {
                request = request.header("X-API-Key", key);
            }
            let answer = send(admin.router(), request.body(Body::from("{}")).unwrap()).await;
            assert_error(&answer, status, expected);
        }
    }
}

#[test]
fn the_key_check_accepts_only_the_exact_admin_key() {
    let key = SecretString::from(KEY.to_owned());
    assert_eq!(check_api_key(&key, Some(KEY.as_bytes())), Ok(()));
    assert_eq!(check_api_key(&key, None), Err(AuthError::Missing));
    assert_eq!(check_api_key(&key, Some(b"")), Err(AuthError::Missing));
    for wrong in [format!("{KEY}x"), KEY.to_uppercase(), KEY[1..].to_owned()] {
        assert_eq!(
            check_api_key(&key, Some(wrong.as_bytes())),
            Err(AuthError::Wrong)
        );
    }
    let unset = SecretString::from(String::new());
    assert_eq!(check_api_key(&unset, Some(b"x")), Err(AuthError::Wrong));
}
