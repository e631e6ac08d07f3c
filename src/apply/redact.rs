//! Secrets (the token, the login key and pin) and the redactor every text
//! passes through before it reaches the journal, a summary or the terminal.
//!
//! A server or a proxy that echoes the request can hand a secret back in
//! any encoding the request or its echo used: raw, form-URL-encoded
//! (`+` for a space, `%2B` or `%2b`), percent-encoded twice, JSON-escaped
//! (`\"`, `\/`, `\u00e9`), HTML-escaped (`&amp;`). Rather than listing
//! encoders, the matcher accepts, for every character of the secret, any
//! of the forms that character can take, so mixtures are caught too.
//!
//! Only whole tokens are redacted: a match must not be glued to a letter
//! or digit on a side where the secret itself starts or ends with one, so
//! a one-character token `a` hides `token=a&` but leaves "Sailplay
//! answered" readable. A percent or JSON escape just before a match counts
//! as a boundary (`token%3Dabc` is `token=abc` encoded once more).

use std::sync::{Arc, RwLock};

/// What a secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// A value that must never be printed. `Debug` shows `<redacted>`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(REDACTED)
    }
}

/// Replaces every whole occurrence of every secret, in any encoding, by
/// `<redacted>`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is hidden whole.
    secrets: Vec<Vec<char>>,
}

/// The redactor of a run, shared by the client (which learns new tokens
/// when it logs in again), the journal and the printer.
pub type SharedRedactor = Arc<RwLock<Redactor>>;

/// `redactor.redact(text)` through the shared lock.
pub fn redact_shared(redactor: &SharedRedactor, text: &str) -> String {
    redactor
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .redact(text)
}

/// Adds a secret through the shared lock.
pub fn add_shared(redactor: &SharedRedactor, secret: &Secret) {
    redactor
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .add(secret);
}

fn is_word(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

fn hex_digit(value: u8) -> u8 {
    b"0123456789ABCDEF"[usize::from(value & 0xf)]
}

/// `%XX` of `byte` at `text[at..]`, either case of hex digits.
fn percent_at(text: &[u8], at: usize, byte: u8) -> bool {
    text.len() >= at + 3
        && text[at] == b'%'
        && text[at + 1].eq_ignore_ascii_case(&hex_digit(byte >> 4))
        && text[at + 2].eq_ignore_ascii_case(&hex_digit(byte))
}

/// `text[at..]` starts with `form`, ASCII case-insensitively where
/// `fold_case` (hex digits), exactly otherwise.
fn starts_with_at(text: &[u8], at: usize, form: &[u8], fold_case: bool) -> bool {
    text.len() >= at + form.len()
        && if fold_case {
            text[at..at + form.len()].eq_ignore_ascii_case(form)
        } else {
            &text[at..at + form.len()] == form
        }
}

/// The lengths of every form of `character` found at `text[at..]`.
fn forms_at(text: &[u8], at: usize, character: char) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut utf8 = [0u8; 4];
    let bytes = character.encode_utf8(&mut utf8).as_bytes();
    if starts_with_at(text, at, bytes, false) {
        lengths.push(bytes.len());
    }
    // Percent-encoded once (%2B) and twice (%252B).
    if (0..bytes.len()).all(|index| percent_at(text, at + 3 * index, bytes[index])) {
        lengths.push(3 * bytes.len());
    }
    if (0..bytes.len()).all(|index| {
        starts_with_at(text, at + 5 * index, b"%25", false)
            && text.len() >= at + 5 * index + 5
            && text[at + 5 * index + 3].eq_ignore_ascii_case(&hex_digit(bytes[index] >> 4))
            && text[at + 5 * index + 4].eq_ignore_ascii_case(&hex_digit(bytes[index]))
    }) {
        lengths.push(5 * bytes.len());
    }
    let short: &[&[u8]] = match character {
        // A form's `+` for a space, percent-encoded once more.
        ' ' => &[b"+", b"%2B", b"%2b"],
        '"' => &[b"\\\"", b"&quot;", b"&#34;"],
        '\\' => &[b"\\\\"],
        '/' => &[b"\\/"],
        '\n' => &[b"\\n"],
        '\r' => &[b"\\r"],
        '\t' => &[b"\\t"],
        '\u{8}' => &[b"\\b"],
        '\u{c}' => &[b"\\f"],
        '&' => &[b"&amp;", b"&#38;"],
        '\'' => &[b"&#39;", b"&#x27;", b"&apos;"],
        '<' => &[b"&lt;"],
        '>' => &[b"&gt;"],
        _ => &[],
    };
    for form in short {
        if starts_with_at(text, at, form, false) {
            lengths.push(form.len());
        }
    }
    // JSON's \uXXXX, one per UTF-16 unit.
    let mut units = [0u16; 2];
    let mut escaped = Vec::new();
    for unit in character.encode_utf16(&mut units) {
        escaped.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
    }
    if starts_with_at(text, at, &escaped, true) {
        lengths.push(escaped.len());
    }
    lengths
}

