//! The simulator under abuse (issue 7, part 5): a minute of mixed valid and
//! invalid traffic at a high rate, from many concurrent tasks, over loopback.
//! It must keep answering, its memory must stay bounded and its job records
//! must stay consistent.
//!
//! Two phases share the run time ([`abuse_secs`], 60 s by default; set
//! `SIM_ABUSE_SECS` to shorten it locally): three quarters without a rate
//! limit, one quarter with one (so the 429 path is abused too). In each
//! phase:
//!
//! - [`WORKERS`] tasks loop over a weighted mix ([`MIX`]) of valid and
//!   invalid requests, through reqwest and through raw TCP (oversized
//!   bodies, garbage that is not HTTP, half-sent requests then close);
//! - [`SLOWLORIS`] connections send their headers a few bytes a second,
//!   [`STALLED_BODIES`] connections send headers and part of a body then
//!   stall, and [`IDLE_CONNECTIONS`] connections are opened and left idle
//!   (all far below the simulator's 4096-connection cap);
//! - every [`PROBE_EVERY`] a separate client (with its own rate budget)
//!   creates a job, reads it back, finds it in the history and re-reads its
//!   earlier jobs, each within [`ANSWER_BOUND`]; the job store is
//!   snapshotted and checked (size within retention, unique ids, known
//!   accelerators, `submittedBy` set, statuses only moving forward).
//!
//! # Why the memory bound holds
//!
//! The test process holds both the client and the simulator. What the
//! simulator keeps grows with the traffic only up to fixed caps:
//!
//! - jobs: at most [`RETENTION`] (500) are stored. A job keeps its submitted
//!   parameters (at most the 1 MiB body limit) and its texts: the plan lists
//!   at most 256 resources and shows at most 1 KiB of a value, so a job's
//!   texts stay under ~70 KiB whatever the request. Here at most
//!   [`BIG_POSTS_MAX`] jobs per phase carry a ~600 KiB parameter: < 40 MiB.
//!   (Before the 256-resource cap, each of those 100,000-item `skills` jobs
//!   stored ~14 MB of plan or apply text: these 30 alone crossed the bound.)
//! - tokens: at most 100,000 remembered (~200 bytes each): < 25 MiB.
//! - the request ring: 1000 entries, each target cut to 8 KiB: < 9 MiB.
//! - request bodies: at most 1 MiB read per request, with at most
//!   [`WORKERS`] + [`STALLED_BODIES`] requests in flight: < 50 MiB, freed
//!   after each request.
//! - connections: at most 4096 served at once, idle or slow ones closed
//!   after 30 s (header and body read timeouts); this test opens < 400.
//!
//! Hence [`RSS_GROWTH_LIMIT_KIB`] (200 MiB), measured after a warm-up, is
//! generous; unbounded growth (a leak per request, a job texts blow-up)
//! would cross it within the minute.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use genesys_iac_client::JobStatus;
use genesys_iac_sim::{OAuthClient, SimHandle, Simulator};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The default run time, in seconds (both phases).
const DEFAULT_ABUSE_SECS: u64 = 60;
/// Concurrent tasks sending the request mix.
const WORKERS: usize = 32;
/// The simulator's job retention.
const RETENTION: usize = 500;
/// The lifecycle step: jobs end 150 ms after creation.
const STEP: Duration = Duration::from_millis(50);
/// Requests per minute per client in the rate-limited phase.
const RATE_LIMIT: u32 = 600;
/// How often the probe checks the simulator still answers.
const PROBE_EVERY: Duration = Duration::from_secs(3);
/// How fast a probe request must be answered.
const ANSWER_BOUND: Duration = Duration::from_secs(10);
/// The largest accepted RSS growth, in KiB (see the module docs).
const RSS_GROWTH_LIMIT_KIB: u64 = 200 * 1024;
/// Connections opened and left idle per phase.
const IDLE_CONNECTIONS: usize = 256;
/// Connections sending their headers very slowly per phase.
const SLOWLORIS: usize = 24;
/// Connections that stall mid-body per phase.
const STALLED_BODIES: usize = 8;
/// Jobs per phase with a ~600 KiB parameter (a 100,000-item `skills` list).
const BIG_POSTS_MAX: u64 = 30;
/// The simulator's connection cap (documented in its server module).
const SIM_CONNECTION_CAP: usize = 4096;
/// The simulator's header and body read timeouts.
const SIM_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on one raw TCP exchange.
const RAW_TIMEOUT: Duration = Duration::from_secs(10);
/// The simulator's request body limit.
const MAX_BODY: usize = 1024 * 1024;

const JOBS: &str = "/api/v2/infrastructureascode/jobs";

fn abuse_secs() -> u64 {
    std::env::var("SIM_ABUSE_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&s| s >= 4)
        .unwrap_or(DEFAULT_ABUSE_SECS)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Token,
    BadLogin,
    ValidPost,
    BigPost,
    ValidGet,
    History,
    InvalidToken,
    MissingAuth,
    BadJson,
    WrongType,
    UnknownAccelerator,
    BadQuery,
    UnknownPath,
    WrongMethod,
    LongUri,
    Oversized,
    OversizedChunked,
    Garbage,
    HalfSent,
}

/// The request mix: kind and weight.
const MIX: &[(Kind, u64)] = &[
    (Kind::Token, 4),
    (Kind::BadLogin, 4),
    (Kind::ValidPost, 10),
    (Kind::BigPost, 1),
    (Kind::ValidGet, 12),
    (Kind::History, 8),
    (Kind::InvalidToken, 6),
    (Kind::MissingAuth, 5),
    (Kind::BadJson, 5),
    (Kind::WrongType, 4),
    (Kind::UnknownAccelerator, 3),
    (Kind::BadQuery, 5),
    (Kind::UnknownPath, 4),
    (Kind::WrongMethod, 4),
    (Kind::LongUri, 2),
    (Kind::Oversized, 1),
    (Kind::OversizedChunked, 1),
    (Kind::Garbage, 6),
    (Kind::HalfSent, 5),
];

fn pick(n: u64) -> Kind {
    let total: u64 = MIX.iter().map(|(_, w)| w).sum();
    // A multiplicative hash spreads consecutive numbers over the mix.
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    x %= total;
    for (kind, weight) in MIX {
        if x < *weight {
            return *kind;
        }
        x -= weight;
    }
    Kind::ValidGet
}

/// Whether a kind carries the abuser's valid bearer token on a job
/// operation (so the rate limit applies to it).
fn rate_limited_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::ValidPost
            | Kind::BigPost
            | Kind::ValidGet
            | Kind::History
            | Kind::BadJson
            | Kind::WrongType
            | Kind::UnknownAccelerator
            | Kind::BadQuery
            | Kind::Oversized
            | Kind::OversizedChunked
    )
}

