//! The matching engine (block → score → cluster) on a synthetic population
//! of normalised records with known identities: the hard negatives a
//! Sailplay base holds (families with sequential phones, a father and son
//! with one full name, spouses Петров/Петрова, twins) must stay apart, a
//! transliterated diminutive profile must join its full-name twin, and
//! cluster ids must not change between runs.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use sailmerge::cluster::Clustering;
use sailmerge::normalize::{
    NormalizedEmail, NormalizedName, NormalizedPhone, NormalizedRecord, PhoneKind,
};
use sailmerge::pipeline::{self, MatchOptions};
use sailmerge::printer::Printer;
use sailmerge::profile::{Profile, Sex};
use sailmerge::settings::matching::MatchSettings;

use crate::harness::sailmerge;

const MALE_NAMES: &[(&str, &str)] = &[
    ("александр", "саша"),
    ("сергей", "сережа"),
    ("дмитрий", "дима"),
    ("андрей", "андрюша"),
    ("алексей", "леша"),
    ("максим", "макс"),
    ("евгений", "женя"),
    ("иван", "ваня"),
    ("михаил", "миша"),
    ("артем", "тема"),
    ("николай", "коля"),
    ("владимир", "вова"),
    ("павел", "паша"),
    ("роман", "рома"),
    ("игорь", "игорек"),
    ("олег", "олежка"),
    ("виктор", "витя"),
    ("юрий", "юра"),
    ("денис", "дэн"),
    ("антон", "антоша"),
    ("константин", "костя"),
    ("василий", "вася"),
    ("петр", "петя"),
    ("григорий", "гриша"),
    ("тимофей", "тима"),
    ("степан", "степа"),
    ("егор", "егорка"),
    ("кирилл", "киря"),
    ("валентин", "валя"),
    ("борис", "боря"),
];

const FEMALE_NAMES: &[(&str, &str)] = &[
    ("анна", "аня"),
    ("елена", "лена"),
    ("ольга", "оля"),
    ("наталья", "наташа"),
    ("екатерина", "катя"),
    ("мария", "маша"),
    ("татьяна", "таня"),
    ("ирина", "ира"),
    ("светлана", "света"),
    ("юлия", "юля"),
    ("анастасия", "настя"),
    ("евгения", "женя"),
    ("александра", "саша"),
    ("дарья", "даша"),
    ("ксения", "ксюша"),
    ("марина", "мариша"),
    ("людмила", "люда"),
    ("галина", "галя"),
    ("валентина", "валя"),
    ("надежда", "надя"),
    ("любовь", "люба"),
    ("виктория", "вика"),
    ("софия", "соня"),
    ("полина", "поля"),
];

const SURNAMES: &[&str] = &[
    "иванов",
    "смирнов",
    "кузнецов",
    "попов",
    "васильев",
    "петров",
    "соколов",
    "михайлов",
    "новиков",
    "федоров",
    "морозов",
    "волков",
    "алексеев",
    "лебедев",
    "семенов",
    "егоров",
    "павлов",
    "козлов",
    "степанов",
    "николаев",
    "орлов",
    "андреев",
    "макаров",
    "никитин",
    "захаров",
    "зайцев",
    "соловьев",
    "борисов",
    "яковлев",
    "григорьев",
    "романов",
    "воробьев",
    "сергеев",
    "кузьмин",
    "фролов",
    "александров",
    "дмитриев",
    "королев",
    "гусев",
    "киселев",
    "ильин",
    "максимов",
    "поляков",
    "сорокин",
    "виноградов",
    "ковалев",
    "белов",
    "медведев",
    "антонов",
    "тарасов",
    "жуков",
    "баранов",
    "филиппов",
    "комаров",
    "давыдов",
    "беляев",
];

const DOMAINS: &[&str] = &[
    "mail.ru",
    "gmail.com",
    "yandex.ru",
    "bk.ru",
    "list.ru",
    "inbox.ru",
    "rambler.ru",
];

