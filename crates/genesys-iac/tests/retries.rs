//! Retries per status and per method, POST safety, Retry-After, timeouts,
//! body limits, the rate budget.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use genesys_iac::{Client, Error, JobSpec, RetryPolicy};
use genesys_iac_sim::{FaultProfile, faults, routes};

#[tokio::test]
async fn gets_are_retried_through_500_503_and_html_faults() {
    let sim = start(sim().faults(FaultProfile {
        fail_rate: 0.4,
        ..Default::default()
    }))
    .await;
    let client = builder(&sim)
        .retry_policy(fast_retries().max_attempts(20))
        .build()
        .unwrap();
    let job = client.plan(&JobSpec::new("hello-world")).await.unwrap();
    for _ in 0..30 {
        let j = client
            .job(job.id())
            .send()
            .await
            .expect("retried to success");
        assert_eq!(j.id(), job.id());
    }
    let stats = sim.stats();
    assert!(stats.total_faults() > 0, "faults were injected: {stats:?}");
    let fault_count = stats.faults(faults::FAIL_500)
        + stats.faults(faults::FAIL_503)
        + stats.faults(faults::HTML);
    // Every fault on a GET or token request cost exactly one extra request.
    assert_eq!(
        stats.requests(routes::GET_JOB) + stats.requests(routes::TOKEN),
        30 + 1 + fault_count,
        "{stats:?}"
    );
    assert_eq!(stats.requests(routes::POST_JOB), 1);
}

#[tokio::test]
async fn gets_are_retried_after_connection_resets() {
    let sim = start(sim().faults(FaultProfile {
        reset_rate: 0.4,
        ..Default::default()
    }))
    .await;
    let client = builder(&sim)
        .retry_policy(fast_retries().max_attempts(20))
        .build()
        .unwrap();
    for _ in 0..20 {
        client
            .history()
            .limit(5)
            .send()
            .await
            .expect("retried to success");
    }
    let stats = sim.stats();
    assert!(stats.faults(faults::RESET) > 0);
    assert_eq!(
        stats.requests(routes::LIST_JOBS),
        20 + stats.faults(faults::RESET)
    );
}

