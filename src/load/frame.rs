//! The one frame every format is loaded into, built row by row straight
//! into polars column builders (no per-cell allocation).
//!
//! Invariants of the finished frame, which `profiles_from_frame` and later
//! stages rely on: the canonical columns come first in `Field::ALL`
//! order with their contract types (text trimmed with empty as null;
//! `birth_date`/`register_date` as `Date`; `sex` as `Int32` 1/2/3; `points`
//! as `Int64`), present even when no file has them; then `source` (the path
//! as given) and `source_row` (`Int64`, see [`Location`]); then the custom
//! columns in order of first appearance, as text, untouched except that an
//! empty cell is null. `user_id` is never null and never repeated. Rows
//! whose cells are all empty are skipped and counted.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use crate::profile::{Field, SOURCE, SOURCE_ROW};

use super::columns::{FullNameColumn, ResolvedColumns};
use super::error::{LoadError, Location};
use super::full_name::split_full_name;
use super::values::{parse_date, parse_points, parse_sex};
use super::{UnparseableExample, UnparseableValues};

/// How many unreadable values per field the quality summary quotes.
const EXAMPLES_PER_FIELD: usize = 5;

/// One record of an input file, by column index; `None` is a missing or
/// null cell (an empty string is treated the same way).
pub trait Row {
    fn cell(&self, index: usize) -> Option<&str>;
}

impl Row for csv::StringRecord {
    fn cell(&self, index: usize) -> Option<&str> {
        self.get(index)
    }
}

impl Row for [Option<&str>] {
    fn cell(&self, index: usize) -> Option<&str> {
        self.get(index).copied().flatten()
    }
}

impl Row for [Option<std::borrow::Cow<'_, str>>] {
    fn cell(&self, index: usize) -> Option<&str> {
        self.get(index).and_then(|cell| cell.as_deref())
    }
}

/// A text column: the rows of pieces read side by side
/// ([`FrameBuilder::append_piece`]) and the rows being pushed after them.
struct TextColumn {
    name: PlSmallStr,
    appended: Option<StringChunked>,
    building: StringChunkedBuilder,
}

impl TextColumn {
    fn new(name: &str) -> TextColumn {
        TextColumn {
            name: name.into(),
            appended: None,
            building: StringChunkedBuilder::new(name.into(), 0),
        }
    }

    fn append_option(&mut self, value: Option<&str>) {
        self.building.append_option(value);
    }

    fn append(&mut self, rows: StringChunked) {
        match &mut self.appended {
            Some(appended) => appended
                .append(&rows)
                .expect("appending text chunks of the same type cannot fail"),
            None => self.appended = Some(rows),
        }
    }

    fn finish(mut self) -> StringChunked {
        let building = std::mem::replace(
            &mut self.building,
            StringChunkedBuilder::new(self.name.clone(), 0),
        );
        self.append(building.finish());
        self.appended.expect("append always leaves a column")
    }
}

enum CanonicalColumn {
    Text(Box<TextColumn>),
    Date(Vec<Option<i32>>),
    Sex(Vec<Option<i32>>),
    Points(Vec<Option<i64>>),
}

impl CanonicalColumn {
    fn for_field(field: Field) -> CanonicalColumn {
        match field {
            Field::BirthDate | Field::RegisterDate => CanonicalColumn::Date(Vec::new()),
            Field::Sex => CanonicalColumn::Sex(Vec::new()),
            Field::Points => CanonicalColumn::Points(Vec::new()),
            _ => CanonicalColumn::Text(Box::new(TextColumn::new(field.name()))),
        }
    }
}

#[derive(Clone)]
struct FileSpan {
    path: String,
    first_row: usize,
    rows: usize,
    numbered_by_line: bool,
    /// The header `user_id` was read from, for messages.
    user_id_column: String,
    /// Canonical field → header, and the custom columns, for the summary.
    recognised: BTreeMap<String, String>,
    custom_columns: Vec<String>,
}

/// How one file's columns and rows went into the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileColumns {
    pub rows: u64,
    pub recognised: BTreeMap<String, String>,
    pub custom_columns: Vec<String>,
}

