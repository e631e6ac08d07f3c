//! JSON exports: NDJSON (one profile object per line) and JSON arrays of
//! profile objects.
//!
//! The header is the union of the objects' keys in order of first
//! appearance. Values become the text an export would have held: strings as
//! they are, whole numbers without `.0`, booleans as `true`/`false`, `null`
//! as empty, nested arrays and objects as compact JSON. Syntax errors name
//! the physical line and column; a record that is not an object names its
//! data row.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::columns::resolve_columns;
use super::error::{LoadError, Location};
use super::frame::FrameBuilder;
use super::values::render_float;

/// Reads NDJSON text into `builder`; blank lines are skipped.
pub fn read_ndjson(
    text: &str,
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    let mut objects = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_number = index as u64 + 1;
        let value: Value = serde_json::from_str(line).map_err(|error| LoadError::Json {
            path: path.to_string(),
            line: line_number,
            column: error.column() as u64,
            message: error.to_string(),
        })?;
        objects.push(into_object(
            value,
            path,
            Location::Row(objects.len() as u64 + 1),
        )?);
    }
    load_objects(&objects, path, map, builder)
}

/// Reads a JSON array of objects into `builder`.
pub fn read_json_array(
    text: &str,
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    let value: Value = serde_json::from_str(text).map_err(|error| LoadError::Json {
        path: path.to_string(),
        line: error.line() as u64,
        column: error.column() as u64,
        message: error.to_string(),
    })?;
    let Value::Array(items) = value else {
        return Err(LoadError::JsonNotArray {
            path: path.to_string(),
            found: kind_of(&value),
        });
    };
    let objects = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| into_object(item, path, Location::Row(index as u64 + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    load_objects(&objects, path, map, builder)
}

fn into_object(
    value: Value,
    path: &str,
    location: Location,
) -> Result<Map<String, Value>, LoadError> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(LoadError::JsonNotObject {
            path: path.to_string(),
            location,
            found: kind_of(&other),
        }),
    }
}

fn load_objects(
    objects: &[Map<String, Value>],
    path: &str,
    map: &BTreeMap<String, String>,
    builder: &mut FrameBuilder,
) -> Result<(), LoadError> {
    if objects.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_string(),
        });
    }
    let mut headers: Vec<String> = Vec::new();
    let mut column_of: HashMap<&str, usize> = HashMap::new();
    for object in objects {
        for key in object.keys() {
            if !column_of.contains_key(key.as_str()) {
                column_of.insert(key.as_str(), headers.len());
                headers.push(key.clone());
            }
        }
    }
    let resolved = resolve_columns(path, &headers, map)?;
    builder.begin_file(path, &resolved, false);
    for (index, object) in objects.iter().enumerate() {
        let mut cells: Vec<Option<Cow<str>>> = vec![None; headers.len()];
        for (key, value) in object {
            cells[column_of[key.as_str()]] = render_value(value);
        }
        builder.push_row(cells.as_slice(), Location::Row(index as u64 + 1))?;
    }
    if builder.current_file_rows() == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_string(),
        });
    }
    Ok(())
}

/// The text of one JSON value, `None` for `null`.
pub fn render_value(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Cow::Borrowed(text.as_str())),
        Value::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        Value::Number(number) => Some(Cow::Owned(match number.as_f64() {
            Some(float) if !number.is_i64() && !number.is_u64() => render_float(float),
            _ => number.to_string(),
        })),
        nested => Some(Cow::Owned(nested.to_string())),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn load(text: &str, ndjson: bool) -> Result<FrameBuilder, LoadError> {
        let mut builder = FrameBuilder::new();
        if ndjson {
            read_ndjson(text, "p.ndjson", &BTreeMap::new(), &mut builder)?;
        } else {
            read_json_array(text, "p.json", &BTreeMap::new(), &mut builder)?;
        }
        Ok(builder)
    }

    #[test]
    fn values_render_as_export_text() {
        let render = |value: Value| render_value(&value).map(Cow::into_owned);
        assert_eq!(
            render(json!(79991234567u64)).as_deref(),
            Some("79991234567")
        );
        assert_eq!(render(json!(79991234567.0)).as_deref(), Some("79991234567"));
        assert_eq!(render(json!(12.5)).as_deref(), Some("12.5"));
        assert_eq!(render(json!(true)).as_deref(), Some("true"));
        assert_eq!(render(json!(null)), None);
        assert_eq!(render(json!(["a", 1])).as_deref(), Some("[\"a\",1]"));
    }

    #[test]
    fn ndjson_syntax_error_names_line_and_column() {
        let message = load(
            "{\"user_id\": 1, \"phone\": \"7\"}\n\n{\"user_id\": 2,, }\n",
            true,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(message.contains("p.ndjson, line 3, column"), "{message}");
    }

    #[test]
    fn array_element_that_is_not_an_object_names_its_row() {
        let message = load("[{\"user_id\": 1, \"phone\": \"7\"}, 5]", false)
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains("p.json, row 2"), "{message}");
        assert!(message.contains("a number"), "{message}");
    }

    #[test]
    fn keys_missing_from_some_objects_are_empty() {
        let built = load(
            "{\"user_id\": 1, \"phone\": \"7\"}\n{\"user_id\": 2, \"email\": \"a@b.ru\"}\n",
            true,
        )
        .unwrap()
        .finish()
        .unwrap();
        let emails: Vec<Option<&str>> = built
            .frame
            .column("email")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(emails, [None, Some("a@b.ru")]);
    }

    #[test]
    fn top_level_object_is_refused() {
        let message = load("{\"users\": []}", false).err().unwrap().to_string();
        assert!(message.contains("expected a JSON array"), "{message}");
    }
}
