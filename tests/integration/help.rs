//! What a person reads before running anything: every `--help` and the
//! commented settings of `plan --show-settings`, pinned as insta snapshots
//! so that a change to a flag, a doc comment or a setting shows in review.

use clap::CommandFactory;
use sailmerge::cli::Cli;

use crate::harness::sailmerge;

/// stdout of a run that must succeed and say nothing on stderr. Help is
/// wrapped at a fixed width, whatever the terminal of the test run.
fn stdout_of(args: &[&str]) -> String {
    let output = sailmerge(args, &[("COLUMNS", "100")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

#[test]
fn top_level_help_is_pinned() {
    insta::assert_snapshot!("help", stdout_of(&["--help"]));
}

#[test]
fn every_subcommand_help_is_pinned() {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_string())
        .collect();
    assert!(names.len() >= 9, "{names:?}");
    for name in names {
        insta::assert_snapshot!(format!("help_{name}"), stdout_of(&[&name, "--help"]));
    }
}

#[test]
fn show_settings_is_pinned() {
    insta::assert_snapshot!("show_settings", stdout_of(&["plan", "--show-settings"]));
}
