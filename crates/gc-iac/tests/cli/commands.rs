//! run, plan, status, wait and sim, in both output formats; progress lines;
//! --quiet.

use std::time::Duration;

use predicates::prelude::*;

use crate::snap;
use crate::support::{Spawned, TestSim, gc_iac, is_uuid, json, text};

/// Progress lines look like `[  0.0s] job <id>: <Status>`; returns the
/// statuses in order.
fn progress_statuses(stderr: &str, id: &str) -> Vec<String> {
    let mut statuses = Vec::new();
    for line in stderr.lines() {
        let (elapsed, rest) = line
            .split_once("] ")
            .unwrap_or_else(|| panic!("not a progress line: {line:?}\n{stderr}"));
        let secs = elapsed
            .strip_prefix('[')
            .and_then(|e| e.strip_suffix('s'))
            .unwrap_or_else(|| panic!("no elapsed time: {line:?}"));
        assert!(secs.trim().parse::<f64>().is_ok(), "{line:?}");
        assert_eq!(secs.len(), 6, "elapsed is right-aligned in 6: {line:?}");
        let status = rest
            .strip_prefix(&format!("job {id}: "))
            .unwrap_or_else(|| panic!("not about job {id}: {line:?}"));
        statuses.push(status.to_string());
    }
    statuses
}

#[test]
fn readme_main_job_completes() {
    // The README's main job, exactly (with a faster first poll).
    let out = gc_iac()
        .args(["--sim", "run", "hello-world", "-p", "name=demo", "--wait"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("job "), "{stdout}");
    assert!(stdout.contains(" ended Complete after "), "{stdout}");
    assert!(stdout.contains("Apply complete!"), "{stdout}");
}

#[test]
fn run_wait_shows_one_progress_line_per_status_change() {
    let sim = TestSim::with_step(Duration::from_millis(150));
    let out = sim
        .cmd()
        .args(["run", "hello-world", "-p", "name=demo", "--wait"])
        .args(["--poll-interval", "30ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let id = stdout
        .split_whitespace()
        .nth(1)
        .expect("job <id> ended ...")
        .to_string();
    assert!(is_uuid(&id), "{stdout}");
    let statuses = progress_statuses(&stderr, &id);
    assert_eq!(statuses.last().map(String::as_str), Some("Complete"));
    for pair in statuses.windows(2) {
        assert_ne!(pair[0], pair[1], "a repeated status: {statuses:?}");
    }
    let order = ["Created", "Queued", "Running", "Complete"];
    let positions: Vec<usize> = statuses
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known status"))
        .collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{statuses:?}");
    snap!("run_wait_table", stdout);
}

#[test]
fn run_without_wait_prints_the_id_and_how_to_follow() {
    let sim = TestSim::fast();
    let out = sim
        .cmd()
        .args(["run", "hello-world", "-p", "name=demo"])
        .assert()
        .success()
        .get_output()
        .clone();
    let id = text(&out.stdout).trim().to_string();
    assert!(is_uuid(&id));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("`gc-iac wait {id}`")), "{stderr}");
    let jobs = sim.handle().jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id.as_deref(), Some(id.as_str()));
}

