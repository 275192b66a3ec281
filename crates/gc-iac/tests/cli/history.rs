//! `history` with each filter and sort, both output formats.

use std::sync::OnceLock;
use std::time::Duration;

use genesys_iac_sim::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthClient, Simulator};

use crate::snap;
use crate::support::{TestSim, assert_fits_80, is_uuid, json, text};

/// A simulator holding four ended jobs, submitted in this order:
/// hello-world apply, queue-setup plan, broken-apply apply (all by
/// sim-client), then hello-world apply by `other`.
struct Fixture {
    sim: TestSim,
    ids: Vec<String>,
}

fn other() -> OAuthClient {
    OAuthClient::new("other", "other-secret")
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let sim = TestSim::start(
            Simulator::builder()
                .client(OAuthClient::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET))
                .client(other())
                .step(Duration::from_millis(10)),
        );
        let mut ids = Vec::new();
        for (client, args, code) in [
            (DEFAULT_CLIENT_ID, vec!["hello-world", "-p", "name=a"], 0),
            (
                DEFAULT_CLIENT_ID,
                vec!["queue-setup", "-p", "queueName=q", "--dry-run"],
                0,
            ),
            (DEFAULT_CLIENT_ID, vec!["broken-apply"], 1),
            ("other", vec!["hello-world", "-p", "name=b"], 0),
        ] {
            let secret = if client == "other" {
                "other-secret"
            } else {
                DEFAULT_CLIENT_SECRET
            };
            let out = sim
                .cmd_as(client, secret)
                .args(["-q", "run"])
                .args(args)
                .args(["--wait", "--poll-interval", "20ms"])
                .output()
                .expect("gc-iac runs");
            assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
            let id = text(&out.stdout).trim().to_string();
            assert!(is_uuid(&id), "{id:?}");
            ids.push(id);
            // Distinct submission times, so date order is well defined.
            std::thread::sleep(Duration::from_millis(5));
        }
        Fixture { sim, ids }
    })
}

/// `history ARGS --output json` as a list of (id, field) pairs.
fn history_json(args: &[&str]) -> Vec<serde_json::Value> {
    let out = fixture()
        .sim
        .cmd()
        .args(["--output", "json", "history"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .clone();
    match json(&out.stdout) {
        serde_json::Value::Array(jobs) => jobs,
        other => panic!("history JSON is not an array: {other}"),
    }
}

fn ids(jobs: &[serde_json::Value]) -> Vec<&str> {
    jobs.iter()
        .map(|j| j["id"].as_str().expect("an id"))
        .collect()
}

fn field<'a>(jobs: &'a [serde_json::Value], name: &str) -> Vec<&'a str> {
    jobs.iter()
        .map(|j| j[name].as_str().unwrap_or(""))
        .collect()
}

#[test]
fn newest_first_by_default() {
    let f = fixture();
    let jobs = history_json(&[]);
    let mut expected: Vec<&str> = f.ids.iter().map(String::as_str).collect();
    expected.reverse();
    assert_eq!(ids(&jobs), expected);
    assert!(
        jobs.iter()
            .all(|j| j.get("acceleratorId").is_some() && j.get("dryRun").is_some())
    );
}

#[test]
fn limit_one_is_still_an_array() {
    let jobs = history_json(&["--limit", "1"]);
    assert_eq!(ids(&jobs), [fixture().ids[3].as_str()]);
}

#[test]
fn filter_by_status() {
    let jobs = history_json(&["--status", "RollbackComplete"]);
    assert_eq!(ids(&jobs), [fixture().ids[2].as_str()]);
    assert!(history_json(&["--status", "Failed"]).is_empty());
}

#[test]
fn filter_by_accelerator() {
    let f = fixture();
    let jobs = history_json(&["--accelerator", "hello-world"]);
    assert_eq!(ids(&jobs), [f.ids[3].as_str(), f.ids[0].as_str()]);
}

