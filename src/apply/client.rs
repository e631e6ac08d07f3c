//! The Sailplay client behind a trait: an HTTP implementation (reqwest,
//! blocking, shared by the workers of a run through one rate limiter) and
//! a dry-run one that prints each request and sends nothing.
//!
//! Credentials: the token (and the login key and pin) travel only in form
//! bodies, never in a URL; they are held in [`Secret`], whose `Debug` hides
//! them, and every error text that leaves this module is passed through
//! the run's [`Redactor`](super::redact::Redactor) first. A token Sailplay refuses (HTTP 401/403 or
//! `status_code` -7) is renewed by logging in again when the department
//! key and pin are known; the refused request did nothing, so it is sent
//! once more with the new token.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

use super::limiter::RateLimiter;
pub use super::redact::Secret;
use super::redact::{SharedRedactor, add_shared, redact_shared};
use crate::ids::UserId;
use crate::plan::Step;
use crate::profile::{Field, Profile};

/// Sailplay's `status_code` for a token it does not accept.
pub const INVALID_TOKEN: i64 = -7;

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
    /// The credentials were refused (HTTP 401/403, or `status_code` -7),
    /// and logging in again could not help or did not.
    #[error("Sailplay refused the credentials ({}): {message}", auth_answer(*.status, *.code))]
    Auth {
        status: u16,
        code: Option<i64>,
        message: String,
    },
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

fn auth_answer(status: u16, code: Option<i64>) -> String {
    match code {
        Some(code) if status == 200 => format!("status_code {code}"),
        Some(code) => format!("HTTP {status}, status_code {code}"),
        None => format!("HTTP {status}"),
    }
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

    /// Nothing answers at the address: no connection could be made.
    pub fn is_connection_refused(&self) -> bool {
        matches!(
            self,
            CallError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        )
    }
}

/// The calls `apply` makes. Shared by the workers of a run, so `&self`.
/// `info_by_user_id` answers `None` for -4000.
pub trait SailplayClient: Sync {
    fn info_by_user_id(&self, user_id: &str) -> Result<Option<Profile>, CallError>;
    /// A step of cluster `cluster_id`: `users/merge` or `users/update` with
    /// the step's parameters.
    fn send_step(&self, cluster_id: &str, step: &Step) -> Result<(), CallError>;
    /// False for the dry run: nothing reaches Sailplay, so there is no live
    /// state to check before or after.
    fn reaches_sailplay(&self) -> bool;
    /// HTTP requests sent so far.
    fn requests_sent(&self) -> u64;
    /// Sailplay has answered at least one request (any HTTP status): a
    /// refused connection after that is a blip, not a wrong address.
    fn has_answered(&self) -> bool;
}

