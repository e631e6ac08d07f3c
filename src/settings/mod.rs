//! Settings, resolved once in layers: command-line flag > environment >
//! config file (`--config`, TOML) > default, into one `Settings` value that
//! `plan --show-settings` prints. Every section rejects unknown keys, so a
//! typo in a config file is an error, not a silent default.

pub mod load;
pub mod matching;
pub mod planner;

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub load: load::LoadSettings,
    pub matching: matching::MatchSettings,
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

    /// The resolved settings as TOML, for `--show-settings` and the plan.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("settings serialise to TOML")
    }
}
