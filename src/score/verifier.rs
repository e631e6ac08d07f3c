//! The birth date as a verifier of pairs that lack one.
//!
//! A pair's fields are weighed as if they were independent. Where they are
//! not, the weights go wrong, and most where a family shares them: a father
//! and son on numbers one digit apart share both names and the number's
//! neighbourhood, and nothing in those fields tells them apart from one man
//! who made a typo. A birth date does: where both profiles have one, it
//! agrees for one person and is decades apart for a father and son. So for
//! each combination of the other fields' levels, the pairs that have birth
//! dates show how often that combination is one person; pairs with the same
//! combination and no birth date are one person about as often. Their
//! weight is moved from what the model says towards what the dated pairs
//! show, by as much as there are dated pairs to show it. Only dated pairs a
//! rule found without looking at the birth date count: those the birth date
//! found agree on it because they were found by it.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::block::{BlockingRule, RuleKind};

use super::comparison::{Comparison, Field, JUNK, LevelRole, MAX_COMPARISONS, MISSING, birth_date};
use super::model::{LevelTable, Pattern, pack_levels, pattern_level};

/// Dated pairs that count as much as the model's own estimate.
const MODEL_PAIRS: f64 = 20.0;

/// Per combination of the other fields' levels, the weight a pair without
/// a birth date gains or loses.
pub(crate) struct BirthDateVerifier {
    birth_date: usize,
    login_birth_year: Option<usize>,
    /// Per combination: the dated pairs a rule found without the date, and
    /// the share of them that are one person, as their birth dates show.
    observed: FxHashMap<Pattern, (f64, f64)>,
    corrections: FxHashMap<Pattern, f64>,
}

/// A verifier's findings as kept with the model: per combination of the
/// other fields' levels (a packed pattern), the dated pairs and the share
/// of them one person, and the correction of undated pairs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedVerifier {
    pub observed: Vec<(Pattern, (f64, f64))>,
    pub corrections: Vec<(Pattern, f64)>,
}

/// Weights of undated pairs, per combination, in bins of `BIN_BITS`
/// (`BirthDateVerifier::calibrated`).
pub(crate) type UndatedWeights = FxHashMap<Pattern, Vec<u32>>;

const BIN_BITS: f64 = 0.5;
const WEIGHT_LIMIT: f64 = 40.0;
const BINS: usize = (2.0 * WEIGHT_LIMIT / BIN_BITS) as usize;

