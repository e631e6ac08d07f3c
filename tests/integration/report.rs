//! The report as a file and the review server over real HTTP, without a
//! browser: escaping of hostile export values, the page's self-containment,
//! and the decisions API of the real `sailmerge review` binary.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sailmerge::decisions::{Decision, Decisions};
use sailmerge::plan::MergePlan;
use sailmerge::report::{self, embed, synthetic::synthetic_plan};

use crate::harness::{command, sailmerge};

pub const HOSTILE_FIRST_NAME: &str = "<img src=x onerror=alert(1)>";
pub const HOSTILE_LAST_NAME: &str = "</script><script>alert(2)</script><!--";

/// A synthetic plan whose first cluster's members are named with markup,
/// everywhere the name appears (profiles, steps, result), resealed.
pub fn hostile_plan(cluster_count: usize) -> MergePlan {
    let mut plan = synthetic_plan(cluster_count, 11);
    let cluster = &mut plan.clusters[0];
    for profile in cluster
        .profiles
        .iter_mut()
        .chain(cluster.steps.iter_mut().map(|s| &mut s.after))
        .chain([&mut cluster.result, &mut cluster.golden])
    {
        profile.first_name = Some(HOSTILE_FIRST_NAME.to_string());
        profile.last_name = Some(HOSTILE_LAST_NAME.to_string());
        profile.middle_name = None;
    }
    cluster.warnings.push(sailmerge::plan::Warning {
        code: "conflicting_<b>".to_string(),
        message: "<svg onload=alert(3)>".to_string(),
    });
    plan.seal();
    plan
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in the page"))
        + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"))
        + from;
    &text[from..to]
}

#[test]
fn hostile_names_stay_data_and_never_become_markup() {
    let dir = tempfile::tempdir().unwrap();
    let plan = hostile_plan(30);
    let path = report::write_report(dir.path(), &plan).unwrap();
    assert_eq!(path, dir.path().join("report.html"));
    let html = std::fs::read_to_string(&path).unwrap();

    // The template has no <img> or <svg onload>, so any would come from data.
    assert!(!html.contains("<img"), "markup from data in the page");
    assert!(!html.contains("<svg onload"));
    assert!(!html.contains("alert(2)</script>"));
    assert!(!html.contains("conflicting_<b>"));
    // Exactly the four script elements of the template end (index, first
    // details chunk, the script, search text): 33 clusters fit one chunk.
    assert_eq!(html.matches("</script>").count(), 4);

    let index: serde_json::Value = serde_json::from_str(between(
        &html,
        r#"<script type="application/json" id="plan-data">"#,
        "</script>",
    ))
    .unwrap();
    let details = between(
        &html,
        r#"<script type="text/plain" id="cluster-details-0">"#,
        "</script>",
    );
    let clusters: Vec<serde_json::Value> = details
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // 30 clusters and the review band's 3 candidates.
    assert_eq!(clusters.len(), 33);
    let cluster = clusters
        .iter()
        .find(|c| c["id"] == plan.clusters[0].cluster_id.as_str())
        .unwrap();
    let first_name_index = index["fields"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f == "first_name")
        .unwrap();
    assert_eq!(cluster["members"][0][first_name_index], HOSTILE_FIRST_NAME);
    // The search text holds the name too, lower-cased, on the cluster's line.
    let position = index["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e[0] == plan.clusters[0].cluster_id.as_str())
        .unwrap();
    let search = between(
        &html,
        r#"<script type="text/plain" id="search-text">"#,
        "</script>",
    );
    let line: String = serde_json::from_str(search.lines().nth(position).unwrap()).unwrap();
    assert!(line.contains("onerror=alert(1)"), "{line}");
    assert!(
        cluster["warnings"]
            .to_string()
            .contains("<svg onload=alert(3)>")
    );
}

#[test]
fn page_is_self_contained_and_pins_its_script() {
    let dir = tempfile::tempdir().unwrap();
    let plan = synthetic_plan(25, 5);
    let html = std::fs::read_to_string(report::write_report(dir.path(), &plan).unwrap()).unwrap();
    for external in [
        "<link",
        "src=\"http",
        "src='http",
        "href=\"http",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(external), "the page loads {external}");
    }
    let script = between(&html, "\n<script>", "</script>");
    assert!(script.contains("textContent"));
    assert!(
        !script.contains("innerHTML"),
        "the script must never parse data as HTML"
    );
    let policy = between(
        &html,
        r#"<meta http-equiv="Content-Security-Policy" content=""#,
        "\">",
    );
    let policy = policy.replace("&#39;", "'");
    assert!(
        policy.contains(&embed::csp_script_hash(script)),
        "CSP does not pin the inline script: {policy}"
    );
    assert!(policy.contains("default-src 'none'"));
    // The summary is rendered server-side with the plan's figures.
    assert!(html.contains(&plan.plan_hash));
    assert!(html.contains("Merge assumptions") && html.contains("register_date"));
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 2);
    assert!(html.contains("threshold p = 0.9"));
}

