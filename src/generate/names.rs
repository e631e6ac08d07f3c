//! The name and mailbox vocabulary the generator draws from, read from the
//! data files in `datasets/names/gen/` (compiled into the binary so that `gen`
//! needs no files at run time), and the rules that derive Russian name forms
//! from it: gendered surnames and patronymics.
//!
//! Frequencies: first names carry weights close to the shares of the names
//! among adults in Russia; the explicit surname list carries Zipf-like
//! weights ((rank + 5)^-0.9, so that the commonest, Смирнов, holds about
//! 2 % as in Russia), and a long tail of rarer surnames is composed from
//! roots, prefixes and suffixes (about 11,000 more surnames, 35 % of people)
//! so that rare surnames are rare, as in real bases.

use std::sync::LazyLock;

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::IndexedRandom;

const FIRST_NAMES_CSV: &str = include_str!("../../datasets/names/gen/first_names.csv");
const SURNAMES_CSV: &str = include_str!("../../datasets/names/gen/surnames.csv");
const SURNAME_ROOTS: &str = include_str!("../../datasets/names/gen/surname_roots.txt");
const EMAIL_DOMAINS_CSV: &str = include_str!("../../datasets/names/gen/email_domains.csv");
const EMAIL_WORDS: &str = include_str!("../../datasets/names/gen/email_words.txt");

/// Share of people whose surname comes from the composed long tail rather
/// than the explicit frequency list.
const SURNAME_TAIL_SHARE: f64 = 0.35;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// Sailplay's code: 1 male, 2 female.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }

    pub fn other(self) -> Sex {
        match self {
            Sex::Male => Sex::Female,
            Sex::Female => Sex::Male,
        }
    }
}

#[derive(Debug)]
pub struct FirstName {
    pub name: &'static str,
    pub sex: Sex,
    pub weight: u32,
    /// Everyday short forms: Саша for Александр.
    pub diminutives: Vec<&'static str>,
    /// Accepted alternative spellings: Наталия for Наталья, Артем for Артём.
    pub variants: Vec<&'static str>,
    /// The conventional English form some people use: Julia, Alexander.
    pub english: Option<&'static str>,
    /// Short forms that a name of the other sex shares (Саша, Женя, Валя):
    /// a cashier who hears one guesses the sex wrong.
    pub unisex_diminutives: Vec<&'static str>,
}

/// A surname in both gendered forms (equal for invariant surnames such as
/// Шевченко, Белых, Петросян).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surname {
    pub male: String,
    pub female: String,
}

impl Surname {
    pub fn for_sex(&self, sex: Sex) -> &str {
        match sex {
            Sex::Male => &self.male,
            Sex::Female => &self.female,
        }
    }
}

/// Which family of providers a mail domain belongs to; it decides which
/// aliases of a mailbox the provider delivers to the same inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainKind {
    MailRu,
    Gmail,
    Yandex,
    Corporate,
    Other,
}

#[derive(Debug)]
pub struct Domain {
    pub name: &'static str,
    pub kind: DomainKind,
}

pub struct Vocabulary {
    pub first_names: Vec<FirstName>,
    male_first: (Vec<usize>, WeightedIndex<u32>),
    female_first: (Vec<usize>, WeightedIndex<u32>),
    surnames: Vec<Surname>,
    surname_weights: WeightedIndex<u32>,
    surname_roots: Vec<&'static str>,
    pub domains: Vec<Domain>,
    domain_weights: WeightedIndex<u32>,
    pub email_words: Vec<&'static str>,
}

/// The vocabulary, parsed once. The data files are part of the source tree
/// and checked by the unit tests below, so a malformed line is a build
/// defect, not an input error.
pub static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(Vocabulary::parse);

fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .skip(1)
        .map(str::trim)
        .filter(|line| !line.is_empty())
}

