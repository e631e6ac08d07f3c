//! `sailmerge gen --variant b` through the real binary: byte-identical per
//! seed whatever the thread count, Sailplay's uniqueness kept, a truth for
//! every profile, every kind it documents present, and the files read by
//! `plan` and `eval` like variant a's.

use std::collections::HashSet;
use std::path::Path;

use sailmerge::profile::Field;

use crate::harness::{csv_records, read, sailmerge, sailmerge_ok, sailmerge_plan};

fn generate_b(dir: &Path, profiles: &str, seed: &str, extra: &[&str], threads: Option<&str>) {
    let out = dir.to_str().expect("utf-8 temp path");
    let mut args = vec![
        "gen",
        "--variant",
        "b",
        "--profiles",
        profiles,
        "--seed",
        seed,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    let env: Vec<(&str, &str)> = threads
        .map(|threads| ("RAYON_NUM_THREADS", threads))
        .into_iter()
        .collect();
    sailmerge_ok(&args, &env);
}

/// The national number: the last ten digits of an 11-digit 7/8 number or
/// a 10-digit one.
fn national(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        11 if digits.starts_with(['7', '8']) => digits[1..].to_string(),
        _ => digits,
    }
}

#[test]
fn variant_b_is_byte_identical_per_seed_whatever_the_thread_count() {
    let one = tempfile::tempdir().unwrap();
    let four = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    generate_b(one.path(), "4000", "11", &["--annotations"], Some("1"));
    generate_b(four.path(), "4000", "11", &["--annotations"], Some("4"));
    generate_b(other.path(), "4000", "12", &["--annotations"], Some("4"));
    for file in [
        "export.csv",
        "truth.csv",
        "annotations.csv",
        "generation.json",
    ] {
        assert_eq!(
            read(&one.path().join(file)),
            read(&four.path().join(file)),
            "{file}"
        );
    }
    assert_ne!(
        read(&one.path().join("export.csv")),
        read(&other.path().join("export.csv"))
    );
}

#[test]
fn variant_b_keeps_sailplay_uniqueness_and_truth_covers_every_profile() {
    let dir = tempfile::tempdir().unwrap();
    generate_b(dir.path(), "8000", "5", &["--annotations"], None);
    let (headers, rows) = csv_records(&dir.path().join("export.csv"));
    assert_eq!(headers.iter().collect::<Vec<_>>(), Field::NAMES);
    assert_eq!(rows.len(), 8000);
    let (mut phones, mut emails, mut origins) = (HashSet::new(), HashSet::new(), HashSet::new());
    let mut previous: Option<(u64, String)> = None;
    for row in &rows {
        let user_id: u64 = row[0].parse().expect("numeric user_id");
        let registered = row[9].to_string();
        if let Some((id, date)) = &previous {
            assert!(user_id > *id, "user ids grow");
            assert!(registered >= *date, "user ids grow with the register date");
        }
        previous = Some((user_id, registered));
        assert!(
            row[1].is_empty() || origins.insert(row[1].to_string()),
            "origin_user_id {}",
            &row[1]
        );
        assert!(
            row[2].is_empty() || phones.insert(national(&row[2])),
            "phone {}",
            &row[2]
        );
        assert!(
            row[3].is_empty() || emails.insert(row[3].to_lowercase()),
            "email {}",
            &row[3]
        );
        assert!(
            !row[1].is_empty() || !row[2].is_empty() || !row[3].is_empty(),
            "an identifier"
        );
        assert!(["", "1", "2"].contains(&&row[8]), "sex {}", &row[8]);
        let date = &row[7];
        assert!(
            date.is_empty() || chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
            "{date}"
        );
        assert!(chrono::NaiveDateTime::parse_from_str(&row[9], "%Y-%m-%d %H:%M:%S").is_ok());
        assert!(row[10].parse::<u32>().is_ok());
    }
    assert!(
        rows.iter()
            .filter(|r| r[2].len() == 11 && r[2].starts_with("79"))
            .count()
            > rows.len() / 2
    );
    assert!(
        rows.iter()
            .any(|r| r[2].starts_with('+') || r[2].starts_with('8'))
    );

    let (truth_headers, truth) = csv_records(&dir.path().join("truth.csv"));
    assert_eq!(
        truth_headers.iter().collect::<Vec<_>>(),
        ["user_id", "entity_id"]
    );
    let export_ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    let truth_ids: Vec<&str> = truth.iter().map(|r| &r[0]).collect();
    assert_eq!(export_ids, truth_ids);
    let (annotation_headers, annotations) = csv_records(&dir.path().join("annotations.csv"));
    assert_eq!(
        annotation_headers.iter().collect::<Vec<_>>(),
        [
            "user_id",
            "entity_id",
            "group_id",
            "hard_negative",
            "variations"
        ]
    );
    let annotated: Vec<(&str, &str)> = annotations.iter().map(|r| (&r[0], &r[1])).collect();
    let truth_pairs: Vec<(&str, &str)> = truth.iter().map(|r| (&r[0], &r[1])).collect();
    assert_eq!(annotated, truth_pairs);

    let summary: serde_json::Value =
        serde_json::from_slice(&read(&dir.path().join("generation.json"))).unwrap();
    let entities: HashSet<&str> = truth.iter().map(|r| &r[1]).collect();
    assert_eq!(summary["profiles"], 8000);
    assert_eq!(summary["entities"], entities.len());
    assert_eq!(summary["variant"], "b");
}

