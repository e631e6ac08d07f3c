//! The Sailplay sandbox over loopback HTTP: the real binary on port 0.
//!
//! The helpers here (`SandboxProcess`, `fixture_plan`, `write_plan_dir`)
//! are `pub` so that other integration tests — `apply`, and the full
//! plan → approve → apply test — can drive a sandbox the same way.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sailmerge::plan::{
    Diagnostics, MergePlan, Method, PlanSummary, PlannedCluster, SCHEMA_VERSION, Step,
};
use sailmerge::profile::Profile;
use sailmerge::sandbox::{MergeRules, merge_profiles};
use serde_json::Value;

use crate::harness::{DEPARTMENT_ID, TOKEN, command};

/// A `sailmerge sandbox` child on 127.0.0.1:0, killed when dropped.
pub struct SandboxProcess {
    child: Child,
    pub url: String,
    http: reqwest::blocking::Client,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl SandboxProcess {
    /// Serves `profiles` with `TOKEN` as the accepted token, the department
    /// `DEPARTMENT_ID`, and `extra_args` (faults, rules).
    pub fn spawn(dir: &Path, profiles: &[Profile], extra_args: &[&str]) -> SandboxProcess {
        let path = dir.join("sandbox_profiles.json");
        std::fs::write(&path, serde_json::to_vec(profiles).unwrap()).unwrap();
        let mut args = vec![
            "sandbox",
            "--profiles",
            path.to_str().unwrap(),
            "--department-id",
            DEPARTMENT_ID,
        ];
        args.extend_from_slice(extra_args);
        SandboxProcess::spawn_args(&args, &[("SAILPLAY_TOKEN", TOKEN)])
    }

    /// `sailmerge ARGS --listen 127.0.0.1:0` with the given environment.
    pub fn spawn_args(args: &[&str], env: &[(&str, &str)]) -> SandboxProcess {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (child, url) = SandboxProcess::start(&args, &env, "127.0.0.1:0");
        let _ = rustls::crypto::ring::default_provider().install_default();
        SandboxProcess {
            child,
            url,
            http: reqwest::blocking::Client::new(),
            args,
            env,
        }
    }

    fn start(args: &[String], env: &[(String, String)], listen: &str) -> (Child, String) {
        let mut child = command(args)
            .args(["--listen", listen])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let url = first_line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "sandbox printed {url:?}"
        );
        (child, url)
    }

