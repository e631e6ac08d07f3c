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

/// DEF codes of the base's home region (Moscow's operators). A loyalty
/// programme's customers live mostly in a few regions, whose operators hold
/// a few codes, each allocated in millions-blocks; numbers are therefore
/// much denser than uniform over the 10^9 mobile numbers, and unrelated
/// customers' numbers one digit apart are common in a large base.
const HOME_CODES: [u64; 25] = [
    903, 905, 906, 909, 910, 915, 916, 917, 919, 925, 926, 929, 936, 958, 962, 963, 964, 965, 966,
    967, 968, 977, 985, 995, 999,
];

/// Millions-blocks of each home code allocated to the region.
const HOME_BLOCKS_PER_CODE: u64 = 4;

/// Share of customers with a number of the home region.
const HOME_SHARE: f64 = 0.7;

/// A mobile number as customers of a regional chain hold them: 70 % in the
/// home region's blocks (25 codes × 4 millions-blocks = 10^8 numbers), the
/// rest anywhere among the 10^9.
pub fn home_mobile(rng: &mut impl Rng) -> u64 {
    if !rng.random_bool(HOME_SHARE) {
        return random_mobile(rng);
    }
    let code = *HOME_CODES.choose(rng).expect("home codes");
    // Which millions-blocks a code has in the region: fixed per code, spread
    // over the ten.
    let block = (code * 7 + 3 * rng.random_range(0..HOME_BLOCKS_PER_CODE)) % 10;
    code * 10_000_000 + block * 1_000_000 + rng.random_range(0..1_000_000)
}

/// `count` numbers that share all but their last two digits with `base`:
/// consecutive ones (SIM cards bought together, a corporate block) or
/// scattered within the hundred (a dealer's batch). `base` is among them.
pub fn numbers_in_block(
    base: u64,
    count: usize,
    consecutive: bool,
    rng: &mut impl Rng,
) -> Vec<u64> {
    let hundred = base - base % 100;
    let count = count.min(100);
    let endings: Vec<u64> = if consecutive {
        let start = base % 100;
        // Runs that would leave the hundred continue below `base`.
        let first = start.min(100 - count as u64);
        (first..first + count as u64).collect()
    } else {
        let mut endings = vec![base % 100];
        while endings.len() < count {
            let ending = rng.random_range(0..100);
            if !endings.contains(&ending) {
                endings.push(ending);
            }
        }
        endings
    };
    let mut numbers: Vec<u64> = endings.into_iter().map(|ending| hundred + ending).collect();
    // `base` goes first so that its holder keeps the number it drew.
    if let Some(position) = numbers.iter().position(|&n| n == base) {
        numbers.swap(0, position);
    }
    numbers
}

/// The number with the digit at `position` (0 = the leading 9, never
/// chosen by callers) replaced by another digit.
pub fn substitute_digit_at(national: u64, position: usize, rng: &mut impl Rng) -> u64 {
    let mut digits = national_digits(national);
    digits[position] = (digits[position] + rng.random_range(1..10)) % 10;
    from_digits(&digits)
}

/// Two different one-digit errors of one number, at different positions:
/// each is one edit from the number, and they are two edits apart.
pub fn two_typos(national: u64, rng: &mut impl Rng) -> (u64, u64) {
    let first = rng.random_range(1..10);
    let mut second = rng.random_range(1..9);
    if second >= first {
        second += 1;
    }
    (
        substitute_digit_at(national, first, rng),
        substitute_digit_at(national, second, rng),
    )
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
/// mostly, a nickname sometimes, their phone number on mail.ru. With
/// probability `common_share` it is one of the bare name-derived logins
/// (`natalia1982`, `ivanova85`, `a.ivanova`) that many people hold at
/// different providers; no random draw is made for it when the share is 0.
pub fn login(parts: &LoginParts, domain: &Domain, common_share: f64, rng: &mut impl Rng) -> String {
    if common_share > 0.0 && rng.random_bool(common_share.min(1.0)) {
        let form = CommonLogin::draw(rng);
        return common_login(parts, form, rng);
    }
    let first = latin_lower(parts.first_name, rng);
    let last = latin_lower(parts.last_name, rng);
    let year = parts.birth_year;
    let short_year = year.rem_euclid(100);
    let initial: String = first.chars().take(1).collect();
    let base = match rng.random_range(0..100) {
        0..4 if domain.kind == DomainKind::MailRu => return format!("{}", parts.phone),
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
    };
    // Name-based logins are long taken at the big providers: most people
    // add digits, so that logins stay unique at any base size.
    let has_digits = base.bytes().any(|byte| byte.is_ascii_digit());
    if rng.random_bool(if has_digits { 0.4 } else { 0.75 }) {
        match rng.random_range(0..3) {
            0 => format!("{base}{}", rng.random_range(1..1000)),
            1 => format!("{base}_{}", rng.random_range(1..100)),
            _ => format!("{base}{}", rng.random_range(1000..10_000)),
        }
    } else {
        base
    }
}

/// The bare logins people derive from their names, without the digits that
/// keep a login unique at one provider: the same login is then held by
/// different people at different providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommonLogin {
    /// natalia1982
    FirstYear,
    /// natalia82
    FirstShortYear,
    /// ivanova85
    SurnameShortYear,
    /// a.ivanova
    InitialDotSurname,
    /// aivanova
    InitialSurname,
    /// natalia.ivanova
    FirstDotSurname,
}

