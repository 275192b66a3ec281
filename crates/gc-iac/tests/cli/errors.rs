//! Exit codes 2, 3 and 4 and how errors read: `error: ...` on one line,
//! then `hint: ...` lines.

use std::time::Duration;

use genesys_iac_sim::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FaultProfile, OAuthClient, Simulator,
};

use crate::snap;
use crate::support::{TestSim, gc_iac, text};

/// Runs `cmd`, expects `code`, nothing on stdout, and an error shaped as
/// one `error:` line plus `hint:` lines; returns stderr.
fn fails(cmd: &mut assert_cmd::Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().clone();
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    let stderr = text(&out.stderr);
    let mut lines = stderr.lines().filter(|l| !l.starts_with('['));
    let first = lines.next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{stderr}");
    for line in lines {
        assert!(line.starts_with("hint: "), "{stderr}");
    }
    stderr
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        vec!["--bogus"],
        vec!["frobnicate"],
        vec!["--output", "xml", "history"],
        vec!["--sim", "run", "hello-world", "-p", "novalue"],
        vec!["--sim", "run", "hello-world", "-p", "=x"],
        vec!["--sim", "run", "hello-world", "--timeout", "soon"],
        vec!["--sim", "run", "hello-world", "--wait", "--timeout", "0"],
        vec!["--sim", "wait"],
        vec!["--sim", "status"],
        vec!["--sim", "plan", "hello-world", "--dry-run"],
    ] {
        let out = gc_iac().args(&args).assert().code(2).get_output().clone();
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(text(&out.stderr).contains("error:"), "{args:?}");
    }
    // No command at all: the help, on stderr, exit 2.
    let out = gc_iac().assert().code(2).get_output().clone();
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("Usage: gc-iac"));
    let out = gc_iac()
        .arg("--bogus")
        .assert()
        .code(2)
        .get_output()
        .clone();
    snap!("error_bad_flag", text(&out.stderr));
}

#[test]
fn no_accelerator_exits_2() {
    let err = fails(gc_iac().args(["--sim", "run"]), 2);
    assert!(err.contains("no accelerator to run"), "{err}");
}

#[test]
fn no_credentials_exits_2_naming_the_variables_and_suggesting_sim() {
    // Neither credentials nor region: credentials come first.
    let err = fails(gc_iac().args(["run", "hello-world"]), 2);
    assert!(err.contains("GENESYSCLOUD_OAUTHCLIENT_ID"), "{err}");
    assert!(err.contains("GENESYSCLOUD_OAUTHCLIENT_SECRET"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("hint: ") && l.contains("--sim")),
        "{err}"
    );
    snap!("error_no_credentials", err);
    // The same with a region.
    let err = fails(gc_iac().args(["--region", "eu-west-1", "history"]), 2);
    assert!(err.contains("no credentials"), "{err}");
    // Half of a pair.
    let err = fails(
        gc_iac()
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", "someone")
            .args(["--region", "eu-west-1", "history"]),
        2,
    );
    assert!(err.contains("no client secret"), "{err}");
}

#[test]
fn no_region_exits_2() {
    let err = fails(
        gc_iac()
            .env("GENESYSCLOUD_OAUTHCLIENT_ID", "id")
            .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", "secret")
            .args(["status", "x"]),
        2,
    );
    assert!(err.contains("no region"), "{err}");
    assert!(!err.contains("secret\n"), "{err}");
    snap!("error_no_region", err);
    let err = fails(
        gc_iac()
            .args([
                "--region",
                "mars-north-1",
                "--client-id",
                "a",
                "--client-secret",
                "b",
            ])
            .args(["history"]),
        2,
    );
    assert!(err.contains("mars-north-1"), "{err}");
}

#[test]
fn unknown_accelerator_exits_3_with_correlation_id() {
    let sim = TestSim::fast();
    let err = fails(sim.cmd().args(["run", "no-such-accelerator"]), 3);
    assert!(err.contains("HTTP 400"), "{err}");
    assert!(err.contains("no-such-accelerator"), "{err}");
    assert!(err.contains("correlation id "), "{err}");
    assert!(sim.handle().jobs().is_empty());
    snap!("error_unknown_accelerator", err);
    // JSON output changes nothing for errors: stdout stays empty.
    fails(
        sim.cmd()
            .args(["--output", "json", "run", "no-such-accelerator"]),
        3,
    );
}

