//! Report-only mode through every adapter (tower `http` over hyper-util,
//! reqwest, reqwest-middleware) against a loopback stand-in that answers
//! what each test tells it; the marks on local answers; rule switches.
#![cfg(all(feature = "reqwest", feature = "reqwest-middleware"))]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::*;
use bytes::Bytes;
use face_preflight::catalogue::{self, Entry};
use face_preflight::report::{Outcome, StatsSnapshot};
use face_preflight::router::Operation;
use face_preflight::{FaceApiError, LocalRejection, PreflightLayer, PreflightMiddleware};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tower::{Layer, ServiceExt};

/// A loopback server that answers every request with the answer it was
/// last given, and records the bodies it received.
#[derive(Clone, Default)]
struct StandIn {
    answer: Arc<Mutex<(u16, Bytes)>>,
    received: Arc<Mutex<Vec<Bytes>>>,
    count: Arc<AtomicUsize>,
}

impl StandIn {
    async fn start() -> (Self, SocketAddr) {
        let stand_in = StandIn::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = stand_in.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |request: hyper::Request<hyper::body::Incoming>| {
                            let state = state.clone();
                            async move {
                                let body = request.into_body().collect().await.unwrap().to_bytes();
                                state.received.lock().unwrap().push(body);
                                state.count.fetch_add(1, Ordering::SeqCst);
                                let (status, body) = state.answer.lock().unwrap().clone();
                                let response = hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json; charset=utf-8")
                                    .header("apim-request-id", "3d1f1b5c-stand-in")
                                    .body(Full::new(body))
                                    .unwrap();
                                Ok::<_, Infallible>(response)
                            }
                        },
                    );
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (stand_in, address)
    }

    fn answer(&self, status: u16, body: &[u8]) {
        *self.answer.lock().unwrap() = (status, Bytes::copy_from_slice(body));
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

/// What `on_verdict` was told: operation, local, status, remote, outcome.
type Told = (
    Option<Operation>,
    Option<FaceApiError>,
    u16,
    Option<FaceApiError>,
    Outcome,
);

/// What a caller got back.
#[derive(Debug)]
struct Got {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    local: Option<FaceApiError>,
}

#[derive(Clone, Copy, Debug)]
enum Adapter {
    Hyper,
    Reqwest,
    ReqwestMiddleware,
}

const ADAPTERS: [Adapter; 3] = [Adapter::Hyper, Adapter::Reqwest, Adapter::ReqwestMiddleware];

/// Sends `method path` with `body` (JSON) through `layer` with `adapter`.
async fn send(
    adapter: Adapter,
    layer: &PreflightLayer,
    address: SocketAddr,
    method: Method,
    path: &str,
    body: &str,
) -> Got {
    let url = format!("http://{address}{path}");
    match adapter {
        Adapter::Hyper => {
            let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .build_http::<Full<Bytes>>();
            let request = Request::builder()
                .method(method)
                .uri(url)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.to_owned())))
                .unwrap();
            let response = layer.clone().layer(client).oneshot(request).await.unwrap();
            let local = response
                .extensions()
                .get::<LocalRejection>()
                .map(|l| l.error.clone());
            let (parts, body) = response.into_parts();
            Got {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: body.collect().await.unwrap().to_bytes(),
                local,
            }
        }
        Adapter::Reqwest | Adapter::ReqwestMiddleware => {
            let client = reqwest::Client::new();
            let request = client
                .request(method, &url)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .build()
                .unwrap();
            let response = match adapter {
                Adapter::Reqwest => layer.clone().layer(client).oneshot(request).await.unwrap(),
                _ => {
                    let client = reqwest_middleware::ClientBuilder::new(client)
                        .with(PreflightMiddleware::new(layer.clone()))
                        .build();
                    client.execute(request).await.unwrap()
                }
            };
            assert_eq!(response.url().as_str(), url, "the URL survives");
            let local = response
                .extensions()
                .get::<LocalRejection>()
                .map(|l| l.error.clone());
            Got {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                local,
                body: response.bytes().await.unwrap(),
            }
        }
    }
}

fn envelope(entry: &Entry) -> Vec<u8> {
    FaceApiError::from(*entry).to_json().to_vec()
}

