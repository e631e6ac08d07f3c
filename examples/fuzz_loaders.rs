//! A mutation fuzzer for the loaders and the normalisers, run by
//! `scripts/fuzz_loaders.sh`.
//!
//! `cargo fuzz` needs a nightly compiler and a sanitizer-instrumented
//! build of polars, which this project's machines cannot afford; this
//! harness instead drives the same code in-process, as `plan` does, with
//! inputs made three ways: byte-level mutations (flips, interesting bytes
//! and integers, splices, repeats, truncation) of seed exports in every
//! format; structure-aware exports (a random frame written as Parquet, a
//! random sheet written as XLSX, random CSV text with hostile cells); and
//! the mutated inputs that gave an outcome not seen before, kept as new
//! seeds (a cheap stand-in for coverage feedback). Every input that loads
//! goes on through `profiles_from_frame` and `normalize_profiles`, and
//! slices of it go straight into the phone, e-mail, name and date
//! normalisers.
//!
//! A panic is a finding: its input is saved under `OUT/crashes/` with the
//! panic's message beside it, once per panic location. A panic of polars
//! or calamine that the loader caught and reported as an error is saved
//! too (`caught-*`), once per location, for regression tests. A single input that
//! runs for more than `--hang-seconds` is saved as a hang and the process
//! exits with status 3. The input being run is mirrored to
//! `OUT/in-flight.*` so that the script can keep an input that killed the
//! process (an allocation failure under its memory limit). Each run keeps
//! its totals in `OUT/runs/SEED.json`, rewritten every minute so that a
//! run that dies still counts; `--summary` adds them up.
//!
//! Usage: `fuzz_loaders --out DIR --seconds N [--seed S] [--hang-seconds H]`
//! or `fuzz_loaders --out DIR --summary`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use polars::prelude::*;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use sailmerge::load::{load_export_bytes, profiles_from_frame, values};
use sailmerge::normalize::{self, normalize_email, normalize_name, normalize_phone};
use sailmerge::printer::Printer;
use sailmerge::settings::load::LoadSettings;
use sha2::{Digest, Sha256};

/// Inputs larger than this are cut: the loaders are linear, and big inputs
/// only slow the search down.
const MAX_INPUT: usize = 1 << 20;
/// Seeds kept for giving a new outcome, at most.
const MAX_CORPUS: usize = 4000;

struct Options {
    out: PathBuf,
    seconds: u64,
    seed: u64,
    hang_seconds: u64,
    summary: bool,
}

