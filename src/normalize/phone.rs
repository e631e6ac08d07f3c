//! Phone numbers to Sailplay's international form without `+`
//! (`79161234567`), with their kind and a placeholder flag.
//!
//! Invariants: `normalize_phone` returns `None` only for a value with
//! nothing in it; it never panics; it is idempotent on its own output
//! (`normalize_phone(&p.digits)` gives `p` back, kind and flag included),
//! because every rule below depends on the digits alone, never on the
//! punctuation or the `+` of the input, except the trunk prefix `8` and the
//! international prefixes `00`/`810`, which the output never carries.

use std::collections::HashSet;
use std::sync::LazyLock;

use compact_str::CompactString;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// Russian mobile: 79XXXXXXXXX.
    Mobile,
    /// Russian landline (7 followed by a geographic code).
    Landline,
    /// A plausible number outside Russia's numbering plan.
    Foreign,
    /// Not a phone number.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedPhone {
    /// Digits only, `7XXXXXXXXXX` for Russian numbers.
    pub digits: CompactString,
    pub kind: PhoneKind,
    /// A filler such as 79999999999 or 70000000000: never evidence.
    pub placeholder: bool,
}

/// Russian geographic area codes (the ABC zone of the numbering plan) and
/// the toll-free 800-809 range. A 7 followed by any other 3/4/8 code is not
/// a Russian number.
static RUSSIAN_AREA_CODES: LazyLock<HashSet<u16>> = LazyLock::new(|| {
    let ranges: [(u16, u16); 24] = [
        (301, 302),
        (336, 336),
        (341, 353),
        (365, 365),
        (381, 385),
        (388, 391),
        (394, 395),
        (401, 401),
        (411, 427),
        (471, 487),
        (491, 499),
        (800, 804),
        (809, 809),
        (811, 821),
        (831, 836),
        (840, 848),
        (851, 855),
        (857, 857),
        (861, 867),
        (869, 869),
        (871, 873),
        (877, 879),
        (874, 874),
        (876, 876),
    ];
    ranges.iter().flat_map(|&(low, high)| low..=high).collect()
});

/// Country calling codes other than 7 with the total digit counts
/// (code included) their numbers have. Longest code first when matching.
const COUNTRY_CODES: &[(&str, u8, u8)] = &[
    // Former USSR and neighbours: the bulk of foreign numbers in a Russian base.
    ("375", 12, 12), // Belarus
    ("380", 12, 12), // Ukraine
    ("374", 11, 11), // Armenia
    ("994", 12, 12), // Azerbaijan
    ("995", 12, 12), // Georgia
    ("996", 12, 12), // Kyrgyzstan
    ("998", 12, 12), // Uzbekistan
    ("992", 12, 12), // Tajikistan
    ("993", 11, 11), // Turkmenistan
    ("373", 11, 11), // Moldova
    ("370", 11, 11), // Lithuania
    ("371", 11, 11), // Latvia
    ("372", 10, 11), // Estonia
    ("358", 9, 13),  // Finland
    ("972", 11, 12), // Israel
    ("971", 11, 12), // United Arab Emirates
    ("420", 12, 12), // Czechia
    ("421", 12, 12), // Slovakia
    ("359", 11, 12), // Bulgaria
    ("381", 10, 12), // Serbia
    ("382", 10, 11), // Montenegro
    ("385", 10, 12), // Croatia
    ("386", 10, 11), // Slovenia
    ("357", 11, 11), // Cyprus
    ("351", 12, 12), // Portugal
    ("353", 11, 12), // Ireland
    ("354", 10, 10), // Iceland
    ("355", 11, 12), // Albania
    ("976", 11, 11), // Mongolia
    ("977", 12, 13), // Nepal
    ("852", 11, 11), // Hong Kong
    ("886", 11, 12), // Taiwan
    ("966", 12, 12), // Saudi Arabia
    ("974", 11, 11), // Qatar
    ("965", 11, 11), // Kuwait
    ("962", 12, 12), // Jordan
    ("961", 10, 11), // Lebanon
    ("963", 12, 12), // Syria
    ("964", 12, 13), // Iraq
    ("212", 12, 12), // Morocco
    ("216", 11, 11), // Tunisia
    ("234", 13, 13), // Nigeria
    ("1", 11, 11),   // North America
    ("20", 12, 12),  // Egypt
    ("27", 11, 11),  // South Africa
    ("30", 12, 12),  // Greece
    ("31", 11, 11),  // Netherlands
    ("32", 10, 11),  // Belgium
    ("33", 11, 11),  // France
    ("34", 11, 11),  // Spain
    ("36", 10, 11),  // Hungary
    ("39", 11, 13),  // Italy
    ("40", 11, 11),  // Romania
    ("41", 11, 11),  // Switzerland
    ("43", 10, 13),  // Austria
    ("44", 12, 12),  // United Kingdom
    ("45", 10, 10),  // Denmark
    ("46", 10, 12),  // Sweden
    ("47", 10, 10),  // Norway
    ("48", 11, 11),  // Poland
    ("49", 11, 13),  // Germany
    ("51", 11, 11),  // Peru
    ("52", 12, 12),  // Mexico
    ("54", 12, 13),  // Argentina
    ("55", 12, 13),  // Brazil
    ("56", 11, 11),  // Chile
    ("57", 12, 12),  // Colombia
    ("60", 11, 12),  // Malaysia
    ("61", 11, 11),  // Australia
    ("62", 11, 13),  // Indonesia
    ("63", 12, 12),  // Philippines
    ("64", 10, 11),  // New Zealand
    ("65", 10, 10),  // Singapore
    ("66", 11, 11),  // Thailand
    ("81", 11, 12),  // Japan
    ("82", 11, 12),  // South Korea
    ("84", 11, 12),  // Vietnam
    ("86", 13, 13),  // China
    ("90", 12, 12),  // Turkey
    ("91", 12, 12),  // India
    ("92", 12, 12),  // Pakistan
    ("93", 11, 11),  // Afghanistan
    ("94", 11, 11),  // Sri Lanka
    ("95", 10, 12),  // Myanmar
    ("98", 12, 12),  // Iran
];

