//! People, the groups they come in, and the profiles they leave in a
//! Sailplay base. A chunk of the base is produced by one random stream:
//! groups (a lone person, or a hard-negative group such as spouses) are
//! drawn one after another, each person gets a cluster size, and each of
//! their profiles is rendered from the person's true data through the
//! variations described in `generate`'s module documentation.

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::contact::{
    CommonLogin, Email, LoginParts, PhoneFormat, common_login, domain_typo, edit_login, gmail_dots,
    home_mobile, login, mailbox_key, neighbouring_number, numbers_in_block, other_domain, plus_tag,
    random_mobile, substitute_digit, substitute_digit_at, transpose_digits, two_typos,
    yandex_alias,
};
use super::names::{DomainKind, FirstName, Sex, Surname, VOCABULARY, patronymic};
use super::text::{
    Transliteration, case_and_whitespace_noise, placeholder_name, transliterate, typo,
    wrong_layout, yo_to_ye,
};
use super::{GeneratorConfig, GroupProbabilities, HardNegativeKind, Variation, VariationSet};

/// A phone as held in a row: the national number and how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phone {
    pub national: u64,
    pub format: PhoneFormat,
}

/// One generated profile. `entity` and `group` index the chunk's tables
/// until the chunks are joined, then the global ones.
#[derive(Debug, Clone)]
pub struct Row {
    pub entity: u32,
    pub origin_user_id: Option<u64>,
    pub phone: Option<Phone>,
    pub email: Option<String>,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// When the profile was really registered; orders the export.
    pub register_date: NaiveDate,
    /// A junk date written instead of `register_date` (before 1971, as left
    /// by imports).
    pub junk_register_date: Option<NaiveDate>,
    pub points: u32,
    pub variations: VariationSet,
    /// Random tie-breaker for the export order among rows registered on
    /// the same day.
    pub order_key: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct EntityMeta {
    pub group: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct GroupMeta {
    pub kind: Option<HardNegativeKind>,
}

/// What one random stream produced.
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<Row>,
    pub entities: Vec<EntityMeta>,
    pub groups: Vec<GroupMeta>,
}

/// Which identifiers a person gave when registering a profile: a store
/// cashier takes a phone, a web shop an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Full,
    PhoneOnly,
    EmailOnly,
}

/// A person's true data; profiles are renderings of it.
#[derive(Debug, Clone)]
struct Person {
    sex: Sex,
    first: &'static FirstName,
    /// The father's first name, from which the patronymic is formed.
    father: &'static str,
    surname: Surname,
    birth: NaiveDate,
    phone: u64,
    email: Email,
    register: NaiveDate,
    forced_channel: Option<Channel>,
    /// A profile whose holder gave no name at the till: `Покупатель`.
    placeholder: bool,
    /// Gives no birth date on any profile.
    birth_withheld: bool,
}

impl Person {
    fn last_name(&self) -> &str {
        self.surname.for_sex(self.sex)
    }

    fn middle_name(&self) -> String {
        patronymic(self.father, self.sex)
    }
}

const FIRST_REGISTER_DAY: NaiveDate = date(2012, 1, 1);
const LAST_REGISTER_DAY: NaiveDate = date(2025, 11, 30);
pub const PLACEHOLDER_BIRTH_DATES: [NaiveDate; 2] = [date(1900, 1, 1), date(1971, 1, 1)];
const JUNK_REGISTER_DATES: [NaiveDate; 3] =
    [date(1900, 1, 1), date(1970, 1, 1), date(1969, 12, 31)];

const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid constant date"),
    }
}

fn add_days(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days)).unwrap_or(day)
}

/// Ages of loyalty-programme members: 16 to 88, most between 25 and 50.
fn draw_birth_date(rng: &mut impl Rng) -> NaiveDate {
    let mean_of_three = (rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>()) / 3.0;
    let age = 16.0 + 72.0 * mean_of_three.powf(1.35);
    let year = 2025 - age as i32;
    birth_date_in_year(year, rng)
}

fn birth_date_in_year(year: i32, rng: &mut impl Rng) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(FIRST_REGISTER_DAY);
    add_days(start, rng.random_range(0..365))
}

/// Registrations from 2012 to 2025, growing over the years as programmes do.
fn draw_register_date(rng: &mut impl Rng) -> NaiveDate {
    let span = (LAST_REGISTER_DAY - FIRST_REGISTER_DAY).num_days() as f64;
    add_days(
        FIRST_REGISTER_DAY,
        (span * rng.random::<f64>().powf(0.6)) as u64,
    )
}

/// A register date drawn like everyone's, within `from..to`, so that a
/// group's members do not stand out in the export's date order.
fn draw_register_within(from: NaiveDate, to: NaiveDate, rng: &mut impl Rng) -> NaiveDate {
    loop {
        let day = draw_register_date(rng);
        if (from..to).contains(&day) {
            return day;
        }
    }
}

fn draw_register_between(from: NaiveDate, to: NaiveDate, rng: &mut impl Rng) -> NaiveDate {
    let span = (to - from).num_days().max(1) as u64;
    add_days(from, rng.random_range(0..span))
}

fn new_email(
    first: &str,
    last: &str,
    birth: NaiveDate,
    phone: u64,
    rates: &Rates,
    rng: &mut impl Rng,
) -> Email {
    let domain = VOCABULARY.domain(rng);
    let parts = LoginParts {
        first_name: first,
        last_name: last,
        birth_year: birth.year(),
        phone,
    };
    Email {
        login: login(&parts, domain, rates.share(COMMON_LOGIN_SHARE), rng),
        domain: domain.name,
    }
}

fn new_person(sex: Sex, rates: &Rates, rng: &mut impl Rng) -> Person {
    let first = VOCABULARY.first_name(sex, rng);
    let father = VOCABULARY.first_name(Sex::Male, rng).name;
    let surname = VOCABULARY.surname(rng);
    let birth = draw_birth_date(rng);
    let phone = rates.mobile(rng);
    let email = new_email(first.name, surname.for_sex(sex), birth, phone, rates, rng);
    Person {
        sex,
        first,
        father,
        surname,
        birth,
        phone,
        email,
        register: draw_register_date(rng),
        forced_channel: None,
        placeholder: false,
        birth_withheld: false,
    }
}

/// Women are the majority of loyalty-programme members.
fn draw_sex(rng: &mut impl Rng) -> Sex {
    if rng.random_bool(0.44) {
        Sex::Male
    } else {
        Sex::Female
    }
}

fn refresh_email(person: &mut Person, rates: &Rates, rng: &mut impl Rng) {
    let email = new_email(
        person.first.name,
        person.surname.for_sex(person.sex),
        person.birth,
        person.phone,
        rates,
        rng,
    );
    person.email = email;
}

/// A login of the form surname + suffix in the person's gendered surname,
/// shared by a family: petrov1984@ and petrova1984@.
fn family_login(surname: &str, suffix: &str) -> String {
    let latin = transliterate(surname, Transliteration::Informal).to_lowercase();
    format!("{latin}{suffix}")
}

