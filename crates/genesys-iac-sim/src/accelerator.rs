//! The accelerator catalogue: what jobs can run, which parameters they take,
//! and how an apply ends.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::SimError;

/// A parameter an [`Accelerator`] declares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParameterSpec {
    /// The parameter name, as sent in `AcceleratorParameter.name`.
    pub name: String,
    /// Whether a job without this parameter fails (as a Terraform plan does
    /// when a variable without a default is not set).
    #[serde(default)]
    pub required: bool,
    /// A short human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When set, the value is read as a comma-separated list and each item
    /// plans one more resource of this Terraform type (for example
    /// `genesyscloud_routing_skill` for the `skills` of `queue-setup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each_creates: Option<String>,
}

impl ParameterSpec {
    /// A parameter named `name`; `required` as given.
    pub fn new(name: impl Into<String>, required: bool) -> Self {
        Self {
            name: name.into(),
            required,
            description: None,
            each_creates: None,
        }
    }
}

/// How an apply (a job with `dryRun: false`) of an accelerator ends.
///
/// The names are the wire values of the job status. Dry runs always end
/// `Complete` unless a required parameter is missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApplyOutcome {
    /// The apply succeeds.
    #[default]
    Complete,
    /// The apply fails; nothing is rolled back.
    Failed,
    /// The apply stops part-way.
    Incomplete,
    /// The service fails internally.
    InternalError,
    /// The apply fails and rolling it back fails too.
    RollbackFailed,
    /// The apply fails and its changes are rolled back.
    RollbackComplete,
}

impl ApplyOutcome {
    /// The job status this outcome ends in.
    pub fn status(self) -> genesys_iac_client::JobStatus {
        use genesys_iac_client::JobStatus;
        match self {
            ApplyOutcome::Complete => JobStatus::Complete,
            ApplyOutcome::Failed => JobStatus::Failed,
            ApplyOutcome::Incomplete => JobStatus::Incomplete,
            ApplyOutcome::InternalError => JobStatus::InternalError,
            ApplyOutcome::RollbackFailed => JobStatus::RollbackFailed,
            ApplyOutcome::RollbackComplete => JobStatus::RollbackComplete,
        }
    }
}

