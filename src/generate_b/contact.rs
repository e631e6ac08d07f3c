//! Phones and e-mail addresses: where they come from, how they are written,
//! how they go wrong, and which strings reach one mailbox.
//!
//! Mobile numbers are drawn from the operator (DEF) codes of the person's
//! region; numbers are held as 10-digit national numbers and written in
//! one of eight formats. E-mail logins are built from the person's names,
//! birth year and nicknames the way Russians build them; domains follow
//! the market by generation (Rambler and Mail.ru for the parents, Gmail
//! for the children).

use rand::Rng as _;

use super::kinds::Variation;
use super::random::{Rng, chance, one_of, pick};
use super::translit::login_form;
use super::typos::misspell_latin;

pub struct Region {
    pub weight: f64,
    pub mobile_codes: &'static [u16],
    pub landline_codes: &'static [u16],
    pub local_domains: &'static [&'static str],
}

/// Where the base's customers live: a chain with many Moscow and
/// St Petersburg stores and the rest spread over the big regions.
pub const REGIONS: &[Region] = &[
    Region {
        weight: 0.28,
        mobile_codes: &[
            915, 916, 917, 925, 926, 929, 903, 905, 906, 909, 910, 963, 964, 965, 967, 968, 977,
            985, 999, 901,
        ],
        landline_codes: &[495, 499],
        local_domains: &[],
    },
    Region {
        weight: 0.13,
        mobile_codes: &[911, 921, 931, 981, 950, 952, 953, 904, 960, 996, 999],
        landline_codes: &[812],
        local_domains: &[],
    },
    Region {
        weight: 0.06,
        mobile_codes: &[913, 923, 953, 960, 961, 983, 999],
        landline_codes: &[383],
        local_domains: &["ngs.ru"],
    },
    Region {
        weight: 0.06,
        mobile_codes: &[912, 922, 932, 950, 953, 965, 982, 992],
        landline_codes: &[343],
        local_domains: &["e1.ru"],
    },
    Region {
        weight: 0.06,
        mobile_codes: &[917, 927, 937, 987, 903, 960, 965],
        landline_codes: &[843],
        local_domains: &[],
    },
    Region {
        weight: 0.07,
        mobile_codes: &[918, 928, 938, 988, 989, 900, 961, 962, 995],
        landline_codes: &[861],
        local_domains: &[],
    },
    Region {
        weight: 0.05,
        mobile_codes: &[910, 920, 930, 950, 951, 952, 987, 991],
        landline_codes: &[831],
        local_domains: &[],
    },
    Region {
        weight: 0.05,
        mobile_codes: &[917, 927, 937, 902, 908, 964],
        landline_codes: &[846],
        local_domains: &[],
    },
    Region {
        weight: 0.24,
        mobile_codes: &[
            900, 902, 904, 908, 914, 919, 924, 933, 934, 939, 941, 951, 958, 966, 978, 984, 991,
            993, 994, 997,
        ],
        landline_codes: &[473, 863, 381, 342, 391, 423],
        local_domains: &["ukr.net", "tut.by"],
    },
];

pub fn region(rng: &mut Rng) -> usize {
    let weighted: Vec<(usize, f64)> = REGIONS
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.weight))
        .collect();
    *pick(rng, &weighted)
}

/// A mobile number of region `region`, as a 10-digit national number.
pub fn mobile(rng: &mut Rng, region: usize) -> u64 {
    let code = u64::from(*one_of(rng, REGIONS[region].mobile_codes));
    code * 10_000_000 + rng.random_range(0..10_000_000)
}

/// A landline number of region `region`: old profiles hold them.
pub fn landline(rng: &mut Rng, region: usize) -> u64 {
    let code = u64::from(*one_of(rng, REGIONS[region].landline_codes));
    code * 10_000_000 + rng.random_range(2_000_000..10_000_000)
}

