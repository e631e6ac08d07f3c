//! The Fellegi–Sunter model's parameters, estimated without labels.
//!
//! - u (how often two different people land on a level by chance) from
//!   random profile pairs, drawn with a seeded generator;
//! - m (how often one person's two profiles land there) by expectation
//!   maximisation on the candidate pairs, Splink-style: one session per
//!   blocking rule, over the pairs that rule proposed, in which the fields
//!   the rule keyed on are left out (those pairs agree on them by
//!   construction) and the other comparisons' m are re-estimated; each m is
//!   the average of the sessions that estimated it, weighted by the
//!   session's expected matches.
//!
//! EM works on pattern counts (how many pairs share one vector of levels),
//! not on pairs: a few thousand patterns stand for millions of pairs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::compare::{dates_compatible, sexes_conflict};

use super::comparison::{
    CompareContext, Comparison, Field, LevelRole, MAX_COMPARISONS, compare_field,
};
use crate::normalize::prefetch;

/// Levels of one pair, one per comparison, 4 bits each.
pub type Pattern = u64;

pub fn pack_levels(levels: &[u8; MAX_COMPARISONS]) -> Pattern {
    levels
        .iter()
        .enumerate()
        .fold(0, |packed, (index, &level)| {
            packed | ((level as u64 & 0xf) << (4 * index))
        })
}

pub fn pattern_level(pattern: Pattern, comparison: usize) -> u8 {
    ((pattern >> (4 * comparison)) & 0xf) as u8
}

pub fn levels_of(
    comparisons: &[Comparison],
    context: &CompareContext,
    left: usize,
    right: usize,
) -> [u8; MAX_COMPARISONS] {
    let mut levels = [0u8; MAX_COMPARISONS];
    for (index, comparison) in comparisons.iter().enumerate() {
        levels[index] = compare_field(comparison, context, left, right);
    }
    levels
}

/// Per comparison, per level.
pub type LevelTable = Vec<Vec<f64>>;

/// u for every level from `sample_pairs` random distinct pairs, and the
/// level counts they gave. Neutral levels get u = 1 (unused); the others
/// share the non-neutral pairs, with add-half smoothing and `minimum_u` as
/// a floor. Only the sex comparison counts pairs of a man and a woman: the
/// others' u is among pairs whose sexes do not conflict, because that is
/// the population a pair weighed on them belongs to (a same-sex pair
/// weighs 0 for its sex). Two men share a first name, a patronymic or a
/// gendered surname about twice as often as two random people do, so u
/// from all pairs would make those agreements look twice as rare.
pub fn estimate_u(
    comparisons: &[Comparison],
    context: &CompareContext,
    sample_pairs: u64,
    seed: u64,
    minimum_u: f64,
) -> (LevelTable, Vec<Vec<u64>>) {
    let count = context.records.len();
    let mut counts: Vec<Vec<u64>> = comparisons
        .iter()
        .map(|c| vec![0; c.levels.len()])
        .collect();
    if count >= 2 {
        let mut random = ChaCha8Rng::seed_from_u64(seed);
        let pairs: Vec<(u32, u32)> = (0..sample_pairs)
            .map(|_| {
                loop {
                    let left = random.random_range(0..count as u32);
                    let right = random.random_range(0..count as u32);
                    if left != right {
                        break (left, right);
                    }
                }
            })
            .collect();
        counts = pairs
            .par_chunks(8192)
            .map(|chunk| {
                let mut local: Vec<Vec<u64>> = comparisons
                    .iter()
                    .map(|c| vec![0; c.levels.len()])
                    .collect();
                for (index, &(left, right)) in chunk.iter().enumerate() {
                    prefetch::ahead(context.records, index, |ahead| chunk.get(ahead).copied());
                    let levels = levels_of(comparisons, context, left as usize, right as usize);
                    let sexes_differ = sexes_conflict(
                        context.records[left as usize].sex,
                        context.records[right as usize].sex,
                    );
                    for (index, level) in local.iter_mut().enumerate() {
                        if !sexes_differ || comparisons[index].field == Field::Sex {
                            level[levels[index] as usize] += 1;
                        }
                    }
                }
                local
            })
            .reduce(
                || {
                    comparisons
                        .iter()
                        .map(|c| vec![0; c.levels.len()])
                        .collect()
                },
                add_counts,
            );
    }
    let u = comparisons
        .iter()
        .zip(&counts)
        .map(|(comparison, level_counts)| {
            let informative: Vec<usize> = informative_levels(comparison);
            let total: u64 = informative.iter().map(|&l| level_counts[l]).sum();
            (0..comparison.levels.len())
                .map(|level| {
                    if informative.contains(&level) {
                        let smoothed = (level_counts[level] as f64 + 0.5)
                            / (total as f64 + 0.5 * informative.len() as f64);
                        if comparison.levels[level].u_floor {
                            smoothed.max(minimum_u)
                        } else {
                            smoothed
                        }
                    } else {
                        1.0
                    }
                })
                .collect()
        })
        .collect();
    (u, counts)
}

