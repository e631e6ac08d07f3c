//! Text distortions people and systems apply to names: transliteration in
//! the three schemes seen in Russian bases, typing in the wrong keyboard
//! layout, one-letter typos, ё written as е, case and whitespace noise.
//! Every function is pure given its random source, so the generator stays
//! deterministic per seed.

use rand::Rng;
use rand::seq::IndexedRandom;

/// How a Cyrillic name was written in Latin letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transliteration {
    /// ICAO Doc 9303, in Russian passports since 2014: Iuliia, Aleksandr.
    Passport,
    /// The older passport / BGN style: Yuliya, Dmitriy, Kuznetsov.
    Gost,
    /// What people type themselves: Yulia, Alexandr, Kuznecov, Dmitry.
    Informal,
}

impl Transliteration {
    pub const ALL: [Transliteration; 3] = [
        Transliteration::Passport,
        Transliteration::Gost,
        Transliteration::Informal,
    ];
}

fn latin_of(letter: char, scheme: Transliteration) -> &'static str {
    use Transliteration::*;
    match (letter, scheme) {
        ('а', _) => "a",
        ('б', _) => "b",
        ('в', _) => "v",
        ('г', _) => "g",
        ('д', _) => "d",
        ('е', _) => "e",
        ('ё', Informal) => "yo",
        ('ё', _) => "e",
        ('ж', _) => "zh",
        ('з', _) => "z",
        ('и', _) => "i",
        ('й', Passport) => "i",
        ('й', _) => "y",
        ('к', _) => "k",
        ('л', _) => "l",
        ('м', _) => "m",
        ('н', _) => "n",
        ('о', _) => "o",
        ('п', _) => "p",
        ('р', _) => "r",
        ('с', _) => "s",
        ('т', _) => "t",
        ('у', _) => "u",
        ('ф', _) => "f",
        ('х', Informal) => "h",
        ('х', _) => "kh",
        ('ц', Informal) => "c",
        ('ц', _) => "ts",
        ('ч', _) => "ch",
        ('ш', _) => "sh",
        ('щ', Informal) => "sch",
        ('щ', _) => "shch",
        ('ъ', Passport) => "ie",
        ('ъ', _) => "",
        ('ы', _) => "y",
        ('ь', _) => "",
        ('э', _) => "e",
        ('ю', Passport) => "iu",
        ('ю', _) => "yu",
        ('я', Passport) => "ia",
        ('я', _) => "ya",
        _ => "",
    }
}

/// `word` in Latin letters, capitalised as it was. Informal writing also
/// turns кс into x and a final -ий into -y (Alexandr, Dmitry).
pub fn transliterate(word: &str, scheme: Transliteration) -> String {
    let lower = word.to_lowercase();
    let lower = if scheme == Transliteration::Informal {
        let replaced = lower.replace("кс", "x");
        match replaced.strip_suffix("ий") {
            Some(stem) => format!("{stem}y"),
            None => replaced,
        }
    } else {
        lower
    };
    let mut out = String::with_capacity(lower.len());
    for letter in lower.chars() {
        if letter.is_ascii() {
            out.push(letter);
        } else {
            let latin = latin_of(letter, scheme);
            if latin.is_empty() && !is_cyrillic(letter) {
                out.push(letter);
            } else {
                out.push_str(latin);
            }
        }
    }
    if word.chars().next().is_some_and(char::is_uppercase) {
        capitalize(&out)
    } else {
        out
    }
}