impl CommonLogin {
    pub fn draw(rng: &mut impl Rng) -> CommonLogin {
        match rng.random_range(0..100) {
            0..25 => CommonLogin::FirstYear,
            25..40 => CommonLogin::FirstShortYear,
            40..60 => CommonLogin::SurnameShortYear,
            60..80 => CommonLogin::InitialDotSurname,
            80..90 => CommonLogin::InitialSurname,
            _ => CommonLogin::FirstDotSurname,
        }
    }

    pub fn uses_first_name(self) -> bool {
        !matches!(self, CommonLogin::SurnameShortYear)
    }

    pub fn uses_surname(self) -> bool {
        !matches!(self, CommonLogin::FirstYear | CommonLogin::FirstShortYear)
    }

    pub fn uses_birth_year(self) -> bool {
        matches!(
            self,
            CommonLogin::FirstYear | CommonLogin::FirstShortYear | CommonLogin::SurnameShortYear
        )
    }
}

pub fn common_login(parts: &LoginParts, form: CommonLogin, rng: &mut impl Rng) -> String {
    let first = latin_lower(parts.first_name, rng);
    let last = latin_lower(parts.last_name, rng);
    let initial: String = first.chars().take(1).collect();
    let year = parts.birth_year;
    let short_year = year.rem_euclid(100);
    match form {
        CommonLogin::FirstYear => format!("{first}{year}"),
        CommonLogin::FirstShortYear => format!("{first}{short_year:02}"),
        CommonLogin::SurnameShortYear => format!("{last}{short_year:02}"),
        CommonLogin::InitialDotSurname => format!("{initial}.{last}"),
        CommonLogin::InitialSurname => format!("{initial}{last}"),
        CommonLogin::FirstDotSurname => format!("{first}.{last}"),
    }
}

/// A domain whose mailboxes are not `domain`'s: a sister domain of the
/// mail.ru group (bk.ru for mail.ru: another mailbox), or another provider
/// (never another Yandex domain for a Yandex one: one inbox). Corporate
/// domains are left out: a login there is given by the employer.
pub fn other_domain(domain: &str, rng: &mut impl Rng) -> &'static str {
    let kind = VOCABULARY
        .find_domain(domain)
        .map_or(DomainKind::Other, |found| found.kind);
    if kind == DomainKind::MailRu && rng.random_bool(0.5) {
        let sisters: Vec<&Domain> = VOCABULARY
            .domains
            .iter()
            .filter(|d| d.kind == DomainKind::MailRu && d.name != domain)
            .collect();
        if let Some(sister) = sisters.choose(rng) {
            return sister.name;
        }
    }
    loop {
        let candidate = VOCABULARY.domain(rng);
        if candidate.kind != DomainKind::Corporate && provider(candidate.name) != provider(domain) {
            return candidate.name;
        }
    }
}

/// The provider whose accounts a domain's logins name: all Yandex domains
/// are one, gmail.com and googlemail.com are one, every other domain is its
/// own (mail.ru, bk.ru, inbox.ru and list.ru are separate mailboxes).
fn provider(domain: &str) -> &str {
    match domain {
        "gmail.com" | "googlemail.com" => "gmail.com",
        "ya.ru" | "yandex.ru" | "yandex.com" | "yandex.by" | "yandex.kz" | "yandex.ua" => {
            "yandex.ru"
        }
        other => other,
    }
}

