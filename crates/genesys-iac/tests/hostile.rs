//! Hostile and awkward responses, served byte for byte over loopback by a
//! tiny scripted TCP server: every case names the call, what the server
//! sends, and the typed outcome the client must return, within its timeout,
//! with bounded memory and never a panic.
//!
//! Decisions this table documents:
//! - `Content-Type` is not checked: a `200` whose body is valid JSON decodes
//!   whatever the header says (gateways mislabel bodies); a body that is not
//!   JSON is [`Error::Decode`] whatever the header says.
//! - A `5xx` with an HTML body (a gateway page) is [`Error::Decode`] with the
//!   status, the correlation id and a short excerpt; it is retryable.
//! - A `401`/`403` is [`Error::Auth`] even when its body is not JSON.
//! - Redirects are never followed (`3xx` is [`Error::Decode`] with the
//!   status, or [`Error::UnknownOutcome`] for a submit): the bearer token
//!   never reaches another host.
//! - `204` (or an empty, `null` or `{}` body) from the history is an empty
//!   list; from a job get it is [`Error::Decode`].
//! - A body larger than `max_body_bytes` is [`Error::BodyTooLarge`] whether
//!   or not it is announced by `Content-Length`, chunked or close-delimited;
//!   the client stops reading at the limit.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Hit;
use genesys_iac::{Client, Error, Job, JobSpec, JobStatus, RetryPolicy};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

const TOKEN: &str = "hostile-static-token-0123456789";
const LIMIT: usize = 64 * 1024;

// ------------------------------------------------------------------ server

/// What the scripted server does after reading a request.
#[derive(Clone)]
enum Script {
    /// Writes these bytes, then closes.
    Raw(Vec<u8>),
    /// Writes `head`, then body bytes forever (as chunks if `chunked`) until
    /// the client goes away.
    Endless { head: Vec<u8>, chunked: bool },
    /// Writes `prefix`, then one byte of `drip` at a time, every `every`,
    /// forever.
    Drip {
        prefix: Vec<u8>,
        drip: u8,
        every: Duration,
    },
    /// Reads the request and never answers.
    Hang,
}

struct Server {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    /// Body bytes written by `Endless` scripts.
    written: Arc<AtomicU64>,
}

impl Server {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

/// Binds a listener on `ip` (falls back to 127.0.0.1 where other loopback
/// addresses cannot be bound) answering every request with `script`.
async fn serve(ip: &str, script: Script) -> Server {
    let listener = match TcpListener::bind((ip, 0)).await {
        Ok(l) => l,
        Err(_) => TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
    let written = Arc::new(AtomicU64::new(0));
    let (h, w) = (hits.clone(), written.clone());
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(handle(sock, script.clone(), h.clone(), w.clone()));
        }
    });
    Server { url, hits, written }
}

