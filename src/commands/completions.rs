//! `sailmerge completions SHELL`: the shell's completion script, generated
//! from the clap definitions of this very binary, so it knows every
//! subcommand and flag the installed version has.

use std::io::Write;

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Print a shell completion script for sailmerge on stdout.
///
/// Completes subcommands, flags and the values flags take (shells, risk
/// levels, report languages); files where a path is expected.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge completions bash > ~/.local/share/bash-completion/completions/sailmerge
  sailmerge completions zsh > ~/.zfunc/_sailmerge    # with fpath+=(~/.zfunc) in ~/.zshrc
  sailmerge completions fish > ~/.config/fish/completions/sailmerge.fish
  sailmerge completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs, _printer: &Printer) -> Result<ExitStatus> {
    std::io::stdout().write_all(&script(args.shell))?;
    Ok(ExitStatus::Success)
}

/// The whole script, made before anything is written: clap_complete panics
/// on a failed write, and a closed stdout (`| head`) is no failure here.
fn script(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sailmerge", &mut script);
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_every_subcommand() {
        let subcommands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|command| command.get_name().to_string())
            .collect();
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let script = String::from_utf8(script(shell)).unwrap();
            for name in &subcommands {
                assert!(script.contains(name.as_str()), "{shell}: {name} missing");
            }
            assert!(script.contains("--show-settings"), "{shell}");
        }
    }
}
