//! The matching half of `plan` as one library call: normalize → block →
//! score → cluster. `commands/plan.rs`, the benches and the tests all go
//! through it, so that what they measure and check is what users run.
//!
//! Each stage prints one line when it ends (time, resident and peak
//! memory): on a base of millions of rows the user wants to know where the
//! minutes go. Only the pairs clustering needs (down to the review band's
//! lower end) outlive scoring, unless `MatchOptions::keep_all_pairs` asks
//! for every scored pair (`plan --pairs`). A reviewer's earlier decisions
//! reach clustering as `MatchOptions::constraints`; the review band's
//! candidate clusters are formed beside the planned ones.

use anyhow::Result;

use crate::band;
use crate::block::{self, BlockingStats};
use crate::cluster::{self, Clustering};
use crate::constraints::LinkConstraints;
use crate::memory::ResidentMemory;
use crate::normalize::{self, DataQuality, NormalizedRecord};
use crate::printer::Printer;
use crate::profile::Profile;
use crate::score::saved::SavedModel;
use crate::score::{self, ScoreOptions, ScoredPairs};
use crate::settings::matching::MatchSettings;

#[derive(Debug, Clone, Copy, Default)]
pub struct MatchOptions<'a> {
    /// Keep every scored candidate pair in `Matching::scored`, linked or
    /// not (for `plan --pairs`); otherwise only those clustering links.
    pub keep_all_pairs: bool,
    /// Weigh with an earlier plan's model instead of estimating one
    /// (`plan --previous`, unless `--refit`).
    pub model: Option<&'a SavedModel>,
    /// Pairs a reviewer kept apart or approved (`plan --previous`), by
    /// row of the profiles matched.
    pub constraints: Option<&'a LinkConstraints>,
}

/// What matching found: the candidates' statistics, the scored pairs, the
/// clusters, and the review band's candidate clusters (`None` when the
/// settings leave no band).
pub struct Matching {
    pub blocking: BlockingStats,
    pub scored: ScoredPairs,
    pub clustering: Clustering,
    pub band: Option<Clustering>,
}

/// Normalizes `profiles` and matches them. Fills in
/// `settings.reference_date` when unset (the export's own "today"), so the
/// settings written to the plan say which date was used.
pub fn match_profiles(
    profiles: &[Profile],
    settings: &mut MatchSettings,
    options: MatchOptions<'_>,
    printer: &Printer,
) -> Result<(Vec<NormalizedRecord>, DataQuality, Matching)> {
    let stage = Stopwatch::start();
    let reference_date = *settings
        .reference_date
        .get_or_insert_with(|| normalize::date::reference_date_of(profiles));
    let (records, data_quality) =
        normalize::normalize_profiles_as_of(profiles, printer, reference_date);
    stage.report(printer, format!("normalized {} profiles", profiles.len()));
    let matching = match_records(profiles, &records, settings, options, printer)?;
    Ok((records, data_quality, matching))
}

/// Blocks, scores and clusters records already normalized.
pub fn match_records(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    settings: &MatchSettings,
    options: MatchOptions<'_>,
    printer: &Printer,
) -> Result<Matching> {
    let stage = Stopwatch::start();
    let candidates = block::candidate_pairs(profiles, records, settings, printer)?;
    stage.report(
        printer,
        format!(
            "blocking proposed {} candidate pairs",
            candidates.pairs.len()
        ),
    );

    let stage = Stopwatch::start();
    let scored = score::score_pairs(
        profiles,
        records,
        &candidates,
        settings,
        ScoreOptions {
            keep_all_pairs: options.keep_all_pairs,
            model: options.model,
        },
        printer,
    )?;
    // The scored pairs carry what clustering needs; the candidates go now.
    let blocking = candidates.stats;
    drop(candidates.pairs);
    stage.report(
        printer,
        format!(
            "scored {} pairs, {} at or above the threshold",
            scored.model.candidate_pairs, scored.model.pairs_above_threshold
        ),
    );

    let stage = Stopwatch::start();
    let none = LinkConstraints::default();
    let constraints = options.constraints.unwrap_or(&none);
    // Each clustering is one thread's work, and the band's needs the
    // planned clusters only at its end: the two run side by side.
    let (clustering, lower) = rayon::join(
        || {
            cluster::cluster_pairs_constrained(
                profiles,
                records,
                &scored,
                settings,
                constraints,
                printer,
            )
        },
        || {
            settings.has_review_band().then(|| {
                band::lower_clustering(
                    profiles,
                    records,
                    &scored,
                    settings,
                    constraints,
                    &printer.without_bars(),
                )
            })
        },
    );
    let band = lower.map(|lower| band::candidate_clusters(lower, &clustering.clusters));
    let clustered = format!(
        "clustered {} links into {} clusters",
        clustering.stats.links,
        clustering.clusters.len()
    );
    match &band {
        Some(band) => stage.report(
            printer,
            format!(
                "{clustered}, and the review band (p from {} to {}) into {} candidate clusters",
                settings.review_threshold,
                settings.threshold,
                band.clusters.len()
            ),
        ),
        None => stage.report(printer, clustered),
    }
    Ok(Matching {
        blocking,
        scored,
        clustering,
        band,
    })
}

/// Times one stage for the line it prints when it ends.
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    /// `what in 1.80 s (resident 1.21 GiB, peak 1.57 GiB)`: the memory
    /// after the stage, and the most the run has held so far.
    pub fn report(self, printer: &Printer, what: impl std::fmt::Display) {
        let elapsed = self.0.elapsed().as_secs_f64();
        match ResidentMemory::of_this_process() {
            Some(memory) => {
                printer.info(format!("{what} in {elapsed:.2} s ({})", memory.describe()))
            }
            None => printer.info(format!("{what} in {elapsed:.2} s")),
        }
    }
}