fn parse_options() -> Options {
    let mut options = Options {
        out: PathBuf::from("target/fuzz-loaders"),
        seconds: 60,
        seed: 0,
        hang_seconds: 30,
        summary: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--out" => options.out = PathBuf::from(value()),
            "--seconds" => {
                options.seconds = value().parse().unwrap_or_else(|_| usage("--seconds N"))
            }
            "--seed" => options.seed = value().parse().unwrap_or_else(|_| usage("--seed N")),
            "--hang-seconds" => {
                options.hang_seconds = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--hang-seconds N"))
            }
            "--summary" => options.summary = true,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    options
}

fn usage(problem: &str) -> ! {
    eprintln!("fuzz_loaders: {problem}");
    eprintln!(
        "usage: fuzz_loaders --out DIR --seconds N [--seed S] [--hang-seconds H] | --out DIR --summary"
    );
    std::process::exit(2);
}

/// One input: its bytes and the file name the loader sees (the extension
/// picks the reader when the content does not).
#[derive(Clone)]
struct Input {
    name: String,
    bytes: Vec<u8>,
}

/// What the panic hook saw last, for the finding's report.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() {
    let options = parse_options();
    if options.summary {
        summarise(&options.out);
        return;
    }
    let crashes = options.out.join("crashes");
    std::fs::create_dir_all(&crashes).expect("cannot create the output directory");
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        *LAST_PANIC.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(format!("{message} @ {location}"));
    }));

    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut corpus = seed_inputs(&mut rng);
    let seeds = corpus.len();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);

    // The watchdog sees the input in flight and when it started.
    let in_flight: Arc<Mutex<Input>> = Arc::new(Mutex::new(corpus[0].clone()));
    let run_started = Arc::new(AtomicU64::new(0));
    spawn_watchdog(
        &options,
        started,
        Arc::clone(&in_flight),
        Arc::clone(&run_started),
    );

    let mut stats = Stats::default();
    let mut outcomes: HashSet<String> = HashSet::new();
    let mut panic_sites: HashSet<String> = known_panic_sites(&crashes);
    let mut last_report = Instant::now();
    while Instant::now() < deadline {
        let input = next_input(&mut rng, &corpus);
        write_in_flight(&options.out, &input);
        *in_flight.lock().unwrap_or_else(|p| p.into_inner()) = input.clone();
        run_started.store(started.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| exercise(&input, &mut rng)));
        run_started.store(0, Ordering::SeqCst);
        stats.executions += 1;
        match outcome {
            Ok(outcome) => {
                *stats.outcomes.entry(outcome.kind.clone()).or_default() += 1;
                if let Some(message) = &outcome.caught_dependency_panic {
                    stats.caught_dependency_panics += 1;
                    // Handled, but worth a regression test: kept once per
                    // place the dependency panicked.
                    let site = message
                        .rsplit("(at ")
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if panic_sites.insert(format!("caught {site}")) {
                        save_finding(
                            &crashes,
                            "caught",
                            &input,
                            &format!("{message} @ caught {site}"),
                        );
                    }
                }
                if outcomes.insert(outcome.signature) && corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                }
            }
            Err(_) => {
                stats.panics += 1;
                let message = LAST_PANIC
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .unwrap_or_default();
                let site = message.rsplit(" @ ").next().unwrap_or_default().to_string();
                if panic_sites.insert(site) {
                    stats.new_panic_sites += 1;
                    save_finding(&crashes, "panic", &input, &message);
                    eprintln!("fuzz_loaders: PANIC {message} (input {})", input.name);
                }
            }
        }
        if last_report.elapsed() >= Duration::from_secs(60) {
            write_stats(&options, &stats, started, seeds, corpus.len());
            eprintln!(
                "fuzz_loaders: {:.0} s, {} executions ({:.0}/s), {} panics, corpus {}",
                started.elapsed().as_secs_f64(),
                stats.executions,
                stats.executions as f64 / started.elapsed().as_secs_f64(),
                stats.panics,
                corpus.len()
            );
            last_report = Instant::now();
        }
    }
    let line = write_stats(&options, &stats, started, seeds, corpus.len());
    eprintln!("fuzz_loaders: {line}");
}

/// Rewrites this run's totals in `OUT/runs/SEED.json`; returns them.
fn write_stats(
    options: &Options,
    stats: &Stats,
    started: Instant,
    seeds: usize,
    corpus: usize,
) -> String {
    let mut line = String::new();
    let _ = write!(
        line,
        "{{\"seed\":{},\"seconds\":{:.1},\"executions\":{},\"panics\":{},\"new_panic_sites\":{},\"caught_dependency_panics\":{},\"seeds\":{seeds},\"corpus\":{corpus},\"outcomes\":{}}}",
        options.seed,
        started.elapsed().as_secs_f64(),
        stats.executions,
        stats.panics,
        stats.new_panic_sites,
        stats.caught_dependency_panics,
        serde_json::to_string(&stats.outcomes).unwrap_or_default()
    );
    let runs = options.out.join("runs");
    let _ = std::fs::create_dir_all(&runs);
    let _ = std::fs::write(runs.join(format!("{}.json", options.seed)), &line);
    line
}

#[derive(Default)]
struct Stats {
    executions: u64,
    panics: u64,
    new_panic_sites: u64,
    caught_dependency_panics: u64,
    outcomes: BTreeMap<String, u64>,
}

struct Outcome {
    /// `ok` or the error's kind, for the totals.
    kind: String,
    /// The outcome with numbers and quoted values blanked: a new one keeps
    /// its input as a seed.
    signature: String,
    /// The loader turned a panic of a dependency into this error.
    caught_dependency_panic: Option<String>,
}

