//! The fitted model as a file (`DIR/model.json`), so that a later plan of
//! the same base (`plan --previous DIR`) weighs pairs as this one did: the
//! same m and u, counted levels, prior, birth-date verdicts and value
//! counts. A weekly re-plan then moves a pair's probability only when its
//! profiles changed, not because the estimates drifted; `plan --refit`
//! estimates afresh.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::EmSessionSummary;
use super::comparison::Comparison;
use super::frequency::SavedFrequencies;
use super::model::{CountedLevel, LevelTable, UTables};
use super::verifier::SavedVerifier;

/// The file a plan keeps its model in.
pub const MODEL_FILE: &str = "model.json";

/// Bumped when the file's meaning changes; an older file is refused with a
/// hint to re-estimate.
pub(crate) const FORMAT: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedModel {
    pub format: u32,
    /// Each comparison's name and level names, in order: the model fits
    /// only the comparisons it was fitted on.
    pub comparisons: Vec<(String, Vec<String>)>,
    pub m: LevelTable,
    pub u: UTables,
    pub counted: Vec<CountedLevel>,
    pub matches_at_counted: Vec<f64>,
    pub anchor_log_odds: Vec<f64>,
    pub expected_matches: f64,
    pub matches_in_base: f64,
    pub prior_match_probability: f64,
    pub random_counts: Vec<Vec<u64>>,
    pub namesake_pairs: u64,
    pub sessions: Vec<EmSessionSummary>,
    pub typical_login_others: [f64; 16],
    pub verifier: Option<SavedVerifier>,
    pub frequencies: SavedFrequencies,
}

/// Each comparison's name and level names.
pub(crate) fn shape_of(comparisons: &[Comparison]) -> Vec<(String, Vec<String>)> {
    comparisons
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.levels.iter().map(|l| l.name.to_string()).collect(),
            )
        })
        .collect()
}

impl SavedModel {
    /// Reads `dir/model.json`; `None` when the directory holds none (a plan
    /// made before models were kept).
    pub fn read(dir: &Path) -> Result<Option<SavedModel>> {
        let path = dir.join(MODEL_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        let model: SavedModel = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a model this sailmerge can read; plan with --refit to estimate a new one",
                path.display()
            )
        })?;
        if model.format != FORMAT {
            bail!(
                "{} is a model of format {} (this sailmerge reads {FORMAT}); plan with --refit to estimate a new one",
                path.display(),
                model.format
            );
        }
        Ok(Some(model))
    }

    /// Writes `dir/model.json` (through a temporary file).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec(self)?;
        bytes.push(b'\n');
        crate::fsutil::write_bytes_atomically(&dir.join(MODEL_FILE), &bytes)
    }

    /// Refuses a model fitted on other comparisons than `comparisons`.
    pub(crate) fn check_fits(&self, comparisons: &[Comparison]) -> Result<()> {
        if self.comparisons != shape_of(comparisons) {
            bail!(
                "the previous plan's model was fitted on other comparisons (the settings' [[matching.extra]] or the sailmerge version differ); plan with --refit to estimate a new one"
            );
        }
        Ok(())
    }
}