/// Skewed pick: early entries are much more common, as real names are.
fn pick<'a, T>(random: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    let draw: f64 = random.random();
    &items[((draw * draw) * items.len() as f64) as usize]
}

fn full_forms(first: &str) -> Vec<String> {
    let mut forms: Vec<String> = MALE_NAMES
        .iter()
        .chain(FEMALE_NAMES)
        .filter(|(full, short)| *full == first || *short == first)
        .map(|(full, _)| full.to_string())
        .collect();
    forms.sort();
    forms.dedup();
    forms
}

fn patronymic(father: &str, sex: Sex) -> String {
    let female = sex == Sex::Female;
    if let Some(stem) = father.strip_suffix('й') {
        format!("{stem}{}", if female { "евна" } else { "евич" })
    } else {
        format!("{father}{}", if female { "овна" } else { "ович" })
    }
}

fn rare_surname(random: &mut ChaCha8Rng) -> String {
    const SYLLABLES: &[&str] = &[
        "бар", "вел", "гор", "дан", "жук", "зар", "кос", "лап", "мор", "нес", "пал", "рад", "сев",
        "тар", "фил", "хол", "чер", "шум", "юр", "яр", "бел", "вор", "грин", "дуб",
    ];
    let mut surname = String::new();
    for _ in 0..random.random_range(2..4) {
        surname.push_str(SYLLABLES[random.random_range(0..SYLLABLES.len())]);
    }
    surname.push_str(if random.random_bool(0.6) {
        "ов"
    } else {
        "ин"
    });
    surname
}

fn latin_login(random: &mut ChaCha8Rng) -> String {
    let length = random.random_range(6..11);
    (0..length)
        .map(|_| (b'a' + random.random_range(0..26u8)) as char)
        .collect()
}

fn random_phone(random: &mut ChaCha8Rng) -> String {
    format!("79{:09}", random.random_range(0..1_000_000_000u64))
}

fn change_one_digit(random: &mut ChaCha8Rng, text: &str) -> String {
    let mut digits: Vec<u8> = text.bytes().collect();
    let position = random.random_range(2..digits.len());
    let old = digits[position];
    while digits[position] == old {
        digits[position] = b'0' + random.random_range(0..10u8);
    }
    String::from_utf8(digits).unwrap()
}

fn next_phone(phone: &str, step: u64) -> String {
    let number: u64 = phone.parse().unwrap();
    (number + step).to_string()
}

/// One person as the truth knows them.
#[derive(Clone)]
struct Person {
    sex: Sex,
    first: String,
    diminutive: String,
    middle: String,
    last_key: String,
    birth: NaiveDate,
    phone: String,
    login: String,
    domain: String,
}

impl Person {
    fn last(&self) -> String {
        if self.sex == Sex::Female {
            format!("{}а", self.last_key)
        } else {
            self.last_key.clone()
        }
    }
}

#[derive(Default)]
struct Population {
    profiles: Vec<Profile>,
    records: Vec<NormalizedRecord>,
    entity: Vec<u32>,
    entities: u32,
}

struct ProfileShape {
    phone: Option<String>,
    email: Option<(String, String)>,
    first: String,
    middle: Option<String>,
    birth: Option<NaiveDate>,
    sex_known: bool,
    /// Whether the profile carries the surname (a till profile often
    /// holds a phone and a first name only).
    surname: bool,
}

