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
    Email, LoginParts, PhoneFormat, domain_typo, edit_login, gmail_dots, login,
    neighbouring_number, plus_tag, random_mobile, substitute_digit, transpose_digits, yandex_alias,
};
use super::names::{DomainKind, FirstName, Sex, Surname, VOCABULARY, patronymic};
use super::text::{
    Transliteration, case_and_whitespace_noise, placeholder_name, transliterate, typo,
    wrong_layout, yo_to_ye,
};
use super::{GeneratorConfig, HardNegativeKind, Variation, VariationSet};

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
        (span * rng.random::<f64>().sqrt()) as u64,
    )
}

fn draw_register_between(from: NaiveDate, to: NaiveDate, rng: &mut impl Rng) -> NaiveDate {
    let span = (to - from).num_days().max(1) as u64;
    add_days(from, rng.random_range(0..span))
}

fn new_email(first: &str, last: &str, birth: NaiveDate, phone: u64, rng: &mut impl Rng) -> Email {
    let domain = VOCABULARY.domain(rng);
    let parts = LoginParts {
        first_name: first,
        last_name: last,
        birth_year: birth.year(),
        phone,
    };
    Email {
        login: login(&parts, domain, rng),
        domain: domain.name,
    }
}

fn new_person(sex: Sex, rng: &mut impl Rng) -> Person {
    let first = VOCABULARY.first_name(sex, rng);
    let father = VOCABULARY.first_name(Sex::Male, rng).name;
    let surname = VOCABULARY.surname(rng);
    let birth = draw_birth_date(rng);
    let phone = random_mobile(rng);
    let email = new_email(first.name, surname.for_sex(sex), birth, phone, rng);
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

fn refresh_email(person: &mut Person, rng: &mut impl Rng) {
    let email = new_email(
        person.first.name,
        person.surname.for_sex(person.sex),
        person.birth,
        person.phone,
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

fn build_hard_negative_group(kind: HardNegativeKind, rng: &mut impl Rng) -> Vec<Person> {
    match kind {
        HardNegativeKind::Spouses => {
            let husband = new_person(Sex::Male, rng);
            let mut wife = new_person(Sex::Female, rng);
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
                let mut person = new_person(sex, rng);
                person.first = first;
                person.surname = surname.clone();
                if same_patronymic && let Some(first_person) = people.first() {
                    person.father = first_person.father;
                }
                refresh_email(&mut person, rng);
                people.push(person);
            }
            people
        }
        HardNegativeKind::FatherSon => {
            let mut father = new_person(Sex::Male, rng);
            father.father = father.first.name;
            father.birth = birth_date_in_year(rng.random_range(1950..=1978), rng);
            let mut son = new_person(Sex::Male, rng);
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
            let first = new_person(first_sex, rng);
            let mut second = new_person(second_sex, rng);
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
            refresh_email(&mut second, rng);
            vec![first, second]
        }
        HardNegativeKind::PhoneNeighbours => {
            let first = new_person(draw_sex(rng), rng);
            let mut second = new_person(draw_sex(rng), rng);
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
            let mut old_owner = new_person(draw_sex(rng), rng);
            let mut new_owner = new_person(draw_sex(rng), rng);
            old_owner.register = draw_register_between(FIRST_REGISTER_DAY, date(2017, 1, 1), rng);
            new_owner.register = draw_register_between(date(2020, 1, 1), LAST_REGISTER_DAY, rng);
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
            let mut person = new_person(draw_sex(rng), rng);
            person.placeholder = true;
            person.forced_channel = Some(Channel::PhoneOnly);
            vec![person]
        }
    }
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

/// Probabilities scaled by `--noise`, capped at 1.
struct Rates {
    noise: f64,
}

impl Rates {
    fn chance(&self, base: f64, rng: &mut impl Rng) -> bool {
        rng.random_bool((base * self.noise).clamp(0.0, 1.0))
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
    let group_probability = HardNegativeKind::group_probability(config.hard_negative_rate);
    let rates = Rates {
        noise: config.noise,
    };
    while chunk.rows.len() < quota {
        let group = chunk.groups.len() as u32;
        let (kind, people) = if rng.random_bool(group_probability) {
            let kind = HardNegativeKind::draw(&mut rng);
            (Some(kind), build_hard_negative_group(kind, &mut rng))
        } else {
            (None, vec![new_person(draw_sex(&mut rng), &mut rng)])
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
    let mut primary = render_fields(person, false, rates, rng);
    primary.entity = entity;
    if channel != Channel::EmailOnly {
        primary.phone = Some(format_phone_of(person.phone, &mut primary.variations, rng));
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

    for _ in 1..size {
        if rates.chance(0.03, rng) {
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
        let mut duplicate = render_fields(person, true, rates, rng);
        duplicate.entity = entity;
        duplicate.register_date = draw_register_between(person.register, LAST_REGISTER_DAY, rng);
        // Two later profiles may draw the same alias (both drop the gmail
        // dots); Sailplay would have refused the second, so it goes without.
        if let Some((variation, national)) = duplicate_phone(person, &mut taken, rates, rng)
            && !used_phones.contains(&national)
        {
            used_phones.push(national);
            duplicate.variations.insert(variation);
            duplicate.phone = Some(format_phone_of(national, &mut duplicate.variations, rng));
        }
        if let Some((variation, email)) = duplicate_email(person, &mut taken, rates, rng)
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
        (Variation::PhoneChanged, random_mobile(rng))
    } else {
        return None;
    };
    Some((variation, phone))
}

/// The email of a later profile and the variation that produced it.
fn duplicate_email(
    person: &Person,
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
        let mut other = new_email(
            person.first.name,
            person.last_name(),
            person.birth,
            random_mobile(rng),
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
fn render_fields(person: &Person, duplicate: bool, rates: &Rates, rng: &mut ChaCha8Rng) -> Row {
    let mut variations = VariationSet::default();
    let mut first = person.first.name.to_string();
    let mut middle = person.middle_name();
    let mut last = person.last_name().to_string();

    if person.placeholder {
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
    if rates.chance(0.30, rng) {
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

    let sex = if rates.chance(0.2, rng) {
        variations.insert(Variation::MissingSex);
        None
    } else {
        Some(person.sex)
    };
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
            let group = build_hard_negative_group(HardNegativeKind::Spouses, &mut rng);
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
            let group = build_hard_negative_group(HardNegativeKind::FatherSon, &mut rng);
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
            let group = build_hard_negative_group(HardNegativeKind::Twins, &mut rng);
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
            let group = build_hard_negative_group(HardNegativeKind::Namesakes, &mut rng);
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
            let group = build_hard_negative_group(HardNegativeKind::PhoneNeighbours, &mut rng);
            let differing = digits_differing(group[0].phone, group[1].phone);
            assert!(differing == 1 || differing == 2, "{differing}");

            let group = build_hard_negative_group(HardNegativeKind::RecycledPhone, &mut rng);
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
        let rates = Rates { noise: 1.0 };
        for _ in 0..50 {
            let group = build_hard_negative_group(HardNegativeKind::Placeholder, &mut rng);
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
        let rates = Rates { noise: 2.0 };
        for _ in 0..300 {
            let person = new_person(draw_sex(&mut rng), &mut rng);
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
}
