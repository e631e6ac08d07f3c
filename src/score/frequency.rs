//! How common the values a pair agrees on are: a shared rare name, date
//! or login is strong evidence, a common one weak. Looked up once per
//! profile, not once per pair: a pair scores in nanoseconds, a string hash
//! lookup costs more than that.

use rayon::prelude::*;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};
use serde::{Deserialize, Serialize};

use crate::normalize::NormalizedRecord;
use crate::profile::Sex;

use super::comparison::Field;

/// How common each first name, surname, patronymic and birth date is: for
/// each profile, the share of the other people's profiles holding its
/// value, looked up once per profile (not once per pair: a pair scores in
/// nanoseconds, a string hash lookup costs more than that).
///
/// "Other people's": the profiles that hold the value and also the
/// profile's companion value (a surname with its first name, a first name
/// with its surname, a patronymic or a birth date with its first name) are
/// taken for the person's own and left out, so that one woman's six
/// profiles do not make her rare surname look common; only her own profile
/// is left out where there is no companion. At least one profile is
/// counted, so that no shared value weighs as infinitely rare. Namesakes
/// (two Иван Ивановы) are left out of each other's counts too, which
/// understates a common name's share by the namesakes' part of it, a tenth
/// for the commonest names and nothing for the rare ones that matter.
///
/// Names are counted per sex: a pair weighed on its names does not
/// conflict in sex (see `model::estimate_u`), so the chance that another
/// profile agrees on Александр is its share among men, about twice its
/// share among all.
pub(crate) struct TermFrequencies {
    /// Per record: the shares of its first name, surname, patronymic and
    /// birth date; 1 where it has none.
    shares: Vec<[f64; 4]>,
    /// Per record: how many other profiles hold its e-mail login (on any
    /// domain); 0 without a usable e-mail.
    login_others: Vec<u32>,
    /// The value counts the shares were taken from, to be kept with the
    /// model (`plan --previous` reuses them).
    pub(crate) counts: SavedFrequencies,
}

/// The value counts of a base, kept with its model so that a later plan
/// weighs values as this one did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedFrequencies {
    /// First names, surnames, patronymics, birth dates (`YYYY-MM-DD`).
    pub fields: [SavedCounts; 4],
    /// Profiles per e-mail login.
    pub logins: Vec<(String, u32)>,
}

impl SavedFrequencies {
    /// The counts of `records` to keep with the model, spelled out on
    /// every core (a million-profile base has hundreds of thousands of
    /// distinct values).
    fn of(
        records: &[NormalizedRecord],
        [first_names, last_names, patronymics]: [&ValueCounts<&str>; 3],
        birth_dates: &ValueCounts<chrono::NaiveDate>,
    ) -> SavedFrequencies {
        let (((first, last), (middle, birth)), logins) = rayon::join(
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || first_names.saved(str::to_string),
                            || last_names.saved(str::to_string),
                        )
                    },
                    || {
                        rayon::join(
                            || patronymics.saved(str::to_string),
                            || birth_dates.saved(|date| date.to_string()),
                        )
                    },
                )
            },
            || login_counts(records),
        );
        SavedFrequencies {
            fields: [first, last, middle, birth],
            logins,
        }
    }
}

/// One field's value counts: per value, profiles overall, of men and of
/// women; and the totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedCounts {
    pub values: Vec<(String, [u32; 3])>,
    pub totals: [f64; 3],
}

/// One field's values counted among all profiles, among men and among
/// women, and with each companion value.
struct ValueCounts<V> {
    /// Profiles per value: overall, men, women.
    by_sex: [FxHashMap<V, u32>; 3],
    totals: [f64; 3],
    /// Profiles per value and companion (`person_key`).
    with_companion: FxHashMap<u64, u32>,
}

