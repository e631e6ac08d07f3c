//! `[load]`: how exports are read.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LoadSettings {
    /// canonical field → export column, overriding header recognition.
    pub map: BTreeMap<String, String>,
    /// `utf-8` or `windows-1251` (any WHATWG label); detected when unset.
    pub encoding: Option<String>,
    /// Field delimiter of delimited text (`,` `;` `|` or `\t`); detected
    /// when unset. Config file only: detection is right for real exports.
    pub delimiter: Option<String>,
}
