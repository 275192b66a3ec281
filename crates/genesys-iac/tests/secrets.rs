//! Secret hygiene and path safety, against the simulator and a scripted
//! token endpoint, with everything traced at TRACE level and captured.
//!
//! - A known client secret, a static token, a token the simulator issued to
//!   someone else and a known client-credentials token never appear in the
//!   captured traces (events and span fields), in any `Debug` of the client,
//!   its builder or its errors, nor in any error message; no `Bearer` value
//!   and no `access_token` value is ever written.
//! - Awkward job ids reach the server as exactly one percent-encoded path
//!   segment of the get-job route, which answers a typed `404 not.found`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Capture, Reply, fast_retries, job_json, scripted};
use genesys_iac::{Client, Error, JobSpec, WaitOptions};
use genesys_iac_sim::{FaultProfile, OAuthClient, Simulator, routes};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;

const CLIENT_ID: &str = "secret-test-client";
const SECRET: &str = "s3cr3t-VALUE-xyz";
const WRONG_SECRET: &str = "wr0ng-s3cr3t-VALUE-abc";
/// The token the scripted login endpoint issues.
const KNOWN_TOKEN: &str = "KNOWN-cc-token-0123456789abcdefABCDEF";

/// A subscriber writing everything (every target, every level, span
/// open/close with their fields) into `capture`.
fn trace_everything(capture: &Capture) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(capture.clone())
            .with_ansi(false)
            .with_span_events(FmtSpan::FULL)
            .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
    )
}

use tracing_subscriber::Layer as _;

/// Every place a `Bearer` value would show: "bearer" followed by a value.
fn bearer_values(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("bearer") {
        let at = from + i + "bearer".len();
        let rest: String = text[at..]
            .chars()
            .skip_while(|c| matches!(c, ' ' | ':' | '"' | '='))
            .take_while(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/')
            })
            .collect();
        if !rest.is_empty() {
            out.push(text[from + i..at + rest.len().min(text.len() - at)].to_string());
        }
        from = at;
    }
    out
}

#[test]
fn the_bearer_scan_finds_values() {
    assert_eq!(bearer_values("x Bearer abc y").len(), 1);
    assert_eq!(bearer_values("authorization: \"bearer abc.def\"").len(), 1);
    assert!(bearer_values("Bearer [redacted] and bearer  ").is_empty());
    assert!(bearer_values("no such word").is_empty());
}

