//! Throughput over loopback: hyper-util's client sending valid identify
//! requests (10 faceIds) from 32 concurrent tasks to a hyper server, bare
//! and wrapped in `PreflightLayer`, in alternating rounds in one run.
//! Prints each round and the ratio of the medians (layered ÷ bare).
//!
//! `cargo bench --bench throughput`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use face_preflight::PreflightLayer;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tower::{Layer, Service, ServiceExt};

const TASKS: usize = 32;
const REQUESTS_PER_ROUND: usize = 16_000;
const ROUNDS: usize = 7;

async fn server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = hyper::service::service_fn(
                |request: hyper::Request<hyper::body::Incoming>| async move {
                    let _ = request.into_body().collect().await;
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"[]"))))
                },
            );
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    address
}

/// Sends a round through `service`; returns requests per second.
async fn round<S, B>(service: S, uri: &str, body: &Bytes) -> f64
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: std::fmt::Debug,
    B: http_body::Body + Send,
    B::Data: Send,
    B::Error: std::fmt::Debug,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let service = service.clone();
            let uri = uri.to_owned();
            let body = body.clone();
            tokio::spawn(async move {
                for _ in 0..REQUESTS_PER_ROUND / TASKS {
                    let request = http::Request::post(&uri)
                        .header("content-type", "application/json")
                        .header(
                            "ocp-apim-subscription-key",
                            "0123456789abcdef0123456789abcdef",
                        )
                        .body(Full::new(body.clone()))
                        .unwrap();
                    let response = service.clone().oneshot(request).await.unwrap();
                    assert!(response.status().is_success());
                    response.into_body().collect().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    REQUESTS_PER_ROUND as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that excludes this bench ends it.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"throughput".contains(a.as_str()))
    {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let address = server().await;
        let uri = format!("http://{address}/face/v1.2/identify");
        let ids: Vec<String> = (0..10).map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}")).collect();
        let body = Bytes::from(serde_json::to_vec(&serde_json::json!({"faceIds": ids, "personGroupId": "staff"})).unwrap());
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(TASKS)
            .build_http();
        let layered = PreflightLayer::new().layer(client.clone());
        // Warm up both.
        round(client.clone(), &uri, &body).await;
        round(layered.clone(), &uri, &body).await;
        let (mut bare, mut with_layer) = (Vec::new(), Vec::new());
        for i in 0..ROUNDS {
            let b = round(client.clone(), &uri, &body).await;
            let l = round(layered.clone(), &uri, &body).await;
            println!("round {i}: bare {b:>8.0} req/s   with PreflightLayer {l:>8.0} req/s   ratio {:.3}", l / b);
            bare.push(b);
            with_layer.push(l);
        }
        let (b, l) = (median(bare), median(with_layer));
        println!("median: bare {b:.0} req/s, with PreflightLayer {l:.0} req/s: {:.3} of the bare throughput", l / b);
        tokio::time::sleep(Duration::from_millis(10)).await;
    });
}
