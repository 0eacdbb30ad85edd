//! The connections to the upstream: a pool of HTTP/1 connections made with
//! hyper's own `client::conn`, each driven by a task of its own and lent to
//! one request at a time.
//!
//! hyper-util's legacy client did the same for any number of hosts, with a
//! pool keyed by host, checkout futures and wrappers around each request:
//! this pool, for the one upstream, measured 14–18 % more requests a second
//! on one core (docs/performance.md). What it keeps from the legacy client:
//! a connection is lent again only once the previous answer's body has
//! ended (no request queues behind a long answer), a request that a reused
//! connection closed before sending any of it is sent again on another,
//! idle connections are dropped after a while, and TLS is the same rustls
//! connector.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::Instant;
use tower_service::Service;

use super::{ProxyBody, CONNECTION_BUFFER};
use crate::pipeline::BoxError;

/// How long a connection may wait unused before it is closed instead of
/// lent (the legacy client's default): shorter than the idle limits of
/// Azure's front ends, so that the proxy, not the upstream, closes it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

type Sender = SendRequest<ProxyBody>;

struct Idle {
    sender: Sender,
    since: Instant,
}

/// The upstream's connections.
pub(super) struct Upstream {
    connector: HttpsConnector<HttpConnector>,
    /// The scheme and authority to connect to.
    origin: Uri,
    /// Connections whose last answer has ended, the most recent last.
    idle: Mutex<Vec<Idle>>,
    max_idle: usize,
}

impl Upstream {
    pub(super) fn new(
        connector: HttpsConnector<HttpConnector>,
        upstream: &Uri,
        max_idle: usize,
    ) -> Arc<Self> {
        let origin = Uri::builder()
            .scheme(upstream.scheme_str().unwrap_or("https"))
            .authority(upstream.authority().map_or("", |a| a.as_str()))
            .path_and_query("/")
            .build()
            .unwrap_or_else(|_| upstream.clone());
        Arc::new(Self {
            connector,
            origin,
            idle: Mutex::new(Vec::new()),
            max_idle,
        })
    }

    /// Sends `request` (its URI absolute, as the proxy made it) on an idle
    /// connection or a new one.
    pub(super) async fn send(
        self: Arc<Self>,
        request: Request<ProxyBody>,
    ) -> Result<Response<PooledBody>, BoxError> {
        let mut request = origin_form(request);
        loop {
            let (mut sender, reused) = match self.checkout().await {
                Some(sender) => (sender, true),
                None => (self.connect().await?, false),
            };
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let pool = Arc::clone(&self);
                    return Ok(response.map(|body| PooledBody::new(body, sender, pool)));
                }
                Err(mut error) => match error.take_message() {
                    // The connection closed before any of the request went
                    // out (the upstream dropped an idle one): another one.
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(Box::new(error.into_error())),
                },
            }
        }
    }

    /// The most recently used idle connection still open, ready for a
    /// request.
    async fn checkout(&self) -> Option<Sender> {
        loop {
            let idle = self.idle.lock().ok()?.pop()?;
            if idle.since.elapsed() >= IDLE_TIMEOUT || idle.sender.is_closed() {
                continue;
            }
            let mut sender = idle.sender;
            // Its answer has ended: the connection's task only has to see
            // it, so this does not wait behind another request.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(&self) -> Result<Sender, BoxError> {
        let mut connector = self.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx)).await?;
        let io = connector.call(self.origin.clone()).await?;
        let (sender, connection) = hyper::client::conn::http1::Builder::new()
            .max_buf_size(CONNECTION_BUFFER)
            .handshake(io)
            .await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }

    /// Takes back a connection whose answer has ended.
    fn put(&self, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        if idle.len() >= self.max_idle {
            idle.retain(|idle| idle.since.elapsed() < IDLE_TIMEOUT && !idle.sender.is_closed());
        }
        if idle.len() < self.max_idle {
            idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }
}

/// The request with its URI in origin form (`/face/v1.2/…?…`), as HTTP/1
/// sends it to a server; `Host` is already the upstream's.
fn origin_form(request: Request<ProxyBody>) -> Request<ProxyBody> {
    let (mut parts, body) = request.into_parts();
    if let Some(path_and_query) = parts.uri.path_and_query() {
        let mut origin = http::uri::Parts::default();
        origin.path_and_query = Some(path_and_query.clone());
        if let Ok(uri) = Uri::from_parts(origin) {
            parts.uri = uri;
        }
    }
    Request::from_parts(parts, body)
}

/// An upstream answer's body, which gives its connection back to the pool
/// once it has ended. One dropped before its end takes the connection with
/// it: what is left of the answer would have to be read first.
pub(super) struct PooledBody {
    body: Incoming,
    sender: Option<Sender>,
    pool: Arc<Upstream>,
}

impl PooledBody {
    fn new(body: Incoming, sender: Sender, pool: Arc<Upstream>) -> Self {
        Self {
            body,
            sender: Some(sender),
            pool,
        }
    }

    fn release(&mut self) {
        if let Some(sender) = self.sender.take() {
            self.pool.put(sender);
        }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let frame = ready!(Pin::new(&mut this.body).poll_frame(cx));
        match &frame {
            None => this.release(),
            Some(Ok(_)) if this.body.is_end_stream() => this.release(),
            Some(Err(_)) => this.sender = None,
            Some(Ok(_)) => {}
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // An empty answer (a 202, a 200 without content) is ended before
        // anyone reads it.
        if self.body.is_end_stream() {
            self.release();
        }
    }
}
