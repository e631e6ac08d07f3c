//! Comparisons: for each field, an ordered ladder of levels ending in
//! "else"; the first level that holds for a pair wins. Levels have a role:
//! neutral levels (missing, junk) are no evidence either way, conflict
//! levels (Петров/Петрова, Сергеевич/Сергеевна, male/female) are evidence
//! against whatever the estimates say, and evidence levels get a weight
//! log2(m/u) from the model.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::block::RuleKind;
use crate::compare::{
    DateDifference, PhoneDifference, date_difference, full_names_overlap, jaro_winkler,
    latin_skeleton, login_edit_changes_an_initial, login_spells_name, nameless_login_skeleton,
    one_edit_apart, parse_date, patronymic_form, patronymic_forms_conflict, phone_difference,
    sexes_conflict,
};
use crate::normalize::{NormalizedRecord, PhoneKind, are_sister_domains};
use crate::profile::{Profile, Sex};
use crate::settings::matching::{ExtraComparison, ExtraKind, MatchSettings};

/// Most comparisons a model holds (11 core comparisons and up to 6 extras).
pub const MAX_COMPARISONS: usize = 17;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelRole {
    /// Missing or junk: weight 0.
    Neutral,
    /// Weight log2(m/u) as estimated.
    Evidence,
    /// Evidence against: weight at most `conflict_weight`.
    Conflict,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub name: &'static str,
    pub role: LevelRole,
    /// m before estimation: the share of true matches expected at this
    /// level, the starting point of the EM rounds.
    pub initial_m: f64,
    /// The blocking rule that proposes every pair at this level, if any
    /// (phones one digit apart, one login on two domains...). Such a
    /// level's u is counted, not sampled: every pair of the base at the
    /// level is a candidate, so the candidates there, less the matches
    /// among them, are all the non-matching pairs there are. A random
    /// sample of a million pairs holds none of them in a large base, and
    /// the count stays right at any size.
    pub counted_by: Option<RuleKind>,
}

const fn neutral(name: &'static str) -> Level {
    Level {
        name,
        role: LevelRole::Neutral,
        initial_m: 0.0,
        counted_by: None,
    }
}

const fn evidence(name: &'static str, initial_m: f64) -> Level {
    Level {
        name,
        role: LevelRole::Evidence,
        initial_m,
        counted_by: None,
    }
}

const fn conflict(name: &'static str, initial_m: f64) -> Level {
    Level {
        name,
        role: LevelRole::Conflict,
        initial_m,
        counted_by: None,
    }
}

/// Evidence at a level `rule` enumerates; see `Level::counted_by`.
const fn counted(name: &'static str, initial_m: f64, rule: RuleKind) -> Level {
    Level {
        name,
        role: LevelRole::Evidence,
        initial_m,
        counted_by: Some(rule),
    }
}

/// What a comparison reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Phone,
    Email,
    FirstName,
    LastName,
    Patronymic,
    BirthDate,
    /// The year in one profile's e-mail login against the other's birth
    /// date, where only one profile has a birth date.
    LoginBirthYear,
    /// Which identifiers each profile registered with (phone, e-mail).
    Channels,
    Sex,
    OriginUserId,
    /// How far apart the two profiles were registered.
    RegisterDate,
    /// `settings.extra[index]`.
    Extra(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub field: Field,
    pub levels: Vec<Level>,
    /// The levels whose weight is scaled by how common the shared value
    /// is: exact agreement on a name or date (its share of the profiles
    /// stands for u), one login on two domains (scaled around the level's
    /// u by how common the login is among the pairs there).
    pub term_frequency_levels: &'static [u8],
    /// Whether the per-rule EM sessions re-estimate m. Sex is mostly
    /// implied by the names, so within a session on pairs found by their
    /// names it would only echo the blocking; its m is estimated after the
    /// sessions instead, over all candidates, from how often it holds among
    /// the pairs the rest of the evidence says are one person
    /// (`model::estimate_m_outside_sessions`).
    pub estimated_by_em: bool,
}

// Level indices, shared by `compare_field` and the ladders below.
pub const MISSING: u8 = 0;
pub const JUNK: u8 = 1;

pub mod phone {
    pub const EXACT_LANDLINE: u8 = 2;
    pub const EXACT: u8 = 3;
    pub const ONE_SUBSTITUTION: u8 = 4;
    pub const LAST_DIGIT: u8 = 5;
    pub const TRANSPOSITION: u8 = 6;
    pub const TWO_SUBSTITUTIONS: u8 = 7;
    pub const ELSE: u8 = 8;
}
pub mod email {
    pub const EXACT_ADDRESS: u8 = 2;
    pub const SAME_MAILBOX: u8 = 3;
    pub const ONE_EDIT_SAME_DOMAIN: u8 = 4;
    pub const ONE_EDIT_IN_DIGITS_SAME_DOMAIN: u8 = 5;
    pub const ONE_EDIT_ON_INITIAL_SAME_DOMAIN: u8 = 6;
    pub const SAME_LOGIN_SISTER_DOMAIN: u8 = 7;
    pub const SAME_LOGIN_OTHER_DOMAIN: u8 = 8;
    pub const ELSE: u8 = 9;
}
pub mod first_name {
    pub const EXACT: u8 = 2;
    pub const SAME_FULL_NAME: u8 = 3;
    pub const JARO_WINKLER_92: u8 = 4;
    pub const JARO_WINKLER_85: u8 = 5;
    pub const IN_OTHER_LOGIN: u8 = 6;
    pub const ELSE: u8 = 7;
}
pub mod last_name {
    pub const EXACT: u8 = 2;
    pub const GENDERED_FORMS: u8 = 3;
    pub const JARO_WINKLER_92: u8 = 4;
    pub const JARO_WINKLER_85: u8 = 5;
    pub const PART_OF_DOUBLE: u8 = 6;
    pub const DIFFERENT_WOMEN: u8 = 7;
    pub const IN_OTHER_LOGIN: u8 = 8;
    pub const ELSE: u8 = 9;
}
pub mod patronymic {
    pub const EXACT: u8 = 2;
    pub const EXACT_NAMED_AFTER_FATHER: u8 = 3;
    pub const SEX_FORMS: u8 = 4;
    pub const JARO_WINKLER_92: u8 = 5;
    pub const ELSE: u8 = 6;
}
pub mod birth_date {
    pub const EXACT: u8 = 2;
    pub const DAY_MONTH_SWAPPED: u8 = 3;
    pub const ONE_DIGIT: u8 = 4;
    pub const WITHIN_YEAR: u8 = 5;
    pub const ELSE: u8 = 6;
}
pub mod login_birth_year {
    pub const AGREE: u8 = 1;
    pub const ELSE: u8 = 2;
}
pub mod channels {
    pub const COMPLEMENTARY: u8 = 1;
    pub const ELSE: u8 = 2;
}
pub mod sex {
    pub const SAME: u8 = 1;
    pub const CONFLICT: u8 = 2;
}
pub mod register_date {
    pub const WITHIN_WEEK: u8 = 1;
    pub const WITHIN_MONTH: u8 = 2;
    pub const WITHIN_QUARTER: u8 = 3;
    pub const WITHIN_YEAR: u8 = 4;
    pub const WITHIN_TWO_YEARS: u8 = 5;
    pub const ELSE: u8 = 6;
}
/// Levels of origin_user_id and of exact extras: missing, exact, else.
pub mod exact {
    pub const EXACT: u8 = 1;
    pub const ELSE: u8 = 2;
}
/// Levels of fuzzy extras.
pub mod fuzzy {
    pub const EXACT: u8 = 1;
    pub const JARO_WINKLER_92: u8 = 2;
    pub const JARO_WINKLER_85: u8 = 3;
    pub const ELSE: u8 = 4;
}
/// Levels of numeric and date extras.
pub mod close {
    pub const EXACT: u8 = 1;
    pub const CLOSE: u8 = 2;
    pub const ELSE: u8 = 3;
}

