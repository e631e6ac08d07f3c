//! Cell values into the frame's typed canonical columns: dates, sex codes,
//! points, and the rendering of numbers that spreadsheets, Parquet and JSON
//! store as floats.
//!
//! Every parser here is pure, allocation-free on the common path, and
//! returns `None` for a value it cannot read; the caller decides whether that
//! is a counted data-quality problem (a non-empty cell) or simply an empty
//! field.

use chrono::{Datelike, NaiveDate};

/// Days from 0001-01-01 (chrono's common era day 1) to 1970-01-01, the
/// epoch of polars' `Date` type.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Parses a date in one of the layouts exports use — `YYYY-MM-DD`,
/// `DD.MM.YYYY`, `DD/MM/YYYY`, `YYYYMMDD` (also `YYYY/MM/DD`, `YYYY.MM.DD`,
/// `DD-MM-YYYY`, one-digit day or month) — ignoring a time part after a
/// space or `T`, into days since 1970-01-01. Two-digit years are refused:
/// `01.02.03` has no single reading.
pub fn parse_date(value: &str) -> Option<i32> {
    let value = value.trim();
    let date_part = value.split([' ', 'T', '\u{a0}']).next().unwrap_or(value);
    let (year, month, day) = split_date(date_part)?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    Some(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
}

/// `YYYY-MM-DD` for days since 1970-01-01, as `Profile` carries dates.
pub fn format_date(days_since_epoch: i32) -> Option<String> {
    let date = NaiveDate::from_num_days_from_ce_opt(days_since_epoch + UNIX_EPOCH_DAYS_FROM_CE)?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    ))
}

fn split_date(text: &str) -> Option<(i32, u32, u32)> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some((
            parse_digits(&text[0..4])? as i32,
            parse_digits(&text[4..6])?,
            parse_digits(&text[6..8])?,
        ));
    }
    let separator = text.bytes().find(|b| matches!(b, b'-' | b'.' | b'/'))?;
    let mut parts = text.split(separator as char);
    let first = parts.next()?;
    let second = parts.next()?;
    let third = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let short = |part: &str| (1..=2).contains(&part.len());
    if first.len() == 4 && short(second) && short(third) {
        Some((
            parse_digits(first)? as i32,
            parse_digits(second)?,
            parse_digits(third)?,
        ))
    } else if short(first) && short(second) && third.len() == 4 {
        Some((
            parse_digits(third)? as i32,
            parse_digits(second)?,
            parse_digits(first)?,
        ))
    } else {
        None
    }
}

fn parse_digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Sailplay's sex code (1 male, 2 female, 3 other) from the spellings
/// exports use: the code itself, м/ж, m/f, male/female, муж/жен,
/// мужской/женский, мужчина/женщина; case-insensitive, a trailing dot
/// allowed (`муж.`).
pub fn parse_sex(value: &str) -> Option<i32> {
    let value = value.trim();
    match value {
        "1" => return Some(1),
        "2" => return Some(2),
        "3" => return Some(3),
        _ => {}
    }
    let lowered = value.trim_end_matches('.').to_lowercase();
    match lowered.as_str() {
        "м" | "m" | "male" | "man" | "муж" | "мужской" | "мужчина" => Some(1),
        "ж" | "f" | "female" | "woman" | "жен" | "женский" | "женщина" => Some(2),
        "other" | "другой" | "иной" => Some(3),
        _ => None,
    }
}

