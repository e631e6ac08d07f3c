//! `plan.json`: the one contract between planning and execution. `plan`
//! writes it; `report`, `review` and `apply` only read it. Schema version 1.
//!
//! The `plan_hash` is the SHA-256 of the canonical JSON of the plan with the
//! hash field empty, so any edit to the plan invalidates the decisions made
//! on it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::profile::Profile;

pub const SCHEMA_VERSION: u32 = 1;
pub const PLAN_FILE: &str = "plan.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergePlan {
    pub schema_version: u32,
    /// Lower-case hex SHA-256; see [`MergePlan::compute_hash`].
    pub plan_hash: String,
    /// `sailmerge <version>`.
    pub generated_by: String,
    pub inputs: Vec<InputFile>,
    /// The resolved settings the plan was made with (matching, planner),
    /// as `plan --show-settings` prints them.
    pub settings: serde_json::Value,
    /// What the plan assumes where Sailplay's documentation is silent
    /// (register_date, points, subscriptions, custom attributes).
    pub assumptions: Vec<Assumption>,
    pub summary: PlanSummary,
    pub diagnostics: Diagnostics,
    /// Ordered by `cluster_id`.
    pub clusters: Vec<PlannedCluster>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// As given on the command line.
    pub path: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assumption {
    /// The field or topic, e.g. `register_date`, `points`, `subscriptions`.
    pub field: String,
    /// The rule applied, e.g. `earliest`, `sum`, `to`, `from`.
    pub rule: String,
    /// The same in plain words for the reviewer.
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanSummary {
    pub profiles: u64,
    pub clusters: u64,
    pub profiles_in_clusters: u64,
    pub merge_calls: u64,
    pub update_calls: u64,
    pub clusters_with_lost_values: u64,
    pub clusters_with_warnings: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedCluster {
    /// The same id as in `clusters.csv`.
    pub cluster_id: String,
    /// The members' user_ids, in the order of `profiles`.
    pub members: Vec<String>,
    /// The members as they were in the export, for the reviewer and for the
    /// stale-state check before applying.
    pub profiles: Vec<Profile>,
    /// user_id of the profile every other member is merged into.
    pub survivor: String,
    /// Why this survivor, in plain words.
    pub survivor_reason: String,
    /// The profile the planner aimed for, field by field.
    pub golden: Profile,
    pub steps: Vec<Step>,
    /// The simulated profile after the last step.
    pub result: Profile,
    pub lost: Vec<LostValue>,
    pub warnings: Vec<Warning>,
    /// The scored pairs that linked the members.
    pub evidence: Vec<PairEvidence>,
    /// The weakest linking pair's match probability: low means risky.
    pub min_probability: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1-based position in the cluster's steps.
    pub index: u32,
    /// `users/merge` or `users/update`.
    pub method: String,
    /// The exact form fields to send, less `token` and `store_department_id`,
    /// e.g. `{"from_uid": "17", "to_uid": "4"}`.
    pub params: BTreeMap<String, String>,
    /// The simulated survivor after this step.
    pub after: Profile,
}

pub const METHOD_MERGE: &str = "users/merge";
pub const METHOD_UPDATE: &str = "users/update";

/// A value that exists in some member before the merges and in no field of
/// the result after them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostValue {
    /// The step that drops it (1-based).
    pub step: u32,
    /// The member it came from.
    pub user_id: String,
    pub field: String,
    pub value: String,
    /// The value kept in its place, if any.
    pub kept: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// A stable code the report filters on, e.g. `conflicting_birth_date`,
    /// `lost_phone`, `golden_unreachable`, `weak_link`.
    pub code: String,
    pub message: String,
}

/// Why two profiles were linked, as the score stage computed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairEvidence {
    pub left: String,
    pub right: String,
    /// The blocking rules that proposed the pair.
    pub rules: Vec<String>,
    /// Total match weight (log2 Bayes factor, prior included).
    pub weight: f64,
    pub probability: f64,
    pub fields: Vec<FieldEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvidence {
    /// The comparison, e.g. `phone`, `email`, `first_name`, `birth_date`.
    pub comparison: String,
    /// The ladder level that held, e.g. `exact`, `one_edit`, `diminutive`.
    pub level: String,
    /// log2 Bayes factor of that level (0 when neutral).
    pub weight: f64,
}

impl MergePlan {
    /// SHA-256 of the canonical JSON of the plan with `plan_hash` empty.
    pub fn compute_hash(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.plan_hash = String::new();
        let canonical = serde_json::to_vec(&unhashed).expect("plan serialises");
        hex::encode(Sha256::digest(&canonical))
    }

    /// Sets `plan_hash` from the content.
    pub fn seal(&mut self) {
        self.plan_hash = self.compute_hash();
    }

    /// Reads `DIR/plan.json`, checking the schema version and the hash.
    pub fn read(dir: &Path) -> Result<MergePlan> {
        let path = dir.join(PLAN_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let plan: MergePlan = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid plan", path.display()))?;
        if plan.schema_version != SCHEMA_VERSION {
            bail!(
                "{} has schema version {}, this sailmerge reads version {}",
                path.display(),
                plan.schema_version,
                SCHEMA_VERSION
            );
        }
        let hash = hash_of_plan_text(&text);
        if hash != plan.plan_hash {
            bail!(
                "{} was changed after it was written: its content hashes to {hash}, not to the plan_hash it states ({})",
                path.display(),
                plan.plan_hash
            );
        }
        Ok(plan)
    }

    /// Writes `DIR/plan.json` atomically, pretty-printed.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        crate::fsutil::write_bytes_atomically(&dir.join(PLAN_FILE), &bytes)
    }
}

/// The hash [`MergePlan::compute_hash`] gave when the plan in `text` was
/// sealed, computed from the text itself: insignificant whitespace removed
/// (pretty JSON becomes the compact form `compute_hash` serialises) and the
/// `plan_hash` value emptied.
///
/// Hashing the text rather than the parsed plan keeps the check exact:
/// serde_json, without its `float_roundtrip` feature, may read a float back
/// one ulp off, and the re-serialised plan would hash differently although
/// nobody changed the file.
fn hash_of_plan_text(text: &str) -> String {
    let mut compact = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            compact.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            compact.push(c);
        } else if !c.is_ascii_whitespace() {
            compact.push(c);
        }
    }
    const KEY: &str = "\"plan_hash\":\"";
    if let Some(start) = compact.find(KEY).map(|i| i + KEY.len())
        && let Some(length) = compact[start..].find('"')
    {
        compact.replace_range(start..start + length, "");
    }
    hex::encode(Sha256::digest(compact.as_bytes()))
}

