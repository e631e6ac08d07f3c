//! Parquet exports, read with polars, every column turned into the text an
//! export would have held: integers as digits, whole floats without `.0`,
//! decimals as their decimal digits (`12.50`), dates as `YYYY-MM-DD`,
//! timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]`, booleans as
//! `true`/`false`, categoricals as their labels, all-null columns as empty.
//!
//! Invariant: a file sailmerge cannot read is an error naming the file (and
//! the column and its type, for a column of a type it does not read:
//! binary, nested, time of day, durations, half floats, decimals wider than
//! 38 digits), never a panic. The schema is checked before any data is
//! decoded, and the reader runs under [`catch_panic`], since polars panics
//! on some malformed files instead of returning an error. Page headers are
//! checked before polars decodes a page: a negative count in one makes
//! polars allocate an absurd buffer, and an allocation failure aborts the
//! process, which no `catch_unwind` can stop.

use std::collections::BTreeMap;
use std::io::Cursor;

use polars::prelude::*;
use polars_buffer::Buffer;
use polars_parquet::parquet::page::{CompressedPage, DataPageHeader};
use polars_parquet::parquet::read::{get_page_iterator, read_metadata};

use super::columns::resolve_columns;
use super::error::{LoadError, Location};
use super::frame::FrameBuilder;
use super::guard::catch_panic;
use super::values::render_float;

/// The widest decimal polars holds (128-bit).
const MAX_DECIMAL_PRECISION: usize = 38;

