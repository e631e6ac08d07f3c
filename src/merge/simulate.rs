//! Sailplay's `users/merge` and `users/update`, simulated on profiles.
//!
//! `simulate_merge` applies the documented field precedence exactly:
//! `user_id`, `phone`, `email` from **to**; `origin_user_id`, the three
//! names, `birth_date` and `sex` from **from**; a value filled on one side
//! only survives whichever side it is on. Fields the documentation does not
//! cover (`register_date`, `points`, custom attributes in `extra`) follow the
//! `MergeRules` the planner states in `plan.json`. Every value that
//! disappears is reported as a `DroppedValue`, so that nothing is lost
//! silently. All functions here are pure.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::plan::{Method, Step};
use crate::profile::{Field, Profile, Side};
use crate::settings::planner::{AttributeRule, PlannerSettings, PointsRule, RegisterDateRule};

/// The assumptions for fields the documentation is silent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeRules {
    pub register_date: RegisterDateRule,
    pub points: PointsRule,
    pub custom_attributes: AttributeRule,
}

impl Default for MergeRules {
    fn default() -> Self {
        MergeRules::from_settings(&PlannerSettings::default())
    }
}

impl MergeRules {
    pub fn from_settings(settings: &PlannerSettings) -> MergeRules {
        MergeRules {
            register_date: settings.register_date,
            points: settings.points,
            custom_attributes: settings.custom_attributes,
        }
    }
}

/// A value present before a merge or update and gone after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedValue {
    pub field: String,
    pub value: String,
    /// The side the value was on (for an update: `To`, the updated profile).
    pub side: Side,
    /// What the field holds instead.
    pub kept: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The surviving profile: `to` with the merged fields.
    pub merged: Profile,
    pub dropped: Vec<DroppedValue>,
}

/// One `users/merge` of `from` into `to`. The values dropped are listed
/// phone and email first, then the from-side fields, as plans list them.
pub fn simulate_merge(from: &Profile, to: &Profile, rules: &MergeRules) -> MergeOutcome {
    let mut dropped = Vec::new();
    let mut documented = |field: Field, from: &Option<String>, to: &Option<String>| {
        let winner = field
            .documented_side()
            .expect("the precedence table covers every planned field");
        resolve(field.name(), from, to, winner, &mut dropped)
    };
    let merged = Profile {
        user_id: to.user_id.clone(),
        phone: documented(Field::Phone, &from.phone, &to.phone),
        email: documented(Field::Email, &from.email, &to.email),
        origin_user_id: documented(
            Field::OriginUserId,
            &from.origin_user_id,
            &to.origin_user_id,
        ),
        first_name: documented(Field::FirstName, &from.first_name, &to.first_name),
        middle_name: documented(Field::MiddleName, &from.middle_name, &to.middle_name),
        last_name: documented(Field::LastName, &from.last_name, &to.last_name),
        birth_date: documented(Field::BirthDate, &from.birth_date, &to.birth_date),
        sex: documented(Field::Sex, &from.sex, &to.sex),
        register_date: merge_register_date(
            &from.register_date,
            &to.register_date,
            rules.register_date,
            &mut dropped,
        ),
        points: merge_points(&from.points, &to.points, rules.points, &mut dropped),
        extra: merge_attributes(
            &from.extra,
            &to.extra,
            rules.custom_attributes,
            &mut dropped,
        ),
    };
    MergeOutcome { merged, dropped }
}

/// The precedence rule for one field: both filled → the winner's value;
/// one filled → that value.
fn resolve(
    field: &str,
    from: &Option<String>,
    to: &Option<String>,
    winner: Side,
    dropped: &mut Vec<DroppedValue>,
) -> Option<String> {
    match (from, to) {
        (Some(from_value), Some(to_value)) => {
            let (kept, loser, loser_side) = match winner {
                Side::To => (to_value, from_value, Side::From),
                Side::From => (from_value, to_value, Side::To),
            };
            if kept != loser {
                dropped.push(DroppedValue {
                    field: field.to_string(),
                    value: loser.clone(),
                    side: loser_side,
                    kept: Some(kept.clone()),
                });
            }
            Some(kept.clone())
        }
        (Some(value), None) | (None, Some(value)) => Some(value.clone()),
        (None, None) => None,
    }
}