/// What the stages before planning found, carried in the plan so that the
/// report can show it without reaching back into those stages.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Diagnostics {
    /// `normalize::DataQuality`: invalid and landline phones, invalid
    /// emails, placeholders, register dates before 1971-01-01, ...
    pub data_quality: serde_json::Value,
    /// `block::BlockingStats`: pairs per rule, skipped junk and capped blocks.
    pub blocking: serde_json::Value,
    /// `score::ModelSummary`: m and u per comparison level, prior, EM rounds.
    pub model: serde_json::Value,
    /// `cluster::ClusteringStats`: components split or flagged, and why.
    pub clustering: serde_json::Value,
    /// Match probability above which a pair links.
    pub threshold: f64,
    /// Scored pairs by match weight, for the chart around the threshold.
    pub score_histogram: Vec<HistogramBin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramBin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::synthetic::synthetic_plan;

    #[test]
    fn plan_with_floats_serde_json_reads_one_ulp_off_still_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = synthetic_plan(3, 3);
        // serde_json (without float_roundtrip) parses this one ulp off.
        plan.clusters[0].min_probability = 0.9712846478668253;
        plan.seal();
        plan.write(dir.path()).unwrap();
        let back = MergePlan::read(dir.path()).unwrap();
        assert_eq!(back.plan_hash, plan.plan_hash);
        assert_eq!(back.clusters.len(), 3);
    }

    #[test]
    fn edited_plan_is_refused_but_reformatted_plan_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let plan = synthetic_plan(2, 1);
        plan.write(dir.path()).unwrap();
        let path = dir.path().join(PLAN_FILE);
        let pretty = std::fs::read_to_string(&path).unwrap();

        std::fs::write(&path, serde_json::to_string(&plan).unwrap()).unwrap();
        assert!(
            MergePlan::read(dir.path()).is_ok(),
            "whitespace is not content"
        );

        let survivor = &plan.clusters[0].survivor;
        let edited = pretty.replacen(
            &format!("\"survivor\": \"{survivor}\""),
            "\"survivor\": \"999\"",
            1,
        );
        assert_ne!(edited, pretty);
        std::fs::write(&path, edited).unwrap();
        let error = MergePlan::read(dir.path()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("was changed after it was written"),
            "{error}"
        );
    }
}
