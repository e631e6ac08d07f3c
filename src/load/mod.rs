//! Load: customer exports into one polars frame with typed canonical
//! columns.
//!
//! Each file's format comes from its signature, name or first bytes
//! (`format`); text is decoded to UTF-8 (`encoding`); its header is matched
//! to the canonical fields (`columns`); its records go straight into one
//! frame builder (`frame`) that types the canonical columns (`values`) and
//! remembers where each row came from (`source`, `source_row`). The frame's
//! contract is documented in `frame`.
//!
//! Invariants: malformed input (an unclosed quote, a wrong field count,
//! undecodable bytes, a missing or repeated `user_id`) fails the whole load
//! with an error naming the file, line or row, and column — before any later
//! stage writes anything. Values that are merely unreadable (a date such as
//! `31.02.1990`, an unknown sex, fractional points) become null and are
//! counted in [`LoadQuality`], never fatal. The same export in any format
//! gives the same profiles.

mod columns;
mod delimited;
mod encoding;
mod error;
mod format;
mod frame;
mod full_name;
mod guard;
mod json;
mod parquet;
mod profiles;
mod spreadsheet;
pub mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use encoding_rs::{Encoding, WINDOWS_1251};
use indicatif::ProgressBar;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::InputFile;
use crate::printer::Printer;
use crate::profile::Field;
use crate::settings::load::LoadSettings;

pub use columns::{header_key, recognise_header};
pub use error::{LoadError, Location};
pub use format::Format;
pub use profiles::profiles_from_frame;

use delimited::{describe_delimiter, detect_delimiter, read_delimited};
use frame::FrameBuilder;

pub struct LoadedExport {
    /// One row per profile; see the module comment of `frame` for columns.
    pub frame: DataFrame,
    /// Per file, in the order given: path as given, rows kept, SHA-256.
    pub inputs: Vec<InputFile>,
    pub quality: LoadQuality,
}

/// What the load saw and what it could not read, for the plan's
/// diagnostics and the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadQuality {
    pub files: Vec<FileSummary>,
    /// Profiles loaded, over all files.
    pub rows: u64,
    /// Records whose every cell was empty (trailing `;;;;` lines).
    pub blank_rows_skipped: u64,
    /// Per canonical field (`birth_date`, `register_date`, `sex`,
    /// `points`): non-empty values that could not be read and were left
    /// empty.
    pub unparseable: BTreeMap<String, UnparseableValues>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSummary {
    pub path: String,
    pub format: String,
    /// Text formats only.
    pub encoding: Option<String>,
    /// Delimited text only.
    pub delimiter: Option<String>,
    pub rows: u64,
    /// Canonical field → the header it was read from.
    pub columns: BTreeMap<String, String>,
    /// Columns carried through as custom attributes (`Profile::extra`).
    pub custom_columns: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnparseableValues {
    pub count: u64,
    /// The first few, to show what went wrong.
    pub examples: Vec<UnparseableExample>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnparseableExample {
    pub source: String,
    /// `line N` (delimited text) or `row N` (data row, other formats).
    pub location: String,
    pub value: String,
}

/// Loads every export in `paths`, in order, into one frame.
pub fn load_exports(
    paths: &[PathBuf],
    settings: &LoadSettings,
    printer: &Printer,
) -> Result<LoadedExport> {
    if paths.is_empty() {
        return Err(LoadError::NoInput.into());
    }
    let total_bytes = paths
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum();
    let mut load = Load::start(settings, printer, total_bytes)?;
    for path in paths {
        // One file's bytes at a time: a run over several large exports
        // holds only the frame and the file being read.
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        load.add_file(path, &bytes)?;
    }
    load.finish()
}

/// Loads one export already in memory, named `path` (its name still
/// decides the format where the content does not). For callers that hold
/// the bytes, such as the loader fuzzer: the same code path as a file.
pub fn load_export_bytes(
    path: &Path,
    bytes: &[u8],
    settings: &LoadSettings,
    printer: &Printer,
) -> Result<LoadedExport> {
    let mut load = Load::start(settings, printer, bytes.len() as u64)?;
    load.add_file(path, bytes)?;
    load.finish()
}

/// One load in progress: files are added in order, then finished into
/// the frame.
struct Load<'a> {
    options: ReadOptions<'a>,
    printer: &'a Printer,
    started: Instant,
    progress: ProgressBar,
    builder: FrameBuilder,
    hashes: Vec<String>,
    summaries: Vec<FileSummary>,
}

impl<'a> Load<'a> {
    fn start(
        settings: &'a LoadSettings,
        printer: &'a Printer,
        total_bytes: u64,
    ) -> Result<Load<'a>> {
        columns::validate_map(&settings.map)?;
        let options = ReadOptions {
            map: &settings.map,
            encoding: settings
                .encoding
                .as_deref()
                .map(encoding::encoding_for_label)
                .transpose()?,
            delimiter: settings
                .delimiter
                .as_deref()
                .map(parse_delimiter)
                .transpose()?,
        };
        Ok(Load {
            options,
            printer,
            started: Instant::now(),
            progress: printer.bar("load", total_bytes, crate::printer::Unit::Bytes),
            builder: FrameBuilder::new(),
            hashes: Vec::new(),
            summaries: Vec::new(),
        })
    }

    fn add_file(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let shown = path.display().to_string();
        let file_start = self.progress.position();
        let (options, builder, progress, printer) = (
            &self.options,
            &mut self.builder,
            &self.progress,
            self.printer,
        );
        // Hashing and parsing are independent passes over the same bytes:
        // on two cores the hash is free.
        let (sha256, read) = rayon::join(
            || hex::encode(Sha256::digest(bytes)),
            || read_file(bytes, path, &shown, options, builder, progress, printer),
        );
        self.summaries.push(read?);
        self.hashes.push(sha256);
        self.progress.set_position(file_start + bytes.len() as u64);
        Ok(())
    }

    fn finish(self) -> Result<LoadedExport> {
        let Load {
            printer,
            started,
            progress,
            builder,
            hashes,
            summaries,
            ..
        } = self;
        progress.finish_and_clear();
        let built = builder.finish()?;
        let file_count = summaries.len();
        let mut quality = LoadQuality {
            rows: built.frame.height() as u64,
            blank_rows_skipped: built.blank_rows_skipped,
            unparseable: built.unparseable,
            files: Vec::with_capacity(file_count),
        };
        let mut inputs = Vec::with_capacity(file_count);
        for ((summary, columns), sha256) in summaries.into_iter().zip(built.files).zip(hashes) {
            let file = FileSummary {
                rows: columns.rows,
                columns: columns.recognised,
                custom_columns: columns.custom_columns,
                ..summary
            };
            printer.info(describe_file(&file));
            inputs.push(InputFile {
                path: file.path.clone(),
                rows: file.rows,
                sha256,
            });
            quality.files.push(file);
        }
        for (field, values) in &quality.unparseable {
            printer.warn(describe_unparseable(field, values));
        }
        for warning in name_like_custom_columns(&built.frame, &quality.files) {
            printer.warn(warning);
        }
        // With the frame's memory, like every stage line of `plan`.
        let memory = crate::memory::ResidentMemory::of_this_process()
            .map(|memory| format!(" ({})", memory.describe()))
            .unwrap_or_default();
        printer.info(format!(
            "loaded {} profiles from {} file{} in {:.2} s{memory}",
            quality.rows,
            file_count,
            if file_count == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64()
        ));
        Ok(LoadedExport {
            frame: built.frame,
            inputs,
            quality,
        })
    }
}

