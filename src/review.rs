//! Review: serves the report on loopback and records the reviewer's
//! approve/reject decisions in `DIR/decisions.json` as they are made.
//!
//! Invariants:
//! - The page served is rendered from `DIR/plan.json` after its hash is
//!   checked, and decisions.json is bound to that hash: an existing file
//!   made on another plan is never overwritten or mixed in.
//! - decisions.json is the only state: the server keeps no copy. A read
//!   reads the file; a change goes through [`crate::decisions::edit`],
//!   which re-reads it under the lock and writes only the clicked
//!   clusters, each only if its decision is still the one the page showed.
//!   So an `approve --reject` made while the page is open, or a second
//!   server on the same directory, is never reverted: the page is told of
//!   the conflict and shows the decision that stands.
//! - Every accepted change is on disk (atomic write) before the page is told
//!   it is saved. Changes are applied all-or-nothing per request.
//! - Only loopback addresses are served, and only under a random key made
//!   for this session and printed in the URL: a request without it (any
//!   other local user or process) gets nothing, neither the page with its
//!   phones and e-mails nor the decisions. Requests naming another host
//!   (DNS rebinding) or sent from another origin are refused.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::decisions::{
    self, ClusterDecision, ClusterIds, Condition, DECISIONS_FILE, Decision, Decisions, Edit,
    EditError, OtherPlan, Writer,
};
use crate::ids::ClusterId;
use crate::plan::MergePlan;

/// Large enough to approve 100,000 clusters in one request.
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;
/// How long open connections get to finish after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// One change asked for by the page: `decision: null` clears the cluster's
/// decision (it becomes undecided again). `expected` is the decision the
/// page showed when it was clicked (`null`: undecided); when present, the
/// change is made only if the file still holds it. A client that leaves it
/// out names the cluster outright, as `approve --clusters` does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DecisionUpdate {
    pub cluster_id: ClusterId,
    pub decision: Option<Decision>,
    #[serde(default, deserialize_with = "present")]
    pub expected: Option<Option<Decision>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `expected: null` is present (undecided), unlike a missing key.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Decision>>, D::Error> {
    Option::<Decision>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DecisionUpdates {
    pub updates: Vec<DecisionUpdate>,
}

/// The answer to a saved change: the counts, and the decisions of the
/// clusters the request named as they now stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveReceipt {
    pub decided_at: String,
    pub approved: usize,
    pub rejected: usize,
    pub clusters: BTreeMap<ClusterId, Option<ClusterDecision>>,
}

/// What `GET api/decisions` answers: the file, and who this session
/// records as reviewer.
#[derive(Debug, Serialize)]
pub struct DecisionsView {
    pub reviewer: String,
    #[serde(flatten)]
    pub decisions: Decisions,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cluster ids not in this plan: {0}")]
    UnknownClusters(String),
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// The plan under review, its page, and who reviews it.
pub struct ReviewSession {
    dir: PathBuf,
    plan_hash: String,
    ids: ClusterIds,
    clusters: usize,
    candidates: usize,
    page: String,
    reviewer: String,
    key: String,
}

impl ReviewSession {
    /// Reads and checks `DIR/plan.json`, checks that an existing
    /// decisions.json was made on it, and renders the page. `reviewer`
    /// (else the login name) is recorded on every decision this session
    /// makes.
    pub fn open(dir: &Path, reviewer: Option<&str>) -> Result<ReviewSession> {
        let plan = MergePlan::read(dir).with_context(|| {
            format!(
                "sailmerge review needs the plan written by `sailmerge plan --out {}`",
                dir.display()
            )
        })?;
        if let Some(existing) = Decisions::read_if_exists(dir)?
            && existing.plan_hash != plan.plan_hash
        {
            bail!(
                "{} holds decisions made on another plan ({}), not on {}/plan.json ({}); move it away to start a new review of this plan",
                dir.join(DECISIONS_FILE).display(),
                existing.plan_hash,
                dir.display(),
                plan.plan_hash
            );
        }
        let reviewer = decisions::resolve_reviewer(reviewer)?;
        let page = crate::report::render_report(&plan)?;
        Ok(ReviewSession {
            dir: dir.to_path_buf(),
            plan_hash: plan.plan_hash.clone(),
            ids: ClusterIds::of_plan(&plan),
            clusters: plan.clusters.len(),
            candidates: plan.candidates.len(),
            page,
            reviewer,
            key: session_key(),
        })
    }

