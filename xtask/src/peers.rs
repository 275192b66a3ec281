//! Running the release-built harness, and installing the official Genesys
//! SDKs it compares against (into `target/peers/`, from PyPI and npm).

use std::path::PathBuf;
use std::process::Command;

use crate::{target_dir, workspace_root};

/// The Python SDK version the peer scripts are written and checked against.
pub const PYTHON_SDK: &str = "purecloudplatformclientv2==269.0.0";
/// The JavaScript SDK version the peer scripts are written and checked against.
pub const JS_SDK: &str = "purecloud-platform-client-v2@262.0.0";

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed: {status}"))
    }
}

/// Creates (once) a virtual environment with the official Python SDK and
/// returns its interpreter.
pub fn python_sdk() -> Result<PathBuf, String> {
    let venv = target_dir().join("peers").join("python-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(".installed");
    if marker.exists() && std::fs::read_to_string(&marker).unwrap_or_default() == PYTHON_SDK {
        return Ok(python);
    }
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        PYTHON_SDK,
    ]))?;
    std::fs::write(&marker, PYTHON_SDK).map_err(|e| e.to_string())?;
    Ok(python)
}

/// Installs (once) the official JavaScript SDK and returns its folder.
pub fn js_sdk() -> Result<PathBuf, String> {
    let dir = target_dir().join("peers").join("node");
    let marker = dir.join(".installed");
    if marker.exists() && std::fs::read_to_string(&marker).unwrap_or_default() == JS_SDK {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(&dir)
        .arg(JS_SDK))?;
    std::fs::write(&marker, JS_SDK).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds the harness and the simulator in release mode.
fn build_release() -> Result<(), String> {
    run(Command::new(cargo()).current_dir(workspace_root()).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "genesys-iac-sim",
        "-p",
        "iac-harness",
        "--bins",
    ]))
}

/// `cargo xtask soak [--workflows N] [--concurrency C] [--seed S]`.
pub fn soak(args: &[String]) -> Result<(), String> {
    build_release()?;
    let out = target_dir().join("soak").join("summary.json");
    run(Command::new(release_bin("iac-soak"))
        .args(args)
        .arg("--out")
        .arg(out))
}

fn release_bin(name: &str) -> PathBuf {
    target_dir().join("release").join(name)
}

/// `cargo xtask bench [--quick]`.
pub fn bench(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(bad) = args.iter().find(|a| *a != "--quick") {
        return Err(format!(
            "bench: unknown argument {bad:?} (usage: cargo xtask bench [--quick])"
        ));
    }
    build_release()?;
    let root = workspace_root();
    let python = python_sdk()
        .map_err(|e| eprintln!("warning: Python SDK unavailable, its figure will be missing: {e}"))
        .ok();
    let node = js_sdk()
        .map_err(|e| {
            eprintln!("warning: JavaScript SDK unavailable, its figure will be missing: {e}")
        })
        .ok();
    let out = target_dir().join("bench");
    let mut cmd = Command::new(release_bin("iac-bench"));
    cmd.arg("run")
        .arg("--sim-bin")
        .arg(release_bin("gc-iac-sim"))
        .arg("--bare-bin")
        .arg(release_bin("bare-server"))
        .arg("--out")
        .arg(&out)
        .arg("--peers")
        .arg(root.join("xtask/harness/peers"));
    if quick {
        cmd.arg("--quick");
        cmd.arg("--markdown").arg(out.join("BENCHMARKS.quick.md"));
    } else {
        cmd.arg("--markdown").arg(root.join("BENCHMARKS.md"));
    }
    if let Some(py) = &python {
        cmd.arg("--python").arg(py);
    }
    if let Some(node) = &node {
        cmd.arg("--node-dir").arg(node);
    }
    run(&mut cmd)
}

/// A server binary started on a free loopback port; killed on drop.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bin args..`, reads `listening on URL` from its first stdout line.
fn start_server(bin: &std::path::Path, args: &[&str]) -> Result<(Server, String), String> {
    use std::io::BufRead;
    let mut child = Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut line = String::new();
    let mut reader = std::io::BufReader::new(stdout);
    reader
        .read_line(&mut line)
        .map_err(|e| format!("reading {}: {e}", bin.display()))?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| {
            format!(
                "{} printed {line:?} instead of `listening on URL`",
                bin.display()
            )
        })?
        .to_string();
    Ok((server, url))
}

/// `cargo xtask conformance`: the official Python SDK, unmodified, against
/// the simulator (crates/genesys-iac-sim/conformance/python_sdk.py).
pub fn conformance(args: &[String]) -> Result<(), String> {
    if let Some(bad) = args.first() {
        return Err(format!("conformance: unknown argument {bad:?}"));
    }
    let python = python_sdk()?;
    run(Command::new(cargo()).current_dir(workspace_root()).args([
        "build",
        "--quiet",
        "-p",
        "genesys-iac-sim",
        "--bin",
        "gc-iac-sim",
    ]))?;
    let bin = target_dir().join("debug").join("gc-iac-sim");
    let (_server, url) = start_server(&bin, &["--addr", "127.0.0.1:0", "--step-ms", "100"])?;
    println!("simulator at {url}");
    run(Command::new(python)
        .arg(workspace_root().join("crates/genesys-iac-sim/conformance/python_sdk.py"))
        .arg(&url))
}
