//! The one harness the integration tests run the real binary through: how
//! it is started (colour off, the developer's own Sailplay credentials
//! cleared), how what it printed reads in an assertion message or a
//! snapshot (temporary paths and times filtered), the files it leaves, and
//! the background `apply` the crash tests SIGKILL and resume
//! (`kill_and_resume`, `restart_midway_with`). A change to how the binary
//! is run is made here, once.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use sailmerge::plan::MergePlan;

use crate::apply::{assert_applied, assert_secret_nowhere};
use crate::sandbox::SandboxProcess;

pub const BINARY: &str = env!("CARGO_BIN_EXE_sailmerge");
/// The token the test sandboxes accept. Long and unusual, so that a grep
/// for it cannot match anything by chance.
pub const TOKEN: &str = "tok-5e3c9a1f7b2d4e60-secret";
pub const DEPARTMENT_ID: &str = "14864";

/// The environment variables sailmerge reads for credentials, removed from
/// every child so the developer's own cannot leak into a test.
pub const CREDENTIAL_ENV: [&str; 4] = [
    "SAILPLAY_TOKEN",
    "SAILPLAY_DEPARTMENT_ID",
    "SAILPLAY_DEPARTMENT_KEY",
    "SAILPLAY_PIN",
];

/// `sailmerge ARGS`, not started yet: no colour, and no Sailplay
/// credentials from the environment.
pub fn command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(BINARY);
    command.args(args).env("NO_COLOR", "1");
    for name in CREDENTIAL_ENV {
        command.env_remove(name);
    }
    command
}

/// `sailmerge ARGS` run to its end with `env` added.
pub fn sailmerge(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args)
        .envs(env.iter().copied())
        .output()
        .expect("the sailmerge binary runs")
}

/// `sailmerge ARGS`, which must exit 0.
pub fn sailmerge_ok(args: &[&str], env: &[(&str, &str)]) -> Output {
    let output = sailmerge(args, env);
    assert_eq!(
        output.status.code(),
        Some(0),
        "sailmerge {args:?}: {}",
        text(&output)
    );
    output
}

/// `sailmerge plan EXPORT --out OUT ARGS` run to its end.
pub fn sailmerge_plan(export: &Path, out: &Path, args: &[&str]) -> Output {
    command(["plan"])
        .arg(export)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .expect("the sailmerge binary runs")
}

/// A run's exit status, stdout and stderr, for an assertion message.
pub fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A path of the checkout (`datasets/demo/export.csv`, a fixture).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Every file under `dir`, recursively; none when it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The header and rows of a CSV the binary wrote.
pub fn csv_records(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let headers = reader.headers().expect("a header").clone();
    let rows = reader
        .records()
        .map(|row| row.expect("a well-formed row"))
        .collect();
    (headers, rows)
}

/// A finished run as its snapshot reads: the exit code, then stdout and
/// stderr whole.
pub fn run_snapshot(output: &Output) -> String {
    let code = output.status.code().map_or_else(
        || "none (killed by a signal)".to_string(),
        |code| code.to_string(),
    );
    format!(
        "exit code: {code}\n----- stdout -----\n{}----- stderr -----\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// insta settings for the snapshot of a run: `temp` is written `[TEMP]`,
/// the checkout `[REPO]`, and durations `[TIME]`, so that the snapshot is
/// the same on every machine and every run.
pub fn snapshot_settings(temp: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&temp.to_string_lossy()), "[TEMP]");
    settings.add_filter(&regex::escape(env!("CARGO_MANIFEST_DIR")), "[REPO]");
    settings.add_filter(r"\b\d+(\.\d+)? ?(ms|s)\b", "[TIME]");
    settings
}

/// `sailmerge apply DIR --base-url URL --department-id ID ARGS` with `env`,
/// not started yet.
pub fn apply_command(dir: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = command(["apply"]);
    command
        .arg(dir)
        .args(["--base-url", url, "--department-id", DEPARTMENT_ID])
        .args(args)
        .envs(env.iter().copied());
    command
}

/// `sailmerge apply DIR --base-url URL --department-id ID ARGS` with `env`,
/// run to its end.
pub fn apply(dir: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    apply_command(dir, url, args, env)
        .output()
        .expect("the sailmerge binary runs")
}

/// Lines in DIR/journal.jsonl: an intent and an outcome per call.
pub fn journal_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("journal.jsonl")).map_or(0, |text| text.lines().count())
}

/// `sailmerge apply` running in the background, killed if still running
/// when dropped. Its stdout and stderr go to files: a pipe nobody reads
/// would stall a long run once it filled.
pub struct BackgroundApply {
    child: Child,
    dir: PathBuf,
    started: Instant,
    logs: tempfile::TempDir,
}

