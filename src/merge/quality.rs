//! How good a single field value is, for choosing the golden profile: a full
//! Cyrillic name beats a diminutive, a transliteration or a placeholder; a
//! real birth date beats a placeholder; a mobile phone beats a landline or
//! an invalid number; a valid email beats an invalid one.
//!
//! Each judgement is a small pure function over the raw value, delegating
//! to `crate::normalize` (phone kind and fillers, email validity and
//! fillers, placeholder names, the diminutive dictionary) so that the
//! planner judges values exactly as matching does. Birth-date placeholders
//! use a fixed list rather than normalize's age check, because an age
//! depends on today's date and a plan must not.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use compact_str::CompactString;

use crate::normalize::dictionary::{diminutive_full_names, is_full_first_name};
use crate::normalize::name::{fold_cyrillic, normalize_name};
use crate::normalize::{PhoneKind, normalize_email, normalize_phone};
use crate::profile::Field;

/// Rank of a value within its field: higher is better; 0 means a
/// placeholder or an invalid value that should never be preferred.
pub fn value_quality(field: Field, value: &str) -> u8 {
    match field {
        Field::FirstName | Field::MiddleName | Field::LastName => name_quality(field, value),
        Field::BirthDate => match birth_date_is_valid(value) {
            true if !birth_date_is_placeholder(value) => 2,
            _ => 0,
        },
        // One normalisation for both judgements.
        Field::Phone => match normalize_phone(value) {
            Some(phone) if !phone.placeholder => match phone.kind {
                PhoneKind::Mobile => 3,
                PhoneKind::Foreign => 2,
                PhoneKind::Landline => 1,
                PhoneKind::Invalid => 0,
            },
            _ => 0,
        },
        Field::Email => {
            u8::from(normalize_email(value).is_some_and(|email| email.valid && !email.placeholder))
        }
        Field::Sex => match value {
            "1" | "2" => 2,
            "3" => 1,
            _ => 0,
        },
        _ => 1,
    }
}

/// `value_quality` judgements within one cluster, each computed once: a
/// judgement runs a normaliser, and the golden choice and the warnings ask
/// about the same values.
#[derive(Debug, Default)]
pub struct QualityMemo {
    judged: RefCell<Vec<(Field, String, u8)>>,
}

impl QualityMemo {
    pub fn quality(&self, field: Field, value: &str) -> u8 {
        if let Some((_, _, quality)) = self
            .judged
            .borrow()
            .iter()
            .find(|(f, v, _)| *f == field && v == value)
        {
            return *quality;
        }
        let quality = value_quality(field, value);
        self.judged
            .borrow_mut()
            .push((field, value.to_string(), quality));
        quality
    }

    /// Whether a kept value is one a reviewer should be told about: a
    /// placeholder or an invalid value.
    pub fn is_placeholder_or_invalid(&self, field: Field, value: &str) -> bool {
        matches!(
            field,
            Field::FirstName
                | Field::MiddleName
                | Field::LastName
                | Field::BirthDate
                | Field::Phone
                | Field::Email
        ) && self.quality(field, value) == 0
    }
}

/// Names: placeholder 0 < a full name typed into this one field (Кристина
/// Гончарова as the first name) 2 < Latin (transliterated) 4 < diminutive 6
/// < full Cyrillic 8, plus one for conventional capitalisation (Иван over
/// ИВАН or иван).
fn name_quality(field: Field, value: &str) -> u8 {
    if name_is_placeholder(field, value) {
        return 0;
    }
    let base = if read_name(field, value.trim()).split_from_one_field {
        2
    } else if !is_cyrillic_name(value) {
        4
    } else if field == Field::FirstName && first_name_is_diminutive(value) {
        6
    } else {
        8
    };
    base + u8::from(is_conventionally_capitalised(value))
}

/// Letters of one alphabet plus hyphen, space and apostrophe.
fn is_cyrillic_name(value: &str) -> bool {
    let mut letters = 0;
    for c in value.trim().chars() {
        if matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё') {
            letters += 1;
        } else if !matches!(c, '-' | ' ' | '\'') {
            return false;
        }
    }
    letters > 0
}

fn is_conventionally_capitalised(value: &str) -> bool {
    value
        .trim()
        .split(['-', ' '])
        .filter(|part| !part.is_empty())
        .all(|part| {
            let mut chars = part.chars();
            let first_upper = chars.next().is_some_and(char::is_uppercase);
            first_upper && chars.all(|c| !c.is_uppercase())
        })
}

/// What the planner needs of normalize's reading of one name field.
#[derive(Debug)]
struct NameReading {
    placeholder: bool,
    split_from_one_field: bool,
    first: Option<CompactString>,
    first_full: Vec<CompactString>,
    middle: Option<CompactString>,
    last: Option<CompactString>,
}

