//! Decoding of sample responses with the generated types.

use genesys_iac_client::JobStatus;
use genesys_iac_client::types::{
    ErrorBody, InfrastructureascodeJob, InfrastructureascodeJobHistory,
};

fn job(json: &str) -> InfrastructureascodeJob {
    serde_json::from_str(json).expect("the job decodes")
}

#[test]
fn full_job() {
    let j = job(r#"{
        "id": "6a1b2c3d-0000-4000-8000-000000000001",
        "dryRun": false,
        "acceleratorId": "hello-world",
        "dateSubmitted": "2026-03-01T12:30:05.123Z",
        "submittedBy": {"id": "user-1", "selfUri": "/api/v2/users/user-1"},
        "status": "Complete",
        "results": "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
        "selfUri": "/api/v2/infrastructureascode/jobs/6a1b2c3d-0000-4000-8000-000000000001"
    }"#);
    assert_eq!(j.status, Some(JobStatus::Complete));
    insta::assert_debug_snapshot!(j);
}

#[test]
fn date_without_millis() {
    let j = job(r#"{"dryRun": true, "dateSubmitted": "2026-03-01T12:30:05Z"}"#);
    insta::assert_debug_snapshot!(j.date_submitted);
}

#[test]
fn failed_job_with_error_info_and_rollback() {
    let j = job(r#"{
        "id": "job-2",
        "dryRun": false,
        "acceleratorId": "broken-apply",
        "status": "Failed",
        "errorInfo": {"message": "Error: creating queue: 409 conflict", "code": "apply.failed"},
        "rollbackResults": "Destroy complete! Resources: 1 destroyed."
    }"#);
    assert_eq!(j.status, Some(JobStatus::Failed));
    insta::assert_debug_snapshot!(j);
}

#[test]
fn unknown_status_keeps_raw_value() {
    for raw in ["RollbackComplete", "SomethingNew", ""] {
        let j = job(&format!(r#"{{"dryRun": false, "status": "{raw}"}}"#));
        let status = j.status.clone().expect("status present");
        assert_eq!(status.as_str(), raw);
        // And it goes back out unchanged.
        let again = serde_json::to_value(&j).expect("encodes");
        assert_eq!(again["status"], raw);
    }
    let j = job(r#"{"dryRun": false, "status": "SomethingNew"}"#);
    assert_eq!(j.status, Some(JobStatus::Unknown("SomethingNew".into())));
    insta::assert_debug_snapshot!(j.status);
}

#[test]
fn missing_optional_fields() {
    let j = job(r#"{"dryRun": true}"#);
    insta::assert_debug_snapshot!(j);
}

#[test]
fn unknown_extra_fields_are_ignored() {
    let j =
        job(r#"{"dryRun": true, "id": "x", "futureField": {"nested": [1, 2]}, "another": null}"#);
    assert_eq!(j.id.as_deref(), Some("x"));
}

#[test]
fn wrong_types_are_errors_not_panics() {
    for bad in [
        r#"{"dryRun": "yes"}"#,
        r#"{"dryRun": true, "status": 3}"#,
        r#"{"dryRun": true, "dateSubmitted": "yesterday"}"#,
        r#"{"id": "missing dryRun"}"#,
        r#"{"dryRun": true"#,
        "",
    ] {
        assert!(
            serde_json::from_str::<InfrastructureascodeJob>(bad).is_err(),
            "{bad}"
        );
    }
}

fn history(json: &str) -> InfrastructureascodeJobHistory {
    serde_json::from_str(json).expect("the history decodes")
}

#[test]
fn history_single_object() {
    let h = history(r#"{"id": "a", "dryRun": false, "status": "Running"}"#);
    assert!(matches!(
        h,
        InfrastructureascodeJobHistory::InfrastructureascodeJob(_)
    ));
    insta::assert_debug_snapshot!(h);
}

#[test]
fn history_bare_array() {
    let h = history(
        r#"[{"id": "a", "dryRun": false}, {"id": "b", "dryRun": true, "status": "Queued"}]"#,
    );
    assert!(matches!(h, InfrastructureascodeJobHistory::JobArray(ref v) if v.len() == 2));
    insta::assert_debug_snapshot!(h);
}

#[test]
fn history_empty_array() {
    let h = history("[]");
    assert!(matches!(h, InfrastructureascodeJobHistory::JobArray(ref v) if v.is_empty()));
}

#[test]
fn history_entity_listing() {
    let h = history(
        r#"{
        "entities": [{"id": "a", "dryRun": false, "status": "Complete"}],
        "pageSize": 25, "pageNumber": 1, "total": 1, "pageCount": 1
    }"#,
    );
    assert!(
        matches!(h, InfrastructureascodeJobHistory::InfrastructureascodeJobEntityListing(ref l) if l.entities.len() == 1)
    );
    insta::assert_debug_snapshot!(h);
}

#[test]
fn error_body_404() {
    let e: ErrorBody = serde_json::from_str(
        r#"{
        "message": "Job 123 not found",
        "code": "not.found",
        "status": 404,
        "contextId": "8c2b7c4e-aaaa-4bbb-8ccc-000000000404",
        "details": [],
        "errors": []
    }"#,
    )
    .expect("decodes");
    insta::assert_debug_snapshot!(e);
}

#[test]
fn error_body_429_with_limit() {
    let e: ErrorBody = serde_json::from_str(r#"{
        "message": "Rate limit exceeded the maximum. [300] requests for [60] seconds",
        "code": "too.many.requests",
        "status": 429,
        "messageWithParams": "Rate limit exceeded the maximum. [{limit}] requests for [{seconds}] seconds",
        "messageParams": {"limit": "300", "seconds": "60"},
        "contextId": "ctx-429",
        "limit": {"key": "token.rate.per.minute", "namespace": "platform.api", "value": 300},
        "details": [{"errorCode": "rate", "fieldName": "token"}],
        "errors": [{"message": "nested", "code": "inner"}]
    }"#).expect("decodes");
    insta::assert_debug_snapshot!(e);
}