impl BirthDateVerifier {
    /// From the candidates' pattern counts, m and the general u: what the
    /// dated pairs show. `calibrated` then sets the corrections.
    pub(crate) fn fit(
        comparisons: &[Comparison],
        rules: &[BlockingRule],
        pattern_counts: &[((u32, Pattern), u64)],
        (m, u): (&LevelTable, &LevelTable),
    ) -> Option<BirthDateVerifier> {
        let birth_date = comparisons
            .iter()
            .position(|c| c.field == Field::BirthDate)?;
        let login_birth_year = comparisons
            .iter()
            .position(|c| c.field == Field::LoginBirthYear);
        let compatible = |level: u8| {
            matches!(
                level,
                birth_date::EXACT | birth_date::DAY_MONTH_SWAPPED | birth_date::ONE_DIGIT
            )
        };
        let share = |table: &LevelTable| -> f64 {
            [
                birth_date::EXACT,
                birth_date::DAY_MONTH_SWAPPED,
                birth_date::ONE_DIGIT,
            ]
            .iter()
            .map(|&level| table[birth_date][level as usize])
            .sum()
        };
        // How often one person's, and two people's, birth dates agree.
        let (m_compatible, u_compatible) = (share(m), share(u));
        if m_compatible <= u_compatible {
            return None;
        }
        let verifier = BirthDateVerifier {
            birth_date,
            login_birth_year,
            observed: FxHashMap::default(),
            corrections: FxHashMap::default(),
        };
        let dated_level =
            |level: u8| comparisons[birth_date].levels[level as usize].role != LevelRole::Neutral;
        let found_without_the_date = rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| !keys_on_birth_date(rule.kind))
            .fold(0u32, |mask, (index, _)| mask | (1 << index));
        let mut dated: FxHashMap<Pattern, (f64, f64)> = FxHashMap::default();
        for &((mask, pattern), count) in pattern_counts {
            let level = pattern_level(pattern, birth_date);
            if !dated_level(level) || mask & found_without_the_date == 0 {
                continue;
            }
            let entry = dated.entry(verifier.key(pattern)).or_default();
            entry.0 += count as f64;
            if compatible(level) {
                entry.1 += count as f64;
            }
        }
        let observed = dated
            .into_iter()
            .map(|(key, (pairs, agreeing))| {
                let share = ((agreeing / pairs - u_compatible) / (m_compatible - u_compatible))
                    .clamp(0.0, 1.0);
                (key, (pairs, share))
            })
            .collect();
        Some(BirthDateVerifier {
            observed,
            ..verifier
        })
    }

    /// Whether a pair at `levels` lacks a birth date and its combination
    /// of the other levels was seen dated: the pairs a correction may move.
    pub(crate) fn corrects(&self, levels: &[u8; MAX_COMPARISONS]) -> bool {
        self.lacks_birth_date(levels) && self.observed.contains_key(&self.key(pack_levels(levels)))
    }

    /// The verifier's findings, to be kept with the model, in key order.
    pub(crate) fn saved(&self) -> SavedVerifier {
        let mut observed: Vec<_> = self.observed.iter().map(|(&k, &v)| (k, v)).collect();
        observed.sort_unstable_by_key(|&(key, _)| key);
        let mut corrections: Vec<_> = self.corrections.iter().map(|(&k, &v)| (k, v)).collect();
        corrections.sort_unstable_by_key(|&(key, _)| key);
        SavedVerifier {
            observed,
            corrections,
        }
    }

    /// A verifier with the findings of an earlier base's.
    pub(crate) fn from_saved(
        comparisons: &[Comparison],
        saved: &SavedVerifier,
    ) -> Option<BirthDateVerifier> {
        let position = |field| comparisons.iter().position(|c| c.field == field);
        Some(BirthDateVerifier {
            birth_date: position(Field::BirthDate)?,
            login_birth_year: position(Field::LoginBirthYear),
            observed: saved.observed.iter().copied().collect(),
            corrections: saved.corrections.iter().copied().collect(),
        })
    }

    /// Adds the weight (`pair_weight`, before any correction) of an
    /// undated pair at `levels` whose combination was seen dated
    /// (`corrects`) to `undated`.
    pub(crate) fn count_undated(
        &self,
        undated: &mut UndatedWeights,
        levels: &[u8; MAX_COMPARISONS],
        pair_weight: f64,
    ) {
        let key = self.key(pack_levels(levels));
        let bin = ((pair_weight.clamp(-WEIGHT_LIMIT, WEIGHT_LIMIT - 1e-9) + WEIGHT_LIMIT)
            / BIN_BITS) as usize;
        undated.entry(key).or_insert_with(|| vec![0; BINS])[bin.min(BINS - 1)] += 1;
    }

    /// Sets each combination's correction: the shift of the log-odds that
    /// makes its undated pairs' mean probability what its dated pairs show,
    /// blended with the model's own mean by `MODEL_PAIRS`.
    pub(crate) fn calibrated(mut self, undated: &UndatedWeights) -> BirthDateVerifier {
        let bin_weight = |bin: usize| (bin as f64 + 0.5) * BIN_BITS - WEIGHT_LIMIT;
        self.corrections = undated
            .iter()
            .filter_map(|(key, bins)| {
                let &(dated, observed) = self.observed.get(key)?;
                let pairs: f64 = bins.iter().map(|&n| f64::from(n)).sum();
                let mean_with = |shift: f64| {
                    bins.iter()
                        .enumerate()
                        .filter(|(_, n)| **n > 0)
                        .map(|(bin, &n)| f64::from(n) * posterior(bin_weight(bin) + shift))
                        .sum::<f64>()
                        / pairs
                };
                let model = mean_with(0.0);
                let target = (dated * observed + MODEL_PAIRS * model) / (dated + MODEL_PAIRS);
                let (mut low, mut high) = (-2.0 * WEIGHT_LIMIT, 2.0 * WEIGHT_LIMIT);
                for _ in 0..60 {
                    let middle = (low + high) / 2.0;
                    if mean_with(middle) < target {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                Some((*key, ((low + high) / 2.0).min(0.0)))
            })
            .collect();
        self
    }

    /// The weight an undated pair whose comparisons are at `levels` gains
    /// or loses.
    pub(crate) fn correction(&self, levels: &[u8; MAX_COMPARISONS]) -> f64 {
        let pattern = pack_levels(levels);
        self.corrections
            .get(&self.key(pattern))
            .copied()
            .unwrap_or(0.0)
    }

    /// Whether a pair at `levels` has no birth date to compare.
    pub(crate) fn lacks_birth_date(&self, levels: &[u8; MAX_COMPARISONS]) -> bool {
        self.weighs(self.birth_date, levels[self.birth_date])
    }

    /// Whether `correction` weighs the birth-date comparison at `level`.
    pub(crate) fn weighs(&self, comparison: usize, level: u8) -> bool {
        comparison == self.birth_date && (level == MISSING || level == JUNK)
    }

    /// `pattern` with the birth date, and the login year that stands in
    /// for a missing one, left out.
    fn key(&self, pattern: Pattern) -> Pattern {
        let mut key = pattern & !(0xf << (4 * self.birth_date));
        if let Some(login) = self.login_birth_year {
            key &= !(0xf << (4 * login));
        }
        key
    }
}

fn keys_on_birth_date(kind: RuleKind) -> bool {
    matches!(
        kind,
        RuleKind::NameBirthDate
            | RuleKind::BirthDateFirstName
            | RuleKind::BirthDateLastName
            | RuleKind::LoginNameBirthDate
    )
}

fn posterior(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::comparison::{self, first_name, last_name, phone};
    use crate::settings::matching::MatchSettings;

    #[test]
    fn undated_pairs_are_moved_down_to_what_their_dated_twins_show() {
        let settings = MatchSettings::default();
        let comparisons = comparison::comparisons(&settings);
        let rules = BlockingRule::from_settings(&settings).unwrap();
        let position = |field| comparisons.iter().position(|c| c.field == field).unwrap();
        let (phone_at, first_at, last_at, date_at) = (
            position(Field::Phone),
            position(Field::FirstName),
            position(Field::LastName),
            position(Field::BirthDate),
        );
        // Numbers in sequence and one full name: a hundred dated pairs a
        // phone rule found, half of them born decades apart.
        let mut levels = [MISSING; MAX_COMPARISONS];
        levels[phone_at] = phone::LAST_DIGIT;
        levels[first_at] = first_name::EXACT;
        levels[last_at] = last_name::EXACT;
        let with_date = |date_level: u8| {
            let mut dated = levels;
            dated[date_at] = date_level;
            pack_levels(&dated)
        };
        let phone_rule = 1
            << rules
                .iter()
                .position(|r| r.kind == RuleKind::PhoneOneEdit)
                .unwrap();
        let name_date_rule = 1
            << rules
                .iter()
                .position(|r| r.kind == RuleKind::NameBirthDate)
                .unwrap();
        let pattern_counts = vec![
            ((phone_rule, with_date(birth_date::EXACT)), 50),
            ((phone_rule, with_date(birth_date::ELSE)), 50),
            // Found by the birth date itself: left out.
            ((name_date_rule, with_date(birth_date::EXACT)), 1_000),
        ];
        let m: LevelTable = comparison::comparisons(&settings)
            .iter()
            .map(|c| c.levels.iter().map(|l| l.initial_m).collect())
            .collect();
        let mut u = m.clone();
        u[date_at] = vec![1.0, 1.0, 0.0001, 0.0001, 0.002, 0.04, 0.9578];
        let verifier =
            BirthDateVerifier::fit(&comparisons, &rules, &pattern_counts, (&m, &u)).unwrap();
        let (dated, observed) = verifier.observed[&verifier.key(pack_levels(&levels))];
        assert_eq!(dated, 100.0);
        assert!((observed - 0.5).abs() < 0.05, "{observed}");
        // The model puts every undated such pair at +10.25 bits (p 0.999,
        // the middle of its bin).
        let mut undated = UndatedWeights::default();
        for _ in 0..40 {
            verifier.count_undated(&mut undated, &levels, 10.25);
        }
        let verifier = verifier.calibrated(&undated);
        let corrected = posterior(10.25 + verifier.correction(&levels));
        let target = (100.0 * observed + MODEL_PAIRS * posterior(10.25)) / (100.0 + MODEL_PAIRS);
        assert!((corrected - target).abs() < 0.01, "{corrected} vs {target}");
        // A dated pair is left alone.
        let mut dated_levels = levels;
        dated_levels[date_at] = birth_date::EXACT;
        assert!(!verifier.lacks_birth_date(&dated_levels));
    }
}
