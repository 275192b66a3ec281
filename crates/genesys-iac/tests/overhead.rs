//! Per-call overhead of the wrapper over the generated client, against the
//! simulator on loopback. Not a pass/fail test: run it explicitly with
//! `cargo test -p genesys-iac --release --test overhead -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use genesys_iac::JobSpec;
use genesys_iac_client::hooks::Hooks;

#[tokio::test]
#[ignore = "measurement, prints timings"]
async fn wrapper_overhead_per_call() {
    let sim = start(sim()).await;
    let (wrapper, token) = static_token_client(&sim);
    let job = wrapper
        .plan(
            &JobSpec::builder("hello-world")
                .parameter("name", "x")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let raw = genesys_iac_client::Client::new_with_client(&sim.base_url(), http, Hooks::none());

    const N: u32 = 2000;
    let mut best_raw = Duration::MAX;
    let mut best_wrapped = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..N {
            raw.get_infrastructureascode_job()
                .job_id(job.id())
                .send()
                .await
                .unwrap();
        }
        best_raw = best_raw.min(t.elapsed() / N);
        let t = Instant::now();
        for _ in 0..N {
            wrapper.job(job.id()).send().await.unwrap();
        }
        best_wrapped = best_wrapped.min(t.elapsed() / N);
    }
    println!(
        "per call: generated {best_raw:?}, wrapper {best_wrapped:?}, overhead {:?}",
        best_wrapped.saturating_sub(best_raw)
    );
}
