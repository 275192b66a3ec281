//! Property tests: decoding never panics on any JSON, and well-formed jobs,
//! error bodies and history shapes survive a round trip with every field
//! (including statuses this version does not know) intact.

use genesys_iac_client::JobStatus;
use genesys_iac_client::types::{
    ErrorBody, ErrorInfo, InfrastructureascodeJob, InfrastructureascodeJobHistory, UserReference,
};
use proptest::prelude::*;

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        ".{0,20}".prop_map(serde_json::Value::String),
        prop_oneof![
            Just("id"),
            Just("dryRun"),
            Just("status"),
            Just("entities"),
            Just("Complete"),
            Just("2026-03-01T12:30:05Z"),
            Just("errorInfo"),
            Just("submittedBy")
        ]
        .prop_map(|s| serde_json::Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("dryRun".to_string()),
                    Just("status".to_string()),
                    Just("entities".to_string()),
                    Just("dateSubmitted".to_string()),
                    Just("errorInfo".to_string()),
                    Just("submittedBy".to_string()),
                    Just("message".to_string()),
                    Just("code".to_string()),
                    Just("errors".to_string()),
                    "[a-zA-Z]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_status() -> impl Strategy<Value = JobStatus> {
    prop_oneof![
        prop::sample::select(JobStatus::KNOWN.to_vec()),
        "[A-Za-z]{0,16}".prop_map(|s| JobStatus::from_wire(&s)),
    ]
}

prop_compose! {
    fn arb_job()(
        id in proptest::option::of("[a-f0-9-]{1,36}"),
        dry_run in any::<bool>(),
        accelerator in proptest::option::of("[a-z-]{1,20}"),
        secs in proptest::option::of(0i64..4_000_000_000),
        millis in 0u32..1000,
        user in proptest::option::of("[a-z0-9-]{1,12}"),
        status in proptest::option::of(arb_status()),
        error in proptest::option::of(("[a-z.]{0,12}", ".{0,40}")),
        results in proptest::option::of(".{0,200}"),
        rollback in proptest::option::of(".{0,50}"),
    ) -> InfrastructureascodeJob {
        InfrastructureascodeJob {
            id,
            dry_run,
            accelerator_id: accelerator,
            date_submitted: secs.and_then(|s| chrono::DateTime::from_timestamp(s, millis * 1_000_000)),
            submitted_by: user.map(|u| UserReference { self_uri: Some(format!("/api/v2/users/{u}")), id: Some(u) }),
            status,
            error_info: error.map(|(code, message)| ErrorInfo { code: Some(code), message: Some(message) }),
            results,
            rollback_results: rollback,
            self_uri: None,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_json_decodes_or_errors_without_panic(v in arb_json()) {
        let text = v.to_string();
        let _ = serde_json::from_str::<InfrastructureascodeJob>(&text);
        let _ = serde_json::from_str::<ErrorBody>(&text);
        let _ = serde_json::from_str::<InfrastructureascodeJobHistory>(&text);
    }

    #[test]
    fn any_bytes_decode_or_error_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<InfrastructureascodeJob>(&bytes);
        let _ = serde_json::from_slice::<InfrastructureascodeJobHistory>(&bytes);
    }

    #[test]
    fn jobs_round_trip(job in arb_job()) {
        let text = serde_json::to_string(&job).expect("encodes");
        let back: InfrastructureascodeJob = serde_json::from_str(&text).expect("decodes");
        prop_assert_eq!(serde_json::to_value(&back).expect("v"), serde_json::to_value(&job).expect("v"));
        prop_assert_eq!(back.status, job.status);
    }

    #[test]
    fn every_history_shape_yields_the_same_jobs(jobs in prop::collection::vec(arb_job(), 0..5)) {
        let array = serde_json::to_value(&jobs).expect("v");
        let listing = serde_json::json!({"entities": array, "pageSize": 25, "pageNumber": 1});
        let count = |h: &InfrastructureascodeJobHistory| match h {
            InfrastructureascodeJobHistory::InfrastructureascodeJobEntityListing(l) => l.entities.len(),
            InfrastructureascodeJobHistory::JobArray(a) => a.len(),
            InfrastructureascodeJobHistory::InfrastructureascodeJob(_) => 1,
        };
        let from_array: InfrastructureascodeJobHistory = serde_json::from_value(array).expect("array");
        let from_listing: InfrastructureascodeJobHistory = serde_json::from_value(listing).expect("listing");
        prop_assert_eq!(count(&from_array), jobs.len());
        prop_assert_eq!(count(&from_listing), jobs.len());
        if let Some(first) = jobs.first() {
            let single: InfrastructureascodeJobHistory = serde_json::from_value(serde_json::to_value(first).expect("v")).expect("single");
            prop_assert!(matches!(single, InfrastructureascodeJobHistory::InfrastructureascodeJob(_)));
        }
    }

    #[test]
    fn error_bodies_round_trip(
        message in proptest::option::of(".{0,60}"),
        code in proptest::option::of("[a-z.]{1,24}"),
        status in proptest::option::of(100i32..600),
        ctx in proptest::option::of("[a-f0-9-]{1,36}"),
    ) {
        let body = ErrorBody { message, code, status, context_id: ctx, ..ErrorBody::default() };
        let text = serde_json::to_string(&body).expect("encodes");
        let back: ErrorBody = serde_json::from_str(&text).expect("decodes");
        prop_assert_eq!(back.code, body.code);
        prop_assert_eq!(back.status, body.status);
        prop_assert_eq!(back.context_id, body.context_id);
    }

    #[test]
    fn status_text_is_never_lost(raw in ".{0,30}") {
        let s = JobStatus::from_wire(&raw);
        prop_assert_eq!(s.as_str(), raw.as_str());
        let json = serde_json::to_string(&s).expect("encodes");
        let back: JobStatus = serde_json::from_str(&json).expect("decodes");
        prop_assert_eq!(back, s);
    }
}
