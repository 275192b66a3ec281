use std::time::Duration;

use genesys_iac_client::JobStatus;
use genesys_iac_sim::{Accelerator, ApplyOutcome, SimArgs, Simulator};

use crate::*;

fn lifecycle_index(status: &JobStatus) -> usize {
    match status {
        JobStatus::Created => 0,
        JobStatus::Queued => 1,
        JobStatus::Running => 2,
        _ => 3,
    }
}

#[tokio::test]
async fn apply_goes_through_the_lifecycle_to_complete() {
    let sim = start(Simulator::builder().step(Duration::from_millis(60))).await;
    let client = client(&sim);
    let job = submit(
        &client,
        input("hello-world", false, &[("name", "greeting")]),
    )
    .await;
    assert_eq!(job.status, Some(JobStatus::Created));
    assert!(!job.dry_run);
    assert_eq!(job.accelerator_id.as_deref(), Some("hello-world"));
    assert!(job.date_submitted.is_some());
    let id = job.id.clone().expect("id");
    assert_eq!(
        job.self_uri,
        Some(format!("/api/v2/infrastructureascode/jobs/{id}"))
    );
    let user = job.submitted_by.clone().expect("submittedBy");
    assert!(user.id.is_some() && user.self_uri.is_some());
    assert!(job.results.is_none() && job.error_info.is_none());

    let (done, seen) = wait_terminal(&client, &id).await;
    assert_eq!(done.status, Some(JobStatus::Complete));
    // Statuses only move forward.
    let indices: Vec<usize> = seen.iter().map(lifecycle_index).collect();
    assert!(indices.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let results = done.results.expect("results with details");
    assert!(
        results.contains("Apply complete! Resources: 1 added"),
        "{results}"
    );
    assert!(done.error_info.is_none() && done.rollback_results.is_none());

    // Without details: no results.
    let plain = client
        .get_infrastructureascode_job()
        .job_id(&id)
        .send()
        .await
        .expect("read")
        .into_inner();
    assert_eq!(plain.status, Some(JobStatus::Complete));
    assert!(plain.results.is_none());

    // sim.jobs() reports the current status with details.
    let all = sim.jobs();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, Some(JobStatus::Complete));
    assert!(all[0].results.is_some());
}

