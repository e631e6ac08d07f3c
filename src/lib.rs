//! sailmerge: finds duplicate customer profiles in Sailplay exports, plans
//! their merges under Sailplay's field-precedence rules, lets a reviewer
//! approve the plan, and applies the approved `users/merge` calls safely.
//!
//! Pipeline, one module per stage, data flowing one way:
//! load → normalize → block → score → cluster → merge (plan) → report →
//! review → apply. `plan.json` is the one contract between planning and
//! execution.

pub(crate) mod apply;
pub(crate) mod band;
pub mod block;
pub mod cli;
pub mod cluster;
pub(crate) mod commands;
pub mod compare;
pub(crate) mod constraints;
pub(crate) mod csv_files;
pub mod decisions;
pub(crate) mod eval;
pub(crate) mod exit;
pub(crate) mod fsutil;
pub mod generate;
pub(crate) mod generate_b;
pub mod ids;
pub(crate) mod ledger;
pub mod load;
pub(crate) mod memory;
pub mod merge;
pub mod normalize;
pub mod pipeline;
pub mod plan;
pub mod printer;
pub mod profile;
pub(crate) mod render_ahead;
pub mod report;
pub(crate) mod review;
pub mod sandbox;
pub mod score;
pub mod settings;

use std::io::ErrorKind;

pub use exit::ExitStatus;

use cli::{Cli, Command};
use printer::Printer;

/// Runs one command line; never panics on bad input, and renders any error
/// as `error:` with its `caused by:` chain on stderr.
pub fn run(cli: Cli) -> ExitStatus {
    let printer = Printer::new(cli.global.quiet, cli.global.no_progress);
    let result = match cli.command {
        Command::Plan(args) => commands::plan::run(args, &printer),
        Command::Eval(args) => commands::eval::run(args, &printer),
        Command::Gen(args) => commands::generate::run(args, &printer),
        Command::Approve(args) => commands::approve::run(args, &printer),
        Command::Review(args) => commands::review::run(args, &printer),
        Command::Sandbox(args) => commands::sandbox::run(args, &printer),
        Command::Apply(args) => commands::apply::run(args, &printer),
        Command::Completions(args) => commands::completions::run(args, &printer),
        Command::Man(args) => commands::man::run(args, &printer),
    };
    match result {
        Ok(status) => status,
        Err(error) if is_broken_pipe(&error) => ExitStatus::Success,
        Err(error) => {
            printer.error(&error);
            ExitStatus::Error
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
    })
}
