//! Runs that remember, end to end with the real binary: plan → review and
//! approve (a page's clicks through `review`, a rejection from the command
//! line while the page is open) → apply against the sandbox → a new export
//! → `plan --previous` → approve. A rejection never comes back, an approval
//! of an unchanged cluster arrives with its reviewer, what was applied is
//! recognised, and an export older than the apply is reported.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sailmerge::decisions::{Decision, Decisions};
use sailmerge::ids::{ClusterId, UserId};
use sailmerge::plan::{ClusterStatus, MergePlan};
use sailmerge::profile::{Field, Profile};

use crate::harness::{DEPARTMENT_ID, TOKEN, command, sailmerge, sailmerge_ok, text};
use crate::report::ReviewServer;
use crate::sandbox::SandboxProcess;

/// `sailmerge ARGS`, which must succeed; its stderr.
fn run(args: &[&str]) -> String {
    String::from_utf8_lossy(&sailmerge_ok(args, &[]).stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The export's rows, less the `share` registered last (ties by row), and
/// those held back.
fn hold_back_newest(
    export: &Path,
    share: f64,
) -> (
    csv::StringRecord,
    Vec<csv::StringRecord>,
    Vec<csv::StringRecord>,
) {
    let mut reader = csv::Reader::from_path(export).unwrap();
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let registered = header.iter().position(|h| h == "register_date").unwrap();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        rows[a][registered]
            .cmp(&rows[b][registered])
            .then(a.cmp(&b))
    });
    let kept_count = (rows.len() as f64 * (1.0 - share)) as usize;
    let held: BTreeSet<usize> = order[kept_count..].iter().copied().collect();
    let (mut kept, mut later) = (Vec::new(), Vec::new());
    for (index, row) in rows.into_iter().enumerate() {
        if held.contains(&index) {
            later.push(row);
        } else {
            kept.push(row);
        }
    }
    (header, kept, later)
}

fn write_rows(path: &Path, header: &csv::StringRecord, rows: &[csv::StringRecord]) {
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
}

