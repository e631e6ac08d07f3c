//! Cyrillic names written in Latin letters, the ways Russians actually end
//! up with them: the international passport (ICAO 9303 since 2014, MVD
//! 1997 before it, with its apostrophe for ь), GOST 7.79 system B from old
//! corporate systems, and the informal spellings people choose themselves
//! (Alexander, Julia, Eugene, Natasha). Also the wrong keyboard layout: a
//! Cyrillic name typed with the Latin layout on (Иван → Bdfy).

use rand::Rng as _;

use super::random::{Rng, chance, one_of};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// ICAO 9303, Russian passports since 2014: Юлия → Iuliia.
    Icao,
    /// MVD 1997-2010 passports: Наталья → Natal'ya, Юрий → Yuriy.
    OldPassport,
    /// GOST 7.79-2000 system B: Щукин → Shhukin, Цой → Coj.
    GostB,
    /// Spellings people pick: Alexander, Yulia/Julia, Sergei, Evgeny.
    Informal,
}

fn icao(c: char) -> &'static str {
    match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' => "i",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' => "ie",
        'ы' => "y",
        'ь' => "",
        'ю' => "iu",
        'я' => "ia",
        _ => "",
    }
}

fn old_passport(c: char) -> &'static str {
    match c {
        'й' => "y",
        'ю' => "yu",
        'я' => "ya",
        'ъ' => "",
        'ь' => "'",
        _ => icao(c),
    }
}

fn gost_b(c: char, next: Option<char>) -> &'static str {
    match c {
        'ё' => "yo",
        'й' => "j",
        'х' => "x",
        'ц' if matches!(next, Some('е' | 'и' | 'ы' | 'й')) => "c",
        'ц' => "cz",
        'щ' => "shh",
        'ъ' => "``",
        'ы' => "y'",
        'ь' => "`",
        'э' => "e'",
        'ю' => "yu",
        'я' => "ya",
        _ => icao(c),
    }
}

/// Informal spellings of whole names, tried before letter-by-letter rules.
const INFORMAL_NAMES: &[(&str, &[&str])] = &[
    ("Александр", &["Alexander", "Aleksandr", "Alexandr", "Alex"]),
    ("Александра", &["Alexandra", "Aleksandra"]),
    ("Алексей", &["Alexey", "Aleksey", "Alexei", "Alex"]),
    ("Евгений", &["Evgeny", "Evgeniy", "Eugene", "Yevgeny"]),
    ("Евгения", &["Evgenia", "Evgeniya", "Eugenia"]),
    ("Юлия", &["Julia", "Yulia", "Yuliya", "Iuliia"]),
    ("Ксения", &["Ksenia", "Kseniya", "Xenia"]),
    ("Наталья", &["Natalia", "Natalya", "Natalie", "Natasha"]),
    (
        "Екатерина",
        &["Ekaterina", "Katerina", "Yekaterina", "Kate"],
    ),
    ("Елена", &["Elena", "Yelena", "Helen"]),
    ("Мария", &["Maria", "Mariya", "Mary"]),
    ("Дмитрий", &["Dmitry", "Dmitriy", "Dmitrii"]),
    ("Сергей", &["Sergey", "Sergei", "Serge"]),
    ("Андрей", &["Andrey", "Andrei", "Andrew"]),
    ("Михаил", &["Mikhail", "Michael", "Misha"]),
    ("Николай", &["Nikolay", "Nikolai", "Nick"]),
    ("Анастасия", &["Anastasia", "Anastasiya", "Nastya"]),
    ("Татьяна", &["Tatiana", "Tatyana", "Tanya"]),
    ("Юрий", &["Yury", "Yuri", "Iurii"]),
    ("Виктория", &["Victoria", "Viktoria", "Vika"]),
    ("Максим", &["Maxim", "Maksim", "Max"]),
    ("Артём", &["Artem", "Artyom"]),
    ("Илья", &["Ilya", "Ilia"]),
    ("Даниил", &["Daniil", "Daniel"]),
    ("Алёна", &["Alena", "Alyona"]),
    ("Дарья", &["Daria", "Darya", "Dasha"]),
    ("Софья", &["Sofia", "Sophia", "Sofya"]),
    ("Елизавета", &["Elizaveta", "Elizabeth", "Liza"]),
    ("Фёдор", &["Fedor", "Fyodor", "Theodore"]),
    ("Пётр", &["Petr", "Pyotr", "Peter"]),
    ("Павел", &["Pavel", "Paul"]),
    ("Иван", &["Ivan"]),
    ("Ольга", &["Olga"]),
    ("Ирина", &["Irina"]),
];

fn informal_letter(
    rng: &mut Rng,
    c: char,
    previous: Option<char>,
    next: Option<char>,
) -> &'static str {
    let word_start = previous.is_none();
    match c {
        'е' if word_start || matches!(previous, Some('ь' | 'ъ')) => {
            choose(rng, &["e", "e", "ye"])
        }
        'ё' => choose(rng, &["e", "yo", "e"]),
        'ж' => choose(rng, &["zh", "zh", "zh", "j"]),
        'й' if next.is_none() => choose(rng, &["y", "i", "y"]),
        'й' => "y",
        'и' if next == Some('й') => "i",
        'х' => choose(rng, &["kh", "h", "kh"]),
        'ц' => choose(rng, &["ts", "ts", "c", "tz"]),
        'щ' => choose(rng, &["sch", "shch", "sh"]),
        'ы' => choose(rng, &["y", "y", "i"]),
        'ь' => choose(rng, &["", "", "i"]),
        'ъ' => "",
        'ю' => choose(rng, &["yu", "yu", "ju", "iu"]),
        'я' if previous == Some('и') => choose(rng, &["a", "ya"]),
        'я' => choose(rng, &["ya", "ya", "ja", "ia"]),
        'э' => "e",
        _ => icao(c),
    }
}

