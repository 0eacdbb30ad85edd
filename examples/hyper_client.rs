//! face-preflight around hyper-util's legacy client.
//!
//! ```text
//! cargo run --example hyper_client
//! ```
//!
//! The wrapped client answers `http::Response<ResponseBody<Incoming>>`: the
//! server's body when the request was sent, the documented error's JSON when
//! it was refused locally.

use std::convert::Infallible;

use bytes::Bytes;
use face_preflight::{FaceApiError, PreflightLayer};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let address = stand_in_server().await?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let face = ServiceBuilder::new()
        .layer(PreflightLayer::new())
        .service(client);

    for (path, body) in [
        (
            "/face/v1.2/group",
            r#"{"faceIds":["c5c24a82-6845-4031-9d5d-978df9175426"]}"#,
        ),
        (
            "/face/v1.2/group",
            r#"{"faceIds":["c5c24a82-6845-4031-9d5d-978df9175426","015839fb-fbd9-4f79-ace9-7675fc2f1dd9"]}"#,
        ),
    ] {
        let request = http::Request::post(format!("http://{address}{path}"))
            .header("content-type", "application/json")
            .header("ocp-apim-subscription-key", "stand-in-key")
            .body(Full::new(Bytes::from(body)))?;
        let response = face.clone().oneshot(request).await?;
        let status = response.status();
        let local = response.body().is_rejection();
        let body = response.into_body().collect().await?.to_bytes();
        match FaceApiError::from_json(status.as_u16(), &body) {
            Some(error) if local => println!("rejected locally: {error}"),
            _ => println!("sent: {status} {}", String::from_utf8_lossy(&body)),
        }
    }
    Ok(())
}

/// Answers every request with `[]`.
async fn stand_in_server() -> Result<std::net::SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = hyper::service::service_fn(|_request| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"[]"))))
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    Ok(address)
}