    /// SIGKILLs the sandbox and starts it again on the same address with
    /// the same arguments (a `--state FILE` among them brings its store
    /// back), as a crashed and restarted Sailplay.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let listen = self.url.trim_start_matches("http://").to_string();
        let (child, url) = SandboxProcess::start(&self.args, &self.env, &listen);
        assert_eq!(url, self.url);
        self.child = child;
    }

    /// `/_sandbox/stats`.
    pub fn stats(&self) -> Value {
        self.http
            .get(format!("{}/_sandbox/stats", self.url))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// `/_sandbox/profiles`, by user_id.
    pub fn profiles(&self) -> BTreeMap<String, Profile> {
        let list: Vec<Profile> = self
            .http
            .get(format!("{}/_sandbox/profiles", self.url))
            .send()
            .unwrap()
            .json()
            .unwrap();
        list.into_iter()
            .map(|p| (p.user_id.to_string(), p))
            .collect()
    }

    /// A form POST to `/api/v2/{endpoint}/` with the test credentials:
    /// the HTTP status and the JSON body.
    pub fn call(&self, endpoint: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let mut form = vec![("token", TOKEN), ("store_department_id", DEPARTMENT_ID)];
        form.extend_from_slice(params);
        self.post(endpoint, &form)
    }

    /// A form POST without any added credentials. Injected faults (503,
    /// 429, dropped connections) are retried, so that checks made through
    /// a faulty sandbox see its real answer.
    pub fn post(&self, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
        for _ in 0..100 {
            let sent = self
                .http
                .post(format!("{}/api/v2/{endpoint}/", self.url))
                .form(form)
                .send();
            match sent {
                Ok(response) if ![429, 503].contains(&response.status().as_u16()) => {
                    let status = response.status().as_u16();
                    return (status, response.json().unwrap());
                }
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
                Err(error) if !error.is_connect() => {}
                Err(error) => panic!("the sandbox is gone: {error}"),
            }
        }
        panic!("the sandbox kept faulting {endpoint}");
    }

    /// One form POST with the test credentials, faults and all: the HTTP
    /// status and the body as text.
    pub fn call_once(&self, endpoint: &str, params: &[(&str, &str)]) -> (u16, String) {
        let mut form = vec![("token", TOKEN), ("store_department_id", DEPARTMENT_ID)];
        form.extend_from_slice(params);
        let response = self
            .http
            .post(format!("{}/api/v2/{endpoint}/", self.url))
            .form(&form)
            .send()
            .unwrap();
        (response.status().as_u16(), response.text().unwrap())
    }

    /// users/info's status_code for a user_id: 0 when found.
    pub fn info_code(&self, user_id: &str) -> i64 {
        let (_, body) = self.call("users/info", &[("user_id", user_id)]);
        body["status_code"].as_i64().unwrap_or(0)
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const FIRST_NAMES: [(&str, &str); 6] = [
    ("Иван", "1"),
    ("Мария", "2"),
    ("Алексей", "1"),
    ("Ольга", "2"),
    ("Дмитрий", "1"),
    ("Анна", "2"),
];
const LAST_NAMES: [&str; 5] = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов"];

/// A realistic plan without the pipeline: `clusters` clusters of 2 to 4
/// near-duplicate profiles (each with its own phone, email and card, some
/// fields missing), plus `singles` unrelated profiles; survivor = the first
/// member, merged into by the others in order, addressed by user_id or,
/// for variety, by from_phone / from_email. Each step's `after` and the
/// `result` are computed with the sandbox's documented rules. Returns every
/// profile (to load into a sandbox) and the sealed plan.
pub fn fixture_plan(clusters: usize, singles: usize, seed: u64) -> (Vec<Profile>, MergePlan) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut next_id = 1000u64;
    let mut make = |rng: &mut ChaCha8Rng, person: usize| {
        next_id += 1;
        let (first, sex) = FIRST_NAMES[person % FIRST_NAMES.len()];
        let last = LAST_NAMES[(person / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let last = if sex == "2" {
            format!("{last}а")
        } else {
            last.to_string()
        };
        let keep = |rng: &mut ChaCha8Rng, value: String| rng.random_bool(0.75).then_some(value);
        Profile {
            user_id: next_id.to_string().into(),
            origin_user_id: keep(rng, format!("card-{next_id}")),
            phone: keep(rng, format!("7999{:07}", next_id)),
            email: keep(rng, format!("user{next_id}@example.ru")),
            first_name: keep(rng, first.to_string()),
            middle_name: keep(
                rng,
                "Петрович".replace("ич", if sex == "2" { "на" } else { "ич" }),
            ),
            last_name: keep(rng, last),
            birth_date: keep(
                rng,
                format!(
                    "19{}-0{}-1{}",
                    60 + person % 40,
                    1 + person % 9,
                    person % 10
                ),
            ),
            sex: keep(rng, sex.to_string()),
            register_date: {
                let date = format!(
                    "20{:02}-03-0{}",
                    10 + rng.random_range(0..14),
                    1 + rng.random_range(0..9)
                );
                keep(rng, date)
            },
            points: Some(rng.random_range(0..500).to_string()),
            extra: BTreeMap::new(),
        }
    };
    let mut all = Vec::new();
    let mut planned = Vec::new();
    for index in 0..clusters {
        let size = 2 + index % 3;
        let members: Vec<Profile> = (0..size).map(|_| make(&mut rng, index)).collect();
        all.extend(members.iter().cloned());
        let survivor = members[0].clone();
        let mut current = survivor.clone();
        let mut steps = Vec::new();
        for (position, from) in members.iter().enumerate().skip(1) {
            let mut params = BTreeMap::new();
            match (position % 3, &from.phone, &from.email) {
                (1, Some(phone), _) => params.insert("from_phone".to_string(), phone.clone()),
                (2, _, Some(email)) => params.insert("from_email".to_string(), email.clone()),
                _ => params.insert("from_uid".to_string(), from.user_id.to_string()),
            };
            params.insert("to_uid".to_string(), survivor.user_id.to_string());
            current = merge_profiles(from, &current, &MergeRules::default());
            steps.push(Step {
                index: position as u32,
                method: Method::Merge,
                params,
                after: current.clone(),
            });
        }
        planned.push(PlannedCluster {
            cluster_id: format!("c{:06}", index + 1).into(),
            members: members.iter().map(|m| m.user_id.clone()).collect(),
            profiles: members,
            survivor: survivor.user_id.clone(),
            survivor_reason: "first member (test fixture)".to_string(),
            golden: current.clone(),
            steps,
            result: current,
            lost: vec![],
            warnings: vec![],
            evidence: vec![],
            min_probability: 0.99,
            triage: Default::default(),
        });
    }
    for person in 0..singles {
        all.push(make(&mut rng, 1000 + person));
    }
    let mut plan = MergePlan {
        schema_version: SCHEMA_VERSION,
        plan_hash: String::new(),
        generated_by: "test fixture".to_string(),
        inputs: vec![],
        settings: serde_json::json!({}),
        assumptions: vec![],
        summary: PlanSummary {
            profiles: all.len() as u64,
            clusters: planned.len() as u64,
            profiles_in_clusters: planned.iter().map(|c| c.members.len() as u64).sum(),
            merge_calls: planned.iter().map(|c| c.steps.len() as u64).sum(),
            ..PlanSummary::default()
        },
        diagnostics: Diagnostics::default(),
        language: String::new(),
        history: Default::default(),
        clusters: planned,
        candidates: vec![],
    };
    plan.seal();
    (all, plan)
}

/// Writes `plan` into `dir`.
pub fn write_plan_dir(dir: &Path, plan: &MergePlan) {
    std::fs::create_dir_all(dir).unwrap();
    plan.write(dir).unwrap();
}

#[test]
fn sandbox_answers_as_the_documentation_says() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, _) = fixture_plan(0, 3, 1);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &[]);
    let [a, b, c] = [&profiles[0], &profiles[1], &profiles[2]];

    let health = reqwest::blocking::get(format!("{}/", sandbox.url)).unwrap();
    assert_eq!(health.status().as_u16(), 200);

    // users/info: the fields at the top level, id = user_id, a points object.
    let (status, body) = sandbox.call("users/info", &[("user_id", &a.user_id)]);
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["id"].to_string(), a.user_id);
    assert_eq!(
        body["points"]["confirmed"].to_string(),
        a.points.clone().unwrap()
    );
    // GET with a query string works too.
    let query: Value = reqwest::blocking::get(format!(
        "{}/api/v2/users/info/?token={TOKEN}&store_department_id={DEPARTMENT_ID}&user_id={}",
        sandbox.url, b.user_id
    ))
    .unwrap()
    .json()
    .unwrap();
    assert_eq!(query["id"].to_string(), b.user_id);
    let (_, unknown) = sandbox.call("users/info", &[("user_id", "999999")]);
    assert_eq!(
        (unknown["status"].as_str(), unknown["status_code"].as_i64()),
        (Some("error"), Some(-4000))
    );

    // Credentials: a wrong token is Sailplay's -7 (HTTP 200), a wrong
    // department HTTP 401.
    let (status, refused) = sandbox.post(
        "users/info",
        &[
            ("token", "nope"),
            ("store_department_id", DEPARTMENT_ID),
            ("user_id", &a.user_id),
        ],
    );
    assert_eq!(status, 200);
    assert_eq!(refused["status_code"], -7);
    let (status, _) = sandbox.post(
        "users/info",
        &[
            ("token", TOKEN),
            ("store_department_id", "1"),
            ("user_id", &a.user_id),
        ],
    );
    assert_eq!(status, 401);

    // users/add and the uniqueness errors.
    let (_, added) = sandbox.call(
        "users/add",
        &[("user_phone", "79161234567"), ("first_name", "Пётр")],
    );
    assert_eq!(added["status"], "ok", "{added}");
    let (_, duplicate) = sandbox.call("users/add", &[("user_phone", "79161234567")]);
    assert_eq!(duplicate["status_code"], -5100);
    let new_id = added["id"].to_string();
    if let Some(phone) = &a.phone {
        let (_, used) = sandbox.call(
            "users/update",
            &[("user_id", &new_id), ("new_phone", phone)],
        );
        assert_eq!(used["status_code"], -5102);
    }
    if let Some(email) = &a.email {
        let (_, used) = sandbox.call(
            "users/update",
            &[("user_id", &new_id), ("new_email", email)],
        );
        assert_eq!(used["status_code"], -5103);
    }
    if let Some(card) = &a.origin_user_id {
        let (_, used) = sandbox.call(
            "users/update",
            &[("user_id", &new_id), ("new_origin_user_id", card)],
        );
        assert_eq!(used["status_code"], -5122);
    }

    // multi=1: one object per identifier kind, {} where none was given.
    let (_, multi) = sandbox.call(
        "users/info",
        &[
            ("multi", "1"),
            ("user_id", &c.user_id),
            ("user_phone", "79161234567"),
        ],
    );
    assert_eq!(multi["user_id"]["id"].to_string(), c.user_id);
    assert_eq!(multi["phone"]["phone"], "79161234567");
    assert_eq!(multi["email"], serde_json::json!({}));

    // users/merge: from disappears, its identifiers become free, points add up.
    let (_, merged) = sandbox.call(
        "users/merge",
        &[("from_uid", &a.user_id), ("to_uid", &b.user_id)],
    );
    assert_eq!(merged["status"], "ok", "{merged}");
    assert_eq!(sandbox.info_code(&a.user_id), -4000);
    let expected = merge_profiles(a, b, &MergeRules::default());
    assert_eq!(sandbox.profiles()[b.user_id.as_str()], expected);
    let points: i64 = a.points.as_ref().unwrap().parse::<i64>().unwrap()
        + b.points.as_ref().unwrap().parse::<i64>().unwrap();
    assert_eq!(expected.points, Some(points.to_string()));
    let (_, twice) = sandbox.call(
        "users/merge",
        &[("from_uid", &a.user_id), ("to_uid", &b.user_id)],
    );
    assert_eq!(twice["status_code"], -4000);
    let (_, two_pairs) = sandbox.call(
        "users/merge",
        &[
            ("from_uid", &c.user_id),
            ("from_phone", "79161234567"),
            ("to_uid", &b.user_id),
        ],
    );
    assert_eq!(two_pairs["status"], "error");

    let stats = sandbox.stats();
    assert_eq!(stats["merges_applied"], 1);
    assert_eq!(stats["merges"][format!("{}->{}", a.user_id, b.user_id)], 1);
    assert_eq!(stats["auth_failures"], 2);
}

