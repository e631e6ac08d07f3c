//! The report in real headless Chromium, driven over WebDriver
//! (chromedriver + fantoccini): cards render, a hostile name shows as
//! text, clicks approve and reject clusters through `sailmerge review`,
//! and decisions.json says so. Screenshots land in
//! `target/report-screenshots/`.
//!
//! Skipped (with a message) when /usr/bin/chromium or /usr/bin/chromedriver
//! is missing, unless SAILMERGE_REQUIRE_BROWSER is set, as CI does: then a
//! missing browser fails the test.
//!
//! `report_opening_time_at_scale` (ignored; run it with `--ignored`)
//! measures the report's size and time to first card for 10,000 and
//! 100,000 clusters.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use sailmerge::decisions::{Decision, Decisions};
use sailmerge::ids::ClusterId;
use sailmerge::report::{self, synthetic::synthetic_plan};
use serde_json::json;

use crate::harness::{command, sailmerge_ok};
use crate::report::{HOSTILE_FIRST_NAME, HOSTILE_LAST_NAME, ReviewServer, hostile_plan};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present && std::env::var_os("SAILMERGE_REQUIRE_BROWSER").is_none() {
        eprintln!(
            "SKIPPED: {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver); set SAILMERGE_REQUIRE_BROWSER=1 to fail instead"
        );
        return false;
    }
    true
}

/// chromedriver on a free port and a Chromium session with a fresh profile;
/// chromedriver is killed on drop.
struct Browser {
    client: Client,
    chromedriver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1400,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&webdriver)
                    .await;
            match attempt {
                Ok(client) => break client,
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => {
                    panic!("cannot start a Chromium session through chromedriver: {error}")
                }
            }
        };
        Browser {
            client,
            chromedriver,
            _profile: profile,
        }
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.chromedriver.kill();
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn card_ids(client: &Client) -> Vec<String> {
    let ids = client
        .execute("return Array.from(document.querySelectorAll('#cards [data-cluster-id]'), c => c.getAttribute('data-cluster-id'));", vec![])
        .await
        .unwrap();
    serde_json::from_value(ids).unwrap()
}

