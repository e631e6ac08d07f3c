//! Dates as evidence: placeholders such as 1900-01-01 are not.
//!
//! A birth date is a *placeholder* (not evidence, dropped) when it is a
//! value systems and staff type for "unknown": 1900-01-01 and 1901-01-01
//! (form minimums), 1899-12-30/31 (spreadsheet day zero), 1970-01-01 (Unix
//! epoch), 1971-01-01 (Sailplay's minimum date); or when it cannot be a
//! living customer's: before 1900, in the future, or an age over 110. It is
//! *implausible* (kept, but flagged and counted) when the customer would be
//! younger than 12 or older than 100 at the reference date.
//!
//! 2000-01-01 is deliberately not on the list: about one in 366 people
//! born in 2000 really have it, and a shop whose date picker defaults to it
//! shows up as a spike that `normalize_profiles` detects from the data
//! (any date shared far beyond chance is flagged), along with 1980-01-01
//! or whatever default another system used.

use chrono::{Datelike, NaiveDate};

/// Sailplay's earliest register date.
pub const SAILPLAY_MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1971, 1, 1) {
    Some(date) => date,
    None => panic!("a valid constant date"),
};

/// Birth dates typed for "unknown".
const PLACEHOLDER_BIRTH_DATES: &[(i32, u32, u32)] = &[
    (1900, 1, 1),
    (1901, 1, 1),
    (1899, 12, 30),
    (1899, 12, 31),
    (1970, 1, 1),
    (1971, 1, 1),
];

const MAX_AGE: i32 = 110;
const MAX_PLAUSIBLE_AGE: i32 = 100;
const MIN_PLAUSIBLE_AGE: i32 = 12;

