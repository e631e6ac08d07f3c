//! The load stage end to end: the same export in every format gives the
//! same profiles; several files concatenate with their source; malformed
//! files fail with the file, line and column named — through the library
//! and through `sailmerge plan`, which must exit 2 before writing anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use polars::prelude::DataType;
use sailmerge::load::{load_exports, profiles_from_frame};
use sailmerge::printer::Printer;
use sailmerge::profile::{Field, Profile, SOURCE, SOURCE_ROW};
use sailmerge::settings::load::LoadSettings;
use sha2::{Digest, Sha256};

use crate::fixtures::{CUSTOM_COLUMN, sample_profiles, write_every_format};
use crate::harness::{
    command, files_under, repo_path, run_snapshot, snapshot_settings, stderr, text,
};

const FIXTURES: &str = "tests/fixtures/load";

fn fixture(name: &str) -> PathBuf {
    repo_path(FIXTURES).join(name)
}

fn load_profiles(paths: &[PathBuf], settings: &LoadSettings) -> anyhow::Result<Vec<Profile>> {
    let loaded = load_exports(paths, settings, &Printer::silent())?;
    profiles_from_frame(&loaded.frame)
}

fn load_error(paths: &[PathBuf], settings: &LoadSettings) -> String {
    match load_exports(paths, settings, &Printer::silent()) {
        Ok(_) => panic!("expected {paths:?} to fail"),
        Err(error) => format!("{error:#}"),
    }
}

#[test]
fn every_format_gives_the_same_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let expected = sample_profiles();
    let files = write_every_format(&expected, dir.path());
    assert!(files.len() >= 7);
    for file in &files {
        let profiles = load_profiles(std::slice::from_ref(&file.path), &LoadSettings::default())
            .unwrap_or_else(|error| panic!("{}: {error:#}", file.label));
        for (loaded, wanted) in profiles.iter().zip(&expected) {
            assert_eq!(loaded, wanted, "{}", file.label);
        }
        assert_eq!(profiles.len(), expected.len(), "{}", file.label);
    }
}

#[test]
fn several_files_concatenate_with_source_and_source_row() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = sample_profiles();
    let (first, second) = profiles.split_at(12);
    let first_files = write_every_format(first, &subdirectory(dir.path(), "a"));
    let second_files = write_every_format(second, &subdirectory(dir.path(), "b"));
    let csv = first_files
        .iter()
        .find(|f| f.label.starts_with("semicolon CSV, Windows"))
        .unwrap();
    let xlsx = second_files
        .iter()
        .find(|f| f.label.starts_with("XLSX"))
        .unwrap();
    let paths = vec![csv.path.clone(), xlsx.path.clone()];

    let loaded = load_exports(&paths, &LoadSettings::default(), &Printer::silent()).unwrap();
    assert_eq!(profiles_from_frame(&loaded.frame).unwrap(), profiles);

    let sources: Vec<String> = loaded
        .frame
        .column(SOURCE)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    assert_eq!(sources[0], csv.path.display().to_string());
    assert_eq!(sources[12], xlsx.path.display().to_string());
    let rows: Vec<i64> = loaded
        .frame
        .column(SOURCE_ROW)
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .map(Option::unwrap)
        .collect();
    // CSV: physical lines (header is line 1); XLSX: data rows.
    assert_eq!(&rows[..3], [2, 3, 4]);
    assert_eq!(&rows[12..15], [1, 2, 3]);

    assert_eq!(loaded.inputs.len(), 2);
    for (input, path) in loaded.inputs.iter().zip(&paths) {
        assert_eq!(input.path, path.display().to_string());
        assert_eq!(
            input.sha256,
            hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
        );
    }
    assert_eq!(loaded.inputs[0].rows, 12);
    assert_eq!(loaded.inputs[1].rows, 18);
    assert_eq!(loaded.quality.rows, 30);
    assert_eq!(
        loaded.quality.files[0].encoding.as_deref(),
        Some("windows-1251")
    );
    assert_eq!(loaded.quality.files[0].delimiter.as_deref(), Some("';'"));
    assert_eq!(loaded.quality.files[0].columns["phone"], "Телефон");
    assert_eq!(loaded.quality.files[1].custom_columns, [CUSTOM_COLUMN]);
}

fn subdirectory(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    path
}

#[test]
fn duplicate_user_id_across_files_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_every_format(&sample_profiles(), dir.path());
    let paths: Vec<PathBuf> = files.iter().take(2).map(|f| f.path.clone()).collect();
    let message = load_error(&paths, &LoadSettings::default());
    assert!(
        message.contains("duplicate user_id \"100001\""),
        "{message}"
    );
    assert!(message.contains("export.csv, line 2"), "{message}");
    assert!(message.contains("export_1251.csv, line 2"), "{message}");
}

