//! Learned facts: a stand-in Face service that detects faces, honours
//! `faceIdTimeToLive` and keeps person groups with their recognition model;
//! tokio's paused clock passes expiry. Each certain case is answered
//! locally (the stand-in's hit count unchanged) with the documented answer;
//! every uncertain case reaches the stand-in.
#![cfg(feature = "facts")]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use bytes::Bytes;
use face_preflight::catalogue::{self, Entry};
use face_preflight::facts::Facts;
use face_preflight::{LocalRejection, PreflightLayer, Source};
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use tokio::time::Instant;
use tower::{service_fn, Layer, Service, ServiceExt};

/// The stand-in's memory.
#[derive(Clone, Default)]
struct StandIn {
    faces: Arc<Mutex<HashMap<String, (Instant, String)>>>,
    groups: Arc<Mutex<HashMap<String, String>>>,
    next: Arc<AtomicU64>,
    hits: Arc<AtomicUsize>,
}

fn error(entry: &Entry) -> (u16, String) {
    let error = face_preflight::FaceApiError::from(*entry);
    (
        entry.status.as_u16(),
        String::from_utf8(error.to_json().to_vec()).unwrap(),
    )
}

impl StandIn {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// What the service would answer.
    fn answer(&self, method: &Method, path: &str, query: &str, body: &[u8]) -> (u16, String) {
        self.hits.fetch_add(1, Ordering::SeqCst);
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        };
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let now = Instant::now();
        let face = |id: &Value| -> Result<String, (u16, String)> {
            let faces = self.faces.lock().unwrap();
            match faces.get(id.as_str().unwrap_or_default()) {
                Some((expires, model)) if now < *expires => Ok(model.clone()),
                _ => Err(error(&catalogue::FACE_NOT_FOUND)),
            }
        };
        let segments: Vec<&str> = path.split('/').collect();
        match (method.as_str(), &segments[3..]) {
            ("POST", ["detect"]) => {
                let model = param("recognitionModel").unwrap_or("recognition_01".into());
                // How the service reads an undocumented lifetime is not
                // known: here, clamped to its documented range.
                let ttl = param("faceIdTimeToLive")
                    .map_or(86_400, |t| t.parse::<i64>().unwrap().clamp(60, 86_400));
                let ttl = ttl.unsigned_abs();
                let id = format!(
                    "c5c24a82-6845-4031-9d5d-{:012x}",
                    self.next.fetch_add(1, Ordering::SeqCst)
                );
                self.faces
                    .lock()
                    .unwrap()
                    .insert(id.clone(), (now + Duration::from_secs(ttl), model.clone()));
                let mut detected = json!({"faceId": id, "faceRectangle": {"top": 1, "left": 2, "width": 30, "height": 30}});
                if param("returnRecognitionModel").as_deref() == Some("true") {
                    detected["recognitionModel"] = json!(model);
                }
                (200, json!([detected]).to_string())
            }
            ("PUT", ["persongroups", id]) => {
                let model = body["recognitionModel"]
                    .as_str()
                    .unwrap_or("recognition_01");
                self.groups
                    .lock()
                    .unwrap()
                    .insert(id.to_string(), model.to_owned());
                (200, String::new())
            }
            ("PUT", ["facelists", _]) => (200, String::new()),
            ("DELETE", ["persongroups", id]) => {
                self.groups.lock().unwrap().remove(*id);
                (200, String::new())
            }
            ("GET", ["persongroups", id]) => match self.groups.lock().unwrap().get(*id) {
                Some(model) => (
                    200,
                    json!({"personGroupId": id, "name": "n", "recognitionModel": model})
                        .to_string(),
                ),
                None => error(&catalogue::PERSON_GROUP_NOT_FOUND_404),
            },
            ("POST", ["identify"]) => {
                let mut models = Vec::new();
                for id in body["faceIds"].as_array().cloned().unwrap_or_default() {
                    match face(&id) {
                        Ok(model) => models.push(model),
                        Err(answer) => return answer,
                    }
                }
                let group = body["personGroupId"].as_str().unwrap_or_default();
                let Some(group_model) = self.groups.lock().unwrap().get(group).cloned() else {
                    return error(&catalogue::PERSON_GROUP_NOT_FOUND);
                };
                if models.iter().any(|m| *m != group_model) {
                    return error(&catalogue::RECOGNITION_MODEL_INCOMPATIBLE);
                }
                (200, "[]".to_owned())
            }
            ("POST", ["verify"]) => {
                let (a, b) = match (face(&body["faceId1"]), face(&body["faceId2"])) {
                    (Ok(a), Ok(b)) => (a, b),
                    _ => return error(&catalogue::VERIFY_FACE_NOT_FOUND),
                };
                if a != b {
                    return error(&catalogue::RECOGNITION_MODEL_INCOMPATIBLE);
                }
                (200, r#"{"isIdentical":false,"confidence":0.1}"#.to_owned())
            }
            ("POST", ["findsimilars"]) => match face(&body["faceId"]) {
                Ok(_) => (200, "[]".to_owned()),
                Err(answer) => answer,
            },
            ("POST", ["group"]) => (200, r#"{"groups":[],"messyGroup":[]}"#.to_owned()),
            _ => (404, String::new()),
        }
    }

    fn service(
        &self,
    ) -> impl Service<
        Request<Full<Bytes>>,
        Response = Response<Full<Bytes>>,
        Error = Infallible,
        Future = impl Send,
    > + Clone
           + Send
           + 'static {
        let this = self.clone();
        service_fn(move |request: Request<Full<Bytes>>| {
            let this = this.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                let (status, body) = this.answer(
                    &parts.method,
                    parts.uri.path(),
                    parts.uri.query().unwrap_or_default(),
                    &body,
                );
                Ok::<_, Infallible>(
                    Response::builder()
                        .status(status)
                        .header("content-type", "application/json; charset=utf-8")
                        .body(Full::new(Bytes::from(body)))
                        .unwrap(),
                )
            }
        })
    }
}

