//! The review band: pairs scored from `matching.review_threshold` up to the
//! link threshold do not link, yet on realistic data most of them are one
//! person. The clusters they would form are shown to the reviewer as
//! candidates, in a section of their own, with the same evidence as the
//! planned clusters.
//!
//! A candidate is a cluster the plan would make if every pair down to the
//! review threshold linked (the same guards, size cap and never-merge
//! constraints), unless it equals a planned cluster. Its id is `B-` and
//! its smallest member user_id. Candidates are planned like clusters, but
//! `apply` never runs them, and `approve --all` or `--risk` never approves
//! them: a person approves one by name, and the next plan made with
//! `--previous` then makes its links (through the ledger).

use std::collections::HashSet;

use crate::cluster::{self, Cluster, Clustering};
use crate::constraints::LinkConstraints;
use crate::normalize::NormalizedRecord;
use crate::printer::Printer;
use crate::profile::Profile;
use crate::score::ScoredPairs;
use crate::settings::matching::MatchSettings;

/// Every pair down to the review threshold clustered, with the same
/// guards, cap and constraints as the planned clusters. It does not need
/// the planned clusters, so `pipeline` runs it beside their clustering.
pub fn lower_clustering(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    scored: &ScoredPairs,
    settings: &MatchSettings,
    constraints: &LinkConstraints,
    printer: &Printer,
) -> Clustering {
    let lower = MatchSettings {
        threshold: settings.review_threshold,
        ..settings.clone()
    };
    cluster::cluster_pairs_constrained(profiles, records, scored, &lower, constraints, printer)
}

/// The candidates of the review band and the statistics of the clustering
/// that formed them: the clusters of `lower_clustering` that no planned
/// cluster equals.
pub fn candidate_clusters(mut clustering: Clustering, planned: &[Cluster]) -> Clustering {
    clustering.clusters = differing_from(clustering.clusters, planned);
    for candidate in &mut clustering.clusters {
        candidate.cluster_id = candidate.cluster_id.as_candidate();
    }
    clustering.stats.clusters = clustering.clusters.len() as u64;
    clustering.stats.profiles_in_clusters = clustering
        .clusters
        .iter()
        .map(|c| c.members.len() as u64)
        .sum();
    clustering
}

/// The clusters of `lower` whose members are not exactly those of a
/// planned cluster.
fn differing_from(lower: Vec<Cluster>, planned: &[Cluster]) -> Vec<Cluster> {
    let planned: HashSet<&[u32]> = planned.iter().map(|c| c.members.as_slice()).collect();
    lower
        .into_iter()
        .filter(|cluster| !planned.contains(cluster.members.as_slice()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(id: &str, members: &[u32]) -> Cluster {
        Cluster {
            cluster_id: id.into(),
            members: members.to_vec(),
            evidence: Vec::new(),
            min_probability: 0.6,
        }
    }

    #[test]
    fn candidates_are_the_lower_clusters_no_planned_cluster_equals() {
        let planned = [cluster("C-1", &[1, 2]), cluster("C-7", &[7, 8])];
        let lower = vec![
            cluster("C-1", &[1, 2, 3]),
            cluster("C-7", &[7, 8]),
            cluster("C-20", &[20, 21]),
        ];
        let kept: Vec<Vec<u32>> = differing_from(lower, &planned)
            .into_iter()
            .map(|c| c.members)
            .collect();
        assert_eq!(kept, vec![vec![1, 2, 3], vec![20, 21]]);
    }
}
