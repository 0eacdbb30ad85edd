//! What the layer adds per request: a no-op inner service with and without
//! `PreflightLayer`, for http requests and through the reqwest integration.
//!
//! `cargo bench --bench layer`

use std::convert::Infallible;
use std::future::{ready, Future};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use face_preflight::PreflightLayer;
use http_body_util::Full;
use tower::{Layer, Service};

/// Polls a future that is ready at once (every future here is).
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("a no-op service is always ready"),
    }
}

fn identify_body() -> Bytes {
    let ids: Vec<String> = (0..10)
        .map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}"))
        .collect();
    Bytes::from(
        serde_json::to_vec(&serde_json::json!({"faceIds": ids, "personGroupId": "staff"})).unwrap(),
    )
}

const URI: &str = "https://myresource.cognitiveservices.azure.com/face/v1.2/identify";

fn http_request(body: &Bytes) -> http::Request<Full<Bytes>> {
    http::Request::post(URI)
        .header("content-type", "application/json")
        .header(
            "ocp-apim-subscription-key",
            "0123456789abcdef0123456789abcdef",
        )
        .body(Full::new(body.clone()))
        .unwrap()
}

fn http_layer(c: &mut Criterion) {
    let body = identify_body();
    let noop = tower::service_fn(|_: http::Request<Full<Bytes>>| {
        ready(Ok::<_, Infallible>(http::Response::new(Full::new(
            Bytes::new(),
        ))))
    });
    let mut bare = noop;
    let mut layered = PreflightLayer::new().layer(noop);
    let mut group = c.benchmark_group("layer: identify, 10 faceIds, passing");
    // The verdict alone on the same request: what the layer adds beyond it
    // is its mechanics (clone of the ready service, reading the one-frame
    // body, rebuilding the request, the response body wrapper).
    let checked = http::Request::post(URI)
        .header("content-type", "application/json")
        .header(
            "ocp-apim-subscription-key",
            "0123456789abcdef0123456789abcdef",
        )
        .body(body.clone())
        .unwrap();
    group.bench_function("check alone (same request)", |b| {
        b.iter(|| face_preflight::check(black_box(&checked)).unwrap())
    });
    group.bench_function("no-op service alone", |b| {
        b.iter(|| {
            now(std::future::poll_fn(|cx| bare.poll_ready(cx))).unwrap();
            now(bare.call(black_box(http_request(&body)))).unwrap()
        })
    });
    group.bench_function("no-op service + PreflightLayer", |b| {
        b.iter(|| {
            now(std::future::poll_fn(|cx| layered.poll_ready(cx))).unwrap();
            now(layered.call(black_box(http_request(&body)))).unwrap()
        })
    });
    group.finish();
}

fn reqwest_layer(c: &mut Criterion) {
    let body = identify_body();
    let client = reqwest::Client::new();
    let reqwest_request = || {
        client
            .post(URI)
            .header("content-type", "application/json")
            .header(
                "ocp-apim-subscription-key",
                "0123456789abcdef0123456789abcdef",
            )
            .body(body.clone())
            .build()
            .unwrap()
    };
    let noop = tower::service_fn(|_: reqwest::Request| {
        ready(Ok::<_, Infallible>(reqwest::Response::from(
            http::Response::new(Bytes::new()),
        )))
    });
    let mut bare = noop;
    let mut layered = PreflightLayer::new().layer(noop);
    let mut group = c.benchmark_group("reqwest: identify, 10 faceIds, passing");
    group.bench_function("no-op service alone", |b| {
        b.iter(|| now(bare.call(black_box(reqwest_request()))).unwrap())
    });
    group.bench_function("no-op service + PreflightLayer", |b| {
        b.iter(|| now(layered.call(black_box(reqwest_request()))).unwrap())
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = http_layer, reqwest_layer
}
criterion_main!(benches);
