//! Email addresses to a mailbox key: addresses that reach the same inbox
//! get the same key.
//!
//! Rules, in order: trim and lower-case; undo formatting slips (`mailto:`,
//! angle brackets, spaces, a comma for the domain's dot, a trailing dot);
//! repair a known domain typo (`mail.ry` → `mail.ru`, `gmial.com` →
//! `gmail.com`) and flag it; fold a provider's alias domains into one
//! (`ya.ru`, `yandex.com` → `yandex.ru`; `googlemail.com` → `gmail.com`);
//! then remove the aliasing the provider itself applies (Gmail dots, `+tag`
//! where the provider honours it, Yandex `-` for `.`). Mail.ru's domains
//! (mail.ru, bk.ru, inbox.ru, list.ru) are separate mailboxes and stay
//! apart; `are_sister_domains` tells the scorer they are one provider.
//!
//! Invariants: never panics; `normalize_email(&e.address)` gives `e` back
//! with `repaired` cleared (the address is already repaired).

use std::collections::HashMap;
use std::sync::LazyLock;

use compact_str::CompactString;

use super::name::is_invisible;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedEmail {
    /// Trimmed, lower-cased, with a known domain typo repaired.
    pub address: CompactString,
    pub login: CompactString,
    /// Canonical domain (after typo repair; one name per mailbox provider,
    /// e.g. `yandex.ru` for ya.ru and yandex.com).
    pub domain: CompactString,
    /// `login@domain` with the provider's aliasing removed (Gmail dots and
    /// +tags, Yandex `-` for `.`, ...).
    pub mailbox_key: CompactString,
    pub repaired: bool,
    pub valid: bool,
    /// A filler such as test@test.ru or noemail@...: never evidence.
    pub placeholder: bool,
}

/// How a provider treats the login part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Aliasing {
    /// `login+anything` reaches `login`.
    plus_tags: bool,
    /// Dots in the login are ignored (Gmail).
    dots_ignored: bool,
    /// `-` and `.` are the same character (Yandex).
    hyphen_is_dot: bool,
}

const NO_ALIASING: Aliasing = Aliasing {
    plus_tags: false,
    dots_ignored: false,
    hyphen_is_dot: false,
};

/// A domain's canonical name (one per mailbox) and aliasing rules.
struct Provider {
    canonical: &'static str,
    aliasing: Aliasing,
}

const GMAIL: Aliasing = Aliasing {
    plus_tags: true,
    dots_ignored: true,
    hyphen_is_dot: false,
};
const YANDEX: Aliasing = Aliasing {
    plus_tags: true,
    dots_ignored: false,
    hyphen_is_dot: true,
};
const PLUS_ONLY: Aliasing = Aliasing {
    plus_tags: true,
    dots_ignored: false,
    hyphen_is_dot: false,
};

/// Domains whose mail lands in one inbox under one login, by provider.
static PROVIDERS: LazyLock<HashMap<&'static str, Provider>> = LazyLock::new(|| {
    let families: &[(&[&str], &str, Aliasing)] = &[
        (&["gmail.com", "googlemail.com"], "gmail.com", GMAIL),
        (
            &[
                "yandex.ru",
                "ya.ru",
                "yandex.com",
                "yandex.by",
                "yandex.kz",
                "yandex.ua",
                "yandex.com.tr",
            ],
            "yandex.ru",
            YANDEX,
        ),
        // Outlook.com honours +tags; hotmail, live and outlook logins are
        // separate accounts, so each domain stays its own mailbox.
        (&["outlook.com"], "outlook.com", PLUS_ONLY),
        (&["hotmail.com"], "hotmail.com", PLUS_ONLY),
        (&["live.com"], "live.com", PLUS_ONLY),
        (&["live.ru"], "live.ru", PLUS_ONLY),
        (&["outlook.ru"], "outlook.ru", PLUS_ONLY),
        // An Apple ID's me.com and mac.com addresses reach its iCloud inbox.
        (
            &["icloud.com", "me.com", "mac.com"],
            "icloud.com",
            PLUS_ONLY,
        ),
        // A Proton account receives at both its proton.me and protonmail
        // addresses.
        (
            &["protonmail.com", "proton.me", "protonmail.ch", "pm.me"],
            "protonmail.com",
            PLUS_ONLY,
        ),
    ];
    let mut providers = HashMap::new();
    for (domains, canonical, aliasing) in families {
        for domain in *domains {
            providers.insert(
                *domain,
                Provider {
                    canonical,
                    aliasing: *aliasing,
                },
            );
        }
    }
    providers
});

