//! Every adapter over the one pipeline, with every judge: tower over
//! hyper-util, reqwest, reqwest-middleware and the proxy, each in front of
//! a loopback stand-in that keeps state as the service does (faceIds and
//! their models, person groups and theirs, a 429 pause), driven by
//! generated sequences of valid, invalid and stateful requests.
//!
//! - report-only: every request reaches the stand-in, unchanged, and every
//!   answer the caller gets is the stand-in's, byte for byte; the verdicts
//!   name the judge that would have answered;
//! - enforce: all adapters give the same answers to the same sequence, and
//!   `LocalRejection` names the judge: the rules, the facts (a model
//!   mismatch) or the pacing (inside a 429 pause).
//!
//! The expiry of faceIds needs the paused clock; `facts.rs` covers it.
#![cfg(all(feature = "proxy", feature = "reqwest-middleware"))]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use face_preflight::facts::Facts;
use face_preflight::pace::{Pacing, Rate};
use face_preflight::proxy::{Proxy, ProxyConfig};
use face_preflight::report::Outcome;
use face_preflight::{LocalRejection, PreflightLayer, PreflightMiddleware, Source};
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::{Layer, ServiceExt};

/// How long the stand-in's 429 pause lasts (its `Retry-After`).
const PAUSE: Duration = Duration::from_secs(2);
const PAUSE_BODY: &str =
    r#"{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 seconds."}}"#;

/// One request of a sequence.
#[derive(Clone, Debug)]
struct Step {
    method: Method,
    path: String,
    body: String,
}

/// What the stand-in received and answered, in order.
#[derive(Clone, Debug, PartialEq)]
struct Exchange {
    method: Method,
    path: String,
    body: Bytes,
    status: u16,
    answer: Bytes,
}

#[derive(Default)]
struct State {
    faces: HashMap<String, String>,
    groups: HashMap<String, String>,
    paused_until: Option<Instant>,
    log: Vec<Exchange>,
}

fn error(code: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message}}).to_string()
}

impl State {
    fn answer(&mut self, method: &Method, path: &str, body: &[u8]) -> (u16, String) {
        let now = Instant::now();
        if self.paused_until.is_some_and(|until| now < until) {
            return (429, PAUSE_BODY.to_owned());
        }
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let model = |value: Option<&str>| value.unwrap_or("recognition_01").to_owned();
        match (method.as_str(), route) {
            ("GET", "/face/v1.2/persongroups/busy") => {
                self.paused_until = Some(now + PAUSE);
                (429, PAUSE_BODY.to_owned())
            }
            ("POST", "/face/v1.2/detect") => {
                let id = format!("c5c24a82-6845-4031-9d5d-{:012x}", self.faces.len() + 1);
                let asked = query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("recognitionModel="));
                self.faces.insert(id.clone(), model(asked));
                (200, json!([{"faceId": id, "faceRectangle": {"top": 1, "left": 2, "width": 40, "height": 40}}]).to_string())
            }
            ("PUT", group) if group.starts_with("/face/v1.2/persongroups/") => {
                let id = group.rsplit('/').next().unwrap_or_default().to_owned();
                if self.groups.contains_key(&id) {
                    return (
                        409,
                        error("PersonGroupExists", "Person group already exists."),
                    );
                }
                self.groups
                    .insert(id, model(body["recognitionModel"].as_str()));
                (200, String::new())
            }
            ("POST", "/face/v1.2/verify") => {
                let models: Vec<Option<&String>> = ["faceId1", "faceId2"]
                    .iter()
                    .map(|name| body[name].as_str().and_then(|id| self.faces.get(id)))
                    .collect();
                match models[..] {
                    [Some(a), Some(b)] if a != b => (
                        400,
                        error("BadArgument", "'recognitionModel' is incompatible."),
                    ),
                    [Some(_), Some(_)] => {
                        (200, r#"{"isIdentical":false,"confidence":0.1}"#.to_owned())
                    }
                    _ => (404, error("FaceNotFound", "Face is not found.")),
                }
            }
            ("POST", "/face/v1.2/identify") => {
                let group = body["personGroupId"].as_str().unwrap_or_default();
                let Some(group_model) = self.groups.get(group) else {
                    return (
                        404,
                        error("PersonGroupNotFound", "Person group is not found."),
                    );
                };
                for face in body["faceIds"].as_array().into_iter().flatten() {
                    match face.as_str().and_then(|id| self.faces.get(id)) {
                        None => return (400, error("FaceNotFound", "Face is not found.")),
                        Some(model) if model != group_model => {
                            return (
                                400,
                                error("BadArgument", "'recognitionModel' is incompatible."),
                            )
                        }
                        Some(_) => {}
                    }
                }
                (200, "[]".to_owned())
            }
            _ => (200, "[]".to_owned()),
        }
    }
}