/// The facts as a judge of a preflight layer, as a user stacks them.
fn preflight(facts: &Facts) -> PreflightLayer {
    PreflightLayer::new().facts(facts.clone())
}

/// Sends one request through `layer` around the stand-in; returns status,
/// body and whether it was answered locally.
async fn send(layer: &Facts, stand_in: &StandIn, request: Request<Bytes>) -> (u16, Bytes, bool) {
    let response = preflight(layer)
        .layer(stand_in.service())
        .oneshot(to_full(request))
        .await
        .unwrap();
    // Answered locally only ever by the facts: the rules pass every
    // request of these tests.
    let local = response
        .extensions()
        .get::<LocalRejection>()
        .map(|rejection| assert_eq!(rejection.source, Source::Facts, "{:?}", rejection.error))
        .is_some();
    let status = response.status().as_u16();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
        local,
    )
}

async fn detect(layer: &Facts, stand_in: &StandIn, query: &str) -> String {
    let (status, body, _) = send(
        layer,
        stand_in,
        post_json(
            &format!("/face/v1.2/detect?{query}"),
            r#"{"url":"https://a.b/c.jpg"}"#,
        ),
    )
    .await;
    assert_eq!(status, 200);
    let faces: Value = serde_json::from_slice(&body).unwrap();
    faces[0]["faceId"].as_str().unwrap().to_owned()
}

/// Asserts `request` is answered locally with `entry`, unseen by the stand-in.
async fn assert_local(layer: &Facts, stand_in: &StandIn, request: Request<Bytes>, entry: &Entry) {
    let before = stand_in.hits();
    let (status, body, local) = send(layer, stand_in, request).await;
    assert!(local, "answered by the stand-in: {status}");
    assert_response(status, &body, entry);
    assert_eq!(stand_in.hits(), before, "the stand-in saw it");
}

/// Asserts `request` reaches the stand-in; returns its status.
async fn assert_sent(layer: &Facts, stand_in: &StandIn, request: Request<Bytes>) -> u16 {
    let before = stand_in.hits();
    let (status, _, local) = send(layer, stand_in, request).await;
    assert!(!local);
    assert_eq!(stand_in.hits(), before + 1);
    status
}

fn identify(face: &str, group: &str) -> Request<Bytes> {
    post_json(
        "/face/v1.2/identify",
        &json!({"faceIds": [face], "personGroupId": group}).to_string(),
    )
}

fn verify(a: &str, b: &str) -> Request<Bytes> {
    post_json(
        "/face/v1.2/verify",
        &json!({"faceId1": a, "faceId2": b}).to_string(),
    )
}