/// Groups of domains run by one provider whose mailboxes are nevertheless
/// separate (ivan@mail.ru and ivan@bk.ru are two people as often as one),
/// plus the alias families above.
const SISTER_DOMAINS: &[&[&str]] = &[
    &[
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "internet.ru",
        "mail.ua",
    ],
    &["gmail.com", "googlemail.com"],
    &[
        "yandex.ru",
        "ya.ru",
        "yandex.com",
        "yandex.by",
        "yandex.kz",
        "yandex.ua",
        "yandex.com.tr",
        "narod.ru",
    ],
    &[
        "outlook.com",
        "hotmail.com",
        "live.com",
        "live.ru",
        "outlook.ru",
        "msn.com",
    ],
    &["icloud.com", "me.com", "mac.com"],
    &["protonmail.com", "proton.me", "protonmail.ch", "pm.me"],
    &[
        "rambler.ru",
        "lenta.ru",
        "autorambler.ru",
        "myrambler.ru",
        "rambler.ua",
        "ro.ru",
    ],
    &["yahoo.com", "ymail.com", "rocketmail.com"],
];

/// Whether two domains belong to one mail provider (mail.ru and bk.ru;
/// gmail.com and googlemail.com; ya.ru and yandex.com). Typos are repaired
/// first, so `mail.ry` and `bk.ru` are sisters too. Equal domains are
/// sisters.
pub fn are_sister_domains(first: &str, second: &str) -> bool {
    let first = canonical_domain_name(first);
    let second = canonical_domain_name(second);
    if first == second {
        return true;
    }
    SISTER_DOMAINS
        .iter()
        .any(|group| group.contains(&first.as_str()) && group.contains(&second.as_str()))
}

fn canonical_domain_name(domain: &str) -> String {
    let lower = domain.trim().trim_end_matches('.').to_lowercase();
    match DOMAIN_TYPOS.get(lower.as_str()) {
        Some(repaired) => (*repaired).to_string(),
        None => lower,
    }
}

