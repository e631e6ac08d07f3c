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

    /// The resolved settings as TOML for `--show-settings`: every key with
    /// its meaning and allowed values as comments, a config file to start
    /// from.
    pub fn to_toml(&self) -> String {
        commented::commented_toml(self)
    }
}
