//! The typed view of a job.

use std::fmt;

use chrono::{DateTime, Utc};
use genesys_iac_client::types::{ErrorInfo, InfrastructureascodeJob};

use crate::JobStatus;

/// An infrastructure-as-code job, as the service reported it.
///
/// A typed view over the wire form ([`raw`](Self::raw)); serializes and
/// deserializes exactly as the wire form (API field names such as
/// `acceleratorId`, `dateSubmitted`).
///
/// ```
/// use genesys_iac::{Job, JobStatus};
///
/// let job: Job = serde_json::from_str(r#"{
///     "id": "j-1", "dryRun": true, "acceleratorId": "hello-world",
///     "status": "SomethingNew", "dateSubmitted": "2026-03-01T12:30:05Z",
///     "submittedBy": {"id": "u-1"}
/// }"#)?;
/// assert_eq!(job.id(), "j-1");
/// assert_eq!(job.status(), &JobStatus::Unknown("SomethingNew".into()));
/// assert_eq!(job.submitted_by(), Some("u-1"));
/// assert!(serde_json::to_string(&job)?.contains("\"acceleratorId\":\"hello-world\""));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Job {
    raw: InfrastructureascodeJob,
    status: JobStatus,
}

impl Job {
    /// Wraps a wire-form job.
    pub fn from_raw(raw: InfrastructureascodeJob) -> Self {
        let status = raw
            .status
            .clone()
            .unwrap_or_else(|| JobStatus::Unknown(String::new()));
        Self { raw, status }
    }

    /// The job id (empty if the service sent none).
    pub fn id(&self) -> &str {
        self.raw.id.as_deref().unwrap_or_default()
    }

    /// The status. A value this version does not know is
    /// [`JobStatus::Unknown`] with the raw text (empty if the field was
    /// missing).
    pub fn status(&self) -> &JobStatus {
        &self.status
    }

    /// Whether the job is a dry run (plan only).
    pub fn dry_run(&self) -> bool {
        self.raw.dry_run
    }

    /// The accelerator the job runs.
    pub fn accelerator_id(&self) -> Option<&str> {
        self.raw.accelerator_id.as_deref()
    }

    /// When the job was submitted.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.raw.date_submitted
    }

    /// The id of the user who submitted the job.
    pub fn submitted_by(&self) -> Option<&str> {
        self.raw.submitted_by.as_ref().and_then(|u| u.id.as_deref())
    }

    /// The output of the Terraform run (plan or apply text); present when
    /// details were asked for.
    pub fn results(&self) -> Option<&str> {
        self.raw.results.as_deref()
    }

    /// The output of rolling back after errors; absent on success.
    pub fn rollback_results(&self) -> Option<&str> {
        self.raw.rollback_results.as_deref()
    }

    /// Why the job failed; present on failure when details or errors were
    /// asked for.
    pub fn error_info(&self) -> Option<&ErrorInfo> {
        self.raw.error_info.as_ref()
    }

    /// The job's URI in the API.
    pub fn self_uri(&self) -> Option<&str> {
        self.raw.self_uri.as_deref()
    }

    /// Whether the job has ended (see [`JobStatus::is_terminal`]).
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// Whether the job ended successfully (only `Complete`).
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The wire form.
    pub fn raw(&self) -> &InfrastructureascodeJob {
        &self.raw
    }

    /// Consumes the job, returning the wire form.
    pub fn into_raw(self) -> InfrastructureascodeJob {
        self.raw
    }
}

impl From<InfrastructureascodeJob> for Job {
    fn from(raw: InfrastructureascodeJob) -> Self {
        Self::from_raw(raw)
    }
}

impl fmt::Display for Job {
    /// `job <id> (<accelerator>, dry run|apply): <status>`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "job {} ({}, {}): {}",
            self.id(),
            self.accelerator_id().unwrap_or("?"),
            if self.dry_run() { "dry run" } else { "apply" },
            self.status
        )
    }
}

impl serde::Serialize for Job {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Job {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        InfrastructureascodeJob::deserialize(deserializer).map(Self::from_raw)
    }
}
