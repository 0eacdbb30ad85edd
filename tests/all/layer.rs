//! `PreflightLayer` around a counting inner service.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::common::*;
use bytes::Bytes;
use face_preflight::{catalogue, FaceApiError, PreflightLayer};
use http::{Method, Request};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use tower::{Layer, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn send(layer: &PreflightLayer, seen: &Seen, request: Request<Bytes>) -> (u16, Bytes) {
    let service = layer.layer(recording_service(seen.clone()));
    let response = service.oneshot(to_full(request)).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

#[tokio::test]
async fn rejection_is_the_documented_response_and_the_inner_service_is_not_called() {
    let seen = Seen::default();
    let layer = PreflightLayer::new();
    let service = layer.layer(recording_service(seen.clone()));
    let response = service
        .oneshot(to_full(put_json(
            "/face/v1.2/persongroups/MyGroup",
            r#"{"name":"n"}"#,
        )))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert!(response.body().is_rejection());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        &body[..],
        br#"{"error":{"code":"BadArgument","message":"Person group ID is invalid."}}"#
    );
    let parsed = FaceApiError::from_json(400, &body).unwrap();
    assert!(parsed.is(&catalogue::PERSON_GROUP_ID_INVALID));
    assert_eq!(seen.calls(), 0);
}

#[tokio::test]
async fn each_shared_check_through_the_layer() {
    let seen = Seen::default();
    let layer = PreflightLayer::new();
    let cases = [
        (
            put_json("/face/v1.2/persongroups/g", "{"),
            catalogue::JSON_PARSING_ERROR,
        ),
        (
            put_json("/face/v1.2/persongroups/g", "[]"),
            catalogue::REQUEST_BODY_INVALID,
        ),
        (
            put_json(
                "/face/v1.2/persongroups/g",
                r#"{"name":"n","recognitionModel":"r"}"#,
            ),
            catalogue::RECOGNITION_MODEL_INVALID,
        ),
        (
            request(
                Method::POST,
                "/face/v1.2/detect?detectionModel=d",
                Some("application/json"),
                r#"{"url":"https://a.b/c"}"#,
            ),
            catalogue::DETECTION_MODEL_INVALID,
        ),
        (
            put_json("/face/v1.2/persongroups/g", r#"{"name":""}"#),
            catalogue::NAME_EMPTY,
        ),
        (
            put_json(
                "/face/v1.2/persongroups/g",
                &format!(r#"{{"name":"{}"}}"#, "n".repeat(129)),
            ),
            catalogue::NAME_TOO_LONG,
        ),
        (
            put_json(
                "/face/v1.2/persongroups/g",
                &format!(r#"{{"name":"n","userData":"{}"}}"#, "u".repeat(16385)),
            ),
            catalogue::USER_DATA_TOO_LONG,
        ),
        (
            get(&format!("/face/v1.2/persongroups?start={}", "s".repeat(65))),
            catalogue::START_TOO_LONG,
        ),
        (get("/face/v1.2/persongroups?top=0"), catalogue::TOP_INVALID),
        (
            get("/face/v1.2/facelists/Bad"),
            catalogue::FACE_LIST_ID_NOT_FOUND,
        ),
    ];
    for (request, entry) in cases {
        let (status, body) = send(&layer, &seen, request).await;
        assert_eq!(status, entry.status.as_u16());
        assert_response(status, &body, &entry);
    }
    assert_eq!(seen.calls(), 0);
}

#[tokio::test]
async fn a_passing_request_arrives_unchanged_sharing_the_callers_allocation() {
    let seen = Seen::default();
    let service = PreflightLayer::new().layer(recording_service(seen.clone()));
    let body = Bytes::from(format!(
        r#"{{"faceIds":["{GUID}"],"personGroupId":"staff","maxNumOfCandidatesReturned":1}}"#
    ));
    let request = Request::post(format!("{HOST}/face/v1.2/identify?x=1"))
        .header("content-type", "application/json")
        .header("ocp-apim-subscription-key", "k")
        .header("x-custom", "a")
        .header("x-custom", "b")
        .body(Full::new(body.clone()))
        .unwrap();
    let (sent_parts, _) = request.clone().into_parts();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(!response.body().is_rejection());
    assert_eq!(seen.calls(), 1);
    let received = seen.requests.lock().unwrap().pop().unwrap();
    let (parts, mut received_body) = received.into_parts();
    assert_eq!(parts.method, sent_parts.method);
    assert_eq!(parts.uri, sent_parts.uri);
    assert_eq!(parts.headers, sent_parts.headers);
    assert_eq!(parts.version, sent_parts.version);
    let frame = received_body
        .frame()
        .await
        .unwrap()
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(frame, body);
    assert_eq!(
        frame.as_ptr(),
        body.as_ptr(),
        "the forwarded body is the caller's allocation"
    );
}

#[tokio::test]
async fn unknown_requests_pass_untouched() {
    let seen = Seen::default();
    let layer = PreflightLayer::new();
    for path in [
        "/face/v1.4/identify",
        "/other/api",
        "/face/v1.2/persongroups/UPPER/x",
    ] {
        let (status, _) = send(
            &layer,
            &seen,
            request(Method::POST, path, Some("application/json"), &b"\xff{"[..]),
        )
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(seen.calls(), 3);
    let received: Vec<_> = seen.requests.lock().unwrap().drain(..).collect();
    for received in received {
        let body = received.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"\xff{");
    }
}

/// A body that yields `chunk` forever (or until `limit` bytes), counting what it yields.
struct Endless {
    chunk: Bytes,
    yielded: Arc<AtomicUsize>,
    limit: usize,
    fail_after: Option<usize>,
}

impl Body for Endless {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let yielded = self.yielded.load(Ordering::SeqCst);
        if self.fail_after.is_some_and(|n| yielded >= n) {
            return Poll::Ready(Some(Err("connection reset by the test".into())));
        }
        if yielded >= self.limit {
            return Poll::Ready(None);
        }
        self.yielded.fetch_add(self.chunk.len(), Ordering::SeqCst);
        Poll::Ready(Some(Ok(Frame::data(self.chunk.clone()))))
    }
}

impl From<Bytes> for Endless {
    fn from(chunk: Bytes) -> Self {
        let limit = chunk.len();
        Endless {
            chunk,
            yielded: Arc::default(),
            limit,
            fail_after: None,
        }
    }
}

fn endless_request(path: &str, content_type: &str, body: Endless) -> Request<Endless> {
    Request::post(format!("{HOST}{path}"))
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

fn counting_endless_service(
    calls: Arc<AtomicUsize>,
) -> impl tower::Service<
    Request<Endless>,
    Response = http::Response<Full<Bytes>>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |_request: Request<Endless>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok(http::Response::new(Full::new(Bytes::new()))) }
    })
}