impl Population {
    fn add(&mut self, entity: u32, person: &Person, shape: ProfileShape) -> u32 {
        let row = self.records.len() as u32;
        let phone = shape.phone.map(|digits| NormalizedPhone {
            digits: digits.into(),
            kind: PhoneKind::Mobile,
            placeholder: false,
        });
        let email = shape.email.map(|(login, domain)| NormalizedEmail {
            address: format!("{login}@{domain}").into(),
            mailbox_key: format!("{login}@{domain}").into(),
            login: login.into(),
            domain: domain.into(),
            repaired: false,
            valid: true,
            placeholder: false,
        });
        let record = NormalizedRecord {
            row,
            phone,
            email,
            name: NormalizedName {
                first_full: full_forms(&shape.first)
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                first: Some(shape.first.into()),
                middle: shape.middle.map(Into::into),
                last: shape.surname.then(|| person.last().into()),
                last_key: shape.surname.then(|| person.last_key.as_str().into()),
                ..NormalizedName::default()
            },
            birth_date: shape.birth,
            birth_date_placeholder: false,
            birth_date_implausible: false,
            sex: Some(person.sex),
            sex_from_names: !shape.sex_known,
            origin_user_id: None,
            register_date: None,
        };
        self.profiles.push(Profile {
            user_id: format!("{}", 100_000 + row).into(),
            ..Profile::default()
        });
        self.records.push(record);
        self.entity.push(entity);
        row
    }

    fn new_entity(&mut self) -> u32 {
        self.entities += 1;
        self.entities - 1
    }

    /// A profile showing everything the person has.
    fn add_full(&mut self, entity: u32, person: &Person) -> u32 {
        let shape = ProfileShape {
            phone: Some(person.phone.clone()),
            email: None,
            first: person.first.clone(),
            middle: Some(person.middle.clone()),
            birth: Some(person.birth),
            sex_known: true,
            surname: true,
        };
        self.add(entity, person, shape)
    }
}

fn random_person(random: &mut ChaCha8Rng) -> Person {
    let sex = if random.random_bool(0.5) {
        Sex::Male
    } else {
        Sex::Female
    };
    let (first, diminutive) = if sex == Sex::Male {
        pick(random, MALE_NAMES)
    } else {
        pick(random, FEMALE_NAMES)
    };
    let last_key = if random.random_bool(0.5) {
        pick(random, SURNAMES).to_string()
    } else {
        rare_surname(random)
    };
    let father = pick(random, MALE_NAMES).0;
    Person {
        sex,
        first: first.to_string(),
        diminutive: diminutive.to_string(),
        middle: patronymic(father, sex),
        last_key,
        birth: NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
            + Days::new(random.random_range(0..20_000)),
        phone: random_phone(random),
        login: latin_login(random),
        domain: DOMAINS[random.random_range(0..DOMAINS.len())].to_string(),
    }
}

/// The profiles of one person: a first one and maybe near-duplicates
/// (another or a mistyped phone, an email only, a diminutive, fields left
/// out, a mistyped birth date).
fn add_person_profiles(population: &mut Population, random: &mut ChaCha8Rng, person: &Person) {
    let entity = population.new_entity();
    let copies = match random.random_range(0..100) {
        0..65 => 1,
        65..90 => 2,
        _ => 3,
    };
    for copy in 0..copies {
        let phone = if copy == 0 {
            random.random_bool(0.85).then(|| person.phone.clone())
        } else {
            match random.random_range(0..100) {
                0..35 => None,
                35..60 => Some(random_phone(random)),
                60..80 => Some(change_one_digit(random, &person.phone)),
                _ => Some(person.phone.clone()),
            }
        };
        let email = if copy == 0 {
            random
                .random_bool(0.4)
                .then(|| (person.login.clone(), person.domain.clone()))
        } else {
            match random.random_range(0..100) {
                0..40 => None,
                40..55 => Some((person.login.clone(), person.domain.clone())),
                55..70 => Some((format!("{}x", person.login), person.domain.clone())),
                70..80 => Some((person.login.clone(), "bk.ru".to_string())),
                _ => Some((latin_login(random), person.domain.clone())),
            }
        };
        let birth = match random.random_range(0..100) {
            0..30 if copy > 0 => None,
            30..35 if copy > 0 => Some(person.birth + Days::new(1)),
            _ => Some(person.birth),
        };
        let shape = ProfileShape {
            phone,
            email,
            first: if copy > 0 && random.random_bool(0.25) {
                person.diminutive.clone()
            } else {
                person.first.clone()
            },
            middle: random.random_bool(0.6).then(|| person.middle.clone()),
            birth,
            sex_known: random.random_bool(0.5),
            surname: true,
        };
        population.add(entity, person, shape);
    }
}

