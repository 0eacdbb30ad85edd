//! The sidecar proxy (feature `proxy`): the crate's layers as an HTTP
//! gateway in front of a Face endpoint, for programs that cannot load a
//! Tower layer — the official Python, .NET, JavaScript and Java SDKs change
//! their endpoint and get every check.
//!
//! The proxy is wiring: one `PreflightLayer` with every judge — the rules,
//! the learned facts and the pacing, optionally report-only — around a
//! hyper-util client to the
//! upstream over TLS (rustls). Method, path, query, headers and body reach
//! the upstream unchanged but for `Host` (the upstream's) and the hop-by-hop
//! headers of RFC 9110 §7.6.1; bodies stream (a layer reads only what a rule
//! needs). An upstream that cannot be reached or does not answer in time
//! gets a 502 or 504 with a JSON body whose code is the proxy's own, never a
//! Face error code the service did not send.
//!
//! `cargo run --features proxy --bin face-preflight-proxy -- --help`

mod idle;
mod metrics;
mod tls;
mod upstream;

pub use self::idle::{BodyDone, BodyIdle, IdleTimeout, Side};
pub use self::tls::{ListenTls, ListenTlsError};

use self::metrics::ProxyCounter;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_layer::Layer;
use tower_service::Service;

/// The request body the proxy forwards: the client's stream as it arrives
/// (failing if it goes quiet for the client body timeout), or the bytes a
/// layer read to judge it.
pub type ProxyBody = crate::RequestBody<IdleTimeout<Incoming>>;
use crate::catalogue::Entry;
use crate::facts::{Facts, FactsStats, RedisFacts};
use crate::pace::{PaceStats, Pacing, Rate, RedisBudget};
use crate::pipeline::BoxError;
use crate::report::Stats;
use crate::PreflightLayer;

/// The proxy's answer bodies.
pub type ProxyResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// How the proxy runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// The Face endpoint: `https://<resource>.cognitiveservices.azure.com`
    /// (a path after the host is put before every request's path).
    pub upstream: Uri,
    /// The resource's rate; `None` paces nothing but still learns from
    /// 429s and sends one face add at a time per person or list.
    pub rate: Option<Rate>,
    /// The longest a request waits for its slot.
    pub max_wait: Duration,
    /// A Redis server for the fleet budget and shared facts
    /// (`redis://` or, over TLS, `rediss://`).
    pub redis: Option<String>,
    /// PEM certificates of the private CA a `rediss://` server's certificate
    /// chains to; `None`: the system's root certificates.
    pub redis_ca: Option<Vec<u8>>,
    /// Serve HTTPS with this certificate and key; `None`: plain HTTP.
    pub tls: Option<ListenTls>,
    /// Processes sharing the resource (the local share without Redis).
    pub fleet_size: u32,
    /// Compare instead of reject.
    pub report_only: bool,
    /// Answers let through (see [`PreflightLayer::allow`]).
    pub allow: Vec<Entry>,
    /// The longest wait for the upstream's answer head, counted from the end
    /// of the request body, and then between two frames of the answer body.
    pub upstream_timeout: Duration,
    /// The longest a client's request body may go without sending anything.
    pub client_body_timeout: Duration,
    /// The longest wait for a client's request head.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// The proxy's address as its clients reach it (behind a load
    /// balancer: `https://face-proxy.internal`), put in place of the
    /// upstream's in `Location` and `operation-Location` answers so that
    /// long-running operations are polled through the proxy. `None`: the
    /// address the client sent in `Host`, with `https://` when the proxy
    /// serves TLS and `http://` otherwise.
    pub public_url: Option<Uri>,
    /// One INFO line per request (method, operation, path cut to 256
    /// bytes, status). Off: requests are logged at DEBUG, without paths.
    pub access_log: bool,
    /// The bytes of request bodies held whole at once while they are
    /// judged (JSON, forms, images without `Content-Length`): see
    /// [`BodyBudget`](crate::BodyBudget). A request that finds no room
    /// within `body_budget_wait` is answered 503 `ProxyBusy`.
    pub body_budget: usize,
    /// The longest a request waits for room in the body budget.
    pub body_budget_wait: Duration,
}

