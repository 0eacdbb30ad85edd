//! [`Preflight`]: the service of [`PreflightLayer`](super::PreflightLayer).

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use super::future::ResponseFuture;
use super::{ForwardBody, PreflightLayer, ResponseBody};
use crate::pipeline::{BoxError, Pipeline};

/// The middleware made by [`PreflightLayer`].
#[derive(Clone, Debug)]
pub struct Preflight<S> {
    pub(crate) inner: S,
    pub(crate) pipeline: Arc<Pipeline>,
}

impl<S> Preflight<S> {
    /// Wraps `inner` with the default settings.
    pub fn new(inner: S) -> Self {
        PreflightLayer::new().layer(inner)
    }

    /// A [`PreflightLayer`] with the default settings.
    pub fn layer() -> PreflightLayer {
        PreflightLayer::new()
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Preflight<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    S::Error: Into<BoxError>,
    ReqBody: ForwardBody,
    ReqBody::Error: Into<BoxError>,
    ResBody: Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = BoxError;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        ResponseFuture::start(&self.pipeline, request, &mut self.inner)
    }
}