impl BackgroundApply {
    pub fn start(dir: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> BackgroundApply {
        let logs = tempfile::tempdir().unwrap();
        let log = |name: &str| File::create(logs.path().join(name)).unwrap();
        let child = apply_command(dir, url, args, env)
            .stdin(Stdio::null())
            .stdout(log("stdout"))
            .stderr(log("stderr"))
            .spawn()
            .expect("apply starts");
        BackgroundApply {
            child,
            dir: dir.to_path_buf(),
            started: Instant::now(),
            logs,
        }
    }

    /// Waits until the journal holds `lines` lines; fails if apply ends
    /// before, or has not got there within `limit`.
    pub fn wait_for_journal(&mut self, lines: usize, limit: Duration) {
        let waiting = Instant::now();
        while journal_lines(&self.dir) < lines {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "apply ended before its journal held {lines} lines: {}",
                    text(&self.output(status))
                );
            }
            assert!(
                waiting.elapsed() < limit,
                "apply wrote {} of {lines} journal lines in {limit:?}",
                journal_lines(&self.dir)
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Time since apply started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// SIGKILLs apply; what it had printed.
    pub fn kill(mut self) -> Output {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        self.output(status)
    }

    /// Waits for apply to end; what it printed.
    pub fn finish(mut self) -> Output {
        let status = self.child.wait().unwrap();
        self.output(status)
    }

    fn output(&self, status: ExitStatus) -> Output {
        Output {
            status,
            stdout: read(&self.logs.path().join("stdout")),
            stderr: read(&self.logs.path().join("stderr")),
        }
    }
}

impl Drop for BackgroundApply {
    fn drop(&mut self) {
        // A failed assertion must not leave apply running against a
        // sandbox; after `kill` or `finish` the process is gone already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a SIGKILLed and resumed `apply` did, for the figures.
pub struct Resumed {
    pub killed_after: Duration,
    pub lines_at_kill: usize,
    pub merges_at_kill: u64,
    pub rerun_time: Duration,
}

/// Applies the approved clusters of `plan` (written in `dir`) against
/// `sandbox`, which keeps its store in a `--state` file; SIGKILLs apply
/// once its journal holds `kill_at` lines and runs it again with the same
/// `args`, restarting the sandbox from its state file once the rerun has
/// added `restart_after` lines, when given. Checks that the kill came
/// after the first merge and before the last, that the rerun exits 0 with
/// every cluster merged exactly once into its planned result, and that
/// the token is in no file and no output of either run.
pub fn kill_and_resume(
    sandbox: &mut SandboxProcess,
    dir: &Path,
    plan: &MergePlan,
    args: &[&str],
    kill_at: usize,
    restart_after: Option<usize>,
) -> Resumed {
    let env = [("SAILPLAY_TOKEN", TOKEN)];
    let mut first = BackgroundApply::start(dir, &sandbox.url, args, &env);
    first.wait_for_journal(kill_at, Duration::from_secs(600));
    let killed_after = first.elapsed();
    let killed = first.kill();
    let lines_at_kill = journal_lines(dir);
    let merges_at_kill = sandbox.stats()["merges_applied"].as_u64().unwrap();
    assert!(
        merges_at_kill > 0 && merges_at_kill < plan.summary.merge_calls,
        "{merges_at_kill} of {} merges done at the kill",
        plan.summary.merge_calls
    );

    let resumed_at = Instant::now();
    let rerun = match restart_after {
        Some(lines) => restart_midway_with(sandbox, dir, lines_at_kill + lines, args, &env),
        None => apply(dir, &sandbox.url, args, &env),
    };
    let rerun_time = resumed_at.elapsed();
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    assert_applied(sandbox, plan, |_| true);
    assert_secret_nowhere(
        dir,
        &[&killed.stdout, &killed.stderr, &rerun.stdout, &rerun.stderr],
        TOKEN,
    );
    Resumed {
        killed_after,
        lines_at_kill,
        merges_at_kill,
        rerun_time,
    }
}

/// `apply` in the background; once its journal has `restart_at` lines the
/// sandbox is SIGKILLed and started again from its state file; apply must
/// ride out the refused connections and lost answers. Its output.
pub fn restart_midway_with(
    sandbox: &mut SandboxProcess,
    dir: &Path,
    restart_at: usize,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut rerun = BackgroundApply::start(dir, &sandbox.url, args, env);
    rerun.wait_for_journal(restart_at, Duration::from_secs(300));
    sandbox.restart();
    rerun.finish()
}
