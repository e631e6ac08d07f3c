//! `[matching]`: blocking, scoring and clustering. Every key has a default
//! chosen on the synthetic Sailplay-style data (`sailmerge gen`); the doc
//! comment of each field says what it does and why the default is what it
//! is. `plan --show-settings` prints the resolved values.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::block::RuleKind;

/// Why two profiles cannot be one person: the kinds of contradiction the
/// clustering guards look for inside a component (`contradiction_guards`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Contradiction {
    /// Male and female, as both profiles' given names imply (a stated sex
    /// alone is no contradiction: it is wrong on a few profiles in a
    /// hundred, and the sex comparison weighs it).
    Sex,
    /// Birth dates no typo explains (not equal, day and month swapped, or
    /// one digit apart).
    BirthDate,
    /// First names neither equal, nor forms of one full name, nor within
    /// Jaro-Winkler 0.85.
    FirstName,
    /// Patronymics of different fathers, or one father's name in both
    /// sexes' forms.
    Patronymic,
    /// One surname in both sexes' forms (Петров and Петрова).
    GenderedSurname,
}

impl Contradiction {
    pub const ALL: [Contradiction; 5] = [
        Contradiction::Sex,
        Contradiction::BirthDate,
        Contradiction::FirstName,
        Contradiction::Patronymic,
        Contradiction::GenderedSurname,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Contradiction::Sex => "sex",
            Contradiction::BirthDate => "birth_date",
            Contradiction::FirstName => "first_name",
            Contradiction::Patronymic => "patronymic",
            Contradiction::GenderedSurname => "gendered_surname",
        }
    }
}

