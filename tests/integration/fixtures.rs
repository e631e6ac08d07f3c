//! Fixture builders shared by the integration tests: one list of profiles
//! written as every export format `load` reads, each in the dialect real
//! exports use (API or Russian admin-panel headers, `;` and Windows-1251
//! from Excel, numbers stored as numbers in XLSX and Parquet, dates as date
//! cells). Loading any of the files must give back exactly the profiles.

#![allow(dead_code)] // each test module uses a different subset

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::{
    Column, DataFrame, Int32Chunked, IntoColumn, IntoSeries, NamedFrom, NewChunkedArray,
    ParquetWriter, Series,
};
use sailmerge::profile::{Field, Profile};

/// The custom column every fixture carries, to check it survives as
/// `Profile::extra`.
pub const CUSTOM_COLUMN: &str = "Уровень карты";

/// 30 profiles with Cyrillic names, some fields empty, some values that
/// need quoting (a delimiter, a quote), ё in names.
pub fn sample_profiles() -> Vec<Profile> {
    const FIRST: [&str; 10] = [
        "Анна",
        "Пётр",
        "Алёна",
        "Сергей",
        "Мария",
        "Фёдор",
        "Ольга",
        "Иван",
        "Дарья",
        "Артём",
    ];
    const MIDDLE: [&str; 5] = ["Ивановна", "Петрович", "Сергеевна", "Андреевич", "Олеговна"];
    const LAST: [&str; 6] = [
        "Смирнова",
        "Кузнецов",
        "Щербакова",
        "Соловьёв",
        "Иванова",
        "Попов",
    ];
    const TIERS: [&str; 3] = ["Золото", "Серебро", "ТЦ \"Мега\"; Москва, ул. Ленина"];
    (0..30u32)
        .map(|i| {
            let mut extra = BTreeMap::new();
            if i % 4 != 3 {
                extra.insert(
                    CUSTOM_COLUMN.to_string(),
                    TIERS[(i % 3) as usize].to_string(),
                );
            }
            Profile {
                user_id: (100_001 + i * 7).to_string().into(),
                origin_user_id: (i % 3 == 0).then(|| format!("CRM-{:04}", i * 11)),
                phone: (i % 5 != 4).then(|| format!("7916{:07}", 1_234_567 + i * 1_013)),
                email: (i % 4 != 1).then(|| format!("client{i}@example.ru")),
                first_name: (i != 7).then(|| FIRST[(i % 10) as usize].to_string()),
                middle_name: (i % 3 != 2).then(|| MIDDLE[(i % 5) as usize].to_string()),
                last_name: Some(LAST[(i % 6) as usize].to_string()),
                birth_date: (i % 6 != 5)
                    .then(|| format!("{:04}-{:02}-{:02}", 1960 + i, 1 + i % 12, 1 + (i * 3) % 28)),
                sex: (i % 7 != 6).then(|| if i % 2 == 0 { "2" } else { "1" }.to_string()),
                register_date: (i % 8 != 7).then(|| {
                    format!(
                        "{:04}-{:02}-{:02}",
                        2015 + i % 9,
                        1 + (i * 5) % 12,
                        1 + (i * 7) % 28
                    )
                }),
                points: (i % 5 != 2).then(|| (i * 37 % 1500).to_string()),
                extra,
            }
        })
        .collect()
}

/// One fixture file and what it exercises.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub label: &'static str,
    pub path: PathBuf,
}

/// Writes `profiles` into `dir` in every format and dialect; returns the
/// files written.
pub fn write_every_format(profiles: &[Profile], dir: &Path) -> Vec<ExportFile> {
    let files = [
        (
            "comma CSV, UTF-8, API headers",
            "export.csv",
            write_api_csv as fn(&[Profile], &Path),
        ),
        (
            "semicolon CSV, Windows-1251, Russian headers",
            "export_1251.csv",
            write_windows_1251_csv,
        ),
        (
            "semicolon CSV, UTF-8 with BOM, Russian headers",
            "export_bom.csv",
            write_bom_csv,
        ),
        (
            "TSV, header variants in reverse order",
            "export.tsv",
            write_tsv,
        ),
        ("XLSX, numbers and date cells", "export.xlsx", write_xlsx),
        ("Parquet, typed columns", "export.parquet", write_parquet),
        ("NDJSON, numbers as numbers", "export.ndjson", write_ndjson),
        ("JSON array", "export.json", write_json_array),
    ];
    files
        .into_iter()
        .map(|(label, name, write)| {
            let path = dir.join(name);
            write(profiles, &path);
            ExportFile { label, path }
        })
        .collect()
}

const API_HEADERS: [&str; 11] = Field::NAMES;

