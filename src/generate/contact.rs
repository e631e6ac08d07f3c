//! Phone numbers and mailboxes: how people get them, how they are written in
//! exports, and the near-misses that separate a duplicate's identifier from
//! the original (a mistyped digit, a gmail dot, a domain typo) — the same
//! shapes that separate unrelated neighbours' numbers.
//!
//! Phones are held as the 10-digit national number `9XXXXXXXXX` (a Russian
//! mobile); `PhoneFormat` decides how one is written. Uniqueness is decided
//! on the national number, so one number in two formats counts as one.

use rand::Rng;
use rand::seq::IndexedRandom;

use super::names::{Domain, DomainKind, VOCABULARY};
use super::text::{Transliteration, transliterate};

pub const NATIONAL_MIN: u64 = 9_000_000_000;
pub const NATIONAL_SPAN: u64 = 1_000_000_000;

/// How a phone number is written in an export. Sailplay stores
/// `7XXXXXXXXXX`; the others come from exports joined with other systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneFormat {
    Sailplay,
    PlusSpaced,
    EightDashed,
    Eight,
    Plus,
    National,
}

impl PhoneFormat {
    /// Sailplay's own format for 86 % of rows, the rest spread over the
    /// formats of other systems.
    pub fn draw(rng: &mut impl Rng) -> (PhoneFormat, bool) {
        match rng.random_range(0..100) {
            0..86 => (PhoneFormat::Sailplay, false),
            86..90 => (PhoneFormat::PlusSpaced, true),
            90..93 => (PhoneFormat::EightDashed, true),
            93..96 => (PhoneFormat::Eight, true),
            96..98 => (PhoneFormat::Plus, true),
            _ => (PhoneFormat::National, true),
        }
    }
}

pub fn random_mobile(rng: &mut impl Rng) -> u64 {
    NATIONAL_MIN + rng.random_range(0..NATIONAL_SPAN)
}

pub fn format_phone(national: u64, format: PhoneFormat, out: &mut String) {
    use std::fmt::Write;
    let digits = format!("{national:010}");
    let (code, a, b, c) = (&digits[0..3], &digits[3..6], &digits[6..8], &digits[8..10]);
    let _ = match format {
        PhoneFormat::Sailplay => write!(out, "7{digits}"),
        PhoneFormat::PlusSpaced => write!(out, "+7 ({code}) {a}-{b}-{c}"),
        PhoneFormat::EightDashed => write!(out, "8-{code}-{a}-{b}-{c}"),
        PhoneFormat::Eight => write!(out, "8{digits}"),
        PhoneFormat::Plus => write!(out, "+7{digits}"),
        PhoneFormat::National => write!(out, "{digits}"),
    };
}

fn national_digits(national: u64) -> Vec<u8> {
    format!("{national:010}")
        .bytes()
        .map(|b| b - b'0')
        .collect()
}

fn from_digits(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |acc, d| acc * 10 + u64::from(*d))
}

/// The number with one digit (never the leading 9) replaced by another.
pub fn substitute_digit(national: u64, rng: &mut impl Rng) -> u64 {
    let mut digits = national_digits(national);
    let position = rng.random_range(1..digits.len());
    let replacement = (digits[position] + rng.random_range(1..10)) % 10;
    digits[position] = replacement;
    from_digits(&digits)
}

/// The number with two adjacent, different digits swapped; a substitution
/// when every adjacent pair is equal.
pub fn transpose_digits(national: u64, rng: &mut impl Rng) -> u64 {
    let mut digits = national_digits(national);
    let candidates: Vec<usize> = (1..digits.len() - 1)
        .filter(|&i| digits[i] != digits[i + 1])
        .collect();
    match candidates.choose(rng) {
        Some(&position) => {
            digits.swap(position, position + 1);
            from_digits(&digits)
        }
        None => substitute_digit(national, rng),
    }
}

/// A number a few steps away: family members' SIM cards bought together
/// have sequential numbers or share all but the last two digits.
pub fn neighbouring_number(national: u64, rng: &mut impl Rng) -> u64 {
    if rng.random_bool(0.6) {
        let step = rng.random_range(1..=9);
        if national % 10_000_000 >= step && rng.random_bool(0.5) {
            national - step
        } else {
            national + step
        }
    } else {
        let base = national - national % 100;
        let mut last = rng.random_range(0..100);
        if base + last == national {
            last = (last + 1) % 100;
        }
        base + last
    }
}

/// A mailbox split into login and domain; rendered `login@domain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub login: String,
    pub domain: &'static str,
}

impl Email {
    pub fn render(&self) -> String {
        format!("{}@{}", self.login, self.domain)
    }