/// A points balance: an integer, optionally written with a zero fraction
/// (`12.0`, `12,00`) or digit-group spaces (`1 200`). A real fraction
/// (`12.5`) is not a points balance and gives `None`.
pub fn parse_points(value: &str) -> Option<i64> {
    let value = value.trim();
    let (negative, digits) = match value.as_bytes().first()? {
        b'-' => (true, &value[1..]),
        b'+' => (false, &value[1..]),
        _ => (false, value),
    };
    let (whole, fraction) = match digits.find(['.', ',']) {
        Some(at) => (&digits[..at], &digits[at + 1..]),
        None => (digits, ""),
    };
    if !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    let mut number: i64 = 0;
    let mut seen_digit = false;
    for c in whole.chars() {
        match c {
            '0'..='9' => {
                number = number
                    .checked_mul(10)?
                    .checked_add(i64::from(c as u8 - b'0'))?;
                seen_digit = true;
            }
            ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' => {}
            _ => return None,
        }
    }
    if !seen_digit {
        return None;
    }
    Some(if negative { -number } else { number })
}

/// A float cell as text: integral values without `.0` (phones and ids
/// stored as numbers in Excel or JSON must come out as `79991234567`, not
/// `79991234567.0`), others in Rust's shortest round-trip form.
pub fn render_float(value: f64) -> String {
    // 2^53: above it a float no longer holds every integer exactly, so an
    // integer rendering would invent digits.
    const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;
    if value.is_finite() && value.fract() == 0.0 && value.abs() <= EXACT_INTEGER_LIMIT {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<String> {
        parse_date(text).and_then(format_date)
    }

    #[test]
    fn dates_in_every_accepted_layout() {
        for text in [
            "1990-03-07",
            "07.03.1990",
            "07/03/1990",
            "19900307",
            "7.3.1990",
            "1990/03/07",
            "07-03-1990",
            " 1990-03-07 ",
            "1990-03-07 00:00:00",
            "1990-03-07T10:15:00Z",
            "07.03.1990 12:30",
        ] {
            assert_eq!(date(text).as_deref(), Some("1990-03-07"), "{text}");
        }
    }

    #[test]
    fn impossible_or_ambiguous_dates_are_refused() {
        for text in [
            "",
            "31.02.1990",
            "1990-13-01",
            "07.03.90",
            "1990-3",
            "yesterday",
            "1990-03-07-01",
            "199003071",
            "0x.03.1990",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }

    #[test]
    fn epoch_and_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(format_date(0).as_deref(), Some("1970-01-01"));
        assert_eq!(date("1900-01-01").as_deref(), Some("1900-01-01"));
    }

    #[test]
    fn sex_spellings() {
        for (text, code) in [
            ("1", 1),
            ("2", 2),
            ("3", 3),
            ("м", 1),
            ("М", 1),
            ("ж", 2),
            ("Ж", 2),
            ("m", 1),
            ("F", 2),
            ("Male", 1),
            ("FEMALE", 2),
            ("муж", 1),
            ("Муж.", 1),
            ("жен", 2),
            ("Мужской", 1),
            ("женский", 2),
            (" женщина ", 2),
            ("other", 3),
        ] {
            assert_eq!(parse_sex(text), Some(code), "{text}");
        }
        for text in ["", "0", "4", "unknown", "мж", "x"] {
            assert_eq!(parse_sex(text), None, "{text}");
        }
    }

    #[test]
    fn points_spellings() {
        for (text, points) in [
            ("12", 12),
            ("12.0", 12),
            ("12,00", 12),
            ("-5", -5),
            ("+7", 7),
            ("1 200", 1200),
            ("1\u{a0}200", 1200),
            (" 0 ", 0),
        ] {
            assert_eq!(parse_points(text), Some(points), "{text}");
        }
        for text in ["", "12.5", "abc", "-", "1e3", "99999999999999999999", ".0"] {
            assert_eq!(parse_points(text), None, "{text}");
        }
    }

    #[test]
    fn floats_render_integers_without_fraction() {
        assert_eq!(render_float(79_991_234_567.0), "79991234567");
        assert_eq!(render_float(-3.0), "-3");
        assert_eq!(render_float(12.5), "12.5");
        assert_eq!(render_float(0.1), "0.1");
        assert_eq!(render_float(f64::NAN), "NaN");
    }
}
