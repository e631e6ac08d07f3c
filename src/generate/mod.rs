//! `sailmerge gen`: a synthetic Sailplay base with known duplicates, made to
//! be at least as hard as real Russian loyalty exports, so that matching can
//! be measured (`sailmerge eval`) before it is trusted on a real base.
//!
//! # Output
//! `DIR/export.csv` with Sailplay's export columns (`user_id, origin_user_id,
//! phone, email, first_name, middle_name, last_name, birth_date, sex,
//! register_date, points`), ordered by `user_id`, which grows with the
//! register date as in Sailplay; `DIR/truth.csv` (`user_id,entity_id`, every
//! profile); `DIR/generation.json` (the counts below, measured on the files,
//! and how often near-identical names, phones and logins join one person or
//! different people);
//! with `--annotations`, `DIR/annotations.csv` (per profile: entity, group,
//! hard-negative kind, variation kinds) for error analysis.
//! The same seed and flags give byte-identical files on any machine and any
//! number of threads: the base is cut into chunks of `CHUNK_PROFILES`
//! profiles, each drawn from its own ChaCha8 stream (key = seed, stream =
//! chunk index), then joined in chunk order.
//!
//! # Invariants Sailplay enforces, kept strictly
//! No two profiles share a phone (compared as the national number, so one
//! number in two formats counts once), an email (compared lower-cased) or an
//! `origin_user_id`. Duplicates are therefore near-duplicates. A collision
//! left by the random draws (two people picking `ivanov85@mail.ru`) is
//! repaired as the provider would have forced: digits appended to the login,
//! or a fresh number; `generation.json` counts the repairs.
//! "Exact repeats" (`joined_repeat`, 3 % of duplicate profiles) copy every
//! non-identifier field of the first profile (names, birth date, sex,
//! register date, points) and carry only the identifiers it lacks, or a card
//! alone: the shape an export joined from two systems takes when the base
//! keeps identifiers unique.
//!
//! # People and clusters (defaults; flags in brackets)
//! Each person gets one profile, or with probability 0.20
//! (`--duplicate-rate`) 2 (75 %), 3 (15 %), 4 (5.5 %), 5 (2.5 %), 6 (1.2 %)
//! or 7-9 (0.8 %).
//! Sex: 56 % women. Names: weighted first names of each sex, patronymic from
//! a weighted father's name by the spelling rules, surname Zipf-weighted with
//! a composed long tail (35 %), gendered. Birth dates: ages 16-88, most
//! 25-50. Register dates 2012-2025, skewed to recent years, 0.2 % junk
//! before 1971. Cards (`origin_user_id`) on 70 % of profiles. Points.
//!
//! # Identifiers of a person's profiles
//! The first profile is registered with phone and email (55 %), phone only
//! (30 %, a store) or email only (15 %, a web shop). A later profile takes
//! the identifier the first lacked with probability 0.8 (`split_channel`);
//! otherwise its phone is the main one with a substituted digit (8 %), two
//! adjacent digits swapped (5 %), a different number (25 %) or none, and its
//! email is a gmail dot/`+tag` alias or a yandex.ru/ya.ru/yandex.com alias
//! (7 % where the provider has them), a one-edit login typo (5 %, 12 % where
//! the provider has no alias), a domain typo such as mail.ry or gmial.com
//! (4 %), a different mailbox (24 %) or none. An alias the person already
//! holds on another profile is dropped, as Sailplay would refuse it. 14 % of
//! phones are written in other systems' formats (`+7 (916) 123-45-67`,
//! `8-916-...`, `8916...`, `+7916...`, `916...`).
//!
//! # Data-entry variations of every profile (first and later alike)
//! Probabilities per profile, all scaled by `--noise` (default 1.0):
//! missing patronymic 35 %, missing birth date 30 %, missing sex 20 %,
//! diminutive 7 % (Саша, Женя, Катя), spelling variant 30 % where one exists
//! (Наталия, Артем), ё written е 60 % where there is one, one-letter typo
//! 3.5 %, transliteration 3.5 % (passport ICAO Iuliia, GOST Yuliya, informal
//! Yulia/Alexandr, or the English Julia), wrong keyboard layout 0.8 % (Bdfy),
//! first and last name swapped 3 %, full name typed into first_name 2.5 %,
//! names missing 3 %, placeholder name 1 % (`Покупатель`), case/whitespace
//! noise 8 % (3 % for emails), placeholder birth date 1 % (1900-01-01,
//! 1971-01-01), day and month swapped 4 % where valid, birth year typo 1.5 %,
//! and for women's later profiles another surname 4 % (maiden/married).
//!
//! # Hard negatives: people who must not be linked
//! A share 0.10 of people (`--hard-negative-rate`) come in groups, by weight:
//! spouses 30 (shared gendered surname, sequential or near phone numbers, one
//! mail domain with a family login petrov84@/petrova84@, often the same
//! register day), namesakes 18 (2-4 people with a common first name and
//! surname, 30 % also the same patronymic), father and son 8 (the same full
//! name such as Иван Иванович Иванов, 21-35 years apart, mailbox family
//! ivanov.ivan@/ivanov.ivan03@, half with neighbouring phones), twins 6 (same
//! surname, patronymic and birth date, different first names), phone
//! neighbours 12 (numbers one substituted digit or one swap apart), recycled
//! phone 10 (the number of an old profile now held by a new subscriber; the
//! old profile keeps a mail.ru mailbox named after the number, or a copy of
//! it with one digit wrong), placeholder 16 (a till profile `Покупатель`/
//! `Гость`/`Test`, phone only, often 1900-01-01: many different people who
//! look alike; their other profiles, if any, carry their real names).
//! People in these groups get duplicates like anyone else.
//!
//! # Real-base habits (`--hardening`, default 1)
//! Properties that real loyalty bases show and the first model lacked or
//! had too little of. Each rate below is at `--hardening 1` and scales with
//! it; data-entry habits scale with `--noise` too. `--hardening 0` draws
//! none of them (not even a random number), so that it gives the first
//! model byte for byte: the model `datasets/demo` was made with.
//! Each habit has its annotation kind and its count in `generation.json`.
//! - `sex_wrong`: the sex field names the other sex on 3 % of women's and
//!   1.5 % of men's profiles that carry one (about 2 % of all profiles): a
//!   till's default of 1, a cashier's slip, and, for half of those whose
//!   name has a short form both sexes share, that form as the first name
//!   (Саша, Женя, Валя). Names and patronymic keep the true sex
//!   (Екатерина Денисовна with sex 1).
//! - `store_profile`: a profile with a phone and a first name only (no
//!   surname, patronymic, birth date or e-mail), often the short form the
//!   customer gave (12 %): 45 % of phone-only first profiles (about 13 %
//!   of people) and 15 % of later profiles. A later one takes the main
//!   number if no profile holds it, else its phone variant or a mistyped
//!   copy.
//! - `phone_two_typos`: 5 % of people with two or more profiles (and a
//!   phone) have two profiles carrying two different one-digit errors of
//!   the main number, at different positions: each one edit from it, two
//!   from each other. With two profiles, the first is one of them.
//! - `maiden_married`: 8 % of women with two or more profiles have two
//!   surnames, drawn like anyone's; the first profile carries one (her
//!   maiden or her married name: both orders are equally likely, as
//!   profiles are made before and after a wedding), each later one the
//!   other with probability 0.7. `double_barrelled_surname`: for a quarter
//!   of them, 40 % of those later profiles show both joined by a hyphen, in
//!   either order (Иванова-Петрова). This is on top of the first model's
//!   4 % `surname_changed` later profiles.
//! - Common logins: 30 % of mailboxes (first and changed ones) are bare
//!   name-derived logins without the digits that keep a login unique at one
//!   provider: first name + year (natalia1982, natalia82), surname + year
//!   (ivanova85), initial + surname (a.ivanova, aivanova), first.surname.
//!   Many people then hold one login at different providers; one provider
//!   refuses a login twice, so a collision at one inbox gets digits, as
//!   before. `email_login_other_domain`: 30 % of later profiles whose
//!   mailbox changed keep their login at another provider or a sister
//!   domain (ivanova85@mail.ru, then ivanova85@bk.ru).
//! - One inbox per person: an address reaching an inbox another person
//!   holds (ivan.petrov@ / ivanpetrov@gmail.com, i-petrov@yandex.ru /
//!   i.petrov@ya.ru) gets digits, as the provider never gave it out.
//! - Dense numbering: 70 % of new numbers come from the home region's
//!   operators: 25 DEF codes of Moscow × 4 millions-blocks each (10^8
//!   numbers), the rest uniform over the 10^9 mobile numbers. Unrelated
//!   customers' numbers one digit apart then grow with the base as in a
//!   regional chain's (`contact_evidence` in `generation.json` counts them).
//!
//! A further share `--hard-negative-rate × --hardening` of people (10 % by
//! default, so 20 % in groups in all) come in groups of these kinds, by
//! weight:
//! - `family` 25: parents (one gendered surname) and one or two grown
//!   children (the father's patronymic) on SIM cards bought together:
//!   consecutive numbers (60 %) or numbers within one hundred; half of the
//!   families keep one login habit at one provider (e.dmitrieva@,
//!   m.dmitrieva@, a.dmitriev@).
//! - `family_mailboxes` 20: two or three relatives (mother and daughters,
//!   sisters: 70 % women; else brothers, or a father and sons with other
//!   first names) at one provider whose logins differ in a character or
//!   two: an initial (e.dmitrieva@ / m.dmitrieva@, 50 %), a counter
//!   (dmitrieva1@ / dmitrieva2@, 20 %), the birth year (15 %), the first
//!   name (15 %); 30 % also hold consecutive numbers.
//! - `relatives` 15: two or three siblings or cousins with one surname and
//!   patronymic, other first names, born within twelve years, and no
//!   identifier in common.
//! - `father_son_undated` 10: a father and son of one full name, each with
//!   his own mailbox, one of them (the son 60 %) giving no birth date on
//!   any profile; 60 % hold numbers differing in the last digit.
//! - `shared_login` 20: two or three people holding one bare name-derived
//!   login at different providers or sister domains: the same first name
//!   (or, for initial + surname, half of the time another name with that
//!   initial), the same surname where the login has it, the same birth
//!   year where it has it (two Натальи born 1982: natalia1982@gmail.com,
//!   natalia1982@rambler.ru).
//! - `phone_block` 10: four to twelve unrelated people whose numbers share
//!   all but the last two digits: a corporate block (60 %: consecutive
//!   numbers, mailboxes at the employer's domain, working ages) or a
//!   dealer's batch (numbers scattered within the hundred).
//!
//! These rates are what a real regional loyalty base plausibly holds; they
//! were not chosen to make any matching engine look better or worse.

