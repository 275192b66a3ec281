//! Low-level async client for the Genesys Cloud infrastructure-as-code jobs
//! API.
//!
//! **The code in `generated.rs` is generated** by `cargo xtask generate` from
//! the OpenAPI fragment `openapi/infrastructureascode.yaml` with progenitor
//! (builder interface). Never edit it by hand: change the spec (or the
//! generator settings in `xtask/src/generate.rs`), regenerate, and review the
//! snapshot diff. CI fails when the file and the spec drift apart.
//!
//! Two small hand-written modules sit beside it:
//! - [`JobStatus`], which replaces the spec's closed status enum with an open
//!   one (unknown values decode as [`JobStatus::Unknown`]);
//! - [`hooks`], the seam through which every request passes (the
//!   `genesys-iac` crate uses it for auth, retries and tracing).
//!
//! Most users want the `genesys-iac` crate instead: credentials, regions,
//! safe retries, typed errors and job waiting on top of this one.
//!
//! ```no_run
//! use genesys_iac_client::{Client, hooks::Hooks, types};
//!
//! # async fn demo() -> Result<(), genesys_iac_client::Error<types::ErrorBody>> {
//! let client = Client::new("http://127.0.0.1:8787", Hooks::none());
//! let job = client
//!     .get_infrastructureascode_job()
//!     .job_id("0f9c4a4e-0000-4000-8000-000000000000")
//!     .details(true)
//!     .send()
//!     .await?;
//! println!("{:?}", job.status);
//! # Ok(()) }
//! ```

pub mod hooks;
mod status;

// Formatted by prettyplease at generation time; rustfmt must leave it as is
// so that `cargo xtask generate --check` stays meaningful.
#[rustfmt::skip]
#[allow(
    clippy::all,
    clippy::unwrap_used,
    missing_docs,
    missing_debug_implementations,
    rustdoc::all
)]
mod generated;

pub use generated::*;
pub use progenitor_client::OperationInfo;
pub use status::JobStatus;
