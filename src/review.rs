//! Review: serves the report on loopback and records the reviewer's
//! approve/reject decisions in `DIR/decisions.json` as they are made.
//!
//! Invariants:
//! - The page served is rendered from `DIR/plan.json` after its hash is
//!   checked, and decisions.json is bound to that hash: an existing file
//!   made on another plan is never overwritten or mixed in.
//! - Every accepted change is on disk (atomic write) before the page is told
//!   it is saved, so closing the tab or killing the server loses nothing
//!   that was confirmed. Changes are applied all-or-nothing per request.
//! - Only loopback addresses are served, and requests naming another host
//!   are refused (a web page elsewhere cannot reach the API through DNS
//!   rebinding); changes need a JSON body, which a cross-site form cannot
//!   send without the browser asking first.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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

use crate::decisions::{ClusterDecision, DECISIONS_FILE, Decision, Decisions, SCHEMA_VERSION};
use crate::plan::MergePlan;

/// Large enough to approve 100,000 clusters in one request.
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;
/// How long open connections get to finish after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// One change asked for by the page: `decision: null` clears the cluster's
/// decision (it becomes undecided again).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DecisionUpdate {
    pub cluster_id: String,
    pub decision: Option<Decision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DecisionUpdates {
    pub updates: Vec<DecisionUpdate>,
}

/// The answer to a saved change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveReceipt {
    pub decided_at: String,
    pub approved: usize,
    pub rejected: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cluster ids not in this plan: {0}")]
    UnknownClusters(String),
    #[error(transparent)]
    Write(#[from] anyhow::Error),
}

/// The plan under review, its page, and the decisions made so far.
pub struct ReviewSession {
    dir: PathBuf,
    plan_hash: String,
    cluster_ids: HashSet<String>,
    page: String,
    decisions: Mutex<Decisions>,
}

impl ReviewSession {
    /// Reads and checks `DIR/plan.json`, renders the page, and loads the
    /// decisions already made on this plan. `reviewer` overrides the one
    /// recorded in an existing decisions.json.
    pub fn open(dir: &Path, reviewer: Option<&str>) -> Result<ReviewSession> {
        let plan = MergePlan::read(dir).with_context(|| {
            format!(
                "sailmerge review needs the plan written by `sailmerge plan --out {}`",
                dir.display()
            )
        })?;
        let decisions = load_or_start_decisions(dir, &plan, reviewer)?;
        let page = crate::report::render_report(&plan)?;
        Ok(ReviewSession {
            dir: dir.to_path_buf(),
            plan_hash: plan.plan_hash.clone(),
            cluster_ids: plan.clusters.iter().map(|c| c.cluster_id.clone()).collect(),
            page,
            decisions: Mutex::new(decisions),
        })
    }

    pub fn plan_hash(&self) -> &str {
        &self.plan_hash
    }

    pub fn cluster_count(&self) -> usize {
        self.cluster_ids.len()
    }

    pub fn decisions(&self) -> Decisions {
        self.lock().clone()
    }

    pub fn decisions_path(&self) -> PathBuf {
        self.dir.join(DECISIONS_FILE)
    }

