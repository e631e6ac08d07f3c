//! How common the values a pair agrees on are: a shared rare name, date
//! or login is strong evidence, a common one weak. Looked up once per
//! profile, not once per pair: a pair scores in nanoseconds, a string hash
//! lookup costs more than that.

use rayon::prelude::*;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use crate::normalize::NormalizedRecord;
use crate::profile::Sex;

use super::comparison::Field;

/// The chance that a profile other than the one looked up holds a value
/// that `count` of `total` profiles hold: `(count - 1) / total`, the
/// record itself left out (its own value says nothing about how common the
/// value is among other people; counting it would halve the evidence of a
/// value two profiles share and no one else does). At least `1 / total`,
/// so that a value seen once under one sex and again under another still
/// weighs as rare, not infinitely strong.
fn share_among_others(count: f64, total: f64) -> f64 {
    if total <= 0.0 {
        return 1.0;
    }
    (count - 1.0).max(1.0) / total
}

/// How common each first name, surname and birth date is among the
/// people who have one: the share of them holding the value, looked up
/// once per profile (not once per pair: a pair scores in nanoseconds, a
/// string hash lookup costs more than that). People, not profiles: a value
/// is counted once per companion value (a surname once per first name, a
/// first name once per surname, a patronymic or a birth date once per
/// first name), so that one woman's six profiles do not make her rare
/// surname look six times as common; a profile without the companion
/// counts by itself. Names are counted per sex: a
/// pair weighed on its names does not conflict in sex (see
/// `model::estimate_u`), so the chance that another profile agrees on
/// Александр is its share among men, about twice its share among all.
pub(crate) struct TermFrequencies {
    /// Per record: the shares of its first name, surname, patronymic and
    /// birth date; 1 where it has none.
    shares: Vec<[f64; 4]>,
    /// Per record: how many other profiles hold its e-mail login (on any
    /// domain); 0 without a usable e-mail.
    login_others: Vec<u32>,
}

/// Shares of names among all profiles, among men and among women.
struct ValueShares<'a> {
    all: FxHashMap<&'a str, f64>,
    male: FxHashMap<&'a str, f64>,
    female: FxHashMap<&'a str, f64>,
}