#[test]
fn a_russian_base_gets_a_russian_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = synthetic_plan(12, 4);
    plan.language = "ru".to_string();
    plan.seal();
    let html = std::fs::read_to_string(report::write_report(dir.path(), &plan).unwrap()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"ru\">"));
    assert!(html.contains("Проверка плана объединения"));
    assert!(html.contains("Ждут решения") && html.contains("Кандидаты (зона проверки)"));
    assert!(!html.contains("Merge plan review"));
    let index: serde_json::Value = serde_json::from_str(between(
        &html,
        r#"<script type="application/json" id="plan-data">"#,
        "</script>",
    ))
    .unwrap();
    assert_eq!(index["words"]["approve"], "Одобрить");
    assert!(
        index["explanations"].as_array().unwrap().iter().any(|x| x
            .as_str()
            .unwrap()
            .contains("тот же")
            || x.as_str().unwrap().contains("та же"))
    );
}

#[test]
fn same_plan_writes_the_same_report() {
    let plan = synthetic_plan(15, 2);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = std::fs::read(report::write_report(a.path(), &plan).unwrap()).unwrap();
    let second = std::fs::read(report::write_report(b.path(), &plan).unwrap()).unwrap();
    assert_eq!(first, second);
}

/// A running `sailmerge review`, stopped with SIGINT when dropped.
pub struct ReviewServer {
    pub child: Child,
    pub url: String,
}

impl ReviewServer {
    pub fn start(dir: &Path, reviewer: &str) -> ReviewServer {
        let mut child = command(["review"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0", "--reviewer", reviewer])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sailmerge review starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("sailmerge review printed its URL");
        let url = line.trim().to_string();
        if url.is_empty() {
            let mut stderr = String::new();
            use std::io::Read;
            let _ = child.wait();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("sailmerge review printed no URL; stderr: {stderr}");
        }
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
            "unexpected first line {url:?}"
        );
        ReviewServer { child, url }
    }

    /// Sends SIGINT (Ctrl-C) and returns the exit code and stderr.
    pub fn interrupt(mut self) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            assert!(Instant::now() < deadline, "review did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        use std::io::Read;
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (code, stderr)
    }
}

impl Drop for ReviewServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn http_client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn review_server_saves_decisions_through_its_api() {
    let dir = tempfile::tempdir().unwrap();
    let plan = synthetic_plan(12, 3);
    plan.write(dir.path()).unwrap();
    let server = ReviewServer::start(dir.path(), "Ирина Петрова");
    let client = http_client();

    let page = client.get(&server.url).send().unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.text().unwrap().contains(&plan.plan_hash));

    let api = format!("{}api/decisions", server.url);
    let empty: serde_json::Value = client.get(&api).send().unwrap().json().unwrap();
    assert_eq!(empty["plan_hash"], plan.plan_hash.as_str());
    assert_eq!(empty["reviewer"], "Ирина Петрова");
    assert_eq!(empty["clusters"], serde_json::json!({}));

