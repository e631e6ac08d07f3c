//! `sailmerge eval`: how far a clustering (`clusters.csv`) is from the truth
//! (`truth.csv`), in the measures record linkage is judged by.
//!
//! The universe is the set of profiles in the truth file. A profile absent
//! from `clusters.csv` is a singleton; a `user_id` in `clusters.csv` that the
//! truth does not know is an error (the files do not belong together).
//!
//! Pairwise measures count unordered pairs of profiles: a predicted pair is
//! two profiles in one predicted cluster, a true pair two profiles of one
//! entity. They are counted combinatorially from the contingency table of
//! (predicted cluster, entity) cell sizes n: true positives = Σ C(n, 2),
//! predicted pairs = Σ C(cluster size, 2), true pairs = Σ C(entity size, 2);
//! never by enumerating pairs. B-cubed averages, over every profile p, the
//! share of p's predicted cluster that is p's entity (precision) and the
//! share of p's entity that is in p's cluster (recall).
//!
//! Conventions for empty cases: with no predicted pairs, pairwise precision
//! is 1 (no claim was wrong) and recall is 0 unless there is nothing to find;
//! with no true pairs, recall is 1 (nothing was missed). F1 is 0 when both
//! precision and recall are 0.
//!
//! With the generator's `annotations.csv`, recall is also broken down by
//! variation kind (over true pairs with at least one profile showing it) and
//! wrong links by hard-negative kind (pairs of different people of one group
//! that were put in one cluster).
//!
//! With the scored candidate pairs of `sailmerge plan --pairs` (columns
//! `left`, `right`, `probability`), the stated probabilities are checked
//! against the truth: per probability band, the mean stated probability and
//! the observed share of true pairs, flagged where they differ by more than
//! `CALIBRATION_TOLERANCE` in a band holding `CALIBRATION_MIN_PAIRS` pairs or
//! more; and the pairwise recall reachable at pair precision
//! `RANKED_PRECISION` by linking the candidates whose stated probability is
//! at or above the best threshold (ties are never split, and no transitive
//! closure is taken: each pair counts on its own). Recall counts against all
//! true pairs of the truth, candidates or not.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// Labels of one profile set: for each profile (by index), the id of its
/// entity in the truth and of its predicted cluster. Singletons must carry
/// labels of their own.
#[derive(Debug, Clone)]
pub struct Labelling {
    pub entity: Vec<u32>,
    pub cluster: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Scores {
    fn new(precision: f64, recall: f64) -> Scores {
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Scores {
            precision,
            recall,
            f1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub profiles: usize,
    pub true_entities: usize,
    pub true_entities_with_duplicates: usize,
    pub true_pairs: u64,
    /// Predicted clusters of two or more profiles.
    pub predicted_clusters: usize,
    pub predicted_pairs: u64,
    pub true_positive_pairs: u64,
    pub false_positive_pairs: u64,
    pub false_negative_pairs: u64,
    pub pairwise: Scores,
    pub b_cubed: Scores,
    /// Predicted clusters holding profiles of two or more entities.
    pub wrong_merges: usize,
    /// `wrong_merges` over `predicted_clusters` (0 when there are none).
    pub wrong_merge_share: f64,
    pub largest_cluster: usize,
}

fn pairs(size: u64) -> u64 {
    size * size.saturating_sub(1) / 2
}

/// All measures, in O(n) expected time.
pub fn measure(labels: &Labelling) -> Metrics {
    assert_eq!(labels.entity.len(), labels.cluster.len());
    let profiles = labels.entity.len();
    let mut cells: HashMap<(u32, u32), u64> = HashMap::with_capacity(profiles);
    let mut cluster_sizes: HashMap<u32, u64> = HashMap::with_capacity(profiles);
    let mut entity_sizes: HashMap<u32, u64> = HashMap::with_capacity(profiles);
    for (&entity, &cluster) in labels.entity.iter().zip(&labels.cluster) {
        *cells.entry((cluster, entity)).or_default() += 1;
        *cluster_sizes.entry(cluster).or_default() += 1;
        *entity_sizes.entry(entity).or_default() += 1;
    }
    let true_positive_pairs: u64 = cells.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = cluster_sizes.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = entity_sizes.values().map(|&n| pairs(n)).sum();
    let precision = if predicted_pairs == 0 {
        1.0
    } else {
        true_positive_pairs as f64 / predicted_pairs as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        true_positive_pairs as f64 / true_pairs as f64
    };

    let mut b_cubed_precision = 0.0;
    let mut b_cubed_recall = 0.0;
    let mut entities_per_cluster: HashMap<u32, usize> = HashMap::new();
    for (&(cluster, entity), &n) in &cells {
        let n = n as f64;
        b_cubed_precision += n * n / cluster_sizes[&cluster] as f64;
        b_cubed_recall += n * n / entity_sizes[&entity] as f64;
        *entities_per_cluster.entry(cluster).or_default() += 1;
    }
    let (b_cubed_precision, b_cubed_recall) = if profiles == 0 {
        (1.0, 1.0)
    } else {
        (
            b_cubed_precision / profiles as f64,
            b_cubed_recall / profiles as f64,
        )
    };

    let predicted_clusters = cluster_sizes.values().filter(|&&n| n >= 2).count();
    let wrong_merges = entities_per_cluster.values().filter(|&&n| n >= 2).count();
    Metrics {
        profiles,
        true_entities: entity_sizes.len(),
        true_entities_with_duplicates: entity_sizes.values().filter(|&&n| n >= 2).count(),
        true_pairs,
        predicted_clusters,
        predicted_pairs,
        true_positive_pairs,
        false_positive_pairs: predicted_pairs - true_positive_pairs,
        false_negative_pairs: true_pairs - true_positive_pairs,
        pairwise: Scores::new(precision, recall),
        b_cubed: Scores::new(b_cubed_precision, b_cubed_recall),
        wrong_merges,
        wrong_merge_share: if predicted_clusters == 0 {
            0.0
        } else {
            wrong_merges as f64 / predicted_clusters as f64
        },
        largest_cluster: cluster_sizes.values().copied().max().unwrap_or(0) as usize,
    }
}

/// The truth: user ids in file order, and each one's entity label.
#[derive(Debug, Clone)]
pub struct Truth {
    pub user_ids: Vec<String>,
    pub index: HashMap<String, usize>,
    pub entity: Vec<u32>,
}

fn open_csv(path: &Path, what: &str) -> Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot open the {what} file {}", path.display()))
}

fn column(headers: &csv::StringRecord, name: &str, path: &Path, flag: &str) -> Result<usize> {
    headers.iter().position(|h| h == name).with_context(|| {
        format!(
            "{}: line 1: no `{name}` column (header: {}); {flag} needs a CSV with columns {}",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(","),
            match flag {
                "--truth" => "user_id,entity_id",
                "--pairs" => "left,right,probability (as `sailmerge plan --pairs` writes it)",
                "--annotations" => "user_id,group_id,hard_negative,variations",
                _ => "user_id,cluster_id",
            }
        )
    })
}

/// Reads `truth.csv` (`user_id,entity_id`, other columns ignored).
pub fn read_truth(path: &Path) -> Result<Truth> {
    let mut reader = open_csv(path, "truth")?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let user_column = column(&headers, "user_id", path, "--truth")?;
    let entity_column = column(&headers, "entity_id", path, "--truth")?;
    let mut truth = Truth {
        user_ids: Vec::new(),
        index: HashMap::new(),
        entity: Vec::new(),
    };
    let mut entity_labels: HashMap<String, u32> = HashMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        let user_id = record.get(user_column).unwrap_or("");
        let entity_id = record.get(entity_column).unwrap_or("");
        if user_id.is_empty() || entity_id.is_empty() {
            bail!(
                "{}: line {line}: empty user_id or entity_id; every truth row needs both",
                path.display()
            );
        }
        if truth.index.contains_key(user_id) {
            bail!(
                "{}: line {line}: user_id {user_id} appears a second time; the truth gives each profile one entity",
                path.display()
            );
        }
        let next_label = entity_labels.len() as u32;
        let label = *entity_labels
            .entry(entity_id.to_string())
            .or_insert(next_label);
        truth
            .index
            .insert(user_id.to_string(), truth.user_ids.len());
        truth.user_ids.push(user_id.to_string());
        truth.entity.push(label);
    }
    if truth.user_ids.is_empty() {
        bail!("{}: the truth holds no profiles", path.display());
    }
    Ok(truth)
}

/// Reads `clusters.csv` (`user_id,cluster_id`, other columns ignored) and
/// labels every truth profile: its cluster, or a singleton label of its own.
pub fn read_clusters(path: &Path, truth: &Truth) -> Result<Vec<u32>> {
    const SHOWN: usize = 5;
    let mut reader = open_csv(path, "clusters")?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let user_column = column(&headers, "user_id", path, "CLUSTERS")?;
    let cluster_column = column(&headers, "cluster_id", path, "CLUSTERS")?;
    let mut labels: Vec<Option<u32>> = vec![None; truth.user_ids.len()];
    let mut cluster_labels: HashMap<String, u32> = HashMap::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut unknown_count = 0usize;
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        let user_id = record.get(user_column).unwrap_or("");
        let cluster_id = record.get(cluster_column).unwrap_or("");
        if user_id.is_empty() || cluster_id.is_empty() {
            bail!(
                "{}: line {line}: empty user_id or cluster_id",
                path.display()
            );
        }
        let Some(&profile) = truth.index.get(user_id) else {
            unknown_count += 1;
            if unknown.len() < SHOWN {
                unknown.push(format!("line {line}: {user_id}"));
            }
            continue;
        };
        if labels[profile].is_some() {
            bail!(
                "{}: line {line}: user_id {user_id} is listed a second time; a profile belongs to one cluster",
                path.display()
            );
        }
        let next_label = cluster_labels.len() as u32;
        labels[profile] = Some(
            *cluster_labels
                .entry(cluster_id.to_string())
                .or_insert(next_label),
        );
    }
    if unknown_count > 0 {
        bail!(
            "{}: {unknown_count} user_id(s) are not in the truth file ({}{}); are the two files from the same export?",
            path.display(),
            unknown.join(", "),
            if unknown_count > SHOWN { ", ..." } else { "" }
        );
    }
    let mut next_singleton = cluster_labels.len() as u32;
    Ok(labels
        .into_iter()
        .map(|label| {
            label.unwrap_or_else(|| {
                next_singleton += 1;
                next_singleton - 1
            })
        })
        .collect())
}