impl<'a> ValueShares<'a> {
    /// One pass over the records, counting every value overall and under
    /// its profile's sex, once per companion value.
    fn of(
        records: &'a [NormalizedRecord],
        value: impl Fn(&'a NormalizedRecord) -> Option<&'a str>,
        companion: impl Fn(&'a NormalizedRecord) -> Option<&'a str>,
    ) -> ValueShares<'a> {
        let mut counts: [FxHashMap<&'a str, f64>; 3] = Default::default();
        let mut totals = [0.0f64; 3];
        let mut people = FxHashSet::default();
        for record in records {
            let Some(value) = value(record) else {
                continue;
            };
            if let Some(companion) = companion(record)
                && !people.insert(person_key(value, companion))
            {
                continue;
            }
            let mut count = |slot: usize| {
                *counts[slot].entry(value).or_default() += 1.0;
                totals[slot] += 1.0;
            };
            count(0);
            match record.sex {
                Some(Sex::Male) => count(1),
                Some(Sex::Female) => count(2),
                _ => {}
            }
        }
        for (slot_counts, total) in counts.iter_mut().zip(totals) {
            for count in slot_counts.values_mut() {
                *count = share_among_others(*count, total);
            }
        }
        let [all, male, female] = counts;
        ValueShares { all, male, female }
    }

    /// The value's share among profiles of `sex`, or among all when the
    /// sex is unknown (or the value unseen among that sex).
    fn get(&self, value: &str, sex: Option<Sex>) -> Option<f64> {
        let among_sex = match sex {
            Some(Sex::Male) => self.male.get(value),
            Some(Sex::Female) => self.female.get(value),
            _ => None,
        };
        among_sex.or_else(|| self.all.get(value)).copied()
    }
}

/// A value and its companion as one hashed key (the strings themselves
/// would cost a copy of every name at ten million profiles).
fn person_key(value: &str, companion: &str) -> u64 {
    let mut hasher = FxHasher::default();
    value.hash(&mut hasher);
    companion.hash(&mut hasher);
    hasher.finish()
}

/// The first name a record's companion keys use: its first full form.
fn first_name_of(record: &NormalizedRecord) -> Option<&str> {
    record
        .name
        .first_full
        .first()
        .map(|name| name.as_str())
        .or(record.name.first.as_deref())
}

impl TermFrequencies {
    pub(crate) fn from_records(records: &[NormalizedRecord]) -> TermFrequencies {
        let ((first_names, (last_names, patronymics)), birth_dates) = rayon::join(
            || {
                rayon::join(
                    || {
                        ValueShares::of(
                            records,
                            |r| r.name.first.as_deref(),
                            |r| r.name.last_key.as_deref(),
                        )
                    },
                    || {
                        rayon::join(
                            || ValueShares::of(records, |r| r.name.last.as_deref(), first_name_of),
                            || {
                                ValueShares::of(
                                    records,
                                    |r| r.name.middle.as_deref(),
                                    first_name_of,
                                )
                            },
                        )
                    },
                )
            },
            || {
                let mut counts: FxHashMap<chrono::NaiveDate, f64> = FxHashMap::default();
                let mut total = 0.0;
                let mut people = FxHashSet::default();
                for record in records {
                    let Some(date) = record.birth_date else {
                        continue;
                    };
                    if let Some(first) = first_name_of(record)
                        && !people.insert(person_key(&date.to_string(), first))
                    {
                        continue;
                    }
                    *counts.entry(date).or_default() += 1.0;
                    total += 1.0;
                }
                for count in counts.values_mut() {
                    *count = share_among_others(*count, total);
                }
                counts
            },
        );
        let shares = records
            .par_iter()
            .map(|record| {
                [
                    record
                        .name
                        .first
                        .as_deref()
                        .and_then(|v| first_names.get(v, record.sex)),
                    record
                        .name
                        .last
                        .as_deref()
                        .and_then(|v| last_names.get(v, record.sex)),
                    record
                        .name
                        .middle
                        .as_deref()
                        .and_then(|v| patronymics.get(v, record.sex)),
                    record.birth_date.and_then(|v| birth_dates.get(&v).copied()),
                ]
                .map(|share| share.unwrap_or(1.0))
            })
            .collect();
        TermFrequencies {
            shares,
            login_others: login_others(records),
        }
    }

    /// How many other profiles hold record `row`'s e-mail login, at least
    /// one (the pair's other profile does).
    pub(crate) fn login_others(&self, row: usize) -> f64 {
        f64::from(self.login_others.get(row).copied().unwrap_or(0).max(1))
    }

    /// The share of record `row`'s value of `field`; 1 when unknown, so an
    /// unexpected lookup can only weaken evidence.
    pub(crate) fn of(&self, field: Field, row: usize) -> f64 {
        let slot = match field {
            Field::FirstName => 0,
            Field::LastName => 1,
            Field::Patronymic => 2,
            Field::BirthDate => 3,
            _ => return 1.0,
        };
        self.shares.get(row).map_or(1.0, |shares| shares[slot])
    }
}

/// The login of a record's usable e-mail, as its mailbox key spells it
/// (Gmail dots and Yandex aliases folded).
pub(crate) fn login_of(record: &NormalizedRecord) -> Option<&str> {
    let email = record.usable_email()?;
    let login = email
        .mailbox_key
        .rsplit_once('@')
        .map_or(email.mailbox_key.as_str(), |(login, _)| login);
    (!login.is_empty()).then_some(login)
}

/// Per record, how many other profiles hold its e-mail login.
fn login_others(records: &[NormalizedRecord]) -> Vec<u32> {
    let mut counts: FxHashMap<&str, u32> = FxHashMap::default();
    for login in records.iter().filter_map(login_of) {
        *counts.entry(login).or_default() += 1;
    }
    records
        .iter()
        .map(|record| login_of(record).map_or(0, |login| counts[login] - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn value_shares_leave_the_record_itself_out() {
        // Two profiles of 1000 share a value: each sees one other.
        assert_eq!(share_among_others(2.0, 1000.0), 0.001);
        // A value seen once still counts as one in the total, never zero.
        assert_eq!(share_among_others(1.0, 1000.0), 0.001);
        assert_eq!(share_among_others(101.0, 1000.0), 0.1);
        assert_eq!(share_among_others(3.0, 0.0), 1.0);
    }

    #[test]
    fn term_frequencies_of_a_shared_rare_name_count_only_the_other_profile() {
        let profiles: Vec<Profile> = ["Всеволод", "Всеволод", "Иван", "Иван", "Иван"]
            .iter()
            .enumerate()
            .map(|(row, &first)| Profile {
                first_name: Some(first.into()),
                middle_name: Some(
                    if row < 2 {
                        "Всеволодович"
                    } else {
                        "Иванович"
                    }
                    .into(),
                ),
                sex: Some("1".into()),
                ..Profile::default()
            })
            .collect();
        let (records, _) =
            crate::normalize::normalize_profiles(&profiles, &crate::printer::Printer::silent());
        let frequencies = TermFrequencies::from_records(&records);
        assert_eq!(frequencies.of(Field::FirstName, 0), 1.0 / 5.0);
        assert_eq!(frequencies.of(Field::FirstName, 2), 2.0 / 5.0);
        // No birth date: no evidence to scale.
        assert_eq!(frequencies.of(Field::BirthDate, 0), 1.0);
        // Patronymics count once per first name: here, two people.
        assert_eq!(frequencies.of(Field::Patronymic, 0), 1.0 / 2.0);
        assert_eq!(frequencies.of(Field::Patronymic, 4), 1.0 / 2.0);
    }

    #[test]
    fn a_persons_profiles_count_once() {
        let person = |first: &str, last: &str| Profile {
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            sex: Some("2".into()),
            ..Profile::default()
        };
        // Анна Кузнецова has three profiles; Мария Кузнецова one; six other
        // women one each: eight people, two of them Кузнецовы.
        let mut profiles = vec![person("Анна", "Кузнецова"); 3];
        profiles.push(person("Мария", "Кузнецова"));
        for last in [
            "Иванова",
            "Петрова",
            "Сидорова",
            "Орлова",
            "Котова",
            "Лисина",
        ] {
            profiles.push(person("Ольга", last));
        }
        let (records, _) =
            crate::normalize::normalize_profiles(&profiles, &crate::printer::Printer::silent());
        let frequencies = TermFrequencies::from_records(&records);
        assert_eq!(frequencies.of(Field::LastName, 0), 1.0 / 8.0);
        assert_eq!(frequencies.of(Field::LastName, 3), 1.0 / 8.0);
        // Ольга is six women's name.
        assert_eq!(frequencies.of(Field::FirstName, 4), 5.0 / 8.0);
    }
}