#[test]
fn frame_has_every_canonical_column_with_its_type_even_when_absent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thin.csv");
    std::fs::write(
        &path,
        "user_id,phone,Город\n1, 79161234567 ,Москва\n2,,  Тверь \n",
    )
    .unwrap();
    let loaded = load_exports(
        std::slice::from_ref(&path),
        &LoadSettings::default(),
        &Printer::silent(),
    )
    .unwrap();
    let frame = &loaded.frame;
    let names: Vec<&str> = frame
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    let mut expected_names: Vec<&str> = Field::NAMES.to_vec();
    expected_names.extend([SOURCE, SOURCE_ROW, "Город"]);
    assert_eq!(names, expected_names);
    for field in Field::ALL {
        let expected = match field {
            Field::BirthDate | Field::RegisterDate => DataType::Date,
            Field::Sex => DataType::Int32,
            Field::Points => DataType::Int64,
            _ => DataType::String,
        };
        assert_eq!(
            frame.column(field.name()).unwrap().dtype(),
            &expected,
            "{field}"
        );
    }
    assert_eq!(frame.column(SOURCE_ROW).unwrap().dtype(), &DataType::Int64);
    let phones: Vec<Option<&str>> = frame
        .column("phone")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(phones, [Some("79161234567"), None]);
    assert_eq!(frame.column("email").unwrap().null_count(), 2);
    // Custom columns are carried untouched.
    let cities: Vec<Option<&str>> = frame
        .column("Город")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(cities, [Some("Москва"), Some("  Тверь ")]);
}

#[test]
fn unreadable_values_are_counted_and_left_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dirty.csv");
    std::fs::write(
        &path,
        "user_id;phone;birth_date;sex;points;register_date\n\
         1;7916;31.02.1990;м;12,5;2020-01-01\n\
         2;7917;1990-02-03;?;7;вчера\n\
         3;7918;;;;\n",
    )
    .unwrap();
    let loaded = load_exports(
        std::slice::from_ref(&path),
        &LoadSettings::default(),
        &Printer::silent(),
    )
    .unwrap();
    let unparseable = &loaded.quality.unparseable;
    assert_eq!(unparseable["birth_date"].count, 1);
    assert_eq!(unparseable["birth_date"].examples[0].value, "31.02.1990");
    assert_eq!(unparseable["birth_date"].examples[0].location, "line 2");
    assert_eq!(unparseable["sex"].count, 1);
    assert_eq!(unparseable["points"].count, 1);
    assert_eq!(unparseable["register_date"].count, 1);
    let profiles = profiles_from_frame(&loaded.frame).unwrap();
    assert_eq!(profiles[0].birth_date, None);
    assert_eq!(profiles[0].sex.as_deref(), Some("1"));
    assert_eq!(profiles[0].points, None);
    assert_eq!(profiles[1].birth_date.as_deref(), Some("1990-02-03"));
    assert_eq!(profiles[1].points.as_deref(), Some("7"));
}

#[test]
fn map_overrides_header_recognition() {
    let settings = LoadSettings {
        map: BTreeMap::from([("phone".to_string(), "мобильный".to_string())]),
        ..LoadSettings::default()
    };
    let profiles = load_profiles(&[fixture("custom_phone_header.csv")], &settings).unwrap();
    assert_eq!(profiles[0].phone.as_deref(), Some("79161234567"));
    assert!(profiles[0].extra.is_empty());
}

#[test]
fn map_errors_list_what_exists() {
    let mut settings = LoadSettings {
        map: BTreeMap::from([("mobile".to_string(), "Мобильный".to_string())]),
        ..LoadSettings::default()
    };
    let message = load_error(&[fixture("custom_phone_header.csv")], &settings);
    assert!(
        message.contains("\"mobile\" is not a canonical field"),
        "{message}"
    );
    assert!(
        message.contains("user_id, origin_user_id, phone, email"),
        "{message}"
    );

    settings.map = BTreeMap::from([("phone".to_string(), "Сотовый".to_string())]);
    let message = load_error(&[fixture("custom_phone_header.csv")], &settings);
    assert!(message.contains("no column \"Сотовый\""), "{message}");
    assert!(
        message.contains("\"user_id\", \"Мобильный\", \"Имя\""),
        "{message}"
    );
}

#[test]
fn malformed_files_name_file_and_line() {
    for (name, expected) in MALFORMED {
        let message = load_error(&[fixture(name)], &LoadSettings::default());
        assert!(message.contains(expected), "{name}: {message}");
    }
}

/// Fixture → what the error must say (file and line where there is one).
const MALFORMED: [(&str, &str); 8] = [
    (
        "unterminated_quote.csv",
        "unterminated_quote.csv, line 4: a quoted field opens here and is never closed",
    ),
    (
        "wrong_field_count.csv",
        "wrong_field_count.csv, line 6: 3 fields where the header has 4",
    ),
    (
        "duplicate_user_id.csv",
        "duplicate_user_id.csv, line 2 and ",
    ),
    ("empty.csv", "empty.csv is empty"),
    (
        "header_only.csv",
        "header_only.csv has a header but no data rows",
    ),
    (
        "missing_user_id.csv",
        "missing_user_id.csv: no user_id column",
    ),
    (
        "no_identifier.csv",
        "no_identifier.csv: no identifier column",
    ),
    (
        "empty_user_id.csv",
        "empty_user_id.csv, line 3, column \"ID клиента\": user_id is empty",
    ),
];

