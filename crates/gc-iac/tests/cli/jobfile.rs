//! Job files (-f): reading, flags on top, and every way one can be broken.

use std::path::PathBuf;

use predicates::prelude::*;

use crate::snap;
use crate::support::{TestSim, gc_iac, json, text};

/// Writes `content` to `name` in a fresh directory.
fn job_file(name: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write the job file");
    (dir, path)
}

/// Runs `gc-iac --sim run -f <file>`; expects exit 2 and returns stderr with
/// the temp directory replaced by `[DIR]`.
fn broken(name: &str, content: &str) -> String {
    let (dir, path) = job_file(name, content);
    let out = gc_iac()
        .arg("--sim")
        .arg("run")
        .arg("-f")
        .arg(&path)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr).replace(&dir.path().display().to_string(), "[DIR]");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| !l.starts_with("hint: ")).count(),
        1,
        "one error line (plus hints): {stderr}"
    );
    stderr
}

#[test]
fn yaml_and_json_job_files_run() {
    let sim = TestSim::fast();
    let (_d, yaml) = job_file(
        "job.yaml",
        "acceleratorId: hello-world\ndryRun: true\nparameters:\n  name: from-yaml\n",
    );
    let out = sim
        .cmd()
        .args(["--output", "json", "run", "-f"])
        .arg(&yaml)
        .assert()
        .success()
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert_eq!(job["acceleratorId"], "hello-world");
    assert_eq!(job["dryRun"], true);

    let (_d, json_file) = job_file(
        "job.json",
        r#"{"acceleratorId": "queue-setup", "parameters": {"queueName": "Q", "count": 3, "on": true}}"#,
    );
    sim.cmd()
        .args(["run", "-f"])
        .arg(&json_file)
        .assert()
        .success();

    let subs = sim.handle().submissions();
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[0].parameters["name"], "from-yaml");
    assert_eq!(subs[1].parameters["queueName"], "Q");
    assert_eq!(subs[1].parameters["count"], "3");
    assert_eq!(subs[1].parameters["on"], "true");
    assert!(!subs[1].job.dry_run);
}

#[test]
fn flags_override_the_job_file() {
    let sim = TestSim::fast();
    let (_d, path) = job_file(
        "job.yml",
        "acceleratorId: hello-world\nparameters:\n  queueName: FromFile\n  skills: a,b\n",
    );
    let out = sim
        .cmd()
        .args(["--output", "json", "run", "queue-setup", "-f"])
        .arg(&path)
        .args(["-p", "queueName=FromFlag", "-p", "extra=x=y", "--dry-run"])
        .assert()
        .success()
        .get_output()
        .clone();
    let job = json(&out.stdout);
    assert_eq!(job["acceleratorId"], "queue-setup");
    assert_eq!(job["dryRun"], true);
    let subs = sim.handle().submissions();
    let params = &subs[0].parameters;
    assert_eq!(params["queueName"], "FromFlag");
    assert_eq!(params["skills"], "a,b");
    assert_eq!(params["extra"], "x=y");
}

#[test]
fn dry_run_in_the_file_is_kept_by_plain_run() {
    let sim = TestSim::fast();
    let (_d, path) = job_file("job.yaml", "acceleratorId: hello-world\ndryRun: true\n");
    let out = sim
        .cmd()
        .args(["--output", "json", "run", "-f"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(json(&out.stdout)["dryRun"], true);
}

#[test]
fn yaml_syntax_error_names_file_line_and_column() {
    let err = broken("job.yaml", "acceleratorId: x\n  dryRun: true\n");
    assert!(err.contains("[DIR]/job.yaml:2:9: "), "{err}");
    snap!("jobfile_yaml_syntax", err);
    let err = broken("job.yaml", "acceleratorId: \"x\ndryRun: true\n");
    assert!(err.contains("[DIR]/job.yaml:3:1: "), "{err}");
}

#[test]
fn json_syntax_error_names_file_line_and_column() {
    let err = broken("job.json", "{\"acceleratorId\": \"x\",\n \"dryRun\": tru}");
    assert!(err.contains("[DIR]/job.json:2:"), "{err}");
    snap!("jobfile_json_syntax", err);
}

#[test]
fn schema_violation_names_the_field() {
    let err = broken("job.yaml", "acceleratorId: x\ndryRun: maybe\n");
    assert!(
        err.contains("[DIR]/job.yaml:2:9: dryRun: invalid type"),
        "{err}"
    );
    snap!("jobfile_wrong_type_yaml", err);
    let err = broken(
        "job.json",
        "{\"acceleratorId\": \"x\", \"dryRun\": \"yes\"}",
    );
    assert!(err.contains("dryRun: invalid type"), "{err}");
    let err = broken("job.yaml", "acceleratorId: x\nparameters:\n  a: [1, 2]\n");
    assert!(
        err.contains("parameters.a: invalid type: sequence"),
        "{err}"
    );
    let err = broken("job.yaml", "- hello-world\n");
    assert!(
        err.contains("expected a mapping with acceleratorId"),
        "{err}"
    );
}

#[test]
fn unknown_field_is_rejected_by_name() {
    let err = broken("job.yaml", "acceleratorId: x\ndry_run: true\n");
    assert!(err.contains("unknown field `dry_run`"), "{err}");
    snap!("jobfile_unknown_field", err);
}

#[test]
fn duplicate_parameter_is_rejected() {
    let err = broken(
        "job.yaml",
        "acceleratorId: x\nparameters:\n  a: 1\n  a: 2\n",
    );
    assert!(err.contains("duplicate parameter name \"a\""), "{err}");
    let err = broken(
        "job.json",
        r#"{"acceleratorId": "x", "parameters": {"a": "1", "a": "2"}}"#,
    );
    assert!(err.contains("duplicate parameter name \"a\""), "{err}");
}

#[test]
fn empty_or_missing_accelerator_is_rejected() {
    let err = broken("job.yaml", "acceleratorId: \"\"\n");
    assert!(err.contains("the accelerator id is empty"), "{err}");
    let err = broken("job.yaml", "parameters:\n  a: b\n");
    assert!(err.contains("missing field `acceleratorId`"), "{err}");
    let err = broken("job.yaml", "\n");
    assert!(err.contains("the job file is empty"), "{err}");
    snap!("jobfile_empty", err);
}

#[test]
fn unreadable_job_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let missing = dir.path().join("nope.yaml");
    let out = gc_iac()
        .arg("--sim")
        .arg("run")
        .arg("-f")
        .arg(&missing)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = text(&out.stderr);
    assert!(err.contains("nope.yaml: cannot read the job file"), "{err}");
    // A directory is not a job file either.
    gc_iac()
        .arg("--sim")
        .arg("run")
        .arg("-f")
        .arg(dir.path())
        .assert()
        .code(2);
    // Nor is binary garbage.
    let (_d, path) = job_file("job.yaml", "");
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x41]).expect("write");
    gc_iac()
        .arg("--sim")
        .arg("run")
        .arg("-f")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not UTF-8"));
}

#[test]
fn a_broken_file_is_reported_before_connecting() {
    // Exit 2 even without credentials or region: the file is checked first.
    let (_d, path) = job_file("job.yaml", "acceleratorId: [\n");
    gc_iac()
        .arg("run")
        .arg("-f")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("job.yaml:")
                .and(predicates::str::contains("credentials").not()),
        );
}
