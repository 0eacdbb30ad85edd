//! Sends one identify of 10 known faceIds in a loop, for counting
//! instructions with callgrind (the figures of the facts' cost in
//! `docs/performance.md` that wall time on a shared machine hides):
//!
//! ```text
//! cargo bench --bench facts_instructions --features facts --no-run
//! for case in bare rules facts; do for n in 0 20000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/facts_instructions-* $case $n 2>&1 | grep refs
//! done; done
//! ```
//!
//! (the difference of a case's two totals ÷ 20,000 is one request through
//! it: `bare` is the no-op service alone, `rules` adds `PreflightLayer`,
//! `facts` adds `Facts` to it).

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use face_preflight::facts::Facts;
use face_preflight::PreflightLayer;
use http_body_util::{BodyExt, Full};
use tower::{Layer, Service, ServiceExt};

const HOST: &str = "https://myresource.cognitiveservices.azure.com/face/v1.2";

fn face_id(i: usize) -> String {
    format!("c5c24a82-6845-4031-9d5d-{i:012x}")
}

fn post(path: &str, body: &'static [u8]) -> http::Request<Full<Bytes>> {
    http::Request::post(format!("{HOST}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body)))
        .unwrap()
}

fn answering(
    body: &'static [u8],
) -> impl Service<
    http::Request<Full<Bytes>>,
    Response = http::Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |_: http::Request<Full<Bytes>>| async move {
        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(body))))
    })
}

async fn drive<S>(service: S, identify: &'static [u8], n: usize)
where
    S: Service<http::Request<Full<Bytes>>> + Clone,
    S::Error: std::fmt::Debug,
{
    for _ in 0..n {
        let response = service
            .clone()
            .oneshot(black_box(post("/identify", identify)))
            .await
            .unwrap();
        black_box(response);
    }
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ids: Vec<String> = (0..10).map(face_id).collect();
    let detected: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"faceId": id}))
        .collect();
    let detected: &'static [u8] = serde_json::to_vec(&detected).unwrap().leak();
    let identify: &'static [u8] =
        serde_json::to_vec(&serde_json::json!({"faceIds": ids, "personGroupId": "staff"}))
            .unwrap()
            .leak();
    let facts = PreflightLayer::new().facts(Facts::new());
    runtime.block_on(async {
        // The facts learn the faces and the group's model.
        let detect = facts.layer(answering(detected));
        let response = detect
            .oneshot(post("/detect", br#"{"url":"https://a.b/c.jpg"}"#))
            .await
            .unwrap();
        response.into_body().collect().await.unwrap();
        let mut create = post("/persongroups/staff", br#"{"name":"s"}"#);
        *create.method_mut() = http::Method::PUT;
        facts.layer(answering(b"")).oneshot(create).await.unwrap();
        match which.as_str() {
            "bare" => drive(answering(b"[]"), identify, n).await,
            "rules" => drive(PreflightLayer::new().layer(answering(b"[]")), identify, n).await,
            "facts" => drive(facts.layer(answering(b"[]")), identify, n).await,
            other => panic!("unknown case {other:?}: bare, rules or facts"),
        }
    });
}
