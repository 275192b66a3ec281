//! Shared test helpers: the simulator, a client for it, a scripted HTTP
//! server for hostile responses, and a tracing capture.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_iac::{Client, ClientBuilder, RetryPolicy};
use genesys_iac_sim::{SimHandle, Simulator, SimulatorBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;

pub const ID: &str = "sim-client";
pub const SECRET: &str = "sim-secret";

/// A simulator with fast lifecycle steps.
pub fn sim() -> SimulatorBuilder {
    Simulator::builder().step(Duration::from_millis(30)).seed(7)
}

pub async fn start(b: SimulatorBuilder) -> SimHandle {
    b.start().await.expect("simulator starts")
}

/// Fast retries, so tests do not sleep long.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .max_attempts(8)
}

pub fn builder(sim: &SimHandle) -> ClientBuilder {
    Client::builder()
        .base_url(sim.base_url())
        .client_credentials(ID, SECRET)
        .retry_policy(fast_retries())
}

/// A client with a static access token the simulator issued, and the token.
pub fn static_token_client(sim: &SimHandle) -> (Client, String) {
    let token = sim.issue_token(ID).unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .access_token(token.clone())
        .build()
        .unwrap();
    (client, token)
}

pub fn client(sim: &SimHandle) -> Client {
    builder(sim).build().expect("client builds")
}

// ------------------------------------------------------------------ scripted

/// One request the scripted server received.
#[derive(Clone, Debug)]
pub struct Hit {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// What the scripted server answers.
pub enum Reply {
    /// Status, extra headers, body.
    Http(u16, Vec<(String, String)>, Vec<u8>),
    /// Never answer.
    Hang,
    /// Close the connection without a reply.
    Close,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply::Http(
            status,
            vec![
                ("Content-Type".into(), "application/json".into()),
                ("inin-correlation-id".into(), format!("corr-{status}")),
            ],
            body.to_string().into_bytes(),
        )
    }
}

pub struct Scripted {
    pub url: String,
    pub hits: Arc<Mutex<Vec<Hit>>>,
}

impl Scripted {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.hits()
            .iter()
            .filter(|h| h.method == method && h.path().starts_with(path_prefix))
            .count()
    }
}

/// Starts a tiny HTTP/1.1 server answering each request with `f(hit, n)`,
/// where `n` counts earlier requests with the same method and path.
pub async fn scripted<F>(f: F) -> Scripted
where
    F: Fn(&Hit, usize) -> Reply + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
    let f = Arc::new(f);
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let hits = h.clone();
            let f = f.clone();
            tokio::spawn(async move {
                let Some(hit) = read_request(&mut sock).await else {
                    return;
                };
                let n = {
                    let mut hits = hits.lock().unwrap();
                    let n = hits
                        .iter()
                        .filter(|x| x.method == hit.method && x.path() == hit.path())
                        .count();
                    hits.push(hit.clone());
                    n
                };
                match f(&hit, n) {
                    Reply::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Reply::Close => {}
                    Reply::Http(status, headers, body) => {
                        let mut out = format!("HTTP/1.1 {status} X\r\n");
                        for (k, v) in &headers {
                            out.push_str(&format!("{k}: {v}\r\n"));
                        }
                        out.push_str(&format!(
                            "Content-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        ));
                        let _ = sock.write_all(out.as_bytes()).await;
                        let _ = sock.write_all(&body).await;
                        let _ = sock.shutdown().await;
                    }
                }
            });
        }
    });
    Scripted { url, hits }
}

/// A job in wire form.
pub fn job_json(id: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "dryRun": false,
        "acceleratorId": "hello-world",
        "status": status,
        "dateSubmitted": "2026-03-01T12:30:05.123Z",
        "submittedBy": {"id": "u-1", "selfUri": "/api/v2/users/u-1"},
        "selfUri": format!("/api/v2/infrastructureascode/jobs/{id}")
    })
}

/// A client for a scripted server, with a static token and no retries
/// unless given.
pub fn scripted_client(s: &Scripted, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(&s.url)
        .access_token("static-token-abc")
        .retry_policy(retry)
        .build()
        .unwrap()
}

// ------------------------------------------------------------------- tracing

/// Captures everything written by a tracing subscriber.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Reads one HTTP/1.1 request (head and a `Content-Length` body) from a
/// raw socket; `None` when the peer closes first.
pub async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Hit> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    Some(Hit {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    })
}
