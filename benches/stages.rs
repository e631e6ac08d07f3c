//! Per-stage benchmarks of the `plan` pipeline on one generated export:
//! the three normalisers on raw values, then each stage on the output of
//! the one before (normalise → block → score → cluster → merge planning),
//! so that a regression shows up in the stage that caused it. The whole
//! `plan` at scale is timed by `scripts/bench_pipeline.sh`; these are for
//! comparing a change with the code before it:
//!
//!     cargo bench --bench stages                 # full measurement
//!     cargo bench --bench stages -- --quick      # a quick look
//!     cargo bench --bench stages -- block        # one stage
//!
//! The export is `sailmerge gen` output (20,000 profiles, seed 1: about a
//! fifth of the people with duplicates, hard negatives mixed in), written to
//! a temporary directory and read back by the real loader once, before any
//! measurement.
//!
//! The group `output` reads (and verifies) the plan `sailmerge plan` wrote
//! for that export, writes it sealed, and writes its report; to time them
//! on a large real plan instead (say of the 1M generated export), point
//! `SAILMERGE_SCALE_PLAN_DIR` at its `plan` output directory:
//!
//!     SAILMERGE_SCALE_PLAN_DIR=/tmp/out cargo bench --bench stages -- output

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use sailmerge::block::{self, Candidates};
use sailmerge::cluster::{self, Clustering};
use sailmerge::generate::{GeneratorConfig, generate};
use sailmerge::normalize::{self, NormalizedRecord};
use sailmerge::pipeline::{self, MatchOptions, Matching};
use sailmerge::plan::MergePlan;
use sailmerge::printer::Printer;
use sailmerge::profile::Profile;
use sailmerge::score::{self, ScoredPairs};
use sailmerge::settings::Settings;
use sailmerge::{load, merge, report};

const PROFILES: usize = 20_000;
const SEED: u64 = 1;
/// Fixed, so that ages (and so placeholder and implausible birth dates) do
/// not change with the day the bench runs.
const REFERENCE_DATE: (i32, u32, u32) = (2026, 1, 1);

/// The export loaded and carried through every stage once.
struct Pipeline {
    settings: Settings,
    profiles: Vec<Profile>,
    records: Vec<NormalizedRecord>,
    candidates: Candidates,
    scored: ScoredPairs,
    clustering: Clustering,
}

fn reference_date() -> NaiveDate {
    let (year, month, day) = REFERENCE_DATE;
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid constant date")
}

fn generated_export(dir: &Path) -> PathBuf {
    let config = GeneratorConfig {
        profiles: PROFILES,
        seed: SEED,
        ..GeneratorConfig::default()
    };
    let base = generate(&config).expect("the generator accepts its defaults");
    base.write(dir, false).expect("the export is written");
    dir.join("export.csv")
}

fn pipeline() -> Pipeline {
    let printer = Printer::silent();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let export = generated_export(dir.path());
    let settings = Settings::default();
    let loaded = load::load_exports(&[export], &settings.load, &printer).expect("the export loads");
    let profiles = load::profiles_from_frame(&loaded.frame).expect("profiles from the frame");
    let mut settings = settings;
    settings.matching.reference_date = Some(reference_date());
    let (records, _, matching) = pipeline::match_profiles(
        &profiles,
        &mut settings.matching,
        MatchOptions::default(),
        &printer,
    )
    .expect("matching runs");
    let Matching {
        scored, clustering, ..
    } = matching;
    // The stage benches below start from each stage's real input.
    let candidates = block::candidate_pairs(&profiles, &records, &settings.matching, &printer)
        .expect("blocking runs");
    Pipeline {
        settings,
        profiles,
        records,
        candidates,
        scored,
        clustering,
    }
}

