//! A small, bounded load generator to measure how many requests a second
//! the simulator sustains.
//!
//! ```text
//! cargo run --release -p genesys-iac-sim --example loadgen -- [REQUESTS] [CONCURRENCY] [URL]
//! ```
//!
//! Without a URL it starts a simulator in-process (sharing the machine's
//! cores with the load generator, so the figure is a lower bound). It logs
//! in as `sim-client`, creates one job, then sends REQUESTS (default 50,000)
//! `GET /api/v2/infrastructureascode/jobs/{id}` over CONCURRENCY (default 32)
//! keep-alive connections, and stops after at most 60 seconds. Loopback
//! only.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let total: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(50_000);
    let concurrency: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(32);
    let (base, _sim) = match args.next() {
        Some(url) => (url, None),
        None => {
            let sim = genesys_iac_sim::Simulator::builder().start().await?;
            (sim.base_url(), Some(sim))
        }
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .build()?;
    let token: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("sim-client", Some("sim-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .ok_or("no token")?
        .to_string();
    let job: serde_json::Value = http
        .post(format!("{base}/api/v2/infrastructureascode/jobs"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"acceleratorId": "hello-world", "parameters": [{"name": "name", "value": "load"}]}))
        .send()
        .await?
        .json()
        .await?;
    let url = format!(
        "{base}/api/v2/infrastructureascode/jobs/{}",
        job["id"].as_str().ok_or("no job id")?
    );

    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(60);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        let (next, ok, failed) = (next.clone(), ok.clone(), failed.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total && Instant::now() < deadline {
                match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    let ok = ok.load(Ordering::Relaxed);
    println!(
        "{ok} ok, {} failed in {elapsed:.2} s: {:.0} requests/s (concurrency {concurrency})",
        failed.load(Ordering::Relaxed),
        ok as f64 / elapsed
    );
    Ok(())
}