mod contact;
mod names;
mod population;
mod text;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use anyhow::{Context, Result, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::fsutil::write_atomically;
use crate::profile::Field;
use population::{Chunk, EntityMeta, GroupMeta, Row};

pub use contact::format_phone;
pub use names::{Sex, patronymic};

/// Profiles per random stream. Fixed, so that the output does not depend on
/// the number of threads.
pub const CHUNK_PROFILES: usize = 8192;

/// What to generate; see the module documentation for the model.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratorConfig {
    pub profiles: usize,
    pub seed: u64,
    /// Probability that a person has two or more profiles.
    pub duplicate_rate: f64,
    /// Share of people generated inside hard-negative groups.
    pub hard_negative_rate: f64,
    /// Multiplier on every variation probability; 0 gives clean copies.
    pub noise: f64,
    /// Multiplier on the rates of the properties of real bases added after
    /// the first model (see "Real-base habits"); 0 gives the first model,
    /// byte for byte (`datasets/demo` was made with it).
    pub hardening: f64,
}

impl Default for GeneratorConfig {
    fn default() -> GeneratorConfig {
        GeneratorConfig {
            profiles: 10_000,
            seed: 1,
            duplicate_rate: 0.20,
            hard_negative_rate: 0.10,
            noise: 1.0,
            hardening: 1.0,
        }
    }
}

impl GeneratorConfig {
    /// Every problem with the settings at once, naming the flag.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.profiles == 0 {
            problems.push("--profiles must be at least 1".to_string());
        }
        if !(0.0..=1.0).contains(&self.duplicate_rate) {
            problems.push(format!(
                "--duplicate-rate must be in [0, 1], got {}",
                self.duplicate_rate
            ));
        }
        if !(0.0..1.0).contains(&self.hard_negative_rate) {
            problems.push(format!(
                "--hard-negative-rate must be in [0, 1), got {}",
                self.hard_negative_rate
            ));
        }
        if !(0.0..=5.0).contains(&self.noise) {
            problems.push(format!("--noise must be in [0, 5], got {}", self.noise));
        }
        if !(0.0..=3.0).contains(&self.hardening) {
            problems.push(format!(
                "--hardening must be in [0, 3], got {}",
                self.hardening
            ));
        } else if self.hard_negative_rate * (1.0 + self.hardening) >= 1.0 {
            problems.push(format!(
                "--hard-negative-rate × (1 + --hardening) is the share of people in hard-negative groups and must be below 1, got {} × {}",
                self.hard_negative_rate,
                1.0 + self.hardening
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("{}", problems.join("; "))
        }
    }
}