/// Parses `YYYY-MM-DD`, with an optional time after it (`2020-01-02
/// 10:00:00`, `2020-01-02T10:00:00Z`), or `DD.MM.YYYY`. `None` otherwise.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let trimmed = raw.trim();
    let day_part = trimmed.get(..10)?;
    let rest = &trimmed[10..];
    if !(rest.is_empty() || rest.starts_with([' ', 'T', 't'])) {
        return None;
    }
    // Read by hand: this runs for every profile, and chrono's format
    // parser is several times slower than three small integer reads.
    let bytes = day_part.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |value, &byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    let (year, month, day) = if bytes[4] == b'-' && bytes[7] == b'-' {
        (number(0..4)?, number(5..7)?, number(8..10)?)
    } else if bytes[2] == b'.' && bytes[5] == b'.' {
        (number(6..10)?, number(3..5)?, number(0..2)?)
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Age in whole years on `today` (negative for a future date).
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// A birth date that stands for "unknown" or cannot be a living
/// customer's (see the module documentation).
pub fn is_placeholder_birth_date(birth: NaiveDate, today: NaiveDate) -> bool {
    let listed = PLACEHOLDER_BIRTH_DATES.iter().any(|&(year, month, day)| {
        (birth.year(), birth.month(), birth.day()) == (year, month, day)
    });
    listed || birth.year() < 1900 || birth > today || age_on(birth, today) > MAX_AGE
}

/// A real but doubtful birth date: age under 12 or over 100. Placeholders
/// are not implausible (they are not dates at all).
pub fn is_implausible_birth_date(birth: NaiveDate, today: NaiveDate) -> bool {
    if is_placeholder_birth_date(birth, today) {
        return false;
    }
    let age = age_on(birth, today);
    !(MIN_PLAUSIBLE_AGE..=MAX_PLAUSIBLE_AGE).contains(&age)
}

/// A register date earlier than Sailplay allows.
pub fn is_register_date_before_minimum(register: NaiveDate) -> bool {
    register < SAILPLAY_MIN_DATE
}

/// The date ages are reckoned on for `profiles` when none is configured:
/// the latest register date (Sailplay stamps it, so it is the export's own
/// "today"; dates before 1971 are junk and skipped), else the latest birth
/// date, else 1971-01-01 (there is then no date to check). Derived from the
/// data alone, so the same input gives the same records on any day.
pub fn reference_date_of(profiles: &[crate::profile::Profile]) -> NaiveDate {
    let latest = |field: fn(&crate::profile::Profile) -> Option<&str>| {
        profiles
            .iter()
            .filter_map(|profile| field(profile).and_then(parse_date))
            .filter(|date| !is_register_date_before_minimum(*date))
            .max()
    };
    latest(|profile| profile.register_date.as_deref())
        .or_else(|| latest(|profile| profile.birth_date.as_deref()))
        .unwrap_or(SAILPLAY_MIN_DATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).expect("a date")
    }

    const TODAY: &str = "2026-11-23";

    #[test]
    fn parses_the_forms_exports_use() {
        assert_eq!(
            parse_date("1985-03-07"),
            NaiveDate::from_ymd_opt(1985, 3, 7)
        );
        assert_eq!(
            parse_date(" 1985-03-07 10:11:12"),
            NaiveDate::from_ymd_opt(1985, 3, 7)
        );
        assert_eq!(
            parse_date("1985-03-07T10:11:12Z"),
            NaiveDate::from_ymd_opt(1985, 3, 7)
        );
        assert_eq!(
            parse_date("07.03.1985"),
            NaiveDate::from_ymd_opt(1985, 3, 7)
        );
        assert_eq!(parse_date("1985-02-30"), None);
        assert_eq!(parse_date("1985-03-0"), None);
        assert_eq!(parse_date("1985-03-07x"), None);
        assert_eq!(parse_date("1985/03/07"), None);
        assert_eq!(parse_date("+985-03-07"), None);
        assert_eq!(parse_date("07.03.19x5"), None);
        assert_eq!(parse_date("вчера"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn placeholder_birth_dates() {
        let today = date(TODAY);
        for text in [
            "1900-01-01",
            "1901-01-01",
            "1899-12-30",
            "1970-01-01",
            "1971-01-01",
            "1850-06-01",
            "0001-01-01",
            "2027-01-01",
            "2026-11-24",
            "1915-11-22",
        ] {
            assert!(is_placeholder_birth_date(date(text), today), "{text}");
            assert!(!is_implausible_birth_date(date(text), today), "{text}");
        }
        for text in [
            "1985-03-07",
            "2000-01-01",
            "1970-01-02",
            "1916-11-23",
            "2010-01-01",
        ] {
            assert!(!is_placeholder_birth_date(date(text), today), "{text}");
        }
    }

    #[test]
    fn implausible_ages() {
        let today = date(TODAY);
        assert!(is_implausible_birth_date(date("2020-05-05"), today));
        assert!(is_implausible_birth_date(date("1920-05-05"), today));
        assert!(!is_implausible_birth_date(date("2014-11-23"), today));
        assert!(!is_implausible_birth_date(date("1926-11-23"), today));
        assert!(!is_implausible_birth_date(date("1985-03-07"), today));
    }

    #[test]
    fn ages() {
        let today = date(TODAY);
        assert_eq!(age_on(date("1985-11-23"), today), 41);
        assert_eq!(age_on(date("1985-11-24"), today), 40);
        assert_eq!(age_on(date("2026-11-24"), today), -1);
    }

    #[test]
    fn register_dates_before_sailplay_minimum() {
        assert!(is_register_date_before_minimum(date("1970-12-31")));
        assert!(!is_register_date_before_minimum(date("1971-01-01")));
    }

    #[test]
    fn the_reference_date_is_the_latest_register_date_else_the_latest_birth_date() {
        use crate::profile::Profile;
        let profile = |register: Option<&str>, birth: Option<&str>| Profile {
            register_date: register.map(str::to_string),
            birth_date: birth.map(str::to_string),
            ..Profile::default()
        };
        let profiles = vec![
            profile(Some("2021-03-04 10:00:00"), Some("1980-01-02")),
            profile(Some("1970-01-01"), Some("2001-05-06")),
            profile(Some("2023-07-08"), None),
            profile(Some("not a date"), None),
        ];
        assert_eq!(reference_date_of(&profiles), date("2023-07-08"));
        let without_register = vec![
            profile(None, Some("1980-01-02")),
            profile(None, Some("1999-12-12")),
        ];
        assert_eq!(reference_date_of(&without_register), date("1999-12-12"));
        assert_eq!(reference_date_of(&[]), SAILPLAY_MIN_DATE);
    }
}