/// The comparisons of the model: the core fields, then the extras.
pub fn comparisons(settings: &MatchSettings) -> Vec<Comparison> {
    let mut comparisons = vec![
        Comparison {
            name: "phone".into(),
            field: Field::Phone,
            levels: vec![
                neutral("missing"),
                neutral("junk"),
                counted("exact_landline", 0.01, RuleKind::PhoneExact),
                counted("exact", 0.1, RuleKind::PhoneExact),
                counted("one_substitution", 0.05, RuleKind::PhoneOneEdit),
                // Numbers in sequence (a family's, a firm's batch) differ
                // in the last digit: weighed on its own, as often as such
                // pairs really occur among the base's numbers.
                counted("one_substitution_last_digit", 0.01, RuleKind::PhoneOneEdit),
                counted("transposition", 0.02, RuleKind::PhoneOneEdit),
                evidence("two_substitutions", 0.01),
                evidence("else", 0.8),
            ],
            term_frequency_levels: &[],
            estimated_by_em: true,
        },
        Comparison {
            name: "email".into(),
            field: Field::Email,
            levels: vec![
                neutral("missing"),
                neutral("junk"),
                counted("exact_address", 0.07, RuleKind::EmailMailbox),
                // Gmail dots and +tags, Yandex aliases, repaired domain
                // typos: one inbox to the provider, but two people may
                // well have typed v.novikov@ and vnovikov@.
                counted("same_mailbox", 0.03, RuleKind::EmailMailbox),
                counted("one_edit_same_domain", 0.04, RuleKind::EmailOneEdit),
                // ivanov85@ and ivanov86@: logins are names plus a number,
                // so namesakes' logins often differ in the number alone.
                // Kept apart from a typo in the letters, so that its
                // weight is estimated (among namesakes) on its own.
                counted(
                    "one_edit_in_digits_same_domain",
                    0.01,
                    RuleKind::EmailOneEdit,
                ),
                // e.dmitrieva@ and m.dmitrieva@: another initial is more
                // often a relative than a typo.
                counted(
                    "one_edit_on_initial_same_domain",
                    0.005,
                    RuleKind::EmailOneEdit,
                ),
                // The same login on two domains: natalia1982@gmail.com and
                // natalia1982@rambler.ru are as often two Натальи as one;
                // how common the login is scales the weight (as for names).
                counted("same_login_sister_domain", 0.02, RuleKind::EmailLogin),
                counted("same_login_other_domain", 0.03, RuleKind::EmailLogin),
                evidence("else", 0.8),
            ],
            term_frequency_levels: &[
                email::SAME_LOGIN_SISTER_DOMAIN,
                email::SAME_LOGIN_OTHER_DOMAIN,
            ],
            estimated_by_em: true,
        },
        Comparison {
            name: "first_name".into(),
            field: Field::FirstName,
            levels: vec![
                neutral("missing"),
                neutral("junk"),
                evidence("exact", 0.8),
                evidence("same_full_name", 0.1),
                evidence("jaro_winkler_0.92", 0.04),
                evidence("jaro_winkler_0.85", 0.02),
                // One profile has no name, the other's first name is
                // spelled in its e-mail login (see the surname's level).
                evidence("in_other_login", 0.01),
                evidence("else", 0.04),
            ],
            term_frequency_levels: &[first_name::EXACT],
            estimated_by_em: true,
        },
        Comparison {
            name: "last_name".into(),
            field: Field::LastName,
            levels: vec![
                neutral("missing"),
                neutral("junk"),
                evidence("exact", 0.85),
                conflict("gendered_forms", 0.005),
                evidence("jaro_winkler_0.92", 0.05),
                evidence("jaro_winkler_0.85", 0.02),
                // Иванова-Петрова and Петрова: a double surname taken at
                // marriage, or one half of it dropped on a form.
                evidence("part_of_double", 0.01),
                // Two women's different surnames: most Russian women take
                // their husband's surname at marriage, so one woman's
                // profiles disagree on it far more often than one man's,
                // and the disagreement is weaker evidence against.
                evidence("different_women", 0.1),
                // One profile has no name at all, the other's surname is
                // spelled in its e-mail login (kuznetsova.arina@...): the
                // name the profile was registered without.
                evidence("in_other_login", 0.01),
                evidence("else", 0.05),
            ],
            term_frequency_levels: &[last_name::EXACT],
            estimated_by_em: true,
        },
        Comparison {
            name: "patronymic".into(),
            field: Field::Patronymic,
            levels: vec![
                neutral("missing"),
                neutral("junk"),
                evidence("exact", 0.85),
                // Иван Иванович: a son named after his father shares the
                // father's full name; agreement on such a patronymic is
                // weighed on its own (among namesakes it is common).
                evidence("exact_named_after_father", 0.05),
                conflict("sex_forms", 0.005),
                evidence("jaro_winkler_0.92", 0.05),
                evidence("else", 0.045),
            ],
            term_frequency_levels: &[patronymic::EXACT],
            estimated_by_em: true,
        },
        Comparison {
            name: "birth_date".into(),
            field: Field::BirthDate,
            levels: vec![
                neutral("missing"),
                neutral("junk"),
                evidence("exact", 0.85),
                evidence("day_month_swapped", 0.03),
                evidence("one_digit_off", 0.06),
                evidence("within_year", 0.02),
                evidence("else", 0.04),
            ],
            term_frequency_levels: &[birth_date::EXACT],
            estimated_by_em: true,
        },
        // ivanov85@ is often born in 1985: where the birth dates cannot be
        // compared (one profile has none), the year written in its login
        // stands in for it. Numbers in logins are as often random, so a
        // year that differs is weak evidence against; EM estimates both.
        Comparison {
            name: "login_birth_year".into(),
            field: Field::LoginBirthYear,
            levels: vec![
                neutral("missing"),
                evidence("agree", 0.3),
                evidence("else", 0.7),
            ],
            term_frequency_levels: &[],
            estimated_by_em: true,
        },
        // Sailplay gives a phone or an e-mail to one profile only, so a
        // customer's second profile is mostly made through the other
        // channel: a till profile with a phone and no e-mail, a web-shop
        // one with an e-mail and no phone. Which identifiers the two
        // profiles hold is compared here, so that the phone and e-mail
        // comparisons can keep a missing value neutral.
        Comparison {
            name: "channels".into(),
            field: Field::Channels,
            levels: vec![
                neutral("missing"),
                evidence("complementary", 0.3),
                evidence("else", 0.7),
            ],
            term_frequency_levels: &[],
            estimated_by_em: true,
        },
        Comparison {
            name: "sex".into(),
            field: Field::Sex,
            levels: vec![
                neutral("missing"),
                // The names' u is taken among pairs whose sexes do not
                // conflict (`model::estimate_u`); agreeing on sex is the
                // first half of that evidence and weighs its own bit.
                evidence("same", 0.98),
                conflict("conflict", 0.02),
            ],
            term_frequency_levels: &[],
            estimated_by_em: false,
        },
        Comparison {
            name: "origin_user_id".into(),
            field: Field::OriginUserId,
            levels: vec![
                neutral("missing"),
                counted("exact", 0.1, RuleKind::OriginUserId),
                evidence("else", 0.9),
            ],
            term_frequency_levels: &[],
            estimated_by_em: true,
        },
        // A customer's second profile is mostly made while they shop
        // (a till profile, then the web shop's), so one person's profiles
        // tend to be registered closer together than two strangers'. How
        // much closer differs from base to base (a migration stamps one
        // day on thousands of profiles), so every step is estimated: u
        // from random pairs, m by EM; where registration says nothing,
        // both come out alike and the comparison weighs nothing.
        Comparison {
            name: "register_date".into(),
            field: Field::RegisterDate,
            levels: vec![
                neutral("missing"),
                evidence("within_week", 0.06),
                evidence("within_month", 0.05),
                evidence("within_quarter", 0.08),
                evidence("within_year", 0.2),
                evidence("within_two_years", 0.2),
                evidence("else", 0.41),
            ],
            term_frequency_levels: &[],
            estimated_by_em: true,
        },
    ];
    for (index, extra) in settings.extra.iter().enumerate() {
        comparisons.push(extra_comparison(index, extra));
    }
    comparisons
}

