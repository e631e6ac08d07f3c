//! The shipped Febrl3 benchmark stays usable: its config parses into valid
//! settings that name only columns the file has, and the committed truth
//! agrees with the record ids it is derived from (the published 6538 true
//! pairs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sailmerge::settings::Settings;

fn febrl_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/febrl")
}

/// Febrl's header, trimmed (the file has a space after each comma).
fn febrl3_header() -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(febrl_dir().join("febrl3.csv"))
        .expect("febrl3.csv opens");
    reader
        .headers()
        .expect("febrl3.csv has a header")
        .iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn febrl3_config_is_valid_and_names_only_febrl_columns() {
    let settings =
        Settings::from_config(Some(&febrl_dir().join("febrl3.toml"))).expect("febrl3.toml parses");
    assert!(
        settings.matching.problems().is_empty(),
        "{:?}",
        settings.matching.problems()
    );
    let header = febrl3_header();
    for (field, column) in &settings.load.map {
        assert!(
            header.contains(column),
            "[load] map {field} = {column:?}: no such column in {header:?}"
        );
    }
    assert_eq!(
        settings.load.map.get("user_id").map(String::as_str),
        Some("rec_id")
    );
    assert_eq!(
        settings.load.map.get("birth_date").map(String::as_str),
        Some("date_of_birth")
    );
    assert!(!settings.matching.extra.is_empty());
    for extra in &settings.matching.extra {
        assert!(
            header.contains(&extra.column),
            "[[matching.extra]] column {:?}: no such column in {header:?}",
            extra.column
        );
        assert!(
            !settings
                .load
                .map
                .values()
                .any(|mapped| mapped == &extra.column),
            "{:?} is both mapped to a canonical field and compared as a custom column",
            extra.column
        );
    }
}

#[test]
fn febrl3_truth_agrees_with_the_record_ids() {
    let mut records = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(febrl_dir().join("febrl3.csv"))
        .expect("febrl3.csv opens");
    let rec_ids: BTreeSet<String> = records
        .records()
        .map(|record| record.expect("a well-formed row")[0].to_string())
        .collect();
    assert_eq!(rec_ids.len(), 5000);

    let mut truth = csv::Reader::from_path(febrl_dir().join("febrl3_truth.csv"))
        .expect("febrl3_truth.csv opens");
    assert_eq!(
        truth.headers().expect("a header"),
        vec!["user_id", "entity_id"]
    );
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    let mut truth_ids = BTreeSet::new();
    for row in truth.records() {
        let row = row.expect("a well-formed truth row");
        let (user_id, entity_id) = (&row[0], &row[1]);
        let number = user_id
            .strip_prefix("rec-")
            .and_then(|rest| rest.split('-').next())
            .expect("a Febrl record id");
        assert_eq!(entity_id, format!("rec-{number}"), "entity of {user_id}");
        assert!(truth_ids.insert(user_id.to_string()), "{user_id} repeated");
        *sizes.entry(entity_id.to_string()).or_default() += 1;
    }
    assert_eq!(truth_ids, rec_ids, "the truth lists exactly the records");
    let true_pairs: u64 = sizes.values().map(|n| n * (n - 1) / 2).sum();
    assert_eq!(sizes.len(), 2000, "2000 originals");
    assert_eq!(true_pairs, 6538, "the published number of true pairs");
}
