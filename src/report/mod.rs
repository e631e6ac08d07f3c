//! Report: the plan as one self-contained HTML page for the reviewer,
//! `DIR/report.html`, readable offline, printable, and the same page that
//! `sailmerge review` serves to record decisions.
//!
//! The summary (counts, data quality, blocking, assumptions, charts) is
//! rendered here with askama, which escapes every value. The clusters are
//! embedded once as JSON (see [`embed`]) and rendered page by page by the
//! page's own script, which writes data only through `textContent`, so that
//! 100,000 clusters open quickly and no value from an export can become
//! markup. The page loads nothing from the network, and its CSP forbids it.
//!
//! The report reads only the `MergePlan`. The same plan gives the same
//! bytes: nothing here depends on the time or the machine.

pub mod data;
pub mod embed;
pub mod explain;
pub mod svg;
#[cfg(any(test, feature = "testing"))]
pub mod synthetic;
pub mod tables;
pub mod words;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use askama::Template;

use crate::plan::{Assumption, MergePlan};
use crate::render_ahead::render_ahead;
use svg::{Bar, BarChart, Marker, group_thousands, render_bar_chart};
use tables::Row;
use words::{Language, Words};

pub const REPORT_FILE: &str = "report.html";

/// The page's stylesheet and script, kept as files so that they read as CSS
/// and JavaScript, and inlined verbatim (never through the template engine).
const STYLE: &str = include_str!("../../templates/report.css");
const SCRIPT: &str = include_str!("../../templates/report.js");

/// Cluster sizes above this share the last bar of the size chart.
const LARGEST_SIZE_BAR: usize = 15;

/// Writes `DIR/report.html` atomically and returns its path. The page is
/// streamed into the file: the cluster data is serialised and escaped as
/// it is written, one cluster at a time.
pub fn write_report(dir: &Path, plan: &MergePlan) -> Result<PathBuf> {
    let path = dir.join(REPORT_FILE);
    let data = data::page_data(plan);
    let page = report_page(plan, &data);
    crate::fsutil::write_atomically(&path, |out| page.write_into(out))
        .with_context(|| format!("cannot write the report {}", path.display()))?;
    Ok(path)
}

/// The whole page as a string (for `review`, which serves it from memory).
pub fn render_report(plan: &MergePlan) -> Result<String> {
    let data = data::page_data(plan);
    report_page(plan, &data)
        .render()
        .context("cannot render the report template")
}

fn report_page<'a>(plan: &'a MergePlan, data: &'a data::PageData<'a>) -> ReportPage<'a> {
    let language = Language::of_code(&plan.language);
    let w = Words(language);
    let risk_counts = data.risk_counts();
    let section = |key: &str, value: &serde_json::Value| Section::new(w.get(key), value);
    let mut diagnostics = vec![
        section("section_data_quality", &plan.diagnostics.data_quality),
        section("section_blocking", &plan.diagnostics.blocking),
        section("section_clustering", &plan.diagnostics.clustering),
    ];
    if !plan.diagnostics.review_band.is_null() {
        diagnostics.push(section(
            "section_review_band",
            &plan.diagnostics.review_band,
        ));
    }
    diagnostics.push(section("section_model", &plan.diagnostics.model));
    let low = format_probability(data.index.review_threshold);
    let high = format_probability(plan.diagnostics.threshold);
    ReportPage {
        lang: language.code(),
        w,
        title: w.fill(
            "page_title",
            &[
                ("n", &group_thousands(plan.summary.clusters)),
                ("hash", &short_hash(&plan.plan_hash)),
            ],
        ),
        csp: embed::content_security_policy(SCRIPT),
        style: STYLE,
        script: SCRIPT,
        plan_hash: &plan.plan_hash,
        plan_hash_short: short_hash(&plan.plan_hash),
        generated_by: &plan.generated_by,
        threshold: format_probability(plan.diagnostics.threshold),
        kpis: kpis(plan, risk_counts, w, (&low, &high)),
        history_line: history_line(plan, w),
        golden_line: golden_line(plan, w),
        band_note: w.fill("band_note", &[("low", &low), ("high", &high)]),
        planned_count: group_thousands(plan.clusters.len() as u64),
        candidate_count: group_thousands(plan.candidates.len() as u64),
        risk_counts: (
            group_thousands(risk_counts[0]),
            group_thousands(risk_counts[1]),
            group_thousands(risk_counts[2]),
        ),
        size_chart: render_bar_chart(&cluster_size_chart(plan)),
        score_chart: render_bar_chart(&score_chart(plan)),
        warning_codes: data
            .index
            .warning_codes
            .iter()
            .map(|(code, count)| (code.clone(), group_thousands(*count)))
            .collect(),
        inputs: plan
            .inputs
            .iter()
            .map(|input| InputRow {
                path: input.path.clone(),
                rows: group_thousands(input.rows),
                sha256: short_hash(&input.sha256),
            })
            .collect(),
        assumptions: &plan.assumptions,
        diagnostics,
        settings: tables::flatten(&plan.settings),
        data_json: embed::EmbeddedJson(&data.index),
        first_chunk: ClusterDetails(data, 0..data::CHUNK),
        other_chunks: LaterChunks(data),
        search_lines: SearchLines(data),
    }
}