#[tokio::test]
async fn a_streamed_gigabyte_is_cut_off_at_the_limit() {
    let calls = Arc::new(AtomicUsize::new(0));
    // An image operation, and a JSON one with the family's body error.
    for (path, content_type, byte, entry) in [
        (
            "/face/v1.2/detect",
            "application/octet-stream",
            0xff,
            catalogue::IMAGE_TOO_BIG,
        ),
        (
            "/face/v1.2/identify",
            "application/json",
            b' ',
            catalogue::REQUEST_BODY_INVALID,
        ),
    ] {
        let yielded = Arc::new(AtomicUsize::new(0));
        let body = Endless {
            chunk: Bytes::from(vec![byte; 64 * 1024]),
            yielded: yielded.clone(),
            limit: 1 << 30,
            fail_after: None,
        };
        let service = PreflightLayer::new().layer(counting_endless_service(calls.clone()));
        let response = service
            .oneshot(endless_request(path, content_type, body))
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_response(status, &body, &entry);
        let read = yielded.load(Ordering::SeqCst);
        assert!(
            read <= face_preflight::MAX_IMAGE_BYTES + 64 * 1024,
            "read {read} bytes"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_oversized_content_length_is_refused_before_reading() {
    let calls = Arc::new(AtomicUsize::new(0));
    let yielded = Arc::new(AtomicUsize::new(0));
    let body = Endless {
        chunk: Bytes::from_static(b"x"),
        yielded: yielded.clone(),
        limit: 1,
        fail_after: None,
    };
    let mut request = endless_request(
        "/face/v1.2/facelists/f/persistedfaces",
        "application/octet-stream",
        body,
    );
    request
        .headers_mut()
        .insert("content-length", "7000000".parse().unwrap());
    let service = PreflightLayer::new().layer(counting_endless_service(calls.clone()));
    let response = service.oneshot(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_response(400, &body, &catalogue::IMAGE_TOO_BIG);
    assert_eq!(yielded.load(Ordering::SeqCst), 0, "no byte read");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_body_that_fails_midway_gives_the_bodys_error() {
    let calls = Arc::new(AtomicUsize::new(0));
    let body = Endless {
        chunk: Bytes::from_static(b"{\"faceIds\":"),
        yielded: Arc::default(),
        limit: 1 << 20,
        fail_after: Some(30),
    };
    let service = PreflightLayer::new().layer(counting_endless_service(calls.clone()));
    let error = service
        .oneshot(endless_request(
            "/face/v1.2/group",
            "application/json",
            body,
        ))
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "connection reset by the test");
    assert!(error.downcast_ref::<FaceApiError>().is_none());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// A body of several frames.
#[derive(Default)]
struct Chunks(std::collections::VecDeque<Bytes>);

impl Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }
}

impl From<Bytes> for Chunks {
    fn from(bytes: Bytes) -> Self {
        Chunks([bytes].into())
    }
}

#[tokio::test]
async fn a_body_in_many_chunks_is_joined_and_forwarded_whole() {
    let received = Arc::new(std::sync::Mutex::new(Vec::<Bytes>::new()));
    let sink = received.clone();
    let inner = tower::service_fn(move |request: Request<Chunks>| {
        let sink = sink.clone();
        async move {
            let body = request.into_body().collect().await.unwrap().to_bytes();
            sink.lock().unwrap().push(body);
            Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
        }
    });
    let service = PreflightLayer::new().layer(inner);
    let body = format!(r#"{{"faceIds":["{GUID}","{GUID2}"]}}"#);
    // One byte a frame.
    let chunks = Chunks(body.bytes().map(|b| Bytes::from(vec![b])).collect());
    let request = Request::post(format!("{HOST}/face/v1.2/group"))
        .header("content-type", "application/json")
        .body(chunks)
        .unwrap();
    let response = service.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(received.lock().unwrap().pop().unwrap(), body.as_bytes());

    // Fifty one-byte frames of spaces: still no object.
    let spaces = Chunks((0..50).map(|_| Bytes::from_static(b" ")).collect());
    let request = Request::post(format!("{HOST}/face/v1.2/group"))
        .header("content-type", "application/json")
        .body(spaces)
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_response(400, &body, &catalogue::REQUEST_BODY_INVALID);
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn reject_with_error_returns_the_face_error() {
    let seen = Seen::default();
    let service = PreflightLayer::new()
        .reject_with_error(true)
        .layer(recording_service(seen.clone()));
    let error = service
        .oneshot(to_full(get("/face/v1.2/persongroups?top=0")))
        .await
        .unwrap_err();
    let error = error.downcast_ref::<FaceApiError>().unwrap();
    assert_error(error, &catalogue::TOP_INVALID);
    assert_eq!(seen.calls(), 0);
}

#[tokio::test]
async fn credentials_when_required() {
    let seen = Seen::default();
    let layer = PreflightLayer::new().require_credentials(true);
    let (status, body) = send(&layer, &seen, get("/face/v1.2/persongroups")).await;
    assert_eq!(status, 401);
    assert_response(401, &body, &catalogue::ACCESS_DENIED);
    let mut with_key = get("/face/v1.2/persongroups");
    with_key
        .headers_mut()
        .insert("Ocp-Apim-Subscription-Key", "k".parse().unwrap());
    assert_eq!(send(&layer, &seen, with_key).await.0, 200);
    let mut with_token = get("/face/v1.2/persongroups");
    with_token
        .headers_mut()
        .insert("authorization", "Bearer t".parse().unwrap());
    assert_eq!(send(&layer, &seen, with_token).await.0, 200);
    assert_eq!(seen.calls(), 2);
    // Path and query come first.
    let (status, _) = send(&layer, &seen, get("/face/v1.2/persongroups?top=0")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn gateway_path_prefix() {
    let seen = Seen::default();
    let layer = PreflightLayer::new().path_prefix("/gateway/");
    let (status, _) = send(&layer, &seen, get("/gateway/face/v1.2/persongroups?top=0")).await;
    assert_eq!(status, 400);
    // Without the prefix the path is not the Face API's.
    let (status, _) = send(&layer, &seen, get("/face/v1.2/persongroups?top=0")).await;
    assert_eq!(status, 200);
    assert!(layer
        .check(&get("/gateway/face/v1.2/persongroups?top=0"))
        .is_err());
}

#[tokio::test]
async fn an_empty_body_with_content_length_zero() {
    let seen = Seen::default();
    let layer = PreflightLayer::new();
    for (path, content_type, entry) in [
        (
            "/face/v1.2/detect",
            "application/octet-stream",
            catalogue::IMAGE_TOO_SMALL,
        ),
        (
            "/face/v1.2/identify",
            "application/json",
            catalogue::REQUEST_BODY_INVALID,
        ),
        (
            "/face/v1.2/detectLiveness-sessions",
            "application/json",
            catalogue::LIVENESS_REQUEST_BODY_INVALID,
        ),
    ] {
        let mut request = request(Method::POST, path, Some(content_type), Bytes::new());
        request
            .headers_mut()
            .insert("content-length", "0".parse().unwrap());
        let (status, body) = send(&layer, &seen, request).await;
        assert_response(status, &body, &entry);
    }
    assert_eq!(seen.calls(), 0);
}

#[tokio::test]
async fn a_body_longer_than_its_content_length_is_judged_and_forwarded_as_it_is() {
    let seen = Seen::default();
    let layer = PreflightLayer::new();
    // The transport, not this layer, enforces Content-Length: the verdict is
    // on the bytes the body yields, and those are forwarded untouched.
    let body = format!(r#"{{"faceIds":["{GUID}","{GUID2}"]}}"#);
    let mut request = post_json("/face/v1.2/group", &body);
    request
        .headers_mut()
        .insert("content-length", "10".parse().unwrap());
    let (status, _) = send(&layer, &seen, request).await;
    assert_eq!(status, 200);
    let received = seen.requests.lock().unwrap().pop().unwrap();
    assert_eq!(received.headers()["content-length"], "10");
    assert_eq!(
        received.into_body().collect().await.unwrap().to_bytes(),
        body.as_bytes()
    );

    let mut short = post_json("/face/v1.2/group", &format!(r#"{{"faceIds":["{GUID}"]}}"#));
    short
        .headers_mut()
        .insert("content-length", "1000".parse().unwrap());
    let (status, body) = send(&layer, &seen, short).await;
    assert_response(status, &body, &catalogue::FACE_IDS_LENGTH_INVALID);
    assert_eq!(seen.calls(), 1);
}