fn build_hard_negative_group(
    kind: HardNegativeKind,
    rates: &Rates,
    rng: &mut impl Rng,
) -> Vec<Person> {
    match kind {
        HardNegativeKind::Spouses => {
            let husband = new_person(Sex::Male, rates, rng);
            let mut wife = new_person(Sex::Female, rates, rng);
            wife.surname = husband.surname.clone();
            let year = husband.birth.year() + rng.random_range(-6..=3);
            wife.birth = birth_date_in_year(year.min(2007), rng);
            wife.phone = neighbouring_number(husband.phone, rng);
            if rng.random_bool(0.7) {
                wife.register = husband.register;
            }
            let mut husband = husband;
            let suffix = format!("{:02}", husband.birth.year().rem_euclid(100));
            husband.email.login = family_login(&husband.surname.male, &suffix);
            let mut wife_login = family_login(&wife.surname.female, &suffix);
            if wife.surname.female == wife.surname.male {
                // An invariant surname (Бойко, Белых): her initial tells
                // the two mailboxes apart, as a provider would have forced.
                let initial: String = transliterate(wife.first.name, Transliteration::Informal)
                    .to_lowercase()
                    .chars()
                    .take(1)
                    .collect();
                wife_login.insert_str(0, &initial);
            }
            wife.email = Email {
                login: wife_login,
                domain: husband.email.domain,
            };
            vec![husband, wife]
        }
        HardNegativeKind::Namesakes => {
            let sex = draw_sex(rng);
            let first = VOCABULARY.common_first_name(sex, 8, rng);
            let surname = VOCABULARY.common_surname(20, rng);
            let same_patronymic = rng.random_bool(0.3);
            let size = rng.random_range(2..=4);
            let mut people: Vec<Person> = Vec::with_capacity(size);
            for _ in 0..size {
                let mut person = new_person(sex, rates, rng);
                person.first = first;
                person.surname = surname.clone();
                if same_patronymic && let Some(first_person) = people.first() {
                    person.father = first_person.father;
                }
                refresh_email(&mut person, rates, rng);
                people.push(person);
            }
            people
        }
        HardNegativeKind::FatherSon => {
            let mut father = new_person(Sex::Male, rates, rng);
            father.father = father.first.name;
            father.birth = birth_date_in_year(rng.random_range(1950..=1978), rng);
            let mut son = new_person(Sex::Male, rates, rng);
            son.first = father.first;
            son.father = father.first.name;
            son.surname = father.surname.clone();
            let son_year = (father.birth.year() + rng.random_range(21..=35)).min(2007);
            son.birth = birth_date_in_year(son_year, rng);
            if rng.random_bool(0.5) {
                son.phone = neighbouring_number(father.phone, rng);
            }
            // Father and son with one mailbox family: ivanov.ivan@ and
            // ivanov.ivan03@ look like an alias of one inbox.
            let base = format!(
                "{}.{}",
                transliterate(father.last_name(), Transliteration::Informal).to_lowercase(),
                transliterate(father.first.name, Transliteration::Informal).to_lowercase()
            );
            father.email.login = base.clone();
            son.email = Email {
                login: format!("{base}{:02}", son.birth.year().rem_euclid(100)),
                domain: father.email.domain,
            };
            vec![father, son]
        }
        HardNegativeKind::Twins => {
            let first_sex = draw_sex(rng);
            let second_sex = if rng.random_bool(0.6) {
                first_sex
            } else {
                first_sex.other()
            };
            let first = new_person(first_sex, rates, rng);
            let mut second = new_person(second_sex, rates, rng);
            while second.first.name == first.first.name {
                second.first = VOCABULARY.first_name(second_sex, rng);
            }
            second.surname = first.surname.clone();
            second.father = first.father;
            second.birth = first.birth;
            if rng.random_bool(0.5) {
                second.phone = neighbouring_number(first.phone, rng);
            }
            if rng.random_bool(0.4) {
                second.register = first.register;
            }
            refresh_email(&mut second, rates, rng);
            vec![first, second]
        }
        HardNegativeKind::PhoneNeighbours => {
            let first = new_person(draw_sex(rng), rates, rng);
            let mut second = new_person(draw_sex(rng), rates, rng);
            second.phone = if rng.random_bool(0.65) {
                substitute_digit(first.phone, rng)
            } else {
                transpose_digits(first.phone, rng)
            };
            vec![first, second]
        }
        HardNegativeKind::RecycledPhone => {
            // The operator gave the old owner's number to a new subscriber.
            // Sailplay keeps phones unique, so the old profile no longer
            // holds it: it kept only a mailbox named after the number, or
            // an old mistyped copy of it.
            let mut old_owner = new_person(draw_sex(rng), rates, rng);
            let mut new_owner = new_person(draw_sex(rng), rates, rng);
            old_owner.register = draw_register_within(FIRST_REGISTER_DAY, date(2017, 1, 1), rng);
            new_owner.register = draw_register_within(date(2020, 1, 1), LAST_REGISTER_DAY, rng);
            if rng.random_bool(0.6) {
                let mail_ru = VOCABULARY.domain_of_kind(DomainKind::MailRu, rng);
                old_owner.email = Email {
                    login: format!("{}", new_owner.phone),
                    domain: mail_ru.name,
                };
                old_owner.forced_channel = Some(Channel::EmailOnly);
            } else {
                old_owner.phone = substitute_digit(new_owner.phone, rng);
            }
            vec![old_owner, new_owner]
        }
        HardNegativeKind::Placeholder => {
            let mut person = new_person(draw_sex(rng), rates, rng);
            person.placeholder = true;
            person.forced_channel = Some(Channel::PhoneOnly);
            vec![person]
        }
        HardNegativeKind::Family => build_family(rates, rng),
        HardNegativeKind::FamilyMailboxes => build_family_mailboxes(rates, rng),
        HardNegativeKind::Relatives => build_relatives(rates, rng),
        HardNegativeKind::FatherSonUndated => {
            let mut group = build_hard_negative_group(HardNegativeKind::FatherSon, rates, rng);
            // Each with a mailbox of his own: what joins them is the name
            // and, often, numbers bought together.
            for person in &mut group {
                refresh_email(person, rates, rng);
            }
            if rng.random_bool(0.6) {
                group[1].phone = substitute_digit_at(group[0].phone, 9, rng);
            }
            let undated = usize::from(rng.random_bool(0.6));
            group[undated].birth_withheld = true;
            group
        }
        HardNegativeKind::SharedLogin => build_shared_login(rates, rng),
        HardNegativeKind::PhoneBlock => build_phone_block(rates, rng),
    }
}

/// A login written in Latin letters the way people type their names.
fn latin(word: &str) -> String {
    transliterate(word, Transliteration::Informal).to_lowercase()
}

fn latin_initial(word: &str) -> String {
    latin(word).chars().take(1).collect()
}

/// Parents (sharing the gendered surname) and one or two grown children
/// (the father's patronymic), on SIM cards bought together: consecutive
/// numbers, or numbers within one hundred; half of the families keep one
/// login habit at one provider (e.dmitrieva@, m.dmitrieva@, a.dmitriev@).
fn build_family(rates: &Rates, rng: &mut impl Rng) -> Vec<Person> {
    let mut father = new_person(Sex::Male, rates, rng);
    father.birth = birth_date_in_year(rng.random_range(1950..=1982), rng);
    let mut mother = new_person(Sex::Female, rates, rng);
    mother.surname = father.surname.clone();
    let mother_year = (father.birth.year() + rng.random_range(-6..=3)).min(1984);
    mother.birth = birth_date_in_year(mother_year, rng);
    // Children are at least twenty years younger than the younger parent.
    let parents_year = father.birth.year().max(mother_year);
    let mut family = vec![father, mother];
    for _ in 0..rng.random_range(1..=2) {
        let mut child = new_person(draw_sex(rng), rates, rng);
        child.surname = family[0].surname.clone();
        child.father = family[0].first.name;
        let year = (parents_year + rng.random_range(20..=34)).min(2008);
        child.birth = birth_date_in_year(year, rng);
        family.push(child);
    }
    let consecutive = rng.random_bool(0.6);
    let numbers = numbers_in_block(family[0].phone, family.len(), consecutive, rng);
    let shared_domain = rng.random_bool(0.5).then_some(family[0].email.domain);
    let dotted = rng.random_bool(0.6);
    let register = family[0].register;
    for (member, number) in family.iter_mut().zip(numbers) {
        member.phone = number;
        if let Some(domain) = shared_domain {
            let (initial, surname) = (latin_initial(member.first.name), latin(member.last_name()));
            let login = if dotted {
                format!("{initial}.{surname}")
            } else {
                format!("{initial}{surname}")
            };
            member.email = Email { login, domain };
        }
        if rng.random_bool(0.3) {
            member.register = register;
        }
    }
    family
}

