//! Variant B of the synthetic Sailplay base (`sailmerge gen --variant b`),
//! written independently of variant A so that a change to the engine that
//! helps on one and hurts on the other shows as tuning. It shares A's
//! output contract and nothing else: its own name lists, typo models,
//! families and rates, all stated here.
//!
//! # How a base is made
//! 1. **Plan** (one stream, sequential): units are drawn until their
//!    profiles add up to `--profiles` exactly. A unit is one person, or a
//!    group of look-alike people (hard negatives); each person gets a
//!    profile count.
//! 2. **People and profiles** (rayon, one ChaCha stream per unit): the
//!    people of each unit, then their profiles channel by channel. Nothing
//!    depends on the thread count.
//! 3. **Uniqueness** (sequential): a phone (as a national number), an
//!    e-mail (ignoring case) or an origin_user_id already held by an
//!    earlier row is drawn again; no mailbox (Gmail dots and `+tags`,
//!    Yandex's domains) belongs to two people. Counts are reported under
//!    `uniqueness_repairs`.
//! 4. **Ids**: rows sorted by registration time; user_id starts at a
//!    seed-dependent 3.1-4.0 million and grows by 1 (85%) or skips 2-40
//!    (deleted profiles). Entity and group ids are numbered by first
//!    appearance.
//!
//! # People
//! - 66% women. Birth years: 1940-54 5%, 1955-64 12%, 1965-74 18%,
//!   1975-84 24%, 1985-94 26%, 1995-2002 13%, 2003-07 2%.
//! - First names by generation (see `names`); patronymic from a father
//!   named in the generation 28 years earlier; surnames 42% from a ranked
//!   list of 340 common Russian ones (Zipf), 12% of other peoples (many
//!   invariant for women), 46% from a long tail of about 75,000 root,
//!   compound and suffix forms.
//! - Women born up to 1995 married by the export date: 72% (45% for
//!   1996-2002), at 20-33; 82% of them took the husband's name (4% of those
//!   write both, hyphenated, on half their profiles). Profiles registered
//!   before the wedding carry the maiden name.
//! - 97% have a mobile from their region's operator codes; 14% of those
//!   gave up an earlier number (profiles before that day carry it); 5%
//!   have a second number. E-mail: 55% of those born before 1960, 80% of
//!   1960-74, 93% after; 14% of them a second mailbox. Domains by
//!   generation (Rambler and Mail.ru for the old, Gmail for the young).
//! - 12% go by a short name (Саша, Лена) in shops and apps; 30% write ё;
//!   5% never give a birth date.
//!
//! # Profiles per person (`--duplicate-rate`, default 0.27)
//! 73% one profile; those with duplicates have 2 (64.5%), 3 (22.5%), 4
//! (8%), 5 (3%), 6 (1.2%), 7 (0.5%) or 8 (0.3%). The first registration
//! follows the base's growth (three times as many joins at the end as at
//! the start, January 2014 to October 2025); later profiles follow after
//! gaps of mean 380 days.
//!
//! # Channels
//! Store 46%, online 22%, app 17% (from June 2019), paper form 14% before
//! 2018, 9% to 2020, 5% after, CRM import 6%; an online profile needs a
//! mailbox (otherwise it is a store one), so about half the profiles are
//! store ones. Half of the CRM records after a
//! person's first profile are joined copies of an earlier profile (names,
//! birth date and sex exactly alike; the person's identifiers where still
//! free, a CRM id of its own). What each channel fills in, in
//! `profiles::HABITS`:
//!
//! | | store | online | app | paper | CRM |
//! |---|---:|---:|---:|---:|---:|
//! | phone | 97% | 55% | 100% | 92% | 60% |
//! | e-mail | 8% | 100% | 45% | 35% | 50% |
//! | birth date | 45% | 60% | 78% | 92% | 65% |
//! | sex | 62% | 66% | 82% | 95% | 72% |
//! | origin_user_id | 45% | 25% | 12% | 100% | 100% |
//! | first name only | 55% | 14% | 48% | 4% | 10% |
//! | first + last | 28% | 59% | 38% | 16% | 38% |
//! | full name | 11% | 24% | 8% | 80% | 50% |
//! | no name | 6% | 3% | 6% | 0 | 2% |
//!
//! Birth dates are asked for because Russian loyalty programmes give
//! birthday bonuses; a paper form always has the field, the till asks
//! least.
//!
//! A profile lacking phone and e-mail always has an origin_user_id (an
//! EAN-13 card at the till and on paper, an 8-digit CRM number, a 7-digit
//! web account, the app's UUID).
//!
//! # Identifiers of a person's later profiles
//! Sailplay refuses an identifier a profile holds, so: the first profile
//! to give the current number holds it (mistyped at 5% store, 8% paper,
//! 1.5% online, 2% CRM, never in the SMS-verified app). A later one whose
//! number is taken (at the till it would have found the older profile) got
//! there through a typo of it (55%), the second number (15% when there is
//! one) or no phone (30%). The app logs in by SMS, so a person
//! whose current number a profile already holds gets no app profile (the
//! login would open that profile): the new profile is an online one. Typos: substitution 62% (55% of them a keypad
//! neighbour), adjacent transposition 30%, last two pairs swapped 8%; the
//! operator code is never touched. Two different typos of one number on
//! one person are marked `phone_two_typos_of_one_number`. Likewise the
//! mailbox: first use genuine (mistyped at 12% store, 14% paper, 2%
//! online, 1% app, 3% CRM; 55% domain, 45% login), later uses an alias
//! where the provider has them (35%: Gmail dots, `+tag`, googlemail;
//! Yandex domains, `-` for `.`, `+tag`), a typo (30%), another mailbox
//! (15%; 35% online) or none (20%; never online, where an account needs
//! one). 30% of uses pick the second mailbox when there is
//! one. Landlines appear on 6% of paper and CRM records before 2017.
//! Phone formats per channel: store 90% `79…`, 5% `89…`, 3% ten digits,
//! 1% `+7…`, 1% `8-9xx-…`; online 74% canonical, 10% `+7…`, 6% `89…`, 5%
//! `+7 (9xx) …`, 2% `8 (9xx) …`, 2% `+7 9xx …`, 1% dashes; app always
//! canonical; paper 86/10/2/2; CRM 40% `89…`, 40% canonical, 10% spaced,
//! 10% ten digits.
//!
//! `--noise` multiplies the rates of mistakes (typos of phones, mailboxes,
//! names and dates, diminutives, Latin letters, case, spacing, swapped and
//! joined fields, placeholders, wrong sex), not what channels fill in,
//! mailbox aliases chosen on purpose, other mailboxes, formats or life
//! (weddings, numbers given up).
//!
//! # Names, dates and sex (rates multiplied by `--noise`)
//! | | store | online | app | paper | CRM |
//! |---|---:|---:|---:|---:|---:|
//! | placeholder name | 2.5% | 0.4% | 0.3% | 0 | 1% |
//! | diminutive | 10% | 6% | 16% | 3% | 2% |
//! | Latin letters | 0.4% | 7% | 6% | 0 | 3% |
//! | wrong layout | 0.2% | 0.4% | 0.3% | 0 | 0 |
//! | typo first/last/middle | 1.5/4/3% | 1/1.5/1% | 0.8/1/1% | 4/6/5% | 1/2/2% |
//! | first/last swapped | 1% | 1.2% | 0.5% | 3.5% | 3% |
//! | full name in one field | 2.5% | 1.5% | 2% | 2% | 4% |
//! | fields shifted | 0 | 0 | 0 | 1% | 2.5% |
//! | patronymic as initial | 0 | 0 | 0 | 1% | 4% |
//! | UPPER / lower case | 2/4% | 2/7% | 1/6% | 3/1% | 30/2% |
//! | stray spaces | 2% | 2% | 2% | 2% | 5% |
//! | birth date typo | 2% | 1% | 0.5% | 3% | 1% |
//! | day/month swapped (day ≤ 12) | 2% | 1.2% | 0.5% | 2% | 1% |
//! | year only (YYYY-01-01) | 1% | 0.8% | 0 | 0.5% | 0.5% |
//! | placeholder birth date | 3% | 0.6% | 1% | 0.5% | 2% |
//! | woman recorded as sex 1 | 7% | 0 | 0 | 2% | 0 |
//!
//! People who go by a short name use it on 60% of store, app and online
//! profiles. A spelling variant (Наталия, Кирил, Данил) replaces the first
//! name on 3%. Latin systems: ICAO 28%, MVD 1997 passport 22% (apostrophe
//! dropped half the time), GOST 7.79-B 5%, informal 45% (Alexander,
//! Julia, Eugene). Typos follow the channel's hand: by ear at the till
//! (о/а, е/и, Кирилл → Кирил), by eye from handwriting on paper (т/ш,
//! и/н/п), on the keyboard online and in the app. A profile writes ё
//! against the person's habit on 20%; a married woman's profile has the
//! maiden name anyway on 5%. Sex: a unisex form (Саша, Женя, Валя, Слава)
//! written by a clerk gets the wrong sex 40% of the time; 0.6% of profiles
//! get the wrong sex at random; in all about 2% of profiles carry a wrong
//! sex. App date pickers default to 2000-01-01 or 1990-01-01; till and CRM
//! placeholders are 1900-01-01, 1901-01-01, 1970-01-01 and 1971-01-01; a
//! till sets the birth date to the registration date on 0.4%.
//!
//! # Hard negatives (`--hard-negative-rate`, default 0.14 of people)
//! Groups by share of group units: spouses 24% (wife's maiden name, 30% on
//! consecutive numbers of one contract, 20% same mail domain, 20%
//! registered the same day), parent and child 17% (20% consecutive
//! numbers; a mother and daughter share a first name 4%), siblings 8% (2 or
//! 3; 15% consecutive numbers), twins 2.5% (40% consecutive numbers, 40%
//! registered together), father and son with one first name 3.5% (the
//! grandfather too 60%, so the full names are equal; 50% one side never
//! gives a birth date; 30% consecutive numbers), namesakes 9% (2-3 people
//! with one of the 10 commonest first names and 30 commonest surnames),
//! namesakes with the same birth date 2.5% (20% the same patronymic),
//! families on one contract 5% (parents and 0-2 children on consecutive
//! numbers), corporate phone blocks 1.2% (6-30 colleagues in one block of
//! 100 numbers; 55% use a work address at the company's domain, the rest
//! have it as a second one; 70% joined within a month of each other),
//! recycled numbers 5% (the old owner's early profiles hold the number;
//! the new owner was registered with it altered by the cashier: the last
//! digit 50%, else a typo elsewhere),
//! logins reused elsewhere 9% (2-3 people of one common first name and
//! birth year with the same name+year login at different providers), family
//! addresses differing in an initial 6% (e.dmitrieva@ / m.dmitrieva@, or
//! a.sokolov@ / a.sokolova@), till placeholders 7% (one profile each: an
//! invented number such as 7900000xxxx, a placeholder name).