#[tokio::test]
async fn no_retry_policy_makes_one_attempt() {
    let sim = start(sim().faults(FaultProfile {
        fail_rate: 1.0,
        ..Default::default()
    }))
    .await;
    let token = sim.issue_token(ID).unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .access_token(token)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.job("any").send().await.unwrap_err();
    assert!(matches!(err.status(), Some(500 | 503)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(sim.stats().requests(routes::GET_JOB), 1);
}

#[tokio::test]
async fn attempts_are_capped() {
    let sim = start(sim().faults(FaultProfile {
        fail_rate: 1.0,
        ..Default::default()
    }))
    .await;
    let token = sim.issue_token(ID).unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .access_token(token)
        .retry_policy(fast_retries().max_attempts(3))
        .build()
        .unwrap();
    let err = client.history().send().await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(sim.stats().requests(routes::LIST_JOBS), 3);
}

#[tokio::test]
async fn post_is_not_retried_on_503_and_reports_unknown_outcome() {
    let sim = start(sim().faults(FaultProfile {
        post_fail_rate: 1.0,
        ..Default::default()
    }))
    .await;
    let client = client(&sim);
    let spec = JobSpec::builder("hello-world")
        .dry_run(true)
        .build()
        .unwrap();
    let before = chrono::Utc::now();
    let err = client.submit(&spec).await.unwrap_err();
    match &err {
        Error::UnknownOutcome {
            accelerator_id,
            dry_run,
            submitted_after,
            status,
            correlation_id,
            reason,
        } => {
            assert_eq!(accelerator_id, "hello-world");
            assert!(*dry_run);
            assert!(*submitted_after >= before - chrono::Duration::seconds(1));
            assert_eq!(*status, Some(503));
            assert!(correlation_id.is_some());
            assert!(reason.contains("503"), "{reason}");
        }
        other => panic!("expected UnknownOutcome, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("check the job history"));
    assert_eq!(sim.stats().requests(routes::POST_JOB), 1);
}

#[tokio::test]
async fn post_is_never_duplicated_when_replies_are_lost() {
    let sim = start(sim().faults(FaultProfile {
        post_lost_reply_rate: 0.5,
        ..Default::default()
    }))
    .await;
    let client = client(&sim);
    let (mut acknowledged, mut unknown) = (0u64, 0u64);
    for i in 0..24 {
        let spec = JobSpec::builder("hello-world")
            .parameter("name", i)
            .build()
            .unwrap();
        match client.submit(&spec).await {
            Ok(_) => acknowledged += 1,
            Err(Error::UnknownOutcome { .. }) => unknown += 1,
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    let stats = sim.stats();
    assert!(unknown > 0 && acknowledged > 0, "{stats:?}");
    assert_eq!(stats.requests(routes::POST_JOB), 24, "one POST per submit");
    assert_eq!(stats.jobs_created, acknowledged + unknown);
    assert_eq!(stats.faults(faults::POST_LOST_REPLY), unknown);
}

#[tokio::test]
async fn post_is_retried_on_429_honouring_retry_after() {
    let s = scripted(|hit, n| {
        if hit.method == "POST" && n == 0 {
            let mut r = Reply::json(
                429,
                serde_json::json!({"code": "too.many.requests", "message": "slow down"}),
            );
            if let Reply::Http(_, h, _) = &mut r {
                h.push(("Retry-After".into(), "1".into()));
            }
            return r;
        }
        Reply::json(200, job_json("j-429", "Created"))
    })
    .await;
    let client = scripted_client(&s, RetryPolicy::default());
    let job = client.submit(&JobSpec::new("hello-world")).await.unwrap();
    assert_eq!(job.id(), "j-429");
    let hits = s.hits();
    assert_eq!(hits.len(), 2);
    // The second attempt waited at least the Retry-After (a lower bound).
    assert!(hits[1].at - hits[0].at >= Duration::from_secs(1));
    // The replayed POST carried the same body.
    assert_eq!(hits[0].body, hits[1].body);
    let body: serde_json::Value = serde_json::from_slice(&hits[0].body).unwrap();
    assert_eq!(body["acceleratorId"], "hello-world");
}

#[tokio::test]
async fn post_is_retried_when_the_connection_is_refused() {
    // A port with nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let client = Client::builder()
        .base_url(url)
        .access_token("t")
        .retry_policy(fast_retries().max_attempts(3))
        .build()
        .unwrap();
    let err = client
        .submit(&JobSpec::new("hello-world"))
        .await
        .unwrap_err();
    match &err {
        Error::Transport(t) => assert!(t.is_connect()),
        other => panic!("refused connections mean the job was not created: {other:?}"),
    }
    assert!(err.is_retryable());
}

#[tokio::test]
async fn post_reset_after_sending_is_unknown_outcome() {
    let s = scripted(|_, _| Reply::Close).await;
    let client = scripted_client(&s, fast_retries());
    let err = client.submit(&JobSpec::new("x")).await.unwrap_err();
    assert!(matches!(err, Error::UnknownOutcome { .. }), "{err:?}");
    assert_eq!(s.count("POST", "/"), 1);
}

#[tokio::test]
async fn get_honours_retry_after_on_429() {
    let s = scripted(|_, n| {
        if n == 0 {
            Reply::Http(
                429,
                vec![("Retry-After".into(), "1".into())],
                b"{\"code\":\"too.many.requests\"}".to_vec(),
            )
        } else {
            Reply::json(200, job_json("j", "Running"))
        }
    })
    .await;
    let client = scripted_client(&s, fast_retries());
    client.job("j").send().await.unwrap();
    let hits = s.hits();
    assert_eq!(hits.len(), 2);
    assert!(hits[1].at - hits[0].at >= Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_is_capped() {
    let s = scripted(|_, n| {
        if n == 0 {
            Reply::Http(429, vec![("Retry-After".into(), "3600".into())], Vec::new())
        } else {
            Reply::json(200, job_json("j", "Running"))
        }
    })
    .await;
    let policy = fast_retries().max_retry_after(Duration::from_millis(50));
    let client = scripted_client(&s, policy);
    // Would hang for an hour without the cap.
    client.job("j").send().await.unwrap();
    assert_eq!(s.hits().len(), 2);
}

#[tokio::test]
async fn gateway_html_is_retried_then_reported_with_an_excerpt() {
    let s = scripted(|_, _| {
        Reply::Http(
            502,
            vec![
                ("Content-Type".into(), "text/html".into()),
                ("inin-correlation-id".into(), "gw-1".into()),
            ],
            b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        )
    })
    .await;
    let client = scripted_client(&s, fast_retries().max_attempts(3));
    let err = client.job("j").send().await.unwrap_err();
    match &err {
        Error::Decode {
            status,
            correlation_id,
            excerpt,
            ..
        } => {
            assert_eq!(*status, Some(502));
            assert_eq!(correlation_id.as_deref(), Some("gw-1"));
            assert!(excerpt.contains("<h1>502 Bad Gateway</h1>"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(s.hits().len(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let err = client.job("does-not-exist").send().await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 404);
    assert_eq!(api.code.as_deref(), Some("not.found"));
    // The correlation id is the header, which the simulator also puts in contextId.
    let body = api.body.as_ref().unwrap();
    assert_eq!(api.correlation_id, body.context_id);
    assert!(api.correlation_id.is_some());
    assert!(!err.is_retryable());
    assert_eq!(sim.stats().requests(routes::GET_JOB), 1);
}

#[tokio::test]
async fn a_hanging_get_times_out_and_a_hanging_post_is_unknown() {
    let s = scripted(|_, _| Reply::Hang).await;
    let client = Client::builder()
        .base_url(&s.url)
        .access_token("t")
        .request_timeout(Duration::from_millis(200))
        .retry_policy(fast_retries().max_attempts(2))
        .build()
        .unwrap();
    let err = client.job("j").send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(s.count("GET", "/"), 2, "timeouts of GETs are retried");
    let err = client.submit(&JobSpec::new("x")).await.unwrap_err();
    let Error::UnknownOutcome { reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        reason.contains("timed out") || reason.contains("timeout"),
        "{reason}"
    );
    assert_eq!(s.count("POST", "/"), 1);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let s = scripted(|_, _| {
        let mut job = job_json("j", "Complete");
        job["results"] = serde_json::Value::String("x".repeat(10_000));
        Reply::json(200, job)
    })
    .await;
    let client = Client::builder()
        .base_url(&s.url)
        .access_token("t")
        .max_body_bytes(4096)
        .build()
        .unwrap();
    let err = client.job("j").details(true).send().await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 4096 }),
        "{err:?}"
    );
    assert_eq!(s.hits().len(), 1, "not retried");
}

#[tokio::test]
async fn rate_budget_keeps_under_the_service_limit() {
    // The simulator allows 12 job requests per minute; the budget is the same
    // and shared by clones, so 12 concurrent calls from clones see no 429.
    let sim = start(sim().rate_limit(Some(12))).await;
    let client = builder(&sim)
        .rate_budget(Some(12))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move { c.history().send().await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(sim.stats().faults(faults::RATE_LIMITED), 0);
}

#[tokio::test]
async fn rate_budget_spaces_requests() {
    let s = scripted(|_, _| Reply::json(200, job_json("j", "Running"))).await;
    let client = Client::builder()
        .base_url(&s.url)
        .access_token("t")
        .rate_budget_per(2, Duration::from_millis(400))
        .build()
        .unwrap();
    let t0 = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move { c.job("j").send().await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut at: Vec<_> = s.hits().iter().map(|h| h.at - t0).collect();
    at.sort();
    assert_eq!(at.len(), 5);
    // 2 requests per 400 ms: the 3rd and 4th wait a window, the 5th two
    // (lower bounds only).
    assert!(at[2] >= Duration::from_millis(400), "{at:?}");
    assert!(at[4] >= Duration::from_millis(800), "{at:?}");
}

#[tokio::test]
async fn sim_rate_limit_without_budget_is_a_429_api_error() {
    let sim = start(sim().rate_limit(Some(1))).await;
    let client = builder(&sim)
        .retry_policy(
            fast_retries()
                .max_retry_after(Duration::from_millis(10))
                .max_attempts(2),
        )
        .build()
        .unwrap();
    client.history().send().await.unwrap();
    let err = client.history().send().await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 429);
    assert_eq!(api.code.as_deref(), Some("too.many.requests"));
    assert!(err.is_retryable());
    assert_eq!(sim.stats().requests(routes::LIST_JOBS), 3);
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_for_gets_and_unknown_for_posts() {
    let s = scripted(|_, _| {
        Reply::Http(
            200,
            vec![("inin-correlation-id".into(), "c-trunc".into())],
            br#"{"id": "j-1", "dryRun": false, "status": "Comp"#.to_vec(),
        )
    })
    .await;
    let client = scripted_client(&s, fast_retries());
    let err = client.job("j-1").send().await.unwrap_err();
    match &err {
        Error::Decode {
            status,
            correlation_id,
            excerpt,
            reason,
        } => {
            assert_eq!(*status, Some(200));
            assert_eq!(correlation_id.as_deref(), Some("c-trunc"));
            assert!(excerpt.starts_with(r#"{"id": "j-1""#), "{excerpt}");
            assert!(reason.contains("EOF") || reason.contains("eof"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    // A 200 to a POST means the job exists, but its id is unreadable.
    let err = client
        .submit(&JobSpec::new("hello-world"))
        .await
        .unwrap_err();
    let Error::UnknownOutcome {
        status,
        correlation_id,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, Some(200));
    assert_eq!(correlation_id.as_deref(), Some("c-trunc"));
    assert_eq!(s.count("POST", "/"), 1);
}

/// Token renewal, then a retry, then success: through the wrapper (which
/// re-sends a fresh request per attempt) and through `Client::generated()`
/// (where the policy loops itself, on copies of the request), with the same
/// requests on the wire.
#[tokio::test]
async fn renewal_and_retries_are_the_same_through_the_wrapper_and_the_generated_client() {
    for via_generated in [false, true] {
        // The first token is refused as expired; then one 503; then the job.
        let s = scripted(|hit, n| {
            if hit.path() == "/oauth/token" {
                return Reply::json(
                    200,
                    serde_json::json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": 3600}),
                );
            }
            match n {
                0 => Reply::json(
                    401,
                    serde_json::json!({"code": "credentials.expired", "status": 401, "message": "expired"}),
                ),
                1 => Reply::json(
                    503,
                    serde_json::json!({"code": "service.unavailable", "status": 503, "message": "busy"}),
                ),
                _ => Reply::json(200, job_json("j-1", "Running")),
            }
        })
        .await;
        let client = Client::builder()
            .base_url(&s.url)
            .client_credentials("id", "secret")
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let id = if via_generated {
            client
                .generated()
                .get_infrastructureascode_job()
                .job_id("j-1")
                .send()
                .await
                .expect("renewed and retried")
                .into_inner()
                .id
                .unwrap_or_default()
        } else {
            client
                .job("j-1")
                .send()
                .await
                .expect("renewed and retried")
                .id()
                .to_string()
        };
        assert_eq!(id, "j-1", "via_generated={via_generated}");
        let gets: Vec<_> = s
            .hits()
            .into_iter()
            .filter(|h| h.method == "GET")
            .map(|h| {
                (
                    h.target.clone(),
                    h.header("authorization").map(str::to_string),
                )
            })
            .collect();
        let bearer = |t: &str| Some(format!("Bearer {t}"));
        let target = "/api/v2/infrastructureascode/jobs/j-1".to_string();
        assert_eq!(
            gets,
            vec![
                (target.clone(), bearer("tok-0")),
                (target.clone(), bearer("tok-1")),
                (target, bearer("tok-1")),
            ],
            "via_generated={via_generated}"
        );
        assert_eq!(
            s.count("POST", "/oauth/token"),
            2,
            "via_generated={via_generated}"
        );
    }
}
