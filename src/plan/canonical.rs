//! The plan's hash, computed without ever holding the plan's JSON in memory.
//!
//! The canonical content of a plan is its compact JSON (no whitespace
//! outside strings, fields in declaration order) with the `plan_hash` value
//! empty; `plan_hash` is the lower-case hex SHA-256 of it. Writing, the plan
//! is serialised once through [`HashSplice`], which feeds the canonical bytes
//! to the hasher and the same bytes, with room left for the hash, to the
//! file; the hash is written into that room at the end. Reading,
//! [`canonical_text_hash`] hashes the file's own text with insignificant
//! whitespace skipped and the top-level `plan_hash` value left out, so a
//! re-indented plan still verifies and any other edit does not.
//!
//! The check hashes the text, never a re-serialised parse: serde_json
//! (without its `float_roundtrip` feature, which would rebuild polars) may
//! read a float one ulp off, and the re-serialised plan would then hash
//! differently although nobody changed the file.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq, Serializer};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::render_ahead::render_ahead;

/// Hex digits of a SHA-256.
pub const HASH_HEX_LENGTH: usize = 64;

/// Bytes the serialiser hands on at a time: big enough that hashing and
/// writing work on large slices, small enough to stay in cache.
const CHUNK: usize = 1 << 16;

/// Serialises `value` as compact JSON into `out` through a buffer, so that
/// serde_json's many small writes reach `out` as large ones.
pub fn write_compact_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut buffered = io::BufWriter::with_capacity(CHUNK, out);
    serde_json::to_writer(&mut buffered, value)?;
    buffered.flush()
}

/// Elements rendered to JSON at a time by [`RenderedInParallel`]: a few
/// megabytes of text, so that the batch costs no memory worth counting and
/// each core gets hundreds of elements.
const RENDER_BATCH: usize = 2048;

/// A slice serialised as a JSON array whose elements are rendered to text on
/// the thread pool a batch ahead of the writing ([`render_ahead`]): the
/// same bytes as serialising the slice itself.
pub struct RenderedInParallel<'a, T>(pub &'a [T]);

impl<T: Serialize + Sync> Serialize for RenderedInParallel<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut array = serializer.serialize_seq(Some(self.0.len()))?;
        render_ahead(
            self.0.chunks(RENDER_BATCH),
            |batch| {
                batch
                    .par_iter()
                    .map(serde_json::value::to_raw_value)
                    .collect::<serde_json::Result<Vec<Box<RawValue>>>>()
            },
            |rendered| {
                rendered
                    .map_err(S::Error::custom)?
                    .iter()
                    .try_for_each(|element| array.serialize_element(element))
            },
        )?;
        array.end()
    }
}

/// Lower-case hex SHA-256 of the compact JSON of `value`, streamed.
pub fn compact_json_hash(value: &impl Serialize) -> io::Result<String> {
    let mut hasher = HashingWriter(Sha256::new());
    write_compact_json(&mut hasher, value)?;
    Ok(hex::encode(hasher.0.finalize()))
}

struct HashingWriter(Sha256);

impl Write for HashingWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Passes a serialisation whose hash value is empty to both the hasher and
/// `out`, checking that it starts with `prefix` (the JSON up to the opening
/// quote of the hash) and inserting [`HASH_HEX_LENGTH`] placeholder bytes
/// into `out` right after it, where the caller writes the hash once
/// [`HashSplice::finish`] gives it.
pub struct HashSplice<'a, W: Write> {
    out: W,
    hasher: Sha256,
    prefix: &'a [u8],
    /// Bytes of the prefix seen so far.
    matched: usize,
    spliced: bool,
}