/// Readings cached per worker thread and field: names repeat across a base
/// (Иван, Мария), and normalising one costs far more than planning a merge.
/// Bounded, so a base of unique names cannot grow it without limit.
const NAME_CACHE_LIMIT: usize = 1 << 17;

thread_local! {
    static NAME_READINGS: RefCell<[HashMap<String, Rc<NameReading>>; 3]> =
        RefCell::new(Default::default());
}

fn read_name(field: Field, value: &str) -> Rc<NameReading> {
    let slot = match field {
        Field::FirstName => 0,
        Field::MiddleName => 1,
        _ => 2,
    };
    if let Some(reading) = NAME_READINGS.with(|cache| cache.borrow()[slot].get(value).cloned()) {
        return reading;
    }
    let normalized = match slot {
        0 => normalize_name(Some(value), None, None),
        1 => normalize_name(None, Some(value), None),
        _ => normalize_name(None, None, Some(value)),
    };
    let reading = Rc::new(NameReading {
        placeholder: normalized.placeholder,
        split_from_one_field: normalized.split_from_one_field,
        first: normalized.first,
        first_full: normalized.first_full,
        middle: normalized.middle,
        last: normalized.last,
    });
    NAME_READINGS.with(|cache| {
        let map = &mut cache.borrow_mut()[slot];
        if map.len() >= NAME_CACHE_LIMIT {
            map.clear();
        }
        map.insert(value.to_string(), Rc::clone(&reading));
    });
    reading
}

/// A filler such as Покупатель, Гость, Test (normalize's judgement, field
/// by field), or something with no letters or with digits.
pub fn name_is_placeholder(field: Field, value: &str) -> bool {
    let value = value.trim();
    !value.chars().any(char::is_alphabetic)
        || value.chars().any(|c| c.is_ascii_digit())
        || read_name(field, value).placeholder
}

/// A diminutive first name (Саша, Женя, Маша) in normalize's dictionary
/// that is not itself a full name: the same person as the full form, but
/// the full form is what the golden profile should keep.
pub fn first_name_is_diminutive(value: &str) -> bool {
    let folded = fold_cyrillic(value.trim());
    !diminutive_full_names(&folded).is_empty() && !is_full_first_name(&folded)
}

/// Whether two values of a name field are the same name in different
/// spellings: case, ё, transliteration or keyboard layout, or (first names)
/// a diminutive and a full form it can stand for.
pub fn same_name(field: Field, first: &str, second: &str) -> bool {
    // Case and ё alone need no normaliser.
    if fold_cyrillic(first.trim()) == fold_cyrillic(second.trim()) {
        return true;
    }
    let (a, b) = (
        read_name(field, first.trim()),
        read_name(field, second.trim()),
    );
    match field {
        Field::FirstName => {
            a.first.is_some() && a.first == b.first
                || a.first_full.iter().any(|full| b.first_full.contains(full))
        }
        Field::MiddleName => a.middle.is_some() && a.middle == b.middle,
        _ => a.last.is_some() && a.last == b.last,
    }
}

/// Mobile, landline, foreign or invalid, as normalize classifies it.
pub fn phone_kind(value: &str) -> PhoneKind {
    normalize_phone(value).map_or(PhoneKind::Invalid, |phone| phone.kind)
}

/// A filler number such as 79999999999 (normalize's judgement).
pub fn phone_is_placeholder(value: &str) -> bool {
    normalize_phone(value).is_some_and(|phone| phone.placeholder)
}

/// `YYYY-MM-DD`, a real calendar date, year 1900 or later.
pub fn birth_date_is_valid(value: &str) -> bool {
    parse_iso_date(value).is_some_and(|date| chrono::Datelike::year(&date) >= 1900)
}

