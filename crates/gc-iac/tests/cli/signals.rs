//! Ctrl-C while waiting: exit 130, the job keeps running, and the message
//! says how to resume.

use genesys_iac_sim::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};

use crate::support::{Spawned, TestSim};

#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_exits_130_with_a_resume_hint() {
    // Jobs stay Created for ten minutes: the wait cannot end on its own.
    let sim = TestSim::with_step(std::time::Duration::from_secs(600));
    let url = sim.url();
    let child = Spawned::new(&[
        "--base-url",
        &url,
        "--client-id",
        DEFAULT_CLIENT_ID,
        "--client-secret",
        DEFAULT_CLIENT_SECRET,
        "run",
        "hello-world",
        "-p",
        "name=x",
        "--wait",
        "--poll-interval",
        "100ms",
    ]);
    // The first progress line means the wait (and its Ctrl-C handler) runs.
    let seen = child.stderr_until(|l| l.starts_with('['));
    let first = seen.last().expect("a line");
    let id = first
        .split("job ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .expect("job <id>: Created")
        .to_string();
    child.signal("INT");
    let (code, stdout, stderr) = child.finish();
    assert_eq!(code, Some(130), "stderr: {stderr:?}");
    assert!(stdout.is_empty(), "{stdout:?}");
    let all = stderr.join("\n");
    assert!(all.contains(&format!("gc-iac wait {id}")), "{all}");
    assert!(all.contains("keeps running"), "{all}");
    // The job was not cancelled.
    let jobs = sim.handle().jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id.as_deref(), Some(id.as_str()));
}
