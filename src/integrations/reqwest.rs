//! `reqwest::Client` as a `tower::Service<reqwest::Request>`, wrapped by
//! [`Preflight`].
//!
//! ```no_run
//! use face_preflight::PreflightLayer;
//! use tower::{Service, ServiceBuilder, ServiceExt};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let client = reqwest::Client::new();
//! let mut face = ServiceBuilder::new().layer(PreflightLayer::new()).service(client.clone());
//! let request = client
//!     .post("https://myresource.cognitiveservices.azure.com/face/v1.2/identify")
//!     .header("Ocp-Apim-Subscription-Key", "…")
//!     .json(&serde_json::json!({ "faceIds": [], "personGroupId": "staff" }))
//!     .build()?;
//! let response = face.ready().await?.call(request).await?;
//! // Answered locally, exactly as the service would have answered.
//! assert_eq!(response.status(), 400);
//! assert!(response.error_for_status().is_err());
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::SizeHint;
use reqwest::ResponseBuilderExt;
use tower_service::Service;

use crate::error::FaceApiError;
use crate::pipeline::{take_ready, BoxError, Head, Next, Origin, Pipeline, Sent, Settled};
use crate::tap::{Tap, TappedBody};
use crate::Preflight;

/// Drives one reqwest request through the pipeline and sends it with
/// `send`, for the tower service and the `reqwest_middleware` middleware
/// alike. The body is read in place (`Body::as_bytes`); a streaming body is
/// not consumed, so only what can be judged without it is judged. The inner
/// `Err` is a local answer under
/// [`reject_with_error`](crate::PreflightLayer::reject_with_error).
pub(crate) async fn drive<F, E>(
    pipeline: Arc<Pipeline>,
    request: reqwest::Request,
    send: impl FnOnce(reqwest::Request) -> F,
) -> Result<Result<reqwest::Response, FaceApiError>, E>
where
    F: Future<Output = Result<reqwest::Response, E>>,
{
    let url = request.url();
    let mut ticket = pipeline.start(Head {
        method: request.method(),
        origin: Origin::Parts {
            scheme: Some(url.scheme()),
            host: url.host_str(),
            port: url.port(),
        },
        path: url.path(),
        query: url.query(),
        headers: request.headers(),
    });
    loop {
        match pipeline.next(&ticket) {
            Next::Read(_) | Next::ReadHead { .. } => {
                match request.body().map(reqwest::Body::as_bytes) {
                    None => pipeline.read(&mut ticket, request.headers(), &[]),
                    Some(Some(bytes)) => pipeline.read(&mut ticket, request.headers(), bytes),
                    Some(None) => pipeline.skip_body(&mut ticket),
                }
            }
            Next::Decide => ticket = Arc::clone(&pipeline).decide(ticket).await,
            Next::Answer | Next::Send => break,
        }
    }
    match pipeline.settle(ticket) {
        Settled::Answer(answer) if pipeline.reject_with_error => Ok(Err(answer.into_error())),
        Settled::Answer(answer) => Ok(Ok(with_url(answer.into_response::<Bytes>(), request.url()))),
        Settled::Send(sent) => {
            let response = send(request).await?;
            Ok(Ok(observe(response, sent)))
        }
    }
}

/// `reqwest::Response` from an `http::Response`, keeping `url` (which
/// reqwest reads from an extension that only its response builder sets).
fn with_url<B: Into<reqwest::Body>>(
    response: http::Response<B>,
    url: &reqwest::Url,
) -> reqwest::Response {
    let (mut parts, body) = response.into_parts();
    let builder = http::Response::builder().url(url.clone());
    if let Some(extensions) = builder.extensions_ref() {
        parts.extensions.extend(extensions.clone());
    }
    reqwest::Response::from(http::Response::from_parts(parts, body))
}

/// Lets the pipeline watch the answer: the caller gets the same status,
/// headers, extensions, URL and body bytes, read along by a tap where a
/// judge or the report-only comparison needs the body.
fn observe(response: reqwest::Response, sent: Option<Sent>) -> reqwest::Response {
    let Some(sent) = sent else {
        return response;
    };
    let size = response
        .content_length()
        .map_or_else(SizeHint::default, SizeHint::with_exact);
    match sent.observe(response.status(), response.headers(), &size) {
        Some(tap) => tap_response(response, tap),
        None => response,
    }
}

/// The same response, its body read along by `tap`.
fn tap_response(response: reqwest::Response, tap: Tap) -> reqwest::Response {
    let url = response.url().clone();
    let response: http::Response<reqwest::Body> = response.into();
    with_url(
        response.map(|body| reqwest::Body::wrap(TappedBody::new(body, tap))),
        &url,
    )
}

impl<S> Service<reqwest::Request> for Preflight<S>
where
    S: Service<reqwest::Request, Response = reqwest::Response> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
{
    type Response = reqwest::Response;
    type Error = BoxError;
    type Future = ReqwestResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: reqwest::Request) -> Self::Future {
        let pipeline = Arc::clone(&self.pipeline);
        let mut inner = take_ready(&mut self.inner);
        ReqwestResponseFuture {
            future: Box::pin(async move {
                match drive(pipeline, request, move |request| inner.call(request)).await {
                    Ok(Ok(response)) => Ok(response),
                    Ok(Err(answer)) => Err(Box::new(answer) as BoxError),
                    Err(error) => Err(error.into()),
                }
            }),
        }
    }
}

/// The future of [`Preflight`] around a reqwest client.
pub struct ReqwestResponseFuture {
    future: Pin<Box<dyn Future<Output = Result<reqwest::Response, BoxError>> + Send>>,
}

impl std::fmt::Debug for ReqwestResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReqwestResponseFuture")
            .finish_non_exhaustive()
    }
}

impl Future for ReqwestResponseFuture {
    type Output = Result<reqwest::Response, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}