#[test]
fn login_trades_department_key_and_pin_for_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, _) = fixture_plan(0, 1, 2);
    let path = dir.path().join("profiles.json");
    std::fs::write(&path, serde_json::to_vec(&profiles).unwrap()).unwrap();
    let sandbox = SandboxProcess::spawn_args(
        &["sandbox", "--profiles", path.to_str().unwrap()],
        &[
            ("SAILPLAY_DEPARTMENT_KEY", "key-1"),
            ("SAILPLAY_PIN", "4321"),
        ],
    );
    let (status, _) = sandbox.post(
        "login",
        &[
            ("store_department_id", "7"),
            ("store_department_key", "key-1"),
            ("pin_code", "0000"),
        ],
    );
    assert_eq!(status, 401);
    let (status, body) = sandbox.post(
        "login",
        &[
            ("store_department_id", "7"),
            ("store_department_key", "key-1"),
            ("pin_code", "4321"),
        ],
    );
    assert_eq!(status, 200);
    let token = body["token"].as_str().unwrap().to_string();
    let (status, info) = sandbox.post(
        "users/info",
        &[
            ("token", &token),
            ("store_department_id", "7"),
            ("user_id", &profiles[0].user_id),
        ],
    );
    assert_eq!((status, info["status"].as_str()), (200, Some("ok")));
}

