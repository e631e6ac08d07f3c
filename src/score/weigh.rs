//! Weights: the match weight of each candidate pair from the fitted model,
//! its levels and how common the values it agrees on are (term frequencies,
//! login frequencies), with the birth date's verdict on pairs that lack one
//! (`verifier`). The last of the three scoring stages: levels → model →
//! weights.

use rayon::prelude::*;

use crate::block::{CandidatePair, Candidates};
use crate::normalize::NormalizedRecord;
use crate::settings::matching::MatchSettings;

use super::comparison::{Comparison, Field, MAX_COMPARISONS};
use super::frequency::TermFrequencies;
use super::model::{self, Fitted, LevelTable};
use super::saved::SavedModel;
use super::verifier::{self, BirthDateVerifier};
use super::{PAIRS_PER_TASK, ScoredPair, TERM_FREQUENCY_SLOTS, weight_of_probability};

/// Everything a pair's weight needs, gathered once before the pairs are
/// weighed in parallel.
pub(super) struct Weigher<'a> {
    comparisons: &'a [Comparison],
    m: &'a LevelTable,
    weights: &'a model::Weights,
    prior_weight: f64,
    frequencies: TermFrequencies,
    typical_login_others: [f64; 16],
    term_frequency_slots: Vec<Option<usize>>,
    term_frequency: bool,
    verifier: Option<BirthDateVerifier>,
    birth_date_slot: Option<usize>,
}

