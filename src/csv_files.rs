//! The CSV files `plan` writes for people and their spreadsheets:
//! `clusters.csv` and the `--pairs` audit file.
//!
//! Invariant: a cell that comes from an export (a user id) is written
//! through [`spreadsheet_safe`], so that opening the file in Excel never
//! evaluates a formula an export smuggled in as an id; the CSV stays valid
//! and the numbers sailmerge computes are written as they are.

use std::path::Path;

use anyhow::Result;

use crate::cluster::Clustering;
use crate::fsutil::{spreadsheet_safe, write_atomically};
use crate::profile::Profile;
use crate::score::ScoredPairs;

/// Writes `user_id,cluster_id,cluster_size,min_probability`, one row per
/// profile in a cluster, clusters in id order, members by row.
pub fn write_clusters_csv(
    path: &Path,
    profiles: &[Profile],
    clustering: &Clustering,
) -> Result<()> {
    write_atomically(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["user_id", "cluster_id", "cluster_size", "min_probability"])?;
        for cluster in &clustering.clusters {
            let size = cluster.members.len().to_string();
            let probability = format!("{:.6}", cluster.min_probability);
            for &row in &cluster.members {
                writer.write_record([
                    spreadsheet_safe(&profiles[row as usize].user_id).as_ref(),
                    cluster.cluster_id.as_str(),
                    size.as_str(),
                    probability.as_str(),
                ])?;
            }
        }
        writer.flush()?;
        Ok(())
    })
}

/// Writes every scored candidate pair, linked or not, as CSV:
/// `left,right,rules,weight,probability`, then the level of each comparison
/// (one column per comparison, named after it). For auditing the model and
/// choosing a threshold: the plan keeps only the links of its clusters.
pub fn write_pairs_csv(path: &Path, profiles: &[Profile], scored: &ScoredPairs) -> Result<()> {
    write_atomically(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        let mut header = vec!["left", "right", "rules", "weight", "probability"];
        header.extend(scored.comparisons.iter().map(|c| c.name.as_str()));
        writer.write_record(
            header
                .iter()
                .map(|name| spreadsheet_safe(name).into_owned()),
        )?;
        let mut row: Vec<String> = Vec::with_capacity(header.len());
        for pair in &scored.pairs {
            row.clear();
            row.push(spreadsheet_safe(&profiles[pair.left as usize].user_id).into_owned());
            row.push(spreadsheet_safe(&profiles[pair.right as usize].user_id).into_owned());
            let rules: Vec<&str> = scored
                .rule_names
                .iter()
                .enumerate()
                .filter(|(index, _)| pair.rules & (1 << index) != 0)
                .map(|(_, name)| name.as_str())
                .collect();
            row.push(rules.join("|"));
            row.push(format!("{:.3}", pair.weight));
            row.push(format!("{:.6}", pair.probability()));
            for (index, comparison) in scored.comparisons.iter().enumerate() {
                row.push(
                    comparison.levels[pair.levels[index] as usize]
                        .name
                        .to_string(),
                );
            }
            writer.write_record(&row)?;
        }
        writer.flush()
    })
}