    pub fn plan_hash(&self) -> &str {
        &self.plan_hash
    }

    /// Planned clusters (candidates of the review band apart).
    pub fn cluster_count(&self) -> usize {
        self.clusters
    }

    pub fn candidate_count(&self) -> usize {
        self.candidates
    }

    /// How many of `decisions` are on planned clusters.
    pub fn decided_clusters(&self, decisions: &Decisions) -> usize {
        decisions
            .clusters
            .keys()
            .filter(|id| self.ids.kind(id) == Some(decisions::ClusterKind::Planned))
            .count()
    }

    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }

    /// The random key the URL carries; every request must start with it.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// decisions.json as it is on disk now (empty when there is none yet).
    pub fn decisions(&self) -> Result<Decisions> {
        Ok(Decisions::read_if_exists(&self.dir)?
            .unwrap_or_else(|| Decisions::empty(&self.plan_hash, &decisions::now_rfc3339())))
    }

    pub fn decisions_path(&self) -> PathBuf {
        self.dir.join(DECISIONS_FILE)
    }

    /// Applies `updates` through the shared edit (lock, re-read, write):
    /// all of them or, on an unknown id or a conflict, none.
    pub fn record(&self, updates: &[DecisionUpdate]) -> Result<SaveReceipt, RecordError> {
        let mut unknown = Vec::new();
        let mut edits = Vec::with_capacity(updates.len());
        for update in updates {
            let Some(id) = self.ids.resolve(&update.cluster_id) else {
                unknown.push(format!("{:?}", update.cluster_id));
                continue;
            };
            let note = decisions::clean_note(update.note.as_deref())
                .map_err(|error| RecordError::Edit(EditError::Io(error)))?;
            edits.push(Edit {
                cluster_id: id.clone(),
                decision: update.decision,
                condition: update.expected.map_or(Condition::Always, Condition::Expect),
                note,
            });
        }
        if !unknown.is_empty() {
            let count = unknown.len();
            unknown.truncate(5);
            if count > 5 {
                unknown.push(format!("and {} more", count - 5));
            }
            return Err(RecordError::UnknownClusters(unknown.join(", ")));
        }
        let now = decisions::now_rfc3339();
        let writer = Writer {
            reviewer: &self.reviewer,
            at: &now,
        };
        let edited = decisions::edit(
            &self.dir,
            &self.plan_hash,
            &edits,
            writer,
            OtherPlan::Refuse,
        )?;
        let (approved, rejected) = edited.decisions.counts();
        Ok(SaveReceipt {
            decided_at: edited.decisions.decided_at.clone(),
            approved,
            rejected,
            clusters: edits
                .iter()
                .map(|edit| {
                    let now = edited.decisions.clusters.get(&edit.cluster_id).cloned();
                    (edit.cluster_id.clone(), now)
                })
                .collect(),
        })
    }
}

/// 128 random bits in hex, from the operating system's generator.
fn session_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Refuses anything but loopback: the review API changes what `apply` runs.
pub fn check_loopback(listen: SocketAddr) -> Result<()> {
    if !listen.ip().is_loopback() {
        bail!(
            "--listen {listen}: sailmerge review serves only on a loopback address (127.0.0.1 or [::1]), since anyone who reaches it can approve merges"
        );
    }
    Ok(())
}

/// The address and key a request must carry.
struct Guard {
    hosts: Vec<String>,
    origins: Vec<String>,
    prefix: String,
}

/// The HTTP routes for `session`, answering only to `bound` (the address
/// the listener got, port included) under `/<key>/`.
pub fn router(session: Arc<ReviewSession>, bound: SocketAddr) -> Router {
    let hosts: Vec<String> = vec![
        bound.to_string(),
        format!("localhost:{}", bound.port()),
        format!("127.0.0.1:{}", bound.port()),
        format!("[::1]:{}", bound.port()),
    ];
    let guard = Arc::new(Guard {
        origins: hosts.iter().map(|host| format!("http://{host}")).collect(),
        hosts,
        prefix: format!("/{}/", session.key),
    });
    let key = &session.key;
    Router::new()
        .route(&format!("/{key}/"), get(page))
        .route(&format!("/{key}/report.html"), get(page))
        .route(
            &format!("/{key}/api/decisions"),
            get(get_decisions).post(post_decisions),
        )
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(middleware::from_fn_with_state(guard, guard_request))
        .with_state(session)
}