/// Against the previous plan, when there was one.
fn history_line(plan: &MergePlan, w: Words) -> String {
    let h = &plan.history;
    let Some(previous) = &h.previous_plan_hash else {
        return String::new();
    };
    let mut line = w.fill(
        "history_line",
        &[
            ("hash", &short_hash(previous)),
            ("new", &group_thousands(h.new)),
            ("changed", &group_thousands(h.changed)),
            ("carried", &group_thousands(h.carried_over)),
            ("approvals", &group_thousands(h.approvals_carried)),
            ("apart", &group_thousands(h.never_merge_applied)),
        ],
    );
    if h.merged_away_in_export > 0 {
        line.push(' ');
        line.push_str(&w.fill(
            "merged_away_line",
            &[("n", &group_thousands(h.merged_away_in_export))],
        ));
    }
    line
}

/// How many clusters keep a worse value than a member holds, and the
/// remedy, where a reviewer sees it.
fn golden_line(plan: &MergePlan, w: Words) -> String {
    let unreachable = plan
        .clusters
        .iter()
        .filter(|c| c.warnings.iter().any(|w| w.code == "golden_unreachable"))
        .count() as u64;
    if unreachable == 0 {
        return String::new();
    }
    w.fill("golden_line", &[("n", &group_thousands(unreachable))])
}

/// The details of the clusters at index positions in the range, one JSON
/// document per line, built and serialised one at a time as the page is
/// written.
struct ClusterDetails<'a>(&'a data::PageData<'a>, std::ops::Range<usize>);

impl std::fmt::Display for ClusterDetails<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        embed::write_json_lines(f, self.0.details(self.1.clone()))
    }
}

/// Every chunk of details after the first, each in its own element, which
/// the page reads only when it shows one of its cards.
struct LaterChunks<'a>(&'a data::PageData<'a>);

/// Chunks serialised side by side, a batch ahead of the writing: the
/// details are most of the report's time, and a batch bounds what is held.
const CHUNKS_PER_BATCH: usize = 32;

impl std::fmt::Display for LaterChunks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use rayon::prelude::*;
        use std::fmt::Write;
        let total = self.0.index.clusters.len();
        let firsts: Vec<usize> = (data::CHUNK..total).step_by(data::CHUNK).collect();
        render_ahead(
            firsts.chunks(CHUNKS_PER_BATCH),
            |batch| {
                batch
                    .par_iter()
                    .map(|&first| {
                        let mut element = String::new();
                        // No line break after the tag: it would be the chunk's first line.
                        write!(
                            element,
                            r#"<script type="text/plain" class="cluster-details" data-first="{first}">{}</script>"#,
                            ClusterDetails(self.0, first..first + data::CHUNK)
                        )?;
                        element.push('\n');
                        Ok(element)
                    })
                    .collect::<Result<Vec<String>, std::fmt::Error>>()
            },
            |rendered| {
                rendered?
                    .iter()
                    .try_for_each(|element| f.write_str(element))
            },
        )
    }
}

