//! `approve` and `apply` end to end, against the real sandbox binary over
//! loopback HTTP. Plans are built by `sandbox::fixture_plan` until the
//! planning pipeline can make them from a generated export.

use std::path::Path;
use std::time::Duration;

use sailmerge::decisions::Decisions;
use sailmerge::plan::MergePlan;
use serde_json::Value;

use crate::harness::{
    BackgroundApply, DEPARTMENT_ID, TOKEN, apply, kill_and_resume, sailmerge, text,
};
use crate::sandbox::{SandboxProcess, fixture_plan, write_plan_dir};

/// `sailmerge approve DIR ARGS --reviewer tester`, which must succeed.
pub fn approve(dir: &Path, args: &[&str]) {
    let mut all = vec!["approve", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--reviewer", "tester"]);
    let output = sailmerge(&all, &[]);
    assert!(output.status.success(), "{}", text(&output));
}

/// `DIR/apply_summary.json`: where every approved cluster stands.
pub fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("apply_summary.json")).unwrap()).unwrap()
}

/// The files of `DIR/apply_runs/`, oldest run first.
pub fn run_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("apply_runs"))
        .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// The summary of the last run, from `DIR/apply_runs/`.
pub fn last_run(dir: &Path) -> Value {
    let files = run_files(dir);
    let last = files.last().expect("a run summary");
    serde_json::from_slice(&std::fs::read(last).unwrap()).unwrap()
}

/// Every cluster `applied` says is merged: the survivor equals the plan's
/// `result` field for field (points and custom attributes included), every
/// merged-away member is gone, and the sandbox carried out each merge
/// exactly once. Every other cluster is untouched. Reads the sandbox's own
/// pages only, so it needs no token (a login-only sandbox has none).
pub fn assert_applied(sandbox: &SandboxProcess, plan: &MergePlan, applied: impl Fn(&str) -> bool) {
    let live = sandbox.profiles();
    let stats = sandbox.stats();
    for cluster in &plan.clusters {
        let merged_away = cluster.members.iter().filter(|m| **m != cluster.survivor);
        if applied(&cluster.cluster_id) {
            assert_eq!(
                live.get(cluster.survivor.as_str()),
                Some(&cluster.result),
                "cluster {}",
                cluster.cluster_id
            );
            for member in merged_away {
                assert!(
                    !live.contains_key(member.as_str()),
                    "cluster {} member {member} must be merged away",
                    cluster.cluster_id
                );
                let pair = format!("{member}->{}", cluster.survivor);
                assert_eq!(
                    stats["merges"][&pair], 1,
                    "merge {pair} in cluster {}",
                    cluster.cluster_id
                );
            }
        } else {
            for profile in &cluster.profiles {
                assert_eq!(
                    live.get(profile.user_id.as_str()),
                    Some(profile),
                    "cluster {} must be untouched",
                    cluster.cluster_id
                );
            }
        }
    }
    let expected_merges: usize = plan
        .clusters
        .iter()
        .filter(|c| applied(&c.cluster_id))
        .map(|c| c.steps.len())
        .sum();
    assert_eq!(
        stats["merges_applied"].as_u64().unwrap() as usize,
        expected_merges
    );
}

/// No file under `dir` and no output holds `secret`.
pub fn assert_secret_nowhere(dir: &Path, outputs: &[&[u8]], secret: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "{} holds the token",
                path.display()
            );
        }
    }
    for output in outputs {
        assert!(
            !String::from_utf8_lossy(output).contains(secret),
            "an output holds the token"
        );
    }
}

