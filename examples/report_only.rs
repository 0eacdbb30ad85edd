//! Report-only mode: the safe way to put face-preflight in front of a
//! production Face resource. Nothing is rejected; every local verdict is
//! compared with the service's answer, and the table at the end says how
//! often they agreed.
//!
//! A stand-in Face API on 127.0.0.1 plays the service. It answers like the
//! real one for most requests, but (to show each outcome) it has "relaxed"
//! the `top` limit of person group listings to 2,000, it refuses one
//! request the crate lets through, and it checks a body before a path.
//!
//! ```text
//! cargo run --example report_only
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use face_preflight::report::Outcome;
use face_preflight::{catalogue, FaceApiError, PreflightLayer};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::{Service, ServiceBuilder, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let address = start_stand_in().await?;
    let endpoint = format!("http://{address}");
    println!("stand-in Face API: {endpoint}\n");

    let layer = PreflightLayer::new()
        .report_only(true)
        .on_verdict(|verdict| {
            if verdict.outcome != Outcome::Agreed {
                println!(
                    "  ! {:<16} {:?}: crate {}, service {} {}",
                    verdict.outcome.as_str(),
                    verdict.operation,
                    verdict.local.map_or("sends".to_owned(), |e| e.to_string()),
                    verdict.status,
                    verdict
                        .remote
                        .map_or(String::new(), |e| e.message().to_owned()),
                );
            }
        });
    let stats = layer.stats();
    let client = reqwest::Client::new();
    let mut face = ServiceBuilder::new().layer(layer).service(client.clone());

    let ids: Vec<String> = (0..11)
        .map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}"))
        .collect();
    let requests = [
        client.get(format!("{endpoint}/face/v1.2/persongroups?top=100")),
        client.get(format!("{endpoint}/face/v1.2/persongroups?top=1500")),
        client
            .put(format!("{endpoint}/face/v1.2/persongroups/Staff"))
            .json(&serde_json::json!({"name": "Staff"})),
        client
            .put(format!("{endpoint}/face/v1.2/persongroups/staff"))
            .json(&serde_json::json!({"name": "Staff"})),
        client
            .put(format!("{endpoint}/face/v1.2/persongroups/Team"))
            .json(&serde_json::json!({"name": ""})),
        client
            .post(format!("{endpoint}/face/v1.2/identify"))
            .json(&serde_json::json!({"faceIds": ids, "personGroupId": "staff"})),
        client
            .post(format!("{endpoint}/face/v1.2/identify"))
            .json(&serde_json::json!({"faceIds": &ids[..2], "personGroupId": "staff"})),
        client
            .post(format!("{endpoint}/face/v1.2/detect"))
            .json(&serde_json::json!({"url": "https://example.com/face.jpg"})),
        client.get(format!("{endpoint}/face/v1.2/persongroups/nobody")),
    ];
    for builder in requests {
        let request = builder
            .header("Ocp-Apim-Subscription-Key", "stand-in-key")
            .build()?;
        println!("{} {}", request.method(), request.url().path());
        let response = face.ready().await?.call(request).await?;
        let status = response.status();
        // Reading the body lets the layer compare error answers.
        let body = response.bytes().await?;
        println!("  service: {status}, {} bytes", body.len());
    }

    let snapshot = stats.snapshot();
    println!("\noutcome            count");
    for (name, count) in [
        ("agreed", snapshot.agreed),
        ("false rejections", snapshot.false_rejections),
        ("missed", snapshot.missed),
        ("different errors", snapshot.different_errors),
    ] {
        println!("{name:<18} {count}");
    }
    println!("\nby outcome, operation and code:");
    for (key, count) in snapshot.rows {
        println!(
            "  {:<16} {:<40} crate {:<12} service {:<12} {count}",
            key.outcome.map_or("rejected", Outcome::as_str),
            format!("{:?}", key.operation),
            key.local_code.unwrap_or_else(|| "-".into()),
            key.remote_code.unwrap_or_else(|| "-".into()),
        );
    }
    Ok(())
}

/// The stand-in's answer to one request.
fn answer(method: &str, path: &str, query: &str, body: &[u8]) -> (u16, Bytes) {
    let error =
        |entry: catalogue::Entry| (entry.status.as_u16(), FaceApiError::from(entry).to_json());
    if path.contains("/persongroups") && method == "GET" {
        // "Relaxed" here: any top up to 2,000 is fine.
        let top_ok = query
            .split('&')
            .find_map(|p| p.strip_prefix("top="))
            .and_then(|t| t.parse::<u32>().ok())
            .is_none_or(|t| (1..=2000).contains(&t));
        if !top_ok {
            return error(catalogue::TOP_INVALID);
        }
        if path.ends_with("/nobody") {
            return error(catalogue::PERSON_GROUP_NOT_FOUND_404);
        }
        return (200, Bytes::from_static(b"[]"));
    }
    // This stand-in reads the body before the path: another order of checks.
    if method == "PUT" && body == br#"{"name":""}"# {
        return error(catalogue::NAME_EMPTY);
    }
    if path.contains("/persongroups/") && path.chars().any(|c| c.is_ascii_uppercase()) {
        return error(catalogue::PERSON_GROUP_ID_INVALID);
    }
    if path.ends_with("/identify") {
        let count = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["faceIds"].as_array().map(Vec::len))
            .unwrap_or(0);
        if !(1..=10).contains(&count) {
            return error(catalogue::FACE_IDS_LENGTH_INVALID);
        }
    }
    if path.ends_with("/detect") {
        // Refused although the request is well formed: the stand-in's
        // stricter URL rule, which the crate does not know.
        return error(catalogue::IMAGE_URL_INVALID);
    }
    (200, Bytes::from_static(b"[]"))
}

async fn start_stand_in() -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async move {
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let (status, body) = answer(
                            parts.method.as_str(),
                            parts.uri.path(),
                            parts.uri.query().unwrap_or_default(),
                            &body,
                        );
                        let response = hyper::Response::builder()
                            .status(status)
                            .header("content-type", "application/json; charset=utf-8")
                            .body(Full::new(body))
                            .unwrap_or_default();
                        Ok::<_, Infallible>(response)
                    },
                );
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}