fn bad_utf8_file(dir: &Path) -> PathBuf {
    let path = dir.join("bad_bytes.csv");
    let mut bytes = "user_id,phone,first_name\n1,79161234567,Анна\n2,79161234568,"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"\xCE\xEB\xE5\xE3\n"); // "Олег" in Windows-1251
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn undecodable_bytes_name_line_and_column_when_the_encoding_is_forced() {
    let dir = tempfile::tempdir().unwrap();
    let path = bad_utf8_file(dir.path());
    let settings = LoadSettings {
        encoding: Some("utf-8".to_string()),
        ..LoadSettings::default()
    };
    let message = load_error(std::slice::from_ref(&path), &settings);
    assert!(
        message.contains("bad_bytes.csv, line 3, column 15: byte 0xCE is not valid UTF-8"),
        "{message}"
    );
    // Left to detection, a file mixing UTF-8 and Windows-1251 is neither:
    // the error points at the same byte.
    let message = load_error(&[path], &LoadSettings::default());
    assert!(
        message.contains("bad_bytes.csv, line 3, column 15: byte 0xCE is not valid UTF-8, and the file does not read as windows-1251"),
        "{message}"
    );
}

/// A `plan` run, the files it left in its `--out` directory, and the
/// temporary directory that holds it.
struct PlanRun {
    output: Output,
    outputs: Vec<PathBuf>,
    temp: tempfile::TempDir,
}

/// `sailmerge plan FILE --out TEMP ARGS`, from the checkout (so that a
/// fixture's path in a message reads `tests/fixtures/...`).
fn run_plan(file: &Path, extra_args: &[&str]) -> PlanRun {
    let temp = tempfile::tempdir().unwrap();
    let out_dir = temp.path().join("out");
    let output = command(["plan"])
        .arg(file)
        .arg("--out")
        .arg(&out_dir)
        .args(extra_args)
        .current_dir(repo_path(""))
        .output()
        .unwrap();
    PlanRun {
        output,
        outputs: files_under(&out_dir),
        temp,
    }
}

/// Fixtures under `tests/fixtures/load` that are not malformed exports.
const NOT_MALFORMED: [&str; 3] = [
    "custom_phone_header.csv",
    "make_big_export.py",
    // polars aborts the process on it: its own ignored test in `inputs`.
    "negative_page_value_count.parquet",
];

/// Every malformed-export fixture, as a path from the checkout, sorted.
fn malformed_fixtures() -> Vec<PathBuf> {
    let root = repo_path("");
    let mut fixtures: Vec<PathBuf> = files_under(&repo_path(FIXTURES))
        .into_iter()
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            !NOT_MALFORMED.contains(&name)
        })
        .map(|path| path.strip_prefix(&root).unwrap().to_path_buf())
        .collect();
    fixtures.sort();
    fixtures
}

#[test]
fn plan_exits_2_naming_the_line_for_every_malformed_file() {
    let fixtures = malformed_fixtures();
    for (name, _) in MALFORMED {
        assert!(fixtures.contains(&Path::new(FIXTURES).join(name)), "{name}");
    }
    for fixture in fixtures {
        let run = run_plan(&fixture, &[]);
        let name = fixture.strip_prefix(FIXTURES).unwrap().to_str().unwrap();
        let message = stderr(&run.output);
        assert_eq!(run.output.status.code(), Some(2), "{name}: {message}");
        assert!(message.starts_with("error: "), "{name}: {message}");
        if let Some((_, expected)) = MALFORMED.iter().find(|(file, _)| *file == name) {
            assert!(message.contains(expected), "{name}: {message}");
        }
        assert!(run.outputs.is_empty(), "{name} left {:?}", run.outputs);
        let mut settings = snapshot_settings(run.temp.path());
        // Past this point a Parquet error is the reader's own words (a
        // panic message and its source line), which change with the polars
        // version and with debug assertions; what sailmerge promises is the
        // file named and the run refused.
        settings.add_filter(
            r"cannot read the Parquet file: [^\n]*(\n [^\n]*)*",
            "cannot read the Parquet file: [the reader's message]",
        );
        let command = format!("sailmerge plan {} --out [TEMP]/out", fixture.display());
        settings.bind(|| {
            insta::assert_snapshot!(
                format!("plan_{}", name.replace(['/', '.'], "_")),
                run_snapshot(&run.output),
                &command
            );
        });
    }
}

#[test]
fn plan_exits_2_on_forced_encoding_and_bad_map() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_plan(&bad_utf8_file(dir.path()), &["--encoding", "utf-8"]);
    assert_eq!(run.output.status.code(), Some(2), "{}", text(&run.output));
    assert!(
        stderr(&run.output).contains("line 3, column 15"),
        "{}",
        text(&run.output)
    );

    let run = run_plan(
        &fixture("custom_phone_header.csv"),
        &["--map", "phone=Сотовый"],
    );
    assert_eq!(run.output.status.code(), Some(2), "{}", text(&run.output));
    assert!(
        stderr(&run.output).contains("no column \"Сотовый\""),
        "{}",
        text(&run.output)
    );
    assert!(run.outputs.is_empty());
}
