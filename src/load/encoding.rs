//! Text files into UTF-8: a byte-order mark decides (UTF-8, UTF-16), then
//! `--encoding` if given, else UTF-16 when the zero bytes of its ASCII
//! characters show (Excel's "Unicode text" and PowerShell write UTF-16,
//! not always with a mark), else UTF-8 when the bytes are valid UTF-8,
//! else Windows-1251 when the bytes read as plausible Russian text in it.
//!
//! Invariant: a file that is not valid in the chosen encoding is an error
//! naming the line and column of its first bad byte, never text with
//! replacement characters.

use std::borrow::Cow;

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1251};

use super::error::LoadError;

/// Text of one file and the encoding it was read in.
#[derive(Debug)]
pub struct DecodedText<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
}

/// Resolves an `--encoding` label (`utf-8`, `windows-1251`, `cp1251`, and
/// any other WHATWG label).
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, LoadError> {
    let normalized = label.trim().to_ascii_lowercase();
    let label = match normalized.as_str() {
        "utf8" => "utf-8",
        "1251" | "win1251" | "win-1251" | "windows1251" => "windows-1251",
        other => other,
    };
    Encoding::for_label(label.as_bytes()).ok_or_else(|| LoadError::UnknownEncoding {
        label: label.to_string(),
    })
}

/// Decodes a whole file; see the module comment for the order of choices.
pub fn decode<'a>(
    bytes: &'a [u8],
    forced: Option<&'static Encoding>,
    path: &str,
) -> Result<DecodedText<'a>, LoadError> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        return decode_strictly(&bytes[bom_length..], encoding, path);
    }
    if let Some(encoding) = forced {
        return decode_strictly(bytes, encoding, path);
    }
    if let Some(encoding) = sniff_utf16(bytes) {
        return decode_strictly(bytes, encoding, path);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(DecodedText {
            text: Cow::Borrowed(text),
            encoding: UTF_8,
        }),
        Err(error) => {
            if looks_like_windows_1251(bytes) {
                decode_strictly(bytes, WINDOWS_1251, path)
            } else {
                let offset = error.valid_up_to();
                let (line, column) = line_and_column(bytes, offset, UTF_8);
                Err(LoadError::UndetectedEncoding {
                    path: path.to_string(),
                    line,
                    column,
                    byte: bytes[offset],
                })
            }
        }
    }
}

fn decode_strictly<'a>(
    bytes: &'a [u8],
    encoding: &'static Encoding,
    path: &str,
) -> Result<DecodedText<'a>, LoadError> {
    if encoding == UTF_8 {
        return match std::str::from_utf8(bytes) {
            Ok(text) => Ok(DecodedText {
                text: Cow::Borrowed(text),
                encoding,
            }),
            Err(error) => Err(undecodable(bytes, error.valid_up_to(), encoding, path)),
        };
    }
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        DecoderResult::InputEmpty => Ok(DecodedText {
            text: Cow::Owned(text),
            encoding,
        }),
        DecoderResult::Malformed(bad_length, consumed_after) => {
            let offset = read - usize::from(bad_length) - usize::from(consumed_after);
            Err(undecodable(bytes, offset, encoding, path))
        }
        // The buffer was sized for the worst case, so this cannot happen;
        // report it as a decoding failure at the point reached rather than
        // return truncated text.
        DecoderResult::OutputFull => Err(undecodable(
            bytes,
            read.min(bytes.len().saturating_sub(1)),
            encoding,
            path,
        )),
    }
}

fn undecodable(bytes: &[u8], offset: usize, encoding: &'static Encoding, path: &str) -> LoadError {
    let (line, column) = line_and_column(bytes, offset, encoding);
    LoadError::Undecodable {
        path: path.to_string(),
        encoding: encoding.name(),
        line,
        column,
        byte: bytes.get(offset).copied().unwrap_or(0),
    }
}

