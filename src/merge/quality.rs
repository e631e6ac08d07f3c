//! How good a single field value is, for choosing the golden profile: a full
//! Cyrillic name beats a diminutive, a transliteration or a placeholder; a
//! real birth date beats a placeholder; a mobile phone beats a landline or
//! an invalid number; a valid email beats an invalid one.
//!
//! Each judgement is a small pure function over the raw value. They mirror
//! the rules of `crate::normalize` (phone kind, email validity, placeholder
//! names, diminutives) in the compact form the planner needs per value, so
//! that the planner's ranking can be switched over to the shared
//! normalisers in one place.

use crate::normalize::PhoneKind;
use crate::profile::{BIRTH_DATE, EMAIL, FIRST_NAME, LAST_NAME, MIDDLE_NAME, PHONE, SEX};

/// Rank of a value within its field: higher is better; 0 means a
/// placeholder or an invalid value that should never be preferred.
pub fn value_quality(field: &str, value: &str) -> u8 {
    match field {
        FIRST_NAME | MIDDLE_NAME | LAST_NAME => name_quality(field, value),
        BIRTH_DATE => match birth_date_is_valid(value) {
            true if !birth_date_is_placeholder(value) => 2,
            _ => 0,
        },
        PHONE if phone_is_placeholder(value) => 0,
        PHONE => match phone_kind(value) {
            PhoneKind::Mobile => 3,
            PhoneKind::Foreign => 2,
            PhoneKind::Landline => 1,
            PhoneKind::Invalid => 0,
        },
        EMAIL => u8::from(email_is_valid(value) && !email_is_placeholder(value)),
        SEX => match value {
            "1" | "2" => 2,
            "3" => 1,
            _ => 0,
        },
        _ => 1,
    }
}

/// Whether a kept value is one a reviewer should be told about: a
/// placeholder or an invalid value.
pub fn is_placeholder_or_invalid(field: &str, value: &str) -> bool {
    matches!(
        field,
        FIRST_NAME | MIDDLE_NAME | LAST_NAME | BIRTH_DATE | PHONE | EMAIL
    ) && value_quality(field, value) == 0
}