/// The statuses a kind may get (besides 429 in the rate-limited phase).
fn expected(kind: Kind) -> &'static [u16] {
    match kind {
        Kind::Token | Kind::ValidPost | Kind::BigPost | Kind::History => &[200],
        Kind::ValidGet => &[200, 404],
        Kind::BadLogin => &[400, 401],
        Kind::InvalidToken | Kind::MissingAuth | Kind::LongUri => &[401],
        Kind::BadJson | Kind::UnknownAccelerator | Kind::BadQuery => &[400],
        Kind::WrongType => &[415],
        Kind::UnknownPath => &[404],
        Kind::WrongMethod => &[405],
        Kind::Oversized | Kind::OversizedChunked => &[413],
        // Rejected by hyper's parser (or, when it happens to parse, by the
        // simulator): any well-formed 4xx/5xx, checked in `check_status`.
        Kind::Garbage => &[],
        Kind::HalfSent => &[],
    }
}

#[derive(Debug, Default)]
struct Tally {
    sent: u64,
    statuses: BTreeMap<u16, u64>,
    /// Closed by the server without a reply (allowed for raw kinds only).
    closed: u64,
    /// Closed by us before completion (half-sent requests).
    aborted: u64,
    /// Replies carrying the correlation header: counted by the simulator.
    handled: u64,
}

#[derive(Debug)]
struct Ctx {
    base: String,
    addr: SocketAddr,
    http: reqwest::Client,
    abuser: OAuthClient,
    token: String,
    abuser_user: String,
    rate_limited: bool,
    deadline: Instant,
    seq: AtomicU64,
    big_posts: AtomicU64,
    /// Recently created job ids (a bounded ring).
    ids: Mutex<VecDeque<String>>,
    /// Every job id a valid POST got back with 200.
    created: Mutex<HashSet<String>>,
    /// Valid POSTs that got no reply at all (may or may not have created).
    lost_posts: AtomicU64,
    tally: Mutex<BTreeMap<Kind, Tally>>,
    unexpected: Mutex<Vec<String>>,
    unexpected_count: AtomicUsize,
    non_429_limited: AtomicU64,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn note(&self, kind: Kind, f: impl FnOnce(&mut Tally)) {
        let mut tally = self.tally.lock().expect("tally lock");
        f(tally.entry(kind).or_default());
    }

    fn fail(&self, message: String) {
        self.unexpected_count.fetch_add(1, Ordering::Relaxed);
        let mut list = self.unexpected.lock().expect("lock");
        if list.len() < 20 {
            list.push(message);
        }
    }

    /// Checks a reply's status against the kind's expectations.
    fn check_status(&self, kind: Kind, status: u16, handled: bool, what: &str) {
        self.note(kind, |t| {
            *t.statuses.entry(status).or_default() += 1;
            if handled {
                t.handled += 1;
            }
        });
        if self.rate_limited && rate_limited_kind(kind) && status != 429 {
            self.non_429_limited.fetch_add(1, Ordering::Relaxed);
        }
        let allowed = expected(kind).contains(&status)
            || (kind == Kind::Garbage && (400..600).contains(&status))
            || (self.rate_limited && status == 429 && rate_limited_kind(kind));
        if !allowed {
            self.fail(format!("{kind:?} {what}: unexpected status {status}"));
        }
        if kind != Kind::Garbage && !handled {
            self.fail(format!(
                "{kind:?} {what}: status {status} without a correlation header"
            ));
        }
    }

    fn remember(&self, id: String) {
        {
            let mut ids = self.ids.lock().expect("lock");
            if ids.len() >= RETENTION {
                ids.pop_front();
            }
            ids.push_back(id.clone());
        }
        self.created.lock().expect("lock").insert(id);
    }

    fn some_id(&self, n: u64) -> Option<String> {
        let ids = self.ids.lock().expect("lock");
        if ids.is_empty() {
            return None;
        }
        let i = usize::try_from(n).unwrap_or(0) % ids.len();
        ids.get(i).cloned()
    }
}

// ---------------------------------------------------------------- raw TCP

#[derive(Debug)]
enum RawOutcome {
    /// The server closed the connection without a reply.
    Closed,
    /// A well-formed status line (and whether the correlation header came).
    Reply { status: u16, handled: bool },
    /// Bytes that are not an HTTP/1.1 response.
    Malformed(String),
    /// No reply and no close within [`RAW_TIMEOUT`].
    Timeout,
    /// Could not connect.
    ConnectFailed(String),
}

/// Parses the start of an HTTP/1.1 response.
fn parse_reply(bytes: &[u8]) -> RawOutcome {
    if bytes.is_empty() {
        return RawOutcome::Closed;
    }
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    match status {
        Some(status) if (100..600).contains(&status) && head_end < bytes.len() => {
            let handled = lines.any(|l| l.to_ascii_lowercase().starts_with("inin-correlation-id:"));
            RawOutcome::Reply { status, handled }
        }
        _ => RawOutcome::Malformed(format!(
            "{:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(120)])
        )),
    }
}

/// Sends `head` then `body` (concurrently with reading the reply), then
/// half-closes when `half_close`, and reads until the server closes.
async fn raw_exchange(
    addr: SocketAddr,
    head: Vec<u8>,
    body: Vec<Bytes>,
    half_close: bool,
) -> RawOutcome {
    let stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return RawOutcome::ConnectFailed(e.to_string()),
    };
    let (mut reader, mut writer) = stream.into_split();
    let write = async move {
        let mut ok = writer.write_all(&head).await.is_ok();
        for chunk in body {
            ok = ok && writer.write_all(&chunk).await.is_ok();
        }
        if ok && half_close {
            let _ = writer.shutdown().await;
        }
        // Keep the write half (without FIN unless asked) until the read
        // side is done: only the read side ends the exchange.
        std::future::pending::<()>().await;
    };
    let read = async move {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > 256 * 1024 {
                        break;
                    }
                }
                // A reset after (or instead of) the reply.
                Err(_) => break,
            }
        }
        buf
    };
    let exchange = async {
        tokio::select! {
            bytes = read => bytes,
            () = write => unreachable!("the write side never ends"),
        }
    };
    match tokio::time::timeout(RAW_TIMEOUT, exchange).await {
        Ok(bytes) => parse_reply(&bytes),
        Err(_) => RawOutcome::Timeout,
    }
}

