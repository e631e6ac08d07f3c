//! Normalise: raw export values into comparable keys. Phones to
//! `7XXXXXXXXXX` with their kind, emails to a mailbox key under which
//! addresses reaching one inbox are equal, names to canonical Cyrillic
//! tokens with their full-name forms, placeholders flagged as junk (junk is
//! never evidence). Every rule is a small pure function in a submodule.
//!
//! `normalize_profiles` runs the rules over every profile in parallel, then
//! makes one pass over the whole export for what no single row can tell: a
//! birth date shared far beyond chance is a system's default, not a
//! birthday. Records come back in input order, `row` = index; the same
//! input and reference date give the same output.

pub mod date;
pub mod dictionary;
pub mod email;
pub mod layout;
pub mod name;
pub mod phone;
pub mod phonetic;
pub(crate) mod prefetch;
pub mod translit;

use std::collections::HashMap;

use chrono::NaiveDate;
use compact_str::CompactString;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::profile::{Profile, Sex};

pub use email::{NormalizedEmail, are_sister_domains, normalize_email};
pub use name::{
    NormalizedName, canonical_first_name, first_name_full_forms, infer_sex, normalize_name,
    sex_from_given_names, surname_key,
};
pub use phone::{NormalizedPhone, PhoneKind, normalize_phone};
pub use phonetic::name_phonetic_key;

/// One profile, normalised for blocking and scoring. `row` indexes the
/// loaded profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedRecord {
    pub row: u32,
    pub phone: Option<NormalizedPhone>,
    pub email: Option<NormalizedEmail>,
    pub name: NormalizedName,
    /// `None` when missing or a placeholder (see `birth_date_placeholder`).
    pub birth_date: Option<chrono::NaiveDate>,
    pub birth_date_placeholder: bool,
    /// A real but doubtful birth date (age under 12 or over 100): kept in
    /// `birth_date`, flagged so the scorer can weigh it down.
    pub birth_date_implausible: bool,
    /// The sex implied by the given names (a patronymic, or a first name
    /// of one sex), else the stated sex, else the sex a surname's ending
    /// implies. The names come first: a stated sex is wrong on a few
    /// profiles in a hundred (a cashier's slip, a default of 1), and
    /// Екатерина Денисовна is a woman whatever the field says.
    pub sex: Option<Sex>,
    /// Whether `sex` comes from the given names: two such sexes that
    /// differ are two people; a stated sex that differs may be a slip.
    pub sex_from_names: bool,
    /// Trimmed; `None` when missing or a placeholder.
    pub origin_user_id: Option<CompactString>,
    /// `None` when missing, unreadable or before Sailplay's minimum (1971).
    pub register_date: Option<chrono::NaiveDate>,
}

impl NormalizedRecord {
    /// The phone when it can be evidence: present, a real number (mobile,
    /// landline or foreign) and no placeholder.
    pub fn usable_phone(&self) -> Option<&NormalizedPhone> {
        self.phone
            .as_ref()
            .filter(|phone| !phone.placeholder && phone.kind != PhoneKind::Invalid)
    }

    /// The email when it can be evidence: present, well-formed and no
    /// placeholder.
    pub fn usable_email(&self) -> Option<&NormalizedEmail> {
        self.email
            .as_ref()
            .filter(|email| email.valid && !email.placeholder)
    }
}

/// Counts of doubtful values in the input, for the outputs and the report.
/// Phone kinds count the phones that are not placeholders; every other
/// count is of profiles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataQuality {
    pub profiles: u64,
    pub phones_missing: u64,
    pub phones_mobile: u64,
    pub phones_landline: u64,
    pub phones_foreign: u64,
    pub phones_invalid: u64,
    pub phones_placeholder: u64,
    pub emails_missing: u64,
    pub emails_invalid: u64,
    pub emails_repaired: u64,
    pub emails_placeholder: u64,
    /// Neither a first nor a last name left after normalising.
    pub names_missing: u64,
    pub names_placeholder: u64,
    pub names_transliterated: u64,
    pub names_swapped: u64,
    pub names_split: u64,
    /// No sex stated, one inferred from the name.
    pub sex_inferred: u64,
    /// The stated sex contradicts the one the name implies.
    pub sex_conflicts: u64,
    pub birth_dates_missing: u64,
    /// Not a date in a known form.
    pub birth_dates_unparsable: u64,
    pub birth_dates_placeholder: u64,
    pub birth_dates_implausible: u64,
    /// Dates flagged as placeholders because too many profiles share them
    /// (a form's default), `YYYY-MM-DD`, sorted.
    pub birth_date_defaults: Vec<String>,
    pub register_dates_before_1971: u64,
    pub register_dates_unparsable: u64,
    pub origin_ids_placeholder: u64,
}

