//! The HTTP side: accept loop, per-connection tasks, routing and handlers.
//!
//! Built on hyper directly (not axum) because two things need control below
//! a router: every rejection must be an `ErrorBody` with the request's
//! correlation id, and the reset faults must close the connection without
//! any reply. Each connection task owns a [`Notify`]; a handler that wants
//! the connection dropped signals it and never completes, and the task
//! drops the connection future, which closes the socket.

// Handlers return `Result<_, Response>`: the error *is* the HTTP answer,
// built once per request and moved out immediately; boxing it would only add
// an allocation per rejected request.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use genesys_iac_client::JobStatus;
use genesys_iac_client::types::{
    AcceleratorInput, ErrorBody, InfrastructureascodeJob, InfrastructureascodeJobEntityListing,
    JobSortBy, SortOrder,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::{PERMISSION_ADD, PERMISSION_VIEW};
use crate::state::{Fault, JOBS_PATH, JobRecord, Shared, TokenCheck, routes};

type Body = Full<Bytes>;

/// The largest request body accepted (1 MiB); larger gives 413.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// The largest `maxResults` accepted by the history operation.
pub(crate) const MAX_RESULTS: i32 = 100;
/// The most connections served at once; further ones wait in the listen
/// backlog until one closes (bounds memory under a connection flood).
pub(crate) const MAX_CONNECTIONS: usize = 4096;
/// How long a request body may take to arrive (as the header read timeout
/// bounds a slow header): a client that stops sending mid-body gets 408 and
/// its connection is closed, instead of holding a connection slot forever.
pub(crate) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request's headers may take to arrive, and how long an idle
/// connection stays open.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The name of the correlation header every response carries.
pub(crate) const CORRELATION_HEADER: &str = "inin-correlation-id";

/// Accepts connections until `shutdown` changes (or its sender is dropped),
/// then lets open connections finish for up to five seconds.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept(), if connections.len() < MAX_CONNECTIONS => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, shared.clone(), shutdown.clone()));
                }
                Err(error) => {
                    // Typically EMFILE: back off briefly instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        connections.abort_all();
    }
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let service = {
        let kill = kill.clone();
        service_fn(move |request| {
            let shared = shared.clone();
            let kill = kill.clone();
            async move { Ok::<_, Infallible>(handle(shared, kill, request).await) }
        })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => break,
            // Dropping the connection future closes the socket: no reply.
            _ = kill.notified() => break,
            _ = shutdown.changed(), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// What a handler decided.
enum Reply {
    Send(Response<Body>),
    /// Close the connection without a reply.
    Drop,
}

impl From<Response<Body>> for Reply {
    fn from(response: Response<Body>) -> Self {
        Reply::Send(response)
    }
}

#[derive(Debug)]
enum Route {
    Token,
    GetJob(String),
    ListJobs,
    PostJob,
    WrongMethod(&'static str),
    NotFound,
}

impl Route {
    fn classify(method: &Method, path: &str) -> Route {
        if path == "/oauth/token" {
            return if method == Method::POST {
                Route::Token
            } else {
                Route::WrongMethod("POST")
            };
        }
        if path == JOBS_PATH {
            return match *method {
                Method::GET => Route::ListJobs,
                Method::POST => Route::PostJob,
                _ => Route::WrongMethod("GET, POST"),
            };
        }
        if let Some(id) = path
            .strip_prefix(JOBS_PATH)
            .and_then(|rest| rest.strip_prefix('/'))
            && !id.is_empty()
            && !id.contains('/')
        {
            return if method == Method::GET {
                Route::GetJob(id.to_string())
            } else {
                Route::WrongMethod("GET")
            };
        }
        Route::NotFound
    }

    fn index(&self) -> usize {
        match self {
            Route::Token => 0,
            Route::GetJob(_) => 1,
            Route::ListJobs => 2,
            Route::PostJob => 3,
            Route::WrongMethod(_) | Route::NotFound => 4,
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    kill: Arc<Notify>,
    request: Request<Incoming>,
) -> Response<Body> {
    let cid = crate::state::random_uuid().to_string();
    let route = Route::classify(request.method(), request.uri().path());
    shared.stats.request(route.index());
    let raw_target = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    shared.record(
        request.method().as_str(),
        raw_target,
        routes::ALL[route.index()],
    );
    tracing::debug!(method = %request.method(), target = raw_target, cid, "request");

    // A request body the handler may leave unread (every rejection, and
    // any body sent to a GET): see `Connection: close` below.
    let has_body = !request.body().is_end_stream();
    let reads_body = matches!(route, Route::Token | Route::PostJob);

    let latency = shared.config.faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let reply = match route {
        Route::Token => token(&shared, request, &cid).await,
        Route::GetJob(id) => get_job(&shared, &request, &id, &cid),
        Route::ListJobs => list_jobs(&shared, &request, &cid),
        Route::PostJob => post_job(&shared, request, &cid).await,
        Route::WrongMethod(allow) => {
            let mut response = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method.not.allowed",
                format!(
                    "The method {} is not allowed here; allowed: {allow}",
                    request.method()
                ),
                &cid,
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            Reply::Send(response)
        }
        Route::NotFound => Reply::Send(error(
            StatusCode::NOT_FOUND,
            "not.found",
            format!(
                "The requested resource {} was not found.",
                request.uri().path()
            ),
            &cid,
        )),
    };
    match reply {
        Reply::Send(mut response) => {
            if let Ok(value) = HeaderValue::from_str(&cid) {
                response.headers_mut().insert(CORRELATION_HEADER, value);
            }
            // Only a success of the token and job POST operations has read
            // the whole body. Otherwise hyper drains what has already
            // arrived and, when more is due, closes the connection after
            // the reply, without saying so: a keep-alive client would then
            // send its next request into a closed socket. Saying
            // `Connection: close` makes the client open a new one instead.
            if has_body && !(reads_body && response.status().is_success()) {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
        Reply::Drop => {
            kill.notify_one();
            std::future::pending().await
        }
    }
}

// ---------------------------------------------------------------- responses

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes_response(status, Bytes::from(bytes)),
        Err(_) => {
            let mut response =
                Response::new(Full::new(Bytes::from_static(b"serialization failed")));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}

/// A response with a body already serialized as JSON.
fn json_bytes_response(status: StatusCode, json: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(json));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An `ErrorBody` response.
fn error(status: StatusCode, code: &str, message: impl Into<String>, cid: &str) -> Response<Body> {
    let body = ErrorBody {
        code: Some(code.to_string()),
        context_id: Some(cid.to_string()),
        message: Some(message.into()),
        status: Some(i32::from(status.as_u16())),
        ..ErrorBody::default()
    };
    json_response(status, &body)
}

fn service_unavailable(cid: &str) -> Response<Body> {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "service.unavailable",
        "Service Unavailable - The server is currently unavailable (simulated fault).",
        cid,
    )
}

fn html_response(status: StatusCode) -> Response<Body> {
    let title = match status.as_u16() {
        503 => "503 Service Temporarily Unavailable",
        _ => "500 Internal Server Error",
    };
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// The `fail_rate` fault: a 500 or 503, half of them with an HTML body.
fn gateway_fault(shared: &Shared, cid: &str) -> Option<Response<Body>> {
    if !shared.fires(shared.config.faults.fail_rate) {
        return None;
    }
    let status = if shared.draw() < 0.5 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if shared.draw() < 0.5 {
        shared.stats.fault(Fault::Html);
        return Some(html_response(status));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        shared.stats.fault(Fault::Fail503);
        Some(service_unavailable(cid))
    } else {
        shared.stats.fault(Fault::Fail500);
        Some(error(
            status,
            "internal.server.error",
            "The server encountered an unexpected condition which prevented it from fulfilling the request (simulated fault).",
            cid,
        ))
    }
}

// --------------------------------------------------------------------- auth

/// Checks the bearer token; returns the client index.
fn authenticate(shared: &Shared, headers: &HeaderMap, cid: &str) -> Result<usize, Response<Body>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
            cid,
        ));
    };
    match shared.check_token(token) {
        TokenCheck::Valid(client) => Ok(client),
        TokenCheck::Expired => Err(error(
            StatusCode::UNAUTHORIZED,
            "credentials.expired",
            "The supplied credentials are expired and cannot be used.",
            cid,
        )),
        TokenCheck::Unknown => Err(error(
            StatusCode::UNAUTHORIZED,
            "bad.credentials",
            "Invalid login credentials.",
            cid,
        )),
    }
}

/// Authenticates, applies the rate limit, then checks `permission`.
fn authorize(
    shared: &Shared,
    headers: &HeaderMap,
    permission: &str,
    cid: &str,
) -> Result<usize, Response<Body>> {
    let client = authenticate(shared, headers, cid)?;
    if let Err(seconds) = shared.take_rate(client) {
        shared.stats.fault(Fault::RateLimited);
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests",
            format!("Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds"),
            cid,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return Err(response);
    }
    let holds = shared
        .config
        .clients
        .get(client)
        .is_some_and(|c| c.has_permission(permission));
    if !holds {
        return Err(error(
            StatusCode::FORBIDDEN,
            "missing.permissions",
            format!(
                "Unable to perform the requested action. You are missing the following permission(s): [{permission}]"
            ),
            cid,
        ));
    }
    Ok(client)
}

// -------------------------------------------------------------------- query

/// Query parameters, decoded; the first occurrence of a name wins; empty
/// values count as absent; unknown names are ignored.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn bool(&self, name: &str, cid: &str) -> Result<bool, Response<Body>> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(invalid_value(name, v, "true or false", cid)),
        }
    }

    /// A value that must be one of `allowed` (matched case-insensitively).
    fn one_of<'a>(
        &self,
        name: &str,
        allowed: &[&'a str],
        cid: &str,
    ) -> Result<Option<&'a str>, Response<Body>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(v))
                .map(|a| Some(*a))
                .ok_or_else(|| {
                    invalid_value(name, v, &format!("one of {}", allowed.join(", ")), cid)
                }),
        }
    }
}

