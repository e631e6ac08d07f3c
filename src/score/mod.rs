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
mod frequency;
pub mod model;
pub mod saved;
mod verifier;
mod weigh;

use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::block::Candidates;
use crate::normalize::{NormalizedRecord, prefetch};
use crate::plan::{FieldEvidence, HistogramBin, PairEvidence};
use crate::printer::Printer;
use crate::profile::Profile;
use crate::settings::matching::MatchSettings;

use comparison::{Comparison, LevelRole, MAX_COMPARISONS};
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
    /// The weights of the comparisons weighed per pair, as weighed for
    /// this pair: those scaled by term frequency (first name, surname,
    /// patronymic, birth date, e-mail) at their scaled levels, and a missing
    /// birth date (`verifier`); the other comparisons' weights are their
    /// level's (`ScoredPairs::field_weight`).
    pub term_frequency_weights: [f32; TERM_FREQUENCY_SLOTS],
    /// Prior log-odds plus the field weights.
    pub weight: f64,
}

/// Candidate pairs per parallel task (and per progress-bar step).
const PAIRS_PER_TASK: usize = 16384;

/// Comparisons with levels scaled by term frequency (first name, surname,
/// patronymic, birth date, e-mail).
pub const TERM_FREQUENCY_SLOTS: usize = 5;

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
    pub(crate) verifier: Option<verifier::BirthDateVerifier>,
    pub model: ModelSummary,
    /// The model as kept in `DIR/model.json`.
    pub saved_model: saved::SavedModel,
    /// Every scored pair by weight, for the report's chart.
    pub histogram: Vec<HistogramBin>,
}

impl ScoredPairs {
    /// The weight comparison `index` contributed to `pair`.
    pub fn field_weight(&self, pair: &ScoredPair, index: usize) -> f64 {
        let level = pair.levels[index];
        match self.term_frequency_slots[index] {
            Some(slot) if self.weighed_per_pair(index, level) => {
                pair.term_frequency_weights[slot] as f64
            }
            _ => {
                let context = self.weights.context(|c| pair.levels[c]);
                self.weights.of(index, level, context)
            }
        }
    }

    /// Scored pairs with no model behind them: for tests of the stages
    /// after scoring, which read only the pairs and their weights.
    #[cfg(test)]
    pub(crate) fn of_links(pairs: Vec<ScoredPair>) -> ScoredPairs {
        ScoredPairs {
            pairs,
            comparisons: Vec::new(),
            weights: model::Weights::new(
                &[],
                &Vec::new(),
                &model::UTables {
                    general: Vec::new(),
                    same_name: Vec::new(),
                    anchored: Vec::new(),
                    anchored_surname_given_first: Vec::new(),
                },
                &[],
                -4.0,
            ),
            verifier: None,
            term_frequency_slots: Vec::new(),
            rule_names: Vec::new(),
            model: ModelSummary::default(),
            saved_model: saved::SavedModel::default(),
            histogram: Vec::new(),
        }
    }

    /// Whether comparison `index` at `level` is weighed per pair (its
    /// weight is in `ScoredPair::term_frequency_weights`).
    fn weighed_per_pair(&self, index: usize, level: u8) -> bool {
        self.comparisons[index]
            .term_frequency_levels
            .contains(&level)
            || self
                .verifier
                .as_ref()
                .is_some_and(|verifier| verifier.weighs(index, level))
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
    /// Matches estimated in the whole base, candidates or not (the prior's
    /// numerator).
    #[serde(default)]
    pub matches_in_base: f64,
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
    /// The levels whose u is counted over the whole base, and how the
    /// other comparisons weigh among the pairs at each.
    #[serde(default)]
    pub counted_levels: Vec<CountedLevelSummary>,
}

/// A counted level (`comparison::Level::counted_by`): its candidates, the
/// matches expected among them, and the weight of each other comparison's
/// levels among the pairs there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CountedLevelSummary {
    pub comparison: String,
    pub level: String,
    pub candidate_pairs: u64,
    pub expected_matches: f64,
    /// `comparison.level` → weight, for the other comparisons' evidence
    /// levels.
    pub weights_here: std::collections::BTreeMap<String, f64>,
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

/// How `score_pairs` scores.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScoreOptions<'a> {
    /// Keep every scored pair, linkable or not (for `plan --pairs`; the
    /// threshold still decides `pairs_above_threshold` and the links
    /// clustering makes); otherwise only those clustering or the review band
    /// can use.
    pub keep_all_pairs: bool,
    /// Weigh with an earlier plan's model instead of estimating one
    /// (`plan --previous`).
    pub model: Option<&'a saved::SavedModel>,
}

