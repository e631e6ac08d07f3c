//! Parquet exports, read with polars, every column turned into the text an
//! export would have held: integers as digits, whole floats without `.0`,
//! dates as `YYYY-MM-DD`, booleans as `true`/`false`. Nested columns
//! (lists, structs) are refused with the column named.

use std::collections::BTreeMap;
use std::io::Cursor;

use polars::prelude::*;

use super::columns::resolve_columns;
use super::error::{LoadError, Location};
use super::frame::FrameBuilder;
use super::values::render_float;

/// Reads a Parquet file's bytes into `builder`.
pub fn read_parquet(
    bytes: &[u8],
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|error| LoadError::Parquet {
            path: path.to_string(),
            message: error.to_string(),
        })?;
    if frame.width() == 0 {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let headers: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|name| name.to_string())
        .collect();
    let texts = frame
        .columns()
        .iter()
        .map(|column| as_text(column, path))
        .collect::<Result<Vec<StringChunked>, LoadError>>()?;
    let resolved = resolve_columns(path, &headers, map)?;
    builder.begin_file(path, &resolved, false);
    let mut columns: Vec<_> = texts.iter().map(|text| text.iter()).collect();
    let mut cells: Vec<Option<&str>> = Vec::with_capacity(columns.len());
    for row in 0..frame.height() {
        cells.clear();
        cells.extend(columns.iter_mut().map(|column| column.next().flatten()));
        builder.push_row(cells.as_slice(), Location::Row(row as u64 + 1))?;
    }
    if builder.current_file_rows() == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_string(),
        });
    }
    Ok(())
}

fn as_text(column: &Column, path: &str) -> Result<StringChunked, LoadError> {
    let unsupported = || LoadError::UnsupportedColumn {
        path: path.to_string(),
        column: column.name().to_string(),
        dtype: column.dtype().to_string(),
    };
    match column.dtype() {
        DataType::String => Ok(column.str().map_err(|_| unsupported())?.clone()),
        DataType::Float32 | DataType::Float64 => {
            let floats = column.cast(&DataType::Float64).map_err(|_| unsupported())?;
            let floats = floats.f64().map_err(|_| unsupported())?;
            Ok(floats
                .iter()
                .map(|value| value.map(render_float))
                .collect::<StringChunked>()
                .with_name(column.name().clone()))
        }
        dtype if dtype.is_integer() || matches!(dtype, DataType::Boolean | DataType::Date) => {
            let text = column.cast(&DataType::String).map_err(|_| unsupported())?;
            Ok(text.str().map_err(|_| unsupported())?.clone())
        }
        _ => Err(unsupported()),
    }
}
