use std::time::Duration;

use genesys_iac_client::JobStatus;
use genesys_iac_client::types::{
    InfrastructureascodeJob, InfrastructureascodeJobHistory, JobSortBy, SortOrder,
};
use genesys_iac_sim::{OAuthClient, SimHandle, Simulator};

use crate::*;

fn list(history: InfrastructureascodeJobHistory) -> Vec<InfrastructureascodeJob> {
    match history {
        InfrastructureascodeJobHistory::InfrastructureascodeJobEntityListing(l) => l.entities,
        InfrastructureascodeJobHistory::JobArray(a) => a.0,
        InfrastructureascodeJobHistory::InfrastructureascodeJob(j) => vec![j],
    }
}

async fn raw_history(sim: &SimHandle, query: &str) -> serde_json::Value {
    let response = raw()
        .get(format!("{}?{query}", jobs_url(sim)))
        .header("authorization", bearer(sim))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().contains_key("inin-correlation-id"));
    response.json().await.expect("json")
}

/// Three jobs, all ended at once (step zero): a Complete hello-world, a
/// Failed hello-world (missing parameter), and a RollbackComplete
/// broken-apply by a second client.
async fn seeded() -> (SimHandle, Vec<String>) {
    let sim = start(
        Simulator::builder()
            .step(Duration::ZERO)
            .client(OAuthClient::new("alice", "a"))
            .client(OAuthClient::new("bob", "b").user("bob-user")),
    )
    .await;
    let alice = client_for(&sim, "alice");
    let bob = client_for(&sim, "bob");
    let mut ids = Vec::new();
    ids.push(
        submit(&alice, input("hello-world", false, &[("name", "x")]))
            .await
            .id
            .expect("id"),
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    ids.push(
        submit(&alice, input("hello-world", false, &[]))
            .await
            .id
            .expect("id"),
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    ids.push(
        submit(&bob, input("broken-apply", false, &[]))
            .await
            .id
            .expect("id"),
    );
    (sim, ids)
}

#[tokio::test]
async fn shape_single_object_or_entity_listing() {
    let (sim, ids) = seeded().await;
    // Absent maxResults: a single job object, the newest.
    let single = raw_history(&sim, "").await;
    assert!(single.get("entities").is_none(), "{single}");
    assert_eq!(single["id"], ids[2].as_str());
    let one = raw_history(&sim, "maxResults=1").await;
    assert_eq!(one["id"], ids[2].as_str());

    let listing = raw_history(&sim, "maxResults=2").await;
    assert_eq!(listing["entities"].as_array().map(Vec::len), Some(2));
    assert_eq!(listing["pageSize"], 2);
    assert_eq!(listing["pageNumber"], 1);
    assert_eq!(listing["total"], 3);
    assert_eq!(listing["pageCount"], 2);

    // Nothing matches: an empty listing.
    let empty = raw_history(&sim, "acceleratorId=queue-setup").await;
    assert_eq!(empty["entities"].as_array().map(Vec::len), Some(0));
    assert_eq!(empty["total"], 0);

    // The generated client decodes every shape.
    let client = client_for(&sim, "alice");
    let got = list(
        client
            .get_infrastructureascode_jobs()
            .send()
            .await
            .expect("single")
            .into_inner(),
    );
    assert_eq!(got.len(), 1);
    let got = list(
        client
            .get_infrastructureascode_jobs()
            .max_results(100)
            .send()
            .await
            .expect("listing")
            .into_inner(),
    );
    assert_eq!(got.len(), 3);
    let got = list(
        client
            .get_infrastructureascode_jobs()
            .accelerator_id("queue-setup")
            .send()
            .await
            .expect("empty")
            .into_inner(),
    );
    assert!(got.is_empty());
}

#[tokio::test]
async fn filters_select_jobs() {
    let (sim, ids) = seeded().await;
    let client = client_for(&sim, "alice");
    let by_acc = list(
        client
            .get_infrastructureascode_jobs()
            .max_results(10)
            .accelerator_id("hello-world")
            .send()
            .await
            .expect("ok")
            .into_inner(),
    );
    assert_eq!(by_acc.len(), 2);
    assert!(
        by_acc
            .iter()
            .all(|j| j.accelerator_id.as_deref() == Some("hello-world"))
    );

    let by_user = list(
        client
            .get_infrastructureascode_jobs()
            .max_results(10)
            .submitted_by("bob-user")
            .send()
            .await
            .expect("ok")
            .into_inner(),
    );
    assert_eq!(by_user.len(), 1);
    assert_eq!(by_user[0].id.as_deref(), Some(ids[2].as_str()));
    let alice_user = OAuthClient::new("alice", "a").user_id();
    let by_alice = list(
        client
            .get_infrastructureascode_jobs()
            .max_results(10)
            .submitted_by(alice_user.as_str())
            .send()
            .await
            .expect("ok")
            .into_inner(),
    );
    assert_eq!(by_alice.len(), 2);

    let failed = list(
        client
            .get_infrastructureascode_jobs()
            .max_results(10)
            .status(JobStatus::Failed)
            .send()
            .await
            .expect("ok")
            .into_inner(),
    );
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id.as_deref(), Some(ids[1].as_str()));

    let combined = list(
        client
            .get_infrastructureascode_jobs()
            .max_results(10)
            .accelerator_id("hello-world")
            .status(JobStatus::Complete)
            .send()
            .await
            .expect("ok")
            .into_inner(),
    );
    assert_eq!(combined.len(), 1);
    assert_eq!(combined[0].id.as_deref(), Some(ids[0].as_str()));
    // Status filter values match case-insensitively.
    let lower = raw_history(&sim, "status=rollbackcomplete&maxResults=5").await;
    assert_eq!(lower["total"], 1);
}

#[tokio::test]
async fn sorting_by_each_field() {
    let (sim, ids) = seeded().await;
    let client = client_for(&sim, "alice");
    let fetch = |by: Option<JobSortBy>, order: Option<SortOrder>| {
        let client = client.clone();
        async move {
            let mut request = client.get_infrastructureascode_jobs().max_results(10);
            if let Some(by) = by {
                request = request.sort_by(by);
            }
            if let Some(order) = order {
                request = request.sort_order(order);
            }
            list(request.send().await.expect("ok").into_inner())
                .into_iter()
                .map(|j| j.id.expect("id"))
                .collect::<Vec<_>>()
        }
    };
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(
        fetch(None, None).await,
        newest_first,
        "default dateSubmitted desc"
    );
    assert_eq!(
        fetch(Some(JobSortBy::DateSubmitted), Some(SortOrder::Asc)).await,
        ids
    );
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        fetch(Some(JobSortBy::Id), Some(SortOrder::Asc)).await,
        sorted
    );
    let by_acc = fetch(Some(JobSortBy::AcceleratorId), Some(SortOrder::Asc)).await;
    assert_eq!(by_acc[0], ids[2], "broken-apply sorts before hello-world");
    let by_status = fetch(Some(JobSortBy::Status), Some(SortOrder::Asc)).await;
    assert_eq!(
        by_status,
        vec![ids[0].clone(), ids[1].clone(), ids[2].clone()]
    ); // Complete, Failed, RollbackComplete
    let by_status_desc = fetch(Some(JobSortBy::Status), Some(SortOrder::Desc)).await;
    assert_eq!(by_status_desc[0], ids[2]);
    let by_user = fetch(Some(JobSortBy::SubmittedBy), Some(SortOrder::Asc)).await;
    assert_eq!(by_user.len(), 3);
}