fn split_list(field: &'static str) -> Vec<&'static str> {
    field.split('|').filter(|part| !part.is_empty()).collect()
}

impl Vocabulary {
    fn parse() -> Vocabulary {
        let mut first_names: Vec<FirstName> = data_lines(FIRST_NAMES_CSV)
            .map(|line| {
                let fields: Vec<&'static str> = line.split(',').collect();
                assert_eq!(fields.len(), 6, "first_names.csv: bad line {line:?}");
                FirstName {
                    name: fields[0],
                    sex: if fields[1] == "1" {
                        Sex::Male
                    } else {
                        Sex::Female
                    },
                    weight: fields[2].parse().expect("first_names.csv: weight"),
                    diminutives: split_list(fields[3]),
                    variants: split_list(fields[4]),
                    english: Some(fields[5]).filter(|english| !english.is_empty()),
                    unisex_diminutives: Vec::new(),
                }
            })
            .collect();
        let diminutives_of = |names: &[FirstName], sex: Sex| -> Vec<&'static str> {
            names
                .iter()
                .filter(|name| name.sex == sex)
                .flat_map(|name| name.diminutives.iter().copied())
                .collect()
        };
        let male_diminutives = diminutives_of(&first_names, Sex::Male);
        let female_diminutives = diminutives_of(&first_names, Sex::Female);
        for name in &mut first_names {
            let other_sex = match name.sex {
                Sex::Male => &female_diminutives,
                Sex::Female => &male_diminutives,
            };
            name.unisex_diminutives = name
                .diminutives
                .iter()
                .copied()
                .filter(|diminutive| other_sex.contains(diminutive))
                .collect();
        }
        let by_sex = |sex: Sex| {
            let indices: Vec<usize> = (0..first_names.len())
                .filter(|&index| first_names[index].sex == sex)
                .collect();
            let weights =
                WeightedIndex::new(indices.iter().map(|&index| first_names[index].weight))
                    .expect("first names of each sex with positive weights");
            (indices, weights)
        };
        let male_first = by_sex(Sex::Male);
        let female_first = by_sex(Sex::Female);

        let mut surnames = Vec::new();
        let mut weights = Vec::new();
        for line in data_lines(SURNAMES_CSV) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "surnames.csv: bad line {line:?}");
            surnames.push(Surname {
                male: fields[0].to_string(),
                female: fields[1].to_string(),
            });
            weights.push(fields[2].parse::<u32>().expect("surnames.csv: weight"));
        }
        let surname_weights = WeightedIndex::new(weights).expect("surname weights");

        let domains_and_weights: Vec<(Domain, u32)> = data_lines(EMAIL_DOMAINS_CSV)
            .map(|line| {
                let fields: Vec<&'static str> = line.split(',').collect();
                assert_eq!(fields.len(), 3, "email_domains.csv: bad line {line:?}");
                let kind = match fields[2] {
                    "mailru" => DomainKind::MailRu,
                    "gmail" => DomainKind::Gmail,
                    "yandex" => DomainKind::Yandex,
                    "corporate" => DomainKind::Corporate,
                    _ => DomainKind::Other,
                };
                let weight = fields[1].parse().expect("email_domains.csv: weight");
                (
                    Domain {
                        name: fields[0],
                        kind,
                    },
                    weight,
                )
            })
            .collect();
        let domain_weights =
            WeightedIndex::new(domains_and_weights.iter().map(|(_, weight)| *weight))
                .expect("domain weights");
        let domains = domains_and_weights
            .into_iter()
            .map(|(domain, _)| domain)
            .collect();

        Vocabulary {
            first_names,
            male_first,
            female_first,
            surnames,
            surname_weights,
            surname_roots: SURNAME_ROOTS.lines().filter(|l| !l.is_empty()).collect(),
            domains,
            domain_weights,
            email_words: EMAIL_WORDS.lines().filter(|l| !l.is_empty()).collect(),
        }
    }

    pub fn first_name(&self, sex: Sex, rng: &mut impl Rng) -> &FirstName {
        let (indices, weights) = match sex {
            Sex::Male => &self.male_first,
            Sex::Female => &self.female_first,
        };
        &self.first_names[indices[weights.sample(rng)]]
    }

    /// One of the `top` most frequent first names of a sex: the names that
    /// namesakes share.
    pub fn common_first_name(&self, sex: Sex, top: usize, rng: &mut impl Rng) -> &FirstName {
        let mut names: Vec<&FirstName> = self
            .first_names
            .iter()
            .filter(|name| name.sex == sex)
            .collect();
        names.sort_by_key(|name| std::cmp::Reverse(name.weight));
        names.truncate(top);
        names.choose(rng).expect("at least one name of each sex")
    }

    pub fn surname(&self, rng: &mut impl Rng) -> Surname {
        if rng.random_bool(SURNAME_TAIL_SHARE) {
            self.tail_surname(rng)
        } else {
            self.surnames[self.surname_weights.sample(rng)].clone()
        }
    }

    /// One of the `top` most frequent surnames.
    pub fn common_surname(&self, top: usize, rng: &mut impl Rng) -> Surname {
        self.surnames[rng.random_range(0..top.min(self.surnames.len()))].clone()
    }

    fn tail_surname(&self, rng: &mut impl Rng) -> Surname {
        const PREFIXES: [&str; 10] = [
            "Бело",
            "Черно",
            "Ново",
            "Старо",
            "Криво",
            "Добро",
            "Сухо",
            "Долго",
            "Мало",
            "Остро",
        ];
        let root = *self.surname_roots.choose(rng).expect("surname roots");
        let stem = if rng.random_bool(0.15) {
            let prefix = PREFIXES.choose(rng).expect("prefixes");
            let mut lowered = root.to_lowercase();
            lowered.insert_str(0, prefix);
            lowered
        } else {
            root.to_string()
        };
        compose_surname(&stem, rng.random_range(0..100))
    }

    pub fn domain(&self, rng: &mut impl Rng) -> &Domain {
        &self.domains[self.domain_weights.sample(rng)]
    }

    pub fn domain_of_kind(&self, kind: DomainKind, rng: &mut impl Rng) -> &Domain {
        let candidates: Vec<&Domain> = self.domains.iter().filter(|d| d.kind == kind).collect();
        candidates.choose(rng).expect("a domain of every kind")
    }

    pub fn find_domain(&self, name: &str) -> Option<&Domain> {
        self.domains.iter().find(|domain| domain.name == name)
    }
}

