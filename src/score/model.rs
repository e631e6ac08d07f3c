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
use serde::{Deserialize, Serialize};

use crate::block::{BlockingRule, Candidates, RuleKind};
use crate::compare::{dates_compatible, sexes_conflict};
use crate::normalize::NormalizedRecord;
use crate::settings::matching::MatchSettings;

use super::EmSessionSummary;
use super::comparison::{
    CompareContext, Comparison, Field, LevelRole, MAX_COMPARISONS, compare_field,
};
use crate::normalize::prefetch;

/// Levels of one pair, one per comparison, 4 bits each.
pub type Pattern = u128;

pub fn pack_levels(levels: &[u8; MAX_COMPARISONS]) -> Pattern {
    levels
        .iter()
        .enumerate()
        .fold(0, |packed, (index, &level)| {
            packed | ((Pattern::from(level) & 0xf) << (4 * index))
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
/// share the non-neutral pairs, with add-half smoothing (levels too rare
/// for the sample are counted over the whole base instead:
/// `with_counted_levels`). Only the sex comparison counts pairs of a man and a woman: the
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
                        (level_counts[level] as f64 + 0.5)
                            / (total as f64 + 0.5 * informative.len() as f64)
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
                        smoothed.max(general[c][level])
                    } else {
                        1.0
                    }
                })
                .collect()
        })
        .collect();
    (table, pairs.len() as u64)
}

/// The u tables a pair may be judged against (see `Context`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UTables {
    pub general: LevelTable,
    pub same_name: LevelTable,
    /// Per counted level (in `counted` order): u among the non-matching
    /// pairs at that level.
    pub anchored: Vec<LevelTable>,
    /// Per counted level: the surname's u there given the first name's
    /// level (`NamePair`).
    pub anchored_surname_given_first: Vec<Option<Vec<Vec<f64>>>>,
}

/// Which non-matching pairs a pair is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Random pairs.
    General,
    /// Pairs sharing a full name: their logins and patronymics agree more
    /// often (`estimate_u_among_namesakes`).
    SameName,
    /// Pairs at the counted level `counted[anchor]` (phones one digit
    /// apart, one login on two domains...). Among those, the other fields
    /// agree far more often than among random pairs: a husband's and
    /// wife's numbers run in sequence and their logins differ in an
    /// initial, their surnames agree. Judging the other fields against
    /// these pairs, not against random ones, is what keeps such a family
    /// apart. The surname is judged given the first name's level.
    Anchored { anchor: usize, first_name_level: u8 },
}

/// Level weights in each context.
#[derive(Debug, Clone)]
pub struct Weights {
    pub general: LevelTable,
    pub same_name: LevelTable,
    pub anchored: Vec<LevelTable>,
    /// Per counted level, the surname's weights given the first name's
    /// level, `[first][last]`.
    anchored_surname: Vec<Option<Vec<Vec<f64>>>>,
    names: Option<NamePair>,
    /// `anchor_of[c][l]`: the index in `anchored` of comparison `c`'s
    /// counted level `l`.
    anchor_of: Vec<[Option<u8>; 16]>,
    /// Per counted level: its comparison, and the weight of being at the
    /// level once the model is fitted (`with_anchor_odds`).
    anchors: Vec<(usize, Option<f64>)>,
    first_name: Option<usize>,
    last_name: Option<usize>,
}

impl Weights {
    pub fn new(
        comparisons: &[Comparison],
        m: &LevelTable,
        u: &UTables,
        counted: &[CountedLevel],
        conflict_weight: f64,
    ) -> Weights {
        let position = |field| comparisons.iter().position(|c| c.field == field);
        Weights {
            anchor_of: anchor_index(comparisons, counted),
            anchors: counted
                .iter()
                .map(|level| (level.comparison, None))
                .collect(),
            general: level_weights(comparisons, m, &u.general, conflict_weight),
            same_name: level_weights(comparisons, m, &u.same_name, conflict_weight),
            anchored: u
                .anchored
                .iter()
                .map(|table| level_weights(comparisons, m, table, conflict_weight))
                .collect(),
            anchored_surname: u
                .anchored_surname_given_first
                .iter()
                .map(|table| {
                    let names = NamePair::of(comparisons)?;
                    let table = table.as_ref()?;
                    Some(surname_weights_given_first(
                        comparisons,
                        names,
                        m,
                        table,
                        conflict_weight,
                    ))
                })
                .collect(),
            names: NamePair::of(comparisons),
            first_name: position(Field::FirstName),
            last_name: position(Field::LastName),
        }
    }

    /// The weights with each counted level's own weight set so that a pair
    /// anchored there starts from the share of matches the level's EM found
    /// (`anchor_log_odds`), whatever the prior (`prior_log_odds`): that EM
    /// judged the pairs there on the other fields, which is what this
    /// level's weight has to agree with.
    pub fn with_anchor_odds(mut self, anchor_log_odds: &[f64], prior_log_odds: f64) -> Weights {
        for ((_, weight), log_odds) in self.anchors.iter_mut().zip(anchor_log_odds) {
            *weight = Some(log_odds - prior_log_odds);
        }
        self
    }

