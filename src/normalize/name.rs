//! Names to canonical Cyrillic lower-case tokens.
//!
//! Each field is folded (NFKC, lower case, ё → е, Latin look-alike letters
//! inside Cyrillic words and Ukrainian letters to Russian ones, hyphen
//! variants to `-`) and cut into tokens. A Latin token is first tried as
//! text typed in the wrong keyboard layout (`Bdfy` → иван), which is
//! accepted only when the result is a known first name or has the shape of
//! a surname or patronymic, and otherwise transliterated (`Yuliya` → юлия);
//! first names are then settled against the dictionary (`Natalia` →
//! наталья). A full name typed into one field is split into its parts by
//! the parts' shapes (patronymic endings, first-name dictionary, surname
//! endings), and first and last names given in each other's fields are
//! swapped back. Placeholders (Покупатель, Гость, Test, `-`, digits, the
//! template Иванов Иван Иванович) are flagged and dropped: junk is never
//! evidence.
//!
//! Invariants: never panics on any input; normalising the parts of a
//! normalised name again gives the same name (idempotence; the flags say
//! what the first pass did and are not compared).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use compact_str::CompactString;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use super::dictionary::{
    canonical_variant, diminutive_full_names, first_name_sex, is_full_first_name,
    is_known_first_name, known_first_name, latin_exception,
};
use super::layout::latin_keys_to_cyrillic;
use super::phonetic::name_phonetic_key;
use super::translit::latin_to_cyrillic;
use crate::profile::Sex;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NormalizedName {
    /// Canonical Cyrillic lower-case first name (after transliteration or
    /// keyboard-layout repair); `None` when missing or a placeholder.
    pub first: Option<CompactString>,
    /// The full names `first` can stand for: its diminutive expansions
    /// (every one for an ambiguous diminutive such as саша), or `first`
    /// itself when it is a full name. Sorted, deduplicated.
    pub first_full: Vec<CompactString>,
    /// Patronymic.
    pub middle: Option<CompactString>,
    pub last: Option<CompactString>,
    /// Surname with its gendered ending removed (петрова → петров), so that
    /// spouses share it and the sex check can tell them apart.
    pub last_key: Option<CompactString>,
    /// First and last name were given in each other's fields.
    pub swapped: bool,
    /// A full name typed into one field was split into parts.
    pub split_from_one_field: bool,
    /// Some part was Latin or typed in the wrong keyboard layout.
    pub transliterated: bool,
    /// A placeholder such as Покупатель, Гость, Test: not evidence.
    pub placeholder: bool,
    /// Initial of the first name: of `first` when known, else a lone
    /// initial such as the И of `Иванов И.И.`.
    pub first_initial: Option<char>,
    /// Initial of the patronymic, likewise.
    pub middle_initial: Option<char>,
    /// `name_phonetic_key` of `first`, for blocking on spellings that sound
    /// alike.
    pub first_phonetic: Option<CompactString>,
    /// `name_phonetic_key` of `last_key`: spouses and the spellings of one
    /// surname share it (Петрова, Petrov, Петроф).
    pub last_phonetic: Option<CompactString>,
}

/// Field values that say "no name": compared after folding, whole field.
const PLACEHOLDER_PHRASES: &[&str] = &[
    "не указано",
    "не указан",
    "не указана",
    "нет данных",
    "нет имени",
    "нет фамилии",
    "нет отчества",
    "без имени",
    "без фамилии",
    "без отчества",
    "не знаю",
    "не помню",
    "first name",
    "last name",
    "no name",
    "n a",
    "john doe",
    "jane doe",
    "doe john",
    "doe jane",
    "вася пупкин",
    "пупкин вася",
    "василий пупкин",
    "пупкин василий",
];

static PLACEHOLDER_PHRASE_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PLACEHOLDER_PHRASES.iter().copied().collect());
static PLACEHOLDER_WORD_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PLACEHOLDER_WORDS.iter().copied().collect());

/// Longer than every placeholder phrase and word, in bytes (folded).
const MAX_PLACEHOLDER_PHRASE_BYTES: usize = 48;

/// Single words that are never a name part; dropped from any field.
const PLACEHOLDER_WORDS: &[&str] = &[
    "покупатель",
    "покупательница",
    "клиент",
    "клиентка",
    "гость",
    "посетитель",
    "посетительница",
    "пользователь",
    "абонент",
    "заказчик",
    "держатель",
    "тест",
    "тестовый",
    "тестовая",
    "тестов",
    "тестова",
    "тестович",
    "тестовна",
    "тестер",
    "test",
    "tests",
    "testtest",
    "tester",
    "testov",
    "testova",
    "аноним",
    "анонимный",
    "анонимно",
    "anonymous",
    "anonim",
    "неизвестно",
    "неизвестный",
    "неизвестная",
    "неизв",
    "unknown",
    "нет",
    "нету",
    "none",
    "null",
    "nil",
    "nan",
    "undefined",
    "имя",
    "фамилия",
    "отчество",
    "фио",
    "name",
    "firstname",
    "lastname",
    "surname",
    "user",
    "customer",
    "client",
    "guest",
    "admin",
    "администратор",
    "qwerty",
    "йцукен",
    "asdf",
    "фыва",
    "doe",
    "noname",
    // The usual "nothing" mark, in either alphabet.
    "x",
    "xx",
    "х",
    "хх",
];

/// Patronymic endings and the sex each implies.
const PATRONYMIC_ENDINGS: &[(&str, Sex)] = &[
    ("вич", Sex::Male),
    ("ич", Sex::Male),
    ("вна", Sex::Female),
    ("ична", Sex::Female),
    ("чна", Sex::Female),
    ("шна", Sex::Female),
];

/// Turkic patronymic particles (Мамед оглы): they follow the father's name.
const PATRONYMIC_PARTICLES: &[(&str, Sex)] = &[
    ("оглы", Sex::Male),
    ("огли", Sex::Male),
    ("улы", Sex::Male),
    ("уулу", Sex::Male),
    ("кызы", Sex::Female),
    ("гызы", Sex::Female),
    ("кизи", Sex::Female),
];

/// Gendered surname endings, longest first, with the sex and how many
/// letters to drop to reach the shared key (петрова → петров, никольская →
/// никольск, толстой → толст).
const GENDERED_SURNAME_ENDINGS: &[(&str, Sex, usize)] = &[
    ("ская", Sex::Female, 2),
    ("цкая", Sex::Female, 2),
    ("ский", Sex::Male, 2),
    ("цкий", Sex::Male, 2),
    ("ской", Sex::Male, 2),
    ("цкой", Sex::Male, 2),
    ("ова", Sex::Female, 1),
    ("ева", Sex::Female, 1),
    ("ина", Sex::Female, 1),
    ("ына", Sex::Female, 1),
    ("ая", Sex::Female, 2),
    ("ов", Sex::Male, 0),
    ("ев", Sex::Male, 0),
    ("ин", Sex::Male, 0),
    ("ын", Sex::Male, 0),
    ("ый", Sex::Male, 2),
    ("ой", Sex::Male, 2),
    ("ий", Sex::Male, 2),
];

