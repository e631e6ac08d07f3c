//! The promises of `apply` that a real run broke (issue 12), each tried as
//! a user or an attacker would, through the real binary: a rehearsal's
//! journal pointed at production, a full disk, a summary that cannot be
//! written, a server that echoes the token back, a wrong address, a token
//! a restarted Sailplay forgot, flags out of range, and progress without a
//! terminal after a resume.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::apply::{approve, assert_applied, last_run, run_files, summary};
use crate::harness::{
    DEPARTMENT_ID, TOKEN, apply, files_under, restart_midway_with, sailmerge, sailmerge_plan,
    stderr, text,
};
use crate::sandbox::{SandboxProcess, fixture_plan, write_plan_dir};

#[test]
fn a_rehearsal_journal_is_refused_against_production_until_a_new_journal_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(5, 2, 30);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    // The rehearsal: every cluster merged in the sandbox.
    let rehearsal = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    let first = apply(
        dir.path(),
        &rehearsal.url,
        &[],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));

    // A dry run against the same address, without the department, reads
    // that journal: every cluster is already merged, nothing to print.
    let dry = sailmerge(
        &[
            "apply",
            dir.path().to_str().unwrap(),
            "--base-url",
            &rehearsal.url,
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(stderr(&dry).contains("printed the calls of 0 approved clusters (5 already merged"));

    // "Production" (another Sailplay, untouched): the same directory is
    // refused before a single request, instead of "merged 0 clusters".
    let production = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    let refused = apply(
        dir.path(),
        &production.url,
        &[],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains("is not this run's journal")
            && message.contains(&format!("base URL {}/", rehearsal.url))
            && message.contains("--new-journal"),
        "{message}"
    );
    assert_eq!(production.stats()["requests"], 0);
    // Another department of the same Sailplay is another target too.
    let other_department = sailmerge(
        &[
            "apply",
            dir.path().to_str().unwrap(),
            "--base-url",
            &rehearsal.url,
            "--department-id",
            "777",
        ],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(other_department.status.code(), Some(2));
    assert!(stderr(&other_department).contains("store_department_id 14864 (this run: 777)"));

    // Asked for, a new journal starts; the rehearsal's is kept aside.
    let fresh = apply(
        dir.path(),
        &production.url,
        &["--new-journal"],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh));
    assert_applied(&production, &plan, |_| true);
    let archived: Vec<PathBuf> = files_under(dir.path())
        .into_iter()
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("journal-")
        })
        .collect();
    assert_eq!(archived.len(), 1, "{archived:?}");
    assert!(stderr(&fresh).contains("moved"), "{}", text(&fresh));

    // A plan written over this directory would reuse the journal: refused.
    let export = dir.path().join("export.csv");
    std::fs::write(&export, "user_id,phone\n1,79161234567\n").unwrap();
    let replan = sailmerge_plan(&export, dir.path(), &[]);
    assert_eq!(replan.status.code(), Some(2), "{}", text(&replan));
    assert!(stderr(&replan).contains("holds"), "{}", text(&replan));
    assert_eq!(
        sailmerge::plan::MergePlan::read(dir.path())
            .unwrap()
            .plan_hash,
        plan.plan_hash
    );
}

#[test]
fn a_journal_of_another_plan_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(3, 0, 31);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    let first = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    // Another plan dropped into the directory by hand, its clusters named
    // c000001... like the first one's.
    let (_, other) = fixture_plan(4, 0, 32);
    write_plan_dir(dir.path(), &other);
    approve(dir.path(), &["--all", "--force"]);
    let refused = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        stderr(&refused).contains(&format!("this plan.json is {}", &other.plan_hash[..12])),
        "{}",
        text(&refused)
    );
}

/// A tmpfs of `bytes` mounted on `path` for the test's life; `None` (and a
/// note) where mounting is not allowed, except in CI, which runs as root.
struct TinyDisk {
    path: PathBuf,
}