impl ProxyConfig {
    /// Reads an upstream URL as the command line gives it, refusing what
    /// would start "ready" and then fail or leak: no scheme or one other
    /// than http/https, no host, a colon without a port, a query,
    /// user-info, and plain `http://` unless `allow_plain_http`. Its path
    /// is kept: the Face path starts after it.
    ///
    /// ```
    /// use face_preflight::proxy::{ProxyConfig, UpstreamUrlError};
    ///
    /// let uri = ProxyConfig::parse_upstream("https://x.cognitiveservices.azure.com/gateway", false).unwrap();
    /// assert_eq!(uri.path(), "/gateway");
    /// assert_eq!(ProxyConfig::parse_upstream("http://127.0.0.1:", true), Err(UpstreamUrlError::EmptyPort));
    /// assert_eq!(ProxyConfig::parse_upstream("http://127.0.0.1:8080", false), Err(UpstreamUrlError::PlainHttp));
    /// ```
    pub fn parse_upstream(url: &str, allow_plain_http: bool) -> Result<Uri, UpstreamUrlError> {
        let uri: Uri = url.parse().map_err(|error: http::uri::InvalidUri| {
            UpstreamUrlError::Malformed(error.to_string())
        })?;
        let plain = match uri.scheme_str() {
            Some("https") => false,
            Some("http") => true,
            _ => return Err(UpstreamUrlError::Scheme),
        };
        let authority = uri.authority().ok_or(UpstreamUrlError::NoHost)?;
        if authority.as_str().contains('@') {
            return Err(UpstreamUrlError::UserInfo);
        }
        if authority.host().is_empty() {
            return Err(UpstreamUrlError::NoHost);
        }
        if authority.as_str().ends_with(':') {
            return Err(UpstreamUrlError::EmptyPort);
        }
        if uri.query().is_some() {
            return Err(UpstreamUrlError::Query);
        }
        if plain && !allow_plain_http {
            return Err(UpstreamUrlError::PlainHttp);
        }
        Ok(uri)
    }

    /// The defaults for `upstream`.
    pub fn new(upstream: Uri) -> Self {
        Self {
            upstream,
            rate: None,
            max_wait: Duration::from_secs(30),
            redis: None,
            redis_ca: None,
            tls: None,
            fleet_size: 1,
            report_only: false,
            allow: Vec::new(),
            upstream_timeout: Duration::from_secs(60),
            client_body_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            public_url: None,
            access_log: false,
            body_budget: 256 * 1024 * 1024,
            body_budget_wait: Duration::from_secs(10),
        }
    }
}

/// Why an upstream URL is refused at start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamUrlError {
    /// Not a URL at all.
    Malformed(String),
    /// No `http://` or `https://` in front (`myresource.cognitiveservices.azure.com`, `ftp://…`).
    Scheme,
    /// No host (`http://:8080`, `https:///face`).
    NoHost,
    /// A colon after the host with no port (`http://127.0.0.1:`).
    EmptyPort,
    /// A query: it would be dropped from every request, silently.
    Query,
    /// `user:password@`: it would be logged and sent on as the `Host`.
    UserInfo,
    /// Plain `http://` without [`ProxyConfig::parse_upstream`]'s `allow_plain_http`:
    /// the key would cross the network unencrypted.
    PlainHttp,
}

impl std::fmt::Display for UpstreamUrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(error) => write!(f, "not a URL: {error}"),
            Self::Scheme => f.write_str("the URL must start with https:// (or http://)"),
            Self::NoHost => f.write_str("the URL has no host"),
            Self::EmptyPort => f.write_str("the URL has a colon after the host but no port"),
            Self::Query => f.write_str("the URL has a query, which would be dropped from every request"),
            Self::UserInfo => f.write_str("the URL has user information (user:password@), which would be sent as the Host"),
            Self::PlainHttp => f.write_str("the URL is plain http:// (the key would cross the network unencrypted); allow it explicitly with --plain-http"),
        }
    }
}

impl std::error::Error for UpstreamUrlError {}

/// What the proxy knows of its own state, for `/readyz`.
#[derive(Debug, Default)]
struct ProxyState {
    /// The last forwarded request's fate: whether the upstream answered.
    upstream_failing: AtomicBool,
    /// Shutting down: finishing what is in flight, taking nothing new.
    draining: AtomicBool,
}

impl ProxyState {
    /// What `/readyz` says: ready unless draining or the upstream failed the
    /// last time (before the first request nothing says it is down).
    fn readiness(&self) -> (StatusCode, &'static str) {
        if self.draining.load(Ordering::Relaxed) {
            (StatusCode::SERVICE_UNAVAILABLE, "draining\n")
        } else if self.upstream_failing.load(Ordering::Relaxed) {
            (StatusCode::SERVICE_UNAVAILABLE, "upstream unreachable\n")
        } else {
            (StatusCode::OK, "ready\n")
        }
    }
}

