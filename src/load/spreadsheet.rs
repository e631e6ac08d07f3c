//! Spreadsheets (XLSX, and XLS/XLSB/ODS which calamine also reads): the
//! first worksheet, its first non-empty row as the header.
//!
//! Cells become the text an export would have held: numbers that are whole
//! (phones, ids stored as Excel numbers) without `.0`, date cells as
//! `YYYY-MM-DD` (with ` HH:MM:SS` only when they carry a time), booleans as
//! `true`/`false`; error cells (`#N/A`) and empty cells are empty.
//!
//! Invariants: what a workbook costs is bounded by what it holds, not by
//! what it claims. A workbook is a zip archive of XML that compresses
//! a thousandfold, so its archive is measured before it is parsed: more
//! than [`MAX_UNPACKED_BYTES`] in all, or an entry that unpacks to more
//! than [`MAX_RATIO`] times its packed size (the zip-bomb rule of Apache
//! POI), is refused with the figures. XLSX sheets are read cell by cell
//! rather than as calamine's dense grid, which a single cell at `XFD1048576`
//! would make 17 billion cells; the grid the rows span is capped at
//! [`MAX_GRID_CELLS`]. calamine runs under [`catch_panic`]: a malformed
//! workbook is an error naming the file, never a panic.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Reader, Sheets, open_workbook_auto_from_rs};

use super::columns::resolve_columns;
use super::error::{LoadError, Location};
use super::frame::FrameBuilder;
use super::guard::catch_panic;
use super::values::render_float;

/// The most a workbook's archive may unpack to: an XLSX at Excel's row
/// limit with a score of columns is about this size.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// The most one archive entry may unpack to per packed byte (Apache POI's
/// default for the same check), once it is past [`RATIO_GRACE_BYTES`].
pub const MAX_RATIO: u64 = 100;
/// Entries smaller than this unpacked are not held to the ratio: small
/// XML parts (styles, an empty sheet) compress far better than data.
const RATIO_GRACE_BYTES: u64 = 10 << 20;
/// The most cells (rows × columns, counting empty ones) a sheet may span:
/// Excel's row limit times 128 columns.
pub const MAX_GRID_CELLS: u64 = 1 << 27;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Reads the first worksheet of the workbook in `bytes` into `builder`.
pub fn read_spreadsheet(
    bytes: &[u8],
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    if bytes.starts_with(ZIP_MAGIC) {
        check_unpacked_size(bytes, path)?;
    }
    let cells =
        catch_panic(|| first_sheet_cells(bytes, path)).map_err(|panic| LoadError::Workbook {
            path: path.to_string(),
            message: format!("the file is malformed (the reader failed: {panic})"),
        })??;
    load_cells(cells, path, map, builder)
}

/// Measures what the archive unpacks to by unpacking it (the sizes its
/// directory declares may lie), and refuses it past the caps. An archive
/// the zip reader cannot open is left for calamine to report.
fn check_unpacked_size(bytes: &[u8], path: &str) -> Result<(), LoadError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    for index in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(index) else {
            continue;
        };
        let packed = entry.compressed_size();
        let name = entry
            .name()
            .map_or_else(|_| format!("entry {index}"), |name| name.into_owned());
        let entry_limit = RATIO_GRACE_BYTES.max(packed.saturating_mul(MAX_RATIO));
        let mut unpacked: u64 = 0;
        loop {
            let read = match entry.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(read) => read as u64,
            };
            unpacked += read;
            total += read;
            if unpacked > entry_limit || total > MAX_UNPACKED_BYTES {
                return Err(LoadError::WorkbookTooLarge {
                    path: path.to_string(),
                    entry: name,
                    packed: describe_size(bytes.len() as u64),
                    unpacked: describe_size(total),
                    reason: if total > MAX_UNPACKED_BYTES {
                        format!(
                            "more than the {} MiB sailmerge unpacks from a workbook",
                            MAX_UNPACKED_BYTES >> 20
                        )
                    } else {
                        format!(
                            "more than {MAX_RATIO} times the {} that part takes packed",
                            describe_size(packed)
                        )
                    },
                });
            }
        }
    }
    Ok(())
}

