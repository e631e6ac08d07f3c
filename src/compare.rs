//! Comparison primitives shared by blocking, scoring and the clustering
//! guards: how two phones, mailboxes, names and dates differ. Pure
//! functions over normalised values; each is symmetric in its arguments, so
//! a pair compares the same whichever profile comes first.

use chrono::{Datelike, NaiveDate};

use crate::normalize::NormalizedRecord;
use crate::profile::Sex;

/// How two phone numbers (digit strings) differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneDifference {
    Equal,
    /// Same length, one digit different, not the last (a typo, or a
    /// neighbour's number).
    OneSubstitution,
    /// Same length, only the last digit different: numbers sold in a
    /// batch (a family's, a firm's) run in sequence and differ there, so
    /// it is weighed apart from a typo elsewhere.
    LastDigitSubstitution,
    /// Same length, two adjacent digits swapped.
    AdjacentTransposition,
    /// Same length, two digits different, not a swap: two different typos
    /// of one number (each of two later profiles one digit off the first).
    TwoSubstitutions,
    Other,
}

pub fn phone_difference(left: &str, right: &str) -> PhoneDifference {
    digits_difference(left.as_bytes(), right.as_bytes())
}

/// `phone_difference` over digit bytes. Runs for millions of pairs, so it
/// looks for the (at most two) differing positions without allocating.
fn digits_difference(left: &[u8], right: &[u8]) -> PhoneDifference {
    if left == right {
        return PhoneDifference::Equal;
    }
    if left.len() != right.len() {
        return PhoneDifference::Other;
    }
    let mut differing = (0..left.len()).filter(|&i| left[i] != right[i]);
    let first = differing.next();
    let second = differing.next();
    if differing.next().is_some() {
        return PhoneDifference::Other;
    }
    match (first, second) {
        (Some(first), None) if first + 1 == left.len() => PhoneDifference::LastDigitSubstitution,
        (Some(_), None) => PhoneDifference::OneSubstitution,
        (Some(first), Some(second))
            if second == first + 1
                && left[first] == right[second]
                && left[second] == right[first] =>
        {
            PhoneDifference::AdjacentTransposition
        }
        (Some(_), Some(_)) => PhoneDifference::TwoSubstitutions,
        _ => PhoneDifference::Other,
    }
}

/// True when `left` and `right` are one insertion, deletion, substitution
/// or swap of two adjacent characters apart (Damerau-Levenshtein distance
/// exactly 1), over characters.
pub fn one_edit_apart(left: &str, right: &str) -> bool {
    // Logins are nearly always ASCII, where characters are bytes: no need
    // to collect the characters.
    if left.is_ascii() && right.is_ascii() {
        return units_one_edit_apart(left.as_bytes(), right.as_bytes());
    }
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    units_one_edit_apart(&left, &right)
}

/// Whether the one edit between two logins (`one_edit_apart`) falls on
/// the first letter of the login or of one of its parts (after `.`, `_`
/// or `-`): e.dmitrieva@ and m.dmitrieva@ are a mother and a daughter
/// (another initial), not a typo, and are weighed apart.
pub fn login_edit_changes_an_initial(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    let prefix = left.iter().zip(right).take_while(|(a, b)| a == b).count();
    if prefix == left.len() && prefix == right.len() {
        return false;
    }
    prefix == 0 || matches!(left[prefix - 1], b'.' | b'_' | b'-')
}

/// `one_edit_apart` over characters (or bytes of ASCII text).
fn units_one_edit_apart<T: PartialEq>(left: &[T], right: &[T]) -> bool {
    let (short, long) = if left.len() <= right.len() {
        (left, right)
    } else {
        (right, left)
    };
    match long.len() - short.len() {
        0 => {
            let mut differing = (0..short.len()).filter(|&i| short[i] != long[i]);
            match (differing.next(), differing.next(), differing.next()) {
                (Some(_), None, None) => true,
                (Some(first), Some(second), None) => {
                    second == first + 1
                        && short[first] == long[second]
                        && short[second] == long[first]
                }
                _ => false,
            }
        }
        1 => {
            let prefix = short
                .iter()
                .zip(long.iter())
                .take_while(|(a, b)| a == b)
                .count();
            short[prefix..] == long[prefix + 1..]
        }
        _ => false,
    }
}