/// Everything `/metrics` and `/readyz` report.
#[derive(Clone, Debug)]
struct Observed {
    preflight: Stats,
    pace: PaceStats,
    facts: FactsStats,
    proxy: Arc<ProxyState>,
    registry: metrics::Registry,
}

/// Why the upstream gave no answer.
#[derive(Debug)]
enum UpstreamError {
    Unreachable(BoxError),
    TimedOut,
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Unreachable(error) => write!(f, "upstream unreachable: {error}"),
            UpstreamError::TimedOut => f.write_str("upstream timed out"),
        }
    }
}

impl std::error::Error for UpstreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpstreamError::Unreachable(error) => Some(&**error),
            UpstreamError::TimedOut => None,
        }
    }
}

/// Headers that concern one connection, not the request (RFC 9110 §7.6.1),
/// plus those a `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    // Names made once, not parsed from text for each request and answer.
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The hop-by-hop headers of RFC 9110 §7.6.1, and `Proxy-Connection`.
static HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// The request as the upstream gets it: its URI, `Host`, no hop-by-hop headers.
fn to_upstream(
    upstream: &Uri,
    request: Request<Incoming>,
    client_body_timeout: Duration,
) -> Result<Request<ProxyBody>, http::Error> {
    let (mut parts, body) = request.into_parts();
    let base = upstream.path().trim_end_matches('/');
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = Uri::builder()
        .scheme(upstream.scheme_str().unwrap_or("https"))
        .authority(upstream.authority().map_or("", |a| a.as_str()))
        .path_and_query(format!("{base}{path_and_query}"))
        .build()?;
    strip_hop_by_hop(&mut parts.headers);
    if let Some(authority) = upstream.authority() {
        if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
            parts.headers.insert(header::HOST, host);
        }
    }
    let done = BodyDone::default();
    if http_body::Body::is_end_stream(&body) {
        // No body at all: the upstream's time starts now.
        done.set();
    }
    let body = IdleTimeout::new(body, client_body_timeout, Side::Client).signal_end(done.clone());
    parts.extensions.insert(done);
    Ok(Request::from_parts(parts, ProxyBody::new(body)))
}

