//! Showing a job's progress while waiting: a spinner on a terminal, plain
//! lines otherwise, nothing when quiet.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use genesys_iac::{Job, JobStatus};
use indicatif::{ProgressBar, ProgressStyle};

/// How progress is shown on stderr.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
    started: Instant,
    last: Option<JobStatus>,
}

/// Where progress goes.
#[derive(Debug)]
enum Mode {
    Spinner(ProgressBar),
    Plain,
    Off,
}

impl Progress {
    /// Chooses the mode: off when quiet, a spinner when stderr is a terminal
    /// and progress is not disabled, plain lines otherwise.
    pub fn new(job_id: &str, quiet: bool, no_progress: bool) -> Self {
        let mode = if quiet {
            Mode::Off
        } else if !no_progress && std::io::stderr().is_terminal() {
            let pb = ProgressBar::new_spinner();
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            pb.set_style(style);
            pb.set_message(format!("job {job_id}: submitted"));
            pb.enable_steady_tick(Duration::from_millis(100));
            Mode::Spinner(pb)
        } else {
            Mode::Plain
        };
        Self {
            mode,
            started: Instant::now(),
            last: None,
        }
    }

    /// Records an observation; prints a line when the status changed.
    pub fn observe(&mut self, job: &Job) {
        let status = job.status().clone();
        if self.last.as_ref() == Some(&status) {
            return;
        }
        let line = format!(
            "[{:>6.1}s] job {}: {}",
            self.started.elapsed().as_secs_f64(),
            job.id(),
            status
        );
        match &self.mode {
            Mode::Spinner(pb) => {
                pb.println(&line);
                pb.set_message(format!("job {}: {status}", job.id()));
            }
            Mode::Plain => eprintln!("{line}"),
            Mode::Off => {}
        }
        self.last = Some(status);
    }

    /// Time since waiting started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Mode::Spinner(pb) = &self.mode {
            pb.finish_and_clear();
        }
    }
}