fn record_raw(ctx: &Ctx, kind: Kind, what: &str, outcome: RawOutcome) {
    match outcome {
        RawOutcome::Closed => ctx.note(kind, |t| t.closed += 1),
        RawOutcome::Reply { status, handled } => ctx.check_status(kind, status, handled, what),
        RawOutcome::Malformed(text) => ctx.fail(format!("{kind:?} {what}: malformed reply {text}")),
        RawOutcome::Timeout => ctx.fail(format!(
            "{kind:?} {what}: no reply or close in {RAW_TIMEOUT:?}"
        )),
        RawOutcome::ConnectFailed(e) => ctx.fail(format!("{kind:?} {what}: connect failed: {e}")),
    }
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

fn garbage(n: u64) -> (Vec<u8>, &'static str) {
    let mut seed = xorshift(n.wrapping_add(0x1234_5678_9ABC));
    let mut random = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed = xorshift(seed);
                seed.to_le_bytes()[0]
            })
            .collect()
    };
    match n % 8 {
        0 => {
            let len = usize::try_from(n % 2048).unwrap_or(0) + 1;
            (random(len), "random bytes")
        }
        1 => {
            let mut hello = vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
            hello.extend(random(32));
            (hello, "TLS ClientHello")
        }
        2 => (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), "HTTP/2 preface"),
        3 => {
            let mut line = b"GET /".to_vec();
            line.extend(std::iter::repeat_n(b'a', 500 * 1024));
            (line, "500 KiB request line")
        }
        4 => (
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(),
            "bad Content-Length",
        ),
        5 => (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(), "bad version"),
        6 => (b"\0\0\0\0\r\n\r\n\r\n".to_vec(), "NUL bytes"),
        _ => (
            b"POST /api/v2/infrastructureascode/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .to_vec(),
            "Content-Length with chunked",
        ),
    }
}