fn eleven_face_ids() -> String {
    format!(
        r#"{{"faceIds":{},"personGroupId":"staff"}}"#,
        serde_json::to_string(&guids(11)).unwrap()
    )
}

struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    body: String,
    answer: (u16, Vec<u8>),
    outcome: Outcome,
    local: Option<Entry>,
    remote: Option<Entry>,
}

fn cases() -> Vec<Case> {
    let valid = "/face/v1.2/persongroups?top=10";
    let invalid = "/face/v1.2/persongroups?top=0";
    let group_not_found = catalogue::PERSON_GROUP_NOT_FOUND_404;
    vec![
        Case {
            name: "both accept",
            method: Method::GET,
            path: valid,
            body: String::new(),
            answer: (200, b"[]".to_vec()),
            outcome: Outcome::Agreed,
            local: None,
            remote: None,
        },
        Case {
            name: "false rejection",
            method: Method::GET,
            path: invalid,
            body: String::new(),
            answer: (200, br#"[{"personGroupId":"g","name":"n"}]"#.to_vec()),
            outcome: Outcome::FalseRejection,
            local: Some(catalogue::TOP_INVALID),
            remote: None,
        },
        Case {
            name: "false rejection of a body",
            method: Method::POST,
            path: "/face/v1.2/identify",
            body: eleven_face_ids(),
            answer: (200, b"[]".to_vec()),
            outcome: Outcome::FalseRejection,
            local: Some(catalogue::FACE_IDS_LENGTH_INVALID),
            remote: None,
        },
        Case {
            name: "miss",
            method: Method::GET,
            path: valid,
            body: String::new(),
            answer: (400, envelope(&catalogue::TOP_INVALID)),
            outcome: Outcome::Missed,
            local: None,
            remote: Some(catalogue::TOP_INVALID),
        },
        Case {
            name: "different error",
            method: Method::GET,
            path: invalid,
            body: String::new(),
            answer: (400, envelope(&catalogue::START_TOO_LONG)),
            outcome: Outcome::DifferentError,
            local: Some(catalogue::TOP_INVALID),
            remote: Some(catalogue::START_TOO_LONG),
        },
        Case {
            name: "both reject alike",
            method: Method::GET,
            path: invalid,
            body: String::new(),
            answer: (400, envelope(&catalogue::TOP_INVALID)),
            outcome: Outcome::Agreed,
            local: Some(catalogue::TOP_INVALID),
            remote: Some(catalogue::TOP_INVALID),
        },
        Case {
            name: "an error only the service decides",
            method: Method::GET,
            path: "/face/v1.2/persongroups/staff",
            body: String::new(),
            answer: (404, envelope(&group_not_found)),
            outcome: Outcome::Agreed,
            local: None,
            remote: Some(group_not_found),
        },
    ]
}

#[tokio::test]
async fn report_only_forwards_everything_and_compares_through_every_adapter() {
    let (stand_in, address) = StandIn::start().await;
    for adapter in ADAPTERS {
        for case in cases() {
            let seen: Arc<Mutex<Vec<Told>>> = Arc::default();
            let record = seen.clone();
            let layer = PreflightLayer::new()
                .report_only(true)
                .on_verdict(move |v| {
                    record.lock().unwrap().push((
                        v.operation,
                        v.local.cloned(),
                        v.status.as_u16(),
                        v.remote.cloned(),
                        v.outcome,
                    ));
                });
            stand_in.answer(case.answer.0, &case.answer.1);
            let before = stand_in.count();
            let got = send(
                adapter,
                &layer,
                address,
                case.method.clone(),
                case.path,
                &case.body,
            )
            .await;
            let context = format!("{adapter:?}, {}", case.name);

            // Forwarded, and the caller got exactly the service's answer.
            assert_eq!(stand_in.count(), before + 1, "{context}");
            assert_eq!(
                stand_in.received.lock().unwrap().last().unwrap(),
                &Bytes::from(case.body.clone()),
                "{context}: request body"
            );
            assert_eq!(got.status, case.answer.0, "{context}");
            assert_eq!(&got.body[..], &case.answer.1[..], "{context}");
            assert_eq!(
                got.headers["apim-request-id"], "3d1f1b5c-stand-in",
                "{context}"
            );
            assert!(got.headers.get("x-ms-error-code").is_none(), "{context}");
            assert_eq!(got.local, None, "{context}: not a local answer");

            // The comparison, once, with what each side said.
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 1, "{context}");
            let (operation, local, status, remote, outcome) = seen[0].clone();
            assert_eq!(outcome, case.outcome, "{context}");
            assert_eq!(status, case.answer.0, "{context}");
            assert!(operation.is_some(), "{context}");
            assert_eq!(local, case.local.map(FaceApiError::from), "{context}");
            assert_eq!(remote, case.remote.map(FaceApiError::from), "{context}");

            let stats = layer.stats().snapshot();
            let expected = |o: Outcome| u64::from(case.outcome == o);
            assert_eq!(
                (
                    stats.agreed,
                    stats.false_rejections,
                    stats.missed,
                    stats.different_errors,
                    stats.rejected
                ),
                (
                    expected(Outcome::Agreed),
                    expected(Outcome::FalseRejection),
                    expected(Outcome::Missed),
                    expected(Outcome::DifferentError),
                    0
                ),
                "{context}"
            );
        }
    }
}

