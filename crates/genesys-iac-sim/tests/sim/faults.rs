use std::time::{Duration, Instant};

use genesys_iac_sim::{FaultProfile, OAuthClient, SimHandle, Simulator, faults};

use crate::*;

fn profile(f: impl FnOnce(&mut FaultProfile)) -> FaultProfile {
    let mut p = FaultProfile::default();
    f(&mut p);
    p
}

#[tokio::test]
async fn rate_limit_gives_429_with_retry_after_per_client() {
    let sim = start(
        Simulator::builder()
            .rate_limit(Some(3))
            .client(OAuthClient::new("a", "a"))
            .client(OAuthClient::new("b", "b")),
    )
    .await;
    let token_a = sim.issue_token("a").expect("a");
    let http = raw();
    for _ in 0..3 {
        let ok = http
            .get(jobs_url(&sim))
            .bearer_auth(&token_a)
            .send()
            .await
            .expect("sent");
        assert_eq!(ok.status().as_u16(), 200);
    }
    let limited = http
        .get(jobs_url(&sim))
        .bearer_auth(&token_a)
        .send()
        .await
        .expect("sent");
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    expect_error(limited, 429, "too.many.requests").await;

    // The generated client sees the same.
    let client_a = client_for(&sim, "a");
    let (status, _) = error_body(client_a.get_infrastructureascode_jobs().send().await);
    assert_eq!(status, 429);

    // Another client has its own budget; the token endpoint is not limited.
    let client_b = client_for(&sim, "b");
    client_b
        .get_infrastructureascode_jobs()
        .send()
        .await
        .expect("b is not limited");
    assert_eq!(login(&sim, "a", "a").await.status().as_u16(), 200);
    assert_eq!(sim.stats().faults(faults::RATE_LIMITED), 2);
    assert_eq!(sim.stats().total_faults(), 2);
}

#[tokio::test]
async fn fail_rate_answers_500_or_503_half_as_html() {
    let sim = start(
        Simulator::builder()
            .seed(7)
            .faults(profile(|p| p.fail_rate = 1.0)),
    )
    .await;
    let http = raw();
    let mut html = 0;
    let mut json = 0;
    let mut statuses = std::collections::BTreeSet::new();
    for i in 0..60 {
        let response = if i % 3 == 0 {
            login(&sim, "sim-client", "sim-secret").await
        } else {
            http.get(jobs_url(&sim))
                .header("authorization", bearer(&sim))
                .send()
                .await
                .expect("sent")
        };
        let status = response.status().as_u16();
        assert!(status == 500 || status == 503, "{status}");
        statuses.insert(status);
        assert!(response.headers().contains_key("inin-correlation-id"));
        let ct = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        if ct.starts_with("text/html") {
            html += 1;
            let text = response.text().await.expect("text");
            assert!(text.contains("<html>"));
        } else {
            json += 1;
            let code = if status == 500 {
                "internal.server.error"
            } else {
                "service.unavailable"
            };
            expect_error(response, status, code).await;
        }
    }
    assert_eq!(statuses.len(), 2, "both 500 and 503 appear");
    assert!(html > 0 && json > 0);
    let stats = sim.stats();
    assert_eq!(stats.faults(faults::HTML), html);
    assert_eq!(
        stats.faults(faults::FAIL_500) + stats.faults(faults::FAIL_503),
        json
    );
    assert_eq!(stats.total_faults(), 60);
    assert_eq!(stats.tokens_issued, 0);

    // POSTs are not affected by fail_rate.
    let client = client(&sim);
    submit(&client, input("hello-world", true, &[("name", "x")])).await;
}

#[tokio::test]
async fn reset_rate_drops_get_connections_without_reply() {
    let sim = start(Simulator::builder().faults(profile(|p| p.reset_rate = 1.0))).await;
    let client = client(&sim);
    let job = submit(&client, input("hello-world", true, &[("name", "x")])).await;
    let id = job.id.expect("id");
    for _ in 0..3 {
        let result = client
            .get_infrastructureascode_job()
            .job_id(&id)
            .send()
            .await;
        match result {
            Err(genesys_iac_client::Error::CommunicationError(_)) => {}
            other => panic!("expected a dropped connection, got {other:?}"),
        }
    }
    let history = raw()
        .get(jobs_url(&sim))
        .header("authorization", bearer(&sim))
        .send()
        .await;
    assert!(history.is_err(), "history GETs are dropped too");
    let stats = sim.stats();
    assert_eq!(stats.faults(faults::RESET), 4);
    assert_eq!(stats.total_faults(), 4);
}

