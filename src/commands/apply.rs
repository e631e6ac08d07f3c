use anyhow::{Result, bail};
use clap::Args;

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// TODO(owner): document; the doc comment ends with examples.
#[derive(Debug, Args)]
pub struct ApplyArgs {}

pub fn run(_args: ApplyArgs, _printer: &Printer) -> Result<ExitStatus> {
    bail!("sailmerge apply: not built yet")
}