mod contact;
mod kinds;
mod names;
mod output;
mod people;
mod profiles;
mod random;
mod translit;
mod typos;

use anyhow::{Result, bail};
use rayon::prelude::*;

pub use output::Base;

use kinds::HardNegative;
use output::UnitProfiles;
use random::{PLANNING_STREAM, chance, pick, stream};

#[derive(Debug, Clone)]
pub struct Config {
    pub profiles: usize,
    pub seed: u64,
    /// Share of people with two or more profiles.
    pub duplicate_share: f64,
    /// Share of people in hard-negative groups.
    pub hard_negative_share: f64,
    /// Multiplier on every rate of a mistake.
    pub noise: f64,
}

impl Config {
    pub const DEFAULT_DUPLICATE_SHARE: f64 = 0.27;
    pub const DEFAULT_HARD_NEGATIVE_SHARE: f64 = 0.14;

    /// Every problem at once, each naming its flag.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.profiles == 0 {
            problems.push("--profiles must be at least 1".to_string());
        }
        if !(0.0..=1.0).contains(&self.duplicate_share) {
            problems.push(format!(
                "--duplicate-rate must be within 0..1, not {}",
                self.duplicate_share
            ));
        }
        if !(0.0..=1.0).contains(&self.hard_negative_share) {
            problems.push(format!(
                "--hard-negative-rate must be within 0..1, not {}",
                self.hard_negative_share
            ));
        }
        if !(0.0..=10.0).contains(&self.noise) {
            problems.push(format!("--noise must be within 0..10, not {}", self.noise));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!(
                "invalid settings for gen --variant b: {}",
                problems.join("; ")
            )
        }
    }
}