#[test]
fn apply_merges_approved_clusters_verifies_them_and_a_rerun_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(5, 4, 10);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    approve(dir.path(), &["--all", "--reject", "c000002"]);

    let first = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let stats = sandbox.stats();
    assert_applied(&sandbox, &plan, |id| id != "c000002");
    let report = summary(dir.path());
    assert_eq!(report["merged"].as_array().unwrap().len(), 4);
    assert_eq!(report["rejected"], serde_json::json!(["c000002"]));
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("merged 4 clusters"),
        "{}",
        text(&first)
    );

    // Each member looked up once before, the survivor once after, and the
    // merges: nothing more.
    let members: usize = plan
        .clusters
        .iter()
        .filter(|c| c.cluster_id != "c000002")
        .map(|c| c.members.len())
        .sum();
    assert_eq!(
        stats["requests_by_endpoint"]["users/info"]
            .as_u64()
            .unwrap() as usize,
        members + 4
    );
    assert_eq!(
        stats["requests_by_endpoint"]["users/merge"]
            .as_u64()
            .unwrap() as usize,
        members - 4
    );
    let first_run = last_run(dir.path());
    assert_eq!(first_run["run"], 1);
    assert!(
        first_run["started_at"].as_str().unwrap() <= first_run["finished_at"].as_str().unwrap()
    );

    // A rerun sees every cluster verified in the journal and sends nothing,
    // and keeps its own summary beside the first run's.
    let requests_before = sandbox.stats()["requests"].as_u64().unwrap();
    let second = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert_eq!(
        last_run(dir.path())["already_merged"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(last_run(dir.path())["merged"], serde_json::json!([]));
    assert_eq!(
        sandbox.stats()["requests"].as_u64().unwrap(),
        requests_before
    );
    assert_applied(&sandbox, &plan, |id| id != "c000002");
    // The no-op rerun hides nothing: the first run's summary is kept, and
    // the status still says which clusters are merged.
    let runs = run_files(dir.path());
    assert_eq!(runs.len(), 2);
    let kept: Value = serde_json::from_slice(&std::fs::read(&runs[0]).unwrap()).unwrap();
    assert_eq!(kept["merged"].as_array().unwrap().len(), 4);
    let status = summary(dir.path());
    assert_eq!(status["merged"].as_array().unwrap().len(), 4);
    assert_eq!(status["runs"].as_array().unwrap().len(), 2);
    assert!(
        status["runs"][0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("apply_runs/run-0001-")
    );

    // The journal: an intent before and an outcome after every call.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    let events: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |event: &str| events.iter().filter(|e| e["event"] == event).count();
    assert_eq!(count("intent"), count("outcome"));
    assert_eq!(
        count("intent"),
        plan.clusters
            .iter()
            .filter(|c| c.cluster_id != "c000002")
            .map(|c| c.steps.len())
            .sum::<usize>()
    );
    assert_secret_nowhere(
        dir.path(),
        &[&first.stdout, &first.stderr, &second.stdout, &second.stderr],
        TOKEN,
    );
}

#[test]
fn dry_run_prints_the_calls_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(3, 0, 11);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    approve(dir.path(), &["--all"]);
    let output = apply(
        dir.path(),
        &sandbox.url,
        &["--dry-run"],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // One line a step, in plan order, led by its cluster id and step.
    let expected: Vec<String> = plan
        .clusters
        .iter()
        .flat_map(|c| {
            c.steps.iter().map(|step| {
                format!(
                    "{} step {}: POST {}/api/v2/{}/ token=<withheld> ",
                    c.cluster_id, step.index, sandbox.url, step.method
                )
            })
        })
        .collect();
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(": POST ")).collect();
    assert_eq!(lines.len(), expected.len(), "{stdout}");
    for (line, start) in lines.iter().zip(&expected) {
        assert!(line.starts_with(start.as_str()), "{line}\nwanted {start}");
    }
    assert!(!expected.is_empty());
    assert_eq!(sandbox.stats()["requests"], 0);
    assert!(!dir.path().join("journal.jsonl").exists());
    assert_secret_nowhere(dir.path(), &[&output.stdout, &output.stderr], TOKEN);
}

#[test]
fn a_stale_cluster_is_skipped_and_reported_and_login_works() {
    let dir = tempfile::tempdir().unwrap();
    let (mut profiles, plan) = fixture_plan(3, 0, 12);
    // Someone changed a member of the second cluster after the export.
    let changed = plan.clusters[1].members[1].clone();
    let member = profiles.iter_mut().find(|p| p.user_id == changed).unwrap();
    member.first_name = Some("Изменено".to_string());
    write_plan_dir(dir.path(), &plan);
    let path = dir.path().join("live.json");
    std::fs::write(&path, serde_json::to_vec(&profiles).unwrap()).unwrap();
    // This sandbox knows no fixed token: apply must log in.
    let sandbox = SandboxProcess::spawn_args(
        &[
            "sandbox",
            "--profiles",
            path.to_str().unwrap(),
            "--department-id",
            DEPARTMENT_ID,
        ],
        &[
            ("SAILPLAY_DEPARTMENT_KEY", "dept-key-77"),
            ("SAILPLAY_PIN", "pin-9931"),
        ],
    );
    approve(dir.path(), &["--all"]);
    let output = apply(
        dir.path(),
        &sandbox.url,
        &[],
        &[
            ("SAILPLAY_DEPARTMENT_KEY", "dept-key-77"),
            ("SAILPLAY_PIN", "pin-9931"),
        ],
    );
    // A skipped cluster is not a success.
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = summary(dir.path());
    assert_eq!(report["stale"][0]["cluster_id"], "c000002");
    let reason = report["stale"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("user_id {changed}: first_name")),
        "{reason}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("stale c000002"),
        "{}",
        text(&output)
    );
    assert_eq!(report["merged"], serde_json::json!(["c000001", "c000003"]));
    let live = sandbox.profiles();
    for profile in &plan.clusters[1].profiles[..1] {
        assert_eq!(
            live.get(profile.user_id.as_str()),
            Some(profile),
            "the stale cluster is untouched"
        );
    }
    assert!(
        plan.clusters[1]
            .members
            .iter()
            .all(|member| live.contains_key(member.as_str()))
    );
    assert_eq!(
        sandbox.stats()["merges_applied"].as_u64().unwrap() as usize,
        plan.clusters[0].steps.len() + plan.clusters[2].steps.len()
    );
    for secret in ["dept-key-77", "pin-9931"] {
        assert_secret_nowhere(dir.path(), &[&output.stdout, &output.stderr], secret);
    }
}

