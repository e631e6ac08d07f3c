//! Where credentials come from: the environment only, never argv. Every
//! environment variable sailmerge reads for Sailplay is declared here.

/// The API token.
pub const TOKEN_ENV: &str = "SAILPLAY_TOKEN";
/// `store_department_id` (`--department-id` overrides it).
pub const DEPARTMENT_ID_ENV: &str = "SAILPLAY_DEPARTMENT_ID";
/// `store_department_key` of the login flow (used when no token is set).
pub const DEPARTMENT_KEY_ENV: &str = "SAILPLAY_DEPARTMENT_KEY";
/// `pin_code` of the login flow.
pub const PIN_ENV: &str = "SAILPLAY_PIN";

/// A non-empty environment variable.
pub fn from_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
