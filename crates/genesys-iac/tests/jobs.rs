//! Submitting, fetching, waiting, watching, history.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use genesys_iac::{
    Client, Error, Job, JobSpec, JobStatus, RetryPolicy, SortBy, SortOrder, WaitOptions,
};
use genesys_iac_sim::routes;

fn hello() -> JobSpec {
    JobSpec::builder("hello-world")
        .parameter("name", "demo")
        .build()
        .unwrap()
}

fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .poll_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(40))
        .timeout(Duration::from_secs(20))
}

#[tokio::test]
async fn submit_and_wait_completes_with_results() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let spec = JobSpec::builder("hello-world")
        .parameter("name", "demo")
        .build()
        .unwrap();
    let job = client.submit_and_wait(&spec, fast_wait()).await.unwrap();
    assert_eq!(job.status(), &JobStatus::Complete);
    assert!(job.is_success());
    assert!(!job.dry_run());
    assert_eq!(job.accelerator_id(), Some("hello-world"));
    assert!(job.results().is_some(), "details were fetched");
    assert!(job.rollback_results().is_none());
    assert!(job.submitted_at().is_some());
    assert!(job.submitted_by().is_some());
    assert_eq!(sim.stats().jobs_created, 1);
    // The parameters reached the service in order.
    let stored = sim.jobs();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id.as_deref(), Some(job.id()));
}

#[tokio::test]
async fn plan_forces_a_dry_run() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let spec = JobSpec::builder("hello-world")
        .dry_run(false)
        .build()
        .unwrap();
    let job = client.plan(&spec).await.unwrap();
    assert!(job.dry_run());
    assert!(sim.jobs()[0].dry_run);
    let job = client.submit(&spec).await.unwrap();
    assert!(!job.dry_run());
}

#[tokio::test]
async fn a_failing_job_ends_with_error_info_and_rollback() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let job = client
        .submit_and_wait(&JobSpec::new("broken-apply"), fast_wait())
        .await
        .expect("wait returns the terminal job, successful or not");
    assert!(job.is_terminal());
    assert!(!job.is_success(), "{job}");
    assert!(job.error_info().is_some(), "{:?}", job.raw());
    assert!(job.rollback_results().is_some());
}

#[tokio::test]
async fn wait_times_out_with_the_last_job() {
    let sim = start(genesys_iac_sim::Simulator::builder().step(Duration::from_secs(60))).await;
    let client = client(&sim);
    let job = client.submit(&hello()).await.unwrap();
    let err = client
        .wait(job.id(), fast_wait().timeout(Duration::from_millis(150)))
        .await
        .unwrap_err();
    match &err {
        Error::WaitTimeout { job_id, last } => {
            assert_eq!(job_id, job.id());
            let last = last.as_ref().expect("a poll succeeded");
            assert_eq!(last.status(), &JobStatus::Created);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("Created"));
    assert!(
        sim.stats().requests(routes::GET_JOB) >= 2,
        "polled more than once"
    );
}

#[tokio::test]
async fn watch_yields_each_status_change_in_order_then_ends() {
    let sim = start(genesys_iac_sim::Simulator::builder().step(Duration::from_millis(120))).await;
    let client = client(&sim);
    let job = client.submit(&hello()).await.unwrap();
    let items: Vec<Job> = client
        .watch(job.id(), fast_wait())
        .map(|r| r.unwrap())
        .collect()
        .await;
    let statuses: Vec<JobStatus> = items.iter().map(|j| j.status().clone()).collect();
    assert_eq!(
        statuses,
        vec![
            JobStatus::Created,
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Complete
        ],
        "with a 120 ms step and 10-40 ms polls every state is seen once"
    );
    // Many more polls than items: unchanged observations are not yielded.
    assert!(sim.stats().requests(routes::GET_JOB) > 4);
}

#[tokio::test]
async fn watch_of_a_finished_job_yields_it_once() {
    let sim = start(genesys_iac_sim::Simulator::builder().step(Duration::ZERO)).await;
    let client = client(&sim);
    let job = client.submit(&hello()).await.unwrap();
    let items: Vec<_> = client.watch(job.id(), fast_wait()).collect().await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap().status(), &JobStatus::Complete);
}

#[tokio::test]
async fn wait_on_an_unknown_job_fails_at_once() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let err = client.wait("no-such-job", fast_wait()).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(sim.stats().requests(routes::GET_JOB), 1);
}