#[test]
fn decisions_made_on_another_plan_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(2, 0, 13);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    approve(dir.path(), &["--all"]);
    let mut decisions = Decisions::read(dir.path()).unwrap();
    decisions.plan_hash = "0".repeat(64);
    decisions.write(dir.path()).unwrap();
    let output = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("another plan"),
        "{}",
        text(&output)
    );
    assert_eq!(sandbox.stats()["requests"], 0);
    // approve, too, refuses to add to that file, unless told to start over.
    let refused = sailmerge(
        &[
            "approve",
            dir.path().to_str().unwrap(),
            "--all",
            "--reviewer",
            "t",
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    approve(dir.path(), &["--all", "--force"]);
    assert_eq!(
        Decisions::read(dir.path()).unwrap().plan_hash,
        plan.plan_hash
    );
}

#[test]
fn approve_records_decisions_and_keeps_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plan) = fixture_plan(4, 0, 14);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--reject", "c000003"]);
    approve(dir.path(), &["--clusters", "c000001"]);
    approve(dir.path(), &["--all"]);
    let decisions = Decisions::read(dir.path()).unwrap();
    assert!(decisions.clusters.values().all(|d| d.reviewer == "tester"));
    assert_eq!(decisions.plan_hash, plan.plan_hash);
    assert!(decisions.decided_at.ends_with('Z'));
    let approved: Vec<&str> = plan
        .clusters
        .iter()
        .map(|c| c.cluster_id.as_str())
        .filter(|id| decisions.is_approved(id))
        .collect();
    assert_eq!(approved, ["c000001", "c000002", "c000004"]);
    let unknown = sailmerge(
        &[
            "approve",
            dir.path().to_str().unwrap(),
            "--clusters",
            "c999999",
            "--reviewer",
            "t",
        ],
        &[],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("c999999"));
}