/// `YYYY-MM-DD` exactly (after trimming), a real calendar date. Written out
/// because chrono's format parser costs more than the rest of a plan step.
pub fn parse_iso_date(value: &str) -> Option<chrono::NaiveDate> {
    let bytes = value.trim().as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// Dates systems fill in when the real one is unknown.
pub fn birth_date_is_placeholder(value: &str) -> bool {
    matches!(
        value.trim(),
        "1900-01-01" | "1901-01-01" | "1899-12-30" | "1899-12-31" | "1970-01-01" | "1971-01-01"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_cyrillic_name_beats_diminutive_beats_latin_beats_placeholder() {
        let full = value_quality(Field::FirstName, "Александр");
        let diminutive = value_quality(Field::FirstName, "Саша");
        let latin = value_quality(Field::FirstName, "Aleksandr");
        let placeholder = value_quality(Field::FirstName, "Покупатель");
        assert!(full > diminutive, "{full} {diminutive}");
        assert!(diminutive > latin);
        assert!(latin > placeholder);
        assert_eq!(placeholder, 0);
    }

    #[test]
    fn a_full_name_in_one_field_ranks_below_the_clean_name() {
        let clean = value_quality(Field::FirstName, "Кристина");
        let full_name = value_quality(Field::FirstName, "Кристина Гончарова");
        assert!(clean > full_name);
        assert!(value_quality(Field::FirstName, "Kristina") > full_name);
        assert!(full_name > value_quality(Field::FirstName, "Покупатель"));
        assert!(
            value_quality(Field::LastName, "Гончарова")
                > value_quality(Field::LastName, "Гончарова Кристина")
        );
    }

    #[test]
    fn capitalised_name_beats_shouting_or_lower_case() {
        assert!(
            value_quality(Field::LastName, "Иванова") > value_quality(Field::LastName, "ИВАНОВА")
        );
        assert!(
            value_quality(Field::LastName, "Иванова") > value_quality(Field::LastName, "иванова")
        );
        assert!(
            value_quality(Field::LastName, "Римский-Корсаков")
                > value_quality(Field::LastName, "римский-корсаков")
        );
    }

    #[test]
    fn diminutive_only_counts_for_first_names() {
        assert!(first_name_is_diminutive("Саша"));
        assert!(first_name_is_diminutive("АЛЁША"));
        assert!(!first_name_is_diminutive("Александр"));
        assert_eq!(
            value_quality(Field::LastName, "Саша"),
            value_quality(Field::LastName, "Иванов")
        );
    }

    #[test]
    fn same_name_sees_through_case_transliteration_and_diminutives() {
        assert!(same_name(Field::FirstName, "Саша", "Александр"));
        assert!(same_name(Field::FirstName, "Mariya", "МАРИЯ"));
        assert!(same_name(Field::LastName, "Ivanova", "Иванова"));
        assert!(same_name(Field::MiddleName, "Сергеевна", "сергеевна"));
        assert!(!same_name(Field::FirstName, "Сергей", "Светлана"));
        assert!(!same_name(Field::LastName, "Кузнецов", "Кузнецова"));
        assert!(!same_name(Field::FirstName, "Покупатель", "Гость"));
    }

    #[test]
    fn placeholder_names() {
        for name in ["Покупатель", "ГОСТЬ", "test", "-", "xxx", "Иван1", "  "] {
            assert!(name_is_placeholder(Field::FirstName, name), "{name}");
        }
        for name in ["Иван", "Anna", "Мария-Луиза"] {
            assert!(!name_is_placeholder(Field::FirstName, name), "{name}");
        }
    }

    #[test]
    fn mobile_beats_foreign_beats_landline_beats_invalid() {
        assert_eq!(phone_kind("79161234567"), PhoneKind::Mobile);
        assert_eq!(phone_kind("74951234567"), PhoneKind::Landline);
        assert_eq!(phone_kind("375291234567"), PhoneKind::Foreign);
        assert_eq!(phone_kind("12345"), PhoneKind::Invalid);
        assert_eq!(phone_kind("7916abc4567"), PhoneKind::Invalid);
        let ranks: Vec<u8> = ["79161234567", "375291234567", "74951234567", "12345"]
            .iter()
            .map(|p| value_quality(Field::Phone, p))
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] > w[1]), "{ranks:?}");
    }

    #[test]
    fn placeholder_phone_ranks_with_invalid() {
        assert!(phone_is_placeholder("79999999999"));
        assert!(phone_is_placeholder("79161111111"));
        assert_eq!(value_quality(Field::Phone, "70000000000"), 0);
        assert!(!phone_is_placeholder("79161234567"));
    }

    #[test]
    fn valid_email_beats_invalid_and_placeholder() {
        assert_eq!(value_quality(Field::Email, "ivan.petrov@mail.ru"), 1);
        for email in [
            "ivan.petrov@mail",
            "@mail.ru",
            "a@@b.ru",
            "test@test.ru",
            "a@b.1",
        ] {
            assert_eq!(value_quality(Field::Email, email), 0, "{email}");
        }
    }

    #[test]
    fn iso_dates_parse_exactly() {
        assert_eq!(
            parse_iso_date(" 1985-03-04 "),
            chrono::NaiveDate::from_ymd_opt(1985, 3, 4)
        );
        for bad in [
            "1985-3-04",
            "1985-02-30",
            "85-03-04xx",
            "1985/03/04",
            "198a-03-04",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn real_birth_date_beats_placeholder_and_garbage() {
        assert_eq!(value_quality(Field::BirthDate, "1985-03-04"), 2);
        for date in [
            "1900-01-01",
            "1971-01-01",
            "1985-02-30",
            "04.03.1985",
            "1850-05-05",
        ] {
            assert_eq!(value_quality(Field::BirthDate, date), 0, "{date}");
        }
    }

    #[test]
    fn stated_sex_beats_other_and_garbage() {
        assert!(value_quality(Field::Sex, "2") > value_quality(Field::Sex, "3"));
        assert!(value_quality(Field::Sex, "3") > value_quality(Field::Sex, "ж"));
    }
}