/// Level counts of two parts of a sample, added up.
fn add_counts(mut left: Vec<Vec<u64>>, right: Vec<Vec<u64>>) -> Vec<Vec<u64>> {
    for (a, b) in left.iter_mut().zip(right) {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    }
    left
}

/// Whether a comparison's agreement depends on the names: logins are made
/// of names, relatives share phone blocks and patronymics. For pairs that
/// share their full name, such a comparison's u is estimated among other
/// pairs sharing a full name (`estimate_u_among_namesakes`), not among
/// random pairs: two Ирина Виноградова are far likelier than two random
/// people to both own irina.vinogradova@ somewhere.
pub fn depends_on_names(field: Field) -> bool {
    matches!(
        field,
        Field::Phone | Field::Email | Field::Patronymic | Field::OriginUserId | Field::Extra(_)
    )
}

/// u among namesakes: pairs of profiles with the same full first name and
/// gender-neutral surname, drawn at random (seeded) across all such
/// groups, keeping only pairs whose birth dates no typo explains: those are
/// surely two people, so the sample is not polluted by the duplicates it is
/// meant to tell apart. Comparisons that do not depend on names keep `general`. Falls
/// back to `general` when fewer than 1000 namesake pairs exist. Returns the
/// table and the pairs drawn.
pub fn estimate_u_among_namesakes(
    comparisons: &[Comparison],
    context: &CompareContext,
    sample_pairs: u64,
    seed: u64,
    minimum_u: f64,
    general: &LevelTable,
) -> (LevelTable, u64) {
    let records = context.records;
    let mut groups: FxHashMap<(&str, &str), Vec<u32>> = FxHashMap::default();
    for record in records {
        let first = record
            .name
            .first_full
            .first()
            .or(record.name.first.as_ref());
        if let (Some(first), Some(last)) = (first, &record.name.last_key) {
            groups
                .entry((first.as_str(), last.as_str()))
                .or_default()
                .push(record.row);
        }
    }
    let mut groups: Vec<Vec<u32>> = groups
        .into_values()
        .filter(|rows| rows.len() >= 2)
        .collect();
    groups.sort_unstable();
    let mut cumulative = Vec::with_capacity(groups.len());
    let mut total = 0u64;
    for rows in &groups {
        let size = rows.len() as u64;
        total += size * (size - 1) / 2;
        cumulative.push(total);
    }
    if total < 1000 {
        return (general.clone(), 0);
    }
    let mut random = ChaCha8Rng::seed_from_u64(seed ^ 0x6e61_6d65_7361_6b65);
    let draws = sample_pairs.min(total * 4);
    let pairs: Vec<(u32, u32)> = (0..draws)
        .filter_map(|_| {
            let target = random.random_range(0..total);
            let group = &groups[cumulative.partition_point(|&end| end <= target)];
            let left = group[random.random_range(0..group.len())];
            let right = group[random.random_range(0..group.len())];
            let (a, b) = (&records[left as usize], &records[right as usize]);
            let different_people = match (a.birth_date, b.birth_date) {
                (Some(x), Some(y)) => {
                    !a.birth_date_implausible
                        && !b.birth_date_implausible
                        && !dates_compatible(x, y)
                }
                _ => false,
            };
            (left != right && different_people).then_some((left, right))
        })
        .collect();
    let empty_counts = || -> Vec<Vec<u64>> {
        comparisons
            .iter()
            .map(|c| vec![0; c.levels.len()])
            .collect()
    };
    let counts = pairs
        .par_chunks(8192)
        .map(|chunk| {
            let mut counts = empty_counts();
            for (index, &(left, right)) in chunk.iter().enumerate() {
                prefetch::ahead(records, index, |ahead| chunk.get(ahead).copied());
                for (index, comparison) in comparisons.iter().enumerate() {
                    if depends_on_names(comparison.field) {
                        let level =
                            compare_field(comparison, context, left as usize, right as usize);
                        counts[index][level as usize] += 1;
                    }
                }
            }
            counts
        })
        .reduce(empty_counts, add_counts);
    let table = comparisons
        .iter()
        .enumerate()
        .map(|(c, comparison)| {
            if !depends_on_names(comparison.field) {
                return general[c].clone();
            }
            let informative = informative_levels(comparison);
            let observed: u64 = informative.iter().map(|&l| counts[c][l]).sum();
            (0..comparison.levels.len())
                .map(|level| {
                    if informative.contains(&level) {
                        let smoothed = (counts[c][level] as f64 + 0.5)
                            / (observed as f64 + 0.5 * informative.len() as f64);
                        // Never below the general u: sharing a name does not
                        // make agreement rarer.
                        let floored = if comparison.levels[level].u_floor {
                            smoothed.max(minimum_u)
                        } else {
                            smoothed
                        };
                        floored.max(general[c][level])
                    } else {
                        1.0
                    }
                })
                .collect()
        })
        .collect();
    (table, pairs.len() as u64)
}