fn invalid_value(name: &str, value: &str, expected: &str, cid: &str) -> Response<Body> {
    let mut body = ErrorBody {
        code: Some("invalid.value".into()),
        context_id: Some(cid.to_string()),
        message: Some(format!(
            "Value [{value}] is not valid for field type [{name}]. Expected {expected}."
        )),
        message_with_params: Some("Value [{value}] is not valid for field type [{field}].".into()),
        status: Some(400),
        ..ErrorBody::default()
    };
    body.message_params
        .insert("value".into(), value.to_string());
    body.message_params.insert("field".into(), name.to_string());
    json_response(StatusCode::BAD_REQUEST, &body)
}

// ----------------------------------------------------------------- handlers

fn get_job(shared: &Shared, request: &Request<Incoming>, id: &str, cid: &str) -> Reply {
    get_job_inner(shared, request, id, cid).unwrap_or_else(Reply::Send)
}

/// What every GET goes through first, as the service's gateway and auth
/// would: injected gateway faults, dropped connections, then the bearer
/// token and the view permission. `Some(reply)` answers the request now.
fn get_prelude(
    shared: &Shared,
    request: &Request<Incoming>,
    cid: &str,
) -> Result<Option<Reply>, Response<Body>> {
    if let Some(response) = gateway_fault(shared, cid) {
        return Ok(Some(response.into()));
    }
    if shared.fires(shared.config.faults.reset_rate) {
        shared.stats.fault(Fault::Reset);
        return Ok(Some(Reply::Drop));
    }
    authorize(shared, request.headers(), PERMISSION_VIEW, cid)?;
    Ok(None)
}