/// How a custom attribute declared in `[[matching.extra]]` is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MatchSettings {
    /// Match probability at or above which a pair links (`--threshold`).
    /// The probabilities are calibrated (on both generated bases, in every
    /// band from 0.5 up, pairs are one person about as often as stated),
    /// so this is the risk a link may take: at 0.97, fewer than one
    /// predicted cluster in a hundred holds two people and pairwise
    /// precision stays above 0.99 on both generators at 100k profiles; 0.95
    /// finds about 5% more true pairs for about half as many wrong clusters
    /// again. A merge cannot be undone, hence the high default; the pairs
    /// below it and above `review_threshold` go to the reviewer.
    pub threshold: f64,
    /// The lower end of the review band (`--review-threshold`): pairs with
    /// a probability from here up to `threshold` do not link, but form
    /// candidate clusters the report shows in a section of their own, for
    /// a person to decide. `approve --all` and `--risk` never approve
    /// them; an approved candidate's links are made by the next plan made
    /// with `--previous`. 0.5: on the generated bases most pairs between
    /// 0.5 and 0.8 are one person, and below 0.5 most are not. Set it equal
    /// to `threshold` for no band.
    pub review_threshold: f64,
    /// The blocking rules that propose candidate pairs, by name, in order.
    /// Default: every built-in rule (`phone_exact`, `phone_one_edit`,
    /// `phone_two_substitutions_first_name`,
    /// `email_mailbox`, `email_one_edit`, `email_login`, `name_birth_date`,
    /// `name_patronymic`, `surname_phonetic_first_name`,
    /// `birth_date_first_name`, `birth_date_last_name`,
    /// `login_name_birth_date`, `origin_user_id`).
    /// Extra columns with `block = true` add their own rule.
    pub blocking_rules: Vec<RuleKind>,
    /// A block whose key would yield more pairs than this is skipped and
    /// reported: its key (a very common name, a filler phone) carries too
    /// little information to be worth comparing all its members.
    pub max_block_pairs: u64,
    /// The same cap for the rules keyed on names alone
    /// (`surname_phonetic_first_name`, `name_patronymic`), lower: a name
    /// shared by more than a few dozen profiles cannot link two of them
    /// without other evidence, so comparing them all only costs time.
    pub max_name_block_pairs: u64,
    /// Random profile pairs drawn to estimate u (how often two different
    /// people agree by chance) for every comparison level.
    pub u_sample_pairs: u64,
    /// Seed of that random draw, so runs are reproducible.
    pub seed: u64,
    /// Expectation-maximisation rounds estimating m (how often one person's
    /// profiles agree) on the candidate pairs, per blocking rule.
    pub em_iterations: u32,
    /// A conflicting level (Петров/Петрова, Сергеевич/Сергеевна, male and
    /// female) always weighs at most this much (log2 Bayes factor), however
    /// the estimates come out: conflicts are evidence against.
    pub conflict_weight: f64,
    /// Scale exact first-name, surname, patronymic and birth-date
    /// agreement by how common the value is among the other profiles:
    /// Александр Иванов (or Александрович) is weak evidence, a rare name
    /// strong.
    pub term_frequency: bool,
    /// Largest cluster accepted whole; a larger component is split at its
    /// weakest links. One person rarely has this many profiles.
    pub max_cluster_size: usize,
    /// The contradictions that split a component (and drop a link) when two
    /// of its members show one: any of `sex`, `birth_date`, `first_name`,
    /// `patronymic`, `gendered_surname`. Default: all five, since in a
    /// Russian base these are different people (father and son, twins,
    /// spouses). Leave one out where the data's duplicates really do
    /// disagree on it: Febrl's duplicates get unrelated given names, so
    /// `datasets/febrl/febrl3.toml` drops `first_name`. An empty list turns
    /// the guards off; the size cap still applies.
    pub contradiction_guards: Vec<Contradiction>,
    /// Leave unlinked a pair that shares nothing but names when the
    /// patronymic is the one a son takes from a father of his own name
    /// (Павел Павлович), on both profiles or on one while the other names
    /// none (Павел beside Павел Павлович, who may be his son): a father
    /// and son named alike agree on every name, so the names cannot tell
    /// them apart, however rare the surname. Such a pair links only with
    /// other evidence: a phone, e-mail, birth date, origin id, login birth
    /// year or extra column that agrees (numbers in sequence and logins of
    /// one family's habit do not count). On the generated bases the guard
    /// removes about a quarter of the wrong clusters; its second case (one
    /// patronymic) a third of those left on variant A and a twentieth on
    /// variant B, for at most 0.0005 of recall.
    pub father_son_guard: bool,
    /// The date ages are reckoned on when birth dates are checked (a date
    /// after it, or an age over 110, is a placeholder; an age under 12 or
    /// over 100 is doubtful and no evidence), `YYYY-MM-DD`. Unset (the
    /// default): the latest register_date in the input, the export's own
    /// "today", so the same input gives the same plan on any day; without
    /// any register date, the latest birth date in the input.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_toml_date"
    )]
    #[schemars(with = "Option<String>")]
    pub reference_date: Option<NaiveDate>,
    /// Custom attributes compared as well, `[[matching.extra]]` tables with
    /// `column`, `kind` (exact, fuzzy, numeric, date), optional `block`
    /// and `tolerance`. At most 6.
    pub extra: Vec<ExtraComparison>,
}

/// A date written either as a TOML date (`reference_date = 2024-06-30`) or
/// as a string (`reference_date = "2024-06-30"`); written back as a string.
mod optional_toml_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Date(toml::value::Datetime),
    }

    pub fn serialize<S: Serializer>(
        date: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => serializer.serialize_str(&date.format("%Y-%m-%d").to_string()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        let text = match Written::deserialize(deserializer)? {
            Written::Text(text) => text,
            Written::Date(date) if date.time.is_none() && date.offset.is_none() => date.to_string(),
            Written::Date(date) => {
                return Err(serde::de::Error::custom(format!(
                    "reference_date must be a date without a time, got {date}"
                )));
            }
        };
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                serde::de::Error::custom(format!("reference_date must be YYYY-MM-DD, got {text:?}"))
            })
    }
}

/// Most custom attributes a model compares (the core comparisons take 10
/// of the 16 slots a scored pair has).
pub const MAX_EXTRA_COMPARISONS: usize = 6;

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            threshold: 0.97,
            review_threshold: 0.5,
            blocking_rules: RuleKind::BUILT_IN.to_vec(),
            max_block_pairs: 5000,
            max_name_block_pairs: 500,
            u_sample_pairs: 1_000_000,
            seed: 42,
            em_iterations: 25,
            conflict_weight: -4.0,
            term_frequency: true,
            max_cluster_size: 25,
            contradiction_guards: Contradiction::ALL.to_vec(),
            father_son_guard: true,
            reference_date: None,
            extra: Vec::new(),
        }
    }
}

