//! `[matching]`: blocking, scoring and clustering. Every key has a default
//! chosen on the synthetic Sailplay-style data (`sailmerge gen`); the doc
//! comment of each field says what it does and why the default is what it
//! is. `plan --show-settings` prints the resolved values.

use serde::{Deserialize, Serialize};

/// How a custom attribute declared in `[[matching.extra]]` is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtraKind {
    /// Equal after trimming and case folding, or not (card numbers, ids).
    Exact,
    /// Exact, else Jaro-Winkler bands ≥ 0.92 and ≥ 0.85, else different
    /// (addresses, cities, street names).
    Fuzzy,
    /// Numbers: equal, within `tolerance` (absolute), else different.
    Numeric,
    /// Dates (YYYY-MM-DD, DD.MM.YYYY, YYYYMMDD): equal, within `tolerance`
    /// days, else different.
    Date,
}

/// A custom attribute of the base (a column of the export that is not one
/// of Sailplay's canonical fields) used as one more comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraComparison {
    /// The export column, as in its header.
    pub column: String,
    /// How two values compare.
    pub kind: ExtraKind,
    /// Also propose candidate pairs that share the exact value (after
    /// trimming and case folding). Off by default: a shared city is no
    /// reason to compare two profiles.
    #[serde(default)]
    pub block: bool,
    /// `numeric`: largest absolute difference still counted as close;
    /// `date`: largest number of days. Ignored by the other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchSettings {
    /// Match probability at or above which a pair links (`--threshold`).
    /// 0.9 keeps wrong merges rare: a merge cannot be undone.
    pub threshold: f64,
    /// The blocking rules that propose candidate pairs, by name, in order.
    /// Default: every built-in rule (`phone_exact`, `phone_one_edit`,
    /// `email_mailbox`, `email_one_edit`, `email_login`, `name_birth_date`,
    /// `name_patronymic`, `surname_phonetic_first_name`,
    /// `birth_date_first_name`, `birth_date_last_name`, `origin_user_id`).
    /// Extra columns with `block = true` add their own rule.
    pub blocking_rules: Vec<String>,
    /// A block whose key would yield more pairs than this is skipped and
    /// reported: its key (a very common name, a filler phone) carries too
    /// little information to be worth comparing all its members.
    pub max_block_pairs: u64,
    /// Random profile pairs drawn to estimate u (how often two different
    /// people agree by chance) for every comparison level.
    pub u_sample_pairs: u64,
    /// Seed of that random draw, so runs are reproducible.
    pub seed: u64,
    /// Expectation-maximisation rounds estimating m (how often one person's
    /// profiles agree) on the candidate pairs, per blocking rule.
    pub em_iterations: u32,
    /// Smallest u any level may have. Near-identical phones (one digit
    /// apart) are far more common between relatives than chance predicts;
    /// this floor stops one near-identical field from outweighing names,
    /// sexes and birth dates that disagree.
    pub minimum_u: f64,
    /// A conflicting level (Петров/Петрова, Сергеевич/Сергеевна, male and
    /// female) always weighs at most this much (log2 Bayes factor), however
    /// the estimates come out: conflicts are evidence against.
    pub conflict_weight: f64,
    /// Scale exact first-name, surname and birth-date agreement by how
    /// common the value is: Александр Иванов is weak evidence, a rare name
    /// strong.
    pub term_frequency: bool,
    /// Largest cluster accepted whole; a larger component is split at its
    /// weakest links. One person rarely has this many profiles.
    pub max_cluster_size: usize,
    /// Custom attributes compared as well, `[[matching.extra]]` tables with
    /// `column`, `kind` (exact, fuzzy, numeric, date), optional `block`
    /// and `tolerance`. At most 8.
    pub extra: Vec<ExtraComparison>,
}

/// Names of the built-in blocking rules, in their default order.
pub const BUILT_IN_BLOCKING_RULES: [&str; 11] = [
    "phone_exact",
    "phone_one_edit",
    "email_mailbox",
    "email_one_edit",
    "email_login",
    "name_birth_date",
    "name_patronymic",
    "surname_phonetic_first_name",
    "birth_date_first_name",
    "birth_date_last_name",
    "origin_user_id",
];

