//! `face-preflight-proxy`: the crate's checks, learned facts, pacing and
//! report-only mode as an HTTP gateway in front of an Azure AI Face endpoint.
//! Point any Face SDK's endpoint at it.

use std::net::SocketAddr;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser, ValueEnum};
use face_preflight::catalogue;
use face_preflight::pace::{Rate, Tier, TIER_MARGIN_PERCENT};
use face_preflight::proxy::{ListenTls, Proxy, ProxyConfig};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// A sidecar that answers Face API requests the service would reject with
/// the service's own error, before they cross the network, and forwards the
/// rest unchanged.
#[derive(Parser, Debug)]
#[command(
    name = "face-preflight-proxy",
    version,
    about,
    long_about,
    after_help = "Example:\n  face-preflight-proxy --upstream https://myresource.cognitiveservices.azure.com --tier s0\n\nthen use http://127.0.0.1:8080 (https:// with --tls-cert) as the SDK's endpoint. /livez, /readyz and /metrics are served too."
)]
// Every `env` argument hides its value in `--help`: the environment may
// hold secrets (a Redis URL with its password).
struct Args {
    /// The Face endpoint to forward to: the resource's https URL, with a
    /// gateway's path after the host if there is one.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_UPSTREAM",
        hide_env_values = true,
        value_name = "URL"
    )]
    upstream: String,

    /// Accept a plain http:// upstream (a test stand-in, a local gateway):
    /// the key then crosses the network unencrypted.
    #[arg(long, env = "FACE_PREFLIGHT_PLAIN_HTTP", hide_env_values = true, action = ArgAction::Set, num_args = 0..=1,
          default_value = "false", default_missing_value = "true", value_parser = BoolishValueParser::new())]
    plain_http: bool,

    /// The proxy's URL as clients reach it (behind a load balancer), put in
    /// place of the upstream's in Location and operation-Location answers;
    /// by default http:// and the Host the client sent.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_PUBLIC_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    public_url: Option<String>,

    /// Log one INFO line per request: method, operation, path (cut to 256
    /// bytes) and status. Off, requests are logged at DEBUG without paths.
    #[arg(long, env = "FACE_PREFLIGHT_ACCESS_LOG", hide_env_values = true, action = ArgAction::Set, num_args = 0..=1,
          default_value = "false", default_missing_value = "true", value_parser = BoolishValueParser::new())]
    access_log: bool,

    /// Where to listen.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_LISTEN",
        hide_env_values = true,
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    listen: SocketAddr,

    /// The resource's pricing tier: f0 (20 a minute) or s0 (10 a second),
    /// paced 5 % under it.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_TIER",
        hide_env_values = true,
        conflicts_with = "rate"
    )]
    tier: Option<TierArg>,

    /// An explicit rate in requests per second (a raised S0 limit).
    #[arg(
        long,
        env = "FACE_PREFLIGHT_RATE",
        hide_env_values = true,
        value_name = "PER_SECOND"
    )]
    rate: Option<u32>,

    /// The longest a request waits for its slot before a local 429.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_MAX_WAIT",
        hide_env_values = true,
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    max_wait: u64,

    /// A Redis server shared by the fleet: budget, 429 pauses and learned facts.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_REDIS",
        hide_env_values = true,
        value_name = "URL"
    )]
    redis: Option<String>,

    /// PEM certificates of the private CA a rediss:// server's certificate
    /// chains to; by default the system's roots (or SSL_CERT_FILE's).
    #[arg(
        long,
        env = "FACE_PREFLIGHT_REDIS_CA_CERT",
        hide_env_values = true,
        value_name = "FILE"
    )]
    redis_ca_cert: Option<std::path::PathBuf>,

    /// Serve HTTPS with this certificate chain (PEM; needs --tls-key): SDKs
    /// send Entra ID bearer tokens only to https:// endpoints.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_TLS_CERT",
        hide_env_values = true,
        value_name = "FILE",
        requires = "tls_key"
    )]
    tls_cert: Option<std::path::PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_TLS_KEY",
        hide_env_values = true,
        value_name = "FILE",
        requires = "tls_cert"
    )]
    tls_key: Option<std::path::PathBuf>,

    /// How many processes share the resource (each takes this share of the
    /// rate when Redis is unavailable).
    #[arg(
        long,
        env = "FACE_PREFLIGHT_FLEET_SIZE",
        hide_env_values = true,
        default_value_t = 1
    )]
    fleet_size: u32,

    /// Reject nothing: forward every request and count how the local verdict
    /// compares with the service's answer (see /metrics).
    #[arg(long, env = "FACE_PREFLIGHT_REPORT_ONLY", hide_env_values = true, action = ArgAction::Set, num_args = 0..=1,
          default_value = "false", default_missing_value = "true", value_parser = BoolishValueParser::new())]
    report_only: bool,

    /// Let through requests that would get this answer, by its message
    /// (e.g. "'top' is invalid."); repeatable.
    #[arg(long = "allow", value_name = "MESSAGE")]
    allow: Vec<String>,

    /// The longest wait for the upstream's answer head once the request body
    /// has been sent, and then between two parts of the answer body.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_UPSTREAM_TIMEOUT",
        hide_env_values = true,
        default_value_t = 60,
        value_name = "SECONDS"
    )]
    upstream_timeout: u64,

    /// The longest a client's request body may send nothing (a 408 then).
    #[arg(
        long,
        env = "FACE_PREFLIGHT_CLIENT_BODY_TIMEOUT",
        hide_env_values = true,
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    client_body_timeout: u64,

    /// The memory, in MiB, that request bodies held whole while judged
    /// (JSON, forms, images without Content-Length) may take at once,
    /// across all connections; past it a request waits, then gets 503.
    /// Images with a Content-Length are streamed and need none.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_BODY_BUDGET",
        hide_env_values = true,
        default_value_t = 256,
        value_name = "MIB"
    )]
    body_budget: usize,

    /// The longest a request waits for room in the body budget.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_BODY_BUDGET_WAIT",
        hide_env_values = true,
        default_value_t = 10,
        value_name = "SECONDS"
    )]
    body_budget_wait: u64,

    /// The longest wait for a client's request head.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    header_read_timeout: u64,

    /// Threads serving requests: 1 runs everything on one thread (the
    /// fastest on one core); by default, one per core the process may use
    /// (its CPU affinity and quota counted), and one thread without a
    /// scheduler to hand work between threads when that is one.
    #[arg(
        long,
        env = "FACE_PREFLIGHT_WORKER_THREADS",
        hide_env_values = true,
        value_name = "N"
    )]
    worker_threads: Option<usize>,

    /// Connections served at once.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TierArg {
    F0,
    S0,
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// The first signal drains; a second one exits at once.
async fn shutdown_then_force() {
    shutdown_signal().await;
    tokio::spawn(async {
        shutdown_signal().await;
        tracing::warn!("second signal: exiting without draining");
        std::process::exit(130);
    });
}