fn chunk_rng(seed: u64, chunk_index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(chunk_index as u64);
    rng
}

macro_rules! variations {
    ($($variant:ident => $name:literal,)*) => {
        /// A way in which a profile departs from its person's true data.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Variation { $($variant,)* }

        impl Variation {
            pub const ALL: &[Variation] = &[$(Variation::$variant,)*];

            /// The snake_case name used in `generation.json` and
            /// `annotations.csv`.
            pub fn name(self) -> &'static str {
                match self { $(Variation::$variant => $name,)* }
            }
        }
    };
}

variations! {
    SplitChannel => "split_channel",
    PhoneSubstitution => "phone_substitution",
    PhoneTransposition => "phone_transposition",
    PhoneChanged => "phone_changed",
    PhoneFormat => "phone_format",
    EmailEdit => "email_edit",
    EmailDots => "email_dots",
    EmailPlusTag => "email_plus_tag",
    EmailProviderAlias => "email_provider_alias",
    EmailDomainTypo => "email_domain_typo",
    EmailChanged => "email_changed",
    Transliteration => "transliteration",
    WrongLayout => "wrong_layout",
    Diminutive => "diminutive",
    SpellingVariant => "spelling_variant",
    NameTypo => "name_typo",
    SurnameChanged => "surname_changed",
    MissingMiddleName => "missing_middle_name",
    MissingNames => "missing_names",
    MissingBirthDate => "missing_birth_date",
    MissingSex => "missing_sex",
    SwappedFirstLast => "swapped_first_last",
    FullNameInOneField => "full_name_in_one_field",
    YoAsYe => "yo_as_ye",
    CaseWhitespace => "case_whitespace",
    BirthDayMonthSwap => "birth_day_month_swap",
    BirthYearTypo => "birth_year_typo",
    PlaceholderName => "placeholder_name",
    PlaceholderBirthDate => "placeholder_birth_date",
    JoinedRepeat => "joined_repeat",
    SexWrong => "sex_wrong",
    StoreProfile => "store_profile",
    PhoneTwoTypos => "phone_two_typos",
    MaidenMarried => "maiden_married",
    DoubleBarrelledSurname => "double_barrelled_surname",
    EmailLoginOtherDomain => "email_login_other_domain",
}

/// A set of variations as a bit set, so that a row stays small.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VariationSet(u64);

impl VariationSet {
    pub fn insert(&mut self, variation: Variation) {
        self.0 |= 1 << variation as u64;
    }

    pub fn contains(self, variation: Variation) -> bool {
        self.0 & (1 << variation as u64) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Variation> {
        Variation::ALL
            .iter()
            .copied()
            .filter(move |v| self.contains(*v))
    }
}

/// The kinds of groups of different people that look like duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HardNegativeKind {
    Spouses,
    Namesakes,
    FatherSon,
    Twins,
    PhoneNeighbours,
    RecycledPhone,
    Placeholder,
    Family,
    FamilyMailboxes,
    Relatives,
    FatherSonUndated,
    SharedLogin,
    PhoneBlock,
}

impl HardNegativeKind {
    pub const ALL: [HardNegativeKind; 13] = [
        HardNegativeKind::Spouses,
        HardNegativeKind::Namesakes,
        HardNegativeKind::FatherSon,
        HardNegativeKind::Twins,
        HardNegativeKind::PhoneNeighbours,
        HardNegativeKind::RecycledPhone,
        HardNegativeKind::Placeholder,
        HardNegativeKind::Family,
        HardNegativeKind::FamilyMailboxes,
        HardNegativeKind::Relatives,
        HardNegativeKind::FatherSonUndated,
        HardNegativeKind::SharedLogin,
        HardNegativeKind::PhoneBlock,
    ];

    /// The kinds of the first model, in a share `--hard-negative-rate` of
    /// people.
    const FIRST_MODEL: [HardNegativeKind; 7] = [
        HardNegativeKind::Spouses,
        HardNegativeKind::Namesakes,
        HardNegativeKind::FatherSon,
        HardNegativeKind::Twins,
        HardNegativeKind::PhoneNeighbours,
        HardNegativeKind::RecycledPhone,
        HardNegativeKind::Placeholder,
    ];

    /// The kinds added for real bases, in a further share
    /// `--hard-negative-rate × --hardening` of people.
    const REAL_BASE: [HardNegativeKind; 6] = [
        HardNegativeKind::Family,
        HardNegativeKind::FamilyMailboxes,
        HardNegativeKind::Relatives,
        HardNegativeKind::FatherSonUndated,
        HardNegativeKind::SharedLogin,
        HardNegativeKind::PhoneBlock,
    ];

