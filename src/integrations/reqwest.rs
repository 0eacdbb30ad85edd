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
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use reqwest::ResponseBuilderExt;
use tower_service::Service;

use crate::layer::{trace_rejection, BoxError, Config};
use crate::rules::check_head;
use crate::{FaceApiError, Preflight};

/// The verdict on a reqwest request. The body is read in place
/// (`Body::as_bytes`); a streaming body is not consumed, so only what can be
/// judged without it is checked (and a declared `Content-Length` over the
/// limit).
pub(crate) fn check_reqwest(
    config: &Config,
    request: &reqwest::Request,
) -> Result<(), FaceApiError> {
    let url = request.url();
    let verdict = check_head(
        &config.options,
        request.method(),
        url.path(),
        url.query(),
        request.headers(),
    )
    .and_then(|plan| {
        let Some(plan) = plan else { return Ok(()) };
        match request.body() {
            None => plan.check(request.headers(), &[]),
            Some(body) => match body.as_bytes() {
                Some(bytes) => plan.check(request.headers(), bytes),
                None if plan.declared_too_large(request.headers()) => Err(plan.too_large()),
                None => Ok(()),
            },
        }
    });
    if let Err(error) = &verdict {
        trace_rejection(request.method(), url.path(), error);
    }
    verdict
}

/// The rejection as a real `reqwest::Response`: documented status,
/// `Content-Type: application/json`, the JSON envelope, and the request's URL.
pub(crate) fn rejection_response(error: &FaceApiError, url: &reqwest::Url) -> reqwest::Response {
    let (mut parts, body) = error.to_response::<bytes::Bytes>().into_parts();
    let builder = http::Response::builder().url(url.clone());
    if let Some(extensions) = builder.extensions_ref() {
        parts.extensions.extend(extensions.clone());
    }
    reqwest::Response::from(http::Response::from_parts(parts, body))
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
        let kind = match check_reqwest(&self.config, &request) {
            Ok(()) => Kind::Inner {
                future: self.inner.call(request),
            },
            Err(error) if self.config.reject_with_error => Kind::Rejected {
                result: Some(Err(Box::new(error))),
            },
            Err(error) => Kind::Rejected {
                result: Some(Ok(rejection_response(&error, request.url()))),
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
        Inner { #[pin] future: F },
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
            KindProj::Inner { future } => future.poll(cx).map_err(Into::into),
            KindProj::Rejected { result } => Poll::Ready(
                result
                    .take()
                    .unwrap_or_else(|| Err("ReqwestResponseFuture polled after completion".into())),
            ),
        }
    }
}
