//! `plan.json`: the one contract between planning and execution. `plan`
//! writes it; `report`, `review` and `apply` only read it. Schema version 1.
//!
//! The file is compact JSON (one line), written as it is serialised: a
//! plan of 100,000 clusters is hundreds of megabytes, and never exists as
//! one string. The `plan_hash` is the SHA-256 of the canonical JSON of the
//! plan with the hash field empty (see [`canonical`]), so any edit to the
//! plan invalidates the decisions made on it. A step's `after` lists only
//! the fields that hold a value (an absent field is empty, as `null` is
//! elsewhere); `profiles`, `golden` and `result` list every field.

mod canonical;
pub mod risk;

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::decisions::Decision;
use crate::ids::{ClusterId, UserId};
use crate::profile::{Field, Profile};
use risk::Risk;

pub const SCHEMA_VERSION: u32 = 1;
pub const PLAN_FILE: &str = "plan.json";

/// Serialised field by field by [`PlanContent`], so that the hash can be
/// computed and written without copying the plan.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    /// The language of the report's words: `en` or `ru` (`plan --lang`,
    /// by default the language of the export's names).
    #[serde(default)]
    pub language: String,
    /// What this plan carried over from earlier runs (`plan --previous`,
    /// `--ledger`).
    #[serde(default)]
    pub history: PlanHistory,
    /// Ordered by `cluster_id`.
    pub clusters: Vec<PlannedCluster>,
    /// The review band: clusters the plan would form if pairs down to
    /// `matching.review_threshold` linked, which differ from every cluster
    /// above. Planned like the clusters, shown for review, and never run
    /// by `apply`: approving one makes its links planned merges in the next
    /// plan made with `--previous`. Ordered by `cluster_id` (`B-…`).
    #[serde(default)]
    pub candidates: Vec<PlannedCluster>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// The file's name, without its directory: the plan (and its hash)
    /// depends on what was read, not on how its path was spelled.
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
    /// Candidate clusters of the review band.
    #[serde(default)]
    pub candidates: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedCluster {
    /// The same id as in `clusters.csv`.
    pub cluster_id: ClusterId,
    /// The members' user_ids, in the order of `profiles`.
    pub members: Vec<UserId>,
    /// The members as they were in the export, for the reviewer and for the
    /// stale-state check before applying.
    pub profiles: Vec<Profile>,
    /// user_id of the profile every other member is merged into.
    pub survivor: UserId,
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
    /// Risk, what is new since the previous plan, and earlier decisions.
    #[serde(default)]
    pub triage: ClusterTriage,
}

/// What the reviewer is told beside the cluster itself: how risky it is,
/// whether it is new since the previous plan and what was decided on it
/// then, which members a reviewer kept apart from whom, and which members
/// an earlier `apply` already merged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClusterTriage {
    pub risk: Risk,
    pub status: ClusterStatus,
    /// The previous plan's cluster this one continues (same members, or
    /// the one sharing most of them), with the decision made on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<EarlierCluster>,
    /// Never-merge constraints naming a member: whom it was kept apart
    /// from, by whom and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_apart: Vec<KeptApart>,
    /// Members an earlier `apply` merged: a survivor, or a merged-away
    /// profile still in the export (an export older than the apply).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_before: Vec<AppliedBefore>,
}

/// The language of the words a plan's report and risk reasons use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Ru,
}

impl Language {
    /// `ru` gives Russian; anything else (an older plan has none) English.
    pub fn of_code(code: &str) -> Language {
        if code == "ru" {
            Language::Ru
        } else {
            Language::En
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ru => "ru",
        }
    }
}

/// Against the previous plan (`plan --previous`); `new` without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    /// No member was in a cluster of the previous plan.
    #[default]
    New,
    /// Some member was, but the members or their values differ.
    Changed,
    /// The same members with the same values as a cluster of the previous
    /// plan.
    CarriedOver,
}