/// Two or three relatives sharing a surname and one provider, whose logins
/// differ in a character or two: an initial (e.dmitrieva@ / m.dmitrieva@:
/// mother and daughter, sisters), a counter (dmitrieva1@ / dmitrieva2@),
/// the birth year (dmitrieva75@ / dmitrieva98@) or the first name
/// (dmitrieva.elena@ / dmitrieva.maria@). Mostly women (70 %); the men are
/// brothers, or a father and sons with other first names.
fn build_family_mailboxes(rates: &Rates, rng: &mut impl Rng) -> Vec<Person> {
    let sex = if rng.random_bool(0.7) {
        Sex::Female
    } else {
        Sex::Male
    };
    let siblings = rng.random_bool(0.4);
    let mut eldest = new_person(sex, rates, rng);
    if !siblings {
        eldest.birth = birth_date_in_year(rng.random_range(1950..=1980), rng);
    }
    let children_father = match sex {
        Sex::Female => VOCABULARY.first_name(Sex::Male, rng).name,
        Sex::Male => eldest.first.name,
    };
    let mut people = vec![eldest];
    for _ in 1..rng.random_range(2..=3) {
        let mut person = new_person(sex, rates, rng);
        person.surname = people[0].surname.clone();
        while people
            .iter()
            .any(|other| other.first.name == person.first.name)
        {
            person.first = VOCABULARY.first_name(sex, rng);
        }
        let eldest_year = people[0].birth.year();
        let (father, year) = if siblings {
            (people[0].father, eldest_year + rng.random_range(-8..=8))
        } else {
            (children_father, eldest_year + rng.random_range(20..=34))
        };
        person.father = father;
        person.birth = birth_date_in_year(year.min(2008), rng);
        people.push(person);
    }
    let domain = people[0].email.domain;
    let habit = rng.random_range(0..100);
    let dotted = rng.random_bool(0.6);
    let counter_start = rng.random_range(1..=7);
    for (index, person) in people.iter_mut().enumerate() {
        let (first, surname) = (latin(person.first.name), latin(person.last_name()));
        let initial: String = first.chars().take(1).collect();
        let login = match habit {
            0..50 if dotted => format!("{initial}.{surname}"),
            0..50 => format!("{initial}{surname}"),
            50..70 => format!("{surname}{}", counter_start + index),
            70..85 => format!("{surname}{:02}", person.birth.year().rem_euclid(100)),
            _ => format!("{surname}.{first}"),
        };
        person.email = Email { login, domain };
        person.forced_channel = Some(if rng.random_bool(0.7) {
            Channel::Full
        } else {
            Channel::EmailOnly
        });
    }
    if rng.random_bool(0.3) {
        let numbers = numbers_in_block(people[0].phone, people.len(), true, rng);
        for (person, number) in people.iter_mut().zip(numbers) {
            person.phone = number;
        }
    }
    people
}

/// Siblings or cousins: the same surname and patronymic, other first names,
/// born within twelve years of each other, and no identifier in common.
fn build_relatives(rates: &Rates, rng: &mut impl Rng) -> Vec<Person> {
    let mut people = vec![new_person(draw_sex(rng), rates, rng)];
    for _ in 1..rng.random_range(2..=3) {
        let sex = draw_sex(rng);
        let mut person = new_person(sex, rates, rng);
        person.surname = people[0].surname.clone();
        person.father = people[0].father;
        while people
            .iter()
            .any(|other| other.first.name == person.first.name)
        {
            person.first = VOCABULARY.first_name(sex, rng);
        }
        let year = (people[0].birth.year() + rng.random_range(-12..=12)).min(2008);
        person.birth = birth_date_in_year(year, rng);
        refresh_email(&mut person, rates, rng);
        people.push(person);
    }
    people
}

/// Two or three people holding one bare name-derived login at different
/// providers or sister domains: natalia1982@gmail.com and
/// natalia1982@rambler.ru, two Натальи born in 1982; a.ivanova@mail.ru and
/// a.ivanova@bk.ru, Анна and Алла Ивановы.
fn build_shared_login(rates: &Rates, rng: &mut impl Rng) -> Vec<Person> {
    let form = CommonLogin::draw(rng);
    let sex = draw_sex(rng);
    let mut first = new_person(sex, rates, rng);
    let parts = LoginParts {
        first_name: first.first.name,
        last_name: first.last_name(),
        birth_year: first.birth.year(),
        phone: first.phone,
    };
    let shared = common_login(&parts, form, rng);
    first.email.login = shared.clone();
    let mut inboxes = vec![mailbox_key(&first.email.render())];
    let mut people = vec![first];
    for _ in 1..rng.random_range(2..=3) {
        let mut person = new_person(sex, rates, rng);
        if form.uses_first_name() {
            let initial_only = matches!(
                form,
                CommonLogin::InitialDotSurname | CommonLogin::InitialSurname
            );
            if initial_only && rng.random_bool(0.5) {
                // Another name with the same Latin initial, when one is
                // found in a few draws.
                let wanted = latin_initial(people[0].first.name);
                for _ in 0..30 {
                    if latin_initial(person.first.name) == wanted {
                        break;
                    }
                    person.first = VOCABULARY.first_name(sex, rng);
                }
                if latin_initial(person.first.name) != wanted {
                    person.first = people[0].first;
                }
            } else {
                person.first = people[0].first;
            }
        }
        if form.uses_surname() {
            person.surname = people[0].surname.clone();
        }
        if form.uses_birth_year() {
            person.birth = birth_date_in_year(people[0].birth.year(), rng);
        }
        let mut domain = other_domain(people[0].email.domain, rng);
        for _ in 0..20 {
            if !inboxes.contains(&mailbox_key(&format!("{shared}@{domain}"))) {
                break;
            }
            domain = other_domain(people[0].email.domain, rng);
        }
        person.email = Email {
            login: shared.clone(),
            domain,
        };
        inboxes.push(mailbox_key(&person.email.render()));
        people.push(person);
    }
    for person in &mut people {
        person.forced_channel = Some(if rng.random_bool(0.6) {
            Channel::Full
        } else {
            Channel::EmailOnly
        });
    }
    people
}

/// Four to twelve unrelated people whose numbers share all but the last
/// two digits: a corporate block (60 %: consecutive numbers, mailboxes at
/// the employer's domain, adults of working age) or a dealer's batch
/// (numbers scattered within the hundred).
fn build_phone_block(rates: &Rates, rng: &mut impl Rng) -> Vec<Person> {
    let size = rng.random_range(4..=12);
    let corporate = rng.random_bool(0.6);
    let mut people: Vec<Person> = (0..size)
        .map(|_| new_person(draw_sex(rng), rates, rng))
        .collect();
    let numbers = numbers_in_block(people[0].phone, size, corporate, rng);
    let employer = VOCABULARY.domain_of_kind(DomainKind::Corporate, rng).name;
    let dotted = rng.random_bool(0.5);
    for (person, number) in people.iter_mut().zip(numbers) {
        person.phone = number;
        if corporate {
            person.birth = birth_date_in_year(rng.random_range(1960..=2004), rng);
            let (first, surname) = (latin(person.first.name), latin(person.last_name()));
            let initial: String = first.chars().take(1).collect();
            let login = if dotted {
                format!("{initial}.{surname}")
            } else {
                format!("{first}.{surname}")
            };
            person.email = Email {
                login,
                domain: employer,
            };
            person.forced_channel = Some(Channel::Full);
        }
    }
    people
}

/// Profiles per person among the duplicated: mostly pairs, some 3-5,
/// rarely 6-9.
fn draw_duplicated_cluster_size(rng: &mut impl Rng) -> usize {
    match rng.random_range(0..1000) {
        0..750 => 2,
        750..900 => 3,
        900..955 => 4,
        955..980 => 5,
        980..992 => 6,
        _ => rng.random_range(7..=9),
    }
}

/// Share of people whose login is a bare name-derived one (`natalia1982`)
/// at `--hardening 1`.
const COMMON_LOGIN_SHARE: f64 = 0.3;

/// Probabilities scaled by `--noise` and, for the real-base habits, by
/// `--hardening`, capped at 1.
struct Rates {
    noise: f64,
    hardening: f64,
}

impl Rates {
    fn chance(&self, base: f64, rng: &mut impl Rng) -> bool {
        rng.random_bool((base * self.noise).clamp(0.0, 1.0))
    }