#[tokio::test(start_paused = true)]
async fn expired_face_ids_are_answered_locally() {
    let stand_in = StandIn::default();
    let layer = Facts::new();
    assert_sent(
        &layer,
        &stand_in,
        put_json("/face/v1.2/persongroups/staff", r#"{"name":"staff"}"#),
    )
    .await;
    let face = detect(&layer, &stand_in, "faceIdTimeToLive=60").await;
    let other = detect(&layer, &stand_in, "").await;
    // Within its lifetime: sent.
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&face, "staff")).await,
        200
    );

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_local(
        &layer,
        &stand_in,
        identify(&face, "staff"),
        &catalogue::FACE_NOT_FOUND,
    )
    .await;
    assert_local(
        &layer,
        &stand_in,
        verify(&face, &other),
        &catalogue::VERIFY_FACE_NOT_FOUND,
    )
    .await;
    assert_local(
        &layer,
        &stand_in,
        verify(&other, &face),
        &catalogue::VERIFY_FACE_NOT_FOUND,
    )
    .await;
    let similar = json!({"faceId": face, "faceIds": [other]}).to_string();
    assert_local(
        &layer,
        &stand_in,
        post_json("/face/v1.2/findsimilars", &similar),
        &catalogue::FACE_NOT_FOUND,
    )
    .await;
    // Uncertain: group has no documented answer; an expired candidate of
    // find similar; the face detected with the default lifetime.
    let group = json!({"faceIds": [face, other]}).to_string();
    assert_sent(&layer, &stand_in, post_json("/face/v1.2/group", &group)).await;
    let candidate = json!({"faceId": other, "faceIds": [face]}).to_string();
    assert_sent(
        &layer,
        &stand_in,
        post_json("/face/v1.2/findsimilars", &candidate),
    )
    .await;
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&other, "staff")).await,
        200
    );

    let stats = layer.stats().snapshot();
    assert_eq!(stats.face_not_found, 4);
    assert_eq!(stats.faces_learned, 2);
}

#[tokio::test(start_paused = true)]
async fn recognition_model_mismatches_are_answered_locally() {
    let stand_in = StandIn::default();
    let layer = Facts::new();
    assert_sent(
        &layer,
        &stand_in,
        put_json("/face/v1.2/persongroups/legacy", r#"{"name":"legacy"}"#),
    )
    .await;
    assert_sent(
        &layer,
        &stand_in,
        put_json(
            "/face/v1.2/persongroups/modern",
            r#"{"name":"m","recognitionModel":"recognition_04"}"#,
        ),
    )
    .await;
    // The model from the query, and from the answer when it names one.
    let new = detect(&layer, &stand_in, "recognitionModel=recognition_04").await;
    let old = detect(&layer, &stand_in, "returnRecognitionModel=true").await;
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&new, "modern")).await,
        200
    );
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&old, "legacy")).await,
        200
    );

    let incompatible = &catalogue::RECOGNITION_MODEL_INCOMPATIBLE;
    assert_local(&layer, &stand_in, identify(&new, "legacy"), incompatible).await;
    assert_local(&layer, &stand_in, identify(&old, "modern"), incompatible).await;
    assert_local(&layer, &stand_in, verify(&new, &old), incompatible).await;
    let group = json!({"faceIds": [new, old]}).to_string();
    assert_local(
        &layer,
        &stand_in,
        post_json("/face/v1.2/group", &group),
        incompatible,
    )
    .await;
    let similar = json!({"faceId": new, "faceIds": [old]}).to_string();
    assert_local(
        &layer,
        &stand_in,
        post_json("/face/v1.2/findsimilars", &similar),
        incompatible,
    )
    .await;

    // Never seen: sent, whatever the models might be.
    let stranger = "015839fb-fbd9-4f79-ace9-7675fc2f1dd9";
    assert_sent(&layer, &stand_in, identify(stranger, "legacy")).await;
    assert_sent(&layer, &stand_in, identify(&new, "unknown-group")).await;

    // Deleted: forgotten, so sent (and the stand-in says it is gone).
    assert_sent(&layer, &stand_in, delete("/face/v1.2/persongroups/legacy")).await;
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&new, "legacy")).await,
        400
    );
    assert_eq!(layer.stats().snapshot().incompatible, 5);
}

