//! The Sailplay client behind a trait: an HTTP implementation (reqwest,
//! blocking, rate-limited) and a dry-run one that prints each request and
//! sends nothing.
//!
//! Secrets: the token (and the login key and pin) travel only in form
//! bodies, never in a URL; they are held in [`Secret`], whose `Debug` hides
//! them, and every error text that leaves this module is passed through
//! [`Redactor`] first, so neither the journal nor the terminal can carry
//! them.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::Value;
use thiserror::Error;

use crate::profile::Profile;

/// Where a transport failure happened, which decides whether the request
/// may have reached Sailplay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The connection could not be made: nothing was sent.
    Connect,
    /// No answer in time: the request may have been carried out.
    Timeout,
    /// The connection broke before the answer was read: the request may
    /// have been carried out.
    ConnectionLost,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum CallError {
    /// A documented business error (`"status": "error"` with a code).
    #[error("Sailplay answered status_code {code}: {message}")]
    Business { code: i64, message: String },
    /// The credentials were refused; retrying cannot help.
    #[error("Sailplay refused the credentials (HTTP {status}): {message}")]
    Auth { status: u16, message: String },
    /// 429 or 5xx.
    #[error("Sailplay answered HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("{message}")]
    Transport {
        kind: TransportKind,
        message: String,
    },
    /// An answer that is neither a documented body nor a retryable status.
    #[error("unexpected answer from Sailplay: {message}")]
    Unexpected { message: String },
}

impl CallError {
    /// Worth another attempt after a pause.
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Status { status, .. } => *status == 429 || *status >= 500,
            CallError::Transport { .. } => true,
            _ => false,
        }
    }

    /// The request may have been carried out although no success was seen:
    /// before sending a merge again its state must be looked up. A 429 is
    /// refused before any work, and a failed connect sent nothing.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            CallError::Status { status, .. } => *status >= 500,
            CallError::Transport { kind, .. } => *kind != TransportKind::Connect,
            _ => false,
        }
    }

    /// The pause the server asked for (Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short stable name for the journal and the summary.
    pub fn kind(&self) -> String {
        match self {
            CallError::Business { code, .. } => format!("status_code {code}"),
            CallError::Auth { status, .. } => format!("auth (HTTP {status})"),
            CallError::Status { status, .. } => format!("HTTP {status}"),
            CallError::Transport { kind, .. } => match kind {
                TransportKind::Connect => "connect".into(),
                TransportKind::Timeout => "timeout".into(),
                TransportKind::ConnectionLost => "connection lost".into(),
            },
            CallError::Unexpected { .. } => "unexpected answer".into(),
        }
    }
}

/// The calls `apply` makes. `info_by_user_id` answers `None` for -4000.
pub trait SailplayClient {
    fn info_by_user_id(&mut self, user_id: &str) -> Result<Option<Profile>, CallError>;
    /// `users/merge` or `users/update` with a step's parameters.
    fn send_step(
        &mut self,
        method: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<(), CallError>;
    /// False for the dry run: nothing reaches Sailplay, so there is no live
    /// state to check before or after.
    fn reaches_sailplay(&self) -> bool;
    /// HTTP requests sent so far.
    fn requests_sent(&self) -> u64;
}

/// A value that must never be printed. `Debug` shows `<redacted>`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("<redacted>")
    }
}

/// Replaces every secret in a text by `<redacted>`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    pub fn add(&mut self, secret: &Secret) {
        if !secret.0.is_empty() {
            self.secrets.push(secret.clone());
        }
    }

    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.expose(), "<redacted>")
        })
    }
}

/// Spaces requests evenly: at most `per_second` start in any second.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Option<Instant>,
}

impl RateLimiter {
    pub fn new(per_second: f64) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: None,
        }
    }

    /// How long to wait before a request at `now`, and books the slot.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let slot = self.next.map_or(now, |next| next.max(now));
        self.next = Some(slot + self.interval);
        slot - now
    }

    fn wait(&mut self) {
        let pause = self.reserve(Instant::now());
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
}

/// The base URL without any user information, for messages.
pub fn display_url(base_url: &reqwest::Url) -> String {
    let mut shown = base_url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}

pub struct HttpClient {
    http: reqwest::blocking::Client,
    base_url: reqwest::Url,
    token: Secret,
    department_id: String,
    limiter: RateLimiter,
    redactor: Redactor,
    requests: u64,
}

impl HttpClient {
    /// A client with the token already known.
    pub fn new(
        base_url: reqwest::Url,
        token: Secret,
        department_id: String,
        requests_per_second: f64,
        timeout: Duration,
    ) -> anyhow::Result<HttpClient> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("sailmerge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut redactor = Redactor::default();
        redactor.add(&token);
        Ok(HttpClient {
            http,
            base_url,
            token,
            department_id,
            limiter: RateLimiter::new(requests_per_second),
            redactor,
            requests: 0,
        })
    }