    /// The context of a pair whose comparison `c` is at `level_of(c)`: the
    /// first counted level it is at, else namesakes when it shares its
    /// full name, else random pairs.
    pub fn context(&self, level_of: impl Fn(usize) -> u8) -> Context {
        let anchor = self
            .anchor_of
            .iter()
            .enumerate()
            .find_map(|(c, levels)| levels[level_of(c) as usize & 0xf]);
        match anchor {
            Some(index) => Context::Anchored {
                anchor: index as usize,
                first_name_level: self.names.map_or(0, |names| level_of(names.first)),
            },
            None if self.names_agree(level_of) => Context::SameName,
            None => Context::General,
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

    pub fn of(&self, comparison: usize, level: u8, context: Context) -> f64 {
        let table = match context {
            Context::General => &self.general,
            Context::SameName => &self.same_name,
            Context::Anchored {
                anchor,
                first_name_level,
            } => {
                if let (anchored_comparison, Some(weight)) = self.anchors[anchor]
                    && anchored_comparison == comparison
                {
                    return weight;
                }
                if let Some(names) = self.names
                    && names.last == comparison
                    && let Some(table) = &self.anchored_surname[anchor]
                {
                    return table[first_name_level as usize][level as usize];
                }
                &self.anchored[anchor]
            }
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
        let context = self.context(|c| pattern_level(pattern, c));
        (0..count)
            .filter(|&c| included(c))
            .map(|c| self.of(c, pattern_level(pattern, c), context))
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
                    LevelRole::Neutral => 0.0,
                    LevelRole::Evidence => (m[c][l] / u[c][l]).log2(),
                    LevelRole::Conflict => (m[c][l] / u[c][l]).log2().min(conflict_weight),
                })
                .collect()
        })
        .collect()
}

/// Pairs per (rule mask, pattern). Packs each pair's levels as it counts
/// them, never into a list: at a hundred million candidate pairs the list
/// alone would hold 1.6 GB.
fn count_patterns(
    candidates: &Candidates,
    levels: &[[u8; MAX_COMPARISONS]],
) -> Vec<((u32, Pattern), u64)> {
    let counts = candidates
        .pairs
        .par_iter()
        .zip(levels.par_iter())
        .map(|(pair, levels)| (pair.rules, pack_levels(levels)))
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

pub(crate) fn log_odds(probability: f64) -> f64 {
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
    (u, counted): (&UTables, &[CountedLevel]),
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
        let weights = Weights::new(comparisons, &m, u, counted, conflict_weight);
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

/// `m` with each sampled evidence level that no random pair and no
/// candidate reached set to its general u, so that it weighs nothing.
/// Smoothing leaves such a level a share of one pseudo-pair among the
/// matches and of half a pair among a million random pairs, which would
/// read as several bits of evidence the base never showed; a model reused
/// on a later export (`plan --previous`) would give them to the first
/// pairs that reach the level (every profile registered on a migration's
/// day, then new ones). Counted levels keep theirs: no candidate there
/// means no two profiles share the phone or card at all, and the few
/// later exports that have such a pair should find it weighs as an
/// identifier.
fn weightless_where_unseen(
    comparisons: &[Comparison],
    mut m: LevelTable,
    general_u: &LevelTable,
    reached: &[Vec<bool>],
) -> LevelTable {
    for (c, comparison) in comparisons.iter().enumerate() {
        for (l, level) in comparison.levels.iter().enumerate() {
            if level.role == LevelRole::Evidence && level.counted_by.is_none() && !reached[c][l] {
                m[c][l] = general_u[c][l];
            }
        }
    }
    m
}

/// Per comparison and level, whether a random pair or a candidate reached
/// it (`weightless_where_unseen`).
fn levels_reached(
    random_counts: &[Vec<u64>],
    pattern_counts: &[((u32, Pattern), u64)],
) -> Vec<Vec<bool>> {
    let mut reached: Vec<Vec<bool>> = random_counts
        .iter()
        .map(|counts| counts.iter().map(|&count| count > 0).collect())
        .collect();
    for &((_, pattern), _) in pattern_counts {
        for (c, levels) in reached.iter_mut().enumerate() {
            levels[pattern_level(pattern, c) as usize] = true;
        }
    }
    reached
}

/// The expected number of matches among the candidate pairs. Each pair is
/// judged as in an EM session of the first of its rules: that session's
/// match share as the prior, and only the comparisons the rule did not key
/// on as evidence (a pair found by its name agrees on the name by
/// construction, which says nothing about how many such pairs match), of
/// those the sessions estimate (the evidence their shares were fitted on).
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
            let weight = weights.of_pattern(
                pattern,
                |c| !fixed_by_rule[rule][c] && comparisons[c].estimated_by_em,
                comparisons.len(),
            );
            posterior(log_odds(share), weight) * count as f64
        })
        .sum()
}

/// Rounds of counting: each re-estimates the matches among a counted
/// level's candidates with the u the previous round gave. The estimate
/// moves by less than a percent after the third.
const COUNTED_U_ROUNDS: usize = 4;

/// Sessions on fewer pairs than this say too little to average in.
const MINIMUM_SESSION_PAIRS: u64 = 50;