/// Kinds of hard-negative groups and their shares of group units.
const GROUP_KINDS: &[(HardNegative, f64)] = &[
    (HardNegative::Spouses, 0.24),
    (HardNegative::ParentChild, 0.17),
    (HardNegative::Siblings, 0.08),
    (HardNegative::Twins, 0.025),
    (HardNegative::FatherSonSameName, 0.035),
    (HardNegative::Namesakes, 0.09),
    (HardNegative::NamesakesSameBirthDate, 0.025),
    (HardNegative::SequentialFamilyPhones, 0.05),
    (HardNegative::CorporatePhoneBlock, 0.012),
    (HardNegative::RecycledPhone, 0.05),
    (HardNegative::LoginReusedElsewhere, 0.09),
    (HardNegative::FamilyEmailInitial, 0.06),
    (HardNegative::Placeholder, 0.07),
];

/// Profile counts of people who have duplicates.
const DUPLICATE_COUNTS: &[(usize, f64)] = &[
    (2, 0.645),
    (3, 0.225),
    (4, 0.08),
    (5, 0.03),
    (6, 0.012),
    (7, 0.005),
    (8, 0.003),
];

struct UnitPlan {
    kind: Option<HardNegative>,
    counts: Vec<usize>,
}

/// The units of the base, with exactly `config.profiles` profiles.
fn plan(config: &Config) -> Vec<UnitPlan> {
    let mut rng = stream(config.seed, PLANNING_STREAM);
    let total_weight: f64 = GROUP_KINDS.iter().map(|(_, w)| w).sum();
    let mean_group: f64 = GROUP_KINDS
        .iter()
        .map(|&(kind, w)| w * people::mean_group_size(kind))
        .sum::<f64>()
        / total_weight;
    // A share f of people in groups of mean size G needs a share
    // f / (G (1 - f) + f) of units to be groups.
    let share = config.hard_negative_share;
    let group_unit = share / (mean_group * (1.0 - share) + share);
    let mut units = Vec::new();
    let mut left = config.profiles;
    while left > 0 {
        let kind = chance(&mut rng, group_unit).then(|| *pick(&mut rng, GROUP_KINDS));
        let size = kind.map_or(1, |k| people::group_size(&mut rng, k));
        let mut counts: Vec<usize> = (0..size)
            .map(|_| {
                if kind == Some(HardNegative::Placeholder)
                    || !chance(&mut rng, config.duplicate_share)
                {
                    1
                } else {
                    *pick(&mut rng, DUPLICATE_COUNTS)
                }
            })
            .collect();
        let mut budget = left;
        counts.retain_mut(|count| {
            *count = (*count).min(budget);
            budget -= *count;
            *count > 0
        });
        let kind = if counts.len() < size { None } else { kind };
        if kind.is_none() {
            counts.truncate(1);
        }
        left -= counts.iter().sum::<usize>();
        units.push(UnitPlan { kind, counts });
    }
    units
}

