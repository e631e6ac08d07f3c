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
#[derive(Debug, Clone)]
pub struct UTables {
    pub general: LevelTable,
    pub same_name: LevelTable,
    /// Per counted level (in `counted` order): u among the non-matching
    /// pairs at that level.
    pub anchored: Vec<LevelTable>,
}

/// Which non-matching pairs a pair is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Random pairs.
    General,
    /// Pairs sharing a full name: their logins and patronymics agree more
    /// often (`estimate_u_among_namesakes`).
    SameName,
    /// Pairs at the counted level `counted[i]` (phones one digit apart,
    /// one login on two domains...). Among those, the other fields agree
    /// far more often than among random pairs: a husband's and wife's
    /// numbers run in sequence and their logins differ in an initial,
    /// their surnames agree. Judging the other fields against these pairs,
    /// not against random ones, is what keeps such a family apart.
    Anchored(usize),
}

/// Level weights in each context.
#[derive(Debug, Clone)]
pub struct Weights {
    pub general: LevelTable,
    pub same_name: LevelTable,
    pub anchored: Vec<LevelTable>,
    /// `anchor_of[c][l]`: the index in `anchored` of comparison `c`'s
    /// counted level `l`.
    anchor_of: Vec<[Option<u8>; 16]>,
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
        let mut anchor_of = vec![[None; 16]; comparisons.len()];
        for (index, level) in counted.iter().enumerate() {
            anchor_of[level.comparison][level.level as usize] = Some(index as u8);
        }
        Weights {
            general: level_weights(comparisons, m, &u.general, conflict_weight),
            same_name: level_weights(comparisons, m, &u.same_name, conflict_weight),
            anchored: u
                .anchored
                .iter()
                .map(|table| level_weights(comparisons, m, table, conflict_weight))
                .collect(),
            anchor_of,
            first_name: position(Field::FirstName),
            last_name: position(Field::LastName),
        }
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
            Some(index) => Context::Anchored(index as usize),
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
            Context::Anchored(index) => &self.anchored[index],
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
#[derive(Debug, Clone)]
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
    pub prior_match_probability: f64,
    pub sessions: Vec<EmSessionSummary>,
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
    let pattern_counts = count_patterns(
        candidates
            .pairs
            .par_iter()
            .zip(levels.par_iter())
            .map(|(pair, levels)| (pair.rules, pack_levels(levels))),
    );
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