/// Normalises every profile against today's date (the reference for ages
/// and future dates).
pub fn normalize_profiles(
    profiles: &[Profile],
    printer: &crate::printer::Printer,
) -> (Vec<NormalizedRecord>, DataQuality) {
    let today = chrono::Local::now().date_naive();
    normalize_profiles_as_of(profiles, printer, today)
}

/// Profiles per progress-bar update.
const PROGRESS_STEP: usize = 8192;

/// Normalises every profile, in parallel, with `today` as the reference
/// date; records are in input order.
pub fn normalize_profiles_as_of(
    profiles: &[Profile],
    printer: &crate::printer::Printer,
    today: NaiveDate,
) -> (Vec<NormalizedRecord>, DataQuality) {
    let bar = printer.bar(
        "normalize",
        profiles.len() as u64,
        crate::printer::Unit::Items("profiles"),
    );
    let (mut records, row_qualities): (Vec<NormalizedRecord>, Vec<RowQuality>) = profiles
        .par_iter()
        .enumerate()
        .map(|(row, profile)| {
            if row % PROGRESS_STEP == PROGRESS_STEP - 1 {
                bar.inc(PROGRESS_STEP as u64);
            }
            normalize_profile(row as u32, profile, today)
        })
        .unzip();
    bar.finish_and_clear();

    let mut quality = DataQuality {
        profiles: profiles.len() as u64,
        ..DataQuality::default()
    };
    for (record, row_quality) in records.iter().zip(row_qualities) {
        row_quality.add_to(&mut quality, record);
    }
    flag_default_birth_dates(&mut records, &mut quality);
    (records, quality)
}

/// What one row contributes to the counts beyond its record.
#[derive(Debug, Default, Clone, Copy)]
struct RowQuality {
    birth_date_given: bool,
    birth_date_unparsable: bool,
    register_before_minimum: bool,
    register_unparsable: bool,
    origin_id_placeholder: bool,
    sex_stated: bool,
    sex_conflict: bool,
}

impl RowQuality {
    fn add_to(self, quality: &mut DataQuality, record: &NormalizedRecord) {
        let count = |flag: bool| u64::from(flag);
        match &record.phone {
            None => quality.phones_missing += 1,
            Some(phone) if phone.placeholder => quality.phones_placeholder += 1,
            Some(phone) => match phone.kind {
                PhoneKind::Mobile => quality.phones_mobile += 1,
                PhoneKind::Landline => quality.phones_landline += 1,
                PhoneKind::Foreign => quality.phones_foreign += 1,
                PhoneKind::Invalid => quality.phones_invalid += 1,
            },
        }
        match &record.email {
            None => quality.emails_missing += 1,
            Some(email) => {
                quality.emails_placeholder += count(email.placeholder);
                quality.emails_invalid += count(!email.valid && !email.placeholder);
                quality.emails_repaired += count(email.repaired);
            }
        }
        let name = &record.name;
        quality.names_missing += count(name.first.is_none() && name.last.is_none());
        quality.names_placeholder += count(name.placeholder);
        quality.names_transliterated += count(name.transliterated);
        quality.names_swapped += count(name.swapped);
        quality.names_split += count(name.split_from_one_field);
        quality.sex_inferred += count(!self.sex_stated && record.sex.is_some());
        quality.sex_conflicts += count(self.sex_conflict);
        quality.birth_dates_missing += count(!self.birth_date_given);
        quality.birth_dates_unparsable += count(self.birth_date_unparsable);
        quality.birth_dates_placeholder += count(record.birth_date_placeholder);
        quality.birth_dates_implausible += count(record.birth_date_implausible);
        quality.register_dates_before_1971 += count(self.register_before_minimum);
        quality.register_dates_unparsable += count(self.register_unparsable);
        quality.origin_ids_placeholder += count(self.origin_id_placeholder);
    }
}