const RUSSIAN_HEADERS: [&str; 11] = [
    "ID клиента",
    "Внешний ID",
    "Телефон",
    "Почта",
    "Имя",
    "Отчество",
    "Фамилия",
    "Дата рождения",
    "Пол",
    "Дата регистрации",
    "Баллы",
];

const VARIANT_HEADERS: [&str; 11] = [
    "User ID",
    "Origin User ID",
    "Номер телефона",
    "E-mail",
    "First Name",
    "Middle name",
    "LAST_NAME",
    "Дата рождения",
    "Gender",
    "Дата рег.",
    "БАЛЛЫ",
];

/// The canonical values of a profile in `Field::ALL` order.
fn canonical_values(profile: &Profile) -> [Option<&str>; 11] {
    Field::ALL.map(|field| profile.get(field))
}

fn custom_value(profile: &Profile) -> &str {
    profile.extra.get(CUSTOM_COLUMN).map_or("", String::as_str)
}

/// `YYYY-MM-DD` → (year, month, day).
fn ymd(date: &str) -> (i32, u32, u32) {
    let parts: Vec<&str> = date.split('-').collect();
    (
        parts[0].parse().unwrap(),
        parts[1].parse().unwrap(),
        parts[2].parse().unwrap(),
    )
}

/// Rewrites the dialect-dependent fields of one row of text cells.
fn text_row(
    profile: &Profile,
    date: fn(&str) -> String,
    sex: fn(&str) -> String,
    points: fn(&str) -> String,
) -> Vec<String> {
    let values = canonical_values(profile);
    let mut row: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let Some(value) = value else {
                return String::new();
            };
            match API_HEADERS[index] {
                "birth_date" | "register_date" => date(value),
                "sex" => sex(value),
                "points" => points(value),
                _ => value.to_string(),
            }
        })
        .collect();
    row.push(custom_value(profile).to_string());
    row
}

