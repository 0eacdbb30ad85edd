//! The cost of a pacing decision per request: a no-op inner service alone,
//! behind `PreflightLayer` with the rules alone, with `Pacing` on the local
//! budget, and with `Pacing` on the fleet budget in Redis on loopback (127.0.0.1:6379, or `REDIS_URL`). The
//! rate is high enough that no request waits: what is measured is the
//! decision, not the pacing.
//!
//! `cargo bench --bench pace --features redis`

use std::convert::Infallible;
use std::future::ready;
use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use face_preflight::pace::{Pacing, Rate, RedisBudget};
use face_preflight::PreflightLayer;
use http_body_util::Full;
use tower::{Layer, Service, ServiceExt};

fn request() -> http::Request<Full<Bytes>> {
    http::Request::get("https://myresource.cognitiveservices.azure.com/face/v1.2/persongroups")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

fn pacing(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let noop = tower::service_fn(|_: http::Request<Full<Bytes>>| {
        ready(Ok::<_, Infallible>(http::Response::new(Full::new(
            Bytes::new(),
        ))))
    });
    // A billion a second: the interval rounds to nothing, so no request waits.
    let rate = Rate::new(1_000_000_000, Duration::from_secs(1));
    let rules_only = PreflightLayer::new().layer(noop);
    let local = PreflightLayer::new().pacing(Pacing::new(rate)).layer(noop);
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let fleet = Pacing::new(rate).redis(
        RedisBudget::open(&redis_url)
            .unwrap()
            .key_prefix(format!("face-preflight-bench:{}", std::process::id()))
            .timeout(Duration::from_secs(1)),
    );
    let fleet_stats = fleet.stats();
    let fleet = PreflightLayer::new().pacing(fleet).layer(noop);

    let mut group = c.benchmark_group("pacing decision");
    group.bench_function("no-op service alone", |b| {
        b.iter(|| runtime.block_on(noop.oneshot(black_box(request()))))
    });
    group.bench_function("PreflightLayer, rules only", |b| {
        b.iter(|| runtime.block_on(rules_only.clone().oneshot(black_box(request()))))
    });
    group.bench_function("PreflightLayer with Pacing, local budget", |b| {
        b.iter(|| runtime.block_on(local.clone().oneshot(black_box(request()))))
    });
    group.bench_function(
        "PreflightLayer with Pacing, Redis budget on loopback",
        |b| b.iter(|| runtime.block_on(fleet.clone().oneshot(black_box(request())))),
    );
    group.finish();
    let mut probe = fleet.clone();
    runtime.block_on(async {
        let _ = probe.ready().await.unwrap().call(request()).await;
    });
    assert_eq!(
        fleet_stats.snapshot().redis_fallbacks,
        0,
        "Redis answered every decision (is it running?)"
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = pacing
}
criterion_main!(benches);
