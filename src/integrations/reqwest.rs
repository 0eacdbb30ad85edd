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

use http_body::SizeHint;
use pin_project_lite::pin_project;
use reqwest::ResponseBuilderExt;
use tower_service::Service;

use crate::config::{BoxError, Config, Decision};
use crate::error::{FaceApiError, LocalRejection};
use crate::report::Pending;
use crate::tap::{Tap, TappedBody};
use crate::Preflight;

/// What to do with a reqwest request.
pub(crate) enum Screened {
    /// Send it; in report-only mode with the local verdict to compare.
    Send(Option<Pending>),
    /// Answer it locally.
    Reject(FaceApiError),
}

/// The verdict on a reqwest request. The body is read in place
/// (`Body::as_bytes`); a streaming body is not consumed, so only what can be
/// judged without it is checked (and a declared `Content-Length` over the
/// limit).
fn verdict(config: &Config, request: &reqwest::Request) -> Result<(), FaceApiError> {
    let url = request.url();
    let headers = request.headers();
    match config.decide_head(request.method(), url.path(), url.query(), headers) {
        Decision::Pass => Ok(()),
        Decision::Reject(error) => Err(error),
        Decision::Read(plan) => match request.body().map(reqwest::Body::as_bytes) {
            None => config.decide_body(&plan, headers, &[]),
            Some(Some(bytes)) => config.decide_body(&plan, headers, bytes),
            Some(None) => Ok(()),
        },
    }
}

/// The verdict with the layer's mode applied.
pub(crate) fn screen(config: &Arc<Config>, request: &reqwest::Request) -> Screened {
    let (method, path) = (request.method(), request.url().path());
    match verdict(config, request) {
        Ok(()) => Screened::Send(
            config
                .report_only
                .then(|| Pending::new(config, method, path, None)),
        ),
        Err(error) if config.report_only => {
            Screened::Send(Some(Pending::new(config, method, path, Some(error))))
        }
        Err(error) => {
            config.note_rejection(method, path, &error);
            Screened::Reject(error)
        }
    }
}

/// The rejection as a real `reqwest::Response`: documented status,
/// `Content-Type: application/json`, `x-ms-error-code`, the JSON envelope,
/// the request's URL and the [`LocalRejection`] extension.
pub(crate) fn rejection_response(error: FaceApiError, url: &reqwest::Url) -> reqwest::Response {
    let mut response = error.to_response::<bytes::Bytes>();
    response.extensions_mut().insert(LocalRejection(error));
    with_url(response, url)
}

/// `reqwest::Response` from an `http::Response`, keeping `url` (which
/// reqwest reads from an extension that only its response builder sets).
pub(crate) fn with_url<B: Into<reqwest::Body>>(
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

/// Report-only: settles the comparison from the status, or has the error
/// body read along as the caller reads it. The caller gets the same
/// status, headers, extensions, URL and body bytes.
pub(crate) fn observe(response: reqwest::Response, pending: Option<Pending>) -> reqwest::Response {
    let Some(pending) = pending else {
        return response;
    };
    let size = response
        .content_length()
        .map_or_else(SizeHint::default, SizeHint::with_exact);
    match pending.settle(response.status(), &size) {
        Some(tap) => tap_response(response, tap),
        None => response,
    }
}

/// The same response, its body read along by `tap`.
pub(crate) fn tap_response(response: reqwest::Response, tap: Tap) -> reqwest::Response {
    let url = response.url().clone();
    let response: http::Response<reqwest::Body> = response.into();
    with_url(
        response.map(|body| reqwest::Body::wrap(TappedBody::new(body, tap))),
        &url,
    )
}

impl<S> Service<reqwest::Request> for Preflight<S>
where
    S: Service<reqwest::Request, Response = reqwest::Response>,
    S::Error: Into<BoxError>,
{
    type Response = reqwest::Response;
    type Error = BoxError;
    type Future = ReqwestResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: reqwest::Request) -> Self::Future {
        let kind = match screen(&self.config, &request) {
            Screened::Send(pending) => Kind::Inner {
                future: self.inner.call(request),
                pending,
            },
            Screened::Reject(error) if self.config.reject_with_error => Kind::Rejected {
                result: Some(Err(Box::new(error))),
            },
            Screened::Reject(error) => Kind::Rejected {
                result: Some(Ok(rejection_response(error, request.url()))),
            },
        };
        ReqwestResponseFuture { kind }
    }
}

pin_project! {
    /// The future of [`Preflight`] around a reqwest client.
    pub struct ReqwestResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] future: F, pending: Option<Pending> },
        Rejected { result: Option<Result<reqwest::Response, BoxError>> },
    }
}

impl<F, E> Future for ReqwestResponseFuture<F>
where
    F: Future<Output = Result<reqwest::Response, E>>,
    E: Into<BoxError>,
{
    type Output = Result<reqwest::Response, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future, pending } => {
                let response = std::task::ready!(future.poll(cx)).map_err(Into::into)?;
                Poll::Ready(Ok(observe(response, pending.take())))
            }
            KindProj::Rejected { result } => Poll::Ready(
                result
                    .take()
                    .unwrap_or_else(|| Err("ReqwestResponseFuture polled after completion".into())),
            ),
        }
    }
}