fn get_job_inner(
    shared: &Shared,
    request: &Request<Incoming>,
    id: &str,
    cid: &str,
) -> Result<Reply, Response<Body>> {
    if let Some(reply) = get_prelude(shared, request, cid)? {
        return Ok(reply);
    }
    let query = Query::parse(request.uri().query());
    let details = query.bool("details", cid)?;
    let job = {
        let jobs = shared.jobs.read().unwrap_or_else(PoisonError::into_inner);
        jobs.by_id.get(id).map(|job| {
            let now = Instant::now();
            if details {
                serde_json::to_vec(&job.to_wire(job.status_at(now, shared.config.step), true, true))
                    .map(Bytes::from)
            } else {
                job.plain_wire_json(now, shared.config.step)
            }
        })
    };
    match job {
        Some(Ok(json)) => Ok(json_bytes_response(StatusCode::OK, json).into()),
        Some(Err(_)) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal.server.error",
            "The job could not be serialized",
            cid,
        )),
        None => {
            let mut body = ErrorBody {
                code: Some("not.found".into()),
                context_id: Some(cid.to_string()),
                message: Some(format!("Job {id} not found")),
                status: Some(404),
                ..ErrorBody::default()
            };
            body.entity_id = Some(id.to_string());
            Err(json_response(StatusCode::NOT_FOUND, &body))
        }
    }
}

