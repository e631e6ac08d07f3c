//! The first-name data in `datasets/names/`, embedded in the binary and
//! parsed once: full first names with their sex, diminutives with the full
//! names they can stand for, spelling variants to their canonical form, and
//! Latin spellings that letter rules cannot reach.
//!
//! Every key is lower-case Cyrillic with `ё` written `е` (Latin for the
//! exceptions), the form `name::fold_cyrillic` produces. The files are
//! checked by the tests below: a broken line is a test failure, not a
//! silently missing name.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::profile::Sex;

const FIRST_NAMES_CSV: &str = include_str!("../../datasets/names/first_names.csv");
const DIMINUTIVES_CSV: &str = include_str!("../../datasets/names/diminutives.csv");
const VARIANTS_CSV: &str = include_str!("../../datasets/names/variants.csv");
const LATIN_EXCEPTIONS_CSV: &str = include_str!("../../datasets/names/latin_exceptions.csv");

/// The two columns of each data line of a two-column file: comments (`#`)
/// and the header line are skipped.
fn pairs(csv: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    csv.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .map(|(left, right)| (left.trim(), right.trim()))
}

static FIRST_NAME_SEX: LazyLock<HashMap<&'static str, Sex>> = LazyLock::new(|| {
    pairs(FIRST_NAMES_CSV)
        .filter_map(|(name, sex)| match sex {
            "m" => Some((name, Sex::Male)),
            "f" => Some((name, Sex::Female)),
            _ => None,
        })
        .collect()
});

static DIMINUTIVES: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for (diminutive, full) in pairs(DIMINUTIVES_CSV) {
        let fulls = map.entry(diminutive).or_default();
        if !fulls.contains(&full) {
            fulls.push(full);
        }
    }
    for fulls in map.values_mut() {
        fulls.sort_unstable();
    }
    map
});

static VARIANTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| pairs(VARIANTS_CSV).collect());

static LATIN_EXCEPTIONS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| pairs(LATIN_EXCEPTIONS_CSV).collect());

/// Sex of a full first name from the dictionary.
pub fn full_name_sex(name: &str) -> Option<Sex> {
    FIRST_NAME_SEX.get(name).copied()
}

pub fn is_full_first_name(name: &str) -> bool {
    FIRST_NAME_SEX.contains_key(name)
}

/// The full names a diminutive can stand for, sorted; empty when `name` is
/// not a diminutive.
pub fn diminutive_full_names(name: &str) -> &'static [&'static str] {
    DIMINUTIVES.get(name).map_or(&[], Vec::as_slice)
}

/// A full first name or a diminutive of one.
pub fn is_known_first_name(name: &str) -> bool {
    is_full_first_name(name) || DIMINUTIVES.contains_key(name)
}

/// The canonical spelling of a first-name variant (`наталия` → `наталья`).
pub fn canonical_variant(name: &str) -> Option<&'static str> {
    VARIANTS.get(name).copied()
}

/// The Cyrillic form of a Latin spelling the letter rules cannot reach
/// (`eugene` → `евгений`).
pub fn latin_exception(latin: &str) -> Option<&'static str> {
    LATIN_EXCEPTIONS.get(latin).copied()
}

/// Sex a first name (full or diminutive) implies: a full name's own, or the
/// one sex all a diminutive's full names share; `None` when unknown or
/// ambiguous (саша, женя, валя).
pub fn first_name_sex(name: &str) -> Option<Sex> {
    if let Some(sex) = full_name_sex(name) {
        // A full name that is also a diminutive of the other sex (none in
        // the data today) would be ambiguous.
        let other_sex = diminutive_full_names(name)
            .iter()
            .any(|full| full_name_sex(full).is_some_and(|s| s != sex));
        return if other_sex { None } else { Some(sex) };
    }
    let fulls = diminutive_full_names(name);
    let first = full_name_sex(fulls.first()?)?;
    fulls
        .iter()
        .all(|full| full_name_sex(full) == Some(first))
        .then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_folded_cyrillic(text: &str) -> bool {
        !text.is_empty()
            && text
                .chars()
                .all(|c| matches!(c, 'а'..='я' | '-') && c != 'ё')
    }

    #[test]
    fn every_data_line_parses() {
        for (csv, columns) in [
            (FIRST_NAMES_CSV, 2),
            (DIMINUTIVES_CSV, 2),
            (VARIANTS_CSV, 2),
            (LATIN_EXCEPTIONS_CSV, 2),
        ] {
            for line in csv
                .lines()
                .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            {
                assert_eq!(line.split(',').count(), columns, "{line}");
            }
        }
        for (name, sex) in pairs(FIRST_NAMES_CSV) {
            assert!(is_folded_cyrillic(name), "{name}");
            assert!(sex == "m" || sex == "f", "{name},{sex}");
        }
    }

    #[test]
    fn diminutives_lead_to_dictionary_names() {
        assert!(
            DIMINUTIVES.len() >= 300,
            "{} diminutives",
            DIMINUTIVES.len()
        );
        for (diminutive, fulls) in DIMINUTIVES.iter() {
            assert!(is_folded_cyrillic(diminutive), "{diminutive}");
            for full in fulls {
                assert!(is_full_first_name(full), "{diminutive} → {full}");
            }
        }
    }

    #[test]
    fn variants_and_exceptions_lead_to_known_names() {
        for (variant, canonical) in VARIANTS.iter() {
            assert!(is_folded_cyrillic(variant), "{variant}");
            assert!(!is_known_first_name(variant), "{variant} is itself a name");
            assert!(is_known_first_name(canonical), "{variant} → {canonical}");
        }
        for (latin, cyrillic) in LATIN_EXCEPTIONS.iter() {
            assert!(latin.chars().all(|c| c.is_ascii_lowercase()), "{latin}");
            assert!(is_known_first_name(cyrillic), "{latin} → {cyrillic}");
        }
    }

    #[test]
    fn ambiguous_diminutives_map_to_every_full_name() {
        assert_eq!(diminutive_full_names("саша"), ["александр", "александра"]);
        assert_eq!(diminutive_full_names("женя"), ["евгений", "евгения"]);
        assert_eq!(diminutive_full_names("валя"), ["валентин", "валентина"]);
        assert_eq!(diminutive_full_names("шура"), ["александр", "александра"]);
        assert_eq!(diminutive_full_names("валера"), ["валерий"]);
        assert_eq!(diminutive_full_names("наташа"), ["наталья"]);
        assert!(diminutive_full_names("слава").contains(&"вячеслав"));
        assert!(diminutive_full_names("слава").contains(&"ярослава"));
        assert_eq!(diminutive_full_names("иван"), [] as [&str; 0]);
    }

    #[test]
    fn sex_of_first_names() {
        assert_eq!(first_name_sex("иван"), Some(Sex::Male));
        assert_eq!(first_name_sex("мария"), Some(Sex::Female));
        assert_eq!(first_name_sex("леша"), Some(Sex::Male));
        assert_eq!(first_name_sex("катя"), Some(Sex::Female));
        assert_eq!(first_name_sex("валера"), Some(Sex::Male));
        assert_eq!(first_name_sex("саша"), None);
        assert_eq!(first_name_sex("женя"), None);
        assert_eq!(first_name_sex("валя"), None);
        assert_eq!(first_name_sex("слава"), None);
        assert_eq!(first_name_sex("шура"), None);
        assert_eq!(first_name_sex("зюзя"), None);
    }
}