/// Settings that apply to every file of a run.
struct ReadOptions<'a> {
    map: &'a BTreeMap<String, String>,
    encoding: Option<&'static Encoding>,
    delimiter: Option<u8>,
}

/// Reads one file into `builder`; the summary's row and column fields are
/// filled in once the frame is finished.
fn read_file(
    bytes: &[u8],
    path: &Path,
    shown: &str,
    options: &ReadOptions<'_>,
    builder: &mut FrameBuilder,
    progress: &ProgressBar,
    printer: &Printer,
) -> Result<FileSummary, LoadError> {
    let format = format::detect_format(path, bytes);
    let mut summary = FileSummary {
        path: shown.to_string(),
        format: format.name().to_string(),
        ..FileSummary::default()
    };
    if bytes.is_empty() {
        return Err(LoadError::Empty {
            path: shown.to_string(),
        });
    }
    match format {
        Format::Parquet => parquet::read_parquet(bytes, shown, options.map, builder)?,
        Format::Spreadsheet => spreadsheet::read_spreadsheet(bytes, shown, options.map, builder)?,
        Format::Delimited { .. } | Format::NdJson | Format::JsonArray => {
            if options.encoding == Some(WINDOWS_1251)
                && !bytes.is_ascii()
                && std::str::from_utf8(bytes).is_ok()
            {
                printer.warn(format!(
                    "{shown} is valid UTF-8 but --encoding says windows-1251: its Cyrillic text will be garbled; drop --encoding"
                ));
            }
            let decoded = encoding::decode(bytes, options.encoding, shown)?;
            summary.encoding = Some(decoded.encoding.name().to_ascii_lowercase());
            let text = decoded.text.as_ref();
            match format {
                Format::NdJson => json::read_ndjson(text, shown, options.map, builder)?,
                Format::JsonArray => json::read_json_array(text, shown, options.map, builder)?,
                Format::Delimited { delimiter } => {
                    let delimiter = options
                        .delimiter
                        .or(delimiter)
                        .unwrap_or_else(|| detect_delimiter(text));
                    summary.delimiter = Some(describe_delimiter(delimiter));
                    read_delimited(
                        text,
                        shown,
                        delimiter,
                        options.map,
                        builder,
                        progress,
                        delimited::PIECE_BYTES,
                    )?;
                }
                Format::Parquet | Format::Spreadsheet => {
                    unreachable!("binary formats are handled above")
                }
            }
        }
    }
    Ok(summary)
}