/// Each cluster's searchable text as a JSON string, one per line, in index
/// order.
struct SearchLines<'a>(&'a data::PageData<'a>);

impl std::fmt::Display for SearchLines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        embed::write_json_lines(f, self.0.search_lines())
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    lang: &'static str,
    w: Words,
    title: String,
    csp: String,
    style: &'static str,
    script: &'static str,
    plan_hash: &'a str,
    plan_hash_short: String,
    generated_by: &'a str,
    threshold: String,
    kpis: Vec<Kpi>,
    history_line: String,
    golden_line: String,
    band_note: String,
    planned_count: String,
    candidate_count: String,
    /// Planned clusters per level: high, medium, low.
    risk_counts: (String, String, String),
    size_chart: String,
    score_chart: String,
    warning_codes: Vec<(String, String)>,
    inputs: Vec<InputRow>,
    assumptions: &'a [Assumption],
    diagnostics: Vec<Section>,
    settings: Vec<Row>,
    data_json: embed::EmbeddedJson<'a, data::PageIndex<'a>>,
    /// The first chunk of details, written before the script.
    first_chunk: ClusterDetails<'a>,
    other_chunks: LaterChunks<'a>,
    search_lines: SearchLines<'a>,
}

struct Kpi {
    label: &'static str,
    value: String,
    note: String,
    /// A CSS class for emphasis: `""`, `warn` or `danger`.
    tone: &'static str,
}

struct InputRow {
    path: String,
    rows: String,
    sha256: String,
}

struct Section {
    title: &'static str,
    rows: Vec<Row>,
    /// Keys whose count is zero, listed in one line rather than a row each,
    /// so that the findings stand out.
    zero_keys: String,
}

