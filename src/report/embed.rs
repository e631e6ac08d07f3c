//! Putting data and code into the page safely.
//!
//! The plan's data goes in once, as JSON inside `<script
//! type="application/json">`. Inside a script element the HTML parser looks
//! only for `</script` (and, around `<!--`, for nested script markup), so
//! a customer named `</script><img src=x onerror=...>` could otherwise end
//! the element and inject markup. [`embed_json`] writes every `<`, `>` and
//! `&` as a `\u00XX` escape, which JSON reads back as the same character;
//! U+2028 and U+2029 are escaped too, for older JavaScript parsers.
//!
//! The page's one inline script is pinned by a Content-Security-Policy
//! hash ([`csp_script_hash`]), so even if markup were injected, its event
//! handlers and scripts would not run, and nothing can be fetched from the
//! network.

use base64_sha256::script_hash;
use serde::Serialize;

/// JSON safe to place between `<script type="application/json">` and
/// `</script>`.
pub fn embed_json(value: &impl Serialize) -> serde_json::Result<String> {
    let json = serde_json::to_string(value)?;
    Ok(escape_for_script_element(&json))
}

/// Escapes the characters that could end a script element or open a
/// comment in it. Valid only for JSON text: outside strings JSON never
/// contains these characters, inside strings the escapes mean the same.
pub fn escape_for_script_element(json: &str) -> String {
    let mut escaped = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => escaped.push_str("\\u003c"),
            '>' => escaped.push_str("\\u003e"),
            '&' => escaped.push_str("\\u0026"),
            '\u{2028}' => escaped.push_str("\\u2028"),
            '\u{2029}' => escaped.push_str("\\u2029"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The CSP source expression (`'sha256-…'`) allowing exactly `script`.
pub fn csp_script_hash(script: &str) -> String {
    format!("'sha256-{}'", script_hash(script))
}

/// The page's Content-Security-Policy: only its own inline script runs,
/// styles are inline, images only `data:` URLs, and the only connection
/// allowed is back to the review server that served the page.
pub fn content_security_policy(script: &str) -> String {
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'",
        csp_script_hash(script)
    )
}

mod base64_sha256 {
    //! SHA-256 in standard base64, as CSP hash sources are written. Base64
    //! is a dozen lines; not worth a dependency.
    use sha2::{Digest, Sha256};

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn script_hash(script: &str) -> String {
        encode(&Sha256::digest(script.as_bytes()))
    }

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for (position, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
                if position <= chunk.len() {
                    out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn base64_matches_rfc_4648_vectors() {
            for (input, expected) in [
                ("", ""),
                ("f", "Zg=="),
                ("fo", "Zm8="),
                ("foo", "Zm9v"),
                ("foob", "Zm9vYg=="),
                ("fooba", "Zm9vYmE="),
                ("foobar", "Zm9vYmFy"),
            ] {
                assert_eq!(super::encode(input.as_bytes()), expected);
            }
        }

        #[test]
        fn hash_of_empty_script_is_the_known_value() {
            assert_eq!(
                super::script_hash(""),
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn script_end_and_comment_open_cannot_appear() {
        let hostile = json!({
            "name": "</script><img src=x onerror=alert(1)>",
            "note": "<!-- <script>",
            "and": "a & b",
        });
        let embedded = embed_json(&hostile).unwrap();
        assert!(!embedded.to_ascii_lowercase().contains("</script"));
        assert!(!embedded.contains("<!--"));
        assert!(!embedded.contains('<') && !embedded.contains('>') && !embedded.contains('&'));
        assert!(embedded.contains(r"\u003c/script\u003e"));
    }

    #[test]
    fn embedded_json_reads_back_to_the_same_value() {
        let value = json!({"name": "</SCRIPT>\u{2028}<!--ё & \"q\"", "n": [1, 2.5, null]});
        let embedded = embed_json(&value).unwrap();
        let back: serde_json::Value = serde_json::from_str(&embedded).unwrap();
        assert_eq!(back, value);
        assert!(!embedded.contains('\u{2028}'));
    }

    #[test]
    fn policy_pins_the_script_and_blocks_the_network() {
        let policy = content_security_policy("console.log(1)");
        assert!(policy.contains("default-src 'none'"));
        assert!(policy.contains("script-src 'sha256-"));
        assert!(!policy.contains("script-src 'unsafe-inline'"));
    }
}