/// Most custom attributes a model compares (the core comparisons take 8 of
/// the 16 slots a scored pair has).
pub const MAX_EXTRA_COMPARISONS: usize = 8;

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            threshold: 0.9,
            blocking_rules: BUILT_IN_BLOCKING_RULES
                .iter()
                .map(|rule| rule.to_string())
                .collect(),
            max_block_pairs: 5000,
            u_sample_pairs: 1_000_000,
            seed: 42,
            em_iterations: 25,
            minimum_u: 1e-5,
            conflict_weight: -4.0,
            term_frequency: true,
            max_cluster_size: 25,
            extra: Vec::new(),
        }
    }
}

impl MatchSettings {
    /// Every problem with these settings, all at once; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(0.0..1.0).contains(&self.threshold) {
            problems.push(format!(
                "matching.threshold must be a probability in [0, 1), got {}",
                self.threshold
            ));
        }
        for rule in &self.blocking_rules {
            if !BUILT_IN_BLOCKING_RULES.contains(&rule.as_str()) {
                problems.push(format!(
                    "matching.blocking_rules: unknown rule {rule:?}; the rules are {}",
                    BUILT_IN_BLOCKING_RULES.join(", ")
                ));
            }
        }
        if self.max_block_pairs == 0 {
            problems.push("matching.max_block_pairs must be at least 1".to_string());
        }
        if self.u_sample_pairs < 1000 {
            problems.push(format!(
                "matching.u_sample_pairs must be at least 1000, got {}",
                self.u_sample_pairs
            ));
        }
        if !(self.minimum_u > 0.0 && self.minimum_u < 1.0) {
            problems.push(format!(
                "matching.minimum_u must be in (0, 1), got {}",
                self.minimum_u
            ));
        }
        if self.conflict_weight > 0.0 {
            problems.push(format!(
                "matching.conflict_weight must be zero or negative (evidence against), got {}",
                self.conflict_weight
            ));
        }
        if self.max_cluster_size < 2 {
            problems.push("matching.max_cluster_size must be at least 2".to_string());
        }
        if self.extra.len() > MAX_EXTRA_COMPARISONS {
            problems.push(format!(
                "matching.extra declares {} columns; at most {MAX_EXTRA_COMPARISONS} are compared",
                self.extra.len()
            ));
        }
        for extra in &self.extra {
            if extra.column.trim().is_empty() {
                problems.push("matching.extra: a column name is empty".to_string());
            }
            if let Some(tolerance) = extra.tolerance
                && (tolerance.is_nan() || tolerance < 0.0)
            {
                problems.push(format!(
                    "matching.extra column {:?}: tolerance must be zero or positive, got {tolerance}",
                    extra.column
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip_through_toml() {
        let settings = MatchSettings::default();
        assert!(settings.problems().is_empty(), "{:?}", settings.problems());
        let text = toml::to_string_pretty(&settings).unwrap();
        let back: MatchSettings = toml::from_str(&text).unwrap();
        assert_eq!(back, settings);
    }

    #[test]
    fn extra_columns_parse_with_their_kind() {
        let settings: MatchSettings = toml::from_str(
            r#"
            threshold = 0.95
            [[extra]]
            column = "city"
            kind = "fuzzy"
            [[extra]]
            column = "card"
            kind = "exact"
            block = true
            "#,
        )
        .unwrap();
        assert_eq!(settings.threshold, 0.95);
        assert_eq!(settings.extra.len(), 2);
        assert_eq!(settings.extra[0].kind, ExtraKind::Fuzzy);
        assert!(settings.extra[1].block);
        assert!(settings.problems().is_empty());
        let text = toml::to_string_pretty(&settings).unwrap();
        assert_eq!(toml::from_str::<MatchSettings>(&text).unwrap(), settings);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let settings = MatchSettings {
            threshold: 1.5,
            blocking_rules: vec!["phone_soundex".into()],
            conflict_weight: 2.0,
            ..MatchSettings::default()
        };
        let problems = settings.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[1].contains("phone_soundex"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<MatchSettings>("treshold = 0.9").is_err());
    }
}
