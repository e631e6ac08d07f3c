//! Delimited text (CSV, TSV, `;` exports from Excel) into the frame.
//!
//! One pass of the `csv` crate over the decoded text both validates and
//! fills the column builders, so every record is checked with its physical
//! line at hand: a wrong field count names the line where the record
//! starts; a quote that never closes (which makes a CSV parser swallow the
//! rest of the file into one field) names the line where it opened. A
//! large file's records are read in pieces side by side, each starting
//! after a line feed; if one piece ends inside a quoted field (so the
//! next did not start at a record), the file is read again by one reader,
//! so that rows, their lines and the first error are those of one pass.

use std::collections::BTreeMap;

use csv::{ReaderBuilder, StringRecord};
use indicatif::ProgressBar;
use rayon::prelude::*;

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

/// Text per piece when a file is read on several threads: below this, a
/// thread's start-up costs more than the piece takes.
pub const PIECE_BYTES: usize = 4 << 20;

/// Reads one delimited file into `builder`, the records after the header
/// in pieces of about `piece_bytes` ([`PIECE_BYTES`]), side by side, when
/// there are several.
pub fn read_delimited(
    text: &str,
    path: &str,
    delimiter: u8,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
    progress: &ProgressBar,
    piece_bytes: usize,
) -> Result<(), LoadError> {
    let mut reader = csv_reader(text.as_bytes(), delimiter);
    let mut record = StringRecord::new();
    let mut lines = LineCounter::new(text, 0, 1);
    if !reader
        .read_record(&mut record)
        .map_err(|error| parse_error(path, error))?
    {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let header_start = lines.start_of(&record);
    let headers: Vec<String> = record.iter().map(str::to_string).collect();
    if headers.len() == 1 && headers[0].trim().is_empty() {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let resolved = resolve_columns(path, &headers, map);
    // A header that swallowed the file is an unterminated quote, whatever
    // the column check says.
    let body = reader.position().byte() as usize;
    if body >= text.len() {
        check_quotes_closed(text, header_start, delimiter, path)?;
    }
    let resolved = resolved?;
    builder.begin_file(path, &resolved, true);
    let records = Records {
        text,
        path,
        delimiter,
        expected: headers.len(),
    };
    let progress_start = progress.position();
    progress.set_position(progress_start + body as u64);
    let body_line = lines.line_at(body);
    let pieces = piece_starts(text, body, piece_bytes);
    let read_in_pieces = if pieces.len() > 1 {
        records.read_side_by_side(&pieces, body_line, builder, progress)?
    } else {
        None
    };
    let last_start = match read_in_pieces {
        Some(last_start) => last_start,
        None => {
            progress.set_position(progress_start + body as u64);
            records
                .read(body..text.len(), body_line, builder, progress)?
                .last_kept
        }
    };
    check_quotes_closed(text, last_start.unwrap_or(header_start), delimiter, path)?;
    progress.set_position(progress_start + text.len() as u64);
    if builder.current_file_rows() == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_string(),
        });
    }
    Ok(())
}

/// Records of any length (a wrong count is reported with its line), no
/// header row (the header is read as the first record).
fn csv_reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

fn parse_error(path: &str, error: csv::Error) -> LoadError {
    LoadError::Read {
        path: path.to_string(),
        source: std::io::Error::other(error),
    }
}

/// Where the pieces of the records from `body` start: after a line feed
/// roughly every `piece_bytes`. A line feed may be inside a quoted field;
/// [`Records::read_side_by_side`] finds out and reads the file whole.
fn piece_starts(text: &str, body: usize, piece_bytes: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let length = bytes.len().saturating_sub(body);
    let wanted = (length / piece_bytes.max(1)).clamp(1, MAX_PIECES);
    let mut starts = vec![body];
    for piece in 1..wanted {
        let target = body + length / wanted * piece;
        let Some(line_feed) = bytes[target..].iter().position(|&byte| byte == b'\n') else {
            break;
        };
        let start = target + line_feed + 1;
        // A piece starting with a byte-order mark would lose it: the csv
        // crate drops one at the start of what it reads.
        if start < bytes.len()
            && start > *starts.last().unwrap_or(&0)
            && !text[start..].starts_with('\u{feff}')
        {
            starts.push(start);
        }
    }
    starts
}

/// More pieces than threads, so that a slow piece does not hold up the
/// rest; few enough that each is megabytes.
const MAX_PIECES: usize = 16;

/// The records after the header, as every piece reads them.
struct Records<'a> {
    text: &'a str,
    path: &'a str,
    delimiter: u8,
    /// Fields per record: the header's.
    expected: usize,
}

/// How a piece of records ended.
struct PieceRead {
    /// The start of the last record kept, if any.
    last_kept: Option<RecordStart>,
    /// Whether the piece ended inside a quoted field: then the next piece
    /// did not start at a record.
    ended_in_quotes: bool,
}

