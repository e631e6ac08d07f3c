//! plan.json and report.html as `plan` writes them: plan.json is one
//! compact line whose hash the readers (`approve`, `review`, `apply`)
//! verify against the text, so that re-indenting is harmless and any edit
//! is refused. The time to read and write them at scale is a bench
//! (`benches/stages.rs`, group `output`).

use std::path::Path;

use sailmerge::plan::{MergePlan, PLAN_FILE};

use crate::harness::{sailmerge, sailmerge_ok};

fn must_succeed(args: &[&str]) {
    sailmerge_ok(args, &[]);
}

/// A generated export of 600 profiles planned into `DIR/out`.
fn planned_run(dir: &Path) -> std::path::PathBuf {
    let generated = dir.join("gen");
    let out = dir.join("out");
    must_succeed(&[
        "gen",
        "--profiles",
        "600",
        "--seed",
        "11",
        "--out",
        generated.to_str().unwrap(),
    ]);
    must_succeed(&[
        "plan",
        generated.join("export.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    out
}

#[test]
fn plan_json_verifies_reindented_and_is_refused_once_edited() {
    let dir = tempfile::tempdir().unwrap();
    let out = planned_run(dir.path());
    let path = out.join(PLAN_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let plan = MergePlan::read(&out).unwrap();
    assert!(
        !plan.clusters.is_empty(),
        "the generated export has duplicates"
    );
    // One compact line, the hash at the top.
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with(&format!(
        r#"{{"schema_version":1,"plan_hash":"{}","generated_by":"#,
        plan.plan_hash
    )));
    // The report is made from this plan and names its hash.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(&plan.plan_hash));

    // Re-indented: same content, still approvable.
    let pretty = reindent(&text);
    assert!(pretty.lines().count() > 1000);
    std::fs::write(&path, &pretty).unwrap();
    must_succeed(&[
        "approve",
        out.to_str().unwrap(),
        "--all",
        "--reviewer",
        "test",
    ]);

    // One changed digit in a step's target: refused, and nothing approved.
    std::fs::remove_file(out.join("decisions.json")).unwrap();
    let step = &plan.clusters[0].steps[0];
    let to_uid = &step.params["to_uid"];
    let needle = format!(r#""to_uid":"{to_uid}""#);
    assert!(text.contains(&needle));
    let tampered = text.replacen(&needle, r#""to_uid":"1""#, 1);
    std::fs::write(&path, tampered).unwrap();
    let output = sailmerge(
        &[
            "approve",
            out.to_str().unwrap(),
            "--all",
            "--reviewer",
            "test",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("was changed after it was written"),
        "{stderr}"
    );
    assert!(!out.join("decisions.json").exists());
}

/// `text` with a line break and indent after every `{`, `[` and `,` and a
/// space after every `:` outside strings, as a person re-formatting the
/// file might. Textual, so that no number is re-printed.
fn reindent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        out.push(c);
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' | ',' => out.push_str("\n  "),
            ':' => out.push(' '),
            _ => {}
        }
    }
    out
}