/// The normalisers on every raw value of their field in the export.
fn normalisers(c: &mut Criterion, pipeline: &Pipeline) {
    let profiles = &pipeline.profiles;
    let phones: Vec<&str> = profiles.iter().filter_map(|p| p.phone.as_deref()).collect();
    let emails: Vec<&str> = profiles.iter().filter_map(|p| p.email.as_deref()).collect();
    let mut group = c.benchmark_group("normalize");

    group.throughput(Throughput::Elements(phones.len() as u64));
    group.bench_function("phone", |b| {
        b.iter(|| {
            for phone in &phones {
                black_box(normalize::phone::normalize_phone(black_box(phone)));
            }
        })
    });
    group.throughput(Throughput::Elements(emails.len() as u64));
    group.bench_function("email", |b| {
        b.iter(|| {
            for email in &emails {
                black_box(normalize::email::normalize_email(black_box(email)));
            }
        })
    });
    group.throughput(Throughput::Elements(profiles.len() as u64));
    group.bench_function("name", |b| {
        b.iter(|| {
            for profile in profiles {
                black_box(normalize::name::normalize_name(
                    profile.first_name.as_deref(),
                    profile.middle_name.as_deref(),
                    profile.last_name.as_deref(),
                ));
            }
        })
    });
    group.bench_function("profiles", |b| {
        b.iter_with_large_drop(|| {
            normalize::normalize_profiles_as_of(profiles, &Printer::silent(), reference_date())
        })
    });
    group.finish();
}

/// Blocking, scoring (u sampling, EM, weights), clustering with its guards,
/// and merge planning, each on the previous stage's real output.
fn stages(c: &mut Criterion, pipeline: &Pipeline) {
    let Pipeline {
        settings,
        profiles,
        records,
        candidates,
        scored,
        clustering,
    } = pipeline;
    let matching = &settings.matching;
    let printer = Printer::silent();
    let mut group = c.benchmark_group("stage");
    group.throughput(Throughput::Elements(profiles.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));

    group.bench_function("block", |b| {
        b.iter_with_large_drop(|| block::candidate_pairs(profiles, records, matching, &printer))
    });
    group.bench_function("score", |b| {
        b.iter_with_large_drop(|| {
            score::score_pairs(
                profiles,
                records,
                candidates,
                matching,
                score::ScoreOptions::default(),
                &printer,
            )
        })
    });
    group.bench_function("cluster", |b| {
        b.iter_with_large_drop(|| {
            cluster::cluster_pairs(profiles, records, scored, matching, &printer)
        })
    });
    group.bench_function("match", |b| {
        b.iter_with_large_drop(|| {
            pipeline::match_records(
                profiles,
                records,
                matching,
                MatchOptions::default(),
                &printer,
            )
        })
    });
    group.bench_function("merge_plan", |b| {
        // The profiles and clusters are moved into the plan: each run gets
        // a copy, made outside the measured time.
        b.iter_batched(
            || (profiles.to_vec(), clustering.clusters.clone()),
            |(profiles, clusters)| {
                merge::plan_clusters(
                    profiles,
                    clusters,
                    &settings.planner,
                    matching.threshold,
                    &printer,
                )
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// The plan directory the `output` group reads: SAILMERGE_SCALE_PLAN_DIR,
/// else `sailmerge plan` run on the generated export into `dir`.
fn plan_dir(dir: &Path) -> PathBuf {
    if let Some(given) = std::env::var_os("SAILMERGE_SCALE_PLAN_DIR") {
        return PathBuf::from(given);
    }
    let out = dir.join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_sailmerge"))
        .arg("--quiet")
        .arg("plan")
        .arg(generated_export(dir))
        .arg("--out")
        .arg(&out)
        .status()
        .expect("the sailmerge binary runs");
    assert!(status.success(), "sailmerge plan: {status}");
    out
}

/// Reading and verifying plan.json, writing it sealed, writing the report.
fn output(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let source = plan_dir(dir.path());
    let plan = MergePlan::read(&source).expect("plan.json reads and verifies");
    let written = dir.path().join("written");
    std::fs::create_dir_all(&written).expect("a directory to write into");
    let mut group = c.benchmark_group("output");
    group.throughput(Throughput::Elements(plan.clusters.len() as u64));
    group.sample_size(10);
    group.bench_function("read_plan", |b| {
        b.iter_with_large_drop(|| MergePlan::read(&source).expect("plan.json reads"))
    });
    group.bench_function("write_plan", |b| {
        // Sealing sets the plan's hash: each run seals its own copy, made
        // outside the measured time.
        b.iter_batched(
            || plan.clone(),
            |mut plan| plan.seal_and_write(&written).expect("plan.json is written"),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("write_report", |b| {
        b.iter(|| report::write_report(&written, &plan).expect("report.html is written"))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let pipeline = pipeline();
    assert!(
        !pipeline.clustering.clusters.is_empty(),
        "the generated export yields clusters; otherwise the later stages measure nothing"
    );
    normalisers(c, &pipeline);
    stages(c, &pipeline);
    output(c);
}

criterion_group!(stage_benches, benches);
criterion_main!(stage_benches);