fn extra_comparison(index: usize, extra: &ExtraComparison) -> Comparison {
    let levels = match extra.kind {
        ExtraKind::Exact => vec![
            neutral("missing"),
            evidence("exact", 0.8),
            evidence("else", 0.2),
        ],
        ExtraKind::Fuzzy => vec![
            neutral("missing"),
            evidence("exact", 0.75),
            evidence("jaro_winkler_0.92", 0.1),
            evidence("jaro_winkler_0.85", 0.05),
            evidence("else", 0.1),
        ],
        ExtraKind::Numeric | ExtraKind::Date => vec![
            neutral("missing"),
            evidence("exact", 0.75),
            evidence("close", 0.15),
            evidence("else", 0.1),
        ],
    };
    Comparison {
        name: extra.column.clone(),
        field: Field::Extra(index),
        levels,
        term_frequency_levels: &[],
        estimated_by_em: true,
    }
}

/// A custom attribute's values, parsed once for its comparison kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtraValues {
    Text(Vec<Option<String>>),
    Number(Vec<Option<f64>>),
    Date(Vec<Option<NaiveDate>>),
}

pub fn extra_values(profiles: &[Profile], extra: &ExtraComparison) -> ExtraValues {
    let texts = profiles.iter().map(|profile| {
        profile
            .value_of(&extra.column)
            .and_then(crate::compare::normalize_extra_value)
    });
    match extra.kind {
        ExtraKind::Exact | ExtraKind::Fuzzy => ExtraValues::Text(texts.collect()),
        ExtraKind::Numeric => ExtraValues::Number(
            texts
                .map(|text| text.and_then(|t| t.replace(',', ".").replace(' ', "").parse().ok()))
                .collect(),
        ),
        ExtraKind::Date => ExtraValues::Date(
            texts
                .map(|text| text.as_deref().and_then(parse_date))
                .collect(),
        ),
    }
}

/// Everything a comparison reads about the profiles.
pub struct CompareContext<'a> {
    pub records: &'a [NormalizedRecord],
    pub extras: Vec<ExtraColumn>,
}

/// One custom attribute, ready to compare.
pub struct ExtraColumn {
    pub values: ExtraValues,
    pub kind: ExtraKind,
    /// See `ExtraComparison::tolerance`; 0 when unset.
    pub tolerance: f64,
}

/// The level of `comparison` that holds for records `left` and `right`.
pub fn compare_field(
    comparison: &Comparison,
    context: &CompareContext,
    left: usize,
    right: usize,
) -> u8 {
    let (a, b) = (&context.records[left], &context.records[right]);
    match comparison.field {
        Field::Phone => compare_phones(a, b),
        Field::Email => compare_emails(a, b),
        Field::FirstName => compare_first_names(a, b),
        Field::LastName => compare_last_names(a, b),
        Field::Patronymic => compare_patronymics(a, b),
        Field::BirthDate => compare_birth_dates(a, b),
        Field::LoginBirthYear => compare_login_birth_years(a, b),
        Field::Channels => compare_channels(a, b),
        Field::Sex => compare_sexes(a, b),
        Field::OriginUserId => match (&a.origin_user_id, &b.origin_user_id) {
            (Some(x), Some(y)) if x == y => exact::EXACT,
            (Some(_), Some(_)) => exact::ELSE,
            _ => MISSING,
        },
        Field::RegisterDate => compare_register_dates(a, b),
        Field::Extra(index) => {
            let column = &context.extras[index];
            compare_extra(&column.values, column.kind, column.tolerance, left, right)
        }
    }
}

pub fn compare_phones(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let (Some(x), Some(y)) = (&a.phone, &b.phone) else {
        return MISSING;
    };
    if x.placeholder || y.placeholder {
        return JUNK;
    }
    if x.kind == PhoneKind::Invalid || y.kind == PhoneKind::Invalid {
        return MISSING;
    }
    match phone_difference(&x.digits, &y.digits) {
        PhoneDifference::Equal if x.kind == PhoneKind::Landline => phone::EXACT_LANDLINE,
        PhoneDifference::Equal => phone::EXACT,
        PhoneDifference::OneSubstitution => phone::ONE_SUBSTITUTION,
        PhoneDifference::LastDigitSubstitution => phone::LAST_DIGIT,
        PhoneDifference::AdjacentTransposition => phone::TRANSPOSITION,
        PhoneDifference::TwoSubstitutions => phone::TWO_SUBSTITUTIONS,
        PhoneDifference::Other => phone::ELSE,
    }
}