/// `persons` random people with their duplicates, and around them the
/// relatives that make matching hard: spouses with the next phone number,
/// twins, a son with his father's full name.
fn synthetic_population(persons: usize, seed: u64) -> Population {
    let mut random = ChaCha8Rng::seed_from_u64(seed);
    let mut population = Population::default();
    for _ in 0..persons {
        let person = random_person(&mut random);
        add_person_profiles(&mut population, &mut random, &person);
        if random.random_bool(0.08) {
            let mut spouse = random_person(&mut random);
            spouse.sex = if person.sex == Sex::Male {
                Sex::Female
            } else {
                Sex::Male
            };
            let (first, diminutive) = if spouse.sex == Sex::Male {
                pick(&mut random, MALE_NAMES)
            } else {
                pick(&mut random, FEMALE_NAMES)
            };
            spouse.first = first.to_string();
            spouse.diminutive = diminutive.to_string();
            spouse.last_key = person.last_key.clone();
            spouse.phone = next_phone(&person.phone, 1);
            spouse.birth = person.birth + Days::new(random.random_range(0..2000));
            add_person_profiles(&mut population, &mut random, &spouse);
        }
        if random.random_bool(0.01) {
            let mut twin = person.clone();
            while twin.first == person.first {
                twin.first = if twin.sex == Sex::Male {
                    pick(&mut random, MALE_NAMES).0.to_string()
                } else {
                    pick(&mut random, FEMALE_NAMES).0.to_string()
                };
            }
            twin.phone = next_phone(&person.phone, 1);
            twin.login = latin_login(&mut random);
            add_person_profiles(&mut population, &mut random, &twin);
        }
        if person.sex == Sex::Male && random.random_bool(0.01) {
            let mut son = person.clone();
            son.birth = person.birth + Days::new(random.random_range(9000..11000));
            son.phone = next_phone(&person.phone, 1);
            son.login = latin_login(&mut random);
            add_person_profiles(&mut population, &mut random, &son);
        }
    }
    population
}

fn run_engine(population: &Population, settings: &MatchSettings) -> Clustering {
    pipeline::match_records(
        &population.profiles,
        &population.records,
        settings,
        MatchOptions::default(),
        &Printer::silent(),
    )
    .unwrap()
    .clustering
}

struct Quality {
    precision: f64,
    recall: f64,
    wrong_cluster_share: f64,
}

fn quality(population: &Population, clustering: &Clustering) -> Quality {
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let mut entity_sizes: HashMap<u32, u64> = HashMap::new();
    for entity in &population.entity {
        *entity_sizes.entry(*entity).or_default() += 1;
    }
    let true_pairs: u64 = entity_sizes.values().map(|&n| pairs(n)).sum();
    let (mut predicted, mut correct, mut wrong_clusters) = (0, 0, 0);
    for cluster in &clustering.clusters {
        predicted += pairs(cluster.members.len() as u64);
        let mut by_entity: HashMap<u32, u64> = HashMap::new();
        for &row in &cluster.members {
            *by_entity
                .entry(population.entity[row as usize])
                .or_default() += 1;
        }
        correct += by_entity.values().map(|&n| pairs(n)).sum::<u64>();
        if by_entity.len() > 1 {
            wrong_clusters += 1;
        }
    }
    Quality {
        precision: correct as f64 / predicted.max(1) as f64,
        recall: correct as f64 / true_pairs.max(1) as f64,
        wrong_cluster_share: wrong_clusters as f64 / clustering.clusters.len().max(1) as f64,
    }
}

/// A background population with named hard cases appended.
struct Scenario {
    population: Population,
    clustering: Clustering,
    rows: HashMap<&'static str, u32>,
}

impl Scenario {
    fn same_cluster(&self, a: &str, b: &str) -> bool {
        self.together_in(&self.clustering, a, b)
    }