/// 1-based line and character column of the byte at `offset`, counted in
/// decoded characters (in UTF-16 a `0x0A` byte is not always a line feed).
fn line_and_column(bytes: &[u8], offset: usize, encoding: &'static Encoding) -> (u64, u64) {
    let (before, _) = encoding.decode_without_bom_handling(&bytes[..offset]);
    let line = before.matches('\n').count() as u64 + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count() as u64
        + 1;
    (line, column)
}

/// How much of a file the UTF-16 sniff looks at.
const UTF16_SAMPLE_BYTES: usize = 4096;

/// UTF-16 without a byte-order mark, by where its zero bytes fall. An
/// export is mostly ASCII (digits, delimiters, line ends, e-mails), whose
/// UTF-16 code units have a zero high byte: at odd offsets in UTF-16LE, at
/// even ones in UTF-16BE. Text in UTF-8 or Windows-1251 has no zero bytes
/// at all. So: zero bytes in at least a tenth of one parity's positions of
/// the sample, and twenty times fewer in the other's (U+0400, U+0100 ...
/// have a zero low byte).
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(UTF16_SAMPLE_BYTES) & !1];
    let units = sample.len() / 2;
    if units < 2 {
        return None;
    }
    let zeros_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&byte| byte == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let telling = |zeros: usize, other: usize| zeros * 10 >= units && other * 20 <= zeros;
    if telling(odd, even) {
        Some(UTF_16LE)
    } else if telling(even, odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Whether bytes that are not UTF-8 read as Russian text in Windows-1251:
/// no control characters, and Cyrillic letters outnumbering the rarer
/// symbols of the upper half (Ђ, ‰, Ћ, ...) by far.
pub fn looks_like_windows_1251(bytes: &[u8]) -> bool {
    let mut cyrillic = 0u64;
    let mut unusual = 0u64;
    for &byte in bytes {
        match byte {
            b'\t' | b'\n' | b'\r' | 0x0C => {}
            0x00..=0x1F | 0x7F => return false,
            0x20..=0x7E => {}
            // А..я, Ё, ё
            0xC0..=0xFF | 0xA8 | 0xB8 => cyrillic += 1,
            // no-break space, « », – —, №, “ ” ‘ ’, …, •, Ukrainian/Belarusian
            // letters that Russian exports meet in names (Є є І і Ї ї Ў ў)
            0xA0 | 0xAB | 0xBB | 0x96 | 0x97 | 0xB9 | 0x93 | 0x94 | 0x91 | 0x92 | 0x85 | 0x95
            | 0xAA | 0xBA | 0xB2 | 0xB3 | 0xAF | 0xBF | 0xA1 | 0xA2 => {}
            _ => unusual += 1,
        }
    }
    cyrillic > 0 && cyrillic >= unusual.saturating_mul(20)
}

#[cfg(test)]
mod tests {
    use encoding_rs::{UTF_16BE, UTF_16LE};

    use super::*;

    fn windows_1251(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = WINDOWS_1251.encode(text);
        assert!(!unmappable);
        bytes.into_owned()
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let plain = "user_id,Имя\n1,Ёжик\n";
        let decoded = decode(plain.as_bytes(), None, "a.csv").unwrap();
        assert_eq!(decoded.text, plain);
        assert_eq!(decoded.encoding, UTF_8);
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(plain.as_bytes());
        assert_eq!(decode(&with_bom, None, "a.csv").unwrap().text, plain);
    }

    #[test]
    fn windows_1251_is_detected() {
        let text = "ID клиента;Фамилия;Имя\n1;Щербакова;Алёна\n";
        let bytes = windows_1251(text);
        let decoded = decode(&bytes, None, "a.csv").unwrap();
        assert_eq!(decoded.text, text);
        assert_eq!(decoded.encoding, WINDOWS_1251);
    }

    #[test]
    fn utf16_with_bom_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "user_id\tИмя\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(
            decode(&bytes, None, "a.txt").unwrap().text,
            "user_id\tИмя\n"
        );
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|unit| {
                if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn utf16_without_bom_is_detected_in_both_byte_orders() {
        let text = "ID клиента;ФИО;Телефон\n1;Щербакова Алёна;79161234567\n";
        for (big_endian, encoding) in [(false, UTF_16LE), (true, UTF_16BE)] {
            let bytes = utf16(text, big_endian);
            let decoded = decode(&bytes, None, "a.csv").unwrap();
            assert_eq!(decoded.text, text);
            assert_eq!(decoded.encoding, encoding);
        }
    }

    #[test]
    fn utf16_sniff_leaves_other_text_alone() {
        assert_eq!(sniff_utf16("user_id,phone\n1,7999\n".as_bytes()), None);
        assert_eq!(
            sniff_utf16(&windows_1251("Фамилия;Имя\nИванова;Анна\n")),
            None
        );
        assert_eq!(sniff_utf16(b"\x00\x00\x00\x00"), None);
        assert_eq!(sniff_utf16(b"a"), None);
    }

    #[test]
    fn utf16_without_bom_with_a_lone_surrogate_names_line_and_column() {
        let mut bytes = utf16("user_id,phone\n1,", false);
        bytes.extend_from_slice(&[0x34, 0xD8, b'7', 0x00, b'\n', 0x00]);
        let message = decode(&bytes, None, "w.csv").unwrap_err().to_string();
        assert!(message.contains("w.csv, line 2"), "{message}");
        assert!(message.contains("UTF-16LE"), "{message}");
    }

    #[test]
    fn forced_utf8_names_line_and_column_of_the_bad_byte() {
        let mut bytes = "user_id,name\n1,Анна\n2,".as_bytes().to_vec();
        bytes.extend_from_slice(&windows_1251("Олег"));
        bytes.push(b'\n');
        let message = decode(&bytes, Some(UTF_8), "a.csv")
            .unwrap_err()
            .to_string();
        assert!(message.contains("a.csv, line 3, column 3"), "{message}");
        assert!(message.contains("0xCE"), "{message}");
        assert!(message.contains("--encoding"), "{message}");
    }

    #[test]
    fn undetectable_bytes_name_line_and_column() {
        let mut bytes = b"user_id,name\n1,ok\n22,\x01\x02\xFF\n".to_vec();
        bytes.push(b'\n');
        let message = decode(&bytes, None, "b.csv").unwrap_err().to_string();
        assert!(message.contains("b.csv, line 3, column 6"), "{message}");
        assert!(message.contains("0xFF"), "{message}");
    }

    #[test]
    fn forced_windows_1251_reads_what_detection_would() {
        let text = "Телефон;Пол\n79990000000;ж\n";
        let bytes = windows_1251(text);
        assert_eq!(decode(&bytes, Some(WINDOWS_1251), "a").unwrap().text, text);
    }

    #[test]
    fn encoding_labels() {
        assert_eq!(encoding_for_label("UTF8").unwrap(), UTF_8);
        assert_eq!(encoding_for_label("cp1251").unwrap(), WINDOWS_1251);
        assert_eq!(encoding_for_label("Windows-1251").unwrap(), WINDOWS_1251);
        assert_eq!(encoding_for_label("1251").unwrap(), WINDOWS_1251);
        assert_eq!(encoding_for_label("utf-16le").unwrap(), UTF_16LE);
        assert_eq!(encoding_for_label("utf-16be").unwrap(), UTF_16BE);
        let message = encoding_for_label("klingon").unwrap_err().to_string();
        assert!(
            message.contains("klingon") && message.contains("windows-1251"),
            "{message}"
        );
    }

    #[test]
    fn binary_noise_is_not_windows_1251() {
        assert!(!looks_like_windows_1251(b"\x00\x01\xFF"));
        assert!(!looks_like_windows_1251(b"\x80\x81\x83\x88\x89\x8A"));
        assert!(looks_like_windows_1251(&windows_1251(
            "Привет, мир — «ёлка» №5"
        )));
    }
}