pub fn compare_emails(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let (Some(x), Some(y)) = (&a.email, &b.email) else {
        return MISSING;
    };
    if x.placeholder || y.placeholder {
        return JUNK;
    }
    if !x.valid || !y.valid {
        return MISSING;
    }
    if x.address == y.address {
        return email::EXACT_ADDRESS;
    }
    if x.mailbox_key == y.mailbox_key {
        return email::SAME_MAILBOX;
    }
    let (x_login, x_domain) = x
        .mailbox_key
        .rsplit_once('@')
        .unwrap_or((&x.mailbox_key, ""));
    let (y_login, y_domain) = y
        .mailbox_key
        .rsplit_once('@')
        .unwrap_or((&y.mailbox_key, ""));
    if x_domain == y_domain && one_edit_apart(x_login, y_login) {
        if !login_digits(x_login).eq(login_digits(y_login)) {
            email::ONE_EDIT_IN_DIGITS_SAME_DOMAIN
        } else if login_edit_changes_an_initial(x_login, y_login) {
            email::ONE_EDIT_ON_INITIAL_SAME_DOMAIN
        } else {
            email::ONE_EDIT_SAME_DOMAIN
        }
    } else if x_login == y_login && are_sister_domains(x_domain, y_domain) {
        email::SAME_LOGIN_SISTER_DOMAIN
    } else if x_login == y_login {
        email::SAME_LOGIN_OTHER_DOMAIN
    } else {
        email::ELSE
    }
}

/// The digits of a login, in order: the number people append to a name.
fn login_digits(login: &str) -> impl Iterator<Item = u8> + '_ {
    login.bytes().filter(u8::is_ascii_digit)
}

fn name_missing_level(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    if a.name.placeholder || b.name.placeholder {
        JUNK
    } else {
        MISSING
    }
}

/// Whether one record of the pair has no name and an e-mail login that
/// spells the other's name as `name_of` reads it.
fn name_in_other_login(
    a: &NormalizedRecord,
    b: &NormalizedRecord,
    name_of: for<'r> fn(&'r NormalizedRecord) -> Vec<&'r str>,
) -> bool {
    [(a, b), (b, a)].into_iter().any(|(nameless, named)| {
        nameless_login_skeleton(nameless).is_some_and(|login| {
            // When the named profile's own login spells the name too, the
            // e-mail comparison has weighed the two logins already.
            let named_login = named
                .usable_email()
                .map(|email| latin_skeleton(&email.login));
            name_of(named).into_iter().any(|name| {
                login_spells_name(&login, name)
                    && !named_login
                        .as_deref()
                        .is_some_and(|own| login_spells_name(own, name))
            })
        })
    })
}

/// The first name and every full name it may stand for.
fn first_name_readings(record: &NormalizedRecord) -> Vec<&str> {
    let mut names: Vec<&str> = record
        .name
        .first_full
        .iter()
        .map(|name| name.as_str())
        .collect();
    names.extend(record.name.first.as_deref());
    names
}

fn surname_reading(record: &NormalizedRecord) -> Vec<&str> {
    record.name.last.as_deref().into_iter().collect()
}

pub fn compare_first_names(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let (Some(x), Some(y)) = (&a.name.first, &b.name.first) else {
        if name_in_other_login(a, b, first_name_readings) {
            return first_name::IN_OTHER_LOGIN;
        }
        return name_missing_level(a, b);
    };
    if x == y {
        return first_name::EXACT;
    }
    if full_names_overlap(a, b) {
        return first_name::SAME_FULL_NAME;
    }
    let similarity = jaro_winkler(x, y);
    if similarity >= 0.92 {
        first_name::JARO_WINKLER_92
    } else if similarity >= 0.85 {
        first_name::JARO_WINKLER_85
    } else {
        first_name::ELSE
    }
}

pub fn compare_last_names(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let (Some(x), Some(y)) = (&a.name.last, &b.name.last) else {
        if name_in_other_login(a, b, surname_reading) {
            return last_name::IN_OTHER_LOGIN;
        }
        return name_missing_level(a, b);
    };
    if x == y {
        return last_name::EXACT;
    }
    if a.name.last_key.is_some() && a.name.last_key == b.name.last_key {
        return last_name::GENDERED_FORMS;
    }
    let similarity = jaro_winkler(x, y);
    if similarity >= 0.92 {
        last_name::JARO_WINKLER_92
    } else if similarity >= 0.85 {
        last_name::JARO_WINKLER_85
    } else if one_is_part_of_the_other(x, y) {
        last_name::PART_OF_DOUBLE
    } else if a.sex == Some(Sex::Female) && b.sex == Some(Sex::Female) {
        last_name::DIFFERENT_WOMEN
    } else {
        last_name::ELSE
    }
}

/// Иванова-Петрова and Петрова (or Иванова Петрова): one surname is a
/// whole part of the other's double surname.
fn one_is_part_of_the_other(x: &str, y: &str) -> bool {
    let is_part = |double: &str, single: &str| {
        double.contains(['-', ' ']) && double.split(['-', ' ']).any(|part| part == single)
    };
    is_part(x, y) || is_part(y, x)
}

pub fn compare_patronymics(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let (Some(x), Some(y)) = (&a.name.middle, &b.name.middle) else {
        return name_missing_level(a, b);
    };
    if x == y {
        if named_after_father(a) || named_after_father(b) {
            patronymic::EXACT_NAMED_AFTER_FATHER
        } else {
            patronymic::EXACT
        }
    } else if patronymic_forms_conflict(x, y) {
        patronymic::SEX_FORMS
    } else if jaro_winkler(x, y) >= 0.92 {
        patronymic::JARO_WINKLER_92
    } else {
        patronymic::ELSE
    }
}

/// Whether the record's patronymic is formed from its own first name (Иван
/// Иванович, Сергей Сергеевич, Павел Павлович): the father gave his son his
/// name, so father and son share a full name.
pub fn named_after_father(record: &NormalizedRecord) -> bool {
    named_after_father_as(record).is_some()
}

/// Whether the record is a man's whose patronymic is formed from his own
/// first name: a son named after his father, who then has a father of his
/// name (Александра Александровна's father is Александр, no namesake).
pub fn son_named_after_father(record: &NormalizedRecord) -> bool {
    named_after_father_as(record) == Some(Sex::Male)
}

/// The sex the patronymic's ending marks, when the patronymic is formed
/// from the record's own first name.
fn named_after_father_as(record: &NormalizedRecord) -> Option<Sex> {
    let (stem, sex) = record.name.middle.as_deref().and_then(patronymic_form)?;
    record
        .name
        .first
        .iter()
        .chain(&record.name.first_full)
        .any(|first| given_name_is_stem(first, stem))
        .then_some(sex)
}

/// A given name and a patronymic's stem of one name: иван/иван,
/// сергей/серге, илья/иль, юрий/юрь, павел/павл.
fn given_name_is_stem(first: &str, stem: &str) -> bool {
    const ENDINGS: [&str; 7] = ["ий", "ей", "ай", "ь", "й", "а", "я"];
    fn root(word: &str) -> &str {
        let word = word.trim_end_matches('ь');
        ENDINGS
            .iter()
            .find_map(|ending| word.strip_suffix(ending))
            .unwrap_or(word)
    }
    let (first, stem) = (root(first), root(stem));
    if first.chars().count() < 2 || stem.chars().count() < 2 {
        return false;
    }
    first.starts_with(stem) || stem.starts_with(first) || jaro_winkler(first, stem) >= 0.9
}

