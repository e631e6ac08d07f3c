use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use crate::decisions::{
    self, ClusterIds, ClusterKind, Condition, DECISIONS_FILE, Decision, Edit, OtherPlan, Writer,
};
use crate::exit::ExitStatus;
use crate::ids::ClusterId;
use crate::plan::MergePlan;
use crate::plan::risk::{RiskLevel, assess_risk};
use crate::printer::Printer;

/// Record approve/reject decisions for the clusters of a plan.
///
/// Writes DIR/decisions.json, bound to DIR/plan.json by its plan_hash;
/// `apply` runs approved clusters only. Each decision records who made it
/// (--reviewer, else $USER), when, and the --note, which applies only to
/// the clusters this command names (--clusters, --reject). Decisions
/// already made stand: --all, --risk and --max-risk approve only undecided
/// clusters, and never a candidate of the review band (ids B-…), which is
/// approved by name only. Cluster ids match in any case. The file is
/// re-read under a lock, so a review page open on the same directory loses
/// nothing and reverts nothing. --csv writes every cluster with its
/// decision for auditors (UTF-8 with BOM, Excel-safe). A decisions file
/// made on another plan is refused unless --force starts a fresh one.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge approve out/ --all
  sailmerge approve out/ --clusters C-10000017,C-10000342 --reviewer 'Анна Петрова'
  sailmerge approve out/ --all --reject C-10000042 --note 'father and son'
  sailmerge approve out/ --risk low
  sailmerge approve out/ --max-risk medium --reviewer 'Анна Петрова'
  sailmerge approve out/ --clusters B-10000513 --note 'same phone, new e-mail'
  sailmerge approve out/ --csv decisions.csv")]