/// `1.5 MiB`, `640 KiB`, `512 bytes`.
fn describe_size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{} KiB", bytes / 1024),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

/// The non-empty cells of the first worksheet, as text, in row order.
struct SheetCells {
    /// `(row, column, text)`, sorted by row then column.
    cells: Vec<(u32, u32, String)>,
}

fn first_sheet_cells(bytes: &[u8], path: &str) -> Result<SheetCells, LoadError> {
    let workbook_error = |message: String| LoadError::Workbook {
        path: path.to_string(),
        message,
    };
    let no_worksheet = || LoadError::NoWorksheet {
        path: path.to_string(),
    };
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|error| workbook_error(error.to_string()))?;
    let mut cells = Vec::new();
    match &mut workbook {
        Sheets::Xlsx(xlsx) => {
            let name = xlsx
                .sheet_names()
                .first()
                .cloned()
                .ok_or_else(no_worksheet)?;
            let mut reader = xlsx
                .worksheet_cells_reader(&name)
                .map_err(|error| workbook_error(error.to_string()))?;
            while let Some(cell) = reader
                .next_cell()
                .map_err(|error| workbook_error(error.to_string()))?
            {
                let (row, column) = cell.get_position();
                if let Some(text) = render_cell_ref(cell.get_value()) {
                    cells.push((row, column, text.into_owned()));
                }
            }
        }
        other => {
            // XLS, XLSB and ODS have no cell reader; their grids are
            // bounded by their formats (XLS: 65,536 × 256) or capped by
            // calamine (ODS repeats).
            let range = other
                .worksheet_range_at(0)
                .ok_or_else(no_worksheet)?
                .map_err(|error| workbook_error(error.to_string()))?;
            for (row, column, cell) in range.used_cells() {
                if let Some(text) = render_cell(cell) {
                    let (start_row, start_column) = range.start().unwrap_or_default();
                    cells.push((
                        start_row + row as u32,
                        start_column + column as u32,
                        text.into_owned(),
                    ));
                }
            }
        }
    }
    cells.sort_by_key(|&(row, column, _)| (row, column));
    Ok(SheetCells { cells })
}

/// Feeds the cells to the builder: the first row that has a cell is the
/// header, columns count from the leftmost cell of the sheet, rows without
/// a cell are blank rows.
fn load_cells(
    sheet: SheetCells,
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    let cells = sheet.cells;
    let Some(&(header_row, _, _)) = cells.first() else {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    };
    let first_column = cells
        .iter()
        .map(|&(_, column, _)| column)
        .min()
        .unwrap_or(0);
    let last_column = cells
        .iter()
        .map(|&(_, column, _)| column)
        .max()
        .unwrap_or(0);
    let last_row = cells.last().map_or(header_row, |&(row, _, _)| row);
    let width = (last_column - first_column) as u64 + 1;
    let height = (last_row - header_row) as u64 + 1;
    if width.saturating_mul(height) > MAX_GRID_CELLS {
        return Err(LoadError::SheetTooLarge {
            path: path.to_string(),
            rows: height,
            columns: width,
            limit: MAX_GRID_CELLS,
        });
    }
    let width = width as usize;
    let mut rows = cells.chunk_by(|left, right| left.0 == right.0).peekable();
    let header_cells = rows.next().unwrap_or_default();
    let mut headers = vec![String::new(); width];
    for (_, column, text) in header_cells {
        headers[(column - first_column) as usize] = text.clone();
    }
    if headers.iter().all(|header| header.trim().is_empty()) {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let resolved = resolve_columns(path, &headers, map)?;
    builder.begin_file(path, &resolved, false);
    let mut row_cells: Vec<Option<&str>> = vec![None; width];
    let mut previous_row = header_row;
    for row in rows {
        let number = row[0].0;
        for _ in previous_row + 1..number {
            builder.skip_blank_row();
        }
        row_cells.fill(None);
        for (_, column, text) in row {
            row_cells[(column - first_column) as usize] = Some(text.as_str());
        }
        builder.push_row(
            row_cells.as_slice(),
            Location::Row((number - header_row) as u64),
        )?;
        previous_row = number;
    }
    if builder.current_file_rows() == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_string(),
        });
    }
    Ok(())
}