/// Where a match of `secret` starting at `text[at..]` ends, if it does.
fn match_at(text: &[u8], at: usize, secret: &[char]) -> Option<usize> {
    let Some((first, rest)) = secret.split_first() else {
        return Some(at);
    };
    forms_at(text, at, *first)
        .into_iter()
        .find_map(|length| match_at(text, at + length, rest))
}

/// The text before `at` ends with a percent escape (`%3D`) or a JSON
/// escape (`\n`, `\u0041`): a boundary although its last byte is a letter
/// or digit.
fn ends_with_escape(before: &str) -> bool {
    let bytes = before.as_bytes();
    let n = bytes.len();
    let percent =
        n >= 3 && bytes[n - 3] == b'%' && bytes[n - 2..].iter().all(u8::is_ascii_hexdigit);
    let short = n >= 2 && bytes[n - 2] == b'\\';
    let unicode = n >= 6
        && bytes[n - 6] == b'\\'
        && bytes[n - 5] == b'u'
        && bytes[n - 4..].iter().all(u8::is_ascii_hexdigit);
    percent || short || unicode
}

impl Redactor {
    pub fn add(&mut self, secret: &Secret) {
        let characters: Vec<char> = secret.0.chars().collect();
        if !characters.is_empty() && !self.secrets.contains(&characters) {
            self.secrets.push(characters);
            self.secrets
                .sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        'scan: while at < bytes.len() {
            for secret in &self.secrets {
                let Some(end) = match_at(bytes, at, secret) else {
                    continue;
                };
                let before = &text[..at];
                let starts_clean = !is_word(secret[0])
                    || before.chars().next_back().is_none_or(|c| !is_word(c))
                    || ends_with_escape(before);
                let ends_clean = !is_word(secret[secret.len() - 1])
                    || text[end..].chars().next().is_none_or(|c| !is_word(c));
                if starts_clean && ends_clean {
                    out.push_str(REDACTED);
                    at = end;
                    continue 'scan;
                }
            }
            let character = text[at..].chars().next().expect("at is on a char boundary");
            out.push(character);
            at += character.len_utf8();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(secrets: &[&str]) -> Redactor {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.add(&Secret::new(secret.to_string()));
        }
        redactor
    }

    /// application/x-www-form-urlencoded, as reqwest sends a form.
    fn form_encode(text: &str) -> String {
        form_urlencoded::byte_serialize(text.as_bytes()).collect()
    }

    #[test]
    fn every_encoding_of_the_token_is_hidden() {
        let token = "t0k+/=é\"\\ z";
        let redactor = redactor(&[token]);
        let json = serde_json::to_string(token).unwrap();
        let json = &json[1..json.len() - 1];
        let ascii_json = "t0k+\\/=\\u00E9\\\"\\\\ z";
        let form = form_encode(token);
        let encodings = [
            token.to_string(),
            form.clone(),
            form.to_lowercase(),
            form.replace('%', "%25"),
            json.to_string(),
            ascii_json.to_string(),
            "t0k+/=é&quot;\\ z".to_string(),
        ];
        for encoded in encodings {
            let text = format!("echo: token={encoded}&store_department_id=1 ({encoded})");
            let redacted = redactor.redact(&text);
            assert_eq!(
                redacted, "echo: token=<redacted>&store_department_id=1 (<redacted>)",
                "{encoded}"
            );
        }
        // Encoded once more inside a query string: %3D before it.
        assert_eq!(
            redactor.redact(&format!("body=token%3D{}%26x", form_encode(&form))),
            "body=token%3D<redacted>%26x"
        );
    }

    #[test]
    fn a_short_token_is_hidden_only_where_it_stands_alone() {
        let redactor = redactor(&["a"]);
        assert_eq!(
            redactor.redact("Sailplay answered status_code -4000: User not found"),
            "Sailplay answered status_code -4000: User not found"
        );
        assert_eq!(
            redactor.redact("token=a&store_department_id=1"),
            "token=<redacted>&store_department_id=1"
        );
        assert_eq!(
            redactor.redact("{\"token\":\"a\"}"),
            "{\"token\":\"<redacted>\"}"
        );
        let digit = redactor_for_digit();
        assert_eq!(digit.redact("step 12 of 3"), "step 12 of 3");
    }

    fn redactor_for_digit() -> Redactor {
        redactor(&["1"])
    }

    #[test]
    fn longer_secrets_win_and_debug_hides_them() {
        let redactor = redactor(&["abc", "abc-def"]);
        assert_eq!(
            redactor.redact("x abc-def y abc"),
            "x <redacted> y <redacted>"
        );
        assert_eq!(format!("{:?}", Secret::new("abc".into())), "<redacted>");
        assert_eq!(Redactor::default().redact("abc"), "abc");
        let mut empty = Redactor::default();
        empty.add(&Secret::new(String::new()));
        assert_eq!(empty.redact("abc"), "abc");
    }
}
