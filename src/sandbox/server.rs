//! The sandbox's HTTP face: Sailplay's `/api/v2/...` endpoints over axum,
//! with the documented response bodies, token and department checks, and
//! faults on demand (503s, dropped connections, 429s) drawn from a seeded
//! generator so a run can be repeated.
//!
//! Every API request is first held for `--latency-ms` (the network between
//! a client and Sailplay, so rehearsals take the time real runs take).
//! Then, in order: rate limit (429 with Retry-After), injected failure (503,
//! nothing done), credentials (a wrong token is HTTP 200 with
//! `status_code` -7, as Sailplay answers it; a wrong department HTTP 401),
//! the operation itself (business errors are HTTP 200 with `"status":
//! "error"`), its line in the `--state` file, then the injected drop: the
//! operation has been applied, and the connection is shut down without an
//! answer.
//!
//! `GET /_sandbox/stats` and `GET /_sandbox/profiles` exist only in the
//! sandbox, for tests and rehearsals: they need no token and never fault.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

use super::state::{Replayed, StateEvent, StateFile};
use super::store::{ApiError, INVALID_PARAMETERS, Params, Store, addressed_identifier, merge_pair};
use crate::profile::Profile;

/// Answered (with HTTP 200, as business errors) when the token is missing
/// or wrong: Sailplay's code for an invalid token.
pub const INVALID_TOKEN: i64 = -7;
/// Answered with HTTP 401 when the login flow refuses the department key
/// or pin. Sailplay's own code for this is not in the documentation we
/// have.
pub const LOGIN_REFUSED: i64 = -1001;
/// Answered with HTTP 401 when `store_department_id` is not the sandbox's.
pub const WRONG_DEPARTMENT: i64 = -1002;

#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    /// Share of API requests answered 503 without doing anything.
    pub fail_rate: f64,
    /// Share of API requests carried out and then left unanswered.
    pub drop_rate: f64,
    /// API requests admitted per second; above it, 429.
    pub rate_limit: Option<u32>,
    pub seed: u64,
    /// Every API request is answered this much later.
    pub latency: Duration,
}

/// What the sandbox accepts as credentials. Never printed.
#[derive(Clone, Default)]
pub struct AuthConfig {
    /// Accepted as `token` directly, and handed out by the login flow.
    pub token: Option<String>,
    /// When set, every request must carry this `store_department_id`.
    pub department_id: Option<String>,
    /// `store_department_key` and `pin_code` of the login flow.
    pub department_key: Option<String>,
    pub pin: Option<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AuthConfig")
            .field("department_id", &self.department_id)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("login", &self.department_key.is_some())
            .finish()
    }
}

/// Counters served at `/_sandbox/stats`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SandboxStats {
    /// API requests received (faulted ones included).
    pub requests: u64,
    pub requests_by_endpoint: BTreeMap<String, u64>,
    pub failed_503: u64,
    pub dropped: u64,
    pub rate_limited: u64,
    pub auth_failures: u64,
    pub business_errors: u64,
    pub merges_applied: u64,
    /// `"FROM_USER_ID->TO_USER_ID"` → times that merge was carried out.
    pub merges: BTreeMap<String, u64>,
    pub updates_applied: u64,
    pub users_added: u64,
    /// The most API requests held or handled at one moment: how much a
    /// client overlaps its calls.
    pub max_in_flight: u64,
}

struct RateWindow {
    second: u64,
    admitted: u32,
}

struct SandboxState {
    store: Mutex<Store>,
    /// `--state FILE`, written under the store's lock.
    persistence: Option<Mutex<StateFile>>,
    auth: AuthConfig,
    issued_tokens: Mutex<HashSet<String>>,
    faults: FaultConfig,
    dice: Mutex<ChaCha8Rng>,
    window: Mutex<RateWindow>,
    stats: Mutex<SandboxStats>,
    started: Instant,
    in_flight: std::sync::atomic::AtomicU64,
}

/// A lock that survives a panicked holder: the sandbox keeps serving.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Info,
    Add,
    Update,
    Merge,
    Login,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::Info => "users/info",
            Endpoint::Add => "users/add",
            Endpoint::Update => "users/update",
            Endpoint::Merge => "users/merge",
            Endpoint::Login => "login",
        }
    }
}

/// A handle on the connection a request came in on, so that a drop fault
/// can shut the socket down after the operation was applied: the client
/// then sees its connection closed with no response, as after a network
/// failure.
#[derive(Clone)]
pub struct Connection {
    socket: Option<Arc<std::net::TcpStream>>,
}

impl Connected<axum::serve::IncomingStream<'_, TcpListener>> for Connection {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TcpListener>) -> Connection {
        // A duplicate of the descriptor: shutting it down shuts down the
        // socket hyper is serving, without taking it away from hyper.
        let socket = stream
            .io()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(|fd| Arc::new(std::net::TcpStream::from(fd)));
        Connection { socket }
    }
}