const SORT_BY: [&str; 5] = [
    "id",
    "dateSubmitted",
    "submittedBy",
    "status",
    "acceleratorId",
];
const SORT_ORDER: [&str; 2] = ["asc", "desc"];

fn list_jobs(shared: &Shared, request: &Request<Incoming>, cid: &str) -> Reply {
    list_jobs_inner(shared, request, cid).unwrap_or_else(Reply::Send)
}

fn list_jobs_inner(
    shared: &Shared,
    request: &Request<Incoming>,
    cid: &str,
) -> Result<Reply, Response<Body>> {
    if let Some(reply) = get_prelude(shared, request, cid)? {
        return Ok(reply);
    }
    let query = Query::parse(request.uri().query());

    let max_results = match query.get("maxResults") {
        None => None,
        Some(v) => match v.parse::<i32>() {
            Ok(n) if (1..=MAX_RESULTS).contains(&n) => Some(n),
            _ => {
                return Err(invalid_value(
                    "maxResults",
                    v,
                    &format!("an integer from 1 to {MAX_RESULTS}"),
                    cid,
                ));
            }
        },
    };
    let include_errors = query.bool("includeErrors", cid)?;
    let sort_by: JobSortBy = query
        .one_of("sortBy", &SORT_BY, cid)?
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let sort_order: SortOrder = query
        .one_of("sortOrder", &SORT_ORDER, cid)?
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let known: Vec<&str> = JobStatus::KNOWN.iter().map(JobStatus::as_str).collect();
    let status_filter = query
        .one_of("status", &known, cid)?
        .map(JobStatus::from_wire);
    let accelerator_filter = query.get("acceleratorId");
    let submitter_filter = query.get("submittedBy");

    let limit = usize::try_from(max_results.unwrap_or(1)).unwrap_or(1);
    let now = Instant::now();
    let step = shared.config.step;
    let (total, page): (usize, Vec<InfrastructureascodeJob>) = {
        let jobs = shared.jobs.read().unwrap_or_else(PoisonError::into_inner);
        let matching = |job: &&JobRecord| {
            accelerator_filter.is_none_or(|a| job.accelerator_id == a)
                && submitter_filter.is_none_or(|s| job.user_id == s)
        };
        // Oldest first; `dateSubmitted` order is insertion order.
        let candidates = jobs
            .order
            .iter()
            .filter_map(|id| jobs.by_id.get(id))
            .filter(matching);
        let mut selected: Vec<(&JobRecord, JobStatus)> = candidates
            .map(|job| (job, job.status_at(now, step)))
            .filter(|(_, status)| status_filter.as_ref().is_none_or(|f| status == f))
            .collect();
        match sort_by {
            JobSortBy::DateSubmitted => {}
            JobSortBy::Id => selected.sort_by(|a, b| a.0.id.cmp(&b.0.id)),
            JobSortBy::SubmittedBy => selected.sort_by(|a, b| a.0.user_id.cmp(&b.0.user_id)),
            JobSortBy::Status => selected.sort_by(|a, b| a.1.as_str().cmp(b.1.as_str())),
            JobSortBy::AcceleratorId => {
                selected.sort_by(|a, b| a.0.accelerator_id.cmp(&b.0.accelerator_id));
            }
        }
        if sort_order == SortOrder::Desc {
            selected.reverse();
        }
        let total = selected.len();
        let page = selected
            .into_iter()
            .take(limit)
            .map(|(job, status)| job.to_wire(status, false, include_errors))
            .collect();
        (total, page)
    };

    let single = max_results.is_none_or(|n| n == 1);
    if single && let Some(job) = page.first() {
        return Ok(json_response(StatusCode::OK, job).into());
    }
    let page_size = max_results.unwrap_or(1);
    let total_i64 = i64::try_from(total).unwrap_or(i64::MAX);
    let page_count =
        i32::try_from(total.div_ceil(usize::try_from(page_size).unwrap_or(1))).unwrap_or(i32::MAX);
    let listing = InfrastructureascodeJobEntityListing {
        entities: page,
        first_uri: None,
        last_uri: None,
        next_uri: None,
        page_count: Some(page_count),
        page_number: Some(1),
        page_size: Some(page_size),
        previous_uri: None,
        self_uri: None,
        total: Some(total_i64),
    };
    Ok(json_response(StatusCode::OK, &listing).into())
}