    pub fn name(self) -> &'static str {
        match self {
            HardNegativeKind::Spouses => "spouses",
            HardNegativeKind::Namesakes => "namesakes",
            HardNegativeKind::FatherSon => "father_son",
            HardNegativeKind::Twins => "twins",
            HardNegativeKind::PhoneNeighbours => "phone_neighbours",
            HardNegativeKind::RecycledPhone => "recycled_phone",
            HardNegativeKind::Placeholder => "placeholder",
            HardNegativeKind::Family => "family",
            HardNegativeKind::FamilyMailboxes => "family_mailboxes",
            HardNegativeKind::Relatives => "relatives",
            HardNegativeKind::FatherSonUndated => "father_son_undated",
            HardNegativeKind::SharedLogin => "shared_login",
            HardNegativeKind::PhoneBlock => "phone_block",
        }
    }

    /// Relative frequency among the kinds of its model.
    fn weight(self) -> u32 {
        match self {
            HardNegativeKind::Spouses => 30,
            HardNegativeKind::Namesakes => 18,
            HardNegativeKind::FatherSon => 8,
            HardNegativeKind::Twins => 6,
            HardNegativeKind::PhoneNeighbours => 12,
            HardNegativeKind::RecycledPhone => 10,
            HardNegativeKind::Placeholder => 16,
            HardNegativeKind::Family => 25,
            HardNegativeKind::FamilyMailboxes => 20,
            HardNegativeKind::Relatives => 15,
            HardNegativeKind::FatherSonUndated => 10,
            HardNegativeKind::SharedLogin => 20,
            HardNegativeKind::PhoneBlock => 10,
        }
    }

    /// Mean number of people in a group of this kind.
    fn mean_people(self) -> f64 {
        match self {
            HardNegativeKind::Namesakes => 3.0,
            HardNegativeKind::Placeholder => 1.0,
            HardNegativeKind::Family => 3.5,
            HardNegativeKind::FamilyMailboxes
            | HardNegativeKind::Relatives
            | HardNegativeKind::SharedLogin => 2.5,
            HardNegativeKind::PhoneBlock => 8.0,
            _ => 2.0,
        }
    }

    fn draw_from(kinds: &[HardNegativeKind], rng: &mut impl Rng) -> HardNegativeKind {
        let total: u32 = kinds.iter().map(|kind| kind.weight()).sum();
        let mut roll = rng.random_range(0..total);
        for &kind in kinds {
            if roll < kind.weight() {
                return kind;
            }
            roll -= kind.weight();
        }
        kinds[kinds.len() - 1]
    }

    fn mean_people_of(kinds: &[HardNegativeKind]) -> f64 {
        let total: f64 = kinds.iter().map(|kind| f64::from(kind.weight())).sum();
        kinds
            .iter()
            .map(|kind| f64::from(kind.weight()) * kind.mean_people())
            .sum::<f64>()
            / total
    }
}

/// The probability that a drawn group is one of the first model's kinds,
/// and, when it is not, that it is one of the real-base kinds; chosen so
/// that shares `rate` and `rate × hardening` of people end up in such
/// groups. With group probabilities q and mean sizes s per family, the
/// shares are q·s / D with D = Σ q·s over all groups (lone people count 1),
/// which gives D = 1 / (r₁/s₁ + r₂/s₂ + 1 − r₁ − r₂) and q = r·D/s.
#[derive(Debug, Clone, Copy, PartialEq)]
struct GroupProbabilities {
    first_model: f64,
    real_base: f64,
}

impl GroupProbabilities {
    fn new(rate: f64, hardening: f64) -> GroupProbabilities {
        let first_mean = HardNegativeKind::mean_people_of(&HardNegativeKind::FIRST_MODEL);
        let real_rate = rate * hardening;
        if real_rate == 0.0 {
            // The first model's formula, kept to the bit so that
            // `--hardening 0` draws exactly as it did.
            return GroupProbabilities {
                first_model: (rate / (first_mean * (1.0 - rate) + rate)).clamp(0.0, 1.0),
                real_base: 0.0,
            };
        }
        let real_mean = HardNegativeKind::mean_people_of(&HardNegativeKind::REAL_BASE);
        let d = 1.0 / (rate / first_mean + real_rate / real_mean + 1.0 - rate - real_rate);
        let first_model = (rate * d / first_mean).clamp(0.0, 1.0);
        let real_base = real_rate * d / real_mean;
        GroupProbabilities {
            first_model,
            real_base: (real_base / (1.0 - first_model)).clamp(0.0, 1.0),
        }
    }
}

/// The generated base, before it is written.
pub struct GeneratedBase {
    pub config: GeneratorConfig,
    rows: Vec<Row>,
    entities: Vec<EntityMeta>,
    groups: Vec<GroupMeta>,
    /// Row indices in export order.
    order: Vec<usize>,
    /// `user_id` of each row (by row index).
    user_ids: Vec<u64>,
    pub repairs: UniquenessRepairs,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct UniquenessRepairs {
    pub phone: usize,
    pub email: usize,
    pub origin_user_id: usize,
}

/// Generates the base in memory; deterministic for a config.
pub fn generate(config: &GeneratorConfig) -> Result<GeneratedBase> {
    config.validate()?;
    let chunk_count = config.profiles.div_ceil(CHUNK_PROFILES);
    let chunks: Vec<Chunk> = (0..chunk_count)
        .into_par_iter()
        .map(|index| {
            let quota = CHUNK_PROFILES.min(config.profiles - index * CHUNK_PROFILES);
            population::generate_chunk(index, quota, config)
        })
        .collect();

    let mut rows = Vec::with_capacity(config.profiles);
    let mut entities = Vec::new();
    let mut groups = Vec::new();
    for chunk in chunks {
        let entity_offset = entities.len() as u32;
        let group_offset = groups.len() as u32;
        rows.extend(chunk.rows.into_iter().map(|mut row| {
            row.entity += entity_offset;
            row
        }));
        entities.extend(chunk.entities.into_iter().map(|mut entity| {
            entity.group += group_offset;
            entity
        }));
        groups.extend(chunk.groups);
    }

    let repairs = enforce_uniqueness(&mut rows, config.seed, config.hardening > 0.0);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&index| (rows[index].register_date, rows[index].order_key, index));
    let mut user_ids = vec![0; rows.len()];
    let mut next_user_id: u64 = 10_000_000;
    for &index in &order {
        // Gaps as left by deleted and merged profiles.
        next_user_id += 1 + u64::from(rows[index].order_key % 4);
        user_ids[index] = next_user_id;
    }
    Ok(GeneratedBase {
        config: config.clone(),
        rows,
        entities,
        groups,
        order,
        user_ids,
        repairs,
    })
}

