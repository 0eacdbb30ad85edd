//! One connection to a Redis server shared by the stateful layers, with
//! the rule they share: Redis is an aid, never a dependency of a request.
//! A call that fails or takes longer than the timeout counts as "Redis
//! could not decide", and Redis is left alone for the cool-down (a second
//! by default) before it is tried again.
//!
//! The reconnect back-off is this cool-down alone: after a failure the
//! connection is dropped, and the first call after the cool-down makes one
//! fresh attempt within the timeout. The redis crate's own back-off (six
//! retries, growing to seconds) is switched off: it kept the layers on
//! their local state for up to 5 s after Redis was back.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

/// How long Redis is left alone after a failure, by default.
const COOL_DOWN: Duration = Duration::from_secs(1);

/// The least time a TLS connection gets to be made: its handshake takes
/// more round trips and a certificate check (6–35 ms measured on loopback,
/// over the calls' 50 ms timeout in a debug build). Connections are made
/// once, and again only after a failure and its cool-down.
const TLS_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Why a call to Redis failed, as the log tells it: a wrong password is
/// not a server that is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    Unavailable,
    /// The server refused the client's credentials (or their absence).
    Refused,
    /// The server's TLS certificate did not verify (an unknown CA, another
    /// host's name, expired): an operator's fix, not an outage.
    #[cfg(feature = "redis-tls")]
    Untrusted,
}

impl Failure {
    fn of(error: &redis::RedisError) -> Self {
        // Redis 7 answers a client that has not authenticated "NOAUTH", or,
        // to a long command (a script), a protocol error that says so.
        let refused = error.kind() == redis::ErrorKind::AuthenticationFailed
            || matches!(error.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM"))
            || error
                .detail()
                .is_some_and(|detail| detail.contains("unauthenticated"));
        if refused {
            return Failure::Refused;
        }
        // rustls reports a certificate that does not verify as an I/O error
        // whose source is its own error ("invalid peer certificate: …").
        #[cfg(feature = "redis-tls")]
        {
            let mut cause = std::error::Error::source(error);
            while let Some(inner) = cause {
                let rejected = inner
                    .downcast_ref::<rustls::Error>()
                    .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)))
                    || inner.to_string().starts_with("invalid peer certificate");
                if rejected {
                    return Failure::Untrusted;
                }
                cause = inner.source();
            }
        }
        Failure::Unavailable
    }
}

/// The redis crate builds its TLS configuration from the process's default
/// rustls provider, and rustls panics when it has to choose one among
/// several compiled in: install ring (the one this crate enables) unless
/// the application installed its own.
#[cfg(feature = "redis-tls")]
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed one first: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

pub(crate) struct Link {
    client: redis::Client,
    connection: Mutex<Option<ConnectionManager>>,
    down_until: Mutex<Option<Instant>>,
    /// When a call first succeeded after a failure (see [`Link::rejoining`]).
    rejoined_at: Mutex<Option<Instant>>,
    failing: AtomicBool,
    /// Whether the connection speaks TLS (`rediss://`).
    tls: bool,
    pub(crate) timeout: Duration,
    pub(crate) cool_down: Duration,
}

impl Link {
    /// A link to the server at `url`; nothing is connected until first use.
    /// A `rediss://` URL (with the `redis-tls` feature) trusts the system's
    /// root certificates, as `SSL_CERT_FILE` may point them elsewhere.
    pub(crate) fn open(url: &str) -> Result<Self, redis::RedisError> {
        #[cfg(feature = "redis-tls")]
        if url.starts_with("rediss:") {
            ensure_crypto_provider();
        }
        Ok(Self::with_client(redis::Client::open(url)?))
    }