async fn raw_kind(ctx: &Ctx, kind: Kind, n: u64) {
    let auth = format!("Authorization: Bearer {}\r\n", ctx.token);
    match kind {
        Kind::Oversized => {
            let size = MAX_BODY * 2;
            let head = format!(
                "POST {JOBS} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
            );
            let body = vec![Bytes::from(vec![b' '; size])];
            let outcome = raw_exchange(ctx.addr, head.into_bytes(), body, false).await;
            record_raw(ctx, kind, "2 MiB declared body", outcome);
        }
        Kind::OversizedChunked => {
            let head = format!(
                "POST {JOBS} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            let piece = 64 * 1024;
            let mut chunk = format!("{piece:x}\r\n").into_bytes();
            chunk.extend(std::iter::repeat_n(b' ', piece));
            chunk.extend_from_slice(b"\r\n");
            let chunk = Bytes::from(chunk);
            let mut body: Vec<Bytes> = (0..20).map(|_| chunk.clone()).collect();
            body.push(Bytes::from_static(b"0\r\n\r\n"));
            let outcome = raw_exchange(ctx.addr, head.into_bytes(), body, false).await;
            record_raw(ctx, kind, "1.25 MiB chunked body", outcome);
        }
        Kind::Garbage => {
            let (bytes, what) = garbage(n);
            let outcome = raw_exchange(ctx.addr, bytes, Vec::new(), true).await;
            record_raw(ctx, kind, what, outcome);
        }
        Kind::HalfSent => {
            ctx.note(kind, |t| t.aborted += 1);
            let Ok(mut stream) = TcpStream::connect(ctx.addr).await else {
                ctx.fail(format!("{kind:?}: connect failed"));
                return;
            };
            let partial: Vec<u8> = match n % 4 {
                0 => Vec::new(),
                1 => b"GET /api/v2/infrastruc".to_vec(),
                2 => format!(
                    "POST {JOBS} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"acceleratorId\":\"hello-world\",\"param"
                )
                .into_bytes(),
                _ => format!("GET {JOBS} HTTP/1.1\r\nHost: x\r\n{auth}").into_bytes(),
            };
            let _ = stream.write_all(&partial).await;
            drop(stream);
        }
        _ => unreachable!("not a raw kind: {kind:?}"),
    }
}

// ----------------------------------------------------------------- reqwest

async fn http_kind(ctx: &Ctx, kind: Kind, n: u64) {
    let http = &ctx.http;
    let jobs = ctx.url(JOBS);
    let token = ctx.token.as_str();
    let (request, what): (reqwest::RequestBuilder, String) = match kind {
        Kind::Token => (
            http.post(ctx.url("/oauth/token"))
                .basic_auth(ctx.abuser.id(), Some(ctx.abuser.secret()))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials"),
            "login".into(),
        ),
        Kind::BadLogin => {
            let base = http.post(ctx.url("/oauth/token"));
            match n % 5 {
                0 => (
                    base.basic_auth(ctx.abuser.id(), Some("wrong"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body("grant_type=client_credentials"),
                    "wrong secret".into(),
                ),
                1 => (
                    base.basic_auth("nobody", Some("x"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body("grant_type=client_credentials"),
                    "unknown client".into(),
                ),
                2 => (
                    base.basic_auth(ctx.abuser.id(), Some(ctx.abuser.secret()))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body("grant_type=password"),
                    "wrong grant".into(),
                ),
                3 => (
                    base.header("authorization", "Basic !!!not-base64!!!")
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body("grant_type=client_credentials"),
                    "bad basic".into(),
                ),
                _ => (
                    base.basic_auth(ctx.abuser.id(), Some(ctx.abuser.secret()))
                        .header("content-type", "application/json")
                        .body("{}"),
                    "json login".into(),
                ),
            }
        }
        Kind::ValidPost => {
            let accelerator =
                ["hello-world", "queue-setup", "broken-apply"][usize::try_from(n % 3).unwrap_or(0)];
            let body = json!({
                "acceleratorId": accelerator,
                "dryRun": n.is_multiple_of(2),
                "parameters": [
                    {"name": "name", "value": format!("abuse-{n}")},
                    {"name": "queueName", "value": format!("q-{n}")},
                    {"name": "skills", "value": "a, b"},
                ],
            });
            (
                http.post(&jobs).bearer_auth(token).json(&body),
                format!("POST {accelerator}"),
            )
        }
        Kind::BigPost => {
            let skills: String = (0..100_000).map(|i| format!("s{i},")).collect();
            let body = json!({
                "acceleratorId": "queue-setup",
                "dryRun": n.is_multiple_of(2),
                "parameters": [
                    {"name": "queueName", "value": format!("big-{n}")},
                    {"name": "skills", "value": skills},
                ],
            });
            (
                http.post(&jobs).bearer_auth(token).json(&body),
                "POST big skills list".into(),
            )
        }
        Kind::ValidGet => {
            let id = ctx
                .some_id(n)
                .unwrap_or_else(|| "00000000-0000-4000-8000-000000000000".into());
            (
                http.get(format!("{jobs}/{id}"))
                    .query(&[(
                        "details",
                        if n.is_multiple_of(2) { "true" } else { "false" },
                    )])
                    .bearer_auth(token),
                "GET job".into(),
            )
        }
        Kind::History => {
            let query = match n % 5 {
                0 => String::new(),
                1 => "?maxResults=100".into(),
                2 => "?status=complete&maxResults=50&sortBy=status".into(),
                3 => "?acceleratorId=queue-setup&includeErrors=true&maxResults=20&sortOrder=asc"
                    .into(),
                _ => format!("?submittedBy={}&maxResults=1&sortBy=ID", ctx.abuser_user),
            };
            (
                http.get(format!("{jobs}{query}")).bearer_auth(token),
                format!("history {query}"),
            )
        }
        Kind::InvalidToken => {
            let value = match n % 3 {
                0 => format!("Bearer not-a-token-{n}"),
                1 => format!("Bearer {token}x"),
                _ => "Bearer ".to_string(),
            };
            (
                http.get(format!("{jobs}/some-id"))
                    .header("authorization", value),
                "invalid token".into(),
            )
        }
        Kind::MissingAuth => {
            if n.is_multiple_of(2) {
                (
                    http.post(&jobs)
                        .json(&json!({"acceleratorId": "hello-world", "parameters": []})),
                    "POST without auth".into(),
                )
            } else {
                (
                    http.get(&jobs)
                        .header("authorization", format!("Basic {token}")),
                    "history with Basic".into(),
                )
            }
        }
        Kind::BadJson => {
            let body: Vec<u8> = match n % 7 {
                0 => b"{not json".to_vec(),
                1 => b"[]".to_vec(),
                2 => br#"{"acceleratorId": 5}"#.to_vec(),
                3 => Vec::new(),
                4 => b"null".to_vec(),
                5 => "[".repeat(100_000).into_bytes(),
                _ => vec![b'{', 0xff, 0xfe, b'}'],
            };
            (
                http.post(&jobs)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body),
                format!("bad JSON #{}", n % 7),
            )
        }
        Kind::WrongType => {
            let body = r#"{"acceleratorId":"hello-world","parameters":[]}"#;
            let request = http.post(&jobs).bearer_auth(token).body(body);
            match n % 3 {
                0 => (
                    request.header("content-type", "text/plain"),
                    "text/plain".into(),
                ),
                1 => (
                    request.header("content-type", "application/jsonx"),
                    "application/jsonx".into(),
                ),
                _ => (request, "no Content-Type".into()),
            }
        }
        Kind::UnknownAccelerator => (
            http.post(&jobs)
                .bearer_auth(token)
                .json(&json!({"acceleratorId": format!("nope-{n}"), "parameters": []})),
            "unknown accelerator".into(),
        ),
        Kind::BadQuery => {
            let target = match n % 8 {
                0 => format!("{jobs}?maxResults=0"),
                1 => format!("{jobs}?maxResults=101"),
                2 => format!("{jobs}?maxResults=abc"),
                3 => format!("{jobs}?maxResults=99999999999"),
                4 => format!("{jobs}?status=Bogus"),
                5 => format!("{jobs}?sortBy=x"),
                6 => format!("{jobs}?includeErrors=maybe"),
                _ => format!("{jobs}/some-id?details=yes"),
            };
            (
                http.get(&target).bearer_auth(token),
                format!("bad query {target}"),
            )
        }
        Kind::UnknownPath => {
            let (method, path) = match n % 4 {
                0 => (reqwest::Method::GET, "/api/v2/nope".to_string()),
                1 => (reqwest::Method::GET, format!("{JOBS}/a/b")),
                2 => (reqwest::Method::GET, "/".into()),
                _ => (reqwest::Method::POST, "/oauth/token/x".into()),
            };
            (
                http.request(method, ctx.url(&path)).bearer_auth(token),
                format!("unknown path {path}"),
            )
        }
        Kind::WrongMethod => {
            let (method, path) = match n % 4 {
                0 => (reqwest::Method::DELETE, JOBS.to_string()),
                1 => (reqwest::Method::PUT, format!("{JOBS}/some-id")),
                2 => (reqwest::Method::GET, "/oauth/token".into()),
                _ => (reqwest::Method::PATCH, JOBS.into()),
            };
            (
                http.request(method.clone(), ctx.url(&path))
                    .bearer_auth(token),
                format!("{method} {path}"),
            )
        }
        Kind::LongUri => (
            http.get(format!("{jobs}?junk={}", "A".repeat(16 * 1024)))
                .header("authorization", "Bearer nope"),
            "16 KiB query".into(),
        ),
        _ => unreachable!("not an HTTP kind: {kind:?}"),
    };
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let handled = response.headers().contains_key("inin-correlation-id");
            if status == 429 {
                let retry = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                if !retry.is_some_and(|s| (1..=60).contains(&s)) {
                    ctx.fail(format!("{kind:?} {what}: 429 with Retry-After {retry:?}"));
                }
            }
            let body = response.bytes().await;
            ctx.check_status(kind, status, handled, &what);
            let Ok(body) = body else {
                ctx.fail(format!("{kind:?} {what}: body not received"));
                return;
            };
            if matches!(kind, Kind::ValidPost | Kind::BigPost) && status == 200 {
                let id = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string));
                match id {
                    Some(id) => ctx.remember(id),
                    None => ctx.fail(format!("{kind:?}: 200 without a job id")),
                }
            }
            if kind == Kind::ValidGet && status == 200 {
                let job: Value = serde_json::from_slice(&body).unwrap_or_default();
                if job["id"].as_str().is_none() || job["submittedBy"]["id"].as_str().is_none() {
                    ctx.fail(format!("{kind:?}: 200 without id or submittedBy: {job}"));
                }
            }
        }
        Err(error) => {
            if matches!(kind, Kind::ValidPost | Kind::BigPost) {
                ctx.lost_posts.fetch_add(1, Ordering::Relaxed);
            }
            ctx.note(kind, |t| t.closed += 1);
            ctx.fail(format!("{kind:?} {what}: no reply: {error:?}"));
        }
    }
}