/// Normalises one profile.
fn normalize_profile(
    row: u32,
    profile: &Profile,
    today: NaiveDate,
) -> (NormalizedRecord, RowQuality) {
    let mut row_quality = RowQuality::default();
    let name = normalize_name(
        profile.first_name.as_deref(),
        profile.middle_name.as_deref(),
        profile.last_name.as_deref(),
    );

    let register_date = non_empty(profile.register_date.as_deref()).and_then(|raw| {
        let parsed = date::parse_date(raw);
        row_quality.register_unparsable = parsed.is_none();
        parsed
    });
    row_quality.register_before_minimum =
        register_date.is_some_and(date::is_register_date_before_minimum);

    let mut birth_date = None;
    let mut birth_date_placeholder = false;
    let mut birth_date_implausible = false;
    if let Some(raw) = non_empty(profile.birth_date.as_deref()) {
        row_quality.birth_date_given = true;
        match date::parse_date(raw) {
            None => row_quality.birth_date_unparsable = true,
            // A birth date equal to the register date is the form's "today"
            // default, not a birthday.
            Some(birth)
                if date::is_placeholder_birth_date(birth, today)
                    || register_date.is_some_and(|register| register == birth) =>
            {
                birth_date_placeholder = true;
            }
            Some(birth) => {
                birth_date_implausible = date::is_implausible_birth_date(birth, today);
                birth_date = Some(birth);
            }
        }
    }

    let sex_stated = non_empty(profile.sex.as_deref()).and_then(Sex::from_code);
    let sex_from_given_names = sex_from_given_names(&name);
    let sex_from_name = sex_from_given_names.or_else(|| infer_sex(&name));
    row_quality.sex_stated = sex_stated.is_some();
    row_quality.sex_conflict = matches!(
        (sex_stated, sex_from_name),
        (Some(stated @ (Sex::Male | Sex::Female)), Some(implied)) if stated != implied
    );

    let origin_user_id = non_empty(profile.origin_user_id.as_deref()).and_then(|raw| {
        if is_placeholder_origin_id(raw) {
            row_quality.origin_id_placeholder = true;
            None
        } else {
            Some(raw.to_string())
        }
    });

    let record = NormalizedRecord {
        row,
        phone: profile.phone.as_deref().and_then(normalize_phone),
        email: profile.email.as_deref().and_then(normalize_email),
        birth_date,
        birth_date_placeholder,
        birth_date_implausible,
        sex: sex_from_given_names.or(sex_stated).or(sex_from_name),
        sex_from_names: sex_from_given_names.is_some(),
        origin_user_id: origin_user_id.map(CompactString::from),
        register_date: register_date.filter(|_| !row_quality.register_before_minimum),
        name,
    };
    (record, row_quality)
}

/// The trimmed value, `None` when empty.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// External ids that stand for "none": `0`, `-1`, `null`, `нет`, one
/// character repeated (`0000`, `---`).
pub fn is_placeholder_origin_id(trimmed: &str) -> bool {
    const WORDS: &[&str] = &[
        "-1",
        "null",
        "none",
        "nil",
        "nan",
        "n/a",
        "na",
        "undefined",
        "нет",
        "test",
        "тест",
        "unknown",
        "no",
    ];
    if trimmed.len() <= 12 && WORDS.contains(&trimmed.to_lowercase().as_str()) {
        return true;
    }
    let mut chars = trimmed.chars();
    match chars.next() {
        None => true,
        Some(first) => {
            chars.all(|c| c == first)
                && (trimmed.chars().count() > 1 || !first.is_alphanumeric() || first == '0')
        }
    }
}

/// Profiles sharing a birth date, as a multiple of the export's mean per
/// distinct date, from which the date counts as a form's default. Real
/// birthdays vary a few-fold around the mean (1 January is the most
/// inflated); a form's default sits far above it.
const DEFAULT_DATE_EXCESS: usize = 20;
/// Fewer profiles than this never make a date a default, whatever the
/// export's size (small exports have no chance level to speak of).
const DEFAULT_DATE_MIN_PROFILES: usize = 20;