    /// A data-entry habit of real bases, scaled by noise and hardening. At
    /// hardening 0 nothing is drawn, so that the random stream, and with
    /// it every value, stays the first model's.
    fn habit(&self, base: f64, rng: &mut impl Rng) -> bool {
        self.hardening > 0.0
            && rng.random_bool((base * self.noise * self.hardening).clamp(0.0, 1.0))
    }

    /// A habit of the population rather than of data entry (how people
    /// pick logins), scaled by hardening only; 0 draws nothing.
    fn share(&self, base: f64) -> f64 {
        (base * self.hardening).clamp(0.0, 1.0)
    }

    /// A new mobile number: from the home region's dense blocks for real
    /// bases, uniform over all mobile numbers in the first model.
    fn mobile(&self, rng: &mut impl Rng) -> u64 {
        if self.hardening > 0.0 {
            home_mobile(rng)
        } else {
            random_mobile(rng)
        }
    }
}

/// Which of the person's identifiers the profiles already hold; Sailplay
/// refuses a second profile with the same phone or email.
#[derive(Default)]
struct IdentifiersTaken {
    phone: bool,
    email: bool,
}

pub fn generate_chunk(chunk_index: usize, quota: usize, config: &GeneratorConfig) -> Chunk {
    let mut rng = super::chunk_rng(config.seed, chunk_index);
    let mut chunk = Chunk::default();
    let groups = GroupProbabilities::new(config.hard_negative_rate, config.hardening);
    let rates = Rates {
        noise: config.noise,
        hardening: config.hardening,
    };
    while chunk.rows.len() < quota {
        let group = chunk.groups.len() as u32;
        let (kind, people) = if rng.random_bool(groups.first_model) {
            let kind = HardNegativeKind::draw_from(&HardNegativeKind::FIRST_MODEL, &mut rng);
            (
                Some(kind),
                build_hard_negative_group(kind, &rates, &mut rng),
            )
        } else if groups.real_base > 0.0 && rng.random_bool(groups.real_base) {
            let kind = HardNegativeKind::draw_from(&HardNegativeKind::REAL_BASE, &mut rng);
            (
                Some(kind),
                build_hard_negative_group(kind, &rates, &mut rng),
            )
        } else {
            (None, vec![new_person(draw_sex(&mut rng), &rates, &mut rng)])
        };
        chunk.groups.push(GroupMeta { kind });
        for person in &people {
            let entity = chunk.entities.len() as u32;
            chunk.entities.push(EntityMeta { group });
            let size = if rng.random_bool(config.duplicate_rate) {
                draw_duplicated_cluster_size(&mut rng)
            } else {
                1
            };
            render_person(person, size, entity, &rates, &mut rng, &mut chunk.rows);
        }
    }
    chunk.rows.truncate(quota);
    chunk
}

/// What a person's profiles show of the real-base habits, drawn once per
/// person. Every draw is a `Rates::habit`, so none is made at hardening 0.
struct PersonHabits {
    /// Her other surname (maiden or married), carried by later profiles.
    other_surname: Option<OtherSurname>,
    /// Two different one-digit errors of the main number.
    two_typos: Option<(u64, u64)>,
    /// The first profile is a store profile: phone and first name only.
    store_first: bool,
}

struct OtherSurname {
    surname: String,
    /// The double-barrelled form some later profiles show (either order).
    double: Option<String>,
}

impl PersonHabits {
    fn draw(
        person: &Person,
        size: usize,
        channel: Channel,
        rates: &Rates,
        rng: &mut impl Rng,
    ) -> PersonHabits {
        let other_surname = (person.sex == Sex::Female && size >= 2 && rates.habit(0.08, rng))
            .then(|| {
                let surname = VOCABULARY.surname(rng).female;
                let double = rng.random_bool(0.25).then(|| {
                    if rng.random_bool(0.5) {
                        format!("{}-{surname}", person.last_name())
                    } else {
                        format!("{surname}-{}", person.last_name())
                    }
                });
                OtherSurname { surname, double }
            });
        // With two profiles both must carry a phone: the first one too.
        let phones_possible = person.forced_channel != Some(Channel::EmailOnly)
            && (size >= 3 || (size == 2 && channel != Channel::EmailOnly));
        let two_typos =
            (phones_possible && rates.habit(0.05, rng)).then(|| two_typos(person.phone, rng));
        let store_first = channel == Channel::PhoneOnly
            && person.forced_channel.is_none()
            && rates.habit(0.45, rng);
        PersonHabits {
            other_surname,
            two_typos,
            store_first,
        }
    }

    /// The mistyped number the profile at `index` (0 = first) must carry.
    fn typo_for(&self, index: usize, size: usize) -> Option<u64> {
        let (first, second) = self.two_typos?;
        match (size, index) {
            (2, 0) | (3.., 1) => Some(first),
            (2, 1) | (3.., 2) => Some(second),
            _ => None,
        }
    }

    /// The surname of a later profile, and the variations it shows.
    fn later_surname(&self, person: &Person, rng: &mut impl Rng) -> (String, &'static [Variation]) {
        let Some(other) = &self.other_surname else {
            return (person.last_name().to_string(), &[]);
        };
        if !rng.random_bool(0.7) {
            return (person.last_name().to_string(), &[]);
        }
        match &other.double {
            Some(double) if rng.random_bool(0.4) => (
                double.clone(),
                &[Variation::MaidenMarried, Variation::DoubleBarrelledSurname],
            ),
            _ => (other.surname.clone(), &[Variation::MaidenMarried]),
        }
    }
}

fn render_person(
    person: &Person,
    size: usize,
    entity: u32,
    rates: &Rates,
    rng: &mut ChaCha8Rng,
    rows: &mut Vec<Row>,
) {
    let mut taken = IdentifiersTaken::default();
    let channel = person
        .forced_channel
        .unwrap_or_else(|| match rng.random_range(0..100) {
            0..55 => Channel::Full,
            55..85 => Channel::PhoneOnly,
            _ => Channel::EmailOnly,
        });
    let habits = PersonHabits::draw(person, size, channel, rates, rng);
    let mut primary = if habits.store_first {
        render_store_fields(person, rates, rng)
    } else {
        render_fields(person, false, person.last_name(), rates, rng)
    };
    primary.entity = entity;
    if channel != Channel::EmailOnly {
        let national = match habits.typo_for(0, size) {
            Some(typo) => {
                primary.variations.insert(Variation::PhoneTwoTypos);
                typo
            }
            None => person.phone,
        };
        primary.phone = Some(format_phone_of(national, &mut primary.variations, rng));
        taken.phone = true;
    }
    if channel != Channel::PhoneOnly {
        primary.email = Some(render_email(
            &person.email,
            &mut primary.variations,
            rates,
            rng,
        ));
        taken.email = true;
    }
    primary.origin_user_id = draw_card(rng);
    ensure_an_identifier(&mut primary, rng);
    let mut used_phones: Vec<u64> = primary.phone.iter().map(|p| p.national).collect();
    let mut used_emails: Vec<String> = primary.email.iter().map(|e| e.to_lowercase()).collect();
    let first_row = rows.len();
    rows.push(primary);

    for index in 1..size {
        // A joined repeat copies the first profile; a profile meant for a
        // typo of the number stays one.
        if habits.typo_for(index, size).is_none() && rates.chance(0.03, rng) {
            let mut repeat = rows[first_row].clone();
            repeat.variations = VariationSet::default();
            repeat.variations.insert(Variation::JoinedRepeat);
            repeat.phone = None;
            repeat.email = None;
            if !taken.phone && !used_phones.contains(&person.phone) {
                repeat.phone = Some(format_phone_of(person.phone, &mut repeat.variations, rng));
                used_phones.push(person.phone);
                taken.phone = true;
            }
            let email = person.email.render();
            if !taken.email && !used_emails.contains(&email.to_lowercase()) {
                used_emails.push(email.to_lowercase());
                repeat.email = Some(email);
                taken.email = true;
            }
            repeat.origin_user_id = draw_card(rng);
            repeat.order_key = rng.random();
            ensure_an_identifier(&mut repeat, rng);
            rows.push(repeat);
            continue;
        }
        let store = person.forced_channel.is_none() && rates.habit(0.15, rng);
        let (surname, surname_variations) = habits.later_surname(person, rng);
        let mut duplicate = if store {
            render_store_fields(person, rates, rng)
        } else {
            render_fields(person, true, &surname, rates, rng)
        };
        if !store && !duplicate.variations.contains(Variation::SurnameChanged) {
            for &variation in surname_variations {
                duplicate.variations.insert(variation);
            }
        }
        duplicate.entity = entity;
        duplicate.register_date = draw_register_between(person.register, LAST_REGISTER_DAY, rng);
        let phone = match habits.typo_for(index, size) {
            Some(typo) => Some((Variation::PhoneTwoTypos, typo)),
            None => duplicate_phone(person, &mut taken, rates, rng),
        };
        // Two later profiles may draw the same alias (both drop the gmail
        // dots); Sailplay would have refused the second, so it goes without.
        let phone = phone.filter(|(_, national)| !used_phones.contains(national));
        // A store profile is registered by its phone: the main number if
        // no profile holds it yet, else a mistyped copy.
        let phone = match phone {
            None if store && !used_phones.contains(&person.phone) => {
                taken.phone = true;
                Some((Variation::SplitChannel, person.phone))
            }
            None if store => (0..10)
                .map(|_| substitute_digit(person.phone, rng))
                .find(|national| !used_phones.contains(national))
                .map(|national| (Variation::PhoneSubstitution, national)),
            phone => phone,
        };
        if let Some((variation, national)) = phone {
            used_phones.push(national);
            duplicate.variations.insert(variation);
            duplicate.phone = Some(format_phone_of(national, &mut duplicate.variations, rng));
        }
        if !store
            && let Some((variation, email)) =
                duplicate_email(person, &surname, &mut taken, rates, rng)
            && !used_emails.contains(&email.to_lowercase())
        {
            used_emails.push(email.to_lowercase());
            duplicate.variations.insert(variation);
            duplicate.email = Some(email);
        }
        duplicate.origin_user_id = draw_card(rng);
        ensure_an_identifier(&mut duplicate, rng);
        rows.push(duplicate);
    }
}

