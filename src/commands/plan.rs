use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use rayon::prelude::*;

use crate::decisions::{self, DECISIONS_FILE};
use crate::exit::ExitStatus;
use crate::ids::UserId;
use crate::ledger::{self, History, PlanLedger};
use crate::pipeline::{self, MatchOptions, Matching, Stopwatch};
use crate::plan::risk::assess_risk;
use crate::plan::{Diagnostics, MergePlan, PlanSummary, PlannedCluster, SCHEMA_VERSION, Warning};
use crate::printer::Printer;
use crate::profile::Profile;
use crate::score::saved::{MODEL_FILE, SavedModel};
use crate::settings::Settings;
use crate::{csv_files, load, merge, report, score};

/// Find duplicate profiles in one or more exports and plan their merges.
///
/// Writes DIR/clusters.csv (user_id,cluster_id), DIR/plan.json (the merge
/// calls, their simulated results and what they lose), DIR/report.html
/// (the review report), DIR/ledger.json (what the next plan carries
/// over) and DIR/model.json (the fitted model, which a plan with
/// --previous DIR reuses unless --refit). Pairs just below the threshold (down to --review-threshold) form
/// candidate clusters shown for review. Nothing is sent anywhere.
///
/// With --previous DIR1 (the directory of the last plan, reviewed and
/// perhaps applied), the plan carries DIR1's decisions forward: rejected
/// profiles stay apart, approvals of unchanged clusters start the new
/// decisions.json with their reviewer, time and note, approved candidates
/// become planned merges, and profiles an apply merged away are reported.
/// --ledger FILE keeps the same record in one place for a team. A directory
/// holding decisions.json is not overwritten: plan into a new directory
/// with --previous pointing at it.
///
/// Next: `sailmerge review DIR` (or `approve`), then `sailmerge apply DIR`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge plan datasets/demo/export.csv --out out/
  sailmerge plan crm.csv shop.xlsx --out out/ --threshold 0.95
  sailmerge plan export-2026-06-08.csv --out runs/06-08 --previous runs/06-01
  sailmerge plan export.csv --out runs/06-08 --previous runs/06-01 --ledger team/ledger.json
  sailmerge plan export.csv --map phone=\"Мобильный\" --encoding windows-1251 --out out/
  sailmerge plan datasets/febrl/febrl3.csv --config datasets/febrl/febrl3.toml --out out/ --lang en
  sailmerge plan --config my.toml --show-settings")]
pub struct PlanArgs {
    /// Export files: CSV/TSV (any of , ; tab |), Parquet, NDJSON/JSON, XLSX.
    #[arg(value_name = "EXPORT")]
    pub exports: Vec<PathBuf>,
    /// Directory for clusters.csv, plan.json, report.html, ledger.json and
    /// model.json.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Settings file (TOML); see `--show-settings` for every key.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Match probability at or above which two profiles are linked
    /// (matching.threshold; see --show-settings).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Match probability from which pairs below the threshold form
    /// candidate clusters for review (the review band); equal to the
    /// threshold for none.
    #[arg(long, value_name = "P")]
    pub review_threshold: Option<f64>,
    /// Map a canonical field to an export column, overriding the header
    /// recognition: --map phone="Моб. телефон". Repeatable. A full name
    /// in one column: --map full_name="Покупатель" (split into last, first
    /// and middle name).
    #[arg(long, value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Text encoding of CSV input (utf-8, windows-1251); detected if unset.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Print the resolved settings (defaults, then --config, then flags) as
    /// TOML, each key with its meaning, allowed values and default in
    /// comments, and exit: a config file to start from.
    #[arg(long)]
    pub show_settings: bool,
    /// Also write every scored candidate pair, linked or not (user ids,
    /// blocking rules, weight, probability, each comparison's level) to
    /// this CSV file, for auditing the model or choosing a threshold.
    #[arg(long, value_name = "FILE")]
    pub pairs: Option<PathBuf>,
    /// The previous plan's directory: carry its decisions, and what was
    /// applied from it, into this plan.
    #[arg(long, value_name = "DIR1")]
    pub previous: Option<PathBuf>,
    /// With --previous: estimate the model afresh instead of weighing with
    /// DIR1's (its model.json), so that scores follow the base as it is now
    /// rather than stay comparable with the last plan's.
    #[arg(long, requires = "previous")]
    pub refit: bool,
    /// A ledger file kept in one place (created if missing): its
    /// never-merge constraints and applied merges are used, and it is
    /// updated with those of --previous.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Language of the report: en or ru [default: ru when most names in
    /// the export are Cyrillic, else en].
    #[arg(long, value_name = "LANG", value_parser = ["en", "ru"])]
    pub lang: Option<String>,
}

