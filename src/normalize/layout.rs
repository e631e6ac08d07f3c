//! Text typed with the wrong keyboard layout: `Bdfy` is Иван typed while
//! the Latin layout was on (ЙЦУКЕН keys read as QWERTY). The mapping is
//! exact key for key; whether to apply it is decided by `name`, which
//! accepts the result only when it is plausible (a known name, or a surname
//! or patronymic shape).

/// QWERTY key → ЙЦУКЕН letter on the same key, lower and upper case.
const KEY_PAIRS: &[(char, char)] = &[
    ('q', 'й'),
    ('w', 'ц'),
    ('e', 'у'),
    ('r', 'к'),
    ('t', 'е'),
    ('y', 'н'),
    ('u', 'г'),
    ('i', 'ш'),
    ('o', 'щ'),
    ('p', 'з'),
    ('[', 'х'),
    (']', 'ъ'),
    ('a', 'ф'),
    ('s', 'ы'),
    ('d', 'в'),
    ('f', 'а'),
    ('g', 'п'),
    ('h', 'р'),
    ('j', 'о'),
    ('k', 'л'),
    ('l', 'д'),
    (';', 'ж'),
    ('\'', 'э'),
    ('z', 'я'),
    ('x', 'ч'),
    ('c', 'с'),
    ('v', 'м'),
    ('b', 'и'),
    ('n', 'т'),
    ('m', 'ь'),
    (',', 'б'),
    ('.', 'ю'),
    ('`', 'ё'),
    ('Q', 'Й'),
    ('W', 'Ц'),
    ('E', 'У'),
    ('R', 'К'),
    ('T', 'Е'),
    ('Y', 'Н'),
    ('U', 'Г'),
    ('I', 'Ш'),
    ('O', 'Щ'),
    ('P', 'З'),
    ('{', 'Х'),
    ('}', 'Ъ'),
    ('A', 'Ф'),
    ('S', 'Ы'),
    ('D', 'В'),
    ('F', 'А'),
    ('G', 'П'),
    ('H', 'Р'),
    ('J', 'О'),
    ('K', 'Л'),
    ('L', 'Д'),
    (':', 'Ж'),
    ('"', 'Э'),
    ('Z', 'Я'),
    ('X', 'Ч'),
    ('C', 'С'),
    ('V', 'М'),
    ('B', 'И'),
    ('N', 'Т'),
    ('M', 'Ь'),
    ('<', 'Б'),
    ('>', 'Ю'),
    ('~', 'Ё'),
];

/// The Cyrillic a Latin-layout word stands for (`Gtnhjd` → `Петров`), or
/// `None` when some character has no key on the Russian layout. Hyphens
/// stay.
pub fn latin_keys_to_cyrillic(word: &str) -> Option<String> {
    word.chars()
        .map(|c| {
            if c == '-' {
                return Some('-');
            }
            KEY_PAIRS
                .iter()
                .find(|(latin, _)| *latin == c)
                .map(|(_, cyrillic)| *cyrillic)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_layout_to_cyrillic() {
        assert_eq!(latin_keys_to_cyrillic("Bdfy").as_deref(), Some("Иван"));
        assert_eq!(latin_keys_to_cyrillic("Gtnhjd").as_deref(), Some("Петров"));
        assert_eq!(
            latin_keys_to_cyrillic("Fktrcfylh").as_deref(),
            Some("Александр")
        );
        assert_eq!(latin_keys_to_cyrillic("<jhbc").as_deref(), Some("Борис"));
        assert_eq!(latin_keys_to_cyrillic(">kbz").as_deref(), Some("Юлия"));
        assert_eq!(
            latin_keys_to_cyrillic("Yfnfkmz").as_deref(),
            Some("Наталья")
        );
        assert_eq!(
            latin_keys_to_cyrillic("Fyz-Vfhbz").as_deref(),
            Some("Аня-Мария")
        );
        assert_eq!(latin_keys_to_cyrillic("Ivan1"), None);
    }

    #[test]
    fn punctuation_keys_are_letters() {
        assert_eq!(
            latin_keys_to_cyrillic("[jhjitdf").as_deref(),
            Some("хорошева")
        );
        assert_eq!(latin_keys_to_cyrillic("Ckfdf;").as_deref(), Some("Славаж"));
        assert_eq!(latin_keys_to_cyrillic("'lefhl").as_deref(), Some("эдуард"));
    }
}
