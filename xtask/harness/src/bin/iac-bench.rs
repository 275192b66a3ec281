//! Side-by-side benchmarks, run by `cargo xtask bench [--quick]` (which builds
//! this in release mode and installs the official SDKs first).
//!
//! Every case runs 5 times, interleaved with the cases it is compared with,
//! and the median is reported, so the ratios hold on a noisy machine.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_iac::{Client, JobSpec, WaitOptions};
use genesys_iac_client::OperationInfo;
use genesys_iac_client::hooks::{BoxFuture, Hooks, RequestPolicy};
use genesys_iac_client::types::InfrastructureascodeJob;
use serde_json::json;

const RUNS: usize = 5;
const CONCURRENCY: usize = 64;
const CLIENT_ID: &str = genesys_iac_sim::DEFAULT_CLIENT_ID;
const CLIENT_SECRET: &str = genesys_iac_sim::DEFAULT_CLIENT_SECRET;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("runtime: {e}")));
    let result = match args.first().map(String::as_str) {
        Some("waiters") => rt.block_on(waiters_child(&args[1..])),
        Some("tcp-echo") => tcp_echo(),
        Some("peer") => rt.block_on(peer_child(&args[1..])),
        Some("run") => rt.block_on(run(&args[1..])),
        _ => Err("usage: iac-bench run [--quick] --sim-bin P --bare-bin P --out DIR [--python P] [--node-dir D] [--peers D] | iac-bench peer BASE_URL CLIENT_ID CLIENT_SECRET JOB_ID N SETTLE_MS | iac-bench waiters ... | iac-bench tcp-echo".into()),
    };
    if let Err(e) = result {
        fail(&e.to_string());
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A server process started with `--addr 127.0.0.1:0`, killed on drop.
struct ServerProcess {
    child: Child,
    base_url: String,
}

impl ServerProcess {
    fn spawn(bin: &Path, args: &[&str]) -> Result<Self, BoxError> {
        use std::io::BufRead;
        let mut child = Command::new(bin)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        let mut reader = std::io::BufReader::new(stdout);
        reader.read_line(&mut line)?;
        // Drain the rest so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("{} printed {line:?}", bin.display()))?
            .to_string();
        Ok(Self { child, base_url })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latencies of one timed loop.
struct Sample {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn sample(n: usize, elapsed: Duration, mut lat: Vec<Duration>) -> Sample {
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    Sample {
        rps: n as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

/// The median sample by requests per second.
fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    let mid = samples.len() / 2;
    samples.swap_remove(mid)
}

/// One get-job call, as each contender makes it.
#[derive(Clone)]
enum Contender {
    Raw {
        http: reqwest::Client,
        url: String,
        auth: String,
    },
    Generated {
        client: genesys_iac_client::Client,
        id: String,
    },
    Wrapper {
        client: Client,
        id: String,
    },
}

impl Contender {
    async fn call(&self) -> Result<(), BoxError> {
        match self {
            Contender::Raw { http, url, auth } => {
                let resp = http
                    .get(url)
                    .header(reqwest::header::AUTHORIZATION, auth)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send()
                    .await?;
                if !resp.status().is_success() {
                    return Err(format!("raw: HTTP {}", resp.status()).into());
                }
                let bytes = resp.bytes().await?;
                let job: InfrastructureascodeJob = serde_json::from_slice(&bytes)?;
                std::hint::black_box(job);
            }
            Contender::Generated { client, id } => {
                let job = client
                    .get_infrastructureascode_job()
                    .job_id(id)
                    .send()
                    .await?;
                std::hint::black_box(job);
            }
            Contender::Wrapper { client, id } => {
                let job = client.job(id).send().await?;
                std::hint::black_box(job);
            }
        }
        Ok(())
    }
}

/// `n` get-job calls one after another, in a task on the runtime (as a
/// service's handler would call: the caller and hyper's connection task then
/// share a worker, as each official SDK's loop shares its thread with its
/// HTTP stack; from the thread that called `Runtime::block_on`, every call
/// would also cross to a worker thread and back).
async fn sequential(c: &Contender, n: usize) -> Result<Sample, BoxError> {
    let c = c.clone();
    tokio::spawn(async move { sequential_here(&c, n).await.map_err(|e| e.to_string()) })
        .await?
        .map_err(Into::into)
}

/// Pins every thread of process `pid` to `cpus` (a `taskset` CPU list).
/// `false` when that is not possible here (no `taskset`, not permitted).
fn pin(pid: u32, cpus: &str) -> bool {
    Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Sequential measurements run with the client, the simulator and the peers
/// all pinned to one CPU. Unpinned, a loopback round trip on this 2-core
/// virtual machine takes about 12 µs when the scheduler happens to run both
/// ends on one CPU and about 40 µs when it wakes the other (idle) CPU, and it
/// switches between the two from run to run: the figure would measure the
/// scheduler, not the client. On one CPU, each call costs what the client,
/// the server and the kernel do for it, the same for every contender.
struct Pinning {
    cpu: String,
    client_cpus: String,
    all: String,
    pids: Vec<u32>,
}

impl Pinning {
    fn new(pids: Vec<u32>) -> Self {
        let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            cpu: (nproc - 1).to_string(),
            client_cpus: match nproc {
                0..=2 => "0".to_string(),
                n => format!("0-{}", n - 2),
            },
            all: format!("0-{}", nproc - 1),
            pids,
        }
    }

    /// Pins the processes; `false` (and nothing pinned) when it cannot.
    fn pin(&self) -> bool {
        let pinned = self.pids.iter().all(|&p| pin(p, &self.cpu));
        if !pinned {
            self.unpin();
        }
        pinned
    }

    /// Pins this process (the first pid) to every CPU but the last and the
    /// other processes (the simulator) to the last, so that the client's
    /// CPU time is not shared with the server's, as in production where the
    /// service runs elsewhere. `false` (and nothing pinned) with one CPU or
    /// when pinning is not possible.
    fn apart(&self) -> bool {
        let Some((me, others)) = self.pids.split_first() else {
            return false;
        };
        let apart = self.pids.len() > 1
            && self.cpu != "0"
            && pin(*me, &self.client_cpus)
            && others.iter().all(|&p| pin(p, &self.cpu));
        if !apart {
            self.unpin();
        }
        apart
    }

    fn unpin(&self) {
        for &p in &self.pids {
            pin(p, &self.all);
        }
    }
}

async fn sequential_here(c: &Contender, n: usize) -> Result<Sample, BoxError> {
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        c.call().await?;
        lat.push(t.elapsed());
    }
    Ok(sample(n, start.elapsed(), lat))
}

/// `n` calls, `CONCURRENCY` in flight, each in a task of its own (as many
/// independent callers would be), spread over the runtime's workers.
async fn concurrent(c: &Contender, n: usize) -> Result<Sample, BoxError> {
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let permit = permits.clone().acquire_owned().await?;
        let c = c.clone();
        tasks.spawn(async move {
            let t = Instant::now();
            let r = c.call().await.map(|()| t.elapsed());
            drop(permit);
            r
        });
    }
    let mut lat = Vec::with_capacity(n);
    while let Some(joined) = tasks.join_next().await {
        lat.push(joined??);
    }
    let elapsed = start.elapsed();
    Ok(sample(n, elapsed, lat))
}

/// A fixed bearer token, the least a policy can do.
#[derive(Debug)]
struct Bearer(String);

impl RequestPolicy for Bearer {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        if let Ok(v) = reqwest::header::HeaderValue::from_str(&self.0) {
            request
                .headers_mut()
                .insert(reqwest::header::AUTHORIZATION, v);
        }
        Box::pin(client.execute(request))
    }
}

async fn fetch_token(http: &reqwest::Client, base: &str) -> Result<String, BoxError> {
    let resp: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body("grant_type=client_credentials")
        .send()
        .await?
        .json()
        .await?;
    resp["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no access_token".into())
}

fn print_row(name: &str, s: &Sample) {
    println!(
        "  {name:<28} {:>10.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms",
        s.rps, s.p50_ms, s.p99_ms
    );
}

/// One client in section 2: its runs, each a fresh process.
struct Peer {
    name: &'static str,
    version: String,
    /// Requests per second over the first N calls after login, per run.
    cold: Vec<f64>,
    /// Requests per second over the next N calls, per run.
    warm: Vec<f64>,
}

impl Peer {
    fn cold_rps(&self) -> Option<f64> {
        median_of(&self.cold)
    }

    fn warm_rps(&self) -> Option<f64> {
        median_of(&self.warm)
    }
}

/// The median of some rates; `None` when there are none.
fn median_of(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Runs one client's script once (a fresh process) and adds its figures to
/// `peer`; a warning and nothing added when it fails.
fn run_peer(cmd: &mut Command, peer: &mut Peer) {
    let name = peer.name;
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("warning: the {name} bench did not start: {e}");
            return;
        }
    };
    if !out.status.success() {
        eprintln!(
            "warning: the {name} bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let parsed = text
        .lines()
        .last()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok());
    let figures = parsed.as_ref().and_then(|v| {
        Some((
            v["cold_rps"].as_f64()?,
            v["warm_rps"].as_f64()?,
            v["version"].as_str().unwrap_or("unknown").to_string(),
        ))
    });
    match figures {
        Some((cold, warm, version)) => {
            peer.cold.push(cold);
            peer.warm.push(warm);
            peer.version = version;
        }
        None => eprintln!("warning: the {name} bench printed no figures: {text}"),
    }
}

/// The three contenders' rates and p99s in one placement, for results.json.
fn contender_rows(s: &[Sample]) -> serde_json::Value {
    json!({
        "raw_reqwest_rps": s[0].rps,
        "generated_rps": s[1].rps,
        "wrapper_rps": s[2].rps,
        "raw_reqwest_p99_ms": s[0].p99_ms,
        "generated_p99_ms": s[1].p99_ms,
        "wrapper_p99_ms": s[2].p99_ms,
    })
}

fn ratio(a: f64, b: f64) -> serde_json::Value {
    if b > 0.0 {
        json!((a / b * 100.0).round() / 100.0)
    } else {
        serde_json::Value::Null
    }
}

async fn run(args: &[String]) -> Result<(), BoxError> {
    let quick = args.iter().any(|a| a == "--quick");
    let sim_bin = PathBuf::from(arg(args, "--sim-bin").ok_or("--sim-bin needed")?);
    let bare_bin = PathBuf::from(arg(args, "--bare-bin").ok_or("--bare-bin needed")?);
    let out_dir = PathBuf::from(arg(args, "--out").ok_or("--out needed")?);
    let python = arg(args, "--python");
    let node_dir = arg(args, "--node-dir");
    let peers_dir = arg(args, "--peers").map(PathBuf::from);
    let self_exe = std::env::current_exe()?;
    // `--only client` runs case 1 alone (for profiling; writes no files).
    let only_client = arg(args, "--only").as_deref() == Some("client");
    std::fs::create_dir_all(&out_dir)?;

    let n_seq = if quick { 300 } else { 3000 };
    let n_conc = if quick { 1000 } else { 60000 };
    let n_peer = if quick { 200 } else { 1000 };
    let n_load = if quick { 2000 } else { 40000 };
    let n_waiters = if quick { 500 } else { 10_000 };
    println!(
        "gc-iac benchmarks ({}; {RUNS} runs per case, median)",
        if quick { "quick" } else { "full" }
    );

    // The simulator as its own process, no faults, no rate limit.
    let sim = ServerProcess::spawn(&sim_bin, &["--addr", "127.0.0.1:0", "--step-ms", "20"])?;
    let base = sim.base_url.clone();
    let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let token = fetch_token(&http, &base).await?;

    // A finished job to read.
    let wrapper = Client::builder()
        .base_url(base.as_str())
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .build()?;
    let spec = JobSpec::builder("hello-world")
        .parameter("name", "bench")
        .build()?;
    let job = wrapper
        .submit_and_wait(&spec, WaitOptions::default())
        .await?;
    let job_id = job.id().to_string();

    let raw = Contender::Raw {
        http: http.clone(),
        url: format!("{base}/api/v2/infrastructureascode/jobs/{job_id}"),
        auth: format!("Bearer {token}"),
    };
    let generated = Contender::Generated {
        client: genesys_iac_client::Client::new_with_client(
            &base,
            http.clone(),
            Hooks::with_policy(Arc::new(Bearer(format!("Bearer {token}")))),
        ),
        id: job_id.clone(),
    };
    let wrapped = Contender::Wrapper {
        client: wrapper.clone(),
        id: job_id.clone(),
    };
    let contenders = [
        ("raw reqwest", &raw),
        ("generated client", &generated),
        ("genesys-iac wrapper", &wrapped),
    ];
    for (_, c) in &contenders {
        for _ in 0..50 {
            c.call().await?;
        }
    }

    // `--only raw|generated|wrapper [--n N] [--concurrent]`: one contender in
    // one long loop, for a profiler (callgrind counts the difference between
    // two values of N).
    if let Some(which) =
        arg(args, "--only").filter(|w| ["raw", "generated", "wrapper"].contains(&w.as_str()))
    {
        let c = match which.as_str() {
            "raw" => &raw,
            "generated" => &generated,
            _ => &wrapped,
        };
        let n = arg(args, "--n")
            .and_then(|n| n.parse().ok())
            .unwrap_or(50_000);
        let (cpu0, sim0) = (cpu_seconds(None), cpu_seconds(Some(sim.child.id())));
        let s = if args.iter().any(|a| a == "--concurrent") {
            concurrent(c, n).await?
        } else {
            sequential(c, n).await?
        };
        let (cpu1, sim1) = (cpu_seconds(None), cpu_seconds(Some(sim.child.id())));
        print_row(&which, &s);
        let per_call = |a: Option<f64>, b: Option<f64>| {
            a.zip(b).map_or(f64::NAN, |(a, b)| (b - a) * 1e6 / n as f64)
        };
        println!(
            "  CPU time per call: this process {:.2} µs, simulator {:.2} µs",
            per_call(cpu0, cpu1),
            per_call(sim0, sim1)
        );
        return Ok(());
    }

    // 1. Client overhead vs the floor.
    // Sequential on one CPU, sequential with free placement, concurrent:
    // each round runs every contender once in each mode.
    let pinning = Pinning::new(vec![std::process::id(), sim.child.id()]);
    let mut pinned_all = true;
    let mut seq: Vec<Vec<Sample>> = (0..3).map(|_| Vec::new()).collect();
    let mut seq_free: Vec<Vec<Sample>> = (0..3).map(|_| Vec::new()).collect();
    let mut conc: Vec<Vec<Sample>> = (0..3).map(|_| Vec::new()).collect();
    let mut conc_apart: Vec<Vec<Sample>> = (0..3).map(|_| Vec::new()).collect();
    let mut apart_all = true;
    for round in 0..RUNS {
        // Each round starts with another contender, so that none always runs
        // first after the pinning changes (threads migrate for a while).
        let order: Vec<usize> = (0..3).map(|k| (round + k) % 3).collect();
        pinned_all &= pinning.pin();
        for &i in &order {
            seq[i].push(sequential(contenders[i].1, n_seq).await?);
        }
        pinning.unpin();
        for &i in &order {
            seq_free[i].push(sequential(contenders[i].1, n_seq).await?);
            conc[i].push(concurrent(contenders[i].1, n_conc).await?);
        }
        apart_all &= pinning.apart();
        for &i in &order {
            conc_apart[i].push(concurrent(contenders[i].1, n_conc).await?);
        }
        pinning.unpin();
    }
    let seq: Vec<Sample> = seq.into_iter().map(median).collect();
    let seq_free: Vec<Sample> = seq_free.into_iter().map(median).collect();
    let conc: Vec<Sample> = conc.into_iter().map(median).collect();
    let conc_apart: Vec<Sample> = conc_apart.into_iter().map(median).collect();
    let apart = if apart_all {
        format!(
            "client on CPU {}, server on CPU {}",
            pinning.client_cpus, pinning.cpu
        )
    } else {
        "NOT apart: one CPU, or taskset failed".to_string()
    };
    let one_cpu = if pinned_all {
        format!("client and server on CPU {}", pinning.cpu)
    } else {
        "NOT pinned: taskset failed".to_string()
    };
    println!("\n1. get-job, sequential, {one_cpu} (N={n_seq})");
    for (i, (name, _)) in contenders.iter().enumerate() {
        print_row(name, &seq[i]);
    }
    println!("   get-job, sequential, free placement (N={n_seq})");
    for (i, (name, _)) in contenders.iter().enumerate() {
        print_row(name, &seq_free[i]);
    }
    println!("   get-job, {CONCURRENCY} in flight, {apart} (N={n_conc})");
    for (i, (name, _)) in contenders.iter().enumerate() {
        print_row(name, &conc_apart[i]);
    }
    println!("   get-job, {CONCURRENCY} in flight, free placement (N={n_conc})");
    for (i, (name, _)) in contenders.iter().enumerate() {
        print_row(name, &conc[i]);
    }
    if only_client {
        return Ok(());
    }

    // 2. The official SDKs and ours, same server, same call, same N, all
    // on the one CPU (their processes inherit this process's pinning). Each
    // run of each client is a fresh process that logs in, pauses, times the
    // first N calls (warm-up included) and the next N; the clients take
    // turns, starting with another one each round.
    let pinned_peers = pinning.pin();
    let script_args = [
        base.clone(),
        CLIENT_ID.to_string(),
        CLIENT_SECRET.to_string(),
        job_id.clone(),
        n_peer.to_string(),
        PEER_SETTLE.as_millis().to_string(),
    ];
    let mut clients: Vec<(Peer, Command)> = Vec::new();
    let new_peer = |name| Peer {
        name,
        version: String::new(),
        cold: Vec::new(),
        warm: Vec::new(),
    };
    let mut ours_cmd = Command::new(&self_exe);
    ours_cmd.arg("peer").args(&script_args);
    clients.push((new_peer("genesys-iac"), ours_cmd));
    if let (Some(py), Some(dir)) = (&python, &peers_dir) {
        let mut cmd = Command::new(py);
        cmd.arg(dir.join("python_sdk_bench.py")).args(&script_args);
        clients.push((new_peer("python"), cmd));
    }
    if let (Some(nd), Some(dir)) = (&node_dir, &peers_dir) {
        let mut cmd = Command::new("node");
        cmd.arg(dir.join("js_sdk_bench.js"))
            .args(&script_args)
            .env("NODE_PATH", Path::new(nd).join("node_modules"));
        clients.push((new_peer("javascript"), cmd));
    }
    let count = clients.len();
    for round in 0..RUNS {
        for k in 0..count {
            let (peer, cmd) = &mut clients[(round + k) % count];
            run_peer(cmd, peer);
        }
    }
    let peers: Vec<Peer> = clients.into_iter().map(|(p, _)| p).collect();
    let ours = peers
        .iter()
        .find(|p| p.name == "genesys-iac")
        .and_then(|p| Some((p.cold_rps()?, p.warm_rps()?)))
        .ok_or("the genesys-iac peer runs failed")?;
    // The floor under every sequential client: a TCP round trip on loopback
    // between two processes, no HTTP at all; on one CPU, and free.
    let n_floor = if quick { 2000 } else { 20000 };
    let floor = tcp_floor(&self_exe, n_floor).await?;
    pinning.unpin();
    let floor_free = tcp_floor(&self_exe, n_floor).await?;
    let peers_cpu = if pinned_peers {
        one_cpu.as_str()
    } else {
        "NOT pinned: taskset failed"
    };
    println!(
        "\n2. against the official SDKs, sequential get-job, {peers_cpu} (N={n_peer}; first N calls after login, then the next N)"
    );
    for p in &peers {
        let label = if p.name == "genesys-iac" {
            "genesys-iac wrapper".to_string()
        } else {
            format!("{} SDK", p.name)
        };
        println!(
            "  {label:<28} {:>10.0} req/s first N, {:>8.0} req/s next N   (version {})",
            p.cold_rps().unwrap_or(f64::NAN),
            p.warm_rps().unwrap_or(f64::NAN),
            p.version
        );
    }
    println!(
        "  {:<28} {:>10.0} round trips/s (TCP {TCP_REQUEST} B out, {TCP_RESPONSE} B back, no HTTP); {:.0}/s with free placement",
        "loopback TCP floor", floor, floor_free
    );
    let peer = |name: &str| peers.iter().find(|p| p.name == name);
    let peer_rps = |name: &str| peer(name).and_then(Peer::cold_rps);
    let peer_warm = |name: &str| peer(name).and_then(Peer::warm_rps);

    // 3. Simulator vs a bare server, same load generator.
    let bare = ServerProcess::spawn(&bare_bin, &["127.0.0.1:0"])?;
    let load_sim = Contender::Raw {
        http: reqwest::Client::builder().tcp_nodelay(true).build()?,
        url: format!("{base}/api/v2/infrastructureascode/jobs/{job_id}"),
        auth: format!("Bearer {token}"),
    };
    let load_bare = Contender::Raw {
        http: reqwest::Client::builder().tcp_nodelay(true).build()?,
        url: format!(
            "{}/api/v2/infrastructureascode/jobs/{job_id}",
            bare.base_url
        ),
        auth: format!("Bearer {token}"),
    };
    let (mut s_sim, mut s_bare) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        s_sim.push(concurrent(&load_sim, n_load).await?);
        s_bare.push(concurrent(&load_bare, n_load).await?);
    }
    let (s_sim, s_bare) = (median(s_sim), median(s_bare));
    drop(bare);
    println!("\n3. servers, get-job at {CONCURRENCY} connections (N={n_load})");
    print_row("genesys-iac-sim", &s_sim);
    print_row("bare hyper handler", &s_bare);
    drop(sim);

    // 4. Many waiters in a child process (its own RSS), against an
    // in-process simulator (its request counter).
    let waiters = many_waiters(&self_exe, n_waiters).await?;
    println!(
        "\n4. {} jobs submitted and awaited by one Client (rate budget on)\n  peak RSS {:.1} MiB, {} requests, {:.1} s",
        waiters["count"],
        waiters["peak_rss_mib"].as_f64().unwrap_or(0.0),
        waiters["requests"],
        waiters["elapsed_s"].as_f64().unwrap_or(0.0)
    );

    let mut conc_apart_rows = contender_rows(&conc_apart);
    conc_apart_rows["placement"] = if apart_all {
        json!(apart)
    } else {
        serde_json::Value::Null
    };
    let results = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "mode": if quick { "quick" } else { "full" },
        "runs_per_case": RUNS,
        "machine": machine(),
        "client": {
            "n_sequential": n_seq,
            "n_concurrent": n_conc,
            "concurrency": CONCURRENCY,
            "raw_reqwest_rps": seq[0].rps,
            "generated_rps": seq[1].rps,
            "wrapper_rps": seq[2].rps,
            "raw_reqwest_p50_ms": seq[0].p50_ms, "raw_reqwest_p99_ms": seq[0].p99_ms,
            "generated_p50_ms": seq[1].p50_ms, "generated_p99_ms": seq[1].p99_ms,
            "wrapper_p50_ms": seq[2].p50_ms, "wrapper_p99_ms": seq[2].p99_ms,
            "sequential_pinned": if pinned_all { json!(pinning.cpu) } else { serde_json::Value::Null },
            "free_placement": {
                "raw_reqwest_rps": seq_free[0].rps,
                "generated_rps": seq_free[1].rps,
                "wrapper_rps": seq_free[2].rps,
                "wrapper_vs_raw": ratio(seq_free[2].rps, seq_free[0].rps),
            },
            "concurrent": contender_rows(&conc),
            "concurrent_apart": conc_apart_rows,
            "wrapper_vs_raw_sequential": ratio(seq[2].rps, seq[0].rps),
            "wrapper_vs_raw_concurrent": ratio(conc[2].rps, conc[0].rps),
            "wrapper_vs_raw_concurrent_apart": ratio(conc_apart[2].rps, conc_apart[0].rps),
        },
        "peers": {
            "n": n_peer,
            "method": "each run a fresh process: login, then the first N calls (warm-up included), then the next N",
            "runs": RUNS,
            "ours_rps": ours.0,
            "python_sdk_rps": peer_rps("python"),
            "js_sdk_rps": peer_rps("javascript"),
            "ours_warm_rps": ours.1,
            "python_sdk_warm_rps": peer_warm("python"),
            "js_sdk_warm_rps": peer_warm("javascript"),
            "python_sdk_version": peer("python").map(|p| p.version.clone()),
            "js_sdk_version": peer("javascript").map(|p| p.version.clone()),
            "ours_vs_python": peer_rps("python").map(|p| ratio(ours.0, p)),
            "ours_vs_js": peer_rps("javascript").map(|p| ratio(ours.0, p)),
            "ours_vs_python_warm": peer_warm("python").map(|p| ratio(ours.1, p)),
            "ours_vs_js_warm": peer_warm("javascript").map(|p| ratio(ours.1, p)),
            "pinned": pinned_peers,
            "tcp_floor_rps": floor,
            "tcp_floor_free_placement_rps": floor_free,
            "tcp_floor_vs_python_warm": peer_warm("python").map(|p| ratio(floor, p)),
        },
        "simulator": {
            "n": n_load,
            "sim_rps": s_sim.rps,
            "bare_hyper_rps": s_bare.rps,
            "sim_p99_ms": s_sim.p99_ms,
            "bare_hyper_p99_ms": s_bare.p99_ms,
            "sim_vs_bare": ratio(s_sim.rps, s_bare.rps),
        },
        "waiters": waiters,
    });
    let path = out_dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
    println!("\nwrote {}", path.display());
    if let Some(md) = arg(args, "--markdown") {
        std::fs::write(&md, markdown(&results, quick))?;
        println!("wrote {md}");
    }
    Ok(())
}