fn format_phone_of(national: u64, variations: &mut VariationSet, rng: &mut impl Rng) -> Phone {
    let (format, foreign) = PhoneFormat::draw(rng);
    if foreign {
        variations.insert(Variation::PhoneFormat);
    }
    Phone { national, format }
}

fn render_email(
    email: &Email,
    variations: &mut VariationSet,
    rates: &Rates,
    rng: &mut impl Rng,
) -> String {
    let rendered = email.render();
    if rates.chance(0.03, rng) {
        variations.insert(Variation::CaseWhitespace);
        let mut capitalised = super::text::capitalize(&rendered);
        if rng.random_bool(0.5) {
            capitalised = capitalised.replace(email.domain, &super::text::capitalize(email.domain));
        }
        capitalised
    } else {
        rendered
    }
}

/// A loyalty card number (EAN-13 style, prefix 299) on 70 % of profiles.
fn draw_card(rng: &mut impl Rng) -> Option<u64> {
    rng.random_bool(0.7)
        .then(|| 2_990_000_000_000 + rng.random_range(0..10_000_000_000))
}

/// Sailplay needs at least one identifier; a profile left with none gets a
/// card, as a card-only store profile would.
fn ensure_an_identifier(row: &mut Row, rng: &mut impl Rng) {
    if row.phone.is_none() && row.email.is_none() && row.origin_user_id.is_none() {
        row.origin_user_id = Some(2_990_000_000_000 + rng.random_range(0..10_000_000_000));
    }
}

/// The phone of a later profile and the variation that produced it.
fn duplicate_phone(
    person: &Person,
    taken: &mut IdentifiersTaken,
    rates: &Rates,
    rng: &mut impl Rng,
) -> Option<(Variation, u64)> {
    if !taken.phone && person.forced_channel != Some(Channel::EmailOnly) && rng.random_bool(0.8) {
        taken.phone = true;
        return Some((Variation::SplitChannel, person.phone));
    }
    let roll = rng.random::<f64>() / rates.noise.max(1e-9);
    let (variation, phone) = if roll < 0.08 {
        (
            Variation::PhoneSubstitution,
            substitute_digit(person.phone, rng),
        )
    } else if roll < 0.13 {
        (
            Variation::PhoneTransposition,
            transpose_digits(person.phone, rng),
        )
    } else if roll < 0.38 {
        (Variation::PhoneChanged, rates.mobile(rng))
    } else {
        return None;
    };
    Some((variation, phone))
}

/// The email of a later profile and the variation that produced it; a new
/// mailbox is named after the profile's surname `last_name`.
fn duplicate_email(
    person: &Person,
    last_name: &str,
    taken: &mut IdentifiersTaken,
    rates: &Rates,
    rng: &mut impl Rng,
) -> Option<(Variation, String)> {
    let email = &person.email;
    if !taken.email && person.forced_channel != Some(Channel::PhoneOnly) && rng.random_bool(0.8) {
        taken.email = true;
        return Some((Variation::SplitChannel, email.render()));
    }
    let roll = rng.random::<f64>() / rates.noise.max(1e-9);
    let kind = email.domain_kind();
    let (variation, rendered) = if roll < 0.07 && kind == DomainKind::Gmail {
        let login = if rng.random_bool(0.65) {
            gmail_dots(&email.login, rng)
        } else {
            plus_tag(&email.login, rng)
        };
        let variation = if login.contains('+') {
            Variation::EmailPlusTag
        } else {
            Variation::EmailDots
        };
        (variation, format!("{login}@{}", email.domain))
    } else if roll < 0.07 && kind == DomainKind::Yandex {
        (
            Variation::EmailProviderAlias,
            yandex_alias(email, rng).render(),
        )
    } else if roll < 0.12 {
        (
            Variation::EmailEdit,
            format!("{}@{}", edit_login(&email.login, rng), email.domain),
        )
    } else if roll < 0.16 {
        (
            Variation::EmailDomainTypo,
            format!("{}@{}", email.login, domain_typo(email.domain, rng)),
        )
    } else if roll < 0.40 {
        let reuse = rates.share(0.3);
        if reuse > 0.0 && rng.random_bool(reuse) {
            // The same login at another provider: people keep their login
            // when they open a second mailbox.
            let other = Email {
                login: email.login.clone(),
                domain: other_domain(email.domain, rng),
            };
            return Some((Variation::EmailLoginOtherDomain, other.render()));
        }
        let mut other = new_email(
            person.first.name,
            last_name,
            person.birth,
            random_mobile(rng),
            rates,
            rng,
        );
        if other.login == email.login {
            other
                .login
                .push_str(&format!("{}", rng.random_range(1..100)));
        }
        (Variation::EmailChanged, other.render())
    } else {
        return None;
    };
    Some((variation, rendered))
}

