//! People, families and the other groups of look-alikes.
//!
//! A person is who stands behind one or more profiles: the names on their
//! passport, the surname they had before marrying, their birth date, the
//! numbers and mailboxes they have had, and habits (the short name they go
//! by, whether they write ё, whether they ever give a birth date). Groups
//! build several people who share what families, namesakes, colleagues and
//! number owners share in life.

use chrono::{Datelike, NaiveDate};
use rand::Rng as _;

use super::contact::{self, Email, LoginParts, company_domain, other_provider_domain};
use super::kinds::HardNegative;
use super::names::{self, Sex, common_first_name, common_surname, diminutives, gendered};
use super::random::{Rng, chance, one_of, pick};
use super::translit::{System, login_form, transliterate};
use super::typos::{PhoneTypo, mistype_phone};

/// Days are counted from the common era, as chrono does.
pub fn day(year: i32, month: u32, day: u32) -> i32 {
    NaiveDate::from_ymd_opt(year, month, day)
        .expect("a valid calendar date")
        .num_days_from_ce()
}

pub fn date(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).expect("a day within chrono's range")
}

/// The base's life: the loyalty programme started in January 2014 and the
/// export was taken at the end of October 2025. The mobile app came in
/// June 2019.
pub fn base_start() -> i32 {
    day(2014, 1, 15)
}

pub fn base_end() -> i32 {
    day(2025, 10, 31)
}

pub fn app_launch() -> i32 {
    day(2019, 6, 1)
}

/// Birth years of the customers: (first year, last year, weight).
const BIRTH_YEARS: &[(i32, i32, f64)] = &[
    (1940, 1954, 5.0),
    (1955, 1964, 12.0),
    (1965, 1974, 18.0),
    (1975, 1984, 24.0),
    (1985, 1994, 26.0),
    (1995, 2002, 13.0),
    (2003, 2007, 2.0),
];

/// A birth date in `years` (inclusive), or from the customers' age
/// pyramid.
pub fn birth_date(rng: &mut Rng, years: Option<(i32, i32)>) -> NaiveDate {
    let (first, last) = years.unwrap_or_else(|| {
        let (a, b, _) = *pick(
            rng,
            &BIRTH_YEARS
                .iter()
                .map(|&(a, b, w)| ((a, b, w), w))
                .collect::<Vec<_>>(),
        );
        (a, b)
    });
    let year = rng.random_range(first..=last.max(first));
    let start = day(year, 1, 1);
    let length = day(year + 1, 1, 1) - start;
    date(start + rng.random_range(0..length))
}

pub struct Maiden {
    pub surname: String,
    /// The day she married: profiles made before it carry the maiden name.
    pub married_on: i32,
}

pub struct Person {
    pub sex: Sex,
    pub first_name: &'static str,
    pub patronymic: String,
    /// The surname now, in the person's gender.
    pub surname: String,
    pub maiden: Option<Maiden>,
    /// Writes both surnames joined by a hyphen on some profiles.
    pub double_barrelled: bool,
    pub birth: NaiveDate,
    pub region: usize,
    pub phone: Option<u64>,
    /// A number given up on the day stated; profiles before it carry it.
    pub old_phone: Option<(u64, i32)>,
    pub second_phone: Option<u64>,
    pub email: Option<Email>,
    pub second_email: Option<Email>,
    /// The main or the second address is an employer's.
    pub main_is_work: bool,
    pub second_is_work: bool,
    /// The short form the person goes by in shops and apps.
    pub goes_by: Option<&'static str>,
    pub writes_yo: bool,
    pub withholds_birth_date: bool,
    /// The day of the first registration, when a group fixes it.
    pub first_day: Option<i32>,
    pub profiles: usize,
}

impl Person {
    /// The mobile number the person had on `day`, and whether it is one
    /// they later gave up.
    pub fn phone_on(&self, day: i32) -> Option<(u64, bool)> {
        match self.old_phone {
            Some((old, until)) if day < until => Some((old, true)),
            _ => self.phone.map(|p| (p, false)),
        }
    }