fn merge_register_date(
    from: &Option<String>,
    to: &Option<String>,
    rule: RegisterDateRule,
    dropped: &mut Vec<DroppedValue>,
) -> Option<String> {
    let winner = match (rule, from, to) {
        (RegisterDateRule::To, _, _) => Side::To,
        (RegisterDateRule::From, _, _) => Side::From,
        // ISO dates compare as strings; on a tie the side does not matter.
        (RegisterDateRule::Earliest, Some(f), Some(t)) if f < t => Side::From,
        (RegisterDateRule::Latest, Some(f), Some(t)) if f > t => Side::From,
        _ => Side::To,
    };
    resolve(Field::RegisterDate.name(), from, to, winner, dropped)
}

fn merge_points(
    from: &Option<String>,
    to: &Option<String>,
    rule: PointsRule,
    dropped: &mut Vec<DroppedValue>,
) -> Option<String> {
    if rule == PointsRule::Sum
        && let (Some(from_value), Some(to_value)) = (from, to)
    {
        match (
            from_value.trim().parse::<i64>(),
            to_value.trim().parse::<i64>(),
        ) {
            (Ok(a), Ok(b)) => return Some(a.saturating_add(b).to_string()),
            // A balance that is not a number cannot be added: the numeric
            // one is kept and the other reported as dropped.
            (Ok(_), Err(_)) => return resolve(Field::Points.name(), from, to, Side::From, dropped),
            (Err(_), _) => return resolve(Field::Points.name(), from, to, Side::To, dropped),
        }
    }
    resolve(Field::Points.name(), from, to, Side::To, dropped)
}

fn merge_attributes(
    from: &BTreeMap<String, String>,
    to: &BTreeMap<String, String>,
    rule: AttributeRule,
    dropped: &mut Vec<DroppedValue>,
) -> BTreeMap<String, String> {
    let winner = match rule {
        AttributeRule::To => Side::To,
        AttributeRule::From => Side::From,
    };
    let mut merged = BTreeMap::new();
    for key in from.keys().chain(to.keys()) {
        if merged.contains_key(key) {
            continue;
        }
        let value = resolve(
            key,
            &from.get(key).cloned(),
            &to.get(key).cloned(),
            winner,
            dropped,
        );
        if let Some(value) = value {
            merged.insert(key.clone(), value);
        }
    }
    merged
}

/// The value that clears an identifier.
pub const NULL_VALUE: &str = "null";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UpdateError {
    #[error("users/update needs one identifier (user_id, origin_user_id, user_phone or email)")]
    NoIdentifier,
    #[error("users/update got several identifiers ({0}); send exactly one")]
    SeveralIdentifiers(String),
    #[error("users/update identifies the client by {param}={value}, which is not this profile")]
    NotThisProfile { param: String, value: String },
    #[error("users/update has no parameter {0}")]
    UnknownParameter(String),
    #[error(
        "users/update: {0}=null clears only identifiers (new_phone, new_email, new_origin_user_id)"
    )]
    NullForPlainField(String),
    #[error("users/update: {field} is empty; send a value, or null to clear an identifier")]
    EmptyValue { field: String },
    #[error("users/update: sex must be 1, 2 or 3, got {0:?}")]
    InvalidSex(String),
    #[error("users/update: {field} must be a YYYY-MM-DD date, got {value:?}")]
    InvalidDate { field: String, value: String },
}

/// The identifiers `users/update` may address the profile by, with their
/// parameters (`user_phone` for the phone); exactly one must be given.
fn update_identifiers() -> impl Iterator<Item = (Field, &'static str)> {
    Field::IDENTIFIERS
        .into_iter()
        .filter_map(|field| Some((field, field.lookup_parameter()?)))
}