/// The text of one cell, `None` when empty.
pub fn render_cell(cell: &Data) -> Option<Cow<'_, str>> {
    match cell {
        Data::Empty | Data::Error(_) => None,
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
            Some(Cow::Borrowed(text.as_str()))
        }
        Data::Int(number) => Some(Cow::Owned(number.to_string())),
        Data::Float(number) => Some(Cow::Owned(render_float(*number))),
        Data::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        Data::DateTime(datetime) => Some(Cow::Owned(render_date_time(datetime))),
    }
}

/// [`render_cell`] for the cells calamine's XLSX cell reader hands out.
fn render_cell_ref<'a>(cell: &'a DataRef<'_>) -> Option<Cow<'a, str>> {
    match cell {
        DataRef::Empty | DataRef::Error(_) => None,
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            Some(Cow::Borrowed(text.as_str()))
        }
        DataRef::SharedString(text) => Some(Cow::Borrowed(text)),
        DataRef::Int(number) => Some(Cow::Owned(number.to_string())),
        DataRef::Float(number) => Some(Cow::Owned(render_float(*number))),
        DataRef::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        DataRef::DateTime(datetime) => Some(Cow::Owned(render_date_time(datetime))),
    }
}

fn render_date_time(datetime: &calamine::ExcelDateTime) -> String {
    if !datetime.is_datetime() {
        return render_float(datetime.as_f64());
    }
    let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
    if (hour, minute, second) == (0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
    }
}

#[cfg(test)]
mod tests {
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};

    use super::*;

    #[test]
    fn cells_render_as_export_text() {
        let render = |cell: Data| render_cell(&cell).map(Cow::into_owned);
        assert_eq!(
            render(Data::Float(79_991_234_567.0)).as_deref(),
            Some("79991234567")
        );
        assert_eq!(render(Data::Float(12.5)).as_deref(), Some("12.5"));
        assert_eq!(render(Data::Int(42)).as_deref(), Some("42"));
        assert_eq!(render(Data::String("Анна".into())).as_deref(), Some("Анна"));
        assert_eq!(render(Data::Empty), None);
        assert_eq!(render(Data::Error(CellErrorType::NA)), None);
        let date = ExcelDateTime::new(32_939.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(render(Data::DateTime(date)).as_deref(), Some("1990-03-07"));
        let with_time = ExcelDateTime::new(32_939.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(
            render(Data::DateTime(with_time)).as_deref(),
            Some("1990-03-07 12:00:00")
        );
        assert_eq!(
            render_cell_ref(&DataRef::SharedString("Пётр")).as_deref(),
            Some("Пётр")
        );
    }

    fn sheet(cells: &[(u32, u32, &str)]) -> SheetCells {
        SheetCells {
            cells: cells
                .iter()
                .map(|&(row, column, text)| (row, column, text.to_string()))
                .collect(),
        }
    }

    #[test]
    fn rows_start_at_the_header_and_gaps_are_blank_rows() {
        let mut builder = FrameBuilder::new();
        let cells = sheet(&[
            (2, 1, "user_id"),
            (2, 2, "phone"),
            (3, 1, "1"),
            (3, 2, "79161234567"),
            (6, 1, "2"),
        ]);
        load_cells(cells, "a.xlsx", &BTreeMap::new(), &mut builder).unwrap();
        let built = builder.finish().unwrap();
        assert_eq!(built.blank_rows_skipped, 2);
        let rows: Vec<i64> = built
            .frame
            .column("source_row")
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(rows, [1, 4]);
    }

    #[test]
    fn a_sheet_spanning_too_many_cells_is_refused_with_its_size() {
        let mut builder = FrameBuilder::new();
        let cells = sheet(&[(0, 0, "user_id"), (0, 1, "phone"), (1_048_575, 16_383, "x")]);
        let message = load_cells(cells, "bomb.xlsx", &BTreeMap::new(), &mut builder)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("bomb.xlsx") && message.contains("1048576 rows × 16384 columns"),
            "{message}"
        );
    }
}
