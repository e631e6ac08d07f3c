//! Cluster: scored pairs above the threshold into a petgraph union graph,
//! with guards against chaining.

use crate::plan::PairEvidence;

/// A set of profiles judged to be one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Stable for the same input and settings; the id in clusters.csv.
    pub cluster_id: String,
    /// Row indices into the loaded profiles, ascending; two or more.
    pub members: Vec<u32>,
    /// The scored pairs that link the members.
    pub evidence: Vec<PairEvidence>,
    /// The weakest linking pair's match probability.
    pub min_probability: f64,
}

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::normalize::NormalizedRecord;
use crate::printer::Printer;
use crate::profile::Profile;
use crate::score::ScoredPairs;
use crate::settings::matching::MatchSettings;

pub struct Clustering {
    pub clusters: Vec<Cluster>,
    pub stats: ClusteringStats,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClusteringStats {}

pub fn cluster_pairs(
    _profiles: &[Profile],
    _records: &[NormalizedRecord],
    _scored: &ScoredPairs,
    _settings: &MatchSettings,
    _printer: &Printer,
) -> Clustering {
    todo!("matching helper")
}

pub fn write_clusters_csv(
    _path: &Path,
    _profiles: &[Profile],
    _clustering: &Clustering,
) -> Result<()> {
    todo!("matching helper")
}