/// Endings that make a word look like a surname (for splitting a one-field
/// name, undoing a swap, and accepting a keyboard-layout repair).
const SURNAME_ENDINGS: &[&str] = &[
    "ов",
    "ова",
    "ев",
    "ева",
    "ин",
    "ина",
    "ын",
    "ына",
    "ский",
    "ская",
    "цкий",
    "цкая",
    "ской",
    "цкой",
    "ый",
    "ая",
    "ой",
    "енко",
    "ко",
    "ук",
    "юк",
    "чук",
    "ян",
    "янц",
    "ых",
    "их",
    "швили",
    "дзе",
    "ец",
    "ман",
    "берг",
    "штейн",
];

/// One name token after folding, with what it would be as a first name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    /// Folded Cyrillic (transliterated or layout-repaired when not Cyrillic).
    text: String,
    /// The canonical first name this token is, when it is one (after
    /// variants and, for Latin, dictionary-guided transliteration).
    first_name: Option<&'static str>,
    transliterated: bool,
}

impl Token {
    fn is_initial(&self) -> bool {
        self.text.chars().count() == 1
    }
}

/// A field's tokens, and whether it held a placeholder.
#[derive(Debug, Default)]
struct FieldTokens {
    tokens: Vec<Token>,
    placeholder: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    First,
    Middle,
    Last,
}

/// Normalises the three name fields of one profile.
pub fn normalize_name(
    first: Option<&str>,
    middle: Option<&str>,
    last: Option<&str>,
) -> NormalizedName {
    let mut first_field = tokenize_field(first.unwrap_or_default());
    let mut middle_field = tokenize_field(middle.unwrap_or_default());
    let mut last_field = tokenize_field(last.unwrap_or_default());
    let placeholder = first_field.placeholder || middle_field.placeholder || last_field.placeholder;
    let transliterated = [&first_field, &middle_field, &last_field]
        .iter()
        .any(|field| field.tokens.iter().any(|token| token.transliterated));

    let mut slots = Slots {
        first: std::mem::take(&mut first_field.tokens),
        middle: std::mem::take(&mut middle_field.tokens),
        last: std::mem::take(&mut last_field.tokens),
        first_initial: None,
        middle_initial: None,
    };
    slots.initials_only_fields_to_initials();
    let split_from_one_field = slots.split_fields();
    let swapped = slots.undo_swap();
    slots.initials_only_fields_to_initials();

    let first_name = join_first_name(std::mem::take(&mut slots.first));
    let middle_name = join_tokens(std::mem::take(&mut slots.middle));
    let last_name = join_tokens(std::mem::take(&mut slots.last));
    let last_key = last_name.as_deref().map(surname_key);
    let mut name = NormalizedName {
        first_full: first_name
            .as_deref()
            .map(first_name_full_forms)
            .unwrap_or_default()
            .into_iter()
            .map(CompactString::from)
            .collect(),
        first_initial: first_name
            .as_deref()
            .and_then(|f| f.chars().next())
            .or(slots.first_initial),
        middle_initial: middle_name
            .as_deref()
            .and_then(|m| m.chars().next())
            .or(slots.middle_initial),
        first_phonetic: first_name
            .as_deref()
            .map(name_phonetic_key)
            .map(CompactString::from),
        last_phonetic: last_key
            .as_deref()
            .map(name_phonetic_key)
            .map(CompactString::from),
        last_key: last_key.map(CompactString::from),
        first: first_name.map(CompactString::from),
        middle: middle_name.map(CompactString::from),
        last: last_name.map(CompactString::from),
        swapped,
        split_from_one_field,
        transliterated,
        placeholder,
    };
    if is_template_name(&name) {
        name = NormalizedName {
            placeholder: true,
            transliterated,
            swapped,
            split_from_one_field,
            ..NormalizedName::default()
        };
    }
    name
}

/// Иванов Иван Иванович is the sample name on Russian forms (like John
/// Doe): typed by staff testing a till far more often than it names a
/// customer. A real Иван Иванович Иванов still matches on phone, email and
/// birth date; only his (very common, hence weak) name stops counting.
/// Вася Пупкин is the Russian John Doe: any name with that surname.
fn is_template_name(name: &NormalizedName) -> bool {
    let ivanov = name.first.as_deref() == Some("иван")
        && name.middle.as_deref() == Some("иванович")
        && name.last.as_deref() == Some("иванов");
    let pupkin = matches!(name.last_key.as_deref(), Some("пупкин"));
    ivanov || pupkin
}

/// The first-name tokens of a field as one string: each token's canonical
/// first-name form where it has one.
fn join_first_name(tokens: Vec<Token>) -> Option<String> {
    match tokens.as_slice() {
        [] => None,
        [token] => Some(
            token
                .first_name
                .map_or_else(|| token.text.clone(), str::to_string),
        ),
        _ => {
            let parts: Vec<&str> = tokens
                .iter()
                .map(|token| token.first_name.unwrap_or(&token.text))
                .collect();
            Some(parts.join(" "))
        }
    }
}

/// The tokens of a field as one string, moving a lone token's text.
fn join_tokens(mut tokens: Vec<Token>) -> Option<String> {
    match tokens.len() {
        0 => None,
        1 => tokens.pop().map(|token| token.text),
        _ => {
            let parts: Vec<&str> = tokens.iter().map(|token| token.text.as_str()).collect();
            Some(parts.join(" "))
        }
    }
}

/// The tokens of the three fields while they are sorted into roles.
struct Slots {
    first: Vec<Token>,
    middle: Vec<Token>,
    last: Vec<Token>,
    first_initial: Option<char>,
    middle_initial: Option<char>,
}

impl Slots {
    fn tokens(&mut self, role: Role) -> &mut Vec<Token> {
        match role {
            Role::First => &mut self.first,
            Role::Middle => &mut self.middle,
            Role::Last => &mut self.last,
        }
    }

    /// Splits any field holding several parts of a name; true when a part
    /// moved to another field.
    fn split_fields(&mut self) -> bool {
        let mut moved = false;
        for role in [Role::Last, Role::First, Role::Middle] {
            if self.tokens(role).len() >= 2 {
                moved |= self.split_field(role);
            }
        }
        moved
    }