    /// Trades `store_department_key` + `pin_code` for a token at
    /// `/api/v2/login/`, then keeps the key and pin redacted too.
    pub fn login(&mut self, department_key: &Secret, pin: &Secret) -> Result<(), CallError> {
        self.redactor.add(department_key);
        self.redactor.add(pin);
        let form = vec![
            ("store_department_id", self.department_id.clone()),
            ("store_department_key", department_key.expose().to_string()),
            ("pin_code", pin.expose().to_string()),
        ];
        let body = self.post("api/v2/login/", form)?;
        match body.get("token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => {
                self.token = Secret::new(token.to_string());
                self.redactor.add(&self.token);
                Ok(())
            }
            _ => Err(CallError::Unexpected {
                message: "login answered ok without a token".into(),
            }),
        }
    }

    fn call(&mut self, path: &str, params: &BTreeMap<String, String>) -> Result<Value, CallError> {
        let mut form: Vec<(&str, String)> = vec![
            ("token", self.token.expose().to_string()),
            ("store_department_id", self.department_id.clone()),
        ];
        form.extend(
            params
                .iter()
                .map(|(key, value)| (key.as_str(), value.clone())),
        );
        self.post(path, form)
    }

    fn post(&mut self, path: &str, form: Vec<(&str, String)>) -> Result<Value, CallError> {
        let url = self
            .base_url
            .join(path)
            .map_err(|error| CallError::Unexpected {
                message: format!("cannot build the URL for {path}: {error}"),
            })?;
        self.limiter.wait();
        self.requests += 1;
        let response = self
            .http
            .post(url)
            .form(&form)
            .send()
            .map_err(|error| self.transport_error(&error))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(CallError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }
        let text = response
            .text()
            .map_err(|error| self.transport_error(&error))?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        let message = |body: &Option<Value>| {
            body.as_ref()
                .and_then(|b| b.get("message"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| shorten(&text))
        };
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(CallError::Auth {
                status: status.as_u16(),
                message: self.redactor.redact(&message(&body)),
            });
        }
        if !status.is_success() || body.is_none() {
            return Err(CallError::Unexpected {
                message: self
                    .redactor
                    .redact(&format!("HTTP {status}: {}", message(&body))),
            });
        }
        let body = body.expect("checked above");
        match body.get("status").and_then(Value::as_str) {
            Some("ok") => Ok(body),
            Some("error") => Err(CallError::Business {
                code: body.get("status_code").and_then(Value::as_i64).unwrap_or(0),
                message: self.redactor.redact(&message(&Some(body.clone()))),
            }),
            _ => Err(CallError::Unexpected {
                message: self
                    .redactor
                    .redact(&format!("no \"status\" in the answer: {}", shorten(&text))),
            }),
        }
    }

    fn transport_error(&self, error: &reqwest::Error) -> CallError {
        let kind = if error.is_connect() {
            TransportKind::Connect
        } else if error.is_timeout() {
            TransportKind::Timeout
        } else {
            TransportKind::ConnectionLost
        };
        // reqwest's text names the URL, which carries no secret (they
        // travel in the body); the chain is redacted all the same.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        CallError::Transport {
            kind,
            message: self.redactor.redact(&message),
        }
    }
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

