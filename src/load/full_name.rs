//! A full name in one column (`ФИО`, as many CRMs export it) into the three
//! name fields, and the check that warns when a custom column looks like
//! people's names.
//!
//! The parts are found per value by their shapes, with the normaliser's own
//! tests: a patronymic ending (-вич, -вна, the particles оглы/кызы) marks
//! the patronymic, and the first-name dictionary the first name; only a
//! value whose shapes say nothing falls back to the header's order
//! (Фамилия Имя Отчество for `ФИО`). Parts keep their original spelling:
//! only the normaliser folds case and letters.

use crate::normalize::dictionary::is_known_first_name;
use crate::normalize::name::{fold_cyrillic, is_patronymic, sex_from_patronymic};

/// The order of the parts a full-name column's header promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOrder {
    /// Фамилия Имя Отчество: `ФИО`, the Russian default.
    LastFirstMiddle,
    /// Имя Отчество Фамилия: `Имя Фамилия`.
    FirstMiddleLast,
}

/// One value's parts, as slices of the value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameParts<'a> {
    pub last: Option<&'a str>,
    pub first: Option<&'a str>,
    pub middle: Option<&'a str>,
}

/// A word of the value and what its shape says.
#[derive(Debug, Clone, Copy)]
struct Part<'a> {
    text: &'a str,
    patronymic: bool,
    first_name: bool,
}

/// Splits one full name into its parts; see the module comment.
pub fn split_full_name(value: &str, order: NameOrder) -> NameParts<'_> {
    let parts = parts_of(value);
    let (last, first, middle) = match parts.as_slice() {
        [] => (None, None, None),
        [only] if only.first_name => (None, Some(*only), None),
        [only] if only.patronymic => (None, None, Some(*only)),
        [only] => (Some(*only), None, None),
        [a, b] if b.patronymic => (None, Some(*a), Some(*b)),
        [a, b] if a.first_name && !b.first_name => (Some(*b), Some(*a), None),
        [a, b] if b.first_name && !a.first_name => (Some(*a), Some(*b), None),
        [a, b] => match order {
            NameOrder::LastFirstMiddle => (Some(*a), Some(*b), None),
            NameOrder::FirstMiddleLast => (Some(*b), Some(*a), None),
        },
        [.., last_part] if last_part.patronymic => {
            // Фамилия Имя Отчество, the surname possibly of several words.
            let count = parts.len();
            (
                Some(span(value, &parts[..count - 2])),
                Some(parts[count - 2]),
                Some(*last_part),
            )
        }
        [a, b, rest @ ..] if b.patronymic => (Some(span(value, rest)), Some(*a), Some(*b)),
        [a, b, rest @ ..] => match order {
            NameOrder::LastFirstMiddle => (Some(*a), Some(*b), Some(span(value, rest))),
            NameOrder::FirstMiddleLast => (Some(span(value, rest)), Some(*a), Some(*b)),
        },
    };
    NameParts {
        last: last.map(|part| part.text),
        first: first.map(|part| part.text),
        middle: middle.map(|part| part.text),
    }
}

/// The value's words, a patronymic particle joined to the word before it
/// (Мамед оглы is one part).
fn parts_of(value: &str) -> Vec<Part<'_>> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let mut parts = Vec::with_capacity(words.len());
    let mut index = 0;
    while index < words.len() {
        let word = words[index];
        let folded = fold_cyrillic(word);
        let particle_follows = words
            .get(index + 1)
            .is_some_and(|next| is_particle(&fold_cyrillic(next)));
        if particle_follows {
            parts.push(Part {
                text: span_of_words(value, word, words[index + 1]),
                patronymic: true,
                first_name: false,
            });
            index += 2;
            continue;
        }
        parts.push(Part {
            text: word,
            patronymic: is_patronymic(&folded),
            first_name: is_known_first_name(&folded),
        });
        index += 1;
    }
    parts
}