    /// Sorts the tokens of one field into roles by their shapes; tokens
    /// without a telling shape fill the empty roles in the usual order
    /// only when the other fields are all empty (the whole name in one
    /// field), else they stay where they were typed.
    fn split_field(&mut self, field: Role) -> bool {
        let tokens = std::mem::take(self.tokens(field));
        // A field holding only initials counts as empty: its initials leave
        // it, and a second pass must see the same situation as the first.
        let others_empty = [Role::First, Role::Middle, Role::Last]
            .into_iter()
            .filter(|role| *role != field)
            .all(|role| self.tokens(role).iter().all(Token::is_initial));
        let mut placed: Vec<(Role, Token)> = Vec::new();
        let mut initials: Vec<Token> = Vec::new();
        let mut unknown: Vec<Token> = Vec::new();
        let mut index = 0;
        while index < tokens.len() {
            let token = tokens[index].clone();
            let particle = tokens
                .get(index + 1)
                .is_some_and(|next| patronymic_particle_sex(&next.text).is_some());
            if particle {
                // Мамед оглы: the father's name and its particle, one part.
                let joined = Token {
                    text: format!("{} {}", token.text, tokens[index + 1].text),
                    first_name: None,
                    transliterated: token.transliterated || tokens[index + 1].transliterated,
                };
                placed.push((Role::Middle, joined));
                index += 2;
                continue;
            }
            index += 1;
            if token.is_initial() {
                initials.push(token);
            } else if is_patronymic(&token.text) {
                placed.push((Role::Middle, token));
            } else if token.first_name.is_some() {
                placed.push((Role::First, token));
            } else if looks_like_surname(&token.text) {
                placed.push((Role::Last, token));
            } else {
                unknown.push(token);
            }
        }
        choose_one_patronymic(&mut placed);
        if others_empty && !unknown.is_empty() {
            let order: &[Role] = match (field, tokens.len()) {
                (Role::First, 2) => &[Role::First, Role::Last, Role::Middle],
                _ => &[Role::Last, Role::First, Role::Middle],
            };
            for token in std::mem::take(&mut unknown) {
                let free = order
                    .iter()
                    .copied()
                    .find(|role| !placed.iter().any(|(taken, _)| taken == role));
                match free {
                    Some(role) => placed.push((role, token)),
                    None => unknown.push(token),
                }
            }
        }

        let mut moved = false;
        let mut kept: Vec<Token> = Vec::new();
        for (role, token) in placed {
            if role == field {
                kept.push(token);
            } else if self.tokens(role).iter().any(|t| t.text == token.text) {
                // Иван Петров in the first-name field beside Петров: a repeat.
                moved = true;
            } else if self.tokens(role).is_empty() {
                self.tokens(role).push(token);
                moved = true;
            } else {
                kept.push(token);
            }
        }
        kept.extend(unknown);
        // Lone initials: the first is the first name's, the next the
        // patronymic's (Иванов И.И.).
        for initial in initials {
            let letter = initial.text.chars().next();
            if self.first_initial.is_none() && field != Role::Middle {
                self.first_initial = letter;
                moved = true;
            } else if self.middle_initial.is_none() {
                self.middle_initial = letter;
                moved = true;
            }
        }
        *self.tokens(field) = kept;
        moved
    }

    /// A first-name or patronymic field holding only initials (`А`,
    /// `А. С.`) has initials, not a name: the first-name field's give the
    /// first and then the patronymic initial.
    fn initials_only_fields_to_initials(&mut self) {
        if !self.first.is_empty() && self.first.iter().all(Token::is_initial) {
            let mut letters = self
                .first
                .iter()
                .filter_map(|token| token.text.chars().next());
            self.first_initial = self.first_initial.or(letters.next());
            if self.middle.is_empty() {
                self.middle_initial = self.middle_initial.or(letters.next());
            }
            self.first.clear();
        }
        if !self.middle.is_empty() && self.middle.iter().all(Token::is_initial) {
            self.middle_initial = self.middle_initial.or(self.middle[0].text.chars().next());
            self.middle.clear();
        }
    }

    /// First and last name in each other's fields: the last-name field
    /// holds a known first name and the first-name field a word that is not
    /// one (Петрова, or a short surname without a telling ending: Ким, Цой).
    /// Russian surnames that are also first names are rare enough (Макар,
    /// Тарас) that a known first name in the last-name field beside an
    /// unknown word is a swap far more often than not.
    fn undo_swap(&mut self) -> bool {
        let [first] = self.first.as_slice() else {
            return false;
        };
        let [last] = self.last.as_slice() else {
            return false;
        };
        let swap = last.first_name.is_some() && first.first_name.is_none();
        if swap {
            std::mem::swap(&mut self.first, &mut self.last);
        }
        swap
    }
}

/// With two patronymic-shaped words (Рабинович Марк Семенович), the one
/// right after the first name is the patronymic, else the last one; the
/// others are surnames.
fn choose_one_patronymic(placed: &mut [(Role, Token)]) {
    let positions: Vec<usize> = placed
        .iter()
        .enumerate()
        .filter(|(_, (role, token))| *role == Role::Middle && !token.text.contains(' '))
        .map(|(position, _)| position)
        .collect();
    let Some(&last) = positions.last() else {
        return;
    };
    if positions.len() < 2 {
        return;
    }
    let chosen = positions
        .iter()
        .copied()
        .find(|&position| position > 0 && placed[position - 1].0 == Role::First)
        .unwrap_or(last);
    for position in positions {
        if position != chosen {
            placed[position].0 = Role::Last;
        }
    }
}

/// Folds one field into tokens, dropping placeholders.
fn tokenize_field(raw: &str) -> FieldTokens {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return FieldTokens::default();
    }
    // ASCII and the basic Cyrillic block are already in NFKC: most fields
    // skip the Unicode quick check.
    let plain = trimmed
        .chars()
        .all(|c| (c.is_ascii() && !c.is_ascii_control()) || matches!(c, '\u{0400}'..='\u{045F}'));
    let text: Cow<str> = match if plain {
        IsNormalized::Yes
    } else {
        is_nfkc_quick(trimmed.chars())
    } {
        IsNormalized::Yes if !trimmed.chars().any(is_invisible) => Cow::Borrowed(trimmed),
        _ => Cow::Owned(trimmed.nfkc().filter(|c| !is_invisible(*c)).collect()),
    };
    // Placeholder phrases are short; longer fields skip the comparison.
    let phrase = with_simple_fold(&text, |folded| {
        PLACEHOLDER_PHRASE_SET.contains(folded) || is_repeated_letter(folded.chars())
    })
    .unwrap_or(false);
    if phrase || text.contains('@') || !text.chars().any(is_letter) {
        return FieldTokens {
            tokens: Vec::new(),
            placeholder: true,
        };
    }
    let mut tokens = Vec::new();
    let mut dropped_placeholder = false;
    for piece in text.split(|c: char| c.is_whitespace() || c == '_' || c == '/' || c == '|') {
        // Latin placeholders (Test, Unknown) are caught before
        // transliteration turns them into something else.
        // Cyrillic placeholders are caught on the folded tokens below; Latin
        // ones (and Latin typed for Cyrillic: Ntcn for Тест) here.
        let latin_placeholder = piece.bytes().any(|b| b.is_ascii_alphabetic())
            && (folds_to_placeholder_word(piece)
                || latin_keys_to_cyrillic(piece)
                    .is_some_and(|reading| folds_to_placeholder_word(&reading)));
        if latin_placeholder {
            dropped_placeholder = true;
            continue;
        }
        for token in tokenize_piece(piece) {
            if token.text.is_empty() {
                continue;
            }
            if PLACEHOLDER_WORD_SET.contains(token.text.as_str())
                || is_repeated_letter(token.text.chars())
            {
                dropped_placeholder = true;
            } else {
                tokens.push(token);
            }
        }
    }
    // `Гость 123`, `ааа`, `x`: nothing left that could be a name.
    if tokens.is_empty() {
        return FieldTokens {
            tokens: Vec::new(),
            placeholder: true,
        };
    }
    FieldTokens {
        tokens,
        placeholder: dropped_placeholder,
    }
}

/// Characters that show nothing but split words when pasted from the web:
/// zero-width spaces and joiners, the soft hyphen, the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Lower case of one character, with ASCII and Russian Cyrillic (the bulk
/// of every export) answered without Unicode table searches.
fn lower_char(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        'a'..='z' | 'а'..='я' | 'ё' => c,
        'А'..='Я' => char::from_u32(c as u32 + 32).unwrap_or(c),
        'Ѐ'..='Џ' => char::from_u32(c as u32 + 80).unwrap_or(c),
        _ if c.is_ascii() => c,
        // Characters whose lower case is several characters (İ) keep
        // their first one: names are compared, not displayed, from here.
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

/// Whether a character is a letter, with ASCII and basic Cyrillic
/// answered without Unicode table searches.
fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | 'А'..='я' | 'Ѐ'..='Џ' | 'ѐ'..='џ' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphabetic(),
    }
}