    pub fn login_parts(&self) -> LoginParts<'_> {
        LoginParts {
            first_name: self.first_name,
            diminutive: self.goes_by,
            surname: &self.surname,
            patronymic: &self.patronymic,
            birth_year: self.birth.year(),
            birth_day_month: (self.birth.day(), self.birth.month()),
        }
    }
}

pub enum Marriage {
    /// As life goes: most women marry, most of them take the name.
    Random,
    Never,
    To {
        surname: String,
        on: i32,
        takes_name: bool,
    },
}

/// What a group fixes about one of its people; the rest is drawn.
pub struct Spec {
    pub sex: Option<Sex>,
    pub birth: Option<NaiveDate>,
    pub birth_years: Option<(i32, i32)>,
    pub first_name: Option<&'static str>,
    pub father: Option<&'static str>,
    /// The surname the person was born with (masculine form).
    pub born_surname: Option<String>,
    pub marriage: Marriage,
    pub region: Option<usize>,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            sex: None,
            birth: None,
            birth_years: None,
            first_name: None,
            father: None,
            born_surname: None,
            marriage: Marriage::Random,
            region: None,
        }
    }
}

/// Share of the base's people who are women: loyalty programmes of shops
/// are mostly joined by women.
pub const FEMALE_SHARE: f64 = 0.66;

pub fn person(rng: &mut Rng, spec: Spec, profiles: usize) -> Person {
    let sex = spec.sex.unwrap_or_else(|| {
        if chance(rng, FEMALE_SHARE) {
            Sex::Female
        } else {
            Sex::Male
        }
    });
    let birth = spec
        .birth
        .unwrap_or_else(|| birth_date(rng, spec.birth_years));
    let year = birth.year();
    let region = spec.region.unwrap_or_else(|| contact::region(rng));
    let first_name = spec
        .first_name
        .unwrap_or_else(|| names::first_name(rng, sex, year));
    let father = spec
        .father
        .unwrap_or_else(|| names::first_name(rng, Sex::Male, year - 28));
    let patronymic = names::patronymic(father, sex);
    let born_surname = spec.born_surname.unwrap_or_else(|| names::surname(rng));
    let marriage = match (sex, spec.marriage) {
        (Sex::Male, _) | (_, Marriage::Never) => None,
        (
            Sex::Female,
            Marriage::To {
                surname,
                on,
                takes_name,
            },
        ) => takes_name.then_some((surname, on)),
        (Sex::Female, Marriage::Random) => random_marriage(rng, birth),
    };
    let (surname, maiden, double_barrelled) = match marriage {
        Some((husband, on)) => (
            gendered(&husband, Sex::Female),
            Some(Maiden {
                surname: gendered(&born_surname, Sex::Female),
                married_on: on,
            }),
            chance(rng, 0.04),
        ),
        None => (gendered(&born_surname, sex), None, false),
    };
    let phone = chance(rng, 0.97).then(|| contact::mobile(rng, region));
    let old_phone = (phone.is_some() && chance(rng, 0.14)).then(|| {
        let until = rng.random_range(day(2015, 1, 1)..day(2025, 6, 1));
        (contact::mobile(rng, region), until)
    });
    let second_phone = chance(rng, 0.05).then(|| contact::mobile(rng, region));
    let goes_by = {
        let forms = diminutives(first_name);
        (!forms.is_empty() && chance(rng, 0.12)).then(|| *pick(rng, forms))
    };
    let mut person = Person {
        sex,
        first_name,
        patronymic,
        surname,
        maiden,
        double_barrelled,
        birth,
        region,
        phone,
        old_phone,
        second_phone,
        email: None,
        second_email: None,
        main_is_work: false,
        second_is_work: false,
        goes_by,
        writes_yo: chance(rng, 0.3),
        withholds_birth_date: chance(rng, 0.05),
        first_day: None,
        profiles,
    };
    let has_email = match year {
        ..=1959 => 0.55,
        1960..=1974 => 0.8,
        _ => 0.93,
    };
    if chance(rng, has_email) {
        person.email = Some(personal_email(rng, &person));
        if chance(rng, 0.14) {
            person.second_email = Some(personal_email(rng, &person));
        }
    }
    person
}

