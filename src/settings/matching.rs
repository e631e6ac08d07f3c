//! `[matching]`: blocking, scoring and clustering.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchSettings {
    /// Match probability above which a pair links.
    pub threshold: f64,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings { threshold: 0.9 }
    }
}
