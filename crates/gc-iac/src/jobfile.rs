//! Reading job files (YAML or JSON) and merging them with flags.

use std::path::Path;

use genesys_iac::JobSpec;
use indexmap::IndexMap;

use crate::error::CliError;

/// Largest job file we read; anything bigger is certainly not a job file.
const MAX_JOB_FILE_BYTES: u64 = 1024 * 1024;

/// Reads and decodes a job file; errors name the file, line, column and field.
pub fn read_job_file(path: &Path) -> Result<JobSpec, CliError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::usage(format!("{shown}: cannot read the job file: {e}")))?;
    if meta.len() > MAX_JOB_FILE_BYTES {
        return Err(CliError::usage(format!(
            "{shown}: the job file is {} bytes; the limit is {MAX_JOB_FILE_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("{shown}: cannot read the job file: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| CliError::usage(format!("{shown}: the job file is not UTF-8 text: {e}")))?;
    let is_json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse_job_text(&text, &shown, is_json)
}

/// `"field.path: "` for a message about a field, or `""` when the path is
/// unknown (`?` parts: a syntax error) or the whole document.
fn field_prefix(path: &serde_path_to_error::Path) -> String {
    let p = path.to_string();
    if p == "." || p.is_empty() || p.contains('?') {
        String::new()
    } else {
        format!("{p}: ")
    }
}

/// The decoder's message, without a location we show up front, without a
/// field path we already name, and in the job file's terms.
fn clean_message(msg: &str, field: &str) -> String {
    let msg = strip_location(msg);
    let msg = msg.strip_prefix(field).unwrap_or(&msg);
    msg.replace(
        "expected struct JobSpec",
        "expected a mapping with acceleratorId, dryRun and parameters",
    )
}

/// Decodes job-file text; `shown` names the file in errors.
pub fn parse_job_text(text: &str, shown: &str, is_json: bool) -> Result<JobSpec, CliError> {
    if text.trim().is_empty() {
        return Err(CliError::usage(format!(
            "{shown}: the job file is empty; it needs at least `acceleratorId: ...`"
        ))
        .hint("`gc-iac schema` prints the job file's JSON Schema"));
    }
    let spec: JobSpec = if is_json {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = field_prefix(e.path());
            let inner = e.into_inner();
            let syntax = if inner.is_syntax() || inner.is_eof() {
                "invalid JSON: "
            } else {
                ""
            };
            let msg = clean_message(&inner.to_string(), &field);
            CliError::usage(format!(
                "{shown}:{}:{}: {field}{syntax}{msg}",
                inner.line(),
                inner.column()
            ))
        })?
    } else {
        let de = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = field_prefix(e.path());
            let inner = e.into_inner();
            let location = inner
                .location()
                .map(|l| format!("{}:{}:", l.line(), l.column()))
                .unwrap_or_default();
            let msg = clean_message(&inner.to_string(), &field);
            CliError::usage(format!("{shown}:{location} {field}{msg}"))
        })?
    };
    spec.validate()
        .map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
    Ok(spec)
}

/// Drops a trailing " at line L column C" that we already show up front.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Builds the spec to submit: the job file (if any), then the flags on top.
pub fn merge(
    file: Option<JobSpec>,
    accelerator_id: Option<&str>,
    params: &[(String, String)],
    dry_run: bool,
) -> Result<JobSpec, CliError> {
    let (file_id, file_dry_run, mut parameters) = match &file {
        Some(spec) => (
            Some(spec.accelerator_id().to_string()),
            spec.dry_run(),
            spec.parameters().clone(),
        ),
        None => (None, false, IndexMap::new()),
    };
    let Some(id) = accelerator_id.map(str::to_string).or(file_id) else {
        return Err(CliError::usage(
            "no accelerator to run: give ACCELERATOR_ID or a job file (-f) with acceleratorId",
        ));
    };
    for (name, value) in params {
        parameters.insert(name.clone(), value.clone());
    }
    let mut builder = JobSpec::builder(id).dry_run(dry_run || file_dry_run);
    for (name, value) in parameters {
        builder = builder.parameter(name, value);
    }
    builder
        .build()
        .map_err(|e| CliError::usage(format!("invalid job: {e}")))
}