/// Jaro-Winkler similarity, equal bit for bit to `strsim::jaro_winkler`
/// (the same matching, transpositions and arithmetic in the same order),
/// but over characters decoded once into stack arrays and flags kept in
/// bit masks: strsim re-decodes the second string for every character of
/// the first and allocates its flags, and scoring calls this millions of
/// times. Strings longer than `SHORT_TEXT` characters go to strsim.
pub fn jaro_winkler(left: &str, right: &str) -> f64 {
    let (Some(left_chars), Some(right_chars)) = (ShortText::of(left), ShortText::of(right)) else {
        return strsim::jaro_winkler(left, right);
    };
    let (a, b) = (left_chars.chars(), right_chars.chars());
    let similarity = jaro_of_chars(a, b);
    if similarity > 0.7 {
        let prefix_length = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        similarity + 0.1 * prefix_length as f64 * (1.0 - similarity)
    } else {
        similarity
    }
}

/// Most characters `jaro_winkler` handles itself (names, logins); one bit
/// of a `u64` flag mask each.
const SHORT_TEXT: usize = 64;

/// Up to `SHORT_TEXT` characters of a string, decoded.
struct ShortText {
    chars: [char; SHORT_TEXT],
    len: usize,
}

impl ShortText {
    fn of(text: &str) -> Option<ShortText> {
        let mut short = ShortText {
            chars: ['\0'; SHORT_TEXT],
            len: 0,
        };
        for c in text.chars() {
            *short.chars.get_mut(short.len)? = c;
            short.len += 1;
        }
        Some(short)
    }

    fn chars(&self) -> &[char] {
        &self.chars[..self.len]
    }
}