    let mut matches_at_counted = vec![0.0; counted.len()];
    let mut previous_prior = 0.0;
    // Per counted level, per comparison and level: candidates there, and
    // the matches expected among them (none, before the first round).
    let anchored_candidates = anchored_counts(comparisons, &counted, &pattern_counts, |_| 1.0);
    let mut anchored_matches = anchored_counts(comparisons, &counted, &pattern_counts, |_| 0.0);
    let mut round = 0;
    loop {
        let general = with_counted_levels(&sampled_u, &counted, &matches_at_counted);
        let u = UTables {
            same_name: at_least(&sampled_namesake_u, &general),
            anchored: counted
                .iter()
                .enumerate()
                .map(|(index, level)| {
                    anchored_u(
                        comparisons,
                        level,
                        &general,
                        &anchored_candidates[index],
                        &anchored_matches[index],
                    )
                })
                .collect(),
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
        let mut m = combine_sessions(comparisons, sessions.iter().flatten());
        if round > 0 {
            m = estimate_m_outside_sessions(
                comparisons,
                &pattern_counts,
                m,
                (&u, &counted),
                settings.conflict_weight,
                log_odds(previous_prior),
            );
        }
        let weights = Weights::new(comparisons, &m, &u, &counted, settings.conflict_weight);
        let expected = expected_matches(
            comparisons,
            &pattern_counts,
            &sessions,
            &fixed_by_rule,
            &weights,
        );
        let prior_match_probability = if all_pairs > 0.0 && expected > 0.0 {
            (expected / all_pairs).clamp(1e-15, 0.5)
        } else {
            // Nothing to estimate from: one match per profile, a cautious guess.
            (records.len() as f64 / all_pairs.max(1.0)).clamp(1e-15, 0.5)
        };
        round += 1;
        if round == COUNTED_U_ROUNDS || counted.is_empty() {
            return Fitted {
                m,
                u,
                weights,
                random_counts,
                namesake_pairs,
                counted,
                matches_at_counted,
                expected_matches: expected,
                prior_match_probability,
                sessions: summaries,
            };
        }
        previous_prior = prior_match_probability;
        let prior = log_odds(prior_match_probability);
        let posterior_of = |pattern: Pattern| {
            posterior(
                prior,
                weights.of_pattern(pattern, |_| true, comparisons.len()),
            )
        };
        anchored_matches = anchored_counts(comparisons, &counted, &pattern_counts, posterior_of);
        matches_at_counted = counted
            .iter()
            .map(|level| {
                pattern_counts
                    .iter()
                    .filter(|((_, pattern), _)| {
                        pattern_level(*pattern, level.comparison) == level.level
                    })
                    .map(|&((_, pattern), count)| posterior_of(pattern) * count as f64)
                    .sum()
            })
            .collect();
    }
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
/// among the non-matching pairs at a counted level: the general u is what
/// a level with few such pairs falls back to, and a level none of them
/// reached keeps a chance.
const ANCHORED_PRIOR_PAIRS: f64 = 20.0;

/// Per counted level, per comparison and level: the pattern counts at the
/// counted level, each weighed by `weight(pattern)` (1 counts the
/// candidates, a posterior the expected matches).
fn anchored_counts(
    comparisons: &[Comparison],
    counted: &[CountedLevel],
    pattern_counts: &[((u32, Pattern), u64)],
    weight: impl Fn(Pattern) -> f64,
) -> Vec<LevelTable> {
    let mut tables: Vec<LevelTable> = counted
        .iter()
        .map(|_| {
            comparisons
                .iter()
                .map(|c| vec![0.0; c.levels.len()])
                .collect()
        })
        .collect();
    let mut anchor_of = vec![[None; 16]; comparisons.len()];
    for (index, level) in counted.iter().enumerate() {
        anchor_of[level.comparison][level.level as usize] = Some(index);
    }
    for &((_, pattern), count) in pattern_counts {
        let anchor = anchor_of
            .iter()
            .enumerate()
            .find_map(|(c, levels)| levels[pattern_level(pattern, c) as usize]);
        let Some(anchor) = anchor else {
            continue;
        };
        let mass = weight(pattern) * count as f64;
        for (c, levels) in tables[anchor].iter_mut().enumerate() {
            levels[pattern_level(pattern, c) as usize] += mass;
        }
    }
    tables
}

/// u among the non-matching pairs at a counted level: for each other
/// comparison, its candidates at the level less the matches expected
/// there, with `ANCHORED_PRIOR_PAIRS` spread as the general u; the counted
/// comparison itself keeps its general u (the level's own count).
fn anchored_u(
    comparisons: &[Comparison],
    anchor: &CountedLevel,
    general: &LevelTable,
    candidates: &LevelTable,
    matches: &LevelTable,
) -> LevelTable {
    comparisons
        .iter()
        .enumerate()
        .map(|(c, comparison)| {
            if c == anchor.comparison {
                return general[c].clone();
            }
            let informative = informative_levels(comparison);
            let non_matches = |l: usize| (candidates[c][l] - matches[c][l]).max(0.0);
            let total: f64 = informative.iter().map(|&l| non_matches(l)).sum();
            (0..comparison.levels.len())
                .map(|l| {
                    if informative.contains(&l) {
                        (non_matches(l) + ANCHORED_PRIOR_PAIRS * general[c][l])
                            / (total + ANCHORED_PRIOR_PAIRS)
                    } else {
                        1.0
                    }
                })
                .collect()
        })
        .collect()
}

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