#[derive(Clone, Default)]
struct StandIn(Arc<Mutex<State>>);

impl StandIn {
    async fn start() -> (Self, SocketAddr) {
        let stand_in = StandIn::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = stand_in.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            let path = parts.uri.path_and_query().unwrap().to_string();
                            let mut state = state.0.lock().unwrap();
                            let (status, answer) = state.answer(&parts.method, &path, &body);
                            let answer = Bytes::from(answer);
                            state.log.push(Exchange {
                                method: parts.method,
                                path,
                                body,
                                status,
                                answer: answer.clone(),
                            });
                            let mut response = hyper::Response::builder()
                                .status(status)
                                .header("content-type", "application/json; charset=utf-8")
                                .header("apim-request-id", format!("stand-in-{}", state.log.len()));
                            if status == 429 {
                                response = response.header("retry-after", PAUSE.as_secs());
                            }
                            Ok::<_, Infallible>(response.body(Full::new(answer)).unwrap())
                        }
                    },
                );
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        (stand_in, address)
    }

    fn log(&self) -> Vec<Exchange> {
        self.0.lock().unwrap().log.clone()
    }
}

use crate::xorshift::Xorshift as Seed;

const MODELS: [&str; 2] = ["recognition_03", "recognition_04"];
const GROUPS: [&str; 2] = ["alpha", "beta"];

