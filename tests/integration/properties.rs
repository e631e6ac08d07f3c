//! Properties the module headers promise and no example test checks, tried
//! on random inputs against naive oracles:
//! - comparison symmetry (`compare`, `score::comparison`): every level of
//!   every ladder, and every comparison primitive, is the same whichever
//!   profile comes first;
//! - clustering invariants (`cluster`): the clusters partition the rows
//!   they hold, none is above the size cap, each is a spanning tree of
//!   links at or above the threshold, no two members contradict each
//!   other, and every link left out joins two groups that a guard or the
//!   cap keeps apart;
//! - blocking against a brute-force scan (`block`): on small inputs, every
//!   pair a rule's definition says must be proposed is, with that rule's
//!   bit, and no pair gets a rule's bit without sharing one of its keys;
//! - row order: the same candidate pairs, and the same clusters from the
//!   same scores, as sets of user_ids, when the rows are shuffled.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;
use sailmerge::block::{self, Candidates};
use sailmerge::cluster::{self, Clustering, Contradiction};
use sailmerge::compare::{
    date_difference, dates_compatible, jaro_winkler, latin_skeleton, login_edit_changes_an_initial,
    nameless_login_skeleton, normalize_extra_value, one_edit_apart, patronymic_forms_conflict,
    phone_difference,
};
use sailmerge::generate::{GeneratorConfig, generate};
use sailmerge::load;
use sailmerge::normalize::{
    NormalizedPhone, NormalizedRecord, name_phonetic_key, normalize_profiles_as_of,
};
use sailmerge::pipeline::{self, MatchOptions};
use sailmerge::printer::Printer;
use sailmerge::profile::Profile;
use sailmerge::score::comparison::{self, compare_field};
use sailmerge::score::{ScoredPairs, weight_of_probability};
use sailmerge::settings::Settings;
use sailmerge::settings::matching::{ExtraComparison, ExtraKind, MatchSettings};

/// Fixed, so that ages (and with them placeholder and doubtful birth
/// dates) do not change with the day the tests run.
fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date")
}

// Small pools, so that a handful of profiles holds near-duplicates of
// every kind: one-digit phone typos (Russian and foreign numbers, typos in
// the last digits too), transpositions, two typos, mailbox aliases, logins
// one edit apart, diminutives, gendered surnames and patronymics, Latin
// spellings, placeholders, birth dates one digit or a day-month swap apart.
const PHONES: &[&str] = &[
    "79161234567",
    "+7 (916) 123-45-67",
    "89161234568",
    "79161234577",
    "79161243567",
    "79161234599",
    "79261234567",
    "74951234567",
    "79999999999",
    "12345",
    "375291234567",
    "375291234568",
    "375291234576",
    "375291239567",
    "375291234588",
];
const EMAILS: &[&str] = &[
    "ivan.petrov@mail.ru",
    "Ivan.Petrov@mail.ru",
    "ivan.petrov1@mail.ru",
    "ivan.petorv@mail.ru",
    "ivanpetrov@gmail.com",
    "i.van.petrov+shop@gmail.com",
    "ivan.petrov@bk.ru",
    "ivan.petrov@yandex.ru",
    "petrova1985@mail.ru",
    "kuznetsova.a@mail.ru",
    "iv@mail.ru",
    "ix@mail.ru",
    "ivx@mail.ru",
    "test@test.ru",
    "not-an-email",
];
const FIRST_NAMES: &[&str] = &[
    "Иван",
    "Ваня",
    "Ivan",
    "ИВАН",
    "Саша",
    "Александр",
    "Александра",
    "Мария",
    "Маша",
    "Женя",
    "Покупатель",
];
const MIDDLE_NAMES: &[&str] = &["Петрович", "Петровна", "Иванович", "Petrovich", "Ильич"];
const LAST_NAMES: &[&str] = &[
    "Петров",
    "Петрова",
    "Petrov",
    "Петровский",
    "Кузнецова",
    "Иванов-Петров",
    "Гость",
];
const BIRTH_DATES: &[&str] = &[
    "1985-03-04",
    "1985-04-03",
    "1985-03-05",
    "1986-03-04",
    "04.03.1985",
    "1990-07-15",
    "1900-01-01",
    "2020-06-01",
];
const SEXES: &[&str] = &["1", "2", "3"];
const ORIGIN_IDS: &[&str] = &["CARD-1", "CARD-2", "card-1 "];
const TIERS: &[&str] = &["gold", "Gold ", "silver"];
const CITIES: &[&str] = &["Москва", "москва", "Мосвка", "Тверь"];
const AMOUNTS: &[&str] = &["100", "103", "100,5", "250", "n/a"];
const VISITS: &[&str] = &["2024-05-01", "2024-05-03", "01.05.2024", "2023-01-01"];