#[test]
fn variant_b_shows_every_variation_and_hard_negative_kind_it_documents() {
    let dir = tempfile::tempdir().unwrap();
    generate_b(dir.path(), "30000", "7", &[], None);
    let summary: serde_json::Value =
        serde_json::from_slice(&read(&dir.path().join("generation.json"))).unwrap();
    for (kind, count) in summary["variations"].as_object().unwrap() {
        assert!(count["profiles"].as_u64().unwrap() > 0, "no {kind}");
    }
    for (kind, count) in summary["hard_negatives"].as_object().unwrap() {
        assert!(count["groups"].as_u64().unwrap() > 0, "no {kind}");
    }
    let sex_wrong = summary["shares"]["sex_wrong"].as_f64().unwrap();
    assert!((0.012..0.035).contains(&sex_wrong), "{sex_wrong}");
}

#[test]
fn variant_b_without_noise_or_hard_negatives_makes_clean_copies() {
    let dir = tempfile::tempdir().unwrap();
    generate_b(
        dir.path(),
        "4000",
        "3",
        &["--noise", "0", "--hard-negative-rate", "0"],
        None,
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&read(&dir.path().join("generation.json"))).unwrap();
    // What remains is how channels, choices and lives split a person's
    // profiles: which fields a channel fills, a mailbox alias used on
    // purpose, maiden names before a wedding, numbers given up, formats.
    let structure = [
        "channel_",
        "store_phone_and_first_name_only",
        "joined_copy",
        "phone_old_number",
        "phone_second_number",
        "phone_landline",
        "phone_non_canonical_format",
        "phone_withheld",
        "email_gmail_dots",
        "email_googlemail",
        "email_plus_tag",
        "email_yandex_alias",
        "email_other_mailbox",
        "email_work_address",
        "email_withheld",
        "maiden_surname",
        "double_barrelled_surname",
        "no_name",
        "birth_date_missing",
        "sex_missing",
    ];
    for (kind, count) in summary["variations"].as_object().unwrap() {
        if !structure.iter().any(|s| kind.starts_with(s)) {
            assert_eq!(count["profiles"], 0, "{kind} despite --noise 0");
        }
    }
    for (kind, count) in summary["hard_negatives"].as_object().unwrap() {
        assert_eq!(count["groups"], 0, "{kind} despite --hard-negative-rate 0");
    }
}

#[test]
fn variant_b_rejects_bad_settings_naming_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = sailmerge(
        &[
            "gen",
            "--variant",
            "b",
            "--profiles",
            "0",
            "--hard-negative-rate",
            "1.5",
            "--out",
            out,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--profiles") && stderr.contains("--hard-negative-rate"),
        "{stderr}"
    );
}

#[test]
fn variant_b_goes_through_plan_and_eval() {
    let dir = tempfile::tempdir().unwrap();
    generate_b(dir.path(), "3000", "5", &["--annotations"], None);
    let export = dir.path().join("export.csv");
    let out = dir.path().join("plan");
    let plan = sailmerge_plan(
        &export,
        &out,
        &[
            "--pairs",
            out.join("pairs.csv").to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(
        plan.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let eval = sailmerge(
        &[
            "eval",
            "--truth",
            dir.path().join("truth.csv").to_str().unwrap(),
            out.join("clusters.csv").to_str().unwrap(),
            "--annotations",
            dir.path().join("annotations.csv").to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let evaluation: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(evaluation["profiles"], 3000);
    let recall = evaluation["pairwise"]["recall"].as_f64().unwrap();
    let precision = evaluation["pairwise"]["precision"].as_f64().unwrap();
    assert!(recall > 0.0 && precision > 0.0, "{evaluation}");
    let by_variation = evaluation["breakdown"]["recall_by_variation"]
        .as_object()
        .unwrap();
    assert!(
        by_variation.contains_key("phone_transposition"),
        "{by_variation:?}"
    );
    let by_kind = evaluation["breakdown"]["linked_by_hard_negative"]
        .as_object()
        .unwrap();
    assert!(
        by_kind.contains_key("spouses") && by_kind.contains_key("placeholder"),
        "{by_kind:?}"
    );
}