pub fn compare_birth_dates(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    // A doubtful date (an age under 12 or over 100) is no evidence.
    if a.birth_date_implausible || b.birth_date_implausible {
        return JUNK;
    }
    let (Some(x), Some(y)) = (a.birth_date, b.birth_date) else {
        return if a.birth_date_placeholder || b.birth_date_placeholder {
            JUNK
        } else {
            MISSING
        };
    };
    match date_difference(x, y) {
        DateDifference::Equal => birth_date::EXACT,
        DateDifference::DayMonthSwapped => birth_date::DAY_MONTH_SWAPPED,
        DateDifference::OneDigit => birth_date::ONE_DIGIT,
        DateDifference::WithinYear => birth_date::WITHIN_YEAR,
        DateDifference::Far => birth_date::ELSE,
    }
}

pub fn compare_register_dates(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let (Some(x), Some(y)) = (a.register_date, b.register_date) else {
        return MISSING;
    };
    match (x - y).num_days().abs() {
        0..=7 => register_date::WITHIN_WEEK,
        8..=31 => register_date::WITHIN_MONTH,
        32..=92 => register_date::WITHIN_QUARTER,
        93..=366 => register_date::WITHIN_YEAR,
        367..=731 => register_date::WITHIN_TWO_YEARS,
        _ => register_date::ELSE,
    }
}

/// The year in the login of the profile without a birth date against the
/// other profile's birth year; missing unless exactly one profile has a
/// (plausible) birth date and the other a login ending in a year.
pub fn compare_login_birth_years(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let year_written = |with_login: &NormalizedRecord, with_date: &NormalizedRecord| {
        if with_login.birth_date.is_some()
            || with_login.birth_date_placeholder
            || with_date.birth_date_implausible
        {
            return None;
        }
        let born = with_date.birth_date?.year();
        let email = with_login
            .email
            .as_ref()
            .filter(|e| e.valid && !e.placeholder)?;
        let written = login_year(&email.login)?;
        Some(written == born || (written < 100 && written == born.rem_euclid(100)))
    };
    match year_written(a, b).or_else(|| year_written(b, a)) {
        Some(true) => login_birth_year::AGREE,
        Some(false) => login_birth_year::ELSE,
        None => MISSING,
    }
}

/// The year a login ends in, as people append it: four digits 19xx or
/// 20xx, or two digits (85 for 1985, 03 for 2003). Any other number (a
/// single digit, three, five or more) is not read as a year.
pub fn login_year(login: &str) -> Option<i32> {
    let bytes = login.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|byte| !byte.is_ascii_digit())
        .map_or(0, |position| position + 1);
    // Only two or four digits can be a year (a mail.ru login may be a
    // whole phone number, far too long to read as one).
    let digits = &bytes[start..end];
    if !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let value = digits
        .iter()
        .fold(0i32, |value, digit| value * 10 + i32::from(digit - b'0'));
    (digits.len() == 2 || (1900..2100).contains(&value)).then_some(value)
}

/// Complementary when one profile holds only a phone and the other only
/// an e-mail; missing when either holds neither (a card-only or junk
/// profile says nothing about channels).
pub fn compare_channels(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    let channels = |record: &NormalizedRecord| {
        let phone = record
            .phone
            .as_ref()
            .is_some_and(|phone| !phone.placeholder && phone.kind != PhoneKind::Invalid);
        let email = record
            .email
            .as_ref()
            .is_some_and(|email| email.valid && !email.placeholder);
        (phone, email)
    };
    match (channels(a), channels(b)) {
        ((false, false), _) | (_, (false, false)) => MISSING,
        ((true, false), (false, true)) | ((false, true), (true, false)) => channels::COMPLEMENTARY,
        _ => channels::ELSE,
    }
}

pub fn compare_sexes(a: &NormalizedRecord, b: &NormalizedRecord) -> u8 {
    match (a.sex, b.sex) {
        (Some(x), Some(y)) if x == y => sex::SAME,
        (x, y) if sexes_conflict(x, y) => sex::CONFLICT,
        _ => MISSING,
    }
}

fn compare_extra(
    values: &ExtraValues,
    kind: ExtraKind,
    tolerance: f64,
    left: usize,
    right: usize,
) -> u8 {
    match values {
        ExtraValues::Text(texts) => {
            let (Some(x), Some(y)) = (&texts[left], &texts[right]) else {
                return MISSING;
            };
            if x == y {
                return fuzzy::EXACT;
            }
            // Exact-kind extras stop here: their ladder has no bands.
            if kind == ExtraKind::Exact {
                return exact::ELSE;
            }
            let similarity = jaro_winkler(x, y);
            if similarity >= 0.92 {
                fuzzy::JARO_WINKLER_92
            } else if similarity >= 0.85 {
                fuzzy::JARO_WINKLER_85
            } else {
                fuzzy::ELSE
            }
        }
        ExtraValues::Number(numbers) => {
            let (Some(x), Some(y)) = (numbers[left], numbers[right]) else {
                return MISSING;
            };
            if x == y {
                close::EXACT
            } else if (x - y).abs() <= tolerance {
                close::CLOSE
            } else {
                close::ELSE
            }
        }
        ExtraValues::Date(dates) => {
            let (Some(x), Some(y)) = (dates[left], dates[right]) else {
                return MISSING;
            };
            if x == y {
                close::EXACT
            } else if ((x - y).num_days().abs() as f64) <= tolerance {
                close::CLOSE
            } else {
                close::ELSE
            }
        }
    }
}

