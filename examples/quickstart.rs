//! face-preflight in five minutes, with no Azure account and no network.
//!
//! Starts a stand-in Face API on 127.0.0.1, wraps a `reqwest::Client` in
//! `PreflightLayer`, sends realistic good and bad requests and prints, for
//! each, whether it was answered locally or by the server, and how long it
//! took. Set `FACE_ENDPOINT` and `FACE_KEY` to talk to a real Face resource
//! instead.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::convert::Infallible;
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use face_preflight::{FaceApiError, PreflightLayer};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::{Service, ServiceBuilder, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let seen = Arc::new(AtomicUsize::new(0));
    let (endpoint, key) = match (std::env::var("FACE_ENDPOINT"), std::env::var("FACE_KEY")) {
        (Ok(endpoint), Ok(key)) => (endpoint.trim_end_matches('/').to_owned(), key),
        _ => {
            let address = start_stand_in_server(seen.clone()).await?;
            (format!("http://{address}"), "stand-in-key".to_owned())
        }
    };
    println!("Face endpoint: {endpoint}\n");

    let client = reqwest::Client::new();
    // Counts what leaves the preflight check for the network.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let mut face = ServiceBuilder::new()
        .layer(PreflightLayer::new())
        .map_request(move |request: reqwest::Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            request
        })
        .service(client.clone());

    let ids: Vec<String> = (0..11)
        .map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}"))
        .collect();
    let device = "c5c24a82-6845-4031-9d5d-978df9175426";
    let requests = [
        ("bad:  person group ID with an upper-case letter", client.put(format!("{endpoint}/face/v1.2/persongroups/Staff")).json(&serde_json::json!({"name": "Staff"}))),
        ("bad:  identify with 11 faceIds", client.post(format!("{endpoint}/face/v1.2/identify")).json(&serde_json::json!({"faceIds": ids, "personGroupId": "staff"}))),
        ("bad:  detect with a 600-byte image", client.post(format!("{endpoint}/face/v1.2/detect")).header("content-type", "application/octet-stream").body(vec![0xff; 600])),
        ("bad:  detect with a TIFF", client.post(format!("{endpoint}/face/v1.2/detect")).header("content-type", "application/octet-stream").body(image(image::ImageFormat::Tiff))),
        ("bad:  detection_02 with returnFaceAttributes", client.post(format!("{endpoint}/face/v1.2/detect?detectionModel=detection_02&returnFaceAttributes=mask")).json(&serde_json::json!({"url": "https://example.com/face.jpg"}))),
        ("bad:  liveness token lifetime of 30 s", client.post(format!("{endpoint}/face/v1.2/detectLiveness-sessions")).json(&serde_json::json!({"livenessOperationMode": "Passive", "deviceCorrelationId": device, "authTokenTimeToLiveInSeconds": 30}))),
        ("good: create person group", client.put(format!("{endpoint}/face/v1.2/persongroups/staff")).json(&serde_json::json!({"name": "Staff", "recognitionModel": "recognition_04"}))),
        ("good: detect a JPEG", client.post(format!("{endpoint}/face/v1.2/detect?detectionModel=detection_03&returnFaceId=false")).header("content-type", "application/octet-stream").body(image(image::ImageFormat::Jpeg))),
        ("good: identify with 10 faceIds", client.post(format!("{endpoint}/face/v1.2/identify")).json(&serde_json::json!({"faceIds": &ids[..10], "personGroupId": "staff"}))),
        ("good: liveness session for 10 minutes", client.post(format!("{endpoint}/face/v1.2/detectLiveness-sessions")).json(&serde_json::json!({"livenessOperationMode": "Passive", "deviceCorrelationId": device, "authTokenTimeToLiveInSeconds": 600}))),
    ];

    for (label, builder) in requests {
        let request = builder.header("Ocp-Apim-Subscription-Key", &key).build()?;
        let before = sent.load(Ordering::SeqCst);
        let started = Instant::now();
        let response = face.ready().await?.call(request).await?;
        let elapsed = started.elapsed();
        let status = response.status();
        let body = response.bytes().await?;
        let forwarded = sent.load(Ordering::SeqCst) > before;
        println!("{label}");
        if !forwarded {
            let error =
                FaceApiError::from_json(status.as_u16(), &body).ok_or("not a Face error")?;
            println!("      rejected locally in {elapsed:>9.1?}: {error}");
        } else {
            println!(
                "      forwarded, server answered in {elapsed:>9.1?}: {status} {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    println!(
        "\n{} of 10 requests were sent; the stand-in server saw {}.",
        sent.load(Ordering::SeqCst),
        seen.load(Ordering::SeqCst)
    );
    Ok(())
}

/// A small image (about 20 KB) in `format`.
fn image(format: image::ImageFormat) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(160, 120, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    let written = image::DynamicImage::ImageRgb8(pixels).write_to(&mut out, format);
    written.map(|()| out.into_inner()).unwrap_or_default()
}

/// A stand-in for the Face service: answers every request with a plausible
/// success and counts what it receives.
async fn start_stand_in_server(seen: Arc<AtomicUsize>) -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    seen.fetch_add(1, Ordering::SeqCst);
                    let path = request.uri().path().to_ascii_lowercase();
                    let body = if path.ends_with("/detect") || path.ends_with("/identify") {
                        "[]"
                    } else if path.contains("detectliveness") {
                        r#"{"sessionId":"b12e033e-bda7-4b83-a211-e721c661f30e","authToken":"eyJhbGciOiJFUzI1NiIsImtpZCI6IjEiLCJ0eXAiOiJKV1QifQ"}"#
                    } else {
                        ""
                    };
                    async move {
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body)))
                                .unwrap_or_default(),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}