/// Names, birth date, sex, register date and points of one profile, with
/// the variations of data entry applied. Identifiers are left empty.
fn render_fields(
    person: &Person,
    duplicate: bool,
    last_name: &str,
    rates: &Rates,
    rng: &mut ChaCha8Rng,
) -> Row {
    let mut variations = VariationSet::default();
    let mut first = person.first.name.to_string();
    let mut middle = person.middle_name();
    let mut last = last_name.to_string();

    // A till profile without a name; the same person's other profiles
    // (from a web shop, say) carry their real name.
    if person.placeholder && !duplicate {
        variations.insert(Variation::PlaceholderName);
        let birth_date = rng.random_bool(0.5).then_some(PLACEHOLDER_BIRTH_DATES[0]);
        if birth_date.is_some() {
            variations.insert(Variation::PlaceholderBirthDate);
        }
        return Row {
            entity: 0,
            origin_user_id: None,
            phone: None,
            email: None,
            first_name: placeholder_name(rng).to_string(),
            middle_name: String::new(),
            last_name: String::new(),
            birth_date,
            sex: None,
            register_date: person.register,
            junk_register_date: None,
            points: draw_points(rng),
            variations,
            order_key: rng.random(),
        };
    }

    if duplicate && person.sex == Sex::Female && rates.chance(0.04, rng) {
        // A maiden or a married name: the surname of another family.
        variations.insert(Variation::SurnameChanged);
        last = VOCABULARY.surname(rng).female;
    }
    if !person.first.diminutives.is_empty() && rates.chance(0.07, rng) {
        variations.insert(Variation::Diminutive);
        first = person
            .first
            .diminutives
            .choose(rng)
            .expect("non-empty")
            .to_string();
    } else if !person.first.variants.is_empty() && rates.chance(0.3, rng) {
        variations.insert(Variation::SpellingVariant);
        first = person
            .first
            .variants
            .choose(rng)
            .expect("non-empty")
            .to_string();
    }
    if rates.chance(0.035, rng) {
        variations.insert(Variation::NameTypo);
        if rng.random_bool(0.7) {
            last = typo(&last, rng);
        } else {
            first = typo(&first, rng);
        }
    }
    if rates.chance(0.35, rng) {
        variations.insert(Variation::MissingMiddleName);
        middle.clear();
    }
    let has_yo = [&first, &middle, &last]
        .iter()
        .any(|name| name.contains('ё'));
    if has_yo && rates.chance(0.6, rng) {
        variations.insert(Variation::YoAsYe);
        first = yo_to_ye(&first);
        middle = yo_to_ye(&middle);
        last = yo_to_ye(&last);
    }
    if rates.chance(0.035, rng) {
        variations.insert(Variation::Transliteration);
        let scheme = *Transliteration::ALL.choose(rng).expect("schemes");
        first = match person.first.english {
            Some(english) if first == person.first.name && rng.random_bool(0.4) => {
                english.to_string()
            }
            _ => transliterate(&first, scheme),
        };
        middle = transliterate(&middle, scheme);
        last = transliterate(&last, scheme);
    } else if rates.chance(0.008, rng) {
        variations.insert(Variation::WrongLayout);
        first = wrong_layout(&first);
        middle = wrong_layout(&middle);
        last = wrong_layout(&last);
    }
    if rates.chance(0.03, rng) {
        variations.insert(Variation::SwappedFirstLast);
        std::mem::swap(&mut first, &mut last);
    } else if rates.chance(0.025, rng) {
        variations.insert(Variation::FullNameInOneField);
        let parts: Vec<&str> = if rng.random_bool(0.6) {
            vec![&last, &first, &middle]
        } else {
            vec![&first, &last]
        };
        first = parts
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        middle.clear();
        last.clear();
    }
    if rates.chance(0.03, rng) {
        variations.insert(Variation::MissingNames);
        last.clear();
        middle.clear();
        if rng.random_bool(0.5) {
            first.clear();
        }
    }
    if rates.chance(0.01, rng) {
        variations.insert(Variation::PlaceholderName);
        first = placeholder_name(rng).to_string();
        middle.clear();
        last.clear();
    }
    if rates.chance(0.08, rng) {
        variations.insert(Variation::CaseWhitespace);
        first = case_and_whitespace_noise(&first, rng);
        last = case_and_whitespace_noise(&last, rng);
        if rng.random_bool(0.5) {
            middle = case_and_whitespace_noise(&middle, rng);
        }
    }

    let mut birth_date = Some(person.birth);
    // A withheld date is missing on every profile; the draw is skipped for
    // it, which happens only under hardening.
    if person.birth_withheld || rates.chance(0.30, rng) {
        variations.insert(Variation::MissingBirthDate);
        birth_date = None;
    } else if rates.chance(0.01, rng) {
        variations.insert(Variation::PlaceholderBirthDate);
        birth_date = Some(*PLACEHOLDER_BIRTH_DATES.choose(rng).expect("placeholders"));
    } else if person.birth.day() <= 12
        && person.birth.day() != person.birth.month()
        && rates.chance(0.04, rng)
    {
        variations.insert(Variation::BirthDayMonthSwap);
        birth_date = NaiveDate::from_ymd_opt(
            person.birth.year(),
            person.birth.day(),
            person.birth.month(),
        );
    } else if rates.chance(0.015, rng) {
        variations.insert(Variation::BirthYearTypo);
        let shift = *[-10, -1, 1, 10].choose(rng).expect("shifts");
        birth_date = person
            .birth
            .with_year(person.birth.year() + shift)
            .or(birth_date);
    }

    let sex = render_sex(person, &mut first, &mut variations, rates, rng);
    let junk_register_date = rng
        .random_bool(0.002)
        .then(|| *JUNK_REGISTER_DATES.choose(rng).expect("junk dates"));
    Row {
        entity: 0,
        origin_user_id: None,
        phone: None,
        email: None,
        first_name: first,
        middle_name: middle,
        last_name: last,
        birth_date,
        sex,
        register_date: person.register,
        junk_register_date,
        points: draw_points(rng),
        variations,
        order_key: rng.random(),
    }
}

/// The sex field: missing on 20 % of profiles; of the rest, wrong on 3 % of
/// women's (a till's default of 1, a cashier's slip) and 1.5 % of men's, a
/// real-base habit. Where the first name has a short form shared with the
/// other sex (Саша, Женя, Валя), half of the wrong ones show it: the cashier
/// heard "Саша" and guessed.
fn render_sex(
    person: &Person,
    first: &mut String,
    variations: &mut VariationSet,
    rates: &Rates,
    rng: &mut impl Rng,
) -> Option<Sex> {
    if rates.chance(0.2, rng) {
        variations.insert(Variation::MissingSex);
        return None;
    }
    let rate = match person.sex {
        Sex::Female => 0.03,
        Sex::Male => 0.015,
    };
    if !rates.habit(rate, rng) {
        return Some(person.sex);
    }
    variations.insert(Variation::SexWrong);
    let name = &person.first;
    let plain = first == name.name
        || name.diminutives.contains(&first.as_str())
        || name.variants.contains(&first.as_str());
    if plain && !name.unisex_diminutives.is_empty() && rng.random_bool(0.5) {
        *first = name
            .unisex_diminutives
            .choose(rng)
            .expect("non-empty")
            .to_string();
        variations.insert(Variation::Diminutive);
    }
    Some(person.sex.other())
}

/// A store profile: the cashier took a phone and a first name, often the
/// short form the customer gave, and nothing else. The phone is set by the
/// caller.
fn render_store_fields(person: &Person, rates: &Rates, rng: &mut ChaCha8Rng) -> Row {
    let mut variations = VariationSet::default();
    variations.insert(Variation::StoreProfile);
    let name = person.first;
    let mut first = name.name.to_string();
    if !name.diminutives.is_empty() && rates.chance(0.12, rng) {
        variations.insert(Variation::Diminutive);
        first = name.diminutives.choose(rng).expect("non-empty").to_string();
    } else if !name.variants.is_empty() && rates.chance(0.3, rng) {
        variations.insert(Variation::SpellingVariant);
        first = name.variants.choose(rng).expect("non-empty").to_string();
    }
    if rates.chance(0.01, rng) {
        variations.insert(Variation::NameTypo);
        first = typo(&first, rng);
    }
    if first.contains('ё') && rates.chance(0.6, rng) {
        variations.insert(Variation::YoAsYe);
        first = yo_to_ye(&first);
    }
    if rates.chance(0.08, rng) {
        variations.insert(Variation::CaseWhitespace);
        first = case_and_whitespace_noise(&first, rng);
    }
    let sex = render_sex(person, &mut first, &mut variations, rates, rng);
    Row {
        entity: 0,
        origin_user_id: None,
        phone: None,
        email: None,
        first_name: first,
        middle_name: String::new(),
        last_name: String::new(),
        birth_date: None,
        sex,
        register_date: person.register,
        junk_register_date: None,
        points: draw_points(rng),
        variations,
        order_key: rng.random(),
    }
}