impl<'a, W: Write> HashSplice<'a, W> {
    pub fn new(out: W, prefix: &'a [u8]) -> HashSplice<'a, W> {
        HashSplice {
            out,
            hasher: Sha256::new(),
            prefix,
            matched: 0,
            spliced: false,
        }
    }

    /// The hex hash of everything written; fails if the prefix never
    /// completed, since the placeholder would then be missing.
    pub fn finish(self) -> io::Result<String> {
        if !self.spliced {
            return Err(io::Error::other(
                "the plan ended before its plan_hash field",
            ));
        }
        Ok(hex::encode(self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashSplice<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut rest = bytes;
        if !self.spliced {
            let head = &rest[..rest.len().min(self.prefix.len() - self.matched)];
            if head != &self.prefix[self.matched..self.matched + head.len()] {
                return Err(io::Error::other(
                    "the plan does not start with schema_version and plan_hash",
                ));
            }
            self.out.write_all(head)?;
            self.hasher.update(head);
            self.matched += head.len();
            rest = &rest[head.len()..];
            if self.matched == self.prefix.len() {
                self.out.write_all(&[b'0'; HASH_HEX_LENGTH])?;
                self.spliced = true;
            }
        }
        self.out.write_all(rest)?;
        self.hasher.update(rest);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Lower-case hex SHA-256 of the JSON `text` as canonical content: every
/// byte except whitespace outside strings, with the string value of the
/// top-level member `plan_hash` left empty. Works on the bytes in place.
pub fn canonical_text_hash(text: &[u8]) -> String {
    let mut hasher = Sha256::new();
    // Start of the bytes not yet hashed.
    let mut run_start = 0;
    let mut depth = 0usize;
    // The last structural byte outside strings (`"` after a string).
    let mut previous = 0u8;
    let mut after_hash_key = false;
    let mut index = 0;
    while index < text.len() {
        let byte = text[index];
        match byte {
            b'"' => {
                let start = index + 1;
                let end = string_end(text, start);
                if depth == 1 && matches!(previous, b'{' | b',') {
                    after_hash_key = &text[start..end] == b"plan_hash";
                } else if depth == 1 && previous == b':' && after_hash_key {
                    // Hash up to the opening quote; resume at the closing one.
                    hasher.update(&text[run_start..start]);
                    run_start = end;
                    after_hash_key = false;
                }
                previous = b'"';
                index = end + 1;
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                hasher.update(&text[run_start..index]);
                run_start = index + 1;
            }
            b'{' | b'[' => {
                depth += 1;
                previous = byte;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                previous = byte;
            }
            _ => previous = byte,
        }
        index += 1;
    }
    hasher.update(&text[run_start.min(text.len())..]);
    hex::encode(hasher.finalize())
}

/// Index of the quote closing the string whose content starts at `start`,
/// or the text's length if it is not closed.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut index = start;
    while index < text.len() {
        match text[index] {
            b'"' => return index,
            b'\\' => index += 2,
            _ => index += 1,
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_hash_ignores_whitespace_and_the_hash_value_only() {
        let compact =
            br#"{"schema_version":1,"plan_hash":"","clusters":[{"plan_hash":"x","name":"a b"}]}"#;
        let expected = hex::encode(Sha256::digest(compact));
        assert_eq!(canonical_text_hash(compact), expected);
        let pretty = b"{\n  \"schema_version\": 1,\n  \"plan_hash\": \"abc\",\n  \"clusters\": [ {\"plan_hash\": \"x\", \"name\": \"a b\"} ]\n}\n";
        assert_eq!(canonical_text_hash(pretty), expected);
        // A nested plan_hash is content; so is whitespace inside a string.
        let nested =
            br#"{"schema_version":1,"plan_hash":"","clusters":[{"plan_hash":"y","name":"a b"}]}"#;
        assert_ne!(canonical_text_hash(nested), expected);
        let inner_space =
            br#"{"schema_version":1,"plan_hash":"","clusters":[{"plan_hash":"x","name":"a  b"}]}"#;
        assert_ne!(canonical_text_hash(inner_space), expected);
    }

    #[test]
    fn escaped_quotes_do_not_end_strings() {
        let text = br#"{"a":"say \"plan_hash\": \"q\"","plan_hash":"zz"}"#;
        let canonical = br#"{"a":"say \"plan_hash\": \"q\"","plan_hash":""}"#;
        assert_eq!(
            canonical_text_hash(text),
            hex::encode(Sha256::digest(canonical))
        );
    }

    #[test]
    fn splice_hashes_the_serialisation_and_leaves_room_for_the_hash() {
        #[derive(Serialize)]
        struct Small {
            schema_version: u32,
            plan_hash: &'static str,
            n: (f64, &'static str),
        }
        let value = Small {
            schema_version: 1,
            plan_hash: "",
            n: (1.5, "ё"),
        };
        let prefix = br#"{"schema_version":1,"plan_hash":""#;
        let mut file = Vec::new();
        let mut splice = HashSplice::new(&mut file, prefix);
        write_compact_json(&mut splice, &value).unwrap();
        let hash = splice.finish().unwrap();
        assert_eq!(hash, compact_json_hash(&value).unwrap());
        let placeholder = "0".repeat(HASH_HEX_LENGTH);
        let expected =
            format!(r#"{{"schema_version":1,"plan_hash":"{placeholder}","n":[1.5,"ё"]}}"#);
        assert_eq!(String::from_utf8(file).unwrap(), expected);
    }

    #[test]
    fn splice_refuses_a_serialisation_without_the_prefix() {
        let mut file = Vec::new();
        let mut splice = HashSplice::new(&mut file, br#"{"schema_version":1,"plan_hash":""#);
        let error = write_compact_json(&mut splice, &json!({"other": 1})).unwrap_err();
        assert!(error.to_string().contains("plan_hash"), "{error}");
    }
}
