//! Comparison primitives shared by blocking, scoring and the clustering
//! guards: how two phones, mailboxes, names and dates differ. Pure
//! functions over normalised values; each is symmetric in its arguments, so
//! a pair compares the same whichever profile comes first.

use chrono::{Datelike, NaiveDate};

use crate::profile::Sex;

/// How two phone numbers (digit strings) differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneDifference {
    Equal,
    /// Same length, one digit different (a typo, or a neighbour's number).
    OneSubstitution,
    /// Same length, two adjacent digits swapped.
    AdjacentTransposition,
    Other,
}

pub fn phone_difference(left: &str, right: &str) -> PhoneDifference {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    if left == right {
        return PhoneDifference::Equal;
    }
    if left.len() != right.len() {
        return PhoneDifference::Other;
    }
    let differing: Vec<usize> = (0..left.len()).filter(|&i| left[i] != right[i]).collect();
    match differing.as_slice() {
        [_] => PhoneDifference::OneSubstitution,
        [first, second]
            if *second == first + 1
                && left[*first] == right[*second]
                && left[*second] == right[*first] =>
        {
            PhoneDifference::AdjacentTransposition
        }
        _ => PhoneDifference::Other,
    }
}

/// True when `left` and `right` are one insertion, deletion or substitution
/// apart (Levenshtein distance exactly 1), over characters.
pub fn one_edit_apart(left: &str, right: &str) -> bool {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let (short, long) = if left.len() <= right.len() {
        (&left, &right)
    } else {
        (&right, &left)
    };
    match long.len() - short.len() {
        0 => {
            short
                .iter()
                .zip(long.iter())
                .filter(|(a, b)| a != b)
                .count()
                == 1
        }
        1 => {
            let prefix = short
                .iter()
                .zip(long.iter())
                .take_while(|(a, b)| a == b)
                .count();
            short[prefix..] == long[prefix + 1..]
        }
        _ => false,
    }
}

pub fn jaro_winkler(left: &str, right: &str) -> f64 {
    strsim::jaro_winkler(left, right)
}

/// The stem and the sex a patronymic's ending marks: сергеевич →
/// (серге, male), сергеевна → (серге, female), ильинична → (ильин, female).
pub fn patronymic_form(patronymic: &str) -> Option<(&str, Sex)> {
    const FEMALE: [&str; 4] = ["инична", "ична", "овна", "евна"];
    const MALE: [&str; 4] = ["ович", "евич", "ич", "оглы"];
    for ending in FEMALE {
        if let Some(stem) = patronymic.strip_suffix(ending) {
            return Some((stem, Sex::Female));
        }
    }
    for ending in MALE {
        if let Some(stem) = patronymic.strip_suffix(ending) {
            return Some((stem, Sex::Male));
        }
    }
    None
}

/// Сергеевич and Сергеевна: one father's name in both sexes' forms.
pub fn patronymic_forms_conflict(left: &str, right: &str) -> bool {
    match (patronymic_form(left), patronymic_form(right)) {
        (Some((left_stem, left_sex)), Some((right_stem, right_sex))) => {
            left_sex != right_sex && stems_agree(left_stem, right_stem)
        }
        _ => false,
    }
}

/// Stems of one name's two forms: сергеевич → серге, сергеевна → серге;
/// ильич → иль, ильинична → ильин.
fn stems_agree(left: &str, right: &str) -> bool {
    left == right || left.starts_with(right) || right.starts_with(left)
}

/// Male and female both stated or inferred: never one person.
pub fn sexes_conflict(left: Option<Sex>, right: Option<Sex>) -> bool {
    matches!(
        (left, right),
        (Some(Sex::Male), Some(Sex::Female)) | (Some(Sex::Female), Some(Sex::Male))
    )
}

/// How two birth dates differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateDifference {
    Equal,
    /// 1985-03-07 and 1985-07-03.
    DayMonthSwapped,
    /// One digit of YYYYMMDD different, or two adjacent digits swapped.
    OneDigit,
    /// Less than a year apart, otherwise unrelated.
    WithinYear,
    Far,
}

