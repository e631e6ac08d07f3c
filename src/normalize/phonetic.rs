//! A phonetic key for Russian name tokens, for blocking and fuzzy levels:
//! spellings that sound alike share it, so transliteration round trips
//! (Natalia → наталия, Наталья), dropped or added soft signs (Васильев,
//! Василиев), й for и (Сергей, Сергеи), doubled letters (Кирилл, Кирил) and
//! final devoicing (Петров, Петроф) meet.
//!
//! The reduction follows the Russian Metaphone family: vowels fall into
//! three classes (а о ы я → а; е ё э и й → и; у ю → у) and a run of vowels
//! keeps its last one; ь and ъ vanish; voiced consonants lose their voice
//! at the end and before a voiceless one; тс, дс, тц, дц → ц, тч, дч → ч,
//! сч, зч, жч → щ; doubled letters collapse. Latin input is transliterated
//! first. The key is lower-case Cyrillic; empty for a token with no letter.

use super::translit::latin_to_cyrillic;

/// The phonetic key of one name token (Cyrillic or Latin).
pub fn name_phonetic_key(token: &str) -> String {
    let lower = token.to_lowercase();
    let cyrillic = if lower.chars().any(|c| c.is_ascii_alphabetic()) {
        latin_to_cyrillic(&lower)
    } else {
        lower
    };
    let letters: Vec<char> = cyrillic
        .chars()
        .filter_map(|c| match c {
            'ё' => Some('е'),
            'ь' | 'ъ' => None,
            'а'..='я' => Some(c),
            _ => None,
        })
        .collect();

    // Consonant clusters first, on the spelled letters.
    let mut merged: Vec<char> = Vec::with_capacity(letters.len());
    let mut index = 0;
    while index < letters.len() {
        let current = letters[index];
        let next = letters.get(index + 1).copied();
        let replacement = match (current, next) {
            ('т' | 'д', Some('с' | 'ц')) => Some('ц'),
            ('т' | 'д', Some('ч')) => Some('ч'),
            ('с' | 'з' | 'ж', Some('ч')) => Some('щ'),
            _ => None,
        };
        match replacement {
            Some(letter) => {
                merged.push(letter);
                index += 2;
            }
            None => {
                merged.push(current);
                index += 1;
            }
        }
    }

    let mut key = String::with_capacity(merged.len() * 2);
    let mut last: Option<char> = None;
    for (index, &letter) in merged.iter().enumerate() {
        let next = merged.get(index + 1).copied();
        let reduced = if let Some(class) = vowel_class(letter) {
            // A run of vowels keeps its last one.
            if next.is_some_and(|n| vowel_class(n).is_some()) {
                continue;
            }
            class
        } else if next.is_none_or(is_voiceless) {
            devoiced(letter)
        } else {
            letter
        };
        if last != Some(reduced) {
            key.push(reduced);
            last = Some(reduced);
        }
    }
    key
}

fn vowel_class(letter: char) -> Option<char> {
    match letter {
        'а' | 'о' | 'ы' | 'я' => Some('а'),
        'е' | 'э' | 'и' | 'й' => Some('и'),
        'у' | 'ю' => Some('у'),
        _ => None,
    }
}

fn is_voiceless(letter: char) -> bool {
    matches!(
        letter,
        'п' | 'ф' | 'к' | 'т' | 'ш' | 'с' | 'х' | 'ц' | 'ч' | 'щ'
    )
}

fn devoiced(letter: char) -> char {
    match letter {
        'б' => 'п',
        'в' => 'ф',
        'г' => 'к',
        'д' => 'т',
        'ж' => 'ш',
        'з' => 'с',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_key(words: &[&str]) {
        let first = name_phonetic_key(words[0]);
        assert!(!first.is_empty());
        for word in &words[1..] {
            assert_eq!(name_phonetic_key(word), first, "{} vs {word}", words[0]);
        }
    }

    #[test]
    fn spellings_of_one_name_share_a_key() {
        same_key(&[
            "Наталья",
            "Наталия",
            "Natalia",
            "Natalya",
            "Nataliya",
            "наталя",
        ]);
        same_key(&["Татьяна", "Tatiana", "Tatyana", "татяна"]);
        same_key(&["Васильев", "Vasiliev", "Vasilyev", "Василиев", "Vasilev"]);
        same_key(&["Сергей", "Сергеи", "Sergei", "Sergey", "Sergej"]);
        same_key(&["Дмитрий", "Дмитри", "Dmitry", "Dmitrii", "Dmitriy"]);
        same_key(&["Кирилл", "Кирил", "Kirill", "Kiril"]);
        same_key(&["Петров", "Петроф", "Petrov", "PETROV"]);
        same_key(&["Зайцев", "Заицев", "Zaitsev", "Zaytsev"]);
        same_key(&["Соловьёв", "Соловьев", "Соловев", "Solovyov", "Soloviev"]);
        same_key(&["Михаил", "Михайл", "Mikhail", "Mihail"]);
        same_key(&["Цой", "Tsoi", "Tsoy"]);
        same_key(&["Белый", "Белий", "Belyy", "Bely"]);
        same_key(&["Анна", "Ана", "Anna"]);
        same_key(&["Щукин", "Shchukin", "Schukin", "Счукин"]);
        same_key(&["Гродский", "Гроцкий"]);
    }

    #[test]
    fn different_names_differ() {
        assert_ne!(name_phonetic_key("Иванов"), name_phonetic_key("Петров"));
        assert_ne!(name_phonetic_key("Елена"), name_phonetic_key("Алёна"));
        assert_ne!(name_phonetic_key("Мария"), name_phonetic_key("Марина"));
        assert_ne!(name_phonetic_key("Дана"), name_phonetic_key("Дина"));
    }

    #[test]
    fn reduction_rules() {
        assert_eq!(name_phonetic_key("Петров"), "питраф");
        assert_eq!(name_phonetic_key("Алла"), "ала");
        assert_eq!(name_phonetic_key("Лёд"), "лит");
        assert_eq!(name_phonetic_key("-"), "");
        assert_eq!(name_phonetic_key(""), "");
    }
}