/// strsim's `generic_jaro` over decoded characters, flags as bit masks.
fn jaro_of_chars(a: &[char], b: &[char]) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    if a_len == 0 && b_len == 0 {
        return 1.0;
    } else if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let search_range = (a_len.max(b_len) / 2).saturating_sub(1);
    let mut a_flags = 0u64;
    let mut b_flags = 0u64;
    let mut matches = 0usize;
    for (i, a_char) in a.iter().enumerate() {
        let min_bound = i.saturating_sub(search_range);
        let max_bound = b_len.min(i + search_range + 1);
        for (j, b_char) in b.iter().enumerate().take(max_bound).skip(min_bound) {
            if a_char == b_char && b_flags & (1 << j) == 0 {
                a_flags |= 1 << i;
                b_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut b_matched = (0..b_len).filter(|j| b_flags & (1 << j) != 0);
    for (i, a_char) in a.iter().enumerate() {
        if a_flags & (1 << i) != 0
            && let Some(j) = b_matched.next()
            && *a_char != b[j]
        {
            transpositions += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / a_len as f64)
        + (matches as f64 / b_len as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// The stem and the sex a patronymic's ending marks: сергеевич →
/// (серге, male), сергеевна → (серге, female), ильинична → (ильин, female).
pub fn patronymic_form(patronymic: &str) -> Option<(&str, Sex)> {
    const FEMALE: [&str; 4] = ["инична", "ична", "овна", "евна"];
    const MALE: [&str; 4] = ["ович", "евич", "ич", "оглы"];
    for ending in FEMALE {
        if let Some(stem) = patronymic.strip_suffix(ending) {
            return Some((stem, Sex::Female));
        }
    }
    for ending in MALE {
        if let Some(stem) = patronymic.strip_suffix(ending) {
            return Some((stem, Sex::Male));
        }
    }
    None
}

/// Сергеевич and Сергеевна: one father's name in both sexes' forms.
pub fn patronymic_forms_conflict(left: &str, right: &str) -> bool {
    match (patronymic_form(left), patronymic_form(right)) {
        (Some((left_stem, left_sex)), Some((right_stem, right_sex))) => {
            left_sex != right_sex && stems_agree(left_stem, right_stem)
        }
        _ => false,
    }
}

/// Stems of one name's two forms: сергеевич → серге, сергеевна → серге;
/// ильич → иль, ильинична → ильин.
fn stems_agree(left: &str, right: &str) -> bool {
    left == right || left.starts_with(right) || right.starts_with(left)
}

/// Male and female both stated or inferred: never one person.
pub fn sexes_conflict(left: Option<Sex>, right: Option<Sex>) -> bool {
    matches!(
        (left, right),
        (Some(Sex::Male), Some(Sex::Female)) | (Some(Sex::Female), Some(Sex::Male))
    )
}

/// How two birth dates differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateDifference {
    Equal,
    /// 1985-03-07 and 1985-07-03.
    DayMonthSwapped,
    /// One digit of YYYYMMDD different, or two adjacent digits swapped.
    OneDigit,
    /// Less than a year apart, otherwise unrelated.
    WithinYear,
    Far,
}

pub fn date_difference(left: NaiveDate, right: NaiveDate) -> DateDifference {
    if left == right {
        return DateDifference::Equal;
    }
    if left.year() == right.year() && left.day() == right.month() && left.month() == right.day() {
        return DateDifference::DayMonthSwapped;
    }
    let digits = match (date_digits(left), date_digits(right)) {
        (Some(left_digits), Some(right_digits)) => digits_difference(&left_digits, &right_digits),
        _ => phone_difference(
            &left.format("%Y%m%d").to_string(),
            &right.format("%Y%m%d").to_string(),
        ),
    };
    if matches!(
        digits,
        PhoneDifference::OneSubstitution
            | PhoneDifference::LastDigitSubstitution
            | PhoneDifference::AdjacentTransposition
    ) {
        return DateDifference::OneDigit;
    }
    if (left - right).num_days().abs() <= 365 {
        return DateDifference::WithinYear;
    }
    DateDifference::Far
}

/// The date as the eight digits `YYYYMMDD`, as chrono's `%Y%m%d` spells
/// it, without parsing a format on every call (scoring compares millions
/// of dates); `None` for a year outside 0..=9999, which chrono spells with
/// a sign.
pub fn date_digits(date: NaiveDate) -> Option<[u8; 8]> {
    let year = u32::try_from(date.year())
        .ok()
        .filter(|&year| year <= 9999)?;
    let (month, day) = (date.month(), date.day());
    let digits = [
        year / 1000,
        year / 100 % 10,
        year / 10 % 10,
        year % 10,
        month / 10,
        month % 10,
        day / 10,
        day % 10,
    ];
    Some(digits.map(|digit| b'0' + digit as u8))
}

/// Dates a typo can explain: the same person could have typed both.
pub fn dates_compatible(left: NaiveDate, right: NaiveDate) -> bool {
    matches!(
        date_difference(left, right),
        DateDifference::Equal | DateDifference::DayMonthSwapped | DateDifference::OneDigit
    )
}

/// A date in any of the forms exports use (YYYY-MM-DD, DD.MM.YYYY,
/// YYYYMMDD), time parts ignored.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    ["%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%d/%m/%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(date_part, format).ok())
}

/// A name or an e-mail login as a Latin letter skeleton, so that a Cyrillic
/// surname and the ways people spell it in a login meet: Кузнецова,
/// kuznetsova and kuznecova all give `kuznecova`; Хабибуллина and
/// khabibullina give `habibullina`; Илья and ilya give `ilia`. Cyrillic is
/// transliterated letter by letter, then the Latin spellings that differ
/// between transliteration systems are folded (kh→h, ts→c, x→ks, y and
/// j→i, w→v, sch→sh); digits, dots and other marks are dropped.
pub fn latin_skeleton(text: &str) -> String {
    let mut latin = String::with_capacity(text.len());
    for letter in text.chars().flat_map(char::to_lowercase) {
        let spelled = match letter {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' | 'ы' => "i",
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
            'х' => "h",
            'ц' => "c",
            'ч' => "ch",
            'ш' | 'щ' => "sh",
            'ю' => "iu",
            'я' => "ia",
            'x' => "ks",
            'y' | 'j' => "i",
            'w' => "v",
            'a'..='z' => {
                latin.push(letter);
                continue;
            }
            _ => "",
        };
        latin.push_str(spelled);
    }
    // One pass over the (ASCII) letters folds the multi-letter spellings;
    // blocking runs this for every named profile.
    let bytes = latin.as_bytes();
    let mut folded = String::with_capacity(bytes.len());
    let mut position = 0;
    while position < bytes.len() {
        let rest = &bytes[position..];
        let (letters, consumed) = if rest.starts_with(b"sch") {
            ("sh", 3)
        } else if rest.starts_with(b"kh") {
            ("h", 2)
        } else if rest.starts_with(b"ts") || rest.starts_with(b"tz") {
            ("c", 2)
        } else {
            folded.push(char::from(rest[0]));
            position += 1;
            continue;
        };
        folded.push_str(letters);
        position += consumed;
    }
    folded
}

/// Whether `login`'s skeleton spells `name` (a surname or a first name of
/// at least four letters) somewhere in it: `kuznetsova.arina884` holds
/// Кузнецова and Арина, `zaharovaalexandra6723` holds Захарова.
pub fn login_spells_name(login_skeleton: &str, name: &str) -> bool {
    let name = latin_skeleton(name);
    name.len() >= MIN_LOGIN_NAME_LETTERS && login_skeleton.contains(&name)
}

/// Shortest name looked for in a login: shorter ones (Ян, Ли) turn up in
/// logins by chance.
pub const MIN_LOGIN_NAME_LETTERS: usize = 4;

/// A custom attribute's value as compared: trimmed, case-folded, `None`
/// when empty.
pub fn normalize_extra_value(value: &str) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_lowercase())
    }
}

