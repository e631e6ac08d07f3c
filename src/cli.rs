//! The command line: global flags and one subcommand per stage a person
//! drives. Each subcommand's arguments live beside its code in `commands/`.

use clap::{Args, Parser, Subcommand};

use crate::commands;

#[derive(Debug, Parser)]
#[command(
    name = "sailmerge",
    version,
    about = "Find duplicate Sailplay customer profiles, plan their merges, review them, apply them safely.",
    after_help = "Exit codes: 0 ok, 1 finished with problems, 2 usage or input error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print nothing but warnings and errors on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Never draw progress bars (they are drawn only on a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Plan(commands::plan::PlanArgs),
    Eval(commands::eval::EvalArgs),
    #[command(name = "gen")]
    Gen(commands::generate::GenArgs),
    Approve(commands::approve::ApproveArgs),
    Review(commands::review::ReviewArgs),
    Sandbox(commands::sandbox::SandboxArgs),
    Apply(commands::apply::ApplyArgs),
}
