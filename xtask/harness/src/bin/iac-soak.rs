//! `cargo xtask soak [--workflows N] [--concurrency C] [--seed S]`: see
//! `iac_harness::soak`. Writes `target/soak/summary.json` (or `--out FILE`)
//! and exits 1 unless nothing was lost, duplicated or panicked.

use std::path::PathBuf;
use std::process::ExitCode;

use iac_harness::soak::{SoakConfig, run};

fn parse<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .ok_or(format!("{name} needs a value"))?
            .parse()
            .map_err(|_| format!("{name}: not a valid number")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = SoakConfig::default();
    let parsed = (|| -> Result<PathBuf, String> {
        cfg.workflows = parse(&args, "--workflows", cfg.workflows)?;
        cfg.concurrency = parse(&args, "--concurrency", cfg.concurrency)?;
        cfg.seed = parse(&args, "--seed", cfg.seed)?;
        let out = args
            .iter()
            .position(|a| a == "--out")
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target/soak/summary.json"));
        Ok(out)
    })();
    let out = match parsed {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "error: {e}\nusage: iac-soak [--workflows N] [--concurrency C] [--seed S] [--out FILE]"
            );
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "soak: {} workflows, {} at a time, seed {}, every fault mode on",
        cfg.workflows, cfg.concurrency, cfg.seed
    );
    let summary = match rt.block_on(run(&cfg)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: soak could not run: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&out, &json) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!("{json}");
    println!("wrote {}", out.display());
    if summary.passed {
        println!("soak passed: nothing lost, nothing duplicated, no panics");
        ExitCode::SUCCESS
    } else {
        eprintln!("soak FAILED: see {}", out.display());
        ExitCode::FAILURE
    }
}
