//! Configuration types: OAuth clients, the fault profile, errors.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The id of the client the simulator accepts when none is configured.
pub const DEFAULT_CLIENT_ID: &str = "sim-client";
/// The secret of the client the simulator accepts when none is configured.
pub const DEFAULT_CLIENT_SECRET: &str = "sim-secret";
/// The permission the two GET operations require.
pub const PERMISSION_VIEW: &str = "infrastructureascode:job:view";
/// The permission `POST /api/v2/infrastructureascode/jobs` requires.
pub const PERMISSION_ADD: &str = "infrastructureascode:job:add";

/// An OAuth client the simulator accepts at `POST /oauth/token`.
///
/// The secret never appears in `Debug` output.
///
/// ```
/// use genesys_iac_sim::OAuthClient;
/// let viewer = OAuthClient::new("viewer", "pw").permissions(["infrastructureascode:job:view"]);
/// assert_eq!(viewer.granted(), ["infrastructureascode:job:view"]);
/// assert!(!format!("{viewer:?}").contains("pw"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    id: String,
    secret: String,
    permissions: Vec<String>,
    user_id: Option<String>,
}

impl OAuthClient {
    /// A client with both permissions (`infrastructureascode:job:view` and
    /// `infrastructureascode:job:add`).
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
            permissions: vec![PERMISSION_VIEW.to_string(), PERMISSION_ADD.to_string()],
            user_id: None,
        }
    }

    /// Replaces the permissions (an empty list gives a client that can log
    /// in but do nothing).
    pub fn permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the user id that jobs of this client show in `submittedBy.id`
    /// (default: a UUID derived from the client id, stable across runs).
    pub fn user(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client secret.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The permissions granted.
    pub fn granted(&self) -> &[String] {
        &self.permissions
    }

    /// Whether the client holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// The user id its jobs show in `submittedBy.id`.
    pub fn user_id(&self) -> String {
        match &self.user_id {
            Some(id) => id.clone(),
            None => derived_user_id(&self.id),
        }
    }

    /// Parses the `--client` syntax `ID:SECRET[:PERMISSION,...]`: the text
    /// is split at its first two colons; the rest is a comma-separated
    /// permission list (`viewer:pw:infrastructureascode:job:view`). Without
    /// a third part the client has both permissions; an empty third part
    /// (`id:secret:`) gives none.
    pub fn parse_spec(spec: &str) -> Result<Self, String> {
        let mut parts = spec.splitn(3, ':');
        let id = parts.next().unwrap_or_default();
        let secret = parts.next().ok_or_else(|| {
            format!(
                "expected ID:SECRET[:PERMISSION,...], got {:?}",
                redact(spec)
            )
        })?;
        if id.is_empty() {
            return Err("the client id is empty (expected ID:SECRET[:PERMISSION,...])".into());
        }
        if secret.is_empty() {
            return Err(format!("the secret of client {id:?} is empty"));
        }
        let client = OAuthClient::new(id, secret);
        Ok(match parts.next() {
            None => client,
            Some(list) => client.permissions(
                list.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            ),
        })
    }
}

fn redact(spec: &str) -> String {
    match spec.split_once(':') {
        Some((id, _)) => format!("{id}:***"),
        None => spec.to_string(),
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("permissions", &self.permissions)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// A UUID-shaped id derived from `client_id` with FNV-1a (stable across
/// runs and platforms).
fn derived_user_id(client_id: &str) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for byte in client_id.bytes() {
        a = (a ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        b = (b ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3 ^ 0x2000);
    }
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Which faults the simulator injects, and how often. `Default` injects
/// none.
///
/// Rates are probabilities in `[0, 1]`, drawn from the simulator's seeded
/// random generator (see [`SimulatorBuilder::seed`](crate::SimulatorBuilder::seed)).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultProfile {
    /// Share of GET and token requests answered 500 or 503 (half of those
    /// with an HTML body, as a gateway does).
    pub fail_rate: f64,
    /// Share of GET requests whose connection is closed without a reply.
    pub reset_rate: f64,
    /// Share of job POSTs answered 503 before anything is created.
    pub post_fail_rate: f64,
    /// Share of job POSTs where the job is created but the reply is lost
    /// (alternately a 503 and a closed connection).
    pub post_lost_reply_rate: f64,
    /// Latency added to every request.
    pub latency: Duration,
}

impl FaultProfile {
    /// Checks every rate is a number in `[0, 1]`.
    pub fn validate(&self) -> Result<(), SimError> {
        for (name, rate) in [
            ("fail_rate", self.fail_rate),
            ("reset_rate", self.reset_rate),
            ("post_fail_rate", self.post_fail_rate),
            ("post_lost_reply_rate", self.post_lost_reply_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(SimError::Config(format!(
                    "{name} must be between 0 and 1, got {rate}"
                )));
            }
        }
        Ok(())
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A setting is out of range or inconsistent.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The accelerator catalogue file could not be read or is invalid.
    #[error("accelerator catalogue {}: {message}", path.display())]
    Accelerators {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Another I/O error (for example writing to stdout).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_client_specs() {
        let c = OAuthClient::parse_spec("viewer:pw:infrastructureascode:job:view").expect("ok");
        assert_eq!((c.id(), c.secret()), ("viewer", "pw"));
        assert_eq!(c.granted(), [PERMISSION_VIEW]);
        let c = OAuthClient::parse_spec("a:b").expect("ok");
        assert_eq!(c.granted(), [PERMISSION_VIEW, PERMISSION_ADD]);
        let c = OAuthClient::parse_spec("a:b:").expect("ok");
        assert!(c.granted().is_empty());
        let c = OAuthClient::parse_spec("a:b:x:y, p:q").expect("ok");
        assert_eq!(c.granted(), ["x:y", "p:q"]);
        assert!(OAuthClient::parse_spec("nosecret").is_err());
        assert!(OAuthClient::parse_spec(":x").is_err());
        assert!(OAuthClient::parse_spec("x:").is_err());
    }

    #[test]
    fn user_ids_are_stable_and_distinct() {
        let a = OAuthClient::new("a", "s").user_id();
        assert_eq!(a, OAuthClient::new("a", "t").user_id());
        assert_ne!(a, OAuthClient::new("b", "s").user_id());
        assert_eq!(a.len(), 36);
        assert_eq!(OAuthClient::new("a", "s").user("u1").user_id(), "u1");
    }

    #[test]
    fn rates_are_checked() {
        assert!(FaultProfile::default().validate().is_ok());
        let bad = FaultProfile {
            fail_rate: 1.5,
            ..FaultProfile::default()
        };
        assert!(bad.validate().is_err());
        let nan = FaultProfile {
            reset_rate: f64::NAN,
            ..FaultProfile::default()
        };
        assert!(nan.validate().is_err());
    }
}