/// оглы, кызы and the like: a patronymic on its own, too short for an
/// ending.
fn is_particle(folded: &str) -> bool {
    folded.chars().count() <= 4 && sex_from_patronymic(folded).is_some()
}

/// The slice of `value` from the start of `first` to the end of `last`,
/// which are slices of it.
fn span_of_words<'a>(value: &'a str, first: &'a str, last: &'a str) -> &'a str {
    let start = first.as_ptr() as usize - value.as_ptr() as usize;
    let end = last.as_ptr() as usize - value.as_ptr() as usize + last.len();
    &value[start..end]
}

fn span<'a>(value: &'a str, parts: &[Part<'a>]) -> Part<'a> {
    let text = match parts {
        [] => "",
        [only] => only.text,
        [first, .., last] => span_of_words(value, first.text, last.text),
    };
    Part {
        text,
        patronymic: false,
        first_name: false,
    }
}

/// Whether a value reads as a person's name: one to four words of letters
/// (hyphens and dots allowed), one of them a known first name or a
/// patronymic (or its particle).
pub fn looks_like_a_name(value: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    if words.is_empty() || words.len() > 4 {
        return false;
    }
    let lettered = words.iter().all(|word| {
        word.chars().any(char::is_alphabetic)
            && word
                .chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '.')
    });
    lettered
        && words.iter().any(|word| {
            let folded = fold_cyrillic(word);
            is_known_first_name(&folded) || is_patronymic(&folded) || is_particle(&folded)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(value: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
        let parts = split_full_name(value, NameOrder::LastFirstMiddle);
        (parts.last, parts.first, parts.middle)
    }

    #[test]
    fn russian_order_and_its_variants_by_the_patronymic() {
        assert_eq!(
            split("Иванова Мария Петровна"),
            (Some("Иванова"), Some("Мария"), Some("Петровна"))
        );
        assert_eq!(
            split("Мария Петровна Иванова"),
            (Some("Иванова"), Some("Мария"), Some("Петровна"))
        );
        assert_eq!(
            split("  ИВАНОВА   мария  петровна "),
            (Some("ИВАНОВА"), Some("мария"), Some("петровна"))
        );
        assert_eq!(
            split("Алиев Мамед Гасан оглы"),
            (Some("Алиев"), Some("Мамед"), Some("Гасан оглы"))
        );
        assert_eq!(
            split("Салтыков Щедрин Михаил Евграфович"),
            (Some("Салтыков Щедрин"), Some("Михаил"), Some("Евграфович"))
        );
    }

    #[test]
    fn two_words_by_the_dictionary_then_by_the_header() {
        assert_eq!(
            split("Мария Иванова"),
            (Some("Иванова"), Some("Мария"), None)
        );
        assert_eq!(
            split("Иванова Мария"),
            (Some("Иванова"), Some("Мария"), None)
        );
        assert_eq!(
            split("Мария Петровна"),
            (None, Some("Мария"), Some("Петровна"))
        );
        assert_eq!(split("Абв Где"), (Some("Абв"), Some("Где"), None));
        let parts = split_full_name("Абв Где", NameOrder::FirstMiddleLast);
        assert_eq!((parts.last, parts.first), (Some("Где"), Some("Абв")));
    }

    #[test]
    fn one_word_is_a_first_name_only_when_the_dictionary_knows_it() {
        assert_eq!(split("Анна"), (None, Some("Анна"), None));
        assert_eq!(split("Смирнова"), (Some("Смирнова"), None, None));
        assert_eq!(split(""), (None, None, None));
    }

    #[test]
    fn names_are_told_from_other_values() {
        for value in ["Иванова Мария Петровна", "Анна", "ПЁТР", "Мамед оглы"]
        {
            assert!(looks_like_a_name(value), "{value}");
        }
        for value in [
            "Москва",
            "Золото",
            "79161234567",
            "ул. Ленина, 5",
            "",
            "a b c d e",
        ] {
            assert!(!looks_like_a_name(value), "{value}");
        }
    }
}
