use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sailmerge::cli::Cli::parse();
    ExitCode::from(sailmerge::run(cli) as u8)
}