/// Recall of true pairs touched by one variation kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct KindRecall {
    pub true_pairs: u64,
    pub found: u64,
    pub recall: f64,
}

/// Wrong links among the different people of hard-negative groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct KindConfusion {
    pub people_pairs: u64,
    pub linked: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Breakdown {
    pub recall_by_variation: BTreeMap<String, KindRecall>,
    pub linked_by_hard_negative: BTreeMap<String, KindConfusion>,
}

/// Per-profile annotation from the generator.
#[derive(Debug, Clone, Default)]
pub struct Annotation {
    pub group: String,
    pub hard_negative: String,
    pub variations: Vec<String>,
}

/// Reads the generator's `annotations.csv`, indexed like the truth.
pub fn read_annotations(path: &Path, truth: &Truth) -> Result<Vec<Annotation>> {
    let mut reader = open_csv(path, "annotations")?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let user_column = column(&headers, "user_id", path, "--annotations")?;
    let group_column = column(&headers, "group_id", path, "--annotations")?;
    let kind_column = column(&headers, "hard_negative", path, "--annotations")?;
    let variations_column = column(&headers, "variations", path, "--annotations")?;
    let mut annotations = vec![Annotation::default(); truth.user_ids.len()];
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        let user_id = record.get(user_column).unwrap_or("");
        let Some(&profile) = truth.index.get(user_id) else {
            bail!(
                "{}: line {line}: user_id {user_id} is not in the truth file",
                path.display()
            );
        };
        annotations[profile] = Annotation {
            group: record.get(group_column).unwrap_or("").to_string(),
            hard_negative: record.get(kind_column).unwrap_or("").to_string(),
            variations: record
                .get(variations_column)
                .unwrap_or("")
                .split('|')
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect(),
        };
    }
    Ok(annotations)
}