    /// Whether `a` and `b` link once the father-and-son guard is off: the
    /// guard, not a low score, is then what keeps them apart.
    fn same_cluster_without_father_son_guard(&self, a: &str, b: &str) -> bool {
        let unguarded = run_engine(
            &self.population,
            &MatchSettings {
                father_son_guard: false,
                ..MatchSettings::default()
            },
        );
        self.together_in(&unguarded, a, b)
    }

    fn together_in(&self, clustering: &Clustering, a: &str, b: &str) -> bool {
        let (a, b) = (self.rows[a], self.rows[b]);
        clustering
            .clusters
            .iter()
            .any(|c| c.members.contains(&a) && c.members.contains(&b))
    }
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn scenario() -> &'static Scenario {
    static SCENARIO: OnceLock<Scenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let mut population = synthetic_population(3000, 7);
        let mut rows = HashMap::new();
        let person =
            |sex, first: &str, middle: &str, last_key: &str, birth: &str, phone: &str| Person {
                sex,
                first: first.into(),
                diminutive: first.into(),
                middle: middle.into(),
                last_key: last_key.into(),
                birth: date(birth),
                phone: phone.into(),
                login: String::new(),
                domain: String::new(),
            };
        // A family with sequential phones: father, mother, son.
        let father = person(
            Sex::Male,
            "игорь",
            "сергеевич",
            "зорин",
            "1970-02-11",
            "79261230001",
        );
        let mother = person(
            Sex::Female,
            "елена",
            "павловна",
            "зорин",
            "1972-08-30",
            "79261230002",
        );
        let son = person(
            Sex::Male,
            "кирилл",
            "игоревич",
            "зорин",
            "1996-04-17",
            "79261230003",
        );
        for (name, member) in [("father", &father), ("mother", &mother), ("son", &son)] {
            let entity = population.new_entity();
            rows.insert(name, population.add_full(entity, member));
        }
        // A father and son with one full name, sequential phones.
        let senior = person(
            Sex::Male,
            "николай",
            "николаевич",
            "громов",
            "1958-05-05",
            "79031112201",
        );
        let junior = person(
            Sex::Male,
            "николай",
            "николаевич",
            "громов",
            "1986-09-09",
            "79031112202",
        );
        for (name, member) in [("senior", &senior), ("junior", &junior)] {
            let entity = population.new_entity();
            rows.insert(name, population.add_full(entity, member));
        }
        // Spouses Петров/Петрова: same surname root, same birth date, next
        // phone, email logins one edit apart.
        let husband = person(
            Sex::Male,
            "андрей",
            "олегович",
            "петров",
            "1980-10-10",
            "79164447711",
        );
        let wife = person(
            Sex::Female,
            "анна",
            "олеговна",
            "петров",
            "1980-10-10",
            "79164447712",
        );
        for (name, member, login) in [("husband", &husband, "petrovy"), ("wife", &wife, "petrova")]
        {
            let entity = population.new_entity();
            let mut profile = member.clone();
            profile.login = login.into();
            let row = population.add(
                entity,
                &profile,
                ProfileShape {
                    phone: Some(member.phone.clone()),
                    email: Some((login.to_string(), "mail.ru".to_string())),
                    first: member.first.clone(),
                    middle: None,
                    birth: Some(member.birth),
                    sex_known: false,
                    surname: true,
                },
            );
            rows.insert(name, row);
        }
        // A father and son named alike (Степан Степанович Лопатенко): a
        // store profile with phone and birth date, an online one with an
        // e-mail only. Names are all the two share.
        let elder = person(
            Sex::Male,
            "степан",
            "степанович",
            "лопатенко",
            "1961-03-03",
            "79035558801",
        );
        let entity = population.new_entity();
        rows.insert("elder", population.add_full(entity, &elder));
        let entity = population.new_entity();
        let younger = population.add(
            entity,
            &elder,
            ProfileShape {
                phone: None,
                email: Some(("stepan.lopatenko".into(), "yandex.ru".into())),
                first: "степан".into(),
                middle: Some("степанович".into()),
                birth: None,
                sex_known: false,
                surname: true,
            },
        );
        rows.insert("younger", younger);
        // A father named in a store by his first name and surname only,
        // beside his son named after him (Павел Павлович Корнеев), on the
        // next number: nothing but names and a family's phones between them.
        let son_named_after = person(
            Sex::Male,
            "павел",
            "павлович",
            "корнеев",
            "1991-07-21",
            "79057770042",
        );
        let entity = population.new_entity();
        rows.insert(
            "son_named_after",
            population.add_full(entity, &son_named_after),
        );
        let entity = population.new_entity();
        let store_father = population.add(
            entity,
            &Person {
                phone: "79057770041".into(),
                ..son_named_after.clone()
            },
            ProfileShape {
                phone: Some("79057770041".into()),
                email: None,
                first: "павел".into(),
                middle: None,
                birth: None,
                sex_known: false,
                surname: true,
            },
        );
        rows.insert("store_father", store_father);
        // Twins: one birth date, patronymic and surname, sequential phones.
        let twin_one = person(
            Sex::Male,
            "артем",
            "олегович",
            "смирнов",
            "1990-04-04",
            "79265550010",
        );
        let twin_two = person(
            Sex::Male,
            "антон",
            "олегович",
            "смирнов",
            "1990-04-04",
            "79265550011",
        );
        for (name, member) in [("twin_one", &twin_one), ("twin_two", &twin_two)] {
            let entity = population.new_entity();
            rows.insert(name, population.add_full(entity, member));
        }
        // Александр Иванов in a store (phone), "Sasha Ivanov" online (email,
        // transliterated, diminutive): one person, one birth date.
        let alexander = person(
            Sex::Male,
            "александр",
            "",
            "иванов",
            "1987-09-12",
            "79165554433",
        );
        let entity = population.new_entity();
        let store = population.add(
            entity,
            &alexander,
            ProfileShape {
                phone: Some(alexander.phone.clone()),
                email: None,
                first: "александр".into(),
                middle: None,
                birth: Some(alexander.birth),
                sex_known: true,
                surname: true,
            },
        );
        let online = population.add(
            entity,
            &alexander,
            ProfileShape {
                phone: None,
                email: Some(("sasha.ivanov87".into(), "gmail.com".into())),
                first: "саша".into(),
                middle: None,
                birth: Some(alexander.birth),
                sex_known: false,
                surname: true,
            },
        );
        population.records[online as usize].name.transliterated = true;
        rows.insert("alexander", store);
        rows.insert("sasha", online);

