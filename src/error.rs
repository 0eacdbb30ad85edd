//! [`FaceApiError`]: one documented error of the Face service, local or remote.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::StatusCode;

use crate::catalogue::Entry;

/// An error of the Azure AI Face service: HTTP status, error code and message.
///
/// Every error the crate produces comes from the [`catalogue`](crate::catalogue)
/// of documented errors, with the message verbatim. The same type parses the
/// service's own error bodies ([`FaceApiError::from_json`]), so a caller
/// handles a local rejection and a remote one with one `match`.
///
/// ```
/// use face_preflight::{catalogue, FaceApiError};
///
/// let local = FaceApiError::from(catalogue::TOP_INVALID);
/// let remote = FaceApiError::from_json(
///     400,
///     br#"{"error":{"code":"BadArgument","message":"'top' is invalid."}}"#,
/// )
/// .unwrap();
/// assert_eq!(local, remote);
/// assert!(remote.is(&catalogue::TOP_INVALID));
/// assert_eq!(local.status(), 400);
/// assert_eq!(local.code(), "BadArgument");
/// assert_eq!(&local.to_json()[..], br#"{"error":{"code":"BadArgument","message":"'top' is invalid."}}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FaceApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
}

impl FaceApiError {
    /// An error with any status, code and message (for errors that are not in the catalogue).
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// Parses the service's error envelope `{"error":{"code":…,"message":…}}`.
    ///
    /// Returns `None` when the body is not such an envelope or the status is not a
    /// valid HTTP status.
    pub fn from_json(status: u16, body: &[u8]) -> Option<Self> {
        let status = StatusCode::from_u16(status).ok()?;
        let envelope: serde_json::Value = serde_json::from_slice(body).ok()?;
        let error = envelope.get("error")?;
        let code = error.get("code")?.as_str()?.to_owned();
        let message = error.get("message")?.as_str()?.to_owned();
        Some(Self::new(status, code, message))
    }

    /// The HTTP status the service answers with, e.g. `400`.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code, e.g. `"BadArgument"`, `"InvalidImageSize"` or `"401"`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The documented message, verbatim, e.g. `"'top' is invalid."`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this error is the catalogue entry `entry` (status, code and
    /// message; a message placeholder such as `<personId>` matches any value).
    pub fn is(&self, entry: &Entry) -> bool {
        self.status.as_u16() == entry.status
            && self.code == entry.code
            && entry.matches_message(&self.message)
    }

    /// The service's JSON error envelope: `{"error":{"code":"…","message":"…"}}`.
    pub fn to_json(&self) -> Bytes {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        });
        // Serializing a `Value` of strings cannot fail.
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
    }

    /// The error as the service would send it: status, `Content-Type:
    /// application/json`, the `x-ms-error-code` header that Azure services
    /// set on error responses, and the JSON envelope.
    pub fn to_response<B: From<Bytes>>(&self) -> http::Response<B> {
        let mut response = http::Response::new(B::from(self.to_json()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Ok(code) = http::HeaderValue::from_str(&self.code) {
            headers.insert("x-ms-error-code", code);
        }
        response
    }
}

// The catalogue knows nothing of errors: its rows become errors here.
impl Entry {
    /// The error of this row (a placeholder stays as written).
    pub fn error(self) -> FaceApiError {
        FaceApiError::new(self.status, self.code, self.message)
    }

    /// The error of this row with its placeholder replaced by `value`.
    pub fn with(self, value: &str) -> FaceApiError {
        let message = match self.placeholder() {
            Some((start, end)) => format!(
                "{}{}{}",
                &self.message[..start],
                value,
                &self.message[end..]
            ),
            None => self.message.to_owned(),
        };
        FaceApiError::new(self.status, self.code, message)
    }
}

impl From<Entry> for FaceApiError {
    fn from(entry: Entry) -> Self {
        entry.error()
    }
}

impl fmt::Display for FaceApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for FaceApiError {}

/// Which judge answered a request locally.
///
/// The stateless rules decide from the request alone; the learned facts
/// (feature `facts`) from what earlier answers taught; the pacing (feature
/// `pace`) from the resource's rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Source {
    /// The documented rules of the operation.
    Rules,
    /// A fact learned from earlier answers (an expired faceId, a model).
    Facts,
    /// The pacing under the resource's rate limit.
    Pacing,
}

impl Source {
    /// A short name: `rules`, `facts`, `pacing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rules => "rules",
            Source::Facts => "facts",
            Source::Pacing => "pacing",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A response extension that marks a local answer: the layer answered the
/// request and the service never saw it. Set on the responses of every
/// adapter (`http::Response::extensions`, `reqwest::Response::extensions`).
///
/// ```
/// use face_preflight::{LocalRejection, PreflightLayer, Source};
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = service_fn(|_: http::Request<http_body_util::Full<bytes::Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(bytes::Bytes::new())))
/// });
/// let service = PreflightLayer::new().layer(client);
/// let request = http::Request::get("https://x.cognitiveservices.azure.com/face/v1.2/persongroups?top=0")
///     .body(Default::default())
///     .unwrap();
/// let response = service.oneshot(request).await.unwrap();
/// let local = response.extensions().get::<LocalRejection>().unwrap();
/// assert_eq!(local.error.message(), "'top' is invalid.");
/// assert_eq!(local.source, Source::Rules);
/// assert_eq!(response.headers()["x-ms-error-code"], "BadArgument");
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalRejection {
    /// The answer, as the service documents it.
    pub error: FaceApiError,
    /// The judge that gave it.
    pub source: Source,
}
