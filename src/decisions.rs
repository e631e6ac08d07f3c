//! `decisions.json`: the reviewer's approve/reject per cluster, bound to the
//! plan it was made on by the plan's hash. Written by `approve` and by the
//! review page; read by `apply`, which refuses a file made on another plan.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const DECISIONS_FILE: &str = "decisions.json";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisions {
    pub schema_version: u32,
    pub plan_hash: String,
    pub reviewer: String,
    /// RFC 3339, UTC: when the file was last written.
    pub decided_at: String,
    /// Keyed by cluster_id. A cluster that is absent is undecided, and
    /// `apply` does not run it.
    pub clusters: BTreeMap<String, ClusterDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterDecision {
    pub decision: Decision,
    /// RFC 3339, UTC.
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decisions {
    pub fn read(dir: &Path) -> Result<Decisions> {
        let path = dir.join(DECISIONS_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let decisions: Decisions = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid decisions file", path.display()))?;
        if decisions.schema_version != SCHEMA_VERSION {
            bail!(
                "{} has schema version {}, this sailmerge reads version {}",
                path.display(),
                decisions.schema_version,
                SCHEMA_VERSION
            );
        }
        Ok(decisions)
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        crate::fsutil::write_bytes_atomically(&dir.join(DECISIONS_FILE), &bytes)
    }

    pub fn is_approved(&self, cluster_id: &str) -> bool {
        self.clusters
            .get(cluster_id)
            .is_some_and(|d| d.decision == Decision::Approve)
    }
}
