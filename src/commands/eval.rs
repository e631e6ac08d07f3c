use anyhow::{Result, bail};
use clap::Args;

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// TODO(owner): document; the doc comment ends with examples.
#[derive(Debug, Args)]
pub struct EvalArgs {}

pub fn run(_args: EvalArgs, _printer: &Printer) -> Result<ExitStatus> {
    bail!("sailmerge eval: not built yet")
}