/// The skeleton of the record's e-mail login when the record has no name
/// at all (missing or a placeholder) and a usable e-mail: the login may
/// spell the name the profile was registered without.
pub fn nameless_login_skeleton(record: &NormalizedRecord) -> Option<String> {
    let name = &record.name;
    if name.first.is_some() || name.last.is_some() || name.middle.is_some() {
        return None;
    }
    record
        .usable_email()
        .map(|email| latin_skeleton(&email.login))
}

/// Саша and Александр; Женя and Евгения: some full name both can stand for.
pub fn full_names_overlap(a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
    let holds = |record: &NormalizedRecord, form: &str| {
        record.name.first.as_deref() == Some(form)
            || record.name.first_full.iter().any(|full| full == form)
    };
    a.name.first.as_deref().is_some_and(|form| holds(b, form))
        || a.name.first_full.iter().any(|form| holds(b, form))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_skeletons_of_a_name_and_its_login_spellings_meet() {
        assert_eq!(latin_skeleton("Кузнецова"), "kuznecova");
        assert_eq!(latin_skeleton("kuznetsova"), "kuznecova");
        assert_eq!(
            latin_skeleton("Хабибуллина"),
            latin_skeleton("khabibullina")
        );
        assert_eq!(latin_skeleton("Илья"), latin_skeleton("ilya"));
        assert_eq!(latin_skeleton("Александра"), latin_skeleton("alexandra"));
        assert_eq!(latin_skeleton("Юдина"), latin_skeleton("iudina"));
        assert_eq!(latin_skeleton("Щукина"), latin_skeleton("schukina"));
        assert_eq!(latin_skeleton("l.khabibullina4143"), "lhabibullina");
        assert_ne!(latin_skeleton("Петров"), latin_skeleton("petrova"));
    }

    #[test]
    fn a_login_spells_names_of_four_letters_or_more() {
        let login = latin_skeleton("zaharovaalexandra6723");
        assert!(login_spells_name(&login, "Захарова"));
        assert!(login_spells_name(&login, "Александра"));
        assert!(!login_spells_name(&login, "Смирнова"));
        // Too short to mean anything inside a login.
        assert!(!login_spells_name(&latin_skeleton("yanina"), "Ян"));
        assert!(!login_spells_name(&login, ""));
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn phone_differences() {
        use PhoneDifference::*;
        assert_eq!(phone_difference("79161234567", "79161234567"), Equal);
        assert_eq!(
            phone_difference("79161234567", "79161234568"),
            LastDigitSubstitution
        );
        assert_eq!(
            phone_difference("79161234567", "79161234867"),
            OneSubstitution
        );
        assert_eq!(
            phone_difference("79161234567", "79161235467"),
            AdjacentTransposition
        );
        assert_eq!(
            phone_difference("79161234567", "79161234598"),
            TwoSubstitutions
        );
        // Two different typos of one number, far apart.
        assert_eq!(
            phone_difference("79161234567", "79261234557"),
            TwoSubstitutions
        );
        assert_eq!(phone_difference("79161234567", "79161239998"), Other);
        assert_eq!(phone_difference("79161234567", "7916123456"), Other);
        // Two adjacent digits changed but not swapped.
        assert_eq!(
            phone_difference("79161234567", "79161239967"),
            TwoSubstitutions
        );
    }

    #[test]
    fn login_edits_on_an_initial_are_told_apart() {
        assert!(login_edit_changes_an_initial("e.dmitrieva", "m.dmitrieva"));
        assert!(login_edit_changes_an_initial(
            "anna_k.ivanova",
            "anna_m.ivanova"
        ));
        assert!(login_edit_changes_an_initial("ivanov", "vanov"));
        assert!(!login_edit_changes_an_initial("dmitrieva", "dmitreva"));
        assert!(!login_edit_changes_an_initial("ivanov85", "ivanov86"));
        assert!(!login_edit_changes_an_initial("same", "same"));
    }

    #[test]
    fn one_edit() {
        assert!(one_edit_apart("ivanov", "ivanof"));
        assert!(one_edit_apart("ivanov", "ivanovv"));
        assert!(one_edit_apart("ivanov", "ivnov"));
        assert!(!one_edit_apart("ivanov", "ivanov"));
        assert!(one_edit_apart("belyaev81", "bleyaev81"));
        assert!(!one_edit_apart("ivanov", "vainov"));
        assert!(!one_edit_apart("ivanov", "ivanov12"));
        assert!(one_edit_apart("ёж", "еж"));
    }

    #[test]
    fn patronymic_forms() {
        assert_eq!(patronymic_form("сергеевич"), Some(("серге", Sex::Male)));
        assert_eq!(patronymic_form("сергеевна"), Some(("серге", Sex::Female)));
        assert!(patronymic_forms_conflict("сергеевич", "сергеевна"));
        assert!(patronymic_forms_conflict("ильич", "ильинична"));
        assert!(!patronymic_forms_conflict("сергеевич", "сергеевич"));
        assert!(!patronymic_forms_conflict("сергеевич", "ивановна"));
    }

    #[test]
    fn sex_conflict_needs_both_known() {
        assert!(sexes_conflict(Some(Sex::Male), Some(Sex::Female)));
        assert!(!sexes_conflict(Some(Sex::Male), None));
        assert!(!sexes_conflict(Some(Sex::Male), Some(Sex::Other)));
        assert!(!sexes_conflict(Some(Sex::Female), Some(Sex::Female)));
    }

    #[test]
    fn date_differences() {
        use DateDifference::*;
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-03-07")),
            Equal
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-07-03")),
            DayMonthSwapped
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-03-08")),
            OneDigit
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1958-03-07")),
            OneDigit
        );
        assert_eq!(
            date_difference(date("1985-03-07"), date("1985-11-20")),
            WithinYear
        );
        assert_eq!(date_difference(date("1955-03-07"), date("1985-11-20")), Far);
        assert!(dates_compatible(date("1985-03-07"), date("1985-03-17")));
        assert!(!dates_compatible(
            date("1955-03-07"),
            date("1985-03-07") + chrono::Days::new(40)
        ));
    }

    #[test]
    fn date_digits_spell_dates_as_chrono_does() {
        for (year, month, day) in [(1985, 3, 7), (2001, 12, 31), (987, 1, 2), (0, 6, 7)] {
            let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
            let digits = date_digits(date).unwrap();
            assert_eq!(
                std::str::from_utf8(&digits).unwrap(),
                date.format("%Y%m%d").to_string()
            );
        }
        assert_eq!(
            date_digits(NaiveDate::from_ymd_opt(12345, 1, 1).unwrap()),
            None
        );
        assert_eq!(
            date_digits(NaiveDate::from_ymd_opt(-5, 1, 1).unwrap()),
            None
        );
        // Outside the plain range the difference is still found.
        assert_eq!(
            date_difference(
                date("1985-03-07"),
                NaiveDate::from_ymd_opt(11985, 3, 7).unwrap()
            ),
            DateDifference::Far
        );
    }

    #[test]
    fn jaro_winkler_equals_strsim_on_names() {
        let names = [
            "",
            "а",
            "ab",
            "ba",
            "александр",
            "александер",
            "марина",
            "марианна",
            "кузнецов",
            "кузницын",
            "петров",
            "петрова",
            "сидоров",
            "сергеевич",
            "сергеевна",
            "иванович",
            "dixon",
            "dicksonx",
            "martha",
            "marhta",
            "jellyfish",
            "smellyfish",
            "ёж",
            "еж",
            "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789",
            "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012345678",
        ];
        for left in names {
            for right in names {
                assert_eq!(
                    jaro_winkler(left, right).to_bits(),
                    strsim::jaro_winkler(left, right).to_bits(),
                    "{left} / {right}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn jaro_winkler_equals_strsim(left in "[абвгдеaбв]{0,12}", right in "[абвгдеaбв]{0,12}") {
            proptest::prop_assert_eq!(
                jaro_winkler(&left, &right).to_bits(),
                strsim::jaro_winkler(&left, &right).to_bits()
            );
        }

        #[test]
        fn jaro_winkler_equals_strsim_on_any_text(left in "\\PC{0,70}", right in "\\PC{0,70}") {
            proptest::prop_assert_eq!(
                jaro_winkler(&left, &right).to_bits(),
                strsim::jaro_winkler(&left, &right).to_bits()
            );
        }
    }

    #[test]
    fn one_edit_over_bytes_and_characters_agree() {
        for (left, right) in [
            ("ivanov", "ivanof"),
            ("ivanov", "ivnaov"),
            ("ivanov", "ivanov1"),
            ("ab", "ba"),
            ("", "a"),
            ("abc", "abd"),
            ("abcd", "badc"),
        ] {
            let chars = |text: &str| text.chars().collect::<Vec<char>>();
            assert_eq!(
                units_one_edit_apart(left.as_bytes(), right.as_bytes()),
                units_one_edit_apart(&chars(left), &chars(right)),
                "{left} {right}"
            );
        }
    }

    #[test]
    fn dates_parse_in_export_forms() {
        let expected = Some(date("1985-03-07"));
        assert_eq!(parse_date("1985-03-07"), expected);
        assert_eq!(parse_date("07.03.1985"), expected);
        assert_eq!(parse_date("19850307"), expected);
        assert_eq!(parse_date("1985-03-07 10:00:00"), expected);
        assert_eq!(parse_date("март"), None);
    }
}
