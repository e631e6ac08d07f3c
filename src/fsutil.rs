//! Output files are written whole or not at all: into a temporary file in
//! the destination's directory, flushed, then renamed over the destination.
//!
//! Invariants: an output is created with mode 0o666 less the user's umask,
//! like any file the user's tools write (outputs hold phones and e-mails: a
//! user with `umask 077` gets files only they can read). A temporary file
//! is named `.sailmerge-PID-XXXXXX.tmp` after the process writing it, so
//! that one left behind by a killed run (it holds the same personal data as
//! the output) is recognised and removed by the next write into its
//! directory, while the temporary files of a run still alive are left
//! alone.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

const TEMP_PREFIX: &str = ".sailmerge-";
const TEMP_SUFFIX: &str = ".tmp";

/// Writes `path` atomically with whatever `write` puts into the buffered
/// writer it is given.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    write_file_atomically(path, |file| {
        let mut out = io::BufWriter::new(file);
        write(&mut out)?;
        out.flush()
    })
}

/// Writes `path` atomically through the temporary file itself, for writers
/// that buffer on their own or go back to patch what they wrote (the plan
/// writes its hash last, at the top of the file).
pub fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Best effort: a stale file that cannot be removed does not stop the
    // output from being written.
    let _ = remove_stale_temp_files(dir);
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    // tempfile creates files readable by the owner only; outputs are meant
    // to be shared like any file the user writes, as far as the umask lets.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    write(tmp.as_file_mut()).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot flush {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot move the finished file to {}", path.display()))?;
    Ok(())
}

/// `write_atomically` for content already in memory.
pub fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |out| out.write_all(bytes))
}

/// Removes the temporary files of sailmerge runs that are no longer
/// running from `dir`; returns what it removed.
pub fn remove_stale_temp_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_file_owner) else {
            continue;
        };
        if pid != std::process::id() && !process_is_running(pid) {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    Ok(removed)
}

/// The process id in a temporary file name of ours,
/// `.sailmerge-PID-XXXXXX.tmp`.
fn temp_file_owner(name: &str) -> Option<u32> {
    let middle = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, random) = middle.split_once('-')?;
    let random_ok = !random.is_empty() && random.chars().all(|c| c.is_ascii_alphanumeric());
    (random_ok && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether process `pid` exists. Where this cannot be known (no `/proc`),
/// every process counts as running, so nothing is removed.
fn process_is_running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// A text cell that a spreadsheet cannot take for a formula. Excel,
/// LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`,
/// `-` or `@` (an id such as `=HYPERLINK(...)` becomes a live link that
/// can send the sheet's data away), and some also after a leading tab or
/// carriage return; OWASP's advice for CSV injection is to prefix such a
/// cell with a single quote, which spreadsheets show as text. Only cells
/// from an export go through this: numbers sailmerge writes itself
/// (weights, which may be negative) stay numbers.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_neither_target_nor_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let result = write_atomically(&target, |out| {
            out.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(result.is_err());
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn successful_write_replaces_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        write_bytes_atomically(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn temp_files_of_dead_runs_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has an id this large (the kernel's limit is 2^22).
        let dead = dir.path().join(".sailmerge-4000000000-AbC123.tmp");
        let alive = dir
            .path()
            .join(format!(".sailmerge-{}-XyZ789.tmp", std::process::id()));
        let foreign = dir.path().join(".sailmerge-notes.tmp");
        let other = dir.path().join("1234-abc.tmp");
        for path in [&dead, &alive, &foreign, &other] {
            std::fs::write(path, "x").unwrap();
        }
        write_bytes_atomically(&dir.path().join("out.csv"), b"new").unwrap();
        assert!(!dead.exists());
        assert!(alive.exists() && foreign.exists() && other.exists());
    }

    #[test]
    fn temp_file_names_are_recognised_exactly() {
        assert_eq!(temp_file_owner(".sailmerge-123-a1B2c3.tmp"), Some(123));
        assert_eq!(temp_file_owner(".sailmerge-123-.tmp"), None);
        assert_eq!(temp_file_owner(".sailmerge-x1-abc.tmp"), None);
        assert_eq!(temp_file_owner(".sailmerge-123-abc.csv"), None);
        assert_eq!(temp_file_owner("sailmerge-123-abc.tmp"), None);
    }

    #[test]
    fn formula_cells_are_prefixed_with_a_quote() {
        for (cell, safe) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+79161234567", "'+79161234567"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe);
        }
        for cell in ["10000001", "C000001", "", "a=b", "'=already"] {
            assert!(matches!(spreadsheet_safe(cell), Cow::Borrowed(_)), "{cell}");
        }
    }
}