/// One entry of the catalogue: a Terraform-based accelerator the simulator
/// can "run".
///
/// In a catalogue file (JSON or YAML, see [`Accelerator::load_file`]) the
/// fields are camelCase:
///
/// ```yaml
/// accelerators:
///   - id: hello-world
///     name: Hello world
///     description: Creates one wrap-up code
///     parameters:
///       - name: name
///         required: true
///     resources: [genesyscloud_routing_wrapupcode.hello]
///     outcome: Complete          # or Failed, Incomplete, InternalError,
///                                #    RollbackFailed, RollbackComplete
///     errorMessage: optional text used when the outcome is not Complete
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Accelerator {
    /// The id clients send as `acceleratorId`.
    pub id: String,
    /// A display name.
    #[serde(default)]
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: String,
    /// The parameters it declares.
    #[serde(default)]
    pub parameters: Vec<ParameterSpec>,
    /// Terraform resource addresses (`type.name`) a run plans to create.
    /// Empty means one `null_resource` named after the id.
    #[serde(default)]
    pub resources: Vec<String>,
    /// How an apply ends.
    #[serde(default)]
    pub outcome: ApplyOutcome,
    /// The error text used when `outcome` is not `Complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// What a finished job holds: its terminal status and texts.
#[derive(Clone, Debug)]
pub(crate) struct JobResult {
    pub status: genesys_iac_client::JobStatus,
    pub results: Option<String>,
    pub error: Option<(String, String)>,
    pub rollback: Option<String>,
}

impl Accelerator {
    /// An accelerator `id` with no parameters whose apply succeeds.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            parameters: Vec::new(),
            resources: Vec::new(),
            outcome: ApplyOutcome::Complete,
            error_message: None,
        }
    }

    /// Adds a declared parameter.
    pub fn parameter(mut self, name: impl Into<String>, required: bool) -> Self {
        self.parameters.push(ParameterSpec::new(name, required));
        self
    }

    /// Adds a planned resource address (`type.name`).
    pub fn resource(mut self, address: impl Into<String>) -> Self {
        self.resources.push(address.into());
        self
    }

    /// Sets how an apply ends.
    pub fn outcome(mut self, outcome: ApplyOutcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// The built-in catalogue: `hello-world` (required `name`),
    /// `queue-setup` (required `queueName`, optional `skills` as a comma
    /// list) and `broken-apply` (plans fine; an apply fails and is rolled
    /// back, ending `RollbackComplete`).
    pub fn builtin() -> Vec<Accelerator> {
        let mut hello = Accelerator::new("hello-world", "Hello world")
            .parameter("name", true)
            .resource("genesyscloud_routing_wrapupcode.hello");
        hello.description = "Creates one wrap-up code named after the `name` parameter.".into();

        let mut queue = Accelerator::new("queue-setup", "Queue setup")
            .parameter("queueName", true)
            .resource("genesyscloud_routing_queue.queue");
        queue.description =
            "Creates a routing queue and, optionally, one skill per item of `skills`.".into();
        queue.parameters.push(ParameterSpec {
            name: "skills".into(),
            required: false,
            description: Some("Comma-separated skill names".into()),
            each_creates: Some("genesyscloud_routing_skill".into()),
        });

        let mut broken = Accelerator::new("broken-apply", "Broken apply")
            .resource("genesyscloud_routing_queue.broken")
            .outcome(ApplyOutcome::RollbackComplete);
        broken.description =
            "Plans fine; an apply fails and is rolled back (ends RollbackComplete).".into();
        broken.error_message = Some(
            "Error: creating genesyscloud_routing_queue.broken: API Error: 400 - \
             The queue name is reserved (simulated failure)"
                .into(),
        );
        vec![hello, queue, broken]
    }

    /// Parses a catalogue: a list of accelerators, or an object with an
    /// `accelerators` list. `json` chooses the JSON parser; otherwise YAML.
    pub fn parse_catalogue(text: &str, json: bool) -> Result<Vec<Accelerator>, String> {
        let value: serde_json::Value = if json {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            serde_norway::from_str(text).map_err(|e| e.to_string())?
        };
        let list = match value {
            serde_json::Value::Array(_) => value,
            serde_json::Value::Object(mut map) => match map.remove("accelerators") {
                Some(list) => list,
                None => {
                    return Err("expected a list, or an object with an `accelerators` list".into());
                }
            },
            _ => return Err("expected a list, or an object with an `accelerators` list".into()),
        };
        let accelerators: Vec<Accelerator> =
            serde_json::from_value(list).map_err(|e| e.to_string())?;
        validate_catalogue(&accelerators)?;
        Ok(accelerators)
    }

    /// Reads a catalogue file: JSON when the name ends in `.json`, YAML
    /// otherwise (see [`Accelerator::parse_catalogue`]).
    pub fn load_file(path: &Path) -> Result<Vec<Accelerator>, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Accelerators {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        Self::parse_catalogue(&text, json).map_err(|message| SimError::Accelerators {
            path: path.to_path_buf(),
            message,
        })
    }

    /// The planned resource addresses, and how many `each_creates` items
    /// were left out because the plan reached [`MAX_PLANNED_RESOURCES`].
    fn resource_addresses(&self, values: &BTreeMap<String, String>) -> (Vec<String>, usize) {
        let mut out = if self.resources.is_empty() {
            vec![format!("null_resource.{}", sanitize(&self.id))]
        } else {
            self.resources.clone()
        };
        let mut ignored = 0;
        for spec in &self.parameters {
            if let (Some(kind), Some(value)) = (&spec.each_creates, values.get(&spec.name)) {
                for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if out.len() < MAX_PLANNED_RESOURCES {
                        out.push(format!("{kind}.{}", sanitize(item)));
                    } else {
                        ignored += 1;
                    }
                }
            }
        }
        (out, ignored)
    }

    /// Computes how a job of this accelerator ends.
    pub(crate) fn run(&self, dry_run: bool, values: &BTreeMap<String, String>) -> JobResult {
        use genesys_iac_client::JobStatus;
        let missing: Vec<&str> = self
            .parameters
            .iter()
            .filter(|p| p.required && !values.contains_key(&p.name))
            .map(|p| p.name.as_str())
            .collect();
        if !missing.is_empty() {
            let mut text = String::new();
            for name in &missing {
                let _ = write!(
                    text,
                    "Error: No value for required variable\n\n  on variables.tf:\n   \
                     variable \"{name}\" {{\n\nThe root module input variable \"{name}\" is not \
                     set, and has no default value. Use a -var or -var-file command line \
                     argument to provide a value for this variable.\n\n"
                );
            }
            let names = missing
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ");
            return JobResult {
                status: JobStatus::Failed,
                results: Some(text.trim_end().to_string()),
                error: Some((
                    "missing.parameter".into(),
                    format!(
                        "Missing required parameter(s): {names}. The root module input \
                         variable is not set, and has no default value."
                    ),
                )),
                rollback: None,
            };
        }

        let (resources, ignored) = self.resource_addresses(values);
        let attrs: Vec<(&str, &str)> = self
            .parameters
            .iter()
            .filter_map(|p| values.get(&p.name).map(|v| (p.name.as_str(), v.as_str())))
            .collect();
        let mut plan = String::from(
            "Terraform used the selected providers to generate the following execution plan. \
             Resource actions are indicated with the following symbols:\n  + create\n\n\
             Terraform will perform the following actions:\n\n",
        );
        for (i, address) in resources.iter().enumerate() {
            let (kind, name) = address
                .split_once('.')
                .unwrap_or((address.as_str(), "this"));
            let _ = writeln!(plan, "  # {address} will be created");
            let _ = writeln!(plan, "  + resource \"{kind}\" \"{name}\" {{");
            let _ = writeln!(plan, "      + id = (known after apply)");
            if i == 0 {
                for (k, v) in &attrs {
                    let shown = shorten(v);
                    if shown.len() < v.len() {
                        let more = v.len() - shown.len();
                        let _ = writeln!(plan, "      + {k} = {shown:?} (+{more} more bytes)");
                    } else {
                        let _ = writeln!(plan, "      + {k} = {v:?}");
                    }
                }
            }
            plan.push_str("    }\n\n");
        }
        if ignored > 0 {
            let _ = writeln!(
                plan,
                "Warning: {ignored} more item(s) were not planned: a plan holds at most \
                 {MAX_PLANNED_RESOURCES} resources (simulator limit).\n"
            );
        }
        let n = resources.len();
        let _ = write!(plan, "Plan: {n} to add, 0 to change, 0 to destroy.");
        if dry_run {
            return JobResult {
                status: JobStatus::Complete,
                results: Some(plan),
                error: None,
                rollback: None,
            };
        }

        let mut apply = String::new();
        let created = |apply: &mut String, address: &str| {
            let _ = writeln!(apply, "{address}: Creating...");
            let _ = writeln!(
                apply,
                "{address}: Creation complete after 1s [id={}]",
                crate::state::random_uuid()
            );
        };
        let error_message = self.error_message.clone().unwrap_or_else(|| {
            format!("Error: applying accelerator {} failed (simulated)", self.id)
        });
        match self.outcome {
            ApplyOutcome::Complete => {
                for address in &resources {
                    created(&mut apply, address);
                }
                let _ = write!(
                    apply,
                    "\nApply complete! Resources: {n} added, 0 changed, 0 destroyed."
                );
                JobResult {
                    status: JobStatus::Complete,
                    results: Some(apply),
                    error: None,
                    rollback: None,
                }
            }
            ApplyOutcome::InternalError => JobResult {
                status: JobStatus::InternalError,
                results: None,
                error: Some((
                    "internal.error".into(),
                    "The job could not be executed because of an internal error (simulated)."
                        .into(),
                )),
                rollback: None,
            },
            outcome => {
                // The last resource fails; the ones before it were created.
                let (done, failing) = resources.split_at(n.saturating_sub(1));
                for address in done {
                    created(&mut apply, address);
                }
                for address in failing {
                    let _ = writeln!(apply, "{address}: Creating...");
                }
                let _ = write!(apply, "\n{error_message}");
                let rollback = match outcome {
                    ApplyOutcome::RollbackComplete => {
                        let mut text = String::new();
                        for address in done.iter().rev() {
                            let _ = writeln!(text, "{address}: Destroying...");
                            let _ = writeln!(text, "{address}: Destruction complete after 1s");
                        }
                        let _ = write!(
                            text,
                            "\nDestroy complete! Resources: {} destroyed.",
                            done.len()
                        );
                        Some(text)
                    }
                    ApplyOutcome::RollbackFailed => Some(
                        "Error: rolling back failed: the state lock could not be acquired \
                         (simulated)"
                            .to_string(),
                    ),
                    _ => None,
                };
                JobResult {
                    status: outcome.status(),
                    results: Some(apply),
                    error: Some(("apply.failed".into(), error_message)),
                    rollback,
                }
            }
        }
    }
}