pub fn date_difference(left: NaiveDate, right: NaiveDate) -> DateDifference {
    if left == right {
        return DateDifference::Equal;
    }
    if left.year() == right.year() && left.day() == right.month() && left.month() == right.day() {
        return DateDifference::DayMonthSwapped;
    }
    let left_digits = left.format("%Y%m%d").to_string();
    let right_digits = right.format("%Y%m%d").to_string();
    if matches!(
        phone_difference(&left_digits, &right_digits),
        PhoneDifference::OneSubstitution | PhoneDifference::AdjacentTransposition
    ) {
        return DateDifference::OneDigit;
    }
    if (left - right).num_days().abs() <= 365 {
        return DateDifference::WithinYear;
    }
    DateDifference::Far
}

/// Dates a typo can explain: the same person could have typed both.
pub fn dates_compatible(left: NaiveDate, right: NaiveDate) -> bool {
    matches!(
        date_difference(left, right),
        DateDifference::Equal | DateDifference::DayMonthSwapped | DateDifference::OneDigit
    )
}

/// A date in any of the forms exports use (YYYY-MM-DD, DD.MM.YYYY,
/// YYYYMMDD), time parts ignored.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    ["%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%d/%m/%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(date_part, format).ok())
}

/// A custom attribute's value as compared: trimmed, case-folded, `None`
/// when empty.
pub fn normalize_extra_value(value: &str) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn phone_differences() {
        use PhoneDifference::*;
        assert_eq!(phone_difference("79161234567", "79161234567"), Equal);
        assert_eq!(
            phone_difference("79161234567", "79161234568"),
            OneSubstitution
        );
        assert_eq!(
            phone_difference("79161234567", "79161235467"),
            AdjacentTransposition
        );
        assert_eq!(phone_difference("79161234567", "79161234598"), Other);
        assert_eq!(phone_difference("79161234567", "7916123456"), Other);
        // Two adjacent digits changed but not swapped.
        assert_eq!(phone_difference("79161234567", "79161239967"), Other);
    }

    #[test]
    fn one_edit() {
        assert!(one_edit_apart("ivanov", "ivanof"));
        assert!(one_edit_apart("ivanov", "ivanovv"));
        assert!(one_edit_apart("ivanov", "ivnov"));
        assert!(!one_edit_apart("ivanov", "ivanov"));
        assert!(!one_edit_apart("ivanov", "vianov"));
        assert!(!one_edit_apart("ivanov", "ivanov12"));
        assert!(one_edit_apart("ёж", "еж"));
    }

    #[test]
    fn patronymic_forms() {
        assert_eq!(patronymic_form("сергеевич"), Some(("серге", Sex::Male)));
        assert_eq!(patronymic_form("сергеевна"), Some(("серге", Sex::Female)));
        assert!(patronymic_forms_conflict("сергеевич", "сергеевна"));
        assert!(patronymic_forms_conflict("ильич", "ильинична"));
        assert!(!patronymic_forms_conflict("сергеевич", "сергеевич"));
        assert!(!patronymic_forms_conflict("сергеевич", "ивановна"));
    }

    #[test]
    fn sex_conflict_needs_both_known() {
        assert!(sexes_conflict(Some(Sex::Male), Some(Sex::Female)));
        assert!(!sexes_conflict(Some(Sex::Male), None));
        assert!(!sexes_conflict(Some(Sex::Male), Some(Sex::Other)));
        assert!(!sexes_conflict(Some(Sex::Female), Some(Sex::Female)));
    }

    #[test]
    fn date_differences() {
        use DateDifference::*;
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-03-07")),
            Equal
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-07-03")),
            DayMonthSwapped
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-03-08")),
            OneDigit
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1958-03-07")),
            OneDigit
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-11-20")),
            WithinYear
        );
        assert_eq!(date_difference(date("1955-03-07"), date("1985-11-20")), Far);
        assert!(dates_compatible(date("1985-03-07"), date("1985-03-17")));
        assert!(!dates_compatible(
            date("1955-03-07"),
            date("1985-03-07") + chrono::Days::new(40)
        ));
    }

    #[test]
    fn dates_parse_in_export_forms() {
        let expected = Some(date("1985-03-07"));
        assert_eq!(parse_date("1985-03-07"), expected);
        assert_eq!(parse_date("07.03.1985"), expected);
        assert_eq!(parse_date("19850307"), expected);
        assert_eq!(parse_date("1985-03-07 10:00:00"), expected);
        assert_eq!(parse_date("март"), None);
    }
}
