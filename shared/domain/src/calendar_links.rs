//! Where the public `.ics` files are: a provider's feed and one appointment's
//! file, each at a path holding its secret token.
//!
//! Owns the two paths (the admin API routes them, the confirmation texts and
//! the admin API's answers link to them) and joining one to the public base
//! URL. Must not make or check tokens (the store does) nor read any setting.

use url::Url;

/// The route of a provider's feed: `{file}` is `<token>.ics`.
pub const FEED_ROUTE: &str = "/api/calendars/feeds/{file}";
/// The route of one appointment's file: `{file}` is `<token>.ics`.
pub const APPOINTMENT_ROUTE: &str = "/api/calendars/appointments/{file}";
/// What ends every file name in those routes.
pub const EXTENSION: &str = ".ics";

/// The path of the feed that `token` opens.
pub fn feed_path(token: &str) -> String {
    FEED_ROUTE.replace("{file}", &format!("{token}{EXTENSION}"))
}

/// The path of the appointment file that `token` opens.
pub fn appointment_path(token: &str) -> String {
    APPOINTMENT_ROUTE.replace("{file}", &format!("{token}{EXTENSION}"))
}

/// `path` under `base` (`PUBLIC_BASE_URL`), keeping a path `base` has
/// (an API Gateway stage).
pub fn absolute(base: &Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

/// The full link to the appointment file that `token` opens, as a
/// confirmation text gives it.
pub fn appointment_url(base: &Url, token: &str) -> String {
    absolute(base, &appointment_path(token))
}

/// The token in a requested `file` name; `None` unless it ends in `.ics`.
pub fn token_of_file(file: &str) -> Option<&str> {
    file.strip_suffix(EXTENSION)
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_put_the_token_in_the_file_name_under_the_base() {
        let base: Url = "https://api.example.com/prod/".parse().unwrap();
        assert_eq!(
            appointment_url(&base, "abc"),
            "https://api.example.com/prod/api/calendars/appointments/abc.ics"
        );
        assert_eq!(feed_path("t"), "/api/calendars/feeds/t.ics");
    }

    #[test]
    fn only_an_ics_file_name_holds_a_token() {
        assert_eq!(token_of_file("abc.ics"), Some("abc"));
        assert_eq!(token_of_file("abc"), None);
        assert_eq!(token_of_file(".ics"), None);
    }
}
