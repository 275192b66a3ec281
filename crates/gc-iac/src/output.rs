//! Rendering jobs as text, tables or JSON.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use genesys_iac::Job;

use crate::error::CliError;

/// Widest table we print: fits an 80-column terminal.
const TABLE_WIDTH: u16 = 80;

fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH);
    t
}

/// "plan" for dry runs, "apply" otherwise.
pub fn mode(job: &Job) -> &'static str {
    if job.dry_run() { "plan" } else { "apply" }
}

fn submitted(job: &Job) -> String {
    job.submitted_at()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Prints one JSON document on stdout.
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::usage(format!("cannot encode the output as JSON: {e}")))?;
    write_stdout(&format!("{text}\n"))
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::usage(format!("cannot write to stdout: {e}"))),
    }
}

/// A key/value table describing one job.
pub fn job_table(job: &Job) -> String {
    let mut t = table();
    t.add_row(vec!["Job", job.id()]);
    t.add_row(vec!["Status", job.status().as_str()]);
    t.add_row(vec!["Accelerator", job.accelerator_id().unwrap_or("-")]);
    t.add_row(vec!["Mode", mode(job)]);
    t.add_row(vec![
        "Submitted".to_string(),
        format!("{} UTC", submitted(job)),
    ]);
    t.add_row(vec!["Submitted by", job.submitted_by().unwrap_or("-")]);
    if let Some(err) = job.error_info() {
        t.add_row(vec!["Error".to_string(), error_text(err)]);
    }
    format!("{t}\n")
}

fn error_text(err: &genesys_iac::ErrorInfo) -> String {
    match (err.code.as_deref(), err.message.as_deref()) {
        (Some(c), Some(m)) => format!("{m} ({c})"),
        (None, Some(m)) => m.to_string(),
        (Some(c), None) => c.to_string(),
        (None, None) => "(no details)".to_string(),
    }
}

/// The Terraform text and failure details of a job, for after the summary.
pub fn job_outputs(job: &Job) -> String {
    let mut out = String::new();
    if let Some(results) = job.results().filter(|r| !r.trim().is_empty()) {
        out.push_str("\n--- results ---\n");
        out.push_str(results.trim_end());
        out.push('\n');
    }
    if !job.status().is_success() {
        if let Some(err) = job.error_info() {
            out.push_str("\n--- error ---\n");
            out.push_str(&error_text(err));
            out.push('\n');
        }
        if let Some(rb) = job.rollback_results().filter(|r| !r.trim().is_empty()) {
            out.push_str("\n--- rollback results ---\n");
            out.push_str(rb.trim_end());
            out.push('\n');
        }
    }
    out
}

/// A history table: one row per job.
pub fn history_table(jobs: &[Job], include_errors: bool) -> String {
    if jobs.is_empty() {
        return "no jobs found\n".into();
    }
    let mut t = table();
    let mut header = vec!["JOB", "STATUS", "ACCELERATOR", "MODE", "SUBMITTED (UTC)"];
    if include_errors {
        header.push("ERROR");
    }
    t.set_header(header);
    for job in jobs {
        let mut row = vec![
            job.id().to_string(),
            job.status().as_str().to_string(),
            job.accelerator_id().unwrap_or("-").to_string(),
            mode(job).to_string(),
            job.submitted_at()
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "-".into()),
        ];
        if include_errors {
            row.push(job.error_info().map(error_text).unwrap_or_default());
        }
        t.add_row(row);
    }
    format!("{t}\n")
}
