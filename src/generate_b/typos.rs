//! How text goes wrong on its way into a loyalty base.
//!
//! Three sources with different habits. A person typing on a ЙЦУКЕН
//! keyboard hits a neighbouring key, drops, doubles or swaps letters. A
//! cashier writing what they hear spells by ear: unstressed о/а and е/и
//! exchanged, doubled consonants simplified (Кирилл → Кирил) or invented, ь
//! and й lost. An operator keying in a handwritten paper form misreads
//! cursive letters (т/ш, и/н/п, л/м, е/ё). Phone numbers are mistyped by
//! digit (a keypad neighbour or any digit), by two adjacent digits swapped,
//! or by the two last pairs dictated in the wrong order.

use rand::Rng as _;

use super::random::{Rng, chance, one_of, pick};

/// Who made the mistake: decides which mistakes are likely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hand {
    /// The customer at a keyboard (online, app).
    Keyboard,
    /// A cashier writing down what they hear.
    Ear,
    /// An operator reading handwriting.
    Handwriting,
}

const KEY_ROWS: [&str; 3] = ["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"];

fn keyboard_neighbours(c: char) -> Vec<char> {
    let mut near = Vec::new();
    for (r, row) in KEY_ROWS.iter().enumerate() {
        let keys: Vec<char> = row.chars().collect();
        if let Some(i) = keys.iter().position(|&k| k == c) {
            if i > 0 {
                near.push(keys[i - 1]);
            }
            if i + 1 < keys.len() {
                near.push(keys[i + 1]);
            }
            for other in [r.wrapping_sub(1), r + 1] {
                if let Some(row) = KEY_ROWS.get(other) {
                    let keys: Vec<char> = row.chars().collect();
                    for j in [i, i + 1] {
                        if let Some(&k) = keys.get(j) {
                            near.push(k);
                        }
                    }
                }
            }
        }
    }
    near
}

/// Letters a listener confuses (unstressed vowels, voicing, й/и).
const BY_EAR: &[(char, &[char])] = &[
    ('о', &['а']),
    ('а', &['о']),
    ('е', &['и', 'я']),
    ('и', &['е']),
    ('я', &['е']),
    ('й', &['и']),
    ('ы', &['и']),
    ('д', &['т']),
    ('т', &['д']),
    ('б', &['п']),
    ('в', &['ф']),
    ('з', &['с']),
    ('с', &['з']),
    ('г', &['к']),
    ('ё', &['е', 'о']),
    ('щ', &['ш']),
];

/// Letters that look alike in Russian cursive.
const BY_EYE: &[(char, &[char])] = &[
    ('т', &['ш', 'г']),
    ('ш', &['т', 'щ', 'и']),
    ('и', &['н', 'п', 'й', 'ш']),
    ('н', &['и', 'п']),
    ('п', &['н', 'и']),
    ('л', &['м', 'п']),
    ('м', &['л', 'т']),
    ('е', &['ё', 'с']),
    ('а', &['о', 'д']),
    ('о', &['а']),
    ('у', &['ч']),
    ('в', &['б']),
    ('ц', &['щ']),
    ('г', &['т']),
    ('з', &['э']),
];

