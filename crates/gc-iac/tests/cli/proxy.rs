//! Proxies from the environment: a simulator on loopback is reached
//! directly (a proxy cannot reach this machine's loopback), while a remote
//! service still goes through the proxy.

use std::io::Read;
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{BIN, PATIENCE, TestSim, clean_env, gc_iac, is_uuid, text};

/// Every variable reqwest reads a proxy from.
const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// A "proxy" on loopback that records the first line of what each
/// connection sends and closes it: every request through it fails.
struct FakeProxy {
    url: String,
    seen: mpsc::Receiver<String>,
}

impl FakeProxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let (tx, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { break };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 1024];
                let n = conn.read(&mut buf).unwrap_or(0);
                let first = text(&buf[..n]).lines().next().unwrap_or("").to_string();
                if tx.send(first).is_err() {
                    break;
                }
            }
        });
        Self { url, seen }
    }

    /// Every proxy variable, pointing at this proxy.
    fn env(&self) -> impl Iterator<Item = (&'static str, &str)> {
        PROXY_VARS.into_iter().map(|var| (var, self.url.as_str()))
    }

    /// The first lines received so far.
    fn received(&self) -> Vec<String> {
        self.seen.try_iter().collect()
    }
}

/// `cmd` with every proxy variable pointing at `proxy` and no exceptions.
fn through(mut cmd: assert_cmd::Command, proxy: &FakeProxy) -> assert_cmd::Command {
    cmd.envs(proxy.env())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    cmd
}

/// Starts `gc-iac args` with the proxy variables pointing at a fresh proxy,
/// waits for the first request that reaches it, stops the command and
/// returns that request's first line.
fn first_proxied(args: &[&str]) -> String {
    let proxy = FakeProxy::start();
    let mut cmd = std::process::Command::new(BIN);
    clean_env(&mut cmd);
    let mut child = cmd
        .envs(proxy.env())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gc-iac starts");
    let seen = proxy.seen.recv_timeout(PATIENCE);
    let _ = child.kill();
    let _ = child.wait();
    seen.expect("a request reached the proxy")
}

#[test]
fn a_simulator_on_loopback_is_reached_directly() {
    let proxy = FakeProxy::start();

    // The in-process simulator: login, submit and polls all succeed.
    let out = through(gc_iac(), &proxy)
        .args([
            "--sim",
            "run",
            "hello-world",
            "-p",
            "name=demo",
            "--wait",
            "--poll-interval",
            "50ms",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        text(&out.stdout).contains("Complete"),
        "{}",
        text(&out.stdout)
    );

    // A simulator given by base URL.
    let sim = TestSim::fast();
    let out = through(sim.cmd(), &proxy)
        .args(["-q", "run", "hello-world"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(is_uuid(text(&out.stdout).trim()), "{}", text(&out.stdout));
    assert_eq!(proxy.received(), Vec::<String>::new());
}

#[test]
fn a_remote_service_still_goes_through_the_proxy() {
    let creds = ["--client-id", "id", "--client-secret", "secret"];

    // Both hosts remote: the login is the first request, tunnelled.
    let mut args = vec!["--base-url", "https://api.example.test"];
    args.extend(creds);
    args.push("history");
    assert_eq!(
        first_proxied(&args),
        "CONNECT login.example.test:443 HTTP/1.1"
    );

    // A simulator's API with a remote login: the login still goes through
    // the proxy.
    let sim = TestSim::fast();
    let url = sim.url();
    let mut args = vec![
        "--base-url",
        &url,
        "--login-url",
        "https://login.example.test",
    ];
    args.extend(creds);
    args.push("history");
    assert_eq!(
        first_proxied(&args),
        "CONNECT login.example.test:443 HTTP/1.1"
    );

    // A remote API with the simulator's login: the token comes from the
    // simulator directly, and the API call goes through the proxy.
    let mut args = vec![
        "--base-url",
        "https://api.example.test",
        "--login-url",
        &url,
    ];
    args.extend([
        "--client-id",
        genesys_iac_sim::DEFAULT_CLIENT_ID,
        "--client-secret",
        genesys_iac_sim::DEFAULT_CLIENT_SECRET,
        "history",
    ]);
    assert_eq!(
        first_proxied(&args),
        "CONNECT api.example.test:443 HTTP/1.1"
    );
    assert_eq!(sim.handle().stats().tokens_issued, 1);
}