/// One execution: the load, then the normalisers on what it gave, then the
/// value parsers and normalisers on slices of the raw input.
fn exercise(input: &Input, rng: &mut ChaCha8Rng) -> Outcome {
    let settings = LoadSettings::default();
    let printer = Printer::silent();
    let loaded = load_export_bytes(Path::new(&input.name), &input.bytes, &settings, &printer);
    let outcome = match loaded {
        Ok(loaded) => {
            let profiles =
                profiles_from_frame(&loaded.frame).expect("a loaded frame gives profiles");
            let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("a valid date");
            let (records, _) = normalize::normalize_profiles_as_of(&profiles, &printer, today);
            assert_eq!(records.len(), profiles.len());
            Outcome {
                kind: "ok".to_string(),
                signature: format!("ok {} columns", loaded.frame.width().min(64)),
                caught_dependency_panic: None,
            }
        }
        Err(error) => {
            let message = format!("{error:#}");
            let caught = message
                .contains("the reader failed")
                .then(|| message.clone());
            Outcome {
                kind: message
                    .split([':', ','])
                    .nth(1)
                    .map(|part| blank_values(part).trim().chars().take(40).collect())
                    .unwrap_or_default(),
                signature: blank_values(&message).chars().take(120).collect(),
                caught_dependency_panic: caught,
            }
        }
    };
    let text = String::from_utf8_lossy(&input.bytes);
    for _ in 0..3 {
        let piece = random_slice(&text, rng);
        let _ = normalize_phone(piece);
        let _ = normalize_email(piece);
        let _ = values::parse_date(piece);
        let _ = values::parse_points(piece);
        let _ = values::parse_sex(piece);
        let _ = normalize::date::parse_date(piece);
        let mut parts = piece.splitn(3, [' ', ';', ',']);
        let _ = normalize_name(parts.next(), parts.next(), parts.next());
    }
    outcome
}

/// Digits and quoted values out of an error message, so that messages that
/// differ only in a line number or a value count as one outcome.
fn blank_values(message: &str) -> String {
    let mut blanked = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                blanked.push('"');
            }
            _ if quoted => {}
            '0'..='9' => {
                if !blanked.ends_with('#') {
                    blanked.push('#');
                }
            }
            other => blanked.push(other),
        }
    }
    blanked
}

fn random_slice<'a>(text: &'a str, rng: &mut ChaCha8Rng) -> &'a str {
    if text.is_empty() {
        return text;
    }
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    let start = boundaries[rng.random_range(0..boundaries.len())];
    let end_candidates: Vec<usize> = boundaries
        .iter()
        .copied()
        .filter(|&end| end >= start && end <= start + 64)
        .collect();
    let end = end_candidates[rng.random_range(0..end_candidates.len())];
    &text[start..end]
}

fn next_input(rng: &mut ChaCha8Rng, corpus: &[Input]) -> Input {
    match rng.random_range(0..20) {
        0 => random_parquet(rng),
        1 => random_xlsx(rng),
        2 | 3 => random_csv(rng),
        _ => {
            let mut input = corpus[rng.random_range(0..corpus.len())].clone();
            let mutations = 1 + rng.random_range(0..6) * rng.random_range(0..3);
            for _ in 0..mutations {
                mutate(&mut input.bytes, rng, corpus);
            }
            input.bytes.truncate(MAX_INPUT);
            if rng.random_ratio(1, 10) {
                input.name = format!("fuzz.{}", random_extension(rng));
            }
            input
        }
    }
}

fn random_extension(rng: &mut ChaCha8Rng) -> &'static str {
    [
        "csv", "tsv", "txt", "json", "ndjson", "xlsx", "xls", "ods", "parquet", "",
    ][rng.random_range(0..10)]
}

/// Bytes that matter to some reader: quotes, delimiters, line ends, JSON
/// brackets, NUL, high bytes, UTF-8 lead bytes.
const INTERESTING_BYTES: &[u8] = b"\"';,\t|\n\r{}[]:\\\x00\xff\x80\xd0\xd1\xef\xbb\xbf\xfe PK<>/=&";

/// Text that matters to some parser or normaliser.
const INTERESTING_TEXT: &[&str] = &[
    "\"\"",
    "\r\n",
    "\u{feff}",
    "\u{202e}",
    "\u{2066}",
    "\u{1b}[31m",
    "ё",
    "Ё",
    "\u{301}",
    "ǅ",
    "ß",
    "İ",
    "Ⅻ",
    "👨‍👩‍👧",
    "=HYPERLINK(\"x\")",
    "+7 (916) 123-45-67",
    "8-800",
    "@",
    "@@",
    "a@b",
    ".@.",
    "оглы",
    "кызы",
    "Иванович",
    "-",
    "—",
    "1e309",
    "-0",
    "99999999999999999999",
    "31.02.1990",
    "0000-00-00",
    "29.02.2000",
    "1900-01-01",
    "NaN",
    "null",
    "true",
    "\\u0000",
    "\\ud800",
    "<c r=\"XFD1048576\"><v>1</v></c>",
    "<row r=\"1048576\">",
    "t=\"s\"",
    "t=\"e\"",
    "t=\"d\"",
    "table:number-columns-repeated=\"16384\"",
];