/// The inbox an address reaches, as the provider decides it: case-folded;
/// Gmail ignores dots and a `+tag`, Yandex a `+tag` and reads `-` as `.`.
/// Two different people can never hold one inbox, whatever the spelling.
pub fn mailbox_key(address: &str) -> String {
    let lower = address.trim().to_lowercase();
    let Some((login, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    let provider = provider(domain);
    let login = match provider {
        "gmail.com" => login.split('+').next().unwrap_or(login).replace('.', ""),
        "yandex.ru" => login.split('+').next().unwrap_or(login).replace('-', "."),
        _ => login.to_string(),
    };
    format!("{login}@{provider}")
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

    #[test]
    fn home_numbers_are_mobile_and_crowd_into_the_home_blocks() {
        let mut rng = rng();
        let mut home = 0;
        for _ in 0..5000 {
            let number = home_mobile(&mut rng);
            assert!((NATIONAL_MIN..NATIONAL_MIN + NATIONAL_SPAN).contains(&number));
            let code = number / 10_000_000;
            let block = number / 1_000_000 % 10;
            let home_blocks: Vec<u64> = (0..HOME_BLOCKS_PER_CODE)
                .map(|k| (code * 7 + 3 * k) % 10)
                .collect();
            home += usize::from(HOME_CODES.contains(&code) && home_blocks.contains(&block));
        }
        // 70 % drawn at home, and a few uniform ones land there too.
        assert!((3400..3750).contains(&home), "{home}");
    }

    #[test]
    fn numbers_in_a_block_share_the_hundred_and_keep_the_base() {
        let mut rng = rng();
        for base in [9_161_234_500, 9_161_234_567, 9_161_234_599] {
            for consecutive in [true, false] {
                let numbers = numbers_in_block(base, 12, consecutive, &mut rng);
                assert_eq!(numbers[0], base);
                assert!(numbers.iter().all(|n| n / 100 == base / 100));
                let mut sorted = numbers.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), 12);
                if consecutive {
                    assert_eq!(sorted[11] - sorted[0], 11);
                }
            }
        }
    }

    #[test]
    fn two_typos_differ_from_the_number_in_one_digit_each_and_from_each_other_in_two() {
        let mut rng = rng();
        let differing = |a: u64, b: u64| {
            format!("{a}")
                .bytes()
                .zip(format!("{b}").bytes())
                .filter(|(x, y)| x != y)
                .count()
        };
        for _ in 0..500 {
            let number = random_mobile(&mut rng);
            let (first, second) = two_typos(number, &mut rng);
            assert_eq!(differing(number, first), 1);
            assert_eq!(differing(number, second), 1);
            assert_eq!(differing(first, second), 2);
            assert_eq!(first / 1_000_000_000, 9);
        }
    }

    #[test]
    fn mailbox_keys_follow_each_providers_rules() {
        assert_eq!(
            mailbox_key("Ivan.Petrov+shop@GMail.com"),
            "ivanpetrov@gmail.com"
        );
        assert_eq!(
            mailbox_key("ivanpetrov@googlemail.com"),
            "ivanpetrov@gmail.com"
        );
        assert_eq!(
            mailbox_key("i-petrov@ya.ru"),
            mailbox_key("i.petrov@yandex.com")
        );
        assert_ne!(mailbox_key("ivanov@mail.ru"), mailbox_key("ivanov@bk.ru"));
        assert_eq!(mailbox_key("iva.nov@mail.ru"), "iva.nov@mail.ru");
    }

    #[test]
    fn other_domains_are_other_inboxes() {
        let mut rng = rng();
        let mut sisters = 0;
        for domain in ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "rambler.ru"] {
            for _ in 0..200 {
                let other = other_domain(domain, &mut rng);
                assert_ne!(
                    mailbox_key(&format!("natalia1982@{domain}")),
                    mailbox_key(&format!("natalia1982@{other}"))
                );
                sisters += usize::from(
                    domain == "mail.ru"
                        && other.ends_with(".ru")
                        && ["bk.ru", "inbox.ru", "list.ru", "internet.ru"].contains(&other),
                );
            }
        }
        assert!(sisters > 80, "{sisters}");
    }

    #[test]
    fn common_logins_are_bare_name_derived_forms() {
        let mut rng = rng();
        let parts = LoginParts {
            first_name: "Наталья",
            last_name: "Иванова",
            birth_year: 1982,
            phone: 9_161_234_567,
        };
        let forms = [
            (CommonLogin::FirstYear, "1982"),
            (CommonLogin::FirstShortYear, "82"),
            (CommonLogin::SurnameShortYear, "ivanova82"),
            (CommonLogin::InitialDotSurname, "n.ivanova"),
            (CommonLogin::InitialSurname, "nivanova"),
            (CommonLogin::FirstDotSurname, ".ivanova"),
        ];
        for (form, ending) in forms {
            let login = common_login(&parts, form, &mut rng);
            assert!(login.ends_with(ending), "{form:?}: {login}");
            assert_eq!(form.uses_surname(), login.contains("ivanova"), "{form:?}");
        }
        // At share 1 every login is one of the forms.
        let domain = VOCABULARY.find_domain("mail.ru").expect("mail.ru");
        for _ in 0..100 {
            let login = login(&parts, domain, 1.0, &mut rng);
            assert!(
                forms.iter().any(|(_, ending)| login.ends_with(ending)),
                "{login}"
            );
        }
    }
}