/// One `users/update` of `profile` with form `params` (token and
/// store_department_id left out).
pub fn simulate_update(
    profile: &Profile,
    params: &BTreeMap<String, String>,
) -> Result<Profile, UpdateError> {
    let identifiers: Vec<(Field, &str)> = update_identifiers()
        .filter(|(_, name)| params.contains_key(*name))
        .collect();
    match identifiers.as_slice() {
        [] => return Err(UpdateError::NoIdentifier),
        [(field, name)] => {
            let value = &params[*name];
            if profile.get(*field) != Some(value.as_str()) {
                return Err(UpdateError::NotThisProfile {
                    param: name.to_string(),
                    value: value.clone(),
                });
            }
        }
        several => {
            let names: Vec<&str> = several.iter().map(|(_, name)| *name).collect();
            return Err(UpdateError::SeveralIdentifiers(names.join(", ")));
        }
    }
    let mut updated = profile.clone();
    for (param, value) in params {
        if update_identifiers().any(|(_, name)| name == param) {
            continue;
        }
        if value.trim().is_empty() {
            return Err(UpdateError::EmptyValue {
                field: param.clone(),
            });
        }
        let Some(field) = Field::ALL
            .into_iter()
            .find(|field| field.update_parameter() == Some(param.as_str()))
        else {
            return Err(UpdateError::UnknownParameter(param.clone()));
        };
        if Field::IDENTIFIERS.contains(&field) {
            updated.set(field, (value != NULL_VALUE).then(|| value.clone()));
        } else {
            if value == NULL_VALUE {
                return Err(UpdateError::NullForPlainField(param.clone()));
            }
            check_plain_value(field, value)?;
            updated.set(field, Some(value.clone()));
        }
    }
    Ok(updated)
}

fn check_plain_value(field: Field, value: &str) -> Result<(), UpdateError> {
    match field {
        Field::Sex if !matches!(value, "1" | "2" | "3") => {
            Err(UpdateError::InvalidSex(value.to_string()))
        }
        Field::BirthDate | Field::RegisterDate
            if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() =>
        {
            Err(UpdateError::InvalidDate {
                field: field.name().to_string(),
                value: value.to_string(),
            })
        }
        _ => Ok(()),
    }
}

