//! Score: Fellegi-Sunter match weights per candidate pair.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::block::Candidates;
use crate::normalize::NormalizedRecord;
use crate::plan::HistogramBin;
use crate::printer::Printer;
use crate::profile::Profile;
use crate::settings::matching::MatchSettings;

pub struct ScoredPairs {
    pub model: ModelSummary,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelSummary {}

pub fn score_pairs(
    _profiles: &[Profile],
    _records: &[NormalizedRecord],
    _candidates: &Candidates,
    _settings: &MatchSettings,
    _printer: &Printer,
) -> Result<ScoredPairs> {
    todo!("matching helper")
}

pub fn weight_histogram(_scored: &ScoredPairs) -> Vec<HistogramBin> {
    todo!("matching helper")
}