/// `RUST_LOG` in the `target=level,…` form (`info` when unset or unreadable).
fn log_filter() -> Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO))
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    // One thread serving everything (as one nginx worker does) spends
    // nothing on waking other threads; more threads are for more cores.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runtime = match args.worker_threads.or((cores == 1).then_some(1)) {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Some(threads) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .enable_all()
            .build()?,
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
    };
    runtime.block_on(run(args))
}

/// A file the configuration names, or a message and exit code 2.
fn read_or_exit(flag: &str, path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| {
        eprintln!("face-preflight-proxy: {flag} {}: {error}", path.display());
        std::process::exit(2);
    })
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .with(log_filter())
        .init();
    let upstream = match ProxyConfig::parse_upstream(&args.upstream, args.plain_http) {
        Ok(upstream) => upstream,
        Err(error) => {
            eprintln!(
                "face-preflight-proxy: --upstream {:?}: {error}",
                args.upstream
            );
            std::process::exit(2);
        }
    };
    let mut config = ProxyConfig::new(upstream.clone());
    if let Some(url) = &args.public_url {
        match ProxyConfig::parse_upstream(url, true) {
            Ok(public) => config.public_url = Some(public),
            Err(error) => {
                eprintln!("face-preflight-proxy: --public-url {url:?}: {error}");
                std::process::exit(2);
            }
        }
    }
    config.rate = match (args.tier, args.rate) {
        (Some(TierArg::F0), _) => Some(Tier::F0.rate().with_margin(TIER_MARGIN_PERCENT)),
        (Some(TierArg::S0), _) => Some(Tier::S0.rate().with_margin(TIER_MARGIN_PERCENT)),
        (None, Some(rate)) => Some(Rate::per_second(rate)),
        (None, None) => None,
    };
    config.max_wait = Duration::from_secs(args.max_wait);
    config.redis = args.redis.clone();
    if let Some(path) = &args.redis_ca_cert {
        config.redis_ca = Some(read_or_exit("--redis-ca-cert", path));
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let (cert, key) = (
            read_or_exit("--tls-cert", cert),
            read_or_exit("--tls-key", key),
        );
        match ListenTls::from_pem(&cert, &key) {
            Ok(tls) => config.tls = Some(tls),
            Err(error) => {
                eprintln!("face-preflight-proxy: --tls-cert/--tls-key: {error}");
                std::process::exit(2);
            }
        }
    }
    config.fleet_size = args.fleet_size;
    config.report_only = args.report_only;
    config.access_log = args.access_log;
    for message in &args.allow {
        let entry = catalogue::DECIDED_LOCALLY
            .iter()
            .find(|entry| entry.message == message)
            .ok_or_else(|| {
                format!("--allow: no answer of this crate has the message {message:?}")
            })?;
        config.allow.push(*entry);
    }
    config.upstream_timeout = Duration::from_secs(args.upstream_timeout);
    config.client_body_timeout = Duration::from_secs(args.client_body_timeout);
    config.body_budget = args.body_budget.saturating_mul(1024 * 1024);
    config.body_budget_wait = Duration::from_secs(args.body_budget_wait);
    config.header_read_timeout = Duration::from_secs(args.header_read_timeout);
    config.max_connections = args.max_connections;

    let proxy = Proxy::bind(args.listen, config).await?;
    tracing::info!(
        listen = %proxy.local_addr()?,
        upstream = %upstream,
        report_only = args.report_only,
        tls = args.tls_cert.is_some(),
        "face-preflight-proxy ready"
    );
    // The first line on stdout is the address, for scripts that start it
    // on port 0.
    println!("listening on {}", proxy.local_addr()?);
    proxy.serve(shutdown_then_force()).await
}
