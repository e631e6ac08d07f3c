//! Delimited text (CSV, TSV, `;` exports from Excel) into the frame.
//!
//! One pass of the `csv` crate over the decoded text both validates and
//! fills the column builders, so every record is checked with its physical
//! line at hand: a wrong field count names the line where the record
//! starts; a quote that never closes (which makes a CSV parser swallow the
//! rest of the file into one field) names the line where it opened.

use std::collections::BTreeMap;

use csv::{ReaderBuilder, StringRecord};
use indicatif::ProgressBar;

use super::columns::resolve_columns;
use super::error::{LoadError, Location};
use super::frame::FrameBuilder;

/// The delimiters an export may use, in order of preference on a tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How much of a file delimiter detection looks at.
const SAMPLE_BYTES: usize = 64 * 1024;
const SAMPLE_RECORDS: usize = 50;
/// Records between progress updates.
const PROGRESS_EVERY: u64 = 1 << 16;

/// The delimiter that splits the first records of `text` into the same
/// number (more than one) of fields, preferring more fields; `,` when none
/// does.
pub fn detect_delimiter(text: &str) -> u8 {
    let bytes = text.as_bytes();
    let sample = if bytes.len() > SAMPLE_BYTES {
        let cut = &bytes[..SAMPLE_BYTES];
        cut.iter()
            .rposition(|&b| b == b'\n')
            .map_or(cut, |end| &cut[..end + 1])
    } else {
        bytes
    };
    let mut best = (b',', false, 1usize);
    for delimiter in DELIMITERS {
        let mut reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample);
        let counts: Vec<usize> = reader
            .byte_records()
            .take(SAMPLE_RECORDS)
            .map_while(Result::ok)
            .map(|record| record.len())
            .collect();
        let Some(&header) = counts.first() else {
            continue;
        };
        let consistent = header > 1 && counts.iter().all(|&count| count == header);
        let (_, best_consistent, best_header) = best;
        if (consistent, header) > (best_consistent, best_header) {
            best = (delimiter, consistent, header);
        }
    }
    best.0
}

/// A delimiter for messages: `tab` rather than an invisible character.
pub fn describe_delimiter(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_string(),
        other => format!("'{}'", other as char),
    }
}