impl TinyDisk {
    fn mount(path: &Path, bytes: usize) -> Option<TinyDisk> {
        std::fs::create_dir_all(path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(path)
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(TinyDisk {
                path: path.to_path_buf(),
            }),
            other if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: cannot mount a tmpfs here (needs root): {other:?}");
                None
            }
            other => panic!("CI runs as root and must mount a tmpfs: {other:?}"),
        }
    }

    fn grow(&self, bytes: usize) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

#[test]
fn a_full_disk_stops_the_run_with_exit_1_and_the_partial_summary_then_a_rerun_finishes() {
    let scratch = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(30, 0, 33);
    // The plan and decisions take their pages; the journal gets two.
    let staged = scratch.path().join("staged");
    write_plan_dir(&staged, &plan);
    approve(&staged, &["--all"]);
    let pages = |file: &str| {
        std::fs::metadata(staged.join(file))
            .unwrap()
            .len()
            .div_ceil(4096) as usize
    };
    let size = (pages("plan.json") + pages("decisions.json") + 1 + 2) * 4096;
    let mount_point = scratch.path().join("disk");
    let Some(disk) = TinyDisk::mount(&mount_point, size) else {
        return;
    };
    for file in ["plan.json", "decisions.json"] {
        std::fs::copy(staged.join(file), mount_point.join(file)).unwrap();
    }
    let sandbox = SandboxProcess::spawn(scratch.path(), &profiles, &[]);
    let full = apply(
        &mount_point,
        &sandbox.url,
        &[],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    let merges_sent = sandbox.stats()["merges_applied"].as_u64().unwrap();
    assert!(
        merges_sent > 0,
        "the disk filled before any merge: {}",
        text(&full)
    );
    assert!(merges_sent < plan.summary.merge_calls);
    // Merges went out: not "nothing was changed" (2), and not a crash.
    assert_eq!(full.status.code(), Some(1), "{}", text(&full));
    let message = stderr(&full);
    assert!(
        message.contains("the journal could not be written, so nothing more was sent")
            && message.contains("No space left on device")
            && message.contains("next: make the journal writable"),
        "{message}"
    );
    // Neither summary fits on the disk: it is printed instead.
    let printed = message
        .split_once("the summary could not be written; here it is:\n")
        .unwrap_or_else(|| panic!("no printed summary: {message}"))
        .1;
    let printed: Value = serde_json::from_str(&printed[..=printed.rfind('}').unwrap()]).unwrap();
    assert!(printed["step_calls"].as_u64().unwrap() >= merges_sent);
    assert_eq!(printed["aborted"]["kind"], "journal");

    // Space is made; the rerun settles what the journal missed and sends
    // no merge twice.
    disk.grow(16 << 20);
    let rerun = apply(
        &mount_point,
        &sandbox.url,
        &[],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    assert_applied(&sandbox, &plan, |_| true);
}

#[test]
fn an_unwritable_summary_exits_1_and_is_printed_instead() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(3, 0, 34);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    // Where the summaries go, something that is not a writable file.
    std::fs::create_dir(dir.path().join("apply_summary.json")).unwrap();
    std::fs::write(dir.path().join("apply_runs"), "not a directory").unwrap();
    let output = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_applied(&sandbox, &plan, |_| true);
    let message = stderr(&output);
    assert!(message.contains("could not write"), "{message}");
    let printed = message
        .split_once("the summary could not be written; here it is:\n")
        .unwrap()
        .1;
    let printed: Value = serde_json::from_str(&printed[..=printed.rfind('}').unwrap()]).unwrap();
    assert_eq!(printed["merged"], json!(["c000001", "c000002", "c000003"]));
    assert_eq!(printed["write_errors"].as_array().unwrap().len(), 2);
}

/// application/x-www-form-urlencoded, as reqwest sends a form.
fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The value of `key` in a form body, decoded.
fn form_value(body: &str, key: &str) -> String {
    form_urlencoded::parse(body.as_bytes())
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// JSON as PHP writes it: `\/` for `/` and `\uXXXX` beyond ASCII.
fn php_json(text: &str) -> String {
    let mut out = String::new();
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

/// A server (or proxy) that echoes what it was sent, in every encoding it
/// can: in profile fields, in error messages, in a 401 page, in a login
/// refusal. The first path segment picks the way.
fn hostile_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || answer(stream));
        }
    });
    format!("http://{address}")
}