/// Custom column values looked at for names.
const NAME_SAMPLE: usize = 200;

/// A warning for each custom column that looks like people's names, in a
/// file where some name field has no column: most likely the names were
/// exported under a header sailmerge does not know, and would be carried
/// along unused.
fn name_like_custom_columns(frame: &DataFrame, files: &[FileSummary]) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    for file in files {
        let names_incomplete = [Field::LastName, Field::FirstName, Field::MiddleName]
            .iter()
            .any(|field| !file.columns.contains_key(field.name()))
            && !file.columns.contains_key(columns::FULL_NAME);
        if !names_incomplete {
            continue;
        }
        for column in &file.custom_columns {
            if !checked.insert(column.as_str()) {
                continue;
            }
            let Some(values) = frame.column(column).ok().and_then(|c| c.str().ok()) else {
                continue;
            };
            let sample: Vec<&str> = values.iter().flatten().take(NAME_SAMPLE).collect();
            let names = sample
                .iter()
                .filter(|value| full_name::looks_like_a_name(value))
                .count();
            if sample.len() >= 3 && names * 2 >= sample.len() {
                warnings.push(format!(
                    "{}: custom column {column:?} looks like people's names ({names} of {} values looked at); if it holds the customers' names, pass --map full_name=\"{column}\" (or first_name=, last_name=, middle_name=)",
                    file.path,
                    sample.len()
                ));
            }
        }
    }
    warnings
}

fn parse_delimiter(value: &str) -> Result<u8, LoadError> {
    match value {
        "\t" | "\\t" | "tab" => Ok(b'\t'),
        "," | ";" | "|" => Ok(value.as_bytes()[0]),
        _ => Err(LoadError::UnknownDelimiter {
            value: value.to_string(),
        }),
    }
}

fn describe_file(file: &FileSummary) -> String {
    let mut how = vec![file.format.clone()];
    how.extend(file.encoding.clone());
    how.extend(
        file.delimiter
            .as_ref()
            .map(|delimiter| format!("delimiter {delimiter}")),
    );
    let columns = Field::ALL
        .into_iter()
        .map(Field::name)
        .filter_map(|field| file.columns.get(field).map(|header| (field, header)))
        .map(|(field, header)| {
            if field == header {
                field.to_string()
            } else {
                format!("{field} ← \"{header}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut line = format!(
        "{}: {} rows ({}); fields: {}",
        file.path,
        file.rows,
        how.join(", "),
        columns
    );
    if let Some(header) = file.columns.get(columns::FULL_NAME) {
        line.push_str(&format!(
            "; names split from {} \"{header}\"",
            columns::FULL_NAME
        ));
    }
    if !file.custom_columns.is_empty() {
        line.push_str(&format!("; custom: {}", file.custom_columns.join(", ")));
    }
    line
}

fn describe_unparseable(field: &str, values: &UnparseableValues) -> String {
    let examples = values
        .examples
        .iter()
        .take(3)
        .map(|example| {
            format!(
                "{}, {}: {:?}",
                example.source, example.location, example.value
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "{field}: {} value{} could not be read and {} left empty (e.g. {examples})",
        values.count,
        if values.count == 1 { "" } else { "s" },
        if values.count == 1 { "was" } else { "were" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_setting_values() {
        assert_eq!(parse_delimiter(";").unwrap(), b';');
        assert_eq!(parse_delimiter("\\t").unwrap(), b'\t');
        assert_eq!(parse_delimiter("tab").unwrap(), b'\t');
        let message = parse_delimiter("::").unwrap_err().to_string();
        assert!(
            message.contains("\"::\"") && message.contains("[load] delimiter"),
            "{message}"
        );
    }

    #[test]
    fn no_input_is_an_error() {
        let message = load_exports(&[], &LoadSettings::default(), &Printer::silent())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(message, "no export file given");
    }

    #[test]
    fn unreadable_values_summary_quotes_examples() {
        let values = UnparseableValues {
            count: 2,
            examples: vec![UnparseableExample {
                source: "a.csv".to_string(),
                location: "line 7".to_string(),
                value: "31.02.1990".to_string(),
            }],
        };
        assert_eq!(
            describe_unparseable("birth_date", &values),
            "birth_date: 2 values could not be read and were left empty (e.g. a.csv, line 7: \"31.02.1990\")"
        );
    }
}