#[tokio::test]
async fn stats_break_disagreements_down_by_operation_and_code() {
    let (stand_in, address) = StandIn::start().await;
    let layer = PreflightLayer::new().report_only(true);
    stand_in.answer(200, b"[]");
    for _ in 0..3 {
        send(
            Adapter::Hyper,
            &layer,
            address,
            Method::GET,
            "/face/v1.2/persongroups?top=0",
            "",
        )
        .await;
    }
    send(
        Adapter::Reqwest,
        &layer,
        address,
        Method::GET,
        "/face/v1.2/persongroups?top=5",
        "",
    )
    .await;
    let snapshot: StatsSnapshot = layer.stats().snapshot();
    assert_eq!(snapshot.false_rejections, 3);
    assert_eq!(snapshot.agreed, 1);
    assert_eq!(snapshot.rows.len(), 1, "{:?}", snapshot.rows);
    let (key, count) = &snapshot.rows[0];
    assert_eq!(*count, 3);
    assert_eq!(key.outcome, Some(Outcome::FalseRejection));
    assert_eq!(
        key.operation,
        Some(Operation::ListCollections(
            face_preflight::router::Collection::PersonGroup
        ))
    );
    assert_eq!(key.local_code.as_deref(), Some("BadArgument"));
}

#[tokio::test]
async fn local_answers_are_marked_in_every_adapter() {
    let (stand_in, address) = StandIn::start().await;
    stand_in.answer(200, b"[]");
    let layer = PreflightLayer::new();
    for adapter in ADAPTERS {
        let got = send(
            adapter,
            &layer,
            address,
            Method::POST,
            "/face/v1.2/identify",
            &eleven_face_ids(),
        )
        .await;
        assert_eq!(got.status, 400);
        assert_eq!(got.headers["x-ms-error-code"], "BadArgument", "{adapter:?}");
        assert_eq!(
            got.headers["content-type"],
            "application/json; charset=utf-8"
        );
        assert_eq!(
            got.local,
            Some(FaceApiError::from(catalogue::FACE_IDS_LENGTH_INVALID)),
            "{adapter:?}"
        );
        assert_response(got.status, &got.body, &catalogue::FACE_IDS_LENGTH_INVALID);
        // A forwarded answer carries no mark.
        let got = send(
            adapter,
            &layer,
            address,
            Method::GET,
            "/face/v1.2/persongroups",
            "",
        )
        .await;
        assert_eq!((got.status, got.local), (200, None));
    }
    assert_eq!(stand_in.count(), 3);
    let stats = layer.stats().snapshot();
    assert_eq!(stats.rejected, 3);
    assert_eq!(
        stats.agreed + stats.false_rejections + stats.missed + stats.different_errors,
        0
    );
}

#[tokio::test]
async fn an_error_body_dropped_unread_is_judged_without_it() {
    let (stand_in, address) = StandIn::start().await;
    stand_in.answer(400, &envelope(&catalogue::TOP_INVALID));
    let layer = PreflightLayer::new().report_only(true);
    let client = reqwest::Client::new();
    let service = layer.clone().layer(client.clone());
    let request = client
        .get(format!("http://{address}/face/v1.2/persongroups?top=0"))
        .build()
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 400);
    drop(response);
    // Without the body the service's answer is unknown: not the same answer.
    let stats = layer.stats().snapshot();
    assert_eq!(stats.different_errors, 1);
}