fn is_cyrillic(letter: char) -> bool {
    matches!(letter, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё')
}

pub fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The text a person produces typing `word` with the Russian ЙЦУКЕН layout
/// while the keyboard is switched to QWERTY: Иван → Bdfy.
pub fn wrong_layout(word: &str) -> String {
    const RUSSIAN: &str = "йцукенгшщзхъфывапролджэячсмитьбюё";
    const LATIN: &str = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`";
    const RUSSIAN_UPPER: &str = "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ";
    const LATIN_UPPER: &str = "QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~";
    word.chars()
        .map(|letter| {
            if let Some(position) = RUSSIAN.chars().position(|c| c == letter) {
                LATIN.chars().nth(position).unwrap_or(letter)
            } else if let Some(position) = RUSSIAN_UPPER.chars().position(|c| c == letter) {
                LATIN_UPPER.chars().nth(position).unwrap_or(letter)
            } else {
                letter
            }
        })
        .collect()
}

/// One typing error inside `word` (never on its first letter, which people
/// rarely get wrong): a confusable letter, a dropped letter or a doubled one.
/// Words shorter than three letters come back unchanged.
pub fn typo(word: &str, rng: &mut impl Rng) -> String {
    const CONFUSABLE: [(char, char); 10] = [
        ('е', 'и'),
        ('и', 'е'),
        ('а', 'о'),
        ('о', 'а'),
        ('ь', 'ъ'),
        ('ш', 'щ'),
        ('с', 'з'),
        ('т', 'д'),
        ('н', 'м'),
        ('л', 'д'),
    ];
    let mut letters: Vec<char> = word.chars().collect();
    if letters.len() < 3 {
        return word.to_string();
    }
    let position = rng.random_range(1..letters.len());
    let letter = letters[position];
    let confusion = CONFUSABLE.iter().find(|(from, _)| *from == letter);
    match (rng.random_range(0..3), confusion) {
        (0, Some((_, to))) => letters[position] = *to,
        (0 | 1, _) => {
            letters.remove(position);
        }
        _ => letters.insert(position, letter),
    }
    letters.into_iter().collect()
}

pub fn yo_to_ye(text: &str) -> String {
    text.replace('ё', "е").replace('Ё', "Е")
}

/// Case and whitespace noise of careless data entry.
pub fn case_and_whitespace_noise(word: &str, rng: &mut impl Rng) -> String {
    match rng.random_range(0..5) {
        0 => word.to_uppercase(),
        1 => word.to_lowercase(),
        2 => format!(" {word}"),
        3 => format!("{word}  "),
        _ => {
            let mut letters: Vec<char> = word.to_lowercase().chars().collect();
            if let Some(last) = letters.last_mut() {
                *last = last.to_uppercase().next().unwrap_or(*last);
            }
            letters.into_iter().collect()
        }
    }
}

/// Placeholders that shops type instead of a name; never evidence.
pub const PLACEHOLDER_NAMES: [&str; 7] = [
    "Покупатель",
    "Гость",
    "Клиент",
    "Test",
    "Тест",
    "Покупатель Покупатель",
    "Посетитель",
];

pub fn placeholder_name(rng: &mut impl Rng) -> &'static str {
    PLACEHOLDER_NAMES.choose(rng).expect("placeholder names")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn transliteration_schemes_give_the_forms_seen_in_real_bases() {
        use Transliteration::*;
        assert_eq!(transliterate("Юлия", Passport), "Iuliia");
        assert_eq!(transliterate("Юлия", Gost), "Yuliya");
        assert_eq!(transliterate("Юлия", Informal), "Yuliya");
        assert_eq!(transliterate("Александр", Passport), "Aleksandr");
        assert_eq!(transliterate("Александр", Informal), "Alexandr");
        assert_eq!(transliterate("Дмитрий", Gost), "Dmitriy");
        assert_eq!(transliterate("Дмитрий", Informal), "Dmitry");
        assert_eq!(transliterate("Кузнецов", Informal), "Kuznecov");
        assert_eq!(transliterate("Кузнецов", Passport), "Kuznetsov");
        assert_eq!(transliterate("Щукин", Passport), "Shchukin");
        assert_eq!(transliterate("Хохлов", Informal), "Hohlov");
        assert_eq!(transliterate("Фёдор", Informal), "Fyodor");
    }

    #[test]
    fn wrong_layout_maps_each_key() {
        assert_eq!(wrong_layout("Иван"), "Bdfy");
        assert_eq!(wrong_layout("Вадим"), "Dflbv");
        assert_eq!(wrong_layout("Юлия"), ">kbz");
    }

    #[test]
    fn typo_changes_a_word_by_one_edit_and_keeps_the_first_letter() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let changed = typo("Смирнова", &mut rng);
            assert_ne!(changed, "Смирнова");
            assert!(changed.starts_with('С'));
            let length = changed.chars().count() as i64;
            assert!((length - 8).abs() <= 1, "{changed}");
            assert!(strsim::levenshtein(&changed, "Смирнова") == 1, "{changed}");
        }
        assert_eq!(typo("Ян", &mut rng), "Ян");
    }

    #[test]
    fn yo_becomes_ye_in_both_cases() {
        assert_eq!(yo_to_ye("Ёлкин Пётр"), "Елкин Петр");
    }
}