/// Recall per variation and wrong links per hard-negative kind. Pairs are
/// enumerated inside entities and inside groups only, which the generator
/// keeps small.
pub fn break_down(labels: &Labelling, annotations: &[Annotation]) -> Breakdown {
    let mut breakdown = Breakdown::default();
    let mut by_entity: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut by_group: HashMap<&str, Vec<usize>> = HashMap::new();
    for (profile, &entity) in labels.entity.iter().enumerate() {
        by_entity.entry(entity).or_default().push(profile);
        let annotation = &annotations[profile];
        if !annotation.hard_negative.is_empty() {
            by_group
                .entry(annotation.group.as_str())
                .or_default()
                .push(profile);
        }
    }
    for members in by_entity.values().filter(|m| m.len() >= 2) {
        for (position, &left) in members.iter().enumerate() {
            for &right in &members[position + 1..] {
                let found = labels.cluster[left] == labels.cluster[right];
                let mut kinds: Vec<&String> = annotations[left]
                    .variations
                    .iter()
                    .chain(&annotations[right].variations)
                    .collect();
                kinds.sort();
                kinds.dedup();
                for kind in kinds {
                    let entry = breakdown
                        .recall_by_variation
                        .entry(kind.clone())
                        .or_default();
                    entry.true_pairs += 1;
                    entry.found += u64::from(found);
                }
            }
        }
    }
    for entry in breakdown.recall_by_variation.values_mut() {
        entry.recall = entry.found as f64 / entry.true_pairs as f64;
    }
    // Placeholder people are singleton groups; all of them form one set of
    // look-alikes.
    let mut placeholders: Vec<usize> = Vec::new();
    for members in by_group.values() {
        let kind = &annotations[members[0]].hard_negative;
        if kind == "placeholder" {
            placeholders.extend(members);
            continue;
        }
        count_cross_entity_links(labels, members, kind, &mut breakdown);
    }
    if !placeholders.is_empty() {
        placeholders.sort_unstable();
        count_placeholder_links(labels, &placeholders, &mut breakdown);
    }
    breakdown
}

fn count_cross_entity_links(
    labels: &Labelling,
    members: &[usize],
    kind: &str,
    breakdown: &mut Breakdown,
) {
    let entry = breakdown
        .linked_by_hard_negative
        .entry(kind.to_string())
        .or_default();
    for (position, &left) in members.iter().enumerate() {
        for &right in &members[position + 1..] {
            if labels.entity[left] != labels.entity[right] {
                entry.people_pairs += 1;
                entry.linked += u64::from(labels.cluster[left] == labels.cluster[right]);
            }
        }
    }
}

/// Placeholder look-alikes can be many: count cross-entity pairs by cluster
/// combinatorially rather than by enumeration.
fn count_placeholder_links(labels: &Labelling, members: &[usize], breakdown: &mut Breakdown) {
    let mut per_entity: HashMap<u32, u64> = HashMap::new();
    let mut per_cluster: HashMap<u32, u64> = HashMap::new();
    let mut per_cell: HashMap<(u32, u32), u64> = HashMap::new();
    for &profile in members {
        let (entity, cluster) = (labels.entity[profile], labels.cluster[profile]);
        *per_entity.entry(entity).or_default() += 1;
        *per_cluster.entry(cluster).or_default() += 1;
        *per_cell.entry((cluster, entity)).or_default() += 1;
    }
    let all_pairs = pairs(members.len() as u64);
    let same_entity: u64 = per_entity.values().map(|&n| pairs(n)).sum();
    let same_cluster: u64 = per_cluster.values().map(|&n| pairs(n)).sum();
    let same_both: u64 = per_cell.values().map(|&n| pairs(n)).sum();
    let entry = breakdown
        .linked_by_hard_negative
        .entry("placeholder".to_string())
        .or_default();
    entry.people_pairs += all_pairs - same_entity;
    entry.linked += same_cluster - same_both;
}

