//! `sailmerge gen` and `sailmerge eval` through the real binary: the
//! generator is deterministic, keeps Sailplay's uniqueness rules, produces
//! every variation and hard-negative kind, the committed demo set is what
//! its documented command makes, and eval scores hand-made clusterings as
//! computed by hand.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sailmerge::profile::Field;

use crate::harness::{csv_records, read, repo_path, sailmerge, sailmerge_ok};

const DEMO_PROFILES: &str = "10000";
const DEMO_SEED: &str = "20251123";
/// The demo was made by the first, easier model, which `--hardening 0`
/// keeps byte for byte.
const DEMO_HARDENING: &str = "0";

fn generate(dir: &Path, profiles: &str, seed: &str, extra: &[&str]) {
    let out = dir.to_str().expect("utf-8 temp path");
    let mut args = vec!["gen", "--profiles", profiles, "--seed", seed, "--out", out];
    args.extend_from_slice(extra);
    sailmerge_ok(&args, &[]);
}

/// The national form of a phone: digits only, 8XXXXXXXXXX and 10-digit
/// numbers read as 7XXXXXXXXXX.
fn canonical_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match (digits.len(), digits.chars().next()) {
        (11, Some('8')) => format!("7{}", &digits[1..]),
        (10, _) => format!("7{digits}"),
        _ => digits,
    }
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_different_ones() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let third = tempfile::tempdir().unwrap();
    // More than one chunk, so that the parallel join is exercised.
    generate(first.path(), "9000", "5", &[]);
    generate(second.path(), "9000", "5", &[]);
    generate(third.path(), "9000", "6", &[]);
    for name in ["export.csv", "truth.csv", "generation.json"] {
        assert_eq!(
            read(&first.path().join(name)),
            read(&second.path().join(name)),
            "{name} differs between two runs with one seed"
        );
    }
    assert_ne!(
        read(&first.path().join("export.csv")),
        read(&third.path().join("export.csv"))
    );
}

/// Every value of `part` is in `whole`, recursively: a newer summary may
/// count more things than the committed one, never count them otherwise.
fn assert_contained(part: &serde_json::Value, whole: &serde_json::Value, path: &str) {
    match (part, whole) {
        (serde_json::Value::Object(part), serde_json::Value::Object(whole)) => {
            for (key, value) in part {
                let inner = whole
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}.{key} is no longer reported"));
                assert_contained(value, inner, &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(part, whole, "{path}"),
    }
}

#[test]
fn committed_demo_set_is_what_its_documented_command_makes() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        DEMO_PROFILES,
        DEMO_SEED,
        &["--hardening", DEMO_HARDENING],
    );
    let demo = repo_path("datasets/demo");
    for name in ["export.csv", "truth.csv"] {
        assert!(
            read(&dir.path().join(name)) == read(&demo.join(name)),
            "datasets/demo/{name} is stale: regenerate it with the command in datasets/demo/README.md"
        );
    }
    let parse =
        |path: PathBuf| -> serde_json::Value { serde_json::from_slice(&read(&path)).unwrap() };
    assert_contained(
        &parse(demo.join("generation.json")),
        &parse(dir.path().join("generation.json")),
        "generation.json",
    );
    let readme = String::from_utf8(read(&demo.join("README.md"))).unwrap();
    assert!(readme.contains(&format!(
        "sailmerge gen --profiles {DEMO_PROFILES} --seed {DEMO_SEED} --hardening {DEMO_HARDENING} --out datasets/demo"
    )));
}

#[test]
fn export_keeps_sailplay_uniqueness_and_truth_covers_every_profile() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "30000", "11", &[]);
    let (headers, rows) = csv_records(&dir.path().join("export.csv"));
    assert_eq!(headers.iter().collect::<Vec<_>>(), Field::NAMES);
    assert_eq!(rows.len(), 30000);
    let mut user_ids = HashSet::new();
    let mut phones = HashSet::new();
    let mut emails = HashSet::new();
    let mut origins = HashSet::new();
    for row in &rows {
        assert!(user_ids.insert(row[0].to_string()), "user_id {}", &row[0]);
        assert!(
            !row[1].is_empty() || !row[2].is_empty() || !row[3].is_empty(),
            "a profile without any identifier: {row:?}"
        );
        if !row[1].is_empty() {
            assert!(
                origins.insert(row[1].to_string()),
                "origin_user_id {}",
                &row[1]
            );
        }
        if !row[2].is_empty() {
            let phone = canonical_phone(&row[2]);
            assert_eq!(phone.len(), 11, "{}", &row[2]);
            assert!(phones.insert(phone), "phone {}", &row[2]);
        }
        if !row[3].is_empty() {
            assert!(emails.insert(row[3].to_lowercase()), "email {}", &row[3]);
        }
        assert!(["", "1", "2"].contains(&&row[8]), "sex {}", &row[8]);
    }
    let (truth_headers, truth) = csv_records(&dir.path().join("truth.csv"));
    assert_eq!(
        truth_headers.iter().collect::<Vec<_>>(),
        ["user_id", "entity_id"]
    );
    let truth_ids: HashSet<String> = truth.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(truth_ids, user_ids);
}

