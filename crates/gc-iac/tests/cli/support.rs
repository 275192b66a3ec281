//! Helpers: the binary with a clean environment, a simulator running on a
//! background runtime, snapshot filters, output parsing.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, ChildStdout, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use genesys_iac_sim::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimHandle, SimulatorBuilder};

/// Generous: the machine running the tests may be busy.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Path of the binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_gc-iac");

/// The `GENESYSCLOUD_*` variables the CLI reads; removed from every test
/// command so the developer's own settings cannot leak in.
const ENV_VARS: [&str; 4] = [
    "GENESYSCLOUD_REGION",
    "GENESYSCLOUD_OAUTHCLIENT_ID",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    "GENESYSCLOUD_ACCESS_TOKEN",
];

/// Removes the variables that could change what the binary does.
pub fn clean_env(cmd: &mut std::process::Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GENESYSCLOUD_") {
            cmd.env_remove(&key);
        }
    }
    for key in ENV_VARS {
        cmd.env_remove(key);
    }
    // Help text wraps at $COLUMNS (or the terminal's width): fix it.
    cmd.env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("LINES");
}

/// `gc-iac` with a clean environment and a kill-timeout.
pub fn gc_iac() -> Command {
    let mut std_cmd = std::process::Command::new(BIN);
    clean_env(&mut std_cmd);
    let mut cmd = Command::from_std(std_cmd);
    cmd.timeout(PATIENCE);
    cmd
}

/// A simulator on its own background runtime, alive as long as this value.
pub struct TestSim {
    // Field order matters: the handle is dropped before its runtime.
    handle: SimHandle,
    _rt: tokio::runtime::Runtime,
}

impl TestSim {
    /// Starts `builder` (which should listen on `127.0.0.1:0`).
    pub fn start(builder: SimulatorBuilder) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let handle = rt.block_on(builder.start()).expect("the simulator starts");
        Self { handle, _rt: rt }
    }

    /// A simulator whose jobs end after 3 steps of `step`.
    pub fn with_step(step: Duration) -> Self {
        Self::start(genesys_iac_sim::Simulator::builder().step(step))
    }

    /// A fast simulator (jobs end after about 60 ms).
    pub fn fast() -> Self {
        Self::with_step(Duration::from_millis(20))
    }

    /// The handle (jobs, submissions, clients).
    pub fn handle(&self) -> &SimHandle {
        &self.handle
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        self.handle.base_url()
    }

    /// `gc-iac` pointed at this simulator with the given credentials.
    pub fn cmd_as(&self, id: &str, secret: &str) -> Command {
        let mut cmd = gc_iac();
        cmd.args([
            "--base-url",
            &self.url(),
            "--client-id",
            id,
            "--client-secret",
            secret,
        ]);
        cmd
    }

    /// `gc-iac` pointed at this simulator as the default client.
    pub fn cmd(&self) -> Command {
        self.cmd_as(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    }

    /// Submits a job through the CLI and returns its id (`-q run ...`).
    pub fn submit(&self, args: &[&str]) -> String {
        let out = self
            .cmd()
            .arg("-q")
            .arg("run")
            .args(args)
            .output()
            .expect("gc-iac runs");
        assert!(out.status.success(), "submit failed: {}", text(&out.stderr));
        let id = text(&out.stdout).trim().to_string();
        assert!(is_uuid(&id), "not a job id: {id:?}");
        id
    }
}

/// Bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `s` looks like a UUID.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Parses stdout as exactly one JSON document (trailing text fails).
pub fn json(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not exactly one JSON document ({e}):\n{}",
            text(stdout)
        )
    })
}

/// Insta settings that replace what changes between runs: ids, times,
/// ports, elapsed seconds.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    s.add_filter(
        r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?",
        "[TIMESTAMP]",
    );
    s.add_filter(r"\b\d{2}-\d{2} \d{2}:\d{2}\b", "[MM-DD HH:MM]");
    s.add_filter(r"\[\s*\d+\.\ds\]", "[ELAPSED]");
    s.add_filter(r"after \d+\.\ds", "after [SECONDS]");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s
}

/// Snapshots `value` with [`settings`].
#[macro_export]
macro_rules! snap {
    ($name:expr, $value:expr) => {
        $crate::support::settings().bind(|| insta::assert_snapshot!($name, $value))
    };
}

/// Every line of `out` fits 80 columns.
pub fn assert_fits_80(out: &str) {
    for line in out.lines() {
        assert!(
            line.chars().count() <= 80,
            "line wider than 80 columns ({}): {line:?}\n{out}",
            line.chars().count()
        );
    }
}

/// A spawned `gc-iac` whose stdout and stderr are read line by line on
/// background threads; killed on drop if still running.
pub struct Spawned {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

fn pump<R: Read + Send + 'static>(reader: R) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Spawned {
    /// Spawns the binary with `args` and a clean environment.
    pub fn new(args: &[&str]) -> Self {
        let mut cmd = std::process::Command::new(BIN);
        clean_env(&mut cmd);
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gc-iac spawns");
        let out: ChildStdout = child.stdout.take().expect("piped stdout");
        let err: ChildStderr = child.stderr.take().expect("piped stderr");
        Self {
            child,
            stdout: pump(out),
            stderr: pump(err),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line (panics after [`PATIENCE`]).
    pub fn stdout_line(&self) -> String {
        self.stdout
            .recv_timeout(PATIENCE)
            .expect("a line on stdout in time")
    }

    /// Stderr lines up to and including the first that satisfies `pred`.
    pub fn stderr_until(&self, pred: impl Fn(&str) -> bool) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self
                .stderr
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("no matching stderr line in time; saw {seen:?}"));
            let done = pred(&line);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }

    /// Sends a signal with `kill -SIG PID`.
    pub fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{sig} failed");
    }

    /// Waits for the exit (panics after [`PATIENCE`]); returns the code and
    /// the remaining stdout and stderr lines.
    pub fn finish(mut self) -> (Option<i32>, Vec<String>, Vec<String>) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(start.elapsed() < PATIENCE, "gc-iac did not exit in time");
            std::thread::sleep(Duration::from_millis(20));
        };
        // The pipes close at exit: drain what is left.
        let out: Vec<String> = self.stdout.iter().collect();
        let err: Vec<String> = self.stderr.iter().collect();
        (status.code(), out, err)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