#[tokio::test]
async fn wait_keeps_polling_through_transient_errors() {
    let s = scripted(|_, n| match n {
        0 => Reply::json(200, job_json("j", "Running")),
        1..=3 => Reply::json(
            503,
            serde_json::json!({"code": "service.unavailable", "message": "down"}),
        ),
        4 => Reply::json(200, job_json("j", "Running")),
        _ => Reply::json(200, job_json("j", "Complete")),
    })
    .await;
    let client = scripted_client(&s, RetryPolicy::none());
    let job = client.wait("j", fast_wait().details(false)).await.unwrap();
    assert_eq!(job.status(), &JobStatus::Complete);
    assert_eq!(s.hits().len(), 6);
}

#[tokio::test]
async fn an_unknown_status_decodes_and_wait_keeps_polling_until_timeout() {
    use tracing_subscriber::layer::SubscriberExt;
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(capture.clone())
            .with_ansi(false),
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let s = scripted(|_, _| Reply::json(200, job_json("j", "Paused"))).await;
    let client = scripted_client(&s, RetryPolicy::none());
    let job = client.job("j").send().await.unwrap();
    assert_eq!(job.status(), &JobStatus::Unknown("Paused".into()));
    assert!(!job.is_terminal());
    // The raw value survives a round trip.
    assert!(
        serde_json::to_string(&job)
            .unwrap()
            .contains("\"status\":\"Paused\"")
    );

    let err = client
        .wait("j", fast_wait().timeout(Duration::from_millis(200)))
        .await
        .unwrap_err();
    let Error::WaitTimeout {
        last: Some(last), ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(last.status().as_str(), "Paused");
    assert!(s.hits().len() >= 3, "kept polling");
    let warnings = capture.text().matches("does not know").count();
    assert_eq!(warnings, 1, "warned once: {}", capture.text());
}

#[tokio::test]
async fn history_with_limit_one_is_a_single_object_and_still_a_list() {
    let sim = start(sim()).await;
    let client = client(&sim);
    for _ in 0..3 {
        client.plan(&hello()).await.unwrap();
    }
    let one = client.history().limit(1).send().await.unwrap();
    assert_eq!(one.len(), 1);
    let default = client.history().send().await.unwrap();
    assert_eq!(default.len(), 1);
    let many = client.history().limit(10).send().await.unwrap();
    assert_eq!(many.len(), 3);
    // The wire shapes differ: a bare object for maxResults=1, a listing otherwise.
    let targets: Vec<String> = sim
        .recent_requests()
        .into_iter()
        .filter(|r| r.route == routes::LIST_JOBS)
        .map(|r| r.raw_target)
        .collect();
    assert!(targets[0].contains("maxResults=1"));
    assert!(!targets[1].contains("maxResults"));
    assert!(targets[2].contains("maxResults=10"));
}

#[tokio::test]
async fn history_with_no_matches_is_empty() {
    let sim = start(sim()).await;
    let client = client(&sim);
    assert!(client.history().send().await.unwrap().is_empty());
    assert!(client.history().limit(5).send().await.unwrap().is_empty());
}

#[tokio::test]
async fn history_filters_and_sorting() {
    let sim = start(genesys_iac_sim::Simulator::builder().step(Duration::ZERO)).await;
    let client = client(&sim);
    let a = client.plan(&hello()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let b = client.submit(&JobSpec::new("broken-apply")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let c = client.plan(&hello()).await.unwrap();

    let hello = client
        .history()
        .limit(10)
        .accelerator_id("hello-world")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = hello.iter().map(Job::id).collect();
    assert_eq!(ids, vec![c.id(), a.id()], "newest first by default");

    let asc = client
        .history()
        .limit(10)
        .sort_by(SortBy::DateSubmitted)
        .sort_order(SortOrder::Asc)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = asc.iter().map(Job::id).collect();
    assert_eq!(ids, vec![a.id(), b.id(), c.id()]);

    let user = a.submitted_by().unwrap().to_string();
    let mine = client
        .history()
        .limit(10)
        .submitted_by(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.len(), 3);
    let nobody = client
        .history()
        .limit(10)
        .submitted_by("someone-else")
        .send()
        .await
        .unwrap();
    assert!(nobody.is_empty());

    let complete = client
        .history()
        .limit(10)
        .status(JobStatus::Complete)
        .send()
        .await
        .unwrap();
    assert_eq!(complete.len(), 2);
    let failed = client
        .history()
        .limit(10)
        .accelerator_id("broken-apply")
        .include_errors(true)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].error_info().is_some());
    assert!(
        failed[0].results().is_none(),
        "history never carries results"
    );
}

#[tokio::test]
async fn history_accepts_a_bare_array_and_an_empty_object() {
    let s = scripted(|hit, _| {
        if hit.target.contains("maxResults=2") {
            Reply::json(
                200,
                serde_json::json!([job_json("a", "Complete"), job_json("b", "Failed")]),
            )
        } else {
            Reply::json(200, serde_json::json!({}))
        }
    })
    .await;
    let client = scripted_client(&s, RetryPolicy::none());
    let two = client.history().limit(2).send().await.unwrap();
    assert_eq!(two.iter().map(Job::id).collect::<Vec<_>>(), ["a", "b"]);
    assert!(client.history().send().await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_accelerator_is_a_400_with_correlation_id() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let err = client
        .submit(&JobSpec::new("no-such-accelerator"))
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.code.as_deref(), Some("bad.request"));
    assert!(api.correlation_id.is_some());
    assert!(
        err.to_string()
            .contains(api.correlation_id.as_deref().unwrap())
    );
    assert_eq!(sim.stats().requests(routes::POST_JOB), 1);
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let mut spec = hello();
    spec.accelerator_id = "  ".into();
    assert!(matches!(
        client.submit(&spec).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        client.job("").send().await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        client.history().limit(0).send().await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(sim.stats().total_requests, 0);
}

#[tokio::test]
async fn job_serializes_as_the_wire_form() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let job = client
        .submit(
            &JobSpec::builder("hello-world")
                .parameter("name", "n")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let json = serde_json::to_value(&job).unwrap();
    assert_eq!(json["acceleratorId"], "hello-world");
    assert_eq!(json["id"], job.id());
    assert!(json.get("dateSubmitted").is_some());
    let back: Job = serde_json::from_value(json).unwrap();
    assert_eq!(back.id(), job.id());
    assert_eq!(back.status(), job.status());
    assert_eq!(back.submitted_at(), job.submitted_at());
}

#[tokio::test]
async fn parameters_are_sent_in_order_as_strings() {
    let s = scripted(|_, _| Reply::json(200, job_json("j", "Created"))).await;
    let client = scripted_client(&s, RetryPolicy::none());
    let spec: JobSpec = serde_norway::from_str(
        "acceleratorId: queue-setup\ndryRun: true\nparameters:\n  zeta: 1\n  alpha: true\n  mid: text\n",
    )
    .unwrap();
    client.submit(&spec).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&s.hits()[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "acceleratorId": "queue-setup",
            "dryRun": true,
            "parameters": [
                {"name": "zeta", "value": "1"},
                {"name": "alpha", "value": "true"},
                {"name": "mid", "value": "text"}
            ]
        })
    );
    let hit = &s.hits()[0];
    assert_eq!(hit.header("authorization"), Some("Bearer static-token-abc"));
    assert!(
        hit.header("user-agent")
            .unwrap()
            .starts_with("genesys-iac/")
    );
}

#[tokio::test]
async fn user_agent_names_the_crate_and_the_app() {
    let s = scripted(|_, _| Reply::json(200, serde_json::json!({"entities": []}))).await;
    let ua = |app: Option<&str>| {
        let mut b = Client::builder()
            .base_url(&s.url)
            .access_token("static-token-abc");
        if let Some(app) = app {
            b = b.app_name(app);
        }
        b.build().unwrap()
    };
    ua(None).history().send().await.unwrap();
    ua(Some("deploy-bot/2.1")).history().send().await.unwrap();
    let hits = s.hits();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        hits[0].header("user-agent"),
        Some(format!("genesys-iac/{version}").as_str())
    );
    assert_eq!(
        hits[1].header("user-agent"),
        Some(format!("genesys-iac/{version} deploy-bot/2.1").as_str())
    );
}

#[tokio::test]
async fn an_app_name_that_cannot_be_a_header_is_a_config_error() {
    let err = Client::builder()
        .base_url("http://127.0.0.1:9")
        .access_token("static-token-abc")
        .app_name("bot\r\nX-Injected: 1")
        .build()
        .unwrap_err();
    let Error::Config(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("User-Agent"), "{msg}");
}

#[tokio::test]
async fn requests_can_be_awaited_directly() {
    let sim = start(sim()).await;
    let client = client(&sim);
    let job = client.plan(&hello()).await.unwrap();
    let same = client.job(job.id()).details(true).await.unwrap();
    assert_eq!(same.id(), job.id());
    let listed = client.history().limit(5).await.unwrap();
    assert_eq!(listed.len(), 1);
}
