//! A bounded load test of face-preflight-proxy over loopback: valid
//! identify requests (10 faceIds) from 1 and from 32 concurrent
//! connections, straight to a stand-in Face API and through the proxy, in
//! alternating rounds; prints latency percentiles and throughput of each.
//! Generator, proxy and stand-in share the machine's cores.
//!
//! ```text
//! cargo run --release --example proxy_load --features proxy
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use face_preflight::proxy::{Proxy, ProxyConfig};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const REQUESTS_PER_ROUND: usize = 8_000;
const ROUNDS: usize = 3;

async fn stand_in() -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
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
    Ok(address)
}

/// Sends `REQUESTS_PER_ROUND` identify requests to `target` from
/// `connections` workers; returns the sorted latencies and the wall time.
async fn round(
    target: SocketAddr,
    body: Bytes,
    connections: usize,
) -> Result<(Vec<Duration>, Duration), BoxError> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(connections)
        .build_http();
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let client = client.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(REQUESTS_PER_ROUND / connections);
                for _ in 0..REQUESTS_PER_ROUND / connections {
                    let request =
                        hyper::Request::post(format!("http://{target}/face/v1.2/identify"))
                            .header("content-type", "application/json")
                            .header("ocp-apim-subscription-key", "load-test")
                            .body(Full::new(body.clone()))?;
                    let sent = Instant::now();
                    let response = client.request(request).await?;
                    let status = response.status();
                    response.into_body().collect().await?;
                    latencies.push(sent.elapsed());
                    if !status.is_success() {
                        return Err(format!("status {status}").into());
                    }
                }
                Ok::<_, BoxError>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(REQUESTS_PER_ROUND);
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let wall = started.elapsed();
    latencies.sort();
    Ok((latencies, wall))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let upstream = stand_in().await?;
    let config = ProxyConfig::new(format!("http://{upstream}").parse()?);
    let proxy = Proxy::bind("127.0.0.1:0".parse()?, config).await?;
    let through = proxy.local_addr()?;
    tokio::spawn(proxy.serve(std::future::pending()));

    let ids: Vec<String> = (0..10)
        .map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}"))
        .collect();
    let body = Bytes::from(serde_json::to_vec(
        &serde_json::json!({"faceIds": ids, "personGroupId": "staff"}),
    )?);
    for connections in [1, 32] {
        // Warm both paths.
        round(upstream, body.clone(), connections).await?;
        round(through, body.clone(), connections).await?;
        let (mut direct, mut proxied) = (Vec::new(), Vec::new());
        let (mut direct_wall, mut proxied_wall) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..ROUNDS {
            let (latencies, wall) = round(upstream, body.clone(), connections).await?;
            direct.extend(latencies);
            direct_wall += wall;
            let (latencies, wall) = round(through, body.clone(), connections).await?;
            proxied.extend(latencies);
            proxied_wall += wall;
        }
        direct.sort();
        proxied.sort();
        println!(
            "{} requests each way, {connections} connection(s), {ROUNDS} alternating rounds",
            direct.len()
        );
        println!("                 p50        p99        throughput");
        for (name, latencies, wall) in [
            ("direct", &direct, direct_wall),
            ("through proxy", &proxied, proxied_wall),
        ] {
            println!(
                "{name:<14} {:>8.0} µs {:>8.0} µs {:>9.0} req/s",
                percentile(latencies, 0.5).as_secs_f64() * 1e6,
                percentile(latencies, 0.99).as_secs_f64() * 1e6,
                latencies.len() as f64 / wall.as_secs_f64(),
            );
        }
        println!(
            "added by the proxy: p50 {:.0} µs, p99 {:.0} µs\n",
            (percentile(&proxied, 0.5).as_secs_f64() - percentile(&direct, 0.5).as_secs_f64())
                * 1e6,
            (percentile(&proxied, 0.99).as_secs_f64() - percentile(&direct, 0.99).as_secs_f64())
                * 1e6,
        );
    }
    Ok(())
}