/// `ааа`, `xxx`: one letter typed over and over (three times or more).
fn is_repeated_letter(mut chars: impl Iterator<Item = char> + Clone) -> bool {
    let Some(first) = chars.next() else {
        return true;
    };
    chars.clone().count() >= 2 && chars.all(|c| c == first)
}

/// Lower case, ё → е, runs of spaces and punctuation to one space: the
/// form placeholder phrases are compared in. Written into a stack buffer
/// (this runs for every field); `None` when the folded text is longer
/// than every placeholder, so cannot be one.
fn with_simple_fold<R>(text: &str, compare: impl FnOnce(&str) -> R) -> Option<R> {
    let mut buffer = [0u8; MAX_PLACEHOLDER_PHRASE_BYTES];
    let mut length = 0;
    let mut pending_space = false;
    for c in text.chars() {
        let keep = is_letter(c) || c.is_ascii_digit() || (!c.is_ascii() && c.is_alphanumeric());
        if !keep {
            pending_space = true;
            continue;
        }
        let lower = match lower_char(c) {
            'ё' => 'е',
            other => other,
        };
        let space = pending_space && length > 0;
        pending_space = false;
        let needed = lower.len_utf8() + usize::from(space);
        if length + needed > buffer.len() {
            return None;
        }
        if space {
            buffer[length] = b' ';
            length += 1;
        }
        length += lower.encode_utf8(&mut buffer[length..]).len();
    }
    // Only whole characters were written, so the bytes are UTF-8.
    std::str::from_utf8(&buffer[..length]).ok().map(compare)
}

/// Whether `text`, simply folded, is a placeholder word.
fn folds_to_placeholder_word(text: &str) -> bool {
    with_simple_fold(text, |folded| PLACEHOLDER_WORD_SET.contains(folded)).unwrap_or(false)
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (matches!(c, '\u{00C0}'..='\u{024F}') && c.is_alphabetic())
        || c == 'ʹ'
        || c == 'ʺ'
}

/// One whitespace-separated piece of a field to tokens.
fn tokenize_piece(piece: &str) -> Vec<Token> {
    let cyrillic = piece.chars().filter(|c| is_cyrillic(*c)).count();
    let latin = piece.chars().filter(|c| is_latin_letter(*c)).count();
    if cyrillic == 0 && latin == 0 {
        return Vec::new();
    }
    if cyrillic >= latin {
        let folded = fold_cyrillic(piece);
        let one_clean_word = {
            let mut words = split_words(&folded);
            words.next().is_some_and(|word| word.len() == folded.len()) && words.next().is_none()
        };
        if one_clean_word {
            // The usual case: keep the folded string as the token.
            let first_name = resolve_first_name(&folded);
            return vec![Token {
                text: folded,
                first_name,
                transliterated: false,
            }];
        }
        return split_words(&folded).map(cyrillic_token).collect();
    }
    if let Some(tokens) = layout_repaired_tokens(piece) {
        return tokens;
    }
    let lower: String = piece
        .chars()
        .map(lower_char)
        .map(cyrillic_lookalike_to_latin)
        .collect();
    split_latin_words(&lower).map(latin_token).collect()
}

/// Lower case Cyrillic with `ё` written `е`: Latin look-alikes inside a
/// Cyrillic word (`Ивaнов` with a Latin a), Ukrainian and Belarusian
/// letters and dash variants folded; other characters kept for splitting.
pub fn fold_cyrillic(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        let mapped = latin_lookalike_to_cyrillic(c).unwrap_or(c);
        {
            let lower = lower_char(mapped);
            folded.push(match lower {
                'ё' | 'ѐ' | 'є' => 'е',
                'і' | 'ї' | 'ѝ' => 'и',
                'ґ' => 'г',
                'ў' => 'у',
                '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                other => other,
            });
        }
    }
    folded
}

/// A Latin letter that looks like a Cyrillic one, as that Cyrillic letter.
fn latin_lookalike_to_cyrillic(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а',
        'A' => 'А',
        'B' => 'В',
        'c' => 'с',
        'C' => 'С',
        'e' => 'е',
        'E' => 'Е',
        'H' => 'Н',
        'K' => 'К',
        'k' => 'к',
        'M' => 'М',
        'o' => 'о',
        'O' => 'О',
        'p' => 'р',
        'P' => 'Р',
        'T' => 'Т',
        'x' => 'х',
        'X' => 'Х',
        'y' => 'у',
        'Y' => 'У',
        _ => return None,
    })
}

/// A lower-case Cyrillic letter that looks like a Latin one, as that letter.
fn cyrillic_lookalike_to_latin(c: char) -> char {
    match c {
        'а' => 'a',
        'в' => 'b',
        'е' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        other => other,
    }
}

/// Words of folded Cyrillic text: Cyrillic letters and inner hyphens;
/// anything else separates words.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !((is_cyrillic(c) && is_letter(c)) || c == '-'))
        .map(|word| word.trim_matches('-'))
        .filter(|word| !word.is_empty())
}

/// Words of lower-case Latin text: letters, inner hyphens and the sign
/// marks `'` and `` ` `` of transliteration (Ol'ga).
fn split_latin_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(is_latin_letter(c) || matches!(c, '-' | '\'' | '`')))
        .map(|word| word.trim_matches(|c: char| matches!(c, '-' | '\'' | '`')))
        .filter(|word| word.chars().any(is_letter))
}

fn cyrillic_token(word: &str) -> Token {
    Token {
        text: word.to_string(),
        first_name: resolve_first_name(word),
        transliterated: false,
    }
}

fn latin_token(word: &str) -> Token {
    let text = latin_to_cyrillic(word);
    let first_name = resolve_latin_first_name(word, &text);
    Token {
        text,
        first_name,
        transliterated: true,
    }
}

/// A Latin piece typed on the wrong layout (`Gtnhjd` → петров), when the
/// Cyrillic reading is plausible: a known first name, or a surname or
/// patronymic shape from a piece that is not itself a plausible Latin word
/// (few Latin vowels) nor a transliterated first name.
fn layout_repaired_tokens(piece: &str) -> Option<Vec<Token>> {
    let cyrillic = latin_keys_to_cyrillic(piece)?;
    let folded = fold_cyrillic(&cyrillic);
    let words: Vec<&str> = split_words(&folded).collect();
    if words.is_empty() {
        return None;
    }
    let latin_lower: String = piece.chars().map(lower_char).collect();
    let latin_words: Vec<&str> = split_latin_words(&latin_lower).collect();
    let latin_is_a_name = latin_words
        .iter()
        .any(|word| resolve_latin_first_name(word, &latin_to_cyrillic(word)).is_some());
    if latin_is_a_name {
        return None;
    }
    let latin_vowels = vowel_ratio(&latin_lower, |c| {
        matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
    });
    let plausible = words.iter().all(|word| {
        resolve_first_name(word).is_some()
            || (latin_vowels < 0.3
                && looks_russian(word)
                && (is_patronymic(word) || looks_like_surname(word)))
    });
    if !plausible {
        return None;
    }
    Some(
        words
            .into_iter()
            .map(|word| Token {
                text: word.to_string(),
                first_name: resolve_first_name(word),
                transliterated: true,
            })
            .collect(),
    )
}