/// Level weights for pairs in general and for pairs sharing their full
/// name (whose name-dependent comparisons are judged against namesakes).
#[derive(Debug, Clone)]
pub struct Weights {
    pub general: LevelTable,
    pub same_name: LevelTable,
    first_name: Option<usize>,
    last_name: Option<usize>,
}

impl Weights {
    pub fn new(
        comparisons: &[Comparison],
        m: &LevelTable,
        general_u: &LevelTable,
        same_name_u: &LevelTable,
        conflict_weight: f64,
    ) -> Weights {
        let position = |field| comparisons.iter().position(|c| c.field == field);
        Weights {
            general: level_weights(comparisons, m, general_u, conflict_weight),
            same_name: level_weights(comparisons, m, same_name_u, conflict_weight),
            first_name: position(Field::FirstName),
            last_name: position(Field::LastName),
        }
    }

    /// Whether a pair whose comparison `c` is at `level_of(c)` shares its
    /// first name (the same, a diminutive's full name, or one typo apart)
    /// and its surname (the same, or one typo apart). Such a pair's logins
    /// and patronymics are judged against namesakes: m.komarova@ and
    /// m.kosarova@ are one edit apart because Комарова and Косарова are.
    pub fn names_agree(&self, level_of: impl Fn(usize) -> u8) -> bool {
        use super::comparison::{first_name, last_name};
        match (self.first_name, self.last_name) {
            (Some(first), Some(last)) => {
                matches!(
                    level_of(first),
                    first_name::EXACT | first_name::SAME_FULL_NAME | first_name::JARO_WINKLER_92
                ) && matches!(
                    level_of(last),
                    last_name::EXACT | last_name::JARO_WINKLER_92
                )
            }
            _ => false,
        }
    }