#[test]
fn unknown_job_exits_3() {
    let sim = TestSim::fast();
    let err = fails(
        sim.cmd()
            .args(["status", "00000000-0000-4000-8000-000000000000"]),
        3,
    );
    assert!(err.contains("HTTP 404"), "{err}");
    assert!(err.contains("correlation id"), "{err}");
    snap!("error_unknown_job", err);
    fails(
        sim.cmd()
            .args(["wait", "00000000-0000-4000-8000-000000000000"]),
        3,
    );
}

#[test]
fn bad_credentials_exit_3() {
    let sim = TestSim::fast();
    let err = fails(
        sim.cmd_as(DEFAULT_CLIENT_ID, "s3cr3t-wr0ng")
            .args(["history"]),
        3,
    );
    assert!(err.contains("401"), "{err}");
    assert!(err.contains("GENESYSCLOUD_OAUTHCLIENT_SECRET"), "{err}");
    assert!(!err.contains("s3cr3t-wr0ng"), "the secret is shown: {err}");
    snap!("error_bad_credentials", err);
    // A bad access token.
    let err = fails(
        gc_iac().args([
            "--base-url",
            &sim.url(),
            "--access-token",
            "not-a-token",
            "history",
        ]),
        3,
    );
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("not-a-token"), "the token is shown: {err}");
}

#[test]
fn missing_permission_exits_3_naming_it() {
    let sim = TestSim::start(
        Simulator::builder()
            .client(OAuthClient::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET))
            .client(OAuthClient::new("viewer", "pw").permissions(["infrastructureascode:job:view"]))
            .step(Duration::from_millis(20)),
    );
    let err = fails(
        sim.cmd_as("viewer", "pw")
            .args(["run", "hello-world", "-p", "name=x"]),
        3,
    );
    assert!(err.contains("403"), "{err}");
    assert!(err.contains("infrastructureascode:job:add"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("hint: ") && l.contains("role")),
        "{err}"
    );
    snap!("error_missing_permission", err);
    // Viewing is allowed.
    sim.cmd_as("viewer", "pw").arg("history").assert().success();
    assert!(sim.handle().jobs().is_empty());
}

#[test]
fn unreachable_service_exits_3() {
    // Nothing listens there once the simulator is gone.
    let url = TestSim::fast().url();
    let err = fails(
        gc_iac().args([
            "--base-url",
            &url,
            "--client-id",
            "a",
            "--client-secret",
            "b",
            "history",
        ]),
        3,
    );
    assert!(err.contains("hint: check the network"), "{err}");
}

#[test]
fn wait_timeout_exits_4_and_says_how_to_go_on() {
    let sim = TestSim::with_step(Duration::from_secs(600));
    let out = sim
        .cmd()
        .args([
            "run",
            "hello-world",
            "-p",
            "name=x",
            "--wait",
            "--timeout",
            "1s",
        ])
        .args(["--poll-interval", "100ms"])
        .assert()
        .code(4)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    let id = sim.handle().jobs()[0].id.clone().expect("an id");
    assert!(err.contains(&format!("job {id} did not finish")), "{err}");
    assert!(err.contains(&format!("gc-iac wait {id}")), "{err}");
    assert!(err.contains("(last status: Created)"), "{err}");

    // wait and --output json: still nothing on stdout.
    let out = sim
        .cmd()
        .args(["--output", "json", "wait", &id, "--timeout", "1s"])
        .assert()
        .code(4)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.lines().any(|l| l.starts_with("error: ")), "{err}");
    snap!(
        "error_wait_timeout",
        err.lines()
            .filter(|l| !l.starts_with('['))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn an_empty_job_id_is_a_usage_error() {
    let err = fails(gc_iac().args(["--sim", "status", ""]), 2);
    assert!(err.contains("invalid input"), "{err}");
}

#[test]
fn unknown_submit_outcome_exits_3_and_says_to_look_first() {
    // Every submit creates the job but loses the reply.
    let sim = TestSim::start(
        Simulator::builder()
            .faults(FaultProfile {
                post_lost_reply_rate: 1.0,
                ..FaultProfile::default()
            })
            .step(Duration::from_millis(20)),
    );
    let err = fails(sim.cmd().args(["run", "hello-world", "-p", "name=x"]), 3);
    assert!(err.contains("unknown"), "{err}");
    assert!(
        err.contains("hint: ") && err.contains("gc-iac history --accelerator hello-world"),
        "{err}"
    );
    // Never submitted twice.
    assert_eq!(sim.handle().jobs().len(), 1);
}