#[test]
fn a_wrong_token_is_reported_and_appears_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(2, 0, 15);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    approve(dir.path(), &["--all"]);
    let wrong = "wrong-token-0c4f2b19e8";
    let output = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", wrong)]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Sailplay's -7, with what to fix, not a bare "run it again".
    assert!(
        stderr.contains("refused the credentials (status_code -7)")
            && stderr.contains(
                "set a valid SAILPLAY_TOKEN, or SAILPLAY_DEPARTMENT_KEY and SAILPLAY_PIN"
            )
            && stderr.contains("next: fix the credentials"),
        "{}",
        text(&output)
    );
    assert_eq!(last_run(dir.path())["aborted"]["kind"], "credentials");
    assert_eq!(sandbox.stats()["merges_applied"], 0);
    assert_secret_nowhere(dir.path(), &[&output.stdout, &output.stderr], wrong);
    // No credentials at all: refused before anything is sent.
    let none = apply(dir.path(), &sandbox.url, &[], &[]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(String::from_utf8_lossy(&none.stderr).contains("SAILPLAY_TOKEN"));
}

#[test]
fn retries_ride_out_503s_dropped_connections_and_429s() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(8, 0, 16);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(
        dir.path(),
        &profiles,
        &[
            "--fail-rate",
            "0.2",
            "--drop-rate",
            "0.2",
            "--rate-limit",
            "8",
            "--seed",
            "5",
        ],
    );
    approve(dir.path(), &["--all"]);
    // Far faster than the sandbox allows, so that 429s happen even when a
    // loaded machine slows every request down.
    let output = apply(
        dir.path(),
        &sandbox.url,
        &["--rps", "200", "--max-attempts", "12"],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_applied(&sandbox, &plan, |_| true);
    let stats = sandbox.stats();
    for fault in ["failed_503", "dropped", "rate_limited"] {
        assert!(stats[fault].as_u64().unwrap() > 0, "no {fault} in {stats}");
    }
    let run = last_run(dir.path());
    assert!(run["retries"].as_u64().unwrap() > 0);
    assert!(run["throttled"].as_u64().unwrap() > 0);
}

#[test]
fn a_run_killed_midway_resumes_without_merging_anything_twice() {
    crash_and_resume(40, 20, 120, false);
}

/// The same at a larger scale, and with the sandbox killed and restarted
/// from its `--state` in the middle of the rerun; for the figures in the
/// notes, run with
/// `cargo test --test integration -- --ignored --nocapture at_scale`.
#[test]
#[ignore = "about a minute at 50 requests per second"]
fn a_run_killed_midway_resumes_at_scale() {
    crash_and_resume(400, 200, 1500, true);
}