/// Fetches a token from the simulator's token endpoint, as any client would.
async fn fetch_token(sim: &genesys_iac_sim::SimHandle, id: &str, secret: &str) -> String {
    let resp = reqwest::Client::new()
        .post(sim.token_url())
        .basic_auth(id, Some(secret))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = resp.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

/// The tests of this file run one at a time: `tracing` caches per-callsite
/// interest process-wide, and a call made on another test thread (which has
/// no subscriber) while this one installs its scoped subscriber can leave
/// callsites disabled for it.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn secrets_never_reach_traces_debug_or_errors() {
    let _serial = SERIAL.lock().await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(trace_everything(&capture));

    let sim = Simulator::builder()
        .client(OAuthClient::new(CLIENT_ID, SECRET))
        .step(Duration::from_millis(20))
        .faults(FaultProfile {
            fail_rate: 0.2,
            ..Default::default()
        })
        .seed(11)
        .start()
        .await
        .unwrap();
    let mut shown: Vec<String> = Vec::new();

    // Client credentials, real calls that succeed and fail.
    let builder = Client::builder()
        .base_url(sim.base_url())
        .client_credentials(CLIENT_ID, SECRET)
        .retry_policy(fast_retries().max_attempts(20));
    shown.push(format!("{builder:?} {builder:#?}"));
    let client = builder.build().unwrap();
    let spec = JobSpec::builder("hello-world")
        .parameter("name", "secrets")
        .build()
        .unwrap();
    let job = client
        .submit_and_wait(
            &spec,
            WaitOptions::default().poll_interval(Duration::from_millis(20)),
        )
        .await
        .unwrap();
    client.history().limit(5).send().await.unwrap();
    let e = client.job("no-such-job").send().await.unwrap_err();
    assert!(matches!(&e, Error::Api(a) if a.status == 404), "{e:?}");
    shown.push(format!("{client:?} {client:#?} {e} {e:?}"));

    // A wrong secret: an Auth error that must not quote it.
    let bad = Client::builder()
        .base_url(sim.base_url())
        .client_credentials(CLIENT_ID, WRONG_SECRET)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let e = bad.job(job.id()).send().await.unwrap_err();
    assert!(matches!(&e, Error::Auth(_)), "{e:?}");
    shown.push(format!(
        "{bad:?} {e} {e:?} {:?}",
        std::error::Error::source(&e)
    ));
    let e = bad.submit(&spec).await.unwrap_err();
    shown.push(format!("{e} {e:?}"));

    // A static token, for calls that succeed and fail.
    let static_token = sim.issue_token(CLIENT_ID).unwrap();
    let builder = Client::builder()
        .base_url(sim.base_url())
        .access_token(static_token.clone())
        .retry_policy(fast_retries().max_attempts(20));
    shown.push(format!("{builder:?}"));
    let static_client = builder.build().unwrap();
    static_client
        .job(job.id())
        .details(true)
        .send()
        .await
        .unwrap();
    let e = static_client.job("missing").send().await.unwrap_err();
    shown.push(format!("{static_client:?} {e} {e:?}"));
    // A revoked-looking static token: refused, and not quoted.
    let revoked = Client::builder()
        .base_url(sim.base_url())
        .access_token(format!("{static_token}-tampered"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let e = revoked.job(job.id()).send().await.unwrap_err();
    assert!(matches!(&e, Error::Auth(a) if a.status == 401), "{e:?}");
    shown.push(format!("{revoked:?} {e} {e:?}"));
    // A token with characters no header allows: a Config error, not quoted.
    let e = Client::builder()
        .base_url(sim.base_url())
        .access_token(format!("{SECRET}\n"))
        .build()
        .unwrap_err();
    shown.push(format!("{e} {e:?}"));

    // A token issued to someone else, fetched the ordinary way.
    let other_token = fetch_token(&sim, CLIENT_ID, SECRET).await;

    // A scripted login endpoint issuing a known client-credentials token,
    // and one that echoes the secret back in its refusal.
    let known = scripted(|hit, _| {
        if hit.path() == "/oauth/token" {
            Reply::json(
                200,
                serde_json::json!({"access_token": KNOWN_TOKEN, "expires_in": 3600, "token_type": "bearer"}),
            )
        } else {
            Reply::json(200, job_json("j-1", "Complete"))
        }
    })
    .await;
    let known_client = Client::builder()
        .base_url(&known.url)
        .client_credentials(CLIENT_ID, SECRET)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    known_client.job("j-1").send().await.unwrap();
    known_client.job("j-1").send().await.unwrap();
    assert_eq!(
        known
            .hits()
            .iter()
            .filter(|h| h.path() != "/oauth/token")
            .count(),
        2
    );
    assert!(
        known
            .hits()
            .iter()
            .filter(|h| h.path() != "/oauth/token")
            .all(|h| h.header("authorization") == Some(&format!("Bearer {KNOWN_TOKEN}"))),
        "the known token was used"
    );
    shown.push(format!("{known_client:?}"));
    let echo = scripted(|hit, _| {
        let body = String::from_utf8_lossy(&hit.body).to_string();
        let auth = hit.header("authorization").unwrap_or_default().to_string();
        Reply::json(
            401,
            serde_json::json!({
                "error": "invalid_client",
                "error_description": format!("bad credentials {auth} for body {body} (secret {SECRET})"),
            }),
        )
    })
    .await;
    let e = Client::builder()
        .base_url(&echo.url)
        .client_credentials(CLIENT_ID, SECRET)
        .retry_policy(fast_retries())
        .build()
        .unwrap()
        .job("j-1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::Auth(a) if a.status == 401), "{e:?}");
    shown.push(format!("{e} {e:?}"));
    // A token endpoint answering with a token in an unexpected shape.
    let odd = scripted(|_, _| {
        Reply::json(
            200,
            serde_json::json!({"accessToken": KNOWN_TOKEN, "expires_in": "never"}),
        )
    })
    .await;
    let e = Client::builder()
        .base_url(&odd.url)
        .client_credentials(CLIENT_ID, SECRET)
        .retry_policy(fast_retries())
        .build()
        .unwrap()
        .job("j-1")
        .send()
        .await
        .unwrap_err();
    shown.push(format!("{e} {e:?}"));

    let text = capture.text();
    assert!(
        text.contains("genesys_iac.attempt"),
        "spans were captured: {}",
        &text[..text.len().min(3000)]
    );
    assert!(
        text.contains("genesys_iac.token"),
        "token spans were captured"
    );
    assert!(text.contains("correlation_id"), "span fields were captured");
    let everything = format!("{text}\n{}", shown.join("\n"));
    for (what, secret) in [
        ("client secret", SECRET),
        ("wrong client secret", WRONG_SECRET),
        ("static token", static_token.as_str()),
        ("token issued to another caller", other_token.as_str()),
        ("client-credentials token", KNOWN_TOKEN),
    ] {
        assert!(secret.len() >= 16, "{what} is long enough to be meaningful");
        if let Some(at) = everything.find(secret) {
            let from = everything[..at]
                .char_indices()
                .rev()
                .nth(200)
                .map_or(0, |(i, _)| i);
            panic!(
                "the {what} leaked: ...{}",
                &everything[from..at + secret.len()]
            );
        }
    }
    // The Basic credential of the token request (base64 of id:secret).
    let basic = reqwest::Client::new()
        .post("http://127.0.0.1:9/oauth/token")
        .basic_auth(CLIENT_ID, Some(SECRET))
        .build()
        .unwrap()
        .headers()["authorization"]
        .to_str()
        .unwrap()
        .trim_start_matches("Basic ")
        .to_string();
    assert!(!everything.contains(&basic), "the Basic credential leaked");
    let bearers = bearer_values(&everything);
    assert!(bearers.is_empty(), "bearer values leaked: {bearers:?}");
    for pattern in ["access_token\":\"", "access_token=", "access_token: \""] {
        assert!(
            !everything.contains(pattern),
            "an access_token value leaked ({pattern})"
        );
    }
    sim.shutdown().await;
}

// ------------------------------------------------------------------- paths

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[tokio::test]
async fn awkward_job_ids_reach_the_server_as_one_encoded_segment() {
    let _serial = SERIAL.lock().await;
    let sim = Simulator::builder().start().await.unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .access_token(sim.issue_token(genesys_iac_sim::DEFAULT_CLIENT_ID).unwrap())
        .build()
        .unwrap();
    let ids = [
        "../../x",
        "a/b",
        "%2e%2e",
        "%2E%2E%2Fx",
        "with space",
        "ünï",
        "?x=1",
        "#frag",
        "a%2Fb",
        "..%2f..",
        ";jsessionid=1",
        "x/",
        "/x",
        "../",
        "...",
        "tab\tand\nnewline",
        "quote\"and<angle>",
        "emoji🙂",
        "+plus&amp=",
        "%",
        "%zz",
    ];
    let prefix = "/api/v2/infrastructureascode/jobs/";
    for id in ids {
        let before = sim.recent_requests().len();
        let result = client.job(id).send().await;
        let new: Vec<_> = sim.recent_requests().into_iter().skip(before).collect();
        assert_eq!(new.len(), 1, "{id:?}: {new:?}");
        let req = &new[0];
        assert_eq!(req.method, "GET");
        assert_eq!(req.route, routes::GET_JOB, "{id:?} went to {req:?}");
        let path = req.raw_target.split('?').next().unwrap();
        let segment = path
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{id:?}: {req:?}"));
        assert!(
            !segment.is_empty() && !segment.contains('/'),
            "{id:?}: {segment:?}"
        );
        assert!(
            segment
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'\\')),
            "{id:?}: {segment:?} is not a clean encoded segment"
        );
        assert_eq!(
            percent_decode(segment).as_deref(),
            Some(id),
            "{id:?} arrived as {segment:?}"
        );
        match result {
            Err(Error::Api(a)) => {
                assert_eq!(a.status, 404, "{id:?}: {a:?}");
                assert_eq!(a.code.as_deref(), Some("not.found"), "{id:?}: {a:?}");
                assert!(a.correlation_id.is_some());
            }
            other => panic!("{id:?}: expected a typed 404, got {other:?}"),
        }
    }
    // Ids that are dot segments would be resolved away by any URL parser
    // (`/jobs/..` is `/infrastructureascode/`), and URL parsing turns `\`
    // into `/`: refused before sending, like empty ids.
    for id in [".", "..", " ", "", "a\\b", "..\\..\\x"] {
        let before = sim.recent_requests().len();
        let e = client.job(id).send().await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{id:?}: {e:?}");
        assert_eq!(sim.recent_requests().len(), before, "{id:?} was sent");
    }
    sim.shutdown().await;
}