async fn read_body(body: Incoming, cid: &str) -> Result<Bytes, Response<Body>> {
    let collect = Limited::new(body, MAX_BODY).collect();
    let Ok(collected) = tokio::time::timeout(BODY_READ_TIMEOUT, collect).await else {
        return Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "request.timeout",
            format!(
                "The request body was not received within {} seconds.",
                BODY_READ_TIMEOUT.as_secs()
            ),
            cid,
        ));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large(cid))
        }
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            "bad.request",
            format!("The request body could not be read: {e}"),
            cid,
        )),
    }
}

fn too_large(cid: &str) -> Response<Body> {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request.entity.too.large",
        format!("The request body is over the limit of {MAX_BODY} bytes."),
        cid,
    )
}

fn declared_too_large(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY as u64)
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

async fn post_job(shared: &Shared, request: Request<Incoming>, cid: &str) -> Reply {
    post_job_inner(shared, request, cid)
        .await
        .unwrap_or_else(Reply::Send)
}

async fn post_job_inner(
    shared: &Shared,
    request: Request<Incoming>,
    cid: &str,
) -> Result<Reply, Response<Body>> {
    if shared.fires(shared.config.faults.post_fail_rate) {
        shared.stats.fault(Fault::PostFail);
        return Ok(service_unavailable(cid).into());
    }
    let client = authorize(shared, request.headers(), PERMISSION_ADD, cid)?;
    match media_type(request.headers()) {
        Some(media) if media == "application/json" => {}
        other => {
            return Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported.media.type",
                format!(
                    "Unsupported Media Type: expected application/json, got {}",
                    other.as_deref().unwrap_or("no Content-Type")
                ),
                cid,
            ));
        }
    }
    if declared_too_large(request.headers()) {
        return Err(too_large(cid));
    }
    let bytes = read_body(request.into_body(), cid).await?;
    let input: AcceleratorInput = serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "bad.request",
            format!("The request body could not be parsed: {e}"),
            cid,
        )
    })?;
    let Some(accelerator) = shared.config.accelerators.get(&input.accelerator_id) else {
        let mut body = ErrorBody {
            code: Some("bad.request".into()),
            context_id: Some(cid.to_string()),
            message: Some(format!(
                "Unknown acceleratorId: \"{}\" is not an accelerator of this organization",
                input.accelerator_id
            )),
            status: Some(400),
            ..ErrorBody::default()
        };
        body.entity_id = Some(input.accelerator_id.clone());
        return Err(json_response(StatusCode::BAD_REQUEST, &body));
    };
    let mut values = BTreeMap::new();
    for parameter in &input.parameters {
        if let (Some(name), Some(value)) = (&parameter.name, &parameter.value) {
            values.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    let job = shared.create_job(accelerator, input.dry_run, &values, client);
    if shared.fires(shared.config.faults.post_lost_reply_rate) {
        shared.stats.fault(Fault::PostLostReply);
        return Ok(if shared.next_lost_reply_is_503() {
            service_unavailable(cid).into()
        } else {
            Reply::Drop
        });
    }
    Ok(json_response(StatusCode::OK, &job).into())
}

// -------------------------------------------------------------------- token

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

#[derive(Serialize)]
struct OAuthError<'a> {
    error: &'a str,
    description: &'a str,
    error_description: &'a str,
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response<Body> {
    let mut response = json_response(
        status,
        &OAuthError {
            error: code,
            description,
            error_description: description,
        },
    );
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth\""),
        );
    }
    response
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

