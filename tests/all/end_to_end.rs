//! Real clients over loopback: reqwest, reqwest-middleware and hyper-util's
//! client, each against a hyper server that records what reaches it.
#![cfg(all(feature = "reqwest", feature = "reqwest-middleware"))]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{assert_response, guids, image_of, GUID};
use bytes::Bytes;
use face_preflight::catalogue::{self, Entry};
use face_preflight::{FaceApiError, PreflightLayer, PreflightMiddleware};
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

/// What the server received.
#[derive(Clone, Debug)]
struct Received {
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Server {
    count: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    async fn start() -> (Self, SocketAddr) {
        let server = Server::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |request: hyper::Request<hyper::body::Incoming>| {
                            let state = state.clone();
                            async move {
                                state.count.fetch_add(1, Ordering::SeqCst);
                                let (parts, body) = request.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                state.received.lock().unwrap().push(Received {
                                    method: parts.method,
                                    path_and_query: parts
                                        .uri
                                        .path_and_query()
                                        .map(|p| p.to_string())
                                        .unwrap_or_default(),
                                    headers: parts.headers,
                                    body,
                                });
                                Ok::<_, Infallible>(hyper::Response::new(Full::new(
                                    Bytes::from_static(b"[]"),
                                )))
                            }
                        },
                    );
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (server, address)
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

/// A request as the tests send it, whatever the client.
#[derive(Clone)]
struct Sent {
    method: Method,
    path_and_query: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

fn sent(method: Method, path_and_query: &str, content_type: &str, body: impl Into<Bytes>) -> Sent {
    Sent {
        method,
        path_and_query: path_and_query.to_owned(),
        headers: vec![
            ("content-type", content_type.to_owned()),
            ("ocp-apim-subscription-key", "e2e-key".to_owned()),
            ("x-ms-client-request-id", "e2e-1".to_owned()),
        ],
        body: body.into(),
    }
}

fn json(method: Method, path: &str, body: serde_json::Value) -> Sent {
    sent(
        method,
        path,
        "application/json",
        serde_json::to_vec(&body).unwrap(),
    )
}

/// One bad request per family and the error it must get.
fn bad_requests() -> Vec<(Sent, Entry)> {
    vec![
        (
            sent(
                Method::POST,
                "/face/v1.2/detect",
                "application/octet-stream",
                image_of(image::ImageFormat::Tiff, 64, 64),
            ),
            catalogue::IMAGE_FORMAT_UNSUPPORTED,
        ),
        (
            json(
                Method::POST,
                "/face/v1.2/identify",
                serde_json::json!({"faceIds": guids(11), "personGroupId": "staff"}),
            ),
            catalogue::FACE_IDS_LENGTH_INVALID,
        ),
        (
            json(
                Method::POST,
                "/face/v1.2/verify",
                serde_json::json!({"faceId1": "x", "faceId2": GUID}),
            ),
            catalogue::FACE_ID_INVALID,
        ),
        (
            json(
                Method::POST,
                "/face/v1.2/findsimilars",
                serde_json::json!({"faceId": GUID}),
            ),
            catalogue::FACE_SOURCES_ALL_NULL,
        ),
        (
            json(
                Method::POST,
                "/face/v1.2/group",
                serde_json::json!({"faceIds": guids(1)}),
            ),
            catalogue::FACE_IDS_LENGTH_INVALID,
        ),
        (
            json(
                Method::PUT,
                "/face/v1.2/persongroups/Staff",
                serde_json::json!({"name": "Staff"}),
            ),
            catalogue::PERSON_GROUP_ID_INVALID,
        ),
        (
            json(
                Method::PATCH,
                "/face/v1.2/largefacelists/list",
                serde_json::json!({}),
            ),
            catalogue::NAME_AND_USER_DATA_EMPTY,
        ),
        (
            json(
                Method::POST,
                "/face/v1.2-preview.1/persons",
                serde_json::json!({"name": ""}),
            ),
            catalogue::NAME_EMPTY,
        ),
        (
            json(
                Method::POST,
                "/face/v1.2/detectLiveness-sessions",
                serde_json::json!({"livenessOperationMode": "Passive", "deviceCorrelationId": GUID, "authTokenTimeToLiveInSeconds": 30}),
            ),
            catalogue::INVALID_TOKEN_LIFETIME,
        ),
        (
            sent(
                Method::GET,
                "/face/v1.2/persongroups?top=0",
                "application/json",
                "",
            ),
            catalogue::TOP_INVALID,
        ),
    ]
}

/// One good request per family.
fn good_requests() -> Vec<Sent> {
    vec![
        sent(
            Method::POST,
            "/face/v1.2/detect?detectionModel=detection_03&returnFaceId=false",
            "application/octet-stream",
            image_of(image::ImageFormat::Jpeg, 64, 64),
        ),
        json(
            Method::POST,
            "/face/v1.2/detect?returnFaceAttributes=headPose,mask",
            serde_json::json!({"url": "https://example.com/face.jpg"}),
        ),
        json(
            Method::POST,
            "/face/v1.2/identify",
            serde_json::json!({"faceIds": guids(10), "personGroupId": "staff", "confidenceThreshold": 1}),
        ),
        json(
            Method::POST,
            "/face/v1.2/verify",
            serde_json::json!({"faceId1": GUID, "faceId2": guids(1)[0]}),
        ),
        json(
            Method::POST,
            "/face/v1.2/findsimilars",
            serde_json::json!({"faceId": GUID, "faceIds": guids(1000)}),
        ),
        json(
            Method::POST,
            "/face/v1.2/group",
            serde_json::json!({"faceIds": guids(1000)}),
        ),
        json(
            Method::PUT,
            "/face/v1.2/persongroups/staff",
            serde_json::json!({"name": "Staff", "recognitionModel": "recognition_04"}),
        ),
        json(
            Method::POST,
            "/face/v1.2-preview.1/persons",
            serde_json::json!({"name": "Ada"}),
        ),
        json(
            Method::POST,
            "/face/v1.2/detectLiveness-sessions",
            serde_json::json!({"livenessOperationMode": "Passive", "deviceCorrelationId": GUID, "authTokenTimeToLiveInSeconds": 600}),
        ),
        sent(
            Method::GET,
            "/face/v1.2/persongroups?top=1000",
            "application/json",
            "",
        ),
        sent(
            Method::DELETE,
            "/face/v1.2/persongroups/staff",
            "application/json",
            "",
        ),
    ]
}

fn reqwest_request(client: &reqwest::Client, base: &str, sent: &Sent) -> reqwest::Request {
    let mut builder = client.request(
        sent.method.clone(),
        format!("{base}{}", sent.path_and_query),
    );
    for (name, value) in &sent.headers {
        builder = builder.header(*name, value);
    }
    builder.body(sent.body.clone()).build().unwrap()
}

fn hyper_request(base: &str, sent: &Sent) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method(sent.method.clone())
        .uri(format!("{base}{}", sent.path_and_query));
    for (name, value) in &sent.headers {
        builder = builder.header(*name, value);
    }
    builder.body(Full::new(sent.body.clone())).unwrap()
}

fn assert_received_unchanged(server: &Server, sent: &Sent) {
    let received = server
        .received
        .lock()
        .unwrap()
        .pop()
        .expect("the server received the request");
    assert_eq!(received.method, sent.method);
    assert_eq!(received.path_and_query, sent.path_and_query);
    for (name, value) in &sent.headers {
        assert_eq!(
            received.headers.get(*name).and_then(|v| v.to_str().ok()),
            Some(value.as_str()),
            "{name}"
        );
    }
    assert_eq!(received.body, sent.body, "{}", sent.path_and_query);
}

#[tokio::test]
async fn reqwest_client_as_a_tower_service() {
    let (server, address) = Server::start().await;
    let base = format!("http://{address}");
    let client = reqwest::Client::new();
    let mut face = ServiceBuilder::new()
        .layer(PreflightLayer::new())
        .service(client.clone());
    for (sent, entry) in bad_requests() {
        let response = face
            .ready()
            .await
            .unwrap()
            .call(reqwest_request(&client, &base, &sent))
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        assert_eq!(
            response.url().as_str(),
            format!("{base}{}", sent.path_and_query)
        );
        let body = response.bytes().await.unwrap();
        assert_response(status, &body, &entry);
    }
    assert_eq!(server.count(), 0);
    // error_for_status behaves as with the service.
    let (sent, _) = bad_requests().remove(0);
    let response = face
        .ready()
        .await
        .unwrap()
        .call(reqwest_request(&client, &base, &sent))
        .await
        .unwrap();
    assert_eq!(
        response.error_for_status().unwrap_err().status(),
        Some(reqwest::StatusCode::BAD_REQUEST)
    );
    for (i, sent) in good_requests().iter().enumerate() {
        let response = face
            .ready()
            .await
            .unwrap()
            .call(reqwest_request(&client, &base, sent))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(server.count(), i + 1);
        assert_received_unchanged(&server, sent);
    }
}

#[tokio::test]
async fn reqwest_rejects_with_error_when_asked() {
    let (server, address) = Server::start().await;
    let client = reqwest::Client::new();
    let face = PreflightLayer::new()
        .reject_with_error(true)
        .layer(client.clone());
    let (sent, entry) = bad_requests().remove(1);
    let error = face
        .oneshot(reqwest_request(
            &client,
            &format!("http://{address}"),
            &sent,
        ))
        .await
        .unwrap_err();
    let error = error.downcast_ref::<FaceApiError>().unwrap();
    assert!(error.is(&entry));
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn reqwest_streaming_bodies_are_not_consumed() {
    let (server, address) = Server::start().await;
    let client = reqwest::Client::new();
    let face = PreflightLayer::new().layer(client.clone());
    // A stream cannot be read without consuming it: only what precedes the
    // body is judged, and the body reaches the server whole.
    let body = serde_json::to_vec(&serde_json::json!({"faceIds": guids(1)})).unwrap();
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(body.clone()))]);
    let request = client
        .post(format!("http://{address}/face/v1.2/group"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    let response = face.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.received.lock().unwrap().pop().unwrap().body, body);
    // The path is still checked.
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"{}"))]);
    let request = client
        .put(format!("http://{address}/face/v1.2/persongroups/Bad"))
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    let response = face.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 400);
    // A declared length over the limit is refused without touching the stream.
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"x"))]);
    let request = client
        .post(format!("http://{address}/face/v1.2/detect"))
        .header("content-type", "application/octet-stream")
        .header("content-length", "7000000")
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    let response = face.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    assert_response(
        status,
        &response.bytes().await.unwrap(),
        &catalogue::IMAGE_TOO_BIG,
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn reqwest_middleware_client() {
    let (server, address) = Server::start().await;
    let base = format!("http://{address}");
    let inner = reqwest::Client::new();
    let client = reqwest_middleware::ClientBuilder::new(inner.clone())
        .with(PreflightMiddleware::new(PreflightLayer::new()))
        .build();
    for (sent, entry) in bad_requests() {
        let response = client
            .execute(reqwest_request(&inner, &base, &sent))
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_response(status, &response.bytes().await.unwrap(), &entry);
    }
    assert_eq!(server.count(), 0);
    for sent in good_requests() {
        let response = client
            .execute(reqwest_request(&inner, &base, &sent))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_received_unchanged(&server, &sent);
    }
    assert_eq!(server.count(), good_requests().len());

    let strict = reqwest_middleware::ClientBuilder::new(inner.clone())
        .with(PreflightMiddleware::new(
            PreflightLayer::new().reject_with_error(true),
        ))
        .build();
    let (sent, entry) = bad_requests().remove(0);
    match strict
        .execute(reqwest_request(&inner, &base, &sent))
        .await
        .unwrap_err()
    {
        reqwest_middleware::Error::Middleware(error) => {
            assert!(error.downcast_ref::<FaceApiError>().unwrap().is(&entry));
        }
        other => panic!("unexpected {other:?}"),
    }
}

type HyperClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

fn hyper_client() -> HyperClient {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http()
}

#[tokio::test]
async fn hyper_util_client() {
    let (server, address) = Server::start().await;
    let base = format!("http://{address}");
    let mut face = ServiceBuilder::new()
        .layer(PreflightLayer::new())
        .service(hyper_client());
    for (sent, entry) in bad_requests() {
        let response = face
            .ready()
            .await
            .unwrap()
            .call(hyper_request(&base, &sent))
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(response.body().is_rejection());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_response(status, &body, &entry);
    }
    assert_eq!(server.count(), 0);
    for sent in good_requests() {
        let response = face
            .ready()
            .await
            .unwrap()
            .call(hyper_request(&base, &sent))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(!response.body().is_rejection());
        assert_eq!(
            &response.into_body().collect().await.unwrap().to_bytes()[..],
            b"[]"
        );
        assert_received_unchanged(&server, &sent);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_in_flight() {
    let (server, address) = Server::start().await;
    let base = format!("http://{address}");
    let face = ServiceBuilder::new()
        .layer(PreflightLayer::new())
        .service(hyper_client());
    let bad = bad_requests();
    let good = good_requests();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let service = face.clone();
        let (sent, expected) = if i % 2 == 0 {
            let (sent, entry) = bad[i / 2 % bad.len()].clone();
            (sent, Some(entry))
        } else {
            (good[i / 2 % good.len()].clone(), None)
        };
        let request = hyper_request(&base, &sent);
        tasks.push(tokio::spawn(async move {
            let response = service.oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let rejected = response.body().is_rejection();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            match expected {
                Some(entry) => {
                    assert!(rejected);
                    assert_response(status, &body, &entry);
                }
                None => assert_eq!((status, rejected), (200, false)),
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(server.count(), 500);
}

#[tokio::test]
async fn composes_with_timeout_rate_limit_and_concurrency_limit() {
    let (server, address) = Server::start().await;
    let base = format!("http://{address}");
    // The layer needs a `Clone` inner service; rate and concurrency limits
    // sit behind a buffer, as usual in tower.
    let face = ServiceBuilder::new()
        .timeout(Duration::from_secs(10))
        .layer(PreflightLayer::new())
        .buffer(64)
        .concurrency_limit(8)
        .rate_limit(1000, Duration::from_secs(1))
        .service(hyper_client());
    let (bad, entry) = bad_requests().remove(1);
    let response = face
        .clone()
        .oneshot(hyper_request(&base, &bad))
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_response(
        status,
        &response.into_body().collect().await.unwrap().to_bytes(),
        &entry,
    );
    let good = good_requests().remove(2);
    let response = face.oneshot(hyper_request(&base, &good)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.count(), 1);
}

/// Retries any error and any 5xx, three times, but never a local rejection:
/// a rejection is recognised by its `FaceApiError` (reject-with-error mode)
/// or by `ResponseBody::is_rejection`.
#[derive(Clone)]
struct RetryServerFailures(usize);

impl<B, E>
    tower::retry::Policy<
        http::Request<Full<Bytes>>,
        http::Response<face_preflight::ResponseBody<B>>,
        E,
    > for RetryServerFailures
where
    E: std::fmt::Debug + AsRef<dyn std::error::Error + Send + Sync>,
{
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _: &mut http::Request<Full<Bytes>>,
        result: &mut Result<http::Response<face_preflight::ResponseBody<B>>, E>,
    ) -> Option<Self::Future> {
        let retry = match result {
            Ok(response) => response.status().is_server_error() && !response.body().is_rejection(),
            Err(error) => error.as_ref().downcast_ref::<FaceApiError>().is_none(),
        };
        (retry && self.0 > 0).then(|| {
            self.0 -= 1;
            std::future::ready(())
        })
    }

    fn clone_request(
        &mut self,
        request: &http::Request<Full<Bytes>>,
    ) -> Option<http::Request<Full<Bytes>>> {
        Some(request.clone())
    }
}

#[tokio::test]
async fn a_retry_policy_never_retries_a_local_rejection() {
    let (server, address) = Server::start().await;
    let base = format!("http://{address}");
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    // Rejections in both modes: as a response and as an error.
    for layer in [
        PreflightLayer::new(),
        PreflightLayer::new().reject_with_error(true),
    ] {
        let counter = counter.clone();
        let face = ServiceBuilder::new()
            .retry(RetryServerFailures(3))
            .map_request(move |request: http::Request<Full<Bytes>>| {
                counter.fetch_add(1, Ordering::SeqCst);
                request
            })
            .layer(layer)
            .service(hyper_client());
        let (bad, _) = bad_requests().remove(5);
        let _ = face.oneshot(hyper_request(&base, &bad)).await;
    }
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "one attempt each, no retry"
    );
    assert_eq!(server.count(), 0);
}

/// Retries everything, three times.
#[derive(Clone)]
struct RetryEverything(usize);

impl<Res, E> tower::retry::Policy<http::Request<Full<Bytes>>, Res, E> for RetryEverything {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _: &mut http::Request<Full<Bytes>>,
        _: &mut Result<Res, E>,
    ) -> Option<Self::Future> {
        (self.0 > 0).then(|| {
            self.0 -= 1;
            std::future::ready(())
        })
    }

    fn clone_request(
        &mut self,
        request: &http::Request<Full<Bytes>>,
    ) -> Option<http::Request<Full<Bytes>>> {
        Some(request.clone())
    }
}

#[tokio::test]
async fn with_the_layer_outside_retry_a_rejection_never_enters_the_retry_loop() {
    let (server, address) = Server::start().await;
    let base = format!("http://{address}");
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    let face = ServiceBuilder::new()
        .layer(PreflightLayer::new())
        .retry(RetryEverything(3))
        .map_request(move |request: http::Request<Full<Bytes>>| {
            counter.fetch_add(1, Ordering::SeqCst);
            request
        })
        .service(hyper_client());
    let (bad, entry) = bad_requests().remove(5);
    let response = face
        .clone()
        .oneshot(hyper_request(&base, &bad))
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_response(
        status,
        &response.into_body().collect().await.unwrap().to_bytes(),
        &entry,
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 0);
    // A good request goes through retry as usual (4 attempts: it "retries" a 200 too).
    let good = good_requests().remove(2);
    face.oneshot(hyper_request(&base, &good)).await.unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
    assert_eq!(server.count(), 4);
}

// ---- Every request body type, through hyper-util's client -------------------
// (`Full<Bytes>`, which needs no wrapper: `hyper_util_client` above.)

type DynError = Box<dyn std::error::Error + Send + Sync>;

/// Sends the bad and good requests through `face` (the caller's body built
/// by `body`): the bad ones are answered locally and never reach the
/// server; the good ones reach it unchanged.
async fn exercise<S, B>(mut face: S, body: impl Fn(Bytes) -> B, server: &Server, base: &str)
where
    S: Service<
        http::Request<B>,
        Response = http::Response<face_preflight::ResponseBody<hyper::body::Incoming>>,
    >,
    S::Error: std::fmt::Debug,
{
    for (sent, entry) in bad_requests() {
        let request = hyper_request(base, &sent).map(|_| body(sent.body.clone()));
        let response = face.ready().await.unwrap().call(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_response(status, &bytes, &entry);
    }
    assert_eq!(server.count(), 0);
    for sent in good_requests() {
        let request = hyper_request(base, &sent).map(|_| body(sent.body.clone()));
        let response = face.ready().await.unwrap().call(request).await.unwrap();
        assert_eq!(response.status(), 200, "{}", sent.path_and_query);
        assert_received_unchanged(server, &sent);
    }
    assert_eq!(server.count(), good_requests().len());
}

/// A client whose body type cannot be built from `Bytes`: the caller's body
/// is wrapped in `RequestBody` before the layer.
async fn wrapped<B>(body: impl Fn(Bytes) -> B)
where
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Into<Bytes> + Send,
    B::Error: Into<DynError>,
{
    let (server, address) = Server::start().await;
    let client: hyper_util::client::legacy::Client<_, face_preflight::RequestBody<B>> =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    let face = ServiceBuilder::new()
        .map_request(|request: http::Request<B>| request.map(face_preflight::RequestBody::new))
        .layer(PreflightLayer::new())
        .service(client);
    exercise(face, body, &server, &format!("http://{address}")).await;
}

/// Seven-byte chunks, so that a body the layer reads arrives in many frames.
fn chunks(bytes: Bytes) -> Vec<Result<http_body::Frame<Bytes>, Infallible>> {
    bytes
        .chunks(7)
        .map(|chunk| Ok(http_body::Frame::data(Bytes::copy_from_slice(chunk))))
        .collect()
}

#[tokio::test]
async fn box_body() {
    wrapped(|bytes| Full::new(bytes).boxed()).await;
}

#[tokio::test]
async fn unsync_box_body() {
    wrapped(|bytes| Full::new(bytes).map_err(DynError::from).boxed_unsync()).await;
}

#[tokio::test]
async fn stream_body() {
    wrapped(|bytes| http_body_util::StreamBody::new(futures_util::stream::iter(chunks(bytes))))
        .await;
}

#[tokio::test]
async fn reqwest_body_needs_no_wrapper() {
    let (server, address) = Server::start().await;
    let client: hyper_util::client::legacy::Client<_, reqwest::Body> =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    let face = PreflightLayer::new().layer(client);
    let streamed = |bytes: Bytes| {
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks(bytes).into_iter().map(
            |frame| {
                Ok::<_, Infallible>(
                    frame
                        .unwrap_or_else(|never| match never {})
                        .into_data()
                        .unwrap_or_default(),
                )
            },
        )))
    };
    exercise(face, streamed, &server, &format!("http://{address}")).await;
}
