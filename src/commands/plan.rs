use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::exit::ExitStatus;
use crate::pipeline::{self, MatchOptions, Matching, Stopwatch};
use crate::plan::{Diagnostics, MergePlan, PlanSummary, SCHEMA_VERSION};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::{csv_files, load, merge, report, score};

/// Find duplicate profiles in one or more exports and plan their merges.
///
/// Writes DIR/clusters.csv (user_id,cluster_id), DIR/plan.json (the merge
/// calls, their simulated results and what they lose) and DIR/report.html
/// (the review report). Nothing is sent anywhere.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge plan datasets/demo/export.csv --out out/
  sailmerge plan crm.csv shop.xlsx --out out/ --threshold 0.95
  sailmerge plan export.csv --map phone=\"Мобильный\" --encoding windows-1251 --out out/
  sailmerge plan datasets/febrl/febrl3.csv --config datasets/febrl/febrl3.toml --out out/
  sailmerge plan --config my.toml --show-settings")]
pub struct PlanArgs {
    /// Export files: CSV/TSV (any of , ; tab |), Parquet, NDJSON/JSON, XLSX.
    #[arg(value_name = "EXPORT")]
    pub exports: Vec<PathBuf>,
    /// Directory for clusters.csv, plan.json and report.html.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Settings file (TOML); see `--show-settings` for every key.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Match probability above which two profiles are linked.
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Map a canonical field to an export column, overriding the header
    /// recognition: --map phone="Моб. телефон". Repeatable. A full name
    /// in one column: --map full_name="Покупатель" (split into last, first
    /// and middle name).
    #[arg(long, value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Text encoding of CSV input (utf-8, windows-1251); detected if unset.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Print the resolved settings as TOML and exit.
    #[arg(long)]
    pub show_settings: bool,
    /// Also write every scored candidate pair, linked or not (user ids,
    /// blocking rules, weight, probability, each comparison's level) to
    /// this CSV file, for auditing the model or choosing a threshold.
    #[arg(long, value_name = "FILE")]
    pub pairs: Option<PathBuf>,
}

impl PlanArgs {
    fn settings(&self) -> Result<Settings> {
        let mut settings = Settings::from_config(self.config.as_deref())?;
        if let Some(threshold) = self.threshold {
            if !(0.0..1.0).contains(&threshold) {
                bail!("--threshold must be a probability in [0, 1), got {threshold}");
            }
            settings.matching.threshold = threshold;
        }
        for mapping in &self.map {
            let (field, column) = mapping
                .split_once('=')
                .with_context(|| format!("--map takes FIELD=COLUMN, got {mapping:?}"))?;
            settings
                .load
                .map
                .insert(field.trim().to_string(), column.trim().to_string());
        }
        if let Some(encoding) = &self.encoding {
            settings.load.encoding = Some(encoding.clone());
        }
        settings.planner.validate()?;
        Ok(settings)
    }
}

/// A directory where `apply` has run holds the journal of what was sent
/// for the plan in it: a new plan there would make a new `apply` read that
/// journal (and its clusters reuse the old ids).
fn refuse_a_directory_with_a_journal(out: &std::path::Path) -> Result<()> {
    let journal = out.join(crate::apply::journal::JOURNAL_FILE);
    if journal.exists() {
        bail!(
            "{} holds {}: apply has run on the plan there, and its journal records what was sent for it. Plan into a new directory (--out NEW)",
            out.display(),
            journal.display()
        );
    }
    Ok(())
}