fn stable_hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Makes phone (national number), lower-cased email and origin_user_id
/// unique across the base, in row order: a later holder of a taken value
/// gets a fresh number, or digits appended to the login, as Sailplay's
/// uniqueness check would have forced at registration. With
/// `one_inbox_per_person`, an address reaching an inbox another person
/// already holds (ivan.petrov@ and ivanpetrov@gmail.com) is repaired the
/// same way, as the provider would never have given it out; a person's own
/// aliases stay. The first model did not check inboxes.
fn enforce_uniqueness(
    rows: &mut [Row],
    seed: u64,
    one_inbox_per_person: bool,
) -> UniquenessRepairs {
    let mut rng = chunk_rng(seed, usize::MAX);
    let mut repairs = UniquenessRepairs::default();
    let mut phones = HashSet::with_capacity(rows.len());
    let mut emails = HashSet::with_capacity(rows.len());
    let mut inboxes: HashMap<u64, u32> = HashMap::new();
    let mut origins = HashSet::with_capacity(rows.len());
    for row in rows.iter_mut() {
        if let Some(phone) = row.phone.as_mut() {
            while !phones.insert(phone.national) {
                phone.national = contact::random_mobile(&mut rng);
                repairs.phone += 1;
            }
        }
        if let Some(email) = row.email.as_mut() {
            loop {
                let text = stable_hash(&email.to_lowercase());
                let inbox = one_inbox_per_person.then(|| stable_hash(&contact::mailbox_key(email)));
                let inbox_free = inbox.is_none_or(|inbox| {
                    inboxes
                        .get(&inbox)
                        .is_none_or(|&holder| holder == row.entity)
                });
                if inbox_free && emails.insert(text) {
                    if let Some(inbox) = inbox {
                        inboxes.entry(inbox).or_insert(row.entity);
                    }
                    break;
                }
                let at = email.rfind('@').unwrap_or(email.len());
                // Digits after a +tag would not change the inbox.
                let at = match email[..at].find('+') {
                    Some(plus) if one_inbox_per_person => plus,
                    _ => at,
                };
                email.insert_str(at, &rng.random_range(1..1000).to_string());
                repairs.email += 1;
            }
        }
        if let Some(origin) = row.origin_user_id.as_mut() {
            while !origins.insert(*origin) {
                *origin = 2_990_000_000_000 + rng.random_range(0..10_000_000_000);
                repairs.origin_user_id += 1;
            }
        }
    }
    repairs
}

