//! Score: a Fellegi–Sunter match weight for every candidate pair.
//!
//! Each comparison (phone, email, first name, surname, patronymic, birth
//! date, sex, origin_user_id, and any declared custom attributes) puts the
//! pair on one level of its ladder (`comparison`). A level's weight is
//! log2(m/u), with m and u estimated without labels (`model`); exact
//! agreement on a first name, surname, patronymic or birth date is scaled
//! by how common the value is among other profiles (term frequency). The pair's weight is the prior log-odds of
//! a match plus the sum of its levels' weights; its probability is
//! 1 / (1 + 2^-weight). Invariants: missing and junk values weigh 0;
//! conflicting gendered forms and sexes weigh at most `conflict_weight`;
//! every scored pair keeps its levels and per-field weights, so the report
//! can explain it; the same input and settings give the same weights.

pub mod comparison;
pub mod model;

use anyhow::{Result, bail};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::block::{CandidatePair, Candidates, RuleKind};
use crate::normalize::{NormalizedRecord, prefetch};
use crate::plan::{FieldEvidence, HistogramBin, PairEvidence};
use crate::printer::Printer;
use crate::profile::{Profile, Sex};
use crate::settings::matching::MatchSettings;

use comparison::{Comparison, Field, LevelRole, MAX_COMPARISONS};
use model::LevelTable;

/// One candidate pair, compared and weighed.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPair {
    pub left: u32,
    pub right: u32,
    /// The blocking rules that proposed it (bitmask over
    /// `ScoredPairs::rule_names`).
    pub rules: u32,
    /// The level of each comparison (index into its ladder).
    pub levels: [u8; MAX_COMPARISONS],
    /// The weights of the term-frequency comparisons (first name, surname,
    /// patronymic, birth date) as scaled for this pair's values; the other comparisons'
    /// weights are their level's (`ScoredPairs::field_weight`).
    pub term_frequency_weights: [f32; TERM_FREQUENCY_SLOTS],
    /// Prior log-odds plus the field weights.
    pub weight: f64,
}

/// Candidate pairs per parallel task (and per progress-bar step).
const PAIRS_PER_TASK: usize = 16384;

/// Comparisons whose exact level is scaled by term frequency (first name,
/// surname, patronymic, birth date).
pub const TERM_FREQUENCY_SLOTS: usize = 4;

impl ScoredPair {
    pub fn probability(&self) -> f64 {
        probability_of_weight(self.weight)
    }
}