/// A value from `pool`, or none.
fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        3 => proptest::sample::select(pool).prop_map(|value| Some(value.to_string())),
    ]
}

/// Profiles with user ids 1, 2, ... and values from the pools; about one in
/// six has no name at all (the profiles an e-mail login may name).
fn profiles(sizes: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<Profile>> {
    let names = (pick(FIRST_NAMES), pick(MIDDLE_NAMES), pick(LAST_NAMES));
    let nameless = prop_oneof![5 => Just(false), 1 => Just(true)];
    let contact = (pick(PHONES), pick(EMAILS), pick(ORIGIN_IDS));
    let person = (pick(BIRTH_DATES), pick(SEXES));
    let extras = (pick(TIERS), pick(CITIES), pick(AMOUNTS), pick(VISITS));
    let profile = (names, nameless, contact, person, extras);
    prop::collection::vec(profile, sizes).prop_map(|drawn| {
        drawn
            .into_iter()
            .enumerate()
            .map(
                |(index, ((first, middle, last), nameless, contact, person, extras))| {
                    let (phone, email, origin_user_id) = contact;
                    let (birth_date, sex) = person;
                    let (tier, city, amount, visit) = extras;
                    let extra: BTreeMap<String, String> = [
                        ("tier", tier),
                        ("city", city),
                        ("amount", amount),
                        ("visit", visit),
                    ]
                    .into_iter()
                    .filter_map(|(column, value)| Some((column.to_string(), value?)))
                    .collect();
                    Profile {
                        user_id: (index + 1).to_string().into(),
                        origin_user_id,
                        phone,
                        email,
                        first_name: first.filter(|_| !nameless),
                        middle_name: middle.filter(|_| !nameless),
                        last_name: last.filter(|_| !nameless),
                        birth_date,
                        sex,
                        register_date: Some("2021-06-01".to_string()),
                        points: None,
                        extra,
                    }
                },
            )
            .collect()
    })
}

/// The default settings with one extra comparison of each kind; `tier`
/// and `city` also block.
fn settings_with_extras() -> MatchSettings {
    let extra = |column: &str, kind, block, tolerance| ExtraComparison {
        column: column.to_string(),
        kind,
        block,
        tolerance,
    };
    MatchSettings {
        extra: vec![
            extra("tier", ExtraKind::Exact, true, None),
            extra("city", ExtraKind::Fuzzy, true, None),
            extra("amount", ExtraKind::Numeric, false, Some(5.0)),
            extra("visit", ExtraKind::Date, false, Some(3.0)),
        ],
        // Small inputs: no block is too large to compare.
        max_block_pairs: u64::MAX,
        max_name_block_pairs: u64::MAX,
        reference_date: Some(reference_date()),
        ..MatchSettings::default()
    }
}

fn normalize(profiles: &[Profile]) -> Vec<NormalizedRecord> {
    normalize_profiles_as_of(profiles, &Printer::silent(), reference_date()).0
}

/// One profile's values, for a failure message.
fn shown(profile: &Profile) -> String {
    serde_json::to_string(profile).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// `score::comparison`: a pair lands on one level of each ladder,
    /// whichever of its profiles comes first.
    #[test]
    fn every_comparison_level_is_the_same_whichever_profile_comes_first(
        profiles in profiles(2..=8),
    ) {
        let settings = settings_with_extras();
        let records = normalize(&profiles);
        let context = comparison::context(&profiles, &records, &settings);
        for comparison in comparison::comparisons(&settings) {
            for left in 0..profiles.len() {
                for right in left + 1..profiles.len() {
                    let there = compare_field(&comparison, &context, left, right);
                    let back = compare_field(&comparison, &context, right, left);
                    prop_assert!(
                        (there as usize) < comparison.levels.len(),
                        "{}: level {there} of {}", comparison.name, comparison.levels.len()
                    );
                    prop_assert_eq!(
                        there,
                        back,
                        "{}: {} then {}",
                        comparison.name,
                        shown(&profiles[left]),
                        shown(&profiles[right])
                    );
                }
            }
        }
    }

    /// `compare`: each primitive gives the same answer with its arguments
    /// swapped.
    #[test]
    fn comparison_primitives_are_symmetric(
        left in "[0-9]{0,3}|7916123[0-9]{4}|[a-c._-]{0,6}|[абвгде]{0,6}|[а-я]{2,8}(ич|ич|на|вна)",
        right in "[0-9]{0,3}|7916123[0-9]{4}|[a-c._-]{0,6}|[абвгде]{0,6}|[а-я]{2,8}(ич|ич|на|вна)",
        days in (0i64..40_000, 0i64..40_000),
    ) {
        prop_assert_eq!(phone_difference(&left, &right), phone_difference(&right, &left));
        prop_assert_eq!(one_edit_apart(&left, &right), one_edit_apart(&right, &left));
        prop_assert_eq!(
            login_edit_changes_an_initial(&left, &right),
            login_edit_changes_an_initial(&right, &left)
        );
        prop_assert_eq!(
            jaro_winkler(&left, &right).to_bits(),
            jaro_winkler(&right, &left).to_bits()
        );
        prop_assert_eq!(
            patronymic_forms_conflict(&left, &right),
            patronymic_forms_conflict(&right, &left)
        );
        let epoch = NaiveDate::from_ymd_opt(1920, 1, 1).expect("a valid date");
        let (a, b) = (epoch + chrono::Days::new(days.0 as u64), epoch + chrono::Days::new(days.1 as u64));
        prop_assert_eq!(date_difference(a, b), date_difference(b, a));
        prop_assert_eq!(dates_compatible(a, b), dates_compatible(b, a));
    }
}

// Blocking against a brute-force scan. Each rule's definition, from its
// documentation (`block::RuleKind`), over the normalised values, as two
// answers for a pair: whether the rule must propose it, and whether it may
// (shares one of the rule's keys; wider only where a key is coarser than
// what the rule looks for).

/// A phone blocking can use: present, no placeholder, a real number.
fn blocking_phone(record: &NormalizedRecord) -> Option<&NormalizedPhone> {
    record
        .usable_phone()
        .filter(|phone| phone.digits.len() >= 7)
}

/// The positions at which two digit strings of one length differ.
fn differing(left: &str, right: &str) -> Option<Vec<usize>> {
    (left.len() == right.len()).then(|| {
        left.bytes()
            .zip(right.bytes())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(position, _)| position)
            .collect()
    })
}

