//! An ergonomic client for Genesys Cloud's infrastructure-as-code jobs API
//! (CX as Code accelerators run remotely).
//!
//! It wraps the generated low-level client (`genesys-iac-client`) and adds
//! what a generator cannot: credentials and token caching, regions, retries
//! that are safe for the submit `POST`, typed errors carrying the correlation
//! id, a forward-compatible [`JobStatus`], history normalised to a list, and
//! waiting for a job to end.
//!
//! # Guide
//!
//! Build a [`Client`] once and clone it freely (clones share the token cache
//! and the rate budget):
//!
//! ```no_run
//! use genesys_iac::{Client, Region, RetryPolicy};
//!
//! # fn demo() -> Result<(), genesys_iac::Error> {
//! let client = Client::builder()
//!     .region(Region::EuWest1)                   // or .base_url("http://127.0.0.1:8787")
//!     .client_credentials("client-id", "secret") // or .access_token(..)
//!     .retry_policy(RetryPolicy::default())
//!     .rate_budget(Some(300))                    // requests per minute, shared by clones
//!     .build()?;
//! // Or from GENESYSCLOUD_OAUTHCLIENT_ID / _SECRET / _REGION / _ACCESS_TOKEN:
//! let from_env = genesys_iac::ClientBuilder::from_env()?.build();
//! # let _ = (client, from_env); Ok(()) }
//! ```
//!
//! Submit a job, wait for it, read the history. This example runs against
//! the simulator (`genesys-iac-sim`), started in-process on loopback:
//!
//! ```
//! use genesys_iac::{Client, JobSpec, JobStatus, SortBy, SortOrder, WaitOptions};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sim = genesys_iac_sim::Simulator::builder()
//! #     .step(Duration::from_millis(20))
//! #     .addr("127.0.0.1:0".parse()?)
//! #     .start()
//! #     .await?;
//! let client = Client::builder()
//!     .base_url(sim.base_url())
//!     .client_credentials("sim-client", "sim-secret")
//!     .build()?;
//!
//! let spec = JobSpec::builder("hello-world").parameter("name", "demo").build()?;
//! let plan = client.plan(&spec).await?; // dry run
//! let done = client
//!     .wait(plan.id(), WaitOptions::default().poll_interval(Duration::from_millis(50)))
//!     .await?;
//! assert_eq!(done.status(), &JobStatus::Complete);
//! println!("{}", done.results().unwrap_or_default());
//!
//! let recent = client
//!     .history()
//!     .limit(10)
//!     .accelerator_id("hello-world")
//!     .sort_by(SortBy::DateSubmitted)
//!     .sort_order(SortOrder::Desc)
//!     .send()
//!     .await?;
//! assert!(recent.iter().any(|j| j.id() == done.id()));
//! # sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every call returns [`Error`]. Match on it, or use
//! [`Error::status`], [`Error::correlation_id`] and [`Error::is_retryable`]:
//!
//! ```no_run
//! # async fn demo(client: genesys_iac::Client, spec: genesys_iac::JobSpec) {
//! use genesys_iac::Error;
//!
//! match client.submit(&spec).await {
//!     Ok(job) => println!("submitted {}", job.id()),
//!     Err(Error::UnknownOutcome { accelerator_id, submitted_after, .. }) => {
//!         // The job may exist: look before submitting again.
//!         let recent = client.history().accelerator_id(&accelerator_id).limit(5).send().await;
//!         # let _ = (recent, submitted_after);
//!     }
//!     Err(Error::Auth(e)) => eprintln!("{e}"), // names the missing permission
//!     Err(e) => eprintln!("{e} (correlation id {:?})", e.correlation_id()),
//! }
//! # }
//! ```
//!
//! # Retries and safety
//!
//! See [`RetryPolicy`]. GETs and token requests are retried on `429`, `5xx`
//! gateway/server errors, timeouts and connection errors; the submit `POST`
//! only when the job provably was not created. Nothing is ever submitted
//! twice by the client: an ambiguous failure is [`Error::UnknownOutcome`].
//!
//! # Observability
//!
//! Every call records `tracing` spans: `genesys_iac.submit` /
//! `genesys_iac.job` / `genesys_iac.history` per call, and
//! `genesys_iac.attempt` per HTTP attempt with the operation, attempt number,
//! status, correlation id and duration (`genesys_iac.token` for token
//! requests). Retries are logged at `WARN`. Secrets (client secret, access
//! tokens) never appear in any `Debug`, `Display`, log or error.
//!
//! # Unknown job statuses
//!
//! The service adds statuses over time. [`JobStatus`] decodes any value;
//! unknown ones become [`JobStatus::Unknown`] with the raw text. Waiting
//! treats them as not terminal (see [`WaitOptions`]).

#![deny(missing_docs)]

mod client;
mod error;
mod job;
mod policy;
mod rate;
mod region;
mod retry;
mod secret;
mod spec;
mod token;
mod wait;

pub use client::{
    Client, ClientBuilder, ENV_ACCESS_TOKEN, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION,
    HistoryRequest, JobRequest, SortBy, SortOrder,
};
pub use error::{ApiError, AuthError, Error, TransportError};
pub use genesys_iac_client::JobStatus;
pub use genesys_iac_client::types::{ErrorBody, ErrorInfo};
pub use job::Job;
pub use region::Region;
pub use retry::RetryPolicy;
pub use spec::{JobSpec, JobSpecBuilder};
pub use wait::WaitOptions;

/// The wire types of the generated client (`InfrastructureascodeJob`,
/// `ErrorBody`, ...), for [`Job::raw`] and [`ApiError::body`].
pub use genesys_iac_client::types;