impl ClusterStatus {
    pub fn name(self) -> &'static str {
        match self {
            ClusterStatus::New => "new",
            ClusterStatus::Changed => "changed",
            ClusterStatus::CarriedOver => "carried_over",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierCluster {
    pub plan_hash: String,
    pub cluster_id: ClusterId,
    /// Absent when it was left undecided.
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A member a reviewer kept apart from another profile: no plan links the
/// two while neither has changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptApart {
    pub user_id: UserId,
    pub other: UserId,
    /// The rejected cluster that kept them apart.
    pub cluster_id: ClusterId,
    pub reviewer: String,
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedBefore {
    pub user_id: UserId,
    /// The profile it was merged into (itself for a survivor).
    pub survivor: UserId,
    /// The applied cluster and the plan it was in.
    pub cluster_id: ClusterId,
    pub plan_hash: String,
}

/// What a plan carried over from earlier runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanHistory {
    /// The plan given to `--previous`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_plan_hash: Option<String>,
    /// Never-merge constraints in the ledger: applied, and lapsed because
    /// a profile changed (or is gone) since the decision.
    pub never_merge_applied: u64,
    pub never_merge_lapsed: u64,
    /// Approvals of the previous plan's clusters not yet applied: carried
    /// into decisions.json (same members, same values), or not (changed).
    pub approvals_carried: u64,
    pub approvals_not_carried: u64,
    /// Approved candidates of the review band whose links this plan makes.
    pub band_links_approved: u64,
    /// Merges recorded as applied in the ledger.
    pub applied_merges: u64,
    /// Profiles an applied merge removed that this export still holds: the
    /// export is older than the apply (first 20, and how many).
    pub merged_away_in_export: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_away_examples: Vec<UserId>,
    /// Clusters by status.
    pub new: u64,
    pub changed: u64,
    pub carried_over: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1-based position in the cluster's steps.
    pub index: u32,
    pub method: Method,
    /// The exact form fields to send, less `token` and `store_department_id`,
    /// e.g. `{"from_uid": "17", "to_uid": "4"}`.
    pub params: BTreeMap<String, String>,
    /// The simulated survivor after this step; in the file, only its
    /// filled fields.
    #[serde(serialize_with = "serialize_filled_fields")]
    pub after: Profile,
}

/// The API call a step makes, spelled in plan.json as its endpoint's path:
/// any other method in a plan is a parse error, not a surprise at apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    #[serde(rename = "users/merge")]
    Merge,
    #[serde(rename = "users/update")]
    Update,
}

impl Method {
    /// The endpoint's path under `api/v2/`, as plan.json spells it.
    pub const fn path(self) -> &'static str {
        match self {
            Method::Merge => "users/merge",
            Method::Update => "users/update",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.path())
    }
}

/// A value that exists in some member before the merges and in no field of
/// the result after them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostValue {
    /// The step that drops it (1-based).
    pub step: u32,
    /// The member it came from.
    pub user_id: UserId,
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
    pub left: UserId,
    pub right: UserId,
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
    /// SHA-256 of the canonical JSON of the plan with `plan_hash` empty,
    /// serialised straight into the hasher.
    pub fn compute_hash(&self) -> String {
        canonical::compact_json_hash(&PlanContent {
            plan: self,
            plan_hash: "",
        })
        .expect("a plan serialises: every map key is a string")
    }

    /// Sets `plan_hash` from the content.
    pub fn seal(&mut self) {
        self.plan_hash = self.compute_hash();
    }

    /// Reads `DIR/plan.json`, checking the schema version and the hash.
    /// Holds the file's bytes once, beside the plan parsed from them.
    pub fn read(dir: &Path) -> Result<MergePlan> {
        let path = dir.join(PLAN_FILE);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let plan: MergePlan = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a valid plan", path.display()))?;
        if plan.schema_version != SCHEMA_VERSION {
            bail!(
                "{} has schema version {}, this sailmerge reads version {}",
                path.display(),
                plan.schema_version,
                SCHEMA_VERSION
            );
        }
        let hash = canonical::canonical_text_hash(&bytes);
        if hash != plan.plan_hash {
            bail!(
                "{} was changed after it was written: its content hashes to {hash}, not to the plan_hash it states ({})",
                path.display(),
                plan.plan_hash
            );
        }
        Ok(plan)
    }

    /// Writes `DIR/plan.json` atomically as it is, `plan_hash` included.
    pub fn write(&self, dir: &Path) -> Result<()> {
        crate::fsutil::write_file_atomically(&dir.join(PLAN_FILE), |file| {
            canonical::write_compact_json(file, self)?;
            file.write_all(b"\n")
        })
    }

    /// Seals the plan and writes `DIR/plan.json` atomically, serialising it
    /// once: the bytes go to the file and the hasher together, and the hash
    /// is written into the room left for it at the top of the file. The
    /// file is the one `seal` then `write` would give.
    pub fn seal_and_write(&mut self, dir: &Path) -> Result<()> {
        let prefix = format!(
            "{{\"schema_version\":{},\"plan_hash\":\"",
            self.schema_version
        );
        let mut sealed = String::new();
        let content = PlanContent {
            plan: self,
            plan_hash: "",
        };
        crate::fsutil::write_file_atomically(&dir.join(PLAN_FILE), |file| {
            let mut splice = canonical::HashSplice::new(&mut *file, prefix.as_bytes());
            canonical::write_compact_json(&mut splice, &content)?;
            sealed = splice.finish()?;
            file.write_all(b"\n")?;
            file.seek(SeekFrom::Start(prefix.len() as u64))?;
            file.write_all(sealed.as_bytes())
        })?;
        debug_assert_eq!(sealed.len(), canonical::HASH_HEX_LENGTH);
        self.plan_hash = sealed;
        Ok(())
    }
}