#[test]
fn every_variation_and_hard_negative_kind_occurs() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "30000", "3", &["--annotations"]);
    let summary: serde_json::Value =
        serde_json::from_slice(&read(&dir.path().join("generation.json"))).unwrap();
    let variations = summary["variations"].as_object().unwrap();
    assert_eq!(variations.len(), 36);
    for (kind, count) in variations {
        assert!(
            count["in_duplicated_entities"].as_u64().unwrap() > 0,
            "no duplicate shows {kind}"
        );
    }
    let hard_negatives = summary["hard_negatives"].as_object().unwrap();
    assert_eq!(hard_negatives.len(), 13);
    for (kind, count) in hard_negatives {
        assert!(count["groups"].as_u64().unwrap() > 0, "no {kind} group");
    }
    // The summary agrees with the annotations file, row by row.
    let (_, annotations) = csv_records(&dir.path().join("annotations.csv"));
    assert_eq!(annotations.len(), 30000);
    let mut counted: HashMap<String, u64> = HashMap::new();
    for row in &annotations {
        for kind in row[4].split('|').filter(|k| !k.is_empty()) {
            *counted.entry(kind.to_string()).or_default() += 1;
        }
    }
    for (kind, count) in variations {
        assert_eq!(
            counted.get(kind).copied().unwrap_or(0),
            count["all_profiles"].as_u64().unwrap(),
            "{kind}"
        );
    }
    let entities = summary["entities"].as_u64().unwrap() as f64;
    let duplicated = summary["entities_with_duplicates"].as_u64().unwrap() as f64;
    assert!(
        (0.15..0.25).contains(&(duplicated / entities)),
        "{}",
        duplicated / entities
    );
}

#[test]
fn noise_zero_and_no_hard_negatives_give_clean_copies() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        "3000",
        "1",
        &["--noise", "0", "--hard-negative-rate", "0"],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&read(&dir.path().join("generation.json"))).unwrap();
    for (kind, count) in summary["variations"].as_object().unwrap() {
        // Identifier splits are the structure of duplicates, not noise.
        if kind != "split_channel" && kind != "phone_format" {
            assert_eq!(count["all_profiles"], 0, "{kind} despite --noise 0");
        }
    }
    for (kind, count) in summary["hard_negatives"].as_object().unwrap() {
        assert_eq!(count["groups"], 0, "{kind} despite --hard-negative-rate 0");
    }
}