/// A new personal mailbox for `person`.
pub fn personal_email(rng: &mut Rng, person: &Person) -> Email {
    Email {
        login: contact::login(rng, &person.login_parts()),
        domain: contact::domain(rng, names::generation(person.birth.year()), person.region),
    }
}

/// Whether and when a woman born on `birth` married and took a name.
fn random_marriage(rng: &mut Rng, birth: NaiveDate) -> Option<(String, i32)> {
    let married = match birth.year() {
        ..=1995 => 0.72,
        1996..=2002 => 0.45,
        _ => 0.0,
    };
    if !chance(rng, married) || !chance(rng, 0.82) {
        return None;
    }
    let age = 20 + rng.random_range(0..8) + rng.random_range(0..7);
    let on = birth.num_days_from_ce() + age * 365 + rng.random_range(0..365);
    (on < base_end()).then(|| (names::surname(rng), on))
}

/// A number `offset` places after `base` on the same contract: the block
/// is counted down instead when it would run past its last number.
fn sequential(base: u64, offset: u64) -> u64 {
    if base % 10_000 + offset < 10_000 {
        base + offset
    } else {
        base - offset
    }
}

/// What a unit of the base is: one person, or a group of look-alikes.
pub struct Unit {
    pub kind: Option<HardNegative>,
    pub people: Vec<Person>,
}

/// Builds the people of a unit of `kind` whose members have `counts`
/// profiles each (the planner decided the group's size).
pub fn unit(rng: &mut Rng, kind: Option<HardNegative>, counts: &[usize]) -> Unit {
    let people = match kind {
        None | Some(HardNegative::Placeholder) => vec![person(rng, Spec::default(), counts[0])],
        Some(HardNegative::Spouses) => spouses(rng, counts, &Family::default()),
        Some(HardNegative::ParentChild) => parent_and_child(rng, counts, &Family::default()),
        Some(HardNegative::FatherSonSameName) => father_and_son_same_name(rng, counts),
        Some(HardNegative::Siblings) => siblings(rng, counts, &Family::default()),
        Some(HardNegative::Twins) => twins(rng, counts),
        Some(HardNegative::Namesakes) => namesakes(rng, counts),
        Some(HardNegative::NamesakesSameBirthDate) => namesakes_same_birth_date(rng, counts),
        Some(HardNegative::SequentialFamilyPhones) => sequential_family(rng, counts),
        Some(HardNegative::CorporatePhoneBlock) => corporate_block(rng, counts),
        Some(HardNegative::RecycledPhone) => recycled_phone(rng, counts),
        Some(HardNegative::LoginReusedElsewhere) => login_reused(rng, counts),
        Some(HardNegative::FamilyEmailInitial) => family_email_initial(rng, counts),
    };
    Unit { kind, people }
}

/// Puts family members on consecutive numbers of one contract.
fn share_contract(rng: &mut Rng, people: &mut [Person]) {
    let region = people[0].region;
    let base = contact::mobile(rng, region);
    let mut offsets: Vec<u64> = (0..people.len() as u64).collect();
    for i in (1..offsets.len()).rev() {
        offsets.swap(i, rng.random_range(0..=i));
    }
    for (person, offset) in people.iter_mut().zip(offsets) {
        person.phone = Some(sequential(base, offset));
    }
}

/// What a family group's builder is asked beyond its kind's habits.
#[derive(Default)]
struct Family {
    /// Overrides the kind's share of families on one contract.
    sequential_phones: Option<f64>,
    /// Every woman of the family carries its surname: she took it on
    /// marrying into it, or has not married out of it.
    one_surname: bool,
}