/// The current file's columns as the builder uses them.
#[derive(Clone)]
struct FilePlan {
    canonical: [Option<usize>; Field::ALL.len()],
    /// For every custom column known so far, the file's column feeding it.
    extras: Vec<Option<usize>>,
    names: Vec<String>,
    full_name: Option<FullNameColumn>,
}

pub struct FrameBuilder {
    canonical: Vec<CanonicalColumn>,
    extras: Vec<TextColumn>,
    extra_index: HashMap<String, usize>,
    source_rows: Vec<i64>,
    files: Vec<FileSpan>,
    plan: Option<FilePlan>,
    rows: usize,
    blank_rows: u64,
    unparseable: BTreeMap<String, UnparseableValues>,
}

/// What the builder hands back besides the frame.
pub struct BuiltFrame {
    pub frame: DataFrame,
    pub files: Vec<FileColumns>,
    pub blank_rows_skipped: u64,
    pub unparseable: BTreeMap<String, UnparseableValues>,
}

impl Default for FrameBuilder {
    fn default() -> FrameBuilder {
        FrameBuilder::new()
    }
}

impl FrameBuilder {
    pub fn new() -> FrameBuilder {
        FrameBuilder {
            canonical: Field::ALL
                .into_iter()
                .map(CanonicalColumn::for_field)
                .collect(),
            extras: Vec::new(),
            extra_index: HashMap::new(),
            source_rows: Vec::new(),
            files: Vec::new(),
            plan: None,
            rows: 0,
            blank_rows: 0,
            unparseable: BTreeMap::new(),
        }
    }

    /// Starts a file whose columns are `resolved`; rows pushed until the
    /// next call belong to it. `numbered_by_line` says whether its
    /// locations are lines (CSV) or data rows.
    pub fn begin_file(&mut self, path: &str, resolved: &ResolvedColumns, numbered_by_line: bool) {
        for &column in &resolved.extras {
            let name = &resolved.names[column];
            if !self.extra_index.contains_key(name) {
                let mut builder = TextColumn::new(name);
                for _ in 0..self.rows {
                    builder.append_option(None);
                }
                self.extra_index.insert(name.clone(), self.extras.len());
                self.extras.push(builder);
            }
        }
        let mut extras = vec![None; self.extras.len()];
        for &column in &resolved.extras {
            extras[self.extra_index[&resolved.names[column]]] = Some(column);
        }
        self.plan = Some(FilePlan {
            canonical: resolved.canonical,
            extras,
            names: resolved.names.clone(),
            full_name: resolved.full_name,
        });
        self.files.push(FileSpan {
            path: path.to_string(),
            first_row: self.rows,
            rows: 0,
            numbered_by_line,
            user_id_column: resolved.canonical[0]
                .map(|i| resolved.names[i].clone())
                .unwrap_or_else(|| Field::UserId.to_string()),
            recognised: resolved.recognised(),
            custom_columns: resolved
                .extras
                .iter()
                .map(|&i| resolved.names[i].clone())
                .collect(),
        });
    }

