//! A short fault soak, run with the test suite: every fault mode on, and
//! nothing may be lost, duplicated or panic.

use iac_harness::soak::{SoakConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_soak_keeps_every_promise() {
    let cfg = SoakConfig {
        workflows: 120,
        concurrency: 20,
        seed: 11,
        // Short enough that the token is renewed during a short run, and a
        // rate limit the run exceeds, so 429s with Retry-After happen too.
        token_ttl: std::time::Duration::from_secs(1),
        rate_limit: 400,
        ..SoakConfig::default()
    };
    let s = run(&cfg).await.expect("the soak runs");
    let shown = serde_json::to_string_pretty(&s).expect("summary encodes");
    assert_eq!(s.duplicates, 0, "{shown}");
    assert_eq!(s.lost, 0, "{shown}");
    assert_eq!(s.panics, 0, "{shown}");
    assert_eq!(s.mismatched, 0, "{shown}");
    assert_eq!(s.wait_failed, 0, "{shown}");
    assert!(s.injected_faults > 0, "faults were injected: {shown}");
    assert!(
        s.unknown_outcome > 0,
        "lost replies surfaced as unknown outcomes: {shown}"
    );
    assert!(
        s.token_requests > 1,
        "the token was renewed mid-run: {shown}"
    );
    assert!(s.passed, "{shown}");
}
