//! The seam through which every request of the generated [`Client`] passes.
//!
//! progenitor lets a hand-written `ClientHooks` implementation for the
//! generated `Client` take precedence over the generated default. This module
//! provides it: each request goes to a [`RequestPolicy`] when one is set (the
//! `genesys-iac` crate supplies one that adds the bearer token, retries, the
//! rate budget and tracing), or straight to `reqwest` when none is.
//!
//! [`Client`]: crate::Client

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

/// A boxed, sendable future, as returned by [`RequestPolicy::execute`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides how a request built by the generated client is executed.
///
/// Implementations may add headers, retry (using `Request::try_clone`), wait
/// for a rate budget, or record spans. `info.operation_id` names the
/// operation in snake case, e.g. `post_infrastructureascode_jobs`.
///
/// ```
/// use genesys_iac_client::hooks::{BoxFuture, Hooks, RequestPolicy};
/// use genesys_iac_client::{Client, OperationInfo};
/// use std::sync::Arc;
///
/// #[derive(Debug)]
/// struct StaticToken(String);
///
/// impl RequestPolicy for StaticToken {
///     fn execute<'a>(
///         &'a self,
///         client: &'a reqwest::Client,
///         mut request: reqwest::Request,
///         _info: &'a OperationInfo,
///     ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
///         let value = format!("Bearer {}", self.0).parse().expect("ASCII token");
///         request.headers_mut().insert(reqwest::header::AUTHORIZATION, value);
///         Box::pin(client.execute(request))
///     }
/// }
///
/// let client = Client::new(
///     "https://api.mypurecloud.ie",
///     Hooks::with_policy(Arc::new(StaticToken("token".into()))),
/// );
/// # let _ = client;
/// ```
pub trait RequestPolicy: Send + Sync + fmt::Debug + 'static {
    /// Executes `request` (built by the generated code) with `client`.
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// The value the generated [`Client`](crate::Client) carries: an optional
/// [`RequestPolicy`]. The default sends requests as they are.
#[derive(Clone, Default)]
pub struct Hooks {
    policy: Option<Arc<dyn RequestPolicy>>,
}

impl Hooks {
    /// No policy: requests go straight to `reqwest`.
    pub fn none() -> Self {
        Self::default()
    }

    /// Routes every request through `policy`.
    pub fn with_policy(policy: Arc<dyn RequestPolicy>) -> Self {
        Self {
            policy: Some(policy),
        }
    }

    /// The policy, if one is set.
    pub fn policy(&self) -> Option<&Arc<dyn RequestPolicy>> {
        self.policy.as_ref()
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("policy", &self.policy)
            .finish()
    }
}

impl ClientHooks<Hooks> for crate::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner().policy {
            Some(policy) => policy.execute(self.client(), request, info).await,
            None => self.client().execute(request).await,
        }
    }
}