fn machine() -> serde_json::Value {
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let tool = |cmd: &str| {
        Command::new(cmd)
            .arg("--version")
            .output()
            .ok()
            .map(|o| {
                let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
                if s.is_empty() {
                    String::from_utf8_lossy(&o.stderr).trim().to_string()
                } else {
                    s
                }
            })
            .unwrap_or_default()
    };
    json!({
        "nproc": nproc,
        "mem_gib": (mem_kib as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "cpu": cpu,
        "rustc": rustc,
        "python": tool("python3"),
        "node": tool("node"),
    })
}

async fn many_waiters(self_exe: &Path, count: usize) -> Result<serde_json::Value, BoxError> {
    let sim = genesys_iac_sim::Simulator::builder()
        .addr("127.0.0.1:0".parse()?)
        .step(Duration::from_millis(200))
        .retention(count * 2 + 100)
        .start()
        .await?;
    let before = sim.stats().total_requests;
    let budget = 60_000u32;
    let out = tokio::process::Command::new(self_exe)
        .args([
            "waiters",
            "--base-url",
            &sim.base_url(),
            "--count",
            &count.to_string(),
            "--budget",
            &budget.to_string(),
        ])
        .stderr(Stdio::inherit())
        .output()
        .await?;
    if !out.status.success() {
        return Err(format!("waiters child failed: {}", out.status).into());
    }
    let child: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let requests = sim.stats().total_requests - before;
    let jobs_created = sim.stats().jobs_created;
    sim.shutdown().await;
    Ok(json!({
        "count": count,
        "completed": child["completed"],
        "jobs_created": jobs_created,
        "peak_rss_mib": child["peak_rss_mib"],
        "requests": requests,
        "elapsed_s": child["elapsed_s"],
        "rate_budget_per_minute": budget,
    }))
}

/// Bytes of one round trip of the TCP floor: about a get-job request with
/// its headers, and a job response with its headers.
const TCP_REQUEST: usize = 256;
const TCP_RESPONSE: usize = 640;

/// `iac-bench tcp-echo`: answers every `TCP_REQUEST` bytes read with
/// `TCP_RESPONSE` bytes, blocking, on one connection at a time.
fn tcp_echo() -> Result<(), BoxError> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    println!("listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let mut s = stream?;
        s.set_nodelay(true)?;
        let mut req = [0u8; TCP_REQUEST];
        let resp = [b'x'; TCP_RESPONSE];
        while s.read_exact(&mut req).is_ok() {
            s.write_all(&resp)?;
        }
    }
    Ok(())
}

