//! [`LocalAnswer`]: a judge's answer as every adapter gives it.

use bytes::Bytes;
use http::{HeaderValue, Response};

use crate::error::{FaceApiError, LocalRejection, Source};
use crate::judge::Answer;

/// A local answer and the judge that gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LocalAnswer {
    pub(crate) answer: Answer,
    pub(crate) source: Source,
}

impl LocalAnswer {
    pub(crate) fn new(answer: Answer, source: Source) -> Self {
        Self { answer, source }
    }

    pub(crate) fn error(&self) -> &FaceApiError {
        &self.answer.error
    }

    /// The answer as the service would send it, marked with a
    /// [`LocalRejection`]: status, JSON envelope, `x-ms-error-code`, and
    /// `Retry-After` for a 429.
    pub(crate) fn into_response<B: From<Bytes>>(self) -> Response<B> {
        let mut response = self.answer.error.to_response::<B>();
        if let Some(seconds) = self.answer.retry_after {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(LocalRejection {
            error: self.answer.error,
            source: self.source,
        });
        response
    }

    /// The answer as an error, for [`reject_with_error`](crate::PreflightLayer::reject_with_error).
    pub(crate) fn into_error(self) -> FaceApiError {
        self.answer.error
    }
}
