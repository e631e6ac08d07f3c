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