impl<V: Hash + Eq + Copy + Ord> ValueCounts<V> {
    /// The counts as kept with the model, values spelled by `spell`, in
    /// value order (the same base gives the same file).
    fn saved(&self, spell: impl Fn(V) -> String) -> SavedCounts {
        let mut values: Vec<(V, [u32; 3])> = self.by_sex[0]
            .iter()
            .map(|(&value, &all)| {
                let of = |slot: usize| self.by_sex[slot].get(&value).copied().unwrap_or(0);
                (value, [all, of(1), of(2)])
            })
            .collect();
        values.sort_unstable_by_key(|(value, _)| *value);
        SavedCounts {
            values: values
                .into_iter()
                .map(|(value, counts)| (spell(value), counts))
                .collect(),
            totals: self.totals,
        }
    }

    /// These counts with the value counts of `saved` in place of the base's
    /// own (the person's own profiles are still counted in this base).
    fn with_counts_of<'s>(
        mut self,
        saved: &'s SavedCounts,
        read: impl Fn(&'s str) -> Option<V>,
    ) -> Self {
        self.by_sex = Default::default();
        for (value, counts) in &saved.values {
            let Some(value) = read(value) else {
                continue;
            };
            for (slot, &count) in counts.iter().enumerate() {
                if count > 0 {
                    self.by_sex[slot].insert(value, count);
                }
            }
        }
        self.totals = saved.totals;
        self
    }