    pub fn of(&self, comparison: usize, level: u8, names_agree: bool) -> f64 {
        let table = if names_agree {
            &self.same_name
        } else {
            &self.general
        };
        table[comparison][level as usize]
    }

    /// The summed weight of the comparisons of `pattern` that `included`
    /// selects, out of the first `count`.
    pub fn of_pattern(
        &self,
        pattern: Pattern,
        included: impl Fn(usize) -> bool,
        count: usize,
    ) -> f64 {
        let names_agree = self.names_agree(|c| pattern_level(pattern, c));
        (0..count)
            .filter(|&c| included(c))
            .map(|c| self.of(c, pattern_level(pattern, c), names_agree))
            .sum()
    }
}

/// The levels that carry evidence (not missing or junk).
pub fn informative_levels(comparison: &Comparison) -> Vec<usize> {
    comparison
        .levels
        .iter()
        .enumerate()
        .filter(|(_, level)| level.role != LevelRole::Neutral)
        .map(|(index, _)| index)
        .collect()
}

/// The initial m of every level, normalised over the informative levels.
pub fn initial_m(comparisons: &[Comparison]) -> LevelTable {
    comparisons
        .iter()
        .map(|comparison| {
            let total: f64 = comparison.levels.iter().map(|l| l.initial_m).sum();
            comparison
                .levels
                .iter()
                .map(|level| {
                    if level.role == LevelRole::Neutral {
                        1.0
                    } else {
                        level.initial_m / total
                    }
                })
                .collect()
        })
        .collect()
}

/// log2(m/u) of every level; 0 for neutral levels, at most
/// `conflict_weight` for conflict levels.
pub fn level_weights(
    comparisons: &[Comparison],
    m: &LevelTable,
    u: &LevelTable,
    conflict_weight: f64,
) -> LevelTable {
    comparisons
        .iter()
        .enumerate()
        .map(|(c, comparison)| {
            comparison
                .levels
                .iter()
                .enumerate()
                .map(|(l, level)| match level.role {
                    LevelRole::Neutral | LevelRole::Baseline => 0.0,
                    LevelRole::Evidence => (m[c][l] / u[c][l]).log2(),
                    LevelRole::Conflict => (m[c][l] / u[c][l]).log2().min(conflict_weight),
                })
                .collect()
        })
        .collect()
}

/// Pairs per (rule mask, pattern). Takes the pairs as they are packed,
/// not a list of them: at a hundred million candidate pairs the list alone
/// would hold 1.6 GB.
pub fn count_patterns(
    masks_and_patterns: impl IndexedParallelIterator<Item = (u32, Pattern)>,
) -> Vec<((u32, Pattern), u64)> {
    let counts = masks_and_patterns
        .with_min_len(65536)
        .fold(
            FxHashMap::default,
            |mut local: FxHashMap<(u32, Pattern), u64>, key| {
                *local.entry(key).or_default() += 1;
                local
            },
        )
        .reduce(FxHashMap::default, |mut left, right| {
            for (key, count) in right {
                *left.entry(key).or_default() += count;
            }
            left
        });
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_unstable();
    counts
}

/// What one EM session found.
#[derive(Debug, Clone)]
pub struct SessionEstimate {
    pub m: LevelTable,
    /// Which comparisons this session estimated.
    pub estimated: Vec<bool>,
    pub match_share: f64,
    pub expected_matches: f64,
    pub pairs: u64,
}

fn posterior(prior_log_odds: f64, weight: f64) -> f64 {
    1.0 / (1.0 + (-(prior_log_odds + weight)).exp2())
}

fn log_odds(probability: f64) -> f64 {
    let clamped = probability.clamp(1e-12, 1.0 - 1e-12);
    (clamped / (1.0 - clamped)).log2()
}