/// Known misspellings of the big providers' domains, to the right domain.
/// Built as misspelt labels × top-level domains plus the right labels ×
/// misspelt top-level domains, so `mial.ry` is repaired as well.
static DOMAIN_TYPOS: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    let ru_tld_typos = [
        "ry", "ri", "tu", "r", "ruu", "rru", "ur", "ru.", "rus", "py", "ру",
    ];
    let com_tld_typos = [
        "con", "co", "cm", "om", "cpm", "cim", "vom", "xom", "comm", "cmo", "ocm", "coom", "ccom",
        "c0m", "con.", "com.", "comn",
    ];
    // (right label, misspellings of it, right top-level domain)
    let providers: &[(&str, &[&str], &str)] = &[
        (
            "mail",
            &[
                "mial", "maill", "mai", "mali", "meil", "mael", "majl", "maol", "nail", "mai1",
                "mqil", "mil",
            ],
            "ru",
        ),
        ("bk", &["bkk", "bl"], "ru"),
        ("inbox", &["inbx", "imbox", "inboks", "indox", "inbo"], "ru"),
        ("list", &["lisr", "lis", "lst", "liist"], "ru"),
        (
            "yandex",
            &[
                "yandx", "yndex", "yanex", "yadex", "yandeks", "yandes", "yande", "yangex",
                "ayndex", "yanddex", "yandeex", "jandex", "yamdex", "yabdex", "uandex", "yndx",
            ],
            "ru",
        ),
        (
            "rambler",
            &[
                "ramler", "rambker", "ramblr", "rambeler", "rambrel", "rumbler", "rembler",
                "rambl", "ramber",
            ],
            "ru",
        ),
        (
            "gmail",
            &[
                "gmial", "gmal", "gmai", "gamil", "gmil", "gmaill", "gmeil", "gnail", "gmall",
                "gmaul", "gmsil", "gmali", "gemail", "gimail", "gmaik", "hmail", "fmail", "gmaiil",
            ],
            "com",
        ),
        (
            "hotmail",
            &[
                "hotmial", "hotmal", "hotmai", "hotmil", "hotmaill", "homail", "hotnail",
            ],
            "com",
        ),
        (
            "outlook",
            &[
                "outlok", "outllok", "otlook", "outloo", "oulook", "outlookk",
            ],
            "com",
        ),
        (
            "icloud",
            &[
                "iclod", "icoud", "icloid", "iclould", "iclud", "icluod", "icould",
            ],
            "com",
        ),
        ("yahoo", &["yaho", "yahho", "yahooo", "yhoo"], "com"),
    ];
    let mut typos: HashMap<String, &'static str> = HashMap::new();
    let right_domains: Vec<&'static str> = vec![
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "yandex.ru",
        "rambler.ru",
        "gmail.com",
        "hotmail.com",
        "outlook.com",
        "icloud.com",
        "yahoo.com",
    ];
    for (label, misspellings, tld) in providers {
        let right = *right_domains
            .iter()
            .find(|domain| **domain == format!("{label}.{tld}"))
            .expect("every provider is in the list of right domains");
        let tld_typos: &[&str] = if *tld == "ru" {
            &ru_tld_typos
        } else {
            &com_tld_typos
        };
        for misspelt_label in misspellings.iter().chain(std::iter::once(label)) {
            for misspelt_tld in tld_typos.iter().chain(std::iter::once(tld)) {
                let candidate = format!("{misspelt_label}.{misspelt_tld}");
                // gmail.ru, mail.com and vk.com style results are real domains,
                // never typos; the tables above avoid them, this guards it.
                if candidate != right && !REAL_LOOKALIKE_DOMAINS.contains(&candidate.as_str()) {
                    typos.insert(candidate, right);
                }
            }
        }
    }
    for (typo, right) in [
        ("mail.ru.ru", "mail.ru"),
        ("mailru", "mail.ru"),
        ("mail.r", "mail.ru"),
        ("mail.rumail.ru", "mail.ru"),
        ("gmailcom", "gmail.com"),
        ("gmail.com.com", "gmail.com"),
        ("gmail.com.ru", "gmail.com"),
        ("yandexru", "yandex.ru"),
        ("yandex.ru.ru", "yandex.ru"),
        ("ya.ry", "ya.ru"),
        ("ya.ri", "ya.ru"),
        ("ua.ru", "ya.ru"),
        ("bkru", "bk.ru"),
        ("inboxru", "inbox.ru"),
        ("listru", "list.ru"),
        ("rambler.ru.ru", "rambler.ru"),
    ] {
        typos.insert(typo.to_string(), right);
    }
    typos
});

/// Real domains one edit away from a big provider's: never "repaired".
const REAL_LOOKALIKE_DOMAINS: &[&str] = &[
    "gmail.ru",
    "mail.com",
    "email.ru",
    "email.com",
    "vk.com",
    "vk.ru",
    "mail.co",
    "mail.ua",
    "bk.com",
    "inbox.com",
    "list.com",
    "yandex.com",
    "rambler.com",
    "mall.ru",
    "mil.ru",
];

/// Logins that mean "no email".
const PLACEHOLDER_LOGINS: &[&str] = &[
    "test",
    "tests",
    "tester",
    "testtest",
    "test1",
    "test123",
    "testing",
    "noemail",
    "no-email",
    "no_email",
    "nomail",
    "no-mail",
    "no_mail",
    "no",
    "none",
    "null",
    "nil",
    "net",
    "nety",
    "netu",
    "нет",
    "noname",
    "example",
    "email",
    "e-mail",
    "mail",
    "pochta",
    "user",
    "username",
    "admin",
    "administrator",
    "client",
    "klient",
    "customer",
    "guest",
    "gost",
    "pokupatel",
    "qwerty",
    "qwerty123",
    "asdf",
    "asd",
    "asdasd",
    "zxc",
    "abc",
    "abcd",
    "xxx",
    "xxxx",
    "aaa",
    "aaaa",
    "noreply",
    "no-reply",
    "no.reply",
    "donotreply",
    "do-not-reply",
    "nobody",
    "unknown",
    "anonymous",
    "anonim",
    "fake",
    "dummy",
    "sample",
    "mymail",
    "youremail",
    "your-email",
    "ваш",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
];

