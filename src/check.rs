//! [`check`]: the whole verdict on one request, without I/O.

use http::Request;

use crate::error::FaceApiError;
use crate::pipeline::{Head, Pipeline};

/// Checks one Face API request exactly as [`PreflightLayer`](crate::PreflightLayer)
/// does with its default settings.
///
/// `Ok(())` means the service may accept the request (or this crate does not
/// know the operation); `Err` is the error the service documents for it.
///
/// ```
/// use face_preflight::check;
///
/// let request = http::Request::put("https://x.cognitiveservices.azure.com/face/v1.2/persongroups/MyGroup")
///     .header("content-type", "application/json")
///     .body(r#"{"name":"staff"}"#)
///     .unwrap();
/// let error = check(&request).unwrap_err();
/// assert_eq!(error.status(), 400);
/// assert_eq!(error.code(), "BadArgument");
/// assert_eq!(error.message(), "Person group ID is invalid.");
/// ```
pub fn check<B: AsRef<[u8]>>(request: &Request<B>) -> Result<(), FaceApiError> {
    // One default configuration for every call: building one allocates.
    static DEFAULT: std::sync::LazyLock<Pipeline> = std::sync::LazyLock::new(Pipeline::default);
    check_with(&DEFAULT, request)
}

pub(crate) fn check_with<B: AsRef<[u8]>>(
    pipeline: &Pipeline,
    request: &Request<B>,
) -> Result<(), FaceApiError> {
    pipeline.check(Head::of(request), request.body().as_ref())
}