fn mutate(bytes: &mut Vec<u8>, rng: &mut ChaCha8Rng, corpus: &[Input]) {
    let len = bytes.len();
    let at = |rng: &mut ChaCha8Rng| {
        if len == 0 {
            0
        } else {
            rng.random_range(0..len)
        }
    };
    match rng.random_range(0..14) {
        0 if len > 0 => {
            let i = at(rng);
            bytes[i] ^= 1 << rng.random_range(0..8);
        }
        1 if len > 0 => {
            let i = at(rng);
            bytes[i] = INTERESTING_BYTES[rng.random_range(0..INTERESTING_BYTES.len())];
        }
        2 => {
            let i = at(rng);
            let text = INTERESTING_TEXT[rng.random_range(0..INTERESTING_TEXT.len())];
            bytes.splice(i..i, text.bytes());
        }
        3 if len > 1 => {
            let start = at(rng);
            let end = (start + rng.random_range(1..64)).min(len);
            bytes.drain(start..end);
        }
        4 if len > 1 => {
            let start = at(rng);
            let end = (start + rng.random_range(1..256)).min(len);
            let chunk = bytes[start..end].to_vec();
            let times = [1, 2, 16, 256][rng.random_range(0..4)];
            let insert = at(rng);
            for _ in 0..times {
                bytes.splice(insert..insert, chunk.iter().copied());
            }
        }
        5 if len > 4 => {
            // An integer in a binary header or length field.
            let i = rng.random_range(0..len - 3);
            let value: u32 = [
                0,
                1,
                0x7f,
                0xff,
                0xffff,
                0x7fff_ffff,
                0xffff_ffff,
                0x8000_0000,
            ][rng.random_range(0..8)];
            bytes[i..i + 4].copy_from_slice(&value.to_le_bytes());
        }
        6 if len > 8 => {
            // The tail: Parquet's footer length and metadata live there.
            let i = len - 1 - rng.random_range(0..len.min(512));
            bytes[i] = rng.random();
        }
        7 if len > 0 => {
            let cut = at(rng);
            bytes.truncate(cut);
        }
        8 => {
            let other = &corpus[rng.random_range(0..corpus.len())].bytes;
            if !other.is_empty() {
                let start = rng.random_range(0..other.len());
                let end = (start + rng.random_range(1..512)).min(other.len());
                let i = at(rng);
                bytes.splice(i..i, other[start..end].iter().copied());
            }
        }
        9 if len > 0 => {
            let i = at(rng);
            let count = rng.random_range(1..32);
            for b in bytes.iter_mut().skip(i).take(count) {
                *b = rng.random();
            }
        }
        10 if len > 0 => {
            // Digits: ids, phones, dates, lengths written as text.
            let i = at(rng);
            bytes[i] = b'0' + rng.random_range(0..10);
        }
        _ => {
            let i = at(rng);
            let count = rng.random_range(1..8);
            let random: Vec<u8> = (0..count).map(|_| rng.random()).collect();
            bytes.splice(i..i, random);
        }
    }
}

/// A value of the kind exports hold, or a hostile one.
fn random_cell(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..12) {
        0 => String::new(),
        1 => format!("7916{:07}", rng.random_range(0..10_000_000)),
        2 => format!("user{}@mail.ru", rng.random_range(0..1000)),
        3 => [
            "Анна",
            "Пётр",
            "Иванова",
            "Сергеевич",
            "Мамед оглы",
            "Ким",
            "Natalia",
        ][rng.random_range(0..7)]
        .to_string(),
        4 => format!(
            "{:02}.{:02}.{}",
            rng.random_range(0..40),
            rng.random_range(0..14),
            rng.random_range(1800..2100)
        ),
        5 => INTERESTING_TEXT[rng.random_range(0..INTERESTING_TEXT.len())].to_string(),
        6 => rng.random_range(-5..5i64).to_string(),
        7 => {
            let len = rng.random_range(0..40);
            (0..len)
                .map(|_| char::from_u32(rng.random_range(0..0x3_0000)).unwrap_or('?'))
                .collect()
        }
        8 => "Иванова Мария Петровна".to_string(),
        9 => format!("{}", rng.random::<f64>() * 1e12),
        _ => ["м", "ж", "1", "2", "female", "Муж."][rng.random_range(0..6)].to_string(),
    }
}