/// Plans `clusters` clusters, applies them against a sandbox with 5% 503s,
/// 5% dropped connections and a 50/s rate limit, SIGKILLs apply once the
/// journal has `kill_at` lines, reruns it (restarting the sandbox from its
/// state file a third of the way into the rerun when `restart`), checks
/// `kill_and_resume`'s promises and that the last run's summary accounts
/// for every cluster. Prints the figures.
fn crash_and_resume(clusters: usize, singles: usize, kill_at: usize, restart: bool) {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(clusters, singles, 17);
    write_plan_dir(dir.path(), &plan);
    let state = logs.path().join("sandbox-state.jsonl");
    let mut sandbox = SandboxProcess::spawn(
        dir.path(),
        &profiles,
        &[
            "--fail-rate",
            "0.05",
            "--drop-rate",
            "0.05",
            "--rate-limit",
            "50",
            "--seed",
            "9",
            "--state",
            state.to_str().unwrap(),
        ],
    );
    approve(dir.path(), &["--all"]);
    let resumed = kill_and_resume(
        &mut sandbox,
        dir.path(),
        &plan,
        &[],
        kill_at,
        restart.then_some(kill_at / 3),
    );
    let report = last_run(dir.path());
    let merged = report["merged"].as_array().unwrap().len();
    let already = report["already_merged"].as_array().unwrap().len();
    assert_eq!(merged + already, plan.clusters.len());
    assert_eq!(
        summary(dir.path())["merged"].as_array().unwrap().len(),
        plan.clusters.len()
    );

    let stats = sandbox.stats();
    eprintln!(
        "crash-and-resume{}: {} clusters, {} merges; killed after {:.2} s at {} journal lines ({} merges done); \
         rerun {:.2} s: {} clusters finished, {} already verified, {} HTTP requests, {} retries, {} outcomes settled by users/info; \
         sandbox{}: {} requests, {} 503, {} dropped, {} 429, {} merges applied",
        if restart {
            " with a sandbox restart"
        } else {
            ""
        },
        plan.clusters.len(),
        plan.summary.merge_calls,
        resumed.killed_after.as_secs_f64(),
        resumed.lines_at_kill,
        resumed.merges_at_kill,
        resumed.rerun_time.as_secs_f64(),
        merged,
        already,
        report["http_requests"],
        report["retries"],
        report["resolutions"],
        if restart { " since its restart" } else { "" },
        stats["requests"],
        stats["failed_503"],
        stats["dropped"],
        stats["rate_limited"],
        stats["merges_applied"],
    );
}

#[test]
fn an_intent_without_outcome_is_settled_from_the_live_state_before_resending() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(2, 0, 18);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    approve(dir.path(), &["--all"]);
    // A crashed run: the first merge of c000001 went out and was carried
    // out, the first merge of c000002 did not get out; neither outcome was
    // written, and the last line was torn in the middle of a write.
    let first = &plan.clusters[0].steps[0];
    let params: Vec<(&str, &str)> = first
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (_, merged) = sandbox.call("users/merge", &params);
    assert_eq!(merged["status"], "ok");
    let intent = |cluster: &sailmerge::plan::PlannedCluster| {
        serde_json::json!({
            "event": "intent", "at": "2026-01-01T00:00:00.000Z", "cluster_id": cluster.cluster_id,
            "step": 1, "attempt": 1, "method": "users/merge", "params": cluster.steps[0].params,
        })
        .to_string()
    };
    let header = serde_json::json!({
        "event": "header", "journal_version": 2, "created_at": "2026-01-01T00:00:00.000Z",
        "plan_hash": plan.plan_hash, "base_url": format!("{}/", sandbox.url),
        "department_id": DEPARTMENT_ID, "tool_version": "0.1.0", "decisions_hash": "",
    });
    let journal = format!(
        "{header}\n{}\n{}\n{{\"event\":\"outc",
        intent(&plan.clusters[0]),
        intent(&plan.clusters[1])
    );
    std::fs::write(dir.path().join("journal.jsonl"), journal).unwrap();

    let output = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cut short by a crash"),
        "{}",
        text(&output)
    );
    assert_applied(&sandbox, &plan, |_| true);
    let events: Vec<Value> = std::fs::read_to_string(dir.path().join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Clusters run concurrently: their resolutions come in either order.
    let mut resolutions: Vec<(&str, &Value)> = events
        .iter()
        .filter(|e| e["event"] == "resolution")
        .map(|e| (e["cluster_id"].as_str().unwrap(), &e["applied"]))
        .collect();
    resolutions.sort_by_key(|(cluster_id, _)| *cluster_id);
    assert_eq!(
        resolutions,
        [
            ("c000001", &Value::Bool(true)),
            ("c000002", &Value::Bool(false))
        ]
    );
    // The settled merge was not sent again; the other one was sent once.
    let sent_again = events
        .iter()
        .filter(|e| e["event"] == "intent" && e["cluster_id"] == "c000001" && e["step"] == 1)
        .count();
    assert_eq!(sent_again, 1, "only the crashed run's intent");
}