/// Whether the two differing positions are two adjacent digits swapped.
fn transposed(left: &str, right: &str, positions: &[usize]) -> bool {
    let (l, r) = (left.as_bytes(), right.as_bytes());
    matches!(positions, [first, second] if *second == first + 1 && l[*first] == r[*second] && l[*second] == r[*first])
}

/// The full first names a record's first name stands for, else the name.
fn first_forms(record: &NormalizedRecord) -> BTreeSet<&str> {
    let name = &record.name;
    if name.first_full.is_empty() {
        name.first.iter().map(|first| first.as_str()).collect()
    } else {
        name.first_full.iter().map(|full| full.as_str()).collect()
    }
}

fn share_a_first_name(a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
    !first_forms(a).is_disjoint(&first_forms(b))
}

/// Both values present and equal.
fn same<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x == y)
}

/// Login and domain of a usable e-mail's mailbox key.
fn mailbox(record: &NormalizedRecord) -> Option<(&str, &str)> {
    let key = record.usable_email()?.mailbox_key.as_str();
    Some(key.rsplit_once('@').unwrap_or((key, "")))
}

/// A login and each one-character deletion of it (logins of three
/// characters or more): logins one edit apart share one of these.
fn deletion_keys(login: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::from([login.to_string()]);
    if login.chars().count() >= 3 {
        for (start, letter) in login.char_indices() {
            keys.insert(format!(
                "{}{}",
                &login[..start],
                &login[start + letter.len_utf8()..]
            ));
        }
    }
    keys
}