/// EM over `patterns` (with counts) estimating m of the comparisons marked
/// `active`; the others are left out of the likelihood.
#[allow(clippy::too_many_arguments)]
pub fn em_session(
    comparisons: &[Comparison],
    patterns: &[(Pattern, u64)],
    active: &[bool],
    start_m: &LevelTable,
    u: &LevelTable,
    same_name_u: &LevelTable,
    conflict_weight: f64,
    iterations: u32,
    start_match_share: f64,
) -> SessionEstimate {
    let prior_m = initial_m(comparisons);
    let mut m = start_m.clone();
    let mut match_share = start_match_share;
    let pairs: u64 = patterns.iter().map(|(_, count)| count).sum();
    let mut expected_matches = 0.0;
    for _ in 0..iterations {
        let weights = Weights::new(comparisons, &m, u, same_name_u, conflict_weight);
        let mut mass: LevelTable = comparisons
            .iter()
            .map(|c| vec![0.0; c.levels.len()])
            .collect();
        expected_matches = 0.0;
        for &(pattern, count) in patterns {
            let weight = weights.of_pattern(pattern, |c| active[c], comparisons.len());
            let probability = posterior(log_odds(match_share), weight) * count as f64;
            expected_matches += probability;
            for (c, level_mass) in mass.iter_mut().enumerate() {
                level_mass[pattern_level(pattern, c) as usize] += probability;
            }
        }
        for (c, comparison) in comparisons.iter().enumerate() {
            if !active[c] {
                continue;
            }
            let informative = informative_levels(comparison);
            let total: f64 = informative.iter().map(|&l| mass[c][l]).sum();
            // One pseudo-pair spread as the initial m keeps unseen levels
            // possible without letting them drift to zero.
            for &l in &informative {
                m[c][l] = (mass[c][l] + prior_m[c][l]) / (total + 1.0);
            }
        }
        match_share = (expected_matches / pairs.max(1) as f64).clamp(1e-9, 1.0 - 1e-9);
    }
    SessionEstimate {
        m,
        estimated: active.to_vec(),
        match_share,
        expected_matches,
        pairs,
    }
}

/// m of each level: the sessions' estimates averaged, weighted by the
/// logarithm of their expected matches (a large session counts more, but
/// cannot drown the others); the initial m where no session estimated a
/// comparison.
pub fn combine_sessions<'a>(
    comparisons: &[Comparison],
    sessions: impl Iterator<Item = &'a SessionEstimate> + Clone,
) -> LevelTable {
    let mut m = initial_m(comparisons);
    for (c, comparison) in comparisons.iter().enumerate() {
        let weights: f64 = sessions
            .clone()
            .filter(|s| s.estimated[c])
            .map(|s| s.expected_matches.ln_1p())
            .sum();
        if weights <= 0.0 {
            continue;
        }
        for l in informative_levels(comparison) {
            m[c][l] = sessions
                .clone()
                .filter(|s| s.estimated[c])
                .map(|s| s.m[c][l] * s.expected_matches.ln_1p())
                .sum::<f64>()
                / weights;
        }
    }
    m
}