impl MatchSettings {
    /// Whether the review band holds any pair: `review_threshold` below
    /// `threshold`.
    pub fn has_review_band(&self) -> bool {
        self.review_threshold < self.threshold
    }

    /// The lowest probability a pair is kept at by scoring: the review
    /// band's lower end, or the threshold when there is no band.
    pub fn lowest_kept_probability(&self) -> f64 {
        self.review_threshold.min(self.threshold)
    }

    /// Every problem with these settings, all at once; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(0.0..1.0).contains(&self.threshold) {
            problems.push(format!(
                "matching.threshold must be a probability in [0, 1), got {}",
                self.threshold
            ));
        }
        if !(0.0..=self.threshold).contains(&self.review_threshold) {
            problems.push(format!(
                "matching.review_threshold must be a probability from 0 up to the threshold ({}), got {}",
                self.threshold, self.review_threshold
            ));
        }
        if self.max_block_pairs == 0 || self.max_name_block_pairs == 0 {
            problems.push(
                "matching.max_block_pairs and max_name_block_pairs must be at least 1".to_string(),
            );
        }
        if self.u_sample_pairs < 1000 {
            problems.push(format!(
                "matching.u_sample_pairs must be at least 1000, got {}",
                self.u_sample_pairs
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
            conflict_weight: 2.0,
            max_cluster_size: 1,
            ..MatchSettings::default()
        };
        let problems = settings.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[2].contains("max_cluster_size"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<MatchSettings>("treshold = 0.9").is_err());
    }

    #[test]
    fn blocking_rules_read_by_name_and_an_unknown_one_is_a_parse_error() {
        let settings: MatchSettings =
            toml::from_str("blocking_rules = [\"email_login\", \"phone_exact\"]").unwrap();
        assert_eq!(
            settings.blocking_rules,
            [RuleKind::EmailLogin, RuleKind::PhoneExact]
        );
        let error = toml::from_str::<MatchSettings>("blocking_rules = [\"phone_soundex\"]")
            .unwrap_err()
            .to_string();
        assert!(error.contains("phone_soundex"), "{error}");
        assert!(error.contains("phone_exact"), "{error}");
    }

    #[test]
    fn reference_date_reads_as_a_toml_date_or_a_string() {
        let expected = NaiveDate::from_ymd_opt(2024, 6, 30);
        for text in [
            "reference_date = 2024-06-30",
            "reference_date = \"2024-06-30\"",
        ] {
            let settings: MatchSettings = toml::from_str(text).unwrap();
            assert_eq!(settings.reference_date, expected, "{text}");
            let back: MatchSettings =
                toml::from_str(&toml::to_string_pretty(&settings).unwrap()).unwrap();
            assert_eq!(back, settings);
        }
        assert!(toml::from_str::<MatchSettings>("reference_date = \"30.06.2024\"").is_err());
        assert!(toml::from_str::<MatchSettings>("reference_date = 2024-06-30T10:00:00").is_err());
        assert_eq!(MatchSettings::default().reference_date, None);
    }

    #[test]
    fn contradiction_guards_default_to_all_and_can_be_switched_off() {
        assert_eq!(
            MatchSettings::default().contradiction_guards,
            Contradiction::ALL.to_vec()
        );
        let settings: MatchSettings =
            toml::from_str("contradiction_guards = [\"sex\", \"birth_date\"]").unwrap();
        assert_eq!(
            settings.contradiction_guards,
            vec![Contradiction::Sex, Contradiction::BirthDate]
        );
        let none: MatchSettings = toml::from_str("contradiction_guards = []").unwrap();
        assert!(none.contradiction_guards.is_empty());
        assert!(toml::from_str::<MatchSettings>("contradiction_guards = [\"shoe_size\"]").is_err());
    }
}