impl SailplayClient for HttpClient {
    fn info_by_user_id(&mut self, user_id: &str) -> Result<Option<Profile>, CallError> {
        let params = BTreeMap::from([("user_id".to_string(), user_id.to_string())]);
        match self.call("api/v2/users/info/", &params) {
            Ok(body) => profile_from_info(&body).map(Some),
            Err(CallError::Business { code: -4000, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn send_step(
        &mut self,
        method: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<(), CallError> {
        self.call(&format!("api/v2/{method}/"), params).map(|_| ())
    }

    fn reaches_sailplay(&self) -> bool {
        true
    }

    fn requests_sent(&self) -> u64 {
        self.requests
    }
}

/// A `users/info` answer as a profile: numbers become text, empty values
/// none, and the balance is `points.confirmed`.
pub fn profile_from_info(body: &Value) -> Result<Profile, CallError> {
    let text = |key: &str| -> Option<String> {
        match body.get(key) {
            Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_string()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        }
    };
    let user_id = text("id").ok_or_else(|| CallError::Unexpected {
        message: "users/info answered without an id".into(),
    })?;
    let points = body
        .get("points")
        .and_then(|points| points.get("confirmed"))
        .and_then(Value::as_i64)
        .map(|confirmed| confirmed.to_string());
    Ok(Profile {
        user_id,
        origin_user_id: text("origin_user_id"),
        phone: text("phone"),
        email: text("email"),
        first_name: text("first_name"),
        middle_name: text("middle_name"),
        last_name: text("last_name"),
        birth_date: text("birth_date"),
        sex: text("sex"),
        register_date: text("register_date"),
        points,
        extra: BTreeMap::new(),
    })
}

/// Prints every state-changing request it is given, as it would be sent
/// (without the token), and sends nothing.
pub struct DryRunClient<W: Write> {
    out: W,
    base_url: String,
    department_id: Option<String>,
    printed: u64,
}

impl<W: Write> DryRunClient<W> {
    pub fn new(out: W, base_url: String, department_id: Option<String>) -> DryRunClient<W> {
        DryRunClient {
            out,
            base_url,
            department_id,
            printed: 0,
        }
    }

    pub fn printed(&self) -> u64 {
        self.printed
    }
}

impl<W: Write> SailplayClient for DryRunClient<W> {
    fn info_by_user_id(&mut self, _user_id: &str) -> Result<Option<Profile>, CallError> {
        Err(CallError::Unexpected {
            message: "a dry run sends nothing, users/info included".into(),
        })
    }

    fn send_step(
        &mut self,
        method: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<(), CallError> {
        let department = self.department_id.as_deref().unwrap_or("(unset)");
        let fields: Vec<String> = params
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        writeln!(
            self.out,
            "POST {}/api/v2/{method}/ token=<withheld> store_department_id={department} {}",
            self.base_url.trim_end_matches('/'),
            fields.join(" ")
        )
        .map_err(|error| CallError::Unexpected {
            message: format!("cannot print the dry run: {error}"),
        })?;
        self.printed += 1;
        Ok(())
    }

    fn reaches_sailplay(&self) -> bool {
        false
    }

    fn requests_sent(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redactor_hides_every_secret() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("s3cr3t-token".into()));
        redactor.add(&Secret::new(String::new()));
        assert_eq!(
            redactor.redact("token=s3cr3t-token&x=s3cr3t-token"),
            "token=<redacted>&x=<redacted>"
        );
        assert_eq!(
            format!("{:?}", Secret::new("s3cr3t-token".into())),
            "<redacted>"
        );
    }

    #[test]
    fn rate_limiter_spaces_requests() {
        let mut limiter = RateLimiter::new(50.0);
        let start = Instant::now();
        assert_eq!(limiter.reserve(start), Duration::ZERO);
        assert_eq!(limiter.reserve(start), Duration::from_millis(20));
        assert_eq!(limiter.reserve(start), Duration::from_millis(40));
        // After a quiet spell no debt is carried over.
        let later = start + Duration::from_secs(5);
        assert_eq!(limiter.reserve(later), Duration::ZERO);
    }

    #[test]
    fn which_errors_are_retried_and_which_may_have_applied() {
        let status = |status| CallError::Status {
            status,
            retry_after: None,
        };
        assert!(status(429).is_retryable() && !status(429).may_have_been_applied());
        assert!(status(503).is_retryable() && status(503).may_have_been_applied());
        let connect = CallError::Transport {
            kind: TransportKind::Connect,
            message: String::new(),
        };
        assert!(connect.is_retryable() && !connect.may_have_been_applied());
        let lost = CallError::Transport {
            kind: TransportKind::ConnectionLost,
            message: String::new(),
        };
        assert!(lost.is_retryable() && lost.may_have_been_applied());
        let business = CallError::Business {
            code: -5102,
            message: String::new(),
        };
        assert!(!business.is_retryable() && !business.may_have_been_applied());
    }

    #[test]
    fn info_body_becomes_a_profile() {
        let body = json!({
            "status": "ok", "id": 376442122, "phone": "79534311111", "email": null,
            "first_name": "", "sex": 1, "origin_user_id": "12345",
            "points": {"confirmed": 2, "total": 2}
        });
        let profile = profile_from_info(&body).unwrap();
        assert_eq!(profile.user_id, "376442122");
        assert_eq!(profile.phone.as_deref(), Some("79534311111"));
        assert_eq!(profile.email, None);
        assert_eq!(profile.first_name, None);
        assert_eq!(profile.sex.as_deref(), Some("1"));
        assert_eq!(profile.points.as_deref(), Some("2"));
    }

    #[test]
    fn dry_run_prints_without_the_token() {
        let mut out = Vec::new();
        let mut client = DryRunClient::new(&mut out, "http://x/".into(), Some("14864".into()));
        let params = BTreeMap::from([
            ("from_uid".to_string(), "1".to_string()),
            ("to_uid".to_string(), "2".to_string()),
        ]);
        client.send_step("users/merge", &params).unwrap();
        assert_eq!(client.printed(), 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST http://x/api/v2/users/merge/ token=<withheld> store_department_id=14864 from_uid=1 to_uid=2\n"
        );
    }
}
