//! Everything that stops a load, as one typed error. Each message names the
//! file, the line (CSV, JSON text) or data row (other formats), the column
//! where there is one, and the flag or setting that fixes it.

use std::fmt;

use thiserror::Error;

/// Where a record sits in its file: the physical line where a CSV record
/// starts, or the 1-based data row of a spreadsheet, Parquet or JSON file
/// (the header is not counted). It is the frame's `source_row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Line(u64),
    Row(u64),
}

impl Location {
    pub fn number(self) -> u64 {
        match self {
            Location::Line(number) | Location::Row(number) => number,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(number) => write!(formatter, "line {number}"),
            Location::Row(number) => write!(formatter, "row {number}"),
        }
    }
}

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("no export file given")]
    NoInput,
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is empty")]
    Empty { path: String },
    #[error("{path} has a header but no data rows")]
    HeaderOnly { path: String },
    #[error(
        "{path}, line {line}: a quoted field opens here and is never closed (a \" is missing, or a \" inside a field is not doubled as \"\")"
    )]
    UnterminatedQuote { path: String, line: u64 },
    #[error(
        "{path}, line {line}: {found} fields where the header has {expected} (delimiter {delimiter}; set [load] delimiter in --config if it was detected wrongly)"
    )]
    FieldCount {
        path: String,
        line: u64,
        expected: usize,
        found: usize,
        delimiter: String,
    },
    #[error(
        "{path}, line {line}, column {column}: byte 0x{byte:02X} is not valid {encoding} (pass --encoding with the file's real encoding: utf-8 or windows-1251)"
    )]
    Undecodable {
        path: String,
        encoding: &'static str,
        line: u64,
        column: u64,
        byte: u8,
    },
    #[error(
        "{path}, line {line}, column {column}: byte 0x{byte:02X} is not valid UTF-8, and the file does not read as windows-1251 either (pass --encoding NAME, or save the file as UTF-8)"
    )]
    UndetectedEncoding {
        path: String,
        line: u64,
        column: u64,
        byte: u8,
    },
    #[error(
        "unknown encoding {label:?} in --encoding (use utf-8 or windows-1251; other WHATWG labels such as koi8-r also work)"
    )]
    UnknownEncoding { label: String },
    #[error("unknown delimiter {value:?} in [load] delimiter (use one character: , ; | or \\t)")]
    UnknownDelimiter { value: String },
    #[error("--map {field}=...: {field:?} is not a canonical field; the fields are: {known}")]
    UnknownField { field: String, known: String },
    #[error("--map maps column {column:?} to both {first} and {second}")]
    ColumnMappedTwice {
        column: String,
        first: String,
        second: String,
    },
    #[error("{path}: no column {column:?} for --map {field}={column}; the columns are: {columns}")]
    MappedColumnMissing {
        path: String,
        field: String,
        column: String,
        columns: String,
    },
    #[error(
        "{path}: no user_id column (looked for user_id, ID клиента and similar); the columns are: {columns}; add --map user_id=COLUMN"
    )]
    MissingUserId { path: String, columns: String },
    #[error(
        "{path}: no identifier column: none of phone, email or origin_user_id was found; the columns are: {columns}; add --map phone=COLUMN (or email=, origin_user_id=)"
    )]
    NoIdentifier { path: String, columns: String },
    #[error("{path}: columns {columns} could all be {field}; choose one with --map {field}=COLUMN")]
    AmbiguousColumns {
        path: String,
        field: String,
        columns: String,
    },
    #[error("{path}: columns {first} and {second} are both named {name:?}")]
    DuplicateHeader {
        path: String,
        name: String,
        first: usize,
        second: usize,
    },
    #[error(
        "{path}, {location}, column {column:?}: user_id is empty; every profile needs its Sailplay id"
    )]
    EmptyUserId {
        path: String,
        location: Location,
        column: String,
    },
    /// `first` and `second` are `file, line N` (or `row N`).
    #[error("duplicate user_id {user_id:?} (column {column:?}): {first} and {second}")]
    DuplicateUserId {
        user_id: String,
        column: String,
        first: String,
        second: String,
    },
    #[error("{path}, line {line}, column {column}: invalid JSON: {message}")]
    Json {
        path: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{path}, {location}: expected a JSON object with one profile, found {found}")]
    JsonNotObject {
        path: String,
        location: Location,
        found: &'static str,
    },
    #[error("{path}: expected a JSON array of profile objects, found {found}")]
    JsonNotArray { path: String, found: &'static str },
    #[error("{path}: cannot read the workbook: {message}")]
    Workbook { path: String, message: String },
    #[error(
        "{path}: the workbook ({packed}) unpacks to more than {unpacked} at its part {entry:?}, {reason}; save the sheet as CSV (UTF-8) and plan that"
    )]
    WorkbookTooLarge {
        path: String,
        entry: String,
        packed: String,
        unpacked: String,
        reason: String,
    },
    #[error(
        "{path}: the first sheet spans {rows} rows × {columns} columns, more than the {limit} cells sailmerge reads from a workbook (a stray cell far from the data makes the span: delete it, or save the sheet as CSV)"
    )]
    SheetTooLarge {
        path: String,
        rows: u64,
        columns: u64,
        limit: u64,
    },
    #[error("{path}: the workbook has no worksheet")]
    NoWorksheet { path: String },
    #[error("{path}: cannot read the Parquet file: {message}")]
    Parquet { path: String, message: String },
    #[error(
        "{path}, column {column:?}: values of type {dtype} cannot be read as text; export the column as text, or leave it out of the export"
    )]
    UnsupportedColumn {
        path: String,
        column: String,
        dtype: String,
    },
    #[error("{path} looks like {actual} but its name says {named}; rename it to {suggestion}")]
    FormatMismatch {
        path: String,
        actual: &'static str,
        named: &'static str,
        suggestion: &'static str,
    },
}