impl PlanArgs {
    fn settings(&self) -> Result<Settings> {
        let mut settings = Settings::from_config(self.config.as_deref())?;
        if let Some(threshold) = self.threshold {
            if !(0.0..1.0).contains(&threshold) {
                bail!("--threshold must be a probability in [0, 1), got {threshold}");
            }
            settings.matching.threshold = threshold;
            // A threshold given alone lowers the band's end with it rather
            // than leaving the band above it.
            settings.matching.review_threshold = settings.matching.review_threshold.min(threshold);
        }
        if let Some(review) = self.review_threshold {
            settings.matching.review_threshold = review;
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
        Ok(settings)
    }
}

/// Refuses to plan over a reviewed directory, whose decisions.json would
/// be left bound to a plan that no longer exists; planning into the
/// directory given to `--previous` is fine (its decisions are read first).
fn check_output_directory(out: &Path, previous: Option<&Path>) -> Result<()> {
    if !out.join(DECISIONS_FILE).exists() {
        return Ok(());
    }
    if previous.is_some_and(|previous| ledger::same_directory(previous, out)) {
        return Ok(());
    }
    bail!(
        "{} holds a review (decisions.json); a new plan there would discard it. Plan into a new directory and carry the review forward: sailmerge plan EXPORT --out NEW_DIR --previous {}",
        out.display(),
        out.display()
    )
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
    settings.check()?;
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
    check_output_directory(out, args.previous.as_deref())?;
    // Read before any work: a wrong --previous fails at once.
    let stage = Stopwatch::start();
    let history = History::read(args.previous.as_deref(), args.ledger.as_deref())?;
    if args.previous.is_some() || args.ledger.is_some() {
        stage.report(
            printer,
            format!(
                "read the ledger: {} never-merge pairs, {} applied merges",
                history.ledger.never_merge.len(),
                history.ledger.applied.len()
            ),
        );
    }
    let previous_model = match (&args.previous, args.refit) {
        (Some(previous), false) => {
            let model = SavedModel::read(previous)?;
            if model.is_none() {
                printer.info(format!(
                    "{} holds no {MODEL_FILE} (a plan made before models were kept): estimating a new model",
                    previous.display()
                ));
            }
            model
        }
        _ => None,
    };
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;

    let loaded = load::load_exports(&args.exports, &settings.load, printer)?;
    let stage = Stopwatch::start();
    let profiles = load::profiles_from_frame(&loaded.frame)?;
    drop(loaded.frame);
    stage.report(
        printer,
        format!("read {} profiles out of the frame", profiles.len()),
    );
    let profile_count = profiles.len();
    let language = args
        .lang
        .clone()
        .unwrap_or_else(|| report_language(&profiles).to_string());
    let stage = Stopwatch::start();
    let mut resolved = history.resolve(&profiles);
    if args.previous.is_some() || args.ledger.is_some() {
        stage.report(
            printer,
            format!(
                "found the ledger's profiles: {} pairs kept apart, {} lapsed, {} approved band links",
                resolved.summary.never_merge_applied,
                resolved.summary.never_merge_lapsed,
                resolved.summary.band_links_approved
            ),
        );
    }
    let mut settings = settings;
    let options = MatchOptions {
        keep_all_pairs: args.pairs.is_some(),
        model: previous_model.as_ref(),
        constraints: Some(&resolved.constraints),
    };
    let (records, data_quality, mut matching) =
        pipeline::match_profiles(&profiles, &mut settings.matching, options, printer)?;
    let Matching {
        blocking,
        scored,
        clustering,
        band,
    } = &mut matching;
    let (clusters_written, model_written) = rayon::join(
        || csv_files::write_clusters_csv(&out.join("clusters.csv"), &profiles, clustering),
        || scored.saved_model.write(out),
    );
    clusters_written?;
    model_written?;
    if let Some(path) = &args.pairs {
        csv_files::write_pairs_csv(path, &profiles, scored)
            .with_context(|| format!("cannot write --pairs {}", path.display()))?;
    }

    // What the plan keeps of the matching stages, taken now so that their
    // pairs and records are freed before planning: the later stages need
    // only the profiles and the clusters.
    // The plan names its inputs by file name: its hash depends on what was
    // read, not on how the path was spelled.
    let mut load_quality = loaded.quality;
    for file in &mut load_quality.files {
        file.path = file_name(&file.path);
    }
    let diagnostics = Diagnostics {
        data_quality: serde_json::json!({
            "load": load_quality,
            "values": data_quality,
        }),
        blocking: serde_json::to_value(&*blocking)?,
        model: serde_json::to_value(&scored.model)?,
        clustering: serde_json::to_value(&clustering.stats)?,
        threshold: settings.matching.threshold,
        score_histogram: score::weight_histogram(scored),
        review_band: match band {
            Some(band) => serde_json::to_value(&band.stats)?,
            None => serde_json::Value::Null,
        },
    };
    let mut clusters = std::mem::take(&mut clustering.clusters);
    let candidates = band
        .as_mut()
        .map(|band| std::mem::take(&mut band.clusters))
        .unwrap_or_default();
    drop((matching, records));

    let stage = Stopwatch::start();
    let cluster_count = clusters.len();
    clusters.extend(candidates);
    let threshold = settings.matching.threshold;
    let mut planned =
        merge::plan_clusters(profiles, clusters, &settings.planner, threshold, printer);
    let mut planned_candidates = planned.split_off(cluster_count);
    let carried = history.triage(&mut resolved, &mut planned, &mut planned_candidates);
    planned
        .par_iter_mut()
        .chain(planned_candidates.par_iter_mut())
        .for_each(|cluster| {
            warn_merged_before(cluster);
            cluster.triage.risk = assess_risk(cluster, threshold);
        });
    stage.report(
        printer,
        format!(
            "planned {} clusters and {} candidates",
            planned.len(),
            planned_candidates.len()
        ),
    );
    let summary = PlanSummary {
        profiles: profile_count as u64,
        clusters: planned.len() as u64,
        profiles_in_clusters: planned.iter().map(|c| c.members.len() as u64).sum(),
        merge_calls: count_steps(&planned, crate::plan::Method::Merge),
        update_calls: count_steps(&planned, crate::plan::Method::Update),
        clusters_with_lost_values: planned.iter().filter(|c| !c.lost.is_empty()).count() as u64,
        clusters_with_warnings: planned.iter().filter(|c| !c.warnings.is_empty()).count() as u64,
        candidates: planned_candidates.len() as u64,
    };
    let mut inputs = loaded.inputs;
    for input in &mut inputs {
        input.path = file_name(&input.path);
    }
    let mut plan = MergePlan {
        schema_version: SCHEMA_VERSION,
        plan_hash: String::new(),
        generated_by: format!("sailmerge {}", env!("CARGO_PKG_VERSION")),
        inputs,
        settings: serde_json::to_value(&settings)?,
        assumptions: merge::assumptions(&settings.planner),
        summary,
        diagnostics,
        language,
        history: resolved.summary.clone(),
        clusters: planned,
        candidates: planned_candidates,
    };
    let stage = Stopwatch::start();
    plan.seal_and_write(out)?;
    stage.report(printer, "wrote plan.json");

    // The ledger and the report both read the sealed plan and nothing
    // else: written side by side, the report's seconds hide the ledger's.
    let stage = Stopwatch::start();
    let carried_count = carried.len();
    let (ledger_written, report_written) = rayon::join(
        || -> Result<()> {
            PlanLedger::of_plan(&plan, &history.ledger).write(out)?;
            if let Some(path) = &args.ledger {
                ledger::write_team_ledger(path, &history.ledger)?;
            }
            let replaces_review = out.join(DECISIONS_FILE).exists();
            if !carried.is_empty() || replaces_review {
                decisions::start_with(out, &plan.plan_hash, carried, &decisions::now_rfc3339())?;
            }
            Ok(())
        },
        || report::write_report(out, &plan),
    );
    ledger_written?;
    let report_path = report_written?;
    stage.report(
        printer,
        format!(
            "wrote ledger.json ({carried_count} approvals carried into decisions.json) and report.html"
        ),
    );

    let s = &plan.summary;
    printer.info(format!(
        "{} profiles read; {} clusters ({} profiles) to merge in {} calls; {} clusters with lost values, {} with warnings; {} candidates in the review band",
        s.profiles, s.clusters, s.profiles_in_clusters, s.merge_calls + s.update_calls,
        s.clusters_with_lost_values, s.clusters_with_warnings, s.candidates
    ));
    report_history(&plan, args.previous.as_deref(), printer);
    printer.info(format!("report: {}", report_path.display()));
    printer.info(next_step(out, s.clusters + s.candidates));
    // The run ends here and the process with it: freeing the plan's
    // millions of strings one by one would delay the exit by most of a
    // second at a million profiles, and the system takes the memory back
    // at once.
    std::mem::forget(plan);
    Ok(ExitStatus::Success)
}

/// The line that ends a plan: the command a person runs next.
fn next_step(out: &Path, clusters_and_candidates: u64) -> String {
    if clusters_and_candidates == 0 {
        return "nothing to review: no two profiles match at the threshold".to_string();
    }
    let dir = shell_word(&out.display().to_string());
    format!(
        "next: sailmerge review {dir} (decide in a browser; or sailmerge approve {dir} --max-risk low), then sailmerge apply {dir} --base-url URL --dry-run"
    )
}

/// `text` as one word of a POSIX shell command line: as it is when it holds
/// only characters no shell treats specially, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_alphanumeric() || "/._-+:,@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// What the plan carried over, in the lines a person reads after a run.
fn report_history(plan: &MergePlan, previous: Option<&Path>, printer: &Printer) {
    let h = &plan.history;
    if let Some(previous) = previous {
        printer.info(format!(
            "against {}: {} clusters new, {} changed, {} carried over; {} approvals carried into decisions.json ({} not: their clusters changed); {} approved band links made",
            previous.display(),
            h.new,
            h.changed,
            h.carried_over,
            h.approvals_carried,
            h.approvals_not_carried,
            h.band_links_approved
        ));
    }
    if h.never_merge_applied + h.never_merge_lapsed > 0 {
        printer.info(format!(
            "ledger: {} never-merge pairs kept apart, {} lapsed (a profile changed or is gone); {} applied merges known",
            h.never_merge_applied, h.never_merge_lapsed, h.applied_merges
        ));
    }
    if h.merged_away_in_export > 0 {
        printer.warn(format!(
            "{} profiles an earlier apply merged away are still in this export (e.g. {}): the export is older than that apply; clusters holding them carry the warning merged_before",
            h.merged_away_in_export,
            h.merged_away_examples.iter().take(5).map(UserId::as_str).collect::<Vec<_>>().join(", ")
        ));
    }
}

/// A warning on a cluster holding a profile an earlier apply merged away:
/// the export predates that merge, and `apply` would find it gone.
fn warn_merged_before(cluster: &mut PlannedCluster) {
    let merged: Vec<String> = cluster
        .triage
        .applied_before
        .iter()
        .filter(|a| a.user_id != a.survivor)
        .map(|a| {
            format!(
                "{} (into {}, cluster {})",
                a.user_id, a.survivor, a.cluster_id
            )
        })
        .collect();
    if merged.is_empty() {
        return;
    }
    cluster.warnings.push(Warning {
        code: "merged_before".to_string(),
        message: format!(
            "An earlier apply already merged {}: this export is older than that apply. Plan again from a fresh export before approving.",
            merged.join(", ")
        ),
    });
}

/// `ru` when most profiles with a name write it in Cyrillic, else `en`.
pub fn report_language(profiles: &[Profile]) -> &'static str {
    let (mut named, mut cyrillic) = (0usize, 0usize);
    for profile in profiles {
        let name = profile
            .last_name
            .as_deref()
            .or(profile.first_name.as_deref());
        if let Some(name) = name {
            named += 1;
            cyrillic += usize::from(name.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)));
        }
    }
    if named > 0 && cyrillic * 2 > named {
        "ru"
    } else {
        "en"
    }
}