#[test]
fn run_json_is_one_document_with_api_field_names() {
    let sim = TestSim::fast();
    let out = sim
        .cmd()
        .args([
            "--output",
            "json",
            "run",
            "queue-setup",
            "-p",
            "queueName=Support",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert_eq!(job["acceleratorId"], "queue-setup");
    assert_eq!(job["dryRun"], false);
    assert!(is_uuid(job["id"].as_str().expect("id")));
    assert!(job["status"].is_string());
    assert!(job["dateSubmitted"].is_string());
    assert!(job.get("accelerator_id").is_none());
}

#[test]
fn run_wait_json_is_the_final_job_with_results() {
    let out = gc_iac()
        .args([
            "--sim",
            "--output",
            "json",
            "run",
            "hello-world",
            "-p",
            "name=x",
        ])
        .args(["--wait", "--poll-interval", "50ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert_eq!(job["status"], "Complete");
    assert_eq!(job["dryRun"], false);
    assert!(
        job["results"]
            .as_str()
            .is_some_and(|r| r.contains("Apply complete!"))
    );
    // Progress still goes to stderr.
    assert!(text(&out.stderr).contains(": Complete"));
}

#[test]
fn a_failed_apply_exits_1_with_error_and_rollback() {
    let out = gc_iac()
        .args([
            "--sim",
            "run",
            "broken-apply",
            "--wait",
            "--poll-interval",
            "50ms",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ended RollbackComplete"), "{stdout}");
    assert!(stdout.contains("--- error ---"), "{stdout}");
    assert!(stdout.contains("--- rollback results ---"), "{stdout}");
    snap!("run_broken_apply_table", stdout);

    let out = gc_iac()
        .args(["--sim", "--output", "json", "run", "broken-apply", "--wait"])
        .args(["--poll-interval", "50ms"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert_eq!(job["status"], "RollbackComplete");
    assert!(job["errorInfo"]["message"].is_string(), "{job}");
    assert!(job["rollbackResults"].is_string(), "{job}");
}

#[test]
fn plan_is_a_dry_run_that_waits() {
    let out = gc_iac()
        .args(["--sim", "plan", "queue-setup", "-p", "queueName=Support"])
        .args(["-p", "skills=billing,returns", "--poll-interval", "50ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ended Complete"), "{stdout}");
    assert!(stdout.contains("(plan of queue-setup)"), "{stdout}");
    snap!("plan_table", stdout);

    let out = gc_iac()
        .args([
            "--sim",
            "--output",
            "json",
            "plan",
            "hello-world",
            "-p",
            "name=x",
        ])
        .args(["--poll-interval", "50ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert_eq!(job["dryRun"], true);
    assert_eq!(job["status"], "Complete");
    assert!(job["results"].as_str().is_some_and(|r| r.contains("Plan:")));
}

#[test]
fn plan_of_a_broken_accelerator_still_completes() {
    // Only applies fail: the plan of broken-apply ends Complete, exit 0.
    gc_iac()
        .args(["--sim", "plan", "broken-apply", "--poll-interval", "50ms"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ended Complete"));
}

#[test]
fn status_and_wait_of_an_earlier_job() {
    let sim = TestSim::fast();
    let id = sim.submit(&["broken-apply"]);

    // wait: table, then JSON.
    let out = sim
        .cmd()
        .args(["wait", &id, "--poll-interval", "30ms"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains(&format!("job {id} ended RollbackComplete")));
    let out = sim
        .cmd()
        .args(["--output", "json", "wait", &id])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(json(&out.stdout)["id"], id.as_str());

    // status without details: no results.
    let out = sim
        .cmd()
        .args(["--output", "json", "status", &id])
        .assert()
        .success()
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert_eq!(job["status"], "RollbackComplete");
    assert_eq!(job["acceleratorId"], "broken-apply");
    assert!(job.get("results").is_none(), "{job}");

    // status --details: results, errorInfo, rollbackResults.
    let out = sim
        .cmd()
        .args(["--output", "json", "status", &id, "--details"])
        .assert()
        .success()
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert!(job["results"].is_string(), "{job}");
    assert!(job["errorInfo"].is_object(), "{job}");
    assert!(job["rollbackResults"].is_string(), "{job}");

    // The tables fit 80 columns.
    let out = sim
        .cmd()
        .args(["status", &id])
        .assert()
        .success()
        .get_output()
        .clone();
    let table = text(&out.stdout);
    crate::support::assert_fits_80(&table);
    assert!(!table.contains("--- results ---"));
    snap!("status_table", table);
    let out = sim
        .cmd()
        .args(["status", &id, "--details"])
        .assert()
        .success()
        .get_output()
        .clone();
    let details = text(&out.stdout);
    assert!(details.contains("--- results ---"), "{details}");
    assert!(details.contains("--- rollback results ---"), "{details}");
    snap!("status_details_table", details);

    // status -q: just the status.
    sim.cmd()
        .args(["-q", "status", &id])
        .assert()
        .success()
        .stdout("RollbackComplete\n");
}

#[test]
fn wait_on_a_finished_job_returns_at_once() {
    let sim = TestSim::fast();
    let id = sim.submit(&["hello-world", "-p", "name=x"]);
    sim.cmd()
        .args(["wait", &id, "--poll-interval", "20ms"])
        .assert()
        .success();
    // Again, now that it is certainly over: one progress line.
    let out = sim
        .cmd()
        .args(["wait", &id])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(progress_statuses(&text(&out.stderr), &id), ["Complete"]);
}

#[test]
fn quiet_prints_only_what_scripts_need() {
    let sim = TestSim::fast();
    // run: the id, nothing on stderr.
    let out = sim
        .cmd()
        .args(["-q", "run", "hello-world", "-p", "name=x"])
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    assert!(is_uuid(text(&out.stdout).trim()));
    // run --wait: the id, no progress, no summary.
    let out = sim
        .cmd()
        .args(["--quiet", "run", "hello-world", "-p", "name=y", "--wait"])
        .args(["--poll-interval", "20ms"])
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    let id = text(&out.stdout).trim().to_string();
    assert!(is_uuid(&id), "{id:?}");
    // wait: the id.
    sim.cmd()
        .args(["-q", "wait", &id])
        .assert()
        .success()
        .stderr("")
        .stdout(format!("{id}\n"));
    // A failing job: still the exit code, still quiet.
    sim.cmd()
        .args([
            "-q",
            "run",
            "broken-apply",
            "--wait",
            "--poll-interval",
            "20ms",
        ])
        .assert()
        .code(1)
        .stderr("");
    // With JSON: the document, nothing else.
    let out = sim
        .cmd()
        .args(["-q", "--output", "json", "wait", &id])
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    assert_eq!(json(&out.stdout)["status"], "Complete");
}

#[test]
fn no_progress_gives_plain_lines() {
    // stderr is a pipe here, so plain lines either way; --no-progress must
    // not turn them off.
    let out = gc_iac()
        .args([
            "--sim",
            "--no-progress",
            "run",
            "hello-world",
            "-p",
            "name=x",
        ])
        .args(["--wait", "--poll-interval", "50ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.ends_with(": Complete")),
        "{stderr}"
    );
}

#[test]
fn verbose_logs_to_stderr_and_keeps_stdout_clean() {
    let out = gc_iac()
        .args(["--sim", "-vv", "--output", "json", "run", "hello-world"])
        .args(["-p", "name=x", "--wait", "--poll-interval", "50ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(json(&out.stdout)["status"], "Complete");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("genesys_iac"), "{stderr}");
    assert!(!stderr.contains("sim-secret"), "a secret in the logs");
}

#[test]
fn sim_command_serves_until_interrupted() {
    let sim = Spawned::new(&["sim", "--addr", "127.0.0.1:0", "--step-ms", "20"]);
    let first = sim.stdout_line();
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0"), "{url}");

    let out = gc_iac()
        .args(["--base-url", &url, "--client-id", "sim-client"])
        .args(["--client-secret", "sim-secret", "--output", "json"])
        .args([
            "run",
            "hello-world",
            "-p",
            "name=x",
            "--wait",
            "--poll-interval",
            "20ms",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(json(&out.stdout)["status"], "Complete");

    sim.signal("INT");
    let (code, _, _) = sim.finish();
    assert_eq!(code, Some(0), "the simulator stops cleanly on Ctrl-C");
}

#[test]
fn sim_command_rejects_bad_options() {
    gc_iac()
        .args(["sim", "--fail-rate", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--fail-rate"));
}

/// Runs `gc-iac ARGS` on a pseudo-terminal with util-linux `script`;
/// `None` when `script` is not installed. Returns the exit code and what
/// the terminal showed (stdout and stderr together).
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &str) -> Option<(Option<i32>, String)> {
    let mut cmd = std::process::Command::new("script");
    crate::support::clean_env(&mut cmd);
    let out = cmd
        .args([
            "-qec",
            &format!("{} {args}", crate::support::BIN),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    Some((out.status.code(), text(&out.stdout)))
}

#[cfg(target_os = "linux")]
#[test]
fn a_terminal_gets_a_spinner_unless_no_progress() {
    let run = "--sim run hello-world -p name=x --wait --poll-interval 50ms";
    let Some((code, screen)) = on_a_terminal(run) else {
        eprintln!("skipped: `script` is not installed");
        return;
    };
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("\u{1b}[2K"),
        "no spinner redraws: {screen:?}"
    );
    assert!(screen.contains(": Complete"), "{screen:?}");
    assert!(screen.contains("Apply complete!"), "{screen:?}");

    let (code, screen) = on_a_terminal(&format!("--no-progress {run}")).expect("script ran before");
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        !screen.contains('\u{1b}'),
        "escape codes with --no-progress: {screen:?}"
    );
    assert!(screen.contains("] job "), "{screen:?}");
}
