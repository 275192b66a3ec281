//! Bytes → the generated wire types, as the client decodes responses:
//! a job, an error body, a history page. Also the wrapper's view of a job
//! (`Job::status`, `results`, ...). Decoding may fail; it must never panic.
#![no_main]

use genesys_iac_client::types::{ErrorBody, InfrastructureascodeJob, InfrastructureascodeJobHistory};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(job) = serde_json::from_slice::<InfrastructureascodeJob>(data) {
        // Re-encoding what was decoded must work and decode again.
        let text = serde_json::to_string(&job).expect("a decoded job re-encodes");
        let again: InfrastructureascodeJob =
            serde_json::from_str(&text).expect("a re-encoded job decodes");
        assert_eq!(format!("{:?}", again.status), format!("{:?}", job.status));
        if let Some(status) = &job.status {
            let _ = status.to_string();
        }
        // The wrapper's view: accessors must not panic on any decoded job.
        let view = genesys_iac::Job::from_raw(job);
        let _ = (view.id(), view.status().to_string(), view.is_terminal(), view.is_success());
        let _ = (view.accelerator_id(), view.submitted_at(), view.results(), view.error_info());
    }
    if let Ok(body) = serde_json::from_slice::<ErrorBody>(data) {
        let _ = serde_json::to_string(&body).expect("a decoded error body re-encodes");
    }
    if let Ok(history) = serde_json::from_slice::<InfrastructureascodeJobHistory>(data) {
        let _ = serde_json::to_string(&history).expect("a decoded history re-encodes");
    }
});
