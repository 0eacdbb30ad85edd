//! The cost of the facts layer per request, and its memory.
//!
//! - lookup: an identify of 10 faceIds the facts know (all of the same
//!   model as the group, so it passes) through `PreflightLayer` with
//!   `Facts` around a no-op service, against `PreflightLayer` with the
//!   rules alone and the no-op service alone;
//! - memory: the bytes held after learning 1,000,000 faceIds from detect
//!   answers (1,000 answers of 1,000 faces), counted by a global allocator.
//!
//! `cargo bench --bench facts --features facts`

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use face_preflight::facts::Facts;
use face_preflight::PreflightLayer;
use http_body_util::{BodyExt, Full};
use tower::{Layer, ServiceExt};

struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const HOST: &str = "https://myresource.cognitiveservices.azure.com/face/v1.2";

fn face_id(i: usize) -> String {
    format!("c5c24a82-6845-4031-9d5d-{i:012x}")
}

/// A detect answer of `faces` faces numbered from `first`.
fn detect_answer(first: usize, faces: usize) -> Bytes {
    let faces: Vec<serde_json::Value> = (first..first + faces)
        .map(|i| serde_json::json!({"faceId": face_id(i), "faceRectangle": {"top": 1, "left": 2, "width": 30, "height": 30}}))
        .collect();
    Bytes::from(serde_json::to_vec(&faces).unwrap())
}

fn answering(
    body: Bytes,
) -> impl tower::Service<
    http::Request<Full<Bytes>>,
    Response = http::Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    tower::service_fn(move |_: http::Request<Full<Bytes>>| {
        let body = body.clone();
        async move { Ok::<_, Infallible>(http::Response::new(Full::new(body))) }
    })
}

fn post(path: &str, body: String) -> http::Request<Full<Bytes>> {
    http::Request::post(format!("{HOST}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn facts(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let layer = PreflightLayer::new().facts(Facts::new());
    runtime.block_on(async {
        let detect = layer.layer(answering(detect_answer(0, 10)));
        let response = detect
            .oneshot(post("/detect", r#"{"url":"https://a.b/c.jpg"}"#.into()))
            .await
            .unwrap();
        response.into_body().collect().await.unwrap();
        let create = layer.layer(answering(Bytes::new()));
        let mut put = post("/persongroups/staff", r#"{"name":"s"}"#.into());
        *put.method_mut() = http::Method::PUT;
        create.oneshot(put).await.unwrap();
    });
    let identify = serde_json::json!({"faceIds": (0..10).map(face_id).collect::<Vec<_>>(), "personGroupId": "staff"}).to_string();
    let noop = answering(Bytes::from_static(b"[]"));
    let layered = layer.layer(noop.clone());
    let rules_only = PreflightLayer::new().layer(noop.clone());

    let mut group = c.benchmark_group("facts: identify of 10 known faceIds");
    group.bench_function("no-op service alone", |b| {
        b.iter(|| {
            runtime.block_on(
                noop.clone()
                    .oneshot(black_box(post("/identify", identify.clone()))),
            )
        })
    });
    group.bench_function("PreflightLayer, rules only", |b| {
        b.iter(|| {
            runtime.block_on(
                rules_only
                    .clone()
                    .oneshot(black_box(post("/identify", identify.clone()))),
            )
        })
    });
    group.bench_function("PreflightLayer with Facts", |b| {
        b.iter(|| {
            runtime.block_on(
                layered
                    .clone()
                    .oneshot(black_box(post("/identify", identify.clone()))),
            )
        })
    });
    group.finish();

    #[cfg(feature = "redis")]
    shared(c, &runtime);

    // Memory: a fresh layer learns 1,000,000 faceIds.
    let before = HELD.load(Ordering::Relaxed);
    let big_facts = Facts::new();
    let big = PreflightLayer::new().facts(big_facts.clone());
    runtime.block_on(async {
        for batch in 0..1000 {
            let detect = big.layer(answering(detect_answer(batch * 1000, 1000)));
            let response = detect
                .oneshot(post("/detect", r#"{"url":"https://a.b/c.jpg"}"#.into()))
                .await
                .unwrap();
            response.into_body().collect().await.unwrap();
        }
    });
    let held = big_facts.faces_held();
    let bytes = HELD.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "facts memory: {held} faceIds held, {bytes} bytes ({:.0} bytes per faceId)",
        bytes as f64 / held.max(1) as f64
    );
    assert_eq!(held, 1_000_000);
}

/// Facts shared through Redis on loopback (127.0.0.1:6379, or
/// `REDIS_URL`): a verify of two faceIds Redis does not hold (detected
/// outside the fleet), the same two on every request, then two new ones on
/// every request, against the local facts alone.
#[cfg(feature = "redis")]
fn shared(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    use face_preflight::facts::RedisFacts;
    use std::sync::atomic::AtomicU64;

    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let redis = || {
        RedisFacts::open(&url)
            .unwrap()
            .key_prefix(format!("face-preflight-bench:{}", std::process::id()))
    };
    let noop = answering(Bytes::from_static(b"{}"));
    let local = PreflightLayer::new()
        .facts(Facts::new())
        .layer(noop.clone());
    let shared = PreflightLayer::new()
        .facts(Facts::new().redis(redis()))
        .layer(noop.clone());
    let verify = |a: &str, b: &str| {
        post(
            "/verify",
            serde_json::json!({"faceId1": a, "faceId2": b}).to_string(),
        )
    };
    let (a, b) = (face_id(7_000_001), face_id(7_000_002));
    let fresh = AtomicU64::new(8_000_000);
    let mut group = c.benchmark_group("shared facts: verify of 2 faceIds Redis does not hold");
    group.bench_function("local facts alone", |bench| {
        bench.iter(|| runtime.block_on(local.clone().oneshot(black_box(verify(&a, &b)))))
    });
    group.bench_function("RedisFacts, the same two each time", |bench| {
        bench.iter(|| runtime.block_on(shared.clone().oneshot(black_box(verify(&a, &b)))))
    });
    group.bench_function("RedisFacts, two new ones each time", |bench| {
        bench.iter(|| {
            let n = fresh.fetch_add(2, Ordering::Relaxed) as usize;
            let request = verify(&face_id(n), &face_id(n + 1));
            runtime.block_on(shared.clone().oneshot(black_box(request)))
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = facts
}
criterion_main!(benches);
