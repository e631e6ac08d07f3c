use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::exit::ExitStatus;
use crate::generate::{GeneratorConfig, generate};
use crate::printer::Printer;

/// Generate a synthetic Sailplay export with known duplicates.
///
/// Writes DIR/export.csv (Sailplay's export columns), DIR/truth.csv
/// (user_id,entity_id for every profile) and DIR/generation.json (counts of
/// clusters, variations and hard negatives). Duplicates are near-duplicates:
/// phone, email and origin_user_id are unique as in Sailplay. People who must
/// not be linked (spouses, namesakes, father and son, twins, neighbouring and
/// recycled phone numbers, placeholder profiles, families on consecutive
/// numbers, relatives, logins shared by namesakes, phone blocks) are mixed
/// in. The same seed and flags give byte-identical files. The model and its
/// rates are documented in src/generate/mod.rs.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge gen --profiles 10000 --seed 20251123 --out datasets/demo
  sailmerge gen --profiles 1000000 --seed 7 --out /tmp/big
  sailmerge gen --profiles 50000 --duplicate-rate 0.3 --noise 1.5 --annotations --out /tmp/hard
  sailmerge gen --profiles 5000 --noise 0 --hard-negative-rate 0 --out /tmp/clean
  sailmerge gen --profiles 100000 --seed 5 --hardening 0 --out /tmp/first-model")]
pub struct GenArgs {
    /// Number of profiles (rows) to generate.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub profiles: usize,
    /// Random seed; the same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Output directory (created if missing).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Probability that a person has two or more profiles.
    #[arg(long, value_name = "P", default_value_t = 0.20)]
    pub duplicate_rate: f64,
    /// Share of people generated in the first model's hard-negative groups
    /// (spouses, namesakes, father and son, twins, phone neighbours,
    /// recycled phones, placeholders); a further share P × --hardening comes
    /// in the groups of real bases (families, family mailboxes, relatives,
    /// undated father and son, shared logins, phone blocks).
    #[arg(long, value_name = "P", default_value_t = 0.10)]
    pub hard_negative_rate: f64,
    /// Multiplier on every variation probability (typos, missing fields,
    /// transliteration...): 0 gives clean copies, 2 twice the noise.
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub noise: f64,
    /// Multiplier on the rates of the properties of real bases (wrong sex
    /// fields, store profiles with a phone and a first name, two typos of
    /// one number, maiden/married and double-barrelled surnames, logins
    /// reused by other people, families with one login habit and
    /// consecutive numbers, dense phone ranges, undated fathers and sons,
    /// relatives): 0 gives the first, easier model that datasets/demo was
    /// made with, byte for byte.
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub hardening: f64,
    /// Also write DIR/annotations.csv: per profile its entity, group,
    /// hard-negative kind and variation kinds.
    #[arg(long)]
    pub annotations: bool,
}

pub fn run(args: GenArgs, printer: &Printer) -> Result<ExitStatus> {
    let config = GeneratorConfig {
        profiles: args.profiles,
        seed: args.seed,
        duplicate_rate: args.duplicate_rate,
        hard_negative_rate: args.hard_negative_rate,
        noise: args.noise,
        hardening: args.hardening,
    };
    let started = Instant::now();
    let spinner = printer.spinner("gen");
    spinner.set_message(format!("{} profiles", config.profiles));
    let base = generate(&config)?;
    let summary = base.write(&args.out, args.annotations)?;
    spinner.finish_and_clear();
    let hard_negative_people: usize = summary.hard_negatives.values().map(|c| c.people).sum();
    printer.info(format!(
        "generated {} profiles of {} people ({} with duplicates, {} true pairs, {} in hard-negative groups) in {} ({:.1} s)",
        summary.profiles,
        summary.entities,
        summary.entities_with_duplicates,
        summary.true_pairs,
        hard_negative_people,
        args.out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(ExitStatus::Success)
}