#[test]
fn filter_by_submitter() {
    let user = other().user_id();
    let jobs = history_json(&["--submitted-by", &user]);
    assert_eq!(ids(&jobs), [fixture().ids[3].as_str()]);
    assert_eq!(jobs[0]["submittedBy"]["id"], user.as_str());
}

#[test]
fn sort_by_each_field_and_order() {
    let f = fixture();
    let asc = history_json(&["--sort-by", "acceleratorId", "--order", "asc"]);
    assert_eq!(
        field(&asc, "acceleratorId"),
        ["broken-apply", "hello-world", "hello-world", "queue-setup"]
    );
    let desc = history_json(&["--sort-by", "acceleratorId", "--order", "desc"]);
    assert_eq!(
        desc.first().map(|j| &j["acceleratorId"]),
        Some(&"queue-setup".into())
    );

    let by_date = history_json(&["--sort-by", "dateSubmitted", "--order", "asc"]);
    let expected: Vec<&str> = f.ids.iter().map(String::as_str).collect();
    assert_eq!(ids(&by_date), expected);

    let by_id = history_json(&["--sort-by", "id", "--order", "asc"]);
    let mut sorted = expected.clone();
    sorted.sort_unstable();
    assert_eq!(ids(&by_id), sorted);

    let by_status = history_json(&["--sort-by", "status", "--order", "asc"]);
    let statuses = field(&by_status, "status");
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(statuses, sorted);

    let by_user = history_json(&["--sort-by", "submittedBy", "--order", "desc"]);
    assert_eq!(by_user.len(), 4);
}

#[test]
fn errors_only_with_include_errors() {
    let f = fixture();
    let without = history_json(&["--status", "RollbackComplete"]);
    assert!(without[0].get("errorInfo").is_none(), "{}", without[0]);
    let with = history_json(&["--status", "RollbackComplete", "--include-errors"]);
    assert!(with[0]["errorInfo"]["message"].is_string(), "{}", with[0]);

    let out = f
        .sim
        .cmd()
        .args(["history", "--include-errors"])
        .assert()
        .success()
        .get_output()
        .clone();
    let table = text(&out.stdout);
    assert_fits_80(&table);
    assert!(table.contains("ERROR"), "{table}");
    assert!(table.contains("queue name is reserved"), "{table}");
    snap!("history_include_errors_table", table);
}

#[test]
fn table_fits_80_columns_and_keeps_ids_whole() {
    let f = fixture();
    let out = f
        .sim
        .cmd()
        .arg("history")
        .assert()
        .success()
        .get_output()
        .clone();
    let table = text(&out.stdout);
    assert_fits_80(&table);
    for id in &f.ids {
        assert!(
            table.contains(id.as_str()),
            "id {id} is not whole:\n{table}"
        );
    }
    snap!("history_table", table);
}

#[test]
fn quiet_lists_ids() {
    let f = fixture();
    let out = f
        .sim
        .cmd()
        .args(["-q", "history", "--accelerator", "hello-world"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(text(&out.stdout), format!("{}\n{}\n", f.ids[3], f.ids[0]));
}

#[test]
fn nothing_found() {
    let f = fixture();
    f.sim
        .cmd()
        .args(["history", "--accelerator", "no-such-thing"])
        .assert()
        .success()
        .stdout("no jobs found\n");
    assert!(history_json(&["--accelerator", "no-such-thing"]).is_empty());
}

#[test]
fn a_status_unknown_to_the_cli_is_passed_through() {
    // The service matches statuses case-insensitively; the CLI does not
    // second-guess values it does not know.
    let jobs = history_json(&["--status", "rollbackcomplete"]);
    assert_eq!(ids(&jobs), [fixture().ids[2].as_str()]);
}

#[test]
fn bad_history_flags() {
    let f = fixture();
    for args in [
        vec!["history", "--limit", "0"],
        vec!["history", "--limit", "101"],
        vec!["history", "--sort-by", "color"],
        vec!["history", "--order", "up"],
    ] {
        f.sim.cmd().args(&args).assert().code(2);
    }
}