fn confusable(table: &[(char, &'static [char])], c: char) -> &'static [char] {
    table.iter().find(|(k, _)| *k == c).map_or(&[], |(_, v)| v)
}

/// One mistake in a word. The first letter is kept (people rarely get it
/// wrong and it carries the capital); the result always differs from the
/// input when the word has two letters or more.
pub fn misspell(rng: &mut Rng, word: &str, hand: Hand) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return word.to_string();
    }
    for _ in 0..12 {
        let attempt = match hand {
            Hand::Keyboard => keyboard_mistake(rng, &chars),
            Hand::Ear => ear_mistake(rng, &chars).or_else(|| keyboard_mistake(rng, &chars)),
            Hand::Handwriting => eye_mistake(rng, &chars).or_else(|| keyboard_mistake(rng, &chars)),
        };
        if let Some(result) = attempt
            && result != word
        {
            return result;
        }
    }
    // Every word of three letters or more can lose one of its later letters.
    let mut chars = chars;
    chars.remove(chars.len() - 1);
    chars.into_iter().collect()
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn with_case_of(original: char, replacement: char) -> char {
    if original.is_uppercase() {
        replacement.to_uppercase().next().unwrap_or(replacement)
    } else {
        replacement
    }
}

fn keyboard_mistake(rng: &mut Rng, chars: &[char]) -> Option<String> {
    let i = rng.random_range(1..chars.len());
    let mut out = chars.to_vec();
    match *pick(rng, &[(0, 0.40), (1, 0.25), (2, 0.15), (3, 0.20)]) {
        0 => {
            let near = keyboard_neighbours(lower(chars[i]));
            if near.is_empty() {
                return None;
            }
            out[i] = with_case_of(chars[i], *one_of(rng, &near));
        }
        1 => {
            out.remove(i);
        }
        2 => out.insert(i, chars[i]),
        _ => {
            if i + 1 >= chars.len() {
                return None;
            }
            out.swap(i, i + 1);
        }
    }
    Some(out.into_iter().collect())
}

fn ear_mistake(rng: &mut Rng, chars: &[char]) -> Option<String> {
    let mut out = chars.to_vec();
    // Doubled consonants are the most common spelling-by-ear slip.
    let doubles: Vec<usize> = (1..chars.len())
        .filter(|&i| {
            lower(chars[i]) == lower(chars[i - 1]) && !"аеиоуыэюяё".contains(lower(chars[i]))
        })
        .collect();
    if !doubles.is_empty() && chance(rng, 0.6) {
        out.remove(*one_of(rng, &doubles));
        return Some(out.into_iter().collect());
    }
    if let Some(i) = (1..chars.len()).find(|&i| lower(chars[i]) == 'ь')
        && chance(rng, 0.3)
    {
        out.remove(i);
        return Some(out.into_iter().collect());
    }
    let candidates: Vec<usize> = (1..chars.len())
        .filter(|&i| !confusable(BY_EAR, lower(chars[i])).is_empty())
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let i = *one_of(rng, &candidates);
    out[i] = with_case_of(chars[i], *one_of(rng, confusable(BY_EAR, lower(chars[i]))));
    Some(out.into_iter().collect())
}

fn eye_mistake(rng: &mut Rng, chars: &[char]) -> Option<String> {
    let candidates: Vec<usize> = (1..chars.len())
        .filter(|&i| !confusable(BY_EYE, lower(chars[i])).is_empty())
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let i = *one_of(rng, &candidates);
    let mut out = chars.to_vec();
    out[i] = with_case_of(chars[i], *one_of(rng, confusable(BY_EYE, lower(chars[i]))));
    Some(out.into_iter().collect())
}

/// A Latin-letter slip in an e-mail login or a Latin name: a QWERTY
/// neighbour, a dropped, doubled or swapped character.
pub fn misspell_latin(rng: &mut Rng, word: &str) -> String {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return format!("{word}{}", chars.last().copied().unwrap_or('a'));
    }
    for _ in 0..12 {
        let i = rng.random_range(1..chars.len());
        let mut out = chars.clone();
        match *pick(rng, &[(0, 0.35), (1, 0.3), (2, 0.15), (3, 0.2)]) {
            0 => {
                let c = lower(chars[i]);
                let Some((r, j)) = ROWS
                    .iter()
                    .enumerate()
                    .find_map(|(r, row)| row.chars().position(|k| k == c).map(|j| (r, j)))
                else {
                    continue;
                };
                let row: Vec<char> = ROWS[r].chars().collect();
                let near: Vec<char> = [j.wrapping_sub(1), j + 1]
                    .iter()
                    .filter_map(|&k| row.get(k).copied())
                    .collect();
                out[i] = with_case_of(chars[i], *one_of(rng, &near));
            }
            1 => {
                out.remove(i);
            }
            2 => out.insert(i, chars[i]),
            _ => {
                if i + 1 >= chars.len() {
                    continue;
                }
                out.swap(i, i + 1);
            }
        }
        let result: String = out.into_iter().collect();
        if result != word {
            return result;
        }
    }
    format!("{word}{}", chars[chars.len() - 1])
}

/// The kinds of phone-number mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneTypo {
    Substitution,
    Transposition,
    /// The last two pairs dictated in the wrong order (…45-67 → …67-45).
    PairSwap,
}

/// Digits next to each other on a numeric keypad (7-8-9 on top).
fn keypad_neighbours(d: u8) -> &'static [u8] {
    match d {
        0 => &[1, 2, 3],
        1 => &[2, 4, 0],
        2 => &[1, 3, 5, 0],
        3 => &[2, 6, 0],
        4 => &[1, 5, 7],
        5 => &[2, 4, 6, 8],
        6 => &[3, 5, 9],
        7 => &[4, 8],
        8 => &[5, 7, 9],
        _ => &[6, 8],
    }
}

