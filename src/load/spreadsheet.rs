//! Spreadsheets (XLSX, and XLS/ODS which calamine also reads): the first
//! worksheet, its first non-empty row as the header.
//!
//! Cells become the text an export would have held: numbers that are whole
//! (phones, ids stored as Excel numbers) without `.0`, date cells as
//! `YYYY-MM-DD` (with ` HH:MM:SS` only when they carry a time), booleans as
//! `true`/`false`; error cells (`#N/A`) and empty cells are empty.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use super::columns::resolve_columns;
use super::error::{LoadError, Location};
use super::frame::FrameBuilder;
use super::values::render_float;

/// Reads the first worksheet of the workbook in `bytes` into `builder`.
pub fn read_spreadsheet(
    bytes: &[u8],
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    let workbook_error = |message: String| LoadError::Workbook {
        path: path.to_string(),
        message,
    };
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|error| workbook_error(error.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| LoadError::NoWorksheet {
            path: path.to_string(),
        })?
        .map_err(|error| workbook_error(error.to_string()))?;

    let mut rows = range.rows();
    let Some(header_row) = rows.next() else {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    };
    let headers: Vec<String> = header_row
        .iter()
        .map(|cell| render_cell(cell).map(Cow::into_owned).unwrap_or_default())
        .collect();
    if headers.iter().all(|header| header.trim().is_empty()) {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let resolved = resolve_columns(path, &headers, map)?;
    builder.begin_file(path, &resolved, false);
    for (index, row) in rows.enumerate() {
        let cells: Vec<Option<Cow<str>>> = row.iter().map(render_cell).collect();
        builder.push_row(cells.as_slice(), Location::Row(index as u64 + 1))?;
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
        Data::DateTime(datetime) if datetime.is_datetime() => {
            let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
            Some(Cow::Owned(if (hour, minute, second) == (0, 0, 0) {
                format!("{year:04}-{month:02}-{day:02}")
            } else {
                format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
            }))
        }
        Data::DateTime(duration) => Some(Cow::Owned(render_float(duration.as_f64()))),
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
    }
}
