//! Credentials, the token cache, renewal, permissions, secrets.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use genesys_iac::{Client, Error, JobSpec, RetryPolicy};
use genesys_iac_sim::{OAuthClient, SimHandle, routes};

/// A client whose secret the simulator refuses.
fn wrong_secret_client(sim: &SimHandle) -> Client {
    Client::builder()
        .base_url(sim.base_url())
        .client_credentials(ID, "wrong-secret-value")
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_calls_cause_one_token_request() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let c = client.clone();
        tasks.push(tokio::spawn(
            async move { c.history().limit(1).send().await },
        ));
    }
    for t in tasks {
        t.await.unwrap().expect("history call succeeds");
    }
    let stats = sim.stats();
    assert_eq!(stats.requests(routes::TOKEN), 1);
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.requests(routes::LIST_JOBS), 100);
}

#[tokio::test]
async fn token_is_renewed_when_it_expires_mid_run() {
    // The token lives 1 s; keep calling for about 2.5 s.
    let sim = start(sim().token_ttl(Duration::from_secs(1))).await;
    let client = client(&sim);
    let job = client.plan(&JobSpec::new("hello-world")).await.unwrap();
    let until = tokio::time::Instant::now() + Duration::from_millis(2500);
    let mut calls = 0;
    while tokio::time::Instant::now() < until {
        client
            .job(job.id())
            .send()
            .await
            .expect("no auth error surfaces");
        calls += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(calls > 10);
    let stats = sim.stats();
    assert!(stats.tokens_issued >= 2, "renewed: {stats:?}");
    // Renewed shortly before expiry, not once per call.
    assert!(stats.tokens_issued <= 5, "{stats:?}");
}

#[tokio::test]
async fn expired_token_is_renewed_once_and_the_call_replayed() {
    // The API answers 401 credentials.expired to the first token only.
    let s = scripted(|hit, n| {
        if hit.path() == "/oauth/token" {
            return Reply::json(
                200,
                serde_json::json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": 3600}),
            );
        }
        if hit.header("authorization") == Some("Bearer tok-0") {
            return Reply::json(
                401,
                serde_json::json!({"code": "credentials.expired", "status": 401, "message": "expired"}),
            );
        }
        Reply::json(200, job_json("j-1", "Running"))
    })
    .await;
    let client = Client::builder()
        .base_url(&s.url)
        .client_credentials("id", "secret")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let job = client.job("j-1").send().await.unwrap();
    assert_eq!(job.id(), "j-1");
    assert_eq!(s.count("POST", "/oauth/token"), 2);
    assert_eq!(s.count("GET", "/api/v2/infrastructureascode/jobs/j-1"), 2);
    // Basic auth and the form body on the token request.
    let token_hit = s
        .hits()
        .into_iter()
        .find(|h| h.path() == "/oauth/token")
        .unwrap();
    assert!(
        token_hit
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(token_hit.body, b"grant_type=client_credentials");
    assert_eq!(
        token_hit.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[tokio::test]
async fn renewal_happens_only_once_per_call() {
    // Every token is "expired": one renewal, then the 401 is an auth error.
    let s = scripted(|hit, n| {
        if hit.path() == "/oauth/token" {
            return Reply::json(
                200,
                serde_json::json!({"access_token": format!("t{n}"), "expires_in": 3600}),
            );
        }
        Reply::json(
            401,
            serde_json::json!({"code": "credentials.expired", "message": "expired"}),
        )
    })
    .await;
    let client = Client::builder()
        .base_url(&s.url)
        .client_credentials("id", "secret")
        .build()
        .unwrap();
    let err = client.job("j").send().await.unwrap_err();
    match &err {
        Error::Auth(a) => {
            assert_eq!(a.status, 401);
            assert_eq!(a.code.as_deref(), Some("credentials.expired"));
            assert_eq!(a.correlation_id.as_deref(), Some("corr-401"));
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert_eq!(s.count("POST", "/oauth/token"), 2);
    assert_eq!(s.count("GET", "/api/v2"), 2);
}

#[tokio::test]
async fn static_access_token_needs_no_token_request() {
    let sim = start(sim()).await;
    let (client, token) = static_token_client(&sim);
    client.history().send().await.unwrap();
    assert_eq!(sim.stats().requests(routes::TOKEN), 0);
    assert!(!format!("{client:?}").contains(&token));
}

#[tokio::test]
async fn expired_static_token_is_an_auth_error() {
    let sim = start(sim().token_ttl(Duration::from_secs(1))).await;
    let token = sim.issue_token(ID).unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .access_token(token)
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let err = client.history().send().await.unwrap_err();
    let Error::Auth(a) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(a.code.as_deref(), Some("credentials.expired"));
    assert!(err.to_string().contains("expired"));
    assert!(err.correlation_id().is_some());
    assert_eq!(sim.stats().requests(routes::TOKEN), 0);
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error_naming_the_client_not_the_secret() {
    let sim = start(sim()).await;
    let client = wrong_secret_client(&sim);
    let err = client.history().send().await.unwrap_err();
    let Error::Auth(a) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(a.status, 401);
    assert_eq!(a.code.as_deref(), Some("invalid_client"));
    let text = format!("{err} {err:?}");
    assert!(text.contains(ID), "{text}");
    assert!(!text.contains("wrong-secret-value"), "{text}");
    assert!(!err.is_retryable());
    // A refused token request is not retried.
    assert_eq!(sim.stats().requests(routes::TOKEN), 1);
    assert_eq!(sim.stats().requests(routes::LIST_JOBS), 0);
}

#[tokio::test]
async fn authenticate_logs_in_once_before_any_call() {
    let sim = start(sim()).await;
    let client = client(&sim);
    client.authenticate().await.expect("valid credentials");
    assert_eq!(sim.stats().requests(routes::TOKEN), 1);
    assert_eq!(sim.stats().total_requests, 1, "nothing but the login");
    // Again, and then calls: the cached token serves them all.
    client.authenticate().await.unwrap();
    client.history().send().await.unwrap();
    client.history().send().await.unwrap();
    assert_eq!(sim.stats().requests(routes::TOKEN), 1);
    assert_eq!(sim.stats().requests(routes::LIST_JOBS), 2);
}

#[tokio::test]
async fn authenticate_fails_fast_on_a_wrong_secret() {
    let sim = start(sim()).await;
    let client = wrong_secret_client(&sim);
    let err = client.authenticate().await.unwrap_err();
    let Error::Auth(a) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(a.code.as_deref(), Some("invalid_client"));
    assert!(!format!("{err} {err:?}").contains("wrong-secret-value"));
    assert_eq!(sim.stats().requests(routes::TOKEN), 1);
    assert_eq!(sim.stats().total_requests, 1);
}

#[tokio::test]
async fn authenticate_with_a_static_token_sends_nothing() {
    let sim = start(sim()).await;
    let (client, _) = static_token_client(&sim);
    client.authenticate().await.unwrap();
    assert_eq!(sim.stats().total_requests, 0);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_failure() {
    let sim = start(sim()).await;
    let client = Client::builder()
        .base_url(sim.base_url())
        .client_credentials(ID, "nope")
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move { c.job("x").send().await }));
    }
    for t in tasks {
        assert!(matches!(t.await.unwrap(), Err(Error::Auth(_))));
    }
    // Waiters that queued behind the failing request got its failure.
    assert!(
        sim.stats().requests(routes::TOKEN) < 20,
        "{:?}",
        sim.stats()
    );
}

#[tokio::test]
async fn missing_permission_403_names_the_permission() {
    let sim =
        start(sim().client(
            OAuthClient::new("viewer", "pw").permissions(["infrastructureascode:job:view"]),
        ))
        .await;
    let client = Client::builder()
        .base_url(sim.base_url())
        .client_credentials("viewer", "pw")
        .build()
        .unwrap();
    // Viewing works.
    client.history().send().await.unwrap();
    let err = client
        .submit(&JobSpec::new("hello-world"))
        .await
        .unwrap_err();
    let Error::Auth(a) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(a.status, 403);
    assert_eq!(a.code.as_deref(), Some("missing.permissions"));
    assert_eq!(
        a.required_permission.as_deref(),
        Some("infrastructureascode:job:add")
    );
    assert!(
        err.to_string().contains("infrastructureascode:job:add"),
        "{err}"
    );
    assert!(err.correlation_id().is_some());
    assert_eq!(sim.stats().jobs_created, 0);
}

#[tokio::test]
async fn secrets_never_reach_logs_debug_or_errors() {
    use tracing_subscriber::layer::SubscriberExt;
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(
            "trace,genesys_iac_sim=off",
        ))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(capture.clone())
                .with_ansi(false),
        );
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = start(sim().faults(genesys_iac_sim::FaultProfile {
        fail_rate: 0.3,
        ..Default::default()
    }))
    .await;
    let client = client(&sim);
    let job = client
        .submit_and_wait(
            &JobSpec::builder("hello-world")
                .parameter("name", "x")
                .build()
                .unwrap(),
            genesys_iac::WaitOptions::default().poll_interval(Duration::from_millis(20)),
        )
        .await
        .unwrap();
    let _ = client.job("no-such-job").send().await;
    let bad = Client::builder()
        .base_url(sim.base_url())
        .client_credentials(ID, "another-secret-xyz")
        .build()
        .unwrap();
    let err = bad.job(job.id()).send().await.unwrap_err();

    // A static token, used for calls that succeed and fail.
    let token = sim.issue_token(ID).unwrap();
    let static_client = Client::builder()
        .base_url(sim.base_url())
        .access_token(token.clone())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    static_client
        .job(job.id())
        .details(true)
        .send()
        .await
        .unwrap();
    let err404 = static_client.job("missing").send().await.unwrap_err();
    let text = capture.text();
    assert!(text.contains("genesys_iac.attempt"), "spans were captured");
    assert!(text.contains("correlation_id"), "{text}");
    let everything =
        format!("{text}\n{client:?}\n{bad:?}\n{static_client:?}\n{err}\n{err:?}\n{err404:?}");
    for secret in [SECRET, "another-secret-xyz", token.as_str()] {
        assert!(!everything.contains(secret), "secret {secret} leaked");
    }
    assert!(
        !everything.to_lowercase().contains("bearer "),
        "a bearer token leaked"
    );
}