/// Round trips per second between this process and a `tcp-echo` child:
/// the median of `RUNS` loops of `n`, after a warm-up.
async fn tcp_floor(self_exe: &Path, n: usize) -> Result<f64, BoxError> {
    let echo = ServerProcess::spawn(self_exe, &["tcp-echo"])?;
    let addr = echo.base_url.clone();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let _echo = echo;
        let mut s = std::net::TcpStream::connect(addr.as_str())?;
        s.set_nodelay(true)?;
        let req = [b'g'; TCP_REQUEST];
        let mut resp = [0u8; TCP_RESPONSE];
        let mut round_trip = |s: &mut std::net::TcpStream| -> std::io::Result<()> {
            s.write_all(&req)?;
            s.read_exact(&mut resp)
        };
        for _ in 0..n.min(1000) {
            round_trip(&mut s)?;
        }
        let mut rates = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            for _ in 0..n {
                round_trip(&mut s)?;
            }
            rates.push(n as f64 / start.elapsed().as_secs_f64());
        }
        median_of(&rates).ok_or_else(|| BoxError::from("no TCP floor runs"))
    })
    .await?
}

/// User plus system CPU time of a process (all its threads) so far, from
/// `/proc/<pid>/stat`; `None` where that is not readable.
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_string(),
        |p| format!("/proc/{p}/stat"),
    );
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may contain spaces) start at
    // `state`; utime and stime are the 14th and 15th fields overall.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // Linux reports these in clock ticks, 100 per second on every
    // architecture Rust supports there.
    Some((utime + stime) / 100.0)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

