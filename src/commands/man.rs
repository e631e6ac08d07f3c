//! `sailmerge man`: manual pages in roff, generated from the clap
//! definitions of this very binary (`clap_mangen`), so they say what the
//! installed version does.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};

use crate::cli::Cli;
use crate::exit::ExitStatus;
use crate::fsutil;
use crate::printer::Printer;

/// Print the sailmerge(1) manual page, or write one page per subcommand.
///
/// Without --out, prints sailmerge(1) (the overview, every subcommand named)
/// on stdout. With --out DIR, writes sailmerge.1 and sailmerge-plan.1,
/// sailmerge-review.1, ... (one per subcommand, with all its flags) into
/// DIR, where `man` finds them once DIR is in its path.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge man | man -l -
  sailmerge man --out ~/.local/share/man/man1
  sailmerge man --out /usr/local/share/man/man1 && mandb")]
pub struct ManArgs {
    /// Write every page into this directory (created if missing).
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: ManArgs, printer: &Printer) -> Result<ExitStatus> {
    let pages = pages()?;
    let Some(dir) = args.out else {
        let (_, main_page) = &pages[0];
        std::io::stdout().write_all(main_page)?;
        return Ok(ExitStatus::Success);
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    for (name, page) in &pages {
        fsutil::write_bytes_atomically(&dir.join(name), page)?;
    }
    printer.info(format!(
        "wrote {} manual pages into {}",
        pages.len(),
        Path::new(&dir).display()
    ));
    Ok(ExitStatus::Success)
}

/// Every page with its file name, sailmerge.1 first, then one per
/// subcommand in the order `--help` lists them.
fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut command = Cli::command().disable_help_subcommand(true);
    // Building names the subcommands `sailmerge-plan`, ..., as their pages.
    command.build();
    let mut pages = vec![page(command.clone())?];
    for subcommand in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push(page(subcommand.clone())?);
    }
    Ok(pages)
}

fn page(command: clap::Command) -> Result<(String, Vec<u8>)> {
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    man.render(&mut page)
        .context("cannot render a manual page")?;
    Ok((man.get_filename(), page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_for_sailmerge_and_one_per_subcommand() {
        let pages = pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names[0], "sailmerge.1");
        assert!(names.contains(&"sailmerge-plan.1"), "{names:?}");
        assert!(names.contains(&"sailmerge-apply.1"), "{names:?}");
        assert_eq!(
            names.len(),
            1 + Cli::command().get_subcommands().count(),
            "{names:?}"
        );
        let plan = String::from_utf8(pages[1].1.clone()).unwrap();
        assert!(plan.starts_with(".ie"), "{plan}");
        assert!(plan.contains("show\\-settings"), "{plan}");
    }

    #[test]
    fn pages_are_written_into_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("man1");
        run(
            ManArgs {
                out: Some(out.clone()),
            },
            &Printer::silent(),
        )
        .unwrap();
        assert!(out.join("sailmerge.1").is_file());
        assert!(out.join("sailmerge-review.1").is_file());
    }
}