        // A till profile with a phone one digit off (a typo) and a first
        // name only, beside the customer's full profile: one person.
        let customer = person(
            Sex::Female,
            "вероника",
            "игоревна",
            "белозерск",
            "1984-06-21",
            "79857312468",
        );
        let entity = population.new_entity();
        rows.insert("customer", population.add_full(entity, &customer));
        let till = population.add(
            entity,
            &customer,
            ProfileShape {
                phone: Some("79857312768".into()),
                email: None,
                first: "вероника".into(),
                middle: None,
                birth: None,
                sex_known: false,
                surname: false,
            },
        );
        rows.insert("till", till);

        // One person whose sex field differs on her two profiles (a
        // cashier's slip): Саша Ким, no name of one sex, the same birth
        // date, e-mail and a phone typo.
        let kim = person(Sex::Female, "саша", "", "ким", "1991-11-02", "79163339021");
        let entity = population.new_entity();
        let mut kim_mail = kim.clone();
        kim_mail.login = "sasha.kim91".into();
        for (name, phone, sex) in [
            ("kim_as_woman", "79163339021", Sex::Female),
            ("kim_as_man", "79163393021", Sex::Male),
        ] {
            let row = population.add(
                entity,
                &kim_mail,
                ProfileShape {
                    phone: Some(phone.into()),
                    email: None,
                    first: "саша".into(),
                    middle: None,
                    birth: Some(kim.birth),
                    sex_known: true,
                    surname: true,
                },
            );
            population.records[row as usize].sex = Some(sex);
            population.records[row as usize].sex_from_names = false;
            rows.insert(name, row);
        }

