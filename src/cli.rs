//! The command line: global flags and one subcommand per stage a person
//! drives. Each subcommand's arguments live beside its code in `commands/`.
//! The top-level help shows the workflow the subcommands make together, in
//! the order a person meets them.

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// The workflow and exit codes under `sailmerge --help`.
const AFTER_HELP: &str = "\
Workflow (plan → review → approve → apply):
  1. sailmerge plan export.csv --out runs/06-01
       find duplicates; write clusters.csv, plan.json, report.html
  2. sailmerge review runs/06-01
       approve or reject each cluster in a browser (decisions.json)
  3. sailmerge approve runs/06-01 --max-risk low --reviewer 'Анна Петрова'
       or decide from the terminal
  4. sailmerge apply runs/06-01 --base-url https://api.sailplay.ru --dry-run
       print the calls; without --dry-run (SAILPLAY_TOKEN set), send them
  Next export: sailmerge plan new.csv --out runs/06-08 --previous runs/06-01
  Rehearse step 4 against `sailmerge sandbox` first.

Exit codes: 0 ok, 1 finished with problems, 2 usage or input error.";

#[derive(Debug, Parser)]
#[command(
    name = "sailmerge",
    version,
    about = "Find duplicate Sailplay customer profiles, plan their merges, review them, apply them safely.",
    after_help = AFTER_HELP
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

/// In the order of the workflow, then the tools around it.
#[derive(Debug, Subcommand)]
pub enum Command {
    Plan(commands::plan::PlanArgs),
    Review(commands::review::ReviewArgs),
    Approve(commands::approve::ApproveArgs),
    Apply(commands::apply::ApplyArgs),
    Sandbox(commands::sandbox::SandboxArgs),
    Eval(commands::eval::EvalArgs),
    #[command(name = "gen")]
    Gen(commands::generate::GenArgs),
    Completions(commands::completions::CompletionsArgs),
    Man(commands::man::ManArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
