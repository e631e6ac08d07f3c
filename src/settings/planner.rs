//! `[planner]`: survivor, golden profile and merge assumptions.
//!
//! Every choice the planner makes that Sailplay's documentation does not
//! dictate is a key here, with the default a careful user would pick, so
//! that `plan --show-settings` shows it and a config file can change it.
//! The assumptions listed in `plan.json` are derived from these values.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PlannerSettings {
    /// Which member becomes the survivor ("to" of every merge).
    pub survivor: SurvivorPolicy,
    /// For `survivor = "column"`: the export column (custom attribute) to
    /// look at.
    pub survivor_column: Option<String>,
    /// For `survivor = "column"`: prefer the member whose column equals this
    /// value; when unset, prefer a member with any non-empty value.
    pub survivor_column_value: Option<String>,
    /// Let the order search pick any member as survivor when that reaches
    /// more of the golden profile; otherwise it only chooses among members
    /// the survivor policy ranks equal.
    pub survivor_free: bool,
    /// Add one `users/update` call after the merges that sets the golden
    /// values no merge order reaches.
    pub updates: bool,
    /// Clusters up to this size are searched exhaustively (all survivors and
    /// orders); larger ones use the greedy heuristic.
    pub exact_search_max_members: usize,
    /// Clusters with more members than this get a `large_cluster` warning.
    pub large_cluster_members: usize,
    /// A cluster whose weakest link is within this margin above the match
    /// threshold gets a `weak_link` warning.
    pub weak_link_margin: f64,
    /// Assumption for `register_date`, on which the docs are silent.
    pub register_date: RegisterDateRule,
    /// Assumption for `points`, on which the docs are silent.
    pub points: PointsRule,
    /// Assumption for custom attributes (extra columns) filled in both
    /// profiles, on which the docs are silent.
    pub custom_attributes: AttributeRule,
    /// How the golden (target) value of each field is chosen.
    pub golden: GoldenSettings,
}

impl Default for PlannerSettings {
    fn default() -> Self {
        PlannerSettings {
            survivor: SurvivorPolicy::OldestRegisterDate,
            survivor_column: None,
            survivor_column_value: None,
            survivor_free: false,
            updates: false,
            exact_search_max_members: 7,
            large_cluster_members: 6,
            weak_link_margin: 0.05,
            register_date: RegisterDateRule::Earliest,
            points: PointsRule::Sum,
            custom_attributes: AttributeRule::To,
            golden: GoldenSettings::default(),
        }
    }
}

impl PlannerSettings {
    /// Every combination serde cannot check, all at once, each naming the
    /// key that fixes it; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.survivor == SurvivorPolicy::Column
            && self
                .survivor_column
                .as_deref()
                .is_none_or(|c| c.trim().is_empty())
        {
            problems.push(
                "planner.survivor = \"column\" needs survivor_column = \"<export column>\""
                    .to_string(),
            );
        }
        if self.exact_search_max_members < 2 || self.exact_search_max_members > 9 {
            problems.push(format!(
                "planner.exact_search_max_members must be between 2 and 9 (exhaustive search grows as n!), got {}",
                self.exact_search_max_members
            ));
        }
        if !(0.0..=1.0).contains(&self.weak_link_margin) {
            problems.push(format!(
                "planner.weak_link_margin must be in [0, 1], got {}",
                self.weak_link_margin
            ));
        }
        problems
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurvivorPolicy {
    /// The member registered first (missing dates rank last).
    OldestRegisterDate,
    /// The member with the most points.
    MostPoints,
    /// The member with the most filled fields.
    MostComplete,
    /// The member whose `survivor_column` matches (see there).
    Column,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegisterDateRule {
    /// The earlier of the two dates (the merged history starts there).
    Earliest,
    /// The later of the two dates.
    Latest,
    /// The "to" profile's date when both have one.
    To,
    /// The "from" profile's date when both have one.
    From,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointsRule {
    /// The balances add up (the histories are joined).
    Sum,
    /// The "to" profile's balance when both have one.
    To,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributeRule {
    /// Like phone and email: the "to" profile's value when both have one.
    To,
    /// Like the name fields: the "from" profile's value when both have one.
    From,
}

/// How a field's golden value is picked among the members' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldPolicy {
    /// The best-quality value (full Cyrillic name over a diminutive over a
    /// transliteration over a placeholder; valid date over a placeholder;
    /// mobile over landline over invalid; valid email over invalid), then
    /// the most frequent, then the most recent.
    Best,
    /// The value most members hold, then best quality, then most recent.
    MostFrequent,
    /// The value of the most recently registered member holding one.
    MostRecent,
    /// The value of the earliest registered member holding one.
    Oldest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GoldenSettings {
    pub origin_user_id: FieldPolicy,
    pub phone: FieldPolicy,
    pub email: FieldPolicy,
    pub first_name: FieldPolicy,
    pub middle_name: FieldPolicy,
    pub last_name: FieldPolicy,
    pub birth_date: FieldPolicy,
    pub sex: FieldPolicy,
}

impl Default for GoldenSettings {
    fn default() -> Self {
        GoldenSettings {
            origin_user_id: FieldPolicy::MostRecent,
            phone: FieldPolicy::Best,
            email: FieldPolicy::Best,
            first_name: FieldPolicy::Best,
            middle_name: FieldPolicy::Best,
            last_name: FieldPolicy::Best,
            birth_date: FieldPolicy::Best,
            sex: FieldPolicy::MostFrequent,
        }
    }
}

impl GoldenSettings {
    /// The policy of each planned field, in the order of `Field::PLANNED`.
    pub fn policies(&self) -> [FieldPolicy; 8] {
        [
            self.origin_user_id,
            self.phone,
            self.email,
            self.first_name,
            self.middle_name,
            self.last_name,
            self.birth_date,
            self.sex,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_toml() {
        let settings = PlannerSettings::default();
        let text = toml::to_string(&settings).unwrap();
        let back: PlannerSettings = toml::from_str(&text).unwrap();
        assert_eq!(back, settings);
        assert!(settings.problems().is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let settings: PlannerSettings = toml::from_str(
            "survivor = \"column\"\nexact_search_max_members = 12\nweak_link_margin = 2.0",
        )
        .unwrap();
        let problems = settings.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("survivor_column"), "{problems:?}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<PlannerSettings>("survivr = \"most_points\"").is_err());
        assert!(toml::from_str::<PlannerSettings>("[golden]\nphon = \"best\"").is_err());
    }

    #[test]
    fn partial_config_keeps_other_defaults() {
        let settings: PlannerSettings =
            toml::from_str("register_date = \"to\"\n[golden]\nfirst_name = \"most_recent\"")
                .unwrap();
        assert_eq!(settings.register_date, RegisterDateRule::To);
        assert_eq!(settings.golden.first_name, FieldPolicy::MostRecent);
        assert_eq!(settings.golden.phone, FieldPolicy::Best);
        assert_eq!(settings.points, PointsRule::Sum);
    }
}