async fn worker(ctx: Arc<Ctx>) {
    while Instant::now() < ctx.deadline {
        let n = ctx.seq.fetch_add(1, Ordering::Relaxed);
        let mut kind = pick(n);
        if kind == Kind::BigPost && ctx.big_posts.fetch_add(1, Ordering::Relaxed) >= BIG_POSTS_MAX {
            kind = Kind::ValidPost;
        }
        ctx.note(kind, |t| t.sent += 1);
        match kind {
            Kind::Oversized | Kind::OversizedChunked | Kind::Garbage | Kind::HalfSent => {
                raw_kind(&ctx, kind, n).await;
            }
            _ => http_kind(&ctx, kind, n).await,
        }
    }
}

// ------------------------------------------------- slow and idle connections

#[derive(Debug, Default)]
struct SlowReport {
    /// Connections the server closed (header read timeout).
    closed_by_server: u64,
    /// Replies received (must be well-formed).
    replies: BTreeMap<u16, u64>,
}

/// Sends a request's headers a few bytes a second until the server closes
/// the connection or `deadline` passes; reconnects a bounded number of times.
async fn slowloris(addr: SocketAddr, deadline: Instant, id: usize) -> Result<SlowReport, String> {
    let mut report = SlowReport::default();
    for _ in 0..4 {
        if Instant::now() >= deadline {
            break;
        }
        let Ok(stream) = TcpStream::connect(addr).await else {
            return Err("slowloris connect failed".into());
        };
        let (mut reader, mut writer) = stream.into_split();
        let header = format!("GET {JOBS} HTTP/1.1\r\nHost: x\r\n").into_bytes();
        let drip = async {
            let _ = writer.write_all(&header).await;
            for i in 0usize.. {
                if Instant::now() >= deadline {
                    return false;
                }
                let line = format!("X-Slow-{id}-{i}: y\r\n");
                for byte in line.as_bytes() {
                    if writer.write_all(&[*byte]).await.is_err() {
                        return true;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    if Instant::now() >= deadline {
                        return false;
                    }
                }
            }
            false
        };
        let mut buf = Vec::new();
        let read = reader.read_to_end(&mut buf);
        let closed = tokio::select! {
            closed = drip => closed,
            _ = read => true,
        };
        if !closed {
            break;
        }
        report.closed_by_server += 1;
        match parse_reply(&buf) {
            RawOutcome::Closed => {}
            RawOutcome::Reply { status, .. } => *report.replies.entry(status).or_default() += 1,
            other => return Err(format!("slowloris: {other:?}")),
        }
    }
    Ok(report)
}

/// Sends a POST's headers and a tenth of its body, then stalls; returns the
/// reply (with the simulator's body read timeout: a 408).
async fn stalled_body(addr: SocketAddr, token: String, wait: Duration) -> RawOutcome {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return RawOutcome::ConnectFailed("stalled body".into());
    };
    let head = format!(
        "POST {JOBS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"accelera"
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return RawOutcome::Closed;
    }
    let mut buf = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut buf)).await {
        Ok(_) => parse_reply(&buf),
        Err(_) if buf.is_empty() => RawOutcome::Timeout,
        Err(_) => parse_reply(&buf),
    }
}

// ------------------------------------------------------------ observations

/// A `/proc/self/status` field in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// The resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    status_kib("VmRSS")
}

fn rank(status: &JobStatus) -> Option<u8> {
    match status {
        JobStatus::Created => Some(0),
        JobStatus::Queued => Some(1),
        JobStatus::Running => Some(2),
        s if s.is_terminal() => Some(3),
        _ => None,
    }
}

/// What the probe has seen so far.
#[derive(Debug, Default)]
struct ProbeState {
    probes: u64,
    slowest: Duration,
    created: HashSet<String>,
    /// Last seen status rank per probe job (re-read every probe).
    probe_ranks: Vec<(String, u8)>,
    /// Last seen status rank per stored job (from the snapshots).
    snapshot_ranks: HashMap<String, (u8, String)>,
    snapshots: u64,
    max_stored: usize,
    peak_rss_kib: u64,
}