#[test]
fn a_business_error_stops_its_cluster_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, mut plan) = fixture_plan(3, 4, 19);
    // After its merges, c000001 wants the phone of an unrelated profile:
    // Sailplay answers -5102 and the cluster stops there.
    let in_clusters: usize = plan.clusters.iter().map(|c| c.members.len()).sum();
    let taken = profiles[in_clusters..]
        .iter()
        .find_map(|single| single.phone.clone())
        .expect("one of the fixture's singles has a phone");
    let cluster = &mut plan.clusters[0];
    let mut after = cluster.result.clone();
    after.phone = Some(taken.clone());
    cluster.steps.push(sailmerge::plan::Step {
        index: cluster.steps.len() as u32 + 1,
        method: sailmerge::plan::Method::Update,
        params: [
            ("user_id".to_string(), cluster.survivor.to_string()),
            ("new_phone".to_string(), taken),
        ]
        .into(),
        after: after.clone(),
    });
    cluster.result = after;
    plan.seal();
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    approve(dir.path(), &["--all"]);
    let output = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = summary(dir.path());
    assert_eq!(report["failed"][0]["cluster_id"], "c000001");
    let reason = report["failed"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("-5102"), "{reason}");
    assert_eq!(report["merged"], serde_json::json!(["c000002", "c000003"]));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("failed c000001"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_survivor_that_differs_from_the_plan_is_reported_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(6, 0, 20);
    write_plan_dir(dir.path(), &plan);
    // This Sailplay keeps the later register_date; the plan assumed the
    // earlier one.
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &["--register-date", "latest"]);
    approve(dir.path(), &["--all"]);
    let output = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = summary(dir.path());
    let failed = report["failed"].as_array().unwrap();
    let differ = plan
        .clusters
        .iter()
        .filter(|c| sandbox.profiles()[c.survivor.as_str()].register_date != c.result.register_date)
        .count();
    assert!(
        differ > 0,
        "the fixture must hold clusters where the rule matters"
    );
    assert_eq!(failed.len(), differ, "{}", text(&output));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        stderr.contains("VERIFICATION MISMATCH") && stderr.contains("register_date: expected"),
        "{stderr}"
    );
}

#[test]
fn help_of_sandbox_approve_and_apply_ends_with_examples() {
    for command in ["sandbox", "approve", "apply"] {
        let output = sailmerge(&[command, "--help"], &[]);
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        let examples = help
            .rfind("Examples:")
            .unwrap_or_else(|| panic!("{command} --help has no examples"));
        let after: Vec<&str> = help[examples..]
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(
            !after.is_empty() && after.iter().all(|l| l.starts_with("  ")),
            "{command}: {help}"
        );
        assert!(
            help[examples..].contains(&format!("sailmerge {command}")),
            "{command}: {help}"
        );
    }
}

#[test]
fn the_sandbox_refuses_to_start_without_credentials_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.json");
    std::fs::write(&path, "[]").unwrap();
    let output = sailmerge(
        &[
            "sandbox",
            "--profiles",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SAILPLAY_TOKEN"));
}

#[test]
fn a_second_apply_on_the_same_directory_is_refused_while_the_first_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(3, 0, 21);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    approve(dir.path(), &["--all"]);
    let env = [("SAILPLAY_TOKEN", TOKEN)];
    let mut first = BackgroundApply::start(dir.path(), &sandbox.url, &["--rps", "4"], &env);
    // The journal is opened once the lock is held.
    first.wait_for_journal(1, Duration::from_secs(30));
    let second = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another sailmerge apply is running"),
        "{}",
        text(&second)
    );
    let first = first.finish();
    assert!(first.status.success(), "{}", text(&first));
    assert_applied(&sandbox, &plan, |_| true);
}