/// Whole numbers that stand for "no phone" in Russian exports.
const PLACEHOLDER_NUMBERS: &[&str] = &[
    "79999999999",
    "70000000000",
    "71111111111",
    "79000000000",
    "71234567890",
    "79123456789",
    "79876543210",
    "79012345678",
    "78888888888",
    "77777777777",
];

/// Words typed into a phone field instead of a number.
const PLACEHOLDER_WORDS: &[&str] = &[
    "-",
    "--",
    "---",
    ".",
    "нет",
    "не указан",
    "не указано",
    "none",
    "null",
    "nil",
    "n/a",
    "na",
    "no",
    "нету",
    "отсутствует",
    "unknown",
    "?",
    "x",
    "х",
];

/// Normalises one phone value; `None` when it holds nothing (only spaces).
pub fn normalize_phone(raw: &str) -> Option<NormalizedPhone> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    let Some(extracted) = extract_digits(trimmed) else {
        let lower = trimmed.to_lowercase();
        return Some(NormalizedPhone {
            digits: CompactString::default(),
            kind: PhoneKind::Invalid,
            placeholder: PLACEHOLDER_WORDS.contains(&lower.as_str()),
        });
    };
    let digits = to_international(&extracted);
    let kind = classify(&digits);
    let placeholder = is_placeholder_number(&digits);
    Some(NormalizedPhone {
        digits: digits.into(),
        kind,
        placeholder,
    })
}

/// The digits of the first number in a value, without extension, or `None`
/// when it has no digit. Handles spreadsheet artefacts (`7.9161234567E+10`,
/// `79161234567.0`) and several numbers in one cell (`8916..., 8495...`).
fn extract_digits(value: &str) -> Option<String> {
    if let Some(digits) = spreadsheet_number(value) {
        return Some(digits);
    }
    let mut digits = String::with_capacity(16);
    for character in value.chars() {
        if character.is_ascii_digit() {
            digits.push(character);
            continue;
        }
        // Once a full number is read, a letter or a list separator starts an
        // extension (`доб. 123`, `ext 5`, `x12`) or a second number.
        let ends_number = character.is_alphabetic()
            || matches!(character, ',' | ';' | '/' | '\\' | '|' | '#' | '*');
        if ends_number && digits.len() >= 10 {
            break;
        }
    }
    if digits.is_empty() {
        None
    } else {
        Some(digits)
    }
}

/// A number a spreadsheet turned into a float: `79161234567.0` or
/// `7.9161234567E+10`. `None` for anything else.
fn spreadsheet_number(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    if !bytes
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+'))
    {
        return None;
    }
    if let Some((integer, fraction)) = value.split_once('.')
        && !integer.is_empty()
        && integer.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b == b'0')
    {
        return Some(integer.to_string());
    }
    let (mantissa, exponent) = value.split_once(['e', 'E'])?;
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if integer.is_empty() || !integer.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exponent: usize = exponent.trim_start_matches('+').parse().ok()?;
    if exponent < fraction.len() || exponent > 15 {
        return None;
    }
    let mut digits = String::with_capacity(integer.len() + exponent);
    digits.push_str(integer);
    digits.push_str(fraction);
    digits.extend(std::iter::repeat_n('0', exponent - fraction.len()));
    Some(digits)
}