/// A level whose u is counted over the whole base (`Level::counted_by`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountedLevel {
    pub comparison: usize,
    pub level: u8,
    /// Candidate pairs at the level: every pair of the base there is.
    pub candidates: u64,
    /// Pairs of profiles that both hold a value the comparison can weigh:
    /// the population the level's u is a share of.
    pub informative_pairs: f64,
}

/// The levels whose u can be counted: those whose enumerating rule ran.
pub fn counted_levels(
    comparisons: &[Comparison],
    rules: &[BlockingRule],
    pattern_counts: &[((u32, Pattern), u64)],
    records: &[NormalizedRecord],
) -> Vec<CountedLevel> {
    let mut counted = Vec::new();
    for (c, comparison) in comparisons.iter().enumerate() {
        let holders = records
            .iter()
            .filter(|record| holds_informative_value(comparison.field, record))
            .count() as f64;
        for (l, level) in comparison.levels.iter().enumerate() {
            let Some(rule) = level.counted_by else {
                continue;
            };
            if !rules.iter().any(|r| r.kind == rule) {
                continue;
            }
            let candidates = pattern_counts
                .iter()
                .filter(|((_, pattern), _)| pattern_level(*pattern, c) as usize == l)
                .map(|(_, count)| count)
                .sum();
            counted.push(CountedLevel {
                comparison: c,
                level: l as u8,
                candidates,
                informative_pairs: holders * (holders - 1.0) / 2.0,
            });
        }
    }
    counted
}

/// Whether `record` holds a value of `field` that a counted level can be
/// reached with (the values `compare_field` does not call missing or junk).
fn holds_informative_value(field: Field, record: &NormalizedRecord) -> bool {
    match field {
        Field::Phone => record.usable_phone().is_some(),
        Field::Email => record.usable_email().is_some(),
        Field::OriginUserId => record.origin_user_id.is_some(),
        _ => false,
    }
}

/// `sampled` with each counted level's u replaced by its count: the
/// candidates at the level less the matches expected among them, over the
/// informative pairs (half a pair at least, as the sample's smoothing).
pub fn with_counted_levels(
    sampled: &LevelTable,
    counted: &[CountedLevel],
    matches_at: &[f64],
) -> LevelTable {
    let mut u = sampled.clone();
    for (level, matches) in counted.iter().zip(matches_at) {
        if level.informative_pairs < 1.0 {
            continue;
        }
        let non_matches = (level.candidates as f64 - matches).max(0.5);
        u[level.comparison][level.level as usize] = non_matches / level.informative_pairs;
    }
    u
}

/// The model fitted on one base: u, m, the weights and the prior.
pub struct Fitted {
    /// Candidate pairs per (rule mask, pattern).
    pub pattern_counts: Vec<((u32, Pattern), u64)>,
    pub m: LevelTable,
    pub u: UTables,
    pub weights: Weights,
    /// Random pairs per comparison and level (the u sample).
    pub random_counts: Vec<Vec<u64>>,
    pub namesake_pairs: u64,
    pub counted: Vec<CountedLevel>,
    /// Expected matches among each counted level's candidates.
    pub matches_at_counted: Vec<f64>,
    pub expected_matches: f64,
    /// Matches estimated in the whole base, candidates or not
    /// (`matches_in_base`).
    pub matches_in_base: f64,
    pub prior_match_probability: f64,
    /// Per counted level, the log-odds of a match among the pairs anchored
    /// there (`Weights::with_anchor_odds`).
    pub anchor_log_odds: Vec<f64>,
    pub sessions: Vec<EmSessionSummary>,
}

impl Fitted {
    /// The model of an earlier plan (`saved::SavedModel`), with this base's
    /// pattern counts.
    pub fn from_saved(
        comparisons: &[Comparison],
        saved: &super::saved::SavedModel,
        candidates: &Candidates,
        levels: &[[u8; MAX_COMPARISONS]],
        conflict_weight: f64,
    ) -> Fitted {
        let pattern_counts = count_patterns(candidates, levels);
        let weights = Weights::new(
            comparisons,
            &saved.m,
            &saved.u,
            &saved.counted,
            conflict_weight,
        )
        .with_anchor_odds(
            &saved.anchor_log_odds,
            log_odds(saved.prior_match_probability),
        );
        Fitted {
            pattern_counts,
            m: saved.m.clone(),
            u: saved.u.clone(),
            weights,
            random_counts: saved.random_counts.clone(),
            namesake_pairs: saved.namesake_pairs,
            counted: saved.counted.clone(),
            matches_at_counted: saved.matches_at_counted.clone(),
            expected_matches: saved.expected_matches,
            matches_in_base: saved.matches_in_base,
            prior_match_probability: saved.prior_match_probability,
            anchor_log_odds: saved.anchor_log_odds.clone(),
            sessions: saved.sessions.clone(),
        }
    }
}

