//! `plan --show-settings`: the resolved settings as TOML, every key after
//! comments that say what it does (its field's doc comment), which values
//! it takes (the doc comments of an enum's variants) and its default when
//! the value differs from it.
//!
//! The text comes from the JSON schema that `schemars` derives from the
//! settings types, so a key or a variant is documented once, where it is
//! declared; nothing here names a setting. Invariant: the output parses
//! back to the settings it was made from, so it is a config file to start
//! from.

use std::collections::HashSet;

use serde_json::Value as Json;

use super::Settings;

/// Comment lines are wrapped to fit this many columns.
const WIDTH: usize = 79;

const HEADER: &str = "\
# sailmerge settings, resolved: a flag wins over the config file, the file
# over the default. Save this as a file, change what you need and pass it
# to `sailmerge plan --config FILE`; a key left out keeps its default, and
# an unknown key is an error.
";

/// The settings as commented TOML.
pub fn commented_toml(settings: &Settings) -> String {
    let schema = schemars::schema_for!(Settings);
    let values = toml::Table::try_from(settings).expect("settings serialise to a TOML table");
    let mut writer = Writer {
        root: schema.as_value(),
        described: HashSet::new(),
        out: String::from(HEADER),
        section_start: false,
    };
    writer.table(&[], schema.as_value(), &values);
    writer.out
}

struct Writer<'a> {
    /// The whole schema, whose `$defs` the `$ref`s point into.
    root: &'a Json,
    /// Enums whose values were listed with their meaning already: later
    /// keys of the same type name the values only.
    described: HashSet<String>,
    out: String,
    /// Nothing written yet in the current section: no blank line before its
    /// first key.
    section_start: bool,
}

