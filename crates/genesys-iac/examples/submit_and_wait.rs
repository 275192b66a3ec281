//! Submit a job and wait for it, printing each status change.
//!
//! ```text
//! cargo run -p genesys-iac --example submit_and_wait
//! ```
//!
//! Runs against a simulator started in-process, unless `GENESYSCLOUD_REGION`
//! is set: then it uses the `GENESYSCLOUD_*` variables (a region key, or a
//! URL such as `http://127.0.0.1:8787` for a simulator started with
//! `gc-iac-sim`) and submits a dry run of `hello-world`.

use std::time::Duration;

use futures_util::StreamExt;
use genesys_iac::{Client, ClientBuilder, JobSpec, WaitOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the simulator alive for the whole run when we start one.
    let (client, _sim) = if std::env::var_os("GENESYSCLOUD_REGION").is_some() {
        (
            ClientBuilder::from_env()?
                .app_name("submit-and-wait-example")
                .build()?,
            None,
        )
    } else {
        let sim = genesys_iac_sim::Simulator::builder()
            .step(Duration::from_millis(300))
            .start()
            .await?;
        println!("started a simulator at {}", sim.base_url());
        let client = Client::builder()
            .base_url(sim.base_url())
            .client_credentials(
                genesys_iac_sim::DEFAULT_CLIENT_ID,
                genesys_iac_sim::DEFAULT_CLIENT_SECRET,
            )
            .build()?;
        (client, Some(sim))
    };

    let spec = JobSpec::builder("hello-world")
        .parameter("name", "example")
        .dry_run(true)
        .build()?;
    let job = client.submit(&spec).await?;
    println!("submitted {job}");

    let opts = WaitOptions::default()
        .poll_interval(Duration::from_millis(200))
        .timeout(Duration::from_secs(120));
    let mut updates = Box::pin(client.watch(job.id(), opts));
    let mut last = None;
    while let Some(update) = updates.next().await {
        let job = update?;
        println!("  {}", job.status());
        last = Some(job);
    }
    let Some(done) = last else {
        return Err("the job stream ended without a result".into());
    };
    println!("finished: {done}");
    if let Some(results) = done.results() {
        println!("--- results ---\n{results}");
    }
    if !done.is_success() {
        if let Some(info) = done.error_info() {
            eprintln!("error: {:?} {:?}", info.code, info.message);
        }
        std::process::exit(1);
    }
    Ok(())
}