/// A poll without details is answered from a per-phase cache of the job's
/// JSON: it must still follow the lifecycle, and match the detailed form
/// apart from the details.
#[tokio::test]
async fn plain_polls_follow_the_lifecycle() {
    let sim = start(Simulator::builder().step(Duration::from_millis(150))).await;
    let client = client(&sim);
    let job = submit(&client, input("broken-apply", false, &[])).await;
    let id = job.id.clone().expect("id");
    let (plain, seen) = poll_terminal(&client, &id, false).await;
    // A stale cache would stop at the first status seen (and time out).
    let indices: Vec<usize> = seen.iter().map(lifecycle_index).collect();
    assert!(indices.len() >= 2, "{seen:?}");
    assert!(indices.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(plain.status, Some(JobStatus::RollbackComplete));
    assert!(plain.results.is_none() && plain.error_info.is_none());

    let (detailed, _) = wait_terminal(&client, &id).await;
    assert!(detailed.error_info.is_some());
    let strip = |mut j: genesys_iac_client::types::InfrastructureascodeJob| {
        j.results = None;
        j.rollback_results = None;
        j.error_info = None;
        j
    };
    let json = |j: &genesys_iac_client::types::InfrastructureascodeJob| {
        serde_json::to_value(j).expect("serializable")
    };
    assert_eq!(json(&strip(detailed)), json(&strip(plain.clone())));
    // Asked again, the same job.
    let (again, _) = poll_terminal(&client, &id, false).await;
    assert_eq!(json(&again), json(&plain));
}

#[tokio::test]
async fn dry_run_produces_plan_text() {
    let sim = quick().await;
    let client = client(&sim);
    let job = submit(&client, input("hello-world", true, &[("name", "x")])).await;
    assert!(job.dry_run);
    let (done, _) = wait_terminal(&client, job.id.as_deref().expect("id")).await;
    assert_eq!(done.status, Some(JobStatus::Complete));
    let results = done.results.expect("results");
    assert!(
        results.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{results}"
    );

    let skills = submit(
        &client,
        input(
            "queue-setup",
            true,
            &[("queueName", "Support"), ("skills", "billing, sales")],
        ),
    )
    .await;
    let (done, _) = wait_terminal(&client, skills.id.as_deref().expect("id")).await;
    let results = done.results.expect("results");
    assert!(results.contains("Plan: 3 to add"), "{results}");
    assert!(
        results.contains("genesyscloud_routing_skill.billing"),
        "{results}"
    );
}

#[tokio::test]
async fn missing_required_parameter_fails_naming_it() {
    let sim = quick().await;
    let client = client(&sim);
    let job = submit(&client, input("queue-setup", false, &[("skills", "a")])).await;
    let id = job.id.expect("id");
    let (done, _) = wait_terminal(&client, &id).await;
    assert_eq!(done.status, Some(JobStatus::Failed));
    let info = done.error_info.expect("errorInfo with details");
    assert!(
        info.message
            .as_deref()
            .is_some_and(|m| m.contains("queueName")),
        "{info:?}"
    );
    assert!(info.code.is_some());

    let plain = client
        .get_infrastructureascode_job()
        .job_id(&id)
        .details(false)
        .send()
        .await
        .expect("read");
    assert_eq!(plain.status, Some(JobStatus::Failed));
    assert!(plain.error_info.is_none() && plain.results.is_none());
}

#[tokio::test]
async fn broken_apply_is_rolled_back() {
    let sim = quick().await;
    let client = client(&sim);
    let apply = submit(&client, input("broken-apply", false, &[])).await;
    let (done, _) = wait_terminal(&client, apply.id.as_deref().expect("id")).await;
    assert_eq!(done.status, Some(JobStatus::RollbackComplete));
    assert!(done.error_info.is_some());
    assert!(
        done.rollback_results
            .as_deref()
            .is_some_and(|r| r.contains("Destroy complete"))
    );
    assert!(done.results.is_some());

    let plan = submit(&client, input("broken-apply", true, &[])).await;
    let (done, _) = wait_terminal(&client, plan.id.as_deref().expect("id")).await;
    assert_eq!(done.status, Some(JobStatus::Complete));
    assert!(done.error_info.is_none() && done.rollback_results.is_none());
}

#[tokio::test]
async fn unknown_accelerator_and_unknown_job_are_errors() {
    let sim = quick().await;
    let client = client(&sim);
    let (status, body) = error_body(
        client
            .post_infrastructureascode_jobs()
            .body(input("no-such-thing", false, &[]))
            .send()
            .await,
    );
    assert_eq!(status, 400);
    assert_eq!(body.code.as_deref(), Some("bad.request"));
    assert!(
        body.message
            .as_deref()
            .is_some_and(|m| m.contains("no-such-thing"))
    );
    assert_eq!(sim.stats().jobs_created, 0);

    let (status, body) = error_body(
        client
            .get_infrastructureascode_job()
            .job_id("nope")
            .send()
            .await,
    );
    assert_eq!(status, 404);
    assert_eq!(body.code.as_deref(), Some("not.found"));

    let response = raw()
        .get(format!("{}/nope", jobs_url(&sim)))
        .header("authorization", bearer(&sim))
        .send()
        .await
        .expect("sent");
    expect_error(response, 404, "not.found").await;
}

#[tokio::test]
async fn custom_catalogue_from_builder_and_from_file() {
    let custom = Accelerator::new("flaky", "Flaky")
        .parameter("p", false)
        .outcome(ApplyOutcome::RollbackFailed);
    let sim = start(
        Simulator::builder()
            .step(Duration::ZERO)
            .accelerators(vec![custom]),
    )
    .await;
    let client = client(&sim);
    let job = submit(&client, input("flaky", false, &[])).await;
    let (done, _) = wait_terminal(&client, job.id.as_deref().expect("id")).await;
    assert_eq!(done.status, Some(JobStatus::RollbackFailed));
    let (status, _) = error_body(
        client
            .post_infrastructureascode_jobs()
            .body(input("hello-world", false, &[]))
            .send()
            .await,
    );
    assert_eq!(status, 400, "the built-in catalogue is replaced");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalogue.yaml");
    std::fs::write(
        &path,
        "accelerators:\n  - id: from-file\n    parameters:\n      - name: x\n        required: true\n    outcome: InternalError\n",
    )
    .expect("write");
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }
    let cli = Cli::try_parse_from([
        "t",
        "--addr",
        "127.0.0.1:0",
        "--step-ms",
        "0",
        "--accelerators",
        path.to_str().expect("utf-8 path"),
    ])
    .expect("parses");
    let sim = start(cli.sim.into_builder().expect("builder")).await;
    assert_eq!(sim.accelerator_ids(), ["from-file"]);
    let client = crate::client(&sim);
    let job = submit(&client, input("from-file", false, &[("x", "1")])).await;
    let (done, _) = wait_terminal(&client, job.id.as_deref().expect("id")).await;
    assert_eq!(done.status, Some(JobStatus::InternalError));

    std::fs::write(&path, "accelerators: [{id: a, bogus: 1}]").expect("write");
    let cli = Cli::try_parse_from(["t", "--accelerators", path.to_str().expect("utf-8")])
        .expect("parses");
    let error = cli.sim.into_builder().expect_err("invalid catalogue");
    assert!(error.to_string().contains("catalogue"), "{error}");
}

#[tokio::test]
async fn retention_drops_the_oldest_jobs() {
    let sim = start(Simulator::builder().retention(3)).await;
    let client = client(&sim);
    let mut ids = Vec::new();
    for i in 0..5 {
        let name = format!("n{i}");
        ids.push(
            submit(&client, input("hello-world", true, &[("name", &name)]))
                .await
                .id
                .expect("id"),
        );
    }
    assert_eq!(sim.stats().jobs_created, 5);
    let kept: Vec<String> = sim.jobs().into_iter().filter_map(|j| j.id).collect();
    assert_eq!(kept, ids[2..]);
    let (status, _) = error_body(
        client
            .get_infrastructureascode_job()
            .job_id(&ids[0])
            .send()
            .await,
    );
    assert_eq!(status, 404);
}

#[tokio::test]
async fn many_concurrent_requests_all_succeed() {
    let sim = start(Simulator::builder().step(Duration::from_millis(5))).await;
    let client = client(&sim);
    let job = submit(&client, input("hello-world", false, &[("name", "x")])).await;
    let id = job.id.expect("id");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let client = client.clone();
        let id = id.clone();
        tasks.spawn(async move {
            for _ in 0..50 {
                client
                    .get_infrastructureascode_job()
                    .job_id(&id)
                    .send()
                    .await
                    .expect("read");
            }
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("task");
    }
    assert_eq!(sim.stats().total_requests, 1 + 16 * 50);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let sim = quick().await;
    let url = jobs_url(&sim);
    let http = raw();
    assert!(http.get(&url).send().await.is_ok());
    sim.shutdown().await;
    assert!(
        http.get(&url).send().await.is_err(),
        "stopped after shutdown"
    );

    let sim = quick().await;
    let url = jobs_url(&sim);
    drop(sim);
    // Dropping signals the server; give it a moment, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if raw().get(&url).send().await.is_err() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still serving after drop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
