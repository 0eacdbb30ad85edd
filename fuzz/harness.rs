//! Turns fuzzer bytes into requests and checks what must hold for every
//! input. Shared by the fuzz targets and by `tests/all/fuzz_regressions.rs`,
//! which replays the committed inputs.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use face_preflight::{catalogue, check, FaceApiError, PreflightLayer};
use http::{Method, Request};
use http_body_util::Full;
use tower::{Layer, Service};

const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];
const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/octet-stream",
    "multipart/form-data; boundary=fuzz",
    "text/plain",
    "",
];
const PREFIXES: [&str; 6] = [
    "/face/v1.0/",
    "/face/v1.1-preview.1/",
    "/face/v1.2-preview.1/",
    "/face/v1.2/",
    "/",
    "/face/v1.3-preview.1/",
];

fn pick<T: Clone>(items: &[T], byte: Option<&u8>) -> T {
    items[usize::from(*byte.unwrap_or(&0)) % items.len()].clone()
}

/// `[method][content type][prefix] path?query \0 body`.
pub fn request_from_bytes(data: &[u8]) -> Option<Request<Bytes>> {
    let method = pick(&METHODS, data.first());
    let content_type = pick(&CONTENT_TYPES, data.get(1));
    let prefix = pick(&PREFIXES, data.get(2));
    let rest = data.get(3..).unwrap_or_default();
    let split = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let head = String::from_utf8_lossy(&rest[..split]);
    let body = Bytes::copy_from_slice(rest.get(split + 1..).unwrap_or_default());
    let uri: http::Uri = format!(
        "https://x.cognitiveservices.azure.com{prefix}{}",
        head.trim_start_matches('/')
    )
    .parse()
    .ok()?;
    let mut builder = Request::builder().method(method).uri(uri);
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    builder.body(body).ok()
}

fn documented(verdict: &Result<(), FaceApiError>) -> bool {
    match verdict {
        Ok(()) => true,
        Err(error) => catalogue::ALL.iter().any(|entry| error.is(entry)),
    }
}

fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the layer waited on a body that is all there"),
    }
}

/// What must hold for every request: `check` gives `Ok` or a documented
/// error, twice the same, and the layer agrees and forwards a passing
/// request unchanged.
pub fn assert_invariants(request: Request<Bytes>) {
    let verdict = check(&request);
    assert!(documented(&verdict), "undocumented {verdict:?}");
    assert_eq!(check(&request), verdict, "not deterministic");

    let forwarded = std::sync::Arc::new(std::sync::Mutex::new(None));
    let sink = forwarded.clone();
    let inner = tower::service_fn(move |received: Request<Full<Bytes>>| {
        *sink.lock().unwrap() = Some(received);
        std::future::ready(Ok::<_, std::convert::Infallible>(http::Response::new(
            Full::new(Bytes::new()),
        )))
    });
    let mut service = PreflightLayer::new().layer(inner);
    now(std::future::poll_fn(|cx| service.poll_ready(cx))).unwrap();
    let (parts, body) = request.into_parts();
    let response =
        now(service.call(Request::from_parts(parts.clone(), Full::new(body.clone())))).unwrap();
    let received = forwarded.lock().unwrap().take();
    match (verdict, received) {
        (Ok(()), Some(received)) => {
            assert_eq!(received.method(), parts.method);
            assert_eq!(received.uri(), &parts.uri);
            assert_eq!(received.headers(), &parts.headers);
            let (_, mut received_body) = received.into_parts();
            let frame = now(http_body_util::BodyExt::frame(&mut received_body));
            let bytes = frame
                .map(|f| f.unwrap().into_data().unwrap())
                .unwrap_or_default();
            assert_eq!(bytes, body);
        }
        (Err(error), None) => assert_eq!(response.status(), error.status()),
        (verdict, received) => panic!(
            "check said {verdict:?}, the layer forwarded: {}",
            received.is_some()
        ),
    }
}

/// An image for detect or add-face: `[targetFace × 4][image…]`.
pub fn image_request(data: &[u8]) -> Request<Bytes> {
    let target = data
        .get(..4)
        .map(|t| format!("?targetFace={},{},{},{}", t[0], t[1], t[2], t[3]));
    let path = match target {
        Some(query) => format!("/face/v1.2/largefacelists/l/persistedfaces{query}"),
        None => "/face/v1.2/detect".to_owned(),
    };
    Request::post(format!("https://x.cognitiveservices.azure.com{path}"))
        .header("content-type", "application/octet-stream")
        .body(Bytes::copy_from_slice(data.get(4..).unwrap_or(data)))
        .unwrap()
}

/// A liveness-with-verify form: `[version][form…]`, boundary `fuzz`.
pub fn multipart_request(data: &[u8]) -> Request<Bytes> {
    let path = match data.first().map(|v| v % 4) {
        Some(0) => "/face/v1.2/detectLivenessWithVerify-sessions",
        Some(1) => "/face/v1.1-preview.1/detectLivenessWithVerify/singleModal/sessions",
        Some(3) => "/face/v1.3-preview.1/detectLivenessWithVerify-sessions",
        _ => "/face/v1.2-preview.1/detectLivenessWithVerify/singleModal/sessions",
    };
    Request::post(format!("https://x.cognitiveservices.azure.com{path}"))
        .header("content-type", "multipart/form-data; boundary=fuzz")
        .body(Bytes::copy_from_slice(data.get(1..).unwrap_or_default()))
        .unwrap()
}