/// Lower and upper edges of the calibration bands; a band holds
/// probabilities `from <= p < to`, the last one also p = 1.
pub const BANDS: [(f64, f64); 12] = [
    (0.0, 0.1),
    (0.1, 0.2),
    (0.2, 0.3),
    (0.3, 0.4),
    (0.4, 0.5),
    (0.5, 0.6),
    (0.6, 0.7),
    (0.7, 0.8),
    (0.8, 0.9),
    (0.9, 0.95),
    (0.95, 0.99),
    (0.99, 1.0),
];

/// A band is miscalibrated when its observed share of true pairs is further
/// than this from its mean stated probability...
pub const CALIBRATION_TOLERANCE: f64 = 0.08;
/// ... and it holds at least this many pairs.
pub const CALIBRATION_MIN_PAIRS: u64 = 200;
/// Bands from this probability on are those a linking threshold lives in.
pub const WORST_GAP_FROM: f64 = 0.5;
/// The pair precision at which recall by ranking is reported.
pub const RANKED_PRECISION: f64 = 0.99;

/// One scored candidate pair: its stated probability and whether the truth
/// makes it one person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatedPair {
    pub probability: f64,
    pub same_entity: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    pub from: f64,
    pub to: f64,
    pub pairs: u64,
    /// Mean stated probability (none in an empty band).
    pub mean_probability: Option<f64>,
    /// Share of the band's pairs that are one person.
    pub true_share: Option<f64>,
    /// `true_share − mean_probability`: positive when the scorer states too
    /// little.
    pub difference: Option<f64>,
    /// |difference| > `CALIBRATION_TOLERANCE` with at least
    /// `CALIBRATION_MIN_PAIRS` pairs.
    pub miscalibrated: bool,
}

impl Band {
    pub fn label(&self) -> String {
        format!("{:.2}-{:.2}", self.from, self.to)
    }
}

/// The best a threshold on the stated probability can do at a precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedRecall {
    pub target_precision: f64,
    /// True pairs at or above the threshold over all true pairs.
    pub recall: f64,
    /// Precision of the pairs at or above the threshold (1 when none).
    pub precision: f64,
    /// Candidate pairs at or above the threshold.
    pub pairs: u64,
    pub true_pairs_found: u64,
    /// The threshold: the lowest stated probability linked; none when even
    /// the top-ranked pairs miss the precision.
    pub threshold: Option<f64>,
}

/// The band furthest from its stated probability among those at or above
/// `WORST_GAP_FROM` holding `CALIBRATION_MIN_PAIRS` pairs or more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorstGap {
    pub band: String,
    pub pairs: u64,
    pub difference: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub candidate_pairs: u64,
    pub true_candidate_pairs: u64,
    /// True pairs in the truth, candidates or not.
    pub true_pairs: u64,
    pub bands: Vec<Band>,
    pub worst_gap: Option<WorstGap>,
    pub recall_at_precision: RankedRecall,
}

fn band_index(probability: f64) -> usize {
    BANDS
        .iter()
        .position(|&(_, to)| probability < to)
        .unwrap_or(BANDS.len() - 1)
}

/// The calibration table and recall by ranking of `pairs` (reordered:
/// sorted by falling probability), against a truth of `true_pairs` pairs.
pub fn calibrate(pairs: &mut [StatedPair], true_pairs: u64) -> Calibration {
    let mut sums = [(0u64, 0.0f64, 0u64); BANDS.len()];
    for pair in pairs.iter() {
        let sum = &mut sums[band_index(pair.probability)];
        sum.0 += 1;
        sum.1 += pair.probability;
        sum.2 += u64::from(pair.same_entity);
    }
    let bands: Vec<Band> = BANDS
        .iter()
        .zip(sums)
        .map(|(&(from, to), (count, probability_sum, same))| {
            let (mean_probability, true_share) = if count == 0 {
                (None, None)
            } else {
                (
                    Some(probability_sum / count as f64),
                    Some(same as f64 / count as f64),
                )
            };
            let difference = mean_probability.zip(true_share).map(|(m, t)| t - m);
            Band {
                from,
                to,
                pairs: count,
                mean_probability,
                true_share,
                difference,
                miscalibrated: count >= CALIBRATION_MIN_PAIRS
                    && difference.is_some_and(|d| d.abs() > CALIBRATION_TOLERANCE),
            }
        })
        .collect();
    let worst_gap = bands
        .iter()
        .filter(|band| band.from >= WORST_GAP_FROM && band.pairs >= CALIBRATION_MIN_PAIRS)
        .filter_map(|band| band.difference.map(|difference| (band, difference)))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(band, difference)| WorstGap {
            band: band.label(),
            pairs: band.pairs,
            difference,
        });
    Calibration {
        candidate_pairs: pairs.len() as u64,
        true_candidate_pairs: pairs.iter().filter(|p| p.same_entity).count() as u64,
        true_pairs,
        bands,
        worst_gap,
        recall_at_precision: recall_by_ranking(pairs, true_pairs, RANKED_PRECISION),
    }
}