/// A surname from a stem and a suffix chosen by `percentile` (0..100):
/// -ов/-ев 60 %, -ин 18 %, -ский 8 %, -енко 8 %, -ук 6 %.
pub fn compose_surname(stem: &str, percentile: u32) -> Surname {
    let soft_stem = stem.ends_with(['ж', 'ч', 'ш', 'щ', 'ц']);
    let (male_suffix, female_suffix) = match percentile {
        0..60 if soft_stem => ("ев", "ева"),
        0..60 => ("ов", "ова"),
        60..78 => ("ин", "ина"),
        78..86 => ("ский", "ская"),
        86..94 => ("енко", "енко"),
        _ => ("ук", "ук"),
    };
    Surname {
        male: format!("{stem}{male_suffix}"),
        female: format!("{stem}{female_suffix}"),
    }
}

/// The patronymic formed from a father's first name, for a child of `sex`,
/// by the Russian spelling rules: Иван → Иванович/Ивановна, Сергей →
/// Сергеевич, Юрий → Юрьевич, Дмитрий → Дмитриевич, Игорь → Игоревич,
/// Никита → Никитич/Никитична, with the irregular Илья, Кузьма, Лука, Фома,
/// Лев, Павел, Пётр, Михаил, Яков.
pub fn patronymic(father: &str, sex: Sex) -> String {
    const IRREGULAR: [(&str, &str, &str); 9] = [
        ("Илья", "Ильич", "Ильинична"),
        ("Кузьма", "Кузьмич", "Кузьминична"),
        ("Лука", "Лукич", "Лукинична"),
        ("Фома", "Фомич", "Фоминична"),
        ("Лев", "Львович", "Львовна"),
        ("Павел", "Павлович", "Павловна"),
        ("Пётр", "Петрович", "Петровна"),
        ("Михаил", "Михайлович", "Михайловна"),
        ("Яков", "Яковлевич", "Яковлевна"),
    ];
    if let Some((_, male, female)) = IRREGULAR.iter().find(|(name, _, _)| *name == father) {
        return match sex {
            Sex::Male => male,
            Sex::Female => female,
        }
        .to_string();
    }
    let (male_ending, female_ending) = ("вич", "вна");
    let ending = |stem: &str, link: &str| match sex {
        Sex::Male => format!("{stem}{link}{male_ending}"),
        Sex::Female => format!("{stem}{link}{female_ending}"),
    };
    if let Some(stem) = father.strip_suffix("ий") {
        // After г, к, х and in Дмитрий the и stays: Георгиевич, Дмитриевич.
        if stem.ends_with(['г', 'к', 'х']) || father == "Дмитрий" {
            ending(stem, "ие")
        } else {
            ending(stem, "ье")
        }
    } else if let Some(stem) = father.strip_suffix('й') {
        ending(stem, "е")
    } else if let Some(stem) = father.strip_suffix('ь') {
        ending(stem, "е")
    } else if let Some(stem) = father.strip_suffix('а') {
        match sex {
            Sex::Male => format!("{stem}ич"),
            Sex::Female => format!("{stem}ична"),
        }
    } else {
        ending(father, "о")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn patronymics_follow_the_spelling_rules() {
        let cases = [
            ("Иван", "Иванович", "Ивановна"),
            ("Сергей", "Сергеевич", "Сергеевна"),
            ("Николай", "Николаевич", "Николаевна"),
            ("Юрий", "Юрьевич", "Юрьевна"),
            ("Дмитрий", "Дмитриевич", "Дмитриевна"),
            ("Георгий", "Георгиевич", "Георгиевна"),
            ("Василий", "Васильевич", "Васильевна"),
            ("Игорь", "Игоревич", "Игоревна"),
            ("Никита", "Никитич", "Никитична"),
            ("Илья", "Ильич", "Ильинична"),
            ("Кузьма", "Кузьмич", "Кузьминична"),
            ("Пётр", "Петрович", "Петровна"),
            ("Лев", "Львович", "Львовна"),
            ("Михаил", "Михайлович", "Михайловна"),
            ("Павел", "Павлович", "Павловна"),
            ("Артём", "Артёмович", "Артёмовна"),
        ];
        for (father, son, daughter) in cases {
            assert_eq!(patronymic(father, Sex::Male), son, "{father}");
            assert_eq!(patronymic(father, Sex::Female), daughter, "{father}");
        }
    }

    #[test]
    fn every_male_first_name_gives_a_patronymic_ending_as_russian_ones_do() {
        for name in VOCABULARY.first_names.iter().filter(|n| n.sex == Sex::Male) {
            let male = patronymic(name.name, Sex::Male);
            let female = patronymic(name.name, Sex::Female);
            assert!(male.ends_with("ич"), "{} -> {male}", name.name);
            assert!(female.ends_with("на"), "{} -> {female}", name.name);
        }
    }

    #[test]
    fn vocabulary_files_parse_with_both_sexes_and_all_domain_kinds() {
        let vocabulary = &*VOCABULARY;
        assert!(vocabulary.first_names.iter().any(|n| n.sex == Sex::Male));
        assert!(vocabulary.first_names.iter().any(|n| n.sex == Sex::Female));
        assert!(vocabulary.surnames.len() > 300);
        assert!(vocabulary.surname_roots.len() > 200);
        for kind in [
            DomainKind::MailRu,
            DomainKind::Gmail,
            DomainKind::Yandex,
            DomainKind::Corporate,
            DomainKind::Other,
        ] {
            assert!(
                vocabulary.domains.iter().any(|d| d.kind == kind),
                "{kind:?}"
            );
        }
        assert!(vocabulary.surnames.iter().all(|s| !s.male.is_empty()));
    }

    #[test]
    fn unisex_diminutives_are_the_short_forms_both_sexes_share() {
        let unisex = |name: &str| {
            let found = VOCABULARY.first_names.iter().find(|n| n.name == name);
            found
                .expect("name in the vocabulary")
                .unisex_diminutives
                .clone()
        };
        assert_eq!(unisex("Александр"), ["Саша", "Шура"]);
        assert_eq!(unisex("Евгения"), ["Женя"]);
        assert_eq!(unisex("Валентин"), ["Валя"]);
        assert!(unisex("Елена").is_empty());
    }

    #[test]
    fn surnames_are_zipf_like_a_few_common_and_a_long_tail() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..50_000 {
            *counts
                .entry(VOCABULARY.surname(&mut rng).male)
                .or_insert(0usize) += 1;
        }
        let mut sorted: Vec<usize> = counts.values().copied().collect();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        // The most common surname holds about 1-3 % of people, and there are
        // thousands of distinct ones.
        assert!((500..1500).contains(&sorted[0]), "top {}", sorted[0]);
        assert!(sorted.len() > 2000, "distinct {}", sorted.len());
    }

    #[test]
    fn composed_surnames_are_gendered_by_suffix() {
        assert_eq!(compose_surname("Барсук", 10).female, "Барсукова");
        assert_eq!(compose_surname("Грач", 10).male, "Грачев");
        assert_eq!(compose_surname("Ворон", 80).female, "Воронская");
        assert_eq!(compose_surname("Ворон", 90).female, "Вороненко");
    }
}