/// Why `request` is refused, if it is: another host, another origin, or
/// no session key.
fn refusal(guard: &Guard, request: &Request) -> Option<Response> {
    let header_text = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    let host = header_text(header::HOST.as_str()).unwrap_or("");
    if !guard.hosts.iter().any(|allowed| allowed == host) {
        return Some(
            (
                StatusCode::FORBIDDEN,
                "sailmerge review answers only on its loopback address",
            )
                .into_response(),
        );
    }
    // A browser sends Origin with every POST and with cross-site requests;
    // only the page this server served may use the API.
    let foreign_origin = header_text(header::ORIGIN.as_str())
        .is_some_and(|origin| !guard.origins.iter().any(|allowed| allowed == origin));
    let cross_site = header_text("sec-fetch-site").is_some_and(|site| site == "cross-site");
    if foreign_origin || cross_site {
        return Some(
            (
                StatusCode::FORBIDDEN,
                "sailmerge review answers only to the page it served",
            )
                .into_response(),
        );
    }
    let path = request.uri().path().as_bytes();
    let prefix = guard.prefix.as_bytes();
    let keyed = path.len() >= prefix.len() && same_secret(&path[..prefix.len()], prefix);
    if !keyed {
        return Some(
            (
                StatusCode::NOT_FOUND,
                "open the URL `sailmerge review` printed: it carries this session's key",
            )
                .into_response(),
        );
    }
    None
}

/// Whether `a` equals `b`, in a time that does not depend on where they
/// first differ (the key must not leak through response times).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

async fn guard_request(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    if let Some(refusal) = refusal(&guard, &request) {
        return refusal;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn page(State(session): State<Arc<ReviewSession>>) -> Html<String> {
    Html(session.page.clone())
}

async fn get_decisions(
    State(session): State<Arc<ReviewSession>>,
) -> Result<Json<DecisionsView>, (StatusCode, String)> {
    let read = tokio::task::spawn_blocking(move || {
        session.decisions().map(|decisions| DecisionsView {
            reviewer: session.reviewer.clone(),
            decisions,
        })
    })
    .await
    .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    read.map(Json)
        .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, format!("{error:#}")))
}

/// A refused change: the message, and for a conflict the decisions that
/// stand, so that the page can show them.
#[derive(Debug, Serialize)]
struct Refusal {
    error: String,
    conflicts: Vec<decisions::Conflict>,
}

async fn post_decisions(
    State(session): State<Arc<ReviewSession>>,
    Json(body): Json<DecisionUpdates>,
) -> Result<Json<SaveReceipt>, (StatusCode, Json<Refusal>)> {
    let refusal = |status, error: String, conflicts| (status, Json(Refusal { error, conflicts }));
    let result = tokio::task::spawn_blocking(move || session.record(&body.updates))
        .await
        .map_err(|error| {
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("saving failed: {error}"),
                Vec::new(),
            )
        })?;
    match result {
        Ok(receipt) => Ok(Json(receipt)),
        Err(error @ RecordError::UnknownClusters(_)) => Err(refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.to_string(),
            Vec::new(),
        )),
        Err(RecordError::Edit(EditError::Conflicts(conflicts))) => {
            let message = EditError::Conflicts(conflicts.clone()).to_string();
            Err(refusal(StatusCode::CONFLICT, message, conflicts))
        }
        Err(RecordError::Edit(error @ EditError::OtherPlan { .. })) => {
            Err(refusal(StatusCode::CONFLICT, error.to_string(), Vec::new()))
        }
        Err(RecordError::Edit(EditError::Io(error))) => Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{error:#}"),
            Vec::new(),
        )),
    }
}

