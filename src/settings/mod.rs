//! Settings, resolved once in layers: command-line flag > config file
//! (`--config`, TOML) > default, into one `Settings` value that
//! `plan --show-settings` prints, each key with its meaning and allowed
//! values taken from the doc comments below ([`commented`]). Every section
//! rejects unknown keys, so a typo in a config file is an error, not a
//! silent default.

pub mod commented;
pub mod load;
pub mod matching;
pub mod planner;

use std::path::Path;

use anyhow::{Context, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// How exports are read.
    pub load: load::LoadSettings,
    /// Blocking, scoring and clustering: which profiles are linked.
    pub matching: matching::MatchSettings,
    /// Survivor, golden profile and the merge assumptions Sailplay's
    /// documentation leaves open: how the linked profiles are merged.
    pub planner: planner::PlannerSettings,
}

impl Settings {
    /// Defaults overlaid with the config file, if any. Flags are applied by
    /// the command on the returned value.
    pub fn from_config(config: Option<&Path>) -> Result<Settings> {
        let Some(path) = config else {
            return Ok(Settings::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    /// Every problem of every section, all at once; empty when valid.
    /// (Unknown keys and values are parse errors of the file already.)
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.matching.problems();
        problems.extend(self.planner.problems());
        problems
    }

    /// The problems as the error a command stops with: one `error:` line
    /// each, then a `hint:`.
    pub fn check(&self) -> Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        let mut text = format!("invalid settings: {} problem(s)", problems.len());
        for problem in &problems {
            text.push_str("\nerror: ");
            text.push_str(problem);
        }
        text.push_str(
            "\nhint: fix the config file given to --config (or the flag that set it); `sailmerge plan --show-settings` prints every setting resolved",
        );
        anyhow::bail!(text)
    }

    /// The resolved settings as TOML for `--show-settings`: every key with
    /// its meaning and allowed values as comments, a config file to start
    /// from.
    pub fn to_toml(&self) -> String {
        commented::commented_toml(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_reports_every_problem_with_one_hint() {
        let settings: Settings = toml::from_str(
            "[matching]\nthreshold = 1.5\nconflict_weight = 2.0\n[planner]\nweak_link_margin = 3.0\n",
        )
        .unwrap();
        let text = settings.check().unwrap_err().to_string();
        let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(errors.len(), 3, "{text}");
        assert!(errors[2].contains("planner.weak_link_margin"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("hint: ")).count(), 1);
        assert!(Settings::default().check().is_ok());
    }
}