/// The most resources one job plans: longer `each_creates` lists are cut
/// (with a warning in the plan), so a job's stored texts stay small whatever
/// the request (a 1 MiB `skills` list would otherwise plan ~500,000
/// resources and store over 100 MB of plan and apply output).
pub(crate) const MAX_PLANNED_RESOURCES: usize = 256;
/// The most bytes of a parameter value the plan shows.
const MAX_SHOWN_VALUE: usize = 1024;

/// `value` cut to at most [`MAX_SHOWN_VALUE`] bytes (on a char boundary).
fn shorten(value: &str) -> &str {
    if value.len() <= MAX_SHOWN_VALUE {
        return value;
    }
    let mut end = MAX_SHOWN_VALUE;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() { "this".into() } else { out }
}

pub(crate) fn validate_catalogue(list: &[Accelerator]) -> Result<(), String> {
    if list.is_empty() {
        return Err("the catalogue has no accelerators".into());
    }
    let mut ids = HashSet::new();
    for acc in list {
        if acc.id.trim().is_empty() {
            return Err("an accelerator has an empty id".into());
        }
        if !ids.insert(acc.id.as_str()) {
            return Err(format!("accelerator id {:?} appears twice", acc.id));
        }
        let mut names = HashSet::new();
        for p in &acc.parameters {
            if p.name.trim().is_empty() {
                return Err(format!(
                    "accelerator {:?} has a parameter with an empty name",
                    acc.id
                ));
            }
            if !names.insert(p.name.as_str()) {
                return Err(format!(
                    "accelerator {:?} declares parameter {:?} twice",
                    acc.id, p.name
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn builtin_plans_and_applies() {
        let cat = Accelerator::builtin();
        validate_catalogue(&cat).expect("valid");
        let hello = &cat[0];
        let plan = hello.run(true, &values(&[("name", "x")]));
        assert_eq!(plan.status.as_str(), "Complete");
        assert!(
            plan.results
                .as_deref()
                .unwrap_or("")
                .contains("Plan: 1 to add, 0 to change, 0 to destroy.")
        );
        let apply = hello.run(false, &values(&[("name", "x")]));
        assert!(
            apply
                .results
                .as_deref()
                .unwrap_or("")
                .contains("Apply complete!")
        );
        let missing = hello.run(false, &values(&[]));
        assert_eq!(missing.status.as_str(), "Failed");
        assert!(
            missing
                .error
                .as_ref()
                .is_some_and(|(_, m)| m.contains("\"name\""))
        );
    }

    #[test]
    fn skills_add_resources_and_broken_rolls_back() {
        let cat = Accelerator::builtin();
        let plan = cat[1].run(true, &values(&[("queueName", "q"), ("skills", "a, b")]));
        assert!(
            plan.results
                .as_deref()
                .unwrap_or("")
                .contains("Plan: 3 to add")
        );
        let broken = cat[2].run(false, &values(&[]));
        assert_eq!(broken.status.as_str(), "RollbackComplete");
        assert!(broken.rollback.is_some() && broken.error.is_some());
        assert_eq!(cat[2].run(true, &values(&[])).status.as_str(), "Complete");
    }

    #[test]
    fn huge_lists_and_values_give_bounded_results() {
        let cat = Accelerator::builtin();
        let skills = "s,".repeat(400_000);
        let queue = "é".repeat(300_000);
        for dry_run in [true, false] {
            let result = cat[1].run(
                dry_run,
                &values(&[("queueName", &queue), ("skills", &skills)]),
            );
            let text = result.results.as_deref().unwrap_or("");
            assert!(text.len() < 128 * 1024, "{} bytes", text.len());
            assert!(
                text.contains(&format!("{MAX_PLANNED_RESOURCES} to add"))
                    || text.contains(&format!("Resources: {MAX_PLANNED_RESOURCES} added")),
                "{}",
                &text[text.len().saturating_sub(300)..]
            );
        }
        let plan = cat[1].run(true, &values(&[("queueName", &queue), ("skills", &skills)]));
        let text = plan.results.as_deref().unwrap_or("");
        assert!(text.contains("more item(s) were not planned"));
        assert!(text.contains("more bytes)"));
    }

    #[test]
    fn parses_both_shapes_and_rejects_bad_ones() {
        let yaml = "accelerators:\n  - id: a\n    parameters: [{name: p, required: true}]\n    outcome: Failed\n";
        let cat = Accelerator::parse_catalogue(yaml, false).expect("yaml");
        assert_eq!(cat[0].outcome, ApplyOutcome::Failed);
        let json = r#"[{"id":"a"},{"id":"b","errorMessage":"boom"}]"#;
        assert_eq!(
            Accelerator::parse_catalogue(json, true)
                .expect("json")
                .len(),
            2
        );
        assert!(Accelerator::parse_catalogue(r#"[{"id":"a"},{"id":"a"}]"#, true).is_err());
        assert!(Accelerator::parse_catalogue(r#"[{"id":"a","bogus":1}]"#, true).is_err());
        assert!(Accelerator::parse_catalogue("[]", true).is_err());
        assert!(Accelerator::parse_catalogue("42", true).is_err());
    }
}