/// One generated step; `faces` are the faceIds the caller got so far.
fn step(seed: &mut Seed, faces: &[String]) -> Step {
    let get = |path: &str| Step {
        method: Method::GET,
        path: path.to_owned(),
        body: String::new(),
    };
    let post = |path: &str, body: Value| Step {
        method: Method::POST,
        path: path.to_owned(),
        body: body.to_string(),
    };
    match seed.below(7) {
        0 => get("/face/v1.2/persongroups?top=5"),
        1 => get("/face/v1.2/persongroups?top=0"),
        2 => Step {
            method: Method::PUT,
            path: format!("/face/v1.2/persongroups/{}", GROUPS[seed.below(2)]),
            body: json!({"name": "staff", "recognitionModel": MODELS[seed.below(2)]}).to_string(),
        },
        3 => post(
            &format!(
                "/face/v1.2/detect?recognitionModel={}&detectionModel=detection_03",
                MODELS[seed.below(2)]
            ),
            json!({"url": "https://example.com/face.jpg"}),
        ),
        4 if !faces.is_empty() => post(
            "/face/v1.2/identify",
            json!({"faceIds": [faces[seed.below(faces.len())]], "personGroupId": GROUPS[seed.below(2)]}),
        ),
        4 => post(
            "/face/v1.2/identify",
            json!({"faceIds": ["c5c24a82-6845-4031-9d5d-ffffffffffff"], "personGroupId": "alpha"}),
        ),
        5 => post(
            "/face/v1.2/identify",
            json!({"faceIds": (0..11).map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}")).collect::<Vec<_>>(), "personGroupId": "alpha"}),
        ),
        _ if faces.len() >= 2 => post(
            "/face/v1.2/verify",
            json!({"faceId1": faces[seed.below(faces.len())], "faceId2": faces[seed.below(faces.len())]}),
        ),
        _ => post(
            "/face/v1.2/verify",
            json!({"faceId1": "c5c24a82-6845-4031-9d5d-ffffffffff01", "faceId2": "c5c24a82-6845-4031-9d5d-ffffffffff02"}),
        ),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Adapter {
    TowerHyper,
    Reqwest,
    ReqwestMiddleware,
    Proxy,
}

const ADAPTERS: [Adapter; 4] = [
    Adapter::TowerHyper,
    Adapter::Reqwest,
    Adapter::ReqwestMiddleware,
    Adapter::Proxy,
];

/// What the caller got.
#[derive(Clone, Debug, PartialEq)]
struct Got {
    status: u16,
    request_id: Option<String>,
    body: Bytes,
    /// `None` from the proxy, which answers over HTTP.
    source: Option<Source>,
}

/// The report-only verdicts: the judge that would have answered, and how
/// that compared with the stand-in's answer.
type Verdicts = Arc<Mutex<Vec<(Option<Source>, Outcome)>>>;

/// The full stack, as the proxy builds it: a rate that never makes anyone
/// wait but a 429 pause does, longer than the longest wait.
fn stack(report_only: bool, verdicts: &Verdicts) -> PreflightLayer {
    let verdicts = Arc::clone(verdicts);
    PreflightLayer::new()
        .report_only(report_only)
        .facts(Facts::new())
        .pacing(Pacing::new(Rate::per_second(1000)).max_wait(Duration::from_millis(200)))
        .on_verdict(move |verdict| {
            verdicts
                .lock()
                .unwrap()
                .push((verdict.source, verdict.outcome))
        })
}

/// Runs one sequence through `adapter`; returns what the caller got and
/// what the stand-in saw.
async fn run(
    adapter: Adapter,
    report_only: bool,
    seed: u64,
) -> (
    Vec<(Step, Got)>,
    Vec<Exchange>,
    Vec<(Option<Source>, Outcome)>,
) {
    let (stand_in, address) = StandIn::start().await;
    let verdicts = Verdicts::default();
    let layer = stack(report_only, &verdicts);
    let mut stop_proxy = None;
    let base = match adapter {
        Adapter::Proxy => {
            let mut config = ProxyConfig::new(format!("http://{address}").parse().unwrap());
            config.report_only = report_only;
            config.rate = Some(Rate::per_second(1000));
            config.max_wait = Duration::from_millis(200);
            let proxy = Proxy::bind("127.0.0.1:0".parse().unwrap(), config)
                .await
                .unwrap();
            let proxy_address = proxy.local_addr().unwrap();
            let (stop, stopped) = oneshot::channel::<()>();
            tokio::spawn(proxy.serve(async {
                let _ = stopped.await;
            }));
            stop_proxy = Some(stop);
            format!("http://{proxy_address}")
        }
        _ => format!("http://{address}"),
    };
    let hyper_client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let tower_hyper = layer.clone().layer(hyper_client);
    let reqwest_client = reqwest::Client::new();
    let tower_reqwest = layer.clone().layer(reqwest_client.clone());
    let middleware = reqwest_middleware::ClientBuilder::new(reqwest_client.clone())
        .with(PreflightMiddleware::new(layer))
        .build();

    let mut seed = Seed(seed);
    let mut faces = Vec::new();
    let mut got = Vec::new();
    let length = 16 + seed.below(8);
    for i in 0..length + 4 {
        // A 429 pause near the end: the steps after it are inside it.
        let fixed = |path: &str| Step {
            method: Method::GET,
            path: path.to_owned(),
            body: String::new(),
        };
        let step = match i - length.min(i) {
            0 => step(&mut seed, &faces),
            1 => fixed("/face/v1.2/persongroups/busy"),
            2 => fixed("/face/v1.2/persongroups?top=5"),
            _ => step(&mut seed, &faces),
        };
        let url = format!("{base}{}", step.path);
        let answer = match adapter {
            Adapter::TowerHyper => {
                let request = Request::builder()
                    .method(step.method.clone())
                    .uri(&url)
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(step.body.clone())))
                    .unwrap();
                let response = tower_hyper.clone().oneshot(request).await.unwrap();
                let source = response
                    .extensions()
                    .get::<LocalRejection>()
                    .map(|l| l.source);
                let (parts, body) = response.into_parts();
                Got {
                    status: parts.status.as_u16(),
                    request_id: header(&parts.headers, "apim-request-id"),
                    body: body.collect().await.unwrap().to_bytes(),
                    source,
                }
            }
            Adapter::Reqwest | Adapter::ReqwestMiddleware | Adapter::Proxy => {
                let request = reqwest_client
                    .request(step.method.clone(), &url)
                    .header("content-type", "application/json")
                    .body(step.body.clone())
                    .build()
                    .unwrap();
                let response = match adapter {
                    Adapter::Reqwest => tower_reqwest.clone().oneshot(request).await.unwrap(),
                    Adapter::ReqwestMiddleware => middleware.execute(request).await.unwrap(),
                    _ => reqwest_client.execute(request).await.unwrap(),
                };
                let source = response
                    .extensions()
                    .get::<LocalRejection>()
                    .map(|l| l.source);
                Got {
                    status: response.status().as_u16(),
                    request_id: header(response.headers(), "apim-request-id"),
                    source,
                    body: response.bytes().await.unwrap(),
                }
            }
        };
        if answer.status == 200 && step.path.starts_with("/face/v1.2/detect") {
            let detected: Value = serde_json::from_slice(&answer.body).unwrap();
            faces.push(detected[0]["faceId"].as_str().unwrap().to_owned());
        }
        got.push((step, answer));
    }
    drop(stop_proxy);
    let verdicts = verdicts.lock().unwrap().clone();
    (got, stand_in.log(), verdicts)
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.to_str().unwrap().to_owned())
}