fn check_snapshot(sim: &SimHandle, users: &[String], state: &mut ProbeState) -> Result<(), String> {
    let known: HashSet<String> = sim.accelerator_ids().into_iter().collect();
    let submissions = sim.submissions();
    if submissions.len() > RETENTION {
        return Err(format!(
            "{} jobs stored, retention {RETENTION}",
            submissions.len()
        ));
    }
    state.max_stored = state.max_stored.max(submissions.len());
    let mut ranks = HashMap::new();
    for submission in &submissions {
        let job = &submission.job;
        let id = job.id.clone().ok_or("a job without id")?;
        let accelerator = job.accelerator_id.clone().unwrap_or_default();
        if !known.contains(&accelerator) {
            return Err(format!("job {id}: unknown accelerator {accelerator:?}"));
        }
        let user = job
            .submitted_by
            .as_ref()
            .and_then(|u| u.id.clone())
            .ok_or_else(|| format!("job {id}: no submittedBy"))?;
        if !users.contains(&user) {
            return Err(format!("job {id}: submittedBy {user} is no client's user"));
        }
        let status = job
            .status
            .clone()
            .ok_or_else(|| format!("job {id}: no status"))?;
        let r = rank(&status).ok_or_else(|| format!("job {id}: status {status:?}"))?;
        if let Some((before, name)) = state.snapshot_ranks.get(&id)
            && r < *before
        {
            return Err(format!(
                "job {id}: status went back from {name} to {}",
                status.as_str()
            ));
        }
        let results = job.results.as_deref().unwrap_or_default().len();
        if results > 256 * 1024 {
            return Err(format!("job {id}: {results} bytes of results"));
        }
        if ranks
            .insert(id.clone(), (r, status.as_str().to_string()))
            .is_some()
        {
            return Err(format!("job id {id} stored twice"));
        }
    }
    state.snapshot_ranks = ranks;
    state.snapshots += 1;
    Ok(())
}