fn push_csv_field(out: &mut String, value: &str) {
    if value
        .bytes()
        .any(|byte| matches!(byte, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn push_date(out: &mut String, date: chrono::NaiveDate) {
    use chrono::Datelike;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    );
}

impl GeneratedBase {
    pub fn profiles(&self) -> usize {
        self.rows.len()
    }

    fn entity_id(&self, row: &Row) -> u32 {
        row.entity + 1
    }

    fn render_export_row(&self, index: usize, out: &mut String) {
        let row = &self.rows[index];
        let _ = write!(out, "{},", self.user_ids[index]);
        if let Some(origin) = row.origin_user_id {
            let _ = write!(out, "{origin}");
        }
        out.push(',');
        if let Some(phone) = row.phone {
            format_phone(phone.national, phone.format, out);
        }
        out.push(',');
        if let Some(email) = &row.email {
            push_csv_field(out, email);
        }
        for name in [&row.first_name, &row.middle_name, &row.last_name] {
            out.push(',');
            push_csv_field(out, name);
        }
        out.push(',');
        if let Some(birth) = row.birth_date {
            push_date(out, birth);
        }
        out.push(',');
        if let Some(sex) = row.sex {
            out.push_str(sex.code());
        }
        out.push(',');
        push_date(out, row.junk_register_date.unwrap_or(row.register_date));
        let _ = writeln!(out, ",{}", row.points);
    }

    /// Streams rows in export order: batches rendered in parallel blocks,
    /// written in order, so that memory holds one batch of text at a time.
    fn stream_rows(
        &self,
        out: &mut dyn std::io::Write,
        header: &str,
        render: impl Fn(usize, &mut String) + Sync,
    ) -> std::io::Result<()> {
        const BATCH_ROWS: usize = 1 << 18;
        const BLOCK_ROWS: usize = 1 << 14;
        out.write_all(header.as_bytes())?;
        out.write_all(b"\n")?;
        for batch in self.order.chunks(BATCH_ROWS) {
            let blocks: Vec<String> = batch
                .par_chunks(BLOCK_ROWS)
                .map(|indices| {
                    let mut block = String::with_capacity(indices.len() * 128);
                    for &index in indices {
                        render(index, &mut block);
                    }
                    block
                })
                .collect();
            for block in blocks {
                out.write_all(block.as_bytes())?;
            }
        }
        Ok(())
    }

    fn write_export(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let header = Field::NAMES.join(",");
        self.stream_rows(out, &header, |index, text| {
            self.render_export_row(index, text)
        })
    }

    /// Writes export.csv, truth.csv, generation.json (and annotations.csv
    /// when asked) into `dir`, each atomically; returns the summary.
    pub fn write(&self, dir: &Path, annotations: bool) -> Result<GenerationSummary> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output directory {}", dir.display()))?;
        write_atomically(&dir.join("export.csv"), |out| self.write_export(out))?;
        write_atomically(&dir.join("truth.csv"), |out| {
            self.stream_rows(out, "user_id,entity_id", |index, text| {
                let _ = writeln!(
                    text,
                    "{},{}",
                    self.user_ids[index],
                    self.entity_id(&self.rows[index])
                );
            })
        })?;
        if annotations {
            write_atomically(&dir.join("annotations.csv"), |out| {
                self.stream_rows(
                    out,
                    "user_id,entity_id,group_id,hard_negative,variations",
                    |index, text| {
                        let row = &self.rows[index];
                        let group = self.entities[row.entity as usize].group;
                        let kind = self.groups[group as usize]
                            .kind
                            .map_or("", HardNegativeKind::name);
                        let variations: Vec<&str> =
                            row.variations.iter().map(Variation::name).collect();
                        let _ = writeln!(
                            text,
                            "{},{},{},{},{}",
                            self.user_ids[index],
                            self.entity_id(row),
                            group + 1,
                            kind,
                            variations.join("|")
                        );
                    },
                )
            })?;
        }
        let summary = self.summary();
        let mut json =
            serde_json::to_string_pretty(&summary).context("cannot serialise the summary")?;
        json.push('\n');
        crate::fsutil::write_bytes_atomically(&dir.join("generation.json"), json.as_bytes())?;
        Ok(summary)
    }

    /// Counts measured on the generated rows (after the last chunk was
    /// truncated to the requested size).
    pub fn summary(&self) -> GenerationSummary {
        let mut profiles_per_entity: HashMap<u32, usize> = HashMap::new();
        for row in &self.rows {
            *profiles_per_entity.entry(row.entity).or_default() += 1;
        }
        let mut cluster_sizes = BTreeMap::new();
        let mut true_pairs = 0u64;
        for &size in profiles_per_entity.values() {
            *cluster_sizes.entry(size).or_insert(0usize) += 1;
            true_pairs += (size * (size - 1) / 2) as u64;
        }
        let mut variations: BTreeMap<&'static str, VariationCount> = Variation::ALL
            .iter()
            .map(|v| (v.name(), VariationCount::default()))
            .collect();
        for row in &self.rows {
            let duplicated = profiles_per_entity[&row.entity] >= 2;
            for variation in row.variations.iter() {
                let count = variations
                    .get_mut(variation.name())
                    .expect("every variation");
                count.all_profiles += 1;
                if duplicated {
                    count.in_duplicated_entities += 1;
                }
            }
        }
        let mut people_per_group: HashMap<u32, usize> = HashMap::new();
        for entity in profiles_per_entity.keys() {
            *people_per_group
                .entry(self.entities[*entity as usize].group)
                .or_default() += 1;
        }
        let mut hard_negatives: BTreeMap<&'static str, HardNegativeCount> = HardNegativeKind::ALL
            .iter()
            .map(|kind| (kind.name(), HardNegativeCount::default()))
            .collect();
        for (group, people) in &people_per_group {
            let Some(kind) = self.groups[*group as usize].kind else {
                continue;
            };
            if kind != HardNegativeKind::Placeholder && *people < 2 {
                continue;
            }
            let count = hard_negatives.get_mut(kind.name()).expect("every kind");
            count.groups += 1;
            count.people += *people;
            count.people_pairs += (*people * (*people - 1) / 2) as u64;
        }
        let placeholder = hard_negatives
            .get_mut(HardNegativeKind::Placeholder.name())
            .expect("placeholder kind");
        placeholder.people_pairs =
            (placeholder.people * placeholder.people.saturating_sub(1) / 2) as u64;
        GenerationSummary {
            seed: self.config.seed,
            profiles: self.rows.len(),
            entities: profiles_per_entity.len(),
            entities_with_duplicates: profiles_per_entity.values().filter(|s| **s >= 2).count(),
            true_pairs,
            cluster_sizes,
            variations,
            hard_negatives,
            uniqueness_repairs: self.repairs,
            name_evidence: self.name_evidence(),
            contact_evidence: self.contact_evidence(),
            config: self.config.clone(),
        }
    }

    /// Near-identical phones and logins, counted by sorting: two numbers
    /// that differ only at digit d have the same key once d is blanked, and
    /// (numbers being unique) every pair in a run of one key differs there;
    /// a swap of digits d, d+1 leaves the number with those two sorted
    /// unchanged.
    fn contact_evidence(&self) -> ContactEvidence {
        let phones: Vec<(u64, u32)> = self
            .rows
            .iter()
            .filter_map(|row| row.phone.map(|phone| (phone.national, row.entity)))
            .collect();
        let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(phones.len());
        let mut one_digit = PairCounts::default();
        let mut swapped = PairCounts::default();
        for position in 0..10u32 {
            let place = 10u64.pow(9 - position);
            keyed.clear();
            keyed.extend(
                phones.iter().map(|&(national, entity)| {
                    (national - (national / place % 10) * place, entity)
                }),
            );
            add_pairs_in_runs(&mut keyed, &mut one_digit);
            if position < 9 {
                let next = place / 10;
                keyed.clear();
                keyed.extend(phones.iter().filter_map(|&(national, entity)| {
                    let (high, low) = (national / place % 10, national / next % 10);
                    (high != low).then(|| {
                        let cleared = national - high * place - low * next;
                        (
                            cleared + high.min(low) * place + high.max(low) * next,
                            entity,
                        )
                    })
                }));
                add_pairs_in_runs(&mut keyed, &mut swapped);
            }
        }

        let mut by_login: HashMap<u64, u64> = HashMap::new();
        let mut by_login_inbox: HashMap<(u64, u64), u64> = HashMap::new();
        let mut by_login_entity: HashMap<(u64, u32), u64> = HashMap::new();
        let mut by_login_inbox_entity: HashMap<(u64, u64, u32), u64> = HashMap::new();
        for row in &self.rows {
            let Some(email) = &row.email else { continue };
            let lower = email.trim().to_lowercase();
            let login = lower
                .rsplit_once('@')
                .map_or(lower.as_str(), |(login, _)| login);
            let login_hash = stable_hash(login);
            let inbox_hash = stable_hash(&contact::mailbox_key(&lower));
            *by_login.entry(login_hash).or_default() += 1;
            *by_login_inbox.entry((login_hash, inbox_hash)).or_default() += 1;
            *by_login_entity.entry((login_hash, row.entity)).or_default() += 1;
            *by_login_inbox_entity
                .entry((login_hash, inbox_hash, row.entity))
                .or_default() += 1;
        }
        let pairs_in = |cells: &mut dyn Iterator<Item = u64>| -> u64 {
            cells.map(|n| n * n.saturating_sub(1) / 2).sum()
        };
        let same_login = pairs_in(&mut by_login.values().copied());
        let same_inbox = pairs_in(&mut by_login_inbox.values().copied());
        let same_login_entity = pairs_in(&mut by_login_entity.values().copied());
        let same_inbox_entity = pairs_in(&mut by_login_inbox_entity.values().copied());
        ContactEvidence {
            phones_one_digit_apart: one_digit,
            phones_adjacent_digits_swapped: swapped,
            same_login_other_domain: PairCounts {
                same_person: same_login_entity - same_inbox_entity,
                different_people: (same_login - same_inbox)
                    - (same_login_entity - same_inbox_entity),
            },
        }
    }

    /// How far exact names and birth dates go, counted combinatorially from
    /// cell sizes (pairs in a cell = n(n-1)/2), never by enumerating pairs.
    fn name_evidence(&self) -> NameEvidence {
        let fold = |name: &str| name.trim().to_lowercase().replace('ё', "е");
        let mut by_name: HashMap<u64, u64> = HashMap::new();
        let mut by_name_entity: HashMap<(u64, u32), u64> = HashMap::new();
        let mut by_name_birth: HashMap<u64, u64> = HashMap::new();
        let mut by_name_birth_entity: HashMap<(u64, u32), u64> = HashMap::new();
        for row in &self.rows {
            let (first, last) = (fold(&row.first_name), fold(&row.last_name));
            if first.is_empty() || last.is_empty() {
                continue;
            }
            let mut hasher = DefaultHasher::new();
            (&first, &last).hash(&mut hasher);
            let name = hasher.finish();
            *by_name.entry(name).or_default() += 1;
            *by_name_entity.entry((name, row.entity)).or_default() += 1;
            if let Some(birth) = row.birth_date {
                birth.hash(&mut hasher);
                let name_birth = hasher.finish();
                *by_name_birth.entry(name_birth).or_default() += 1;
                *by_name_birth_entity
                    .entry((name_birth, row.entity))
                    .or_default() += 1;
            }
        }
        let pairs_in = |cells: &mut dyn Iterator<Item = u64>| -> u64 {
            cells.map(|n| n * n.saturating_sub(1) / 2).sum()
        };
        let same_name = pairs_in(&mut by_name.values().copied());
        let same_name_same_person = pairs_in(&mut by_name_entity.values().copied());
        let same_name_birth = pairs_in(&mut by_name_birth.values().copied());
        let same_name_birth_same_person = pairs_in(&mut by_name_birth_entity.values().copied());
        NameEvidence {
            true_pairs_same_name_and_birth_date: same_name_birth_same_person,
            true_pairs_same_name_not_birth_date: same_name_same_person
                - same_name_birth_same_person,
            different_people_pairs_same_name: same_name - same_name_same_person,
            different_people_pairs_same_name_and_birth_date: same_name_birth
                - same_name_birth_same_person,
        }
    }
}

/// Sorts `keyed` (key, entity) and adds the pairs inside each run of one
/// key, split into pairs of one entity and of different entities.
fn add_pairs_in_runs(keyed: &mut [(u64, u32)], counts: &mut PairCounts) {
    keyed.par_sort_unstable();
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        let all = pairs(run.len() as u64);
        let same: u64 = run
            .chunk_by(|a, b| a.1 == b.1)
            .map(|cell| pairs(cell.len() as u64))
            .sum();
        counts.same_person += same;
        counts.different_people += all - same;
    }
}

