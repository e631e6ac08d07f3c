//! Why two profiles were linked, in words a non-statistician reads ("same
//! phone except one digit; same first name; nothing else to compare"),
//! shown beside the per-comparison weights in bits.
//!
//! Each comparison's level has a phrase; the phrases of the comparisons
//! that weigh (one bit or more either way, strongest first) are joined,
//! and "nothing else to compare" ends the line when every other comparison
//! had a value missing on one side. A level without a phrase (a custom
//! attribute, a level a later model adds) reads "<comparison>: <level>".

use crate::plan::{Language, PairEvidence};

/// Weights smaller than this (in bits, either way) are not worth a phrase.
const WORTH_SAYING: f64 = 1.0;

/// `(comparison, level, English, Russian)`.
const PHRASES: &[(&str, &str, &str, &str)] = &[
    ("phone", "exact", "same phone", "тот же телефон"),
    (
        "phone",
        "exact_landline",
        "same landline phone",
        "тот же городской телефон",
    ),
    (
        "phone",
        "one_substitution",
        "same phone except one digit",
        "телефон отличается одной цифрой",
    ),
    (
        "phone",
        "transposition",
        "same phone with two digits swapped",
        "в телефоне переставлены две цифры",
    ),
    (
        "phone",
        "one_substitution_last_digit",
        "same phone except the last digit (a relative's number?)",
        "телефон отличается последней цифрой (номер родственника?)",
    ),
    (
        "phone",
        "two_substitutions",
        "same phone except two digits",
        "телефон отличается двумя цифрами",
    ),
    ("phone", "else", "different phones", "разные телефоны"),
    ("email", "exact_address", "same e-mail", "тот же e-mail"),
    (
        "email",
        "same_mailbox",
        "same mailbox written another way",
        "тот же почтовый ящик в другой записи",
    ),
    (
        "email",
        "one_edit_same_domain",
        "e-mail one letter apart",
        "e-mail отличается одной буквой",
    ),
    (
        "email",
        "one_edit_in_digits_same_domain",
        "e-mail one digit apart",
        "e-mail отличается одной цифрой",
    ),
    (
        "email",
        "one_edit_on_initial_same_domain",
        "e-mail differs in an initial (a relative?)",
        "e-mail отличается инициалом (родственник?)",
    ),
    (
        "email",
        "same_login_sister_domain",
        "same e-mail login at a sister domain",
        "тот же логин e-mail на родственном домене",
    ),
    (
        "email",
        "same_login_other_domain",
        "same e-mail login at another domain",
        "тот же логин e-mail на другом домене",
    ),
    ("email", "else", "different e-mails", "разные e-mail"),
    ("first_name", "exact", "same first name", "то же имя"),
    (
        "first_name",
        "same_full_name",
        "first names are forms of one name",
        "формы одного имени",
    ),
    (
        "first_name",
        "jaro_winkler_0.92",
        "first names nearly the same (a typo?)",
        "почти одинаковые имена (опечатка?)",
    ),
    (
        "first_name",
        "jaro_winkler_0.85",
        "similar first names",
        "похожие имена",
    ),
    (
        "first_name",
        "in_other_login",
        "first name spelled in the other's e-mail login",
        "имя записано в логине e-mail другого",
    ),
    (
        "first_name",
        "else",
        "different first names",
        "разные имена",
    ),
    ("last_name", "exact", "same surname", "та же фамилия"),
    (
        "last_name",
        "gendered_forms",
        "surname in its male and female forms",
        "фамилия в мужской и женской форме",
    ),
    (
        "last_name",
        "jaro_winkler_0.92",
        "surnames nearly the same (a typo?)",
        "почти одинаковые фамилии (опечатка?)",
    ),
    (
        "last_name",
        "jaro_winkler_0.85",
        "similar surnames",
        "похожие фамилии",
    ),
    (
        "last_name",
        "different_women",
        "different surnames of a woman (married?)",
        "разные фамилии женщины (вышла замуж?)",
    ),
    (
        "last_name",
        "in_other_login",
        "surname spelled in the other's e-mail login",
        "фамилия записана в логине e-mail другого",
    ),
    (
        "last_name",
        "part_of_double",
        "one surname is part of the other's double-barrelled one",
        "одна фамилия — часть двойной фамилии другого",
    ),
    ("last_name", "else", "different surnames", "разные фамилии"),
    ("patronymic", "exact", "same patronymic", "то же отчество"),
    (
        "patronymic",
        "exact_named_after_father",
        "same patronymic, after a father of the same name (father and son?)",
        "то же отчество от отца с тем же именем (отец и сын?)",
    ),
    (
        "patronymic",
        "sex_forms",
        "patronymic in its male and female forms",
        "отчество в мужской и женской форме",
    ),
    (
        "patronymic",
        "jaro_winkler_0.92",
        "patronymics nearly the same",
        "почти одинаковые отчества",
    ),
    (
        "patronymic",
        "else",
        "different patronymics",
        "разные отчества",
    ),
    (
        "birth_date",
        "exact",
        "same birth date",
        "та же дата рождения",
    ),
    (
        "birth_date",
        "day_month_swapped",
        "birth date with day and month swapped",
        "в дате рождения переставлены день и месяц",
    ),
    (
        "birth_date",
        "one_digit_off",
        "birth date one digit apart",
        "дата рождения отличается одной цифрой",
    ),
    (
        "birth_date",
        "within_year",
        "birth dates within a year",
        "даты рождения в пределах года",
    ),
    (
        "birth_date",
        "else",
        "different birth dates",
        "разные даты рождения",
    ),
    (
        "login_birth_year",
        "agree",
        "birth year in the e-mail login agrees",
        "год рождения в логине e-mail совпадает",
    ),
    (
        "login_birth_year",
        "else",
        "birth year in the e-mail login disagrees",
        "год рождения в логине e-mail не совпадает",
    ),
    (
        "channels",
        "complementary",
        "one has a phone, the other an e-mail (store and online profiles)",
        "у одного телефон, у другого e-mail (магазин и сайт)",
    ),
    (
        "channels",
        "else",
        "the same kinds of contact",
        "одинаковые виды контактов",
    ),
    ("sex", "same", "same sex", "тот же пол"),
    ("sex", "conflict", "different sexes", "разный пол"),
    (
        "origin_user_id",
        "exact",
        "same card or CRM id",
        "тот же номер карты или CRM",
    ),
    (
        "origin_user_id",
        "else",
        "different card or CRM ids",
        "разные номера карт или CRM",
    ),
    (
        "register_date",
        "within_week",
        "registered within a week of each other",
        "зарегистрированы с разницей не больше недели",
    ),
    (
        "register_date",
        "within_month",
        "registered within a month of each other",
        "зарегистрированы с разницей не больше месяца",
    ),
    (
        "register_date",
        "within_quarter",
        "registered within three months of each other",
        "зарегистрированы с разницей не больше трёх месяцев",
    ),
    (
        "register_date",
        "within_year",
        "registered within a year of each other",
        "зарегистрированы с разницей не больше года",
    ),
    (
        "register_date",
        "within_two_years",
        "registered within two years of each other",
        "зарегистрированы с разницей не больше двух лет",
    ),
    (
        "register_date",
        "else",
        "registered more than two years apart",
        "зарегистрированы с разницей больше двух лет",
    ),
];