pub struct ApproveArgs {
    /// The directory holding plan.json.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Approve every cluster that has no decision yet (candidates of the
    /// review band excepted).
    #[arg(long, conflicts_with_all = ["risk", "max_risk"])]
    pub all: bool,
    /// Approve the undecided clusters of this risk level.
    #[arg(long, value_name = "LEVEL", value_parser = ["low", "medium", "high"], conflicts_with = "max_risk")]
    pub risk: Option<String>,
    /// Approve the undecided clusters of this risk level or lower.
    #[arg(long, value_name = "LEVEL", value_parser = ["low", "medium", "high"])]
    pub max_risk: Option<String>,
    /// Approve these clusters or candidates (comma-separated ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub clusters: Vec<String>,
    /// Reject these clusters or candidates (comma-separated ids). Their
    /// profiles are kept apart by later plans made with --previous.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub reject: Vec<String>,
    /// Who decides; defaults to $USER.
    #[arg(long, value_name = "NAME")]
    pub reviewer: Option<String>,
    /// A note stored with the decisions on the clusters named by
    /// --clusters and --reject (not with those --all or --risk approve).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Replace a decisions file made on another plan.
    #[arg(long)]
    pub force: bool,
    /// Also write every cluster and candidate with its decision, reviewer,
    /// time and note to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

/// The edits this command asks for; pure, for tests.
pub fn edits(plan: &MergePlan, args: &ApproveArgs) -> Result<Vec<Edit>> {
    let ids = ClusterIds::of_plan(plan);
    let resolve = |given: &Vec<String>| -> (Vec<ClusterId>, Vec<String>) {
        let mut found = Vec::new();
        let mut unknown = Vec::new();
        for id in given.iter().filter(|id| !id.trim().is_empty()) {
            match ids.resolve(id) {
                Some(id) => found.push(id.clone()),
                None => unknown.push(id.trim().to_string()),
            }
        }
        (found, unknown)
    };
    let (approved, mut unknown) = resolve(&args.clusters);
    let (rejected, unknown_rejected) = resolve(&args.reject);
    unknown.extend(unknown_rejected);
    if !unknown.is_empty() {
        bail!(
            "no cluster {} in {}: cluster ids are in plan.json, clusters.csv and the report",
            unknown.join(", "),
            args.dir.join("plan.json").display()
        );
    }
    if let Some(both) = approved.iter().find(|id| rejected.contains(id)) {
        bail!("cluster {both} is given to both --clusters and --reject");
    }
    let note = decisions::clean_note(args.note.as_deref())?;
    if note.is_some() && approved.is_empty() && rejected.is_empty() {
        bail!(
            "--note applies to the clusters this command names: give them with --clusters or --reject"
        );
    }
    let named = |decision, ids: &[ClusterId]| {
        ids.iter()
            .map(|id| Edit {
                cluster_id: id.clone(),
                decision: Some(decision),
                condition: Condition::Always,
                note: note.clone(),
            })
            .collect::<Vec<_>>()
    };
    let mut edits = named(Decision::Reject, &rejected);
    edits.extend(named(Decision::Approve, &approved));

    let level = |name: &Option<String>| name.as_deref().and_then(RiskLevel::of_name);
    let (exact, ceiling) = (level(&args.risk), level(&args.max_risk));
    if args.all || exact.is_some() || ceiling.is_some() {
        let threshold = plan.diagnostics.threshold;
        for cluster in &plan.clusters {
            if ids.kind(&cluster.cluster_id) != Some(ClusterKind::Planned)
                || approved.contains(&cluster.cluster_id)
                || rejected.contains(&cluster.cluster_id)
            {
                continue;
            }
            // A plan written before risk was stored: assess it now, as
            // the report would.
            let stored = RiskLevel::of_name(&cluster.triage.risk.level);
            let risk = stored.unwrap_or_else(|| {
                RiskLevel::of_name(&assess_risk(cluster, threshold).level)
                    .expect("assess_risk names a level")
            });
            let selected = args.all
                || exact.is_some_and(|level| risk == level)
                || ceiling.is_some_and(|level| risk <= level);
            if selected {
                edits.push(Edit {
                    cluster_id: cluster.cluster_id.clone(),
                    decision: Some(Decision::Approve),
                    condition: Condition::IfUndecided,
                    note: None,
                });
            }
        }
    }
    Ok(edits)
}

pub fn run(args: ApproveArgs, printer: &Printer) -> Result<ExitStatus> {
    let deciding = args.all
        || args.risk.is_some()
        || args.max_risk.is_some()
        || !args.clusters.is_empty()
        || !args.reject.is_empty();
    if !deciding && args.csv.is_none() {
        bail!(
            "nothing to decide: give --all, --risk LEVEL, --max-risk LEVEL, --clusters IDS or --reject IDS (or --csv FILE to export)"
        );
    }
    let plan = MergePlan::read(&args.dir)?;
    let edits = edits(&plan, &args)?;
    let reviewer = decisions::resolve_reviewer(args.reviewer.as_deref())?;
    let now = decisions::now_rfc3339();
    let other_plan = if args.force {
        OtherPlan::Replace
    } else {
        OtherPlan::Refuse
    };
    let edited = if deciding {
        let writer = Writer {
            reviewer: &reviewer,
            at: &now,
        };
        Some(decisions::edit(
            &args.dir,
            &plan.plan_hash,
            &edits,
            writer,
            other_plan,
        )?)
    } else {
        None
    };
    let decisions = match &edited {
        Some(edited) => edited.decisions.clone(),
        None => match decisions::Decisions::read_if_exists(&args.dir)? {
            Some(existing) if existing.plan_hash == plan.plan_hash => existing,
            Some(_) => bail!(
                "{} was made on another plan; it cannot be exported with this plan.json",
                args.dir.join(DECISIONS_FILE).display()
            ),
            None => decisions::Decisions::empty(&plan.plan_hash, &now),
        },
    };
    if let Some(edited) = &edited {
        let approved = plan
            .clusters
            .iter()
            .filter(|c| decisions.is_approved(&c.cluster_id))
            .count();
        let rejected = plan
            .clusters
            .iter()
            .filter(|c| decisions.decision(&c.cluster_id) == Some(Decision::Reject))
            .count();
        let kept = if edited.skipped > 0 {
            format!(" ({} already decided kept their decision)", edited.skipped)
        } else {
            String::new()
        };
        printer.info(format!(
            "{} decisions changed{kept}; {approved} approved, {rejected} rejected, {} undecided of {} clusters; wrote {}",
            edited.changed.len(),
            plan.clusters.len() - approved - rejected,
            plan.clusters.len(),
            args.dir.join(DECISIONS_FILE).display()
        ));
        if !plan.candidates.is_empty() {
            let decided = plan
                .candidates
                .iter()
                .filter(|c| decisions.decision(&c.cluster_id).is_some())
                .count();
            printer.info(format!(
                "review band: {decided} of {} candidates decided (approved candidates become planned merges in the next plan made with --previous)",
                plan.candidates.len()
            ));
        }
    }
    if let Some(path) = &args.csv {
        decisions::write_csv(path, &plan, &decisions)?;
        printer.info(format!("wrote {}", path.display()));
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::synthetic::synthetic_plan;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ApproveArgs,
    }

    fn args(line: &[&str]) -> ApproveArgs {
        let mut all = vec!["approve", "out/"];
        all.extend_from_slice(line);
        Cli::parse_from(all).args
    }

    fn plan_with_levels() -> MergePlan {
        let mut plan = synthetic_plan(6, 4);
        for (cluster, level) in plan
            .clusters
            .iter_mut()
            .zip(["low", "low", "medium", "high", "high", "low"])
        {
            cluster.triage.risk.level = level.to_string();
        }
        plan.candidates = vec![plan.clusters[5].clone()];
        plan.candidates[0].cluster_id = "B-1".into();
        plan.clusters.truncate(5);
        plan
    }

    #[test]
    fn a_note_goes_only_to_the_clusters_named() {
        let plan = plan_with_levels();
        let rejected = plan.clusters[1].cluster_id.to_uppercase();
        let edits = edits(
            &plan,
            &args(&["--all", "--reject", &rejected, "--note", "father and son"]),
        )
        .unwrap();
        assert_eq!(edits.len(), 5);
        let noted: Vec<&Edit> = edits.iter().filter(|e| e.note.is_some()).collect();
        assert_eq!(noted.len(), 1);
        assert_eq!(noted[0].cluster_id, plan.clusters[1].cluster_id);
        assert_eq!(noted[0].decision, Some(Decision::Reject));
        assert!(
            edits
                .iter()
                .filter(|e| e.note.is_none())
                .all(|e| e.condition == Condition::IfUndecided)
        );
        // The candidate is never approved in bulk.
        assert!(edits.iter().all(|e| e.cluster_id != "B-1"));
    }

    #[test]
    fn risk_selects_by_level_and_max_risk_by_ceiling() {
        let plan = plan_with_levels();
        let ids = |line: &[&str]| -> Vec<ClusterId> {
            edits(&plan, &args(line))
                .unwrap()
                .into_iter()
                .map(|e| e.cluster_id)
                .collect()
        };
        let id = |i: usize| plan.clusters[i].cluster_id.clone();
        assert_eq!(ids(&["--risk", "low"]), vec![id(0), id(1)]);
        assert_eq!(ids(&["--max-risk", "medium"]), vec![id(0), id(1), id(2)]);
        assert_eq!(ids(&["--risk", "high"]), vec![id(3), id(4)]);
        // A candidate is approved when named.
        assert_eq!(ids(&["--clusters", "b-1"]), vec!["B-1".to_string()]);
    }

    #[test]
    fn unknown_ids_and_stray_notes_are_refused() {
        let plan = plan_with_levels();
        let error = edits(&plan, &args(&["--reject", "C-404"])).unwrap_err();
        assert!(error.to_string().contains("no cluster C-404"), "{error}");
        let error = edits(&plan, &args(&["--all", "--note", "x"])).unwrap_err();
        assert!(error.to_string().contains("--note applies"), "{error}");
        let id = plan.clusters[0].cluster_id.clone();
        let error = edits(&plan, &args(&["--clusters", &id, "--reject", &id])).unwrap_err();
        assert!(error.to_string().contains("both"), "{error}");
    }
}