/// Domains that mean "no email".
const PLACEHOLDER_DOMAINS: &[&str] = &[
    "example.com",
    "example.ru",
    "example.org",
    "example.net",
    "test.ru",
    "test.com",
    "test.test",
    "test",
    "mail.test",
    "noemail.ru",
    "noemail.com",
    "nomail.ru",
    "nomail.com",
    "no-email.ru",
    "none.ru",
    "none.com",
    "localhost",
    "localhost.localdomain",
    "invalid",
    "example",
    "test.org",
    "mailinator.com",
    "1.ru",
    "1.com",
    "123.ru",
    "a.ru",
    "a.com",
    "x.ru",
    "xx.ru",
    "xxx.ru",
    "mail.mail",
    "email.email",
    "net.ru",
    "no.ru",
    "nomail.net",
    "fake.com",
    "fake.ru",
];

/// Normalises one email value; `None` when it holds nothing.
pub fn normalize_email(raw: &str) -> Option<NormalizedEmail> {
    let (address, slipped) = tidy_address(raw)?;
    let Some((login, domain)) = address.rsplit_once('@') else {
        return Some(NormalizedEmail {
            mailbox_key: address.as_str().into(),
            login: address.as_str().into(),
            domain: CompactString::default(),
            placeholder: is_placeholder_login(&address),
            address: address.into(),
            repaired: slipped,
            valid: false,
        });
    };
    let repaired_domain: Option<&'static str> = DOMAIN_TYPOS.get(domain).copied();
    let domain: &str = repaired_domain.unwrap_or(domain);
    let provider = PROVIDERS.get(domain);
    let canonical_domain = provider.map_or(domain, |p| p.canonical);
    let aliasing = provider.map_or(NO_ALIASING, |p| p.aliasing);
    let key_login = mailbox_login(login, aliasing);
    let mailbox_key = format!("{key_login}@{canonical_domain}");
    let valid = is_valid_login(login) && is_valid_domain(domain);
    let placeholder = is_placeholder_address(login, domain);
    let login = login.to_string();
    let canonical_domain = canonical_domain.to_string();
    // The tidied text is the address unless the domain was repaired.
    let address = match repaired_domain {
        Some(right) => format!("{login}@{right}"),
        None => address,
    };
    Some(NormalizedEmail {
        mailbox_key: mailbox_key.into(),
        login: login.into(),
        domain: canonical_domain.into(),
        address: address.into(),
        repaired: slipped || repaired_domain.is_some(),
        valid,
        placeholder,
    })
}

/// Trims, lower-cases and undoes formatting slips, until none is left.
/// Returns the address and whether a slip that changed the address (not
/// just case or surrounding space) was undone. `None` for an empty value.
fn tidy_address(raw: &str) -> Option<(String, bool)> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    let original = trimmed.to_lowercase();
    if is_tidy(&original) {
        return Some((original, false));
    }
    let mut text = original.clone();
    // Each pass can expose another slip (`< <ivan@mail.ru`); a handful of
    // passes reaches the fixed point for any real value, and the bound
    // keeps hostile input cheap.
    for _ in 0..8 {
        let tidied = tidy_once(&text);
        if tidied == text {
            break;
        }
        text = tidied;
    }
    if text.is_empty() {
        return Some((original, false));
    }
    let slipped = text != original;
    Some((text, slipped))
}

/// An address no slip rule would change: one `@`, only the characters of
/// a plain address, no doubled or trailing dot, no `mailto:`. Most
/// addresses are, and skip the passes.
fn is_tidy(text: &str) -> bool {
    text.bytes().filter(|b| *b == b'@').count() == 1
        && text.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-' | b'@')
        })
        && !text.contains("..")
        && !text.ends_with('.')
        && !text.contains("@.")
        && !text.starts_with("mailto:")
}

