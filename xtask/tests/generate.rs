//! The generator's contract: the checked-in file is current, drift is caught,
//! and a bad spec gives one clear line and exit 1, never a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::generate::{generate_source, parse_and_validate, recorded_hash, sha256_hex};
use xtask::{GENERATED_PATH, SPEC_PATH, workspace_root};

fn spec_text() -> String {
    std::fs::read_to_string(workspace_root().join(SPEC_PATH)).expect("spec readable")
}

fn xtask(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_tmp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temp file");
    p
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xtask-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn checked_in_file_matches_the_spec() {
    let spec = spec_text();
    let fresh = generate_source(&spec, SPEC_PATH).expect("the spec generates");
    let on_disk =
        std::fs::read_to_string(workspace_root().join(GENERATED_PATH)).expect("generated.rs");
    assert!(
        fresh == on_disk,
        "generated.rs is stale: run `cargo xtask generate`"
    );
    assert_eq!(
        recorded_hash(&on_disk),
        Some(sha256_hex(spec.as_bytes()).as_str())
    );
    assert!(on_disk.starts_with("// @generated"));
    assert!(on_disk.contains("DO NOT EDIT"));
}

#[test]
fn check_passes_on_the_checked_in_file() {
    let (code, stdout, stderr) = xtask(&["generate", "--check"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("up to date"));
}

#[test]
fn adding_a_query_parameter_is_drift_until_regenerated() {
    let dir = tempdir();
    let out = dir.join("generated.rs");
    let out_s = out.to_str().expect("utf-8 path");
    let original = write_tmp(&dir, "spec.yaml", &spec_text());
    let (code, _, stderr) = xtask(&[
        "generate",
        "--spec",
        original.to_str().expect("utf-8"),
        "--out",
        out_s,
    ]);
    assert_eq!(code, 0, "{stderr}");

    let changed = spec_text().replace(
        "        - name: includeErrors\n",
        "        - name: pageToken\n          in: query\n          description: Opaque cursor\n          required: false\n          schema:\n            type: string\n        - name: includeErrors\n",
    );
    assert_ne!(changed, spec_text(), "the edit applied");
    let changed_path = write_tmp(&dir, "spec.yaml", &changed);
    let changed_s = changed_path.to_str().expect("utf-8");

    let (code, _, stderr) = xtask(&["generate", "--check", "--spec", changed_s, "--out", out_s]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("is stale"), "{stderr}");
    assert!(
        stderr.contains("page_token"),
        "the diff names the new parameter: {stderr}"
    );
    assert!(
        !std::fs::read_to_string(&out)
            .expect("out")
            .contains("pageToken"),
        "--check writes nothing"
    );

    let (code, _, stderr) = xtask(&["generate", "--spec", changed_s, "--out", out_s]);
    assert_eq!(code, 0, "{stderr}");
    let regenerated = std::fs::read_to_string(&out).expect("out");
    assert!(
        regenerated.contains("\"pageToken\""),
        "the query name is in the generated code"
    );
    assert!(
        regenerated.contains("pub fn page_token"),
        "the builder has a setter"
    );
    let (code, _, _) = xtask(&["generate", "--check", "--spec", changed_s, "--out", out_s]);
    assert_eq!(code, 0);
}

/// Runs the binary on a broken spec and checks the one-line error contract.
fn assert_spec_error(name: &str, text: &str, expect: &str) {
    let dir = tempdir();
    let spec = write_tmp(&dir, name, text);
    let spec_s = spec.to_str().expect("utf-8");
    let out = dir.join("generated.rs");
    let (code, stdout, stderr) = xtask(&[
        "generate",
        "--spec",
        spec_s,
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    let prefix = format!("error: {spec_s}: ");
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(stderr.contains(expect), "expected {expect:?} in {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written for a bad spec");
}

#[test]
fn yaml_syntax_error_names_line_and_column() {
    let text = spec_text().replacen("  schemas:\n", "  schemas:\n  bad: [\n", 1);
    assert_spec_error("syntax.yaml", &text, "invalid YAML");
    assert_spec_error(
        "syntax2.yaml",
        "openapi: 3.0.3\ninfo: {title: x\n",
        "line 2",
    );
}

#[test]
fn missing_operation_id() {
    let text = spec_text().replacen("      operationId: getInfrastructureascodeJob\n", "", 1);
    assert_spec_error(
        "noid.yaml",
        &text,
        "GET /api/v2/infrastructureascode/jobs/{jobId} has no operationId",
    );
}

#[test]
fn duplicate_operation_id() {
    let text = spec_text().replacen(
        "operationId: getInfrastructureascodeJobs\n",
        "operationId: getInfrastructureascodeJob\n",
        1,
    );
    assert_spec_error("dup.yaml", &text, "is used twice");
}

#[test]
fn missing_required_operation() {
    let text = spec_text().replace("postInfrastructureascodeJobs", "postSomethingElse");
    assert_spec_error(
        "missing.yaml",
        &text,
        "missing required operation(s): postInfrastructureascodeJobs",
    );
}

#[test]
fn dangling_ref() {
    let text = spec_text().replacen(
        "$ref: '#/components/schemas/UserReference'",
        "$ref: '#/components/schemas/UserRef'",
        1,
    );
    assert_spec_error(
        "dangling.yaml",
        &text,
        "dangling $ref \"#/components/schemas/UserRef\"",
    );
}

#[test]
fn external_ref() {
    let text = spec_text().replacen(
        "$ref: '#/components/schemas/UserReference'",
        "$ref: 'other.yaml#/UserReference'",
        1,
    );
    assert_spec_error("external.yaml", &text, "points outside this file");
}

#[test]
fn two_error_types_on_one_operation() {
    let text = spec_text().replacen(
        "        '404': {$ref: '#/components/responses/NotFound'}\n",
        "        '404':\n          description: x\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Limit'}\n",
        1,
    );
    assert_spec_error(
        "twoerrors.yaml",
        &text,
        "operation getInfrastructureascodeJob: its error responses use 2 different bodies",
    );
}

#[test]
fn default_response_beside_typed_ones() {
    let text = spec_text().replacen(
        "        '504': {$ref: '#/components/responses/GatewayTimeout'}\n",
        "        '504': {$ref: '#/components/responses/GatewayTimeout'}\n        default:\n          description: any\n          content:\n            text/html:\n              schema: {type: string}\n",
        1,
    );
    assert_spec_error("default.yaml", &text, "no `default`");
}

#[test]
fn progenitor_panic_is_caught_and_explained() {
    // An object-typed query parameter trips an `unreachable!` inside progenitor.
    let text = spec_text().replacen(
        "        - name: acceleratorId\n          in: query\n",
        "        - name: weird\n          in: query\n          schema:\n            type: object\n            properties:\n              a: {type: string}\n        - name: acceleratorId\n          in: query\n",
        1,
    );
    assert_spec_error("panic.yaml", &text, "progenitor cannot handle");
}

#[test]
fn not_openapi_at_all() {
    assert_spec_error("list.yaml", "- a\n- b\n", "not a YAML mapping");
    assert_spec_error(
        "swagger.yaml",
        "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n",
        "not a valid OpenAPI 3.0 document",
    );
    let v31 = spec_text().replacen("openapi: 3.0.3", "openapi: 3.1.0", 1);
    assert_spec_error("v31.yaml", &v31, "is not supported");
}

#[test]
fn unreadable_spec_file() {
    let (code, _, stderr) = xtask(&["generate", "--spec", "/nonexistent/spec.yaml"]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: /nonexistent/spec.yaml: cannot read the spec"),
        "{stderr}"
    );
}

#[test]
fn validation_accepts_the_real_spec() {
    parse_and_validate(&spec_text()).expect("valid");
}

#[test]
fn unknown_task_and_argument() {
    let (code, _, stderr) = xtask(&["frobnicate"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown task"));
    let (code, _, stderr) = xtask(&["generate", "--bogus"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown argument"));
}