fn random_header(rng: &mut ChaCha8Rng, index: usize) -> String {
    const HEADERS: &[&str] = &[
        "user_id",
        "ID клиента",
        "phone",
        "Телефон",
        "email",
        "ФИО",
        "Имя",
        "Фамилия",
        "Отчество",
        "Дата рождения",
        "Пол",
        "points",
        "origin_user_id",
        "register_date",
        "Город",
        "",
        "source",
    ];
    if index == 0 && rng.random_ratio(9, 10) {
        return "user_id".to_string();
    }
    if index == 1 && rng.random_ratio(9, 10) {
        return "phone".to_string();
    }
    if rng.random_ratio(1, 8) {
        return random_cell(rng);
    }
    HEADERS[rng.random_range(0..HEADERS.len())].to_string()
}

fn random_csv(rng: &mut ChaCha8Rng) -> Input {
    let columns = rng.random_range(1..12);
    let delimiter = [',', ';', '\t', '|'][rng.random_range(0..4)];
    let mut text = String::new();
    for row in 0..rng.random_range(1..30) {
        let cells: Vec<String> = (0..columns)
            .map(|column| {
                let cell = if row == 0 {
                    random_header(rng, column)
                } else if column == 0 && rng.random_ratio(9, 10) {
                    (row + rng.random_range(0..3)).to_string()
                } else {
                    random_cell(rng)
                };
                if rng.random_ratio(1, 3) || cell.contains([delimiter, '"', '\n', '\r']) {
                    format!("\"{}\"", cell.replace('"', "\"\""))
                } else {
                    cell
                }
            })
            .collect();
        text.push_str(&cells.join(&delimiter.to_string()));
        text.push_str(if rng.random_ratio(1, 4) { "\r\n" } else { "\n" });
    }
    let bytes = match rng.random_range(0..6) {
        0 => encoding_rs::WINDOWS_1251.encode(&text).0.into_owned(),
        1 => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        2 => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        _ => text.into_bytes(),
    };
    Input {
        name: format!("random.{}", ["csv", "txt", "tsv"][rng.random_range(0..3)]),
        bytes,
    }
}