/// Fits the model on the candidates: u from random pairs and, for the
/// levels blocking enumerates, from counts; m by EM, one session per
/// blocking rule; the prior from the matches expected among the
/// candidates. Counting and EM alternate (`COUNTED_U_ROUNDS`): a counted
/// level's u needs the matches among its candidates, which the weights
/// built on that u tell.
pub fn fit(
    comparisons: &[Comparison],
    context: &CompareContext,
    candidates: &Candidates,
    levels: &[[u8; MAX_COMPARISONS]],
    settings: &MatchSettings,
) -> Fitted {
    let records = context.records;
    let (sampled_u, random_counts) =
        estimate_u(comparisons, context, settings.u_sample_pairs, settings.seed);
    let (sampled_namesake_u, namesake_pairs) = estimate_u_among_namesakes(
        comparisons,
        context,
        settings.u_sample_pairs,
        settings.seed,
        &sampled_u,
    );
    let pattern_counts = count_patterns(candidates, levels);
    let reached = levels_reached(&random_counts, &pattern_counts);
    let counted = counted_levels(comparisons, &candidates.rules, &pattern_counts, records);
    let all_pairs = records.len() as f64 * (records.len() as f64 - 1.0) / 2.0;
    let fixed_by_rule: Vec<Vec<bool>> = candidates
        .rules
        .iter()
        .map(|rule| {
            let fields = rule_fields(rule.kind);
            comparisons
                .iter()
                .map(|c| fields.contains(&c.field))
                .collect()
        })
        .collect();
    let start_m = initial_m(comparisons);

    let anchor_patterns = patterns_by_anchor(comparisons, &counted, &pattern_counts);
    let mut m = start_m.clone();
    let mut matches_at_counted = vec![0.0; counted.len()];
    let mut previous_prior: Option<f64> = None;
    let mut round = 0;
    loop {
        let shrink_to = with_counted_levels(&sampled_u, &counted, &matches_at_counted);
        let anchors: Vec<AnchorFit> = counted
            .par_iter()
            .zip(&anchor_patterns)
            .map(|(level, patterns)| {
                fit_anchor(
                    comparisons,
                    level,
                    patterns,
                    &m,
                    &shrink_to,
                    settings.conflict_weight,
                )
            })
            .collect();
        matches_at_counted = matches_at_levels(&counted, &anchor_patterns, &anchors);
        let general = with_counted_levels(&sampled_u, &counted, &matches_at_counted);
        let anchor_log_odds: Vec<f64> = anchors
            .iter()
            .map(|anchor| log_odds(anchor.match_share))
            .collect();
        let (anchored, anchored_surname_given_first) = anchors
            .into_iter()
            .map(|anchor| (anchor.u, anchor.surname_given_first))
            .unzip();
        let u = UTables {
            same_name: at_least(&sampled_namesake_u, &general),
            anchored,
            anchored_surname_given_first,
            general,
        };
        let (sessions, summaries) = em_sessions(
            comparisons,
            candidates,
            &pattern_counts,
            &fixed_by_rule,
            &start_m,
            (&u, &counted),
            settings,
        );
        m = combine_sessions(comparisons, sessions.iter().flatten());
        if let Some(prior) = previous_prior {
            m = estimate_m_outside_sessions(
                comparisons,
                &pattern_counts,
                m,
                (&u, &counted),
                settings.conflict_weight,
                log_odds(prior),
            );
        }
        m = weightless_where_unseen(comparisons, m, &u.general, &reached);
        let weights = Weights::new(comparisons, &m, &u, &counted, settings.conflict_weight);
        let expected = expected_matches(
            comparisons,
            &pattern_counts,
            &sessions,
            &fixed_by_rule,
            &weights,
        );
        let matches_in_base = matches_in_base(
            comparisons,
            &candidates.rules,
            &pattern_counts,
            &weights,
            (expected, all_pairs),
        );
        let prior_match_probability = if all_pairs > 0.0 && matches_in_base > 0.0 {
            (matches_in_base / all_pairs).clamp(1e-15, 0.5)
        } else {
            // Nothing to estimate from: one match per profile, a cautious guess.
            (records.len() as f64 / all_pairs.max(1.0)).clamp(1e-15, 0.5)
        };
        round += 1;
        if round == COUNTED_U_ROUNDS || counted.is_empty() {
            let weights =
                weights.with_anchor_odds(&anchor_log_odds, log_odds(prior_match_probability));
            return Fitted {
                anchor_log_odds,
                pattern_counts,
                m,
                u,
                weights,
                random_counts,
                namesake_pairs,
                counted,
                matches_at_counted,
                expected_matches: expected,
                matches_in_base,
                prior_match_probability,
                sessions: summaries,
            };
        }
        previous_prior = Some(prior_match_probability);
    }
}

/// Fewest matches found by both kinds of rule for their overlap to tell
/// how many neither finds (`matches_in_base`).
const MINIMUM_RECAPTURED_MATCHES: f64 = 50.0;