fn is_cyrillic_vowel(c: char) -> bool {
    matches!(c, 'а' | 'е' | 'ё' | 'и' | 'о' | 'у' | 'ы' | 'э' | 'ю' | 'я')
}

/// Share of the letters of `word` that are vowels by `is_vowel`.
fn vowel_ratio(word: &str, is_vowel: impl Fn(char) -> bool) -> f64 {
    let letters = word.chars().filter(|c| is_letter(*c)).count();
    if letters == 0 {
        return 0.0;
    }
    word.chars().filter(|c| is_vowel(*c)).count() as f64 / letters as f64
}

/// Shape of a Russian word: a reasonable share of vowels, and no start
/// that Russian words never have.
fn looks_russian(word: &str) -> bool {
    let ratio = vowel_ratio(word, is_cyrillic_vowel);
    let bad_start = word.starts_with(['ь', 'ъ', 'ы', 'й']);
    (0.25..=0.7).contains(&ratio) && !bad_start && word.chars().count() >= 3
}

/// The canonical first name a folded Cyrillic word is: itself when known
/// (full name or diminutive), its canonical spelling when a variant.
fn resolve_first_name(word: &str) -> Option<&'static str> {
    known_first_name(word).or_else(|| canonical_variant(word))
}

/// The canonical first name a Latin word spells, if any: an exception
/// (Eugene), the transliteration, or one of its ambiguous alternatives
/// (Diana: дяна or диана; Kolia: колия or коля).
fn resolve_latin_first_name(latin: &str, transliteration: &str) -> Option<&'static str> {
    if let Some(cyrillic) = latin_exception(latin) {
        return Some(cyrillic);
    }
    if let Some(name) = resolve_first_name(transliteration) {
        return Some(name);
    }
    transliteration_alternatives(transliteration)
        .iter()
        .find_map(|alternative| resolve_first_name(alternative))
}

/// Other Cyrillic spellings the same Latin could stand for.
fn transliteration_alternatives(word: &str) -> Vec<String> {
    let mut alternatives = Vec::new();
    let chars: Vec<char> = word.chars().collect();
    let is_consonant =
        |c: char| is_letter(c) && !is_cyrillic_vowel(c) && !matches!(c, 'ь' | 'ъ' | 'й');
    if let Some(stem) = word.strip_suffix("ия") {
        alternatives.push(format!("{stem}ья"));
        alternatives.push(format!("{stem}я"));
    } else if let Some(stem) = word.strip_suffix('я')
        && stem.chars().last().is_some_and(is_consonant)
    {
        alternatives.push(format!("{stem}ья"));
        alternatives.push(format!("{stem}ия"));
    }
    if let Some(stem) = word.strip_suffix("ий") {
        alternatives.push(format!("{stem}и"));
    } else if word.ends_with('и') {
        alternatives.push(format!("{word}й"));
    }
    if let Some(rest) = word.strip_prefix('е') {
        alternatives.push(format!("э{rest}"));
    }
    // Diana, Mariana: `ia` inside a word read as я; try иа and ья.
    for (index, pair) in chars.windows(2).enumerate() {
        if is_consonant(pair[0]) && pair[1] == 'я' && index + 2 < chars.len() {
            let (head, tail): (String, String) = (
                chars[..=index].iter().collect(),
                chars[index + 2..].iter().collect(),
            );
            alternatives.push(format!("{head}иа{tail}"));
            alternatives.push(format!("{head}ья{tail}"));
        }
    }
    if word.contains("ье") {
        alternatives.push(word.replace("ье", "ие"));
    }
    alternatives
}

/// Whether a folded word is a patronymic (Иванович, Ильинична, Ильич).
pub fn is_patronymic(word: &str) -> bool {
    word.chars().count() >= 5 && patronymic_ending_sex(word).is_some()
}

fn patronymic_ending_sex(word: &str) -> Option<Sex> {
    PATRONYMIC_ENDINGS
        .iter()
        .find(|(ending, _)| word.ends_with(ending))
        .map(|(_, sex)| *sex)
}

fn patronymic_particle_sex(word: &str) -> Option<Sex> {
    PATRONYMIC_PARTICLES
        .iter()
        .find(|(particle, _)| word == *particle)
        .map(|(_, sex)| *sex)
}

/// Whether a folded word has a surname ending and is not a first name.
pub fn looks_like_surname(word: &str) -> bool {
    word.chars().count() >= 4
        && !is_known_first_name(word)
        && word
            .split('-')
            .next_back()
            .is_some_and(|part| SURNAME_ENDINGS.iter().any(|ending| part.ends_with(ending)))
}

/// The full names a canonical first name can stand for: a diminutive's
/// expansions (with the name itself when it is also a full name), else the
/// name itself. Sorted, deduplicated. Several space-separated names (a
/// double first name) give the union.
pub fn first_name_full_forms(first: &str) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    for name in first.split(' ').filter(|name| !name.is_empty()) {
        let expansions = diminutive_full_names(name);
        forms.extend(expansions.iter().map(|full| (*full).to_string()));
        if expansions.is_empty() || is_full_first_name(name) {
            forms.push(name.to_string());
        }
    }
    forms.sort_unstable();
    forms.dedup();
    forms
}

/// The canonical first name of one raw first-name value in any script
/// (`Yuliya`, `Юлия`, `>kbz`, `Наталия` → юлия, юлия, юлия, наталья).
/// `None` when the value holds no name.
pub fn canonical_first_name(raw: &str) -> Option<String> {
    normalize_name(Some(raw), None, None)
        .first
        .map(CompactString::into_string)
}

/// A surname with its gendered ending removed, part by part for a double
/// surname: петрова and петров → петров, никольская and никольский →
/// никольск, толстая and толстой → толст. Endings are removed only when a
/// stem of at least three letters remains.
pub fn surname_key(last: &str) -> String {
    let mut key = String::with_capacity(last.len());
    let mut part_start = 0;
    for (offset, separator) in last.match_indices(['-', ' ']) {
        key.push_str(surname_part_key(&last[part_start..offset]));
        key.push_str(separator);
        part_start = offset + separator.len();
    }
    key.push_str(surname_part_key(&last[part_start..]));
    key
}

/// One part of a surname without its gendered ending.
fn surname_part_key(part: &str) -> &str {
    let letters = part.chars().count();
    for (ending, _, drop) in GENDERED_SURNAME_ENDINGS {
        if part.ends_with(ending) && letters - ending.chars().count() >= 3 {
            let keep = part
                .char_indices()
                .nth(letters - drop)
                .map_or(part.len(), |(offset, _)| offset);
            return &part[..keep];
        }
    }
    part
}

/// Sex from a patronymic: -вич/-ич male, -вна/-ична/-чна/-шна female; the
/// particles оглы (male) and кызы (female).
pub fn sex_from_patronymic(middle: &str) -> Option<Sex> {
    let last_word = middle.split(' ').next_back()?;
    patronymic_particle_sex(last_word).or_else(|| {
        if last_word.chars().count() >= 4 {
            patronymic_ending_sex(last_word)
        } else {
            None
        }
    })
}

/// Sex from a surname's gendered ending (петрова female, никольский male);
/// `None` for a surname without one (Шевченко, Ким) and for a double
/// surname whose parts disagree.
pub fn sex_from_surname(last: &str) -> Option<Sex> {
    let mut sexes = last.split(['-', ' ']).map(|part| {
        GENDERED_SURNAME_ENDINGS
            .iter()
            .find(|(ending, _, _)| {
                part.ends_with(ending) && part.chars().count() - ending.chars().count() >= 3
            })
            .map(|(_, sex, _)| *sex)
    });
    let first = sexes.next()??;
    sexes
        .all(|sex| sex.is_none_or(|s| s == first))
        .then_some(first)
}