        let clustering = run_engine(&population, &MatchSettings::default());
        Scenario {
            population,
            clustering,
            rows,
        }
    })
}

#[test]
fn a_family_with_sequential_phones_stays_apart() {
    let scenario = scenario();
    assert!(!scenario.same_cluster("father", "mother"));
    assert!(!scenario.same_cluster("father", "son"));
    assert!(!scenario.same_cluster("mother", "son"));
}

#[test]
fn a_father_and_son_with_one_full_name_stay_apart() {
    assert!(!scenario().same_cluster("senior", "junior"));
}

#[test]
fn a_father_and_son_named_alike_sharing_only_names_stay_apart() {
    let scenario = scenario();
    assert!(!scenario.same_cluster("elder", "younger"));
    assert!(scenario.same_cluster_without_father_son_guard("elder", "younger"));
    assert!(scenario.clustering.stats.links_held_back_father_son >= 1);
}

#[test]
fn a_father_without_a_patronymic_and_his_son_named_after_him_stay_apart() {
    let scenario = scenario();
    assert!(!scenario.same_cluster("store_father", "son_named_after"));
    // Without the guard the next number and the shared names link them.
    assert!(scenario.same_cluster_without_father_son_guard("store_father", "son_named_after"));
}

#[test]
fn a_till_profile_with_a_phone_typo_and_a_first_name_joins_its_customer() {
    assert!(scenario().same_cluster("customer", "till"));
}

#[test]
fn a_stated_sex_that_differs_does_not_keep_one_person_apart() {
    assert!(scenario().same_cluster("kim_as_woman", "kim_as_man"));
}

#[test]
fn spouses_petrov_and_petrova_stay_apart() {
    assert!(!scenario().same_cluster("husband", "wife"));
}

#[test]
fn twins_stay_apart() {
    assert!(!scenario().same_cluster("twin_one", "twin_two"));
}

#[test]
fn a_transliterated_diminutive_joins_its_full_name_twin() {
    assert!(scenario().same_cluster("alexander", "sasha"));
}

#[test]
fn synthetic_population_is_matched_precisely() {
    let scenario = scenario();
    let measured = quality(&scenario.population, &scenario.clustering);
    eprintln!(
        "precision {:.4} recall {:.4} wrong clusters {:.4}",
        measured.precision, measured.recall, measured.wrong_cluster_share
    );
    assert!(
        measured.precision >= 0.98,
        "precision {}",
        measured.precision
    );
    assert!(measured.recall >= 0.70, "recall {}", measured.recall);
    assert!(
        measured.wrong_cluster_share <= 0.015,
        "wrong clusters {}",
        measured.wrong_cluster_share
    );
}

#[test]
fn cluster_ids_are_the_same_on_every_run() {
    let scenario = scenario();
    let again = run_engine(&scenario.population, &MatchSettings::default());
    assert_eq!(again.clusters, scenario.clustering.clusters);
    assert!(!again.clusters.is_empty());
}