/// The expected number of matches among the candidate pairs. Each pair is
/// judged as in an EM session of the first of its rules: that session's
/// match share as the prior, and only the comparisons the rule did not key
/// on as evidence (a pair found by its name agrees on the name by
/// construction, which says nothing about how many such pairs match).
/// `sessions[rule]` is that rule's estimate, if it had one; a rule without
/// one lends the average share of the others.
pub fn expected_matches(
    comparisons: &[Comparison],
    pattern_counts: &[((u32, Pattern), u64)],
    sessions: &[Option<SessionEstimate>],
    fixed_by_rule: &[Vec<bool>],
    weights: &Weights,
) -> f64 {
    let known: Vec<f64> = sessions.iter().flatten().map(|s| s.match_share).collect();
    if known.is_empty() {
        return 0.0;
    }
    let fallback_share = known.iter().sum::<f64>() / known.len() as f64;
    pattern_counts
        .iter()
        .map(|&((mask, pattern), count)| {
            let Some(rule) = (0..fixed_by_rule.len()).find(|rule| mask & (1 << rule) != 0) else {
                return 0.0;
            };
            let share = sessions[rule]
                .as_ref()
                .map_or(fallback_share, |session| session.match_share);
            let weight =
                weights.of_pattern(pattern, |c| !fixed_by_rule[rule][c], comparisons.len());
            posterior(log_odds(share), weight) * count as f64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::score::comparison::{Field, Level};

    fn two_level_comparison(name: &str) -> Comparison {
        Comparison {
            name: name.into(),
            field: Field::OriginUserId,
            levels: vec![
                Level {
                    name: "missing",
                    role: LevelRole::Neutral,
                    initial_m: 0.0,
                    u_floor: true,
                },
                Level {
                    name: "agree",
                    role: LevelRole::Evidence,
                    initial_m: 0.6,
                    u_floor: true,
                },
                Level {
                    name: "else",
                    role: LevelRole::Evidence,
                    initial_m: 0.4,
                    u_floor: true,
                },
            ],
            term_frequency_level: None,
            estimated_by_em: true,
        }
    }

    #[test]
    fn patterns_pack_and_unpack() {
        let mut levels = [0u8; MAX_COMPARISONS];
        levels[0] = 3;
        levels[5] = 6;
        levels[15] = 2;
        let packed = pack_levels(&levels);
        for (index, level) in levels.iter().enumerate() {
            assert_eq!(pattern_level(packed, index), *level);
        }
    }

    #[test]
    fn em_recovers_m_of_a_planted_mixture() {
        // Three comparisons; matches agree on each with probability 0.9,
        // non-matches with 0.1; 20% matches. Conditional independence holds
        // by construction, so EM should recover m ≈ 0.9.
        let comparisons: Vec<_> = (0..3)
            .map(|i| two_level_comparison(&format!("c{i}")))
            .collect();
        let mut counts: HashMap<Pattern, f64> = HashMap::new();
        for bits in 0..8u32 {
            let agree: Vec<bool> = (0..3).map(|i| bits & (1 << i) != 0).collect();
            let likelihood = |p: f64| {
                agree
                    .iter()
                    .map(|&a| if a { p } else { 1.0 - p })
                    .product::<f64>()
            };
            let expected = 100_000.0 * (0.2 * likelihood(0.9) + 0.8 * likelihood(0.1));
            let mut levels = [0u8; MAX_COMPARISONS];
            for (i, a) in agree.iter().enumerate() {
                levels[i] = if *a { 1 } else { 2 };
            }
            counts.insert(pack_levels(&levels), expected);
        }
        let patterns: Vec<(Pattern, u64)> = counts
            .into_iter()
            .map(|(pattern, count)| (pattern, count.round() as u64))
            .collect();
        let u: LevelTable = vec![vec![1.0, 0.1, 0.9]; 3];
        let estimate = em_session(
            &comparisons,
            &patterns,
            &[true, true, true],
            &initial_m(&comparisons),
            &u,
            &u,
            -4.0,
            50,
            0.5,
        );
        for c in 0..3 {
            assert!((estimate.m[c][1] - 0.9).abs() < 0.02, "{:?}", estimate.m[c]);
        }
        assert!((estimate.match_share - 0.2).abs() < 0.02);
    }

    #[test]
    fn conflict_levels_never_weigh_above_the_cap() {
        let mut comparison = two_level_comparison("sex");
        comparison.levels[2].role = LevelRole::Conflict;
        let m = vec![vec![1.0, 0.5, 0.5]];
        let u = vec![vec![1.0, 0.5, 0.01]];
        let weights = level_weights(&[comparison], &m, &u, -4.0);
        assert_eq!(weights[0][0], 0.0);
        assert_eq!(weights[0][1], 0.0);
        assert_eq!(weights[0][2], -4.0);
    }
}