    /// A link over TLS to the server at a `rediss://` URL whose certificate
    /// chains to one of the PEM certificates in `ca` (a private CA), not
    /// to the system's roots.
    #[cfg(feature = "redis-tls")]
    pub(crate) fn open_with_ca(url: &str, ca: &[u8]) -> Result<Self, redis::RedisError> {
        use redis::IntoConnectionInfo;
        let info = url.into_connection_info()?;
        if !matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. }) {
            return Err(redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "a CA certificate is for TLS: the Redis URL must start with rediss://",
            )));
        }
        ensure_crypto_provider();
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(ca.to_vec()),
        };
        Ok(Self::with_client(redis::Client::build_with_tls(
            info,
            certificates,
        )?))
    }

    fn with_client(client: redis::Client) -> Self {
        let tls = matches!(
            client.get_connection_info().addr(),
            redis::ConnectionAddr::TcpTls { .. }
        );
        Self {
            client,
            tls,
            connection: Mutex::new(None),
            down_until: Mutex::new(None),
            rejoined_at: Mutex::new(None),
            failing: AtomicBool::new(false),
            timeout: Duration::from_millis(50),
            cool_down: COOL_DOWN,
        }
    }

    pub(crate) fn server(&self) -> String {
        self.client.get_connection_info().addr().to_string()
    }

    /// A connection, unless Redis failed less than a cool-down ago or
    /// cannot be reached within the timeout.
    async fn connection(&self) -> Option<ConnectionManager> {
        if let Ok(down) = self.down_until.lock() {
            if down.is_some_and(|until| Instant::now() < until) {
                return None;
            }
        }
        if let Some(connection) = self.connection.lock().ok()?.clone() {
            return Some(connection);
        }
        let connect_timeout = if self.tls {
            self.timeout.max(TLS_CONNECT_TIMEOUT)
        } else {
            self.timeout
        };
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(connect_timeout));
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        match tokio::time::timeout(connect_timeout, connect).await {
            Ok(Ok(connection)) => {
                if let Ok(mut slot) = self.connection.lock() {
                    *slot = Some(connection.clone());
                }
                Some(connection)
            }
            Ok(Err(error)) => {
                self.failed(Failure::of(&error));
                None
            }
            Err(_) => {
                self.failed(Failure::Unavailable);
                None
            }
        }
    }

    /// Whether Redis came back less than a cool-down and a timeout ago:
    /// other processes of the fleet, whose cool-downs end later, may still
    /// be deciding on their local state until then.
    pub(crate) fn rejoining(&self) -> bool {
        self.rejoined_at.lock().is_ok_and(|at| {
            at.is_some_and(|at| at.elapsed() < self.cool_down.saturating_add(self.timeout))
        })
    }

    fn succeeded(&self) {
        if self.failing.swap(false, Ordering::Relaxed) {
            if let Ok(mut at) = self.rejoined_at.lock() {
                *at = Some(Instant::now());
            }
        }
    }

    fn failed(&self, failure: Failure) {
        self.failing.store(true, Ordering::Relaxed);
        if let Ok(mut down) = self.down_until.lock() {
            *down = Instant::now().checked_add(self.cool_down);
        }
        // The next attempt connects afresh: a connection to a server that
        // was frozen or restarted is not waited on.
        if let Ok(mut connection) = self.connection.lock() {
            *connection = None;
        }
        #[cfg(feature = "tracing")]
        match failure {
            Failure::Unavailable => tracing::warn!(
                server = %self.server(),
                "face-preflight: Redis unavailable, using local state"
            ),
            Failure::Refused => tracing::warn!(
                server = %self.server(),
                "face-preflight: Redis refused the credentials (check the user and password in the Redis URL), using local state"
            ),
            #[cfg(feature = "redis-tls")]
            Failure::Untrusted => tracing::warn!(
                server = %self.server(),
                "face-preflight: Redis's TLS certificate is not trusted (check its CA and host name), using local state"
            ),
        }
        #[cfg(not(feature = "tracing"))]
        let _ = failure;
    }

    /// Runs `call` on a connection within the timeout; `None` if Redis
    /// could not answer.
    pub(crate) async fn run<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.connection().await?;
        match tokio::time::timeout(self.timeout, call(connection)).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Some(value)
            }
            Ok(Err(error)) => {
                self.failed(Failure::of(&error));
                None
            }
            Err(_) => {
                self.failed(Failure::Unavailable);
                None
            }
        }
    }
}