/// The pause between login and the timed loops in section 2, given to every
/// client: with the client and the simulator pinned to one CPU, a client's
/// start-up would otherwise leak into its first timed calls through the
/// scheduler's fairness accounting (see `peers/python_sdk_bench.py`).
const PEER_SETTLE: Duration = Duration::from_secs(1);

/// `iac-bench peer BASE_URL CLIENT_ID CLIENT_SECRET JOB_ID N SETTLE_MS`: the
/// wrapper driven exactly as the official SDKs' scripts drive theirs (see
/// `peers/python_sdk_bench.py`): logs in, pauses SETTLE_MS, then times the
/// first N sequential get-job calls (warm-up included) and the next N, inside
/// this process, and prints one JSON line `{"sdk", "version", "n", "cold_rps", "warm_rps"}`.
/// The calls run in a task on the runtime, as the `Client` docs advise for
/// latency-sensitive loops.
async fn peer_child(args: &[String]) -> Result<(), BoxError> {
    let [base, id, secret, job_id, n, settle_ms] = args else {
        return Err(
            "usage: iac-bench peer BASE_URL CLIENT_ID CLIENT_SECRET JOB_ID N SETTLE_MS".into(),
        );
    };
    let n: usize = n.parse()?;
    let settle = Duration::from_millis(settle_ms.parse()?);
    let client = Client::builder()
        .base_url(base.as_str())
        .client_credentials(id.as_str(), secret.as_str())
        .build()?;
    let job_id = job_id.clone();
    let (cold, warm) = tokio::spawn(async move {
        client.authenticate().await?;
        tokio::time::sleep(settle).await;
        let cold = timed_loop(&client, &job_id, n).await?;
        let warm = timed_loop(&client, &job_id, n).await?;
        Ok::<_, BoxError>((cold, warm))
    })
    .await??;
    println!(
        "{}",
        json!({"sdk": "genesys-iac", "version": env!("CARGO_PKG_VERSION"), "n": n,
               "cold_rps": cold, "warm_rps": warm})
    );
    Ok(())
}