fn spouses(rng: &mut Rng, counts: &[usize], options: &Family) -> Vec<Person> {
    let husband_year = birth_date(rng, None).year().min(1999);
    let wife_year = (husband_year + rng.random_range(-2..=6)).clamp(1940, 2001);
    let region = contact::region(rng);
    let husband = person(
        rng,
        Spec {
            sex: Some(Sex::Male),
            birth_years: Some((husband_year, husband_year)),
            region: Some(region),
            ..Spec::default()
        },
        counts[0],
    );
    let wedding =
        (day(wife_year, 1, 1) + (20 + rng.random_range(0..12)) * 365).min(base_end() - 60);
    let family = husband.surname.clone();
    let takes_name = options.one_surname || chance(rng, 0.82);
    let mut wife = person(
        rng,
        Spec {
            sex: Some(Sex::Female),
            birth_years: Some((wife_year, wife_year)),
            region: Some(region),
            marriage: Marriage::To {
                surname: family,
                on: wedding,
                takes_name,
            },
            ..Spec::default()
        },
        counts[1],
    );
    if chance(rng, 0.2)
        && let (Some(his), Some(hers)) = (&husband.email, &mut wife.email)
    {
        hers.domain.clone_from(&his.domain);
    }
    let mut pair = vec![husband, wife];
    if chance(rng, options.sequential_phones.unwrap_or(0.3)) {
        share_contract(rng, &mut pair);
    }
    if chance(rng, 0.2) {
        let first = super::profiles::first_registration(rng);
        for p in &mut pair {
            p.first_day = Some(first);
        }
    }
    pair
}

fn parent_and_child(rng: &mut Rng, counts: &[usize], options: &Family) -> Vec<Person> {
    let parent_sex = if chance(rng, 0.6) {
        Sex::Female
    } else {
        Sex::Male
    };
    let parent_birth = birth_date(rng, Some((1945, 1978)));
    let child_year = (parent_birth.year() + rng.random_range(20..=34)).min(2006);
    let region = contact::region(rng);
    let family = names::surname(rng);
    let father_name = match parent_sex {
        Sex::Male => None,
        Sex::Female => Some(names::first_name(rng, Sex::Male, parent_birth.year() + 2)),
    };
    let wedding = day(child_year, 1, 1) - rng.random_range(200..1500);
    let takes_name = options.one_surname || chance(rng, 0.85);
    let parent = person(
        rng,
        Spec {
            sex: Some(parent_sex),
            birth: Some(parent_birth),
            region: Some(region),
            born_surname: (parent_sex == Sex::Male).then(|| family.clone()),
            marriage: Marriage::To {
                surname: family.clone(),
                on: wedding,
                takes_name,
            },
            ..Spec::default()
        },
        counts[0],
    );
    let father = father_name.unwrap_or(parent.first_name);
    let child_sex = if chance(rng, 0.5) {
        Sex::Female
    } else {
        Sex::Male
    };
    let same_name = parent_sex == Sex::Female && child_sex == Sex::Female && chance(rng, 0.04);
    let child = person(
        rng,
        Spec {
            sex: Some(child_sex),
            birth_years: Some((child_year, child_year)),
            first_name: same_name.then_some(parent.first_name),
            father: Some(father),
            born_surname: Some(family),
            region: Some(region),
            marriage: if options.one_surname {
                Marriage::Never
            } else {
                Marriage::Random
            },
            ..Spec::default()
        },
        counts[1],
    );
    let mut pair = vec![parent, child];
    if chance(rng, options.sequential_phones.unwrap_or(0.2)) {
        share_contract(rng, &mut pair);
    }
    pair
}

fn father_and_son_same_name(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let father_birth = birth_date(rng, Some((1945, 1975)));
    let son_year = (father_birth.year() + rng.random_range(20..=35)).min(2004);
    let name = names::first_name(rng, Sex::Male, father_birth.year());
    let grandfather = if chance(rng, 0.6) {
        name
    } else {
        names::first_name(rng, Sex::Male, father_birth.year() - 28)
    };
    let region = contact::region(rng);
    let family = names::surname(rng);
    let mut father = person(
        rng,
        Spec {
            sex: Some(Sex::Male),
            birth: Some(father_birth),
            first_name: Some(name),
            father: Some(grandfather),
            born_surname: Some(family.clone()),
            region: Some(region),
            ..Spec::default()
        },
        counts[0],
    );
    let mut son = person(
        rng,
        Spec {
            sex: Some(Sex::Male),
            birth_years: Some((son_year, son_year)),
            first_name: Some(name),
            father: Some(name),
            born_surname: Some(family),
            region: Some(region),
            ..Spec::default()
        },
        counts[1],
    );
    if chance(rng, 0.5) {
        if chance(rng, 0.5) {
            father.withholds_birth_date = true;
        } else {
            son.withholds_birth_date = true;
        }
    }
    let mut pair = vec![father, son];
    if chance(rng, 0.3) {
        share_contract(rng, &mut pair);
    }
    pair
}

