//! [`Preflight`]: the service of [`PreflightLayer`](super::PreflightLayer).

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use super::future::{Buffer, ResponseFuture, State};
use super::{PreflightLayer, ResponseBody};
use crate::config::{BoxError, Config, Decision};
use crate::error::FaceApiError;
use crate::report::Pending;

/// The middleware made by [`PreflightLayer`].
#[derive(Clone, Debug)]
pub struct Preflight<S> {
    pub(crate) inner: S,
    pub(crate) config: Arc<Config>,
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
    ReqBody: Body + From<Bytes>,
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
        let config = &self.config;
        let (parts, body) = request.into_parts();
        let decision = config.decide_head(
            &parts.method,
            parts.uri.path(),
            parts.uri.query(),
            &parts.headers,
        );
        let state = match decision {
            Decision::Pass => {
                let pending = config
                    .report_only
                    .then(|| Pending::new(config, &parts.method, parts.uri.path(), None));
                State::Calling {
                    future: self.inner.call(Request::from_parts(parts, body)),
                    pending,
                }
            }
            Decision::Reject(error) if config.report_only => {
                let pending = Pending::new(config, &parts.method, parts.uri.path(), Some(error));
                State::Calling {
                    future: self.inner.call(Request::from_parts(parts, body)),
                    pending: Some(pending),
                }
            }
            Decision::Reject(error) => rejected(config, error, &parts),
            Decision::Read(plan) => {
                let config = config.clone();
                State::Reading {
                    body,
                    parts: Some(parts),
                    buffer: Buffer::default(),
                    plan,
                    inner: Some(crate::config::take_ready(&mut self.inner)),
                    config,
                }
            }
        };
        ResponseFuture { state }
    }
}

/// The state of a request answered locally, counted and traced.
pub(super) fn rejected<S, B>(config: &Config, error: FaceApiError, parts: &Parts) -> State<S, B>
where
    S: Service<Request<B>>,
{
    config.note_rejection(&parts.method, parts.uri.path(), &error);
    State::Rejected {
        error: Some(error),
        reject_with_error: config.reject_with_error,
    }
}