/// `n` sequential get-job calls; requests per second.
async fn timed_loop(client: &Client, job_id: &str, n: usize) -> Result<f64, BoxError> {
    let start = Instant::now();
    let mut last = None;
    for _ in 0..n {
        last = Some(client.job(job_id).send().await?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    match last {
        Some(job) if job.id() != job_id => {
            Err(format!("another job came back: {}", job.id()).into())
        }
        _ => Ok(n as f64 / elapsed),
    }
}

async fn waiters_child(args: &[String]) -> Result<(), BoxError> {
    let base = arg(args, "--base-url").ok_or("--base-url")?;
    let count: usize = arg(args, "--count").ok_or("--count")?.parse()?;
    let budget: u32 = arg(args, "--budget").ok_or("--budget")?.parse()?;
    let client = Client::builder()
        .base_url(base.as_str())
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .rate_budget(Some(budget))
        .build()?;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        let client = client.clone();
        tasks.spawn(async move {
            let spec = JobSpec::builder("hello-world")
                .parameter("name", format!("waiter-{i}"))
                .build()?;
            let opts = WaitOptions::default()
                .timeout(Duration::from_secs(600))
                .poll_interval(Duration::from_millis(500))
                .max_interval(Duration::from_secs(5));
            let job = client.submit_and_wait(&spec, opts).await?;
            Ok::<bool, genesys_iac::Error>(job.status().is_success())
        });
    }
    let mut completed = 0usize;
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(Ok(true)) => completed += 1,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => eprintln!("waiter error: {e}"),
            Err(e) => eprintln!("waiter task failed: {e}"),
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{}",
        json!({"completed": completed, "elapsed_s": elapsed.as_secs_f64(), "peak_rss_mib": peak_rss_mib()})
    );
    Ok(())
}