fn digits(national: u64) -> [u8; 10] {
    let mut out = [0u8; 10];
    let mut n = national;
    for slot in out.iter_mut().rev() {
        *slot = (n % 10) as u8;
        n /= 10;
    }
    out
}

fn number(digits: &[u8; 10]) -> u64 {
    digits.iter().fold(0, |n, &d| n * 10 + u64::from(d))
}

/// A mistyped 10-digit national number, always different from `national`.
/// The operator code (first three digits) is the part people know by heart
/// and is left alone.
pub fn mistype_phone(rng: &mut Rng, national: u64, kind: PhoneTypo) -> u64 {
    let original = digits(national);
    for _ in 0..20 {
        let mut d = original;
        match kind {
            PhoneTypo::Substitution => {
                let i = rng.random_range(3..10);
                d[i] = if chance(rng, 0.55) {
                    *one_of(rng, keypad_neighbours(d[i]))
                } else {
                    rng.random_range(0..10)
                };
            }
            PhoneTypo::Transposition => {
                let i = rng.random_range(3..9);
                d.swap(i, i + 1);
            }
            PhoneTypo::PairSwap => {
                d.swap(6, 8);
                d.swap(7, 9);
            }
        }
        if d != original {
            return number(&d);
        }
    }
    // Numbers whose digits are all alike cannot be swapped into anything.
    let mut d = original;
    d[9] = (d[9] + 1) % 10;
    number(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_b::random::stream;

    /// Whether two national numbers differ by one of `mistype_phone`'s edits.
    fn one_phone_edit_apart(a: u64, b: u64) -> bool {
        let (x, y) = (digits(a), digits(b));
        let pair_swap = x[..6] == y[..6] && x[6..8] == y[8..] && x[8..] == y[6..8];
        let differ: Vec<usize> = (0..10).filter(|&i| x[i] != y[i]).collect();
        pair_swap
            || match differ.as_slice() {
                [_] => true,
                [i, j] => *j == i + 1 && x[*i] == y[*j] && x[*j] == y[*i],
                _ => false,
            }
    }

    #[test]
    fn misspellings_differ_keep_the_first_letter_and_stay_cyrillic() {
        let mut rng = stream(1, 0);
        for hand in [Hand::Keyboard, Hand::Ear, Hand::Handwriting] {
            for word in ["Кирилл", "Наталья", "Щербакова", "Ким", "Анна"]
            {
                for _ in 0..50 {
                    let typo = misspell(&mut rng, word, hand);
                    assert_ne!(typo, word, "{hand:?}");
                    assert_eq!(typo.chars().next(), word.chars().next());
                    assert!(
                        typo.chars().all(|c| ('А'..='я').contains(&c) || c == 'ё'),
                        "{typo}"
                    );
                }
            }
        }
    }

    #[test]
    fn by_ear_simplifies_doubled_consonants_most_often() {
        let mut rng = stream(2, 0);
        let kiril = (0..1000)
            .filter(|_| misspell(&mut rng, "Кирилл", Hand::Ear) == "Кирил")
            .count();
        assert!(kiril > 400, "{kiril}");
    }

    #[test]
    fn phone_typos_are_one_edit_of_their_kind_away() {
        let mut rng = stream(3, 0);
        for kind in [
            PhoneTypo::Substitution,
            PhoneTypo::Transposition,
            PhoneTypo::PairSwap,
        ] {
            for _ in 0..500 {
                let national = 9_000_000_000 + rng.random_range(0..999_999_999);
                let typo = mistype_phone(&mut rng, national, kind);
                assert_ne!(typo, national);
                assert_eq!(
                    typo / 10_000_000,
                    national / 10_000_000,
                    "operator code kept"
                );
                assert!(
                    one_phone_edit_apart(national, typo),
                    "{national} {typo} {kind:?}"
                );
            }
        }
        assert!(!one_phone_edit_apart(9_161_234_567, 9_161_234_500));
    }

    #[test]
    fn latin_slips_differ() {
        let mut rng = stream(4, 0);
        for word in ["natalia1982", "ivanov", "ab"] {
            for _ in 0..100 {
                assert_ne!(misspell_latin(&mut rng, word), word);
            }
        }
    }
}
