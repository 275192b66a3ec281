//! The open, forward-compatible job status type.
//!
//! The service adds status values over time (the seed contract had six, the
//! newest nine). The generator replaces the spec's closed
//! `InfrastructureascodeJobStatus` enum with [`JobStatus`], which decodes any
//! string: known values become their variant, anything else becomes
//! [`JobStatus::Unknown`] holding the raw value, so nothing is lost and a new
//! status never breaks decoding.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// The state of an infrastructure-as-code job.
///
/// Lifecycle: `Created` -> `Queued` -> `Running` -> one terminal state.
/// Terminal: [`Complete`](JobStatus::Complete) (the only success),
/// [`Failed`](JobStatus::Failed), [`Incomplete`](JobStatus::Incomplete),
/// [`InternalError`](JobStatus::InternalError),
/// [`RollbackFailed`](JobStatus::RollbackFailed),
/// [`RollbackComplete`](JobStatus::RollbackComplete).
///
/// ```
/// use genesys_iac_client::JobStatus;
///
/// let s: JobStatus = serde_json::from_str("\"RollbackComplete\"").unwrap();
/// assert!(s.is_terminal() && !s.is_success());
///
/// // A value this version does not know still decodes, and keeps its text.
/// let s: JobStatus = serde_json::from_str("\"SomethingNew\"").unwrap();
/// assert_eq!(s, JobStatus::Unknown("SomethingNew".into()));
/// assert_eq!(s.as_str(), "SomethingNew");
/// assert_eq!(serde_json::to_string(&s).unwrap(), "\"SomethingNew\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum JobStatus {
    /// The job was accepted.
    Created,
    /// The job waits for an executor.
    Queued,
    /// The job is running.
    Running,
    /// The job ended successfully.
    Complete,
    /// The job ended with an error.
    Failed,
    /// The job ended without completing all of its work.
    Incomplete,
    /// The job ended because of an error inside the service.
    InternalError,
    /// The job failed and rolling back its changes failed too.
    RollbackFailed,
    /// The job failed and its changes were rolled back.
    RollbackComplete,
    /// A value this version of the crate does not know, kept verbatim.
    Unknown(String),
}

impl JobStatus {
    /// Every status this version knows, in lifecycle order.
    pub const KNOWN: [JobStatus; 9] = [
        JobStatus::Created,
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Complete,
        JobStatus::Failed,
        JobStatus::Incomplete,
        JobStatus::InternalError,
        JobStatus::RollbackFailed,
        JobStatus::RollbackComplete,
    ];

    /// The wire value, e.g. `"Complete"`; the raw text for an unknown status.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Created => "Created",
            JobStatus::Queued => "Queued",
            JobStatus::Running => "Running",
            JobStatus::Complete => "Complete",
            JobStatus::Failed => "Failed",
            JobStatus::Incomplete => "Incomplete",
            JobStatus::InternalError => "InternalError",
            JobStatus::RollbackFailed => "RollbackFailed",
            JobStatus::RollbackComplete => "RollbackComplete",
            JobStatus::Unknown(raw) => raw,
        }
    }

    /// Parses a wire value; never fails (unknown values are kept).
    pub fn from_wire(value: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|k| k.as_str() == value)
            .cloned()
            .unwrap_or_else(|| JobStatus::Unknown(value.to_string()))
    }

    /// Whether the job has ended. `false` for an unknown status: this version
    /// cannot tell, so callers that wait must decide (see the `genesys-iac`
    /// crate's waiter).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobStatus::Complete
                | JobStatus::Failed
                | JobStatus::Incomplete
                | JobStatus::InternalError
                | JobStatus::RollbackFailed
                | JobStatus::RollbackComplete
        )
    }

    /// Whether the job ended successfully: only [`JobStatus::Complete`].
    pub fn is_success(&self) -> bool {
        matches!(self, JobStatus::Complete)
    }

    /// Whether this is a value this version of the crate does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, JobStatus::Unknown(_))
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_wire(s))
    }
}

impl From<&str> for JobStatus {
    fn from(s: &str) -> Self {
        Self::from_wire(s)
    }
}

impl serde::Serialize for JobStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for JobStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::from_wire(&raw))
    }
}

impl schemars::JsonSchema for JobStatus {
    fn schema_name() -> Cow<'static, str> {
        "InfrastructureascodeJobStatus".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let known: Vec<&str> = Self::KNOWN.iter().map(JobStatus::as_str).collect();
        schemars::json_schema!({
            "description": "The state of a job. Known values are listed; the set grows over time, so any other string is accepted and kept.",
            "anyOf": [
                { "type": "string", "enum": known },
                { "type": "string" }
            ]
        })
    }
}