/// The base URL without any user information, for messages.
pub fn display_url(base_url: &reqwest::Url) -> String {
    let mut shown = base_url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// `store_department_key` and `pin_code`, for the login call.
#[derive(Debug, Clone)]
pub struct LoginCredentials {
    pub department_key: Secret,
    pub pin: Secret,
}

pub struct HttpClient {
    http: reqwest::blocking::Client,
    base_url: reqwest::Url,
    token: RwLock<Secret>,
    /// Bumped by every successful login, so that workers refused with the
    /// same old token log in once, not once each.
    token_generation: AtomicU64,
    login: Option<LoginCredentials>,
    login_lock: Mutex<()>,
    department_id: String,
    limiter: RateLimiter,
    redactor: SharedRedactor,
    requests: AtomicU64,
    answered: AtomicBool,
}

/// How a failed call's credentials can be renewed.
enum Renewal {
    /// A new token is in place: send the refused request again.
    Renewed,
    /// No department key and pin: nothing to log in with.
    NoLogin,
}

impl HttpClient {
    /// A client with `token` (empty when it is to log in first), and the
    /// login credentials to renew it with, if any.
    pub fn new(
        base_url: reqwest::Url,
        token: Secret,
        login: Option<LoginCredentials>,
        department_id: String,
        requests_per_second: f64,
        timeout: Duration,
        redactor: SharedRedactor,
    ) -> anyhow::Result<HttpClient> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("sailmerge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        add_shared(&redactor, &token);
        if let Some(login) = &login {
            add_shared(&redactor, &login.department_key);
            add_shared(&redactor, &login.pin);
        }
        Ok(HttpClient {
            http,
            base_url,
            token: RwLock::new(token),
            token_generation: AtomicU64::new(0),
            login,
            login_lock: Mutex::new(()),
            department_id,
            limiter: RateLimiter::new(requests_per_second),
            redactor,
            requests: AtomicU64::new(0),
            answered: AtomicBool::new(false),
        })
    }

    fn redact(&self, text: &str) -> String {
        redact_shared(&self.redactor, text)
    }

    fn current_token(&self) -> (Secret, u64) {
        let token = self
            .token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (token.clone(), self.token_generation.load(Ordering::SeqCst))
    }

    /// Trades `store_department_key` + `pin_code` for a token at
    /// `/api/v2/login/`. One attempt: the caller's retry policy decides
    /// about transient failures.
    pub fn login(&self) -> Result<(), CallError> {
        let Some(login) = &self.login else {
            return Err(CallError::Auth {
                status: 0,
                code: None,
                message: "no SAILPLAY_DEPARTMENT_KEY and SAILPLAY_PIN to log in with".into(),
            });
        };
        let form = vec![
            ("store_department_id", self.department_id.clone()),
            (
                "store_department_key",
                login.department_key.expose().to_string(),
            ),
            ("pin_code", login.pin.expose().to_string()),
        ];
        let body = self.post("api/v2/login/", form)?;
        match body.get("token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => {
                let token = Secret::new(token.to_string());
                add_shared(&self.redactor, &token);
                *self
                    .token
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = token;
                self.token_generation.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            _ => Err(CallError::Unexpected {
                message: "login answered ok without a token".into(),
            }),
        }
    }

    /// After a refusal of the token of `generation`: logs in again unless
    /// another worker already did.
    fn renew(&self, generation: u64) -> Result<Renewal, CallError> {
        let _one_at_a_time = self
            .login_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.token_generation.load(Ordering::SeqCst) != generation {
            return Ok(Renewal::Renewed);
        }
        if self.login.is_none() {
            return Ok(Renewal::NoLogin);
        }
        match self.login() {
            Ok(()) => Ok(Renewal::Renewed),
            Err(CallError::Auth {
                status,
                code,
                message,
            }) => Err(CallError::Auth {
                status,
                code,
                message: format!(
                    "the token was refused, and logging in again was refused too ({message}): check SAILPLAY_DEPARTMENT_KEY, SAILPLAY_PIN and the department id"
                ),
            }),
            Err(other) => Err(other),
        }
    }

    fn call(&self, path: &str, params: &BTreeMap<String, String>) -> Result<Value, CallError> {
        let (token, generation) = self.current_token();
        match self.call_with(path, params, &token) {
            Err(CallError::Auth {
                status,
                code,
                message,
            }) => match self.renew(generation)? {
                Renewal::Renewed => {
                    let (token, _) = self.current_token();
                    self.call_with(path, params, &token).map_err(|error| match error {
                        CallError::Auth {
                            status,
                            code,
                            message,
                        } => CallError::Auth {
                            status,
                            code,
                            message: format!(
                                "{message} (with a token from a fresh login: check the department id)"
                            ),
                        },
                        other => other,
                    })
                }
                Renewal::NoLogin => Err(CallError::Auth {
                    status,
                    code,
                    message: format!(
                        "{message}; set a valid SAILPLAY_TOKEN, or SAILPLAY_DEPARTMENT_KEY and SAILPLAY_PIN so that apply can log in by itself, and check the department id"
                    ),
                }),
            },
            other => other,
        }
    }

    fn call_with(
        &self,
        path: &str,
        params: &BTreeMap<String, String>,
        token: &Secret,
    ) -> Result<Value, CallError> {
        let mut form: Vec<(&str, String)> = vec![
            ("token", token.expose().to_string()),
            ("store_department_id", self.department_id.clone()),
        ];
        form.extend(
            params
                .iter()
                .map(|(key, value)| (key.as_str(), value.clone())),
        );
        self.post(path, form)
    }

    fn post(&self, path: &str, form: Vec<(&str, String)>) -> Result<Value, CallError> {
        let url = self
            .base_url
            .join(path)
            .map_err(|error| CallError::Unexpected {
                message: format!("cannot build the URL for {path}: {error}"),
            })?;
        self.limiter.wait();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .http
            .post(url)
            .form(&form)
            .send()
            .map_err(|error| self.transport_error(&error))?;
        self.answered.store(true, Ordering::Relaxed);
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if status == 429 {
            self.limiter.throttled(retry_after);
        }
        if status == 429 || status >= 500 {
            return Err(CallError::Status {
                status,
                retry_after,
            });
        }
        let text = response
            .text()
            .map_err(|error| self.transport_error(&error))?;
        classify(status, &text, |text| self.redact(text))
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
            message: self.redact(&message),
        }
    }
}

