//! The loaded frame rendered into `Profile`s, the form the matching and
//! planning stages work on: dates as `YYYY-MM-DD`, sex as `"1"`/`"2"`/`"3"`,
//! points as an integer string, custom columns into `extra` (empty cells
//! left out). Row order is the frame's.

use anyhow::{Context, Result, bail};
use polars::prelude::{DataFrame, DataType, Int32Chunked, Int64Chunked, StringChunked};
use rayon::prelude::*;

use crate::ids::UserId;
use crate::profile::{Field, Profile, SOURCE, SOURCE_ROW};

use super::values::format_date;

pub fn profiles_from_frame(frame: &DataFrame) -> Result<Vec<Profile>> {
    let user_ids = text_column(frame, Field::UserId.name())?;
    let mut canonical = Vec::with_capacity(Field::ALL.len());
    for field in Field::ALL
        .into_iter()
        .filter(|field| *field != Field::UserId)
    {
        let column = frame
            .column(field.name())
            .with_context(|| format!("the loaded frame has no {field} column"))?;
        let values = match field {
            Field::BirthDate | Field::RegisterDate => FieldValues::Date(
                column
                    .date()
                    .with_context(|| format!("{field} is not a Date column"))?
                    .physical(),
            ),
            Field::Sex => FieldValues::Sex(
                column
                    .i32()
                    .with_context(|| format!("{field} is not an Int32 column"))?,
            ),
            Field::Points => FieldValues::Points(
                column
                    .i64()
                    .with_context(|| format!("{field} is not an Int64 column"))?,
            ),
            _ => FieldValues::Text(text_column(frame, field.name())?),
        };
        canonical.push((field, values));
    }
    let mut custom = Vec::new();
    for column in frame.columns() {
        let name = column.name().as_str();
        if Field::from_name(name).is_some() || name == SOURCE || name == SOURCE_ROW {
            continue;
        }
        let text = column
            .cast(&DataType::String)
            .with_context(|| format!("custom column {name:?} cannot be read as text"))?;
        custom.push((name.to_string(), text));
    }
    let custom = custom
        .iter()
        .map(|(name, text)| Ok((name.as_str(), text.str()?)))
        .collect::<Result<Vec<(&str, &StringChunked)>>>()?;

    // Filled in parallel, a slice of rows at a time, straight into the
    // profiles: a million rows of eleven fields are worth two cores. Even
    // the empty profiles are laid out on every core: they are a third of a
    // gigabyte of fresh memory, slow to touch from one thread.
    let mut profiles = Vec::with_capacity(frame.height());
    profiles.par_extend(rayon::iter::repeat_n(Profile::default(), frame.height()));
    profiles
        .par_chunks_mut(ROWS_PER_TASK)
        .enumerate()
        .try_for_each(|(task, chunk)| {
            let offset = task * ROWS_PER_TASK;
            let length = chunk.len();
            let rows = |column: &StringChunked| column.slice(offset as i64, length);
            for (index, (profile, user_id)) in
                chunk.iter_mut().zip(rows(user_ids).iter()).enumerate()
            {
                let Some(user_id) = user_id else {
                    bail!(
                        "frame row {} has no user_id; load guarantees one per row",
                        offset + index
                    );
                };
                profile.user_id = UserId::from(user_id);
            }
            for (field, values) in &canonical {
                let field = *field;
                let profiles = chunk.iter_mut();
                match values {
                    FieldValues::Text(column) => {
                        for (profile, value) in profiles.zip(rows(column).iter()) {
                            profile.set(field, value.map(str::to_string));
                        }
                    }
                    FieldValues::Date(column) => {
                        let days = column.slice(offset as i64, length);
                        for (profile, days) in profiles.zip(days.iter()) {
                            profile.set(field, days.and_then(format_date));
                        }
                    }
                    FieldValues::Sex(column) => {
                        let codes = column.slice(offset as i64, length);
                        for (profile, code) in profiles.zip(codes.iter()) {
                            profile.set(field, code.map(|code| code.to_string()));
                        }
                    }
                    FieldValues::Points(column) => {
                        let points = column.slice(offset as i64, length);
                        for (profile, points) in profiles.zip(points.iter()) {
                            profile.set(field, points.map(|points| points.to_string()));
                        }
                    }
                }
            }
            for (name, column) in &custom {
                for (profile, value) in chunk.iter_mut().zip(rows(column).iter()) {
                    if let Some(value) = value.filter(|value| !value.is_empty()) {
                        profile.extra.insert(name.to_string(), value.to_string());
                    }
                }
            }
            Ok(())
        })?;
    Ok(profiles)
}

