//! [`PreflightMiddleware`] for `reqwest_middleware::ClientWithMiddleware`.

use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use crate::integrations::reqwest::drive;
use crate::PreflightLayer;

/// The checks as a `reqwest_middleware::Middleware`: a request the service
/// would reject is answered with the documented response (or, with
/// [`PreflightLayer::reject_with_error`], fails with
/// `reqwest_middleware::Error::Middleware` holding the [`FaceApiError`](crate::FaceApiError))
/// and never sent.
///
/// ```no_run
/// use face_preflight::{PreflightLayer, PreflightMiddleware};
///
/// # async fn run() -> Result<(), reqwest_middleware::Error> {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(PreflightMiddleware::new(PreflightLayer::new()))
///     .build();
/// let response = client
///     .get("https://myresource.cognitiveservices.azure.com/face/v1.2/persongroups?top=0")
///     .send()
///     .await?;
/// assert_eq!(response.status(), 400);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct PreflightMiddleware {
    layer: PreflightLayer,
}

impl PreflightMiddleware {
    /// The middleware with the settings of `layer`.
    pub fn new(layer: PreflightLayer) -> Self {
        Self { layer }
    }
}

#[async_trait::async_trait]
impl Middleware for PreflightMiddleware {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let pipeline = std::sync::Arc::clone(&self.layer.pipeline);
        drive(pipeline, request, |request| next.run(request, extensions))
            .await?
            .map_err(reqwest_middleware::Error::middleware)
    }
}