#[test]
fn gen_rejects_bad_settings_naming_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = sailmerge(
        &[
            "gen",
            "--profiles",
            "0",
            "--duplicate-rate",
            "1.5",
            "--out",
            out,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--profiles"), "{stderr}");
    assert!(stderr.contains("--duplicate-rate"), "{stderr}");
    for (rate, hardening) in [("0.1", "4"), ("0.6", "1")] {
        let output = sailmerge(
            &[
                "gen",
                "--hard-negative-rate",
                rate,
                "--hardening",
                hardening,
                "--out",
                out,
            ],
            &[],
        );
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--hardening"), "{stderr}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn eval_json(truth: &str, clusters: &str) -> serde_json::Value {
    let output = sailmerge(&["eval", "--truth", truth, clusters, "--json"], &[]);
    assert!(
        output.status.success(),
        "eval failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

const TRUTH: &str = "user_id,entity_id\n1,a\n2,a\n3,a\n4,b\n5,b\n6,c\n7,d\n";

#[test]
fn eval_scores_a_hand_made_clustering() {
    let dir = tempfile::tempdir().unwrap();
    let truth = write(dir.path(), "truth.csv", TRUTH);
    // Cluster x = {1, 2, 4}: one true pair (1,2), two false ones. Cluster
    // y = {6, 7}: a wrong merge. 3 and 5 are singletons (absent).
    let clusters = write(
        dir.path(),
        "clusters.csv",
        "user_id,cluster_id,score\n1,x,0.99\n2,x,0.98\n4,x,0.97\n6,y,0.9\n7,y,0.91\n",
    );
    let metrics = eval_json(&truth, &clusters);
    assert_eq!(metrics["profiles"], 7);
    assert_eq!(metrics["true_entities"], 4);
    assert_eq!(metrics["true_entities_with_duplicates"], 2);
    assert_eq!(metrics["true_pairs"], 4);
    assert_eq!(metrics["predicted_clusters"], 2);
    assert_eq!(metrics["predicted_pairs"], 4);
    assert_eq!(metrics["true_positive_pairs"], 1);
    assert_eq!(metrics["wrong_merges"], 2);
    assert_eq!(metrics["wrong_merge_share"], 1.0);
    assert_eq!(metrics["largest_cluster"], 3);
    assert_eq!(metrics["pairwise"]["precision"], 0.25);
    assert_eq!(metrics["pairwise"]["recall"], 0.25);
    // B-cubed precision: 1: 2/3, 2: 2/3, 4: 1/3, 6: 1/2, 7: 1/2, 3: 1, 5: 1.
    let b_cubed_precision = (2.0 / 3.0 + 2.0 / 3.0 + 1.0 / 3.0 + 0.5 + 0.5 + 1.0 + 1.0) / 7.0;
    let got = metrics["b_cubed"]["precision"].as_f64().unwrap();
    assert!((got - b_cubed_precision).abs() < 1e-12);
    // B-cubed recall: 1, 2: 2/3; 3: 1/3; 4, 5: 1/2; 6, 7: 1.
    let b_cubed_recall = (2.0 / 3.0 + 2.0 / 3.0 + 1.0 / 3.0 + 0.5 + 0.5 + 1.0 + 1.0) / 7.0;
    let got = metrics["b_cubed"]["recall"].as_f64().unwrap();
    assert!((got - b_cubed_recall).abs() < 1e-12);
}

#[test]
fn eval_of_the_truth_itself_is_perfect_and_the_table_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let truth = write(dir.path(), "truth.csv", TRUTH);
    let clusters = write(
        dir.path(),
        "clusters.csv",
        &TRUTH.replace("entity_id", "cluster_id"),
    );
    let metrics = eval_json(&truth, &clusters);
    assert_eq!(metrics["pairwise"]["f1"], 1.0);
    assert_eq!(metrics["b_cubed"]["f1"], 1.0);
    assert_eq!(metrics["wrong_merges"], 0);
    let output = sailmerge(&["eval", "--truth", &truth, &clusters], &[]);
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        table.contains("pairwise       1.0000   1.0000   1.0000"),
        "{table}"
    );
}

#[test]
fn eval_with_no_predictions_has_precision_one_and_recall_zero() {
    let dir = tempfile::tempdir().unwrap();
    let truth = write(dir.path(), "truth.csv", TRUTH);
    let clusters = write(dir.path(), "clusters.csv", "user_id,cluster_id\n");
    let metrics = eval_json(&truth, &clusters);
    assert_eq!(metrics["pairwise"]["precision"], 1.0);
    assert_eq!(metrics["pairwise"]["recall"], 0.0);
    assert_eq!(metrics["predicted_clusters"], 0);
}

#[test]
fn eval_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let truth = write(dir.path(), "truth.csv", TRUTH);
    let cases = [
        ("user_id,cluster_id\n1,x\n99,x\n", "line 3: 99"),
        (
            "user_id,cluster_id\n1,x\n1,y\n",
            "line 3: user_id 1 is listed a second time",
        ),
        ("user_id,group\n1,x\n", "no `cluster_id` column"),
        ("user_id,cluster_id\n1,x\n2,x,extra\n", "malformed CSV"),
    ];
    for (text, expected) in cases {
        let clusters = write(dir.path(), "clusters.csv", text);
        let output = sailmerge(&["eval", "--truth", &truth, &clusters], &[]);
        assert_eq!(output.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{text}: {stderr}");
        assert!(stderr.contains("clusters.csv"), "{stderr}");
    }
    let bad_truth = write(dir.path(), "bad_truth.csv", "user_id,entity_id\n1,a\n1,b\n");
    let clusters = write(dir.path(), "clusters.csv", "user_id,cluster_id\n");
    let output = sailmerge(&["eval", "--truth", &bad_truth, &clusters], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad_truth.csv: line 3"));
}

#[test]
fn eval_breaks_recall_down_by_variation_on_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "4000", "9", &["--annotations"]);
    let truth = dir.path().join("truth.csv");
    let truth = truth.to_str().unwrap();
    let annotations = dir.path().join("annotations.csv");
    // The truth as clusters: every variation fully recalled, no hard
    // negative linked.
    let clusters = write(
        dir.path(),
        "clusters.csv",
        &String::from_utf8(read(&dir.path().join("truth.csv")))
            .unwrap()
            .replace("entity_id", "cluster_id"),
    );
    let output = sailmerge(
        &[
            "eval",
            "--truth",
            truth,
            &clusters,
            "--annotations",
            annotations.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let evaluation: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let by_variation = evaluation["breakdown"]["recall_by_variation"]
        .as_object()
        .unwrap();
    assert!(by_variation.len() > 20);
    for (kind, recall) in by_variation {
        assert_eq!(recall["recall"], 1.0, "{kind}");
    }
    let by_kind = evaluation["breakdown"]["linked_by_hard_negative"]
        .as_object()
        .unwrap();
    assert!(by_kind.len() >= 6);
    for (kind, confusion) in by_kind {
        assert!(confusion["people_pairs"].as_u64().unwrap() > 0, "{kind}");
        assert_eq!(confusion["linked"], 0, "{kind}");
    }
}

/// The calibration band of a stated probability, as eval defines them.
fn band_of(probability: f64) -> usize {
    const UPPER: [f64; 12] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0];
    UPPER
        .iter()
        .position(|&to| probability < to)
        .unwrap_or(UPPER.len() - 1)
}

#[test]
fn eval_calibrates_the_demo_plans_scored_pairs_against_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo_path("datasets/demo");
    let out = dir.path().join("out");
    let pairs = dir.path().join("pairs.csv");
    let output = sailmerge(
        &[
            "--no-progress",
            "plan",
            demo.join("export.csv").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--pairs",
            pairs.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        output.status.success(),
        "plan: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let truth_path = demo.join("truth.csv");
    let (truth_path, clusters, pairs) = (
        truth_path.to_str().unwrap(),
        out.join("clusters.csv"),
        pairs.to_str().unwrap(),
    );
    let output = sailmerge(
        &[
            "eval",
            "--truth",
            truth_path,
            clusters.to_str().unwrap(),
            "--pairs",
            pairs,
            "--json",
        ],
        &[],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let evaluation: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(evaluation["pairwise"]["recall"].as_f64().unwrap() > 0.0);

    // The same table, counted here from the files.
    let (_, truth) = csv_records(&demo.join("truth.csv"));
    let entity: HashMap<String, String> = truth
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    let (headers, rows) = csv_records(&PathBuf::from(pairs));
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (left, right, probability) = (column("left"), column("right"), column("probability"));
    let mut counted = vec![(0u64, 0u64); 12];
    for row in &rows {
        let band = band_of(row[probability].parse().unwrap());
        counted[band].0 += 1;
        counted[band].1 += u64::from(entity[&row[left]] == entity[&row[right]]);
    }
    let calibration = &evaluation["calibration"];
    assert_eq!(calibration["candidate_pairs"], rows.len() as u64);
    assert_eq!(calibration["true_pairs"], evaluation["true_pairs"]);
    let bands = calibration["bands"].as_array().unwrap();
    assert_eq!(bands.len(), 12);
    for (band, (pairs_in_band, true_in_band)) in bands.iter().zip(&counted) {
        assert_eq!(band["pairs"], *pairs_in_band, "{band}");
        if *pairs_in_band > 0 {
            let share = *true_in_band as f64 / *pairs_in_band as f64;
            assert!((band["true_share"].as_f64().unwrap() - share).abs() < 1e-12);
            let gap = band["difference"].as_f64().unwrap();
            let flagged = *pairs_in_band >= 200 && gap.abs() > 0.08;
            assert_eq!(band["miscalibrated"], flagged, "{band}");
        }
    }
    let ranked = &calibration["recall_at_precision"];
    assert_eq!(ranked["target_precision"], 0.99);
    assert!(ranked["precision"].as_f64().unwrap() >= 0.99);
    assert!(ranked["recall"].as_f64().unwrap() > 0.0);
    assert!(ranked["threshold"].as_f64().is_some());

    // Pairs alone, as a table: no clustering measures, the twelve bands.
    let output = sailmerge(&["eval", "--truth", truth_path, "--pairs", pairs], &[]);
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(!table.contains("pairwise"), "{table}");
    assert!(table.contains("calibration of the stated probabilities"));
    let band_lines = table
        .lines()
        .filter(|line| line.starts_with("  0.") && line.contains('-'))
        .count();
    assert_eq!(band_lines, 12, "{table}");
    assert!(table.contains("recall at pair precision 0.99 by ranking"));

    // Neither clusters nor pairs: a usage error.
    let output = sailmerge(&["eval", "--truth", truth_path], &[]);
    assert_eq!(output.status.code(), Some(2));
}