/// Reads one delimited file into `builder`.
pub fn read_delimited(
    text: &str,
    path: &str,
    delimiter: u8,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
    progress: &ProgressBar,
) -> Result<(), LoadError> {
    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = StringRecord::new();
    let mut lines = LineCounter::new(text);
    let parse_error = |error: csv::Error| LoadError::Read {
        path: path.to_string(),
        source: std::io::Error::other(error),
    };
    if !reader.read_record(&mut record).map_err(parse_error)? {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let mut last_start = lines.start_of(&record);
    let headers: Vec<String> = record.iter().map(str::to_string).collect();
    if headers.len() == 1 && headers[0].trim().is_empty() {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let resolved = resolve_columns(path, &headers, map);
    // A header that swallowed the file is an unterminated quote, whatever
    // the column check says.
    if reader.position().byte() as usize >= text.len() {
        check_quotes_closed(text, last_start, delimiter, path)?;
    }
    let resolved = resolved?;
    builder.begin_file(path, &resolved, true);
    let expected = headers.len();
    let progress_start = progress.position();
    let mut records: u64 = 0;
    while reader.read_record(&mut record).map_err(parse_error)? {
        let start = lines.start_of(&record);
        if record.len() != expected {
            if record.len() == 1 && record[0].trim().is_empty() {
                builder.skip_blank_row();
                continue;
            }
            check_quotes_closed(text, start, delimiter, path)?;
            return Err(LoadError::FieldCount {
                path: path.to_string(),
                line: start.line,
                expected,
                found: record.len(),
                delimiter: describe_delimiter(delimiter),
            });
        }
        builder.push_row(&record, Location::Line(start.line))?;
        last_start = start;
        records += 1;
        if records.is_multiple_of(PROGRESS_EVERY) {
            progress.set_position(progress_start + reader.position().byte());
        }
    }
    check_quotes_closed(text, last_start, delimiter, path)?;
    progress.set_position(progress_start + text.len() as u64);
    if builder.current_file_rows() == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_string(),
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct RecordStart {
    line: u64,
    byte: usize,
}

/// Physical line numbers of record starts. The `csv` crate's own line
/// count differs with `\r\n` endings and skipped blank lines, so lines are
/// counted here, once over the text, from the records' byte offsets.
struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            bytes: text.as_bytes(),
            counted_to: 0,
            line: 1,
        }
    }

    /// Where `record` starts; records must come in file order. The crate
    /// reports the byte after the previous record's terminator, which may
    /// be the `\n` of a `\r\n` or a skipped blank line: a record never
    /// starts with a line break, so those are stepped over.
    fn start_of(&mut self, record: &StringRecord) -> RecordStart {
        let mut byte = record
            .position()
            .map_or(self.counted_to, |position| position.byte() as usize)
            .clamp(self.counted_to, self.bytes.len());
        while matches!(self.bytes.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        self.line += self.bytes[self.counted_to..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.counted_to = byte;
        RecordStart {
            line: self.line,
            byte,
        }
    }
}

/// Errors when the text from `start` to the end of the file ends inside a
/// quoted field. Called on the last record (a record that swallowed the
/// rest of the file is always the last one) and on a record of the wrong
/// length, the usual symptom.
fn check_quotes_closed(
    text: &str,
    start: RecordStart,
    delimiter: u8,
    path: &str,
) -> Result<(), LoadError> {
    let tail = text.as_bytes().get(start.byte..).unwrap_or_default();
    match open_quote_line(tail, delimiter, start.line) {
        Some(line) => Err(LoadError::UnterminatedQuote {
            path: path.to_string(),
            line,
        }),
        None => Ok(()),
    }
}

/// The line of the quote left open at the end of `bytes` (RFC 4180 rules,
/// as the `csv` crate applies them: a quote opens a field only at its
/// start, `""` inside is an escaped quote), or `None`.
pub fn open_quote_line(bytes: &[u8], delimiter: u8, first_line: u64) -> Option<u64> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut line = first_line;
    let mut opened_on = first_line;
    for &byte in bytes {
        let ends_field = byte == delimiter || byte == b'\n' || byte == b'\r';
        state = match state {
            State::FieldStart if byte == b'"' => {
                opened_on = line;
                State::Quoted
            }
            State::FieldStart | State::Unquoted | State::QuoteInQuoted if ends_field => {
                State::FieldStart
            }
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted if byte == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if byte == b'"' => State::Quoted,
            State::QuoteInQuoted => State::Unquoted,
        };
        if byte == b'\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(opened_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::frame::FrameBuilder;

    fn load(text: &str) -> Result<FrameBuilder, LoadError> {
        let mut builder = FrameBuilder::new();
        let delimiter = detect_delimiter(text);
        read_delimited(
            text,
            "t.csv",
            delimiter,
            &BTreeMap::new(),
            &mut builder,
            &ProgressBar::hidden(),
        )?;
        Ok(builder)
    }

    fn error(text: &str) -> String {
        match load(text) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter("user_id,phone\n1,7999\n"), b',');
        assert_eq!(detect_delimiter("user_id;phone\n1;7999\n"), b';');
        assert_eq!(detect_delimiter("user_id\tphone\n1\t7999\n"), b'\t');
        assert_eq!(detect_delimiter("user_id|phone\n1|7999\n"), b'|');
        assert_eq!(detect_delimiter("user_id\n1\n"), b',');
    }

    #[test]
    fn decimal_commas_do_not_fool_semicolon_detection() {
        let text = "ID клиента;Баллы;Телефон\n1;12,5;7999\n2;1,0;7998\n";
        assert_eq!(detect_delimiter(text), b';');
    }

    #[test]
    fn quoted_delimiters_do_not_fool_detection() {
        let text = "user_id,name,phone\n1,\"Иванов; Пётр\",7999\n2,\"А; Б; В\",7998\n";
        assert_eq!(detect_delimiter(text), b',');
    }

    #[test]
    fn source_rows_are_physical_lines_where_records_start() {
        let text = "user_id,phone,note\n1,7999,\"two\nlines\"\n\n2,7998,x\n";
        let built = load(text).unwrap().finish().unwrap();
        let lines: Vec<i64> = built
            .frame
            .column("source_row")
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(lines, [2, 5]);
    }

    #[test]
    fn crlf_line_endings() {
        let built = load("user_id,phone\r\n1,7999\r\n2,7998\r\n")
            .unwrap()
            .finish()
            .unwrap();
        let lines: Vec<i64> = built
            .frame
            .column("source_row")
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(lines, [2, 3]);
        let phones: Vec<&str> = built
            .frame
            .column("phone")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(phones, ["7999", "7998"]);
    }

    #[test]
    fn unterminated_quote_names_the_line_where_it_opened() {
        let text = "user_id,phone,name\n1,7999,Анна\n2,7998,\"Пётр\n3,7997,Олег\n4,7996,Ира\n";
        let message = error(text);
        assert!(message.contains("t.csv, line 3"), "{message}");
        assert!(message.contains("never closed"), "{message}");
    }

    #[test]
    fn unterminated_quote_in_the_last_column_of_the_last_record() {
        let message = error("user_id,phone\n1,7999\n2,\"7998\n");
        assert!(
            message.contains("line 3") && message.contains("never closed"),
            "{message}"
        );
    }

    #[test]
    fn unterminated_quote_in_the_header() {
        let message = error("user_id,\"phone\n1,7999\n");
        assert!(
            message.contains("line 1") && message.contains("never closed"),
            "{message}"
        );
    }

    #[test]
    fn wrong_field_count_names_line_expected_and_found() {
        let message = error("user_id,phone,email\n1,7999,a@b.ru\n2,7998\n");
        assert!(
            message.contains("t.csv, line 3: 2 fields where the header has 3"),
            "{message}"
        );
    }

    #[test]
    fn empty_and_header_only_files() {
        assert!(error("").contains("t.csv is empty"));
        assert!(error("\n\n").contains("t.csv is empty"));
        assert!(error("user_id,phone\n").contains("header but no data rows"));
        assert!(error("user_id,phone\n,\n").contains("header but no data rows"));
    }

    #[test]
    fn empty_user_id_names_line_and_column() {
        let message = error("ID клиента;Телефон\n1;7999\n;7998\n");
        assert!(
            message.contains("t.csv, line 3, column \"ID клиента\""),
            "{message}"
        );
    }

    #[test]
    fn duplicate_user_id_names_both_lines() {
        let built = load("user_id,phone\n1,7999\n2,7998\n1,7997\n").unwrap();
        let message = built.finish().err().unwrap().to_string();
        assert!(message.contains("\"1\""), "{message}");
        assert!(
            message.contains("t.csv, line 2 and t.csv, line 4"),
            "{message}"
        );
    }

    #[test]
    fn escaped_quotes_are_not_open_quotes() {
        assert_eq!(open_quote_line(b"1,\"a \"\"b\"\" c\"\n", b',', 7), None);
        assert_eq!(open_quote_line(b"1,ab\"c\n", b',', 7), None);
        assert_eq!(open_quote_line(b"1,\"ab\n\nc", b',', 7), Some(7));
        assert_eq!(open_quote_line(b"1,x\n2,\"ab\nc", b',', 7), Some(8));
    }
}