/// Sex implied by the given names alone: the patronymic, else the first
/// name unless it is ambiguous (саша, женя). A surname is left out: a
/// woman may carry her husband's surname in its male form on a form.
pub fn sex_from_given_names(name: &NormalizedName) -> Option<Sex> {
    name.middle
        .as_deref()
        .and_then(sex_from_patronymic)
        .or_else(|| {
            let first = name.first.as_deref()?;
            first.split(' ').next().and_then(first_name_sex)
        })
}

/// Sex implied by a normalised name: the patronymic first (the surest),
/// then the first name (unless ambiguous: саша, женя), then the surname.
pub fn infer_sex(name: &NormalizedName) -> Option<Sex> {
    sex_from_given_names(name).or_else(|| name.last.as_deref().and_then(sex_from_surname))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(first: &str, middle: &str, last: &str) -> NormalizedName {
        fn some(text: &str) -> Option<&str> {
            if text.is_empty() { None } else { Some(text) }
        }
        normalize_name(some(first), some(middle), some(last))
    }

    fn first(raw: &str) -> Option<String> {
        canonical_first_name(raw)
    }

    #[test]
    fn placeholder_lists_fit_the_fold_buffer() {
        for entry in PLACEHOLDER_PHRASES.iter().chain(PLACEHOLDER_WORDS) {
            assert!(entry.len() <= MAX_PLACEHOLDER_PHRASE_BYTES, "{entry}");
            assert_eq!(
                with_simple_fold(entry, str::to_string).as_deref(),
                Some(*entry)
            );
        }
    }

    #[test]
    fn folds_case_yo_and_whitespace() {
        let n = name("  АЛЁНА ", "Сергеевна", "Петрова ");
        assert_eq!(n.first.as_deref(), Some("алена"));
        assert_eq!(n.middle.as_deref(), Some("сергеевна"));
        assert_eq!(n.last.as_deref(), Some("петрова"));
        assert_eq!(n.last_key.as_deref(), Some("петров"));
        assert!(!n.transliterated && !n.placeholder && !n.swapped && !n.split_from_one_field);
        assert_eq!(name("Ёлкин", "", "").first.as_deref(), Some("елкин"));
        // NFKC: a compatibility form and a decomposed й.
        assert_eq!(first("Серге\u{0438}\u{0306}").as_deref(), Some("сергей"));
        assert_eq!(first("ＩＶＡＮ").as_deref(), Some("иван"));
        // Invisible characters pasted from the web.
        assert_eq!(first("Ива\u{200B}н\u{FEFF}").as_deref(), Some("иван"));
        assert_eq!(first("Ива\u{00AD}н").as_deref(), Some("иван"));
    }

    #[test]
    fn hyphens_and_double_surnames() {
        let n = name("Анна-Мария", "", "Петрова–Водкина");
        assert_eq!(n.first.as_deref(), Some("анна-мария"));
        assert_eq!(n.last.as_deref(), Some("петрова-водкина"));
        assert_eq!(n.last_key.as_deref(), Some("петров-водкин"));
        assert_eq!(name("", "", "-Петров-").last.as_deref(), Some("петров"));
    }

    #[test]
    fn latin_lookalikes_inside_cyrillic_words() {
        // Latin a, o, e and C inside Cyrillic words.
        let n = name("Ивaн", "", "Cидорoв");
        assert_eq!(n.first.as_deref(), Some("иван"));
        assert_eq!(n.last.as_deref(), Some("сидоров"));
        assert!(!n.transliterated);
    }

    #[test]
    fn transliterated_spellings_reach_one_cyrillic_form() {
        let groups: &[(&[&str], &str)] = &[
            (
                &["Aleksandr", "Alexander", "Alexandr", "Aleksander"],
                "александр",
            ),
            (&["Yulia", "Julia", "Iuliia", "Yuliya", "Juliya"], "юлия"),
            (&["Ksenia", "Kseniya", "Xenia", "Kseniia"], "ксения"),
            (
                &["Natalia", "Natalya", "Nataliya", "Nataliia", "Natalie"],
                "наталья",
            ),
            (&["Sergey", "Sergei", "Serguei", "Sergej"], "сергей"),
            (
                &[
                    "Evgeny", "Evgenii", "Yevgeniy", "Eugene", "Evgeniy", "Yevgeny",
                ],
                "евгений",
            ),
            (&["Dmitry", "Dmitriy", "Dmitrii", "Dmitri"], "дмитрий"),
            (&["Tatiana", "Tatyana", "Tatjana"], "татьяна"),
            (&["Mikhail", "Michail", "Mihail", "Michael"], "михаил"),
            (&["Alexey", "Aleksei", "Alexei", "Aleksey"], "алексей"),
            (&["Yuri", "Yury", "Yuriy", "Iurii", "Youri"], "юрий"),
            (&["Olga", "Ol'ga"], "ольга"),
            (&["Igor"], "игорь"),
            (&["Ilya", "Ilia"], "илья"),
            (&["Daria", "Darya", "Dariya"], "дарья"),
            (&["Sofia", "Sofya", "Sophia"], "софья"),
            (&["Maria", "Mariya", "Mariia"], "мария"),
            (&["Diana"], "диана"),
            (&["Mariana", "Maryana"], "марьяна"),
            (&["Eduard"], "эдуард"),
            (&["Viacheslav", "Vyacheslav"], "вячеслав"),
            (&["Pyotr", "Petr", "Peter"], "петр"),
            (&["Artem", "Artyom"], "артем"),
            (&["Kolia", "Kolya"], "коля"),
            (&["Sasha"], "саша"),
            (&["Zhenya"], "женя"),
            (&["Oleksandr"], "александр"),
            (&["Iryna"], "ирина"),
        ];
        for (spellings, expected) in groups {
            for spelling in *spellings {
                assert_eq!(first(spelling).as_deref(), Some(*expected), "{spelling}");
                assert!(name(spelling, "", "").transliterated, "{spelling}");
            }
        }
        // Cyrillic doublets meet too.
        assert_eq!(first("Наталия").as_deref(), Some("наталья"));
        assert_eq!(first("Софья").as_deref(), Some("софья"));
        assert_eq!(first("София").as_deref(), Some("софья"));
    }

    #[test]
    fn latin_surnames_and_patronymics() {
        let n = name("Ivan", "Ivanovich", "Kuznetsov");
        assert_eq!(n.first.as_deref(), Some("иван"));
        assert_eq!(n.middle.as_deref(), Some("иванович"));
        assert_eq!(n.last.as_deref(), Some("кузнецов"));
        assert!(n.transliterated);
        assert_eq!(name("", "", "Petrova").last_key.as_deref(), Some("петров"));
        let phonetic = |first_field: &str, last_field: &str| {
            let n = name(first_field, "", last_field);
            (n.first_phonetic, n.last_phonetic)
        };
        assert_eq!(
            phonetic("Наталия", "Петрова"),
            phonetic("Natalya", "Petrov")
        );
        assert_eq!(
            phonetic("Наталия", "Петрова"),
            phonetic("Наталья", "Петроф")
        );
        assert_eq!(phonetic("", "Соловьёва"), phonetic("", "Solovyov"));
        assert_ne!(
            phonetic("Наталия", "Петрова"),
            phonetic("Наталия", "Сидорова")
        );
    }

    #[test]
    fn wrong_keyboard_layout_is_repaired_when_plausible() {
        assert_eq!(first("Bdfy").as_deref(), Some("иван"));
        assert_eq!(first(">kbz").as_deref(), Some("юлия"));
        assert_eq!(first("Yfnfkmz").as_deref(), Some("наталья"));
        let n = name("Fktrctq", "", "Gtnhjd");
        assert_eq!(n.first.as_deref(), Some("алексей"));
        assert_eq!(n.last.as_deref(), Some("петров"));
        assert!(n.transliterated);
        assert_eq!(name("", "Bdfyjdbx", "").middle.as_deref(), Some("иванович"));
        assert_eq!(name("", "", "Cvbhyjdf").last.as_deref(), Some("смирнова"));
        // Latin words that are names are transliterated, not re-keyed.
        assert_eq!(first("Ivan").as_deref(), Some("иван"));
        assert_eq!(first("Anna").as_deref(), Some("анна"));
        assert_eq!(name("", "", "Smith").last.as_deref(), Some("смит"));
        // Cyrillic is never re-keyed: a Latin name typed on the Russian
        // layout (Шмфт) is too rare to risk reading real Cyrillic as one,
        // and a second pass would re-read transliterated output.
        assert_eq!(first("Шмфт").as_deref(), Some("шмфт"));
        // Latin whose layout reading is implausible is transliterated.
        assert_eq!(first("nVF").as_deref(), Some("нвф"));
    }

    #[test]
    fn diminutives_expand_to_full_names() {
        assert_eq!(name("Саша", "", "").first_full, ["александр", "александра"]);
        assert_eq!(name("Саня", "", "").first_full, ["александр", "александра"]);
        assert_eq!(name("Шура", "", "").first_full, ["александр", "александра"]);
        assert_eq!(name("Санёк", "", "").first_full, ["александр"]);
        assert_eq!(name("Лёша", "", "").first_full, ["алексей"]);
        assert_eq!(name("Алёша", "", "").first_full, ["алексей"]);
        assert_eq!(name("Дима", "", "").first_full, ["дмитрий"]);
        assert_eq!(name("Митя", "", "").first_full, ["дмитрий"]);
        assert_eq!(name("Женя", "", "").first_full, ["евгений", "евгения"]);
        assert_eq!(name("Катя", "", "").first_full, ["екатерина"]);
        assert_eq!(name("Наташа", "", "").first_full, ["наталья"]);
        assert_eq!(name("Валера", "", "").first_full, ["валерий"]);
        assert_eq!(
            name("Sasha", "", "").first_full,
            ["александр", "александра"]
        );
        assert_eq!(name("Ника", "", "").first_full, ["вероника", "ника"]);
        assert_eq!(name("Иван", "", "").first_full, ["иван"]);
        assert_eq!(name("Зюзя", "", "").first_full, ["зюзя"]);
        assert!(name("Слава", "", "").first_full.len() >= 5);
    }

    #[test]
    fn full_name_in_one_field_is_split() {
        for (first_field, last_field) in [
            ("", "Иванов Иван Иванович"),
            ("Иванов Иван Иванович", ""),
            ("Иван Иванович Иванов", ""),
            ("", "Ivanov Ivan Ivanovich"),
        ] {
            let n = name(first_field, "", last_field);
            // The template name itself is junk; check the split on a real one.
            assert!(n.placeholder, "{first_field}|{last_field}");
        }
        let n = name("", "", "Петров Сергей Иванович");
        assert_eq!(n.first.as_deref(), Some("сергей"));
        assert_eq!(n.middle.as_deref(), Some("иванович"));
        assert_eq!(n.last.as_deref(), Some("петров"));
        assert!(n.split_from_one_field);
        let n = name("Petrov Sergey Ivanovich", "", "");
        assert_eq!(n.first.as_deref(), Some("сергей"));
        assert_eq!(n.middle.as_deref(), Some("иванович"));
        assert_eq!(n.last.as_deref(), Some("петров"));
        let n = name("Сергей Петров", "", "");
        assert_eq!(
            (n.first.as_deref(), n.last.as_deref()),
            (Some("сергей"), Some("петров"))
        );
        let n = name("", "", "Кот Сергей");
        assert_eq!(
            (n.first.as_deref(), n.last.as_deref()),
            (Some("сергей"), Some("кот"))
        );
        // Unknown words, order by field: Имя Фамилия in the first-name field.
        let n = name("Зураб Цхай", "", "");
        assert_eq!(
            (n.first.as_deref(), n.last.as_deref()),
            (Some("зураб"), Some("цхай"))
        );
        let n = name("Анна Сергеевна", "", "Петрова");
        assert_eq!(n.first.as_deref(), Some("анна"));
        assert_eq!(n.middle.as_deref(), Some("сергеевна"));
        assert!(n.split_from_one_field);
        // A surname with a patronymic's ending.
        for (first_field, last_field) in [
            ("", "Рабинович Марк Семенович"),
            ("Марк Семенович Рабинович", ""),
        ] {
            let n = name(first_field, "", last_field);
            assert_eq!(n.first.as_deref(), Some("марк"));
            assert_eq!(n.middle.as_deref(), Some("семенович"));
            assert_eq!(n.last.as_deref(), Some("рабинович"));
        }
        let n = name("Мамед", "", "Алиев Мамед оглы");
        assert_eq!(n.middle.as_deref(), Some("мамед оглы"));
        assert_eq!(n.last.as_deref(), Some("алиев"));
        // Initials.
        let n = name("", "", "Иванова А.С.");
        assert_eq!(n.last.as_deref(), Some("иванова"));
        assert_eq!(n.first, None);
        assert_eq!(n.first_initial, Some('а'));
        assert_eq!(n.middle_initial, Some('с'));
        // A repeat of the surname in the first-name field.
        let n = name("Сергей Петров", "", "Петров");
        assert_eq!(n.first.as_deref(), Some("сергей"));
        assert_eq!(n.last.as_deref(), Some("петров"));
        // A double first name stays in its field.
        let n = name("Анна Мария", "", "Петрова");
        assert_eq!(n.first.as_deref(), Some("анна мария"));
        assert_eq!(n.first_full, ["анна", "мария"]);
        assert_eq!(n.middle, None);
    }

    #[test]
    fn swapped_first_and_last_names_are_detected() {
        let n = name("Петрова", "Ивановна", "Мария");
        assert!(n.swapped);
        assert_eq!(n.first.as_deref(), Some("мария"));
        assert_eq!(n.last.as_deref(), Some("петрова"));
        let n = name("Никольский", "", "Саша");
        assert!(n.swapped);
        assert_eq!(n.first_full, ["александр", "александра"]);
        let n = name("Ivanova", "", "Yulia");
        assert!(n.swapped);
        assert_eq!(n.first.as_deref(), Some("юлия"));
        // Not swapped: both plausible first names, or a surname where it belongs.
        assert!(!name("Роман", "", "Павел").swapped);
        assert!(!name("Мария", "", "Петрова").swapped);
        assert!(!name("Зураб", "", "").swapped);
        assert!(!name("", "", "Иван").swapped);
        assert!(name("Кот", "", "Иван").swapped);
        // Ким is a surname far more often than a first name.
        assert!(name("Ким", "", "Ольга").swapped);
    }

    #[test]
    fn placeholders_are_junk() {
        for (first_field, middle_field, last_field) in [
            ("Покупатель", "", ""),
            ("Клиент", "", ""),
            ("Гость", "", ""),
            ("Посетитель", "", ""),
            ("Test", "", ""),
            ("Тест", "", "Тестов"),
            ("-", "", ""),
            (".", "", ""),
            ("x", "", ""),
            ("Х", "", ""),
            ("нет", "", ""),
            ("Не указано", "", ""),
            ("Unknown", "", ""),
            ("Аноним", "", ""),
            ("12345", "", ""),
            ("ааа", "", ""),
            ("Гость 123", "", ""),
            ("Ntcn", "", ""),
            ("Gjregfntkm", "", ""),
            ("ivan@mail.ru", "", ""),
            ("Иван", "Иванович", "Иванов"),
            ("Вася", "", "Пупкин"),
        ] {
            let n = name(first_field, middle_field, last_field);
            assert!(n.placeholder, "{first_field}|{middle_field}|{last_field}");
            assert_eq!(n.first, None, "{first_field}|{middle_field}|{last_field}");
        }
        // A placeholder in one field leaves the others.
        let n = name("Покупатель", "", "Петров");
        assert!(n.placeholder);
        assert_eq!(n.first, None);
        assert_eq!(n.last.as_deref(), Some("петров"));
        let n = name("Иван", "нет", "Петров");
        assert!(n.placeholder);
        assert_eq!(n.middle, None);
        assert_eq!(n.first.as_deref(), Some("иван"));
        // Иван Иванов without the patronymic is a real, common name.
        assert!(!name("Иван", "", "Иванов").placeholder);
        // A single letter is an initial, not junk.
        assert!(!name("А", "", "Петров").placeholder);
    }

    #[test]
    fn surname_keys_are_shared_by_spouses() {
        for (male, female, key) in [
            ("петров", "петрова", "петров"),
            ("никольский", "никольская", "никольск"),
            ("толстой", "толстая", "толст"),
            ("белый", "белая", "бел"),
            ("пушкин", "пушкина", "пушкин"),
            ("соловьев", "соловьева", "соловьев"),
            ("трубецкой", "трубецкая", "трубецк"),
        ] {
            assert_eq!(surname_key(male), key);
            assert_eq!(surname_key(female), key);
        }
        assert_eq!(surname_key("шевченко"), "шевченко");
        assert_eq!(surname_key("ким"), "ким");
        assert_eq!(surname_key("цой"), "цой");
        assert_eq!(surname_key("иванова-петрова"), "иванов-петров");
        assert_eq!(surname_key("иванова петрова"), "иванов петров");
    }

    #[test]
    fn sex_is_inferred_from_patronymic_first_name_and_surname() {
        assert_eq!(sex_from_patronymic("иванович"), Some(Sex::Male));
        assert_eq!(sex_from_patronymic("ильич"), Some(Sex::Male));
        assert_eq!(sex_from_patronymic("ивановна"), Some(Sex::Female));
        assert_eq!(sex_from_patronymic("ильинична"), Some(Sex::Female));
        assert_eq!(sex_from_patronymic("никитична"), Some(Sex::Female));
        assert_eq!(sex_from_patronymic("мамед оглы"), Some(Sex::Male));
        assert_eq!(sex_from_patronymic("мамед кызы"), Some(Sex::Female));
        assert_eq!(sex_from_patronymic("нет"), None);
        assert_eq!(sex_from_surname("петрова"), Some(Sex::Female));
        assert_eq!(sex_from_surname("никольский"), Some(Sex::Male));
        assert_eq!(sex_from_surname("толстая"), Some(Sex::Female));
        assert_eq!(sex_from_surname("шевченко"), None);
        assert_eq!(sex_from_surname("цой"), None);
        assert_eq!(
            infer_sex(&name("Саша", "Ивановна", "Петров")),
            Some(Sex::Female)
        );
        assert_eq!(infer_sex(&name("Саша", "", "Петрова")), Some(Sex::Female));
        assert_eq!(infer_sex(&name("Саша", "", "Шевченко")), None);
        assert_eq!(infer_sex(&name("Женя", "", "")), None);
        assert_eq!(infer_sex(&name("Валя", "", "")), None);
        assert_eq!(infer_sex(&name("Мария", "", "Шевченко")), Some(Sex::Female));
        assert_eq!(infer_sex(&name("Yulia", "", "")), Some(Sex::Female));
    }

    #[test]
    fn normalising_a_normalised_name_changes_nothing() {
        for (first_field, middle_field, last_field) in [
            ("Yuliya", "Sergeevna", "Petrova"),
            ("Bdfy", "", "Gtnhjd"),
            ("", "", "Петров Сергей Иванович"),
            ("Петрова", "", "Мария"),
            ("Анна-Мария", "", "Петрова–Водкина"),
            ("Natalia", "", ""),
        ] {
            let once = name(first_field, middle_field, last_field);
            let again = normalize_name(
                once.first.as_deref(),
                once.middle.as_deref(),
                once.last.as_deref(),
            );
            assert_eq!(again.first, once.first);
            assert_eq!(again.middle, once.middle);
            assert_eq!(again.last, once.last);
            assert_eq!(again.first_full, once.first_full);
            assert_eq!(again.last_key, once.last_key);
        }
    }

    fn assert_idempotent(
        first: &str,
        middle: &str,
        last: &str,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let once = name(first, middle, last);
        let again = normalize_name(
            once.first.as_deref(),
            once.middle.as_deref(),
            once.last.as_deref(),
        );
        proptest::prop_assert_eq!(&again.first, &once.first);
        proptest::prop_assert_eq!(&again.middle, &once.middle);
        proptest::prop_assert_eq!(&again.last, &once.last);
        proptest::prop_assert_eq!(&again.first_full, &once.first_full);
        proptest::prop_assert_eq!(&again.last_key, &once.last_key);
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn any_text_normalises_without_panic_and_idempotently(
            first in "\\PC{0,24}",
            middle in "\\PC{0,12}",
            last in "\\PC{0,24}",
        ) {
            assert_idempotent(&first, &middle, &last)?;
            let _ = name_phonetic_key_of_parts(&first, &last);
        }

        #[test]
        fn cyrillic_names_normalise_idempotently(
            first in "[А-Яа-яЁё]{1,10}( [А-Яа-яЁё]{1,10}){0,2}",
            middle in "[А-Яа-яЁё.-]{0,12}",
            last in "[А-Яа-яЁё-]{0,12}( [А-Яа-яЁё.]{1,10}){0,2}",
        ) {
            assert_idempotent(&first, &middle, &last)?;
        }

        #[test]
        fn latin_names_normalise_idempotently(
            first in "[A-Za-z';,.<>`\\[\\]]{1,10}( [A-Za-z]{1,10}){0,2}",
            middle in "[A-Za-z]{0,12}",
            last in "[A-Za-z'-]{0,12}",
        ) {
            assert_idempotent(&first, &middle, &last)?;
        }
    }

    /// Exercises the phonetic key on arbitrary parts (it must not panic).
    fn name_phonetic_key_of_parts(first: &str, last: &str) -> (String, String) {
        (
            crate::normalize::phonetic::name_phonetic_key(first),
            crate::normalize::phonetic::name_phonetic_key(last),
        )
    }
}