/// One pass of `tidy_address` over lower-case text.
fn tidy_once(text: &str) -> String {
    let mut text = text;
    // Several addresses in one cell: the first one is the contact address.
    for separators in [&[';', ','][..], &[' ', '\t', '\n'][..]] {
        if text.matches('@').count() > 1
            && let Some(first) = text
                .split(separators)
                .find(|part| part.contains('@') && part.len() > 2)
        {
            text = first;
        }
    }
    let mut text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c))
        .collect();
    if let Some(rest) = text.strip_prefix("mailto:") {
        text = rest.to_string();
    }
    let mut text = text
        .trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']'))
        .trim_end_matches(['.', ',', ';'])
        .to_string();
    while text.contains("@@") {
        text = text.replace("@@", "@");
    }
    if let Some((login, domain)) = text.rsplit_once('@') {
        let mut domain = domain.replace(',', ".");
        while domain.contains("..") {
            domain = domain.replace("..", ".");
        }
        text = format!("{login}@{}", domain.trim_start_matches('.'));
    }
    text
}

/// The login under which the provider delivers: tags, dots and hyphens
/// removed or folded as the provider itself does.
fn mailbox_login(login: &str, aliasing: Aliasing) -> String {
    let mut login = login;
    if aliasing.plus_tags
        && let Some((base, _tag)) = login.split_once('+')
        && !base.is_empty()
    {
        login = base;
    }
    if aliasing.dots_ignored {
        return login.chars().filter(|c| *c != '.').collect();
    }
    if aliasing.hyphen_is_dot {
        return login.replace('-', ".");
    }
    login.to_string()
}

fn is_valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 64
        && !login.starts_with('.')
        && !login.ends_with('.')
        && !login.contains("..")
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-!#$&'*/=?^`{|}~".contains(&b))
}

/// A domain of at least two labels of letters, digits and inner hyphens,
/// with an alphabetic top-level label (`.рф` included).
fn is_valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels.iter().all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    let top = labels[labels.len() - 1];
    let top_ok = top.chars().count() >= 2
        && (top.chars().all(char::is_alphabetic) || top.starts_with("xn--"));
    labels_ok && top_ok
}

fn is_placeholder_login(login: &str) -> bool {
    let login = login.to_lowercase();
    if PLACEHOLDER_LOGINS.contains(&login.as_str()) {
        return true;
    }
    let mut characters = login.chars();
    match characters.next() {
        None => true,
        // One character repeated, `a@...` or `1111@...`.
        Some(first) => characters.all(|c| c == first),
    }
}

