//! A fleet of worker processes sharing one Face resource's rate limit.
//!
//! Starts a stand-in Face API on 127.0.0.1 that, like the service, answers
//! 429 "Rate limit is exceeded." to any request beyond 10 in the last
//! second, then runs two rounds of three worker processes (this same
//! program, started again), each sending as fast as its `Pacing` lets it
//! for a few seconds:
//!
//! - **local budgets**: each worker paces itself at the resource's rate, so
//!   together they send three times too much and collect 429s;
//! - **shared budget**: the workers draw from one schedule in Redis.
//!
//! ```text
//! cargo run --example fleet --features redis          # Redis at 127.0.0.1:6379
//! REDIS_URL=redis://host:6379 cargo run --example fleet --features redis
//! ```

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use face_preflight::pace::{Pacing, Rate, RedisBudget};
use face_preflight::PreflightLayer;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::{Service, ServiceBuilder, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const WORKERS: usize = 3;
const ROUND: Duration = Duration::from_secs(4);
/// The stand-in's limit, as the S0 tier's.
const LIMIT_PER_SECOND: usize = 10;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("worker") {
        return worker(&args[2..]).await;
    }
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let address = start_stand_in().await?;
    println!(
        "stand-in Face API on {address}: 429 beyond {LIMIT_PER_SECOND} requests in any second\n"
    );
    for mode in ["local", "shared"] {
        round(address, mode, &redis_url).await?;
        // Let the stand-in's window of the last second empty between rounds.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    Ok(())
}

/// Runs the workers of one round and prints what each saw.
async fn round(address: SocketAddr, mode: &str, redis_url: &str) -> Result<(), BoxError> {
    // One key prefix per round, so that the rounds never share a schedule.
    let prefix = format!("face-preflight-fleet:{}:{mode}", std::process::id());
    let me = std::env::current_exe()?;
    let mut children = Vec::new();
    for _ in 0..WORKERS {
        children.push(
            tokio::process::Command::new(&me)
                .args([
                    "worker",
                    &format!("http://{address}"),
                    mode,
                    redis_url,
                    &prefix,
                ])
                .stdout(Stdio::piped())
                .spawn()?,
        );
    }
    println!(
        "{mode} budget{}:",
        if mode == "shared" { " (Redis)" } else { "s" }
    );
    println!("  process   sent   ok  429   req/s  redis fallbacks");
    let (mut sent, mut ok, mut refused) = (0, 0, 0);
    for (i, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().await?;
        let line = String::from_utf8_lossy(&output.stdout);
        let numbers: Vec<u64> = line
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let [s, o, r, fallbacks] = numbers[..] else {
            return Err(format!("worker {i} said: {line}").into());
        };
        println!(
            "  worker {i}  {s:>5} {o:>4} {r:>4} {:>7.1}  {fallbacks}",
            s as f64 / ROUND.as_secs_f64()
        );
        (sent, ok, refused) = (sent + s, ok + o, refused + r);
    }
    println!(
        "  total     {sent:>5} {ok:>4} {refused:>4} {:>7.1}\n",
        sent as f64 / ROUND.as_secs_f64()
    );
    Ok(())
}

/// One worker: sends for `ROUND`, prints `sent ok 429 fallbacks`.
async fn worker(args: &[String]) -> Result<(), BoxError> {
    let [endpoint, mode, redis_url, prefix] = args else {
        return Err("usage: fleet worker ENDPOINT MODE REDIS_URL PREFIX".into());
    };
    // A little under the limit: a margin for the jitter between the moment
    // a slot is taken and the moment the request arrives.
    let rate = Rate::new(19, Duration::from_secs(2));
    let mut pacing = Pacing::new(rate);
    if mode == "shared" {
        pacing = pacing.redis(
            RedisBudget::open(redis_url)?
                .key_prefix(prefix.clone())
                .fleet_size(WORKERS as u32),
        );
    }
    let stats = pacing.stats();
    let client = reqwest::Client::new();
    let mut face = ServiceBuilder::new()
        .layer(PreflightLayer::new().pacing(pacing))
        .service(client.clone());
    let url = format!("{endpoint}/face/v1.2/persongroups/staff/training");
    let (mut ok, mut refused) = (0u64, 0u64);
    let started = Instant::now();
    while started.elapsed() < ROUND {
        let request = client.get(&url).build()?;
        let response = face.ready().await?.call(request).await?;
        match response.status().as_u16() {
            429 => refused += 1,
            _ => ok += 1,
        }
        response.bytes().await?;
    }
    let snapshot = stats.snapshot();
    println!(
        "{} {ok} {refused} {}",
        ok + refused,
        snapshot.redis_fallbacks
    );
    Ok(())
}

async fn start_stand_in() -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let window: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let window = window.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_: hyper::Request<hyper::body::Incoming>| {
                    let window = window.clone();
                    async move {
                        let now = Instant::now();
                        let accepted = {
                            let mut window = window.lock().unwrap_or_else(|e| e.into_inner());
                            while window
                                .front()
                                .is_some_and(|t| now - *t >= Duration::from_secs(1))
                            {
                                window.pop_front();
                            }
                            let accepted = window.len() < LIMIT_PER_SECOND;
                            if accepted {
                                window.push_back(now);
                            }
                            accepted
                        };
                        let response = if accepted {
                            hyper::Response::new(Full::new(Bytes::from_static(
                                br#"{"status":"succeeded"}"#,
                            )))
                        } else {
                            hyper::Response::builder()
                                .status(429)
                                .header("retry-after", "1")
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(
                                    br#"{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 1 seconds."}}"#,
                                )))
                                .unwrap_or_default()
                        };
                        Ok::<_, Infallible>(response)
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