impl Records<'_> {
    /// Reads the records starting in `range` (at a record start, on line
    /// `first_line`) into `builder`.
    fn read(
        &self,
        range: std::ops::Range<usize>,
        first_line: u64,
        builder: &mut FrameBuilder,
        progress: &ProgressBar,
    ) -> Result<PieceRead, LoadError> {
        let piece = &self.text.as_bytes()[range.clone()];
        let mut reader = csv_reader(piece, self.delimiter);
        let mut record = StringRecord::new();
        let mut lines = LineCounter::new(self.text, range.start, first_line);
        let mut last_kept = None;
        let mut last_seen = None;
        let mut counted: u64 = 0;
        let mut records: u64 = 0;
        while reader
            .read_record(&mut record)
            .map_err(|error| parse_error(self.path, error))?
        {
            let start = lines.start_of(&record);
            last_seen = Some(start);
            if record.len() != self.expected {
                if record.len() == 1 && record[0].trim().is_empty() {
                    builder.skip_blank_row();
                    continue;
                }
                check_quotes_closed(self.text, start, self.delimiter, self.path)?;
                return Err(LoadError::FieldCount {
                    path: self.path.to_string(),
                    line: start.line,
                    expected: self.expected,
                    found: record.len(),
                    delimiter: describe_delimiter(self.delimiter),
                });
            }
            builder.push_row(&record, Location::Line(start.line))?;
            last_kept = Some(start);
            records += 1;
            if records.is_multiple_of(PROGRESS_EVERY) {
                let position = reader.position().byte();
                progress.inc(position - counted);
                counted = position;
            }
        }
        progress.inc(piece.len() as u64 - counted);
        let ended_in_quotes = last_seen.is_some_and(|start| {
            let tail = &self.text.as_bytes()[start.byte..range.end];
            open_quote_line(tail, self.delimiter, start.line).is_some()
        });
        Ok(PieceRead {
            last_kept,
            ended_in_quotes,
        })
    }

    /// Reads the pieces starting at `starts` side by side and adds their
    /// rows to `builder` in order, giving the start of the last record
    /// kept; the first error in file order is the file's. `None` when a
    /// piece ended inside a quoted field, which leaves `builder` as it was
    /// for a reading of the whole file.
    fn read_side_by_side(
        &self,
        starts: &[usize],
        first_line: u64,
        builder: &mut FrameBuilder,
        progress: &ProgressBar,
    ) -> Result<Option<Option<RecordStart>>, LoadError> {
        let bytes = self.text.as_bytes();
        let ends = starts.iter().skip(1).copied().chain([bytes.len()]);
        let ranges: Vec<std::ops::Range<usize>> = starts
            .iter()
            .copied()
            .zip(ends)
            .map(|(start, end)| start..end)
            .collect();
        let line_feeds: Vec<u64> = ranges
            .par_iter()
            .map(|range| {
                bytes[range.clone()]
                    .iter()
                    .filter(|&&byte| byte == b'\n')
                    .count() as u64
            })
            .collect();
        let first_lines = line_feeds.iter().scan(first_line, |line, feeds| {
            let first = *line;
            *line += feeds;
            Some(first)
        });
        let pieces: Vec<FrameBuilder> = ranges.iter().map(|_| builder.for_piece()).collect();
        let read: Vec<(FrameBuilder, Result<PieceRead, LoadError>)> = pieces
            .into_par_iter()
            .zip(ranges.into_par_iter().zip(first_lines.collect::<Vec<_>>()))
            .map(|(mut piece, (range, line))| {
                let read = self.read(range, line, &mut piece, progress);
                (piece, read)
            })
            .collect();
        // Every piece before the first error must have ended at a record
        // for the pieces up to it to be the file's records.
        let last = read.len() - 1;
        for (index, (_, result)) in read.iter().enumerate() {
            match result {
                Err(_) => break,
                Ok(piece) if index < last && piece.ended_in_quotes => return Ok(None),
                Ok(_) => {}
            }
        }
        let mut last_kept = None;
        for (piece, result) in read {
            let read = result?;
            builder.append_piece(piece);
            last_kept = read.last_kept.or(last_kept);
        }
        Ok(Some(last_kept))
    }
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
    /// Where in `bytes` the reader's positions count from.
    offset: usize,
    counted_to: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// Counts lines from `offset`, which is on line `line`.
    fn new(text: &'a str, offset: usize, line: u64) -> LineCounter<'a> {
        LineCounter {
            bytes: text.as_bytes(),
            offset,
            counted_to: offset,
            line,
        }
    }

    /// Where `record` starts; records must come in file order. The crate
    /// reports the byte after the previous record's terminator, which may
    /// be the `\n` of a `\r\n` or a skipped blank line: a record never
    /// starts with a line break, so those are stepped over.
    fn start_of(&mut self, record: &StringRecord) -> RecordStart {
        let mut byte = record
            .position()
            .map_or(self.counted_to, |position| {
                self.offset + position.byte() as usize
            })
            .clamp(self.counted_to, self.bytes.len());
        while matches!(self.bytes.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        let line = self.line_at(byte);
        self.line = line;
        self.counted_to = byte;
        RecordStart { line, byte }
    }

    /// The line of `byte`, at or after the last start counted.
    fn line_at(&self, byte: usize) -> u64 {
        self.line
            + self.bytes[self.counted_to..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64
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
    use crate::load::frame::{BuiltFrame, FrameBuilder};

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
            PIECE_BYTES,
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

    /// The file read in pieces of about `piece_bytes`, and whole.
    fn load_both_ways(text: &str, piece_bytes: usize) -> [Result<BuiltFrame, String>; 2] {
        [piece_bytes, usize::MAX].map(|piece_bytes| {
            let mut builder = FrameBuilder::new();
            read_delimited(
                text,
                "t.csv",
                b',',
                &BTreeMap::new(),
                &mut builder,
                &ProgressBar::hidden(),
                piece_bytes,
            )
            .and_then(|()| builder.finish())
            .map_err(|error| error.to_string())
        })
    }

    fn assert_same_frames(text: &str, piece_bytes: usize) {
        let [pieces, whole] = load_both_ways(text, piece_bytes);
        let (pieces, whole) = (pieces.unwrap(), whole.unwrap());
        assert!(
            pieces.frame.equals_missing(&whole.frame),
            "{:?}\n{:?}",
            pieces.frame,
            whole.frame
        );
        assert_eq!(pieces.unparseable, whole.unparseable);
        assert_eq!(pieces.blank_rows_skipped, whole.blank_rows_skipped);
        assert_eq!(pieces.files, whole.files);
    }

    /// An export of `rows` records with quoted commas, quoted quotes (and
    /// line breaks, if `line_breaks`) every seventh record, empty and blank
    /// lines and rows, `\r\n` endings, a custom column and unreadable
    /// birth dates.
    fn export(rows: usize, line_breaks: bool) -> String {
        let mut text = String::from("user_id,phone,first_name,birth_date,note\r\n");
        for row in 0..rows {
            let name = if row % 3 == 0 {
                "\"Анна, Мария\"".to_string()
            } else {
                format!("Имя{row}")
            };
            let date = if row % 5 == 0 {
                "31.02.1990"
            } else {
                "1990-01-02"
            };
            let note = match (row % 7, line_breaks) {
                (0, true) => "\"two\nlines \"\"quoted\"\"\"",
                (0, false) => "\"one line, \"\"quoted\"\"\"",
                _ => "",
            };
            text.push_str(&format!("{row},7999{row:07},{name},{date},{note}\r\n"));
            match row % 11 {
                0 => text.push_str("\r\n"),
                1 => text.push_str(",,,,\r\n"),
                2 => text.push_str("  \r\n"),
                _ => {}
            }
        }
        text
    }

    #[test]
    fn a_file_read_in_pieces_is_the_file_read_whole() {
        // Without quoted line breaks every piece starts at a record; with
        // them, some piece may not, and the file is read whole.
        for line_breaks in [false, true] {
            let text = export(500, line_breaks);
            for piece_bytes in [1, 37, 200, 1000, 5000] {
                assert_same_frames(&text, piece_bytes);
            }
        }
        let text = export(500, false);
        let [pieces, _] = load_both_ways(&text, 200);
        let pieces = pieces.unwrap();
        assert_eq!(pieces.frame.height(), 500);
        assert_eq!(pieces.unparseable["birth_date"].count, 100);
        assert_eq!(pieces.blank_rows_skipped, 2 * 46);
    }

    #[test]
    fn a_quoted_field_across_a_piece_start_reads_the_file_whole() {
        // Every line feed after the first record is inside one quoted field.
        let mut text = String::from("user_id,phone,note\n1,7999,\"");
        for line in 0..200 {
            text.push_str(&format!("line {line}\n"));
        }
        text.push_str("\"\n2,7998,x\n");
        assert_same_frames(&text, 64);
    }

    #[test]
    fn errors_in_pieces_are_the_first_error_of_the_file() {
        let text = export(300, false);
        let broken = |line: usize, with: &str| {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            lines[line - 1] = with;
            lines.concat()
        };
        for text in [
            broken(250, "9999,7999\r\n"),
            broken(40, "9999,7999\r\n") + "8888,7999\n",
            broken(180, ",7999,Анна,1990-01-02,\r\n"),
            broken(120, "120,7999,\"Анна,1990-01-02,\r\n"),
            broken(200, "1,7999,Анна,1990-01-02,\r\n"),
        ] {
            let [pieces, whole] = load_both_ways(&text, 300);
            let (pieces, whole) = (pieces.err(), whole.err());
            assert!(whole.is_some());
            assert_eq!(pieces, whole);
        }
    }

    #[test]
    fn escaped_quotes_are_not_open_quotes() {
        assert_eq!(open_quote_line(b"1,\"a \"\"b\"\" c\"\n", b',', 7), None);
        assert_eq!(open_quote_line(b"1,ab\"c\n", b',', 7), None);
        assert_eq!(open_quote_line(b"1,\"ab\n\nc", b',', 7), Some(7));
        assert_eq!(open_quote_line(b"1,x\n2,\"ab\nc", b',', 7), Some(8));
    }
}