    /// Applies `updates` and writes decisions.json; on any error neither the
    /// file nor the decisions in memory change.
    pub fn record(&self, updates: &[DecisionUpdate]) -> Result<SaveReceipt, RecordError> {
        let now = now_rfc3339();
        let mut decisions = self.lock();
        let mut changed = decisions.clone();
        apply_updates(&mut changed, updates, &self.cluster_ids, &now)?;
        changed
            .write(&self.dir)
            .with_context(|| format!("cannot save {}", self.decisions_path().display()))?;
        *decisions = changed;
        Ok(receipt(&decisions))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Decisions> {
        // A panic while holding the lock leaves the last saved state, which
        // is still consistent: keep serving it.
        self.decisions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The decisions in `DIR/decisions.json` if it was made on this plan, else
/// an empty set; an existing file made on another plan is an error, since
/// writing over it would lose another review.
pub fn load_or_start_decisions(
    dir: &Path,
    plan: &MergePlan,
    reviewer: Option<&str>,
) -> Result<Decisions> {
    let path = dir.join(DECISIONS_FILE);
    let mut decisions = if path.exists() {
        let existing = Decisions::read(dir)?;
        if existing.plan_hash != plan.plan_hash {
            bail!(
                "{} holds decisions made on another plan ({}), not on {}/plan.json ({}); move it away to start a new review of this plan",
                path.display(),
                existing.plan_hash,
                dir.display(),
                plan.plan_hash
            );
        }
        existing
    } else {
        Decisions {
            schema_version: SCHEMA_VERSION,
            plan_hash: plan.plan_hash.clone(),
            reviewer: String::new(),
            decided_at: now_rfc3339(),
            clusters: Default::default(),
        }
    };
    if let Some(reviewer) = reviewer.map(str::trim).filter(|r| !r.is_empty()) {
        decisions.reviewer = reviewer.to_string();
    } else if decisions.reviewer.is_empty() {
        decisions.reviewer = default_reviewer();
    }
    Ok(decisions)
}

/// The login name, as the person at this terminal.
fn default_reviewer() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Applies the updates to `decisions`, stamping changed clusters and the
/// file with `now`. All ids are checked first: one unknown id rejects the
/// whole request.
pub fn apply_updates(
    decisions: &mut Decisions,
    updates: &[DecisionUpdate],
    known_cluster_ids: &HashSet<String>,
    now: &str,
) -> Result<(), RecordError> {
    let unknown: Vec<&str> = updates
        .iter()
        .map(|u| u.cluster_id.as_str())
        .filter(|id| !known_cluster_ids.contains(*id))
        .collect();
    if !unknown.is_empty() {
        let mut listed: Vec<String> = unknown.iter().take(5).map(|id| format!("{id:?}")).collect();
        if unknown.len() > 5 {
            listed.push(format!("and {} more", unknown.len() - 5));
        }
        return Err(RecordError::UnknownClusters(listed.join(", ")));
    }
    for update in updates {
        match update.decision {
            Some(decision) => {
                let unchanged = decisions
                    .clusters
                    .get(&update.cluster_id)
                    .is_some_and(|existing| existing.decision == decision);
                if !unchanged {
                    decisions.clusters.insert(
                        update.cluster_id.clone(),
                        ClusterDecision {
                            decision,
                            decided_at: now.to_string(),
                            note: None,
                        },
                    );
                }
            }
            None => {
                decisions.clusters.remove(&update.cluster_id);
            }
        }
    }
    decisions.decided_at = now.to_string();
    Ok(())
}

fn receipt(decisions: &Decisions) -> SaveReceipt {
    let approved = decisions
        .clusters
        .values()
        .filter(|d| d.decision == Decision::Approve)
        .count();
    SaveReceipt {
        decided_at: decisions.decided_at.clone(),
        approved,
        rejected: decisions.clusters.len() - approved,
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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

/// The HTTP routes for `session`, answering only to `bound` (the address
/// the listener got, port included).
pub fn router(session: Arc<ReviewSession>, bound: SocketAddr) -> Router {
    let allowed_hosts: Arc<Vec<String>> = Arc::new(
        [
            bound.to_string(),
            format!("localhost:{}", bound.port()),
            format!("127.0.0.1:{}", bound.port()),
            format!("[::1]:{}", bound.port()),
        ]
        .into(),
    );
    Router::new()
        .route("/", get(page))
        .route("/report.html", get(page))
        .route("/api/decisions", get(get_decisions).post(post_decisions))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(middleware::from_fn_with_state(allowed_hosts, guard_host))
        .with_state(session)
}

async fn guard_host(
    State(allowed): State<Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !allowed.iter().any(|a| a == host) {
        return (
            StatusCode::FORBIDDEN,
            "sailmerge review answers only on its loopback address",
        )
            .into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn page(State(session): State<Arc<ReviewSession>>) -> Html<String> {
    Html(session.page.clone())
}

async fn get_decisions(State(session): State<Arc<ReviewSession>>) -> Json<Decisions> {
    Json(session.decisions())
}

async fn post_decisions(
    State(session): State<Arc<ReviewSession>>,
    Json(body): Json<DecisionUpdates>,
) -> Result<Json<SaveReceipt>, (StatusCode, String)> {
    let result = tokio::task::spawn_blocking(move || session.record(&body.updates))
        .await
        .map_err(|error| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("saving failed: {error}"),
            )
        })?;
    match result {
        Ok(receipt) => Ok(Json(receipt)),
        Err(error @ RecordError::UnknownClusters(_)) => {
            Err((StatusCode::UNPROCESSABLE_ENTITY, error.to_string()))
        }
        Err(RecordError::Write(error)) => {
            Err((StatusCode::INTERNAL_SERVER_ERROR, format!("{error:#}")))
        }
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

    fn empty(plan_hash: &str) -> Decisions {
        Decisions {
            schema_version: SCHEMA_VERSION,
            plan_hash: plan_hash.into(),
            reviewer: "r".into(),
            decided_at: "2026-01-01T00:00:00Z".into(),
            clusters: Default::default(),
        }
    }

    fn update(id: &str, decision: Option<Decision>) -> DecisionUpdate {
        DecisionUpdate {
            cluster_id: id.into(),
            decision,
        }
    }

    fn known(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn updates_set_change_and_clear_decisions() {
        let mut decisions = empty("h");
        let ids = known(&["a", "b"]);
        apply_updates(
            &mut decisions,
            &[
                update("a", Some(Decision::Approve)),
                update("b", Some(Decision::Reject)),
            ],
            &ids,
            "T1",
        )
        .unwrap();
        assert!(decisions.is_approved("a"));
        assert_eq!(decisions.clusters["b"].decision, Decision::Reject);
        apply_updates(
            &mut decisions,
            &[update("a", Some(Decision::Approve)), update("b", None)],
            &ids,
            "T2",
        )
        .unwrap();
        // Re-approving keeps the time of the first approval.
        assert_eq!(decisions.clusters["a"].decided_at, "T1");
        assert!(!decisions.clusters.contains_key("b"));
        assert_eq!(decisions.decided_at, "T2");
    }

    #[test]
    fn one_unknown_cluster_rejects_the_whole_request() {
        let mut decisions = empty("h");
        let error = apply_updates(
            &mut decisions,
            &[
                update("a", Some(Decision::Approve)),
                update("<zz>", Some(Decision::Approve)),
            ],
            &known(&["a"]),
            "T",
        )
        .unwrap_err();
        assert!(error.to_string().contains("\"<zz>\""), "{error}");
        assert!(decisions.clusters.is_empty());
    }

    #[test]
    fn only_loopback_is_served() {
        assert!(check_loopback("127.0.0.1:0".parse().unwrap()).is_ok());
        assert!(check_loopback("[::1]:8080".parse().unwrap()).is_ok());
        let error = check_loopback("0.0.0.0:8080".parse().unwrap()).unwrap_err();
        assert!(error.to_string().contains("loopback"));
    }

    #[test]
    fn session_saves_each_change_and_a_new_session_loads_it() {
        let dir = tempfile::tempdir().unwrap();
        let plan = synthetic_plan(4, 9);
        plan.write(dir.path()).unwrap();
        let first = &plan.clusters[0].cluster_id;
        let session = ReviewSession::open(dir.path(), Some("Аудитор")).unwrap();
        let receipt = session
            .record(&[update(first, Some(Decision::Approve))])
            .unwrap();
        assert_eq!((receipt.approved, receipt.rejected), (1, 0));
        let on_disk = Decisions::read(dir.path()).unwrap();
        assert_eq!(on_disk.plan_hash, plan.plan_hash);
        assert_eq!(on_disk.reviewer, "Аудитор");
        assert!(on_disk.is_approved(first));

        let reopened = ReviewSession::open(dir.path(), None).unwrap();
        assert_eq!(reopened.decisions().clusters, on_disk.clusters);
        assert_eq!(reopened.decisions().reviewer, "Аудитор");
    }

    #[test]
    fn decisions_made_on_another_plan_are_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let plan = synthetic_plan(3, 1);
        plan.write(dir.path()).unwrap();
        let mut other = empty("another-plan");
        other.clusters.insert(
            "c000001".into(),
            ClusterDecision {
                decision: Decision::Approve,
                decided_at: "T".into(),
                note: None,
            },
        );
        other.write(dir.path()).unwrap();
        let before = std::fs::read(dir.path().join(DECISIONS_FILE)).unwrap();
        let error = ReviewSession::open(dir.path(), None)
            .err()
            .expect("must refuse");
        assert!(format!("{error:#}").contains("another plan"), "{error:#}");
        assert_eq!(
            std::fs::read(dir.path().join(DECISIONS_FILE)).unwrap(),
            before
        );
    }
}
