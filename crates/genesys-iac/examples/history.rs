//! Read the job history: the last jobs, newest first, with errors.
//!
//! ```text
//! cargo run -p genesys-iac --example history
//! ```
//!
//! Runs against a simulator started in-process (seeded with a few jobs),
//! unless `GENESYSCLOUD_REGION` is set: then it uses the `GENESYSCLOUD_*`
//! variables and only reads.

use std::time::Duration;

use genesys_iac::{Client, ClientBuilder, JobSpec, SortBy, SortOrder, WaitOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sim) = if std::env::var_os("GENESYSCLOUD_REGION").is_some() {
        (
            ClientBuilder::from_env()?
                .app_name("history-example")
                .build()?,
            None,
        )
    } else {
        let sim = genesys_iac_sim::Simulator::builder()
            .step(Duration::from_millis(20))
            .start()
            .await?;
        let client = Client::builder()
            .base_url(sim.base_url())
            .client_credentials(
                genesys_iac_sim::DEFAULT_CLIENT_ID,
                genesys_iac_sim::DEFAULT_CLIENT_SECRET,
            )
            .build()?;
        // Seed some history: two plans, an apply, and an apply that fails.
        let hello = JobSpec::builder("hello-world")
            .parameter("name", "seed")
            .build()?;
        let wait = WaitOptions::default().poll_interval(Duration::from_millis(20));
        client.plan(&hello).await?;
        client.submit_and_wait(&hello, wait.clone()).await?;
        client
            .submit_and_wait(&JobSpec::new("broken-apply"), wait)
            .await?;
        client.plan(&hello).await?;
        (client, Some(sim))
    };

    let jobs = client
        .history()
        .limit(10)
        .sort_by(SortBy::DateSubmitted)
        .sort_order(SortOrder::Desc)
        .include_errors(true)
        .send()
        .await?;
    println!(
        "{:<38} {:<14} {:<8} {:<18} submitted",
        "id", "accelerator", "mode", "status"
    );
    for job in &jobs {
        println!(
            "{:<38} {:<14} {:<8} {:<18} {}",
            job.id(),
            job.accelerator_id().unwrap_or("?"),
            if job.dry_run() { "plan" } else { "apply" },
            job.status().to_string(),
            job.submitted_at()
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        );
        if let Some(info) = job.error_info() {
            println!(
                "    error: {}",
                info.message.as_deref().unwrap_or("(no message)")
            );
        }
    }
    println!("{} job(s)", jobs.len());
    Ok(())
}