#[test]
fn faults_fail_drop_and_rate_limit_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, _) = fixture_plan(0, 2, 3);
    // Every request dropped: the merge happens, the client gets no answer.
    let dropping = SandboxProcess::spawn(dir.path(), &profiles, &["--drop-rate", "1"]);
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/api/v2/users/merge/", dropping.url))
        .form(&[
            ("token", TOKEN),
            ("store_department_id", DEPARTMENT_ID),
            ("from_uid", &profiles[0].user_id),
            ("to_uid", &profiles[1].user_id),
        ])
        .send();
    let error = response.expect_err("a dropped connection is no response");
    assert!(!error.is_connect() && !error.is_timeout(), "{error}");
    let stats = dropping.stats();
    assert_eq!(
        (stats["merges_applied"].as_u64(), stats["dropped"].as_u64()),
        (Some(1), Some(1))
    );
    drop(dropping);

    // Every request failed: 503 and nothing done.
    let failing = SandboxProcess::spawn(dir.path(), &profiles, &["--fail-rate", "1"]);
    let (status, _) = failing.call_once(
        "users/merge",
        &[
            ("from_uid", &profiles[0].user_id),
            ("to_uid", &profiles[1].user_id),
        ],
    );
    assert_eq!(status, 503);
    assert_eq!(failing.stats()["merges_applied"], 0);
    drop(failing);

    // Two requests a second: a burst of ten gets 429s with Retry-After.
    let limited = SandboxProcess::spawn(dir.path(), &profiles, &["--rate-limit", "2"]);
    let client = reqwest::blocking::Client::new();
    let statuses: Vec<(u16, Option<String>)> = (0..10)
        .map(|_| {
            let response = client
                .post(format!("{}/api/v2/users/info/", limited.url))
                .form(&[
                    ("token", TOKEN),
                    ("store_department_id", DEPARTMENT_ID),
                    ("user_id", &profiles[0].user_id),
                ])
                .send()
                .unwrap();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|value| value.to_str().unwrap().to_string());
            (response.status().as_u16(), retry_after)
        })
        .collect();
    let refused = statuses.iter().filter(|(status, _)| *status == 429).count();
    assert!(refused >= 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|(status, retry)| *status == 200
                || (*status == 429 && retry.as_deref() == Some("1"))),
        "{statuses:?}"
    );
    assert_eq!(
        limited.stats()["rate_limited"].as_u64().unwrap() as usize,
        refused
    );
}