fn siblings(rng: &mut Rng, counts: &[usize], options: &Family) -> Vec<Person> {
    let eldest = birth_date(rng, Some((1950, 1998))).year();
    let father = names::first_name(rng, Sex::Male, eldest - 28);
    let family = names::surname(rng);
    let region = contact::region(rng);
    let mut people: Vec<Person> = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let year = if i == 0 {
                eldest
            } else {
                (eldest + rng.random_range(1..=10)).min(2006)
            };
            person(
                rng,
                Spec {
                    birth_years: Some((year, year)),
                    father: Some(father),
                    born_surname: Some(family.clone()),
                    region: Some(region),
                    marriage: if options.one_surname {
                        Marriage::Never
                    } else {
                        Marriage::Random
                    },
                    ..Spec::default()
                },
                count,
            )
        })
        .collect();
    if chance(rng, options.sequential_phones.unwrap_or(0.15)) {
        share_contract(rng, &mut people);
    }
    people
}

fn twins(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let birth = birth_date(rng, Some((1960, 2005)));
    let father = names::first_name(rng, Sex::Male, birth.year() - 28);
    let family = names::surname(rng);
    let region = contact::region(rng);
    let first_sex = if chance(rng, FEMALE_SHARE) {
        Sex::Female
    } else {
        Sex::Male
    };
    let second_sex = if chance(rng, 0.65) {
        first_sex
    } else {
        first_sex.other()
    };
    let spec = |sex, first_name| Spec {
        sex: Some(sex),
        birth: Some(birth),
        first_name,
        father: Some(father),
        born_surname: Some(family.clone()),
        region: Some(region),
        ..Spec::default()
    };
    let first = person(rng, spec(first_sex, None), counts[0]);
    let mut second_name = names::first_name(rng, second_sex, birth.year());
    while second_name == first.first_name {
        second_name = names::first_name(rng, second_sex, birth.year());
    }
    let second = person(rng, spec(second_sex, Some(second_name)), counts[1]);
    let mut pair = vec![first, second];
    if chance(rng, 0.4) {
        share_contract(rng, &mut pair);
    }
    if chance(rng, 0.4) {
        let first = super::profiles::first_registration(rng);
        for p in &mut pair {
            p.first_day = Some(first);
        }
    }
    pair
}

fn namesakes(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let sex = if chance(rng, FEMALE_SHARE) {
        Sex::Female
    } else {
        Sex::Male
    };
    let year = birth_date(rng, None).year();
    let first_name = common_first_name(rng, sex, year, 10);
    let family = common_surname(rng, 30);
    let region = contact::region(rng);
    counts
        .iter()
        .map(|&count| {
            let own_region = if chance(rng, 0.5) { Some(region) } else { None };
            let years = (year - 8, year + 8);
            person(
                rng,
                Spec {
                    sex: Some(sex),
                    birth_years: Some(years),
                    first_name: Some(first_name),
                    born_surname: Some(family.clone()),
                    marriage: Marriage::Never,
                    region: own_region,
                    ..Spec::default()
                },
                count,
            )
        })
        .collect()
}

fn namesakes_same_birth_date(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let sex = if chance(rng, FEMALE_SHARE) {
        Sex::Female
    } else {
        Sex::Male
    };
    let birth = birth_date(rng, None);
    let first_name = common_first_name(rng, sex, birth.year(), 15);
    let family = common_surname(rng, 60);
    let shared_father =
        chance(rng, 0.2).then(|| names::first_name(rng, Sex::Male, birth.year() - 28));
    counts
        .iter()
        .map(|&count| {
            person(
                rng,
                Spec {
                    sex: Some(sex),
                    birth: Some(birth),
                    first_name: Some(first_name),
                    father: shared_father,
                    born_surname: Some(family.clone()),
                    marriage: Marriage::Never,
                    ..Spec::default()
                },
                count,
            )
        })
        .collect()
}