/// Pairs of profiles, of one person and of different people, that share
/// a property; counted from cell sizes, never by enumerating pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PairCounts {
    pub same_person: u64,
    pub different_people: u64,
}

/// How often near-identical contacts join one person and how often they
/// join different people: the base rates a scorer's u and m must match.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ContactEvidence {
    /// Phones (national numbers) that differ in exactly one digit.
    pub phones_one_digit_apart: PairCounts,
    /// Phones that differ by two adjacent digits swapped.
    pub phones_adjacent_digits_swapped: PairCounts,
    /// E-mails with the same login (lower-cased, before `@`) at domains that
    /// are different inboxes.
    pub same_login_other_domain: PairCounts,
}

/// Pairs of profiles whose first and last names are equal after trimming,
/// lower-casing and folding ё to е (both non-empty), with or without an
/// equal birth date: how much of the truth exact names find, and how many
/// different people they would join.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NameEvidence {
    pub true_pairs_same_name_and_birth_date: u64,
    /// Same name, but a birth date missing on one side or different.
    pub true_pairs_same_name_not_birth_date: u64,
    pub different_people_pairs_same_name: u64,
    pub different_people_pairs_same_name_and_birth_date: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct VariationCount {
    /// Profiles showing the variation.
    pub all_profiles: usize,
    /// Of which belong to a person with two or more profiles.
    pub in_duplicated_entities: usize,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct HardNegativeCount {
    pub groups: usize,
    pub people: usize,
    /// Pairs of different people in these groups (for placeholders, pairs
    /// among all placeholder people).
    pub people_pairs: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct GenerationSummary {
    pub seed: u64,
    pub profiles: usize,
    pub entities: usize,
    pub entities_with_duplicates: usize,
    pub true_pairs: u64,
    /// Profiles per person → number of people.
    pub cluster_sizes: BTreeMap<usize, usize>,
    pub variations: BTreeMap<&'static str, VariationCount>,
    pub hard_negatives: BTreeMap<&'static str, HardNegativeCount>,
    pub uniqueness_repairs: UniquenessRepairs,
    pub name_evidence: NameEvidence,
    pub contact_evidence: ContactEvidence,
    pub config: GeneratorConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export_text(base: &GeneratedBase) -> Vec<u8> {
        let mut text = Vec::new();
        base.write_export(&mut text).unwrap();
        text
    }

    #[test]
    fn output_does_not_depend_on_the_number_of_threads() {
        let config = GeneratorConfig {
            profiles: 2 * CHUNK_PROFILES + 100,
            seed: 99,
            ..GeneratorConfig::default()
        };
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| generate(&config).unwrap());
        let several = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| generate(&config).unwrap());
        assert_eq!(single.profiles(), config.profiles);
        assert!(export_text(&single) == export_text(&several));
    }

    #[test]
    fn hard_negative_rate_is_the_share_of_people_in_groups() {
        for (rate, hardening) in [(0.05, 1.0), (0.10, 0.0), (0.10, 1.0), (0.30, 2.0)] {
            let config = GeneratorConfig {
                profiles: 40_000,
                hard_negative_rate: rate,
                hardening,
                ..GeneratorConfig::default()
            };
            let summary = generate(&config).unwrap().summary();
            let share = |kinds: &[HardNegativeKind]| {
                let people: usize = kinds
                    .iter()
                    .map(|kind| summary.hard_negatives[kind.name()].people)
                    .sum();
                people as f64 / summary.entities as f64
            };
            let first_model = share(&HardNegativeKind::FIRST_MODEL);
            let real_base = share(&HardNegativeKind::REAL_BASE);
            let close = |got: f64, wanted: f64| (got - wanted).abs() < 0.25 * wanted + 0.005;
            assert!(
                close(first_model, rate),
                "{rate} {hardening}: {first_model}"
            );
            assert!(
                close(real_base, rate * hardening),
                "{rate} {hardening}: {real_base}"
            );
        }
    }

    #[test]
    fn an_inbox_is_never_held_by_two_people_under_hardening() {
        let base = generate(&GeneratorConfig {
            profiles: 50,
            ..GeneratorConfig::default()
        })
        .unwrap();
        let mut rows: Vec<Row> = base.rows.iter().take(4).cloned().collect();
        let spellings = [
            "ivan.petrov@gmail.com",
            "ivanpetrov+shop@gmail.com",
            "i-petrov@yandex.ru",
            "i.petrov@ya.ru",
        ];
        for (index, (row, email)) in rows.iter_mut().zip(spellings).enumerate() {
            row.email = Some(email.to_string());
            // Rows 0 and 1 are one person, 2 and 3 two others.
            row.entity = [0, 0, 1, 2][index];
        }
        let mut first_model = rows.clone();
        assert_eq!(enforce_uniqueness(&mut first_model, 1, false).email, 0);
        let repairs = enforce_uniqueness(&mut rows, 1, true);
        assert_eq!(repairs.email, 1);
        // The person's own gmail alias stays; the other person's spelling
        // of a taken Yandex inbox gets digits, before any +tag.
        assert_eq!(rows[1].email.as_deref(), Some("ivanpetrov+shop@gmail.com"));
        assert_eq!(rows[2].email.as_deref(), Some("i-petrov@yandex.ru"));
        let repaired = rows[3].email.clone().unwrap();
        assert!(repaired.starts_with("i.petrov") && repaired.ends_with("@ya.ru"));
        assert_ne!(
            contact::mailbox_key(&repaired),
            contact::mailbox_key("i-petrov@yandex.ru")
        );
    }

    #[test]
    fn group_probabilities_keep_the_first_models_formula_at_hardening_zero() {
        let rate = 0.1;
        let mean = HardNegativeKind::mean_people_of(&HardNegativeKind::FIRST_MODEL);
        let first = GroupProbabilities::new(rate, 0.0);
        assert_eq!(first.first_model, rate / (mean * (1.0 - rate) + rate));
        assert_eq!(first.real_base, 0.0);
        // With both families, the expected shares of people are the rates.
        let both = GroupProbabilities::new(rate, 1.5);
        let real_mean = HardNegativeKind::mean_people_of(&HardNegativeKind::REAL_BASE);
        let q_first = both.first_model;
        let q_real = (1.0 - q_first) * both.real_base;
        let q_lone = 1.0 - q_first - q_real;
        let people = q_first * mean + q_real * real_mean + q_lone;
        assert!((q_first * mean / people - rate).abs() < 1e-12);
        assert!((q_real * real_mean / people - rate * 1.5).abs() < 1e-12);
    }

    #[test]
    fn contact_evidence_equals_counting_every_pair() {
        let base = generate(&GeneratorConfig {
            profiles: 3000,
            seed: 4,
            ..GeneratorConfig::default()
        })
        .unwrap();
        let evidence = base.contact_evidence();
        let digits = |n: u64| format!("{n:010}").into_bytes();
        let mut expected = ContactEvidence::default();
        let rows = &base.rows;
        for (i, left) in rows.iter().enumerate() {
            for right in &rows[i + 1..] {
                let same = left.entity == right.entity;
                let count = |counts: &mut PairCounts| {
                    if same {
                        counts.same_person += 1;
                    } else {
                        counts.different_people += 1;
                    }
                };
                if let (Some(a), Some(b)) = (left.phone, right.phone) {
                    let (a, b) = (digits(a.national), digits(b.national));
                    let differing: Vec<usize> = (0..10).filter(|&k| a[k] != b[k]).collect();
                    if differing.len() == 1 {
                        count(&mut expected.phones_one_digit_apart);
                    }
                    if differing.len() == 2
                        && differing[1] == differing[0] + 1
                        && a[differing[0]] == b[differing[1]]
                        && a[differing[1]] == b[differing[0]]
                    {
                        count(&mut expected.phones_adjacent_digits_swapped);
                    }
                }
                if let (Some(a), Some(b)) = (&left.email, &right.email) {
                    let (a, b) = (a.trim().to_lowercase(), b.trim().to_lowercase());
                    let login = |e: &str| e.rsplit_once('@').map(|(l, _)| l.to_string());
                    if login(&a) == login(&b)
                        && contact::mailbox_key(&a) != contact::mailbox_key(&b)
                    {
                        count(&mut expected.same_login_other_domain);
                    }
                }
            }
        }
        assert_eq!(
            evidence.phones_one_digit_apart,
            expected.phones_one_digit_apart
        );
        assert_eq!(
            evidence.phones_adjacent_digits_swapped,
            expected.phones_adjacent_digits_swapped
        );
        assert_eq!(
            evidence.same_login_other_domain,
            expected.same_login_other_domain
        );
        assert!(expected.phones_one_digit_apart.same_person > 0);
        assert!(expected.same_login_other_domain.different_people > 0);
    }

    #[test]
    fn repaired_collisions_leave_identifiers_unique() {
        let mut rows: Vec<Row> = Vec::new();
        let base = generate(&GeneratorConfig {
            profiles: 50,
            ..GeneratorConfig::default()
        })
        .unwrap();
        rows.extend(base.rows.iter().take(3).cloned());
        for row in &mut rows {
            row.phone = Some(population::Phone {
                national: 9_161_234_567,
                format: contact::PhoneFormat::Sailplay,
            });
            row.email = Some("Ivanov@mail.ru".to_string());
            row.origin_user_id = Some(2_990_000_000_001);
        }
        rows[1].email = Some("ivanov@MAIL.ru".to_string());
        let repairs = enforce_uniqueness(&mut rows, 1, true);
        assert_eq!(
            (repairs.phone, repairs.email, repairs.origin_user_id),
            (2, 2, 2)
        );
        let phones: HashSet<u64> = rows.iter().map(|r| r.phone.unwrap().national).collect();
        let emails: HashSet<String> = rows
            .iter()
            .map(|r| r.email.clone().unwrap().to_lowercase())
            .collect();
        assert_eq!((phones.len(), emails.len()), (3, 3));
        assert_eq!(rows[0].email.as_deref(), Some("Ivanov@mail.ru"));
    }

    #[test]
    fn without_noise_every_true_pair_shares_name_and_birth_date() {
        let summary = generate(&GeneratorConfig {
            profiles: 5000,
            noise: 0.0,
            // Placeholder people's till profiles carry no name.
            hard_negative_rate: 0.0,
            ..GeneratorConfig::default()
        })
        .unwrap()
        .summary();
        let evidence = summary.name_evidence;
        assert_eq!(
            evidence.true_pairs_same_name_and_birth_date,
            summary.true_pairs
        );
        assert_eq!(evidence.true_pairs_same_name_not_birth_date, 0);
        assert!(evidence.different_people_pairs_same_name > 0);
    }

    #[test]
    fn user_ids_grow_with_the_register_date() {
        let base = generate(&GeneratorConfig::default()).unwrap();
        let dates: Vec<_> = base
            .order
            .iter()
            .map(|&i| base.rows[i].register_date)
            .collect();
        assert!(dates.windows(2).all(|pair| pair[0] <= pair[1]));
        let ids: Vec<u64> = base.order.iter().map(|&i| base.user_ids[i]).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