/// How many pairs of the whole base are one person, candidates or not: the
/// prior a pair's weight starts from is this over all pairs. The matches
/// among the candidates (`candidate_matches`) leave out those no rule
/// proposed, a third of all in a base of store and web-shop profiles, and
/// a prior that low would understate every pair. Two kinds of rule find
/// matches in nearly independent ways, by a contact (phones, e-mails,
/// cards) and by the names (with a birth date or a patronymic); how many of
/// the one's matches the other also finds tells how many both miss
/// (Lincoln–Petersen: contact × names / both), each match weighed by its
/// probability. The prior and the probabilities depend on each other, so
/// the two are iterated to agreement.
fn matches_in_base(
    comparisons: &[Comparison],
    rules: &[BlockingRule],
    pattern_counts: &[((u32, Pattern), u64)],
    weights: &Weights,
    (candidate_matches, all_pairs): (f64, f64),
) -> f64 {
    let mask_of = |wanted: fn(RuleKind) -> bool| {
        rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| wanted(rule.kind))
            .fold(0u32, |mask, (index, _)| mask | (1 << index))
    };
    let by_contact = mask_of(|kind| {
        matches!(
            kind,
            RuleKind::PhoneExact
                | RuleKind::PhoneOneEdit
                | RuleKind::PhoneTwoSubstitutionsFirstName
                | RuleKind::EmailMailbox
                | RuleKind::EmailOneEdit
                | RuleKind::EmailLogin
                | RuleKind::OriginUserId
        )
    });
    let by_names = mask_of(|kind| {
        matches!(
            kind,
            RuleKind::NameBirthDate
                | RuleKind::NamePatronymic
                | RuleKind::SurnamePhoneticFirstName
                | RuleKind::BirthDateFirstName
                | RuleKind::BirthDateLastName
        )
    });
    if all_pairs <= 0.0 || by_contact == 0 || by_names == 0 {
        return candidate_matches;
    }
    let pattern_weights: Vec<(u32, f64, f64)> = pattern_counts
        .iter()
        .map(|&((mask, pattern), count)| {
            (
                mask,
                weights.of_pattern(pattern, |_| true, comparisons.len()),
                count as f64,
            )
        })
        .collect();
    let mut matches = candidate_matches;
    for _ in 0..20 {
        let prior = log_odds((matches / all_pairs).clamp(1e-15, 0.5));
        let (mut contact, mut names, mut both) = (0.0, 0.0, 0.0);
        for &(mask, weight, count) in &pattern_weights {
            let expected = posterior(prior, weight) * count;
            let (found_by_contact, found_by_names) = (mask & by_contact != 0, mask & by_names != 0);
            contact += if found_by_contact { expected } else { 0.0 };
            names += if found_by_names { expected } else { 0.0 };
            both += if found_by_contact && found_by_names {
                expected
            } else {
                0.0
            };
        }
        if both < MINIMUM_RECAPTURED_MATCHES {
            return candidate_matches;
        }
        let estimate = (contact * names / both).max(candidate_matches);
        if (estimate - matches).abs() < 1e-3 * matches {
            return estimate;
        }
        matches = estimate;
    }
    matches
}

/// Iterations of the EM at one counted level (`fit_anchor`).
const ANCHOR_EM_ITERATIONS: usize = 60;

/// What the EM at one counted level found.
struct AnchorFit {
    /// u of every comparison among the non-matching pairs at the level.
    u: LevelTable,
    /// The surname's u there given the first name's level
    /// (`[first][last]`), when both comparisons are on.
    surname_given_first: Option<Vec<Vec<f64>>>,
    /// The share of matches among the pairs anchored there.
    match_share: f64,
    /// Each pattern's match probability, in the order of its patterns.
    posteriors: Vec<f64>,
}