/// Serves until `shutdown` completes, then gives open connections
/// `SHUTDOWN_GRACE` to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    session: Arc<ReviewSession>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let bound = listener
        .local_addr()
        .context("cannot read the address the server bound")?;
    let app = router(session, bound);
    let stopping = Arc::new(tokio::sync::Notify::new());
    let notify = stopping.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        notify.notify_one();
    });
    tokio::select! {
        served = server => served.context("the review server failed")?,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {}
    }
    Ok(())
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::synthetic::synthetic_plan;

    fn update(id: &str, decision: Option<Decision>, expected: Option<Decision>) -> DecisionUpdate {
        DecisionUpdate {
            cluster_id: id.into(),
            decision,
            expected: Some(expected),
            note: None,
        }
    }

    #[test]
    fn only_loopback_is_served() {
        assert!(check_loopback("127.0.0.1:0".parse().unwrap()).is_ok());
        assert!(check_loopback("[::1]:8080".parse().unwrap()).is_ok());
        let error = check_loopback("0.0.0.0:8080".parse().unwrap()).unwrap_err();
        assert!(error.to_string().contains("loopback"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"/abc/", b"/abc/"));
        assert!(!same_secret(b"/abd/", b"/abc/"));
        assert!(!same_secret(b"/ab/", b"/abc/"));
    }

    #[test]
    fn session_keys_are_random_and_long() {
        let (a, b) = (session_key(), session_key());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn expected_null_is_present_and_a_missing_expected_is_not() {
        let body: DecisionUpdates = serde_json::from_str(
            r#"{"updates":[{"cluster_id":"a","decision":"approve","expected":null},
                           {"cluster_id":"b","decision":"reject"}]}"#,
        )
        .unwrap();
        assert_eq!(body.updates[0].expected, Some(None));
        assert_eq!(body.updates[1].expected, None);
    }

    #[test]
    fn session_saves_each_change_with_its_reviewer_and_reads_the_file_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let plan = synthetic_plan(4, 9);
        plan.write(dir.path()).unwrap();
        let first = plan.clusters[0].cluster_id.clone();
        let session = ReviewSession::open(dir.path(), Some("Аудитор")).unwrap();
        let receipt = session
            .record(&[update(&first.to_uppercase(), Some(Decision::Approve), None)])
            .unwrap();
        assert_eq!((receipt.approved, receipt.rejected), (1, 0));
        let on_disk = Decisions::read(dir.path()).unwrap();
        assert_eq!(on_disk.plan_hash, plan.plan_hash);
        assert_eq!(on_disk.clusters[&first].reviewer, "Аудитор");

        // Another writer rejects it; the session reads that, and a click
        // made on the stale view is refused.
        let mut changed = on_disk.clone();
        changed.clusters.get_mut(&first).unwrap().decision = Decision::Reject;
        changed.write(dir.path()).unwrap();
        assert_eq!(
            session.decisions().unwrap().decision(&first),
            Some(Decision::Reject)
        );
        let error = session
            .record(&[update(&first, None, Some(Decision::Approve))])
            .unwrap_err();
        assert!(
            matches!(error, RecordError::Edit(EditError::Conflicts(_))),
            "{error}"
        );
        assert_eq!(
            Decisions::read(dir.path()).unwrap().decision(&first),
            Some(Decision::Reject)
        );
    }

    #[test]
    fn one_unknown_cluster_rejects_the_whole_request() {
        let dir = tempfile::tempdir().unwrap();
        let plan = synthetic_plan(3, 1);
        plan.write(dir.path()).unwrap();
        let session = ReviewSession::open(dir.path(), Some("r")).unwrap();
        let error = session
            .record(&[
                update(&plan.clusters[0].cluster_id, Some(Decision::Approve), None),
                update("<zz>", Some(Decision::Approve), None),
            ])
            .unwrap_err();
        assert!(error.to_string().contains("\"<zz>\""), "{error}");
        assert!(!dir.path().join(DECISIONS_FILE).exists());
    }

    #[test]
    fn decisions_made_on_another_plan_are_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let plan = synthetic_plan(3, 1);
        plan.write(dir.path()).unwrap();
        let mut other = Decisions::empty("another-plan", "T");
        other.clusters.insert(
            "c000001".into(),
            ClusterDecision {
                decision: Decision::Approve,
                reviewer: "r".into(),
                decided_at: "T".into(),
                note: None,
                carried_from: None,
            },
        );
        other.write(dir.path()).unwrap();
        let before = std::fs::read(dir.path().join(DECISIONS_FILE)).unwrap();
        let error = ReviewSession::open(dir.path(), Some("r"))
            .err()
            .expect("must refuse");
        assert!(format!("{error:#}").contains("another plan"), "{error:#}");
        assert_eq!(
            std::fs::read(dir.path().join(DECISIONS_FILE)).unwrap(),
            before
        );
    }
}
