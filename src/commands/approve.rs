use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;

use crate::decisions::{ClusterDecision, DECISIONS_FILE, Decision, Decisions, SCHEMA_VERSION};
use crate::exit::ExitStatus;
use crate::plan::MergePlan;
use crate::printer::Printer;

/// Record approve/reject decisions for the clusters of a plan.
///
/// Writes DIR/decisions.json, bound to DIR/plan.json by its plan_hash;
/// `apply` runs approved clusters only. Decisions already in the file for
/// the same plan are kept unless named again; `--all` approves every
/// cluster not yet decided (earlier rejections stand). A decisions file
/// made on another plan is refused unless `--force` starts a fresh one.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge approve out/ --all
  sailmerge approve out/ --clusters c000001,c000007 --reviewer 'Анна Петрова'
  sailmerge approve out/ --all --reject c000042 --note 'father and son'
  sailmerge approve out/ --all --force")]
pub struct ApproveArgs {
    /// The directory holding plan.json.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Approve every cluster that has no decision yet.
    #[arg(long, conflicts_with = "clusters")]
    pub all: bool,
    /// Approve these clusters (comma-separated cluster ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub clusters: Vec<String>,
    /// Reject these clusters (comma-separated cluster ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub reject: Vec<String>,
    /// Who decides; defaults to $USER.
    #[arg(long, value_name = "NAME")]
    pub reviewer: Option<String>,
    /// A note stored with each decision made by this command.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Replace a decisions file made on another plan.
    #[arg(long)]
    pub force: bool,
}

/// Applies this command's decisions to `decisions`; pure, for tests.
pub fn decide(
    plan: &MergePlan,
    decisions: &mut Decisions,
    args: &ApproveArgs,
    decided_at: &str,
) -> Result<()> {
    let known: BTreeSet<&str> = plan
        .clusters
        .iter()
        .map(|c| c.cluster_id.as_str())
        .collect();
    let unknown: Vec<&str> = args
        .clusters
        .iter()
        .chain(&args.reject)
        .map(|id| id.trim())
        .filter(|id| !known.contains(id))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "no cluster {} in {}: cluster ids are in plan.json and clusters.csv",
            unknown.join(", "),
            args.dir.join("plan.json").display()
        );
    }
    let rejected: BTreeSet<&str> = args.reject.iter().map(|id| id.trim()).collect();
    if let Some(both) = args.clusters.iter().find(|id| rejected.contains(id.trim())) {
        bail!("cluster {both} is given to both --clusters and --reject");
    }
    let decision = |kind| ClusterDecision {
        decision: kind,
        decided_at: decided_at.to_string(),
        note: args.note.clone(),
    };
    for id in &rejected {
        decisions
            .clusters
            .insert(id.to_string(), decision(Decision::Reject));
    }
    for id in &args.clusters {
        decisions
            .clusters
            .insert(id.trim().to_string(), decision(Decision::Approve));
    }
    if args.all {
        for id in known {
            decisions
                .clusters
                .entry(id.to_string())
                .or_insert_with(|| decision(Decision::Approve));
        }
    }
    Ok(())
}

fn existing_decisions(dir: &Path, plan: &MergePlan, force: bool) -> Result<Option<Decisions>> {
    if !dir.join(DECISIONS_FILE).exists() {
        return Ok(None);
    }
    let existing = Decisions::read(dir)?;
    if existing.plan_hash == plan.plan_hash {
        return Ok(Some(existing));
    }
    if force {
        return Ok(None);
    }
    bail!(
        "{} was made on another plan (plan_hash {}); this plan.json has {}. Add --force to replace it",
        dir.join(DECISIONS_FILE).display(),
        existing.plan_hash,
        plan.plan_hash
    )
}

pub fn run(args: ApproveArgs, printer: &Printer) -> Result<ExitStatus> {
    if !args.all && args.clusters.is_empty() && args.reject.is_empty() {
        bail!("nothing to decide: give --all, --clusters IDS or --reject IDS");
    }
    let plan = MergePlan::read(&args.dir)?;
    let reviewer = match args.reviewer.clone().or_else(|| std::env::var("USER").ok()) {
        Some(name) if !name.trim().is_empty() => name.trim().to_string(),
        _ => bail!("who is deciding? $USER is not set: add --reviewer NAME"),
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut decisions =
        existing_decisions(&args.dir, &plan, args.force)?.unwrap_or_else(|| Decisions {
            schema_version: SCHEMA_VERSION,
            plan_hash: plan.plan_hash.clone(),
            reviewer: reviewer.clone(),
            decided_at: now.clone(),
            clusters: Default::default(),
        });
    decide(&plan, &mut decisions, &args, &now)?;
    decisions.reviewer = reviewer;
    decisions.decided_at = now;
    decisions.write(&args.dir)?;
    let approved = plan
        .clusters
        .iter()
        .filter(|c| decisions.is_approved(&c.cluster_id))
        .count();
    let rejected = decisions
        .clusters
        .values()
        .filter(|d| d.decision == Decision::Reject)
        .count();
    printer.info(format!(
        "{approved} approved, {rejected} rejected, {} undecided of {} clusters; wrote {}",
        plan.clusters.len() - approved - rejected,
        plan.clusters.len(),
        args.dir.join(DECISIONS_FILE).display()
    ));
    Ok(ExitStatus::Success)
}
