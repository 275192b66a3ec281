use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_iac_client::Client;
use genesys_iac_client::hooks::Hooks;
use genesys_iac_sim::{OAuthClient, PERMISSION_ADD, PERMISSION_VIEW, Simulator, routes};

use crate::*;

#[tokio::test]
async fn token_endpoint_issues_bearer_tokens_that_work() {
    let sim = quick().await;
    let response = login(&sim, "sim-client", "sim-secret").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().contains_key("inin-correlation-id"));
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86399);
    let token = body["access_token"].as_str().expect("token").to_string();
    assert!(token.len() >= 20);

    let client = Client::new(&sim.base_url(), Hooks::with_policy(Arc::new(Bearer(token))));
    let job = submit(&client, input("hello-world", true, &[("name", "x")])).await;
    assert_eq!(
        job.status.map(|s| s.to_string()).as_deref(),
        Some("Created")
    );

    let stats = sim.stats();
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.jobs_created, 1);
    assert_eq!(stats.requests(routes::TOKEN), 1);
    assert_eq!(stats.requests(routes::POST_JOB), 1);
}

#[tokio::test]
async fn token_endpoint_rejects_bad_logins_oauth_style() {
    let sim = quick().await;
    let check = |response: reqwest::Response, status: u16, error: &'static str| async move {
        assert_eq!(response.status().as_u16(), status);
        assert!(response.headers().contains_key("inin-correlation-id"));
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], error, "{body}");
        assert!(body["description"].as_str().is_some_and(|d| !d.is_empty()));
    };
    check(
        login(&sim, "sim-client", "wrong").await,
        401,
        "invalid_client",
    )
    .await;
    check(
        login(&sim, "nobody", "sim-secret").await,
        401,
        "invalid_client",
    )
    .await;
    let no_auth = raw()
        .post(sim.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("sent");
    check(no_auth, 401, "invalid_client").await;
    let bad_grant = raw()
        .post(sim.token_url())
        .basic_auth("sim-client", Some("sim-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password")
        .send()
        .await
        .expect("sent");
    check(bad_grant, 400, "unsupported_grant_type").await;
    let no_grant = raw()
        .post(sim.token_url())
        .basic_auth("sim-client", Some("sim-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("sent");
    check(no_grant, 400, "invalid_request").await;
    let json_body = raw()
        .post(sim.token_url())
        .basic_auth("sim-client", Some("sim-secret"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("sent");
    check(json_body, 400, "invalid_request").await;
    assert_eq!(sim.stats().tokens_issued, 0);
}

#[tokio::test]
async fn job_operations_require_a_valid_bearer_token() {
    let sim = quick().await;
    let url = jobs_url(&sim);
    let none = raw().get(&url).send().await.expect("sent");
    expect_error(none, 401, "authentication.required").await;
    let basic = raw()
        .get(&url)
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await
        .expect("sent");
    expect_error(basic, 401, "authentication.required").await;
    let unknown = raw()
        .get(&url)
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("sent");
    expect_error(unknown, 401, "bad.credentials").await;
    let post = raw()
        .post(&url)
        .bearer_auth("not-a-token")
        .json(&input("hello-world", true, &[]))
        .send()
        .await
        .expect("sent");
    expect_error(post, 401, "bad.credentials").await;
    let one = raw().get(format!("{url}/x")).send().await.expect("sent");
    expect_error(one, 401, "authentication.required").await;

    // The generated client surfaces the same ErrorBody.
    let anonymous = Client::new(&sim.base_url(), Hooks::none());
    let (status, body) = error_body(anonymous.get_infrastructureascode_jobs().send().await);
    assert_eq!(status, 401);
    assert_eq!(body.code.as_deref(), Some("authentication.required"));
}

#[tokio::test]
async fn expired_tokens_give_credentials_expired() {
    let sim = start(Simulator::builder().token_ttl(Duration::from_secs(1))).await;
    let response = login(&sim, "sim-client", "sim-secret").await;
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().expect("token").to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = raw()
            .get(jobs_url(&sim))
            .bearer_auth(&token)
            .send()
            .await
            .expect("sent");
        if response.status().as_u16() == 401 {
            expect_error(response, 401, "credentials.expired").await;
            break;
        }
        assert!(response.status().is_success());
        assert!(Instant::now() < deadline, "token never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn permissions_are_enforced_per_operation() {
    let sim = start(
        Simulator::builder()
            .step(Duration::ZERO)
            .client(OAuthClient::new("viewer", "pw").permissions([PERMISSION_VIEW]))
            .client(OAuthClient::new("adder", "pw").permissions([PERMISSION_ADD]))
            .client(OAuthClient::new("nobody", "pw").permissions(Vec::<String>::new()))
            .client(OAuthClient::new("both", "pw")),
    )
    .await;
    assert!(
        sim.issue_token("sim-client").is_none(),
        "no default client when clients are given"
    );

    let viewer = client_for(&sim, "viewer");
    let (status, body) = error_body(
        viewer
            .post_infrastructureascode_jobs()
            .body(input("hello-world", true, &[("name", "x")]))
            .send()
            .await,
    );
    assert_eq!(status, 403);
    assert_eq!(body.code.as_deref(), Some("missing.permissions"));
    assert!(
        body.message
            .as_deref()
            .is_some_and(|m| m.contains(PERMISSION_ADD))
    );
    assert_eq!(sim.stats().jobs_created, 0);

    let adder = client_for(&sim, "adder");
    let job = submit(&adder, input("hello-world", true, &[("name", "x")])).await;
    let id = job.id.expect("id");
    let (status, body) = error_body(
        adder
            .get_infrastructureascode_job()
            .job_id(&id)
            .send()
            .await,
    );
    assert_eq!(status, 403);
    assert!(
        body.message
            .as_deref()
            .is_some_and(|m| m.contains(PERMISSION_VIEW))
    );
    let (status, _) = error_body(adder.get_infrastructureascode_jobs().send().await);
    assert_eq!(status, 403);

    let read = viewer
        .get_infrastructureascode_job()
        .job_id(&id)
        .send()
        .await
        .expect("viewer reads");
    assert_eq!(read.id.as_deref(), Some(id.as_str()));

    let nobody = client_for(&sim, "nobody");
    let (status, _) = error_body(nobody.get_infrastructureascode_jobs().send().await);
    assert_eq!(status, 403);

    let both = client_for(&sim, "both");
    submit(&both, input("hello-world", false, &[("name", "y")])).await;
    both.get_infrastructureascode_jobs()
        .send()
        .await
        .expect("both can read");
}
