//! Rendering jobs as text, tables or JSON.

use std::io::Write;

use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets};
use genesys_iac::Job;

use crate::error::CliError;

/// Widest table we print: fits an 80-column terminal.
const TABLE_WIDTH: u16 = 80;

/// A borderless table that wraps its cells to [`TABLE_WIDTH`] columns.
fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH);
    t
}

/// Renders a table flush left, two spaces between columns, no trailing
/// blanks. The columns in `fixed` (always the first: a job id or a label)
/// are never wrapped, so ids and times stay whole; the others share what is
/// left of the 80 columns.
fn render(mut t: Table, fixed: &[usize]) -> String {
    let count = t.column_count();
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_padding((0, if i + 1 == count { 0 } else { 2 }));
        if i == 0 || fixed.contains(&i) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// "plan" for dry runs, "apply" otherwise.
pub fn mode(job: &Job) -> &'static str {
    if job.dry_run() { "plan" } else { "apply" }
}

/// The submission time as `YYYY-MM-DD HH:MM:SS` (UTC), or `-`.
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
    render(t, &[])
}

/// A job's error as `message (code)`.
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

/// A history table: one row per job, fitting 80 columns. The time is
/// `MM-DD HH:MM` in UTC (`--output json` has the full timestamps). Only the
/// accelerator column wraps, when a long status leaves it too little room.
/// With `include_errors`, a second table lists the error of each failed job.
pub fn history_table(jobs: &[Job], include_errors: bool) -> String {
    if jobs.is_empty() {
        return "no jobs found\n".into();
    }
    let mut t = table();
    t.set_header(vec!["JOB", "STATUS", "MODE", "ACCELERATOR", "SUBMITTED"]);
    for job in jobs {
        t.add_row(vec![
            job.id().to_string(),
            job.status().as_str().to_string(),
            mode(job).to_string(),
            job.accelerator_id().unwrap_or("-").to_string(),
            job.submitted_at()
                .map(|t| t.format("%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut out = render(t, &[3, 4]);
    if include_errors {
        let failed: Vec<(&str, String)> = jobs
            .iter()
            .filter_map(|j| j.error_info().map(|e| (j.id(), error_text(e))))
            .collect();
        if !failed.is_empty() {
            let mut errors = table();
            errors.set_header(vec!["JOB", "ERROR"]);
            for (id, text) in failed {
                errors.add_row(vec![id.to_string(), text]);
            }
            out.push('\n');
            out.push_str(&render(errors, &[]));
        }
    }
    out
}
