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
//! The data is streamed: [`ScriptJsonWriter`] escapes serde_json's output
//! as it comes and hands it to the page's writer, so a report of 100,000
//! clusters never holds its JSON as one string.
//!
//! The page's one inline script is pinned by a Content-Security-Policy
//! hash ([`csp_script_hash`]), so even if markup were injected, its event
//! handlers and scripts would not run, and nothing can be fetched from the
//! network.

use std::fmt;
use std::io;

use base64_sha256::script_hash;
use serde::Serialize;

/// JSON safe to place between `<script type="application/json">` and
/// `</script>`.
pub fn embed_json(value: &impl Serialize) -> serde_json::Result<String> {
    let mut embedded = String::new();
    let mut writer = ScriptJsonWriter::new(&mut embedded);
    serde_json::to_writer(&mut writer, value)?;
    writer.finish().map_err(serde_json::Error::io)?;
    Ok(embedded)
}

/// Escapes the characters that could end a script element or open a
/// comment in it. Valid only for JSON text: outside strings JSON never
/// contains these characters, inside strings the escapes mean the same.
pub fn escape_for_script_element(json: &str) -> String {
    let mut escaped = String::with_capacity(json.len() + json.len() / 64);
    write_escaped(&mut escaped, json).expect("writing to a String cannot fail");
    escaped
}

fn write_escaped(out: &mut (impl fmt::Write + ?Sized), json: &str) -> fmt::Result {
    // Scanned as bytes: the escaped characters are ASCII or start with
    // 0xE2, which starts no Cyrillic character, so the scan rarely stops.
    let bytes = json.as_bytes();
    let mut run_start = 0;
    let mut index = 0;
    while index < bytes.len() {
        let (escape, length) = match bytes[index] {
            b'<' => ("\\u003c", 1),
            b'>' => ("\\u003e", 1),
            b'&' => ("\\u0026", 1),
            0xE2 if bytes[index + 1..].starts_with(&[0x80, 0xA8]) => ("\\u2028", 3),
            0xE2 if bytes[index + 1..].starts_with(&[0x80, 0xA9]) => ("\\u2029", 3),
            _ => {
                index += 1;
                continue;
            }
        };
        out.write_str(&json[run_start..index])?;
        out.write_str(escape)?;
        index += length;
        run_start = index;
    }
    out.write_str(&json[run_start..])
}

/// Bytes collected before they are escaped and passed on.
const CHUNK: usize = 1 << 16;

/// An `io::Write` for serde_json that passes the JSON, escaped as
/// [`escape_for_script_element`] does, to a `fmt::Write` (the page being
/// rendered), a chunk at a time. A character split between two writes
/// waits for its last bytes. Call [`ScriptJsonWriter::finish`] at the end.
pub struct ScriptJsonWriter<'a> {
    out: &'a mut dyn fmt::Write,
    pending: Vec<u8>,
}

impl<'a> ScriptJsonWriter<'a> {
    pub fn new(out: &'a mut dyn fmt::Write) -> ScriptJsonWriter<'a> {
        ScriptJsonWriter {
            out,
            pending: Vec::with_capacity(CHUNK),
        }
    }

    /// Passes on every complete character collected; keeps an incomplete
    /// last one, which is an error when `at_end`.
    fn pass_on(&mut self, at_end: bool) -> io::Result<()> {
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(text) => text.len(),
            Err(error) if error.error_len().is_none() && !at_end => error.valid_up_to(),
            Err(error) => return Err(io::Error::new(io::ErrorKind::InvalidData, error)),
        };
        let text = std::str::from_utf8(&self.pending[..complete])
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        write_escaped(self.out, text).map_err(|_| io::Error::other("cannot write the page"))?;
        self.pending.drain(..complete);
        Ok(())
    }

    /// Passes on the rest.
    pub fn finish(mut self) -> io::Result<()> {
        self.pass_on(true)
    }
}

impl io::Write for ScriptJsonWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    // serde_json writes through `write_all`, a few bytes at a time: taking
    // them whole skips the default's retry loop.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= CHUNK {
            self.pass_on(false)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A value that renders (`Display`) as its JSON escaped for a script
/// element, streamed into the page.
pub struct EmbeddedJson<'a, T: Serialize>(pub &'a T);

impl<T: Serialize> fmt::Display for EmbeddedJson<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut writer = ScriptJsonWriter::new(f);
        serde_json::to_writer(&mut writer, self.0).map_err(|_| fmt::Error)?;
        writer.finish().map_err(|_| fmt::Error)
    }
}

/// Writes each value as one escaped JSON document per line, serialising
/// each only when its turn comes.
pub fn write_json_lines<T: Serialize>(
    out: &mut dyn fmt::Write,
    values: impl IntoIterator<Item = T>,
) -> fmt::Result {
    let mut writer = ScriptJsonWriter::new(out);
    for (position, value) in values.into_iter().enumerate() {
        if position > 0 {
            io::Write::write_all(&mut writer, b"\n").map_err(|_| fmt::Error)?;
        }
        serde_json::to_writer(&mut writer, &value).map_err(|_| fmt::Error)?;
    }
    writer.finish().map_err(|_| fmt::Error)
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
    fn characters_split_between_writes_are_escaped_whole() {
        let json = serde_json::to_string(&format!(
            "{}ё\u{2028}<&>{}",
            "x".repeat(CHUNK - 3),
            "Ж".repeat(CHUNK)
        ))
        .unwrap();
        let mut page = String::new();
        let mut writer = ScriptJsonWriter::new(&mut page);
        // One byte at a time: every multi-byte character is split.
        for byte in json.as_bytes() {
            io::Write::write_all(&mut writer, std::slice::from_ref(byte)).unwrap();
        }
        writer.finish().unwrap();
        assert_eq!(page, escape_for_script_element(&json));
        assert!(page.contains("\\u2028\\u003c\\u0026\\u003e"));
    }

    #[test]
    fn only_the_two_line_separators_among_e2_characters_are_escaped() {
        assert_eq!(
            escape_for_script_element("a—b\u{2028}c\u{2029}d…<"),
            "a—b\\u2028c\\u2029d…\\u003c"
        );
    }

    #[test]
    fn unfinished_character_at_the_end_is_an_error() {
        let mut page = String::new();
        let mut writer = ScriptJsonWriter::new(&mut page);
        io::Write::write_all(&mut writer, &"ё".as_bytes()[..1]).unwrap();
        assert!(writer.finish().is_err());
    }

    #[test]
    fn lines_hold_one_document_each() {
        let mut page = String::new();
        write_json_lines(&mut page, [json!({"a": "</script>"}), json!([1, 2])]).unwrap();
        assert_eq!(page, "{\"a\":\"\\u003c/script\\u003e\"}\n[1,2]");
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
