use genesys_iac_sim::routes;

use crate::*;

async fn post_raw(
    sim: &genesys_iac_sim::SimHandle,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = raw()
        .post(jobs_url(sim))
        .header("authorization", bearer(sim));
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    request.body(body).send().await.expect("sent")
}

#[tokio::test]
async fn post_body_checks() {
    let sim = quick().await;
    let good = br#"{"acceleratorId":"hello-world","dryRun":true,"parameters":[{"name":"name","value":"x"}]}"#.to_vec();
    expect_error(
        post_raw(&sim, Some("text/plain"), good.clone()).await,
        415,
        "unsupported.media.type",
    )
    .await;
    expect_error(
        post_raw(&sim, None, good.clone()).await,
        415,
        "unsupported.media.type",
    )
    .await;
    let ok = post_raw(&sim, Some("application/json; charset=UTF-8"), good).await;
    assert_eq!(ok.status().as_u16(), 200);

    let big = vec![b' '; 1024 * 1024 + 1];
    expect_error(
        post_raw(&sim, Some("application/json"), big).await,
        413,
        "request.entity.too.large",
    )
    .await;
    let body = expect_error(
        post_raw(&sim, Some("application/json"), b"{not json".to_vec()).await,
        400,
        "bad.request",
    )
    .await;
    assert!(body.message.is_some());
    expect_error(
        post_raw(
            &sim,
            Some("application/json"),
            br#"{"dryRun":true}"#.to_vec(),
        )
        .await,
        400,
        "bad.request",
    )
    .await;
    expect_error(
        post_raw(
            &sim,
            Some("application/json"),
            br#"{"acceleratorId":5}"#.to_vec(),
        )
        .await,
        400,
        "bad.request",
    )
    .await;
    assert_eq!(sim.stats().jobs_created, 1);
}

#[tokio::test]
async fn query_checks() {
    let sim = quick().await;
    let client = client(&sim);
    let id = submit(&client, input("hello-world", true, &[("name", "x")]))
        .await
        .id
        .expect("id");
    let get = |query: String| {
        let sim = &sim;
        async move {
            raw()
                .get(format!("{}{query}", jobs_url(sim)))
                .header("authorization", bearer(sim))
                .send()
                .await
                .expect("sent")
        }
    };
    for ok in ["true", "True", "TRUE", "false", "False", ""] {
        let response = get(format!("/{id}?details={ok}&unknownParam=1")).await;
        assert_eq!(response.status().as_u16(), 200, "details={ok}");
    }
    let body = expect_error(
        get(format!("/{id}?details=yes")).await,
        400,
        "invalid.value",
    )
    .await;
    assert!(
        body.message
            .as_deref()
            .is_some_and(|m| m.contains("details"))
    );
    for bad in [
        "?maxResults=abc",
        "?maxResults=0",
        "?maxResults=-1",
        "?maxResults=101",
        "?maxResults=1.5",
        "?includeErrors=1",
        "?sortBy=name",
        "?sortOrder=up",
        "?status=Bogus",
    ] {
        expect_error(get(bad.to_string()).await, 400, "invalid.value").await;
    }
    for ok in [
        "?sortBy=ID&sortOrder=ASC",
        "?maxResults=100&foo=bar",
        "?includeErrors=tRuE",
    ] {
        assert_eq!(get(ok.to_string()).await.status().as_u16(), 200, "{ok}");
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_and_correlation_ids() {
    let sim = quick().await;
    let response = raw()
        .get(format!("{}/api/v2/nothing", sim.base_url()))
        .send()
        .await
        .expect("sent");
    expect_error(response, 404, "not.found").await;
    let response = raw().delete(jobs_url(&sim)).send().await.expect("sent");
    expect_error(response, 405, "method.not.allowed").await;
    let response = raw().get(sim.token_url()).send().await.expect("sent");
    expect_error(response, 405, "method.not.allowed").await;

    // Successes carry a distinct correlation id too.
    let a = raw()
        .get(jobs_url(&sim))
        .header("authorization", bearer(&sim))
        .send()
        .await
        .expect("sent");
    let b = raw()
        .get(jobs_url(&sim))
        .header("authorization", bearer(&sim))
        .send()
        .await
        .expect("sent");
    let ida = a
        .headers()
        .get("inin-correlation-id")
        .cloned()
        .expect("header");
    let idb = b
        .headers()
        .get("inin-correlation-id")
        .cloned()
        .expect("header");
    assert_ne!(ida, idb);

    let stats = sim.stats();
    assert_eq!(stats.requests(routes::OTHER), 3);
    assert_eq!(stats.requests(routes::LIST_JOBS), 2);
    assert_eq!(stats.total_requests, 5);
}

#[tokio::test]
async fn recent_requests_keep_the_raw_target() {
    let sim = quick().await;
    let target = "/api/v2/infrastructureascode/jobs/abc?details=True&x=%20y";
    raw()
        .get(format!("{}{target}", sim.base_url()))
        .header("authorization", bearer(&sim))
        .send()
        .await
        .expect("sent");
    let recent = sim.recent_requests();
    let last = recent.last().expect("recorded");
    assert_eq!(last.method, "GET");
    assert_eq!(last.raw_target, target);
    assert_eq!(last.route, routes::GET_JOB);

    let http = raw();
    for _ in 0..1005 {
        http.get(format!("{}/x", sim.base_url()))
            .send()
            .await
            .expect("sent");
    }
    assert_eq!(sim.recent_requests().len(), 1000, "bounded ring");
}
