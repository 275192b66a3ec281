//! Errors of the command line, their exit codes and how they are shown.

use std::process::ExitCode;

/// The exit codes of `gc-iac` (documented in `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success, or the job ended `Complete`.
    Success = 0,
    /// 1: the job ended in another terminal status.
    JobNotSuccessful = 1,
    /// 2: usage or configuration error.
    Usage = 2,
    /// 3: API, auth or network error, including an unknown submit outcome.
    Api = 3,
    /// 4: timed out waiting for the job.
    WaitTimeout = 4,
    /// 130: interrupted (Ctrl-C) while waiting.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// An error to print as `error: ...` (plus optional hints) before exiting.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// One line saying what went wrong.
    pub message: String,
    /// Lines saying what to do about it.
    pub hints: Vec<String>,
}

impl CliError {
    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Prints the error on stderr.
    pub fn report(&self) {
        eprintln!("error: {}", one_line(&self.message));
        for h in &self.hints {
            eprintln!("hint: {h}");
        }
    }
}

/// Folds any line breaks of a message into spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl From<genesys_iac::Error> for CliError {
    fn from(e: genesys_iac::Error) -> Self {
        use genesys_iac::Error as E;
        let message = e.to_string();
        let mut hints = Vec::new();
        let exit = match &e {
            E::InvalidInput(_) | E::Config(_) => Exit::Usage,
            E::WaitTimeout { job_id, .. } => {
                hints.push(format!(
                    "the job keeps running; check it with `gc-iac status {job_id}` or wait longer with `gc-iac wait {job_id} --timeout 1h`"
                ));
                Exit::WaitTimeout
            }
            E::UnknownOutcome { accelerator_id, .. } => {
                hints.push(format!(
                    "look for it first: `gc-iac history --accelerator {accelerator_id} --limit 5`"
                ));
                Exit::Api
            }
            E::Auth(auth) if auth.status == 403 => {
                let permission = auth
                    .required_permission
                    .as_deref()
                    .unwrap_or("infrastructureascode:job:view / infrastructureascode:job:add");
                hints.push(format!(
                    "the credentials are valid but not allowed: give the OAuth client's role the `{permission}` permission (Admin > Roles / Permissions)"
                ));
                Exit::Api
            }
            E::Auth(_) => {
                hints.push(
                    "check GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET (or --client-id / --client-secret, or the access token) and that the region matches the org of the OAuth client".to_string(),
                );
                Exit::Api
            }
            E::Transport(_) | E::Timeout(_) => {
                hints.push(
                    "check the network connection and the region (or --base-url)".to_string(),
                );
                Exit::Api
            }
            _ => Exit::Api,
        };
        if let Some(id) = e.correlation_id().filter(|id| !message.contains(id)) {
            hints.push(format!("correlation id {id} (quote it to Genesys support)"));
        }
        Self {
            exit,
            message,
            hints,
        }
    }
}