/// What a key holds, as far as the text around it is concerned.
enum Shape<'a> {
    /// A section of its own: `[path.key]`.
    Table(&'a Json),
    /// A choice among named values (`oneOf` consts or `enum`).
    Choice(Option<String>, Vec<(String, String)>),
    /// A list of choices.
    Choices(Option<String>, Vec<(String, String)>),
    /// A list of tables, written inline, each with these keys.
    Tables(&'a Json),
    /// Anything else: a number, a string, a flag, a map.
    Plain,
}

impl<'a> Writer<'a> {
    /// Writes the keys of `table` (schema `schema`, values `values`) at
    /// `path`: its plain keys first, as TOML requires, then its sections.
    fn table(&mut self, path: &[&str], schema: &'a Json, values: &toml::Table) {
        let Some(properties) = schema.get("properties").and_then(Json::as_object) else {
            return;
        };
        let mut sections = Vec::new();
        for (key, property) in properties {
            match self.shape(property) {
                Shape::Table(table_schema) => sections.push((key, property, table_schema)),
                shape => self.key(key, property, shape, values.get(key)),
            }
        }
        for (key, property, table_schema) in sections {
            let mut section_path = path.to_vec();
            section_path.push(key);
            self.out.push('\n');
            self.paragraphs(description(property), "# ", "# ");
            self.out
                .push_str(&format!("[{}]\n", section_path.join(".")));
            self.section_start = true;
            let empty = toml::Table::new();
            let section_values = match values.get(key.as_str()) {
                Some(toml::Value::Table(table)) => table,
                _ => &empty,
            };
            self.table(&section_path, table_schema, section_values);
        }
    }

    /// One key: its comments, then `key = value`, or a commented line when
    /// it is unset.
    fn key(
        &mut self,
        key: &str,
        property: &'a Json,
        shape: Shape<'a>,
        value: Option<&toml::Value>,
    ) {
        if !std::mem::take(&mut self.section_start) {
            self.out.push('\n');
        }
        self.paragraphs(description(property), "# ", "# ");
        self.values(&shape, "# ");
        if let Some(default) = property.get("default")
            && let Ok(default) = toml::Value::try_from(default)
            && value.is_some_and(|value| *value != default)
        {
            self.out
                .push_str(&format!("# Default: {}.\n", inline(&default)));
        }
        match value {
            Some(value) => self.out.push_str(&assignment(key, value)),
            None => self.out.push_str(&format!("# {key} = (unset)\n")),
        }
    }

    /// The values a key of this shape takes, as comment lines.
    fn values(&mut self, shape: &Shape<'a>, prefix: &str) {
        match shape {
            Shape::Choice(name, choices) => self.choices("One of", name, choices, prefix),
            Shape::Choices(name, choices) => self.choices("Any of", name, choices, prefix),
            Shape::Tables(item) => {
                let Some(properties) = item.get("properties").and_then(Json::as_object) else {
                    return;
                };
                let required: Vec<&str> = item
                    .get("required")
                    .and_then(Json::as_array)
                    .map(|keys| keys.iter().filter_map(Json::as_str).collect())
                    .unwrap_or_default();
                self.out.push_str(&format!("{prefix}Each table has:\n"));
                let nested = format!("{prefix}    ");
                for (key, property) in properties {
                    let status = if required.contains(&key.as_str()) {
                        " (required)"
                    } else {
                        ""
                    };
                    let text = format!("{key}{status}: {}", description(property));
                    self.paragraphs(&text, &format!("{prefix}  "), &nested);
                    let shape = self.shape(property);
                    self.values(&shape, &nested);
                }
            }
            Shape::Table(_) | Shape::Plain => {}
        }
    }

    /// `One of:` and each value with its meaning, the first time an enum
    /// is shown; its values alone after that.
    fn choices(
        &mut self,
        lead: &str,
        name: &Option<String>,
        choices: &[(String, String)],
        prefix: &str,
    ) {
        let first_time = name
            .as_ref()
            .is_none_or(|name| self.described.insert(name.clone()));
        if !first_time || choices.iter().all(|(_, meaning)| meaning.is_empty()) {
            let values: Vec<&str> = choices.iter().map(|(value, _)| value.as_str()).collect();
            self.paragraphs(&format!("{lead}: {}.", values.join(", ")), prefix, prefix);
            return;
        }
        self.out.push_str(&format!("{prefix}{lead}:\n"));
        for (value, meaning) in choices {
            let text = if meaning.is_empty() {
                value.clone()
            } else {
                format!("{value}: {meaning}")
            };
            self.paragraphs(&text, &format!("{prefix}  "), &format!("{prefix}    "));
        }
    }

    fn shape(&self, property: &'a Json) -> Shape<'a> {
        let (name, resolved) = self.resolve(property);
        if let Some(choices) = choices_of(resolved) {
            return Shape::Choice(name, choices);
        }
        if resolved.get("properties").is_some() {
            return Shape::Table(resolved);
        }
        if let Some(items) = resolved.get("items") {
            let (item_name, item) = self.resolve(items);
            if let Some(choices) = choices_of(item) {
                return Shape::Choices(item_name, choices);
            }
            if item.get("properties").is_some() {
                return Shape::Tables(item);
            }
        }
        Shape::Plain
    }

    /// The schema a `$ref` points to, with the name of its definition.
    fn resolve(&self, schema: &'a Json) -> (Option<String>, &'a Json) {
        let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
            return (None, schema);
        };
        let name = reference.trim_start_matches("#/$defs/");
        match self.root.get("$defs").and_then(|defs| defs.get(name)) {
            Some(definition) => (Some(name.to_string()), definition),
            None => (None, schema),
        }
    }

    /// `text`'s paragraphs (separated by blank lines), each wrapped.
    fn paragraphs(&mut self, text: &str, first_prefix: &str, rest_prefix: &str) {
        for (index, paragraph) in text.split("\n\n").enumerate() {
            if paragraph.trim().is_empty() {
                continue;
            }
            if index > 0 {
                self.out.push_str(rest_prefix.trim_end());
                self.out.push('\n');
            }
            let prefix = if index == 0 {
                first_prefix
            } else {
                rest_prefix
            };
            for line in wrap(paragraph, prefix, rest_prefix) {
                self.out.push_str(&line);
                self.out.push('\n');
            }
        }
    }
}

fn description(schema: &Json) -> &str {
    schema
        .get("description")
        .and_then(Json::as_str)
        .unwrap_or("")
}

/// The values of an enum and the meaning of each: `oneOf` consts (variants
/// with doc comments) or an `enum` list (variants without).
fn choices_of(schema: &Json) -> Option<Vec<(String, String)>> {
    if let Some(variants) = schema.get("oneOf").and_then(Json::as_array) {
        return variants
            .iter()
            .map(|variant| {
                let value = variant.get("const")?;
                Some((value.to_string(), description(variant).to_string()))
            })
            .collect();
    }
    let values = schema.get("enum").and_then(Json::as_array)?;
    Some(
        values
            .iter()
            .map(|value| (value.to_string(), String::new()))
            .collect(),
    )
}

/// `text` as lines of at most `WIDTH` columns (a longer word stands alone),
/// the first after `first_prefix`, the rest after `rest_prefix`; line breaks
/// inside `text` are spaces.
pub fn wrap(text: &str, first_prefix: &str, rest_prefix: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from(first_prefix);
    let mut empty = true;
    for word in text.split_whitespace() {
        let columns = line.chars().count() + 1 + word.chars().count();
        if !empty && columns > WIDTH {
            lines.push(std::mem::replace(&mut line, String::from(rest_prefix)));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        lines.push(line);
    }
    lines
}

/// A value on one line, as TOML writes it inline.
fn inline(value: &toml::Value) -> String {
    value.to_string()
}

/// `key = value`, an array one item a line when it does not fit on one.
fn assignment(key: &str, value: &toml::Value) -> String {
    let line = format!("{key} = {}\n", inline(value));
    match value {
        toml::Value::Array(items) if line.chars().count() > WIDTH + 1 => {
            let mut text = format!("{key} = [\n");
            for item in items {
                text.push_str(&format!("    {},\n", inline(item)));
            }
            text.push_str("]\n");
            text
        }
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::matching::{ExtraComparison, ExtraKind};
    use crate::settings::planner::{FieldPolicy, SurvivorPolicy};

    fn parse(text: &str) -> Settings {
        toml::from_str(text).unwrap_or_else(|error| panic!("{error}\n{text}"))
    }

    #[test]
    fn the_defaults_read_back_as_the_defaults() {
        let settings = Settings::default();
        assert_eq!(parse(&commented_toml(&settings)), settings);
    }

    #[test]
    fn every_kind_of_value_reads_back() {
        let mut settings = Settings::default();
        settings
            .load
            .map
            .insert("phone".into(), "Моб. \"телефон\"".into());
        settings.load.encoding = Some("windows-1251".into());
        settings.matching.threshold = 0.9;
        settings.matching.contradiction_guards.clear();
        settings.matching.reference_date = chrono::NaiveDate::from_ymd_opt(2024, 6, 30);
        settings.matching.extra = vec![
            ExtraComparison {
                column: "city".into(),
                kind: ExtraKind::Fuzzy,
                block: false,
                tolerance: None,
            },
            ExtraComparison {
                column: "weight".into(),
                kind: ExtraKind::Numeric,
                block: true,
                tolerance: Some(2.5),
            },
        ];
        settings.planner.survivor = SurvivorPolicy::Column;
        settings.planner.survivor_column = Some("card".into());
        settings.planner.golden.sex = FieldPolicy::Oldest;
        assert_eq!(parse(&commented_toml(&settings)), settings);
    }

    #[test]
    fn keys_carry_their_doc_comment_values_and_default() {
        let mut settings = Settings::default();
        settings.matching.threshold = 0.9;
        let text = commented_toml(&settings);
        // A field's doc comment, wrapped, above its key.
        assert!(
            text.contains("# Match probability at or above which a pair links (`--threshold`).")
        );
        assert!(
            text.contains("# Default: 0.97.\nthreshold = 0.9\n"),
            "{text}"
        );
        // An enum's variants with their doc comments, once.
        assert!(
            text.contains("#   \"oldest_register_date\": The member registered first"),
            "{text}"
        );
        assert_eq!(
            text.matches("\"most_frequent\": The value most members hold")
                .count(),
            1
        );
        assert!(
            text.contains("# One of: \"best\", \"most_frequent\", \"most_recent\", \"oldest\".")
        );
        // Keys are apart, a section's first key right under its header.
        assert!(
            text.contains("\"origin_user_id\",\n]\n\n# A block whose key"),
            "{text}"
        );
        assert!(text.contains("[load]\n# canonical field"), "{text}");
        // Unset options are shown, commented.
        assert!(text.contains("# encoding = (unset)\n"), "{text}");
        assert!(text.contains("# reference_date = (unset)\n"), "{text}");
        // Sections after the keys of their parent, with their description.
        assert!(text.contains(
            "# How the golden (target) value of each field is chosen.\n[planner.golden]\n"
        ));
        assert!(
            text.lines()
                .all(|line| line.chars().count() <= WIDTH || !line.starts_with('#'))
        );
    }

    #[test]
    fn text_wraps_at_the_width_with_a_hanging_prefix() {
        let words = "word ".repeat(40);
        let lines = wrap(&words, "# ", "#   ");
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|line| line.chars().count() <= WIDTH));
        assert!(lines[0].starts_with("# word"));
        assert!(lines[1].starts_with("#   word"));
        assert_eq!(wrap("a\nb", "# ", "# "), vec!["# a b"]);
        assert_eq!(wrap("", "# ", "# "), Vec::<String>::new());
        let long = "x".repeat(100);
        assert_eq!(wrap(&long, "# ", "# "), vec![format!("# {long}")]);
    }
}