/// Loyalty points: a third have none, the rest a long-tailed balance.
fn draw_points(rng: &mut impl Rng) -> u32 {
    if rng.random_bool(0.35) {
        0
    } else {
        (rng.random::<f64>().powi(3) * 5000.0) as u32 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(17)
    }

    const REAL_BASE: Rates = Rates {
        noise: 1.0,
        hardening: 1.0,
    };

    fn digits_differing(a: u64, b: u64) -> usize {
        format!("{a}")
            .bytes()
            .zip(format!("{b}").bytes())
            .filter(|(x, y)| x != y)
            .count()
    }

    #[test]
    fn spouses_share_the_gendered_surname_a_mail_domain_and_near_numbers() {
        let mut rng = rng();
        for _ in 0..200 {
            let group = build_hard_negative_group(HardNegativeKind::Spouses, &REAL_BASE, &mut rng);
            let (husband, wife) = (&group[0], &group[1]);
            assert_eq!((husband.sex, wife.sex), (Sex::Male, Sex::Female));
            assert_eq!(husband.surname, wife.surname);
            assert_ne!(husband.phone, wife.phone);
            assert!(husband.phone.abs_diff(wife.phone) < 100);
            assert_eq!(husband.email.domain, wife.email.domain);
            assert_ne!(husband.email.login, wife.email.login);
        }
    }

    #[test]
    fn father_and_son_share_the_full_name_a_generation_apart() {
        let mut rng = rng();
        for _ in 0..200 {
            let group =
                build_hard_negative_group(HardNegativeKind::FatherSon, &REAL_BASE, &mut rng);
            let (father, son) = (&group[0], &group[1]);
            assert_eq!(father.first.name, son.first.name);
            assert_eq!(father.middle_name(), son.middle_name());
            assert_eq!(father.last_name(), son.last_name());
            let gap = son.birth.year() - father.birth.year();
            assert!((18..=36).contains(&gap), "{gap}");
            assert!(son.email.login.starts_with(&father.email.login));
        }
    }

    #[test]
    fn twins_share_surname_patronymic_and_birth_date_not_first_name() {
        let mut rng = rng();
        for _ in 0..200 {
            let group = build_hard_negative_group(HardNegativeKind::Twins, &REAL_BASE, &mut rng);
            let (first, second) = (&group[0], &group[1]);
            assert_eq!(first.birth, second.birth);
            assert_eq!(first.father, second.father);
            assert_eq!(first.surname, second.surname);
            assert_ne!(first.first.name, second.first.name);
        }
    }

    #[test]
    fn namesakes_share_a_common_first_name_and_surname() {
        let mut rng = rng();
        for _ in 0..100 {
            let group =
                build_hard_negative_group(HardNegativeKind::Namesakes, &REAL_BASE, &mut rng);
            assert!((2..=4).contains(&group.len()));
            for person in &group[1..] {
                assert_eq!(person.first.name, group[0].first.name);
                assert_eq!(person.last_name(), group[0].last_name());
                assert_ne!(person.phone, group[0].phone);
            }
        }
    }

    #[test]
    fn phone_neighbours_and_recycled_numbers_look_like_phone_typos() {
        let mut rng = rng();
        for _ in 0..200 {
            let group =
                build_hard_negative_group(HardNegativeKind::PhoneNeighbours, &REAL_BASE, &mut rng);
            let differing = digits_differing(group[0].phone, group[1].phone);
            assert!(differing == 1 || differing == 2, "{differing}");

            let group =
                build_hard_negative_group(HardNegativeKind::RecycledPhone, &REAL_BASE, &mut rng);
            let (old_owner, new_owner) = (&group[0], &group[1]);
            assert!(old_owner.register < new_owner.register);
            let mailbox_named_after_number = old_owner.email.login == new_owner.phone.to_string()
                && old_owner.forced_channel == Some(Channel::EmailOnly);
            let mistyped_copy = digits_differing(old_owner.phone, new_owner.phone) == 1;
            assert!(mailbox_named_after_number || mistyped_copy);
        }
    }

    #[test]
    fn placeholder_profiles_carry_no_name_and_a_phone() {
        let mut rng = rng();
        let rates = REAL_BASE;
        for _ in 0..50 {
            let group =
                build_hard_negative_group(HardNegativeKind::Placeholder, &REAL_BASE, &mut rng);
            let mut rows = Vec::new();
            render_person(&group[0], 1, 0, &rates, &mut rng, &mut rows);
            let row = &rows[0];
            assert!(super::super::text::PLACEHOLDER_NAMES.contains(&row.first_name.as_str()));
            assert!(row.last_name.is_empty() && row.middle_name.is_empty());
            assert!(row.phone.is_some() && row.email.is_none());
            assert!(row.birth_date.is_none() || row.birth_date == Some(PLACEHOLDER_BIRTH_DATES[0]));
        }
    }

    #[test]
    fn a_persons_profiles_never_repeat_its_phone_or_email() {
        let mut rng = rng();
        let rates = Rates {
            noise: 2.0,
            hardening: 2.0,
        };
        for _ in 0..300 {
            let person = new_person(draw_sex(&mut rng), &rates, &mut rng);
            let mut rows = Vec::new();
            render_person(&person, 6, 0, &rates, &mut rng, &mut rows);
            assert_eq!(rows.len(), 6);
            let phones: Vec<u64> = rows
                .iter()
                .filter_map(|r| r.phone.map(|p| p.national))
                .collect();
            let mut unique_phones = phones.clone();
            unique_phones.sort_unstable();
            unique_phones.dedup();
            assert_eq!(phones.len(), unique_phones.len());
            let emails: Vec<String> = rows
                .iter()
                .filter_map(|r| r.email.as_ref().map(|e| e.to_lowercase()))
                .collect();
            let mut unique_emails = emails.clone();
            unique_emails.sort_unstable();
            unique_emails.dedup();
            assert_eq!(emails.len(), unique_emails.len(), "{emails:?}");
            assert!(
                rows.iter()
                    .all(|r| r.phone.is_some() || r.email.is_some() || r.origin_user_id.is_some())
            );
        }
    }

    #[test]
    fn families_hold_numbers_of_one_hundred_and_children_carry_the_fathers_patronymic() {
        let mut rng = rng();
        for _ in 0..200 {
            let family = build_hard_negative_group(HardNegativeKind::Family, &REAL_BASE, &mut rng);
            assert!((3..=4).contains(&family.len()));
            let (father, mother) = (&family[0], &family[1]);
            assert_eq!((father.sex, mother.sex), (Sex::Male, Sex::Female));
            let hundred = father.phone / 100;
            let mut numbers: Vec<u64> = family.iter().map(|p| p.phone).collect();
            assert!(numbers.iter().all(|n| n / 100 == hundred), "{numbers:?}");
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers.len(), family.len());
            for child in &family[2..] {
                assert_eq!(child.father, father.first.name);
                assert_eq!(child.surname, father.surname);
                assert!(child.birth.year() - father.birth.year().max(mother.birth.year()) >= 18);
            }
        }
    }

    #[test]
    fn family_mailboxes_share_a_domain_and_differ_in_a_few_characters() {
        let mut rng = rng();
        let mut one_character_apart = 0;
        for _ in 0..300 {
            let group =
                build_hard_negative_group(HardNegativeKind::FamilyMailboxes, &REAL_BASE, &mut rng);
            assert!((2..=3).contains(&group.len()));
            for person in &group[1..] {
                assert_eq!(person.email.domain, group[0].email.domain);
                assert_eq!(person.surname, group[0].surname);
                assert_ne!(person.first.name, group[0].first.name);
                assert!(
                    person
                        .forced_channel
                        .is_some_and(|c| c != Channel::PhoneOnly)
                );
                let distance = strsim::levenshtein(&person.email.login, &group[0].email.login);
                one_character_apart += usize::from(distance == 1);
            }
        }
        // Initials and counters: most logins are one character apart.
        assert!(one_character_apart > 200, "{one_character_apart}");
    }

    #[test]
    fn relatives_share_surname_and_patronymic_and_no_identifier() {
        let mut rng = rng();
        for _ in 0..200 {
            let group =
                build_hard_negative_group(HardNegativeKind::Relatives, &REAL_BASE, &mut rng);
            for person in &group[1..] {
                assert_eq!(person.surname, group[0].surname);
                assert_eq!(person.father, group[0].father);
                assert_ne!(person.first.name, group[0].first.name);
                assert_ne!(person.phone, group[0].phone);
                assert_ne!(person.email, group[0].email);
                assert!(person.birth.year().abs_diff(group[0].birth.year()) <= 12);
            }
        }
    }

    #[test]
    fn undated_father_and_son_leave_no_birth_date_on_one_side() {
        let mut rng = rng();
        let rates = REAL_BASE;
        let mut last_digit_neighbours = 0;
        for _ in 0..200 {
            let group =
                build_hard_negative_group(HardNegativeKind::FatherSonUndated, &rates, &mut rng);
            let (father, son) = (&group[0], &group[1]);
            assert_eq!(father.first.name, son.first.name);
            assert_eq!(father.middle_name(), son.middle_name());
            assert!(father.birth_withheld != son.birth_withheld);
            last_digit_neighbours += usize::from(father.phone / 10 == son.phone / 10);
            let undated = if father.birth_withheld { father } else { son };
            let mut rows = Vec::new();
            render_person(undated, 4, 0, &rates, &mut rng, &mut rows);
            assert!(rows.iter().all(|row| row.birth_date.is_none()));
        }
        assert!(last_digit_neighbours > 90, "{last_digit_neighbours}");
    }

    #[test]
    fn shared_logins_are_held_at_different_inboxes_by_people_of_one_name() {
        let mut rng = rng();
        for _ in 0..300 {
            let group =
                build_hard_negative_group(HardNegativeKind::SharedLogin, &REAL_BASE, &mut rng);
            assert!((2..=3).contains(&group.len()));
            let inboxes: Vec<String> = group
                .iter()
                .map(|p| mailbox_key(&p.email.render()))
                .collect();
            for (index, person) in group.iter().enumerate().skip(1) {
                assert_eq!(person.email.login, group[0].email.login);
                assert!(!inboxes[..index].contains(&inboxes[index]), "{inboxes:?}");
                assert_eq!(person.sex, group[0].sex);
                // The login names both: by the first name's initial, or by
                // the surname.
                assert!(
                    latin_initial(person.first.name) == latin_initial(group[0].first.name)
                        || person.surname == group[0].surname
                );
            }
            assert!(!group[0].email.login.bytes().any(|b| b == b'_'));
        }
    }

    #[test]
    fn phone_blocks_share_all_but_the_last_two_digits() {
        let mut rng = rng();
        for _ in 0..100 {
            let group =
                build_hard_negative_group(HardNegativeKind::PhoneBlock, &REAL_BASE, &mut rng);
            assert!((4..=12).contains(&group.len()));
            let mut numbers: Vec<u64> = group.iter().map(|p| p.phone).collect();
            assert!(numbers.iter().all(|n| n / 100 == numbers[0] / 100));
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers.len(), group.len());
            let corporate = group[0].forced_channel == Some(Channel::Full);
            if corporate {
                assert!(
                    group
                        .iter()
                        .all(|p| p.email.domain == group[0].email.domain)
                );
                // Consecutive numbers.
                assert_eq!(
                    numbers[numbers.len() - 1] - numbers[0],
                    group.len() as u64 - 1
                );
            }
        }
    }

    /// Renders many people at real-base rates and returns their rows.
    fn rendered_people(count: usize, size: usize, rng: &mut ChaCha8Rng) -> Vec<(Person, Vec<Row>)> {
        (0..count)
            .map(|_| {
                let person = new_person(draw_sex(rng), &REAL_BASE, rng);
                let mut rows = Vec::new();
                render_person(&person, size, 0, &REAL_BASE, rng, &mut rows);
                (person, rows)
            })
            .collect()
    }

    #[test]
    fn two_typos_of_one_number_are_two_edits_apart_and_one_from_the_number() {
        let mut rng = rng();
        let mut people_with_two_typos = 0;
        for size in [2, 3, 5] {
            for (person, rows) in rendered_people(2000, size, &mut rng) {
                let typos: Vec<u64> = rows
                    .iter()
                    .filter(|row| row.variations.contains(Variation::PhoneTwoTypos))
                    .map(|row| row.phone.expect("a typo is a phone").national)
                    .collect();
                if typos.is_empty() {
                    continue;
                }
                people_with_two_typos += 1;
                assert_eq!(typos.len(), 2, "size {size}");
                assert_eq!(digits_differing(typos[0], person.phone), 1);
                assert_eq!(digits_differing(typos[1], person.phone), 1);
                assert_eq!(digits_differing(typos[0], typos[1]), 2);
            }
        }
        // 5 % of 6000 people, less those whose profiles cannot carry both.
        assert!(
            (150..400).contains(&people_with_two_typos),
            "{people_with_two_typos}"
        );
    }

    #[test]
    fn store_profiles_carry_a_phone_and_a_first_name_only() {
        let mut rng = rng();
        let mut store_profiles = 0;
        for (_, rows) in rendered_people(3000, 3, &mut rng) {
            for row in rows
                .iter()
                .filter(|row| row.variations.contains(Variation::StoreProfile))
            {
                store_profiles += 1;
                assert!(row.phone.is_some() && row.email.is_none(), "{row:?}");
                assert!(!row.first_name.trim().is_empty());
                assert!(row.middle_name.is_empty() && row.last_name.is_empty());
                assert!(row.birth_date.is_none());
            }
        }
        // Store first profiles (45 % of the 30 % phone-only) and 15 % of
        // later ones: about 0.13·3000 + 0.15·6000.
        assert!((1000..1700).contains(&store_profiles), "{store_profiles}");
    }

    #[test]
    fn wrong_sex_fields_are_about_two_percent_and_name_the_other_sex() {
        let mut rng = rng();
        let (mut profiles, mut wrong, mut unisex) = (0, 0, 0);
        for (person, rows) in rendered_people(10_000, 1, &mut rng) {
            let row = &rows[0];
            profiles += 1;
            if row.variations.contains(Variation::SexWrong) {
                wrong += 1;
                assert_eq!(row.sex, Some(person.sex.other()));
                unisex += usize::from(
                    person
                        .first
                        .unisex_diminutives
                        .contains(&row.first_name.as_str()),
                );
            } else {
                assert!(row.sex.is_none() || row.sex == Some(person.sex));
            }
        }
        let share = f64::from(wrong) / f64::from(profiles);
        assert!((0.013..0.027).contains(&share), "{share}");
        assert!(unisex > 0);
    }

    #[test]
    fn maiden_and_married_surnames_appear_on_later_profiles() {
        let mut rng = rng();
        let (mut changed, mut double) = (0, 0);
        for (person, rows) in rendered_people(4000, 3, &mut rng) {
            for row in &rows[1..] {
                if row.variations.contains(Variation::MaidenMarried) {
                    changed += 1;
                    assert_eq!(person.sex, Sex::Female);
                    assert!(
                        row.variations.contains(Variation::DoubleBarrelledSurname)
                            == row.last_name.contains('-')
                            || row.variations.contains(Variation::SwappedFirstLast)
                            || row.variations.contains(Variation::FullNameInOneField)
                            || row.variations.contains(Variation::MissingNames)
                            || row.variations.contains(Variation::PlaceholderName)
                    );
                    double +=
                        usize::from(row.variations.contains(Variation::DoubleBarrelledSurname));
                }
            }
        }
        assert!(changed > 100 && double > 10, "{changed} {double}");
    }

    #[test]
    fn at_hardening_zero_no_real_base_habit_is_drawn() {
        let first_model = Rates {
            noise: 1.0,
            hardening: 0.0,
        };
        let mut rng = rng();
        let mut reference = rng.clone();
        for _ in 0..1000 {
            assert!(!first_model.habit(1.0, &mut rng));
        }
        assert_eq!(first_model.share(0.3), 0.0);
        // The stream did not move.
        assert_eq!(rng.random::<u64>(), reference.random::<u64>());
    }
}