/// Parents and children on one family contract.
fn sequential_family(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let mut family = spouses(
        rng,
        &counts[..2],
        &Family {
            sequential_phones: Some(0.0),
            one_surname: false,
        },
    );
    let father = family[0].first_name;
    let surname = family[0].surname.clone();
    let mother_year = family[1].birth.year();
    for &count in &counts[2..] {
        let year = (mother_year + rng.random_range(20..=34)).min(2006);
        let child = person(
            rng,
            Spec {
                birth_years: Some((year, year)),
                father: Some(father),
                born_surname: Some(surname.clone()),
                region: Some(family[0].region),
                ..Spec::default()
            },
            count,
        );
        family.push(child);
    }
    share_contract(rng, &mut family);
    family
}

fn corporate_block(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let region = contact::region(rng);
    let block = contact::mobile(rng, region) / 100 * 100;
    let domain = company_domain(rng);
    let onboarding = super::profiles::first_registration(rng);
    let mut endings: Vec<u64> = (0..100).collect();
    for i in (1..endings.len()).rev() {
        endings.swap(i, rng.random_range(0..=i));
    }
    counts
        .iter()
        .zip(endings)
        .map(|(&count, ending)| {
            let mut p = person(
                rng,
                Spec {
                    birth_years: Some((1960, 2001)),
                    region: Some(region),
                    ..Spec::default()
                },
                count,
            );
            p.phone = Some(block + ending);
            p.old_phone = None;
            let surname = login_form(rng, &p.surname);
            let first = login_form(rng, p.first_name);
            let login = match rng.random_range(0..3) {
                0 => format!("{}.{surname}", first.chars().next().unwrap_or('x')),
                1 => format!("{first}.{surname}"),
                _ => surname,
            };
            let work = Email {
                login,
                domain: domain.clone(),
            };
            if chance(rng, 0.55) {
                p.second_email = p.email.take();
                p.email = Some(work);
                p.main_is_work = true;
            } else {
                p.second_email = Some(work);
                p.second_is_work = true;
            }
            if chance(rng, 0.7) {
                p.first_day = Some((onboarding + rng.random_range(0..30)).min(base_end()));
            }
            p
        })
        .collect()
}

/// The old owner gave the number up; the operator sold it to someone new,
/// who was refused at the till because the old owner's profile still holds
/// it, and the cashier changed a digit to get the card issued.
fn recycled_phone(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let mut old_owner = person(rng, Spec::default(), counts[0]);
    let mut new_owner = person(rng, Spec::default(), counts[1]);
    let number = contact::mobile(rng, old_owner.region);
    let given_up = rng.random_range(day(2016, 1, 1)..day(2022, 1, 1));
    old_owner.old_phone = Some((number, given_up));
    old_owner.phone = Some(contact::mobile(rng, old_owner.region));
    old_owner.first_day = Some(rng.random_range(base_start()..given_up));
    let kind = if chance(rng, 0.8) {
        PhoneTypo::Substitution
    } else {
        PhoneTypo::Transposition
    };
    let changed = if chance(rng, 0.5) {
        number / 10 * 10 + (number % 10 + rng.random_range(1..10)) % 10
    } else {
        mistype_phone(rng, number, kind)
    };
    new_owner.phone = Some(changed);
    new_owner.old_phone = None;
    new_owner.first_day = Some(rng.random_range(given_up + 180..base_end()));
    vec![old_owner, new_owner]
}