/// EM over the pairs anchored at one counted level: m as the sessions
/// estimated it (how one person's two profiles differ does not depend on
/// how they were found), u and the share of matches free. Among pairs
/// whose phones are one digit apart the other fields agree far more often
/// than among random pairs (families on neighbouring numbers), and how
/// much more is what this estimates. u starts at `shrink_to` (the general
/// u) and is pulled towards it by `ANCHORED_PRIOR_PAIRS` pseudo-pairs, so
/// that a level few pairs reach keeps a sensible value.
fn fit_anchor(
    comparisons: &[Comparison],
    anchor: &CountedLevel,
    patterns: &[(Pattern, u64)],
    m: &LevelTable,
    shrink_to: &LevelTable,
    conflict_weight: f64,
) -> AnchorFit {
    let mut u = shrink_to.clone();
    let mut match_share = 0.5;
    let mut posteriors = vec![0.0; patterns.len()];
    let pairs: u64 = patterns.iter().map(|(_, count)| count).sum();
    if pairs == 0 {
        return AnchorFit {
            u,
            surname_given_first: None,
            match_share,
            posteriors,
        };
    }
    let included = |c: usize| c != anchor.comparison;
    let names =
        NamePair::of(comparisons).filter(|names| included(names.first) && included(names.last));
    let mut surname_given_first =
        names.map(|names| vec![u[names.last].clone(); comparisons[names.first].levels.len()]);
    for _ in 0..ANCHOR_EM_ITERATIONS {
        let weights = level_weights(comparisons, m, &u, conflict_weight);
        let conditional_weights = names
            .zip(surname_given_first.as_ref())
            .map(|(names, table)| {
                surname_weights_given_first(comparisons, names, m, table, conflict_weight)
            });
        let prior = log_odds(match_share);
        let mut non_match_mass: LevelTable = comparisons
            .iter()
            .map(|c| vec![0.0; c.levels.len()])
            .collect();
        let mut joint_mass = names.map(|names| {
            vec![
                vec![0.0; comparisons[names.last].levels.len()];
                comparisons[names.first].levels.len()
            ]
        });
        let mut matches = 0.0;
        for ((pattern, count), posterior_out) in patterns.iter().zip(&mut posteriors) {
            let level = |c: usize| pattern_level(*pattern, c) as usize;
            let weight: f64 = (0..comparisons.len())
                .filter(|&c| included(c))
                .map(|c| match (names, &conditional_weights) {
                    (Some(names), Some(table)) if c == names.last => {
                        table[level(names.first)][level(c)]
                    }
                    _ => weights[c][level(c)],
                })
                .sum();
            let probability = posterior(prior, weight);
            *posterior_out = probability;
            matches += probability * *count as f64;
            let non_match = (1.0 - probability) * *count as f64;
            for (c, mass) in non_match_mass.iter_mut().enumerate() {
                mass[level(c)] += non_match;
            }
            if let (Some(names), Some(joint)) = (names, joint_mass.as_mut()) {
                joint[level(names.first)][level(names.last)] += non_match;
            }
        }
        match_share = (matches / pairs as f64).clamp(1e-6, 1.0 - 1e-6);
        for (c, comparison) in comparisons.iter().enumerate() {
            if !included(c) {
                continue;
            }
            let informative = informative_levels(comparison);
            let total: f64 = informative.iter().map(|&l| non_match_mass[c][l]).sum();
            for &l in &informative {
                u[c][l] = (non_match_mass[c][l] + ANCHORED_PRIOR_PAIRS * shrink_to[c][l])
                    / (total + ANCHORED_PRIOR_PAIRS);
            }
        }
        if let (Some(names), Some(joint), Some(table)) =
            (names, joint_mass.as_ref(), surname_given_first.as_mut())
        {
            let informative = informative_levels(&comparisons[names.last]);
            for (first_level, row) in table.iter_mut().enumerate() {
                let total: f64 = informative.iter().map(|&l| joint[first_level][l]).sum();
                for &l in &informative {
                    row[l] = (joint[first_level][l] + ANCHORED_PRIOR_PAIRS * u[names.last][l])
                        / (total + ANCHORED_PRIOR_PAIRS);
                }
            }
        }
    }
    AnchorFit {
        u,
        surname_given_first,
        match_share,
        posteriors,
    }
}

/// The first-name and surname comparisons, whose agreements go together
/// among the non-matching pairs at a counted level: a father and son on
/// neighbouring numbers share both names, a husband and wife only the
/// surname. At such a level the surname's u is taken given the first
/// name's level (`fit_anchor`); elsewhere, among random pairs, the two are
/// as good as independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamePair {
    pub first: usize,
    pub last: usize,
}

impl NamePair {
    pub fn of(comparisons: &[Comparison]) -> Option<NamePair> {
        let position = |field| comparisons.iter().position(|c| c.field == field);
        Some(NamePair {
            first: position(Field::FirstName)?,
            last: position(Field::LastName)?,
        })
    }
}

/// The surname's weights given the first name's level: `[first][last]`,
/// from `u_given_first[first][last]`.
fn surname_weights_given_first(
    comparisons: &[Comparison],
    names: NamePair,
    m: &LevelTable,
    u_given_first: &[Vec<f64>],
    conflict_weight: f64,
) -> Vec<Vec<f64>> {
    let surname = std::slice::from_ref(&comparisons[names.last]);
    u_given_first
        .iter()
        .map(|u| {
            level_weights(
                surname,
                &m[names.last..=names.last].to_vec(),
                &vec![u.clone()],
                conflict_weight,
            )
            .remove(0)
        })
        .collect()
}

/// Per counted level, the pattern counts of the pairs anchored there
/// (their first counted level, in comparison order).
fn patterns_by_anchor(
    comparisons: &[Comparison],
    counted: &[CountedLevel],
    pattern_counts: &[((u32, Pattern), u64)],
) -> Vec<Vec<(Pattern, u64)>> {
    let anchor_of = anchor_index(comparisons, counted);
    let mut by_anchor: Vec<FxHashMap<Pattern, u64>> = vec![FxHashMap::default(); counted.len()];
    for &((_, pattern), count) in pattern_counts {
        if let Some(anchor) = anchor_of_pattern(&anchor_of, pattern) {
            *by_anchor[anchor].entry(pattern).or_default() += count;
        }
    }
    by_anchor
        .into_iter()
        .map(|patterns| {
            let mut patterns: Vec<_> = patterns.into_iter().collect();
            patterns.sort_unstable();
            patterns
        })
        .collect()
}

/// `anchor_index[c][l]`: the index among `counted` of comparison `c`'s
/// level `l`, if counted.
fn anchor_index(comparisons: &[Comparison], counted: &[CountedLevel]) -> Vec<[Option<u8>; 16]> {
    let mut anchor_of = vec![[None; 16]; comparisons.len()];
    for (index, level) in counted.iter().enumerate() {
        anchor_of[level.comparison][level.level as usize] = Some(index as u8);
    }
    anchor_of
}