/// The sandbox's live profiles as an export in the generator's columns.
fn live_rows(
    profiles: impl Iterator<Item = Profile>,
    header: &csv::StringRecord,
) -> Vec<csv::StringRecord> {
    assert!(
        header.iter().all(|h| Field::from_name(h).is_some()),
        "{header:?}"
    );
    profiles
        .map(|profile| {
            header
                .iter()
                .map(|field| profile.value_of(field).unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

fn clusters_of(dir: &Path) -> Vec<BTreeSet<String>> {
    MergePlan::read(dir)
        .unwrap()
        .clusters
        .iter()
        .map(|c| c.members.iter().map(|m| m.to_string()).collect())
        .collect()
}

/// Whether some cluster holds two of `members`.
fn joins_two(clusters: &[BTreeSet<String>], members: &[UserId]) -> bool {
    clusters.iter().any(|cluster| {
        members
            .iter()
            .filter(|m| cluster.contains(m.as_str()))
            .count()
            >= 2
    })
}

#[test]
fn two_runs_remember_rejections_approvals_and_applies() {
    let work = tempfile::tempdir().unwrap();
    let dir = |name: &str| -> PathBuf { work.path().join(name) };
    run(&[
        "gen",
        "--profiles",
        "1000",
        "--seed",
        "11",
        "--out",
        path(&dir("gen")),
    ]);
    let full = dir("gen").join("export.csv");
    let (header, first_rows, new_rows) = hold_back_newest(&full, 0.05);
    let export1 = dir("export1.csv");
    write_rows(&export1, &header, &first_rows);

    // Run 1.
    run(&["plan", path(&export1), "--out", path(&dir("d1"))]);
    let plan1 = MergePlan::read(&dir("d1")).unwrap();
    let pairs: Vec<&sailmerge::plan::PlannedCluster> = plan1
        .clusters
        .iter()
        .filter(|c| c.members.len() == 2)
        .collect();
    assert!(pairs.len() >= 10, "too few clusters to choose from");
    let (rejected, rejected_later, page_approved) = (pairs[0], pairs[1], pairs[2]);

    run(&[
        "approve",
        path(&dir("d1")),
        "--reject",
        &rejected.cluster_id.to_lowercase(),
        "--reviewer",
        "Анна",
        "--note",
        "father and son",
    ]);

    // The page approves one cluster through `review`; while it is open, the
    // command line rejects another, and the page's stale click on that one
    // is refused.
    let server = ReviewServer::start(&dir("d1"), "Ирина");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::blocking::Client::new();
    let api = format!("{}api/decisions", server.url);
    let click = |id: &str| {
        http.post(&api)
            .json(&serde_json::json!({"updates": [{"cluster_id": id, "decision": "approve", "expected": null}]}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(click(&page_approved.cluster_id), 200);
    run(&[
        "approve",
        path(&dir("d1")),
        "--reject",
        &rejected_later.cluster_id,
        "--reviewer",
        "Борис",
    ]);
    assert_eq!(click(&rejected_later.cluster_id), 409);
    let (code, stderr) = server.interrupt();
    assert_eq!(code, Some(0), "{stderr}");
    run(&["approve", path(&dir("d1")), "--all", "--reviewer", "tester"]);
    let decisions1 = Decisions::read(&dir("d1")).unwrap();
    assert_eq!(
        decisions1.clusters[&page_approved.cluster_id].reviewer,
        "Ирина"
    );
    assert_eq!(
        decisions1.clusters[&rejected_later.cluster_id].decision,
        Decision::Reject
    );
    assert_eq!(
        decisions1.clusters[&rejected_later.cluster_id].reviewer,
        "Борис"
    );
    let note = &decisions1.clusters[&rejected.cluster_id];
    assert_eq!(
        (note.reviewer.as_str(), note.note.as_deref()),
        ("Анна", Some("father and son"))
    );
    assert!(
        decisions1
            .clusters
            .values()
            .filter(|d| d.reviewer == "tester")
            .all(|d| d.note.is_none()),
        "a note goes only with the clusters it names"
    );

    // Apply run 1 against a sandbox holding its export.
    let sandbox = SandboxProcess::spawn_args(
        &[
            "sandbox",
            "--load",
            path(&export1),
            "--department-id",
            DEPARTMENT_ID,
        ],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    let applied = sailmerge(
        &[
            "apply",
            path(&dir("d1")),
            "--base-url",
            &sandbox.url,
            "--department-id",
            DEPARTMENT_ID,
        ],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    let approved_count = plan1
        .clusters
        .iter()
        .filter(|c| decisions1.is_approved(&c.cluster_id))
        .count();

    // The next export: the live base after the apply, and the new customers.
    let mut export2_rows = live_rows(sandbox.profiles().into_values(), &header);
    export2_rows.extend(new_rows.iter().cloned());
    let export2 = dir("export2.csv");
    write_rows(&export2, &header, &export2_rows);

    // Without the ledger the rejected pairs link again: the test means
    // something.
    run(&["plan", path(&export2), "--out", path(&dir("fresh"))]);
    let fresh = clusters_of(&dir("fresh"));
    assert!(
        joins_two(&fresh, &rejected.members),
        "the rejected pair scores as a match"
    );

    // Run 2 with --previous.
    let stderr = run(&[
        "plan",
        path(&export2),
        "--out",
        path(&dir("d2")),
        "--previous",
        path(&dir("d1")),
    ]);
    let plan2 = MergePlan::read(&dir("d2")).unwrap();
    let clusters2 = clusters_of(&dir("d2"));
    assert!(
        !joins_two(&clusters2, &rejected.members),
        "a rejection came back"
    );
    assert!(
        !joins_two(&clusters2, &rejected_later.members),
        "the command line's rejection came back"
    );
    let history = &plan2.history;
    assert_eq!(
        history.previous_plan_hash.as_deref(),
        Some(plan1.plan_hash.as_str())
    );
    assert_eq!(history.applied_merges, approved_count as u64);
    assert_eq!(history.merged_away_in_export, 0);
    assert!(history.never_merge_applied >= 2, "{history:?}");
    assert!(stderr.contains("never-merge pairs kept apart"), "{stderr}");
    // Every applied survivor in a new cluster is recognised.
    let survivors: BTreeSet<&str> = plan1
        .clusters
        .iter()
        .filter(|c| decisions1.is_approved(&c.cluster_id))
        .map(|c| c.survivor.as_str())
        .collect();
    for cluster in &plan2.clusters {
        for member in cluster
            .members
            .iter()
            .filter(|m| survivors.contains(m.as_str()))
        {
            assert!(
                cluster
                    .triage
                    .applied_before
                    .iter()
                    .any(|a| &a.user_id == member && &a.survivor == member),
                "{} holds survivor {member} unrecognised",
                cluster.cluster_id
            );
        }
    }
    // The rejected members carry why they are apart.
    let apart: Vec<_> = plan2
        .clusters
        .iter()
        .chain(&plan2.candidates)
        .flat_map(|c| &c.triage.kept_apart)
        .filter(|k| rejected.members.contains(&k.user_id))
        .collect();
    if let Some(kept) = apart.first() {
        assert_eq!(
            (kept.reviewer.as_str(), kept.note.as_deref()),
            ("Анна", Some("father and son"))
        );
    }

    // An export older than the apply, planned against run 1: the profiles
    // merged away are reported, and their clusters warned.
    let stderr = run(&[
        "plan",
        path(&full),
        "--out",
        path(&dir("old")),
        "--previous",
        path(&dir("d1")),
    ]);
    let old = MergePlan::read(&dir("old")).unwrap();
    assert!(old.history.merged_away_in_export > 0, "{:?}", old.history);
    assert!(
        stderr.contains("the export is older than that apply"),
        "{stderr}"
    );
    assert!(
        old.clusters
            .iter()
            .any(|c| c.warnings.iter().any(|w| w.code == "merged_before")),
        "no cluster warns of a profile merged before"
    );
    assert!(
        Decisions::read_if_exists(&dir("old"))
            .unwrap()
            .is_none_or(|d| d.clusters.is_empty()),
        "an applied approval must not be carried"
    );

    // Run 2 is reviewed: one approval, with a note, not applied.
    let kept = &plan2.clusters[plan2.clusters.len() / 2];
    run(&[
        "approve",
        path(&dir("d2")),
        "--clusters",
        &kept.cluster_id,
        "--reviewer",
        "Вера",
        "--note",
        "called the customer",
    ]);
    let made = Decisions::read(&dir("d2")).unwrap().clusters[&kept.cluster_id].clone();

    // Planning into a reviewed directory is refused; run 3 goes beside it.
    let refused = sailmerge(&["plan", path(&export2), "--out", path(&dir("d2"))], &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--previous"));
    run(&[
        "plan",
        path(&export2),
        "--out",
        path(&dir("d3")),
        "--previous",
        path(&dir("d2")),
    ]);
    let plan3 = MergePlan::read(&dir("d3")).unwrap();
    let decisions3 = Decisions::read(&dir("d3")).unwrap();
    assert_eq!(decisions3.plan_hash, plan3.plan_hash);
    let carried = &decisions3.clusters[&kept.cluster_id];
    assert_eq!(
        (
            carried.decision,
            carried.reviewer.as_str(),
            carried.decided_at.as_str(),
            carried.note.as_deref()
        ),
        (
            Decision::Approve,
            "Вера",
            made.decided_at.as_str(),
            Some("called the customer")
        )
    );
    let from = carried.carried_from.as_ref().unwrap();
    assert_eq!(
        (from.plan_hash.as_str(), from.cluster_id.as_str()),
        (plan2.plan_hash.as_str(), kept.cluster_id.as_str())
    );
    let same = plan3
        .clusters
        .iter()
        .find(|c| c.cluster_id == kept.cluster_id)
        .unwrap();
    assert_eq!(same.triage.status, ClusterStatus::CarriedOver);
    assert_eq!(
        same.triage.previous.as_ref().unwrap().decision,
        Some(Decision::Approve)
    );
    // The ledger chains: run 1's rejection still holds in run 3.
    assert!(!joins_two(&clusters_of(&dir("d3")), &rejected.members));

    // And run 3 is approved; the carried decision keeps its reviewer.
    run(&["approve", path(&dir("d3")), "--all", "--reviewer", "tester"]);
    let decisions3 = Decisions::read(&dir("d3")).unwrap();
    assert_eq!(decisions3.clusters[&kept.cluster_id].reviewer, "Вера");
}

#[test]
fn the_plan_hash_depends_on_the_export_not_on_how_its_path_is_spelled() {
    let work = tempfile::tempdir().unwrap();
    run(&[
        "gen",
        "--profiles",
        "600",
        "--seed",
        "4",
        "--out",
        path(&work.path().join("gen")),
    ]);
    let absolute = work.path().join("gen").join("export.csv");
    let spelled = work
        .path()
        .join("gen")
        .join(".")
        .join("..")
        .join("gen")
        .join("export.csv");
    run(&[
        "plan",
        path(&absolute),
        "--out",
        path(&work.path().join("a")),
    ]);
    let output = command(["plan", "gen/export.csv", "--out", "b"])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    run(&[
        "plan",
        path(&spelled),
        "--out",
        path(&work.path().join("c")),
    ]);
    let hashes: BTreeSet<String> = ["a", "b", "c"]
        .iter()
        .map(|d| MergePlan::read(&work.path().join(d)).unwrap().plan_hash)
        .collect();
    assert_eq!(hashes.len(), 1, "{hashes:?}");
    // Removing a row keeps the ids of the clusters it was not in.
    let ids = |d: &str| -> BTreeSet<ClusterId> {
        MergePlan::read(&work.path().join(d))
            .unwrap()
            .clusters
            .into_iter()
            .map(|c| c.cluster_id)
            .collect()
    };
    let mut reader = csv::Reader::from_path(&absolute).unwrap();
    let header = reader.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let plan = MergePlan::read(&work.path().join("a")).unwrap();
    let removed = &plan.clusters[0].members[0];
    rows.retain(|row| &row[0] != removed);
    let smaller = work.path().join("smaller.csv");
    write_rows(&smaller, &header, &rows);
    run(&[
        "plan",
        path(&smaller),
        "--out",
        path(&work.path().join("d")),
    ]);
    let (before, after) = (ids("a"), ids("d"));
    let untouched: BTreeSet<&ClusterId> = before
        .iter()
        .filter(|id| **id != plan.clusters[0].cluster_id)
        .collect();
    let kept = untouched.iter().filter(|id| after.contains(**id)).count();
    assert!(
        kept * 100 >= untouched.len() * 95,
        "{kept} of {} cluster ids survived removing one row",
        untouched.len()
    );
}

#[test]
fn a_team_ledger_keeps_rejections_for_plans_made_without_previous() {
    let work = tempfile::tempdir().unwrap();
    let dir = |name: &str| -> PathBuf { work.path().join(name) };
    run(&[
        "gen",
        "--profiles",
        "600",
        "--seed",
        "6",
        "--out",
        path(&dir("gen")),
    ]);
    let export = dir("gen").join("export.csv");
    run(&["plan", path(&export), "--out", path(&dir("d1"))]);
    let plan1 = MergePlan::read(&dir("d1")).unwrap();
    let rejected = &plan1.clusters[0];
    run(&[
        "approve",
        path(&dir("d1")),
        "--reject",
        &rejected.cluster_id,
        "--reviewer",
        "Анна",
    ]);
    let team = dir("team-ledger.json");
    run(&[
        "plan",
        path(&export),
        "--out",
        path(&dir("d2")),
        "--previous",
        path(&dir("d1")),
        "--ledger",
        path(&team),
    ]);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&team).unwrap()).unwrap();
    assert!(
        !written["never_merge"].as_array().unwrap().is_empty(),
        "{written}"
    );
    // A plan made from the team ledger alone keeps the rejection too.
    run(&[
        "plan",
        path(&export),
        "--out",
        path(&dir("d3")),
        "--ledger",
        path(&team),
    ]);
    assert!(!joins_two(&clusters_of(&dir("d3")), &rejected.members));
    let history = MergePlan::read(&dir("d3")).unwrap().history;
    assert!(
        history.never_merge_applied >= 1 && history.previous_plan_hash.is_none(),
        "{history:?}"
    );
}

/// Every number in `value`, depth first.
fn numbers_in(value: &serde_json::Value) -> Vec<f64> {
    match value {
        serde_json::Value::Number(number) => vec![number.as_f64().unwrap()],
        serde_json::Value::Array(items) => items.iter().flat_map(numbers_in).collect(),
        serde_json::Value::Object(fields) => fields.values().flat_map(numbers_in).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn a_plan_with_previous_weighs_with_the_previous_model_unless_refit() {
    let work = tempfile::tempdir().unwrap();
    let generated = work.path().join("gen");
    run(&[
        "gen",
        "--profiles",
        "3000",
        "--seed",
        "9",
        "--out",
        path(&generated),
    ]);
    let export = generated.join("export.csv");
    let (header, kept, _) = hold_back_newest(&export, 0.1);
    let first_export = work.path().join("first.csv");
    write_rows(&first_export, &header, &kept);
    let (first, second, refit) = (
        work.path().join("first"),
        work.path().join("second"),
        work.path().join("refit"),
    );
    run(&["plan", path(&first_export), "--out", path(&first)]);
    let model_of = |dir: &Path| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join("model.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let stderr = run(&[
        "plan",
        path(&export),
        "--out",
        path(&second),
        "--previous",
        path(&first),
    ]);
    assert!(!stderr.contains("estimating a new model"), "{stderr}");
    // The second plan weighed with the first's model: the same parameters,
    // written again, while the export grew by a tenth.
    let (first_model, second_model) = (model_of(&first), model_of(&second));
    for key in ["m", "u", "prior_match_probability", "anchor_log_odds"] {
        let (before, after) = (
            numbers_in(&first_model[key]),
            numbers_in(&second_model[key]),
        );
        assert_eq!(before.len(), after.len(), "{key}");
        // Equal but for the last bit a float may lose in JSON.
        let drift = before
            .iter()
            .zip(&after)
            .map(|(a, b)| ((a - b) / a.abs().max(1e-300)).abs())
            .fold(0.0, f64::max);
        assert!(drift < 1e-12, "{key} drifted by {drift}");
    }
    run(&[
        "plan",
        path(&export),
        "--out",
        path(&refit),
        "--previous",
        path(&first),
        "--refit",
    ]);
    assert_ne!(
        first_model["prior_match_probability"],
        model_of(&refit)["prior_match_probability"]
    );
    // --refit needs --previous.
    let output = sailmerge(
        &[
            "plan",
            path(&export),
            "--out",
            path(&work.path().join("x")),
            "--refit",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}