/// Rows per parallel task of `profiles_from_frame`.
const ROWS_PER_TASK: usize = 16384;

/// One canonical column of the frame, by its contract type.
enum FieldValues<'a> {
    Text(&'a StringChunked),
    /// Days since 1970-01-01.
    Date(&'a Int32Chunked),
    Sex(&'a Int32Chunked),
    Points(&'a Int64Chunked),
}

fn text_column<'a>(frame: &'a DataFrame, field: &str) -> Result<&'a StringChunked> {
    frame
        .column(field)
        .with_context(|| format!("the loaded frame has no {field} column"))?
        .str()
        .with_context(|| format!("{field} is not a text column"))
}

#[cfg(test)]
mod tests {
    use polars::prelude::Int32Chunked;
    use polars::prelude::{Column, IntoColumn, IntoSeries, NamedFrom, NewChunkedArray, Series};

    use super::*;

    fn frame(extra: Column) -> DataFrame {
        let text =
            |name: &str, values: [Option<&str>; 2]| Series::new(name.into(), values).into_column();
        let columns = vec![
            text("user_id", [Some("1"), Some("2")]),
            text("origin_user_id", [None, Some("CRM-1")]),
            text("phone", [Some("79161234567"), None]),
            text("email", [None, None]),
            text("first_name", [Some("Алёна"), None]),
            text("middle_name", [None, None]),
            text("last_name", [None, Some("Попов")]),
            Int32Chunked::from_slice_options("birth_date".into(), &[Some(7370), None])
                .into_date()
                .into_series()
                .into_column(),
            Series::new("sex".into(), [Some(2i32), None]).into_column(),
            Int32Chunked::from_slice_options("register_date".into(), &[None, Some(0)])
                .into_date()
                .into_series()
                .into_column(),
            Series::new("points".into(), [Some(120i64), None]).into_column(),
            text("source", [Some("a.csv"), Some("a.csv")]),
            Series::new("source_row".into(), [2i64, 3]).into_column(),
            extra,
        ];
        DataFrame::new(2, columns).unwrap()
    }

    #[test]
    fn renders_typed_columns_and_extras() {
        let extra = Series::new("Город".into(), [Some("Москва"), Some("")]).into_column();
        let profiles = profiles_from_frame(&frame(extra)).unwrap();
        assert_eq!(profiles[0].user_id, "1");
        assert_eq!(profiles[0].birth_date.as_deref(), Some("1990-03-07"));
        assert_eq!(profiles[0].sex.as_deref(), Some("2"));
        assert_eq!(profiles[0].points.as_deref(), Some("120"));
        assert_eq!(profiles[0].extra["Город"], "Москва");
        assert_eq!(profiles[1].register_date.as_deref(), Some("1970-01-01"));
        assert_eq!(profiles[1].origin_user_id.as_deref(), Some("CRM-1"));
        assert!(
            profiles[1].extra.is_empty(),
            "empty custom cells are left out"
        );
        assert!(!profiles[0].extra.contains_key("source"));
    }

    #[test]
    fn non_text_extras_are_rendered_as_text() {
        let extra = Series::new("visits".into(), [Some(3i64), None]).into_column();
        let profiles = profiles_from_frame(&frame(extra)).unwrap();
        assert_eq!(profiles[0].extra["visits"], "3");
    }

    #[test]
    fn a_frame_without_the_contract_columns_is_an_error() {
        let frame =
            DataFrame::new(1, vec![Series::new("user_id".into(), ["1"]).into_column()]).unwrap();
        let message = profiles_from_frame(&frame).unwrap_err().to_string();
        assert!(message.contains("origin_user_id"), "{message}");
    }
}