    /// Adds one record. A record with every cell empty is skipped; one with
    /// an empty `user_id` otherwise is an error.
    pub fn push_row<R: Row + ?Sized>(
        &mut self,
        row: &R,
        location: Location,
    ) -> Result<(), LoadError> {
        let (Some(plan), Some(file)) = (self.plan.as_ref(), self.files.last_mut()) else {
            unreachable!("push_row is only called between begin_file and the next file");
        };
        let user_id_column =
            plan.canonical[0].expect("resolve_columns guarantees a user_id column");
        if non_empty(row.cell(user_id_column)).is_none() {
            if (0..plan.names.len()).all(|i| non_empty(row.cell(i)).is_none()) {
                self.blank_rows += 1;
                return Ok(());
            }
            return Err(LoadError::EmptyUserId {
                path: file.path.clone(),
                location,
                column: plan.names[user_id_column].clone(),
            });
        }
        let name_parts = plan.full_name.and_then(|full_name| {
            non_empty(row.cell(full_name.index))
                .map(|value| (full_name, split_full_name(value, full_name.order)))
        });
        for (slot, column) in self.canonical.iter_mut().enumerate() {
            let field = Field::ALL[slot];
            let value = match (plan.canonical[slot], name_parts) {
                (Some(index), _) => non_empty(row.cell(index)),
                (None, Some((full_name, parts))) if full_name.feeds_field(field) => match field {
                    Field::LastName => parts.last,
                    Field::FirstName => parts.first,
                    Field::MiddleName => parts.middle,
                    _ => None,
                },
                (None, _) => None,
            };
            let readable = match column {
                CanonicalColumn::Text(builder) => {
                    builder.append_option(value);
                    true
                }
                CanonicalColumn::Date(values) => push_parsed(values, value, parse_date),
                CanonicalColumn::Sex(values) => push_parsed(values, value, parse_sex),
                CanonicalColumn::Points(values) => push_parsed(values, value, parse_points),
            };
            if !readable {
                let entry = self.unparseable.entry(field.to_string()).or_default();
                entry.count += 1;
                if entry.examples.len() < EXAMPLES_PER_FIELD {
                    entry.examples.push(UnparseableExample {
                        source: file.path.clone(),
                        location: location.to_string(),
                        value: value.unwrap_or_default().to_string(),
                    });
                }
            }
        }
        for (builder, column) in self.extras.iter_mut().zip(&plan.extras) {
            let raw = column
                .and_then(|i| row.cell(i))
                .filter(|cell| !cell.is_empty());
            builder.append_option(raw);
        }
        self.source_rows.push(location.number() as i64);
        self.rows += 1;
        file.rows += 1;
        Ok(())
    }

    /// An empty builder for the rows of a piece of the current file, read
    /// on another thread; [`FrameBuilder::append_piece`] adds its rows
    /// after this builder's.
    pub fn for_piece(&self) -> FrameBuilder {
        let file = self.files.last().map(|file| FileSpan {
            first_row: 0,
            rows: 0,
            ..file.clone()
        });
        FrameBuilder {
            extras: self
                .extras
                .iter()
                .map(|column| TextColumn::new(&column.name))
                .collect(),
            extra_index: self.extra_index.clone(),
            files: file.into_iter().collect(),
            plan: self.plan.clone(),
            ..FrameBuilder::new()
        }
    }

    /// Adds the rows of `piece` (made by [`FrameBuilder::for_piece`]) as
    /// if they had been pushed here.
    pub fn append_piece(&mut self, piece: FrameBuilder) {
        for (column, rows) in self.canonical.iter_mut().zip(piece.canonical) {
            match (column, rows) {
                (CanonicalColumn::Text(column), CanonicalColumn::Text(rows)) => {
                    column.append(rows.finish());
                }
                (CanonicalColumn::Date(column), CanonicalColumn::Date(rows))
                | (CanonicalColumn::Sex(column), CanonicalColumn::Sex(rows)) => {
                    column.extend(rows);
                }
                (CanonicalColumn::Points(column), CanonicalColumn::Points(rows)) => {
                    column.extend(rows);
                }
                _ => unreachable!("a piece's columns are made for the same fields"),
            }
        }
        for (column, rows) in self.extras.iter_mut().zip(piece.extras) {
            column.append(rows.finish());
        }
        self.source_rows.extend(piece.source_rows);
        self.rows += piece.rows;
        if let (Some(file), Some(piece_file)) = (self.files.last_mut(), piece.files.last()) {
            file.rows += piece_file.rows;
        }
        self.blank_rows += piece.blank_rows;
        for (field, values) in piece.unparseable {
            let entry = self.unparseable.entry(field).or_default();
            entry.count += values.count;
            let room = EXAMPLES_PER_FIELD.saturating_sub(entry.examples.len());
            entry
                .examples
                .extend(values.examples.into_iter().take(room));
        }
    }

    /// Counts a record that is blank but has no cells to push (a line of
    /// spaces in delimited text).
    pub fn skip_blank_row(&mut self) {
        self.blank_rows += 1;
    }

    /// Rows kept so far in the current file.
    pub fn current_file_rows(&self) -> usize {
        self.files.last().map_or(0, |file| file.rows)
    }