/// People named alike, born the same year, whose name-and-year login is
/// taken at one provider and free at another.
fn login_reused(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let sex = if chance(rng, 0.7) {
        Sex::Female
    } else {
        Sex::Male
    };
    let year = birth_date(rng, Some((1965, 2003))).year();
    let first_name = common_first_name(rng, sex, year, 8);
    let name = login_form(rng, first_name);
    let login = match *pick(rng, &[(0, 0.5), (1, 0.2), (2, 0.15), (3, 0.15)]) {
        0 => format!("{name}{year}"),
        1 => format!("{name}{:02}", year % 100),
        2 => {
            let forms = diminutives(first_name);
            let short = if forms.is_empty() {
                name
            } else {
                let form = *pick(rng, forms);
                login_form(rng, form)
            };
            format!("{short}{year}")
        }
        _ => format!("{name}_{year}"),
    };
    let mut domains: Vec<String> = Vec::new();
    counts
        .iter()
        .map(|&count| {
            let mut p = person(
                rng,
                Spec {
                    sex: Some(sex),
                    birth_years: Some((year, year)),
                    first_name: Some(first_name),
                    ..Spec::default()
                },
                count,
            );
            let domain = other_provider_domain(rng, &domains);
            domains.push(domain.clone());
            p.email = Some(Email {
                login: login.clone(),
                domain,
            });
            p
        })
        .collect()
}

/// Relatives whose addresses differ in the initial only (e.dmitrieva@,
/// m.dmitrieva@) or, for a couple, in the surname's ending (a.sokolov@,
/// a.sokolova@).
fn family_email_initial(rng: &mut Rng, counts: &[usize]) -> Vec<Person> {
    let options = Family {
        sequential_phones: None,
        one_surname: true,
    };
    let mut family = match rng.random_range(0..5) {
        0 | 1 => spouses(rng, counts, &options),
        2 => siblings(rng, counts, &options),
        _ => parent_and_child(rng, counts, &options),
    };
    let pattern = rng.random_range(0..5);
    let domain = contact::domain(rng, 1, family[0].region);
    let same_domain = chance(rng, 0.75);
    let mut taken: Vec<String> = Vec::new();
    for p in &mut family {
        // One spelling for the whole family: they set their addresses up
        // together.
        let surname = plain_latin(rng, &p.surname);
        let first = plain_latin(rng, p.first_name);
        let mut login = initial_login(pattern, &first[..1], &surname);
        if taken.contains(&login) {
            login = initial_login(pattern, &first[..2], &surname);
        }
        taken.push(login.clone());
        let domain = if same_domain {
            domain.clone()
        } else {
            contact::domain(rng, names::generation(p.birth.year()), p.region)
        };
        p.email = Some(Email { login, domain });
    }
    family
}

/// Lower-case ICAO spelling, letters only.
fn plain_latin(rng: &mut Rng, text: &str) -> String {
    transliterate(rng, text, System::Icao)
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_lowercase)
        .collect()
}

fn initial_login(pattern: u32, initial: &str, surname: &str) -> String {
    match pattern {
        0 => format!("{initial}.{surname}"),
        1 => format!("{surname}.{initial}"),
        2 => format!("{initial}{surname}"),
        3 => format!("{surname}{initial}"),
        _ => format!("{surname}_{initial}"),
    }
}

/// How many people a group of `kind` holds.
pub fn group_size(rng: &mut Rng, kind: HardNegative) -> usize {
    match kind {
        HardNegative::Siblings => {
            if chance(rng, 0.8) {
                2
            } else {
                3
            }
        }
        HardNegative::Namesakes | HardNegative::LoginReusedElsewhere => {
            if chance(rng, 0.75) {
                2
            } else {
                3
            }
        }
        HardNegative::SequentialFamilyPhones => 2 + *one_of(rng, &[0, 1, 1, 2]),
        HardNegative::CorporatePhoneBlock => {
            if chance(rng, 0.6) {
                rng.random_range(6..=12)
            } else {
                rng.random_range(13..=30)
            }
        }
        HardNegative::Placeholder => 1,
        _ => 2,
    }
}