async fn handle(
    mut sock: TcpStream,
    script: Script,
    hits: Arc<Mutex<Vec<Hit>>>,
    written: Arc<AtomicU64>,
) {
    let Some(hit) = common::read_request(&mut sock).await else {
        return;
    };
    hits.lock().unwrap().push(hit);
    match script {
        Script::Raw(bytes) => {
            let _ = sock.write_all(&bytes).await;
            let _ = sock.shutdown().await;
        }
        Script::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
        Script::Drip {
            prefix,
            drip,
            every,
        } => {
            if sock.write_all(&prefix).await.is_err() {
                return;
            }
            loop {
                tokio::time::sleep(every).await;
                if sock.write_all(&[drip]).await.is_err() {
                    return;
                }
            }
        }
        Script::Endless { head, chunked } => {
            if sock.write_all(&head).await.is_err() {
                return;
            }
            let block = vec![b'x'; 16 * 1024];
            let mut framed = format!("{:x}\r\n", block.len()).into_bytes();
            framed.extend_from_slice(&block);
            framed.extend_from_slice(b"\r\n");
            let piece = if chunked { framed } else { block };
            // Stop at 1 GiB in any case, so a broken client cannot make the
            // test run forever.
            while written.load(Ordering::Relaxed) < 1 << 30 {
                if sock.write_all(&piece).await.is_err() {
                    return;
                }
                written.fetch_add(piece.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

// --------------------------------------------------------------- responses

/// A response head with the given headers; `len` adds `Content-Length`.
fn head(status: u16, headers: &[(&str, &str)], len: Option<usize>) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Whatever\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = len {
        out.push_str(&format!("Content-Length: {n}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

/// A complete response with `Content-Length`.
fn resp(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Script {
    let body = body.as_ref();
    let mut out = head(status, headers, Some(body.len()));
    out.extend_from_slice(body);
    Script::Raw(out)
}

const JSON: (&str, &str) = ("Content-Type", "application/json");
const HTML: (&str, &str) = ("Content-Type", "text/html; charset=utf-8");

/// A JSON response with a correlation id `corr-<status>`.
fn json(status: u16, body: impl AsRef<[u8]>) -> Script {
    let corr = format!("corr-{status}");
    resp(status, &[JSON, ("inin-correlation-id", &corr)], body)
}

fn job_body(extra: &str) -> String {
    format!(
        r#"{{"id":"j-1","dryRun":false,"acceleratorId":"hello-world","status":"Complete",
            "dateSubmitted":"2026-03-01T12:30:05.123Z"{extra}}}"#
    )
}

const GATEWAY_HTML: &str = "<html><head><title>502 Bad Gateway</title></head><body>\
    <center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

// ------------------------------------------------------------------- cases

#[derive(Clone, Copy, Debug)]
enum Call {
    GetJob,
    History,
    Submit,
}

#[derive(Debug)]
enum Out {
    Job(Box<Job>),
    Jobs(Vec<Job>),
}

type Outcome = Result<Out, Error>;
type Check = Box<dyn Fn(&Outcome) -> bool + Send + Sync>;

struct Case {
    name: &'static str,
    call: Call,
    /// Builds the script; gets the URL of the other host (for redirects).
    script: Box<dyn Fn(&str) -> Script + Send + Sync>,
    expect: &'static str,
    check: Check,
    retry: RetryPolicy,
    timeout: Duration,
    max_body: usize,
    /// Requests the server must have received, when fixed.
    hits: Option<usize>,
    /// For endless bodies: the most the server may have written.
    max_written: Option<u64>,
}

fn case(
    name: &'static str,
    call: Call,
    script: impl Fn(&str) -> Script + Send + Sync + 'static,
    expect: &'static str,
    check: impl Fn(&Outcome) -> bool + Send + Sync + 'static,
) -> Case {
    Case {
        name,
        call,
        script: Box::new(script),
        expect,
        check: Box::new(check),
        retry: RetryPolicy::none(),
        timeout: Duration::from_secs(10),
        max_body: LIMIT,
        hits: Some(1),
        max_written: None,
    }
}

impl Case {
    fn retry(mut self, r: RetryPolicy, hits: Option<usize>) -> Self {
        self.retry = r;
        self.hits = hits;
        self
    }
    fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    fn max_body(mut self, n: usize) -> Self {
        self.max_body = n;
        self
    }
    fn max_written(mut self, n: u64) -> Self {
        self.max_written = Some(n);
        self
    }
}

fn fast(n: u32) -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .max_attempts(n)
        .max_retry_after(Duration::from_millis(50))
}

// Predicates.

fn decode(status: Option<u16>, needle: &'static str) -> impl Fn(&Outcome) -> bool + Send + Sync {
    move |r| {
        matches!(r, Err(Error::Decode { status: s, excerpt, .. })
            if *s == status && excerpt.contains(needle) && excerpt.chars().count() <= 201)
    }
}

fn api(
    status: u16,
    code: Option<&'static str>,
    corr: Option<&'static str>,
) -> impl Fn(&Outcome) -> bool + Send + Sync {
    move |r| {
        matches!(r, Err(Error::Api(a))
            if a.status == status && a.code.as_deref() == code
                && a.correlation_id.as_deref() == corr)
    }
}

fn auth(status: u16) -> impl Fn(&Outcome) -> bool + Send + Sync {
    move |r| matches!(r, Err(Error::Auth(a)) if a.status == status)
}

fn too_large(r: &Outcome) -> bool {
    matches!(r, Err(Error::BodyTooLarge { limit }) if *limit == LIMIT)
}

fn timeout(r: &Outcome) -> bool {
    matches!(r, Err(Error::Timeout(_)))
}

fn transport(r: &Outcome) -> bool {
    matches!(r, Err(Error::Transport(_)))
}

fn unknown(status: Option<u16>) -> impl Fn(&Outcome) -> bool + Send + Sync {
    move |r| {
        matches!(r, Err(Error::UnknownOutcome { status: s, accelerator_id, .. })
            if *s == status && accelerator_id == "hello-world")
    }
}

fn job(pred: impl Fn(&Job) -> bool + Send + Sync) -> impl Fn(&Outcome) -> bool + Send + Sync {
    move |r| matches!(r, Ok(Out::Job(j)) if pred(j))
}

fn jobs(pred: impl Fn(&[Job]) -> bool + Send + Sync) -> impl Fn(&Outcome) -> bool + Send + Sync {
    move |r| matches!(r, Ok(Out::Jobs(j)) if pred(j))
}

fn cases() -> Vec<Case> {
    use Call::*;
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    vec![
        // --- baseline and value-level oddities (job get)
        case(
            "valid job",
            GetJob,
            |_| json(200, job_body("")),
            "Ok(Complete)",
            job(|j| j.id() == "j-1" && j.status() == &JobStatus::Complete),
        ),
        case(
            "truncated JSON",
            GetJob,
            |_| json(200, r#"{"id":"j-1","dryRun":false,"status":"Compl"#),
            "Decode{200, excerpt has body}",
            decode(Some(200), r#""id":"j-1""#),
        ),
        case(
            "wrong types",
            GetJob,
            |_| json(200, r#"{"id":42,"dryRun":"yes","status":7}"#),
            "Decode{200}",
            decode(Some(200), r#""id":42"#),
        ),
        case(
            "nulls everywhere (dryRun null too)",
            GetJob,
            |_| {
                json(
                    200,
                    r#"{"id":null,"dryRun":null,"status":null,"acceleratorId":null,"dateSubmitted":null,"submittedBy":null,"errorInfo":null,"results":null}"#,
                )
            },
            "Decode{200} (dryRun is required)",
            decode(Some(200), "null"),
        ),
        case(
            "nulls everywhere except dryRun",
            GetJob,
            |_| {
                json(
                    200,
                    r#"{"id":null,"dryRun":false,"status":null,"acceleratorId":null,"dateSubmitted":null,"submittedBy":null,"errorInfo":null,"results":null,"selfUri":null}"#,
                )
            },
            "Ok(id \"\", status Unknown(\"\"))",
            job(|j| {
                j.id().is_empty()
                    && j.status() == &JobStatus::Unknown(String::new())
                    && j.submitted_at().is_none()
            }),
        ),
        case(
            "empty 200 body",
            GetJob,
            |_| json(200, ""),
            "Decode{200, empty excerpt}",
            decode(Some(200), ""),
        ),
        case(
            "JSON null 200 body",
            GetJob,
            |_| json(200, "null"),
            "Decode{200}",
            decode(Some(200), "null"),
        ),
        case(
            "valid JSON labelled text/plain",
            GetJob,
            |_| resp(200, &[("Content-Type", "text/plain")], job_body("")),
            "Ok (Content-Type not checked)",
            job(|j| j.id() == "j-1"),
        ),
        case(
            "valid JSON without Content-Type",
            GetJob,
            |_| resp(200, &[], job_body("")),
            "Ok",
            job(|j| j.id() == "j-1"),
        ),
        case(
            "HTML labelled application/json",
            GetJob,
            |_| json(200, GATEWAY_HTML),
            "Decode{200, excerpt has <html>}",
            decode(Some(200), "<html>"),
        ),
        case(
            "invalid date",
            GetJob,
            |_| {
                json(
                    200,
                    r#"{"id":"j-1","dryRun":false,"dateSubmitted":"yesterday at noon"}"#,
                )
            },
            "Decode{200}",
            decode(Some(200), "yesterday"),
        ),
        case(
            "unknown status",
            GetJob,
            |_| json(200, r#"{"id":"j-1","dryRun":false,"status":"Paused"}"#),
            "Ok(Unknown(\"Paused\"), not terminal)",
            job(|j| j.status() == &JobStatus::Unknown("Paused".into()) && !j.is_terminal()),
        ),
        case(
            "unknown fields",
            GetJob,
            |_| {
                json(
                    200,
                    job_body(r#","newField":{"a":[1,2,{"b":null}]},"another":"x""#),
                )
            },
            "Ok",
            job(|j| j.id() == "j-1"),
        ),
        case(
            "huge string within the limit",
            GetJob,
            |_| {
                json(
                    200,
                    job_body(&format!(r#","results":"{}""#, "r".repeat(60_000))),
                )
            },
            "Ok(results has 60000 chars)",
            job(|j| j.results().is_some_and(|r| r.len() == 60_000)),
        ),
        case(
            "100k nested [ as the body",
            GetJob,
            move |_| json(200, nested(100_000)),
            "Decode{200} (recursion limit, no stack overflow)",
            decode(Some(200), "[[[["),
        )
        .max_body(1 << 20),
        case(
            "100k nested [ in an unknown field",
            GetJob,
            move |_| {
                json(
                    200,
                    format!(
                        r#"{{"id":"j-1","dryRun":false,"deep":{}}}"#,
                        nested(100_000)
                    ),
                )
            },
            "Ok (unknown fields are skipped without recursion)",
            job(|j| j.id() == "j-1"),
        )
        .max_body(1 << 20),
        case(
            "invalid UTF-8",
            GetJob,
            |_| json(200, b"{\"id\":\"j-\xff\xfe\",\"dryRun\":false}"),
            "Decode{200, lossy excerpt}",
            decode(Some(200), "j-\u{fffd}"),
        ),
        case(
            "bare binary garbage",
            GetJob,
            |_| json(200, [0u8, 159, 146, 150, 255, 0, 1, 2]),
            "Decode{200}",
            decode(Some(200), ""),
        ),
        // --- error statuses
        case(
            "404 JSON error body",
            GetJob,
            |_| {
                json(
                    404,
                    r#"{"message":"job not found","code":"not.found","status":404}"#,
                )
            },
            "Api{404, not.found, corr-404}",
            api(404, Some("not.found"), Some("corr-404")),
        ),
        case(
            "404 error body with nulls",
            GetJob,
            |_| {
                json(
                    404,
                    r#"{"message":null,"code":null,"status":null,"details":[]}"#,
                )
            },
            "Api{404, no code, corr-404}",
            api(404, None, Some("corr-404")),
        ),
        case(
            "400 error body with wrong types",
            GetJob,
            |_| json(400, r#"{"message":["a"],"code":5}"#),
            "Decode{400}",
            decode(Some(400), "code"),
        ),
        case(
            "418 unknown status with error body",
            GetJob,
            |_| json(418, r#"{"message":"teapot","code":"i.am.a.teapot"}"#),
            "Api{418, i.am.a.teapot}",
            api(418, Some("i.am.a.teapot"), Some("corr-418")),
        ),
        case(
            "599 (the policy's placeholder status) from the server",
            GetJob,
            |_| resp(599, &[], "odd"),
            "Decode{599}",
            decode(Some(599), "odd"),
        ),
        case(
            "502 gateway HTML",
            GetJob,
            |_| resp(502, &[HTML, ("inin-correlation-id", "gw-1")], GATEWAY_HTML),
            "Decode{502, corr gw-1, excerpt has Bad Gateway, retryable}",
            |r: &Outcome| {
                decode(Some(502), "Bad Gateway")(r)
                    && r.as_ref()
                        .err()
                        .is_some_and(|e| e.is_retryable() && e.correlation_id() == Some("gw-1"))
            },
        ),
        case(
            "503 gateway HTML, retried 3 times",
            GetJob,
            |_| {
                resp(
                    503,
                    &[HTML],
                    "<html><body>Service Unavailable</body></html>",
                )
            },
            "Decode{503} after 3 attempts",
            decode(Some(503), "Service Unavailable"),
        )
        .retry(fast(3), Some(3)),
        case(
            "401 HTML",
            GetJob,
            |_| resp(401, &[HTML], "<html>Unauthorized</html>"),
            "Auth{401}",
            auth(401),
        ),
        case(
            "403 HTML",
            GetJob,
            |_| resp(403, &[HTML], "<html>Forbidden</html>"),
            "Auth{403, required permission named}",
            |r: &Outcome| matches!(r, Err(Error::Auth(a)) if a.status == 403 && a.required_permission.is_some()),
        ),
        case(
            "429 with a garbage Retry-After, 3 attempts",
            GetJob,
            |_| {
                resp(
                    429,
                    &[JSON, ("Retry-After", "soon-ish!!")],
                    r#"{"message":"slow down","code":"too.many.requests"}"#,
                )
            },
            "Api{429} after 3 attempts",
            api(429, Some("too.many.requests"), None),
        )
        .retry(fast(3), Some(3)),
        case(
            "429 with Retry-After of 30 years",
            GetJob,
            |_| {
                resp(
                    429,
                    &[JSON, ("Retry-After", "999999999")],
                    r#"{"code":"too.many.requests"}"#,
                )
            },
            "Api{429} after 2 attempts (Retry-After capped)",
            api(429, Some("too.many.requests"), None),
        )
        .retry(fast(2), Some(2)),
        case(
            "204 on a job get",
            GetJob,
            |_| resp(204, &[], ""),
            "Decode{204}",
            decode(Some(204), ""),
        ),
        case(
            "non-UTF-8 correlation id header",
            GetJob,
            |_| {
                let body = br#"{"code":"not.found"}"#;
                let mut out = head(404, &[JSON], Some(body.len()));
                // Splice a header with raw 0xFF 0xFE bytes in before the blank line.
                let at = out.len() - 2;
                out.splice(at..at, b"inin-correlation-id: \xff\xfe\r\n".iter().copied());
                out.extend_from_slice(body);
                Script::Raw(out)
            },
            "Api{404, not.found}, no correlation id",
            api(404, Some("not.found"), None),
        ),
        // --- redirects: never followed, the token never leaves
        case(
            "301 to another host",
            GetJob,
            |other| {
                resp(
                    301,
                    &[(
                        "Location",
                        &format!("{other}/api/v2/infrastructureascode/jobs/j-1"),
                    )],
                    "",
                )
            },
            "Decode{301}; other host gets nothing",
            decode(Some(301), ""),
        ),
        case(
            "302 to another host",
            History,
            |other| resp(302, &[("Location", &format!("{other}/steal"))], "moved"),
            "Decode{302}; other host gets nothing",
            decode(Some(302), "moved"),
        ),
        case(
            "307 to another host on submit",
            Submit,
            |other| {
                resp(
                    307,
                    &[(
                        "Location",
                        &format!("{other}/api/v2/infrastructureascode/jobs"),
                    )],
                    "",
                )
            },
            "UnknownOutcome{307}; other host gets nothing",
            unknown(Some(307)),
        ),
        case(
            "308 to the same host",
            GetJob,
            |_| {
                resp(
                    308,
                    &[("Location", "/api/v2/infrastructureascode/jobs/elsewhere")],
                    "",
                )
            },
            "Decode{308}; one request only",
            decode(Some(308), ""),
        ),
        // --- framing and transport
        case(
            "Content-Length larger than the body, then close",
            GetJob,
            |_| {
                let body = br#"{"id":"j-1","dryRun""#;
                let mut out = head(200, &[JSON], Some(1000));
                out.extend_from_slice(body);
                Script::Raw(out)
            },
            "Transport",
            transport,
        ),
        case(
            "conflicting Content-Length headers",
            GetJob,
            |_| {
                let mut out =
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n".to_vec();
                out.extend_from_slice(job_body("").as_bytes());
                Script::Raw(out)
            },
            "Transport",
            transport,
        ),
        case(
            "garbage status line",
            GetJob,
            |_| Script::Raw(b"HTTP/1.1 abc def\r\n\r\n".to_vec()),
            "Transport",
            transport,
        ),
        case(
            "not HTTP at all",
            GetJob,
            |_| Script::Raw(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()),
            "Transport",
            transport,
        ),
        case(
            "connection closed without a reply",
            GetJob,
            |_| Script::Raw(Vec::new()),
            "Transport",
            transport,
        ),
        case(
            "a 2 MiB header",
            GetJob,
            |_| resp(200, &[JSON, ("X-Junk", &"j".repeat(2 << 20))], job_body("")),
            "Transport (header too large)",
            transport,
        ),
        case(
            "never answers",
            GetJob,
            |_| Script::Hang,
            "Timeout",
            timeout,
        )
        .timeout(Duration::from_millis(500)),
        case(
            "never answers, retried twice",
            History,
            |_| Script::Hang,
            "Timeout after 2 attempts",
            timeout,
        )
        .timeout(Duration::from_millis(300))
        .retry(fast(2), Some(2)),
        case(
            "status line dripped a byte at a time",
            GetJob,
            |_| Script::Drip {
                prefix: b"HTTP/1.1 200 OK\r\nX-Slow: ".to_vec(),
                drip: b'a',
                every: Duration::from_millis(50),
            },
            "Timeout",
            timeout,
        )
        .timeout(Duration::from_millis(500)),
        case(
            "body dripped a byte at a time",
            GetJob,
            |_| Script::Drip {
                prefix: head(200, &[JSON], None),
                drip: b' ',
                every: Duration::from_millis(50),
            },
            "Timeout",
            timeout,
        )
        .timeout(Duration::from_millis(500)),
        case(
            "body with a declared length dripped a byte at a time",
            GetJob,
            |_| Script::Drip {
                prefix: head(200, &[JSON], Some(4096)),
                drip: b' ',
                every: Duration::from_millis(50),
            },
            "Timeout",
            timeout,
        )
        .timeout(Duration::from_millis(500)),
        case(
            "error body with a declared length dripped, on submit",
            Submit,
            |_| Script::Drip {
                prefix: head(500, &[JSON], Some(4096)),
                drip: b' ',
                every: Duration::from_millis(50),
            },
            "UnknownOutcome (body timed out), one attempt",
            unknown(None),
        )
        .timeout(Duration::from_millis(500))
        .retry(fast(3), Some(1)),
        case(
            "declared length within the limit, body cut short",
            History,
            |_| {
                let mut out = head(200, &[JSON], Some(LIMIT - 1));
                out.extend_from_slice(b"[{\"id\":\"a\",\"dryRun\":false}");
                Script::Raw(out)
            },
            "Transport",
            transport,
        ),
        case(
            "401 HTML with a declared length, static token",
            History,
            |_| {
                resp(
                    401,
                    &[HTML, ("inin-correlation-id", "c-401")],
                    "<html>401</html>",
                )
            },
            "Auth{401, corr c-401}",
            |r: &Outcome| matches!(r, Err(Error::Auth(a)) if a.status == 401 && a.correlation_id.as_deref() == Some("c-401")),
        ),
        // --- body size limit
        case(
            "body over the limit, with Content-Length",
            GetJob,
            |_| {
                json(
                    200,
                    job_body(&format!(r#","results":"{}""#, "r".repeat(100_000))),
                )
            },
            "BodyTooLarge{65536}",
            too_large,
        ),
        case(
            "body over the limit, close-delimited",
            GetJob,
            |_| {
                let mut out = head(200, &[JSON], None);
                out.extend_from_slice(
                    job_body(&format!(r#","results":"{}""#, "r".repeat(100_000))).as_bytes(),
                );
                Script::Raw(out)
            },
            "BodyTooLarge{65536}",
            too_large,
        ),
        case(
            "body over the limit, chunked",
            History,
            |_| {
                let mut out = head(200, &[JSON, ("Transfer-Encoding", "chunked")], None);
                let body = format!(
                    "[{}]",
                    job_body(&format!(r#","results":"{}""#, "r".repeat(100_000)))
                );
                for piece in body.as_bytes().chunks(8192) {
                    out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                    out.extend_from_slice(piece);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
                Script::Raw(out)
            },
            "BodyTooLarge{65536}",
            too_large,
        ),
        case(
            "endless chunked body",
            GetJob,
            |_| Script::Endless {
                head: head(200, &[JSON, ("Transfer-Encoding", "chunked")], None),
                chunked: true,
            },
            "BodyTooLarge; reading stopped",
            too_large,
        )
        .max_written(256 << 20),
        case(
            "endless close-delimited body",
            History,
            |_| Script::Endless {
                head: head(200, &[JSON], None),
                chunked: false,
            },
            "BodyTooLarge; reading stopped",
            too_large,
        )
        .max_written(256 << 20),
        case(
            "endless body announcing 1 TiB",
            GetJob,
            |_| Script::Endless {
                head: head(200, &[JSON], Some(1 << 40)),
                chunked: false,
            },
            "BodyTooLarge (Content-Length checked first)",
            too_large,
        )
        .max_written(256 << 20),
        case(
            "500 error page over the limit",
            GetJob,
            |_| resp(500, &[HTML], "e".repeat(LIMIT + 1)),
            "BodyTooLarge",
            too_large,
        ),
        // --- history shapes
        case(
            "history: entity listing",
            History,
            |_| {
                json(
                    200,
                    format!(
                        r#"{{"entities":[{},{}],"pageSize":2,"total":2}}"#,
                        job_body(""),
                        job_body("")
                    ),
                )
            },
            "Ok(2 jobs)",
            jobs(|j| j.len() == 2),
        ),
        case(
            "history: bare array with unknown statuses",
            History,
            |_| {
                json(
                    200,
                    r#"[{"id":"a","dryRun":true,"status":"Frozen"},{"id":"b","dryRun":false}]"#,
                )
            },
            "Ok(2 jobs, Unknown statuses)",
            jobs(|j| j.len() == 2 && j[0].status() == &JobStatus::Unknown("Frozen".into())),
        ),
        case(
            "history: a single job object",
            History,
            |_| json(200, job_body("")),
            "Ok(1 job)",
            jobs(|j| j.len() == 1 && j[0].id() == "j-1"),
        ),
        case(
            "history: empty body",
            History,
            |_| json(200, ""),
            "Ok(empty)",
            jobs(<[Job]>::is_empty),
        ),
        case(
            "history: {}",
            History,
            |_| json(200, "{}"),
            "Ok(empty)",
            jobs(<[Job]>::is_empty),
        ),
        case(
            "history: null",
            History,
            |_| json(200, "null"),
            "Ok(empty)",
            jobs(<[Job]>::is_empty),
        ),
        case(
            "history: 204 No Content",
            History,
            |_| resp(204, &[], ""),
            "Ok(empty)",
            jobs(<[Job]>::is_empty),
        ),
        case(
            "history: entities of the wrong type",
            History,
            |_| json(200, r#"{"entities":"none","total":0}"#),
            "Decode{200}",
            decode(Some(200), "entities"),
        ),
        case(
            "history: array with a null entry",
            History,
            |_| json(200, "[null]"),
            "Decode{200}",
            decode(Some(200), "[null]"),
        ),
        // --- submit
        case(
            "submit: valid job",
            Submit,
            |_| json(200, job_body("")),
            "Ok",
            job(|j| j.id() == "j-1"),
        ),
        case(
            "submit: truncated 200",
            Submit,
            |_| json(200, r#"{"id":"j-"#),
            "UnknownOutcome{200}",
            unknown(Some(200)),
        ),
        case(
            "submit: 502 gateway HTML",
            Submit,
            |_| resp(502, &[HTML], GATEWAY_HTML),
            "UnknownOutcome{502}, one attempt",
            unknown(Some(502)),
        )
        .retry(fast(3), Some(1)),
        case(
            "submit: 400 JSON error",
            Submit,
            |_| {
                json(
                    400,
                    r#"{"message":"unknown accelerator","code":"bad.request"}"#,
                )
            },
            "Api{400, bad.request}",
            api(400, Some("bad.request"), Some("corr-400")),
        ),
        case(
            "submit: closed after reading the request",
            Submit,
            |_| Script::Raw(Vec::new()),
            "UnknownOutcome{no status}, one attempt",
            unknown(None),
        )
        .retry(fast(3), Some(1)),
        case(
            "submit: never answers",
            Submit,
            |_| Script::Hang,
            "UnknownOutcome{no status}, one attempt",
            unknown(None),
        )
        .timeout(Duration::from_millis(500))
        .retry(fast(3), Some(1)),
    ]
}

async fn run(client: Client, call: Call) -> Outcome {
    match call {
        Call::GetJob => client
            .job("j-1")
            .send()
            .await
            .map(|j| Out::Job(Box::new(j))),
        Call::History => client.history().limit(5).send().await.map(Out::Jobs),
        Call::Submit => client
            .submit(
                &JobSpec::builder("hello-world")
                    .parameter("a", "1")
                    .build()?,
            )
            .await
            .map(|j| Out::Job(Box::new(j))),
    }
}

/// Checks one case; returns what went wrong, if anything.
async fn check(c: &Case) -> Option<String> {
    let other = serve("127.0.0.2", json(200, job_body(""))).await;
    let server = serve("127.0.0.1", (c.script)(&other.url)).await;
    let client = Client::builder()
        .base_url(&server.url)
        .access_token(TOKEN)
        .retry_policy(c.retry.clone())
        .request_timeout(c.timeout)
        .connect_timeout(Duration::from_secs(5))
        .max_body_bytes(c.max_body)
        .build()
        .unwrap();
    let task = tokio::spawn(run(client, c.call));
    // "Returns rather than hangs": generous, not a performance assertion.
    let out = match tokio::time::timeout(Duration::from_secs(30), task).await {
        Err(_) => return Some("did not return within 30 s".into()),
        Ok(Err(e)) if e.is_panic() => return Some(format!("PANICKED: {e}")),
        Ok(Err(e)) => return Some(format!("task failed: {e}")),
        Ok(Ok(out)) => out,
    };
    let mut problems = Vec::new();
    if !(c.check)(&out) {
        problems.push(format!("got {out:?}"));
    }
    if let Err(e) = &out {
        let shown = format!("{e} {e:?}");
        if shown.contains(TOKEN) {
            problems.push("the error shows the token".into());
        }
        if let Error::Decode { excerpt, .. } = e
            && excerpt.chars().count() > 201
        {
            problems.push(format!("excerpt of {} chars", excerpt.chars().count()));
        }
    }
    // The server records a request once it has read it, which on a loaded
    // machine can be a moment after the client gave up on it: wait (up to
    // 5 s) for the expected count before comparing.
    if let Some(n) = c.hits {
        let deadline = Instant::now() + Duration::from_secs(5);
        while server.hits().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let hits = server.hits();
    if let Some(n) = c.hits
        && hits.len() != n
    {
        problems.push(format!("server got {} requests, expected {n}", hits.len()));
    }
    for h in &hits {
        if h.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            problems.push(format!("request without the bearer token: {h:?}"));
        }
    }
    let stolen = other.hits();
    if !stolen.is_empty() {
        problems.push(format!(
            "the other host got {} request(s); Authorization: {:?}",
            stolen.len(),
            stolen
                .iter()
                .map(|h| h.header("authorization"))
                .collect::<Vec<_>>()
        ));
    }
    if let Some(max) = c.max_written {
        // Give the writer a moment to notice the closed connection.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let w = server.written.load(Ordering::Relaxed);
        if w > max {
            problems.push(format!(
                "the server wrote {w} bytes before the client stopped"
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_responses_give_typed_outcomes() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let problem = check(c).await;
        let verdict = problem.as_deref().unwrap_or("ok");
        println!(
            "{:<55} {:<8?} expect {:<45} {verdict}",
            c.name, c.call, c.expect
        );
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The predicates can fail: a valid job is not a Decode error, and so on.
#[test]
fn predicates_are_not_vacuous() {
    let err: Outcome = Err(Error::BodyTooLarge { limit: LIMIT });
    assert!(too_large(&err));
    assert!(!timeout(&err));
    assert!(!transport(&err));
    assert!(!decode(Some(200), "")(&err));
    assert!(!api(404, None, None)(&err));
    assert!(!auth(401)(&err));
    assert!(!unknown(None)(&err));
    assert!(!jobs(|_| true)(&err));
    assert!(!job(|_| true)(&err));
    let d: Outcome = Err(Error::Decode {
        status: Some(200),
        correlation_id: None,
        excerpt: "abc".into(),
        reason: "r".into(),
    });
    assert!(decode(Some(200), "b")(&d));
    assert!(!decode(Some(200), "z")(&d));
    assert!(!decode(Some(502), "b")(&d));
}

/// The token endpoint is hostile too: a client-credentials client whose
/// login URL answers with these gets a typed error, in time, and never shows
/// the secret, the Basic credential or a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_token_endpoint_gives_typed_errors() {
    const SECRET: &str = "hostile-s3cr3t-VALUE";
    type Pred = fn(&Error) -> bool;
    let cases: Vec<(&str, Script, Pred)> = vec![
        (
            "200 HTML",
            resp(200, &[HTML], GATEWAY_HTML),
            |e| matches!(e, Error::Decode { status: Some(200), excerpt, .. } if excerpt.contains("Bad Gateway")),
        ),
        (
            "200 JSON without access_token (a token under another name)",
            json(
                200,
                r#"{"accessToken":"tok-under-another-name-123456","expires_in":10}"#,
            ),
            |e| matches!(e, Error::Decode { status: Some(200), excerpt, .. } if !excerpt.contains("tok-under")),
        ),
        (
            "200 with a token no header can carry",
            json(
                200,
                r#"{"access_token":"line\nbreak-token-123456","expires_in":10}"#,
            ),
            |e| matches!(e, Error::Config(m) if !m.contains("break-token")),
        ),
        (
            "401 echoing the secret",
            json(
                401,
                format!(
                    r#"{{"error":"invalid_client","error_description":"secret {SECRET} is wrong"}}"#
                ),
            ),
            |e| matches!(e, Error::Auth(a) if a.status == 401 && a.code.as_deref() == Some("invalid_client")),
        ),
        (
            "302 to another host",
            resp(302, &[("Location", "http://127.0.0.2:9/oauth/token")], ""),
            |e| matches!(e, Error::Auth(a) if a.status == 302),
        ),
        ("never answers", Script::Hang, |e| {
            matches!(e, Error::Timeout(_))
        }),
        (
            "endless body",
            Script::Endless {
                head: head(200, &[JSON], None),
                chunked: false,
            },
            |e| matches!(e, Error::BodyTooLarge { .. }),
        ),
        ("closed without a reply", Script::Raw(Vec::new()), |e| {
            matches!(e, Error::Transport(_))
        }),
    ];
    let mut failures = Vec::new();
    for (name, script, pred) in cases {
        let server = serve("127.0.0.1", script).await;
        let client = Client::builder()
            .base_url(&server.url)
            .client_credentials("hostile-client", SECRET)
            .retry_policy(RetryPolicy::none())
            .request_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let task = tokio::spawn(async move { client.job("j-1").send().await });
        let out = match tokio::time::timeout(Duration::from_secs(30), task).await {
            Err(_) => {
                failures.push(format!("{name}: did not return within 30 s"));
                continue;
            }
            Ok(Err(e)) => {
                failures.push(format!("{name}: task failed (panic?): {e}"));
                continue;
            }
            Ok(Ok(out)) => out,
        };
        let verdict = match &out {
            Ok(j) => Some(format!("unexpected Ok({j:?})")),
            Err(e) if !pred(e) => Some(format!("got {e:?}")),
            Err(e) if format!("{e} {e:?}").contains(SECRET) => {
                Some(format!("the secret shows: {e}"))
            }
            Err(_) => None,
        };
        let hits = server.hits();
        let api_calls = hits.iter().filter(|h| h.path() != "/oauth/token").count();
        let verdict = verdict.or_else(|| {
            (api_calls != 0).then(|| format!("{api_calls} API call(s) without a token"))
        });
        println!(
            "token endpoint: {name:<60} {}",
            verdict.as_deref().unwrap_or("ok")
        );
        if let Some(v) = verdict {
            failures.push(format!("{name}: {v}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