/// Generates the whole base in memory; `Base::write` puts it on disk.
pub fn generate(config: &Config) -> Result<Base> {
    config.validate()?;
    let units = plan(config);
    let produced: Vec<UnitProfiles> = units
        .par_iter()
        .enumerate()
        .map(|(index, unit)| {
            let mut rng = stream(config.seed, index as u64);
            make_unit(&mut rng, unit, config.noise)
        })
        .collect();
    Ok(output::assemble(config, produced))
}

fn make_unit(rng: &mut random::Rng, plan: &UnitPlan, noise: f64) -> UnitProfiles {
    if plan.kind == Some(HardNegative::Placeholder) {
        return UnitProfiles {
            kind: plan.kind,
            people: 1,
            profiles: vec![profiles::placeholder_profile(rng)],
        };
    }
    let unit = people::unit(rng, plan.kind, &plan.counts);
    let mut made = Vec::with_capacity(plan.counts.iter().sum());
    for (index, person) in unit.people.iter().enumerate() {
        profiles::profiles_of(rng, person, index, noise, &mut made);
    }
    UnitProfiles {
        kind: unit.kind,
        people: unit.people.len(),
        profiles: made,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(profiles: usize, seed: u64) -> Config {
        Config {
            profiles,
            seed,
            duplicate_share: Config::DEFAULT_DUPLICATE_SHARE,
            hard_negative_share: Config::DEFAULT_HARD_NEGATIVE_SHARE,
            noise: 1.0,
        }
    }

    #[test]
    fn plan_makes_exactly_the_profiles_asked_for() {
        for profiles in [1, 2, 7, 1000, 12_345] {
            let units = plan(&config(profiles, 3));
            let total: usize = units.iter().flat_map(|u| &u.counts).sum();
            assert_eq!(total, profiles);
            for unit in &units {
                assert!(unit.counts.iter().all(|&c| c >= 1));
                if unit.kind.is_none() {
                    assert_eq!(unit.counts.len(), 1);
                }
            }
        }
    }

    #[test]
    fn everyone_can_be_in_a_group() {
        let mut all = config(5000, 5);
        all.hard_negative_share = 1.0;
        assert!(
            plan(&all)
                .iter()
                .all(|unit| unit.kind.is_some() || unit.counts.iter().sum::<usize>() < 5000)
        );
    }

    #[test]
    fn plan_reaches_the_configured_shares() {
        let units = plan(&config(200_000, 4));
        let people: usize = units.iter().map(|u| u.counts.len()).sum();
        let grouped: usize = units
            .iter()
            .filter(|u| u.kind.is_some())
            .map(|u| u.counts.len())
            .sum();
        let duplicated = units
            .iter()
            .flat_map(|u| &u.counts)
            .filter(|&&c| c >= 2)
            .count();
        let grouped_share = grouped as f64 / people as f64;
        assert!((grouped_share - 0.14).abs() < 0.01, "{grouped_share}");
        let duplicated_share = duplicated as f64 / people as f64;
        assert!((duplicated_share - 0.27).abs() < 0.01, "{duplicated_share}");
    }

    #[test]
    fn bad_settings_are_all_reported_with_their_flags() {
        let mut bad = config(0, 1);
        bad.duplicate_share = 1.5;
        bad.hard_negative_share = -0.1;
        bad.noise = -1.0;
        let message = bad.validate().unwrap_err().to_string();
        for flag in [
            "--profiles",
            "--duplicate-rate",
            "--hard-negative-rate",
            "--noise",
        ] {
            assert!(message.contains(flag), "{message}");
        }
    }
}
