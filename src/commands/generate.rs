use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::exit::ExitStatus;
use crate::generate::{GeneratorConfig, generate};
use crate::generate_b;
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
/// in. The same seed and flags give byte-identical files. Two generators,
/// written independently, share this contract: variant a (the default;
/// model and rates in src/generate/mod.rs) and variant b
/// (src/generate_b/mod.rs). An engine change that helps on one and hurts on
/// the other is tuning.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge gen --profiles 10000 --seed 20251123 --out datasets/demo
  sailmerge gen --profiles 1000000 --seed 7 --out /tmp/big
  sailmerge gen --variant b --profiles 100000 --seed 5 --annotations --out /tmp/b
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
    /// Which generator: a (the default) or b, written independently with
    /// its own names, typo models, families and rates.
    #[arg(long, value_enum, default_value_t = Variant::A)]
    pub variant: Variant,
    /// Probability that a person has two or more profiles [default: 0.20
    /// for variant a, 0.27 for variant b].
    #[arg(long, value_name = "P")]
    pub duplicate_rate: Option<f64>,
    /// Share of people generated in hard-negative groups [default: 0.10 for
    /// variant a, 0.14 for variant b]. Variant a: its first model's groups
    /// (spouses, namesakes, father and son, twins, phone neighbours,
    /// recycled phones, placeholders), and a further share P × --hardening
    /// in the groups of real bases (families, family mailboxes, relatives,
    /// undated father and son, shared logins, phone blocks).
    #[arg(long, value_name = "P")]
    pub hard_negative_rate: Option<f64>,
    /// Multiplier on every variation probability (typos, missing fields,
    /// transliteration...): 0 gives clean copies, 2 twice the noise.
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub noise: f64,
    /// Variant a: multiplier on the rates of the properties of real bases (wrong sex
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Variant {
    A,
    B,
}

pub fn run(args: GenArgs, printer: &Printer) -> Result<ExitStatus> {
    if args.variant == Variant::B {
        return run_variant_b(args, printer);
    }
    let config = GeneratorConfig {
        profiles: args.profiles,
        seed: args.seed,
        duplicate_rate: args.duplicate_rate.unwrap_or(0.20),
        hard_negative_rate: args.hard_negative_rate.unwrap_or(0.10),
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

fn run_variant_b(args: GenArgs, printer: &Printer) -> Result<ExitStatus> {
    let config = generate_b::Config {
        profiles: args.profiles,
        seed: args.seed,
        duplicate_share: args
            .duplicate_rate
            .unwrap_or(generate_b::Config::DEFAULT_DUPLICATE_SHARE),
        hard_negative_share: args
            .hard_negative_rate
            .unwrap_or(generate_b::Config::DEFAULT_HARD_NEGATIVE_SHARE),
        noise: args.noise,
    };
    let started = Instant::now();
    let spinner = printer.spinner("gen");
    spinner.set_message(format!("{} profiles (variant b)", config.profiles));
    let base = generate_b::generate(&config)?;
    let summary = base.write(&args.out, args.annotations)?;
    spinner.finish_and_clear();
    printer.info(format!(
        "generated {} profiles of {} people ({} with duplicates, {} true pairs, {} in hard-negative groups) with variant b in {} ({:.1} s)",
        summary.profiles,
        summary.entities,
        summary.entities_with_duplicates,
        summary.true_pairs,
        summary.hard_negative_people,
        args.out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(ExitStatus::Success)
}
