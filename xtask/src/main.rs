//! `cargo xtask`: see the library docs for the tasks.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::generate::{diff_summary, generate_source, recorded_hash, sha256_hex};
use xtask::{GENERATED_PATH, SPEC_PATH, workspace_root};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  generate [--check] [--spec FILE] [--out FILE]
      Regenerate crates/genesys-iac-client/src/generated.rs from the OpenAPI
      fragment. With --check, write nothing and exit 1 if the file is stale.
  bench [--quick]
      Side-by-side benchmarks (release build): client overhead against plain
      reqwest, the official Python and JavaScript SDKs, the simulator against
      a bare server, and 10,000 concurrent waiters. Writes
      target/bench/results.json and (full runs) BENCHMARKS.md.
  conformance
      Run the official Genesys Python SDK (installed into target/peers/ from
      PyPI) against the simulator: crates/genesys-iac-sim/conformance/.
  soak [--workflows N] [--concurrency C] [--seed S]
      Fault soak (release build): N submit-and-wait workflows (default 1000,
      50 at a time) against a simulator with every fault mode on, reconciled
      with its records. Writes target/soak/summary.json; exits 1 if anything
      was lost, duplicated or panicked.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate(&args[1..]),
        Some("bench") => xtask::peers::bench(&args[1..]),
        Some("soak") => xtask::peers::soak(&args[1..]),
        Some("conformance") => xtask::peers::conformance(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task {other:?}\n\n{USAGE}")),
        None => Err(format!("no task given\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let mut check = false;
    let mut spec_arg: Option<String> = None;
    let mut out_arg: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--check" => check = true,
            "--spec" => spec_arg = Some(it.next().ok_or("--spec needs a file")?.clone()),
            "--out" => out_arg = Some(it.next().ok_or("--out needs a file")?.clone()),
            other => return Err(format!("generate: unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    let display = spec_arg.clone().unwrap_or_else(|| SPEC_PATH.to_string());
    let spec_path = spec_arg
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(SPEC_PATH));
    let out_display = out_arg
        .clone()
        .unwrap_or_else(|| GENERATED_PATH.to_string());
    let out_path = out_arg
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(GENERATED_PATH));

    let started = std::time::Instant::now();
    let spec_text = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("{display}: cannot read the spec: {e}"))?;
    let fresh = generate_source(&spec_text, &display).map_err(|e| e.to_string())?;

    if check {
        let on_disk = std::fs::read_to_string(&out_path).unwrap_or_default();
        if on_disk == fresh {
            println!("{out_display} is up to date with {display}");
            return Ok(());
        }
        let recorded = recorded_hash(&on_disk).unwrap_or("none");
        let hash = sha256_hex(spec_text.as_bytes());
        let cause = if recorded == hash {
            "the spec is unchanged, so the file was edited by hand or reformatted"
        } else {
            "the spec changed since the file was generated"
        };
        return Err(format!(
            "{out_display} is stale: it does not match {display} ({cause}; spec sha256 {hash}, file records {recorded})\n{}\nrun `cargo xtask generate` and review the snapshot diff",
            diff_summary(&on_disk, &fresh, 60),
        ));
    }
    std::fs::write(&out_path, &fresh).map_err(|e| format!("{out_display}: cannot write: {e}"))?;
    println!(
        "wrote {out_display} ({} lines, {} bytes) from {display} in {:.2?}",
        fresh.lines().count(),
        fresh.len(),
        started.elapsed()
    );
    Ok(())
}
