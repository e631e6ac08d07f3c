//! Diagnostics and settings arrive in the plan as free-form JSON (each
//! stage owns its own shape); the report shows them as two-column tables of
//! readable keys and values, whatever that shape is.

use serde_json::Value;

/// Rows beyond this are summarised in one last row, so that a huge model
/// summary cannot swamp the page.
pub const MAX_ROWS: usize = 200;

/// One row: a dotted path of readable keys and the value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    pub value: String,
}

/// Flattens `value` into rows: nested objects become dotted keys, arrays of
/// scalars one comma-separated value, arrays of objects numbered keys
/// (1-based, as people count). `null` and empty containers are skipped.
pub fn flatten(value: &Value) -> Vec<Row> {
    let mut rows = Vec::new();
    flatten_into(&mut rows, "", value);
    if rows.len() > MAX_ROWS {
        let hidden = rows.len() - MAX_ROWS;
        rows.truncate(MAX_ROWS);
        rows.push(Row {
            key: "…".to_string(),
            value: format!("{hidden} more rows; see plan.json"),
        });
    }
    rows
}

fn flatten_into(rows: &mut Vec<Row>, prefix: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (key, inner) in map {
                flatten_into(rows, &join_key(prefix, &readable_key(key)), inner);
            }
        }
        Value::Array(items) if items.iter().all(is_scalar) => {
            if !items.is_empty() {
                let joined: Vec<String> = items.iter().map(scalar_text).collect();
                rows.push(Row {
                    key: prefix.to_string(),
                    value: joined.join(", "),
                });
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                flatten_into(rows, &join_key(prefix, &(index + 1).to_string()), inner);
            }
        }
        scalar => rows.push(Row {
            key: prefix.to_string(),
            value: scalar_text(scalar),
        }),
    }
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix} · {key}")
    }
}

/// `phones_invalid` → `phones invalid`; other keys (rule names such as
/// `last_name+birth_date`) are left as they are, since users type them.
pub fn readable_key(key: &str) -> String {
    if key.chars().all(|c| c.is_alphanumeric() || c == '_') {
        key.replace('_', " ")
    } else {
        key.to_string()
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => match number.as_u64() {
            Some(integer) => super::svg::group_thousands(integer),
            None => number.to_string(),
        },
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(rows: &[Row]) -> Vec<(&str, &str)> {
        rows.iter()
            .map(|r| (r.key.as_str(), r.value.as_str()))
            .collect()
    }

    #[test]
    fn nested_objects_become_dotted_readable_keys() {
        let rows = flatten(&json!({
            "phones_invalid": 12000,
            "pairs_by_rule": {"last_name+birth_date": 5, "phone": 7},
            "converged": true,
            "note": null,
        }));
        assert_eq!(
            pairs(&rows),
            vec![
                ("phones invalid", "12 000"),
                ("pairs by rule · last_name+birth_date", "5"),
                ("pairs by rule · phone", "7"),
                ("converged", "yes"),
            ]
        );
    }

    #[test]
    fn arrays_of_scalars_join_and_arrays_of_objects_number() {
        let rows = flatten(&json!({
            "rules": ["phone", "email"],
            "blocks": [{"size": 3}, {"size": 1.5}],
            "empty": [],
        }));
        assert_eq!(
            pairs(&rows),
            vec![
                ("rules", "phone, email"),
                ("blocks · 1 · size", "3"),
                ("blocks · 2 · size", "1.5")
            ]
        );
    }

    #[test]
    fn a_bare_scalar_or_null_is_handled() {
        assert_eq!(pairs(&flatten(&json!(null))), Vec::<(&str, &str)>::new());
        assert_eq!(pairs(&flatten(&json!("x"))), vec![("", "x")]);
    }

    #[test]
    fn huge_values_are_cut_with_a_note() {
        let big: serde_json::Map<String, Value> =
            (0..500).map(|i| (format!("k{i:03}"), json!(i))).collect();
        let rows = flatten(&Value::Object(big));
        assert_eq!(rows.len(), MAX_ROWS + 1);
        assert_eq!(rows.last().unwrap().value, "300 more rows; see plan.json");
    }
}