async fn wait_for_cards(client: &Client, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let count = card_ids(client).await.len();
        if count == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {expected} cards, have {count}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page knows whether a review server serves it.
async fn wait_for_mode(client: &Client, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mode = client
            .execute(
                "return document.documentElement.getAttribute('data-mode')",
                vec![],
            )
            .await
            .unwrap();
        if mode == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "page mode {mode}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

/// Screenshots one card whole: a tall window, the card scrolled to just
/// below the sticky toolbar.
async fn screenshot_card(client: &Client, cluster_id: &str, file: &str) {
    client.set_window_size(1400, 2400).await.unwrap();
    let selector = format!("[data-cluster-id=\"{cluster_id}\"]");
    client
        .execute(
            "const card = document.querySelector(arguments[0]); \
             const toolbar = document.getElementById('toolbar').getBoundingClientRect().height; \
             window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - toolbar - 12);",
            vec![json!(selector)],
        )
        .await
        .unwrap();
    let card = client.find(Locator::Css(&selector)).await.unwrap();
    std::fs::write(
        screenshot_dir().join(file),
        card.screenshot().await.unwrap(),
    )
    .unwrap();
    client.set_window_size(1400, 1000).await.unwrap();
}

async fn no_alert(client: &Client) {
    assert!(
        client.get_alert_text().await.is_err(),
        "an alert fired: data ran as code"
    );
}

fn wait_for_decisions(dir: &Path, expected: &Decisions, reviewer: &str) -> Decisions {
    let want: Vec<(ClusterId, Decision)> = expected
        .clusters
        .iter()
        .map(|(id, d)| (id.clone(), d.decision))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(decisions) = Decisions::read(dir) {
            let have: Vec<(ClusterId, Decision)> = decisions
                .clusters
                .iter()
                .map(|(id, d)| (id.clone(), d.decision))
                .collect();
            if have == want {
                assert_eq!(decisions.plan_hash, expected.plan_hash);
                assert!(
                    decisions.clusters.values().all(|d| d.reviewer == reviewer),
                    "{decisions:?}"
                );
                return decisions;
            }
            assert!(
                Instant::now() < deadline,
                "decisions.json has {have:?}, expected {want:?}"
            );
        } else {
            assert!(Instant::now() < deadline, "no decisions.json written");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewer_approves_and_rejects_in_chromium_through_review() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = hostile_plan(140);
    plan.write(dir.path()).unwrap();
    report::write_report(dir.path(), &plan).unwrap();
    let reviewer = "Ирина Петрова";
    let server = ReviewServer::start(dir.path(), reviewer);
    let browser = Browser::start().await;
    let client = &browser.client;

    client.goto(&server.url).await.unwrap();
    wait_for_cards(client, 50).await;
    wait_for_mode(client, "server").await;
    no_alert(client).await;
    let summary = client
        .find(Locator::Id("summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        summary.contains("Clusters to merge") && summary.contains("140"),
        "{summary}"
    );
    // The top of the page as a reviewer first sees it, and the whole summary.
    std::fs::write(
        screenshot_dir().join("page-top.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    client.set_window_size(1400, 2600).await.unwrap();
    let summary_element = client.find(Locator::Id("summary")).await.unwrap();
    std::fs::write(
        screenshot_dir().join("summary.png"),
        summary_element.screenshot().await.unwrap(),
    )
    .unwrap();
    client.set_window_size(1400, 1000).await.unwrap();

    // The hostile name: found by search, shown as its literal text.
    let search = client.find(Locator::Id("search")).await.unwrap();
    search.send_keys("onerror").await.unwrap();
    wait_for_cards(client, 1).await;
    let hostile_id = &plan.clusters[0].cluster_id;
    assert_eq!(card_ids(client).await, vec![hostile_id.clone()]);
    let title = client
        .find(Locator::Css(".card .card-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, format!("{HOSTILE_LAST_NAME} {HOSTILE_FIRST_NAME}"));
    let cell_texts = client
        .execute(
            "return Array.from(document.querySelectorAll('.card td.member'), td => td.textContent)",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        cell_texts
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == HOSTILE_FIRST_NAME),
        "{cell_texts}"
    );
    screenshot_card(client, hostile_id, "hostile-card.png").await;
    let injected = client
        .execute(
            "return document.querySelectorAll('img, svg[onload]').length + document.scripts.length",
            vec![],
        )
        .await
        .unwrap();
    // Only the page's own four script elements (index, details, script,
    // search text); nothing parsed from data.
    assert_eq!(injected, 4);
    no_alert(client).await;
    search.clear().await.unwrap();
    search.send_keys(" ").await.unwrap();
    wait_for_cards(client, 50).await;

    // Approve three clusters and reject two by clicking on their cards.
    let shown = card_ids(client).await;
    let (approved, rejected) = (&shown[0..3], &shown[3..5]);
    for id in approved {
        click(
            client,
            &format!("[data-cluster-id=\"{id}\"] button[data-action=approve]"),
        )
        .await;
    }
    for id in rejected {
        click(
            client,
            &format!("[data-cluster-id=\"{id}\"] button[data-action=reject]"),
        )
        .await;
    }
    // A change of mind: approve, then undo; the approved card, a typical
    // one (three profiles, something lost), is the card screenshot.
    let undone = shown[5..]
        .iter()
        .find(|id| {
            let cluster = plan.clusters.iter().find(|c| &&c.cluster_id == id).unwrap();
            cluster.members.len() == 3 && !cluster.lost.is_empty()
        })
        .expect("a three-profile cluster on the first page");
    click(
        client,
        &format!("[data-cluster-id=\"{undone}\"] button[data-action=approve]"),
    )
    .await;
    screenshot_card(client, undone, "card.png").await;
    click(
        client,
        &format!("[data-cluster-id=\"{undone}\"] button[data-action=clear]"),
    )
    .await;
    let mut expected = Decisions::empty(&plan.plan_hash, "");
    for (ids, decision) in [(approved, Decision::Approve), (rejected, Decision::Reject)] {
        for id in ids {
            expected.clusters.insert(
                id.clone().into(),
                sailmerge::decisions::ClusterDecision {
                    decision,
                    reviewer: reviewer.to_string(),
                    decided_at: String::new(),
                    note: None,
                    carried_from: None,
                },
            );
        }
    }
    wait_for_decisions(dir.path(), &expected, reviewer);

    // Bulk: reject every still-undecided cluster that would lose a phone.
    let code = "lost_phone";
    click(client, &format!("#filter-warning option[value=\"{code}\"]")).await;
    click(client, "#filter-decision option[value=\"undecided\"]").await;
    let decided: BTreeSet<&ClusterId> = expected.clusters.keys().collect();
    let bulk: Vec<ClusterId> = plan
        .clusters
        .iter()
        .filter(|c| c.warnings.iter().any(|w| w.code == code) && !decided.contains(&c.cluster_id))
        .map(|c| c.cluster_id.clone())
        .collect();
    assert!(
        bulk.len() > 1,
        "the synthetic plan has clusters losing phones"
    );
    let result_count = client
        .find(Locator::Id("result-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        result_count.contains(&format!("of {} (of", bulk.len())),
        "{result_count}"
    );
    click(client, "#bulk-reject").await;
    click(client, "#bulk-confirm-yes").await;
    for id in &bulk {
        expected.clusters.insert(
            id.clone(),
            sailmerge::decisions::ClusterDecision {
                decision: Decision::Reject,
                reviewer: reviewer.to_string(),
                decided_at: String::new(),
                note: None,
                carried_from: None,
            },
        );
    }
    let saved = wait_for_decisions(dir.path(), &expected, reviewer);
    assert!(chrono::DateTime::parse_from_rfc3339(&saved.decided_at).is_ok());
    let tally = client
        .find(Locator::Id("count-rejected"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tally, (rejected.len() + bulk.len()).to_string());

    // Reopening the page shows the saved decisions (among all decisions:
    // the page opens on what still needs one).
    client.goto(&server.url).await.unwrap();
    wait_for_cards(client, 50).await;
    wait_for_mode(client, "server").await;
    click(client, "#filter-decision option[value=\"\"]").await;
    wait_for_cards(client, 50).await;
    let decision = client
        .find(Locator::Css(&format!(
            "[data-cluster-id=\"{}\"]",
            approved[1]
        )))
        .await
        .unwrap()
        .attr("data-decision")
        .await
        .unwrap();
    assert_eq!(decision.as_deref(), Some("approve"));
    no_alert(client).await;

    browser.close().await;
    let (code, stderr) = server.interrupt();
    assert_eq!(code, Some(0), "{stderr}");

    // `apply` accepts the decisions the page saved, and runs only the
    // approved clusters.
    let dry_run = command(["apply"])
        .arg(dir.path())
        .args([
            "--dry-run",
            "--base-url",
            "http://127.0.0.1:9",
            "--department-id",
            "1",
        ])
        .output()
        .unwrap();
    let dry_stderr = String::from_utf8_lossy(&dry_run.stderr);
    assert_eq!(
        dry_run.status.code(),
        Some(0),
        "apply --dry-run: {dry_stderr}"
    );
    let undecided = plan.clusters.len() - expected.clusters.len();
    assert!(
        dry_stderr.contains(&format!(
            "printed the calls of {} approved clusters (0 already merged by an earlier run); {} rejected, {undecided} undecided",
            approved.len(),
            rejected.len() + bulk.len()
        )),
        "{dry_stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_opened_as_a_file_keeps_decisions_and_builds_decisions_json() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = hostile_plan(30);
    let path = report::write_report(dir.path(), &plan).unwrap();
    let url = format!("file://{}", path.display());
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&url).await.unwrap();
    wait_for_cards(client, 30).await;
    wait_for_mode(client, "file").await;
    no_alert(client).await;

    let ids = card_ids(client).await;
    click(
        client,
        &format!(
            "[data-cluster-id=\"{}\"] button[data-action=approve]",
            ids[0]
        ),
    )
    .await;
    click(
        client,
        &format!(
            "[data-cluster-id=\"{}\"] button[data-action=reject]",
            ids[1]
        ),
    )
    .await;
    let reviewer = client.find(Locator::Id("reviewer")).await.unwrap();
    reviewer.send_keys("Аудитор\n").await.unwrap();
    client
        .find(Locator::Id("search"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // The file the download button saves, in the schema `apply` reads.
    let file = client
        .execute("return window.sailmerge.decisionsFile()", vec![])
        .await
        .unwrap();
    let decisions: Decisions = serde_json::from_value(file).unwrap();
    assert_eq!(decisions.plan_hash, plan.plan_hash);
    assert!(decisions.clusters.values().all(|d| d.reviewer == "Аудитор"));
    assert_eq!(decisions.clusters.len(), 2);
    assert!(decisions.is_approved(&ids[0]));
    assert_eq!(
        decisions.clusters[ids[1].as_str()].decision,
        Decision::Reject
    );

    // Kept in the browser across a reload (shown among all decisions).
    client.goto(&url).await.unwrap();
    wait_for_cards(client, 28).await;
    click(client, "#filter-decision option[value=\"\"]").await;
    wait_for_cards(client, 30).await;
    let card = client
        .find(Locator::Css(&format!("[data-cluster-id=\"{}\"]", ids[0])))
        .await
        .unwrap();
    assert_eq!(
        card.attr("data-decision").await.unwrap().as_deref(),
        Some("approve")
    );
    browser.close().await;
}

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let found = client
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent);",
            vec![json!(css)],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

async fn select(client: &Client, id: &str, value: &str) {
    click(client, &format!("#{id} option[value=\"{value}\"]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risk_filter_band_fragment_and_keys_in_chromium() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = synthetic_plan(300, 21);
    let path = report::write_report(dir.path(), &plan).unwrap();
    let url = format!("file://{}", path.display());
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&url).await.unwrap();
    wait_for_cards(client, 50).await;
    wait_for_mode(client, "file").await;

    // The risk filter: only medium-risk planned clusters, as many as the
    // plan has.
    let low: Vec<&str> = plan
        .clusters
        .iter()
        .filter(|c| c.triage.risk.level == "medium")
        .map(|c| c.cluster_id.as_str())
        .collect();
    assert!(
        low.len() > 50,
        "the synthetic plan has many medium-risk clusters"
    );
    select(client, "filter-risk", "medium").await;
    wait_for_cards(client, 50).await;
    let shown = card_ids(client).await;
    assert!(
        shown.iter().all(|id| low.contains(&id.as_str())),
        "{shown:?}"
    );
    let count = client
        .find(Locator::Id("result-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(count.contains(&format!("of {}", low.len())), "{count}");
    select(client, "filter-risk", "high").await;
    let high = plan
        .clusters
        .iter()
        .filter(|c| c.triage.risk.level == "high")
        .count();
    wait_for_cards(client, high.min(50)).await;
    assert!(texts(client, ".card .badge.high").await.len() == high.min(50));
    select(client, "filter-risk", "").await;
    wait_for_cards(client, 50).await;

    // The review band: candidates only, no bulk approval, their own words.
    click(client, "#tab-band").await;
    wait_for_cards(client, plan.candidates.len()).await;
    let band: Vec<ClusterId> = plan
        .candidates
        .iter()
        .map(|c| c.cluster_id.clone())
        .collect();
    let mut shown = card_ids(client).await;
    shown.sort();
    let mut expected = band.clone();
    expected.sort();
    assert_eq!(shown, expected);
    assert!(
        client
            .find(Locator::Id("band-note"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    assert!(
        !client
            .find(Locator::Id("bulk-approve"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    assert_eq!(texts(client, ".card .badge.band").await.len(), band.len());
    let candidate = card_ids(client).await[0].clone();
    click(
        client,
        &format!("[data-cluster-id=\"{candidate}\"] button[data-action=approve]"),
    )
    .await;
    screenshot_card(client, &candidate, "candidate-card.png").await;
    let file = client
        .execute("return window.sailmerge.decisionsFile()", vec![])
        .await
        .unwrap();
    let decisions: Decisions = serde_json::from_value(file).unwrap();
    assert!(decisions.is_approved(&candidate));
    // Plain words beside the bits.
    assert!(
        texts(client, ".card .explanation")
            .await
            .iter()
            .any(|t| t.contains("same"))
    );

    // One cluster per URL fragment, in any case.
    let target = &plan.clusters[7].cluster_id;
    client
        .goto(&format!("{url}#{}", target.to_uppercase()))
        .await
        .unwrap();
    wait_for_cards(client, 1).await;
    assert_eq!(card_ids(client).await, vec![target.clone()]);
    click(client, "#show-all").await;
    wait_for_cards(client, 50).await;

    // Keys: j moves to the first card, a approves it and moves on, r
    // rejects the second.
    let first_two: Vec<String> = card_ids(client).await[..2].to_vec();
    let body = client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("j").await.unwrap();
    body.send_keys("a").await.unwrap();
    body.send_keys("r").await.unwrap();
    let file = client
        .execute("return window.sailmerge.decisionsFile()", vec![])
        .await
        .unwrap();
    let decisions: Decisions = serde_json::from_value(file).unwrap();
    assert!(decisions.is_approved(&first_two[0]), "{decisions:?}");
    assert_eq!(
        decisions.clusters[first_two[1].as_str()].decision,
        Decision::Reject
    );
    no_alert(client).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_from_the_command_line_is_not_reverted_by_the_open_page() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = synthetic_plan(60, 8);
    plan.write(dir.path()).unwrap();
    let reviewer = "Ирина Петрова";
    let server = ReviewServer::start(dir.path(), reviewer);
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&server.url).await.unwrap();
    wait_for_cards(client, 50).await;
    wait_for_mode(client, "server").await;
    let shown = card_ids(client).await;
    let (rejected, other) = (&shown[0], &shown[1]);

    // While the page shows it undecided, the command line rejects it.
    sailmerge_ok(
        &[
            "approve",
            dir.path().to_str().unwrap(),
            "--reject",
            rejected,
            "--reviewer",
            "Борис",
            "--note",
            "father and son",
        ],
        &[],
    );

    // A click on the stale card, and one on another card.
    click(
        client,
        &format!("[data-cluster-id=\"{rejected}\"] button[data-action=approve]"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = client
            .find(Locator::Css(&format!("[data-cluster-id=\"{rejected}\"]")))
            .await
            .unwrap()
            .attr("data-decision")
            .await
            .unwrap();
        if state.as_deref() == Some("reject") {
            break;
        }
        assert!(Instant::now() < deadline, "the page still shows {state:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = client
        .find(Locator::Id("save-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains("changed since"), "{status}");
    click(
        client,
        &format!("[data-cluster-id=\"{other}\"] button[data-action=approve]"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let saved = loop {
        let saved = Decisions::read(dir.path()).unwrap();
        if saved.is_approved(other) {
            break saved;
        }
        assert!(Instant::now() < deadline, "the second click was not saved");
        std::thread::sleep(Duration::from_millis(100));
    };
    let stands = &saved.clusters[rejected.as_str()];
    assert_eq!(stands.decision, Decision::Reject);
    assert_eq!(
        (stands.reviewer.as_str(), stands.note.as_deref()),
        ("Борис", Some("father and son"))
    );
    assert_eq!(saved.clusters[other.as_str()].reviewer, reviewer);
    browser.close().await;
    let (code, stderr) = server.interrupt();
    assert_eq!(code, Some(0), "{stderr}");
}

/// Bounds on the report at scale, in ms, about four times what was
/// measured at 100,000 clusters in headless Chromium 148 (README: the first
/// card painted at 456 ms, a risk filter in 117 ms, a search in 178 ms).
const FIRST_CARD_PAINTED_MS: f64 = 2_000.0;
const RISK_FILTER_MS: f64 = 500.0;
const SEARCH_MS: f64 = 750.0;

/// Size of report.html, time to the first card and to a risk filter,
/// opened as a file, for 10,000 and 100,000 clusters (override with
/// SAILMERGE_REPORT_SCALES=1000,5000); fails when the first card is painted,
/// a risk filter applied or a search answered later than the bounds above.
/// Run in release:
/// `cargo test --release --test integration browser::report_opening_time_at_scale -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes long; asserts the report's opening time at scale"]
async fn report_opening_time_at_scale() {
    // Asked for by name: a missing browser is a failure, not a skip.
    assert!(
        Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        "{CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
    );
    let scales: Vec<usize> = std::env::var("SAILMERGE_REPORT_SCALES")
        .unwrap_or_else(|_| "10000,100000".to_string())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("SAILMERGE_REPORT_SCALES is a comma-separated list of counts")
        })
        .collect();
    for clusters in scales {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = synthetic_plan(clusters, 1);
        plan.seal_and_write(dir.path()).unwrap();
        let plan_bytes = std::fs::metadata(dir.path().join("plan.json"))
            .unwrap()
            .len();
        let started = Instant::now();
        let path = report::write_report(dir.path(), &plan).unwrap();
        let render = started.elapsed();
        let bytes = std::fs::metadata(&path).unwrap().len();
        let url = format!("file://{}", path.display());
        let browser = Browser::start().await;
        let client = &browser.client;
        // [first card in the page, first frame after it, script start, data
        // read, render, whole page read, risk filter, WebDriver wall, first
        // card painted], ms.
        let mut timings: Vec<[f64; 9]> = Vec::new();
        // The first open warms the browser's caches; the next three count.
        for _ in 0..4 {
            client.goto("about:blank").await.unwrap();
            let opened = Instant::now();
            client.goto(&url).await.unwrap();
            wait_for_cards(client, 50).await;
            let wall = opened.elapsed().as_secs_f64() * 1000.0;
            let deadline = Instant::now() + Duration::from_secs(120);
            let ready = loop {
                let ready = client
                    .execute("return document.documentElement.getAttribute('data-ready') && performance.now();", vec![])
                    .await
                    .unwrap();
                if let Some(ms) = ready.as_f64() {
                    break ms;
                }
                assert!(Instant::now() < deadline, "the page never finished loading");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            let timing = client
                .execute(
                    "const t = window.sailmergeTiming; return [t.firstCardMs, t.firstFrameMs, t.scriptStartMs, t.dataReadMs, t.renderMs];",
                    vec![],
                )
                .await
                .unwrap();
            // When the first card's title was painted (Element Timing).
            let painted = client
                .execute(
                    "return new Promise(resolve => { let first = null; \
                       new PerformanceObserver(list => { for (const e of list.getEntries()) \
                         if (e.identifier === 'card' && (first === null || e.renderTime < first)) first = e.renderTime; }) \
                         .observe({ type: 'element', buffered: true }); \
                       setTimeout(() => resolve(first), 200); });",
                    vec![],
                )
                .await
                .unwrap();
            // The risk filter, from the change to the new cards in the page
            // (an error instead, if the page threw one).
            let filter = client
                .execute(
                    "const select = document.getElementById('filter-risk'); \
                     return new Promise(resolve => { \
                       const started = performance.now(); \
                       window.addEventListener('error', e => resolve('error: ' + e.message)); \
                       setTimeout(() => resolve('no new cards in 10 s'), 10000); \
                       new MutationObserver((_, observer) => { observer.disconnect(); resolve(performance.now() - started); }) \
                         .observe(document.getElementById('cards'), { childList: true }); \
                       select.value = 'low'; select.dispatchEvent(new Event('change')); });",
                    vec![],
                )
                .await
                .unwrap();
            assert!(filter.is_number(), "risk filter: {filter}");
            let value = |i: usize| timing[i].as_f64().unwrap_or(f64::NAN);
            timings.push([
                value(0),
                value(1),
                value(2),
                value(3),
                value(4),
                ready,
                filter.as_f64().unwrap_or(f64::NAN),
                wall,
                painted.as_f64().unwrap_or(f64::NAN),
            ]);
        }
        let median = |column: usize| {
            let mut values: Vec<f64> = timings[1..].iter().map(|t| t[column]).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        // Searching all clusters, the slowest interaction (less the 150 ms
        // the page waits for typing to pause).
        let search_ms = client
            .execute(
                "const search = document.getElementById('search'); \
                 return new Promise(resolve => { \
                   const started = performance.now(); \
                   window.addEventListener('error', e => resolve('error: ' + e.message)); \
                   setTimeout(() => resolve('no new cards in 10 s'), 10000); \
                   new MutationObserver((_, observer) => { observer.disconnect(); resolve(performance.now() - started - 150); }) \
                     .observe(document.getElementById('cards'), { childList: true }); \
                   search.value = 'иванова'; search.dispatchEvent(new Event('input')); });",
                vec![],
            )
            .await
            .unwrap();
        assert!(search_ms.is_number(), "search: {search_ms}");
        println!(
            "report scale: {clusters} clusters (+{} candidates): report.html {:.1} MB (plan.json {:.1} MB), written in {:.2} s; \
             first card in the page {:.0} ms, next frame {:.0} ms, painted {:.0} ms after navigation start (script starts at {:.0} ms, reads the index in {:.0} ms, renders the first cards in {:.0} ms); \
             whole page read at {:.0} ms; risk filter (low) applied in {:.0} ms; WebDriver wall {:.0} ms; median of 3; \
             search over all clusters and re-render {:.0} ms",
            plan.candidates.len(),
            bytes as f64 / 1e6,
            plan_bytes as f64 / 1e6,
            render.as_secs_f64(),
            median(0),
            median(1),
            median(8),
            median(2),
            median(3),
            median(4),
            median(5),
            median(6),
            median(7),
            search_ms.as_f64().unwrap_or(f64::NAN)
        );
        // NaN (a timing the page did not give) fails these too.
        let painted = median(8);
        assert!(
            painted <= FIRST_CARD_PAINTED_MS,
            "{clusters} clusters: first card painted at {painted:.0} ms"
        );
        let filter = median(6);
        assert!(
            filter <= RISK_FILTER_MS,
            "{clusters} clusters: risk filter applied in {filter:.0} ms"
        );
        let search = search_ms.as_f64().unwrap_or(f64::NAN);
        assert!(
            search <= SEARCH_MS,
            "{clusters} clusters: search answered in {search:.0} ms"
        );
        browser.close().await;
    }
}