fn fmt_num(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if f >= 100.0 => format!("{f:.0}"),
        Some(f) => format!("{f:.2}"),
        None => "n/a".into(),
    }
}

/// A latency in milliseconds.
fn fmt_ms(v: &serde_json::Value) -> String {
    v.as_f64()
        .map_or_else(|| "n/a".into(), |f| format!("{f:.3}"))
}

/// "yes" when a ratio reaches its target.
fn met(v: &serde_json::Value, target: f64) -> &'static str {
    match v.as_f64() {
        Some(x) if x >= target => "yes",
        Some(_) => "no",
        None => "n/a",
    }
}

fn markdown(r: &serde_json::Value, quick: bool) -> String {
    let c = &r["client"];
    let p = &r["peers"];
    let s = &r["simulator"];
    let w = &r["waiters"];
    let m = &r["machine"];
    format!(
        "# Benchmarks\n\n\
Generated by `cargo xtask bench{q}` on {date}. Every case ran {runs} times, interleaved with the cases it is compared with; the table shows medians. All servers run on loopback on the same machine, so the figures are ratios to read side by side, not absolute promises.\n\n\
Machine: {nproc} cores ({cpu}), {mem} GiB memory. {rustc}; {python}; node {node}.\n\n\
## 1. Client overhead against the floor (get-job)\n\n\
| client | sequential req/s, one CPU (N={nseq}) | p50 ms | p99 ms | sequential req/s, free placement |\n|---|---|---|---|---|\n\
| plain reqwest (hand-built request, the floor) | {r_s} | {r_p50} | {r_p99} | {r_f} |\n\
| generated client (progenitor) | {g_s} | {g_p50} | {g_p99} | {g_f} |\n\
| genesys-iac wrapper | {w_s} | {w_p50} | {w_p99} | {w_f} |\n\n\
| client | {conc} in flight req/s, client and server on separate CPUs (N={nconc}) | p99 ms | {conc} in flight req/s, free placement | p99 ms |\n|---|---|---|---|---|\n\
| plain reqwest (hand-built request, the floor) | {r_a} | {r_ap99} | {r_c} | {r_cp99} |\n\
| generated client (progenitor) | {g_a} | {g_ap99} | {g_c} | {g_cp99} |\n\
| genesys-iac wrapper | {w_a} | {w_ap99} | {w_c} | {w_cp99} |\n\n\
Wrapper / plain reqwest: {ws} sequential on one CPU; {wca} concurrent with client and server on separate CPUs, {wc} with free placement ({wf} sequential with free placement).\n\n\
**Placement.** Sequential, one CPU ({pinned}): the bench process and the simulator are pinned to one CPU with `taskset`, and so are the clients' processes in section 2. Unpinned, a loopback round trip on this 2-core virtual machine takes about 12 µs when the scheduler happens to run both ends on one CPU and about 40 µs when it has to wake the other, idle CPU, and it switches between the two from run to run; the free-placement column shows such figures. On one CPU each call costs what the client, the server and the kernel do for it, the same for every contender. Each sequential loop runs in a task on the runtime, as a service's handler would call. Concurrent ({apart}): one task per call, {conc} in flight; with the client and the simulator on CPUs of their own the figure is the client's CPU cost per call (as in production, where the service does not share the client's CPUs); with free placement both processes share both CPUs and the figure moves with where the scheduler puts their threads. The wrapper's reqwest client also sends a `User-Agent` and has connect and request timeouts, which the floor has not; the floor, a default reqwest client, does two things the wrapper's client does not: it copies every request for reqwest's own retry layer (which can retry only HTTP/2 refusals, and this build has no HTTP/2), and it matches every plain-http request against the proxy settings (the wrapper reaches loopback hosts directly; for https hosts, as in production, reqwest skips that matching anyway).\n\n\
## 2. Against the official SDKs (sequential get-job, N={npeer}, login outside the timed loops, one CPU)\n\n\
| client | first N calls after login, req/s | ours / theirs | next N calls, req/s | ours / theirs |\n|---|---|---|---|---|\n\
| genesys-iac wrapper | {ours} | | {ours_w} | |\n\
| Python SDK `purecloudplatformclientv2` {pyv} | {py} | {vpy} | {py_w} | {vpy_w} |\n\
| JavaScript SDK `purecloud-platform-client-v2` {jsv} | {js} | {vjs} | {js_w} | {vjs_w} |\n\
| loopback TCP round trip between two processes, no HTTP | | | {floor} | {floor_py} x Python |\n\
| the same TCP round trip, free placement | | | {floor_free} | |\n\n\
Every client is driven the same way, {runs} times, each time in a fresh process started on that one CPU with the same arguments (for genesys-iac that process is `iac-bench peer`): it logs in, pauses one second, then times the first N get-job calls inside the process (start-up excluded, warm-up included: the issue's definition), then the next N (warmed up). The pause keeps start-up out of the loop: on one shared CPU the scheduler's fairness accounting would otherwise make a client pay for its start-up during its first calls (without it, the Python SDK's first 200 calls took 551 ms instead of 60 ms, after its 2.4 s of imports). The clients take turns, each round starting with another one; the table shows medians.\n\n\
The TCP rows are a round trip of {tcp_req} bytes out and {tcp_resp} bytes back with no HTTP on either side: what the machine allows before any client or server does any work.\n\n\
## 3. Simulator against a bare hyper handler ({conc} connections, N={nload}, same load generator)\n\n\
| server | req/s | p99 ms |\n|---|---|---|\n\
| genesys-iac-sim | {sim} | {simp99} |\n\
| bare hyper handler (fixed JSON) | {bare} | {barep99} |\n\n\
Simulator / bare: {svb}.\n\n\
## 4. Many concurrent waiters\n\n\
{count} jobs submitted and awaited concurrently by one `Client` (shared rate budget {budget}/min) in a process of its own: peak RSS {rss} MiB, {reqs} requests, {el} s.\n\n\
## Against the targets\n\n\
| target | measured | met |\n|---|---|---|\n\
| wrapper >= 0.90 x plain reqwest, sequential (one CPU) | {ws} | {m_ws} |\n\
| wrapper >= 0.90 x plain reqwest, concurrent (separate CPUs) | {wca} | {m_wca} |\n\
| wrapper >= 0.90 x plain reqwest, concurrent (free placement) | {wc} | {m_wc} |\n\
| ours >= 10 x Python SDK, sequential (first N calls after login) | {vpy} | {m_py} |\n\
| ours >= 10 x Python SDK, sequential (next N calls, warmed up) | {vpy_w} | {m_py_w} |\n\
| ours >= 3 x JavaScript SDK, sequential (first N calls after login) | {vjs} | {m_js} |\n\
| ours >= 3 x JavaScript SDK, sequential (next N calls, warmed up) | {vjs_w} | {m_js_w} |\n\
| simulator >= 0.5 x bare server | {svb} | {m_svb} |\n\
| 10,000 waiters in <= 128 MiB peak RSS | {rss} MiB ({count} waiters) | {m_rss} |\n\n\
Timings on this shared machine move by several percent between runs; the ratios come from cases run interleaved in one run.\n\n\
## Reproduce\n\n```sh\ncargo xtask bench          # full run (a few minutes)\ncargo xtask bench --quick  # small N, under two minutes; CI runs this\n```\n\n\
Raw figures: `target/bench/results.json`. The SDKs are installed by the bench into `target/peers/` from PyPI and npm.\n",
        q = if quick { " --quick" } else { "" },
        date = r["date"].as_str().unwrap_or(""),
        runs = r["runs_per_case"],
        nproc = m["nproc"],
        cpu = m["cpu"].as_str().unwrap_or(""),
        mem = m["mem_gib"],
        rustc = m["rustc"].as_str().unwrap_or(""),
        python = m["python"].as_str().unwrap_or(""),
        node = m["node"].as_str().unwrap_or(""),
        nseq = c["n_sequential"],
        nconc = c["n_concurrent"],
        conc = c["concurrency"],
        r_s = fmt_num(&c["raw_reqwest_rps"]),
        r_p50 = fmt_ms(&c["raw_reqwest_p50_ms"]),
        r_p99 = fmt_ms(&c["raw_reqwest_p99_ms"]),
        r_c = fmt_num(&c["concurrent"]["raw_reqwest_rps"]),
        r_cp99 = fmt_ms(&c["concurrent"]["raw_reqwest_p99_ms"]),
        g_s = fmt_num(&c["generated_rps"]),
        g_p50 = fmt_ms(&c["generated_p50_ms"]),
        g_p99 = fmt_ms(&c["generated_p99_ms"]),
        g_c = fmt_num(&c["concurrent"]["generated_rps"]),
        g_cp99 = fmt_ms(&c["concurrent"]["generated_p99_ms"]),
        w_s = fmt_num(&c["wrapper_rps"]),
        w_p50 = fmt_ms(&c["wrapper_p50_ms"]),
        w_p99 = fmt_ms(&c["wrapper_p99_ms"]),
        w_c = fmt_num(&c["concurrent"]["wrapper_rps"]),
        w_cp99 = fmt_ms(&c["concurrent"]["wrapper_p99_ms"]),
        ws = fmt_num(&c["wrapper_vs_raw_sequential"]),
        wc = fmt_num(&c["wrapper_vs_raw_concurrent"]),
        wca = fmt_num(&c["wrapper_vs_raw_concurrent_apart"]),
        r_a = fmt_num(&c["concurrent_apart"]["raw_reqwest_rps"]),
        r_ap99 = fmt_ms(&c["concurrent_apart"]["raw_reqwest_p99_ms"]),
        g_a = fmt_num(&c["concurrent_apart"]["generated_rps"]),
        g_ap99 = fmt_ms(&c["concurrent_apart"]["generated_p99_ms"]),
        w_a = fmt_num(&c["concurrent_apart"]["wrapper_rps"]),
        w_ap99 = fmt_ms(&c["concurrent_apart"]["wrapper_p99_ms"]),
        apart = c["concurrent_apart"]["placement"]
            .as_str()
            .unwrap_or("NOT apart: one CPU, or taskset failed"),
        npeer = p["n"],
        ours = fmt_num(&p["ours_rps"]),
        ours_w = fmt_num(&p["ours_warm_rps"]),
        py_w = fmt_num(&p["python_sdk_warm_rps"]),
        js_w = fmt_num(&p["js_sdk_warm_rps"]),
        vpy_w = fmt_num(&p["ours_vs_python_warm"]),
        vjs_w = fmt_num(&p["ours_vs_js_warm"]),
        m_py_w = met(&p["ours_vs_python_warm"], 10.0),
        m_js_w = met(&p["ours_vs_js_warm"], 3.0),
        py = fmt_num(&p["python_sdk_rps"]),
        pyv = p["python_sdk_version"].as_str().unwrap_or(""),
        vpy = fmt_num(&p["ours_vs_python"]),
        js = fmt_num(&p["js_sdk_rps"]),
        jsv = p["js_sdk_version"].as_str().unwrap_or(""),
        vjs = fmt_num(&p["ours_vs_js"]),
        nload = s["n"],
        sim = fmt_num(&s["sim_rps"]),
        simp99 = fmt_ms(&s["sim_p99_ms"]),
        bare = fmt_num(&s["bare_hyper_rps"]),
        barep99 = fmt_ms(&s["bare_hyper_p99_ms"]),
        svb = fmt_num(&s["sim_vs_bare"]),
        count = w["count"],
        budget = w["rate_budget_per_minute"],
        rss = fmt_num(&w["peak_rss_mib"]),
        reqs = w["requests"],
        el = fmt_num(&w["elapsed_s"]),
        floor_py = fmt_num(&p["tcp_floor_vs_python_warm"]),
        floor = fmt_num(&p["tcp_floor_rps"]),
        floor_free = fmt_num(&p["tcp_floor_free_placement_rps"]),
        tcp_req = TCP_REQUEST,
        tcp_resp = TCP_RESPONSE,
        pinned = match c["sequential_pinned"].as_str() {
            Some(cpu) => format!("CPU {cpu}"),
            None => "pinning failed in this run: the figures are unpinned".to_string(),
        },
        r_f = fmt_num(&c["free_placement"]["raw_reqwest_rps"]),
        g_f = fmt_num(&c["free_placement"]["generated_rps"]),
        w_f = fmt_num(&c["free_placement"]["wrapper_rps"]),
        wf = fmt_num(&c["free_placement"]["wrapper_vs_raw"]),
        m_ws = met(&c["wrapper_vs_raw_sequential"], 0.90),
        m_wc = met(&c["wrapper_vs_raw_concurrent"], 0.90),
        m_wca = met(&c["wrapper_vs_raw_concurrent_apart"], 0.90),
        m_py = met(&p["ours_vs_python"], 10.0),
        m_js = met(&p["ours_vs_js"], 3.0),
        m_svb = met(&s["sim_vs_bare"], 0.5),
        m_rss = if w["count"].as_u64() == Some(10_000)
            && w["peak_rss_mib"].as_f64().is_some_and(|r| r <= 128.0)
        {
            "yes"
        } else {
            "no"
        },
    )
}