fn answer(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let token = form_value(&body, "token");
    let secrets = format!(
        "{} {}",
        form_value(&body, "store_department_key"),
        form_value(&body, "pin_code")
    );
    let echo = format!(
        "you sent {body}; token {token}; as PHP writes it: {} (secrets: {secrets})",
        php_json(&token)
    );
    let user_id = form_value(&body, "user_id");
    let (status, content) = if path.starts_with("/fields/") {
        (
            200,
            json!({
                "status": "ok", "id": user_id.parse::<u64>().unwrap_or(1),
                "first_name": body, "last_name": token, "middle_name": echo,
            })
            .to_string(),
        )
    } else if path.starts_with("/error/") {
        (
            200,
            json!({"status": "error", "status_code": -9999, "message": echo}).to_string(),
        )
    } else if path.starts_with("/html/") {
        (
            200,
            format!(
                "<html><body>proxy says: {}</body></html>",
                echo.replace('&', "&amp;").replace('"', "&quot;")
            ),
        )
    } else {
        (401, format!("Unauthorized: {echo}"))
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{content}",
        content.len()
    );
}

/// No file under `dir` and no output holds `secret` in any encoding a
/// server could echo it in.
fn assert_secret_nowhere_encoded(dir: &Path, outputs: &[&Output], secret: &str) {
    let json = serde_json::to_string(secret).unwrap();
    let encodings = [
        secret.to_string(),
        form_encode(secret),
        form_encode(secret).to_lowercase(),
        json[1..json.len() - 1].to_string(),
        php_json(secret),
        // JSON-escaped once more (a journal line holding an echo).
        serde_json::to_string(&json)
            .unwrap()
            .trim_matches('"')
            .to_string(),
    ];
    let mut texts: Vec<(String, String)> = files_under(dir)
        .into_iter()
        .map(|path| {
            (
                path.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            )
        })
        .collect();
    for (index, output) in outputs.iter().enumerate() {
        texts.push((
            format!("stdout {index}"),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ));
        texts.push((
            format!("stderr {index}"),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    for (name, text) in &texts {
        for encoded in &encodings {
            assert!(
                !text.contains(encoded.as_str()),
                "{name} holds the secret as {encoded:?}:\n{text}"
            );
        }
    }
}

#[test]
fn a_hostile_echoing_server_never_gets_the_token_into_files_or_output() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plan) = fixture_plan(3, 0, 35);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    let server = hostile_server();
    // Base64-like, with a quote, a backslash, a space and a Cyrillic letter.
    let token = "Tk+/9=\"q\\ Ж-x7";
    let mut outputs = Vec::new();
    for (mode, code) in [
        ("fields", 1),
        ("error", 1),
        ("html", 1),
        ("unauthorized", 1),
    ] {
        let output = apply(
            dir.path(),
            &format!("{server}/{mode}"),
            &["--new-journal", "--max-attempts", "1"],
            &[("SAILPLAY_TOKEN", token)],
        );
        assert_eq!(
            output.status.code(),
            Some(code),
            "{mode}: {}",
            text(&output)
        );
        assert!(
            stderr(&output).contains("<redacted>"),
            "{mode}: {}",
            text(&output)
        );
        if mode == "fields" {
            // The echoed profile fields reached the stale reasons, redacted.
            let stale = &summary(dir.path())["stale"];
            assert_eq!(stale.as_array().unwrap().len(), 3);
            assert!(stale.to_string().contains("<redacted>"), "{stale}");
        }
        outputs.push(output);
    }
    // The login flow: key and pin echoed in a refusal.
    let login = apply(
        dir.path(),
        &format!("{server}/login"),
        &["--new-journal"],
        &[
            ("SAILPLAY_DEPARTMENT_KEY", "k3y/+é"),
            ("SAILPLAY_PIN", "p1n&7"),
        ],
    );
    assert_eq!(login.status.code(), Some(2), "{}", text(&login));
    assert!(stderr(&login).contains("cannot log in"), "{}", text(&login));
    outputs.push(login);
    let outputs: Vec<&Output> = outputs.iter().collect();
    for secret in [token, "k3y/+é", "p1n&7"] {
        assert_secret_nowhere_encoded(dir.path(), &outputs, secret);
    }
}

#[test]
fn a_one_character_token_is_hidden_without_garbling_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plan) = fixture_plan(2, 0, 36);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    let server = hostile_server();
    let output = apply(
        dir.path(),
        &format!("{server}/error"),
        &["--max-attempts", "1", "--concurrency", "1"],
        &[("SAILPLAY_TOKEN", "a")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = stderr(&output);
    assert!(
        message.contains("token=<redacted>&store_department_id=14864")
            && message.contains("the run stopped early")
            && message.contains("users/info of user_id 1001: Sailplay answered status_code -9999")
            && message.contains("next: check --base-url (a proxy or another service answered?)")
            && message.contains("the run stopped early (0 merge/update calls had been sent)"),
        "{message}"
    );
}

#[test]
fn a_refused_connection_fails_fast_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plan) = fixture_plan(3, 0, 37);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    // A port nothing listens on.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let started = Instant::now();
    let output = apply(dir.path(), &closed, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = stderr(&output);
    assert!(
        message.contains("nothing answers at that address: check --base-url")
            && message.contains("0 merge/update calls had been sent"),
        "{message}"
    );
    // The login flow too, before the journal is even opened.
    let started = Instant::now();
    let login = apply(
        dir.path(),
        &closed,
        &["--new-journal"],
        &[("SAILPLAY_DEPARTMENT_KEY", "k"), ("SAILPLAY_PIN", "1")],
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(login.status.code(), Some(2), "{}", text(&login));
    assert!(stderr(&login).contains("nothing answers at that address"));
}

#[test]
fn a_token_a_restarted_sailplay_forgot_is_renewed_by_logging_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(30, 0, 38);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    let profiles_file = dir.path().join("live.json");
    std::fs::write(&profiles_file, serde_json::to_vec(&profiles).unwrap()).unwrap();
    let state = dir.path().join("sandbox-state.jsonl");
    let login = [
        ("SAILPLAY_DEPARTMENT_KEY", "dept-key-38"),
        ("SAILPLAY_PIN", "pin-3838"),
    ];
    // Only the login flow: its tokens die with the process.
    let mut sandbox = SandboxProcess::spawn_args(
        &[
            "sandbox",
            "--profiles",
            profiles_file.to_str().unwrap(),
            "--department-id",
            DEPARTMENT_ID,
            "--state",
            state.to_str().unwrap(),
            "--latency-ms",
            "20",
        ],
        &login,
    );
    let output = restart_midway_with(
        &mut sandbox,
        dir.path(),
        30,
        &["--rate-limit", "25", "--concurrency", "4"],
        &login,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_applied(&sandbox, &plan, |_| true);
    // Since the restart: the old token answered -7, and apply logged in.
    let stats = sandbox.stats();
    assert!(stats["auth_failures"].as_u64().unwrap() >= 1, "{stats}");
    assert!(
        stats["requests_by_endpoint"]["login"].as_u64().unwrap() >= 1,
        "{stats}"
    );
}

#[test]
fn numeric_flags_and_a_fragment_in_the_base_url_are_refused_cleanly() {
    let apply_with = |flags: &[&str]| {
        let mut args = vec!["apply", "no-such-dir", "--base-url", "http://127.0.0.1:1"];
        args.extend_from_slice(flags);
        sailmerge(&args, &[])
    };
    let cases: [(&[&str], &str); 9] = [
        (&["--rps", "0"], "--rate-limit"),
        (&["--rate-limit", "1e-300"], "--rate-limit"),
        (&["--rate-limit", "inf"], "--rate-limit"),
        (&["--timeout", "1e20"], "--timeout"),
        (&["--timeout", "0"], "--timeout"),
        (&["--concurrency", "0"], "--concurrency"),
        (&["--max-attempts", "0"], "--max-attempts"),
        (&["--status-interval", "0"], "--status-interval"),
        (&["--base-url", "http://127.0.0.1:1/#prod"], "#fragment"),
    ];
    for (flags, named) in cases {
        let output = if flags[0] == "--base-url" {
            sailmerge(&["apply", "no-such-dir", flags[0], flags[1]], &[])
        } else {
            apply_with(flags)
        };
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}: {}",
            text(&output)
        );
        let message = stderr(&output);
        assert!(message.contains(named), "{flags:?}: {message}");
        assert!(!message.contains("panicked"), "{flags:?}: {message}");
    }
    for flags in [
        &["--rate-limit", "0"][..],
        &["--latency-ms", "99999999"],
        &["--fail-rate", "2"],
    ] {
        let mut args = vec!["sandbox", "--profiles", "none.json"];
        args.extend_from_slice(flags);
        let output = sailmerge(&args, &[("SAILPLAY_TOKEN", "t")]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}: {}",
            text(&output)
        );
        assert!(
            stderr(&output).contains(flags[0]),
            "{flags:?}: {}",
            text(&output)
        );
    }
}

