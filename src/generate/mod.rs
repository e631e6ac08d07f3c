//! `sailmerge gen`: a synthetic Sailplay base with known duplicates, made to
//! be at least as hard as real Russian loyalty exports, so that matching can
//! be measured (`sailmerge eval`) before it is trusted on a real base.
//!
//! # Output
//! `DIR/export.csv` with Sailplay's export columns (`user_id, origin_user_id,
//! phone, email, first_name, middle_name, last_name, birth_date, sex,
//! register_date, points`), ordered by `user_id`, which grows with the
//! register date as in Sailplay; `DIR/truth.csv` (`user_id,entity_id`, every
//! profile); `DIR/generation.json` (the counts below, measured on the files);
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
//! (7 % where the provider has them), a one-edit login typo (5 %), a domain
//! typo such as mail.ry or gmial.com (4 %), a different mailbox (24 %) or
//! none. 14 % of phones are written in other systems' formats
//! (`+7 (916) 123-45-67`, `8-916-...`, `8916...`, `+7916...`, `916...`).
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
//! look alike). People in these groups get duplicates like anyone else.

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
}

impl Default for GeneratorConfig {
    fn default() -> GeneratorConfig {
        GeneratorConfig {
            profiles: 10_000,
            seed: 1,
            duplicate_rate: 0.20,
            hard_negative_rate: 0.10,
            noise: 1.0,
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
}

impl HardNegativeKind {
    pub const ALL: [HardNegativeKind; 7] = [
        HardNegativeKind::Spouses,
        HardNegativeKind::Namesakes,
        HardNegativeKind::FatherSon,
        HardNegativeKind::Twins,
        HardNegativeKind::PhoneNeighbours,
        HardNegativeKind::RecycledPhone,
        HardNegativeKind::Placeholder,
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
        }
    }

    fn weight(self) -> u32 {
        match self {
            HardNegativeKind::Spouses => 30,
            HardNegativeKind::Namesakes => 18,
            HardNegativeKind::FatherSon => 8,
            HardNegativeKind::Twins => 6,
            HardNegativeKind::PhoneNeighbours => 12,
            HardNegativeKind::RecycledPhone => 10,
            HardNegativeKind::Placeholder => 16,
        }
    }

    /// Mean number of people in a group of this kind.
    fn mean_people(self) -> f64 {
        match self {
            HardNegativeKind::Namesakes => 3.0,
            HardNegativeKind::Placeholder => 1.0,
            _ => 2.0,
        }
    }

    fn draw(rng: &mut impl Rng) -> HardNegativeKind {
        let total: u32 = Self::ALL.iter().map(|kind| kind.weight()).sum();
        let mut roll = rng.random_range(0..total);
        for kind in Self::ALL {
            if roll < kind.weight() {
                return kind;
            }
            roll -= kind.weight();
        }
        HardNegativeKind::Placeholder
    }

    /// The probability that a drawn group is a hard-negative one, such that
    /// a share `rate` of people end up in such groups:
    /// h·s / (h·s + 1 − h) = rate, with s the mean people per group.
    fn group_probability(rate: f64) -> f64 {
        let total: f64 = Self::ALL.iter().map(|kind| f64::from(kind.weight())).sum();
        let mean_people: f64 = Self::ALL
            .iter()
            .map(|kind| f64::from(kind.weight()) * kind.mean_people())
            .sum::<f64>()
            / total;
        (rate / (mean_people * (1.0 - rate) + rate)).clamp(0.0, 1.0)
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

    let repairs = enforce_uniqueness(&mut rows, config.seed);
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
/// uniqueness check would have forced at registration.
fn enforce_uniqueness(rows: &mut [Row], seed: u64) -> UniquenessRepairs {
    let mut rng = chunk_rng(seed, usize::MAX);
    let mut repairs = UniquenessRepairs::default();
    let mut phones = HashSet::with_capacity(rows.len());
    let mut emails = HashSet::with_capacity(rows.len());
    let mut origins = HashSet::with_capacity(rows.len());
    for row in rows.iter_mut() {
        if let Some(phone) = row.phone.as_mut() {
            while !phones.insert(phone.national) {
                phone.national = contact::random_mobile(&mut rng);
                repairs.phone += 1;
            }
        }
        if let Some(email) = row.email.as_mut() {
            while !emails.insert(stable_hash(&email.to_lowercase())) {
                let at = email.rfind('@').unwrap_or(email.len());
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

pub const EXPORT_HEADER: &str = "user_id,origin_user_id,phone,email,first_name,middle_name,last_name,birth_date,sex,register_date,points";

fn push_csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
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
        self.stream_rows(out, EXPORT_HEADER, |index, text| {
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
            config: self.config.clone(),
        }
    }
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
        for rate in [0.05, 0.10, 0.30] {
            let config = GeneratorConfig {
                profiles: 40_000,
                hard_negative_rate: rate,
                ..GeneratorConfig::default()
            };
            let summary = generate(&config).unwrap().summary();
            let in_groups: usize = summary.hard_negatives.values().map(|c| c.people).sum();
            let share = in_groups as f64 / summary.entities as f64;
            assert!(
                (share - rate).abs() < 0.25 * rate + 0.005,
                "rate {rate}: {share}"
            );
        }
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
        let repairs = enforce_uniqueness(&mut rows, 1);
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