/// Sends a probe request; the reply and its JSON body must come within
/// [`ANSWER_BOUND`].
async fn send(request: reqwest::RequestBuilder) -> Result<(u16, Value), String> {
    let exchange = async {
        let response = request
            .send()
            .await
            .map_err(|e| format!("transport error: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .json::<Value>()
            .await
            .map_err(|e| format!("body: {e}"))?;
        Ok::<_, String>((status, body))
    };
    tokio::time::timeout(ANSWER_BOUND, exchange)
        .await
        .map_err(|_| format!("no answer within {ANSWER_BOUND:?}"))?
}

/// One probe: a fresh job is created, read back and found in the history;
/// earlier probe jobs are re-read (their status may only move forward).
async fn probe(
    sim: &SimHandle,
    http: &reqwest::Client,
    token: &str,
    user: &str,
    users: &[String],
    state: &mut ProbeState,
) -> Result<(), String> {
    let started = Instant::now();
    let jobs = format!("{}{JOBS}", sim.base_url());
    let n = state.probes;

    let (status, job) = send(http.post(&jobs).bearer_auth(token).json(&json!({
        "acceleratorId": "hello-world",
        "parameters": [{"name": "name", "value": format!("probe-{n}")}],
    })))
    .await?;
    if status != 200 {
        return Err(format!("probe POST: {status} {job}"));
    }
    let id = job["id"]
        .as_str()
        .ok_or("probe POST without id")?
        .to_string();
    state.created.insert(id.clone());

    let (status, read) = send(
        http.get(format!("{jobs}/{id}?details=true"))
            .bearer_auth(token),
    )
    .await?;
    if status != 200 || read["id"].as_str() != Some(id.as_str()) {
        return Err(format!("probe GET {id}: {status} {read}"));
    }
    if read["submittedBy"]["id"].as_str() != Some(user) {
        return Err(format!(
            "probe GET {id}: submittedBy {}",
            read["submittedBy"]
        ));
    }

    let (status, listing) = send(
        http.get(format!("{jobs}?submittedBy={user}&maxResults=5"))
            .bearer_auth(token),
    )
    .await?;
    if status != 200 || listing["entities"][0]["id"].as_str() != Some(id.as_str()) {
        return Err(format!("probe history: {status} {listing}"));
    }
    if listing["total"].as_i64().is_none_or(|t| t < 1) {
        return Err(format!("probe history total: {listing}"));
    }

    // Re-read the last few probe jobs: statuses only move forward.
    let mut ranks = Vec::new();
    for (old, before) in state.probe_ranks.iter().rev().take(3) {
        let (status, job) = send(http.get(format!("{jobs}/{old}")).bearer_auth(token)).await?;
        if status == 404 {
            continue; // dropped by retention
        }
        let now = job["status"]
            .as_str()
            .map(JobStatus::from_wire)
            .and_then(|s| rank(&s))
            .ok_or_else(|| format!("re-read {old}: {status} {job}"))?;
        if now < *before {
            return Err(format!("job {old}: status went back to {}", job["status"]));
        }
        ranks.push((old.clone(), now));
    }
    let status = read["status"]
        .as_str()
        .map(JobStatus::from_wire)
        .and_then(|s| rank(&s))
        .ok_or("probe job without a known status")?;
    ranks.reverse();
    ranks.push((id, status));
    state.probe_ranks = ranks;

    check_snapshot(sim, users, state)?;
    state.probes += 1;
    state.slowest = state.slowest.max(started.elapsed());
    state.peak_rss_kib = state.peak_rss_kib.max(rss_kib());
    Ok(())
}

// ------------------------------------------------------------------- phases

#[derive(Debug)]
struct PhaseReport {
    name: &'static str,
    secs: u64,
    tally: BTreeMap<Kind, Tally>,
    jobs_created: u64,
    stored: usize,
    total_requests: u64,
    tokens_issued: u64,
    rate_limited_429: u64,
    probes: u64,
    slowest_probe: Duration,
    idle_closed: usize,
    slowloris_closed: u64,
    slowloris_replies: BTreeMap<u16, u64>,
    stalled: Vec<String>,
    end_rss_kib: u64,
    peak_rss_kib: u64,
}

async fn phase(
    name: &'static str,
    secs: u64,
    rate_limit: Option<u32>,
    warm_up: bool,
) -> (PhaseReport, Option<u64>) {
    let abuser = OAuthClient::new("abuser", "abuser-secret");
    let prober = OAuthClient::new("prober", "prober-secret");
    let users = vec![abuser.user_id(), prober.user_id()];
    let sim = Simulator::builder()
        .client(abuser.clone())
        .client(prober.clone())
        .retention(RETENTION)
        .step(STEP)
        .rate_limit(rate_limit)
        .start()
        .await
        .expect("simulator starts");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .pool_max_idle_per_host(WORKERS * 2)
        .pool_idle_timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client");
    let probe_http = reqwest::Client::builder()
        .timeout(ANSWER_BOUND)
        .pool_idle_timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client");
    let token = sim.issue_token("abuser").expect("abuser token");
    let probe_token = sim.issue_token("prober").expect("prober token");
    let probe_user = prober.user_id();

    let new_ctx = |deadline: Instant| {
        Arc::new(Ctx {
            base: sim.base_url(),
            addr: sim.addr(),
            http: http.clone(),
            abuser: abuser.clone(),
            token: token.clone(),
            abuser_user: abuser.user_id(),
            rate_limited: rate_limit.is_some(),
            deadline,
            seq: AtomicU64::new(0),
            big_posts: AtomicU64::new(0),
            ids: Mutex::new(VecDeque::new()),
            created: Mutex::new(HashSet::new()),
            lost_posts: AtomicU64::new(0),
            tally: Mutex::new(BTreeMap::new()),
            unexpected: Mutex::new(Vec::new()),
            unexpected_count: AtomicUsize::new(0),
            non_429_limited: AtomicU64::new(0),
        })
    };

    // Warm-up: every kind once, so allocator arenas, pools and lazily
    // initialised state exist before the RSS baseline is taken.
    let mut start_rss = None;
    if warm_up {
        let ctx = new_ctx(Instant::now() + Duration::from_secs(30));
        for round in 0..3u64 {
            for (i, (kind, _)) in MIX.iter().enumerate() {
                let n = round * 100 + i as u64;
                match kind {
                    Kind::Oversized | Kind::OversizedChunked | Kind::Garbage | Kind::HalfSent => {
                        raw_kind(&ctx, *kind, n).await;
                    }
                    _ => http_kind(&ctx, *kind, n).await,
                }
            }
        }
        let unexpected = ctx.unexpected.lock().expect("lock").clone();
        assert!(unexpected.is_empty(), "warm-up: {unexpected:#?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        start_rss = Some(rss_kib());
    }
    let stats_before = sim.stats();
    let created_before: HashSet<String> = sim.jobs().into_iter().filter_map(|j| j.id).collect();

    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let ctx = new_ctx(deadline);

    // Idle connections: opened and left; the simulator closes them after
    // its header read timeout.
    let mut idle = Vec::new();
    for _ in 0..IDLE_CONNECTIONS {
        idle.push(
            TcpStream::connect(sim.addr())
                .await
                .expect("idle connection"),
        );
    }
    let mut slow = tokio::task::JoinSet::new();
    for id in 0..SLOWLORIS {
        slow.spawn(slowloris(sim.addr(), deadline, id));
    }
    let stall_wait = Duration::from_secs(secs).min(SIM_READ_TIMEOUT + Duration::from_secs(8));
    let mut stalled = tokio::task::JoinSet::new();
    for _ in 0..STALLED_BODIES {
        stalled.spawn(stalled_body(sim.addr(), token.clone(), stall_wait));
    }
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        workers.spawn(worker(ctx.clone()));
    }

    let mut state = ProbeState::default();
    let mut next_probe = Instant::now();
    while Instant::now() < deadline {
        if Instant::now() >= next_probe {
            if let Err(e) = probe(
                &sim,
                &probe_http,
                &probe_token,
                &probe_user,
                &users,
                &mut state,
            )
            .await
            {
                panic!(
                    "{name}: probe {} after {:?}: {e}",
                    state.probes,
                    started.elapsed()
                );
            }
            next_probe = Instant::now() + PROBE_EVERY;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while let Some(joined) = workers.join_next().await {
        joined.expect("worker task");
    }
    let mut slowloris_closed = 0;
    let mut slowloris_replies = BTreeMap::new();
    while let Some(joined) = slow.join_next().await {
        let report = joined
            .expect("slowloris task")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        slowloris_closed += report.closed_by_server;
        for (status, count) in report.replies {
            *slowloris_replies.entry(status).or_default() += count;
        }
    }
    let mut stalled_outcomes = Vec::new();
    while let Some(joined) = stalled.join_next().await {
        stalled_outcomes.push(joined.expect("stalled task"));
    }
    // Closed (or answered) by the server: a read returns at once.
    let mut idle_closed = 0;
    for stream in &mut idle {
        let mut byte = [0u8; 1];
        let read = stream.read(&mut byte);
        if tokio::time::timeout(Duration::from_millis(5), read)
            .await
            .is_ok()
        {
            idle_closed += 1;
        }
    }
    drop(idle);

    // The final probe: the simulator still answers after the abuse.
    probe(
        &sim,
        &probe_http,
        &probe_token,
        &probe_user,
        &users,
        &mut state,
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: final probe: {e}"));

    let unexpected = ctx.unexpected.lock().expect("lock").clone();
    assert!(
        unexpected.is_empty(),
        "{name}: {} unexpected outcomes, first ones: {unexpected:#?}",
        ctx.unexpected_count.load(Ordering::Relaxed)
    );

    // Job records.
    let stats = sim.stats();
    let jobs_created = stats.jobs_created - stats_before.jobs_created;
    let ok_posts: u64 = ctx
        .tally
        .lock()
        .expect("lock")
        .iter()
        .filter(|(k, _)| matches!(k, Kind::ValidPost | Kind::BigPost))
        .map(|(_, t)| t.statuses.get(&200).copied().unwrap_or(0))
        .sum();
    let probe_posts = state.created.len() as u64;
    let lost = ctx.lost_posts.load(Ordering::Relaxed);
    assert!(
        jobs_created >= ok_posts + probe_posts && jobs_created <= ok_posts + probe_posts + lost,
        "{name}: {jobs_created} jobs created for {ok_posts} valid POSTs answered 200, \
         {probe_posts} probe POSTs and {lost} lost replies: an invalid request created a job"
    );
    let stored = sim.submissions();
    assert!(stored.len() <= RETENTION, "{name}: {} stored", stored.len());
    assert!(stats.jobs_created >= stored.len() as u64);
    let created = ctx.created.lock().expect("lock").clone();
    if lost == 0 {
        for submission in &stored {
            let id = submission.job.id.clone().unwrap_or_default();
            assert!(
                created.contains(&id)
                    || state.created.contains(&id)
                    || created_before.contains(&id),
                "{name}: stored job {id} was not created by a valid POST"
            );
            assert!(
                submission.parameters.contains_key("name")
                    || submission.parameters.contains_key("queueName"),
                "{name}: stored job {id} has parameters {:?}",
                submission.parameters.keys().collect::<Vec<_>>()
            );
        }
    }

    // Requests counted: at least every reply that came from a handler.
    let tally = std::mem::take(&mut *ctx.tally.lock().expect("lock"));
    let handled: u64 = tally.values().map(|t| t.handled).sum();
    let total_requests = stats.total_requests - stats_before.total_requests;
    assert!(
        total_requests >= handled + state.probes * 3,
        "{name}: the simulator counted {total_requests} requests, {handled} handled replies seen"
    );
    // And at least every request sent, less those aborted before completion
    // and the garbage (not HTTP: hyper's parser rejects it before it is a
    // request).
    let sent: u64 = tally.values().map(|t| t.sent).sum();
    let uncountable: u64 = [Kind::HalfSent, Kind::Garbage]
        .iter()
        .filter_map(|k| tally.get(k))
        .map(|t| t.sent)
        .sum();
    assert!(
        total_requests >= sent - uncountable,
        "{name}: the simulator counted {total_requests} requests, {sent} sent of which \
         {uncountable} aborted or not HTTP"
    );

    // The request ring stays bounded and cut.
    let recent = sim.recent_requests();
    assert!(recent.len() <= 1000);
    assert!(
        recent
            .iter()
            .all(|r| r.raw_target.len() <= 8 * 1024 && r.method.len() <= 64)
    );

    // Slow and idle connections are closed by the simulator's timeouts.
    let stalled: Vec<String> = stalled_outcomes.iter().map(|o| format!("{o:?}")).collect();
    for outcome in &stalled_outcomes {
        match outcome {
            RawOutcome::Reply {
                status: 408,
                handled: true,
            }
            | RawOutcome::Closed => {}
            RawOutcome::Timeout if secs < SIM_READ_TIMEOUT.as_secs() + 8 => {}
            RawOutcome::Reply { status: 429, .. } if rate_limit.is_some() => {}
            other => panic!("{name}: stalled body: {other:?}"),
        }
    }
    if secs >= SIM_READ_TIMEOUT.as_secs() + 5 {
        assert_eq!(
            idle_closed, IDLE_CONNECTIONS,
            "{name}: idle connections left open"
        );
        assert!(
            slowloris_closed >= SLOWLORIS as u64,
            "{name}: slowloris not closed"
        );
    }

    // Rate limit: the abuser's budget holds under load; 429s came.
    let rate_limited_429 = stats.faults(genesys_iac_sim::faults::RATE_LIMITED);
    if let Some(limit) = rate_limit {
        let windows = secs.div_ceil(60) + 1;
        let passed = ctx.non_429_limited.load(Ordering::Relaxed);
        assert!(
            passed <= u64::from(limit) * windows,
            "{name}: {passed} rate-limited requests passed, limit {limit}/min"
        );
        assert!(rate_limited_429 > 0, "{name}: no 429 under load");
    }

    // The server task is alive: a last request succeeds, then it shuts down
    // in bounded time.
    let last = probe_http
        .get(format!("{}{JOBS}?maxResults=1", sim.base_url()))
        .bearer_auth(&probe_token)
        .send()
        .await
        .expect("a last request");
    assert_eq!(last.status().as_u16(), 200, "{name}: last request");
    let end_rss_kib = rss_kib();
    let report = PhaseReport {
        name,
        secs,
        tally,
        jobs_created,
        stored: stored.len(),
        total_requests,
        tokens_issued: stats.tokens_issued - stats_before.tokens_issued,
        rate_limited_429,
        probes: state.probes,
        slowest_probe: state.slowest,
        idle_closed,
        slowloris_closed,
        slowloris_replies,
        stalled,
        end_rss_kib,
        peak_rss_kib: state.peak_rss_kib.max(end_rss_kib),
    };
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
        .await
        .unwrap_or_else(|_| panic!("{name}: shutdown did not complete"));
    (report, start_rss)
}

fn print_report(report: &PhaseReport) {
    println!("== {} ({} s)", report.name, report.secs);
    let mut sent = 0;
    for (kind, t) in &report.tally {
        sent += t.sent;
        println!(
            "  {kind:?}: sent {}, statuses {:?}, closed {}, aborted {}",
            t.sent, t.statuses, t.closed, t.aborted
        );
    }
    println!(
        "  total sent {sent}; simulator counted {} requests; tokens issued {}; 429s {}",
        report.total_requests, report.tokens_issued, report.rate_limited_429
    );
    println!(
        "  jobs created {}, stored {} (retention {RETENTION})",
        report.jobs_created, report.stored
    );
    println!(
        "  probes {} (slowest {:?}); idle closed {}/{IDLE_CONNECTIONS}; slowloris closed {} replies {:?}; stalled bodies {:?}",
        report.probes,
        report.slowest_probe,
        report.idle_closed,
        report.slowloris_closed,
        report.slowloris_replies,
        report.stalled
    );
    println!(
        "  RSS end {} KiB, peak {} KiB",
        report.end_rss_kib, report.peak_rss_kib
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simulator_survives_a_minute_of_abuse() {
    let started = Instant::now();
    let panics = Arc::new(AtomicUsize::new(0));
    {
        let panics = panics.clone();
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            panics.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    }
    const _: () =
        assert!(IDLE_CONNECTIONS + SLOWLORIS + STALLED_BODIES + 2 * WORKERS < SIM_CONNECTION_CAP);

    let secs = abuse_secs();
    let limited_secs = (secs / 4).max(2);
    let open_secs = secs - limited_secs;
    let (open, start_rss) = phase("no rate limit", open_secs, None, true).await;
    let start_rss = start_rss.expect("baseline taken");
    print_report(&open);
    let (limited, _) = phase("rate limit", limited_secs, Some(RATE_LIMIT), false).await;
    print_report(&limited);

    let end_rss = open.end_rss_kib.max(limited.end_rss_kib);
    // The high-water mark also catches peaks between the samples.
    let peak = open
        .peak_rss_kib
        .max(limited.peak_rss_kib)
        .max(status_kib("VmHWM"));
    println!(
        "RSS: start {start_rss} KiB, end {end_rss} KiB, peak (high-water mark) {peak} KiB; \
         wall time {:?}",
        started.elapsed()
    );
    assert!(
        peak.saturating_sub(start_rss) < RSS_GROWTH_LIMIT_KIB,
        "RSS grew from {start_rss} KiB to {peak} KiB"
    );
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a task panicked");
}