/// The counted level a pattern is anchored at: its first, in comparison
/// order.
fn anchor_of_pattern(anchor_of: &[[Option<u8>; 16]], pattern: Pattern) -> Option<usize> {
    anchor_of
        .iter()
        .enumerate()
        .find_map(|(c, levels)| levels[pattern_level(pattern, c) as usize])
        .map(usize::from)
}

/// The matches expected among each counted level's candidates, each pair
/// judged by the EM of the level it is anchored at.
fn matches_at_levels(
    counted: &[CountedLevel],
    anchor_patterns: &[Vec<(Pattern, u64)>],
    anchors: &[AnchorFit],
) -> Vec<f64> {
    counted
        .iter()
        .map(|level| {
            anchor_patterns
                .iter()
                .zip(anchors)
                .flat_map(|(patterns, fit)| patterns.iter().zip(&fit.posteriors))
                .filter(|((pattern, _), _)| {
                    pattern_level(*pattern, level.comparison) == level.level
                })
                .map(|((_, count), posterior)| posterior * *count as f64)
                .sum()
        })
        .collect()
}

/// m of the comparisons the sessions leave out (`estimated_by_em` false):
/// over every candidate pair, the share at each level among the pairs the
/// other comparisons say are one person (each weighed by its posterior
/// without the comparison itself, `prior` the model's prior log-odds),
/// with one pseudo-pair spread as the initial m.
fn estimate_m_outside_sessions(
    comparisons: &[Comparison],
    pattern_counts: &[((u32, Pattern), u64)],
    mut m: LevelTable,
    (u, counted): (&UTables, &[CountedLevel]),
    conflict_weight: f64,
    prior: f64,
) -> LevelTable {
    let weights = Weights::new(comparisons, &m, u, counted, conflict_weight);
    let prior_m = initial_m(comparisons);
    for (c, comparison) in comparisons.iter().enumerate() {
        if comparison.estimated_by_em {
            continue;
        }
        let informative = informative_levels(comparison);
        let mut mass = vec![0.0; comparison.levels.len()];
        for &((_, pattern), count) in pattern_counts {
            let level = pattern_level(pattern, c) as usize;
            if !informative.contains(&level) {
                continue;
            }
            let weight = weights.of_pattern(pattern, |other| other != c, comparisons.len());
            mass[level] += posterior(prior, weight) * count as f64;
        }
        let total: f64 = informative.iter().map(|&l| mass[l]).sum();
        for &l in &informative {
            m[c][l] = (mass[l] + prior_m[c][l]) / (total + 1.0);
        }
    }
    m
}

/// Pseudo-pairs spread as the general u over the levels of a comparison
/// among the non-matching pairs at a counted level (`fit_anchor`).
const ANCHORED_PRIOR_PAIRS: f64 = 20.0;

/// `table` raised to `floor` wherever it is lower.
fn at_least(table: &LevelTable, floor: &LevelTable) -> LevelTable {
    table
        .iter()
        .zip(floor)
        .map(|(row, floor_row)| {
            row.iter()
                .zip(floor_row)
                .map(|(value, floor)| value.max(*floor))
                .collect()
        })
        .collect()
}

/// One EM session per blocking rule, on the pairs it proposed, in
/// parallel (EM is the model's only serial work), in rule order; a rule
/// with too few pairs has none.
fn em_sessions(
    comparisons: &[Comparison],
    candidates: &Candidates,
    pattern_counts: &[((u32, Pattern), u64)],
    fixed_by_rule: &[Vec<bool>],
    start_m: &LevelTable,
    (u, counted): (&UTables, &[CountedLevel]),
    settings: &MatchSettings,
) -> (Vec<Option<SessionEstimate>>, Vec<EmSessionSummary>) {
    candidates
        .rules
        .par_iter()
        .enumerate()
        .map(|(rule_index, rule)| {
            let bit = 1u32 << rule_index;
            let mut session_patterns: FxHashMap<Pattern, u64> = FxHashMap::default();
            for &((mask, pattern), count) in pattern_counts {
                if mask & bit != 0 {
                    *session_patterns.entry(pattern).or_default() += count;
                }
            }
            let mut session_patterns: Vec<_> = session_patterns.into_iter().collect();
            session_patterns.sort_unstable();
            let fixed = &fixed_by_rule[rule_index];
            let active: Vec<bool> = comparisons
                .iter()
                .zip(fixed)
                .map(|(c, fixed)| c.estimated_by_em && !fixed)
                .collect();
            let pairs: u64 = session_patterns.iter().map(|(_, count)| count).sum();
            let estimate = (pairs >= MINIMUM_SESSION_PAIRS).then(|| {
                em_session(
                    comparisons,
                    &session_patterns,
                    &active,
                    start_m,
                    (u, counted),
                    settings.conflict_weight,
                    settings.em_iterations,
                    0.3,
                )
            });
            let summary = EmSessionSummary {
                rule: rule.name.clone(),
                pairs,
                fixed: comparisons
                    .iter()
                    .zip(fixed)
                    .filter(|(_, fixed)| **fixed)
                    .map(|(c, _)| c.name.clone())
                    .collect(),
                match_share: estimate.as_ref().map_or(0.0, |e| e.match_share),
            };
            (estimate, summary)
        })
        .unzip()
}

