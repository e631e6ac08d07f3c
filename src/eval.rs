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

use std::collections::{BTreeMap, HashMap};
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
            if flag == "--truth" {
                "user_id,entity_id"
            } else {
                "user_id,cluster_id"
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
}
