//! The loaded frame rendered into `Profile`s, the form the matching and
//! planning stages work on: dates as `YYYY-MM-DD`, sex as `"1"`/`"2"`/`"3"`,
//! points as an integer string, custom columns into `extra` (empty cells
//! left out). Row order is the frame's.

use anyhow::{Context, Result, bail};
use polars::prelude::{DataFrame, DataType, StringChunked};

use crate::profile::{
    BIRTH_DATE, CANONICAL_FIELDS, POINTS, Profile, REGISTER_DATE, SEX, SOURCE, SOURCE_ROW, USER_ID,
};

use super::values::format_date;

pub fn profiles_from_frame(frame: &DataFrame) -> Result<Vec<Profile>> {
    let user_ids = text_column(frame, USER_ID)?;
    let mut profiles = Vec::with_capacity(frame.height());
    for (row, user_id) in user_ids.iter().enumerate() {
        let Some(user_id) = user_id else {
            bail!("frame row {row} has no user_id; load guarantees one per row");
        };
        profiles.push(Profile {
            user_id: user_id.to_string(),
            ..Profile::default()
        });
    }

    for field in CANONICAL_FIELDS
        .into_iter()
        .filter(|field| *field != USER_ID)
    {
        let column = frame
            .column(field)
            .with_context(|| format!("the loaded frame has no {field} column"))?;
        let values: Vec<Option<String>> = match field {
            BIRTH_DATE | REGISTER_DATE => column
                .date()
                .with_context(|| format!("{field} is not a Date column"))?
                .physical()
                .iter()
                .map(|days| days.and_then(format_date))
                .collect(),
            SEX => column
                .i32()
                .with_context(|| format!("{field} is not an Int32 column"))?
                .iter()
                .map(|code| code.map(|code| code.to_string()))
                .collect(),
            POINTS => column
                .i64()
                .with_context(|| format!("{field} is not an Int64 column"))?
                .iter()
                .map(|points| points.map(|points| points.to_string()))
                .collect(),
            _ => text_column(frame, field)?
                .iter()
                .map(|value| value.map(str::to_string))
                .collect(),
        };
        for (profile, value) in profiles.iter_mut().zip(values) {
            if let Some(slot) = profile.field_mut(field) {
                *slot = value;
            }
        }
    }

    for column in frame.columns() {
        let name = column.name().as_str();
        if CANONICAL_FIELDS.contains(&name) || name == SOURCE || name == SOURCE_ROW {
            continue;
        }
        let text = column
            .cast(&DataType::String)
            .with_context(|| format!("custom column {name:?} cannot be read as text"))?;
        let text = text.str()?;
        for (profile, value) in profiles.iter_mut().zip(text.iter()) {
            if let Some(value) = value.filter(|value| !value.is_empty()) {
                profile.extra.insert(name.to_string(), value.to_string());
            }
        }
    }
    Ok(profiles)
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