fn random_parquet(rng: &mut ChaCha8Rng) -> Input {
    let height = rng.random_range(1..20);
    let width = rng.random_range(1..8);
    let mut columns: Vec<Column> = Vec::new();
    let mut names = HashSet::new();
    for index in 0..width {
        let mut name = random_header(rng, index);
        while !names.insert(name.clone()) {
            name.push('_');
        }
        let column = match rng.random_range(0..7) {
            0 => Series::new(
                name.as_str().into(),
                (0..height)
                    .map(|_| rng.random_range(-3..1_000i64))
                    .collect::<Vec<_>>(),
            ),
            1 => Series::new(
                name.as_str().into(),
                (0..height)
                    .map(|_| rng.random_ratio(3, 4).then(|| rng.random::<f64>() * 1e11))
                    .collect::<Vec<_>>(),
            ),
            2 => Series::new(
                name.as_str().into(),
                (0..height)
                    .map(|_| rng.random::<bool>())
                    .collect::<Vec<_>>(),
            ),
            3 => Int32Chunked::from_vec(
                name.as_str().into(),
                (0..height)
                    .map(|_| rng.random_range(-40_000..40_000))
                    .collect(),
            )
            .into_date()
            .into_series(),
            4 => Series::new(
                name.as_str().into(),
                (0..height)
                    .map(|_| rng.random_range(0..1_000_000i64))
                    .collect::<Vec<_>>(),
            )
            .cast(&DataType::Decimal(18, 2))
            .unwrap_or_else(|_| Series::new_null(name.as_str().into(), height)),
            5 => Series::new_null(name.as_str().into(), height),
            _ => Series::new(
                name.as_str().into(),
                (0..height)
                    .map(|row| {
                        if index == 0 {
                            Some(format!("{row}"))
                        } else {
                            rng.random_ratio(4, 5).then(|| random_cell(rng))
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        columns.push(column.into_column());
    }
    let mut bytes = Vec::new();
    if let Ok(mut frame) = DataFrame::new(height, columns) {
        let _ = ParquetWriter::new(&mut bytes).finish(&mut frame);
    }
    Input {
        name: "random.parquet".to_string(),
        bytes,
    }
}

fn random_xlsx(rng: &mut ChaCha8Rng) -> Input {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let width = rng.random_range(1..8u16);
    for row in 0..rng.random_range(1..20u32) {
        for column in 0..width {
            let (row, column) = if rng.random_ratio(1, 200) {
                (rng.random_range(0..1_048_576), rng.random_range(0..16_384))
            } else {
                (row, column)
            };
            let _ = match rng.random_range(0..5) {
                0 => sheet.write_number(row, column, rng.random::<f64>() * 1e11),
                1 => sheet.write_boolean(row, column, rng.random()),
                2 => sheet.write_number(row, column, rng.random_range(0..3000) as f64),
                _ if row == 0 => {
                    sheet.write_string(row, column, random_header(rng, column as usize))
                }
                _ => sheet.write_string(row, column, random_cell(rng)),
            };
        }
    }
    Input {
        name: "random.xlsx".to_string(),
        bytes: workbook.save_to_buffer().unwrap_or_default(),
    }
}

/// A small export in each format and dialect, plus the repository's load
/// fixtures and anything in `OUT/corpus/`.
fn seed_inputs(rng: &mut ChaCha8Rng) -> Vec<Input> {
    let mut seeds = Vec::new();
    let csv = "user_id,phone,email,first_name,middle_name,last_name,birth_date,sex,register_date,points,Город\n\
        1,79161234567,anna@mail.ru,Анна,Ивановна,Смирнова,1990-03-07,2,2020-01-01,120,Москва\n\
        2,+7 (916) 123-45-68,ANNA@MAIL.RU,Аня,,Смирнова,07.03.1990,ж,2021-02-02,0,\"Москва, центр\"\n\
        3,89161234569,,Пётр,Петрович,Кузнецов,,м,,\"1 200\",\"ТЦ \"\"Мега\"\"\"\n\
        4,,petr@yandex.ru,Petr,,Kuznetsov,19850101,1,2019-12-31,5,\n";
    seeds.push(Input {
        name: "export.csv".into(),
        bytes: csv.as_bytes().to_vec(),
    });
    let russian = csv
        .replacen(
            "user_id,phone,email,first_name,middle_name,last_name,birth_date,sex,register_date,points",
            "ID клиента,Телефон,Email,Имя,Отчество,Фамилия,Дата рождения,Пол,Дата регистрации,Баллы",
            1,
        )
        .replace(',', ";");
    seeds.push(Input {
        name: "export.csv".into(),
        bytes: encoding_rs::WINDOWS_1251.encode(&russian).0.into_owned(),
    });
    seeds.push(Input {
        name: "export.tsv".into(),
        bytes: csv.replace(',', "\t").into_bytes(),
    });
    let full_name = "user_id;Телефон;ФИО\n1;79161234567;Смирнова Анна Ивановна\n2;79161234568;Анна Ивановна Смирнова\n3;79161234569;Петров Пётр\n4;;Мамед Алиев оглы\n";
    seeds.push(Input {
        name: "fio.csv".into(),
        bytes: full_name.as_bytes().to_vec(),
    });
    let utf16le: Vec<u8> = csv.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be: Vec<u8> = csv.encode_utf16().flat_map(u16::to_be_bytes).collect();
    seeds.push(Input {
        name: "utf16le.csv".into(),
        bytes: utf16le.clone(),
    });
    seeds.push(Input {
        name: "utf16be.txt".into(),
        bytes: utf16be,
    });
    seeds.push(Input {
        name: "bom16.csv".into(),
        bytes: [&[0xFF, 0xFE][..], &utf16le].concat(),
    });
    seeds.push(Input {
        name: "export.ndjson".into(),
        bytes: b"{\"user_id\": 1, \"phone\": 79161234567, \"first_name\": \"\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0\", \"tags\": [1, 2]}\n{\"user_id\": \"2\", \"email\": \"a@b.ru\", \"points\": 12.0, \"x\": null}\n".to_vec(),
    });
    seeds.push(Input {
        name: "export.json".into(),
        bytes: b"[{\"user_id\": 1, \"phone\": \"79161234567\"}, {\"user_id\": 2, \"email\": \"a@b.ru\", \"sex\": true}]".to_vec(),
    });
    for _ in 0..4 {
        seeds.push(random_parquet(rng));
        seeds.push(random_xlsx(rng));
        seeds.push(random_csv(rng));
    }
    for dir in [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/load"),
        std::env::var_os("FUZZ_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_default(),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        paths.sort();
        for path in paths {
            if let Ok(bytes) = std::fs::read(&path)
                && bytes.len() <= MAX_INPUT
            {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                seeds.push(Input { name, bytes });
            }
        }
    }
    seeds.retain(|seed| !seed.bytes.is_empty());
    seeds
}

fn spawn_watchdog(
    options: &Options,
    started: Instant,
    in_flight: Arc<Mutex<Input>>,
    run_started: Arc<AtomicU64>,
) {
    let limit_ms = options.hang_seconds * 1000;
    let crashes = options.out.join("crashes");
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let since = run_started.load(Ordering::SeqCst);
            if since == 0 {
                continue;
            }
            let now = started.elapsed().as_millis() as u64 + 1;
            if now.saturating_sub(since) > limit_ms {
                let input = in_flight.lock().unwrap_or_else(|p| p.into_inner()).clone();
                save_finding(
                    &crashes,
                    "hang",
                    &input,
                    &format!("ran for more than {} s", limit_ms / 1000),
                );
                eprintln!(
                    "fuzz_loaders: HANG on {} ({} bytes)",
                    input.name,
                    input.bytes.len()
                );
                std::process::exit(3);
            }
        }
    });
}

fn write_in_flight(out: &Path, input: &Input) {
    let _ = std::fs::write(out.join("in-flight.bin"), &input.bytes);
    let _ = std::fs::write(out.join("in-flight.name"), &input.name);
}

/// `crashes/KIND-HASH.EXT` with the input, and `.txt` beside it with what
/// happened.
fn save_finding(crashes: &Path, kind: &str, input: &Input, message: &str) {
    let hash = hex::encode(&Sha256::digest(&input.bytes)[..8]);
    let extension = Path::new(&input.name)
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let stem = crashes.join(format!("{kind}-{hash}"));
    let _ = std::fs::write(
        stem.with_extension(format!("input{extension}")),
        &input.bytes,
    );
    let _ = std::fs::write(
        stem.with_extension("txt"),
        format!("name: {}\n{message}\n", input.name),
    );
}

/// Panic locations already saved by earlier runs, so that a restart does
/// not save the same finding again.
fn known_panic_sites(crashes: &Path) -> HashSet<String> {
    let mut sites = HashSet::new();
    let Ok(entries) = std::fs::read_dir(crashes) else {
        return sites;
    };
    for entry in entries.flatten() {
        if entry.path().extension().is_some_and(|e| e == "txt")
            && let Ok(text) = std::fs::read_to_string(entry.path())
            && let Some(site) = text
                .lines()
                .nth(1)
                .and_then(|line| line.rsplit(" @ ").next())
        {
            sites.insert(site.to_string());
        }
    }
    sites
}

/// Totals over every run recorded in `OUT/runs/`, and the findings saved
/// under `OUT/crashes/`.
fn summarise(out: &Path) {
    let mut runs = 0u64;
    let mut totals: HashMap<&str, f64> = HashMap::new();
    let entries = std::fs::read_dir(out.join("runs"))
        .into_iter()
        .flatten()
        .flatten();
    for entry in entries {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        runs += 1;
        for key in [
            "seconds",
            "executions",
            "panics",
            "caught_dependency_panics",
        ] {
            *totals.entry(key).or_default() += value[key].as_f64().unwrap_or(0.0);
        }
    }
    let findings: Vec<String> = std::fs::read_dir(out.join("crashes"))
        .map(|entries| {
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".txt"))
                .collect();
            names.sort();
            names
        })
        .unwrap_or_default();
    println!(
        "runs {runs}, {:.2} hours, {} executions, {} panics (unique findings saved: {}), {} dependency panics turned into errors by the loaders",
        totals.get("seconds").copied().unwrap_or(0.0) / 3600.0,
        totals.get("executions").copied().unwrap_or(0.0),
        totals.get("panics").copied().unwrap_or(0.0),
        findings.len(),
        totals
            .get("caught_dependency_panics")
            .copied()
            .unwrap_or(0.0),
    );
    for name in findings {
        println!("  {name}");
    }
}