/// The keys of `login_name_birth_date` besides the date: five letters of
/// the surname's Latin skeleton, or every five-letter stretch of a
/// nameless profile's login skeleton.
fn login_name_keys(record: &NormalizedRecord) -> BTreeSet<String> {
    if let Some(login) = nameless_login_skeleton(record) {
        (0..(login.len() + 1).saturating_sub(5))
            .filter_map(|start| login.get(start..start + 5))
            .map(str::to_string)
            .collect()
    } else if let Some(last) = &record.name.last {
        latin_skeleton(last)
            .get(..5)
            .map(str::to_string)
            .into_iter()
            .collect()
    } else {
        BTreeSet::new()
    }
}

fn surname_sound(record: &NormalizedRecord) -> Option<String> {
    let name = &record.name;
    let key = name.last_key.as_ref()?;
    Some(name.last_phonetic.as_ref().map_or_else(
        || name_phonetic_key(key).to_string(),
        |sound| sound.to_string(),
    ))
}

/// Whether `rule` must and may propose the pair of `a` and `b` (profiles
/// `pa` and `pb`).
fn rule_oracle(
    rule: &str,
    (a, pa): (&NormalizedRecord, &Profile),
    (b, pb): (&NormalizedRecord, &Profile),
) -> (bool, bool) {
    let named = !a.name.placeholder && !b.name.placeholder;
    let exactly = |holds: bool| (holds, holds);
    match rule {
        "phone_exact" => exactly(same(
            blocking_phone(a).map(|p| &p.digits),
            blocking_phone(b).map(|p| &p.digits),
        )),
        "phone_one_edit" => {
            let (Some(x), Some(y)) = (blocking_phone(a), blocking_phone(b)) else {
                return (false, false);
            };
            let Some(positions) = differing(&x.digits, &y.digits) else {
                return (false, false);
            };
            // The first digit is the country code.
            let one_edit = match positions.as_slice() {
                [position] => *position >= 1,
                [first, _] => *first >= 1 && transposed(&x.digits, &y.digits, &positions),
                _ => false,
            };
            // Keys mask positions 1 to 14 (and swap pairs within them):
            // the fifteen digits of the longest E.164 number.
            let keyed = positions
                .iter()
                .all(|&position| (1..=14).contains(&position));
            (
                one_edit && keyed,
                positions.is_empty() || (one_edit && keyed),
            )
        }
        "phone_two_substitutions_first_name" => {
            let (Some(x), Some(y)) = (blocking_phone(a), blocking_phone(b)) else {
                return (false, false);
            };
            let Some(positions) = differing(&x.digits, &y.digits) else {
                return (false, false);
            };
            let with_name = named && share_a_first_name(a, b);
            let keyed = positions
                .iter()
                .all(|&position| (1..=10).contains(&position));
            // The keys cut the ten digits after the country code into
            // five blocks: two typos of a Russian number, not past it.
            (
                with_name && positions.len() == 2 && keyed,
                with_name && positions.len() <= 2 && keyed,
            )
        }
        "email_mailbox" => exactly(same(mailbox(a), mailbox(b))),
        "email_login" => exactly(same(
            mailbox(a)
                .map(|(login, _)| login)
                .filter(|login| !login.is_empty()),
            mailbox(b).map(|(login, _)| login),
        )),
        "email_one_edit" => {
            let (Some((x, x_domain)), Some((y, y_domain))) = (mailbox(a), mailbox(b)) else {
                return (false, false);
            };
            if x_domain != y_domain {
                return (false, false);
            }
            // Logins under three characters get no deletion keys: two of
            // them one substitution apart are not looked for.
            let (shorter, longer) = {
                let (m, n) = (x.chars().count(), y.chars().count());
                (m.min(n), m.max(n))
            };
            let must = one_edit_apart(x, y) && longer >= 3 && (shorter >= 3 || shorter != longer);
            (must, !deletion_keys(x).is_disjoint(&deletion_keys(y)))
        }
        "name_birth_date" => {
            let dates = match (a.birth_date, b.birth_date) {
                (Some(x), Some(y)) => {
                    x.year() == y.year() || (x.month(), x.day()) == (y.month(), y.day())
                }
                _ => false,
            };
            exactly(
                named
                    && same(a.name.last_key.as_ref(), b.name.last_key.as_ref())
                    && dates
                    && share_a_first_name(a, b),
            )
        }
        "name_patronymic" => exactly(
            named
                && same(a.name.last_key.as_ref(), b.name.last_key.as_ref())
                && same(a.name.middle.as_ref(), b.name.middle.as_ref())
                && share_a_first_name(a, b),
        ),
        "surname_phonetic_first_name" => {
            exactly(named && same(surname_sound(a), surname_sound(b)) && share_a_first_name(a, b))
        }
        "birth_date_first_name" => {
            exactly(named && same(a.birth_date, b.birth_date) && share_a_first_name(a, b))
        }
        "birth_date_last_name" => exactly(
            named
                && same(a.birth_date, b.birth_date)
                && same(a.name.last_key.as_ref(), b.name.last_key.as_ref()),
        ),
        "login_name_birth_date" => exactly(
            same(a.birth_date, b.birth_date)
                && !login_name_keys(a).is_disjoint(&login_name_keys(b)),
        ),
        "origin_user_id" => exactly(same(a.origin_user_id.as_ref(), b.origin_user_id.as_ref())),
        extra => {
            let column = extra
                .strip_prefix("extra_")
                .unwrap_or_else(|| panic!("no oracle for the rule {extra}"));
            let value =
                |profile: &Profile| profile.value_of(column).and_then(normalize_extra_value);
            exactly(same(value(pa), value(pb)))
        }
    }
}