/// The last component of a path as given (`exports/2026/clients.csv` →
/// `clients.csv`).
fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

fn count_steps(planned: &[crate::plan::PlannedCluster], method: crate::plan::Method) -> u64 {
    planned
        .iter()
        .flat_map(|c| &c.steps)
        .filter(|s| s.method == method)
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_the_names() {
        let named = |last: &str| Profile {
            last_name: Some(last.into()),
            ..Profile::default()
        };
        let russian = [named("Иванова"), named("Петров"), named("Smith")];
        assert_eq!(report_language(&russian), "ru");
        let english = [named("Smith"), named("Jones"), named("Петров")];
        assert_eq!(report_language(&english), "en");
        assert_eq!(report_language(&[]), "en");
    }

    #[test]
    fn inputs_are_named_by_file_name_only() {
        assert_eq!(file_name("/tmp/a/export.csv"), "export.csv");
        assert_eq!(file_name("export.csv"), "export.csv");
        assert_eq!(file_name("./data/../export.csv"), "export.csv");
    }

    #[test]
    fn the_last_line_names_the_next_command() {
        let line = next_step(Path::new("out/demo"), 3);
        assert!(
            line.starts_with("next: sailmerge review out/demo "),
            "{line}"
        );
        assert!(line.contains("sailmerge apply out/demo --base-url URL --dry-run"));
        let quoted = next_step(Path::new("my runs/it's"), 1);
        assert!(quoted.contains("review 'my runs/it'\\''s' "), "{quoted}");
        assert!(next_step(Path::new("out"), 0).starts_with("nothing to review"));
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("runs/06-01"), "runs/06-01");
        assert_eq!(shell_word("Прогон 1"), "'Прогон 1'");
        assert_eq!(shell_word("a$b"), "'a$b'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn a_reviewed_directory_is_not_planned_over() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_output_directory(dir.path(), None).is_ok());
        std::fs::write(dir.path().join(DECISIONS_FILE), "{}").unwrap();
        let error = check_output_directory(dir.path(), None).unwrap_err();
        assert!(error.to_string().contains("--previous"), "{error}");
        assert!(check_output_directory(dir.path(), Some(dir.path())).is_ok());
    }
}
