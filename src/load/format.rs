//! Which reader a file needs: its content when it starts with a binary
//! format's signature (a Parquet file or a workbook is never text, whatever
//! its name), else its extension, else a sniff of its first bytes.

use std::path::Path;

/// The format of one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text; the delimiter when the name fixes it (`.tsv`).
    Delimited {
        delimiter: Option<u8>,
    },
    Parquet,
    NdJson,
    JsonArray,
    /// XLSX, XLS or ODS (calamine).
    Spreadsheet,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Delimited { .. } => "delimited text",
            Format::Parquet => "Parquet",
            Format::NdJson => "NDJSON",
            Format::JsonArray => "JSON array",
            Format::Spreadsheet => "spreadsheet",
        }
    }
}

const PARQUET_MAGIC: &[u8] = b"PAR1";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Compound File Binary: the legacy `.xls` container.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The format of `path` holding `bytes`.
pub fn detect_format(path: &Path, bytes: &[u8]) -> Format {
    if bytes.starts_with(PARQUET_MAGIC) {
        return Format::Parquet;
    }
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
        return Format::Spreadsheet;
    }
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => Format::Delimited { delimiter: None },
        Some("tsv" | "tab") => Format::Delimited {
            delimiter: Some(b'\t'),
        },
        Some("ndjson" | "jsonl") => Format::NdJson,
        Some("xlsx" | "xlsm" | "xls" | "ods") => Format::Spreadsheet,
        Some("parquet" | "pq") => Format::Parquet,
        _ => sniff_text(bytes),
    }
}

/// `.json`, `.txt` and unknown names: `[` opens a JSON array, `{` a line of
/// NDJSON, anything else is delimited text. Byte-order marks and the zero
/// bytes of UTF-16 are skipped, so UTF-16 JSON is JSON too.
fn sniff_text(bytes: &[u8]) -> Format {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bytes = bytes
        .strip_prefix(b"\xFF\xFE")
        .or_else(|| bytes.strip_prefix(b"\xFE\xFF"))
        .unwrap_or(bytes);
    match bytes
        .iter()
        .find(|byte| !byte.is_ascii_whitespace() && **byte != 0)
    {
        Some(b'[') => Format::JsonArray,
        Some(b'{') => Format::NdJson,
        _ => Format::Delimited { delimiter: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension() {
        let text = b"user_id,phone\n";
        assert_eq!(
            detect_format(Path::new("a.CSV"), text),
            Format::Delimited { delimiter: None }
        );
        assert_eq!(
            detect_format(Path::new("a.tsv"), text),
            Format::Delimited {
                delimiter: Some(b'\t')
            }
        );
        assert_eq!(detect_format(Path::new("a.jsonl"), b"{}"), Format::NdJson);
        assert_eq!(detect_format(Path::new("a.ndjson"), b"{}"), Format::NdJson);
        assert_eq!(detect_format(Path::new("a.xlsx"), b""), Format::Spreadsheet);
        assert_eq!(detect_format(Path::new("a.parquet"), b""), Format::Parquet);
    }

    #[test]
    fn by_content_when_the_name_is_unclear() {
        assert_eq!(
            detect_format(Path::new("a.json"), b"  [{}]"),
            Format::JsonArray
        );
        assert_eq!(
            detect_format(Path::new("a.json"), b"{\"a\":1}\n{\"a\":2}"),
            Format::NdJson
        );
        assert_eq!(
            detect_format(Path::new("a.txt"), b"\xEF\xBB\xBF[{}]"),
            Format::JsonArray
        );
        assert_eq!(
            detect_format(Path::new("a.json"), b"\x00[\x00{\x00}\x00]"),
            Format::JsonArray
        );
        assert_eq!(
            detect_format(Path::new("export"), b"a;b\n"),
            Format::Delimited { delimiter: None }
        );
    }

    #[test]
    fn binary_signatures_win_over_names() {
        assert_eq!(
            detect_format(Path::new("a.csv"), b"PAR1...."),
            Format::Parquet
        );
        assert_eq!(
            detect_format(Path::new("a.csv"), b"PK\x03\x04...."),
            Format::Spreadsheet
        );
    }
}