    let (a, b) = (&plan.clusters[0].cluster_id, &plan.clusters[1].cluster_id);
    let saved = client
        .post(&api)
        .json(&serde_json::json!({"updates": [
            {"cluster_id": a, "decision": "approve"},
            {"cluster_id": b, "decision": "reject"},
        ]}))
        .send()
        .unwrap();
    assert_eq!(saved.status(), 200);
    let receipt: serde_json::Value = saved.json().unwrap();
    assert_eq!(
        (receipt["approved"].as_u64(), receipt["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    let on_disk = Decisions::read(dir.path()).unwrap();
    assert_eq!(on_disk.plan_hash, plan.plan_hash);
    assert_eq!(on_disk.clusters[a].decision, Decision::Approve);
    assert_eq!(on_disk.clusters[b].decision, Decision::Reject);

    // An unknown cluster rejects the whole request and changes nothing.
    let refused = client
        .post(&api)
        .json(&serde_json::json!({"updates": [
            {"cluster_id": b, "decision": null},
            {"cluster_id": "no-such-cluster", "decision": "approve"},
        ]}))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().unwrap().contains("no-such-cluster"));
    assert_eq!(Decisions::read(dir.path()).unwrap(), on_disk);

    // A form post (what another site could send) is not accepted.
    let form = client.post(&api).form(&[("updates", "x")]).send().unwrap();
    assert!(form.status().is_client_error());
    // Without the session key nothing is served, neither the page nor the
    // decisions; another origin is refused even with the key.
    let root = server.url.split('/').take(3).collect::<Vec<_>>().join("/");
    for path in ["/", "/report.html", "/api/decisions"] {
        let keyless = client.get(format!("{root}{path}")).send().unwrap();
        assert_eq!(keyless.status(), 404, "{path}");
        assert!(!keyless.text().unwrap().contains(&plan.plan_hash));
    }
    let wrong_key = format!("{root}/{}/api/decisions", "0".repeat(32));
    assert_eq!(client.get(&wrong_key).send().unwrap().status(), 404);
    let evil = client
        .post(&api)
        .header("Origin", "http://evil.com")
        .json(&serde_json::json!({"updates": [{"cluster_id": b, "decision": "approve"}]}))
        .send()
        .unwrap();
    assert_eq!(evil.status(), 403);
    let evil_read = client
        .get(&server.url)
        .header("Origin", "http://evil.com")
        .send()
        .unwrap();
    assert_eq!(evil_read.status(), 403);
    // A click made on a view that did not know of the rejection is refused
    // with the decision that stands, and changes nothing.
    let stale = client
        .post(&api)
        .json(&serde_json::json!({"updates": [
            {"cluster_id": b, "decision": "approve", "expected": null},
        ]}))
        .send()
        .unwrap();
    assert_eq!(stale.status(), 409);
    let refusal: serde_json::Value = stale.json().unwrap();
    assert_eq!(refusal["conflicts"][0]["current"]["decision"], "reject");
    assert_eq!(Decisions::read(dir.path()).unwrap(), on_disk);
    // A request naming another host (DNS rebinding) is refused.
    let rebound = client
        .get(&api)
        .header("Host", "evil.example:80")
        .send()
        .unwrap();
    assert_eq!(rebound.status(), 403);

    let (code, stderr) = server.interrupt();
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(
        stderr.contains("stopped; 2 of 12 clusters decided"),
        "stderr: {stderr}"
    );

    // A second session on the same plan starts from the saved decisions.
    let again = ReviewServer::start(dir.path(), "Ирина Петрова");
    let loaded: Decisions = http_client()
        .get(format!("{}api/decisions", again.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(loaded.clusters, on_disk.clusters);
}

#[test]
fn review_refuses_non_loopback_and_missing_plans() {
    let dir = tempfile::tempdir().unwrap();
    let output = sailmerge(
        &[
            "review",
            dir.path().to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));

    let output = sailmerge(
        &[
            "review",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("plan.json") && stderr.contains("sailmerge plan --out"),
        "{stderr}"
    );
}