pub fn probability_of_weight(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// The weight at which a pair's probability reaches `probability`.
pub fn weight_of_probability(probability: f64) -> f64 {
    let clamped = probability.clamp(1e-15, 1.0 - 1e-15);
    (clamped / (1.0 - clamped)).log2()
}

pub struct ScoredPairs {
    /// The pairs at or above the threshold (the only ones clustering
    /// links), by `(left, right)`; the others are counted in `histogram`
    /// and `model`.
    pub pairs: Vec<ScoredPair>,
    pub comparisons: Vec<Comparison>,
    /// log2(m/u) per comparison and level, in general and among
    /// namesakes.
    pub weights: model::Weights,
    /// Per comparison, its slot in `ScoredPair::term_frequency_weights`.
    pub term_frequency_slots: Vec<Option<usize>>,
    pub rule_names: Vec<String>,
    pub model: ModelSummary,
    /// Every scored pair by weight, for the report's chart.
    pub histogram: Vec<HistogramBin>,
}

impl ScoredPairs {
    /// The weight comparison `index` contributed to `pair`.
    pub fn field_weight(&self, pair: &ScoredPair, index: usize) -> f64 {
        let level = pair.levels[index];
        match self.term_frequency_slots[index] {
            Some(slot) if self.comparisons[index].term_frequency_level == Some(level) => {
                pair.term_frequency_weights[slot] as f64
            }
            _ => {
                let names_agree = self.weights.names_agree(|c| pair.levels[c]);
                self.weights.of(index, level, names_agree)
            }
        }
    }

    /// Why the pair scored as it did, for the plan and the report.
    pub fn evidence(&self, pair: &ScoredPair, profiles: &[Profile]) -> PairEvidence {
        let user_id = |row: u32| {
            profiles
                .get(row as usize)
                .map(|profile| profile.user_id.clone())
                .unwrap_or_default()
        };
        PairEvidence {
            left: user_id(pair.left),
            right: user_id(pair.right),
            rules: self
                .rule_names
                .iter()
                .enumerate()
                .filter(|(index, _)| pair.rules & (1 << index) != 0)
                .map(|(_, name)| name.clone())
                .collect(),
            weight: round_weight(pair.weight),
            probability: pair.probability(),
            fields: self
                .comparisons
                .iter()
                .enumerate()
                .map(|(index, comparison)| FieldEvidence {
                    comparison: comparison.name.clone(),
                    level: comparison.levels[pair.levels[index] as usize]
                        .name
                        .to_string(),
                    weight: round_weight(self.field_weight(pair, index)),
                })
                .collect(),
        }
    }
}

/// Weights to 1/1000 bit: enough to explain, and stable to print.
fn round_weight(weight: f64) -> f64 {
    (weight * 1000.0).round() / 1000.0
}

/// The fitted model, for plan.json's diagnostics and the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub comparisons: Vec<ComparisonSummary>,
    /// Estimated probability that two profiles drawn at random are one
    /// person; its log-odds is every pair's starting weight.
    pub prior_match_probability: f64,
    pub prior_weight: f64,
    /// Estimated share of matches among the candidate pairs.
    pub candidate_match_share: f64,
    pub expected_matches: f64,
    pub candidate_pairs: u64,
    /// Weight at which a pair reaches the threshold probability.
    pub threshold_weight: f64,
    pub pairs_above_threshold: u64,
    pub u_sample_pairs: u64,
    /// Namesake pairs drawn for the u of name-dependent comparisons (0:
    /// too few namesakes, the general u is used).
    pub namesake_pairs: u64,
    pub u_seed: u64,
    pub em_iterations: u32,
    pub em_sessions: Vec<EmSessionSummary>,
    pub term_frequency: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparisonSummary {
    pub comparison: String,
    pub levels: Vec<LevelSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelSummary {
    pub level: String,
    pub role: LevelRole,
    pub m: f64,
    pub u: f64,
    /// log2(m/u) before term-frequency scaling.
    pub weight: f64,
    /// u and weight for pairs sharing their full name (differ from the
    /// above for name-dependent comparisons: phone, email, patronymic).
    pub u_among_namesakes: f64,
    pub weight_among_namesakes: f64,
    /// Candidate pairs at this level.
    pub candidate_pairs: u64,
    /// Random pairs at this level (the u sample).
    pub random_pairs: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmSessionSummary {
    /// The blocking rule whose pairs the session ran on.
    pub rule: String,
    pub pairs: u64,
    /// The comparisons left out: the rule keyed on them.
    pub fixed: Vec<String>,
    pub match_share: f64,
}

/// The comparisons an EM session on a blocking rule's pairs leaves out:
/// those the rule keys on (its pairs agree on them by construction), and
/// those its keys depend on. Logins are made of names, so pairs found by
/// their emails agree on names far more often than chance; left in, the
/// names would convince EM that most such pairs are one person.
fn rule_fields(kind: RuleKind) -> Vec<Field> {
    match kind {
        RuleKind::PhoneExact | RuleKind::PhoneOneEdit => vec![Field::Phone, Field::Channels],
        RuleKind::EmailMailbox | RuleKind::EmailOneEdit | RuleKind::EmailLogin => vec![
            Field::Email,
            Field::Channels,
            Field::FirstName,
            Field::LastName,
            Field::Patronymic,
            Field::LoginBirthYear,
        ],
        RuleKind::NameBirthDate => vec![Field::FirstName, Field::LastName, Field::BirthDate],
        RuleKind::NamePatronymic => vec![Field::FirstName, Field::Patronymic, Field::LastName],
        RuleKind::SurnamePhoneticFirstName => vec![Field::FirstName, Field::LastName],
        RuleKind::BirthDateFirstName => vec![Field::FirstName, Field::BirthDate],
        RuleKind::BirthDateLastName => vec![Field::LastName, Field::BirthDate],
        RuleKind::LoginNameBirthDate => vec![Field::LastName, Field::BirthDate],
        RuleKind::OriginUserId => vec![Field::OriginUserId],
        RuleKind::Extra(index) => vec![Field::Extra(index)],
    }
}

/// Sessions on fewer pairs than this say too little to average in.
const MINIMUM_SESSION_PAIRS: u64 = 50;

/// Scores every candidate pair and keeps those at or above the threshold
/// (the only ones clustering links).
pub fn score_pairs(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    candidates: &Candidates,
    settings: &MatchSettings,
    printer: &Printer,
) -> Result<ScoredPairs> {
    score_and_keep(
        profiles,
        records,
        candidates,
        settings,
        printer,
        Keep::Linkable,
    )
}

/// Scores every candidate pair and keeps them all, linkable or not, for
/// `plan --pairs` (the threshold still decides `pairs_above_threshold`
/// and the links clustering makes).
pub fn score_all_pairs(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    candidates: &Candidates,
    settings: &MatchSettings,
    printer: &Printer,
) -> Result<ScoredPairs> {
    score_and_keep(profiles, records, candidates, settings, printer, Keep::All)
}

/// Which scored pairs `score_and_keep` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Linkable,
    All,
}

fn score_and_keep(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    candidates: &Candidates,
    settings: &MatchSettings,
    printer: &Printer,
    keep: Keep,
) -> Result<ScoredPairs> {
    let comparisons = comparison::comparisons(settings);
    if comparisons.len() > MAX_COMPARISONS {
        bail!(
            "{} comparisons configured; at most {MAX_COMPARISONS} fit (reduce [[matching.extra]])",
            comparisons.len()
        );
    }
    let context = comparison::context(profiles, records, settings);
    let bar = printer.bar("score", candidates.pairs.len() as u64 * 2);

    // Written in place into a buffer of the final size: collecting chunk
    // results would hold every level twice at the end.
    let mut levels = vec![[0u8; MAX_COMPARISONS]; candidates.pairs.len()];
    candidates
        .pairs
        .par_chunks(PAIRS_PER_TASK)
        .zip(levels.par_chunks_mut(PAIRS_PER_TASK))
        .for_each(|(chunk, chunk_levels)| {
            for (index, (pair, pair_levels)) in chunk.iter().zip(chunk_levels).enumerate() {
                prefetch::ahead(records, index, |ahead| {
                    chunk.get(ahead).map(|pair| (pair.left, pair.right))
                });
                *pair_levels = model::levels_of(
                    &comparisons,
                    &context,
                    pair.left as usize,
                    pair.right as usize,
                );
            }
            bar.inc(chunk.len() as u64);
        });

    let (u, random_counts) = model::estimate_u(
        &comparisons,
        &context,
        settings.u_sample_pairs,
        settings.seed,
        settings.minimum_u,
    );

    let (namesake_u, namesake_pairs) = model::estimate_u_among_namesakes(
        &comparisons,
        &context,
        settings.u_sample_pairs,
        settings.seed,
        settings.minimum_u,
        &u,
    );

    let pattern_counts = model::count_patterns(
        candidates
            .pairs
            .par_iter()
            .zip(levels.par_iter())
            .map(|(pair, levels)| (pair.rules, model::pack_levels(levels))),
    );

    let start_m = model::initial_m(&comparisons);
    // Sessions are independent: one per rule, in parallel (EM is the
    // model's only serial work), collected in rule order.
    let session_results: Vec<_> = candidates
        .rules
        .par_iter()
        .enumerate()
        .map(|(rule_index, rule)| {
            let bit = 1u32 << rule_index;
            let mut session_patterns: FxHashMap<model::Pattern, u64> = FxHashMap::default();
            for &((mask, pattern), count) in &pattern_counts {
                if mask & bit != 0 {
                    *session_patterns.entry(pattern).or_default() += count;
                }
            }
            let mut session_patterns: Vec<_> = session_patterns.into_iter().collect();
            session_patterns.sort_unstable();
            let fixed_fields = rule_fields(rule.kind);
            let fixed: Vec<bool> = comparisons
                .iter()
                .map(|c| fixed_fields.contains(&c.field))
                .collect();
            let active: Vec<bool> = comparisons
                .iter()
                .zip(&fixed)
                .map(|(c, fixed)| c.estimated_by_em && !fixed)
                .collect();
            let pairs: u64 = session_patterns.iter().map(|(_, count)| count).sum();
            let mut summary = EmSessionSummary {
                rule: rule.name.clone(),
                pairs,
                fixed: comparisons
                    .iter()
                    .zip(&fixed)
                    .filter(|(_, fixed)| **fixed)
                    .map(|(c, _)| c.name.clone())
                    .collect(),
                match_share: 0.0,
            };
            let estimate = (pairs >= MINIMUM_SESSION_PAIRS).then(|| {
                model::em_session(
                    &comparisons,
                    &session_patterns,
                    &active,
                    &start_m,
                    &u,
                    &namesake_u,
                    settings.conflict_weight,
                    settings.em_iterations,
                    0.3,
                )
            });
            if let Some(estimate) = &estimate {
                summary.match_share = estimate.match_share;
            }
            (estimate, fixed, summary)
        })
        .collect();
    let mut sessions: Vec<Option<model::SessionEstimate>> = Vec::new();
    let mut fixed_by_rule: Vec<Vec<bool>> = Vec::new();
    let mut session_summaries = Vec::new();
    for (estimate, fixed, summary) in session_results {
        sessions.push(estimate);
        fixed_by_rule.push(fixed);
        session_summaries.push(summary);
    }
    let m = model::combine_sessions(&comparisons, sessions.iter().flatten());
    let weights = model::Weights::new(&comparisons, &m, &u, &namesake_u, settings.conflict_weight);

    let expected_matches = model::expected_matches(
        &comparisons,
        &pattern_counts,
        &sessions,
        &fixed_by_rule,
        &weights,
    );
    let candidate_match_share = expected_matches / candidates.pairs.len().max(1) as f64;
    let all_pairs = records.len() as f64 * (records.len() as f64 - 1.0) / 2.0;
    let prior_match_probability = if all_pairs > 0.0 && expected_matches > 0.0 {
        (expected_matches / all_pairs).clamp(1e-15, 0.5)
    } else {
        // Nothing to estimate from: one match per profile, a cautious guess.
        (records.len() as f64 / all_pairs.max(1.0)).clamp(1e-15, 0.5)
    };
    let prior_weight = weight_of_probability(prior_match_probability);

    let comparison_summaries = summarise_comparisons(
        &comparisons,
        &m,
        (&u, &namesake_u),
        &weights,
        &levels,
        &random_counts,
    );
    let frequencies = TermFrequencies::from_records(records);
    let term_frequency_slots = term_frequency_slots(&comparisons);
    let term_frequency = settings.term_frequency;
    // Only the pairs at or above the threshold are kept: clustering links
    // no other, and at ten million profiles the hundred million candidate
    // pairs would hold 5 GB as scored pairs. Every pair is counted in the
    // histogram as it goes by, and each chunk's kept pairs are few.
    let threshold_weight = weight_of_probability(settings.threshold);
    let kept_weight = weight_of_probability(settings.lowest_kept_probability());
    let weigh = |pair: &CandidatePair, levels: &[u8; MAX_COMPARISONS]| {
        let mut term_frequency_weights = [0f32; TERM_FREQUENCY_SLOTS];
        let mut weight = prior_weight;
        let names_agree = weights.names_agree(|c| levels[c]);
        for (index, comparison) in comparisons.iter().enumerate() {
            let level = levels[index];
            let mut field_weight = weights.of(index, level, names_agree);
            if let Some(slot) = term_frequency_slots[index]
                && comparison.term_frequency_level == Some(level)
            {
                if term_frequency {
                    // m / (share of profiles with this value):
                    // agreeing on a rare value is strong evidence.
                    // Among namesakes the level's own correction (a
                    // shared patronymic is commoner between people of
                    // one full name) still applies on top.
                    let frequency = frequencies
                        .of(comparison.field, pair.left as usize)
                        .max(settings.minimum_u);
                    let namesake_correction = field_weight - weights.of(index, level, false);
                    field_weight =
                        (m[index][level as usize] / frequency).log2() + namesake_correction;
                }
                term_frequency_weights[slot] = field_weight as f32;
            }
            weight += field_weight;
        }
        ScoredPair {
            left: pair.left,
            right: pair.right,
            rules: pair.rules,
            levels: *levels,
            term_frequency_weights,
            weight,
        }
    };
    let chunks: Vec<(Vec<ScoredPair>, WeightHistogram)> = candidates
        .pairs
        .par_chunks(PAIRS_PER_TASK)
        .zip(levels.par_chunks(PAIRS_PER_TASK))
        .map(|(chunk, chunk_levels)| {
            let mut kept = Vec::new();
            let mut histogram = WeightHistogram::default();
            for (pair, levels) in chunk.iter().zip(chunk_levels) {
                let scored = weigh(pair, levels);
                histogram.add(scored.weight);
                if keep == Keep::All || scored.weight >= kept_weight {
                    kept.push(scored);
                }
            }
            bar.inc(chunk.len() as u64);
            (kept, histogram)
        })
        .collect();
    drop(levels);
    bar.finish_and_clear();

    let mut pairs = Vec::with_capacity(chunks.iter().map(|(kept, _)| kept.len()).sum());
    let mut weight_histogram = WeightHistogram::default();
    for (kept, chunk_histogram) in chunks {
        pairs.extend(kept);
        weight_histogram.merge(&chunk_histogram);
    }
    let pairs_above_threshold = pairs
        .iter()
        .filter(|pair| pair.weight >= threshold_weight)
        .count() as u64;
    let histogram = weight_histogram.bins();
    let model = ModelSummary {
        comparisons: comparison_summaries,
        prior_match_probability,
        prior_weight,
        candidate_match_share,
        expected_matches,
        candidate_pairs: candidates.pairs.len() as u64,
        threshold_weight,
        pairs_above_threshold,
        u_sample_pairs: settings.u_sample_pairs,
        namesake_pairs,
        u_seed: settings.seed,
        em_iterations: settings.em_iterations,
        em_sessions: session_summaries,
        term_frequency,
    };
    Ok(ScoredPairs {
        pairs,
        comparisons,
        weights,
        term_frequency_slots,
        rule_names: candidates
            .rules
            .iter()
            .map(|rule| rule.name.clone())
            .collect(),
        model,
        histogram,
    })
}

/// Each comparison's slot in `ScoredPair::term_frequency_weights`, in
/// comparison order.
fn term_frequency_slots(comparisons: &[Comparison]) -> Vec<Option<usize>> {
    let mut next = 0;
    comparisons
        .iter()
        .map(|comparison| {
            comparison.term_frequency_level.map(|_| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

fn summarise_comparisons(
    comparisons: &[Comparison],
    m: &LevelTable,
    (u, namesake_u): (&LevelTable, &LevelTable),
    weights: &model::Weights,
    levels: &[[u8; MAX_COMPARISONS]],
    random_counts: &[Vec<u64>],
) -> Vec<ComparisonSummary> {
    let mut candidate_counts: Vec<Vec<u64>> = comparisons
        .iter()
        .map(|c| vec![0; c.levels.len()])
        .collect();
    for pair_levels in levels {
        for (index, counts) in candidate_counts.iter_mut().enumerate() {
            counts[pair_levels[index] as usize] += 1;
        }
    }
    let unless_neutral = |role: LevelRole, value: f64| {
        if role == LevelRole::Neutral {
            0.0
        } else {
            value
        }
    };
    comparisons
        .iter()
        .enumerate()
        .map(|(c, comparison)| ComparisonSummary {
            comparison: comparison.name.clone(),
            levels: comparison
                .levels
                .iter()
                .enumerate()
                .map(|(l, level)| LevelSummary {
                    level: level.name.to_string(),
                    role: level.role,
                    m: unless_neutral(level.role, m[c][l]),
                    u: unless_neutral(level.role, u[c][l]),
                    weight: weights.general[c][l],
                    u_among_namesakes: unless_neutral(level.role, namesake_u[c][l]),
                    weight_among_namesakes: weights.same_name[c][l],
                    candidate_pairs: candidate_counts[c][l],
                    random_pairs: random_counts[c][l],
                })
                .collect(),
        })
        .collect()
}

/// The chance that a profile other than the one looked up holds a value
/// that `count` of `total` profiles hold: `(count - 1) / total`, the
/// record itself left out (its own value says nothing about how common the
/// value is among other people; counting it would halve the evidence of a
/// value two profiles share and no one else does). At least `1 / total`,
/// so that a value seen once under one sex and again under another still
/// weighs as rare, not infinitely strong.
fn share_among_others(count: f64, total: f64) -> f64 {
    if total <= 0.0 {
        return 1.0;
    }
    (count - 1.0).max(1.0) / total
}

/// How common each first name, surname and birth date is among the
/// profiles that have one: the share of them holding the value, looked up
/// once per profile (not once per pair: a pair scores in nanoseconds, a
/// string hash lookup costs more than that). Names are counted per sex: a
/// pair weighed on its names does not conflict in sex (see
/// `model::estimate_u`), so the chance that another profile agrees on
/// Александр is its share among men, about twice its share among all.
struct TermFrequencies {
    /// Per record: the shares of its first name, surname, patronymic and
    /// birth date; 1 where it has none.
    shares: Vec<[f64; 4]>,
}

/// Shares of names among all profiles, among men and among women.
struct ValueShares<'a> {
    all: FxHashMap<&'a str, f64>,
    male: FxHashMap<&'a str, f64>,
    female: FxHashMap<&'a str, f64>,
}

impl<'a> ValueShares<'a> {
    /// One pass over the records, counting every value overall and under
    /// its profile's sex.
    fn of(
        records: &'a [NormalizedRecord],
        value: impl Fn(&'a NormalizedRecord) -> Option<&'a str>,
    ) -> ValueShares<'a> {
        let mut counts: [FxHashMap<&'a str, f64>; 3] = Default::default();
        let mut totals = [0.0f64; 3];
        for record in records {
            let Some(value) = value(record) else {
                continue;
            };
            let mut count = |slot: usize| {
                *counts[slot].entry(value).or_default() += 1.0;
                totals[slot] += 1.0;
            };
            count(0);
            match record.sex {
                Some(Sex::Male) => count(1),
                Some(Sex::Female) => count(2),
                _ => {}
            }
        }
        for (slot_counts, total) in counts.iter_mut().zip(totals) {
            for count in slot_counts.values_mut() {
                *count = share_among_others(*count, total);
            }
        }
        let [all, male, female] = counts;
        ValueShares { all, male, female }
    }

    /// The value's share among profiles of `sex`, or among all when the
    /// sex is unknown (or the value unseen among that sex).
    fn get(&self, value: &str, sex: Option<Sex>) -> Option<f64> {
        let among_sex = match sex {
            Some(Sex::Male) => self.male.get(value),
            Some(Sex::Female) => self.female.get(value),
            _ => None,
        };
        among_sex.or_else(|| self.all.get(value)).copied()
    }
}

impl TermFrequencies {
    fn from_records(records: &[NormalizedRecord]) -> TermFrequencies {
        let ((first_names, (last_names, patronymics)), birth_dates) = rayon::join(
            || {
                rayon::join(
                    || ValueShares::of(records, |r| r.name.first.as_deref()),
                    || {
                        rayon::join(
                            || ValueShares::of(records, |r| r.name.last.as_deref()),
                            || ValueShares::of(records, |r| r.name.middle.as_deref()),
                        )
                    },
                )
            },
            || {
                let mut counts: FxHashMap<chrono::NaiveDate, f64> = FxHashMap::default();
                let mut total = 0.0;
                for date in records.iter().filter_map(|r| r.birth_date) {
                    *counts.entry(date).or_default() += 1.0;
                    total += 1.0;
                }
                for count in counts.values_mut() {
                    *count = share_among_others(*count, total);
                }
                counts
            },
        );
        let shares = records
            .par_iter()
            .map(|record| {
                [
                    record
                        .name
                        .first
                        .as_deref()
                        .and_then(|v| first_names.get(v, record.sex)),
                    record
                        .name
                        .last
                        .as_deref()
                        .and_then(|v| last_names.get(v, record.sex)),
                    record
                        .name
                        .middle
                        .as_deref()
                        .and_then(|v| patronymics.get(v, record.sex)),
                    record.birth_date.and_then(|v| birth_dates.get(&v).copied()),
                ]
                .map(|share| share.unwrap_or(1.0))
            })
            .collect();
        TermFrequencies { shares }
    }

    /// The share of record `row`'s value of `field`; 1 when unknown, so an
    /// unexpected lookup can only weaken evidence.
    fn of(&self, field: Field, row: usize) -> f64 {
        let slot = match field {
            Field::FirstName => 0,
            Field::LastName => 1,
            Field::Patronymic => 2,
            Field::BirthDate => 3,
            _ => return 1.0,
        };
        self.shares.get(row).map_or(1.0, |shares| shares[slot])
    }
}

/// Scored pairs by weight in one-bit bins, for the report's chart around
/// the threshold.
pub fn weight_histogram(scored: &ScoredPairs) -> Vec<HistogramBin> {
    scored.histogram.clone()
}

/// Weights in one-bit bins, from the lowest to the highest seen (clamped
/// to ±40 bits: the end bins hold everything beyond).
pub fn histogram_of_weights(weights: impl Iterator<Item = f64>) -> Vec<HistogramBin> {
    let mut histogram = WeightHistogram::default();
    weights.for_each(|weight| histogram.add(weight));
    histogram.bins()
}

/// Bits either side of zero that the histogram tells apart.
const HISTOGRAM_LIMIT: i32 = 40;

/// Counts of weights per one-bit bin over the whole clamped range, filled
/// as pairs are scored (no pass over them afterwards: they are not kept)
/// and added up across threads.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightHistogram {
    /// Bin `i` counts weights in `[i - 40, i - 39)`.
    counts: [u64; 2 * HISTOGRAM_LIMIT as usize],
}

impl Default for WeightHistogram {
    fn default() -> WeightHistogram {
        WeightHistogram {
            counts: [0; 2 * HISTOGRAM_LIMIT as usize],
        }
    }
}

impl WeightHistogram {
    pub fn add(&mut self, weight: f64) {
        let limit = f64::from(HISTOGRAM_LIMIT);
        let lower = weight.clamp(-limit, limit - 1e-9).floor();
        // A NaN weight (none is expected) lands in the lowest bin.
        let index = (lower + limit).max(0.0) as usize;
        self.counts[index.min(self.counts.len() - 1)] += 1;
    }

    pub fn merge(&mut self, other: &WeightHistogram) {
        for (count, other) in self.counts.iter_mut().zip(other.counts) {
            *count += other;
        }
    }

    /// The bins from the lowest to the highest holding a weight, empty
    /// ones between included; none when no weight was added.
    pub fn bins(&self) -> Vec<HistogramBin> {
        let Some(first) = self.counts.iter().position(|&count| count > 0) else {
            return Vec::new();
        };
        let last = self
            .counts
            .iter()
            .rposition(|&count| count > 0)
            .unwrap_or(first);
        (first..=last)
            .map(|index| {
                let lower = f64::from(index as i32 - HISTOGRAM_LIMIT);
                HistogramBin {
                    lower,
                    upper: lower + 1.0,
                    count: self.counts[index],
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_and_probability_are_inverse() {
        for probability in [0.01, 0.5, 0.9, 0.999] {
            let weight = weight_of_probability(probability);
            assert!((probability_of_weight(weight) - probability).abs() < 1e-12);
        }
        assert!((weight_of_probability(0.5)).abs() < 1e-12);
    }

    #[test]
    fn value_shares_leave_the_record_itself_out() {
        // Two profiles of 1000 share a value: each sees one other.
        assert_eq!(share_among_others(2.0, 1000.0), 0.001);
        // A value seen once still counts as one in the total, never zero.
        assert_eq!(share_among_others(1.0, 1000.0), 0.001);
        assert_eq!(share_among_others(101.0, 1000.0), 0.1);
        assert_eq!(share_among_others(3.0, 0.0), 1.0);
    }

    #[test]
    fn term_frequencies_of_a_shared_rare_name_count_only_the_other_profile() {
        let profiles: Vec<Profile> = ["Всеволод", "Всеволод", "Иван", "Иван", "Иван"]
            .iter()
            .enumerate()
            .map(|(row, &first)| Profile {
                first_name: Some(first.into()),
                middle_name: Some(
                    if row < 2 {
                        "Всеволодович"
                    } else {
                        "Иванович"
                    }
                    .into(),
                ),
                sex: Some("1".into()),
                ..Profile::default()
            })
            .collect();
        let (records, _) =
            crate::normalize::normalize_profiles(&profiles, &crate::printer::Printer::silent());
        let frequencies = TermFrequencies::from_records(&records);
        assert_eq!(frequencies.of(Field::FirstName, 0), 1.0 / 5.0);
        assert_eq!(frequencies.of(Field::FirstName, 2), 2.0 / 5.0);
        // No birth date: no evidence to scale.
        assert_eq!(frequencies.of(Field::BirthDate, 0), 1.0);
        assert_eq!(frequencies.of(Field::Patronymic, 0), 1.0 / 5.0);
        assert_eq!(frequencies.of(Field::Patronymic, 4), 2.0 / 5.0);
    }

    #[test]
    fn histogram_counts_every_pair_once() {
        let bins = histogram_of_weights([-3.5, -3.2, 0.0, 2.9, 100.0].into_iter());
        assert_eq!(bins.first().unwrap().lower, -4.0);
        assert_eq!(bins.last().unwrap().upper, 40.0);
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 5);
        assert_eq!(bins[0].count, 2);
        assert!(histogram_of_weights(std::iter::empty()).is_empty());
    }

    #[test]
    fn histograms_filled_in_parts_add_up_to_the_whole() {
        let weights = [-55.0, -3.5, -0.25, 0.0, 7.9, 12.0, 39.5, 41.0];
        let mut left = WeightHistogram::default();
        let mut right = WeightHistogram::default();
        weights[..3].iter().for_each(|&w| left.add(w));
        weights[3..].iter().for_each(|&w| right.add(w));
        left.merge(&right);
        let bins = left.bins();
        assert_eq!(bins, histogram_of_weights(weights.into_iter()));
        assert_eq!(bins.first().unwrap().lower, -40.0);
        assert_eq!(bins.last().unwrap().upper, 40.0);
        assert_eq!(bins.len(), 80);
        assert_eq!(bins[0].count, 1);
        assert_eq!(bins[79].count, 2);
        let zero_bin = bins.iter().find(|b| b.lower == 0.0).unwrap();
        assert_eq!(zero_bin.count, 1);
        let minus_one = bins.iter().find(|b| b.lower == -1.0).unwrap();
        assert_eq!(minus_one.count, 1);
    }
}