impl Serialize for MergePlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        PlanContent {
            plan: self,
            plan_hash: &self.plan_hash,
        }
        .serialize(serializer)
    }
}

/// A plan serialised with the given `plan_hash` in place of its own: empty
/// for the canonical content, without cloning the plan.
struct PlanContent<'a> {
    plan: &'a MergePlan,
    plan_hash: &'a str,
}

impl Serialize for PlanContent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Destructured so that a field added to MergePlan must be added here.
        let MergePlan {
            schema_version,
            plan_hash: _,
            generated_by,
            inputs,
            settings,
            assumptions,
            summary,
            diagnostics,
            language,
            history,
            clusters,
            candidates,
        } = self.plan;
        let mut plan = serializer.serialize_struct("MergePlan", 12)?;
        plan.serialize_field("schema_version", schema_version)?;
        plan.serialize_field("plan_hash", self.plan_hash)?;
        plan.serialize_field("generated_by", generated_by)?;
        plan.serialize_field("inputs", inputs)?;
        plan.serialize_field("settings", settings)?;
        plan.serialize_field("assumptions", assumptions)?;
        plan.serialize_field("summary", summary)?;
        plan.serialize_field("diagnostics", diagnostics)?;
        plan.serialize_field("language", language)?;
        plan.serialize_field("history", history)?;
        plan.serialize_field("clusters", &canonical::RenderedInParallel(clusters))?;
        plan.serialize_field("candidates", &canonical::RenderedInParallel(candidates))?;
        plan.end()
    }
}