/// Links the pairs from the most probable down, a group of equal
/// probabilities at a time, and keeps the deepest cut whose precision is
/// still at least `target`.
pub fn recall_by_ranking(pairs: &mut [StatedPair], true_pairs: u64, target: f64) -> RankedRecall {
    pairs.sort_unstable_by(|a, b| b.probability.total_cmp(&a.probability));
    let mut best = RankedRecall {
        target_precision: target,
        recall: 0.0,
        precision: 1.0,
        pairs: 0,
        true_pairs_found: 0,
        threshold: None,
    };
    let (mut linked, mut found) = (0u64, 0u64);
    for group in pairs.chunk_by(|a, b| a.probability == b.probability) {
        linked += group.len() as u64;
        found += group.iter().filter(|pair| pair.same_entity).count() as u64;
        let precision = found as f64 / linked as f64;
        if precision >= target {
            best = RankedRecall {
                target_precision: target,
                recall: if true_pairs == 0 {
                    1.0
                } else {
                    found as f64 / true_pairs as f64
                },
                precision,
                pairs: linked,
                true_pairs_found: found,
                threshold: Some(group[0].probability),
            };
        }
    }
    best
}

/// Reads the scored candidate pairs written by `sailmerge plan --pairs`
/// (`left`, `right`, `probability`; other columns ignored) and marks each
/// pair as one person or not by the truth. A user id the truth does not
/// know, a probability outside [0, 1], a profile paired with itself or a
/// pair listed twice is an error naming the line.
pub fn read_stated_pairs(path: &Path, truth: &Truth) -> Result<Vec<StatedPair>> {
    let mut reader = open_csv(path, "pairs")?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let left_column = column(&headers, "left", path, "--pairs")?;
    let right_column = column(&headers, "right", path, "--pairs")?;
    let probability_column = column(&headers, "probability", path, "--pairs")?;
    let mut pairs = Vec::new();
    let mut keys: Vec<(u32, u32, u64)> = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .with_context(|| format!("{}: malformed CSV", path.display()))?
    {
        let line = record.position().map_or(0, |p| p.line());
        let profile = |column: usize, name: &str| -> Result<usize> {
            let user_id = record.get(column).unwrap_or("");
            truth.index.get(user_id).copied().with_context(|| {
                format!(
                    "{}: line {line}: column {name}: user_id `{user_id}` is not in the truth file; are the two files from the same export?",
                    path.display()
                )
            })
        };
        let left = profile(left_column, "left")?;
        let right = profile(right_column, "right")?;
        if left == right {
            bail!(
                "{}: line {line}: user_id {} is paired with itself",
                path.display(),
                truth.user_ids[left]
            );
        }
        let text = record.get(probability_column).unwrap_or("");
        let probability = text
            .parse::<f64>()
            .ok()
            .filter(|p| (0.0..=1.0).contains(p))
            .with_context(|| {
                format!(
                    "{}: line {line}: column probability: `{text}` is not a probability in [0, 1]",
                    path.display()
                )
            })?;
        keys.push((left.min(right) as u32, left.max(right) as u32, line));
        pairs.push(StatedPair {
            probability,
            same_entity: truth.entity[left] == truth.entity[right],
        });
    }
    keys.sort_unstable();
    if let Some(twice) = keys
        .windows(2)
        .find(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
    {
        bail!(
            "{}: line {}: the pair {},{} is listed a second time (first on line {})",
            path.display(),
            twice[1].2.max(twice[0].2),
            truth.user_ids[twice[0].0 as usize],
            truth.user_ids[twice[0].1 as usize],
            twice[1].2.min(twice[0].2)
        );
    }
    Ok(pairs)
}

/// True pairs of the truth: Σ C(n, 2) over entity sizes.
pub fn true_pairs(truth: &Truth) -> u64 {
    let mut sizes: HashMap<u32, u64> = HashMap::new();
    for &entity in &truth.entity {
        *sizes.entry(entity).or_default() += 1;
    }
    sizes.values().map(|&n| pairs(n)).sum()
}

/// The calibration table as text, one band a line, `!` marking a
/// miscalibrated band.
pub fn render_calibration(calibration: &Calibration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "calibration of the stated probabilities ({} candidate pairs, {} of them true; the truth has {} true pairs)",
        calibration.candidate_pairs, calibration.true_candidate_pairs, calibration.true_pairs
    );
    let _ = writeln!(out, "  band         pairs    stated  observed      diff");
    let number = |value: Option<f64>, signed: bool| match value {
        Some(value) if signed => format!("{value:>+9.4}"),
        Some(value) => format!("{value:>9.4}"),
        None => format!("{:>9}", "-"),
    };
    for band in &calibration.bands {
        let _ = writeln!(
            out,
            "  {:<9} {:>9} {} {} {}{}",
            band.label(),
            band.pairs,
            number(band.mean_probability, false),
            number(band.true_share, false),
            number(band.difference, true),
            if band.miscalibrated { "  !" } else { "" }
        );
    }
    let _ = writeln!(
        out,
        "  ! = observed and stated differ by more than {CALIBRATION_TOLERANCE} in a band of {CALIBRATION_MIN_PAIRS} pairs or more"
    );
    match &calibration.worst_gap {
        Some(gap) => {
            let _ = writeln!(
                out,
                "worst gap at or above {WORST_GAP_FROM} ({CALIBRATION_MIN_PAIRS}+ pairs): {:+.4} in {} ({} pairs)",
                gap.difference, gap.band, gap.pairs
            );
        }
        None => {
            let _ = writeln!(
                out,
                "worst gap at or above {WORST_GAP_FROM}: no band holds {CALIBRATION_MIN_PAIRS} pairs"
            );
        }
    }
    let ranked = &calibration.recall_at_precision;
    let _ = match ranked.threshold {
        Some(threshold) => writeln!(
            out,
            "recall at pair precision {} by ranking on the stated probability: {:.4} ({} pairs at p >= {threshold:.6}, precision {:.4})",
            ranked.target_precision, ranked.recall, ranked.pairs, ranked.precision
        ),
        None => writeln!(
            out,
            "recall at pair precision {} by ranking on the stated probability: 0 (even the top-ranked pairs fall below it)",
            ranked.target_precision
        ),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definitions, by enumerating every pair and every profile.
    fn brute_force(labels: &Labelling) -> Metrics {
        let n = labels.entity.len();
        let (mut true_positive, mut predicted, mut truth) = (0u64, 0u64, 0u64);
        for i in 0..n {
            for j in i + 1..n {
                let same_cluster = labels.cluster[i] == labels.cluster[j];
                let same_entity = labels.entity[i] == labels.entity[j];
                predicted += u64::from(same_cluster);
                truth += u64::from(same_entity);
                true_positive += u64::from(same_cluster && same_entity);
            }
        }
        let (mut precision_sum, mut recall_sum) = (0.0, 0.0);
        for i in 0..n {
            let cluster: Vec<usize> = (0..n)
                .filter(|&j| labels.cluster[j] == labels.cluster[i])
                .collect();
            let entity: Vec<usize> = (0..n)
                .filter(|&j| labels.entity[j] == labels.entity[i])
                .collect();
            let both = cluster.iter().filter(|j| entity.contains(j)).count() as f64;
            precision_sum += both / cluster.len() as f64;
            recall_sum += both / entity.len() as f64;
        }
        let mut clusters: Vec<u32> = labels.cluster.clone();
        clusters.sort_unstable();
        clusters.dedup();
        let mut predicted_clusters = 0;
        let mut wrong_merges = 0;
        let mut largest = 0;
        for cluster in clusters {
            let members: Vec<usize> = (0..n).filter(|&j| labels.cluster[j] == cluster).collect();
            largest = largest.max(members.len());
            if members.len() >= 2 {
                predicted_clusters += 1;
            }
            let mut entities: Vec<u32> = members.iter().map(|&j| labels.entity[j]).collect();
            entities.sort_unstable();
            entities.dedup();
            if entities.len() >= 2 {
                wrong_merges += 1;
            }
        }
        let mut entities = labels.entity.clone();
        entities.sort_unstable();
        let with_duplicates = {
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for e in &entities {
                *counts.entry(*e).or_default() += 1;
            }
            counts.values().filter(|&&c| c >= 2).count()
        };
        entities.dedup();
        Metrics {
            profiles: n,
            true_entities: entities.len(),
            true_entities_with_duplicates: with_duplicates,
            true_pairs: truth,
            predicted_clusters,
            predicted_pairs: predicted,
            true_positive_pairs: true_positive,
            false_positive_pairs: predicted - true_positive,
            false_negative_pairs: truth - true_positive,
            pairwise: Scores::new(
                if predicted == 0 {
                    1.0
                } else {
                    true_positive as f64 / predicted as f64
                },
                if truth == 0 {
                    1.0
                } else {
                    true_positive as f64 / truth as f64
                },
            ),
            b_cubed: Scores::new(precision_sum / n as f64, recall_sum / n as f64),
            wrong_merges,
            wrong_merge_share: if predicted_clusters == 0 {
                0.0
            } else {
                wrong_merges as f64 / predicted_clusters as f64
            },
            largest_cluster: largest,
        }
    }

    fn assert_close(fast: &Metrics, slow: &Metrics) {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(fast.b_cubed.precision, slow.b_cubed.precision));
        assert!(close(fast.b_cubed.recall, slow.b_cubed.recall));
        assert!(close(fast.b_cubed.f1, slow.b_cubed.f1));
        let mut fast = fast.clone();
        fast.b_cubed = slow.b_cubed;
        assert_eq!(&fast, slow);
    }

    proptest! {
        #[test]
        fn measures_equal_the_brute_force_definitions(
            assignments in proptest::collection::vec((0u32..6, 0u32..6), 1..40)
        ) {
            let labels = Labelling {
                entity: assignments.iter().map(|(e, _)| *e).collect(),
                cluster: assignments.iter().map(|(_, c)| *c).collect(),
            };
            assert_close(&measure(&labels), &brute_force(&labels));
        }
    }

    #[test]
    fn no_predictions_give_precision_one_and_recall_zero() {
        let labels = Labelling {
            entity: vec![0, 0, 1, 1, 2],
            cluster: vec![0, 1, 2, 3, 4],
        };
        let metrics = measure(&labels);
        assert_eq!(metrics.pairwise.precision, 1.0);
        assert_eq!(metrics.pairwise.recall, 0.0);
        assert_eq!(metrics.pairwise.f1, 0.0);
        assert_eq!(metrics.predicted_clusters, 0);
        assert_eq!(metrics.wrong_merge_share, 0.0);
        assert_eq!(metrics.largest_cluster, 1);
        assert_close(&metrics, &brute_force(&labels));
    }

    #[test]
    fn nothing_to_find_gives_recall_one() {
        let labels = Labelling {
            entity: vec![0, 1, 2],
            cluster: vec![0, 0, 1],
        };
        let metrics = measure(&labels);
        assert_eq!(metrics.pairwise.recall, 1.0);
        assert_eq!(metrics.pairwise.precision, 0.0);
        assert_eq!(metrics.wrong_merges, 1);
    }

    #[test]
    fn perfect_clustering_scores_one_everywhere() {
        let labels = Labelling {
            entity: vec![5, 5, 7, 9, 9, 9],
            cluster: vec![1, 1, 2, 3, 3, 3],
        };
        let metrics = measure(&labels);
        assert_eq!(metrics.pairwise, Scores::new(1.0, 1.0));
        assert_eq!(metrics.b_cubed, Scores::new(1.0, 1.0));
        assert_eq!(metrics.true_pairs, 4);
        assert_eq!(metrics.true_entities_with_duplicates, 2);
    }

    #[test]
    fn one_big_wrong_cluster() {
        // Entities {0,1} {2,3}; everything in one cluster: 6 predicted
        // pairs, 2 true.
        let labels = Labelling {
            entity: vec![0, 0, 1, 1],
            cluster: vec![0, 0, 0, 0],
        };
        let metrics = measure(&labels);
        assert_eq!(metrics.predicted_pairs, 6);
        assert_eq!(metrics.true_positive_pairs, 2);
        assert!((metrics.pairwise.precision - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(metrics.pairwise.recall, 1.0);
        assert_eq!(metrics.b_cubed.precision, 0.5);
        assert_eq!(metrics.wrong_merges, 1);
        assert_eq!(metrics.wrong_merge_share, 1.0);
        assert_eq!(metrics.largest_cluster, 4);
    }

    #[test]
    fn placeholder_links_count_cross_entity_pairs_in_one_cluster() {
        // Three placeholder people (entities 0, 1, 2; entity 0 has two
        // profiles), profiles 0, 1 and 2 put together.
        let labels = Labelling {
            entity: vec![0, 0, 1, 2],
            cluster: vec![9, 9, 9, 8],
        };
        let annotation = |group: &str| Annotation {
            group: group.to_string(),
            hard_negative: "placeholder".to_string(),
            variations: vec![],
        };
        let annotations = vec![
            annotation("1"),
            annotation("1"),
            annotation("2"),
            annotation("3"),
        ];
        let breakdown = break_down(&labels, &annotations);
        let confusion = breakdown.linked_by_hard_negative["placeholder"];
        // Cross-entity pairs: 6 pairs − 1 same-entity = 5; linked: (0,2), (1,2).
        assert_eq!(
            confusion,
            KindConfusion {
                people_pairs: 5,
                linked: 2
            }
        );
    }

    /// A truth of `people` entities with two profiles each (ids 2k and
    /// 2k+1), written to a file in `dir`.
    fn pair_truth(dir: &Path, people: usize) -> Truth {
        let mut text = String::from("user_id,entity_id\n");
        for person in 0..people {
            let _ = writeln!(text, "{},p{person}", 2 * person);
            let _ = writeln!(text, "{},p{person}", 2 * person + 1);
        }
        let path = dir.join("truth.csv");
        std::fs::write(&path, text).unwrap();
        read_truth(&path).unwrap()
    }

    /// `(probability, true?)` rows as a pairs file: a true pair joins the
    /// two profiles of one person, a false one two people's first profiles.
    fn pairs_file(dir: &Path, rows: &[(f64, bool)]) -> std::path::PathBuf {
        let mut text = String::from("left,right,rules,weight,probability,phone\n");
        for (index, &(probability, same)) in rows.iter().enumerate() {
            let (left, right) = if same {
                (2 * index, 2 * index + 1)
            } else {
                (2 * index, 2 * index + 2)
            };
            let _ = writeln!(text, "{left},{right},phone,1.0,{probability},exact");
        }
        let path = dir.join("pairs.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn calibration_bands_compare_stated_and_observed_and_flag_large_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = Vec::new();
        // 0.5-0.6: 250 pairs stated 0.55, 200 true (0.80): flagged.
        rows.extend((0..250).map(|i| (0.55, i < 200)));
        // 0.3-0.4: 150 pairs stated 0.35, all true: too few to flag.
        rows.extend((0..150).map(|_| (0.35, true)));
        // 0.99-1: 300 pairs at 0.995 and 1.0, 297 true: calibrated.
        rows.extend((0..300).map(|i| (if i % 2 == 0 { 0.995 } else { 1.0 }, i >= 3)));
        // 0.9-0.95 starts at 0.9: 0.9 belongs to it, 0.95 to the next band.
        rows.extend([(0.9, true), (0.95, false)]);
        let truth = pair_truth(dir.path(), rows.len() + 1);
        let path = pairs_file(dir.path(), &rows);
        let mut pairs = read_stated_pairs(&path, &truth).unwrap();
        let calibration = calibrate(&mut pairs, true_pairs(&truth));
        assert_eq!(calibration.candidate_pairs, 702);
        assert_eq!(calibration.true_candidate_pairs, 200 + 150 + 297 + 1);
        assert_eq!(calibration.true_pairs, 703);
        assert_eq!(calibration.bands.len(), 12);
        let band = |label: &str| {
            calibration
                .bands
                .iter()
                .find(|band| band.label() == label)
                .unwrap()
                .clone()
        };
        let middle = band("0.50-0.60");
        assert_eq!(middle.pairs, 250);
        assert!((middle.mean_probability.unwrap() - 0.55).abs() < 1e-12);
        assert!((middle.true_share.unwrap() - 0.8).abs() < 1e-12);
        assert!((middle.difference.unwrap() - 0.25).abs() < 1e-12);
        assert!(middle.miscalibrated);
        let few = band("0.30-0.40");
        assert_eq!((few.pairs, few.miscalibrated), (150, false));
        assert!((few.difference.unwrap() - 0.65).abs() < 1e-12);
        let top = band("0.99-1.00");
        assert_eq!(top.pairs, 300);
        assert!((top.mean_probability.unwrap() - 0.9975).abs() < 1e-12);
        assert!((top.true_share.unwrap() - 0.99).abs() < 1e-12);
        assert!(!top.miscalibrated);
        assert_eq!(band("0.90-0.95").pairs, 1);
        assert_eq!(band("0.95-0.99").pairs, 1);
        let empty = band("0.00-0.10");
        assert_eq!(
            (empty.pairs, empty.mean_probability, empty.difference),
            (0, None, None)
        );
        // The worst gap among the bands from 0.5 holding 200 pairs.
        let worst = calibration.worst_gap.clone().unwrap();
        assert_eq!(worst.band, "0.50-0.60");
        assert!((worst.difference - 0.25).abs() < 1e-12);
        let text = render_calibration(&calibration);
        assert!(
            text.lines()
                .any(|line| line.starts_with("  0.50-0.60") && line.ends_with('!')),
            "{text}"
        );
        assert!(
            !text
                .lines()
                .any(|line| line.starts_with("  0.30-0.40") && line.ends_with('!'))
        );
    }

    #[test]
    fn recall_by_ranking_takes_the_deepest_cut_at_the_precision_without_splitting_ties() {
        let pair = |probability: f64, same_entity: bool| StatedPair {
            probability,
            same_entity,
        };
        let mut pairs = Vec::new();
        pairs.extend((0..100).map(|_| pair(0.9, true)));
        // Down to 0.8: 150 true of 151, precision 0.9934.
        pairs.extend((0..50).map(|_| pair(0.8, true)));
        pairs.push(pair(0.8, false));
        // 0.7 holds 10 true pairs before its 5 false ones in file order;
        // a threshold cannot take them without the others: 160/166 < 0.99.
        pairs.extend((0..10).map(|_| pair(0.7, true)));
        pairs.extend((0..5).map(|_| pair(0.7, false)));
        // Lower down precision never recovers enough.
        pairs.extend((0..20).map(|_| pair(0.1, true)));
        let ranked = recall_by_ranking(&mut pairs, 400, 0.99);
        assert_eq!(ranked.threshold, Some(0.8));
        assert_eq!((ranked.pairs, ranked.true_pairs_found), (151, 150));
        assert!((ranked.recall - 150.0 / 400.0).abs() < 1e-12);
        assert!((ranked.precision - 150.0 / 151.0).abs() < 1e-12);

        // A top group already below the precision: nothing can be linked.
        let mut pairs = vec![pair(0.99, true), pair(0.99, false), pair(0.5, true)];
        let ranked = recall_by_ranking(&mut pairs, 2, 0.99);
        assert_eq!(
            (ranked.threshold, ranked.pairs, ranked.recall),
            (None, 0, 0.0)
        );
    }

    #[test]
    fn bad_pairs_files_are_refused_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let truth = pair_truth(dir.path(), 3);
        let cases = [
            (
                "left,right,probability\n0,1,0.5\n0,9,0.5\n",
                "line 3: column right: user_id `9` is not in the truth",
            ),
            (
                "left,right,probability\n0,1,1.5\n",
                "line 2: column probability: `1.5` is not a probability",
            ),
            (
                "left,right,probability\n0,1,high\n",
                "line 2: column probability: `high`",
            ),
            (
                "left,right,probability\n2,2,0.5\n",
                "line 2: user_id 2 is paired with itself",
            ),
            (
                "left,right,probability\n0,1,0.5\n2,3,0.5\n1,0,0.4\n",
                "line 4: the pair 0,1 is listed a second time (first on line 2)",
            ),
            ("left,right,weight\n0,1,0.5\n", "no `probability` column"),
        ];
        for (text, expected) in cases {
            let path = dir.path().join("pairs.csv");
            std::fs::write(&path, text).unwrap();
            let error = format!("{:#}", read_stated_pairs(&path, &truth).unwrap_err());
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.contains("pairs.csv"), "{error}");
        }
    }
}