/// The average size of a group of each kind, for the planner.
pub fn mean_group_size(kind: HardNegative) -> f64 {
    match kind {
        HardNegative::Siblings => 2.2,
        HardNegative::Namesakes | HardNegative::LoginReusedElsewhere => 2.25,
        HardNegative::SequentialFamilyPhones => 3.0,
        HardNegative::CorporatePhoneBlock => 0.6 * 9.0 + 0.4 * 21.5,
        HardNegative::Placeholder => 1.0,
        _ => 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_b::random::stream;

    #[test]
    fn sequential_numbers_stay_in_their_block() {
        assert_eq!(sequential(9_161_234_567, 2), 9_161_234_569);
        assert_eq!(sequential(9_161_239_999, 1), 9_161_239_998);
    }

    #[test]
    fn phone_on_a_day_is_the_old_number_before_it_was_given_up() {
        let mut rng = stream(1, 0);
        let mut p = person(&mut rng, Spec::default(), 1);
        p.phone = Some(9_160_000_001);
        p.old_phone = Some((9_160_000_002, day(2020, 1, 1)));
        assert_eq!(p.phone_on(day(2019, 12, 31)), Some((9_160_000_002, true)));
        assert_eq!(p.phone_on(day(2020, 1, 1)), Some((9_160_000_001, false)));
    }

    #[test]
    fn wives_take_the_husbands_name_in_its_feminine_form() {
        let mut rng = stream(2, 0);
        let (mut took, mut same_as_maiden) = (0, 0);
        for _ in 0..400 {
            let pair = spouses(&mut rng, &[1, 1], &Family::default());
            let (husband, wife) = (&pair[0], &pair[1]);
            if let Some(maiden) = &wife.maiden {
                took += 1;
                assert_eq!(wife.surname, gendered(&husband.surname, Sex::Female));
                same_as_maiden += usize::from(maiden.surname == wife.surname);
            }
        }
        assert!((290..370).contains(&took), "{took}");
        assert!(same_as_maiden < 10, "{same_as_maiden}");
    }

    #[test]
    fn groups_share_what_they_are_built_to_share() {
        let mut rng = stream(3, 0);
        for _ in 0..100 {
            let pair = father_and_son_same_name(&mut rng, &[1, 1]);
            assert_eq!(pair[0].first_name, pair[1].first_name);
            assert_eq!(pair[0].surname, pair[1].surname);
            assert_eq!(
                pair[1].patronymic,
                names::patronymic(pair[0].first_name, Sex::Male)
            );
            let twins = twins(&mut rng, &[1, 1]);
            assert_eq!(twins[0].birth, twins[1].birth);
            assert_ne!(twins[0].first_name, twins[1].first_name);
            let same = namesakes_same_birth_date(&mut rng, &[1, 1]);
            assert_eq!(
                (same[0].first_name, &same[0].surname, same[0].birth),
                (same[1].first_name, &same[1].surname, same[1].birth)
            );
            let reused = login_reused(&mut rng, &[1, 1, 1]);
            let logins: Vec<&str> = reused
                .iter()
                .map(|p| p.email.as_ref().unwrap().login.as_str())
                .collect();
            assert!(logins.iter().all(|l| *l == logins[0]));
            let keys: std::collections::HashSet<String> = reused
                .iter()
                .map(|p| contact::mailbox_key(&p.email.as_ref().unwrap().render()))
                .collect();
            assert_eq!(keys.len(), 3);
        }
    }

    #[test]
    fn corporate_colleagues_share_a_block_of_a_hundred_numbers() {
        let mut rng = stream(4, 0);
        let people = corporate_block(&mut rng, &[1; 20]);
        let blocks: std::collections::HashSet<u64> =
            people.iter().map(|p| p.phone.unwrap() / 100).collect();
        let numbers: std::collections::HashSet<u64> =
            people.iter().map(|p| p.phone.unwrap()).collect();
        assert_eq!(blocks.len(), 1);
        assert_eq!(numbers.len(), 20);
    }

    #[test]
    fn family_emails_differ_but_look_alike() {
        let mut rng = stream(5, 0);
        for _ in 0..200 {
            let family = family_email_initial(&mut rng, &[1, 1]);
            let a = family[0].email.as_ref().unwrap();
            let b = family[1].email.as_ref().unwrap();
            assert_ne!(a.render(), b.render());
            let distance = strsim::levenshtein(&a.login, &b.login);
            assert!(distance <= 3, "{} {}", a.login, b.login);
        }
    }
}