    pub fn domain_kind(&self) -> DomainKind {
        VOCABULARY
            .find_domain(self.domain)
            .map_or(DomainKind::Other, |domain| domain.kind)
    }
}

/// What an email login is made of.
pub struct LoginParts<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub birth_year: i32,
    pub phone: u64,
}

fn latin_lower(word: &str, rng: &mut impl Rng) -> String {
    let scheme = if rng.random_bool(0.6) {
        Transliteration::Informal
    } else {
        *Transliteration::ALL.choose(rng).expect("schemes")
    };
    transliterate(word, scheme).to_lowercase()
}

/// A login the way Russian users pick them: from their names and birth year
/// mostly, a nickname sometimes, their phone number on mail.ru.
pub fn login(parts: &LoginParts, domain: &Domain, rng: &mut impl Rng) -> String {
    let first = latin_lower(parts.first_name, rng);
    let last = latin_lower(parts.last_name, rng);
    let year = parts.birth_year;
    let short_year = year.rem_euclid(100);
    let initial: String = first.chars().take(1).collect();
    match rng.random_range(0..100) {
        0..4 if domain.kind == DomainKind::MailRu => format!("{}", parts.phone),
        0..16 => format!("{last}{short_year:02}"),
        16..30 => format!("{first}.{last}"),
        30..40 => format!("{last}.{first}"),
        40..50 => format!("{initial}{last}"),
        50..58 => format!("{initial}.{last}"),
        58..68 => format!("{first}{last}{}", rng.random_range(1..100)),
        68..74 => format!("{first}_{year}"),
        74..80 => format!("{first}.{last}{year}"),
        80..88 => {
            let nickname = VOCABULARY.email_words.choose(rng).expect("words");
            format!("{nickname}{}", rng.random_range(1..1000))
        }
        88..94 => {
            let one = VOCABULARY.email_words.choose(rng).expect("words");
            let two = VOCABULARY.email_words.choose(rng).expect("words");
            format!("{one}_{two}")
        }
        _ => format!("{last}{first}"),
    }
}

/// One keyboard-plausible edit of a login: substitution by a neighbouring
/// key, a dropped or doubled character, or two swapped characters.
pub fn edit_login(login: &str, rng: &mut impl Rng) -> String {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let mut chars: Vec<char> = login.chars().collect();
    if chars.len() < 3 {
        chars.push(char::from(b'a' + rng.random_range(0..26)));
        return chars.into_iter().collect();
    }
    let position = rng.random_range(1..chars.len());
    match rng.random_range(0..4) {
        0 => {
            let letter = chars[position];
            let neighbour = ROWS.iter().find_map(|row| {
                let row: Vec<char> = row.chars().collect();
                let index = row.iter().position(|c| *c == letter)?;
                Some(if index + 1 < row.len() {
                    row[index + 1]
                } else {
                    row[index - 1]
                })
            });
            match neighbour {
                Some(neighbour) => chars[position] = neighbour,
                None => {
                    chars.remove(position);
                }
            }
        }
        1 => {
            chars.remove(position);
        }
        2 => {
            let letter = chars[position];
            chars.insert(position, letter);
        }
        _ => {
            if chars[position - 1] == chars[position] {
                chars.remove(position);
            } else {
                chars.swap(position - 1, position);
            }
        }
    }
    let edited: String = chars.into_iter().collect();
    if edited == login {
        format!("{login}1")
    } else {
        edited
    }
}

/// Gmail ignores dots in the login: the same inbox with a dot added, or
/// with the dots removed.
pub fn gmail_dots(login: &str, rng: &mut impl Rng) -> String {
    if login.contains('.') && rng.random_bool(0.6) {
        return login.replace('.', "");
    }
    let chars: Vec<char> = login.chars().collect();
    let candidates: Vec<usize> = (1..chars.len())
        .filter(|&i| chars[i - 1] != '.' && chars[i] != '.')
        .collect();
    match candidates.choose(rng) {
        Some(&position) => {
            let mut dotted = chars.clone();
            dotted.insert(position, '.');
            dotted.into_iter().collect()
        }
        None => format!("{login}.x"),
    }
}

/// Gmail and Yandex deliver `login+tag` to `login`.
pub fn plus_tag(login: &str, rng: &mut impl Rng) -> String {
    const TAGS: [&str; 6] = ["shop", "sale", "promo", "bonus", "1", "spam"];
    format!("{login}+{}", TAGS.choose(rng).expect("tags"))
}