pub fn run(args: PlanArgs, printer: &Printer) -> Result<ExitStatus> {
    let settings = args.settings()?;
    let problems = settings.matching.problems();
    if !problems.is_empty() {
        bail!("invalid settings:\n  {}", problems.join("\n  "));
    }
    if args.show_settings {
        std::io::stdout().write_all(settings.to_toml().as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    if args.exports.is_empty() {
        bail!("no export given: sailmerge plan EXPORT... --out DIR");
    }
    let Some(out) = args.out.as_deref() else {
        bail!("no output directory given: add --out DIR");
    };
    refuse_a_directory_with_a_journal(out)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;

    let loaded = load::load_exports(&args.exports, &settings.load, printer)?;
    let profiles = load::profiles_from_frame(&loaded.frame)?;
    drop(loaded.frame);
    let profile_count = profiles.len();
    let mut settings = settings;
    let options = MatchOptions {
        keep_all_pairs: args.pairs.is_some(),
    };
    let (records, data_quality, mut matching) =
        pipeline::match_profiles(&profiles, &mut settings.matching, options, printer)?;
    let Matching {
        blocking,
        scored,
        clustering,
    } = &mut matching;
    csv_files::write_clusters_csv(&out.join("clusters.csv"), &profiles, clustering)?;
    if let Some(path) = &args.pairs {
        csv_files::write_pairs_csv(path, &profiles, scored)
            .with_context(|| format!("cannot write --pairs {}", path.display()))?;
    }

    // What the plan keeps of the matching stages, taken now so that their
    // pairs and records are freed before planning: the later stages need
    // only the profiles and the clusters.
    let diagnostics = Diagnostics {
        data_quality: serde_json::json!({
            "load": loaded.quality,
            "values": data_quality,
        }),
        blocking: serde_json::to_value(&*blocking)?,
        model: serde_json::to_value(&scored.model)?,
        clustering: serde_json::to_value(&clustering.stats)?,
        threshold: settings.matching.threshold,
        score_histogram: score::weight_histogram(scored),
    };
    let clusters = std::mem::take(&mut clustering.clusters);
    drop((matching, records));

    let stage = Stopwatch::start();
    let planned = merge::plan_clusters(
        profiles,
        clusters,
        &settings.planner,
        settings.matching.threshold,
        printer,
    );
    stage.report(printer, format!("planned {} clusters", planned.len()));
    let summary = PlanSummary {
        profiles: profile_count as u64,
        clusters: planned.len() as u64,
        profiles_in_clusters: planned.iter().map(|c| c.members.len() as u64).sum(),
        merge_calls: count_steps(&planned, crate::plan::METHOD_MERGE),
        update_calls: count_steps(&planned, crate::plan::METHOD_UPDATE),
        clusters_with_lost_values: planned.iter().filter(|c| !c.lost.is_empty()).count() as u64,
        clusters_with_warnings: planned.iter().filter(|c| !c.warnings.is_empty()).count() as u64,
    };
    let mut plan = MergePlan {
        schema_version: SCHEMA_VERSION,
        plan_hash: String::new(),
        generated_by: format!("sailmerge {}", env!("CARGO_PKG_VERSION")),
        inputs: loaded.inputs,
        settings: serde_json::to_value(&settings)?,
        assumptions: merge::assumptions(&settings.planner),
        summary,
        diagnostics,
        clusters: planned,
    };
    let stage = Stopwatch::start();
    plan.seal_and_write(out)?;
    stage.report(printer, "wrote plan.json");
    let stage = Stopwatch::start();
    let report_path = report::write_report(out, &plan)?;
    stage.report(printer, "wrote report.html");

    let s = &plan.summary;
    printer.info(format!(
        "{} profiles read; {} clusters ({} profiles) to merge in {} calls; {} clusters with lost values, {} with warnings",
        s.profiles, s.clusters, s.profiles_in_clusters, s.merge_calls + s.update_calls,
        s.clusters_with_lost_values, s.clusters_with_warnings
    ));
    printer.info(format!("report: {}", report_path.display()));
    // The run ends here and the process with it: freeing the plan's
    // millions of strings one by one would delay the exit by most of a
    // second at a million profiles, and the system takes the memory back
    // at once.
    std::mem::forget(plan);
    Ok(ExitStatus::Success)
}

fn count_steps(planned: &[crate::plan::PlannedCluster], method: &str) -> u64 {
    planned
        .iter()
        .flat_map(|c| &c.steps)
        .filter(|s| s.method == method)
        .count() as u64
}