/// Names: placeholder 0 < Latin (transliterated) 2 < diminutive 4 < full
/// Cyrillic 6, plus one for conventional capitalisation (Иван over ИВАН or
/// иван).
fn name_quality(field: &str, value: &str) -> u8 {
    if name_is_placeholder(value) {
        return 0;
    }
    let base = if !is_cyrillic_name(value) {
        2
    } else if field == FIRST_NAME && first_name_is_diminutive(value) {
        4
    } else {
        6
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

fn fold(value: &str) -> String {
    value.trim().to_lowercase().replace('ё', "е")
}

const PLACEHOLDER_NAMES: [&str; 24] = [
    "покупатель",
    "гость",
    "клиент",
    "тест",
    "test",
    "тестовый",
    "неизвестно",
    "неизвестный",
    "нет",
    "no",
    "none",
    "null",
    "unknown",
    "guest",
    "client",
    "customer",
    "user",
    "пользователь",
    "аноним",
    "anonymous",
    "имя",
    "фамилия",
    "отчество",
    "name",
];

/// A filler such as Покупатель, Гость, Test, or something with no letters.
pub fn name_is_placeholder(value: &str) -> bool {
    let folded = fold(value);
    !folded.chars().any(char::is_alphabetic)
        || folded.chars().any(|c| c.is_ascii_digit())
        || PLACEHOLDER_NAMES.contains(&folded.as_str())
        || folded.chars().all(|c| c == 'x' || c == 'х')
}

/// Common Russian diminutives (short and affectionate forms) of first names;
/// folded (lower case, ё as е).
const DIMINUTIVES: &[&str] = &[
    "саша",
    "шура",
    "саня",
    "женя",
    "ваня",
    "петя",
    "коля",
    "вова",
    "володя",
    "дима",
    "митя",
    "миша",
    "сережа",
    "серега",
    "леша",
    "алеша",
    "андрюша",
    "костя",
    "толя",
    "витя",
    "юра",
    "слава",
    "паша",
    "гоша",
    "жора",
    "гриша",
    "стас",
    "вася",
    "федя",
    "боря",
    "гена",
    "рома",
    "тема",
    "макс",
    "влад",
    "валера",
    "лева",
    "ильюша",
    "таня",
    "наташа",
    "маша",
    "катя",
    "лена",
    "оля",
    "света",
    "аня",
    "ира",
    "галя",
    "люда",
    "надя",
    "даша",
    "настя",
    "юля",
    "ксюша",
    "лиза",
    "валя",
    "тома",
    "зина",
    "рита",
    "соня",
    "поля",
    "люба",
    "вика",
    "лара",
    "оксанка",
    "маринка",
    "танюша",
    "наталька",
];

/// A diminutive first name (Саша, Женя, Маша): the same person as the full
/// form, but the full form is what the golden profile should keep.
pub fn first_name_is_diminutive(value: &str) -> bool {
    let folded = fold(value);
    DIMINUTIVES.contains(&folded.as_str())
}

/// Sailplay's number form, `7XXXXXXXXXX` for Russia: 79… is mobile, other
/// 7… landline; other 10–15 digit numbers are foreign; the rest invalid.
pub fn phone_kind(value: &str) -> PhoneKind {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let only_digits_and_separators = value
        .trim()
        .trim_start_matches('+')
        .chars()
        .all(|c| c.is_ascii_digit() || " -()".contains(c));
    if !only_digits_and_separators {
        return PhoneKind::Invalid;
    }
    match (
        digits.len(),
        digits.as_bytes().first(),
        digits.as_bytes().get(1),
    ) {
        (11, Some(b'7'), Some(b'9')) => PhoneKind::Mobile,
        (11, Some(b'7'), Some(b'3'..=b'8')) => PhoneKind::Landline,
        (11, Some(b'7'), _) => PhoneKind::Invalid,
        (10..=15, Some(first), _) if *first != b'0' && *first != b'7' => PhoneKind::Foreign,
        _ => PhoneKind::Invalid,
    }
}

/// A filler number: the subscriber part (last seven digits) is one
/// repeated digit, as in 79999999999 or 74950000000.
pub fn phone_is_placeholder(value: &str) -> bool {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 {
        return false;
    }
    let subscriber = &digits[digits.len() - 7..];
    let first = subscriber.as_bytes()[0];
    subscriber.bytes().all(|b| b == first)
}

/// The format Sailplay validates: one `@`, a non-empty local part without
/// spaces, a domain with a dot and no empty label.
pub fn email_is_valid(value: &str) -> bool {
    let value = value.trim();
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(char::is_whitespace)
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
}

/// A filler address such as test@test.ru or noemail@mail.ru.
pub fn email_is_placeholder(value: &str) -> bool {
    let folded = value.trim().to_lowercase();
    let Some((local, domain)) = folded.split_once('@') else {
        return false;
    };
    matches!(
        local,
        "test" | "noemail" | "no-email" | "no" | "none" | "nomail" | "null" | "x" | "xxx" | "нет"
    ) || matches!(
        domain,
        "test.ru" | "test.com" | "example.com" | "example.ru" | "mail.test"
    )
}

/// `YYYY-MM-DD`, a real calendar date, year 1900 or later.
pub fn birth_date_is_valid(value: &str) -> bool {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .is_ok_and(|date| chrono::Datelike::year(&date) >= 1900)
}

/// Dates systems fill in when the real one is unknown.
pub fn birth_date_is_placeholder(value: &str) -> bool {
    matches!(
        value.trim(),
        "1900-01-01" | "1901-01-01" | "1970-01-01" | "1971-01-01" | "1899-12-31" | "2000-01-01"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_cyrillic_name_beats_diminutive_beats_latin_beats_placeholder() {
        let full = value_quality(FIRST_NAME, "Александр");
        let diminutive = value_quality(FIRST_NAME, "Саша");
        let latin = value_quality(FIRST_NAME, "Aleksandr");
        let placeholder = value_quality(FIRST_NAME, "Покупатель");
        assert!(full > diminutive, "{full} {diminutive}");
        assert!(diminutive > latin);
        assert!(latin > placeholder);
        assert_eq!(placeholder, 0);
    }

    #[test]
    fn capitalised_name_beats_shouting_or_lower_case() {
        assert!(value_quality(LAST_NAME, "Иванова") > value_quality(LAST_NAME, "ИВАНОВА"));
        assert!(value_quality(LAST_NAME, "Иванова") > value_quality(LAST_NAME, "иванова"));
        assert!(
            value_quality(LAST_NAME, "Римский-Корсаков")
                > value_quality(LAST_NAME, "римский-корсаков")
        );
    }

    #[test]
    fn diminutive_only_counts_for_first_names() {
        assert!(first_name_is_diminutive("Саша"));
        assert!(first_name_is_diminutive("АЛЁША"));
        assert!(!first_name_is_diminutive("Александр"));
        assert_eq!(
            value_quality(LAST_NAME, "Саша"),
            value_quality(LAST_NAME, "Иванов")
        );
    }

    #[test]
    fn placeholder_names() {
        for name in ["Покупатель", "ГОСТЬ", "test", "-", "xxx", "Иван1", "  "] {
            assert!(name_is_placeholder(name), "{name}");
        }
        for name in ["Иван", "Anna", "Мария-Луиза"] {
            assert!(!name_is_placeholder(name), "{name}");
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
            .map(|p| value_quality(PHONE, p))
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] > w[1]), "{ranks:?}");
    }

    #[test]
    fn placeholder_phone_ranks_with_invalid() {
        assert!(phone_is_placeholder("79999999999"));
        assert!(phone_is_placeholder("79161111111"));
        assert_eq!(value_quality(PHONE, "70000000000"), 0);
        assert!(!phone_is_placeholder("79161234567"));
    }

    #[test]
    fn valid_email_beats_invalid_and_placeholder() {
        assert_eq!(value_quality(EMAIL, "ivan.petrov@mail.ru"), 1);
        for email in [
            "ivan.petrov@mail",
            "ivan petrov@mail.ru",
            "@mail.ru",
            "a@@b.ru",
            "test@test.ru",
            "a@b.1",
        ] {
            assert_eq!(value_quality(EMAIL, email), 0, "{email}");
        }
    }

    #[test]
    fn real_birth_date_beats_placeholder_and_garbage() {
        assert_eq!(value_quality(BIRTH_DATE, "1985-03-04"), 2);
        for date in [
            "1900-01-01",
            "1971-01-01",
            "1985-02-30",
            "04.03.1985",
            "1850-05-05",
        ] {
            assert_eq!(value_quality(BIRTH_DATE, date), 0, "{date}");
        }
    }

    #[test]
    fn stated_sex_beats_other_and_garbage() {
        assert!(value_quality(SEX, "2") > value_quality(SEX, "3"));
        assert!(value_quality(SEX, "3") > value_quality(SEX, "ж"));
    }
}