/// The values an update replaces or clears.
pub fn update_dropped(before: &Profile, after: &Profile) -> Vec<DroppedValue> {
    let mut dropped = Vec::new();
    for field in Field::PLANNED.into_iter().chain([Field::RegisterDate]) {
        if let Some(old) = before.get(field)
            && after.get(field) != Some(old)
        {
            dropped.push(DroppedValue {
                field: field.name().to_string(),
                value: old.to_string(),
                side: Side::To,
                kept: after.get(field).map(str::to_string),
            });
        }
    }
    dropped
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplayError {
    #[error("step {step}: {param}={user_id} names no live profile (never existed or merged away)")]
    NoSuchProfile {
        step: u32,
        param: String,
        user_id: String,
    },
    #[error("step {step}: a merge needs exactly from_uid and to_uid, got {params}")]
    BadMergeParams { step: u32, params: String },
    #[error("step {step}: from and to are the same profile {user_id}")]
    SelfMerge { step: u32, user_id: String },
    #[error("step {step}: {source}")]
    Update { step: u32, source: UpdateError },
    #[error("step {step}: {field} {value} is already used by profile {user_id}")]
    IdentifierUsed {
        step: u32,
        field: String,
        value: String,
        user_id: String,
    },
}

/// Replays `steps` on the members as exported and returns the profile the
/// last step leaves, checking that every call addresses a live profile and
/// that an update never takes an identifier another live profile holds.
/// A merged-away profile is gone, so its identifiers are free again.
pub fn replay_steps(
    members: &[Profile],
    steps: &[Step],
    rules: &MergeRules,
) -> Result<Option<Profile>, ReplayError> {
    // Keyed by the steps' params, which hold user_ids as the API's strings.
    let mut live: BTreeMap<String, Profile> = members
        .iter()
        .map(|p| (p.user_id.to_string(), p.clone()))
        .collect();
    let mut last = None;
    for step in steps {
        let index = step.index;
        let lookup = |live: &BTreeMap<String, Profile>, param: &str| {
            let user_id = step.params.get(param).cloned().unwrap_or_default();
            live.get(&user_id)
                .cloned()
                .ok_or(ReplayError::NoSuchProfile {
                    step: index,
                    param: param.to_string(),
                    user_id,
                })
        };
        match step.method {
            Method::Merge => {
                if step.params.len() != 2 {
                    return Err(ReplayError::BadMergeParams {
                        step: index,
                        params: format!("{:?}", step.params),
                    });
                }
                let from = lookup(&live, "from_uid")?;
                let to = lookup(&live, "to_uid")?;
                if from.user_id == to.user_id {
                    return Err(ReplayError::SelfMerge {
                        step: index,
                        user_id: to.user_id.into(),
                    });
                }
                let outcome = simulate_merge(&from, &to, rules);
                live.remove(from.user_id.as_str());
                live.insert(to.user_id.to_string(), outcome.merged.clone());
                last = Some(outcome.merged);
            }
            Method::Update => {
                let target = lookup(&live, "user_id")?;
                let updated = simulate_update(&target, &step.params).map_err(|source| {
                    ReplayError::Update {
                        step: index,
                        source,
                    }
                })?;
                for field in [Field::Phone, Field::Email, Field::OriginUserId] {
                    let Some(value) = updated.get(field) else {
                        continue;
                    };
                    if let Some(holder) = live
                        .values()
                        .find(|p| p.user_id != updated.user_id && p.get(field) == Some(value))
                    {
                        return Err(ReplayError::IdentifierUsed {
                            step: index,
                            field: field.name().to_string(),
                            value: value.to_string(),
                            user_id: holder.user_id.to_string(),
                        });
                    }
                }
                live.insert(updated.user_id.to_string(), updated.clone());
                last = Some(updated);
            }
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(user_id: &str, fields: &[(Field, &str)]) -> Profile {
        let mut profile = Profile {
            user_id: user_id.into(),
            ..Profile::default()
        };
        for (field, value) in fields {
            profile.set(*field, Some(value.to_string()));
        }
        profile
    }

    fn with_extra(user_id: &str, columns: &[(&str, &str)]) -> Profile {
        let mut profile = profile(user_id, &[]);
        for (column, value) in columns {
            profile.extra.insert(column.to_string(), value.to_string());
        }
        profile
    }

    fn rules() -> MergeRules {
        MergeRules::default()
    }

    #[test]
    fn user_id_phone_and_email_come_from_to() {
        let from = profile(
            "1",
            &[(Field::Phone, "79990000001"), (Field::Email, "a@mail.ru")],
        );
        let to = profile(
            "2",
            &[(Field::Phone, "79990000002"), (Field::Email, "b@mail.ru")],
        );
        let outcome = simulate_merge(&from, &to, &rules());
        assert_eq!(outcome.merged.user_id, "2");
        assert_eq!(outcome.merged.phone.as_deref(), Some("79990000002"));
        assert_eq!(outcome.merged.email.as_deref(), Some("b@mail.ru"));
        let lost: Vec<_> = outcome.dropped.iter().map(|d| d.value.as_str()).collect();
        assert_eq!(lost, ["79990000001", "a@mail.ru"]);
        assert!(outcome.dropped.iter().all(|d| d.side == Side::From));
    }

    #[test]
    fn names_dates_sex_and_origin_id_come_from_from() {
        let from = profile(
            "1",
            &[
                (Field::OriginUserId, "card-1"),
                (Field::FirstName, "Александр"),
                (Field::MiddleName, "Петрович"),
                (Field::LastName, "Иванов"),
                (Field::BirthDate, "1985-03-04"),
                (Field::Sex, "1"),
            ],
        );
        let to = profile(
            "2",
            &[
                (Field::OriginUserId, "card-2"),
                (Field::FirstName, "Саша"),
                (Field::MiddleName, "Петр."),
                (Field::LastName, "Ivanov"),
                (Field::BirthDate, "1900-01-01"),
                (Field::Sex, "3"),
            ],
        );
        let merged = simulate_merge(&from, &to, &rules()).merged;
        assert_eq!(merged.user_id, "2");
        assert_eq!(merged.origin_user_id.as_deref(), Some("card-1"));
        assert_eq!(merged.first_name.as_deref(), Some("Александр"));
        assert_eq!(merged.middle_name.as_deref(), Some("Петрович"));
        assert_eq!(merged.last_name.as_deref(), Some("Иванов"));
        assert_eq!(merged.birth_date.as_deref(), Some("1985-03-04"));
        assert_eq!(merged.sex.as_deref(), Some("1"));
    }

    #[test]
    fn a_value_on_one_side_survives_whichever_side_it_is_on() {
        let from = profile(
            "1",
            &[(Field::Phone, "79990000001"), (Field::LastName, "Иванова")],
        );
        let to = profile(
            "2",
            &[(Field::Email, "b@mail.ru"), (Field::FirstName, "Мария")],
        );
        let outcome = simulate_merge(&from, &to, &rules());
        assert_eq!(outcome.merged.phone.as_deref(), Some("79990000001"));
        assert_eq!(outcome.merged.email.as_deref(), Some("b@mail.ru"));
        assert_eq!(outcome.merged.first_name.as_deref(), Some("Мария"));
        assert_eq!(outcome.merged.last_name.as_deref(), Some("Иванова"));
        assert!(outcome.dropped.is_empty());
    }

    #[test]
    fn equal_values_drop_nothing() {
        let from = profile(
            "1",
            &[(Field::FirstName, "Иван"), (Field::Phone, "79990000001")],
        );
        let to = profile(
            "2",
            &[(Field::FirstName, "Иван"), (Field::Phone, "79990000001")],
        );
        assert!(simulate_merge(&from, &to, &rules()).dropped.is_empty());
    }

    #[test]
    fn register_date_rules() {
        let from = profile("1", &[(Field::RegisterDate, "2015-01-01")]);
        let to = profile("2", &[(Field::RegisterDate, "2019-06-30")]);
        let date = |rule| {
            let rules = MergeRules {
                register_date: rule,
                ..rules()
            };
            simulate_merge(&from, &to, &rules)
                .merged
                .register_date
                .unwrap()
        };
        assert_eq!(date(RegisterDateRule::Earliest), "2015-01-01");
        assert_eq!(date(RegisterDateRule::Latest), "2019-06-30");
        assert_eq!(date(RegisterDateRule::To), "2019-06-30");
        assert_eq!(date(RegisterDateRule::From), "2015-01-01");
        // Earliest is symmetric.
        let reversed = simulate_merge(&to, &from, &rules())
            .merged
            .register_date
            .unwrap();
        assert_eq!(reversed, "2015-01-01");
    }

    #[test]
    fn points_add_up_or_follow_to() {
        let from = profile("1", &[(Field::Points, "150")]);
        let to = profile("2", &[(Field::Points, "40")]);
        assert_eq!(
            simulate_merge(&from, &to, &rules())
                .merged
                .points
                .as_deref(),
            Some("190")
        );
        let to_rule = MergeRules {
            points: PointsRule::To,
            ..rules()
        };
        let outcome = simulate_merge(&from, &to, &to_rule);
        assert_eq!(outcome.merged.points.as_deref(), Some("40"));
        assert_eq!(outcome.dropped[0].value, "150");
    }

    #[test]
    fn points_that_are_not_numbers_are_not_added() {
        let from = profile("1", &[(Field::Points, "n/a")]);
        let to = profile("2", &[(Field::Points, "40")]);
        let outcome = simulate_merge(&from, &to, &rules());
        assert_eq!(outcome.merged.points.as_deref(), Some("40"));
        assert_eq!(outcome.dropped[0].value, "n/a");
    }

    #[test]
    fn custom_attributes_follow_the_configured_side_and_union() {
        let from = with_extra("1", &[("card_type", "gold"), ("city", "Омск")]);
        let to = with_extra("2", &[("card_type", "silver"), ("shop", "12")]);
        let merged = simulate_merge(&from, &to, &rules()).merged;
        assert_eq!(merged.extra["card_type"], "silver");
        assert_eq!(merged.extra["city"], "Омск");
        assert_eq!(merged.extra["shop"], "12");
        let from_rule = MergeRules {
            custom_attributes: AttributeRule::From,
            ..rules()
        };
        assert_eq!(
            simulate_merge(&from, &to, &from_rule).merged.extra["card_type"],
            "gold"
        );
    }

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn update_sets_plain_fields_and_replaces_identifiers() {
        let before = profile(
            "7",
            &[(Field::Phone, "79990000001"), (Field::FirstName, "Саша")],
        );
        let after = simulate_update(
            &before,
            &params(&[
                ("user_id", "7"),
                ("first_name", "Александр"),
                ("new_phone", "79990000002"),
                ("new_email", "sasha@mail.ru"),
            ]),
        )
        .unwrap();
        assert_eq!(after.first_name.as_deref(), Some("Александр"));
        assert_eq!(after.phone.as_deref(), Some("79990000002"));
        assert_eq!(after.email.as_deref(), Some("sasha@mail.ru"));
        assert_eq!(after.user_id, "7");
    }

    #[test]
    fn update_null_clears_an_identifier_but_not_a_plain_field() {
        let before = profile(
            "7",
            &[(Field::OriginUserId, "card"), (Field::Phone, "79990000001")],
        );
        let after = simulate_update(
            &before,
            &params(&[
                ("user_phone", "79990000001"),
                ("new_origin_user_id", "null"),
            ]),
        )
        .unwrap();
        assert_eq!(after.origin_user_id, None);
        assert_eq!(
            simulate_update(
                &before,
                &params(&[("user_id", "7"), ("first_name", "null")])
            ),
            Err(UpdateError::NullForPlainField("first_name".into()))
        );
    }

    #[test]
    fn update_rejects_wrong_identifier_unknown_params_and_bad_values() {
        let before = profile("7", &[(Field::Email, "a@mail.ru")]);
        assert_eq!(
            simulate_update(&before, &params(&[("first_name", "Иван")])),
            Err(UpdateError::NoIdentifier)
        );
        assert!(matches!(
            simulate_update(
                &before,
                &params(&[("email", "b@mail.ru"), ("first_name", "Иван")])
            ),
            Err(UpdateError::NotThisProfile { .. })
        ));
        assert!(matches!(
            simulate_update(
                &before,
                &params(&[("user_id", "7"), ("email", "a@mail.ru")])
            ),
            Err(UpdateError::SeveralIdentifiers(_))
        ));
        assert_eq!(
            simulate_update(
                &before,
                &params(&[("user_id", "7"), ("phone", "79990000001")])
            ),
            Err(UpdateError::UnknownParameter("phone".into()))
        );
        assert_eq!(
            simulate_update(&before, &params(&[("user_id", "7"), ("sex", "4")])),
            Err(UpdateError::InvalidSex("4".into()))
        );
        assert!(matches!(
            simulate_update(
                &before,
                &params(&[("user_id", "7"), ("birth_date", "04.03.1985")])
            ),
            Err(UpdateError::InvalidDate { .. })
        ));
    }

    fn merge_step(index: u32, from: &str, to: &str) -> Step {
        Step {
            index,
            method: Method::Merge,
            params: params(&[("from_uid", from), ("to_uid", to)]),
            after: Profile::default(),
        }
    }

    #[test]
    fn replay_refuses_a_profile_already_merged_away() {
        let members = [profile("1", &[]), profile("2", &[]), profile("3", &[])];
        let steps = [merge_step(1, "1", "2"), merge_step(2, "1", "3")];
        assert!(matches!(
            replay_steps(&members, &steps, &rules()),
            Err(ReplayError::NoSuchProfile { step: 2, .. })
        ));
    }

    #[test]
    fn replay_frees_identifiers_of_merged_away_profiles_only() {
        let members = [
            profile("1", &[(Field::Phone, "79990000001")]),
            profile("2", &[(Field::Phone, "79990000002")]),
        ];
        let update = Step {
            index: 1,
            method: Method::Update,
            params: params(&[("user_id", "2"), ("new_phone", "79990000001")]),
            after: Profile::default(),
        };
        assert!(matches!(
            replay_steps(&members, std::slice::from_ref(&update), &rules()),
            Err(ReplayError::IdentifierUsed { .. })
        ));
        let update_after_merge = Step { index: 2, ..update };
        let result = replay_steps(
            &members,
            &[merge_step(1, "1", "2"), update_after_merge],
            &rules(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(result.phone.as_deref(), Some("79990000001"));
    }
}
