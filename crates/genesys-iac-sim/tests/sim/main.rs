//! Integration tests of the simulator over loopback, with the generated
//! client for job operations and raw reqwest for everything else.

mod auth;
mod binary;
mod faults;
mod history;
mod input;
mod jobs;

use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_iac_client::hooks::{BoxFuture, Hooks, RequestPolicy};
use genesys_iac_client::types::{
    AcceleratorInput, AcceleratorParameter, ErrorBody, InfrastructureascodeJob,
};
use genesys_iac_client::{Client, JobStatus, OperationInfo};
use genesys_iac_sim::{SimHandle, Simulator, SimulatorBuilder};

/// Adds a static bearer token to every request of the generated client.
#[derive(Debug)]
pub struct Bearer(pub String);

impl RequestPolicy for Bearer {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let value = format!("Bearer {}", self.0).parse().expect("ASCII token");
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Box::pin(client.execute(request))
    }
}

/// A fast-lifecycle simulator with the default client.
pub async fn start(builder: SimulatorBuilder) -> SimHandle {
    builder.start().await.expect("simulator starts")
}

pub async fn quick() -> SimHandle {
    start(Simulator::builder().step(Duration::from_millis(20))).await
}

/// The generated client authenticated as `client_id` (token minted directly).
pub fn client_for(sim: &SimHandle, client_id: &str) -> Client {
    let token = sim.issue_token(client_id).expect("configured client");
    Client::new(&sim.base_url(), Hooks::with_policy(Arc::new(Bearer(token))))
}

pub fn client(sim: &SimHandle) -> Client {
    client_for(sim, genesys_iac_sim::DEFAULT_CLIENT_ID)
}

pub fn raw() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("reqwest client")
}

/// Logs in at the token endpoint with HTTP Basic auth.
pub async fn login(sim: &SimHandle, id: &str, secret: &str) -> reqwest::Response {
    raw()
        .post(sim.token_url())
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("token request")
}

pub fn input(accelerator: &str, dry_run: bool, params: &[(&str, &str)]) -> AcceleratorInput {
    AcceleratorInput {
        accelerator_id: accelerator.to_string(),
        dry_run,
        parameters: params
            .iter()
            .map(|(n, v)| AcceleratorParameter {
                name: Some(n.to_string()),
                value: Some(v.to_string()),
            })
            .collect(),
    }
}

pub async fn submit(client: &Client, body: AcceleratorInput) -> InfrastructureascodeJob {
    client
        .post_infrastructureascode_jobs()
        .body(body)
        .send()
        .await
        .expect("job accepted")
        .into_inner()
}

/// Polls a job (with details) until it ends; panics after 20 s.
pub async fn wait_terminal(client: &Client, id: &str) -> (InfrastructureascodeJob, Vec<JobStatus>) {
    poll_terminal(client, id, true).await
}

/// Polls a job (with or without details) until it ends; returns it and the
/// distinct statuses seen on the way, in order.
pub async fn poll_terminal(
    client: &Client,
    id: &str,
    details: bool,
) -> (InfrastructureascodeJob, Vec<JobStatus>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen: Vec<JobStatus> = Vec::new();
    loop {
        let job = client
            .get_infrastructureascode_job()
            .job_id(id)
            .details(details)
            .send()
            .await
            .expect("job readable")
            .into_inner();
        let status = job.status.clone().expect("status present");
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status.is_terminal() {
            return (job, seen);
        }
        assert!(Instant::now() < deadline, "job {id} did not end: {seen:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Asserts an error response is an ErrorBody with `status` and `code`, and
/// that `contextId` equals the correlation header. Returns the body.
pub async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> ErrorBody {
    assert_eq!(response.status().as_u16(), status, "status");
    let header = response
        .headers()
        .get("inin-correlation-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .expect("correlation header");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: ErrorBody = response.json().await.expect("ErrorBody JSON");
    assert_eq!(body.code.as_deref(), Some(code), "{body:?}");
    assert_eq!(body.status, Some(i32::from(status)));
    assert_eq!(body.context_id.as_deref(), Some(header.as_str()));
    assert!(body.message.as_deref().is_some_and(|m| !m.is_empty()));
    body
}

/// The ErrorBody of a generated-client error (panics on anything else).
pub fn error_body<T: std::fmt::Debug>(
    result: Result<T, genesys_iac_client::Error<ErrorBody>>,
) -> (u16, ErrorBody) {
    match result {
        Err(genesys_iac_client::Error::ErrorResponse(rv)) => {
            (rv.status().as_u16(), rv.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

pub fn jobs_url(sim: &SimHandle) -> String {
    format!("{}/api/v2/infrastructureascode/jobs", sim.base_url())
}

/// An Authorization value for the first configured client.
pub fn bearer(sim: &SimHandle) -> String {
    format!(
        "Bearer {}",
        sim.issue_token(sim.clients()[0].id())
            .expect("first client")
    )
}