/// Numbers cashiers invent when a customer will not give one.
pub fn invented_phone(rng: &mut Rng) -> u64 {
    match rng.random_range(0..6) {
        0 => 9_000_000_000 + rng.random_range(0..10_000),
        1 => 9_999_990_000 + rng.random_range(0..10_000),
        2 => 9_111_110_000 + rng.random_range(0..10_000),
        3 => 9_123_456_700 + rng.random_range(0..100),
        4 => 9_876_543_200 + rng.random_range(0..100),
        _ => 9_990_000_000 + rng.random_range(0..1_000),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneFormat {
    /// 79161234567: what Sailplay stores and most exports show.
    Canonical,
    /// 89161234567
    Eight,
    /// +79161234567
    Plus,
    /// 9161234567
    Ten,
    /// +7 916 123 45 67
    PlusSpaced,
    /// +7 (916) 123-45-67
    PlusBrackets,
    /// 8 (916) 123-45-67
    EightBrackets,
    /// 8-916-123-45-67
    EightDashes,
}

pub fn render_phone(national: u64, format: PhoneFormat) -> String {
    let digits = format!("{national:010}");
    let (code, a, b, c) = (&digits[..3], &digits[3..6], &digits[6..8], &digits[8..]);
    match format {
        PhoneFormat::Canonical => format!("7{digits}"),
        PhoneFormat::Eight => format!("8{digits}"),
        PhoneFormat::Plus => format!("+7{digits}"),
        PhoneFormat::Ten => digits.clone(),
        PhoneFormat::PlusSpaced => format!("+7 {code} {a} {b} {c}"),
        PhoneFormat::PlusBrackets => format!("+7 ({code}) {a}-{b}-{c}"),
        PhoneFormat::EightBrackets => format!("8 ({code}) {a}-{b}-{c}"),
        PhoneFormat::EightDashes => format!("8-{code}-{a}-{b}-{c}"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub login: String,
    pub domain: String,
}

impl Email {
    pub fn render(&self) -> String {
        format!("{}@{}", self.login, self.domain)
    }
}

const GMAIL: &[&str] = &["gmail.com", "googlemail.com"];
const YANDEX: &[&str] = &[
    "yandex.ru",
    "ya.ru",
    "yandex.com",
    "yandex.by",
    "yandex.kz",
    "yandex.ua",
];

/// The mailbox an address reaches: Gmail ignores dots and `+tags` and
/// answers on googlemail.com too; Yandex answers on all its domains,
/// ignores `+tags` and reads `-` as `.`. Different people never share one.
pub fn mailbox_key(address: &str) -> String {
    let address = address.to_lowercase();
    let Some((login, domain)) = address.rsplit_once('@') else {
        return address;
    };
    if GMAIL.contains(&domain) {
        let login = login.split('+').next().unwrap_or(login).replace('.', "");
        format!("{login}@gmail.com")
    } else if YANDEX.contains(&domain) {
        let login = login.split('+').next().unwrap_or(login).replace('-', ".");
        format!("{login}@yandex.ru")
    } else {
        address
    }
}

/// The main mail domains, with weights for each generation (born up to
/// 1965, 1966-1985, from 1986).
const DOMAINS: &[(&str, [f64; 3])] = &[
    ("mail.ru", [42.0, 34.0, 26.0]),
    ("gmail.com", [9.0, 19.0, 33.0]),
    ("yandex.ru", [16.0, 19.0, 15.0]),
    ("ya.ru", [1.0, 2.5, 3.5]),
    ("bk.ru", [3.0, 4.5, 4.0]),
    ("inbox.ru", [3.0, 3.0, 2.5]),
    ("list.ru", [3.0, 3.0, 2.0]),
    ("rambler.ru", [10.0, 5.0, 1.0]),
    ("icloud.com", [0.5, 2.0, 5.0]),
    ("internet.ru", [0.1, 0.3, 0.6]),
    ("yandex.com", [0.2, 0.4, 0.4]),
    ("yandex.by", [0.1, 0.2, 0.1]),
    ("yandex.kz", [0.1, 0.2, 0.1]),
    ("outlook.com", [0.2, 0.6, 0.6]),
    ("hotmail.com", [0.3, 0.6, 0.2]),
    ("yahoo.com", [0.3, 0.5, 0.2]),
    ("me.com", [0.1, 0.3, 0.3]),
    ("ro.ru", [0.3, 0.2, 0.0]),
    ("lenta.ru", [0.3, 0.2, 0.0]),
    ("narod.ru", [0.5, 0.2, 0.0]),
    ("mail.com", [0.1, 0.2, 0.1]),
];

pub fn domain(rng: &mut Rng, generation: usize, region: usize) -> String {
    let local = REGIONS[region].local_domains;
    if !local.is_empty() && chance(rng, 0.04) {
        return (*one_of(rng, local)).to_string();
    }
    let weighted: Vec<(&str, f64)> = DOMAINS.iter().map(|(d, w)| (*d, w[generation])).collect();
    (*pick(rng, &weighted)).to_string()
}

/// Domains of a different provider than `domain`, for logins reused by
/// different people: never two of one Gmail or one Yandex mailbox.
pub fn other_provider_domain(rng: &mut Rng, taken: &[String]) -> String {
    let provider = |d: &str| {
        if GMAIL.contains(&d) {
            "gmail"
        } else if YANDEX.contains(&d) {
            "yandex"
        } else {
            "other"
        }
    };
    let candidates: Vec<(&str, f64)> = [
        ("mail.ru", 5.0),
        ("gmail.com", 4.0),
        ("yandex.ru", 3.0),
        ("rambler.ru", 2.0),
        ("bk.ru", 2.0),
        ("inbox.ru", 1.5),
        ("list.ru", 1.5),
        ("icloud.com", 1.0),
        ("ya.ru", 1.0),
    ]
    .into_iter()
    .filter(|(d, _)| {
        !taken
            .iter()
            .any(|t| t == d || (provider(d) != "other" && provider(d) == provider(t)))
    })
    .collect();
    (*pick(rng, &candidates)).to_string()
}

/// What a person's login is made of.
pub struct LoginParts<'a> {
    pub first_name: &'a str,
    pub diminutive: Option<&'a str>,
    pub surname: &'a str,
    pub patronymic: &'a str,
    pub birth_year: i32,
    pub birth_day_month: (u32, u32),
}

const NICKNAMES: &[&str] = &[
    "kisa", "zaya", "sunny", "angel", "koshka", "lisa", "lisichka", "malyshka", "princess",
    "kotik", "tigra", "wolf", "dark", "lucky", "happy", "smile", "star", "zvezda", "solnce",
    "lapochka", "bars", "medved", "bear", "shark", "pilot", "doc", "boss", "king", "queen", "mint",
    "cherry", "vishenka", "yagodka", "pchelka", "ptichka", "delfin", "mama", "super", "lady",
    "baby", "sport", "fitness", "moto", "auto", "drive", "travel", "music", "rock", "hunter",
    "rybak", "dachnik", "babushka", "dedushka", "sweet", "ice", "fox", "owl", "cat",
];

/// A login built from the person's names the way people build them.
pub fn login(rng: &mut Rng, parts: &LoginParts) -> String {
    let first = login_form(rng, parts.first_name);
    let short = parts
        .diminutive
        .map_or_else(|| first.clone(), |d| login_form(rng, d));
    let surname = login_form(rng, parts.surname);
    let initial = first.chars().next().map_or_else(String::new, String::from);
    let patronymic_initial = login_form(rng, parts.patronymic)
        .chars()
        .next()
        .map_or_else(String::new, String::from);
    let year = parts.birth_year.to_string();
    let yy = format!("{:02}", parts.birth_year.rem_euclid(100));
    let sep = *pick(rng, &[(".", 0.45), ("_", 0.3), ("", 0.15), ("-", 0.1)]);
    let pattern = *pick(
        rng,
        &[
            (0, 0.20),
            (1, 0.10),
            (2, 0.12),
            (3, 0.16),
            (4, 0.10),
            (5, 0.14),
            (6, 0.06),
            (7, 0.07),
            (8, 0.05),
        ],
    );
    let login = match pattern {
        0 => format!("{first}{sep}{surname}"),
        1 => format!("{surname}{sep}{first}"),
        2 if chance(rng, 0.6) => format!("{initial}{sep}{surname}"),
        2 => format!("{surname}{sep}{initial}"),
        3 => {
            let name = if chance(rng, 0.55) { &first } else { &short };
            let year = if chance(rng, 0.6) { &year } else { &yy };
            format!("{name}{}{year}", if chance(rng, 0.7) { "" } else { sep })
        }
        4 => format!("{surname}{}", if chance(rng, 0.5) { &year } else { &yy }),
        5 => {
            let digits = match rng.random_range(0..4) {
                0 => yy.clone(),
                1 => format!(
                    "{:02}{:02}",
                    parts.birth_day_month.0, parts.birth_day_month.1
                ),
                2 => rng.random_range(1..1000).to_string(),
                _ => String::new(),
            };
            format!(
                "{}{}{digits}",
                one_of(rng, NICKNAMES),
                if digits.is_empty() { "" } else { sep }
            )
        }
        6 => {
            let letters: String = (0..rng.random_range(3..7))
                .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                .collect();
            format!("{letters}{}", rng.random_range(10..100_000))
        }
        7 => format!("{short}{}{yy}", surname.chars().next().unwrap_or('x')),
        _ => format!("{surname}{initial}{patronymic_initial}"),
    };
    if login.len() < 3 {
        format!("{login}{year}")
    } else {
        login
    }
}

/// A different string reaching the same mailbox, when the provider has
/// aliases: which kind of alias it is, and the address.
pub fn alias(rng: &mut Rng, email: &Email) -> Option<(Variation, Email)> {
    let domain = email.domain.as_str();
    let with_login = |login: String| Email {
        login,
        domain: email.domain.clone(),
    };
    let plus_tag = |rng: &mut Rng| {
        Some((
            Variation::EmailPlusTag,
            with_login(format!("{}+{}", email.login, one_of(rng, PLUS_TAGS))),
        ))
    };
    if GMAIL.contains(&domain) {
        match *pick(rng, &[(0, 0.55), (1, 0.30), (2, 0.15)]) {
            0 => match toggle_dots(rng, &email.login) {
                Some(login) => Some((Variation::EmailGmailDots, with_login(login))),
                None => plus_tag(rng),
            },
            1 => plus_tag(rng),
            _ => {
                let other = if domain == "gmail.com" {
                    "googlemail.com"
                } else {
                    "gmail.com"
                };
                Some((
                    Variation::EmailGooglemail,
                    Email {
                        login: email.login.clone(),
                        domain: other.to_string(),
                    },
                ))
            }
        }
    } else if YANDEX.contains(&domain) {
        if email.login.contains(['.', '-']) && chance(rng, 0.3) {
            let login = if email.login.contains('.') {
                email.login.replace('.', "-")
            } else {
                email.login.replace('-', ".")
            };
            return Some((Variation::EmailYandexAlias, with_login(login)));
        }
        if chance(rng, 0.2) {
            return plus_tag(rng);
        }
        let others: Vec<(&str, f64)> = [
            ("ya.ru", 6.0),
            ("yandex.ru", 6.0),
            ("yandex.com", 2.0),
            ("yandex.by", 1.0),
            ("yandex.kz", 1.0),
        ]
        .into_iter()
        .filter(|(d, _)| *d != domain)
        .collect();
        Some((
            Variation::EmailYandexAlias,
            Email {
                login: email.login.clone(),
                domain: (*pick(rng, &others)).to_string(),
            },
        ))
    } else {
        None
    }
}

const PLUS_TAGS: &[&str] = &[
    "shop", "sale", "promo", "bonus", "1", "2", "loyalty", "skidki", "store", "spam",
];

/// The login with its dots removed, or with one dot added between two
/// letters; None when there is no place for one.
fn toggle_dots(rng: &mut Rng, login: &str) -> Option<String> {
    if login.contains('.') && chance(rng, 0.7) {
        return Some(login.replace('.', ""));
    }
    let chars: Vec<char> = login.chars().collect();
    let places: Vec<usize> = (1..chars.len())
        .filter(|&i| chars[i - 1].is_ascii_alphanumeric() && chars[i].is_ascii_alphanumeric())
        .collect();
    if places.is_empty() {
        return None;
    }
    let i = *one_of(rng, &places);
    let mut out: String = chars[..i].iter().collect();
    out.push('.');
    out.extend(&chars[i..]);
    Some(out)
}

/// Domain slips people make, per domain.
const DOMAIN_TYPOS: &[(&str, &[&str])] = &[
    (
        "mail.ru",
        &[
            "mial.ru", "mail.ry", "mali.ru", "mai.ru", "maill.ru", "meil.ru", "mail.ri", "mail.tu",
            "maol.ru", "nail.ru",
        ],
    ),
    (
        "gmail.com",
        &[
            "gmail.con",
            "gmail.co",
            "gmail.cm",
            "gmai.com",
            "gmial.com",
            "gmal.com",
            "gamil.com",
            "gnail.com",
            "gmail.ru",
            "gmail.comm",
            "gmeil.com",
        ],
    ),
    (
        "yandex.ru",
        &[
            "yandex.ri",
            "yandex.ry",
            "yandex.tu",
            "yadex.ru",
            "yndex.ru",
            "yanex.ru",
            "yandeks.ru",
            "jandex.ru",
            "yandex.ur",
        ],
    ),
    ("ya.ru", &["ya.ry", "ya.ri", "yz.ru"]),
    (
        "rambler.ru",
        &[
            "rambler.ry",
            "ramler.ru",
            "rambeler.ru",
            "rambler.ri",
            "rambker.ru",
        ],
    ),
    ("bk.ru", &["bk.ry", "bk.tu", "bk.rj", "vk.ru"]),
    ("inbox.ru", &["inbox.ry", "inbx.ru", "indox.ru", "imbox.ru"]),
    ("list.ru", &["list.ry", "lisr.ru", "lis.ru"]),
    (
        "icloud.com",
        &[
            "icloud.con",
            "iclod.com",
            "icloud.ru",
            "icluod.com",
            "icloud.co",
        ],
    ),
];

/// A mistyped domain: the known slips of the big domains, a letter slip
/// anywhere else.
pub fn domain_typo(rng: &mut Rng, domain: &str) -> String {
    if let Some((_, typos)) = DOMAIN_TYPOS.iter().find(|(d, _)| *d == domain) {
        return (*one_of(rng, typos)).to_string();
    }
    let (name, tld) = domain.rsplit_once('.').unwrap_or((domain, "ru"));
    if chance(rng, 0.4) {
        let tld = if tld == "ru" { "ry" } else { "con" };
        format!("{name}.{tld}")
    } else {
        format!("{}.{tld}", misspell_latin(rng, name))
    }
}

/// A slip in a login. Only letters and digits are touched, so the address
/// stays valid, and on Gmail the slip is never a mere dot (that would be
/// the same mailbox).
pub fn login_typo(rng: &mut Rng, login: &str) -> String {
    for _ in 0..20 {
        let typo = misspell_latin(rng, login);
        let valid = !typo.contains("..")
            && !typo.starts_with(['.', '_', '-'])
            && !typo.ends_with(['.', '_', '-'])
            && typo.replace('.', "") != login.replace('.', "");
        if valid {
            return typo;
        }
    }
    format!("{login}{}", rng.random_range(0..10))
}

/// A made-up employer's mail domain.
pub fn company_domain(rng: &mut Rng) -> String {
    const HEADS: &[&str] = &[
        "avto", "stroy", "tekh", "agro", "neft", "med", "energo", "trans", "prom", "fin", "info",
        "telecom", "logist", "bio", "eko", "sever", "yug", "ural", "sib", "volga", "nord", "alfa",
    ];
    const TAILS: &[&str] = &[
        "servis", "trast", "kom", "prom", "invest", "group", "line", "soft", "snab", "torg", "tex",
        "lab",
    ];
    let tld = *pick(
        rng,
        &[("ru", 0.8), ("com", 0.12), ("su", 0.03), ("net", 0.05)],
    );
    format!("{}{}.{tld}", one_of(rng, HEADS), one_of(rng, TAILS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_b::random::stream;

    #[test]
    fn phone_formats_write_one_number() {
        let n = 9_161_234_567;
        assert_eq!(render_phone(n, PhoneFormat::Canonical), "79161234567");
        assert_eq!(render_phone(n, PhoneFormat::Eight), "89161234567");
        assert_eq!(render_phone(n, PhoneFormat::Ten), "9161234567");
        assert_eq!(
            render_phone(n, PhoneFormat::PlusBrackets),
            "+7 (916) 123-45-67"
        );
        assert_eq!(render_phone(n, PhoneFormat::EightDashes), "8-916-123-45-67");
        assert_eq!(render_phone(n, PhoneFormat::PlusSpaced), "+7 916 123 45 67");
    }

    #[test]
    fn mailbox_key_joins_provider_aliases_only() {
        assert_eq!(
            mailbox_key("I.Van.Ov+shop@GoogleMail.com"),
            "ivanov@gmail.com"
        );
        assert_eq!(mailbox_key("ivan-ov+x@ya.ru"), "ivan.ov@yandex.ru");
        assert_eq!(mailbox_key("ivan.ov@yandex.kz"), "ivan.ov@yandex.ru");
        assert_ne!(
            mailbox_key("natalia1982@mail.ru"),
            mailbox_key("natalia1982@bk.ru")
        );
        assert_eq!(mailbox_key("Ivanov@Mail.ru"), "ivanov@mail.ru");
    }

    #[test]
    fn aliases_reach_the_same_mailbox_by_a_different_string() {
        let mut rng = stream(1, 0);
        for domain in ["gmail.com", "yandex.ru", "ya.ru"] {
            for login in ["ivanova.elena", "kisa85", "e-petrova"] {
                let email = Email {
                    login: login.to_string(),
                    domain: domain.to_string(),
                };
                for _ in 0..50 {
                    let (_, alias) = alias(&mut rng, &email).expect("an alias");
                    assert_ne!(alias.render().to_lowercase(), email.render().to_lowercase());
                    assert_eq!(mailbox_key(&alias.render()), mailbox_key(&email.render()));
                }
            }
        }
        let mail = Email {
            login: "ivanova".to_string(),
            domain: "mail.ru".to_string(),
        };
        assert!(alias(&mut rng, &mail).is_none());
    }

    #[test]
    fn typos_reach_another_mailbox_and_stay_valid() {
        let mut rng = stream(2, 0);
        for login in ["ivanova.elena", "natalia1982", "e.dmitrieva"] {
            for _ in 0..100 {
                let typo = login_typo(&mut rng, login);
                let a = mailbox_key(&format!("{typo}@gmail.com"));
                assert_ne!(a, mailbox_key(&format!("{login}@gmail.com")), "{typo}");
                assert!(!typo.contains("..") && !typo.ends_with('.'), "{typo}");
            }
        }
        for domain in ["mail.ru", "gmail.com", "ngs.ru", "stroytrast.com"] {
            for _ in 0..50 {
                let typo = domain_typo(&mut rng, domain);
                assert_ne!(typo, domain);
                assert!(typo.contains('.'), "{typo}");
            }
        }
    }

    #[test]
    fn logins_are_plain_ascii() {
        let mut rng = stream(3, 0);
        let parts = LoginParts {
            first_name: "Наталья",
            diminutive: Some("Наташа"),
            surname: "Щербакова",
            patronymic: "Юрьевна",
            birth_year: 1982,
            birth_day_month: (5, 11),
        };
        for _ in 0..500 {
            let login = login(&mut rng, &parts);
            assert!(login.len() >= 3, "{login}");
            assert!(
                login
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "{login}"
            );
        }
    }

    #[test]
    fn reused_logins_go_to_different_mailboxes() {
        let mut rng = stream(4, 0);
        for _ in 0..200 {
            let mut taken = vec!["gmail.com".to_string()];
            for _ in 0..2 {
                let next = other_provider_domain(&mut rng, &taken);
                taken.push(next);
            }
            let keys: std::collections::HashSet<String> = taken
                .iter()
                .map(|d| mailbox_key(&format!("natalia1982@{d}")))
                .collect();
            assert_eq!(keys.len(), 3, "{taken:?}");
        }
    }
}