/// Scores every candidate pair and keeps those clustering or the review
/// band can use (or all of them: `ScoreOptions::keep_all_pairs`).
pub fn score_pairs(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    candidates: &Candidates,
    settings: &MatchSettings,
    options: ScoreOptions,
    printer: &Printer,
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

    let levels = compare_candidates(&comparisons, &context, candidates, &bar);
    let fitted = match options.model {
        Some(saved) => {
            saved.check_fits(&comparisons)?;
            model::Fitted::from_saved(
                &comparisons,
                saved,
                candidates,
                &levels,
                settings.conflict_weight,
            )
        }
        None => model::fit(&comparisons, &context, candidates, &levels, settings),
    };
    let weigher = weigh::Weigher::new(
        &comparisons,
        &fitted,
        records,
        candidates,
        &levels,
        settings,
        options.model,
    );

    // Only the pairs at or above the review band's lower end are kept:
    // clustering links no other, and at ten million profiles the hundred
    // million candidate pairs would hold 5 GB as scored pairs. Every pair is
    // counted in the histogram as it goes by, and each chunk's kept pairs
    // are few.
    let threshold_weight = weight_of_probability(settings.threshold);
    let kept_weight = weight_of_probability(settings.lowest_kept_probability());
    let chunks: Vec<(Vec<ScoredPair>, WeightHistogram)> = candidates
        .pairs
        .par_chunks(PAIRS_PER_TASK)
        .zip(levels.par_chunks(PAIRS_PER_TASK))
        .map(|(chunk, chunk_levels)| {
            let mut kept = Vec::new();
            let mut histogram = WeightHistogram::default();
            for (pair, levels) in chunk.iter().zip(chunk_levels) {
                let scored = weigher.weigh(pair, levels);
                histogram.add(scored.weight);
                if options.keep_all_pairs || scored.weight >= kept_weight {
                    kept.push(scored);
                }
            }
            bar.inc(chunk.len() as u64);
            (kept, histogram)
        })
        .collect();
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
    let prior_match_probability = fitted.prior_match_probability;
    let model = ModelSummary {
        comparisons: summarise_comparisons(
            &comparisons,
            &fitted.m,
            (&fitted.u.general, &fitted.u.same_name),
            &fitted.weights,
            &levels,
            &fitted.random_counts,
        ),
        prior_match_probability,
        prior_weight: weight_of_probability(prior_match_probability),
        candidate_match_share: fitted.expected_matches / candidates.pairs.len().max(1) as f64,
        expected_matches: fitted.expected_matches,
        matches_in_base: fitted.matches_in_base,
        candidate_pairs: candidates.pairs.len() as u64,
        threshold_weight,
        pairs_above_threshold,
        u_sample_pairs: settings.u_sample_pairs,
        namesake_pairs: fitted.namesake_pairs,
        u_seed: settings.seed,
        em_iterations: settings.em_iterations,
        em_sessions: fitted.sessions.clone(),
        term_frequency: settings.term_frequency,
        counted_levels: summarise_counted_levels(&comparisons, &fitted),
    };
    drop(levels);
    let saved_model = weigher.saved_model(&fitted);
    let (term_frequency_slots, verifier) = weigher.into_parts();
    Ok(ScoredPairs {
        pairs,
        comparisons,
        weights: fitted.weights,
        verifier,
        term_frequency_slots,
        rule_names: candidates
            .rules
            .iter()
            .map(|rule| rule.name.clone())
            .collect(),
        model,
        saved_model,
        histogram: weight_histogram.bins(),
    })
}

/// The level of every comparison for every candidate pair, written in
/// place into a buffer of the final size (collecting chunk results would
/// hold every level twice at the end).
fn compare_candidates(
    comparisons: &[Comparison],
    context: &comparison::CompareContext,
    candidates: &Candidates,
    bar: &indicatif::ProgressBar,
) -> Vec<[u8; MAX_COMPARISONS]> {
    let records = context.records;
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
                    comparisons,
                    context,
                    pair.left as usize,
                    pair.right as usize,
                );
            }
            bar.inc(chunk.len() as u64);
        });
    levels
}

fn summarise_counted_levels(
    comparisons: &[Comparison],
    fitted: &model::Fitted,
) -> Vec<CountedLevelSummary> {
    fitted
        .counted
        .iter()
        .zip(&fitted.matches_at_counted)
        .enumerate()
        .map(|(index, (counted, &matches))| {
            let mut weights_here = std::collections::BTreeMap::new();
            for (c, comparison) in comparisons.iter().enumerate() {
                if c == counted.comparison {
                    continue;
                }
                for (l, level) in comparison.levels.iter().enumerate() {
                    if level.role != LevelRole::Neutral {
                        weights_here.insert(
                            format!("{}.{}", comparison.name, level.name),
                            round_weight(fitted.weights.anchored[index][c][l]),
                        );
                    }
                }
            }
            CountedLevelSummary {
                comparison: comparisons[counted.comparison].name.clone(),
                level: comparisons[counted.comparison].levels[counted.level as usize]
                    .name
                    .to_string(),
                candidate_pairs: counted.candidates,
                expected_matches: matches,
                weights_here,
            }
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
