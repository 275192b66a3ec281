//! `--help` of every command, `--version`, `schema`, `completions`.

use crate::snap;
use crate::support::{gc_iac, json, text};

const COMMANDS: [&str; 8] = [
    "run",
    "plan",
    "status",
    "wait",
    "history",
    "sim",
    "schema",
    "completions",
];

#[test]
fn root_help_lists_commands_examples_and_exit_codes() {
    let out = gc_iac()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .clone();
    let help = text(&out.stdout);
    assert!(help.contains("Examples:"));
    assert!(help.contains("Exit codes:"));
    assert!(help.contains("Global options:"));
    assert!(out.stderr.is_empty());
    insta::assert_snapshot!("help_root", help);
}

#[test]
fn every_command_has_help_with_examples() {
    for command in COMMANDS {
        let out = gc_iac()
            .args([command, "--help"])
            .assert()
            .success()
            .get_output()
            .clone();
        let help = text(&out.stdout);
        assert!(
            help.contains("Examples:\n  gc-iac"),
            "`gc-iac {command} --help` has no examples:\n{help}"
        );
        insta::assert_snapshot!(format!("help_{command}"), help);
    }
}

#[test]
fn short_help_is_shorter() {
    let long = gc_iac().args(["run", "--help"]).output().expect("runs");
    let short = gc_iac().args(["run", "-h"]).output().expect("runs");
    assert!(short.status.success());
    assert!(short.stdout.len() < long.stdout.len());
}

#[test]
fn version() {
    gc_iac()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("gc-iac {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn schema_is_the_job_file_schema() {
    let out = gc_iac()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .clone();
    let schema = json(&out.stdout);
    assert_eq!(schema["title"], "JobSpec");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], serde_json::json!(["acceleratorId"]));
    for field in ["acceleratorId", "dryRun", "parameters"] {
        assert!(schema["properties"][field].is_object(), "{field}");
    }
    // Written for job-file authors, not Rust users.
    let description = schema["description"].as_str().expect("a description");
    assert!(!description.contains("```"), "{description}");
    snap!("schema", text(&out.stdout));
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _gc__iac"),
        ("zsh", "#compdef gc-iac"),
        ("fish", "complete -c gc-iac"),
    ] {
        let out = gc_iac()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .clone();
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for command in ["run", "plan", "history", "schema"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    gc_iac()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'tcsh'"));
}