/// An answer of the proxy's own (`content_type` empty: none).
fn own(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<ProxyResponseBody> {
    let mut response = Response::new(
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    if !content_type.is_empty() {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// A JSON answer of the proxy's own.
fn own_answer(status: StatusCode, code: &str, message: &str) -> Response<ProxyResponseBody> {
    let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
    own(status, "application/json; charset=utf-8", Bytes::from(body))
}

/// A plain-text answer of the proxy's own (probes).
fn plain(status: StatusCode, text: &'static str) -> Response<ProxyResponseBody> {
    own(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(text.as_bytes()),
    )
}

/// The most a connection buffers, each way: hyper's default (about 400 KB)
/// would let 300 uploads hold 120 MB in read buffers alone; 64 KiB keeps
/// a 6 MB upload moving in large reads.
const CONNECTION_BUFFER: usize = 64 * 1024;

/// A listening socket whose accept queue holds `backlog` connections.
///
/// The standard library listens with a queue of 128: a burst of more
/// clients than that (300 SDK workers starting at once) overflows it, and
/// the kernel drops the overflow's handshakes; clients that already sent a
/// request on them see it reset. The kernel caps `backlog` at `somaxconn`.
fn listen(address: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // A restarted proxy can bind again while the old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(backlog)
}

/// A running proxy.
pub struct Proxy {
    listener: TcpListener,
    config: ProxyConfig,
}

impl Proxy {
    /// Binds the listening socket, with a queue of not yet accepted
    /// connections as long as `max_connections`.
    pub async fn bind(address: SocketAddr, config: ProxyConfig) -> std::io::Result<Self> {
        let backlog = u32::try_from(config.max_connections).unwrap_or(u32::MAX);
        Ok(Self {
            listener: listen(address, backlog)?,
            config,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets the
    /// requests in flight finish (for up to 30 s).
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), BoxError> {
        let Proxy { listener, config } = self;
        let rate = config
            .rate
            .unwrap_or_else(|| Rate::new(u32::MAX, Duration::from_secs(1)));
        let mut pace = Pacing::new(rate).max_wait(config.max_wait);
        let mut facts = Facts::new();
        if let Some(url) = &config.redis {
            let (budget, shared_facts) = match &config.redis_ca {
                Some(ca) => (
                    RedisBudget::open_with_ca(url, ca)?,
                    RedisFacts::open_with_ca(url, ca)?,
                ),
                None => (RedisBudget::open(url)?, RedisFacts::open(url)?),
            };
            pace = pace.redis(budget.fleet_size(config.fleet_size));
            facts = facts.redis(shared_facts);
        }
        let (pace_stats, facts_stats) = (pace.stats(), facts.stats());
        let registry = metrics::Registry::new();
        let mut preflight = PreflightLayer::new()
            .metrics_recorder(registry.recorder())
            .body_budget(crate::BodyBudget::new(config.body_budget).wait(config.body_budget_wait))
            .report_only(config.report_only)
            .facts(facts)
            .pacing(pace);
        for entry in &config.allow {
            preflight = preflight.allow(entry);
        }
        // The layer sees the request as the upstream will: behind the
        // upstream's path.
        let base = config.upstream.path().trim_end_matches('/');
        if !base.is_empty() {
            preflight = preflight.path_prefix(base);
        }
        let observed = Observed {
            preflight: preflight.stats(),
            pace: pace_stats,
            facts: facts_stats,
            proxy: Arc::default(),
            registry,
        };

        // Requests and answers are written whole (one `writev` each): no
        // segment is worth holding back for Nagle's algorithm.
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let connections =
            upstream::Upstream::new(https, &config.upstream, config.max_connections.max(1));
        let timeout = config.upstream_timeout;
        let upstream = tower_service_fn(move |request: Request<ProxyBody>| {
            let connections = Arc::clone(&connections);
            async move {
                // The upstream's time starts when the client's body has been
                // read to its end: a slow upload is the client's time.
                let body_done = request.extensions().get::<BodyDone>().cloned();
                let deadline = async move {
                    if let Some(done) = body_done {
                        done.wait().await;
                    }
                    tokio::time::sleep(timeout).await;
                };
                tokio::select! {
                    answer = connections.send(request) => match answer {
                        Ok(response) => Ok(response
                            .map(|body| IdleTimeout::new(body, timeout, Side::Upstream))),
                        Err(error) => Err(UpstreamError::Unreachable(error)),
                    },
                    () = deadline => Err(UpstreamError::TimedOut),
                }
            }
        });
        let stack = preflight.layer(upstream);

        let shared = Arc::new(config.clone());
        let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&limit).acquire_owned() => permit?,
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(_) => continue,
                },
                () = &mut shutdown => break,
            };
            // As towards the upstream: answers are written whole.
            let _ = stream.set_nodelay(true);
            let stack = stack.clone();
            let observed = observed.clone();
            let shared = Arc::clone(&shared);
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                match shared.tls.clone() {
                    None => serve_connection(stream, peer, stack, observed, shared, watcher).await,
                    Some(tls) => {
                        // A client that never finishes its handshake is
                        // held no longer than one that never sends a head.
                        let handshake = tls.acceptor().accept(stream);
                        match tokio::time::timeout(shared.header_read_timeout, handshake).await {
                            Ok(Ok(stream)) => {
                                serve_connection(stream, peer, stack, observed, shared, watcher)
                                    .await;
                            }
                            Ok(Err(error)) => {
                                tracing::debug!(%peer, %error, "TLS handshake failed");
                            }
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    }
                }
                drop(permit);
            });
        }
        // New connections are refused from now on, not left to hang.
        drop(listener);
        observed.proxy.draining.store(true, Ordering::Relaxed);
        tracing::info!("shutting down: draining requests in flight");
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(Duration::from_secs(30)) => {
                tracing::warn!("requests still in flight after 30 s; stopping");
            }
        }
        Ok(())
    }
}