/// Removes international and trunk prefixes and adds Russia's country code
/// to a national number.
fn to_international(digits: &str) -> String {
    let mut digits = digits;
    // Repeated until none is left, so that the output never starts with
    // one and normalising it again changes nothing.
    loop {
        if let Some(rest) = digits.strip_prefix("00") {
            digits = rest;
        } else if digits.len() > 11
            && let Some(rest) = digits.strip_prefix("810")
        {
            digits = rest;
        } else {
            break;
        }
    }
    let bytes = digits.as_bytes();
    match bytes.len() {
        11 if bytes[0] == b'8' => format!("7{}", &digits[1..]),
        10 if matches!(bytes[0], b'3' | b'4' | b'8' | b'9') => format!("7{digits}"),
        // `+7 8 916 ...`: the trunk prefix written after the country code.
        12 if bytes.starts_with(b"78") && bytes[2] == b'9' => format!("7{}", &digits[2..]),
        _ => digits.to_string(),
    }
}

/// The kind of an international number (digits only).
pub fn classify(digits: &str) -> PhoneKind {
    let bytes = digits.as_bytes();
    if bytes.len() == 11 && bytes[0] == b'7' {
        return match bytes[1] {
            b'9' => PhoneKind::Mobile,
            // +7 6xx and +7 7xx belong to Kazakhstan.
            b'6' | b'7' => PhoneKind::Foreign,
            b'3' | b'4' | b'8' => {
                let code = (bytes[1] - b'0') as u16 * 100
                    + (bytes[2] - b'0') as u16 * 10
                    + (bytes[3] - b'0') as u16;
                if RUSSIAN_AREA_CODES.contains(&code) {
                    PhoneKind::Landline
                } else {
                    PhoneKind::Invalid
                }
            }
            _ => PhoneKind::Invalid,
        };
    }
    if bytes.len() >= 9 && bytes[0] != b'0' && bytes[0] != b'7' && bytes[0] != b'8'
        || bytes.len() >= 12 && bytes[0] == b'8'
    {
        let length = bytes.len() as u8;
        let plausible = COUNTRY_CODES
            .iter()
            .filter(|(code, _, _)| digits.starts_with(code))
            .max_by_key(|(code, _, _)| code.len())
            .is_some_and(|&(_, min, max)| (min..=max).contains(&length));
        if plausible {
            return PhoneKind::Foreign;
        }
    }
    PhoneKind::Invalid
}

/// A number that stands for "no phone": a known filler, one digit repeated,
/// a counting sequence after the first digit (`7 9 123456789`), or a Russian
/// number whose seven-digit subscriber part is one digit repeated. A
/// subscriber part `1234567` alone is not enough: such numbers are issued.
pub fn is_placeholder_number(digits: &str) -> bool {
    if digits.is_empty() {
        return false;
    }
    if PLACEHOLDER_NUMBERS.contains(&digits) {
        return true;
    }
    let bytes = digits.as_bytes();
    if bytes.iter().all(|&b| b == bytes[0]) {
        return true;
    }
    if bytes.len() == 11 && bytes[0] == b'7' {
        let national = &bytes[1..];
        let subscriber = &bytes[4..];
        if national.iter().all(|&b| b == national[0])
            || subscriber.iter().all(|&b| b == subscriber[0])
            || is_counting_sequence(&national[1..])
        {
            return true;
        }
    }
    false
}