impl Section {
    fn new(title: &'static str, value: &serde_json::Value) -> Section {
        let (zero, rows): (Vec<Row>, Vec<Row>) = tables::flatten(value)
            .into_iter()
            .partition(|row| row.value == "0");
        Section {
            title,
            rows,
            zero_keys: zero
                .into_iter()
                .map(|row| row.key)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

fn kpis(plan: &MergePlan, [high, medium, low]: [u64; 3], w: Words, band: (&str, &str)) -> Vec<Kpi> {
    let s = &plan.summary;
    let percent = |part: u64, whole: u64| {
        if whole == 0 {
            String::new()
        } else {
            w.fill(
                "kpi_share",
                &[("p", &format!("{:.1}", 100.0 * part as f64 / whole as f64))],
            )
        }
    };
    let mut kpis = vec![
        Kpi {
            label: w.get("kpi_profiles"),
            value: group_thousands(s.profiles),
            note: match plan.inputs.len() {
                1 => w.get("kpi_files_one").to_string(),
                count => w.fill("kpi_files_many", &[("n", &count.to_string())]),
            },
            tone: "",
        },
        Kpi {
            label: w.get("kpi_clusters"),
            value: group_thousands(s.clusters),
            note: w.fill(
                "kpi_clusters_note",
                &[
                    ("n", &group_thousands(s.profiles_in_clusters)),
                    ("share", &percent(s.profiles_in_clusters, s.profiles)),
                ],
            ),
            tone: "",
        },
        Kpi {
            label: w.get("kpi_calls"),
            value: group_thousands(s.merge_calls + s.update_calls),
            note: w.fill(
                "kpi_calls_note",
                &[
                    ("merges", &group_thousands(s.merge_calls)),
                    ("updates", &group_thousands(s.update_calls)),
                ],
            ),
            tone: "",
        },
        Kpi {
            label: w.get("kpi_lost"),
            value: group_thousands(s.clusters_with_lost_values),
            note: w.get("kpi_lost_note").to_string(),
            tone: if s.clusters_with_lost_values > 0 {
                "warn"
            } else {
                ""
            },
        },
        Kpi {
            label: w.get("kpi_high"),
            value: group_thousands(high),
            note: w.fill(
                "kpi_high_note",
                &[
                    ("medium", &group_thousands(medium)),
                    ("low", &group_thousands(low)),
                ],
            ),
            tone: if high > 0 { "danger" } else { "" },
        },
    ];
    if !plan.candidates.is_empty() {
        kpis.push(Kpi {
            label: w.get("kpi_band"),
            value: group_thousands(plan.candidates.len() as u64),
            note: w.fill("kpi_band_note", &[("low", band.0), ("high", band.1)]),
            tone: "",
        });
    }
    kpis
}

/// Clusters by number of profiles, 2 to `LARGEST_SIZE_BAR`+.
fn cluster_size_chart(plan: &MergePlan) -> BarChart {
    let largest = plan.clusters.iter().map(|c| c.members.len()).max();
    let last = largest.unwrap_or(0).clamp(2, LARGEST_SIZE_BAR);
    // No clusters, no bars: the chart then says "no data".
    let mut counts = vec![0u64; if largest.is_some() { last - 1 } else { 0 }];
    for cluster in &plan.clusters {
        let size = cluster.members.len().clamp(2, last);
        counts[size - 2] += 1;
    }
    BarChart {
        title: "Clusters by number of profiles".to_string(),
        x_caption: "profiles per cluster".to_string(),
        bars: counts
            .into_iter()
            .enumerate()
            .map(|(index, count)| {
                let size = index + 2;
                Bar {
                    label: if size == LARGEST_SIZE_BAR && largest > Some(LARGEST_SIZE_BAR) {
                        format!("{size}+")
                    } else {
                        size.to_string()
                    },
                    count,
                    accent: size >= 4,
                }
            })
            .collect(),
        marker: None,
        log_scale: false,
    }
}

/// Scored pairs by match weight, with the threshold drawn where its weight
/// falls; bars above it in the accent colour.
fn score_chart(plan: &MergePlan) -> BarChart {
    let bins = &plan.diagnostics.score_histogram;
    let threshold = plan.diagnostics.threshold;
    let threshold_weight = crate::plan::risk::log2_odds(threshold);
    let marker = bins
        .iter()
        .position(|bin| threshold_weight < bin.upper)
        .map(|index| {
            let bin = &bins[index];
            let width = bin.upper - bin.lower;
            let inside = if width > 0.0 {
                ((threshold_weight - bin.lower) / width).clamp(0.0, 1.0)
            } else {
                0.0
            };
            index as f64 + inside
        })
        .or_else(|| (!bins.is_empty()).then_some(bins.len() as f64))
        .map(|position| Marker {
            position,
            label: format!(
                "threshold p = {} ({threshold_weight:.1} bits)",
                format_probability(threshold)
            ),
        });
    BarChart {
        title: "Scored candidate pairs by match weight".to_string(),
        x_caption: "match weight (log2 Bayes factor)".to_string(),
        bars: bins
            .iter()
            .map(|bin| Bar {
                label: format_weight(bin.lower),
                count: bin.count,
                accent: bin.lower >= threshold_weight,
            })
            .collect(),
        marker,
        log_scale: true,
    }
}

fn format_weight(weight: f64) -> String {
    if weight.fract() == 0.0 {
        format!("{weight:.0}")
    } else {
        format!("{weight:.1}")
    }
}

fn format_probability(probability: f64) -> String {
    let text = format!("{probability:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn short_hash(hash: &str) -> String {
    hash.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::HistogramBin;

    #[test]
    fn threshold_marker_falls_inside_its_bin() {
        let mut plan = synthetic::synthetic_plan(3, 1);
        plan.diagnostics.threshold = 0.8; // log2(0.8 / 0.2) = 2 bits
        plan.diagnostics.score_histogram = (0..4)
            .map(|i| HistogramBin {
                lower: i as f64 * 2.0 - 3.0,
                upper: i as f64 * 2.0 - 1.0,
                count: 5,
            })
            .collect();
        let chart = score_chart(&plan);
        // Bins: [-3,-1) [-1,1) [1,3) [3,5): 2 bits is the middle of bin 2.
        assert!((chart.marker.unwrap().position - 2.5).abs() < 1e-9);
        assert_eq!(
            chart.bars.iter().map(|b| b.accent).collect::<Vec<_>>(),
            [false, false, false, true]
        );
    }

    #[test]
    fn size_chart_groups_the_largest_clusters() {
        let mut plan = synthetic::synthetic_plan(30, 2);
        let extra = plan.clusters[0].members[0].clone();
        plan.clusters[0]
            .members
            .extend(std::iter::repeat_n(extra, 40));
        let chart = cluster_size_chart(&plan);
        assert_eq!(chart.bars.len(), LARGEST_SIZE_BAR - 1);
        assert_eq!(chart.bars.last().unwrap().label, "15+");
        assert_eq!(chart.bars.iter().map(|b| b.count).sum::<u64>(), 30);
    }

    #[test]
    fn probabilities_print_without_trailing_zeros() {
        assert_eq!(format_probability(0.9), "0.9");
        assert_eq!(format_probability(0.95), "0.95");
        assert_eq!(format_probability(0.99999), "1");
        assert_eq!(format_probability(0.1234), "0.1234");
    }

    #[test]
    fn plan_without_clusters_renders_an_empty_page() {
        let mut plan = synthetic::synthetic_plan(0, 1);
        plan.diagnostics.score_histogram.clear();
        let html = render_report(&plan).unwrap();
        assert!(html.contains(r#"<script type="text/plain" id="cluster-details-0"></script>"#));
        assert!(!html.contains(r#"class="cluster-details""#));
        assert_eq!(html.matches("no data").count(), 2);
    }

    #[test]
    fn each_chunk_holds_the_details_of_its_index_positions() {
        let plan = synthetic::synthetic_plan(data::CHUNK * 2 + 30, 3);
        let html = render_report(&plan).unwrap();
        let index_start = html.find(r#"id="plan-data">"#).unwrap() + r#"id="plan-data">"#.len();
        let index_end = index_start + html[index_start..].find("</script>").unwrap();
        let index: serde_json::Value = serde_json::from_str(&html[index_start..index_end]).unwrap();
        let ids: Vec<&str> = index["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[0].as_str().unwrap())
            .collect();
        let mut chunks = vec![(0usize, r#"id="cluster-details-0">"#.to_string())];
        for first in (data::CHUNK..ids.len()).step_by(data::CHUNK) {
            chunks.push((first, format!(r#"data-first="{first}">"#)));
        }
        assert!(chunks.len() >= 3);
        for (first, opening) in chunks {
            let start = html.find(&opening).unwrap() + opening.len();
            let end = start + html[start..].find("</script>").unwrap();
            for (offset, line) in html[start..end].split('\n').enumerate() {
                let detail: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_eq!(
                    detail["id"],
                    ids[first + offset],
                    "chunk {first} line {offset}"
                );
            }
        }
    }

    #[test]
    fn zero_counts_are_listed_apart_from_findings() {
        let section = Section::new(
            "Data quality",
            &serde_json::json!({"phones_invalid": 12, "names_swapped": 0, "sex_conflicts": 0}),
        );
        assert_eq!(section.rows.len(), 1);
        assert_eq!(section.rows[0].key, "phones invalid");
        assert_eq!(section.zero_keys, "names swapped, sex conflicts");
    }

    #[test]
    fn same_plan_renders_the_same_bytes() {
        let plan = synthetic::synthetic_plan(20, 4);
        assert_eq!(render_report(&plan).unwrap(), render_report(&plan).unwrap());
    }
}