#[tokio::test(start_paused = true)]
async fn models_learned_from_gets_and_forgotten_on_not_found() {
    let stand_in = StandIn::default();
    // Another client created the group: this layer never saw it.
    stand_in
        .groups
        .lock()
        .unwrap()
        .insert("shared".into(), "recognition_03".into());
    let layer = Facts::new();
    let face = detect(&layer, &stand_in, "recognitionModel=recognition_04").await;
    assert_sent(&layer, &stand_in, identify(&face, "shared")).await;
    // A get without returnRecognitionModel teaches nothing…
    assert_sent(&layer, &stand_in, get("/face/v1.2/persongroups/shared")).await;
    assert_sent(&layer, &stand_in, identify(&face, "shared")).await;
    // …with it, the model is known.
    assert_sent(
        &layer,
        &stand_in,
        get("/face/v1.2/persongroups/shared?returnRecognitionModel=true"),
    )
    .await;
    assert_local(
        &layer,
        &stand_in,
        identify(&face, "shared"),
        &catalogue::RECOGNITION_MODEL_INCOMPATIBLE,
    )
    .await;

    // Deleted by someone else: the first 404 PersonGroupNotFound forgets it.
    stand_in.groups.lock().unwrap().remove("shared");
    assert_sent(&layer, &stand_in, get("/face/v1.2/persongroups/shared")).await;
    assert_sent(&layer, &stand_in, identify(&face, "shared")).await;
}

#[tokio::test(start_paused = true)]
async fn resources_never_mix_and_answers_pass_unchanged() {
    let stand_in = StandIn::default();
    let layer = Facts::new();
    let face = detect(&layer, &stand_in, "faceIdTimeToLive=60").await;
    tokio::time::sleep(Duration::from_secs(61)).await;
    // The same faceId on another resource is another face.
    let elsewhere = Request::post("https://other.cognitiveservices.azure.com/face/v1.2/identify")
        .header("content-type", "application/json")
        .body(Bytes::from(
            json!({"faceIds": [face], "personGroupId": "g"}).to_string(),
        ))
        .unwrap();
    assert_sent(&layer, &stand_in, elsewhere).await;
    // Behind a gateway prefix: another resource too.
    let behind = post_json(
        "/gateway/face/v1.2/identify",
        &json!({"faceIds": [face], "personGroupId": "g"}).to_string(),
    );
    assert_sent(&layer, &stand_in, behind).await;

    // A detect answer is read along, not altered: same bytes and headers.
    let answer = Bytes::from_static(
        br#"[ {"faceId" : "c5c24a82-6845-4031-9d5d-00000000abcd", "recognitionModel":"recognition_03"} ]"#,
    );
    let fixed = {
        let answer = answer.clone();
        service_fn(move |_: Request<Full<Bytes>>| {
            let answer = answer.clone();
            async move {
                Ok::<_, Infallible>(
                    Response::builder()
                        .header("apim-request-id", "abc")
                        .body(Full::new(answer))
                        .unwrap(),
                )
            }
        })
    };
    let response = preflight(&layer)
        .layer(fixed)
        .oneshot(to_full(post_json(
            "/face/v1.2/detect?returnRecognitionModel=true",
            r#"{"url":"https://a.b/c.jpg"}"#,
        )))
        .await
        .unwrap();
    assert_eq!(response.headers()["apim-request-id"], "abc");
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        answer
    );
    assert_eq!(layer.stats().snapshot().faces_learned, 2);
}

#[cfg(all(feature = "reqwest", feature = "reqwest-middleware"))]
mod over_loopback {
    use super::*;
    use face_preflight::PreflightMiddleware;
    use hyper::server::conn::http1;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;