#[test]
fn sandbox_loads_an_export_with_load() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = crate::fixtures::sample_profiles();
    let files = crate::fixtures::write_every_format(&profiles, dir.path());
    let expected: BTreeMap<String, Profile> = profiles
        .into_iter()
        .map(|p| (p.user_id.to_string(), p))
        .collect();
    for name in ["export.csv", "export_1251.csv", "export.xlsx"] {
        let file = files.iter().find(|f| f.path.ends_with(name)).unwrap();
        let sandbox = SandboxProcess::spawn_args(
            &["sandbox", "--load", file.path.to_str().unwrap()],
            &[("SAILPLAY_TOKEN", TOKEN)],
        );
        assert_eq!(sandbox.profiles(), expected, "{}", file.label);
    }
}

#[test]
fn latency_holds_every_api_request_and_held_requests_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, _) = fixture_plan(0, 2, 4);
    let sandbox = SandboxProcess::spawn(dir.path(), &profiles, &["--latency-ms", "300"]);
    let started = std::time::Instant::now();
    let (_, body) = sandbox.call("users/info", &[("user_id", &profiles[0].user_id)]);
    assert_eq!(body["status"], "ok");
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    std::thread::scope(|scope| {
        for profile in &profiles {
            scope.spawn(|| sandbox.call("users/info", &[("user_id", &profile.user_id)]));
        }
    });
    assert_eq!(sandbox.stats()["max_in_flight"], 2);
    // The sandbox's own pages are not held.
    let started = std::time::Instant::now();
    sandbox.stats();
    assert!(started.elapsed() < std::time::Duration::from_millis(300));
}

#[test]
fn a_restarted_sandbox_serves_its_state_and_merge_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (profiles, _) = fixture_plan(0, 3, 5);
    let state = dir.path().join("state.jsonl");
    let mut sandbox =
        SandboxProcess::spawn(dir.path(), &profiles, &["--state", state.to_str().unwrap()]);
    let [a, b] = [&profiles[0], &profiles[1]];
    let (_, merged) = sandbox.call(
        "users/merge",
        &[("from_uid", &a.user_id), ("to_uid", &b.user_id)],
    );
    assert_eq!(merged["status"], "ok", "{merged}");
    let (_, updated) = sandbox.call(
        "users/update",
        &[("user_id", &b.user_id), ("first_name", "Пётр")],
    );
    assert_eq!(updated["status"], "ok", "{updated}");
    let before = sandbox.profiles();

    sandbox.restart();
    assert_eq!(sandbox.profiles(), before);
    assert_eq!(sandbox.info_code(&a.user_id), -4000);
    let stats = sandbox.stats();
    assert_eq!(stats["merges"][format!("{}->{}", a.user_id, b.user_id)], 1);
    assert_eq!(
        (
            stats["merges_applied"].as_u64(),
            stats["updates_applied"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // A new profile never gets the id of one merged away before the restart.
    let (_, added) = sandbox.call("users/add", &[("user_phone", "79161230000")]);
    let new_id: u64 = added["id"].as_u64().unwrap();
    assert!(
        profiles
            .iter()
            .all(|p| p.user_id.parse::<u64>().unwrap() < new_id)
    );
}