fn is_placeholder_address(login: &str, domain: &str) -> bool {
    if is_placeholder_login(login) || PLACEHOLDER_DOMAINS.contains(&domain) {
        return true;
    }
    // asd@asd.ru, 1@1.ru: a short or numeric login repeated as the domain
    // (a long one, petrov@petrov.ru, is a personal domain).
    let first_label = domain.split('.').next().unwrap_or_default();
    login == first_label && (login.len() <= 4 || login.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(raw: &str) -> NormalizedEmail {
        normalize_email(raw).expect("an email")
    }

    fn key(raw: &str) -> String {
        email(raw).mailbox_key.into_string()
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(normalize_email(""), None);
        assert_eq!(normalize_email("  "), None);
    }

    #[test]
    fn trims_and_lower_cases() {
        let e = email("  Ivan.Petrov@Mail.RU ");
        assert_eq!(e.address, "ivan.petrov@mail.ru");
        assert_eq!(e.login, "ivan.petrov");
        assert_eq!(e.domain, "mail.ru");
        assert_eq!(e.mailbox_key, "ivan.petrov@mail.ru");
        assert!(e.valid && !e.repaired && !e.placeholder);
    }

    #[test]
    fn gmail_dots_and_tags_reach_one_mailbox() {
        assert_eq!(key("ivan.petrov@gmail.com"), "ivanpetrov@gmail.com");
        assert_eq!(key("IvanPetrov+shop@gmail.com"), "ivanpetrov@gmail.com");
        assert_eq!(key("i.v.a.n.petrov@googlemail.com"), "ivanpetrov@gmail.com");
        assert_eq!(email("ivan@googlemail.com").domain, "gmail.com");
    }

    #[test]
    fn yandex_domains_are_one_mailbox_and_hyphen_is_dot() {
        let expected = "ivan.petrov@yandex.ru";
        for raw in [
            "ivan.petrov@yandex.ru",
            "ivan-petrov@ya.ru",
            "ivan-petrov@yandex.com",
            "ivan.petrov@yandex.by",
            "ivan.petrov@yandex.kz",
            "ivan-petrov+promo@yandex.ua",
        ] {
            assert_eq!(key(raw), expected, "{raw}");
        }
    }

    #[test]
    fn plus_tags_only_where_the_provider_honours_them() {
        assert_eq!(key("ivan+x@outlook.com"), "ivan@outlook.com");
        assert_eq!(key("ivan+x@hotmail.com"), "ivan@hotmail.com");
        assert_eq!(key("ivan+x@icloud.com"), "ivan@icloud.com");
        assert_eq!(key("ivan+x@me.com"), "ivan@icloud.com");
        assert_eq!(key("ivan+x@protonmail.com"), "ivan@protonmail.com");
        assert_eq!(key("ivan+x@proton.me"), "ivan@protonmail.com");
        assert_eq!(key("ivan+x@mail.ru"), "ivan+x@mail.ru");
        assert_eq!(key("ivan+x@company.ru"), "ivan+x@company.ru");
        // Dots matter outside Gmail.
        assert_eq!(key("ivan.petrov@mail.ru"), "ivan.petrov@mail.ru");
        assert_ne!(key("ivan.petrov@mail.ru"), key("ivanpetrov@mail.ru"));
    }

    #[test]
    fn mail_ru_domains_are_different_mailboxes_but_sisters() {
        let keys: Vec<String> = [
            "ivan@mail.ru",
            "ivan@bk.ru",
            "ivan@inbox.ru",
            "ivan@list.ru",
        ]
        .iter()
        .map(|raw| key(raw))
        .collect();
        for (index, first) in keys.iter().enumerate() {
            for second in &keys[index + 1..] {
                assert_ne!(first, second);
            }
        }
        assert!(are_sister_domains("mail.ru", "bk.ru"));
        assert!(are_sister_domains("inbox.ru", "list.ru"));
        assert!(are_sister_domains("gmail.com", "googlemail.com"));
        assert!(are_sister_domains("ya.ru", "yandex.com"));
        assert!(are_sister_domains("mail.ry", "bk.ru"));
        assert!(are_sister_domains("Mail.RU", "mail.ru"));
        assert!(!are_sister_domains("mail.ru", "gmail.com"));
        assert!(!are_sister_domains("yandex.ru", "rambler.ru"));
        assert!(!are_sister_domains("company.ru", "other.ru"));
    }

    #[test]
    fn domain_typos_are_repaired_and_flagged() {
        for (raw, domain) in [
            ("ivan@mail.ry", "mail.ru"),
            ("ivan@mial.ru", "mail.ru"),
            ("ivan@mail.ri", "mail.ru"),
            ("ivan@maill.ru", "mail.ru"),
            ("ivan@gmail.con", "gmail.com"),
            ("ivan@gmial.com", "gmail.com"),
            ("ivan@gmail.co", "gmail.com"),
            ("ivan@gmai.com", "gmail.com"),
            ("ivan@yandex.ri", "yandex.ru"),
            ("ivan@yandx.ru", "yandex.ru"),
            ("ivan@yandex.ry", "yandex.ru"),
            ("ivan@rambler.ry", "rambler.ru"),
            ("ivan@inbox.ry", "inbox.ru"),
            ("ivan@bk.ry", "bk.ru"),
            ("ivan@list.ry", "list.ru"),
            ("ivan@mial.ry", "mail.ru"),
            ("ivan@hotmial.com", "hotmail.com"),
        ] {
            let e = email(raw);
            assert_eq!(e.domain, domain, "{raw}");
            assert!(e.repaired, "{raw}");
            assert!(e.valid, "{raw}");
        }
        assert_eq!(email("ivan@gmail.co").mailbox_key, "ivan@gmail.com");
        // Real domains that look like typos stay.
        assert_eq!(email("ivan@gmail.ru").domain, "gmail.ru");
        assert_eq!(email("ivan@mail.com").domain, "mail.com");
        assert!(!email("ivan@mail.com").repaired);
    }

    #[test]
    fn formatting_slips_are_undone() {
        assert_eq!(email("mailto:ivan@mail.ru").address, "ivan@mail.ru");
        assert_eq!(email("<ivan@mail.ru>").address, "ivan@mail.ru");
        assert_eq!(email("ivan @ mail.ru").address, "ivan@mail.ru");
        assert_eq!(email("ivan@mail,ru").address, "ivan@mail.ru");
        assert_eq!(email("ivan@mail..ru").address, "ivan@mail.ru");
        assert_eq!(email("ivan@mail.ru.").address, "ivan@mail.ru");
        assert_eq!(email("ivan@@mail.ru").address, "ivan@mail.ru");
        assert_eq!(email("ivan@mail.ru; petr@bk.ru").address, "ivan@mail.ru");
        assert_eq!(email("ivan@mail.ru petr@bk.ru").address, "ivan@mail.ru");
        assert_eq!(
            email("iv\u{200B}an@mail.ru\u{FEFF}").address,
            "ivan@mail.ru"
        );
        assert_eq!(email(" < <ivan@mail.ru> ").address, "ivan@mail.ru");
        assert!(email("ivan @ mail.ru").repaired);
        assert!(!email(" IVAN@MAIL.RU ").repaired);
    }

    #[test]
    fn validity() {
        assert!(email("ivan.petrov-1990_x@company.co.uk").valid);
        assert!(email("ivan@почта.рф").valid);
        assert!(!email("ivan").valid);
        assert!(!email("ivan@").valid);
        assert!(!email("@mail.ru").valid);
        assert!(!email("ivan@mail").valid);
        assert!(!email("ivan..petrov@mail.ru").valid);
        assert!(!email(".ivan@mail.ru").valid);
        assert!(!email("иван@mail.ru").valid);
        assert!(!email("ivan@-mail.ru").valid);
        assert!(!email("ivan@mail.r1").valid);
        assert!(!email("ivan@mail_ru.ru").valid);
    }

    #[test]
    fn placeholders() {
        for raw in [
            "test@test.ru",
            "noemail@mail.ru",
            "no@mail.ru",
            "1@1.ru",
            "ivan@example.com",
            "nomail@yandex.ru",
            "asd@asd.ru",
            "aaaa@mail.ru",
            "123456@mail.ru",
            "нет",
            "-",
        ] {
            assert!(email(raw).placeholder, "{raw}");
        }
        for raw in ["ivan@mail.ru", "79161234567@mail.ru", "info@company.ru"] {
            assert!(!email(raw).placeholder, "{raw}");
        }
    }

    #[test]
    fn normalising_is_idempotent_on_examples() {
        for raw in [
            "Ivan.Petrov+x@GoogleMail.com",
            "ivan-petrov@ya.ru",
            "ivan@mail.ry",
            "test@test.ru",
            "ivan @ mail,ru",
            "broken",
        ] {
            let once = email(raw);
            let twice = email(&once.address);
            assert_eq!(
                NormalizedEmail {
                    repaired: false,
                    ..once.clone()
                },
                twice,
                "{raw}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_normalises_without_panic_and_idempotently(raw in "\\PC{0,40}") {
            if let Some(once) = normalize_email(&raw) {
                let twice = normalize_email(&once.address);
                proptest::prop_assert_eq!(twice, Some(NormalizedEmail { repaired: false, ..once }));
            }
        }

        #[test]
        fn email_shaped_text_normalises_idempotently(
            raw in "[ <]{0,2}[a-zA-Z0-9.+_-]{0,10}[@]{1,2}[a-zA-Z.,-]{0,14}[ >.]{0,2}"
        ) {
            let once = normalize_email(&raw);
            if let Some(once) = once {
                let twice = normalize_email(&once.address);
                proptest::prop_assert_eq!(twice, Some(NormalizedEmail { repaired: false, ..once }));
            }
        }
    }
}