fn candidates(profiles: &[Profile], records: &[NormalizedRecord]) -> Candidates {
    block::candidate_pairs(
        profiles,
        records,
        &settings_with_extras(),
        &Printer::silent(),
    )
    .expect("the settings name only built-in rules")
}

/// The candidate pairs as pairs of user_ids (in order), with the names of
/// the rules that proposed each.
fn candidates_by_user_id(profiles: &[Profile]) -> BTreeMap<(String, String), Vec<String>> {
    let found = candidates(profiles, &normalize(profiles));
    found
        .pairs
        .iter()
        .map(|pair| {
            let mut ids = [
                profiles[pair.left as usize].user_id.to_string(),
                profiles[pair.right as usize].user_id.to_string(),
            ];
            ids.sort();
            let [left, right] = ids;
            ((left, right), found.rule_names(pair.rules))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Every pair a rule's definition says must be proposed is proposed,
    /// with that rule's bit; no bit is set on a pair that shares none of
    /// the rule's keys.
    #[test]
    fn blocking_proposes_what_a_brute_force_scan_of_every_pair_finds(
        profiles in profiles(2..=12),
    ) {
        let records = normalize(&profiles);
        let found = candidates(&profiles, &records);
        prop_assert!(found.stats.capped_blocks.is_empty());
        let masks: HashMap<(u32, u32), u32> = found
            .pairs
            .iter()
            .map(|pair| ((pair.left, pair.right), pair.rules))
            .collect();
        for left in 0..profiles.len() {
            for right in left + 1..profiles.len() {
                let mask = masks.get(&(left as u32, right as u32)).copied().unwrap_or(0);
                for (bit, rule) in found.rules.iter().enumerate() {
                    let (must, may) = rule_oracle(
                        &rule.name,
                        (&records[left], &profiles[left]),
                        (&records[right], &profiles[right]),
                    );
                    let proposed = mask & (1 << bit) != 0;
                    prop_assert!(
                        !must || proposed,
                        "{} must propose {} and {}", rule.name, shown(&profiles[left]), shown(&profiles[right])
                    );
                    prop_assert!(
                        may || !proposed,
                        "{} proposed {} and {}", rule.name, shown(&profiles[left]), shown(&profiles[right])
                    );
                }
            }
        }
    }

    /// The same candidate pairs, by user_id and rule, whatever the order of
    /// the rows.
    #[test]
    fn blocking_proposes_the_same_pairs_whatever_the_row_order(
        (profiles, shuffled) in profiles(2..=12)
            .prop_flat_map(|profiles| (Just(profiles.clone()), Just(profiles).prop_shuffle())),
    ) {
        prop_assert_eq!(candidates_by_user_id(&profiles), candidates_by_user_id(&shuffled));
    }
}

/// Found by `blocking_proposes_what_a_brute_force_scan_of_every_pair_finds`:
/// `phone_one_edit` masks the digits 2 to 11 only, so two Belarusian
/// numbers (12 digits) one typo apart in the last digit share no key.
#[test]
fn a_typo_in_the_twelfth_digit_of_a_foreign_phone_is_proposed() {
    let profile = |user_id: &str, phone: &str| Profile {
        user_id: user_id.into(),
        phone: Some(phone.to_string()),
        register_date: Some("2021-06-01".to_string()),
        ..Profile::default()
    };
    let profiles = [profile("1", "375291234567"), profile("2", "375291234568")];
    let found = candidates_by_user_id(&profiles);
    let rules = found.get(&("1".to_string(), "2".to_string()));
    assert!(
        rules.is_some_and(|rules| rules.iter().any(|rule| rule == "phone_one_edit")),
        "proposed by {rules:?}"
    );
}

// Clustering on real scores: a generated base, normalised and scored once
// with every candidate pair kept, then clustered under random settings.

struct ScoredBase {
    profiles: Vec<Profile>,
    records: Vec<NormalizedRecord>,
    scored: ScoredPairs,
    settings: MatchSettings,
}

/// `sailmerge gen` output (3,000 profiles), loaded by the real loader,
/// normalised and scored once for every test that needs it.
fn scored_base() -> &'static Mutex<ScoredBase> {
    static BASE: OnceLock<Mutex<ScoredBase>> = OnceLock::new();
    BASE.get_or_init(|| {
        let printer = Printer::silent();
        let dir = tempfile::tempdir().unwrap();
        let config = GeneratorConfig {
            profiles: 3_000,
            seed: 7,
            ..GeneratorConfig::default()
        };
        generate(&config).unwrap().write(dir.path(), false).unwrap();
        let settings = Settings::default();
        let loaded =
            load::load_exports(&[dir.path().join("export.csv")], &settings.load, &printer).unwrap();
        let profiles = load::profiles_from_frame(&loaded.frame).unwrap();
        let mut settings = MatchSettings {
            reference_date: Some(reference_date()),
            // Enough for u on 3,000 profiles, and quick in a debug build.
            u_sample_pairs: 200_000,
            ..settings.matching
        };
        let options = MatchOptions {
            keep_all_pairs: true,
            ..MatchOptions::default()
        };
        let (records, _, matching) =
            pipeline::match_profiles(&profiles, &mut settings, options, &printer).unwrap();
        Mutex::new(ScoredBase {
            profiles,
            records,
            scored: matching.scored,
            settings,
        })
    })
}

/// Clustering settings a user may choose.
fn clustering_settings() -> impl Strategy<Value = (f64, usize, Vec<Contradiction>, bool)> {
    (
        0.3f64..0.999,
        2usize..=8,
        proptest::sample::subsequence(Contradiction::ALL.to_vec(), 0..=Contradiction::ALL.len()),
        any::<bool>(),
    )
}

fn with_clustering(
    base: &MatchSettings,
    (threshold, max_cluster_size, guards, father_son_guard): (f64, usize, Vec<Contradiction>, bool),
) -> MatchSettings {
    MatchSettings {
        threshold,
        max_cluster_size,
        contradiction_guards: guards,
        father_son_guard,
        ..base.clone()
    }
}

/// Whether a member of `one` and a member of `other` cannot be one person
/// by the guards.
fn contradicting(
    records: &[NormalizedRecord],
    guards: &[Contradiction],
    one: &[u32],
    other: &[u32],
) -> bool {
    one.iter().any(|&x| {
        other.iter().any(|&y| {
            cluster::contradiction(&records[x as usize], &records[y as usize], guards).is_some()
        })
    })
}

/// Two groups a link may not join: together they are above the cap, or a
/// member of one contradicts a member of the other.
fn kept_apart(
    records: &[NormalizedRecord],
    settings: &MatchSettings,
    one: &[u32],
    other: &[u32],
) -> bool {
    one.len() + other.len() > settings.max_cluster_size
        || contradicting(records, &settings.contradiction_guards, one, other)
}

fn check_clustering(
    base: &ScoredBase,
    settings: &MatchSettings,
    clustering: &Clustering,
) -> Result<(), TestCaseError> {
    let row_of: HashMap<&str, u32> = base
        .profiles
        .iter()
        .enumerate()
        .map(|(row, profile)| (profile.user_id.as_str(), row as u32))
        .collect();
    // Each row's group: its cluster, or itself alone.
    let mut group_of: Vec<usize> = (0..base.profiles.len())
        .map(|row| clustering.clusters.len() + row)
        .collect();
    for (index, cluster) in clustering.clusters.iter().enumerate() {
        let members = &cluster.members;
        prop_assert!(members.len() >= 2, "{}", cluster.cluster_id);
        prop_assert!(
            members.len() <= settings.max_cluster_size,
            "{} has {}",
            cluster.cluster_id,
            members.len()
        );
        prop_assert!(
            members.windows(2).all(|w| w[0] < w[1]),
            "{}",
            cluster.cluster_id
        );
        for &member in members {
            prop_assert!(
                group_of[member as usize] >= clustering.clusters.len(),
                "row {member} is in two clusters"
            );
            group_of[member as usize] = index;
        }
        // A spanning tree of links at or above the threshold.
        prop_assert_eq!(
            cluster.evidence.len(),
            members.len() - 1,
            "{}",
            &cluster.cluster_id
        );
        let mut component: BTreeMap<u32, u32> = members.iter().map(|&m| (m, m)).collect();
        fn root(component: &BTreeMap<u32, u32>, mut row: u32) -> u32 {
            while component[&row] != row {
                row = component[&row];
            }
            row
        }
        for link in &cluster.evidence {
            // Links are kept by weight; the threshold's weight, turned
            // back into a probability, may differ from it in the last bit.
            prop_assert!(
                link.probability >= settings.threshold - 1e-12,
                "{}: {} / {} at {}",
                cluster.cluster_id,
                link.left,
                link.right,
                link.probability
            );
            let (x, y) = (row_of[link.left.as_str()], row_of[link.right.as_str()]);
            prop_assert!(
                component.contains_key(&x) && component.contains_key(&y),
                "{}: a link outside",
                cluster.cluster_id
            );
            let (x, y) = (root(&component, x), root(&component, y));
            prop_assert!(x != y, "{}: a link closes a cycle", cluster.cluster_id);
            component.insert(x, y);
        }
        let lowest = cluster
            .evidence
            .iter()
            .map(|link| link.probability)
            .fold(1.0, f64::min);
        prop_assert_eq!(cluster.min_probability, lowest);
        prop_assert!(
            !contradicting(
                &base.records,
                &settings.contradiction_guards,
                members,
                members
            ),
            "{} holds a contradiction",
            cluster.cluster_id
        );
    }
    // Nothing more could have been joined.
    let threshold = weight_of_probability(settings.threshold);
    let groups: Vec<Vec<u32>> = {
        let mut groups: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
        for (row, &group) in group_of.iter().enumerate() {
            groups.entry(group).or_default().push(row as u32);
        }
        let mut by_row = vec![Vec::new(); base.profiles.len()];
        for members in groups.into_values() {
            for &row in &members {
                by_row[row as usize] = members.clone();
            }
        }
        by_row
    };
    for pair in &base.scored.pairs {
        let linkable = pair.weight >= threshold
            && !(settings.father_son_guard
                && cluster::rests_on_names_a_father_and_son_share(
                    &base.records,
                    &base.scored,
                    pair,
                ));
        let (x, y) = (pair.left as usize, pair.right as usize);
        if linkable && group_of[x] != group_of[y] {
            prop_assert!(
                kept_apart(&base.records, settings, &groups[x], &groups[y]),
                "{} / {} (p {}) could join their groups",
                base.profiles[x].user_id,
                base.profiles[y].user_id,
                pair.probability()
            );
        }
    }
    Ok(())
}

/// Clusters as (id, user_ids).
type ClustersByUserId = BTreeSet<(String, BTreeSet<String>)>;

fn clusters_by_user_id(clustering: &Clustering, profiles: &[Profile]) -> ClustersByUserId {
    clustering
        .clusters
        .iter()
        .map(|cluster| {
            let members = cluster
                .members
                .iter()
                .map(|&member| profiles[member as usize].user_id.to_string())
                .collect();
            (cluster.cluster_id.to_string(), members)
        })
        .collect()
}

/// The base's clusters, then those of the same profiles and scores with
/// row `order[i]` moved to row `i`. The base is left as it was.
fn clusters_before_and_after_shuffle(
    base: &mut ScoredBase,
    settings: &MatchSettings,
    order: &[u32],
) -> Result<(ClustersByUserId, ClustersByUserId), TestCaseError> {
    prop_assert_eq!(order.len(), base.profiles.len());
    let printer = Printer::silent();
    let expected = clusters_by_user_id(
        &cluster::cluster_pairs(
            &base.profiles,
            &base.records,
            &base.scored,
            settings,
            &printer,
        ),
        &base.profiles,
    );
    let mut new_row = vec![0u32; order.len()];
    for (row, &old) in order.iter().enumerate() {
        new_row[old as usize] = row as u32;
    }
    let profiles: Vec<Profile> = order
        .iter()
        .map(|&old| base.profiles[old as usize].clone())
        .collect();
    let records: Vec<NormalizedRecord> = order
        .iter()
        .enumerate()
        .map(|(row, &old)| NormalizedRecord {
            row: row as u32,
            ..base.records[old as usize].clone()
        })
        .collect();
    let mut pairs: Vec<_> = base
        .scored
        .pairs
        .iter()
        .map(|pair| {
            let (x, y) = (new_row[pair.left as usize], new_row[pair.right as usize]);
            sailmerge::score::ScoredPair {
                left: x.min(y),
                right: x.max(y),
                ..pair.clone()
            }
        })
        .collect();
    pairs.sort_by_key(|pair| (pair.left, pair.right));
    let original = std::mem::replace(&mut base.scored.pairs, pairs);
    let shuffled = cluster::cluster_pairs(&profiles, &records, &base.scored, settings, &printer);
    base.scored.pairs = original;
    Ok((expected, clusters_by_user_id(&shuffled, &profiles)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn clusters_partition_their_rows_within_the_cap_on_links_above_the_threshold(
        chosen in clustering_settings(),
    ) {
        let base = scored_base().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let settings = with_clustering(&base.settings, chosen);
        let clustering = cluster::cluster_pairs(&base.profiles, &base.records, &base.scored, &settings, &Printer::silent());
        prop_assert!(!clustering.clusters.is_empty());
        check_clustering(&base, &settings, &clustering)?;
    }

    /// The same scores on shuffled rows give the same clusters, by
    /// user_id and with the same ids, even where a component split meets
    /// links of equal weight (they replay in user_id order).
    #[test]
    fn the_same_scores_give_the_same_clusters_whatever_the_row_order(
        chosen in clustering_settings(),
        order in Just((0..3_000u32).collect::<Vec<u32>>()).prop_shuffle(),
    ) {
        let mut base = scored_base().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let settings = with_clustering(&base.settings, chosen);
        let (expected, found) = clusters_before_and_after_shuffle(&mut base, &settings, &order)?;
        prop_assert!(
            expected == found,
            "only before the shuffle: {:?}; only after: {:?}",
            expected.difference(&found).collect::<Vec<_>>(),
            found.difference(&expected).collect::<Vec<_>>()
        );
    }
}