    /// The finished frame, after checking that no `user_id` repeats.
    pub fn finish(self) -> Result<BuiltFrame, LoadError> {
        let height = self.rows;
        let mut columns: Vec<Column> = Vec::with_capacity(Field::ALL.len() + 2 + self.extras.len());
        for (field, column) in Field::ALL.into_iter().zip(self.canonical) {
            let name: PlSmallStr = field.name().into();
            let series = match column {
                CanonicalColumn::Text(column) => column.finish().into_series(),
                CanonicalColumn::Date(values) => {
                    Int32Chunked::from_iter_options(name, values.into_iter())
                        .into_date()
                        .into_series()
                }
                CanonicalColumn::Sex(values) => {
                    Int32Chunked::from_iter_options(name, values.into_iter()).into_series()
                }
                CanonicalColumn::Points(values) => {
                    Int64Chunked::from_iter_options(name, values.into_iter()).into_series()
                }
            };
            columns.push(series.into_column());
        }
        check_unique_user_ids(&columns[0], &self.files, &self.source_rows)?;

        let mut source = StringChunked::full_null(SOURCE.into(), 0);
        for file in &self.files {
            source
                .append(&StringChunked::full(SOURCE.into(), &file.path, file.rows))
                .expect("appending text chunks of the same type cannot fail");
        }
        columns.push(source.into_series().into_column());
        columns.push(
            Int64Chunked::from_vec(SOURCE_ROW.into(), self.source_rows)
                .into_series()
                .into_column(),
        );
        for column in self.extras {
            columns.push(column.finish().into_series().into_column());
        }
        let frame = DataFrame::new(height, columns)
            .expect("every column has one value per kept row and a distinct name");
        Ok(BuiltFrame {
            frame,
            files: self
                .files
                .into_iter()
                .map(|file| FileColumns {
                    rows: file.rows as u64,
                    recognised: file.recognised,
                    custom_columns: file.custom_columns,
                })
                .collect(),
            blank_rows_skipped: self.blank_rows,
            unparseable: self.unparseable,
        })
    }
}

fn non_empty(cell: Option<&str>) -> Option<&str> {
    cell.map(str::trim).filter(|value| !value.is_empty())
}

/// Pushes the parsed value (null when empty or unreadable); false when a
/// non-empty value could not be read.
fn push_parsed<T>(
    values: &mut Vec<Option<T>>,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> bool {
    match value {
        None => {
            values.push(None);
            true
        }
        Some(text) => {
            let parsed = parse(text);
            let readable = parsed.is_some();
            values.push(parsed);
            readable
        }
    }
}

fn check_unique_user_ids(
    user_ids: &Column,
    files: &[FileSpan],
    source_rows: &[i64],
) -> Result<(), LoadError> {
    let user_ids = user_ids.str().expect("user_id is built as text");
    // polars' hasher: several times faster than SipHash on a million ids.
    let mut first_row_of: PlHashMap<&str, usize> = PlHashMap::with_capacity(user_ids.len());
    for (row, user_id) in user_ids.iter().enumerate() {
        let Some(user_id) = user_id else { continue };
        if let Some(first) = first_row_of.insert(user_id, row) {
            let (first_path, first_location, _) = locate(first, files, source_rows);
            let (second_path, second_location, column) = locate(row, files, source_rows);
            return Err(LoadError::DuplicateUserId {
                user_id: user_id.to_string(),
                column,
                first: format!("{first_path}, {first_location}"),
                second: format!("{second_path}, {second_location}"),
            });
        }
    }
    Ok(())
}

/// The file, location and user_id header of a frame row.
fn locate(row: usize, files: &[FileSpan], source_rows: &[i64]) -> (String, Location, String) {
    let file_index = files.partition_point(|file| file.first_row + file.rows <= row);
    let file = &files[file_index.min(files.len() - 1)];
    let number = source_rows[row] as u64;
    let location = if file.numbered_by_line {
        Location::Line(number)
    } else {
        Location::Row(number)
    };
    (file.path.clone(), location, file.user_id_column.clone())
}
