//! Names to canonical Cyrillic lower-case tokens.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NormalizedName {
    /// Canonical Cyrillic lower-case first name (after transliteration or
    /// keyboard-layout repair); `None` when missing or a placeholder.
    pub first: Option<String>,
    /// The full names `first` can stand for: its diminutive expansions
    /// (every one for an ambiguous diminutive such as саша), or `first`
    /// itself when it is a full name. Sorted, deduplicated.
    pub first_full: Vec<String>,
    /// Patronymic.
    pub middle: Option<String>,
    pub last: Option<String>,
    /// Surname with its gendered ending removed (петрова → петров), so that
    /// spouses share it and the sex check can tell them apart.
    pub last_key: Option<String>,
    /// First and last name were given in each other's fields.
    pub swapped: bool,
    /// A full name typed into one field was split into parts.
    pub split_from_one_field: bool,
    /// Some part was Latin or typed in the wrong keyboard layout.
    pub transliterated: bool,
    /// A placeholder such as Покупатель, Гость, Test: not evidence.
    pub placeholder: bool,
}
