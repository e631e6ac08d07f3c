//! Block: candidate pairs from several keys.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::normalize::NormalizedRecord;
use crate::printer::Printer;
use crate::settings::matching::MatchSettings;

pub struct Candidates {
    pub stats: BlockingStats,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockingStats {}

pub fn candidate_pairs(
    _records: &[NormalizedRecord],
    _settings: &MatchSettings,
    _printer: &Printer,
) -> Result<Candidates> {
    todo!("matching helper")
}