impl Connection {
    fn drop_now(&self) {
        if let Some(socket) = &self.socket {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Serves the sandbox on `listener` until `shutdown` completes. With a
/// state file, every change is written to it, and `restored` holds the
/// merge counts of the runs before a restart.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    auth: AuthConfig,
    faults: FaultConfig,
    persistence: Option<(StateFile, Option<Replayed>)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut stats = SandboxStats::default();
    let persistence = persistence.map(|(file, restored)| {
        if let Some(restored) = restored {
            stats.merges = restored.merges;
            stats.merges_applied = restored.merges_applied;
            stats.updates_applied = restored.updates_applied;
            stats.users_added = restored.users_added;
        }
        Mutex::new(file)
    });
    let state = Arc::new(SandboxState {
        store: Mutex::new(store),
        persistence,
        auth,
        issued_tokens: Mutex::new(HashSet::new()),
        dice: Mutex::new(ChaCha8Rng::seed_from_u64(faults.seed)),
        faults,
        window: Mutex::new(RateWindow {
            second: 0,
            admitted: 0,
        }),
        stats: Mutex::new(stats),
        started: Instant::now(),
        in_flight: std::sync::atomic::AtomicU64::new(0),
    });
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<Connection>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

fn router(state: Arc<SandboxState>) -> Router {
    let mut router = Router::new()
        .route("/", get(|| async { "sailmerge sandbox: ok\n" }))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/profiles", get(profiles));
    for (path, endpoint) in [
        ("/api/v2/users/info", Endpoint::Info),
        ("/api/v2/users/add", Endpoint::Add),
        ("/api/v2/users/update", Endpoint::Update),
        ("/api/v2/users/merge", Endpoint::Merge),
        ("/api/v2/login", Endpoint::Login),
    ] {
        let handler = move |State(state): State<Arc<SandboxState>>,
                            ConnectInfo(connection): ConnectInfo<Connection>,
                            Form(pairs): Form<Vec<(String, String)>>| async move {
            let _counted = InFlight::enter(&state);
            if !state.faults.latency.is_zero() {
                tokio::time::sleep(state.faults.latency).await;
            }
            handle(&state, endpoint, &connection, pairs)
        };
        router = router
            .route(&format!("{path}/"), get(handler).post(handler))
            .route(path, get(handler).post(handler));
    }
    router.with_state(state)
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a SandboxState);

impl<'a> InFlight<'a> {
    fn enter(state: &'a SandboxState) -> InFlight<'a> {
        use std::sync::atomic::Ordering;
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut stats = lock(&state.stats);
        stats.max_in_flight = stats.max_in_flight.max(now);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn stats(State(state): State<Arc<SandboxState>>) -> Json<SandboxStats> {
    Json(lock(&state.stats).clone())
}

async fn profiles(State(state): State<Arc<SandboxState>>) -> Json<Vec<Profile>> {
    Json(lock(&state.store).profiles().cloned().collect())
}

fn error_body(code: i64, message: &str) -> Value {
    json!({"status": "error", "status_code": code, "message": message})
}

fn handle(
    state: &SandboxState,
    endpoint: Endpoint,
    connection: &Connection,
    pairs: Vec<(String, String)>,
) -> Response {
    {
        let mut stats = lock(&state.stats);
        stats.requests += 1;
        *stats
            .requests_by_endpoint
            .entry(endpoint.name().to_string())
            .or_default() += 1;
    }
    if let Some(limit) = state.faults.rate_limit {
        let second = state.started.elapsed().as_secs();
        let mut window = lock(&state.window);
        if window.second != second {
            *window = RateWindow {
                second,
                admitted: 0,
            };
        }
        if window.admitted >= limit {
            lock(&state.stats).rate_limited += 1;
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(error_body(429, "Too many requests")),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
        window.admitted += 1;
    }
    // Both dice are cast for every request, so a seed replays the same
    // faults for the same sequence of requests.
    let (fail_roll, drop_roll) = {
        let mut dice = lock(&state.dice);
        (dice.random::<f64>(), dice.random::<f64>())
    };
    if fail_roll < state.faults.fail_rate {
        lock(&state.stats).failed_503 += 1;
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(error_body(503, "Service temporarily unavailable")),
        )
            .into_response();
    }

    let mut params = Params::new();
    for (key, value) in pairs {
        params.insert(key, value);
    }
    let response = match endpoint {
        Endpoint::Login => login(state, &params),
        _ => match check_credentials(state, &params) {
            Err(response) => *response,
            Ok(()) => {
                let mut store = lock(&state.store);
                let result = operate(&mut store, endpoint, &params);
                if let Ok(operation) = &result {
                    persist(state, operation);
                }
                let mut stats = lock(&state.stats);
                match result {
                    Ok(Operation::Read(body)) => Json(body).into_response(),
                    Ok(Operation::Merged { from, to, body, .. }) => {
                        stats.merges_applied += 1;
                        *stats.merges.entry(format!("{from}->{to}")).or_default() += 1;
                        Json(body).into_response()
                    }
                    Ok(Operation::Updated(_, body)) => {
                        stats.updates_applied += 1;
                        Json(body).into_response()
                    }
                    Ok(Operation::Added(_, body)) => {
                        stats.users_added += 1;
                        Json(body).into_response()
                    }
                    Err(error) => {
                        stats.business_errors += 1;
                        Json(error_body(error.code, &error.message)).into_response()
                    }
                }
            }
        },
    };
    if drop_roll < state.faults.drop_rate {
        lock(&state.stats).dropped += 1;
        connection.drop_now();
    }
    response
}

/// Writes a change to the state file before it is answered. A sandbox that
/// cannot keep its state stops, as a crashed server would: the change was
/// never answered, and clients settle it when it comes back.
fn persist(state: &SandboxState, operation: &Operation) {
    let Some(file) = &state.persistence else {
        return;
    };
    let event = match operation {
        Operation::Read(_) => return,
        Operation::Added(profile, _) => StateEvent::Added {
            profile: profile.clone(),
        },
        Operation::Updated(profile, _) => StateEvent::Updated {
            profile: profile.clone(),
        },
        Operation::Merged { from, merged, .. } => StateEvent::Merged {
            from: from.clone(),
            profile: merged.clone(),
        },
    };
    if let Err(error) = lock(file).record(&event) {
        eprintln!("error: {error:#}; the sandbox stops");
        std::process::exit(2);
    }
}

fn unauthorized(state: &SandboxState, code: i64, message: &str) -> Response {
    lock(&state.stats).auth_failures += 1;
    (StatusCode::UNAUTHORIZED, Json(error_body(code, message))).into_response()
}

fn check_credentials(state: &SandboxState, params: &Params) -> Result<(), Box<Response>> {
    let token = params.get("token").map(String::as_str).unwrap_or("");
    let accepted = !token.is_empty()
        && (state.auth.token.as_deref() == Some(token)
            || lock(&state.issued_tokens).contains(token));
    if !accepted {
        lock(&state.stats).auth_failures += 1;
        return Err(Box::new(
            Json(error_body(INVALID_TOKEN, "Invalid token")).into_response(),
        ));
    }
    check_department(state, params)
}

fn check_department(state: &SandboxState, params: &Params) -> Result<(), Box<Response>> {
    if let Some(department) = &state.auth.department_id
        && params.get("store_department_id") != Some(department)
    {
        return Err(Box::new(unauthorized(
            state,
            WRONG_DEPARTMENT,
            "Wrong store_department_id",
        )));
    }
    Ok(())
}

/// `/api/v2/login/`: `store_department_id` + `store_department_key` +
/// `pin_code` → `{"status": "ok", "token": ...}`.
fn login(state: &SandboxState, params: &Params) -> Response {
    if let Err(response) = check_department(state, params) {
        return *response;
    }
    let (Some(key), Some(pin)) = (&state.auth.department_key, &state.auth.pin) else {
        return unauthorized(state, LOGIN_REFUSED, "Login is not enabled in this sandbox");
    };
    if params.get("store_department_key") != Some(key) || params.get("pin_code") != Some(pin) {
        return unauthorized(
            state,
            LOGIN_REFUSED,
            "Wrong store_department_key or pin_code",
        );
    }
    let token = match &state.auth.token {
        Some(token) => token.clone(),
        None => {
            // From the operating system, not the fault dice: a token must
            // not repeat after a restart, and logins must not shift the
            // faults a seed replays.
            let mut bytes = [0u8; 20];
            rand::rng().fill_bytes(&mut bytes);
            let token = hex::encode(bytes);
            lock(&state.issued_tokens).insert(token.clone());
            token
        }
    };
    Json(json!({"status": "ok", "token": token})).into_response()
}

enum Operation {
    Read(Value),
    Added(Profile, Value),
    Updated(Profile, Value),
    Merged {
        from: String,
        to: String,
        merged: Profile,
        body: Value,
    },
}

fn operate(store: &mut Store, endpoint: Endpoint, params: &Params) -> Result<Operation, ApiError> {
    match endpoint {
        Endpoint::Info => info(store, params).map(Operation::Read),
        Endpoint::Add => store.add(params).map(|p| {
            let body = ok_profile_body(&p);
            Operation::Added(p, body)
        }),
        Endpoint::Update => store.update(params).map(|p| {
            let body = ok_profile_body(&p);
            Operation::Updated(p, body)
        }),
        Endpoint::Merge => {
            let (from, to) = merge_pair(params)?;
            let outcome = store.merge(&from, &to)?;
            Ok(Operation::Merged {
                body: ok_profile_body(&outcome.merged),
                from: outcome.from_user_id,
                to: outcome.to_user_id,
                merged: outcome.merged,
            })
        }
        Endpoint::Login => unreachable!("login is handled before the store"),
    }
}

/// `users/info`: one profile's fields at the top level, or with `multi=1`
/// one object per identifier kind given (`{}` when not given or not found).
fn info(store: &Store, params: &Params) -> Result<Value, ApiError> {
    if params.get("multi").map(String::as_str) == Some("1") {
        let mut body = Map::new();
        body.insert("status".into(), json!("ok"));
        let lookups = [
            ("origin_user_id", &["origin_user_id"][..]),
            ("user_id", &["user_id"][..]),
            ("phone", &["user_phone", "phone"][..]),
            ("email", &["email"][..]),
        ];
        for (key, names) in lookups {
            let single: Params = names
                .iter()
                .find_map(|name| {
                    params
                        .get(*name)
                        .map(|value| (name.to_string(), value.clone()))
                })
                .into_iter()
                .collect();
            let found = addressed_identifier(&single)
                .and_then(|identifier| store.find(&identifier).ok())
                .map(|profile| Value::Object(profile_fields(profile)))
                .unwrap_or_else(|| json!({}));
            body.insert(key.into(), found);
        }
        body.insert("identification".into(), json!({}));
        return Ok(Value::Object(body));
    }
    let identifier = addressed_identifier(params).ok_or_else(|| ApiError {
        code: INVALID_PARAMETERS,
        message: "users/info needs one of user_id, origin_user_id, user_phone, email".into(),
    })?;
    Ok(ok_profile_body(store.find(&identifier)?))
}

fn ok_profile_body(profile: &Profile) -> Value {
    let mut body = Map::new();
    body.insert("status".into(), json!("ok"));
    body.extend(profile_fields(profile));
    Value::Object(body)
}

/// A number where Sailplay sends one (`id`, `sex`), else the text; a value
/// a number would not spell the same way (`007`) stays text.
fn number_or_text(value: &str) -> Value {
    match value.parse::<i64>() {
        Ok(number) if number.to_string() == value => Value::from(number),
        _ => Value::from(value),
    }
}

/// A profile as `users/info` shows it. `points` is the documented balance
/// object; the export's single balance is the confirmed one.
pub fn profile_fields(profile: &Profile) -> Map<String, Value> {
    let text = |value: &Option<String>| value.as_deref().map_or(Value::Null, Value::from);
    let balance = profile
        .points
        .as_deref()
        .and_then(|points| points.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let mut fields = Map::new();
    fields.insert("id".into(), number_or_text(&profile.user_id));
    fields.insert("origin_user_id".into(), text(&profile.origin_user_id));
    fields.insert("phone".into(), text(&profile.phone));
    fields.insert("email".into(), text(&profile.email));
    fields.insert("first_name".into(), text(&profile.first_name));
    fields.insert("middle_name".into(), text(&profile.middle_name));
    fields.insert("last_name".into(), text(&profile.last_name));
    fields.insert("birth_date".into(), text(&profile.birth_date));
    fields.insert(
        "sex".into(),
        profile.sex.as_deref().map_or(Value::Null, number_or_text),
    );
    fields.insert("register_date".into(), text(&profile.register_date));
    fields.insert(
        "points".into(),
        json!({"spent_extra": 0, "confirmed": balance, "total": balance, "spent": 0, "unconfirmed": 0}),
    );
    fields.insert("category".into(), Value::Null);
    fields.insert("avatar".into(), Value::Null);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbers_only_when_that_keeps_them_intact() {
        assert_eq!(number_or_text("376442122"), json!(376442122));
        assert_eq!(number_or_text("007"), json!("007"));
        assert_eq!(number_or_text("crm-12"), json!("crm-12"));
    }

    #[test]
    fn info_shows_the_documented_fields() {
        let profile = Profile {
            user_id: "5".into(),
            phone: Some("79990000001".into()),
            sex: Some("2".into()),
            points: Some("40".into()),
            ..Profile::default()
        };
        let fields = Value::Object(profile_fields(&profile));
        assert_eq!(fields["id"], json!(5));
        assert_eq!(fields["sex"], json!(2));
        assert_eq!(fields["email"], Value::Null);
        assert_eq!(fields["points"]["confirmed"], json!(40));
        assert_eq!(fields["points"]["total"], json!(40));
    }
}