/// Reads a Parquet file's bytes into `builder`.
pub fn read_parquet(
    bytes: &[u8],
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    let parquet_error = |message: String| LoadError::Parquet {
        path: path.to_string(),
        message,
    };
    let frame = catch_panic(|| read_frame(bytes, path)).map_err(|panic| {
        parquet_error(format!(
            "the file is malformed (the reader failed: {panic})"
        ))
    })??;
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
    let texts = catch_panic(|| {
        frame
            .columns()
            .iter()
            .map(|column| as_text(column, path))
            .collect::<Result<Vec<StringChunked>, LoadError>>()
    })
    .map_err(|panic| parquet_error(format!("a column could not be read as text: {panic}")))??;
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

/// The file's frame, after checking that every column has a type this
/// loader reads.
fn read_frame(bytes: &[u8], path: &str) -> Result<DataFrame, LoadError> {
    let parquet_error = |error: PolarsError| LoadError::Parquet {
        path: path.to_string(),
        message: error.to_string(),
    };
    let mut reader = ParquetReader::new(Cursor::new(bytes));
    let schema = reader.schema().map_err(parquet_error)?;
    for field in schema.iter_values() {
        if !readable_type(&field.dtype) {
            return Err(LoadError::UnsupportedColumn {
                path: path.to_string(),
                column: field.name.to_string(),
                dtype: describe_arrow_type(&field.dtype),
            });
        }
    }
    check_page_headers(bytes).map_err(|message| LoadError::Parquet {
        path: path.to_string(),
        message,
    })?;
    reader.finish().map_err(parquet_error)
}

/// Walks every page header of every column chunk (without decompressing
/// anything) and refuses counts polars would turn into allocation sizes.
fn check_page_headers(bytes: &[u8]) -> Result<(), String> {
    let metadata = read_metadata(&mut Cursor::new(bytes)).map_err(|error| error.to_string())?;
    let file = Buffer::from(bytes.to_vec());
    for (group_index, group) in metadata.row_groups.iter().enumerate() {
        for column in group.parquet_columns() {
            let pages =
                get_page_iterator(column, Cursor::new(file.clone()), Vec::new(), usize::MAX)
                    .map_err(|error| error.to_string())?;
            for page in pages {
                let page = page.map_err(|error| error.to_string())?;
                if let CompressedPage::Data(page) = page
                    && let Some(count) = negative_count(page.header())
                {
                    return Err(format!(
                        "a data page of column {} in row group {} declares {count}",
                        column.descriptor().path_in_schema.join("."),
                        group_index + 1,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The first count in a data page header that is negative, described.
fn negative_count(header: &DataPageHeader) -> Option<String> {
    let counts: &[(&str, i32)] = match header {
        DataPageHeader::V1(header) => &[("values", header.num_values)],
        DataPageHeader::V2(header) => &[
            ("values", header.num_values),
            ("nulls", header.num_nulls),
            ("rows", header.num_rows),
            (
                "definition level bytes",
                header.definition_levels_byte_length,
            ),
            (
                "repetition level bytes",
                header.repetition_levels_byte_length,
            ),
        ],
    };
    counts
        .iter()
        .find(|(_, count)| *count < 0)
        .map(|(what, count)| format!("{count} {what}"))
}

/// Whether a Parquet column's type has a text form an export would hold.
fn readable_type(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as T;
    match dtype {
        T::Null
        | T::Boolean
        | T::Int8
        | T::Int16
        | T::Int32
        | T::Int64
        | T::UInt8
        | T::UInt16
        | T::UInt32
        | T::UInt64
        | T::Float32
        | T::Float64
        | T::Utf8
        | T::LargeUtf8
        | T::Utf8View
        | T::Date32
        | T::Date64
        | T::Timestamp(..) => true,
        T::Decimal(precision, _)
        | T::Decimal32(precision, _)
        | T::Decimal64(precision, _)
        | T::Decimal256(precision, _) => *precision <= MAX_DECIMAL_PRECISION,
        T::Dictionary(_, values, _) => {
            matches!(**values, T::Utf8 | T::LargeUtf8 | T::Utf8View)
        }
        _ => false,
    }
}

/// A Parquet column type as a person who wrote the export would name it.
fn describe_arrow_type(dtype: &ArrowDataType) -> String {
    use ArrowDataType as T;
    match dtype {
        T::Float16 => "float16 (half precision)".to_string(),
        T::Int128 | T::UInt128 => "128-bit integer".to_string(),
        T::Decimal(precision, scale)
        | T::Decimal32(precision, scale)
        | T::Decimal64(precision, scale)
        | T::Decimal256(precision, scale) => format!(
            "decimal({precision}, {scale}), wider than the {MAX_DECIMAL_PRECISION} digits sailmerge reads"
        ),
        T::Time32(_) | T::Time64(_) => "time of day".to_string(),
        T::Duration(_) | T::Interval(_) => "duration".to_string(),
        T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_) => "binary".to_string(),
        T::List(_) | T::LargeList(_) | T::FixedSizeList(..) => "list".to_string(),
        T::Struct(_) => "struct".to_string(),
        T::Map(..) => "map".to_string(),
        T::Dictionary(_, values, _) => {
            format!("dictionary of {}", describe_arrow_type(values))
        }
        other => format!("{other:?}"),
    }
}

fn as_text(column: &Column, path: &str) -> Result<StringChunked, LoadError> {
    let unsupported = || LoadError::UnsupportedColumn {
        path: path.to_string(),
        column: column.name().to_string(),
        dtype: column.dtype().to_string(),
    };
    match column.dtype() {
        DataType::String => Ok(column.str().map_err(|_| unsupported())?.clone()),
        DataType::Null => Ok(StringChunked::full_null(
            column.name().clone(),
            column.len(),
        )),
        DataType::Float32 | DataType::Float64 => {
            let floats = column.cast(&DataType::Float64).map_err(|_| unsupported())?;
            let floats = floats.f64().map_err(|_| unsupported())?;
            Ok(floats
                .iter()
                .map(|value| value.map(render_float))
                .collect::<StringChunked>()
                .with_name(column.name().clone()))
        }
        dtype
            if dtype.is_integer()
                || matches!(
                    dtype,
                    DataType::Boolean
                        | DataType::Date
                        | DataType::Datetime(..)
                        | DataType::Decimal(..)
                        | DataType::Categorical(..)
                        | DataType::Enum(..)
                ) =>
        {
            let text = column.cast(&DataType::String).map_err(|_| unsupported())?;
            Ok(text.str().map_err(|_| unsupported())?.clone())
        }
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_binary_and_half_float_types_are_refused_by_name() {
        use ArrowDataType as T;
        assert!(!readable_type(&T::Float16));
        assert!(!readable_type(&T::Binary));
        assert!(!readable_type(&T::Decimal256(40, 1)));
        assert!(readable_type(&T::Decimal(18, 2)));
        assert!(readable_type(&T::Timestamp(
            ArrowTimeUnit::Microsecond,
            None
        )));
        assert_eq!(describe_arrow_type(&T::Float16), "float16 (half precision)");
        assert!(describe_arrow_type(&T::Decimal256(40, 1)).starts_with("decimal(40, 1)"));
    }
}