    async fn serve(stand_in: StandIn) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let service = hyper::service::service_fn({
                    let stand_in = stand_in.clone();
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let stand_in = stand_in.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            let (status, body) = stand_in.answer(
                                &parts.method,
                                parts.uri.path(),
                                parts.uri.query().unwrap_or_default(),
                                &body,
                            );
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .body(Full::new(Bytes::from(body)))
                                    .unwrap(),
                            )
                        }
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        address
    }

    #[tokio::test(start_paused = true)]
    async fn reqwest_and_reqwest_middleware_learn_and_answer() {
        let stand_in = StandIn::default();
        let address = serve(stand_in.clone()).await;
        let base = format!("http://{address}/face/v1.2");
        let layer = Facts::new();
        let client = reqwest::Client::new();
        let service = preflight(&layer).layer(client.clone());
        let send = |request: reqwest::Request| service.clone().oneshot(request);

        let response = send(
            client
                .put(format!("{base}/persongroups/staff"))
                .json(&json!({"name": "s"}))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
        let response = send(
            client
                .post(format!(
                    "{base}/detect?recognitionModel=recognition_04&faceIdTimeToLive=60"
                ))
                .json(&json!({"url": "https://a.b/c.jpg"}))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
        let faces: Value = response.json().await.unwrap();
        let face = faces[0]["faceId"].as_str().unwrap().to_owned();

        let before = stand_in.hits();
        let response = send(
            client
                .post(format!("{base}/identify"))
                .json(&json!({"faceIds": [face], "personGroupId": "staff"}))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.extensions().get::<LocalRejection>().is_some());
        assert_eq!(response.url().as_str(), format!("{base}/identify"));
        let body = response.bytes().await.unwrap();
        assert_response(400, &body, &catalogue::RECOGNITION_MODEL_INCOMPATIBLE);
        assert_eq!(stand_in.hits(), before);

        // reqwest-middleware, sharing the layer's facts, after expiry.
        tokio::time::sleep(Duration::from_secs(61)).await;
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(PreflightMiddleware::new(preflight(&layer)))
            .build();
        let response = client
            .post(format!("{base}/findsimilars"))
            .header("content-type", "application/json")
            .body(json!({"faceId": face, "faceListId": "list"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.extensions().get::<LocalRejection>().is_some());
        assert_response(
            400,
            &response.bytes().await.unwrap(),
            &catalogue::FACE_NOT_FOUND,
        );
        assert_eq!(stand_in.hits(), before);
    }
}

mod never_on_absence {
    use super::*;
    use proptest::prelude::*;

    fn guid() -> impl Strategy<Value = String> {
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    }

    fn request() -> impl Strategy<Value = Request<Bytes>> {
        let group = prop::sample::select(vec!["staff", "modern", "nobody"]);
        prop_oneof![
            (prop::collection::vec(guid(), 1..10), group).prop_map(|(ids, group)| post_json(
                "/face/v1.2/identify",
                &json!({"faceIds": ids, "personGroupId": group}).to_string()
            )),
            (guid(), guid()).prop_map(|(a, b)| verify(&a, &b)),
            (guid(), prop::collection::vec(guid(), 1..20)).prop_map(|(id, ids)| post_json(
                "/face/v1.2/findsimilars",
                &json!({"faceId": id, "faceIds": ids}).to_string()
            )),
            prop::collection::vec(guid(), 2..20).prop_map(|ids| post_json(
                "/face/v1.2/group",
                &json!({"faceIds": ids}).to_string()
            )),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// With expired faces and known groups of two models learned, a
        /// request whose faceIds were never seen always reaches the service.
        #[test]
        fn requests_with_unseen_face_ids_are_never_rejected(request in request()) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
            runtime.block_on(async {
                let stand_in = StandIn::default();
                let layer = Facts::new();
                send(&layer, &stand_in, put_json("/face/v1.2/persongroups/staff", r#"{"name":"s"}"#)).await;
                send(&layer, &stand_in, put_json("/face/v1.2/persongroups/modern", r#"{"name":"m","recognitionModel":"recognition_04"}"#)).await;
                detect(&layer, &stand_in, "faceIdTimeToLive=60").await;
                detect(&layer, &stand_in, "recognitionModel=recognition_04").await;
                tokio::time::sleep(Duration::from_secs(120)).await;
                let (_, _, local) = send(&layer, &stand_in, request.clone()).await;
                prop_assert!(!local, "{}", String::from_utf8_lossy(request.body()));
                Ok(())
            })?;
        }
    }
}

#[cfg(feature = "redis")]
mod shared_through_redis {
    use super::*;
    use face_preflight::facts::RedisFacts;

    fn facts(prefix: &str) -> RedisFacts {
        let url =
            std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        RedisFacts::open(&url)
            .unwrap()
            .key_prefix(prefix.to_owned())
            .timeout(Duration::from_millis(500))
    }

    /// Issue #28: a faceId Redis does not hold (detected outside the fleet)
    /// is asked for once in a while, not on every request that names it;
    /// one the fleet learns later is still judged once the hold is over.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_face_redis_does_not_hold_is_not_asked_for_on_every_request() {
        let server = crate::private_redis::PrivateRedis::start();
        let stand_in = StandIn::default();
        let shared = || {
            RedisFacts::open(&server.url)
                .unwrap()
                .timeout(Duration::from_millis(500))
        };
        let layer = Facts::new().redis(shared());
        let outside = [
            "0b5d8f1e-3c2a-4d6e-9f10-112233445566",
            "7c1e2d3f-4a5b-4c6d-8e7f-8899aabbccdd",
        ];
        assert_sent(&layer, &stand_in, verify(outside[0], outside[1])).await;
        let after_first = server.script_calls();
        assert!(after_first >= 1, "Redis was asked");
        for _ in 0..20 {
            assert_sent(&layer, &stand_in, verify(outside[0], outside[1])).await;
        }
        assert_eq!(
            server.script_calls(),
            after_first,
            "asked again within the hold"
        );
        // Another face still costs one read.
        let other = "5f4e3d2c-1b0a-4f9e-8d7c-6b5a49382716";
        assert_sent(&layer, &stand_in, verify(outside[0], other)).await;
        assert!(server.script_calls() > after_first);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_face_detected_by_one_process_is_judged_in_another() {
        let prefix = format!(
            "face-preflight-test:facts:{}:{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        );
        let stand_in = StandIn::default();
        let first = Facts::new().redis(facts(&prefix));
        let second = Facts::new().redis(facts(&prefix));

        let face = detect(&first, &stand_in, "recognitionModel=recognition_04").await;
        assert_sent(
            &first,
            &stand_in,
            put_json(
                "/face/v1.2/persongroups/modern",
                r#"{"name":"m","recognitionModel":"recognition_04"}"#,
            ),
        )
        .await;
        assert_sent(
            &second,
            &stand_in,
            put_json("/face/v1.2/persongroups/legacy", r#"{"name":"l"}"#),
        )
        .await;
        let old = detect(&second, &stand_in, "").await;
        // The writes go out in the background.
        tokio::time::sleep(Duration::from_millis(500)).await;

        let incompatible = &catalogue::RECOGNITION_MODEL_INCOMPATIBLE;
        // The second never saw `face`, the first never saw `legacy` or `old`.
        assert_local(&second, &stand_in, identify(&face, "legacy"), incompatible).await;
        assert_local(&first, &stand_in, identify(&old, "modern"), incompatible).await;
        assert_local(&second, &stand_in, verify(&face, &old), incompatible).await;
        // Compatible ones still go.
        assert_eq!(
            assert_sent(&second, &stand_in, identify(&face, "modern")).await,
            200
        );
    }

    /// Issue #24, case 3 across a fleet: a delete or re-create that one
    /// process saw reaches another before that one answers from its older
    /// fact, however fresh that fact is.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_delete_or_re_create_seen_by_one_process_reaches_another() {
        let prefix = format!(
            "face-preflight-test:facts:{}:{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        );
        let stand_in = StandIn::default();
        let first = Facts::new().redis(facts(&prefix));
        let second = Facts::new().redis(facts(&prefix));
        let create = |group: &str, model: &str| {
            put_json(
                &format!("/face/v1.2/persongroups/{group}"),
                &json!({"name": "n", "recognitionModel": model}).to_string(),
            )
        };
        let delete = |group: &str| delete(&format!("/face/v1.2/persongroups/{group}"));
        for group in ["recreated", "deleted"] {
            assert_sent(&first, &stand_in, create(group, "recognition_04")).await;
        }
        let face = detect(&first, &stand_in, "recognitionModel=recognition_01").await;
        let incompatible = &catalogue::RECOGNITION_MODEL_INCOMPATIBLE;
        assert_local(
            &first,
            &stand_in,
            identify(&face, "recreated"),
            incompatible,
        )
        .await;

        assert_sent(&second, &stand_in, delete("recreated")).await;
        assert_sent(&second, &stand_in, create("recreated", "recognition_01")).await;
        assert_sent(&second, &stand_in, delete("deleted")).await;
        second.flush().await;

        // The first still holds its own fresh facts, but asks Redis before
        // answering from them: both go to the service.
        assert_eq!(
            assert_sent(&first, &stand_in, identify(&face, "recreated")).await,
            200
        );
        let status = assert_sent(&first, &stand_in, identify(&face, "deleted")).await;
        assert_eq!(status, catalogue::PERSON_GROUP_NOT_FOUND.status.as_u16());
    }

    #[tokio::test]
    async fn without_redis_the_local_facts_decide() {
        let stand_in = StandIn::default();
        let nowhere = RedisFacts::open("redis://127.0.0.1:1").unwrap();
        let layer = Facts::new().redis(nowhere);
        assert_sent(
            &layer,
            &stand_in,
            put_json("/face/v1.2/persongroups/staff", r#"{"name":"s"}"#),
        )
        .await;
        let face = detect(&layer, &stand_in, "recognitionModel=recognition_04").await;
        let started = std::time::Instant::now();
        assert_local(
            &layer,
            &stand_in,
            identify(&face, "staff"),
            &catalogue::RECOGNITION_MODEL_INCOMPATIBLE,
        )
        .await;
        assert_sent(
            &layer,
            &stand_in,
            identify("015839fb-fbd9-4f79-ace9-7675fc2f1dd9", "staff"),
        )
        .await;
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

/// Issue #24, case 1: a lifetime outside the documented 60..86400 s is not
/// the service's; the face counts as kept for the longest it could be.
#[tokio::test(start_paused = true)]
async fn an_undocumented_lifetime_is_not_trusted() {
    let stand_in = StandIn::default();
    let layer = Facts::new();
    assert_sent(
        &layer,
        &stand_in,
        put_json("/face/v1.2/persongroups/staff", r#"{"name":"staff"}"#),
    )
    .await;
    for ttl in ["0", "30", "86401"] {
        let face = detect(&layer, &stand_in, &format!("faceIdTimeToLive={ttl}")).await;
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_sent(&layer, &stand_in, identify(&face, "staff")).await;
    }
    // The longest lifetime still bounds it.
    let face = detect(&layer, &stand_in, "faceIdTimeToLive=30").await;
    tokio::time::sleep(Duration::from_secs(86_401)).await;
    assert_local(
        &layer,
        &stand_in,
        identify(&face, "staff"),
        &catalogue::FACE_NOT_FOUND,
    )
    .await;
}

/// Issue #24, cases 2 and 5: an expired face's model, and scope fields the
/// operation does not read, decide nothing.
#[tokio::test(start_paused = true)]
async fn only_what_the_operation_reads_and_the_service_holds_decides() {
    let stand_in = StandIn::default();
    // Collections stay trusted through the test's minute.
    let layer = Facts::new().collection_freshness(Duration::from_secs(3600));
    assert_sent(
        &layer,
        &stand_in,
        put_json(
            "/face/v1.2/persongroups/modern",
            r#"{"name":"m","recognitionModel":"recognition_04"}"#,
        ),
    )
    .await;
    assert_sent(
        &layer,
        &stand_in,
        put_json("/face/v1.2/facelists/legacy", r#"{"name":"l"}"#),
    )
    .await;
    let old = detect(&layer, &stand_in, "faceIdTimeToLive=60").await;
    let a = detect(&layer, &stand_in, "recognitionModel=recognition_04").await;
    let b = detect(&layer, &stand_in, "recognitionModel=recognition_04").await;
    // A face list on recognition_01 beside faces and a group on
    // recognition_04: identify, group and verify face to face ignore it.
    let requests = [
        post_json(
            "/face/v1.2/identify",
            &json!({"faceIds": [a], "personGroupId": "modern", "faceListId": "legacy"}).to_string(),
        ),
        post_json(
            "/face/v1.2/group",
            &json!({"faceIds": [a, b], "faceListId": "legacy"}).to_string(),
        ),
        post_json(
            "/face/v1.2/verify",
            &json!({"faceId1": a, "faceId2": b, "personGroupId": "legacy"}).to_string(),
        ),
    ];
    for request in requests {
        assert_sent(&layer, &stand_in, request).await;
    }
    // The recognition_01 face expired: its model no longer counts.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let similar = json!({"faceId": a, "faceIds": [old, b]}).to_string();
    assert_sent(
        &layer,
        &stand_in,
        post_json("/face/v1.2/findsimilars", &similar),
    )
    .await;
    let group = json!({"faceIds": [a, old]}).to_string();
    assert_sent(&layer, &stand_in, post_json("/face/v1.2/group", &group)).await;
    // What the operation does read still decides.
    let similar = json!({"faceId": a, "faceListId": "legacy"}).to_string();
    assert_local(
        &layer,
        &stand_in,
        post_json("/face/v1.2/findsimilars", &similar),
        &catalogue::RECOGNITION_MODEL_INCOMPATIBLE,
    )
    .await;
}

/// Issue #24, case 6: two spellings of `recognitionModel` in one create
/// body teach nothing (the service binds the last in document order).
#[tokio::test(start_paused = true)]
async fn a_model_named_twice_teaches_nothing() {
    let stand_in = StandIn::default();
    let layer = Facts::new();
    assert_sent(
        &layer,
        &stand_in,
        put_json(
            "/face/v1.2/persongroups/twice",
            r#"{"name":"t","recognitionModel":"recognition_04","RecognitionModel":"recognition_01"}"#,
        ),
    )
    .await;
    let face = detect(&layer, &stand_in, "").await;
    assert_sent(&layer, &stand_in, identify(&face, "twice")).await;
    assert_eq!(layer.stats().snapshot().collections_learned, 0);
}

/// Issue #24, case 3: another client deletes and re-creates a group with
/// another model; past the freshness bound the old model decides nothing.
#[tokio::test(start_paused = true)]
async fn a_collection_model_is_trusted_only_while_fresh() {
    let stand_in = StandIn::default();
    let layer = Facts::new().collection_freshness(Duration::from_secs(30));
    assert_sent(
        &layer,
        &stand_in,
        put_json(
            "/face/v1.2/persongroups/g",
            r#"{"name":"g","recognitionModel":"recognition_04"}"#,
        ),
    )
    .await;
    let face = detect(&layer, &stand_in, "").await;
    // Another client, not through the layer: g is now on recognition_01.
    let put = r#"{"name":"g","recognitionModel":"recognition_01"}"#;
    stand_in.answer(&Method::DELETE, "/face/v1.2/persongroups/g", "", b"");
    stand_in.answer(
        &Method::PUT,
        "/face/v1.2/persongroups/g",
        "",
        put.as_bytes(),
    );
    // Within the stated bound, the model learned decides…
    assert_local(
        &layer,
        &stand_in,
        identify(&face, "g"),
        &catalogue::RECOGNITION_MODEL_INCOMPATIBLE,
    )
    .await;
    // …and past it, it is not trusted: the service answers.
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&face, "g")).await,
        200
    );
}

/// Issue #24, case 4: an answer read late never overwrites what a newer
/// answer said.
#[tokio::test(start_paused = true)]
async fn an_answer_read_late_does_not_undo_a_newer_one() {
    let stand_in = StandIn::default();
    let layer = Facts::new();
    assert_sent(
        &layer,
        &stand_in,
        put_json("/face/v1.2/persongroups/g", r#"{"name":"g"}"#),
    )
    .await;
    // A listing of g (recognition_01), its body left unread for now.
    let stale = preflight(&layer)
        .layer(stand_in.service())
        .oneshot(to_full(get(
            "/face/v1.2/persongroups/g?returnRecognitionModel=true",
        )))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_sent(&layer, &stand_in, delete("/face/v1.2/persongroups/g")).await;
    assert_sent(
        &layer,
        &stand_in,
        put_json(
            "/face/v1.2/persongroups/g",
            r#"{"name":"g","recognitionModel":"recognition_04"}"#,
        ),
    )
    .await;
    let face = detect(&layer, &stand_in, "recognitionModel=recognition_04").await;
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&face, "g")).await,
        200
    );
    // The old listing is read now: it says recognition_01, and is older.
    let body = stale.into_body().collect().await.unwrap().to_bytes();
    assert!(
        body.ends_with(br#""recognitionModel":"recognition_01"}"#),
        "{body:?}"
    );
    assert_eq!(
        assert_sent(&layer, &stand_in, identify(&face, "g")).await,
        200
    );
}