/// The comparisons an EM session on a blocking rule's pairs leaves out:
/// those the rule keys on (its pairs agree on them by construction), and
/// those its keys depend on. Logins are made of names, so pairs found by
/// their emails agree on names far more often than chance; left in, the
/// names would convince EM that most such pairs are one person.
fn rule_fields(kind: RuleKind) -> Vec<Field> {
    match kind {
        RuleKind::PhoneExact | RuleKind::PhoneOneEdit => vec![Field::Phone, Field::Channels],
        RuleKind::PhoneTwoSubstitutionsFirstName => {
            vec![Field::Phone, Field::Channels, Field::FirstName]
        }
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
                    counted_by: None,
                },
                Level {
                    name: "agree",
                    role: LevelRole::Evidence,
                    initial_m: 0.6,
                    counted_by: None,
                },
                Level {
                    name: "else",
                    role: LevelRole::Evidence,
                    initial_m: 0.4,
                    counted_by: None,
                },
            ],
            term_frequency_levels: &[],
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

    /// Pattern counts of a planted mixture over two-level comparisons:
    /// `matches` and `non_matches` pairs, comparison `c` agreeing with
    /// probability `m[c]` among the first, `u[c]` among the second,
    /// independently.
    fn planted(matches: f64, non_matches: f64, m: &[f64], u: &[f64]) -> Vec<(Pattern, u64)> {
        let count = m.len();
        (0..1u32 << count)
            .map(|bits| {
                let agree = |c: usize| bits & (1 << c) != 0;
                let likelihood = |p: &[f64]| {
                    (0..count)
                        .map(|c| if agree(c) { p[c] } else { 1.0 - p[c] })
                        .product::<f64>()
                };
                let mut levels = [0u8; MAX_COMPARISONS];
                for (c, level) in levels.iter_mut().enumerate().take(count) {
                    *level = if agree(c) { 1 } else { 2 };
                }
                let expected = matches * likelihood(m) + non_matches * likelihood(u);
                (pack_levels(&levels), expected.round() as u64)
            })
            .collect()
    }

    #[test]
    fn counted_levels_take_u_from_the_candidates_less_the_matches_among_them() {
        let sampled = vec![vec![1.0, 0.5, 0.5]];
        let counted = [CountedLevel {
            comparison: 0,
            level: 1,
            candidates: 1_000,
            informative_pairs: 1e9,
        }];
        let u = with_counted_levels(&sampled, &counted, &[400.0]);
        assert_eq!(u[0][1], 600.0 / 1e9);
        // The sample's value elsewhere stands.
        assert_eq!(u[0][2], 0.5);
        // All matches: half a pair, never zero.
        let u = with_counted_levels(&sampled, &counted, &[1_000.0]);
        assert_eq!(u[0][1], 0.5 / 1e9);
    }

    #[test]
    fn pairs_at_a_counted_level_are_judged_against_the_non_matches_there() {
        // At the counted level (comparison 0), 3000 matches and 7000
        // non-matches; among the latter a surname (comparison 1) agrees in
        // 60% of pairs (families on neighbouring numbers), against 1% among
        // random pairs; a first name (2) and a birth date (3) in 5% and 2%.
        let comparisons: Vec<_> = (0..4)
            .map(|i| two_level_comparison(&format!("c{i}")))
            .collect();
        let patterns: Vec<(Pattern, u64)> = planted(
            3000.0,
            7000.0,
            &[1.0, 0.9, 0.85, 0.9],
            &[1.0, 0.6, 0.05, 0.02],
        );
        let m = vec![
            vec![1.0, 1.0, 0.0],
            vec![1.0, 0.9, 0.1],
            vec![1.0, 0.85, 0.15],
            vec![1.0, 0.9, 0.1],
        ];
        let general = vec![
            vec![1.0, 0.001, 0.999],
            vec![1.0, 0.01, 0.99],
            vec![1.0, 0.05, 0.95],
            vec![1.0, 0.02, 0.98],
        ];
        let anchor = CountedLevel {
            comparison: 0,
            level: 1,
            candidates: 10_000,
            informative_pairs: 1e9,
        };
        let fit = fit_anchor(&comparisons, &anchor, &patterns, &m, &general, -4.0);
        assert!((fit.match_share - 0.3).abs() < 0.02, "{}", fit.match_share);
        assert!((fit.u[1][1] - 0.6).abs() < 0.03, "{:?}", fit.u[1]);
        assert!((fit.u[3][1] - 0.02).abs() < 0.01, "{:?}", fit.u[3]);
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
        let tables = UTables {
            general: u.clone(),
            same_name: u,
            anchored: Vec::new(),
            anchored_surname_given_first: Vec::new(),
        };
        let estimate = em_session(
            &comparisons,
            &patterns,
            &[true, true, true],
            &initial_m(&comparisons),
            (&tables, &[]),
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