/// Serves one client connection (plain or TLS) until it closes or the
/// shutdown's watcher ends it gracefully.
async fn serve_connection<I, S, B>(
    io: I,
    peer: SocketAddr,
    stack: S,
    observed: Observed,
    config: Arc<ProxyConfig>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<ProxyBody>, Response = Response<B>, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let header_read_timeout = config.header_read_timeout;
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let stack = stack.clone();
        let observed = observed.clone();
        let config = Arc::clone(&config);
        async move { Ok::<_, Infallible>(handle(stack, &observed, &config, request).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_buf_size(CONNECTION_BUFFER)
        .serve_connection(TokioIo::new(io), service);
    if let Err(error) = watcher.watch(connection).await {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// Whether the request failed on the client's side: its body could not be
/// read by the layer, which judges it (a hyper error outside any
/// [`UpstreamError`]), or by the client to the upstream, which streams it (a
/// hyper "user body" error under [`UpstreamError::Unreachable`]).
fn is_client_body_error(error: &(dyn std::error::Error + 'static)) -> bool {
    match error.downcast_ref::<UpstreamError>() {
        Some(UpstreamError::Unreachable(inner)) => causes(&**inner).any(|cause| {
            cause
                .downcast_ref::<hyper::Error>()
                .is_some_and(|e| e.is_user() || e.is_body_write_aborted())
        }),
        Some(UpstreamError::TimedOut) => false,
        None => causes(error).any(|cause| {
            cause.is::<hyper::Error>()
                || cause
                    .downcast_ref::<BodyIdle>()
                    .is_some_and(|idle| idle.side == Side::Client)
        }),
    }
}

/// An error and its sources.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |error| error.source())
}

/// `service_fn` without a dependency on `tower` itself.
fn tower_service_fn<F>(f: F) -> ServiceFn<F> {
    ServiceFn { f }
}

#[derive(Clone)]
struct ServiceFn<F> {
    f: F,
}

impl<F, Fut, T, E, R> Service<R> for ServiceFn<F>
where
    F: FnMut(R) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    type Response = T;
    type Error = E;
    type Future = Fut;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), E>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> Fut {
        (self.f)(request)
    }
}

/// The base a client reaches the proxy at: the configured public URL, or
/// the proxy's scheme and the `Host` the client sent.
fn public_base(config: &ProxyConfig, client_host: Option<&HeaderValue>) -> Option<String> {
    match &config.public_url {
        Some(public) => Some(public.to_string().trim_end_matches('/').to_owned()),
        None => client_host
            .and_then(|host| host.to_str().ok())
            .filter(|host| !host.is_empty())
            .map(|host| {
                let scheme = if config.tls.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{host}")
            }),
    }
}

/// Where a long-running operation's status is polled.
const OPERATION_LOCATION: HeaderName = HeaderName::from_static("operation-location");

/// `Location` and `operation-Location` that point at the upstream point at
/// the proxy instead: the SDK then polls a long-running operation through
/// it (paced, counted, checked) rather than around it.
fn rewrite_locations(headers: &mut HeaderMap, upstream: &Uri, public: &str) {
    let upstream_base = format!(
        "{}://{}{}",
        upstream.scheme_str().unwrap_or("https"),
        upstream.authority().map_or("", |a| a.as_str()),
        upstream.path().trim_end_matches('/'),
    );
    for name in [header::LOCATION, OPERATION_LOCATION] {
        let Some(value) = headers.get(&name).and_then(|v| v.to_str().ok()) else {
            continue;
        };
        let rest = value
            .get(..upstream_base.len())
            .filter(|start| start.eq_ignore_ascii_case(&upstream_base))
            .and_then(|_| value.get(upstream_base.len()..))
            .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
        if let Some(rewritten) =
            rest.and_then(|rest| HeaderValue::from_str(&format!("{public}{rest}")).ok())
        {
            headers.insert(name, rewritten);
        }
    }
}

/// The longest path the access log writes.
const LOGGED_PATH_BYTES: usize = 256;

/// `path`, cut to [`LOGGED_PATH_BYTES`] at a character boundary.
fn capped(path: &str) -> &str {
    let mut end = path.len().min(LOGGED_PATH_BYTES);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    path.get(..end).unwrap_or_default()
}

/// One client request.
async fn handle<S, B>(
    mut stack: S,
    observed: &Observed,
    config: &ProxyConfig,
    request: Request<Incoming>,
) -> Response<ProxyResponseBody>
where
    S: Service<Request<ProxyBody>, Response = Response<B>, Error = BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    match request.uri().path() {
        "/livez" => return plain(StatusCode::OK, "alive\n"),
        // `/healthz` is kept for probes set up before `/readyz` existed.
        "/readyz" | "/healthz" => {
            let (status, text) = observed.proxy.readiness();
            return plain(status, text);
        }
        "/metrics" => {
            return own(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                Bytes::from(observed.registry.render(observed)),
            );
        }
        _ => {}
    }
    if request.method() == http::Method::CONNECT {
        // Not a forward proxy: no tunnels.
        return own_answer(
            StatusCode::METHOD_NOT_ALLOWED,
            "ProxyMethodNotAllowed",
            "face-preflight-proxy does not open tunnels (CONNECT).",
        );
    }
    if request.method() == http::Method::OPTIONS && request.uri().path() == "*" {
        // A question about the proxy itself, not a Face resource.
        let mut response = own(StatusCode::NO_CONTENT, "", Bytes::new());
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
        );
        return response;
    }
    observed.registry.increment(ProxyCounter::Requests);
    // Logs name the operation, not the path: paths hold IDs, and a client
    // chooses their length. The access log (opt-in) adds the path, capped.
    let method = request.method().clone();
    let operation = crate::router::route_newer_as_newest(&method, request.uri().path())
        .map(|route| route.operation);
    let access_path = config
        .access_log
        .then(|| capped(request.uri().path()).to_owned());
    // Kept for a Location to rewrite; most answers have none.
    let client_host = request.headers().get(header::HOST).cloned();
    let request = match to_upstream(&config.upstream, request, config.client_body_timeout) {
        Ok(request) => request,
        Err(_) => {
            return own_answer(
                StatusCode::BAD_REQUEST,
                "ProxyBadRequest",
                "The request URI cannot be forwarded.",
            )
        }
    };
    let ready = std::future::poll_fn(|cx| stack.poll_ready(cx)).await;
    let result = match ready {
        Ok(()) => stack.call(request).await,
        Err(error) => Err(error),
    };
    let response = match result {
        Ok(response) => {
            if response
                .extensions()
                .get::<crate::LocalRejection>()
                .is_none()
            {
                observed
                    .proxy
                    .upstream_failing
                    .store(false, Ordering::Relaxed);
            }
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            let has_location = parts.headers.contains_key(header::LOCATION)
                || parts.headers.contains_key(OPERATION_LOCATION);
            if let Some(public) = has_location
                .then(|| public_base(config, client_host.as_ref()))
                .flatten()
            {
                rewrite_locations(&mut parts.headers, &config.upstream, &public);
            }
            Response::from_parts(parts, body.map_err(Into::into).boxed_unsync())
        }
        Err(error) if error.is::<crate::BodyBudgetExhausted>() => {
            observed.registry.increment(ProxyCounter::Busy);
            tracing::warn!(%method, ?operation, "no room in the body budget");
            let mut response = own_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "ProxyBusy",
                "face-preflight-proxy: too many request bodies are being judged; retry shortly.",
            );
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            );
            response
        }
        Err(error) if is_client_body_error(&*error) => {
            observed.registry.increment(ProxyCounter::ClientErrors);
            tracing::info!(%method, ?operation, %error, "client's request body failed");
            if causes(&*error).any(|cause| cause.is::<BodyIdle>()) {
                own_answer(
                    StatusCode::REQUEST_TIMEOUT,
                    "ProxyClientBodyTimeout",
                    "face-preflight-proxy: the request body stopped arriving.",
                )
            } else {
                own_answer(
                    StatusCode::BAD_REQUEST,
                    "ProxyBadRequestBody",
                    "face-preflight-proxy: the request body could not be read.",
                )
            }
        }
        Err(error) => {
            let timed_out = error
                .downcast_ref::<UpstreamError>()
                .is_some_and(|e| matches!(e, UpstreamError::TimedOut));
            observed
                .proxy
                .upstream_failing
                .store(true, Ordering::Relaxed);
            if timed_out {
                observed.registry.increment(ProxyCounter::UpstreamTimeouts);
                tracing::warn!(%method, ?operation, "upstream timed out");
                own_answer(
                    StatusCode::GATEWAY_TIMEOUT,
                    "ProxyUpstreamTimeout",
                    "face-preflight-proxy: the upstream Face endpoint did not answer in time.",
                )
            } else {
                observed.registry.increment(ProxyCounter::UpstreamErrors);
                tracing::warn!(%method, ?operation, %error, "upstream unreachable");
                own_answer(
                    StatusCode::BAD_GATEWAY,
                    "ProxyUpstreamUnreachable",
                    "face-preflight-proxy: the upstream Face endpoint could not be reached.",
                )
            }
        }
    };
    let status = response.status().as_u16();
    match &access_path {
        Some(path) => tracing::info!(%method, ?operation, %path, status, "request"),
        None => tracing::debug!(%method, ?operation, status, "forwarded or answered"),
    }
    response
}