    fn of<'a>(
        records: &'a [NormalizedRecord],
        value: impl Fn(&'a NormalizedRecord) -> Option<V>,
        companion: impl Fn(&'a NormalizedRecord) -> Option<&'a str>,
    ) -> ValueCounts<V> {
        let mut counts = ValueCounts {
            by_sex: Default::default(),
            totals: [0.0; 3],
            with_companion: FxHashMap::default(),
        };
        for record in records {
            let Some(value) = value(record) else {
                continue;
            };
            for slot in [Some(0), sex_slot(record.sex)].into_iter().flatten() {
                *counts.by_sex[slot].entry(value).or_default() += 1;
                counts.totals[slot] += 1.0;
            }
            if let Some(companion) = companion(record) {
                *counts
                    .with_companion
                    .entry(person_key(value, companion))
                    .or_default() += 1;
            }
        }
        counts
    }

    /// The share of other people's profiles holding `value`, among the
    /// profiles of `sex` (or all, when the sex is unknown or the value
    /// unseen among that sex).
    fn share(&self, value: V, companion: Option<&str>, sex: Option<Sex>) -> Option<f64> {
        let slot = sex_slot(sex)
            .filter(|&slot| self.by_sex[slot].contains_key(&value))
            .unwrap_or(0);
        let count = *self.by_sex[slot].get(&value)?;
        let own = companion
            .and_then(|companion| self.with_companion.get(&person_key(value, companion)))
            .copied()
            .unwrap_or(1);
        Some(f64::from(count.saturating_sub(own).max(1)) / self.totals[slot])
    }
}

fn sex_slot(sex: Option<Sex>) -> Option<usize> {
    match sex {
        Some(Sex::Male) => Some(1),
        Some(Sex::Female) => Some(2),
        _ => None,
    }
}

/// A value and its companion as one hashed key (the strings themselves
/// would cost a copy of every name at ten million profiles).
fn person_key(value: impl Hash, companion: &str) -> u64 {
    let mut hasher = FxHasher::default();
    value.hash(&mut hasher);
    companion.hash(&mut hasher);
    hasher.finish()
}

/// The surname a record's companion keys use: its gender-neutral key.
fn surname_of(record: &NormalizedRecord) -> Option<&str> {
    record.name.last_key.as_deref()
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
    /// The shares of `records`' values, counted among `records` or, given
    /// `saved`, taken from an earlier base's counts.
    pub(crate) fn from_records<'a>(
        records: &'a [NormalizedRecord],
        saved: Option<&'a SavedFrequencies>,
    ) -> TermFrequencies {
        let ((first_names, last_names), (patronymics, birth_dates)) = rayon::join(
            || {
                rayon::join(
                    || ValueCounts::of(records, |r| r.name.first.as_deref(), surname_of),
                    || ValueCounts::of(records, |r| r.name.last.as_deref(), first_name_of),
                )
            },
            || {
                rayon::join(
                    || ValueCounts::of(records, |r| r.name.middle.as_deref(), first_name_of),
                    || ValueCounts::of(records, |r| r.birth_date, first_name_of),
                )
            },
        );
        let (first_names, last_names, patronymics, birth_dates, counts) = match saved {
            Some(saved) => (
                first_names.with_counts_of(&saved.fields[0], Some),
                last_names.with_counts_of(&saved.fields[1], Some),
                patronymics.with_counts_of(&saved.fields[2], Some),
                birth_dates.with_counts_of(&saved.fields[3], |text| text.parse().ok()),
                saved.clone(),
            ),
            None => {
                let counts = SavedFrequencies::of(
                    records,
                    [&first_names, &last_names, &patronymics],
                    &birth_dates,
                );
                (first_names, last_names, patronymics, birth_dates, counts)
            }
        };
        let shares = records
            .par_iter()
            .map(|record| {
                let name = &record.name;
                let first = first_name_of(record);
                [
                    name.first
                        .as_deref()
                        .and_then(|v| first_names.share(v, surname_of(record), record.sex)),
                    name.last
                        .as_deref()
                        .and_then(|v| last_names.share(v, first, record.sex)),
                    name.middle
                        .as_deref()
                        .and_then(|v| patronymics.share(v, first, record.sex)),
                    record
                        .birth_date
                        .and_then(|v| birth_dates.share(v, first, None)),
                ]
                .map(|share| share.unwrap_or(1.0))
            })
            .collect();
        let login_others = login_others(records, &counts.logins);
        TermFrequencies {
            shares,
            login_others,
            counts,
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

/// Profiles per e-mail login, in login order.
fn login_counts(records: &[NormalizedRecord]) -> Vec<(String, u32)> {
    let mut counts: FxHashMap<&str, u32> = FxHashMap::default();
    for login in records.iter().filter_map(login_of) {
        *counts.entry(login).or_default() += 1;
    }
    let mut counts: Vec<(String, u32)> = counts
        .into_iter()
        .map(|(login, count)| (login.to_string(), count))
        .collect();
    counts.sort_unstable();
    counts
}

/// Per record, how many other profiles hold its e-mail login, by `counts`.
fn login_others(records: &[NormalizedRecord], counts: &[(String, u32)]) -> Vec<u32> {
    let counts: FxHashMap<&str, u32> = counts
        .iter()
        .map(|(login, count)| (login.as_str(), *count))
        .collect();
    records
        .par_iter()
        .map(|record| {
            login_of(record)
                .and_then(|login| counts.get(login))
                .map_or(0, |count| count.saturating_sub(1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

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
        let frequencies = TermFrequencies::from_records(&records, None);
        assert_eq!(frequencies.of(Field::FirstName, 0), 1.0 / 5.0);
        assert_eq!(frequencies.of(Field::FirstName, 2), 2.0 / 5.0);
        // No birth date: no evidence to scale.
        assert_eq!(frequencies.of(Field::BirthDate, 0), 1.0);
        // A patronymic held only with one first name is that person's own:
        // one profile counted, the least there is.
        assert_eq!(frequencies.of(Field::Patronymic, 0), 1.0 / 5.0);
        assert_eq!(frequencies.of(Field::Patronymic, 4), 1.0 / 5.0);
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
        // women one each: ten profiles.
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
        let frequencies = TermFrequencies::from_records(&records, None);
        // Анна's own three profiles are left out of her surname's count;
        // Мария sees Анна's three.
        assert_eq!(frequencies.of(Field::LastName, 0), 1.0 / 10.0);
        assert_eq!(frequencies.of(Field::LastName, 3), 3.0 / 10.0);
        // Ольга is six women's name.
        assert_eq!(frequencies.of(Field::FirstName, 4), 5.0 / 10.0);
    }
}
