//! What to run: the job specification (also the CLI's job-file format).

use std::fmt;

use genesys_iac_client::types::{AcceleratorInput, AcceleratorParameter};
use indexmap::IndexMap;
use serde::de::{self, MapAccess, Visitor};

use crate::Error;

/// A job to submit: accelerator, dry-run flag and parameters.
///
/// Serializes with the wire names `acceleratorId`, `dryRun` (default
/// `false`) and `parameters`, a name → value map that keeps its order.
/// Parameter values are strings on the wire; numbers and booleans in a job
/// file are accepted and turned into strings. A map with a duplicate
/// parameter name is rejected, not silently merged; unknown fields are
/// rejected too (typos in a job file should not pass silently).
///
/// ```
/// use genesys_iac::JobSpec;
///
/// let spec = JobSpec::builder("hello-world")
///     .parameter("name", "demo")
///     .dry_run(true)
///     .build()?;
/// assert_eq!(spec.accelerator_id, "hello-world");
///
/// let from_file: JobSpec = serde_json::from_str(
///     r#"{"acceleratorId": "queue-setup", "parameters": {"count": 3, "enabled": true}}"#,
/// ).unwrap();
/// assert_eq!(from_file.parameters["count"], "3");
/// assert!(!from_file.dry_run);
///
/// let dup = serde_json::from_str::<JobSpec>(
///     r#"{"acceleratorId": "x", "parameters": {"a": "1", "a": "2"}}"#,
/// );
/// assert!(dup.unwrap_err().to_string().contains("duplicate parameter"));
/// # Ok::<(), genesys_iac::Error>(())
/// ```
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    rename = "JobSpec",
    description = "A job to submit: the accelerator to run, whether it is a dry run (plan only), \
                   and its parameters by name, in order. Parameter values are strings (numbers and \
                   booleans are accepted and sent as strings); unknown fields and duplicate \
                   parameter names are rejected."
)]
#[non_exhaustive]
pub struct JobSpec {
    /// The accelerator to run, e.g. `hello-world`.
    #[serde(deserialize_with = "de_accelerator_id")]
    pub accelerator_id: String,
    /// Plan only, make no changes.
    #[serde(default)]
    pub dry_run: bool,
    /// The accelerator's inputs, by name, in order.
    #[serde(default, deserialize_with = "de_parameters")]
    #[schemars(schema_with = "parameters_schema")]
    pub parameters: IndexMap<String, String>,
}

impl JobSpec {
    /// A spec for `accelerator_id` with no parameters, not a dry run.
    pub fn new(accelerator_id: impl Into<String>) -> Self {
        Self {
            accelerator_id: accelerator_id.into(),
            dry_run: false,
            parameters: IndexMap::new(),
        }
    }

    /// Starts a builder.
    pub fn builder(accelerator_id: impl Into<String>) -> JobSpecBuilder {
        JobSpecBuilder {
            accelerator_id: accelerator_id.into(),
            dry_run: false,
            parameters: Vec::new(),
        }
    }

    /// The accelerator to run (same as the field).
    pub fn accelerator_id(&self) -> &str {
        &self.accelerator_id
    }

    /// Whether this is a dry run (same as the field).
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// The parameters, by name, in order (same as the field).
    pub fn parameters(&self) -> &IndexMap<String, String> {
        &self.parameters
    }

    /// Checks the spec: a non-empty accelerator id and non-empty parameter
    /// names. (Names are unique by construction of the map; the builder and
    /// the deserializer reject duplicates.)
    pub fn validate(&self) -> Result<(), Error> {
        if self.accelerator_id.trim().is_empty() {
            return Err(Error::InvalidInput(
                "the accelerator id is empty; name the accelerator to run (e.g. hello-world)"
                    .into(),
            ));
        }
        if self.accelerator_id.trim() != self.accelerator_id {
            return Err(Error::InvalidInput(format!(
                "the accelerator id {:?} has leading or trailing whitespace",
                self.accelerator_id
            )));
        }
        if let Some((name, _)) = self.parameters.iter().find(|(k, _)| k.trim().is_empty()) {
            return Err(Error::InvalidInput(format!(
                "a parameter name is empty ({name:?})"
            )));
        }
        Ok(())
    }

    /// The wire form of the request body.
    pub fn to_input(&self) -> AcceleratorInput {
        AcceleratorInput {
            accelerator_id: self.accelerator_id.clone(),
            dry_run: self.dry_run,
            parameters: self
                .parameters
                .iter()
                .map(|(k, v)| AcceleratorParameter {
                    name: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect(),
        }
    }
}

/// Builds a [`JobSpec`]; see [`JobSpec::builder`].
#[derive(Clone, Debug)]
pub struct JobSpecBuilder {
    accelerator_id: String,
    dry_run: bool,
    parameters: Vec<(String, String)>,
}

impl JobSpecBuilder {
    /// Adds a parameter. Adding the same name twice makes
    /// [`build`](Self::build) fail.
    pub fn parameter(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.parameters.push((name.into(), value.to_string()));
        self
    }

    /// Adds several parameters, in order.
    pub fn parameters<K: Into<String>, V: ToString>(
        mut self,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.parameters
            .extend(params.into_iter().map(|(k, v)| (k.into(), v.to_string())));
        self
    }

    /// Plan only (`true`) or apply (`false`, the default).
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Builds and validates the spec.
    pub fn build(self) -> Result<JobSpec, Error> {
        let mut parameters = IndexMap::with_capacity(self.parameters.len());
        for (k, v) in self.parameters {
            if parameters.contains_key(&k) {
                return Err(Error::InvalidInput(format!(
                    "duplicate parameter name {k:?}"
                )));
            }
            parameters.insert(k, v);
        }
        let spec = JobSpec {
            accelerator_id: self.accelerator_id,
            dry_run: self.dry_run,
            parameters,
        };
        spec.validate()?;
        Ok(spec)
    }
}

fn parameters_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "The accelerator's inputs, by name, in order. Values are sent as strings; numbers and booleans are converted. Names must be unique.",
        "type": "object",
        "additionalProperties": { "type": ["string", "number", "boolean"] }
    })
}

struct ParamValue(String);

impl<'de> serde::Deserialize<'de> for ParamValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ParamValue, E> {
                Ok(ParamValue(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The accelerator id: a string only. (A YAML deserializer would otherwise
/// turn `acceleratorId: null`, `~` or `123` into the strings "null", "~" and
/// "123", where JSON rejects them.)
fn de_accelerator_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the accelerator id as a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
    }
    d.deserialize_any(V)
}

fn de_parameters<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, String>, D::Error> {
    struct M;
    impl<'de> Visitor<'de> for M {
        type Value = IndexMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of parameter names to values")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(k) = map.next_key::<String>()? {
                let ParamValue(v) = map.next_value()?;
                if out.contains_key(&k) {
                    return Err(de::Error::custom(format!("duplicate parameter name {k:?}")));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(M)
}