/// The comparison context for `profiles`: their records and their extra
/// columns parsed for their kinds.
pub fn context<'a>(
    profiles: &[Profile],
    records: &'a [NormalizedRecord],
    settings: &MatchSettings,
) -> CompareContext<'a> {
    let extras = settings
        .extra
        .iter()
        .map(|extra| ExtraColumn {
            values: extra_values(profiles, extra),
            kind: extra.kind,
            tolerance: extra.tolerance.unwrap_or(0.0),
        })
        .collect();
    CompareContext { records, extras }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{NormalizedEmail, NormalizedName, NormalizedPhone};

    fn blank() -> NormalizedRecord {
        NormalizedRecord {
            row: 0,
            phone: None,
            email: None,
            name: NormalizedName::default(),
            birth_date: None,
            birth_date_placeholder: false,
            birth_date_implausible: false,
            sex_from_names: false,
            sex: None,
            origin_user_id: None,
            register_date: None,
        }
    }

    fn phone(digits: &str) -> NormalizedRecord {
        NormalizedRecord {
            phone: Some(NormalizedPhone {
                digits: digits.into(),
                kind: if digits.starts_with("79") {
                    PhoneKind::Mobile
                } else {
                    PhoneKind::Landline
                },
                placeholder: digits == "79999999999",
            }),
            ..blank()
        }
    }

    fn mail(key: &str) -> NormalizedRecord {
        let (login, domain) = key.split_once('@').unwrap();
        NormalizedRecord {
            email: Some(NormalizedEmail {
                address: key.into(),
                login: login.into(),
                domain: domain.into(),
                mailbox_key: key.into(),
                repaired: false,
                valid: true,
                placeholder: key.starts_with("test@"),
            }),
            ..blank()
        }
    }

    fn first(name: &str, full: &[&str]) -> NormalizedRecord {
        NormalizedRecord {
            name: NormalizedName {
                first: Some(name.into()),
                first_full: full.iter().map(|f| (*f).into()).collect(),
                ..NormalizedName::default()
            },
            ..blank()
        }
    }

    fn last(surname: &str, key: &str) -> NormalizedRecord {
        NormalizedRecord {
            name: NormalizedName {
                last: Some(surname.into()),
                last_key: Some(key.into()),
                ..NormalizedName::default()
            },
            ..blank()
        }
    }

    fn middle(patronymic: &str) -> NormalizedRecord {
        NormalizedRecord {
            name: NormalizedName {
                middle: Some(patronymic.into()),
                ..NormalizedName::default()
            },
            ..blank()
        }
    }

    fn born(date: &str) -> NormalizedRecord {
        NormalizedRecord {
            birth_date: Some(NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()),
            ..blank()
        }
    }

    #[test]
    fn phone_ladder() {
        let level = |x: &str, y: &str| compare_phones(&phone(x), &phone(y));
        assert_eq!(level("79161234567", "79161234567"), phone::EXACT);
        assert_eq!(level("74951234567", "74951234567"), phone::EXACT_LANDLINE);
        assert_eq!(level("79161234567", "79161234867"), phone::ONE_SUBSTITUTION);
        assert_eq!(level("79161234567", "79161234568"), phone::LAST_DIGIT);
        assert_eq!(level("79161234567", "79161234657"), phone::TRANSPOSITION);
        assert_eq!(
            level("79161234567", "79261234557"),
            phone::TWO_SUBSTITUTIONS
        );
        assert_eq!(level("79161234567", "79031112233"), phone::ELSE);
        assert_eq!(level("79999999999", "79999999999"), JUNK);
        assert_eq!(compare_phones(&phone("79161234567"), &blank()), MISSING);
    }

    #[test]
    fn email_ladder() {
        let level = |x: &str, y: &str| compare_emails(&mail(x), &mail(y));
        assert_eq!(
            level("ivanov@mail.ru", "ivanov@mail.ru"),
            email::EXACT_ADDRESS
        );
        let mut alias = mail("ivanov@mail.ru");
        alias.email.as_mut().unwrap().address = "ivanov@mail.ry".into();
        assert_eq!(
            compare_emails(&mail("ivanov@mail.ru"), &alias),
            email::SAME_MAILBOX
        );
        assert_eq!(
            level("ivanov@mail.ru", "ivanof@mail.ru"),
            email::ONE_EDIT_SAME_DOMAIN
        );
        assert_eq!(
            level("ivanov@mail.ru", "ivanov@bk.ru"),
            email::SAME_LOGIN_SISTER_DOMAIN
        );
        assert_eq!(
            level("ivanov@mail.ru", "ivanov@gmail.com"),
            email::SAME_LOGIN_OTHER_DOMAIN
        );
        assert_eq!(
            level("ivanov85@mail.ru", "ivanov86@mail.ru"),
            email::ONE_EDIT_IN_DIGITS_SAME_DOMAIN
        );
        assert_eq!(
            level("ivanov@mail.ru", "ivanov8@mail.ru"),
            email::ONE_EDIT_IN_DIGITS_SAME_DOMAIN
        );
        assert_eq!(
            level("ivanov85@mail.ru", "ivamov85@mail.ru"),
            email::ONE_EDIT_SAME_DOMAIN
        );
        assert_eq!(
            level("e.dmitrieva@mail.ru", "m.dmitrieva@mail.ru"),
            email::ONE_EDIT_ON_INITIAL_SAME_DOMAIN
        );
        assert_eq!(level("ivanov@mail.ru", "petrov@mail.ru"), email::ELSE);
        assert_eq!(level("test@test.ru", "test@test.ru"), JUNK);
        assert_eq!(compare_emails(&blank(), &blank()), MISSING);
    }

    #[test]
    fn first_name_ladder() {
        let level = |x: &NormalizedRecord, y: &NormalizedRecord| compare_first_names(x, y);
        let alexander = first("александр", &["александр"]);
        assert_eq!(level(&alexander, &alexander.clone()), first_name::EXACT);
        assert_eq!(
            level(&alexander, &first("саша", &["александр", "александра"])),
            first_name::SAME_FULL_NAME
        );
        assert_eq!(
            level(&alexander, &first("александер", &[])),
            first_name::JARO_WINKLER_92
        );
        assert_eq!(
            level(&first("марина", &[]), &first("марианна", &[])),
            first_name::JARO_WINKLER_85
        );
        assert_eq!(
            level(&alexander, &first("пётр", &["петр"])),
            first_name::ELSE
        );
        let placeholder = NormalizedRecord {
            name: NormalizedName {
                placeholder: true,
                ..NormalizedName::default()
            },
            ..blank()
        };
        assert_eq!(level(&alexander, &placeholder), JUNK);
        assert_eq!(level(&alexander, &blank()), MISSING);
    }

    #[test]
    fn last_name_ladder() {
        let level =
            |x: (&str, &str), y: (&str, &str)| compare_last_names(&last(x.0, x.1), &last(y.0, y.1));
        let petrov = ("петров", "петров");
        assert_eq!(level(petrov, petrov), last_name::EXACT);
        assert_eq!(
            level(petrov, ("петрова", "петров")),
            last_name::GENDERED_FORMS
        );
        assert_eq!(
            level(petrov, ("петровв", "петровв")),
            last_name::JARO_WINKLER_92
        );
        assert_eq!(
            level(("кузнецов", "кузнецов"), ("кузницын", "кузницын")),
            last_name::JARO_WINKLER_85
        );
        assert_eq!(
            level(("иванова-петрова", "иванов-петров"), ("петрова", "петров")),
            last_name::PART_OF_DOUBLE
        );
        assert_eq!(level(petrov, ("сидоров", "сидоров")), last_name::ELSE);
    }

    #[test]
    fn names_spelled_in_the_login_of_a_nameless_profile_have_their_own_level() {
        let nameless = |login: &str| NormalizedRecord {
            email: Some(NormalizedEmail {
                address: format!("{login}@mail.ru").into(),
                login: login.into(),
                domain: "mail.ru".into(),
                mailbox_key: format!("{login}@mail.ru").into(),
                repaired: false,
                valid: true,
                placeholder: false,
            }),
            ..blank()
        };
        let arina = NormalizedRecord {
            name: NormalizedName {
                first: Some("арина".into()),
                first_full: vec!["арина".into()],
                last: Some("кузнецова".into()),
                last_key: Some("кузнецов".into()),
                ..NormalizedName::default()
            },
            ..blank()
        };
        let login = nameless("kuznetsova.arina884");
        assert_eq!(
            compare_last_names(&arina, &login),
            last_name::IN_OTHER_LOGIN
        );
        assert_eq!(
            compare_last_names(&login, &arina),
            last_name::IN_OTHER_LOGIN
        );
        assert_eq!(
            compare_first_names(&arina, &login),
            first_name::IN_OTHER_LOGIN
        );
        // A login that spells someone else's name: no evidence either way.
        let other = nameless("petrov.ivan");
        assert_eq!(compare_last_names(&arina, &other), MISSING);
        assert_eq!(compare_first_names(&arina, &other), MISSING);
        // Both logins spell her surname: the e-mail comparison weighs that.
        let arina_with_login = NormalizedRecord {
            email: nameless("akuznetsova").email,
            ..arina.clone()
        };
        assert_eq!(compare_last_names(&arina_with_login, &login), MISSING);
        assert_eq!(
            compare_first_names(&arina_with_login, &login),
            first_name::IN_OTHER_LOGIN
        );
        // A profile with a name of its own is compared on it, not its login.
        let named_login = NormalizedRecord {
            name: NormalizedName {
                middle: Some("ивановна".into()),
                ..NormalizedName::default()
            },
            ..login.clone()
        };
        assert_eq!(compare_last_names(&arina, &named_login), MISSING);
        // No e-mail at all: missing.
        assert_eq!(compare_last_names(&arina, &blank()), MISSING);
    }

    #[test]
    fn different_surnames_of_two_women_have_their_own_level() {
        let woman = |surname: &str, sex: Option<Sex>| NormalizedRecord {
            sex,
            ..last(surname, surname.strip_suffix('а').unwrap_or(surname))
        };
        let ivanova = woman("иванова", Some(Sex::Female));
        assert_eq!(
            compare_last_names(&ivanova, &woman("смирнова", Some(Sex::Female))),
            last_name::DIFFERENT_WOMEN
        );
        // Unknown or male sex on either side: an ordinary disagreement.
        assert_eq!(
            compare_last_names(&ivanova, &woman("смирнова", None)),
            last_name::ELSE
        );
        assert_eq!(
            compare_last_names(
                &woman("сидоров", Some(Sex::Male)),
                &woman("петров", Some(Sex::Male))
            ),
            last_name::ELSE
        );
        // Typos stay typos, whatever the sex.
        assert_eq!(
            compare_last_names(&ivanova, &woman("иванова", Some(Sex::Female))),
            last_name::EXACT
        );
    }

    #[test]
    fn patronymic_ladder() {
        let level = |x: &str, y: &str| compare_patronymics(&middle(x), &middle(y));
        assert_eq!(level("сергеевич", "сергеевич"), patronymic::EXACT);
        assert_eq!(level("сергеевич", "сергеевна"), patronymic::SEX_FORMS);
        assert_eq!(
            level("сергеевич", "сергеевичч"),
            patronymic::JARO_WINKLER_92
        );
        assert_eq!(level("сергеевич", "иванович"), patronymic::ELSE);
        let named = |first_name: &str, patronymic: &str| NormalizedRecord {
            name: NormalizedName {
                first: Some(first_name.into()),
                middle: Some(patronymic.into()),
                ..NormalizedName::default()
            },
            ..blank()
        };
        // Father and son Иван Иванович: the patronymic is the first name's.
        assert_eq!(
            compare_patronymics(&named("иван", "иванович"), &named("иван", "иванович")),
            patronymic::EXACT_NAMED_AFTER_FATHER
        );
        assert_eq!(
            compare_patronymics(&named("иван", "сергеевич"), &named("иван", "сергеевич")),
            patronymic::EXACT
        );
        // Only one side needs to show it (the other may lack a first name).
        assert_eq!(
            compare_patronymics(&named("сергей", "сергеевич"), &middle("сергеевич")),
            patronymic::EXACT_NAMED_AFTER_FATHER
        );
    }

    #[test]
    fn sons_named_after_their_fathers_are_recognised() {
        let record = |first_name: &str, patronymic: &str| NormalizedRecord {
            name: NormalizedName {
                first: Some(first_name.into()),
                middle: Some(patronymic.into()),
                ..NormalizedName::default()
            },
            ..blank()
        };
        for (first_name, patronymic) in [
            ("иван", "иванович"),
            ("сергей", "сергеевич"),
            ("илья", "ильич"),
            ("юрий", "юрьевич"),
            ("павел", "павлович"),
            ("михаил", "михайлович"),
            ("никита", "никитич"),
        ] {
            assert!(
                named_after_father(&record(first_name, patronymic)),
                "{first_name} {patronymic}"
            );
        }
        for (first_name, patronymic) in [
            ("иван", "сергеевич"),
            ("петр", "павлович"),
            ("мария", "ивановна"),
        ] {
            assert!(
                !named_after_father(&record(first_name, patronymic)),
                "{first_name} {patronymic}"
            );
        }
        assert!(!named_after_father(&first("иван", &["иван"])));
        assert!(son_named_after_father(&record("павел", "павлович")));
        assert!(son_named_after_father(&record("илья", "ильич")));
        assert!(named_after_father(&record("александра", "александровна")));
        assert!(!son_named_after_father(&record(
            "александра",
            "александровна"
        )));
        assert!(!son_named_after_father(&record("иван", "сергеевич")));
    }

    #[test]
    fn birth_date_ladder() {
        let level = |x: &str, y: &str| compare_birth_dates(&born(x), &born(y));
        assert_eq!(level("1985-03-07", "1985-03-07"), birth_date::EXACT);
        assert_eq!(
            level("1985-03-07", "1985-07-03"),
            birth_date::DAY_MONTH_SWAPPED
        );
        assert_eq!(level("1985-03-07", "1985-03-09"), birth_date::ONE_DIGIT);
        assert_eq!(level("1985-03-07", "1985-10-25"), birth_date::WITHIN_YEAR);
        assert_eq!(level("1955-03-07", "1985-10-25"), birth_date::ELSE);
        let placeholder = NormalizedRecord {
            birth_date_placeholder: true,
            ..blank()
        };
        assert_eq!(compare_birth_dates(&born("1985-03-07"), &placeholder), JUNK);
        let mut doubtful = born("2024-03-07");
        doubtful.birth_date_implausible = true;
        assert_eq!(compare_birth_dates(&born("2024-03-07"), &doubtful), JUNK);
        assert_eq!(compare_birth_dates(&born("1985-03-07"), &blank()), MISSING);
    }

    #[test]
    fn register_date_ladder() {
        let registered = |date: &str| NormalizedRecord {
            register_date: Some(NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()),
            ..blank()
        };
        let level = |x: &str, y: &str| compare_register_dates(&registered(x), &registered(y));
        assert_eq!(
            level("2020-03-07", "2020-03-07"),
            register_date::WITHIN_WEEK
        );
        assert_eq!(
            level("2020-03-14", "2020-03-07"),
            register_date::WITHIN_WEEK
        );
        assert_eq!(
            level("2020-03-07", "2020-03-15"),
            register_date::WITHIN_MONTH
        );
        assert_eq!(
            level("2020-03-07", "2020-04-07"),
            register_date::WITHIN_MONTH
        );
        assert_eq!(
            level("2020-03-07", "2020-04-08"),
            register_date::WITHIN_QUARTER
        );
        assert_eq!(
            level("2020-03-07", "2020-06-07"),
            register_date::WITHIN_QUARTER
        );
        assert_eq!(
            level("2020-03-07", "2020-06-08"),
            register_date::WITHIN_YEAR
        );
        // Across 29 February a year has 366 days.
        assert_eq!(
            level("2020-02-07", "2021-02-07"),
            register_date::WITHIN_YEAR
        );
        assert_eq!(
            level("2020-02-07", "2021-02-08"),
            register_date::WITHIN_TWO_YEARS
        );
        assert_eq!(
            level("2020-03-07", "2022-03-07"),
            register_date::WITHIN_TWO_YEARS
        );
        assert_eq!(level("2020-03-07", "2022-03-09"), register_date::ELSE);
        assert_eq!(
            compare_register_dates(&registered("2020-03-07"), &blank()),
            MISSING
        );
    }

    #[test]
    fn login_birth_year_ladder() {
        let with = |login: &str, date: Option<&str>| NormalizedRecord {
            email: mail(&format!("{login}@mail.ru")).email,
            birth_date: date.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            ..blank()
        };
        let level = |x: &NormalizedRecord, y: &NormalizedRecord| compare_login_birth_years(x, y);
        let born_1985 = born("1985-03-07");
        assert_eq!(
            level(&with("ivanov85", None), &born_1985),
            login_birth_year::AGREE
        );
        assert_eq!(
            level(&born_1985, &with("ivan_1985", None)),
            login_birth_year::AGREE
        );
        assert_eq!(
            level(&with("ivanov94", None), &born_1985),
            login_birth_year::ELSE
        );
        // Both dated: the dates themselves are compared instead.
        assert_eq!(
            level(&with("ivanov85", Some("1985-03-07")), &born_1985),
            MISSING
        );
        // No year in the login, or no date on the other side.
        assert_eq!(level(&with("ivanov", None), &born_1985), MISSING);
        assert_eq!(level(&with("ivanov123", None), &born_1985), MISSING);
        assert_eq!(level(&with("ivanov85", None), &blank()), MISSING);
        assert_eq!(login_year("petrov.ivan03"), Some(3));
        assert_eq!(login_year("ivan_1985_x"), Some(1985));
        assert_eq!(login_year("ivan2785"), None);
        assert_eq!(login_year("ivan7"), None);
        assert_eq!(login_year("79161234567"), None);
        assert_eq!(login_year("x99999999999999999999"), None);
    }

    #[test]
    fn channel_ladder() {
        let phone_only = phone("79161234567");
        let email_only = mail("ivanov@mail.ru");
        let both = NormalizedRecord {
            email: mail("petrov@mail.ru").email,
            ..phone("79031112233")
        };
        assert_eq!(
            compare_channels(&phone_only, &email_only),
            channels::COMPLEMENTARY
        );
        assert_eq!(
            compare_channels(&email_only, &phone_only),
            channels::COMPLEMENTARY
        );
        assert_eq!(
            compare_channels(&phone_only, &phone("79031112233")),
            channels::ELSE
        );
        assert_eq!(compare_channels(&both, &email_only), channels::ELSE);
        assert_eq!(compare_channels(&both, &blank()), MISSING);
        assert_eq!(
            compare_channels(&phone("79999999999"), &email_only),
            MISSING
        );
    }

    #[test]
    fn sex_ladder() {
        let with = |sex| NormalizedRecord { sex, ..blank() };
        assert_eq!(
            compare_sexes(&with(Some(Sex::Male)), &with(Some(Sex::Male))),
            sex::SAME
        );
        assert_eq!(
            compare_sexes(&with(Some(Sex::Male)), &with(Some(Sex::Female))),
            sex::CONFLICT
        );
        assert_eq!(compare_sexes(&with(Some(Sex::Male)), &with(None)), MISSING);
    }

    #[test]
    fn extra_ladders() {
        let text = ExtraValues::Text(vec![
            Some("москва, тверская 1".into()),
            Some("москва, тверская 1".into()),
            Some("москва, тверская 11".into()),
            Some("казань".into()),
            None,
        ]);
        assert_eq!(
            compare_extra(&text, ExtraKind::Fuzzy, 0.0, 0, 1),
            fuzzy::EXACT
        );
        assert_eq!(
            compare_extra(&text, ExtraKind::Fuzzy, 0.0, 0, 2),
            fuzzy::JARO_WINKLER_92
        );
        assert_eq!(
            compare_extra(&text, ExtraKind::Fuzzy, 0.0, 0, 3),
            fuzzy::ELSE
        );
        assert_eq!(compare_extra(&text, ExtraKind::Fuzzy, 0.0, 0, 4), MISSING);
        assert_eq!(
            compare_extra(&text, ExtraKind::Exact, 0.0, 0, 2),
            exact::ELSE
        );
        let numbers = ExtraValues::Number(vec![Some(10.0), Some(10.0), Some(12.0), Some(20.0)]);
        assert_eq!(
            compare_extra(&numbers, ExtraKind::Numeric, 2.0, 0, 1),
            close::EXACT
        );
        assert_eq!(
            compare_extra(&numbers, ExtraKind::Numeric, 2.0, 0, 2),
            close::CLOSE
        );
        assert_eq!(
            compare_extra(&numbers, ExtraKind::Numeric, 2.0, 0, 3),
            close::ELSE
        );
        let date = |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        let dates = ExtraValues::Date(vec![date("2020-01-01"), date("2020-01-05"), None]);
        assert_eq!(
            compare_extra(&dates, ExtraKind::Date, 7.0, 0, 1),
            close::CLOSE
        );
        assert_eq!(
            compare_extra(&dates, ExtraKind::Date, 3.0, 0, 1),
            close::ELSE
        );
        assert_eq!(compare_extra(&dates, ExtraKind::Date, 3.0, 0, 2), MISSING);
    }

    #[test]
    fn ladders_name_every_level_index_they_return() {
        let comparisons = comparisons(&MatchSettings::default());
        let size = |name: &str| {
            comparisons
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .levels
                .len() as u8
        };
        assert_eq!(size("phone"), phone::ELSE + 1);
        assert_eq!(size("email"), email::ELSE + 1);
        assert_eq!(size("first_name"), first_name::ELSE + 1);
        assert_eq!(size("last_name"), last_name::ELSE + 1);
        assert_eq!(size("patronymic"), patronymic::ELSE + 1);
        assert_eq!(size("birth_date"), birth_date::ELSE + 1);
        assert_eq!(size("login_birth_year"), login_birth_year::ELSE + 1);
        assert_eq!(size("channels"), channels::ELSE + 1);
        assert_eq!(size("sex"), sex::CONFLICT + 1);
        assert_eq!(size("origin_user_id"), exact::ELSE + 1);
    }
}
