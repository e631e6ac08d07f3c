//! The golden profile: for each of the eight planned fields, the value the
//! merged profile should end with, chosen among the members' values by the
//! field's `FieldPolicy`. A golden value is always some member's value (or
//! none when no member has one), so a merge order can in principle reach
//! it; whether one order reaches all of them at once is `order`'s question.
//!
//! Every policy ends in the same deterministic tie-breaks: quality, then
//! frequency, then recency, then the smallest value.

use std::cmp::Reverse;

use crate::merge::quality::QualityMemo;
use crate::profile::{Field, Profile};
use crate::settings::planner::{FieldPolicy, GoldenSettings};

/// Golden values indexed like `Field::PLANNED`.
pub type GoldenValues = [Option<String>; Field::PLANNED.len()];

pub fn choose_golden(
    members: &[Profile],
    settings: &GoldenSettings,
    memo: &QualityMemo,
) -> GoldenValues {
    let policies = settings.policies();
    std::array::from_fn(|slot| choose_value(Field::PLANNED[slot], members, policies[slot], memo))
}

/// What a policy weighs about one candidate value.
struct Candidate<'a> {
    value: &'a str,
    quality: u8,
    holders: usize,
    /// Latest register_date among holders; `None` (no date) ranks oldest.
    newest: Option<&'a str>,
    /// Earliest register_date among holders; no date ranks newest.
    oldest: Option<&'a str>,
}

pub fn choose_value(
    field: Field,
    members: &[Profile],
    policy: FieldPolicy,
    memo: &QualityMemo,
) -> Option<String> {
    let mut candidates: Vec<Candidate> = Vec::new();
    for member in members {
        let Some(value) = member.get(field) else {
            continue;
        };
        let registered = member.register_date.as_deref();
        match candidates.iter_mut().find(|c| c.value == value) {
            Some(candidate) => {
                candidate.holders += 1;
                candidate.newest = candidate.newest.max(registered);
                candidate.oldest = match (candidate.oldest, registered) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => candidates.push(Candidate {
                value,
                quality: 0,
                holders: 1,
                newest: registered,
                oldest: registered,
            }),
        }
    }
    // Judging a value costs a normalisation; a lone candidate needs none.
    if candidates.len() > 1 {
        for candidate in &mut candidates {
            candidate.quality = memo.quality(field, candidate.value);
        }
    }
    let best = match policy {
        FieldPolicy::Best => candidates
            .iter()
            .max_by_key(|c| (c.quality, c.holders, c.newest, Reverse(c.value))),
        FieldPolicy::MostFrequent => candidates
            .iter()
            .max_by_key(|c| (c.holders, c.quality, c.newest, Reverse(c.value))),
        FieldPolicy::MostRecent => candidates
            .iter()
            .max_by_key(|c| (c.newest, c.quality, c.holders, Reverse(c.value))),
        FieldPolicy::Oldest => candidates.iter().max_by_key(|c| {
            (
                c.oldest.is_some(),
                c.oldest.map(Reverse),
                c.quality,
                c.holders,
                Reverse(c.value),
            )
        }),
    };
    best.map(|c| c.value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(
        user_id: &str,
        registered: Option<&str>,
        field: Field,
        value: Option<&str>,
    ) -> Profile {
        let mut profile = Profile {
            user_id: user_id.into(),
            register_date: registered.map(str::to_string),
            ..Profile::default()
        };
        profile.set(field, value.map(str::to_string));
        profile
    }

    fn choose(
        field: Field,
        policy: FieldPolicy,
        members: &[(Option<&str>, Option<&str>)],
    ) -> Option<String> {
        let profiles: Vec<Profile> = members
            .iter()
            .enumerate()
            .map(|(i, (registered, value))| member(&i.to_string(), *registered, field, *value))
            .collect();
        choose_value(field, &profiles, policy, &QualityMemo::default())
    }

    #[test]
    fn best_prefers_full_cyrillic_name_even_when_outnumbered() {
        let chosen = choose(
            Field::FirstName,
            FieldPolicy::Best,
            &[
                (None, Some("Саша")),
                (None, Some("Саша")),
                (None, Some("Александр")),
                (None, Some("Alexander")),
            ],
        );
        assert_eq!(chosen.as_deref(), Some("Александр"));
    }

    #[test]
    fn most_frequent_prefers_the_majority() {
        let chosen = choose(
            Field::FirstName,
            FieldPolicy::MostFrequent,
            &[
                (None, Some("Саша")),
                (None, Some("Саша")),
                (None, Some("Александр")),
            ],
        );
        assert_eq!(chosen.as_deref(), Some("Саша"));
    }

    #[test]
    fn most_recent_and_oldest_follow_register_date() {
        let members = [
            (Some("2016-05-01"), Some("ivan@mail.ru")),
            (Some("2021-02-03"), Some("ivan@yandex.ru")),
            (None, Some("ivan@gmail.com")),
        ];
        assert_eq!(
            choose(Field::Email, FieldPolicy::MostRecent, &members).as_deref(),
            Some("ivan@yandex.ru")
        );
        assert_eq!(
            choose(Field::Email, FieldPolicy::Oldest, &members).as_deref(),
            Some("ivan@mail.ru")
        );
    }

    #[test]
    fn best_prefers_real_birth_date_over_placeholder() {
        let chosen = choose(
            Field::BirthDate,
            FieldPolicy::Best,
            &[
                (None, Some("1900-01-01")),
                (None, Some("1900-01-01")),
                (None, Some("1988-07-12")),
            ],
        );
        assert_eq!(chosen.as_deref(), Some("1988-07-12"));
    }

    #[test]
    fn best_prefers_mobile_over_landline() {
        let chosen = choose(
            Field::Phone,
            FieldPolicy::Best,
            &[
                (Some("2020-01-01"), Some("74951234567")),
                (Some("2010-01-01"), Some("79161234567")),
            ],
        );
        assert_eq!(chosen.as_deref(), Some("79161234567"));
    }

    #[test]
    fn best_prefers_valid_email_over_invalid() {
        let chosen = choose(
            Field::Email,
            FieldPolicy::Best,
            &[
                (Some("2020-01-01"), Some("ivan@mail")),
                (Some("2010-01-01"), Some("ivan@mail.ru")),
            ],
        );
        assert_eq!(chosen.as_deref(), Some("ivan@mail.ru"));
    }

    #[test]
    fn equal_quality_falls_back_to_frequency_then_recency_then_smallest_value() {
        let by_recency = choose(
            Field::Phone,
            FieldPolicy::Best,
            &[
                (Some("2010-01-01"), Some("79161234567")),
                (Some("2020-01-01"), Some("79261234567")),
            ],
        );
        assert_eq!(by_recency.as_deref(), Some("79261234567"));
        let by_value = choose(
            Field::Sex,
            FieldPolicy::MostFrequent,
            &[(None, Some("2")), (None, Some("1"))],
        );
        assert_eq!(by_value.as_deref(), Some("1"));
    }

    #[test]
    fn no_value_anywhere_gives_none() {
        assert_eq!(
            choose(
                Field::Phone,
                FieldPolicy::Best,
                &[(None, None), (None, None)]
            ),
            None
        );
    }
}