/// One of `options`, uniformly.
fn choose(rng: &mut Rng, options: &[&'static str]) -> &'static str {
    options[rng.random_range(0..options.len())]
}

/// `text` in Latin letters under `system`; non-letters are kept and each
/// word keeps its capital.
pub fn transliterate(rng: &mut Rng, text: &str, system: System) -> String {
    if system == System::Informal
        && let Some((_, forms)) = INFORMAL_NAMES.iter().find(|(name, _)| *name == text)
    {
        return (*one_of(rng, forms)).to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let previous = if i == 0 || !chars[i - 1].is_alphabetic() {
            None
        } else {
            Some(chars[i - 1].to_lowercase().next().unwrap_or(chars[i - 1]))
        };
        let next = chars
            .get(i + 1)
            .map(|n| n.to_lowercase().next().unwrap_or(*n));
        let latin = match system {
            System::Icao => icao(lower),
            System::OldPassport => old_passport(lower),
            System::GostB => gost_b(lower, next),
            System::Informal => informal_letter(rng, lower, previous, next),
        };
        if !('а'..='я').contains(&lower) && lower != 'ё' {
            out.push(c);
        } else if c.is_uppercase() {
            let mut letters = latin.chars();
            if let Some(first) = letters.next() {
                out.extend(first.to_uppercase());
                out.extend(letters);
            }
        } else {
            out.push_str(latin);
        }
    }
    out
}

/// Old passports wrote ь as an apostrophe; half of the people later drop it.
pub fn drop_apostrophes(rng: &mut Rng, text: String) -> String {
    if text.contains('\'') && chance(rng, 0.5) {
        text.replace('\'', "")
    } else {
        text
    }
}

const CYRILLIC_KEYS: &str = "йцукенгшщзхъфывапролджэячсмитьбюё";
const LATIN_KEYS: &str = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`";
const LATIN_SHIFTED: &str = "QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~";

/// `text` as it comes out when typed with the Latin layout switched on.
pub fn wrong_layout(text: &str) -> String {
    text.chars()
        .map(|c| {
            let lower = c.to_lowercase().next().unwrap_or(c);
            match CYRILLIC_KEYS.chars().position(|k| k == lower) {
                Some(i) if c.is_uppercase() => LATIN_SHIFTED.chars().nth(i).unwrap_or(c),
                Some(i) => LATIN_KEYS.chars().nth(i).unwrap_or(c),
                None => c,
            }
        })
        .collect()
}

/// The informal Latin spelling used to build e-mail logins: lower case,
/// letters only.
pub fn login_form(rng: &mut Rng, text: &str) -> String {
    transliterate(rng, text, System::Informal)
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_b::random::stream;

    #[test]
    fn passport_systems_spell_as_the_standards_do() {
        let mut rng = stream(1, 0);
        assert_eq!(transliterate(&mut rng, "Юлия", System::Icao), "Iuliia");
        assert_eq!(
            transliterate(&mut rng, "Щербаков", System::Icao),
            "Shcherbakov"
        );
        assert_eq!(transliterate(&mut rng, "Наталья", System::Icao), "Natalia");
        assert_eq!(
            transliterate(&mut rng, "Наталья", System::OldPassport),
            "Natal'ya"
        );
        assert_eq!(
            transliterate(&mut rng, "Юрий", System::OldPassport),
            "Yuriy"
        );
        assert_eq!(transliterate(&mut rng, "Хохлов", System::Icao), "Khokhlov");
    }

    #[test]
    fn gost_b_uses_its_own_letters() {
        let mut rng = stream(1, 0);
        assert_eq!(transliterate(&mut rng, "Щукин", System::GostB), "Shhukin");
        assert_eq!(transliterate(&mut rng, "Цой", System::GostB), "Czoj");
        assert_eq!(
            transliterate(&mut rng, "Цветков", System::GostB),
            "Czvetkov"
        );
        assert_eq!(transliterate(&mut rng, "Лицей", System::GostB), "Licej");
        assert_eq!(
            transliterate(&mut rng, "Хрущёв", System::GostB),
            "Xrushhyov"
        );
    }

    #[test]
    fn informal_spelling_knows_whole_names_and_stays_latin() {
        let mut rng = stream(2, 0);
        let forms: std::collections::HashSet<String> = (0..200)
            .map(|_| transliterate(&mut rng, "Александр", System::Informal))
            .collect();
        assert!(
            forms.contains("Alexander") && forms.contains("Aleksandr"),
            "{forms:?}"
        );
        for _ in 0..200 {
            let latin = transliterate(&mut rng, "Щербакова-Жукова Юлиана", System::Informal);
            assert!(latin.is_ascii(), "{latin}");
            assert!(latin.contains('-') && latin.contains(' '), "{latin}");
        }
    }

    #[test]
    fn wrong_layout_types_the_latin_keys() {
        assert_eq!(wrong_layout("Иван"), "Bdfy");
        assert_eq!(wrong_layout("Юлия"), ">kbz");
        assert_eq!(wrong_layout("Петров"), "Gtnhjd");
    }

    #[test]
    fn login_form_is_plain_lower_case_latin() {
        let mut rng = stream(3, 0);
        for name in ["Наталья", "Лёша", "Королёва", "Ильинична"] {
            let login = login_form(&mut rng, name);
            assert!(
                !login.is_empty() && login.chars().all(|c| c.is_ascii_lowercase()),
                "{login}"
            );
        }
    }
}