/// Flags as placeholders the birth dates shared by far more profiles than
/// chance allows, and lists them in `quality.birth_date_defaults`.
fn flag_default_birth_dates(records: &mut [NormalizedRecord], quality: &mut DataQuality) {
    let mut counts: HashMap<NaiveDate, usize> = HashMap::new();
    for birth in records.iter().filter_map(|record| record.birth_date) {
        *counts.entry(birth).or_default() += 1;
    }
    let dated: usize = counts.values().sum();
    let mean = dated.div_ceil(counts.len().max(1));
    let threshold = (mean * DEFAULT_DATE_EXCESS).max(DEFAULT_DATE_MIN_PROFILES);
    let mut defaults: Vec<NaiveDate> = counts
        .into_iter()
        .filter(|&(_, count)| count >= threshold)
        .map(|(birth, _)| birth)
        .collect();
    if defaults.is_empty() {
        return;
    }
    defaults.sort_unstable();
    for record in records.iter_mut() {
        if let Some(birth) = record.birth_date
            && defaults.binary_search(&birth).is_ok()
        {
            record.birth_date = None;
            record.birth_date_placeholder = true;
            quality.birth_dates_placeholder += 1;
            if record.birth_date_implausible {
                record.birth_date_implausible = false;
                quality.birth_dates_implausible -= 1;
            }
        }
    }
    quality.birth_date_defaults = defaults
        .iter()
        .map(|birth| birth.format("%Y-%m-%d").to_string())
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::Printer;

    fn profile(row: usize) -> Profile {
        Profile {
            user_id: row.to_string().into(),
            ..Profile::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
    }

    #[test]
    fn records_come_back_in_order_with_every_part() {
        let mut first = profile(0);
        first.phone = Some("8 (916) 318-27-45".into());
        first.email = Some("Ivan.Petrov@GMAIL.com".into());
        first.first_name = Some("Ваня".into());
        first.middle_name = Some("Сергеевич".into());
        first.last_name = Some("Петров".into());
        first.birth_date = Some("1985-03-07".into());
        first.origin_user_id = Some(" card-1 ".into());
        let mut second = profile(1);
        second.first_name = Some("Gtnhjdf".into());
        second.last_name = Some("Мария".into());
        second.sex = Some("2".into());
        second.birth_date = Some("1900-01-01".into());
        second.origin_user_id = Some("0".into());
        let (records, quality) =
            normalize_profiles_as_of(&[first, second], &Printer::silent(), today());
        assert_eq!(records.len(), 2);
        let record = &records[0];
        assert_eq!(record.row, 0);
        assert_eq!(record.phone.as_ref().unwrap().digits, "79163182745");
        assert_eq!(
            record.email.as_ref().unwrap().mailbox_key,
            "ivanpetrov@gmail.com"
        );
        assert_eq!(record.name.first_full, ["иван"]);
        assert_eq!(record.birth_date, NaiveDate::from_ymd_opt(1985, 3, 7));
        assert_eq!(record.sex, Some(Sex::Male));
        assert!(record.sex_from_names);
        assert_eq!(record.origin_user_id.as_deref(), Some("card-1"));
        let record = &records[1];
        assert_eq!(record.row, 1);
        assert_eq!(record.name.first.as_deref(), Some("мария"));
        assert_eq!(record.name.last.as_deref(), Some("петрова"));
        assert!(record.name.swapped && record.name.transliterated);
        assert_eq!(record.birth_date, None);
        assert!(record.birth_date_placeholder);
        assert_eq!(record.sex, Some(Sex::Female));
        assert_eq!(record.origin_user_id, None);
        assert!(records[0].usable_phone().is_some() && records[0].usable_email().is_some());
        assert!(records[1].usable_phone().is_none() && records[1].usable_email().is_none());

        assert_eq!(quality.profiles, 2);
        assert_eq!(quality.phones_mobile, 1);
        assert_eq!(quality.phones_missing, 1);
        assert_eq!(quality.emails_missing, 1);
        assert_eq!(quality.names_swapped, 1);
        assert_eq!(quality.names_transliterated, 1);
        assert_eq!(quality.sex_inferred, 1);
        assert_eq!(quality.birth_dates_placeholder, 1);
        assert_eq!(quality.origin_ids_placeholder, 1);
    }

    #[test]
    fn given_names_outweigh_a_stated_sex_but_a_surname_does_not() {
        let mut ekaterina = profile(0);
        ekaterina.first_name = Some("Екатерина".into());
        ekaterina.middle_name = Some("Денисовна".into());
        ekaterina.sex = Some("1".into());
        let mut sasha = profile(1);
        sasha.first_name = Some("Саша".into());
        sasha.last_name = Some("Петрова".into());
        sasha.sex = Some("1".into());
        let mut unnamed = profile(2);
        unnamed.last_name = Some("Петрова".into());
        let (records, quality) =
            normalize_profiles_as_of(&[ekaterina, sasha, unnamed], &Printer::silent(), today());
        assert_eq!(records[0].sex, Some(Sex::Female));
        assert!(records[0].sex_from_names);
        // Саша is either; the stated sex stands over the surname's ending.
        assert_eq!(records[1].sex, Some(Sex::Male));
        assert!(!records[1].sex_from_names);
        assert_eq!(records[2].sex, Some(Sex::Female));
        assert!(!records[2].sex_from_names);
        assert_eq!(quality.sex_conflicts, 2);
    }

    #[test]
    fn counts_every_kind_of_doubtful_value() {
        let rows: Vec<(&str, &str, &str, &str, &str, &str)> = vec![
            // phone, email, first name, birth date, register date, sex
            (
                "79999999999",
                "test@test.ru",
                "Покупатель",
                "2030-01-01",
                "1969-05-05 10:00:00",
                "1",
            ),
            (
                "8 (495) 123-45-67",
                "ivan@mail.ry",
                "Иванов Сергей",
                "2020-01-01",
                "2020-01-01",
                "2",
            ),
            (
                "+375 29 123-45-67",
                "broken@",
                "Ivan",
                "вчера",
                "никогда",
                "",
            ),
            ("123", "", "", "", "", ""),
        ];
        let profiles: Vec<Profile> = rows
            .iter()
            .enumerate()
            .map(|(row, (phone, email, first, birth, register, sex))| {
                let some = |text: &str| (!text.is_empty()).then(|| text.to_string());
                Profile {
                    phone: some(phone),
                    email: some(email),
                    first_name: some(first),
                    birth_date: some(birth),
                    register_date: some(register),
                    sex: some(sex),
                    ..profile(row)
                }
            })
            .collect();
        let (records, quality) = normalize_profiles_as_of(&profiles, &Printer::silent(), today());
        let usable: Vec<(bool, bool)> = records
            .iter()
            .map(|record| {
                (
                    record.usable_phone().is_some(),
                    record.usable_email().is_some(),
                )
            })
            .collect();
        assert_eq!(
            usable,
            [(false, false), (true, true), (true, false), (false, false)]
        );
        // Only a readable register date from 1971 on can be compared.
        let registered: Vec<Option<String>> = records
            .iter()
            .map(|record| record.register_date.map(|date| date.to_string()))
            .collect();
        assert_eq!(registered, [None, Some("2020-01-01".into()), None, None]);
        assert_eq!(
            quality,
            DataQuality {
                profiles: 4,
                phones_missing: 0,
                phones_mobile: 0,
                phones_landline: 1,
                phones_foreign: 1,
                phones_invalid: 1,
                phones_placeholder: 1,
                emails_missing: 1,
                emails_invalid: 1,
                emails_repaired: 1,
                emails_placeholder: 1,
                names_missing: 2,
                names_placeholder: 1,
                names_transliterated: 1,
                names_swapped: 0,
                names_split: 1,
                sex_inferred: 1,
                sex_conflicts: 1,
                birth_dates_missing: 1,
                birth_dates_unparsable: 1,
                birth_dates_placeholder: 2,
                birth_dates_implausible: 0,
                birth_date_defaults: Vec::new(),
                register_dates_before_1971: 1,
                register_dates_unparsable: 1,
                origin_ids_placeholder: 0,
            }
        );
    }

    #[test]
    fn a_birth_date_shared_far_beyond_chance_is_a_default() {
        let profiles: Vec<Profile> = (0..200)
            .map(|row| Profile {
                birth_date: Some(if row < 40 {
                    "1980-01-01".to_string()
                } else {
                    format!("19{}-0{}-1{}", 50 + row % 40, 1 + row % 9, row % 10)
                }),
                ..profile(row)
            })
            .collect();
        let (records, quality) = normalize_profiles_as_of(&profiles, &Printer::silent(), today());
        assert_eq!(quality.birth_date_defaults, ["1980-01-01"]);
        assert_eq!(quality.birth_dates_placeholder, 40);
        assert!(records[0].birth_date.is_none() && records[0].birth_date_placeholder);
        assert!(records[50].birth_date.is_some());
        // Dates spread over few days (a narrow test export) are no default.
        let narrow: Vec<Profile> = (0..1000)
            .map(|row| Profile {
                birth_date: Some(format!("1980-01-{:02}", 1 + row % 3)),
                ..profile(row)
            })
            .collect();
        let (_, quality) = normalize_profiles_as_of(&narrow, &Printer::silent(), today());
        assert!(quality.birth_date_defaults.is_empty());
    }

    #[test]
    fn origin_id_placeholders() {
        for id in ["0", "-1", "null", "NULL", "нет", "0000", "---", "-", "n/a"] {
            assert!(is_placeholder_origin_id(id), "{id}");
        }
        for id in ["1", "7", "card-1", "1000", "a"] {
            assert!(!is_placeholder_origin_id(id), "{id}");
        }
    }

    /// A realistic mix of raw values: formatted phones, mixed-case emails
    /// with typos, Cyrillic names with diminutives, Latin spellings, wrong
    /// layouts, full names in one field, placeholders.
    fn synthetic_profiles(count: usize) -> Vec<Profile> {
        const FIRST: &[&str] = &[
            "Иван",
            "Мария",
            "Саша",
            "Алексей",
            "Наталья",
            "Yulia",
            "Dmitry",
            "Bdfy",
            "Женя",
            "Екатерина",
            "Сергей",
            "Ольга",
            "Покупатель",
            "Анна-Мария",
            "Tatiana",
            "Катя",
        ];
        const MIDDLE: &[&str] = &["Иванович", "Сергеевна", "", "Petrovich", "Алексеевна", "-"];
        const LAST: &[&str] = &[
            "Петров",
            "Иванова",
            "Смирнов",
            "Kuznetsova",
            "Gtnhjd",
            "Никольская",
            "Толстой",
            "Шевченко",
            "Петров Сергей Иванович",
            "Соловьёв",
            "",
        ];
        const PHONES: &[&str] = &[
            "+7 (916) 318-27-45",
            "8-903-111-22-33",
            "9261234598",
            "8 (495) 123-45-67",
            "+375 29 123-45-67",
            "79999999999",
            "",
            "7.9161234567E+10",
        ];
        const EMAILS: &[&str] = &[
            "Ivan.Petrov@gmail.com",
            "maria@mail.ry",
            "alex-smith@ya.ru",
            "",
            "test@test.ru",
            "natalia+shop@yandex.ru",
            "petrov@bk.ru",
        ];
        (0..count)
            .map(|row| {
                let pick = |list: &[&'static str], salt: usize| {
                    let value = list[(row.wrapping_mul(2_654_435_761) >> 7)
                        .wrapping_add(salt * 31 + row / 7)
                        % list.len()];
                    (!value.is_empty()).then(|| value.to_string())
                };
                Profile {
                    user_id: row.to_string().into(),
                    origin_user_id: Some(format!("card-{row}")),
                    phone: pick(PHONES, 1),
                    email: pick(EMAILS, 2),
                    first_name: pick(FIRST, 3),
                    middle_name: pick(MIDDLE, 4),
                    last_name: pick(LAST, 5),
                    birth_date: Some(format!(
                        "19{:02}-{:02}-{:02}",
                        40 + row % 60,
                        1 + row % 12,
                        1 + row % 28
                    )),
                    sex: if row % 3 == 0 { Some("1".into()) } else { None },
                    register_date: Some("2021-06-01 12:00:00".into()),
                    ..Profile::default()
                }
            })
            .collect()
    }

    #[test]
    fn synthetic_mix_normalises_consistently() {
        let profiles = synthetic_profiles(2_000);
        let (records, quality) = normalize_profiles_as_of(&profiles, &Printer::silent(), today());
        assert_eq!(records.len(), 2_000);
        assert!(
            records
                .iter()
                .enumerate()
                .all(|(row, record)| record.row as usize == row)
        );
        assert!(quality.names_transliterated > 0 && quality.names_split > 0);
        assert!(quality.phones_mobile > 0 && quality.emails_repaired > 0);
    }
}