#[test]
fn without_a_terminal_status_lines_count_only_the_work_left_after_a_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(12, 0, 39);
    write_plan_dir(dir.path(), &plan);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &["--latency-ms", "50"]);
    approve(
        dir.path(),
        &["--clusters", "c000001,c000002,c000003,c000004"],
    );
    let first = apply(dir.path(), &sandbox.url, &[], &[("SAILPLAY_TOKEN", TOKEN)]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    approve(dir.path(), &["--all"]);
    let second = apply(
        dir.path(),
        &sandbox.url,
        &["--rate-limit", "8", "--status-interval", "0.5"],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let message = stderr(&second);
    let lines: Vec<&str> = message
        .lines()
        .filter(|line| line.starts_with("apply: "))
        .collect();
    assert!(lines.len() >= 3, "{message}");
    for line in &lines {
        assert!(line.contains("/8 clusters"), "{line}");
    }
    let under_way = lines
        .iter()
        .find(|line| !line.starts_with("apply: 0/") && !line.starts_with("apply: 8/"))
        .unwrap_or_else(|| panic!("no line half-way: {message}"));
    assert!(!under_way.ends_with("eta 0s"), "{under_way}");
    assert!(under_way.contains("requests/s"), "{under_way}");
    assert_eq!(run_files(dir.path()).len(), 2);
    assert_eq!(
        last_run(dir.path())["already_merged"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_applied(&sandbox, &plan, |_| true);
}

#[test]
fn clusters_run_concurrently_and_one_at_a_time_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, plan) = fixture_plan(24, 0, 40);
    write_plan_dir(dir.path(), &plan);
    approve(dir.path(), &["--all"]);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &["--latency-ms", "100"]);
    let output = apply(
        dir.path(),
        &sandbox.url,
        &["--concurrency", "8"],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_applied(&sandbox, &plan, |_| true);
    assert!(
        sandbox.stats()["max_in_flight"].as_u64().unwrap() >= 3,
        "{}",
        sandbox.stats()
    );
    assert_eq!(last_run(dir.path())["concurrency"], 8);

    let (profiles, plan) = fixture_plan(4, 0, 41);
    let serial = tempfile::tempdir().unwrap();
    write_plan_dir(serial.path(), &plan);
    approve(serial.path(), &["--all"]);
    let sandbox = SandboxProcess::spawn(serial.path(), &profiles, &["--latency-ms", "20"]);
    let output = apply(
        serial.path(),
        &sandbox.url,
        &["--concurrency", "1"],
        &[("SAILPLAY_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(sandbox.stats()["max_in_flight"], 1);
    assert_applied(&sandbox, &plan, |_| true);
}