/// One request per answer the crate decides, and the answer it gets.
fn one_request_per_local_answer() -> Vec<(Request<Bytes>, Entry)> {
    let v = "/face/v1.2";
    let pd = "/face/v1.2-preview.1";
    let live = "/face/v1.2/detectLiveness-sessions";
    let device = r#""deviceCorrelationId":"d""#;
    let url = r#"{"url":"https://a.b/c.jpg"}"#;
    let face = format!(r#"{{"faceIds":["{GUID}"],"personGroupId":"g""#);
    vec![
        (
            put_json(&format!("{v}/persongroups/g"), "[]"),
            catalogue::REQUEST_BODY_INVALID,
        ),
        (
            put_json(&format!("{v}/persongroups/g"), "{"),
            catalogue::JSON_PARSING_ERROR,
        ),
        (
            put_json(
                &format!("{v}/persongroups/g"),
                r#"{"name":"n","recognitionModel":"r"}"#,
            ),
            catalogue::RECOGNITION_MODEL_INVALID,
        ),
        (
            post_json(&format!("{v}/detect?detectionModel=d"), url),
            catalogue::DETECTION_MODEL_INVALID,
        ),
        (
            put_json(&format!("{v}/persongroups/g"), r#"{"name":""}"#),
            catalogue::NAME_EMPTY,
        ),
        (
            put_json(
                &format!("{v}/persongroups/g"),
                &format!(r#"{{"name":"{}"}}"#, "n".repeat(129)),
            ),
            catalogue::NAME_TOO_LONG,
        ),
        (
            put_json(
                &format!("{v}/persongroups/g"),
                &format!(r#"{{"name":"n","userData":"{}"}}"#, "u".repeat(16385)),
            ),
            catalogue::USER_DATA_TOO_LONG,
        ),
        (
            get(&format!("{v}/persongroups?start={}", "s".repeat(65))),
            catalogue::START_TOO_LONG,
        ),
        (
            get(&format!("{v}/persongroups?top=0")),
            catalogue::TOP_INVALID,
        ),
        (
            post_image(
                &format!("{v}/facelists/f/persistedfaces?targetFace=0,0,999,999"),
                image_of(image::ImageFormat::Png, 64, 64),
            ),
            catalogue::TARGET_FACE_OUT_OF_RANGE,
        ),
        (
            post_json(
                &format!("{v}/facelists/f/persistedfaces?targetFace=1,2"),
                url,
            ),
            catalogue::TARGET_FACE_INVALID,
        ),
        (
            post_json(&format!("{v}/detect"), r#"{"url":"face.jpg"}"#),
            catalogue::IMAGE_URL_INVALID,
        ),
        (
            post_image(&format!("{v}/detect"), vec![b'x'; 2000]),
            catalogue::IMAGE_FORMAT_UNSUPPORTED,
        ),
        (
            post_image(&format!("{v}/detect"), vec![b'x'; 10]),
            catalogue::IMAGE_TOO_SMALL,
        ),
        (
            post_image(&format!("{v}/detect"), vec![b'x'; 7_000_000]),
            catalogue::IMAGE_TOO_BIG,
        ),
        (
            post_json(&format!("{v}/detect?returnFaceAttributes=x"), url),
            catalogue::RETURN_FACE_ATTRIBUTES_INVALID,
        ),
        (
            post_json(
                &format!("{v}/detect?detectionModel=detection_02&returnFaceAttributes=blur"),
                url,
            ),
            catalogue::ATTRIBUTES_NOT_SUPPORTED_BY_DETECTION_02,
        ),
        (
            post_json(
                &format!("{v}/detect?detectionModel=detection_02&returnFaceLandmarks=true"),
                url,
            ),
            catalogue::LANDMARKS_NOT_SUPPORTED_BY_DETECTION_02,
        ),
        (
            post_json(&format!("{v}/detect?returnFaceAttributes=age"), url),
            catalogue::ATTRIBUTES_DEPRECATED,
        ),
        (
            get(&format!(
                "{pd}/detectLiveness/singleModal/sessions/s/audit?start=x"
            )),
            catalogue::LIVENESS_START_INVALID,
        ),
        (
            get(&format!("{pd}/detectLiveness/singleModal/sessions?top=0")),
            catalogue::LIVENESS_TOP_INVALID,
        ),
        (
            post_json(live, "[]"),
            catalogue::LIVENESS_REQUEST_BODY_INVALID,
        ),
        (
            post_json(
                live,
                &format!(
                    r#"{{"livenessOperationMode":"Passive",{device},"authTokenTimeToLiveInSeconds":1}}"#
                ),
            ),
            catalogue::INVALID_TOKEN_LIFETIME,
        ),
        (
            post_json(
                live,
                &format!(r#"{{"livenessOperationMode":"x",{device}}}"#),
            ),
            catalogue::INVALID_LIVENESS_OPERATION_MODE,
        ),
        (
            post_json(live, r#"{"livenessOperationMode":"Passive"}"#),
            catalogue::INVALID_DEVICE_CORRELATION_ID,
        ),
        (
            put_json(&format!("{v}/persongroups/G"), r#"{"name":"n"}"#),
            catalogue::PERSON_GROUP_ID_INVALID,
        ),
        (
            put_json(&format!("{v}/largepersongroups/G"), r#"{"name":"n"}"#),
            catalogue::LARGE_PERSON_GROUP_ID_INVALID,
        ),
        (
            post_json(
                &format!("{v}/identify"),
                &format!(r#"{{"faceIds":["{GUID}"],"dynamicPersonGroupId":"D"}}"#),
            ),
            catalogue::DYNAMIC_PERSON_GROUP_ID_INVALID,
        ),
        (
            post_json(
                &format!("{v}/identify"),
                &format!(r#"{face},"maxNumOfCandidatesReturned":0}}"#),
            ),
            catalogue::MAX_NUM_OF_CANDIDATES_INVALID,
        ),
        (
            post_json(
                &format!("{v}/identify"),
                &format!(r#"{face},"confidenceThreshold":2}}"#),
            ),
            catalogue::CONFIDENCE_THRESHOLD_INVALID,
        ),
        (
            post_json(
                &format!("{v}/identify"),
                r#"{"faceIds":[],"personGroupId":"g"}"#,
            ),
            catalogue::FACE_IDS_LENGTH_INVALID,
        ),
        (
            post_json(
                &format!("{v}/identify"),
                &format!(r#"{face},"largePersonGroupId":"l"}}"#),
            ),
            catalogue::GROUP_IDS_BOTH_NOT_NULL,
        ),
        (
            post_json(
                "/face/v1.0/identify",
                &format!(r#"{{"faceIds":["{GUID}"]}}"#),
            ),
            catalogue::GROUP_IDS_BOTH_NULL,
        ),
        (
            post_json(
                &format!("{v}/identify"),
                &format!(r#"{{"faceIds":["{GUID}"]}}"#),
            ),
            catalogue::MISSING_IDENTIFICATION_SCOPE,
        ),
        (
            post_json(
                &format!("{v}/identify"),
                &format!(r#"{face},"dynamicPersonGroupId":"d"}}"#),
            ),
            catalogue::INCOMPATIBLE_IDENTIFICATION_SCOPE,
        ),
        (
            post_json(
                &format!("{v}/verify"),
                &format!(r#"{{"faceId1":"x","faceId2":"{GUID}"}}"#),
            ),
            catalogue::FACE_ID_INVALID,
        ),
        (
            post_json(
                &format!("{v}/verify"),
                &format!(r#"{{"faceId":"{GUID}","personId":"x","personGroupId":"g"}}"#),
            ),
            catalogue::PERSON_ID_INVALID,
        ),
        (
            post_json(
                &format!("{v}/findsimilars"),
                &format!(r#"{{"faceId":"{GUID}","faceListId":"l","mode":"x"}}"#),
            ),
            catalogue::MODE_INVALID,
        ),
        (
            post_json(
                &format!("{v}/findsimilars"),
                &format!(r#"{{"faceId":"{GUID}","faceListId":"L"}}"#),
            ),
            catalogue::FACE_LIST_ID_INVALID,
        ),
        (
            post_json(
                &format!("{v}/findsimilars"),
                &format!(r#"{{"faceId":"{GUID}","largeFaceListId":"L"}}"#),
            ),
            catalogue::LARGE_FACE_LIST_ID_INVALID,
        ),
        (
            post_json(
                &format!("{v}/findsimilars"),
                &format!(r#"{{"faceId":"{GUID}","faceListId":""}}"#),
            ),
            catalogue::NOT_EXACTLY_ONE_FACE_SOURCE,
        ),
        (
            post_json(
                &format!("{v}/findsimilars"),
                &format!(r#"{{"faceId":"{GUID}"}}"#),
            ),
            catalogue::FACE_SOURCES_ALL_NULL,
        ),
        (
            post_json(
                &format!("{v}/findsimilars"),
                &format!(r#"{{"faceId":"{GUID}","faceListId":"l","largeFaceListId":"l"}}"#),
            ),
            catalogue::TWO_OR_MORE_FACE_SOURCES,
        ),
        (
            get(&format!("{v}/persongroups/G")),
            catalogue::PERSON_GROUP_ID_NOT_FOUND,
        ),
        (
            get(&format!("{v}/persongroups/g/persons/x")),
            catalogue::PERSON_ID_NOT_FOUND,
        ),
        (
            get(&format!("{v}/largefacelists/l/persistedfaces/x")),
            catalogue::PERSISTED_FACE_ID_NOT_FOUND,
        ),
        (
            patch_json(&format!("{v}/largepersongroups/g"), "{}"),
            catalogue::NAME_AND_USER_DATA_EMPTY,
        ),
        (
            get(&format!("{v}/largepersongroups/G")),
            catalogue::LARGE_PERSON_GROUP_ID_NOT_FOUND,
        ),
        (
            get(&format!("{v}/facelists/F")),
            catalogue::FACE_LIST_ID_NOT_FOUND,
        ),
        (
            get(&format!("{v}/largefacelists/F")),
            catalogue::LARGE_FACE_LIST_ID_NOT_FOUND,
        ),
        (
            get(&format!("{pd}/persons?start=x")),
            catalogue::START_NOT_VALID_PERSON_ID,
        ),
        (
            get(&format!("{pd}/dynamicpersongroups/D")),
            catalogue::DYNAMIC_PERSON_GROUP_ID_NOT_FOUND,
        ),
        (
            get(&format!(
                "{pd}/persons/{GUID}/recognitionModels/recognition_04/persistedfaces/x"
            )),
            catalogue::PERSON_DIRECTORY_PERSISTED_FACE_ID_NOT_FOUND,
        ),
        (get(&format!("{v}/persongroups")), catalogue::ACCESS_DENIED),
    ]
}

#[test]
fn every_local_answer_has_a_request_and_allow_turns_it_into_a_pass() {
    let table = one_request_per_local_answer();
    let entries: Vec<Entry> = table.iter().map(|(_, entry)| *entry).collect();
    for entry in catalogue::DECIDED_LOCALLY {
        assert!(entries.contains(entry), "no request gets {entry:?}");
    }
    assert_eq!(entries.len(), catalogue::DECIDED_LOCALLY.len());
    let base = |entry: &Entry| {
        let layer = PreflightLayer::new();
        if *entry == catalogue::ACCESS_DENIED {
            layer.require_credentials(true)
        } else {
            layer
        }
    };
    for (request, entry) in &table {
        assert_error(&base(entry).check(request).unwrap_err(), entry);
        // Allowed, that answer becomes a pass…
        let allowed = base(entry).allow(entry);
        assert_eq!(allowed.check(request), Ok(()), "{entry:?}");
        // …and nothing else changes: every other request keeps its answer.
        for (other, other_entry) in &table {
            if other_entry == entry || *other_entry == catalogue::ACCESS_DENIED {
                continue;
            }
            let allowed = PreflightLayer::new().allow(entry);
            assert_error(&allowed.check(other).unwrap_err(), other_entry);
        }
    }
}

#[tokio::test]
async fn allowed_answers_are_forwarded_by_the_layer() {
    let seen = Seen::default();
    let layer = PreflightLayer::new().allow(&catalogue::TOP_INVALID);
    let service = layer.layer(recording_service(seen.clone()));
    let response = service
        .clone()
        .oneshot(to_full(get("/face/v1.2/persongroups?top=0")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let long_start = format!("/face/v1.2/persongroups?start={}", "s".repeat(65));
    let response = service.oneshot(to_full(get(&long_start))).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(seen.calls(), 1);
}
