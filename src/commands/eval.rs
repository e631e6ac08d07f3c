use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use crate::eval::{
    Breakdown, Calibration, Labelling, Metrics, break_down, calibrate, measure, read_annotations,
    read_clusters, read_stated_pairs, read_truth, render_calibration, true_pairs,
};
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Score a clustering against the truth.
///
/// CLUSTERS is a clusters.csv (user_id,cluster_id, other columns ignored), as
/// `sailmerge plan` writes it; profiles of the truth absent from it are
/// singletons. Prints pairwise and B-cubed precision, recall and F1, the
/// number of predicted clusters and of wrong merges (clusters holding two or
/// more true entities). With no predicted pairs precision is 1; with no true
/// pairs recall is 1. Stdout is a table, or JSON with --json.
///
/// With --pairs (the scored candidate pairs of `sailmerge plan --pairs`), a
/// calibration table: per band of stated probability, the pairs, their mean
/// stated probability, the observed share of true pairs and the difference,
/// flagged (!) where it exceeds 0.08 in a band of 200 pairs or more; and the
/// pairwise recall reached at pair precision 0.99 by linking the candidates
/// above the best threshold on the stated probability. CLUSTERS may then be
/// left out.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge eval --truth datasets/demo/truth.csv out/clusters.csv
  sailmerge eval --truth datasets/demo/truth.csv out/clusters.csv --json
  sailmerge plan datasets/demo/export.csv --out out --pairs out/pairs.csv
  sailmerge eval --truth datasets/demo/truth.csv out/clusters.csv --pairs out/pairs.csv
  sailmerge gen --profiles 50000 --annotations --out /tmp/g
  sailmerge plan /tmp/g/export.csv --out /tmp/p
  sailmerge eval --truth /tmp/g/truth.csv /tmp/p/clusters.csv --annotations /tmp/g/annotations.csv")]
pub struct EvalArgs {
    /// The predicted clusters: CSV with user_id and cluster_id columns.
    #[arg(value_name = "CLUSTERS", required_unless_present = "pairs")]
    pub clusters: Option<PathBuf>,
    /// The truth: CSV with user_id and entity_id columns, one row per
    /// profile (as written by `sailmerge gen`).
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,
    /// The generator's annotations.csv: adds recall per variation kind and
    /// wrong links per hard-negative kind.
    #[arg(long, value_name = "FILE", requires = "clusters")]
    pub annotations: Option<PathBuf>,
    /// Scored candidate pairs (left,right,probability columns, as written by
    /// `sailmerge plan --pairs`): adds the calibration table and the recall
    /// at pair precision 0.99 by ranking.
    #[arg(long, value_name = "FILE")]
    pub pairs: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Evaluation {
    #[serde(flatten)]
    metrics: Option<Metrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    breakdown: Option<Breakdown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calibration: Option<Calibration>,
}

pub fn run(args: EvalArgs, _printer: &Printer) -> Result<ExitStatus> {
    let truth = read_truth(&args.truth)?;
    let mut metrics = None;
    let mut breakdown = None;
    if let Some(clusters) = &args.clusters {
        let labels = Labelling {
            entity: truth.entity.clone(),
            cluster: read_clusters(clusters, &truth)?,
        };
        metrics = Some(measure(&labels));
        if let Some(path) = &args.annotations {
            breakdown = Some(break_down(&labels, &read_annotations(path, &truth)?));
        }
    }
    let calibration = match &args.pairs {
        Some(path) => {
            let mut pairs = read_stated_pairs(path, &truth)?;
            Some(calibrate(&mut pairs, true_pairs(&truth)))
        }
        None => None,
    };
    let evaluation = Evaluation {
        metrics,
        breakdown,
        calibration,
    };
    let text = if args.json {
        let mut json =
            serde_json::to_string_pretty(&evaluation).context("cannot serialise the evaluation")?;
        json.push('\n');
        json
    } else {
        render_table(&evaluation)
    };
    use std::io::Write;
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

fn render_table(evaluation: &Evaluation) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(metrics) = &evaluation.metrics {
        render_metrics(metrics, evaluation.breakdown.as_ref(), &mut out);
    }
    if let Some(calibration) = &evaluation.calibration {
        if !out.is_empty() {
            let _ = writeln!(out);
        }
        out.push_str(&render_calibration(calibration));
    }
    out
}

fn render_metrics(m: &Metrics, breakdown: Option<&Breakdown>, out: &mut String) {
    use std::fmt::Write;
    let _ = writeln!(out, "profiles                  {:>10}", m.profiles);
    let _ = writeln!(
        out,
        "true entities             {:>10}   ({} with 2+ profiles)",
        m.true_entities, m.true_entities_with_duplicates
    );
    let _ = writeln!(out, "true pairs                {:>10}", m.true_pairs);
    let _ = writeln!(
        out,
        "predicted clusters (2+)   {:>10}",
        m.predicted_clusters
    );
    let _ = writeln!(out, "predicted pairs           {:>10}", m.predicted_pairs);
    let _ = writeln!(
        out,
        "true positive pairs       {:>10}   ({} false positive, {} false negative)",
        m.true_positive_pairs, m.false_positive_pairs, m.false_negative_pairs
    );
    let _ = writeln!(
        out,
        "wrong merges              {:>10}   ({:.2} % of predicted clusters)",
        m.wrong_merges,
        100.0 * m.wrong_merge_share
    );
    let _ = writeln!(out, "largest cluster           {:>10}", m.largest_cluster);
    let _ = writeln!(out);
    let _ = writeln!(out, "            precision   recall       F1");
    for (name, scores) in [("pairwise", m.pairwise), ("B-cubed", m.b_cubed)] {
        let _ = writeln!(
            out,
            "{name:<10} {:>10.4} {:>8.4} {:>8.4}",
            scores.precision, scores.recall, scores.f1
        );
    }
    if let Some(breakdown) = breakdown {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "recall by variation (true pairs with a profile showing it)"
        );
        for (kind, recall) in &breakdown.recall_by_variation {
            let _ = writeln!(
                out,
                "  {kind:<26} {:>8} pairs {:>8} found  recall {:.4}",
                recall.true_pairs, recall.found, recall.recall
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "hard negatives (pairs of different people wrongly linked)"
        );
        for (kind, confusion) in &breakdown.linked_by_hard_negative {
            let _ = writeln!(
                out,
                "  {kind:<26} {:>8} pairs {:>8} linked",
                confusion.people_pairs, confusion.linked
            );
        }
    }
}