impl<'a> Weigher<'a> {
    pub(super) fn new(
        comparisons: &'a [Comparison],
        fitted: &'a Fitted,
        records: &[NormalizedRecord],
        candidates: &Candidates,
        levels: &[[u8; MAX_COMPARISONS]],
        settings: &MatchSettings,
        saved: Option<&SavedModel>,
    ) -> Weigher<'a> {
        let frequencies =
            TermFrequencies::from_records(records, saved.map(|model| &model.frequencies));
        let term_frequency_slots = term_frequency_slots(comparisons);
        let mut weigher = Weigher {
            comparisons,
            m: &fitted.m,
            weights: &fitted.weights,
            prior_weight: weight_of_probability(fitted.prior_match_probability),
            typical_login_others: match saved {
                Some(model) => model.typical_login_others,
                None => typical_login_others(comparisons, &candidates.pairs, levels, &frequencies),
            },
            frequencies,
            birth_date_slot: comparisons
                .iter()
                .position(|c| c.field == Field::BirthDate)
                .and_then(|index| term_frequency_slots[index]),
            term_frequency_slots,
            term_frequency: settings.term_frequency,
            verifier: None,
        };
        if let Some(model) = saved {
            weigher.verifier = model
                .verifier
                .as_ref()
                .and_then(|verifier| BirthDateVerifier::from_saved(comparisons, verifier));
            return weigher;
        }
        // The birth date's verdict on undated pairs is set against their
        // weights, so those are gathered first.
        weigher.verifier = BirthDateVerifier::fit(
            comparisons,
            &candidates.rules,
            &fitted.pattern_counts,
            (&fitted.m, &fitted.u.general),
        )
        .map(|verifier| {
            let undated = weigher.undated_weights(&verifier, candidates, levels);
            verifier.calibrated(&undated)
        });
        weigher
    }

    /// The model as kept in a file, this weigher's part of it added to
    /// `fitted`.
    pub(super) fn saved_model(&self, fitted: &Fitted) -> SavedModel {
        SavedModel {
            format: super::saved::FORMAT,
            comparisons: super::saved::shape_of(self.comparisons),
            m: fitted.m.clone(),
            u: fitted.u.clone(),
            counted: fitted.counted.clone(),
            matches_at_counted: fitted.matches_at_counted.clone(),
            anchor_log_odds: fitted.anchor_log_odds.clone(),
            expected_matches: fitted.expected_matches,
            matches_in_base: fitted.matches_in_base,
            prior_match_probability: fitted.prior_match_probability,
            random_counts: fitted.random_counts.clone(),
            namesake_pairs: fitted.namesake_pairs,
            sessions: fitted.sessions.clone(),
            typical_login_others: self.typical_login_others,
            verifier: self.verifier.as_ref().map(BirthDateVerifier::saved),
            frequencies: self.frequencies.counts.clone(),
        }
    }

    /// The comparisons' slots in `ScoredPair::term_frequency_weights` and
    /// the verifier, which `ScoredPairs` keeps to explain pairs.
    pub(super) fn into_parts(self) -> (Vec<Option<usize>>, Option<BirthDateVerifier>) {
        (self.term_frequency_slots, self.verifier)
    }

    /// The pair, weighed.
    pub(super) fn weigh(&self, pair: &CandidatePair, levels: &[u8; MAX_COMPARISONS]) -> ScoredPair {
        let mut scored = self.weigh_by_fields(pair, levels);
        if let (Some(verifier), Some(slot)) = (&self.verifier, self.birth_date_slot)
            && verifier.lacks_birth_date(levels)
        {
            let correction = verifier.correction(levels);
            scored.weight += correction;
            scored.term_frequency_weights[slot] = correction as f32;
        }
        scored
    }

    /// The prior and each field's weight, before the birth date's verdict.
    fn weigh_by_fields(&self, pair: &CandidatePair, levels: &[u8; MAX_COMPARISONS]) -> ScoredPair {
        let weights = self.weights;
        let mut term_frequency_weights = [0f32; TERM_FREQUENCY_SLOTS];
        let mut weight = self.prior_weight;
        let context = weights.context(|c| levels[c]);
        for (index, comparison) in self.comparisons.iter().enumerate() {
            let level = levels[index];
            let mut field_weight = weights.of(index, level, context);
            if let Some(slot) = self.term_frequency_slots[index]
                && comparison.term_frequency_levels.contains(&level)
            {
                if self.term_frequency && comparison.field == Field::Email {
                    // One login on two domains: the level's u is that of
                    // the typical login there; a login held by fewer
                    // other profiles is that much rarer a coincidence.
                    let others = self.frequencies.login_others(pair.left as usize);
                    field_weight += (self.typical_login_others[level as usize] / others).log2();
                } else if self.term_frequency {
                    // m / (share of profiles with this value):
                    // agreeing on a rare value is strong evidence. The
                    // context's own correction (a shared patronymic is
                    // commoner between people of one full name, a shared
                    // surname between holders of neighbouring numbers)
                    // still applies on top.
                    let frequency = self.frequencies.of(comparison.field, pair.left as usize);
                    let context_correction =
                        field_weight - weights.of(index, level, model::Context::General);
                    field_weight =
                        (self.m[index][level as usize] / frequency).log2() + context_correction;
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
    }

    /// The weights of the candidates without a birth date, per
    /// combination of their other levels (`BirthDateVerifier::calibrated`).
    fn undated_weights(
        &self,
        verifier: &BirthDateVerifier,
        candidates: &Candidates,
        levels: &[[u8; MAX_COMPARISONS]],
    ) -> verifier::UndatedWeights {
        candidates
            .pairs
            .par_chunks(PAIRS_PER_TASK)
            .zip(levels.par_chunks(PAIRS_PER_TASK))
            .fold(
                verifier::UndatedWeights::default,
                |mut undated, (chunk, chunk_levels)| {
                    for (pair, levels) in chunk.iter().zip(chunk_levels) {
                        if verifier.corrects(levels) {
                            let weight = self.weigh_by_fields(pair, levels).weight;
                            verifier.count_undated(&mut undated, levels, weight);
                        }
                    }
                    undated
                },
            )
            .reduce(verifier::UndatedWeights::default, |mut left, right| {
                for (key, bins) in right {
                    let counts = left.entry(key).or_insert_with(|| vec![0; bins.len()]);
                    counts
                        .iter_mut()
                        .zip(bins)
                        .for_each(|(count, n)| *count += n);
                }
                left
            })
    }
}

/// Per level of the e-mail comparison scaled by login frequency, how many
/// other profiles the typical login of its candidate pairs is held by: the
/// harmonic mean, the one under which the level's u is the average of the
/// pairs' own (two people share a login about as often as it is common).
fn typical_login_others(
    comparisons: &[Comparison],
    pairs: &[CandidatePair],
    levels: &[[u8; MAX_COMPARISONS]],
    frequencies: &TermFrequencies,
) -> [f64; 16] {
    let mut typical = [1.0; 16];
    let Some(email) = comparisons.iter().position(|c| c.field == Field::Email) else {
        return typical;
    };
    let scaled = comparisons[email].term_frequency_levels;
    // Floating-point sums depend on their order: each fixed chunk is summed
    // in order and the chunks' sums are added in order, so that the weights
    // (and model.json) are the same whatever the threads did.
    let partial: Vec<([u64; 16], [f64; 16])> = pairs
        .par_chunks(PAIRS_PER_TASK)
        .zip(levels.par_chunks(PAIRS_PER_TASK))
        .map(|(chunk, chunk_levels)| {
            let mut counts = [0u64; 16];
            let mut sums = [0f64; 16];
            for (pair, levels) in chunk.iter().zip(chunk_levels) {
                if scaled.contains(&levels[email]) {
                    let level = levels[email] as usize;
                    counts[level] += 1;
                    sums[level] += 1.0 / frequencies.login_others(pair.left as usize);
                }
            }
            (counts, sums)
        })
        .collect();
    let mut pairs_at = [0u64; 16];
    let mut inverse_sums = [0f64; 16];
    for (counts, sums) in &partial {
        for level in 0..16 {
            pairs_at[level] += counts[level];
            inverse_sums[level] += sums[level];
        }
    }
    for level in 0..16 {
        if pairs_at[level] > 0 {
            typical[level] = pairs_at[level] as f64 / inverse_sums[level];
        }
    }
    typical
}

/// Each comparison's slot in `ScoredPair::term_frequency_weights`, in
/// comparison order.
fn term_frequency_slots(comparisons: &[Comparison]) -> Vec<Option<usize>> {
    let mut next = 0;
    comparisons
        .iter()
        .map(|comparison| {
            (!comparison.term_frequency_levels.is_empty()).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}