/// `1234567`, `7654321`, `0123...`: each digit one more (or one less) than
/// the one before.
fn is_counting_sequence(digits: &[u8]) -> bool {
    let ascending = digits.windows(2).all(|pair| pair[1] == pair[0] + 1);
    let descending = digits.windows(2).all(|pair| pair[0] == pair[1] + 1);
    digits.len() >= 6 && (ascending || descending)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(raw: &str) -> String {
        normalize_phone(raw).expect("a phone").digits.into_string()
    }

    fn kind(raw: &str) -> PhoneKind {
        normalize_phone(raw).expect("a phone").kind
    }

    fn placeholder(raw: &str) -> bool {
        normalize_phone(raw).expect("a phone").placeholder
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(normalize_phone(""), None);
        assert_eq!(normalize_phone("   \t"), None);
    }

    #[test]
    fn russian_formats_reach_one_form() {
        for raw in [
            "+7 (916) 123-45-67",
            "8-916-123-45-67",
            "89161234567",
            "9161234567",
            "007 916 123 45 67",
            "+7 916 123 45 67 доб. 123",
            "8 (916) 123-45-67 ext. 5",
            "tel: +7-916-123-4567",
            "79161234567",
            "+7 8 916 123 45 67",
            "8916 123 45 67, 8495 111 22 33",
            "7.9161234567E+10",
            "79161234567.0",
            "8-10-7-916-123-45-67",
        ] {
            assert_eq!(digits(raw), "79161234567", "{raw}");
            assert_eq!(kind(raw), PhoneKind::Mobile, "{raw}");
        }
    }

    #[test]
    fn landlines_by_geographic_code() {
        assert_eq!(digits("8 (495) 123-45-67"), "74951234567");
        assert_eq!(kind("8 (495) 123-45-67"), PhoneKind::Landline);
        assert_eq!(kind("+7 (812) 123-45-67"), PhoneKind::Landline);
        assert_eq!(kind("8 (343) 123-45-67"), PhoneKind::Landline);
        assert_eq!(kind("8-800-555-35-35"), PhoneKind::Landline);
        assert_eq!(kind("3433123456"), PhoneKind::Landline);
        // 891 is no Russian code.
        assert_eq!(kind("8 (891) 123-45-67"), PhoneKind::Invalid);
    }

    #[test]
    fn foreign_numbers() {
        assert_eq!(kind("+375 29 123-45-67"), PhoneKind::Foreign);
        assert_eq!(digits("+375 29 123-45-67"), "375291234567");
        assert_eq!(kind("375291234567"), PhoneKind::Foreign);
        assert_eq!(kind("+380 50 123 4567"), PhoneKind::Foreign);
        assert_eq!(kind("+7 701 123 45 67"), PhoneKind::Foreign, "Kazakhstan");
        assert_eq!(
            kind("87011234567"),
            PhoneKind::Foreign,
            "Kazakhstan, trunk 8"
        );
        assert_eq!(kind("+998 90 123 45 67"), PhoneKind::Foreign);
        assert_eq!(kind("+49 151 1234 5678"), PhoneKind::Foreign);
        assert_eq!(kind("00 44 20 7946 0958"), PhoneKind::Foreign);
        assert_eq!(kind("+1 212 555 0123"), PhoneKind::Foreign);
        // Belarus has 12 digits: one short is no number.
        assert_eq!(kind("+375 29 123-45-6"), PhoneKind::Invalid);
    }

    #[test]
    fn invalid_numbers() {
        assert_eq!(kind("123-45-67"), PhoneKind::Invalid);
        assert_eq!(kind("8916123456"), PhoneKind::Invalid);
        assert_eq!(kind("+7 (916) 123-45-678"), PhoneKind::Invalid);
        assert_eq!(kind("7 516 123 45 67"), PhoneKind::Invalid);
        assert_eq!(kind("звонить вечером"), PhoneKind::Invalid);
        assert_eq!(digits("звонить вечером"), "");
    }

    #[test]
    fn placeholders() {
        for raw in [
            "79999999999",
            "+7 (000) 000-00-00",
            "71111111111",
            "79000000000",
            "71234567890",
            "79123456789",
            "8 999 999 99 99",
            "+7 (916) 000-00-00",
            "79876543210",
            "5555555555",
            "нет",
            "-",
        ] {
            assert!(placeholder(raw), "{raw}");
        }
        assert!(!placeholder("+7 (916) 123-45-67"));
        assert!(!placeholder("+7 (916) 123-45-68"));
        assert!(!placeholder("+375 29 123-45-67"));
        assert!(!placeholder("звонить вечером"));
    }

    #[test]
    fn normalising_is_idempotent_on_examples() {
        for raw in [
            "+7 (916) 123-45-67",
            "8 (495) 123-45-67",
            "+375 29 123-45-67",
            "87011234567",
            "123",
            "00 44 20 7946 0958",
            "8916123456",
        ] {
            let once = normalize_phone(raw).unwrap();
            let twice = normalize_phone(&once.digits);
            if once.digits.is_empty() {
                assert_eq!(twice, None);
            } else {
                assert_eq!(twice, Some(once), "{raw}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_normalises_without_panic_and_idempotently(raw in "\\PC{0,40}") {
            if let Some(once) = normalize_phone(&raw)
                && !once.digits.is_empty()
            {
                proptest::prop_assert_eq!(normalize_phone(&once.digits), Some(once));
            }
        }

        #[test]
        fn phone_shaped_text_normalises_idempotently(raw in "[+]?[0-9 ()-]{0,22}") {
            if let Some(once) = normalize_phone(&raw)
                && !once.digits.is_empty()
            {
                proptest::prop_assert!(once.digits.bytes().all(|b| b.is_ascii_digit()));
                proptest::prop_assert_eq!(normalize_phone(&once.digits), Some(once));
            }
        }
    }
}