async fn token(shared: &Shared, request: Request<Incoming>, cid: &str) -> Reply {
    if let Some(response) = gateway_fault(shared, cid) {
        return response.into();
    }
    let credentials = basic_credentials(request.headers());
    if media_type(request.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request must have Content-Type application/x-www-form-urlencoded",
        )
        .into();
    }
    if declared_too_large(request.headers()) {
        return too_large(cid).into();
    }
    let bytes = match read_body(request.into_body(), cid).await {
        Ok(bytes) => bytes,
        Err(response) => return response.into(),
    };
    let grant_type = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    let Some((id, secret)) = credentials else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication is required: send the client id and secret with HTTP Basic authentication",
        )
        .into();
    };
    let client = shared.client_index(&id).filter(|&i| {
        shared
            .config
            .clients
            .get(i)
            .is_some_and(|c| c.secret() == secret)
    });
    let Some(client) = client else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client credentials: unknown client id or wrong secret",
        )
        .into();
    };
    match grant_type.as_deref() {
        Some("client_credentials") => {}
        None | Some("") => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing grant_type",
            )
            .into();
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only the client_credentials grant is supported",
            )
            .into();
        }
    }
    let access_token = shared.mint_token(client);
    shared.stats.token_issued();
    let mut response = json_response(
        StatusCode::OK,
        &TokenResponse {
            access_token: &access_token,
            token_type: "bearer",
            expires_in: shared.config.token_ttl.as_secs(),
        },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_classify() {
        assert!(matches!(
            Route::classify(&Method::POST, "/oauth/token"),
            Route::Token
        ));
        assert!(matches!(
            Route::classify(&Method::GET, "/oauth/token"),
            Route::WrongMethod(_)
        ));
        assert!(matches!(
            Route::classify(&Method::GET, JOBS_PATH),
            Route::ListJobs
        ));
        assert!(matches!(
            Route::classify(&Method::POST, JOBS_PATH),
            Route::PostJob
        ));
        assert!(matches!(
            Route::classify(&Method::DELETE, JOBS_PATH),
            Route::WrongMethod(_)
        ));
        match Route::classify(&Method::GET, &format!("{JOBS_PATH}/abc")) {
            Route::GetJob(id) => assert_eq!(id, "abc"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            Route::classify(&Method::GET, &format!("{JOBS_PATH}/")),
            Route::NotFound
        ));
        assert!(matches!(
            Route::classify(&Method::GET, &format!("{JOBS_PATH}/a/b")),
            Route::NotFound
        ));
        assert!(matches!(
            Route::classify(&Method::GET, "/"),
            Route::NotFound
        ));
    }

    #[test]
    fn query_rules() {
        let q = Query::parse(Some("details=TRUE&x=1&details=false&empty="));
        assert_eq!(q.get("details"), Some("TRUE"));
        assert_eq!(q.get("empty"), None);
        assert!(q.bool("details", "c").is_ok_and(|b| b));
        assert!(
            Query::parse(Some("details=yes"))
                .bool("details", "c")
                .is_err()
        );
        let q = Query::parse(Some("sortBy=DATESUBMITTED"));
        assert!(
            q.one_of("sortBy", &SORT_BY, "c")
                .is_ok_and(|v| v == Some("dateSubmitted"))
        );
        assert!(
            Query::parse(Some("sortBy=nope"))
                .one_of("sortBy", &SORT_BY, "c")
                .is_err()
        );
    }
}