fn write_delimited(path: &Path, delimiter: u8, headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    let mut header: Vec<&str> = headers.to_vec();
    header.push(CUSTOM_COLUMN);
    writer.write_record(&header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    let bytes = writer.into_inner().unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn write_api_csv(profiles: &[Profile], path: &Path) {
    let rows: Vec<Vec<String>> = profiles
        .iter()
        .map(|p| text_row(p, |d| d.to_string(), |s| s.to_string(), |n| n.to_string()))
        .collect();
    write_delimited(path, b',', &API_HEADERS, &rows);
}

fn russian_rows(profiles: &[Profile]) -> Vec<Vec<String>> {
    profiles
        .iter()
        .map(|profile| {
            let mut row = text_row(
                profile,
                |d| {
                    let (y, m, day) = ymd(d);
                    format!("{day:02}.{m:02}.{y}")
                },
                |s| if s == "1" { "м" } else { "Ж" }.to_string(),
                |n| format!("{n},00"),
            );
            // Admin-panel exports pad names; load trims canonical text.
            row[4] = if row[4].is_empty() {
                String::new()
            } else {
                format!(" {} ", row[4])
            };
            row
        })
        .collect()
}

fn write_windows_1251_csv(profiles: &[Profile], path: &Path) {
    let utf8 = write_delimited(path, b';', &RUSSIAN_HEADERS, &russian_rows(profiles));
    let text = String::from_utf8(utf8).unwrap();
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&text);
    assert!(
        !unmappable,
        "fixture text must be representable in Windows-1251"
    );
    std::fs::write(path, bytes).unwrap();
}

fn write_bom_csv(profiles: &[Profile], path: &Path) {
    let utf8 = write_delimited(path, b';', &RUSSIAN_HEADERS, &russian_rows(profiles));
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(&utf8);
    // Excel writes CRLF.
    let text = String::from_utf8(bytes).unwrap().replace('\n', "\r\n");
    std::fs::write(path, text).unwrap();
}

fn write_tsv(profiles: &[Profile], path: &Path) {
    let rows: Vec<Vec<String>> = profiles
        .iter()
        .map(|profile| {
            let mut row = text_row(
                profile,
                |d| {
                    let (y, m, day) = ymd(d);
                    format!("{day:02}/{m:02}/{y} 00:00:00")
                },
                |s| if s == "1" { "male" } else { "Female" }.to_string(),
                |n| format!("{n}.0"),
            );
            row.reverse();
            row
        })
        .collect();
    let mut headers: Vec<&str> = VARIANT_HEADERS.to_vec();
    headers.push(CUSTOM_COLUMN);
    headers.reverse();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .from_writer(Vec::new());
    writer.write_record(&headers).unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    std::fs::write(path, writer.into_inner().unwrap()).unwrap();
}

fn write_xlsx(profiles: &[Profile], path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = Format::new().set_num_format("dd.mm.yyyy");
    for (column, header) in RUSSIAN_HEADERS.iter().chain([&CUSTOM_COLUMN]).enumerate() {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    for (index, profile) in profiles.iter().enumerate() {
        let row = index as u32 + 1;
        for (column, value) in canonical_values(profile).iter().enumerate() {
            let Some(value) = value else { continue };
            let column_number = column as u16;
            match API_HEADERS[column] {
                "user_id" | "phone" | "sex" | "points" => {
                    sheet
                        .write_number(row, column_number, value.parse::<f64>().unwrap())
                        .unwrap();
                }
                "birth_date" | "register_date" => {
                    let (y, m, d) = ymd(value);
                    let date = ExcelDateTime::from_ymd(y as u16, m as u8, d as u8).unwrap();
                    sheet
                        .write_datetime_with_format(row, column_number, &date, &date_format)
                        .unwrap();
                }
                _ => {
                    sheet.write_string(row, column_number, *value).unwrap();
                }
            }
        }
        if let Some(tier) = profile.extra.get(CUSTOM_COLUMN) {
            sheet.write_string(row, 11, tier).unwrap();
        }
    }
    workbook.save(path).unwrap();
}

fn write_parquet(profiles: &[Profile], path: &Path) {
    let text = |field: &str| -> Column {
        Series::new(
            field.into(),
            profiles
                .iter()
                .map(|p| p.value_of(field))
                .collect::<Vec<_>>(),
        )
        .into_column()
    };
    let integer = |field: &str| -> Column {
        let values: Vec<Option<i64>> = profiles
            .iter()
            .map(|p| p.value_of(field).map(|v| v.parse().unwrap()))
            .collect();
        Series::new(field.into(), values).into_column()
    };
    let date = |field: &str| -> Column {
        let days: Vec<Option<i32>> = profiles
            .iter()
            .map(|p| {
                p.value_of(field).map(|value| {
                    let (y, m, d) = ymd(value);
                    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
                    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
                })
            })
            .collect();
        Int32Chunked::from_iter_options(field.into(), days.into_iter())
            .into_date()
            .into_series()
            .into_column()
    };
    let sex: Vec<Option<i32>> = profiles
        .iter()
        .map(|p| p.sex.as_deref().map(|s| s.parse().unwrap()))
        .collect();
    let points: Vec<Option<f64>> = profiles
        .iter()
        .map(|p| p.points.as_deref().map(|s| s.parse().unwrap()))
        .collect();
    let custom: Vec<Option<&str>> = profiles
        .iter()
        .map(|p| p.extra.get(CUSTOM_COLUMN).map(String::as_str))
        .collect();
    let columns = vec![
        integer("user_id"),
        text("origin_user_id"),
        integer("phone"),
        text("email"),
        text("first_name"),
        text("middle_name"),
        text("last_name"),
        date("birth_date"),
        Series::new("sex".into(), sex).into_column(),
        date("register_date"),
        Series::new("points".into(), points).into_column(),
        Series::new(CUSTOM_COLUMN.into(), custom).into_column(),
    ];
    let mut frame = DataFrame::new(profiles.len(), columns).unwrap();
    ParquetWriter::new(File::create(path).unwrap())
        .finish(&mut frame)
        .unwrap();
}

/// A profile as a JSON object: ids, phone, sex and points as numbers.
fn json_object(profile: &Profile, date: fn(&str) -> String) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for (field, value) in API_HEADERS.iter().zip(canonical_values(profile)) {
        let json = match (*field, value) {
            (_, None) => serde_json::Value::Null,
            ("user_id" | "phone" | "sex" | "points", Some(value)) => {
                serde_json::Value::from(value.parse::<i64>().unwrap())
            }
            ("birth_date" | "register_date", Some(value)) => serde_json::Value::from(date(value)),
            (_, Some(value)) => serde_json::Value::from(value),
        };
        object.insert(field.to_string(), json);
    }
    if let Some(tier) = profile.extra.get(CUSTOM_COLUMN) {
        object.insert(
            CUSTOM_COLUMN.to_string(),
            serde_json::Value::from(tier.as_str()),
        );
    }
    serde_json::Value::Object(object)
}

fn write_ndjson(profiles: &[Profile], path: &Path) {
    let mut file = File::create(path).unwrap();
    for profile in profiles {
        let object = json_object(profile, |d| format!("{d}T00:00:00"));
        writeln!(file, "{object}").unwrap();
    }
}

fn write_json_array(profiles: &[Profile], path: &Path) {
    let objects: Vec<serde_json::Value> = profiles
        .iter()
        .map(|profile| json_object(profile, |d| d.replace('-', "")))
        .collect();
    std::fs::write(path, serde_json::to_string_pretty(&objects).unwrap()).unwrap();
}