/// An answer other than 429/5xx, as Sailplay gives them: documented bodies
/// with `"status": "ok" | "error"`, HTTP 401/403 or `status_code` -7 for
/// refused credentials. Every text in an error goes through `redact`
/// before it is cut short, so no piece of a secret survives the cut.
pub fn classify(
    status: u16,
    text: &str,
    redact: impl Fn(&str) -> String,
) -> Result<Value, CallError> {
    let body: Option<Value> = serde_json::from_str(text).ok();
    let message = |body: &Option<Value>| {
        body.as_ref()
            .and_then(|b| b.get("message"))
            .and_then(Value::as_str)
            .map(|message| shorten(&redact(message)))
            .unwrap_or_else(|| shorten(&redact(text)))
    };
    let code = body
        .as_ref()
        .and_then(|b| b.get("status_code"))
        .and_then(Value::as_i64);
    if status == 401 || status == 403 {
        return Err(CallError::Auth {
            status,
            code,
            message: message(&body),
        });
    }
    let Some(parsed) = body.as_ref().filter(|_| (200..300).contains(&status)) else {
        return Err(CallError::Unexpected {
            message: format!("HTTP {status}: {}", message(&body)),
        });
    };
    match parsed.get("status").and_then(Value::as_str) {
        Some("ok") => Ok(parsed.clone()),
        Some("error") if code == Some(INVALID_TOKEN) => Err(CallError::Auth {
            status,
            code,
            message: message(&body),
        }),
        Some("error") => Err(CallError::Business {
            code: code.unwrap_or(0),
            message: message(&body),
        }),
        _ => Err(CallError::Unexpected {
            message: format!("no \"status\" in the answer: {}", shorten(&redact(text))),
        }),
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
    fn info_by_user_id(&self, user_id: &str) -> Result<Option<Profile>, CallError> {
        let params = BTreeMap::from([("user_id".to_string(), user_id.to_string())]);
        match self.call("api/v2/users/info/", &params) {
            Ok(body) => profile_from_info(&body).map(Some),
            Err(CallError::Business { code: -4000, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn send_step(&self, _cluster_id: &str, step: &Step) -> Result<(), CallError> {
        self.call(&format!("api/v2/{}/", step.method), &step.params)
            .map(|_| ())
    }

    fn reaches_sailplay(&self) -> bool {
        true
    }

    fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn has_answered(&self) -> bool {
        self.answered.load(Ordering::Relaxed)
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
    let mut profile = Profile {
        user_id: UserId::from(user_id),
        points,
        ..Profile::default()
    };
    // users/info names the other fields as plan.json does.
    for field in Field::tracked() {
        profile.set(field, text(field.name()));
    }
    Ok(profile)
}

/// Prints every state-changing request it is given, as it would be sent
/// (without the token), and sends nothing.
pub struct DryRunClient<W: Write + Send> {
    out: Mutex<W>,
    base_url: String,
    department_id: Option<String>,
    printed: AtomicU64,
}

impl<W: Write + Send> DryRunClient<W> {
    pub fn new(out: W, base_url: String, department_id: Option<String>) -> DryRunClient<W> {
        DryRunClient {
            out: Mutex::new(out),
            base_url,
            department_id,
            printed: AtomicU64::new(0),
        }
    }

    #[cfg(test)]
    pub fn printed(&self) -> u64 {
        self.printed.load(Ordering::Relaxed)
    }
}

impl<W: Write + Send> SailplayClient for DryRunClient<W> {
    fn info_by_user_id(&self, _user_id: &str) -> Result<Option<Profile>, CallError> {
        Err(CallError::Unexpected {
            message: "a dry run sends nothing, users/info included".into(),
        })
    }

    /// One line a call, led by the cluster and step it carries out, so
    /// that a reviewer can find each line's card in the report.
    fn send_step(&self, cluster_id: &str, step: &Step) -> Result<(), CallError> {
        let department = self.department_id.as_deref().unwrap_or("(unset)");
        let fields: Vec<String> = step
            .params
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        writeln!(
            out,
            "{cluster_id} step {}: POST {}/api/v2/{}/ token=<withheld> store_department_id={department} {}",
            step.index,
            self.base_url.trim_end_matches('/'),
            step.method,
            fields.join(" ")
        )
        .map_err(|error| CallError::Unexpected {
            message: format!("cannot print the dry run: {error}"),
        })?;
        self.printed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn reaches_sailplay(&self) -> bool {
        false
    }

    fn requests_sent(&self) -> u64 {
        0
    }

    fn has_answered(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        assert!(connect.is_connection_refused());
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
    fn answers_are_classified_as_sailplay_gives_them() {
        // A secret is hidden before a long answer is cut short: cut first,
        // its first half would survive the cut and escape the redactor.
        let long = format!("<html>{} token=s3cr3t-token-value</html>", "x".repeat(180));
        let Err(CallError::Unexpected { message }) = classify(200, &long, |text| {
            text.replace("s3cr3t-token-value", "<redacted>")
        }) else {
            panic!("an HTML page is unexpected");
        };
        assert!(!message.contains("s3cr3t"), "{message}");
        assert!(classify(200, r#"{"status":"ok","id":1}"#, str::to_string).is_ok());
        assert_eq!(
            classify(
                200,
                r#"{"status":"error","status_code":-7,"message":"Invalid token"}"#,
                str::to_string
            ),
            Err(CallError::Auth {
                status: 200,
                code: Some(-7),
                message: "Invalid token".into()
            })
        );
        assert!(matches!(
            classify(
                401,
                r#"{"status":"error","status_code":-1001,"message":"x"}"#,
                str::to_string
            ),
            Err(CallError::Auth {
                status: 401,
                code: Some(-1001),
                ..
            })
        ));
        assert!(matches!(
            classify(403, "<html>forbidden</html>", str::to_string),
            Err(CallError::Auth {
                status: 403,
                code: None,
                ..
            })
        ));
        assert_eq!(
            classify(
                200,
                r#"{"status":"error","status_code":-5102,"message":"Phone used"}"#,
                str::to_string
            ),
            Err(CallError::Business {
                code: -5102,
                message: "Phone used".into()
            })
        );
        assert!(matches!(
            classify(200, "<html>proxy</html>", str::to_string),
            Err(CallError::Unexpected { .. })
        ));
        assert!(matches!(
            classify(404, r#"{"status":"ok"}"#, str::to_string),
            Err(CallError::Unexpected { .. })
        ));
        let refused = classify(
            200,
            r#"{"status":"error","status_code":-7,"message":"Invalid token"}"#,
            str::to_string,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            refused,
            "Sailplay refused the credentials (status_code -7): Invalid token"
        );
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
        let client = DryRunClient::new(&mut out, "http://x/".into(), Some("14864".into()));
        let step = Step {
            index: 2,
            method: crate::plan::Method::Merge,
            params: BTreeMap::from([
                ("from_uid".to_string(), "1".to_string()),
                ("to_uid".to_string(), "2".to_string()),
            ]),
            after: Profile::default(),
        };
        client.send_step("C-1", &step).unwrap();
        assert_eq!(client.printed(), 1);
        drop(client);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "C-1 step 2: POST http://x/api/v2/users/merge/ token=<withheld> store_department_id=14864 from_uid=1 to_uid=2\n"
        );
    }
}