/// A profile with only its filled fields (and `extra` only when it has
/// any); reads back as the same profile, since absent optional fields
/// deserialise as empty.
fn serialize_filled_fields<S: Serializer>(
    profile: &Profile,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let filled = Field::ALL
        .iter()
        .filter(|field| profile.get(**field).is_some())
        .count();
    let extra = !profile.extra.is_empty();
    let mut out = serializer.serialize_struct("Profile", filled + usize::from(extra))?;
    for field in Field::ALL {
        if let Some(value) = profile.get(field) {
            out.serialize_field(field.name(), value)?;
        }
    }
    if extra {
        out.serialize_field("extra", &profile.extra)?;
    }
    out.end()
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
    /// `cluster::ClusteringStats` of the review band's clustering (down to
    /// `review_threshold`); null without a band.
    #[serde(default)]
    pub review_band: serde_json::Value,
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
        let mut plan = synthetic_plan(2, 1);
        plan.seal_and_write(dir.path()).unwrap();
        let path = dir.path().join(PLAN_FILE);
        let compact = std::fs::read_to_string(&path).unwrap();

        std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
        assert!(
            MergePlan::read(dir.path()).is_ok(),
            "whitespace is not content"
        );

        let survivor = &plan.clusters[0].survivor;
        let edited = compact.replacen(
            &format!("\"survivor\":\"{survivor}\""),
            "\"survivor\":\"999\"",
            1,
        );
        assert_ne!(edited, compact);
        std::fs::write(&path, edited).unwrap();
        let error = MergePlan::read(dir.path()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("was changed after it was written"),
            "{error}"
        );
    }

    #[test]
    fn sealed_file_holds_the_hash_of_its_canonical_content() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = synthetic_plan(40, 4);
        plan.plan_hash = "stale".to_string();
        plan.seal_and_write(dir.path()).unwrap();
        assert_eq!(plan.plan_hash.len(), 64);
        assert_eq!(plan.plan_hash, plan.compute_hash());
        let bytes = std::fs::read(dir.path().join(PLAN_FILE)).unwrap();
        // One compact line: the hash is near the top, readable with `head`.
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(&format!(
            "{{\"schema_version\":1,\"plan_hash\":\"{}\",",
            plan.plan_hash
        )));
        let back = MergePlan::read(dir.path()).unwrap();
        assert_eq!(back.plan_hash, plan.plan_hash);
        for (read, written) in back.clusters.iter().zip(&plan.clusters) {
            assert_eq!(read.steps, written.steps);
            assert_eq!(read.result, written.result);
        }

        // Sealing then writing gives the same bytes as doing both at once.
        let other = tempfile::tempdir().unwrap();
        let mut resealed = plan.clone();
        resealed.plan_hash.clear();
        resealed.seal();
        resealed.write(other.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(other.path().join(PLAN_FILE)).unwrap(),
            text
        );
    }

    #[test]
    fn same_plan_writes_the_same_bytes() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let mut plan = synthetic_plan(25, 5);
        plan.seal_and_write(first.path()).unwrap();
        let mut again = synthetic_plan(25, 5);
        again.seal_and_write(second.path()).unwrap();
        assert_eq!(
            std::fs::read(first.path().join(PLAN_FILE)).unwrap(),
            std::fs::read(second.path().join(PLAN_FILE)).unwrap()
        );
    }

    #[test]
    fn tampered_values_anywhere_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = synthetic_plan(3, 2);
        plan.seal_and_write(dir.path()).unwrap();
        let path = dir.path().join(PLAN_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        let to_uid = &plan.clusters[2].steps[0].params["to_uid"];
        let hash = &plan.plan_hash;
        let fake_hash = "f".repeat(64);
        for (what, edited) in [
            (
                "a step's to_uid",
                text.replacen(&format!("\"to_uid\":\"{to_uid}\""), "\"to_uid\":\"1\"", 1),
            ),
            ("the hash", text.replacen(hash.as_str(), &fake_hash, 1)),
            (
                "a float",
                text.replacen("\"min_probability\":0.", "\"min_probability\":1.", 1),
            ),
        ] {
            assert_ne!(edited, text, "{what} not found");
            std::fs::write(&path, edited).unwrap();
            let error = MergePlan::read(dir.path()).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("was changed after it was written"),
                "{what}: {error}"
            );
        }
    }

    #[test]
    fn step_after_keeps_only_filled_fields_and_reads_back_whole() {
        let plan = synthetic_plan(5, 3);
        let step = &plan.clusters[0].steps[0];
        let mut after = step.after.clone();
        after.middle_name = None;
        after.points = None;
        after.extra.clear();
        let json = serde_json::to_string(&Step {
            after: after.clone(),
            ..step.clone()
        })
        .unwrap();
        assert!(!json.contains("null"), "{json}");
        assert!(!json.contains("middle_name") && !json.contains("extra"));
        let back: Step = serde_json::from_str(&json).unwrap();
        assert_eq!(back.after, after);
    }

    #[test]
    fn step_method_is_spelled_as_its_path_and_an_unknown_one_is_refused() {
        for method in [Method::Merge, Method::Update] {
            let json = serde_json::to_string(&method).unwrap();
            assert_eq!(json, format!("\"{}\"", method.path()));
            assert_eq!(serde_json::from_str::<Method>(&json).unwrap(), method);
        }
        let error = serde_json::from_str::<Method>("\"users/delete\"").unwrap_err();
        assert!(error.to_string().contains("users/delete"), "{error}");
    }
}
