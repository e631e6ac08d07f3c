//! The survivor: the member every other one is merged into ("to"), whose
//! `user_id` the merged customer keeps. A `SurvivorPolicy` ranks members by
//! one number (higher is better); ties are broken by the smallest user_id
//! (numerically when both are numbers), so the ranking is a total order and
//! the same input always gives the same survivor.

use std::cmp::Ordering;

use chrono::Datelike;

use crate::merge::quality::parse_iso_date;
use crate::profile::{Field, Profile};
use crate::settings::planner::{PlannerSettings, SurvivorPolicy};

/// The policy's score for one member; higher is better.
pub fn policy_score(member: &Profile, settings: &PlannerSettings) -> i64 {
    match settings.survivor {
        SurvivorPolicy::OldestRegisterDate => member
            .register_date
            .as_deref()
            .and_then(parse_iso_date)
            .map_or(i64::MIN, |date| -i64::from(date.num_days_from_ce())),
        SurvivorPolicy::MostPoints => member
            .points
            .as_deref()
            .and_then(|points| points.trim().parse::<i64>().ok())
            .unwrap_or(i64::MIN),
        SurvivorPolicy::MostComplete => Field::PLANNED
            .iter()
            .filter(|field| member.get(**field).is_some())
            .count() as i64,
        SurvivorPolicy::Column => {
            let column = settings.survivor_column.as_deref().unwrap_or_default();
            let value = member.value_of(column);
            let matches = match settings.survivor_column_value.as_deref() {
                Some(wanted) => value == Some(wanted),
                None => value.is_some_and(|v| !v.trim().is_empty()),
            };
            i64::from(matches)
        }
    }
}

/// Total order on user_ids: numbers numerically and before other strings,
/// other strings bytewise.
pub fn compare_user_ids(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Member indices, best survivor first, and how many of the first entries
/// the policy ranks equal (at least one).
pub fn rank_members(members: &[Profile], settings: &PlannerSettings) -> (Vec<usize>, usize) {
    let scores: Vec<i64> = members.iter().map(|m| policy_score(m, settings)).collect();
    let mut ranked: Vec<usize> = (0..members.len()).collect();
    ranked.sort_by(|&a, &b| {
        scores[b]
            .cmp(&scores[a])
            .then_with(|| compare_user_ids(&members[a].user_id, &members[b].user_id))
    });
    let tied = ranked
        .iter()
        .take_while(|&&i| scores[i] == scores[ranked[0]])
        .count();
    (ranked, tied)
}

/// The policy's reason for a member, in plain words.
pub fn describe_policy(member: &Profile, settings: &PlannerSettings) -> String {
    match settings.survivor {
        SurvivorPolicy::OldestRegisterDate => match member.register_date.as_deref() {
            Some(date) => format!("registered first ({date})"),
            None => "no member has a register date".to_string(),
        },
        SurvivorPolicy::MostPoints => match member.points.as_deref() {
            Some(points) => format!("most points ({points})"),
            None => "no member has points".to_string(),
        },
        SurvivorPolicy::MostComplete => {
            format!(
                "most complete ({} of 8 fields filled)",
                policy_score(member, settings)
            )
        }
        SurvivorPolicy::Column => {
            let column = settings.survivor_column.as_deref().unwrap_or_default();
            match member.value_of(column) {
                Some(value) => format!("{column} is {value:?}"),
                None => format!("no member has {column}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(user_id: &str, register_date: Option<&str>, points: Option<&str>) -> Profile {
        Profile {
            user_id: user_id.into(),
            register_date: register_date.map(str::to_string),
            points: points.map(str::to_string),
            ..Profile::default()
        }
    }

    fn settings(policy: SurvivorPolicy) -> PlannerSettings {
        PlannerSettings {
            survivor: policy,
            ..PlannerSettings::default()
        }
    }

    #[test]
    fn oldest_register_date_wins_and_missing_dates_rank_last() {
        let members = [
            member("10", Some("2019-01-01"), None),
            member("11", None, None),
            member("12", Some("2014-07-15"), None),
        ];
        let (ranked, tied) = rank_members(&members, &settings(SurvivorPolicy::OldestRegisterDate));
        assert_eq!(ranked, [2, 0, 1]);
        assert_eq!(tied, 1);
    }

    #[test]
    fn most_points_wins() {
        let members = [
            member("1", None, Some("20")),
            member("2", None, Some("300")),
            member("3", None, None),
        ];
        let (ranked, _) = rank_members(&members, &settings(SurvivorPolicy::MostPoints));
        assert_eq!(ranked[0], 1);
    }

    #[test]
    fn most_complete_wins() {
        let mut full = member("9", None, None);
        full.phone = Some("79161234567".into());
        full.first_name = Some("Иван".into());
        let members = [member("1", None, None), full];
        let (ranked, _) = rank_members(&members, &settings(SurvivorPolicy::MostComplete));
        assert_eq!(ranked[0], 1);
    }

    #[test]
    fn column_value_wins_with_or_without_a_wanted_value() {
        let mut gold = member("5", None, None);
        gold.extra.insert("card".into(), "gold".into());
        let mut silver = member("4", None, None);
        silver.extra.insert("card".into(), "silver".into());
        let members = [silver, gold, member("3", None, None)];
        let mut policy = settings(SurvivorPolicy::Column);
        policy.survivor_column = Some("card".into());
        policy.survivor_column_value = Some("gold".into());
        assert_eq!(rank_members(&members, &policy).0[0], 1);
        policy.survivor_column_value = None;
        let (ranked, tied) = rank_members(&members, &policy);
        assert_eq!(
            (ranked[0], tied),
            (0, 2),
            "any value: both carded members tie, lowest user_id first"
        );
    }

    #[test]
    fn ties_break_by_numeric_user_id() {
        let members = [
            member("100", None, None),
            member("20", None, None),
            member("abc", None, None),
        ];
        let (ranked, tied) = rank_members(&members, &settings(SurvivorPolicy::OldestRegisterDate));
        assert_eq!(ranked, [1, 0, 2]);
        assert_eq!(tied, 3);
        assert_eq!(compare_user_ids("007", "7"), Ordering::Equal);
    }
}