/// Yandex serves one inbox under yandex.ru, ya.ru and yandex.com, and treats
/// `.` and `-` in the login alike.
pub fn yandex_alias(email: &Email, rng: &mut impl Rng) -> Email {
    let others: Vec<&'static str> = ["yandex.ru", "ya.ru", "yandex.com"]
        .into_iter()
        .filter(|domain| *domain != email.domain)
        .collect();
    let domain = others.choose(rng).expect("two other yandex domains");
    let login = if email.login.contains('.') && rng.random_bool(0.3) {
        email.login.replace('.', "-")
    } else {
        email.login.clone()
    };
    Email { login, domain }
}

/// A mistyped domain: mail.ry, gmial.com, yandex.ry, gmail.ru...
pub fn domain_typo(domain: &str, rng: &mut impl Rng) -> String {
    const KNOWN: [(&str, &[&str]); 4] = [
        (
            "mail.ru",
            &[
                "mail.ry", "mail.tu", "mial.ru", "mai.ru", "mail.r", "maill.ru",
            ],
        ),
        (
            "gmail.com",
            &[
                "gmial.com",
                "gmail.co",
                "gmail.ru",
                "gmai.com",
                "gmal.com",
                "gmail.con",
            ],
        ),
        (
            "yandex.ru",
            &["yandex.ry", "yadex.ru", "yandx.ru", "yndex.ru", "yandex.r"],
        ),
        ("rambler.ru", &["rambler.ry", "rambel.ru", "ramblr.ru"]),
    ];
    if let Some((_, typos)) = KNOWN.iter().find(|(known, _)| *known == domain) {
        return typos.choose(rng).expect("typos").to_string();
    }
    match domain.rsplit_once('.') {
        Some((name, "ru")) if rng.random_bool(0.5) => format!("{name}.ry"),
        Some((name, zone)) if name.len() > 2 => {
            let mut chars: Vec<char> = name.chars().collect();
            let position = rng.random_range(1..chars.len());
            chars.swap(position - 1, position);
            let swapped: String = chars.into_iter().collect();
            if swapped == name {
                format!("{name}.{zone}m")
            } else {
                format!("{swapped}.{zone}")
            }
        }
        _ => format!("{domain}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(3)
    }

    #[test]
    fn phone_formats_render_one_number() {
        let mut out = String::new();
        let formats = [
            (PhoneFormat::Sailplay, "79161234567"),
            (PhoneFormat::PlusSpaced, "+7 (916) 123-45-67"),
            (PhoneFormat::EightDashed, "8-916-123-45-67"),
            (PhoneFormat::Eight, "89161234567"),
            (PhoneFormat::Plus, "+79161234567"),
            (PhoneFormat::National, "9161234567"),
        ];
        for (format, expected) in formats {
            out.clear();
            format_phone(9_161_234_567, format, &mut out);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn phone_typos_differ_in_one_digit_or_one_adjacent_swap() {
        let mut rng = rng();
        for _ in 0..500 {
            let number = random_mobile(&mut rng);
            let substituted = substitute_digit(number, &mut rng);
            let differing = format!("{number}")
                .bytes()
                .zip(format!("{substituted}").bytes())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(differing, 1);
            let transposed = transpose_digits(number, &mut rng);
            assert_ne!(transposed, number);
            let mut sorted_a: Vec<u8> = format!("{number}").into_bytes();
            let mut sorted_b: Vec<u8> = format!("{transposed}").into_bytes();
            sorted_a.sort_unstable();
            sorted_b.sort_unstable();
            // A transposition keeps the digits, only their order changes.
            assert_eq!(sorted_a, sorted_b);
            assert!((NATIONAL_MIN..NATIONAL_MIN + NATIONAL_SPAN).contains(&transposed));
            let neighbour = neighbouring_number(number, &mut rng);
            assert_ne!(neighbour, number);
            assert!(neighbour.abs_diff(number) < 100);
        }
    }

    #[test]
    fn mailbox_aliases_differ_as_strings() {
        let mut rng = rng();
        for login in ["ivanov85", "ivan.petrov", "ab"] {
            assert_ne!(gmail_dots(login, &mut rng), login);
            assert_ne!(edit_login(login, &mut rng), login);
            assert!(plus_tag(login, &mut rng).starts_with(&format!("{login}+")));
        }
        let email = Email {
            login: "ivan.petrov".into(),
            domain: "yandex.ru",
        };
        assert_ne!(yandex_alias(&email, &mut rng).domain, "yandex.ru");
        for domain in [
            "mail.ru",
            "gmail.com",
            "bk.ru",
            "tk-vektor.ru",
            "icloud.com",
        ] {
            assert_ne!(domain_typo(domain, &mut rng), domain);
        }
    }
}