/// Levels that mean "nothing to compare".
fn is_missing(level: &str) -> bool {
    matches!(level, "missing" | "junk")
}

fn phrase(comparison: &str, level: &str, language: Language) -> String {
    PHRASES
        .iter()
        .find(|(c, l, _, _)| *c == comparison && *l == level)
        .map(|(_, _, en, ru)| match language {
            Language::En => en.to_string(),
            Language::Ru => ru.to_string(),
        })
        .unwrap_or_else(|| format!("{comparison}: {}", level.replace('_', " ")))
}

/// The pair's evidence in one line of plain words.
pub fn explain_pair(pair: &PairEvidence, language: Language) -> String {
    let mut worth: Vec<(&str, &str, f64)> = pair
        .fields
        .iter()
        .filter(|f| !is_missing(&f.level) && f.weight.abs() >= WORTH_SAYING)
        .map(|f| (f.comparison.as_str(), f.level.as_str(), f.weight))
        .collect();
    // Strongest first, for and against; ties in the model's order.
    worth.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()));
    let mut parts: Vec<String> = worth
        .iter()
        .map(|(comparison, level, _)| phrase(comparison, level, language))
        .collect();
    let unsaid_with_value = pair
        .fields
        .iter()
        .any(|f| !is_missing(&f.level) && f.weight.abs() < WORTH_SAYING);
    if !unsaid_with_value && !parts.is_empty() {
        parts.push(
            match language {
                Language::En => "nothing else to compare",
                Language::Ru => "больше сравнить нечего",
            }
            .to_string(),
        );
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::FieldEvidence;

    fn pair(fields: &[(&str, &str, f64)]) -> PairEvidence {
        PairEvidence {
            left: "1".into(),
            right: "2".into(),
            rules: vec![],
            weight: 5.0,
            probability: 0.97,
            fields: fields
                .iter()
                .map(|(comparison, level, weight)| FieldEvidence {
                    comparison: comparison.to_string(),
                    level: level.to_string(),
                    weight: *weight,
                })
                .collect(),
        }
    }

    #[test]
    fn every_built_in_level_has_plain_words() {
        let settings = crate::settings::matching::MatchSettings::default();
        let missing: Vec<String> = crate::score::comparison::comparisons(&settings)
            .iter()
            .flat_map(|comparison| {
                comparison
                    .levels
                    .iter()
                    .filter(|level| !is_missing(level.name))
                    .filter(|level| {
                        !PHRASES
                            .iter()
                            .any(|(c, l, _, _)| *c == comparison.name && *l == level.name)
                    })
                    .map(|level| format!("{} {}", comparison.name, level.name))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(missing.is_empty(), "no phrase for {missing:?}");
    }

    #[test]
    fn the_issue_example_reads_as_written() {
        let evidence = pair(&[
            ("phone", "one_substitution", 9.1),
            ("email", "missing", 0.0),
            ("first_name", "exact", 3.2),
            ("birth_date", "missing", 0.0),
        ]);
        assert_eq!(
            explain_pair(&evidence, Language::En),
            "same phone except one digit; same first name; nothing else to compare"
        );
        assert_eq!(
            explain_pair(&evidence, Language::Ru),
            "телефон отличается одной цифрой; то же имя; больше сравнить нечего"
        );
    }

    #[test]
    fn evidence_against_is_said_and_weak_agreement_is_not() {
        let evidence = pair(&[
            ("first_name", "exact", 2.0),
            ("birth_date", "else", -4.0),
            ("sex", "same", 0.2),
            ("shop_city", "exact", 1.5),
        ]);
        assert_eq!(
            explain_pair(&evidence, Language::En),
            "different birth dates; same first name; shop_city: exact"
        );
    }
}