#[tokio::test]
async fn post_fail_rate_creates_nothing() {
    let sim = start(Simulator::builder().faults(profile(|p| p.post_fail_rate = 1.0))).await;
    let client = client(&sim);
    for _ in 0..3 {
        let (status, body) = error_body(
            client
                .post_infrastructureascode_jobs()
                .body(input("hello-world", true, &[("name", "x")]))
                .send()
                .await,
        );
        assert_eq!(status, 503);
        assert_eq!(body.code.as_deref(), Some("service.unavailable"));
    }
    let stats = sim.stats();
    assert_eq!(stats.jobs_created, 0);
    assert_eq!(stats.faults(faults::POST_FAIL), 3);
    assert!(sim.jobs().is_empty());
    // GETs are unaffected.
    client
        .get_infrastructureascode_jobs()
        .send()
        .await
        .expect("history works");
}

#[tokio::test]
async fn post_lost_reply_creates_the_job_but_loses_the_answer() {
    let sim = start(Simulator::builder().faults(profile(|p| p.post_lost_reply_rate = 1.0))).await;
    let client = client(&sim);
    let first = client
        .post_infrastructureascode_jobs()
        .body(input("hello-world", true, &[("name", "x")]))
        .send()
        .await;
    let (status, _) = error_body(first);
    assert_eq!(status, 503);
    let second = client
        .post_infrastructureascode_jobs()
        .body(input("hello-world", true, &[("name", "x")]))
        .send()
        .await;
    assert!(
        matches!(
            second,
            Err(genesys_iac_client::Error::CommunicationError(_))
        ),
        "{second:?}"
    );
    let stats = sim.stats();
    assert_eq!(stats.jobs_created, 2, "a blind retry duplicates the job");
    assert_eq!(stats.faults(faults::POST_LOST_REPLY), 2);
    assert_eq!(sim.jobs().len(), 2);
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let sim =
        start(Simulator::builder().faults(profile(|p| p.latency = Duration::from_millis(150))))
            .await;
    let started = Instant::now();
    let response = raw()
        .get(jobs_url(&sim))
        .header("authorization", bearer(&sim))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

async fn fault_sequence(sim: &SimHandle) -> Vec<u16> {
    let http = raw();
    let mut out = Vec::new();
    for _ in 0..40 {
        let response = http
            .get(jobs_url(sim))
            .header("authorization", bearer(sim))
            .send()
            .await
            .expect("sent");
        out.push(response.status().as_u16());
    }
    out
}

#[tokio::test]
async fn seeded_faults_are_reproducible() {
    let p = profile(|p| p.fail_rate = 0.5);
    let a = start(Simulator::builder().seed(42).faults(p)).await;
    let b = start(Simulator::builder().seed(42).faults(p)).await;
    let c = start(Simulator::builder().seed(43).faults(p)).await;
    let sa = fault_sequence(&a).await;
    assert!(sa.contains(&200) && sa.iter().any(|s| *s >= 500), "{sa:?}");
    assert_eq!(sa, fault_sequence(&b).await);
    assert_ne!(sa, fault_sequence(&c).await);
}

#[tokio::test]
async fn invalid_profiles_are_refused() {
    let bad = Simulator::builder()
        .faults(profile(|p| p.post_fail_rate = -0.1))
        .start()
        .await;
    assert!(bad.is_err());
    let bad = Simulator::builder().rate_limit(Some(0)).start().await;
    assert!(bad.is_err());
    let bad = Simulator::builder()
        .client(OAuthClient::new("x", "1"))
        .client(OAuthClient::new("x", "2"))
        .start()
        .await;
    assert!(bad.is_err());
}
