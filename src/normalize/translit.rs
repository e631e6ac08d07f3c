//! Latin spellings of Russian names back to Cyrillic, by letter rules that
//! cover the systems people actually use: GOST 7.79 (system B digraphs
//! `shh`, `cz`, `j`, apostrophes for the signs; system A diacritics `ž`,
//! `č`, `š`, `ŝ`, `â`, `û`), the passport/ICAO 2013 system (`ia`, `iu`,
//! `kh`, `ts`, `shch`, `ie`) and informal spellings (`ya`, `yu`, `x` for
//! `кс`, `y` for `ий`/`ы`/`й`, `j` for `й`/`ж`).
//!
//! Letter rules cannot be exact: the same Latin can come from two Cyrillic
//! spellings (`Natalia`: Наталья or Наталия). The output is the most likely
//! spelling; `name` then settles first names against the dictionary (its
//! variants table and alternates), and the phonetic key absorbs the rest.
//!
//! Invariant: the output holds only lower-case Cyrillic letters and
//! hyphens; `ё` is written `е`.

use unicode_normalization::UnicodeNormalization;

/// Lower-case Latin vowels (with `y`), the context the rules look at.
fn is_latin_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

fn is_latin_consonant(c: char) -> bool {
    c.is_ascii_lowercase() && !is_latin_vowel(c)
}

/// One letter of GOST 7.79 system A or a scholarly system, with its
/// diacritic, to Cyrillic.
fn diacritic_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ž' => "ж",
        'č' => "ч",
        'š' => "ш",
        'ŝ' => "щ",
        'â' | 'ǎ' => "я",
        'û' | 'ǔ' => "ю",
        'ë' => "е",
        'è' | 'é' => "э",
        'ʹ' => "ь",
        'ʺ' => "ъ",
        'ý' => "ы",
        'ĭ' | 'ī' => "й",
        _ => return None,
    })
}

