//! Snapshot of the exact HTTP request each generated operation sends.

mod common;

use genesys_iac_client::hooks::Hooks;
use genesys_iac_client::types::{AcceleratorInput, AcceleratorParameter, JobSortBy, SortOrder};
use genesys_iac_client::{Client, JobStatus};

const JOB: &str = r#"{"id":"job-1","dryRun":false,"status":"Queued"}"#;

/// The parts of a request that matter: method, path and query, the headers
/// the generated code sets (not host/port), and the JSON body.
fn describe(c: &common::Captured) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> = c
        .headers
        .iter()
        .filter(|(k, _)| k != "host")
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let body = if c.body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&c.body).unwrap_or(serde_json::Value::String(c.body.clone()))
    };
    serde_json::json!({
        "method": c.method,
        "target": c.target,
        "headers": headers,
        "body": body,
    })
}

#[tokio::test]
async fn get_job_request() {
    let server = common::serve(200, "application/json", JOB.into()).await;
    let client = Client::new(&server.base_url, Hooks::none());
    let job = client
        .get_infrastructureascode_job()
        .job_id("0f9c4a4e-1111-4000-8000-000000000001")
        .details(true)
        .send()
        .await
        .expect("200 decodes");
    assert_eq!(job.status, Some(JobStatus::Queued));
    let seen = server.seen.lock().expect("lock").clone();
    insta::assert_json_snapshot!(describe(&seen[0]));
}

#[tokio::test]
async fn get_job_path_is_one_encoded_segment() {
    let server = common::serve(200, "application/json", JOB.into()).await;
    let client = Client::new(&server.base_url, Hooks::none());
    for id in ["../../x", "a/b", "%2e%2e", "with space", "ünï"] {
        client
            .get_infrastructureascode_job()
            .job_id(id)
            .send()
            .await
            .expect("200 decodes");
    }
    let targets: Vec<String> = server
        .seen
        .lock()
        .expect("lock")
        .iter()
        .map(|c| c.target.clone())
        .collect();
    insta::assert_json_snapshot!(targets);
}

#[tokio::test]
async fn get_jobs_request_with_every_parameter() {
    let server = common::serve(200, "application/json", format!("[{JOB}]")).await;
    let client = Client::new(&server.base_url, Hooks::none());
    client
        .get_infrastructureascode_jobs()
        .max_results(25)
        .include_errors(true)
        .sort_by(JobSortBy::AcceleratorId)
        .sort_order(SortOrder::Asc)
        .accelerator_id("hello-world")
        .submitted_by("user-1")
        .status(JobStatus::RollbackComplete)
        .send()
        .await
        .expect("200 decodes");
    let seen = server.seen.lock().expect("lock").clone();
    insta::assert_json_snapshot!(describe(&seen[0]));
}

#[tokio::test]
async fn get_jobs_request_without_parameters() {
    let server = common::serve(200, "application/json", JOB.into()).await;
    let client = Client::new(&server.base_url, Hooks::none());
    client
        .get_infrastructureascode_jobs()
        .send()
        .await
        .expect("200 decodes");
    let seen = server.seen.lock().expect("lock").clone();
    insta::assert_json_snapshot!(describe(&seen[0]));
}

#[tokio::test]
async fn post_jobs_request() {
    let server = common::serve(200, "application/json", JOB.into()).await;
    let client = Client::new(&server.base_url, Hooks::none());
    let body = AcceleratorInput {
        accelerator_id: "queue-setup".into(),
        dry_run: true,
        parameters: vec![
            AcceleratorParameter {
                name: Some("queueName".into()),
                value: Some("Support".into()),
            },
            AcceleratorParameter {
                name: Some("skills".into()),
                value: Some("billing,returns".into()),
            },
        ],
    };
    client
        .post_infrastructureascode_jobs()
        .body(body)
        .send()
        .await
        .expect("200 decodes");
    let seen = server.seen.lock().expect("lock").clone();
    insta::assert_json_snapshot!(describe(&seen[0]));
}