#[test]
fn show_settings_prints_every_matching_default_and_the_threshold_flag() {
    let output = sailmerge(&["plan", "--show-settings", "--threshold", "0.95"], &[]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let settings: toml::Value = toml::from_str(&text).unwrap();
    let matching = &settings["matching"];
    assert_eq!(matching["threshold"].as_float(), Some(0.95));
    for key in [
        "blocking_rules",
        "max_block_pairs",
        "max_name_block_pairs",
        "u_sample_pairs",
        "seed",
        "em_iterations",
        "conflict_weight",
        "term_frequency",
        "max_cluster_size",
        "contradiction_guards",
        "extra",
    ] {
        assert!(matching.get(key).is_some(), "{key} missing from\n{text}");
    }
}

#[test]
fn guards_and_reference_date_from_the_config_file_are_shown() {
    let output = show_settings_with_config(
        "[matching]\ncontradiction_guards = [\"sex\"]\nreference_date = 2010-06-30\n",
    );
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let settings: toml::Value = toml::from_str(&text).unwrap();
    let matching = &settings["matching"];
    assert_eq!(
        matching["contradiction_guards"].as_array().unwrap(),
        &vec![toml::Value::String("sex".into())]
    );
    assert_eq!(matching["reference_date"].as_str(), Some("2010-06-30"));
}

#[test]
fn extra_comparisons_from_the_config_file_are_shown_and_checked() {
    let output = show_settings_with_config(
        "[matching]\nmax_cluster_size = 10\n[[matching.extra]]\ncolumn = \"city\"\nkind = \"fuzzy\"\n[[matching.extra]]\ncolumn = \"card\"\nkind = \"exact\"\nblock = true\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let settings: toml::Value = toml::from_str(&text).unwrap();
    let extra = settings["matching"]["extra"].as_array().unwrap();
    assert_eq!(extra.len(), 2);
    assert_eq!(extra[0]["kind"].as_str(), Some("fuzzy"));
    assert_eq!(extra[1]["block"].as_bool(), Some(true));
    assert_eq!(
        settings["matching"]["max_cluster_size"].as_integer(),
        Some(10)
    );

    let output = show_settings_with_config("[matching]\nthreshold = 1.5\nconflict_weight = 3.0\n");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("threshold"), "{stderr}");
    assert!(stderr.contains("conflict_weight"), "{stderr}");

    // An unknown rule is a parse error that names the rules there are.
    let output = show_settings_with_config("[matching]\nblocking_rules = [\"phone_soundex\"]\n");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("phone_soundex"), "{stderr}");
    assert!(stderr.contains("phone_exact"), "{stderr}");
}

/// `plan --show-settings` with a config file holding `config`.
fn show_settings_with_config(config: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.toml");
    std::fs::write(&path, config).unwrap();
    sailmerge(
        &[
            "plan",
            "--show-settings",
            "--config",
            path.to_str().unwrap(),
        ],
        &[],
    )
}

/// The register-date comparison of a model fitted on `profiles`: the
/// general weight of each of its levels, by level name.
fn register_date_weights(profiles: &[Profile]) -> HashMap<&'static str, f64> {
    let mut settings = MatchSettings::default();
    let (_, _, matching) = pipeline::match_profiles(
        profiles,
        &mut settings,
        MatchOptions::default(),
        &Printer::silent(),
    )
    .expect("matching runs");
    let scored = matching.scored;
    let index = scored
        .comparisons
        .iter()
        .position(|comparison| comparison.name == "register_date")
        .expect("a register-date comparison");
    scored.comparisons[index]
        .levels
        .iter()
        .enumerate()
        .map(|(level, name)| {
            let weight = scored.weights.of(
                index,
                level as u8,
                sailmerge::score::model::Context::General,
            );
            (name.name, weight)
        })
        .collect()
}

/// How far apart two profiles were registered weighs what the base shows
/// it to be worth. In the demo base one person's profiles were registered
/// closer together than two strangers', so registering within a week is
/// evidence and years apart is evidence against; where a migration stamped
/// one date on every profile, no level weighs anything.
#[test]
fn register_dates_weigh_what_the_base_shows() {
    let export = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/demo/export.csv");
    let settings = sailmerge::settings::Settings::default();
    let loaded = sailmerge::load::load_exports(&[export], &settings.load, &Printer::silent())
        .expect("the demo export loads");
    let mut profiles =
        sailmerge::load::profiles_from_frame(&loaded.frame).expect("profiles from the frame");

    let weights = register_date_weights(&profiles);
    assert!(weights["within_week"] > 1.0, "{weights:?}");
    assert!(weights["within_year"] > 0.0, "{weights:?}");
    assert!(weights["else"] < 0.0, "{weights:?}");

    for profile in &mut profiles {
        profile.register_date = Some("2019-04-01 00:00:00".into());
    }
    let weights = register_date_weights(&profiles);
    for (level, weight) in &weights {
        assert!(weight.abs() < 0.1, "{level}: {weight} ({weights:?})");
    }
}