const SEEDS: [u64; 4] = [0x9e37_79b9, 0x2545_f491, 0xdead_beef, 0x1234_5678];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_only_sends_everything_and_gives_the_services_answer() {
    for seed in SEEDS {
        for adapter in ADAPTERS {
            let (got, log, verdicts) = run(adapter, true, seed).await;
            assert_eq!(
                log.len(),
                got.len(),
                "{adapter:?}: every request reached the stand-in"
            );
            for (i, ((step, got), seen)) in got.iter().zip(&log).enumerate() {
                let context = format!("{adapter:?} seed {seed:x} step {i}: {step:?}");
                // The request as it was sent…
                assert_eq!(seen.method, step.method, "{context}");
                assert_eq!(seen.path, step.path, "{context}");
                assert_eq!(seen.body, step.body.as_bytes(), "{context}");
                // …and the answer as the stand-in gave it.
                assert_eq!(got.source, None, "{context}");
                assert_eq!(got.status, seen.status, "{context}");
                assert_eq!(got.body, seen.answer, "{context}");
                assert_eq!(
                    got.request_id,
                    Some(format!("stand-in-{}", i + 1)),
                    "{context}"
                );
            }
            if adapter != Adapter::Proxy {
                // One verdict per request, naming the judge that would have
                // answered: the model mismatches are the facts', agreed.
                assert_eq!(verdicts.len(), got.len(), "{adapter:?}");
                for ((step, got), (source, outcome)) in got.iter().zip(&verdicts) {
                    if got.body.as_ref().ends_with(b"incompatible.\"}}") {
                        assert_eq!(
                            (*source, *outcome),
                            (Some(Source::Facts), Outcome::Agreed),
                            "{adapter:?} seed {seed:x}: {step:?}"
                        );
                    }
                }
                let pacing = verdicts
                    .iter()
                    .filter(|(s, _)| *s == Some(Source::Pacing))
                    .count();
                assert!(
                    pacing >= 1,
                    "{adapter:?} seed {seed:x}: the pause was judged"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforced_every_adapter_answers_alike_and_names_the_judge() {
    let mut facts_answered = 0;
    for seed in SEEDS {
        let (reference, log, _) = run(Adapter::TowerHyper, false, seed).await;
        let local: Vec<Option<Source>> = reference.iter().map(|(_, got)| got.source).collect();
        // Each judge answered at least once, and what it answered never
        // reached the stand-in.
        for source in [Source::Rules, Source::Pacing] {
            assert!(
                local.contains(&Some(source)),
                "seed {seed:x}: {source} never answered"
            );
        }
        assert_eq!(log.len(), local.iter().filter(|s| s.is_none()).count());
        for (step, got) in &reference {
            match got.source {
                Some(Source::Rules) => assert_eq!(got.status, 400, "{step:?}"),
                Some(Source::Facts) => {
                    facts_answered += 1;
                    assert!(
                        step.path.ends_with("identify") || step.path.ends_with("verify"),
                        "{step:?}"
                    );
                    assert!(
                        got.body
                            .ends_with(b"'recognitionModel' is incompatible.\"}}"),
                        "{step:?}"
                    );
                }
                Some(Source::Pacing) => {
                    assert_eq!(got.status, 429, "{step:?}");
                    assert_eq!(
                        got.body,
                        br#"{"error":{"code":"429","message":"Rate limit is exceeded."}}"#[..]
                    );
                }
                None => assert!(got.request_id.is_some(), "{step:?}"),
                Some(_) => unreachable!(),
            }
        }
        for adapter in &ADAPTERS[1..] {
            let (got, _, _) = run(*adapter, false, seed).await;
            for (i, ((step, want), (_, got))) in reference.iter().zip(&got).enumerate() {
                let context = format!("{adapter:?} seed {seed:x} step {i}: {step:?}");
                assert_eq!(
                    (got.status, &got.body, &got.request_id),
                    (want.status, &want.body, &want.request_id),
                    "{context}"
                );
                if *adapter != Adapter::Proxy {
                    assert_eq!(got.source, want.source, "{context}");
                }
            }
        }
    }
    assert!(
        facts_answered >= 2,
        "the facts answered {facts_answered} times"
    );
}
