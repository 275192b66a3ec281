use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_address_first_and_serves() {
    let child = Command::new(env!("CARGO_BIN_EXE_gc-iac-sim"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--client",
            "viewer:pw:infrastructureascode:job:view",
            "--step-ms",
            "10",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut child = Kill(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").expect("utf-8");
    let url = first
        .strip_prefix("listening on ")
        .expect("exact prefix")
        .to_string();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .expect("http://127.0.0.1:PORT");
    assert_ne!(port, 0);
    let second = lines.next().expect("client line").expect("utf-8");
    assert!(second.starts_with("client viewer"), "{second}");
    assert!(second.contains("infrastructureascode:job:view"), "{second}");
    assert!(
        !second.contains("pw)"),
        "secrets given on the command line are not echoed: {second}"
    );

    let response = reqwest::Client::new()
        .post(format!("{url}/oauth/token"))
        .basic_auth("viewer", Some("pw"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status().as_u16(), 200);

    // Ctrl-C (SIGINT) shuts it down cleanly with status 0.
    #[cfg(unix)]
    {
        let pid = child.0.id().to_string();
        let sent = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let status = loop {
            if let Some(status) = child.0.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "did not stop on SIGINT"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(status.success(), "{status:?}");
    }
}

#[test]
fn binary_default_client_is_announced() {
    let child = Command::new(env!("CARGO_BIN_EXE_gc-iac-sim"))
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut child = Kill(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("first line").expect("utf-8");
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first}"
    );
    let second = lines.next().expect("second line").expect("utf-8");
    assert!(
        second.starts_with("client sim-client (secret sim-secret) permissions: infrastructureascode:job:view, infrastructureascode:job:add"),
        "{second}"
    );
}

#[test]
fn binary_rejects_bad_options_clearly() {
    for args in [
        vec!["--fail-rate", "1.5"],
        vec!["--client", "nocolon"],
        vec!["--rate-limit", "0"],
        vec!["--token-ttl", "0"],
        vec!["--addr", "not-an-address"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_gc-iac-sim"))
            .args(&args)
            .output()
            .expect("runs");
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(args[0]) || stderr.contains("error"),
            "{args:?}: {stderr}"
        );
    }
    let output = Command::new(env!("CARGO_BIN_EXE_gc-iac-sim"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--accelerators",
            "/nonexistent/catalogue.yaml",
        ])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("catalogue"));
}
