//! `iac-bench peer`: our side of the comparison with the official SDKs is
//! driven exactly as their scripts are (same arguments, one JSON line out).

use genesys_iac::{Client, JobSpec};
use genesys_iac_sim::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Simulator, routes};

const BIN: &str = env!("CARGO_BIN_EXE_iac-bench");

async fn peer(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(BIN)
        .arg("peer")
        .args(args)
        .output()
        .await
        .expect("iac-bench starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_prints_one_json_line_like_the_sdk_scripts() {
    let sim = Simulator::builder()
        .addr("127.0.0.1:0".parse().expect("an address"))
        .start()
        .await
        .expect("simulator starts");
    let base = sim.base_url();
    let client = Client::builder()
        .base_url(base.as_str())
        .client_credentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        .build()
        .expect("client builds");
    let spec = JobSpec::builder("hello-world")
        .parameter("name", "peer")
        .build()
        .expect("spec builds");
    let job = client.submit(&spec).await.expect("job submitted");
    let (before, tokens_before) = (
        sim.stats().total_requests,
        sim.stats().requests(routes::TOKEN),
    );

    let out = peer(&[
        &base,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        job.id(),
        "20",
        "0",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("one JSON line");
    assert_eq!(v["sdk"], "genesys-iac");
    assert_eq!(v["n"], 20);
    for key in ["cold_rps", "warm_rps"] {
        assert!(v[key].as_f64().is_some_and(|r| r > 0.0), "{key}: {text}");
    }
    // The login, then the first 20 calls and the next 20: nothing else.
    let stats = sim.stats();
    assert_eq!(
        stats.requests(routes::TOKEN) - tokens_before,
        1,
        "{stats:?}"
    );
    assert_eq!(stats.total_requests - before, 1 + 2 * 20, "{stats:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn peer_refuses_bad_arguments_without_panicking() {
    let out = peer(&["http://127.0.0.1:1", "id", "secret"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("usage: iac-bench peer"), "{err}");

    let out = peer(&["http://127.0.0.1:1", "id", "secret", "job", "many", "0"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