/// Transliterates one lower-case Latin word (hyphens allowed) to Cyrillic.
/// Characters that are neither letters nor the sign marks `'` and `` ` ``
/// are dropped.
pub fn latin_to_cyrillic(word: &str) -> String {
    // Letters with diacritics no system here uses (ã, ç) count as their
    // base letter.
    let chars: Vec<char> = word
        .chars()
        .map(|c| {
            if c.is_ascii() || diacritic_letter(c).is_some() {
                return c;
            }
            c.nfd()
                .next()
                .filter(char::is_ascii_alphabetic)
                .map_or(c, |base| base.to_ascii_lowercase())
        })
        .collect();
    let length = chars.len();
    let mut out = String::with_capacity(length * 2);
    let at = |index: usize| chars.get(index).copied();
    let starts_with_at = |index: usize, pattern: &str| {
        pattern
            .chars()
            .enumerate()
            .all(|(offset, c)| at(index + offset) == Some(c))
    };
    let is_word_start = |index: usize| index == 0 || chars[index - 1] == '-';
    let is_word_end = |index: usize| index >= length || chars[index] == '-';
    let previous = |index: usize| if index == 0 { None } else { at(index - 1) };
    let after_consonant = |index: usize| previous(index).is_some_and(is_latin_consonant);
    // A consonant that itself follows a vowel: `Valeriev`, `Vasiliev` — here
    // `ie` is a soft sign and е (Валерьев, Васильев), while after a cluster
    // it is `ие` (Дмитриев). `ia` after a consonant is always я (ICAO drops
    // the soft sign: Ulianov and Ulyanov both give улянов, consistently).
    let after_vowel_consonant = |index: usize| {
        index >= 2 && is_latin_consonant(chars[index - 1]) && is_latin_vowel(chars[index - 2])
    };

    let mut index = 0;
    while index < length {
        let c = chars[index];
        let (text, used): (&str, usize) = if starts_with_at(index, "shch") {
            ("щ", 4)
        } else if starts_with_at(index, "shh") || starts_with_at(index, "sch") {
            ("щ", 3)
        } else if starts_with_at(index, "tch") {
            ("ч", 3)
        } else if starts_with_at(index, "iia") {
            ("ия", 3)
        } else if starts_with_at(index, "zh") {
            ("ж", 2)
        } else if starts_with_at(index, "kh") {
            ("х", 2)
        } else if starts_with_at(index, "ts")
            || starts_with_at(index, "tz")
            || starts_with_at(index, "cz")
            || (starts_with_at(index, "tc") && at(index + 2).is_some_and(is_latin_vowel))
        {
            ("ц", 2)
        } else if starts_with_at(index, "ch") {
            ("ч", 2)
        } else if starts_with_at(index, "sh") {
            ("ш", 2)
        } else if starts_with_at(index, "ck") {
            ("к", 2)
        } else if starts_with_at(index, "ph") {
            ("ф", 2)
        } else if starts_with_at(index, "th") {
            ("т", 2)
        } else if starts_with_at(index, "gh") {
            ("г", 2)
        } else if starts_with_at(index, "qu") {
            ("кв", 2)
        } else if starts_with_at(index, "''") || starts_with_at(index, "``") {
            ("ъ", 2)
        } else if c == 'y' || c == 'j' {
            match at(index + 1) {
                Some('a') => ("я", 2),
                Some('u') => ("ю", 2),
                Some('o') => ("е", 2),
                Some('e') if c == 'y' && after_consonant(index) => ("ье", 2),
                Some('e') => ("е", 2),
                Some('i') if after_consonant(index) => ("ьи", 2),
                Some('i') if is_word_start(index) => ("и", 2),
                _ if c == 'j' => ("й", 1),
                _ if is_word_end(index + 1) && after_consonant(index) => ("ий", 1),
                _ if previous(index).is_some_and(is_latin_vowel) => ("й", 1),
                _ if is_word_start(index) => ("и", 1),
                _ => ("ы", 1),
            }
        } else if c == 'i' {
            match at(index + 1) {
                Some('a') if is_word_start(index) => ("я", 2),
                Some('a') if is_word_end(index + 2) => ("ия", 2),
                Some('a') if after_consonant(index) => ("я", 2),
                Some('u') if is_word_start(index) || after_consonant(index) => ("ю", 2),
                Some('e') if after_vowel_consonant(index) && !is_word_end(index + 2) => ("ье", 2),
                _ if is_word_end(index + 1) && previous(index).is_some_and(is_latin_vowel) => {
                    ("й", 1)
                }
                _ => ("и", 1),
            }
        } else if c == '\'' || c == '`' {
            // GOST 7.79 B: `e`` is э; elsewhere the mark is a soft sign.
            if out.ends_with('е') && c == '`' {
                out.pop();
                ("э", 1)
            } else if out.ends_with('ы') || out.is_empty() {
                ("", 1)
            } else {
                ("ь", 1)
            }
        } else if c == 'c' {
            match at(index + 1) {
                Some('e' | 'i' | 'y') => ("ц", 1),
                _ => ("к", 1),
            }
        } else if c.is_ascii_lowercase() {
            let single = match c {
                'a' => "а",
                'b' => "б",
                'd' => "д",
                'e' => "е",
                'f' => "ф",
                'g' => "г",
                'h' => "х",
                'k' => "к",
                'l' => "л",
                'm' => "м",
                'n' => "н",
                'o' => "о",
                'p' => "п",
                'q' => "к",
                'r' => "р",
                's' => "с",
                't' => "т",
                'u' => "у",
                'v' | 'w' => "в",
                'x' => "кс",
                'z' => "з",
                _ => "",
            };
            (single, 1)
        } else if c == '-' {
            ("-", 1)
        } else if let Some(letter) = diacritic_letter(c) {
            (letter, 1)
        } else {
            ("", 1)
        };
        out.push_str(text);
        index += used;
    }
    // Dropped characters can leave a hyphen at an end.
    let trimmed = out.trim_matches('-');
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(latin: &[&str], cyrillic: &str) {
        for word in latin {
            assert_eq!(latin_to_cyrillic(word), cyrillic, "{word}");
        }
    }

    #[test]
    fn surnames() {
        same(&["ivanov"], "иванов");
        same(&["petrova"], "петрова");
        same(
            &["kuznetsov", "kuznetcov", "kuznetzov", "kuzneczov"],
            "кузнецов",
        );
        same(&["tsoi", "tsoy"], "цой");
        same(
            &["sokolovskiy", "sokolovsky", "sokolovskii", "sokolovskij"],
            "соколовский",
        );
        same(&["zhukov"], "жуков");
        same(&["khokhlov"], "хохлов");
        same(&["shchukin", "shhukin", "schukin", "ŝukin"], "щукин");
        same(&["chernykh", "černyh"], "черных");
        same(&["rybakov"], "рыбаков");
        same(&["zaytsev"], "зайцев");
        same(&["vasilyev", "vasiliev", "vasil'ev"], "васильев");
        same(&["dmitriev"], "дмитриев");
        same(&["solovyev", "soloviev"], "соловьев");
        // `yo` is ё without a soft sign far more often (Semyonov, Artyom).
        same(&["solovyov"], "соловев");
        same(&["semyonov", "semenov"], "семенов");
        same(&["belyy", "belyj"], "белый");
        same(&["tolstoy", "tolstoi", "tolstoj"], "толстой");
        same(&["petrov-vodkin"], "петров-водкин");
        same(&["ulianov", "ulyanov"], "улянов");
    }

    #[test]
    fn first_names_and_patronymics() {
        same(&["ivan"], "иван");
        same(&["sergey", "sergei", "sergej"], "сергей");
        same(&["dmitry", "dmitriy", "dmitrii", "dmitrij"], "дмитрий");
        same(
            &[
                "evgeny", "evgenii", "evgeniy", "yevgeniy", "yevgeny", "jevgenij",
            ],
            "евгений",
        );
        same(
            &["yulia", "yuliya", "iuliia", "julia", "julija", "ûliâ"],
            "юлия",
        );
        same(&["ksenia", "kseniya", "kseniia"], "ксения");
        same(&["xenia"], "ксения");
        same(&["aleksandr", "alexandr"], "александр");
        same(
            &["alexey", "aleksey", "alexei", "aleksei", "aleksej"],
            "алексей",
        );
        same(&["natalya"], "наталя");
        same(&["natalia", "nataliya", "nataliia"], "наталия");
        same(&["tatyana", "tatjana", "tatiana"], "татяна");
        same(&["yuriy", "yury", "iurii"], "юрий");
        same(&["nikolay", "nikolai", "nicolai", "nikolaj"], "николай");
        same(&["mikhail", "mihail"], "михаил");
        same(&["maxim", "maksim"], "максим");
        same(&["yekaterina", "ekaterina"], "екатерина");
        same(&["viacheslav", "vyacheslav"], "вячеслав");
        same(&["pyotr", "petr"], "петр");
        same(&["fyodor", "fedor"], "федор");
        same(&["ivanovich"], "иванович");
        same(&["sergeevna", "sergeyevna"], "сергеевна");
        same(&["valerievich", "valeryevich", "valer'evich"], "валерьевич");
        same(&["ilyich"], "ильич");
        same(&["ol'ga"], "ольга");
        same(&["e`duard"], "эдуард");
        same(&["philipp"], "филипп");
        same(&["victor", "viktor"], "виктор");
        same(&["natãlia"], "наталия");
        same(&["a-ã-"], "а-а");
    }
}
