//! What `plan` keeps to stay within memory on large bases, checked on the
//! demo export: scoring keeps only the pairs clustering can link or the
//! review band shows, yet its statistics still count every candidate pair;
//! the stage lines tell the memory used.

use sailmerge::printer::Printer;
use sailmerge::score::weight_of_probability;
use sailmerge::settings::Settings;
use sailmerge::{block, load, normalize, score};

use crate::harness::{command, repo_path, text};

#[test]
fn scoring_keeps_the_linkable_and_band_pairs_and_counts_all_of_them() {
    let printer = Printer::silent();
    let settings = Settings::default();
    let export = repo_path("datasets/demo/export.csv");
    let loaded = load::load_exports(&[export], &settings.load, &printer).unwrap();
    let profiles = load::profiles_from_frame(&loaded.frame).unwrap();
    let reference_date = normalize::date::reference_date_of(&profiles);
    let (records, _) = normalize::normalize_profiles_as_of(&profiles, &printer, reference_date);
    let candidates =
        block::candidate_pairs(&profiles, &records, &settings.matching, &printer).unwrap();
    let scored = score::score_pairs(
        &profiles,
        &records,
        &candidates,
        &settings.matching,
        score::ScoreOptions::default(),
        &printer,
    )
    .unwrap();

    // Kept: the pairs at or above the review band's lower end (0.5), of
    // which those at or above the threshold are the links.
    let threshold_weight = weight_of_probability(settings.matching.threshold);
    let kept_weight = weight_of_probability(settings.matching.lowest_kept_probability());
    assert!(kept_weight < threshold_weight);
    assert!(!scored.pairs.is_empty());
    assert!(scored.pairs.len() < candidates.pairs.len());
    assert!(scored.pairs.iter().all(|pair| pair.weight >= kept_weight));
    assert!(
        scored
            .pairs
            .iter()
            .any(|pair| pair.weight < threshold_weight)
    );
    assert!(
        scored
            .pairs
            .windows(2)
            .all(|two| (two[0].left, two[0].right) < (two[1].left, two[1].right))
    );
    assert_eq!(
        scored.model.pairs_above_threshold,
        scored
            .pairs
            .iter()
            .filter(|pair| pair.weight >= threshold_weight)
            .count() as u64
    );
    assert_eq!(scored.model.candidate_pairs, candidates.pairs.len() as u64);
    let histogram_total: u64 = scored.histogram.iter().map(|bin| bin.count).sum();
    assert_eq!(histogram_total, candidates.pairs.len() as u64);
    // Every candidate pair the threshold keeps is among the kept pairs.
    let above: usize = scored
        .histogram
        .iter()
        .filter(|bin| bin.lower >= threshold_weight.ceil())
        .map(|bin| bin.count as usize)
        .sum();
    assert!(scored.pairs.len() >= above);
}

#[test]
fn plan_stage_lines_tell_resident_and_peak_memory() {
    let out = tempfile::tempdir().unwrap();
    let export = repo_path("datasets/demo/export.csv");
    let output = command(["--no-progress", "plan"])
        .arg(&export)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let normalized = stderr
        .lines()
        .find(|line| line.starts_with("normalized "))
        .expect("a normalize stage line");
    if cfg!(target_os = "linux") {
        assert!(
            normalized.contains("(resident ") && normalized.contains(" GiB, peak "),
            "{normalized}"
        );
    }
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("scored ")
                && line.contains(" at or above the threshold in ")),
        "{stderr}"
    );
}
