//! Email addresses to a mailbox key: addresses that reach the same inbox
//! get the same key.

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedEmail {
    /// Trimmed, lower-cased, with a known domain typo repaired.
    pub address: String,
    pub login: String,
    /// Canonical domain (after typo repair; one name per mailbox provider,
    /// e.g. `yandex.ru` for ya.ru and yandex.com).
    pub domain: String,
    /// `login@domain` with the provider's aliasing removed (Gmail dots and
    /// +tags, Yandex `-` for `.`, ...).
    pub mailbox_key: String,
    pub repaired: bool,
    pub valid: bool,
    /// A filler such as test@test.ru or noemail@...: never evidence.
    pub placeholder: bool,
}
