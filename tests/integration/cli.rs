//! The clap definition itself: clap checks, in debug builds only and only
//! when asked, what it cannot check at compile time (two arguments with
//! one name or short flag, a `requires` naming no argument, a default
//! outside its value parser's choices...). Without this test such a
//! mistake shows only when someone runs the subcommand it is in.

use clap::CommandFactory;
use sailmerge::cli::Cli;

#[test]
fn the_command_line_definition_passes_clap_s_own_checks() {
    Cli::command().debug_assert();
}