#[tokio::test]
async fn include_errors_gates_error_info_and_results_never_appear() {
    let (sim, ids) = seeded().await;
    let without = raw_history(&sim, "maxResults=10").await;
    for job in without["entities"].as_array().expect("entities") {
        assert!(
            job.get("errorInfo").is_none() && job.get("results").is_none(),
            "{job}"
        );
        assert!(job.get("rollbackResults").is_none());
    }
    let with = raw_history(&sim, "maxResults=10&includeErrors=TRUE").await;
    let entities = with["entities"].as_array().expect("entities");
    let failed = entities
        .iter()
        .find(|j| j["id"] == ids[1].as_str())
        .expect("failed job");
    assert!(
        failed["errorInfo"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("name"))
    );
    let complete = entities
        .iter()
        .find(|j| j["id"] == ids[0].as_str())
        .expect("complete job");
    assert!(complete.get("errorInfo").is_none());
    assert!(entities.iter().all(|j| j.get("results").is_none()));
}

#[tokio::test]
async fn history_reports_running_jobs_with_their_current_status() {
    let sim = start(Simulator::builder().step(Duration::from_secs(30))).await;
    let client = client(&sim);
    submit(&client, input("hello-world", false, &[("name", "x")])).await;
    let got = list(
        client
            .get_infrastructureascode_jobs()
            .status(JobStatus::Created)
            .max_results(5)
            .send()
            .await
            .expect("ok")
            .into_inner(),
    );
    assert_eq!(got.len(), 1);
    let got = list(
        client
            .get_infrastructureascode_jobs()
            .status(JobStatus::Complete)
            .max_results(5)
            .send()
            .await
            .expect("ok")
            .into_inner(),
    );
    assert!(got.is_empty());
}
