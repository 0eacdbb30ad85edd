//! Property tests: valid requests pass and arrive unchanged; mutated and
//! arbitrary requests get `Ok` or a documented error, deterministically.

use crate::common::*;
use bytes::Bytes;
use face_preflight::{catalogue, check, FaceApiError, PreflightLayer};
use http::{Method, Request};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::{Layer, ServiceExt};

fn guid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
}

fn collection_id() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,64}"
}

/// The longest prefix of `s` of at most `max` UTF-16 units (as .NET
/// counts a string's length).
fn within_utf16_units(s: &str, max: usize) -> String {
    let mut units = 0;
    s.chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= max
        })
        .collect()
}

fn json_request(method: Method, path: String, body: Value) -> Request<Bytes> {
    json(method, &path, &body.to_string())
}

fn version() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "v1.0",
        "v1.1-preview.1",
        "v1.2-preview.1",
        "v1.2",
        "v1.3-preview.1",
    ])
}

fn identify() -> impl Strategy<Value = Request<Bytes>> {
    (
        version(),
        prop::collection::vec(guid(), 1..=10),
        prop::sample::select(vec!["personGroupId", "largePersonGroupId"]),
        collection_id(),
        prop::option::of(1..=100i64),
        prop::option::of(0.0..=1.0f64),
    )
        .prop_map(|(version, ids, scope, id, max, threshold)| {
            let mut body = json!({"faceIds": ids, scope: id});
            if let Some(max) = max {
                body["maxNumOfCandidatesReturned"] = json!(max);
            }
            if let Some(threshold) = threshold {
                body["confidenceThreshold"] = json!(threshold);
            }
            json_request(Method::POST, format!("/face/{version}/identify"), body)
        })
}

fn group_and_find_similar() -> impl Strategy<Value = Request<Bytes>> {
    prop_oneof![
        (version(), prop::collection::vec(guid(), 2..=40))
            .prop_map(|(v, ids)| json_request(Method::POST, format!("/face/{v}/group"), json!({"faceIds": ids}))),
        (version(), guid(), prop::collection::vec(guid(), 1..=40), 1..=1000i64).prop_map(|(v, id, ids, max)| json_request(
            Method::POST,
            format!("/face/{v}/findsimilars"),
            json!({"faceId": id, "faceIds": ids, "maxNumOfCandidatesReturned": max, "mode": "matchFace"})
        )),
        (version(), guid(), collection_id())
            .prop_map(|(v, id, list)| json_request(Method::POST, format!("/face/{v}/findsimilars"), json!({"faceId": id, "largeFaceListId": list}))),
        (version(), guid(), guid()).prop_map(|(v, a, b)| json_request(Method::POST, format!("/face/{v}/verify"), json!({"faceId1": a, "faceId2": b}))),
    ]
}

fn collections() -> impl Strategy<Value = Request<Bytes>> {
    let collection = prop::sample::select(vec![
        "facelists",
        "largefacelists",
        "persongroups",
        "largepersongroups",
    ]);
    prop_oneof![
        (
            version(),
            collection.clone(),
            collection_id(),
            "\\PC{1,128}".prop_map(|name| within_utf16_units(&name, 128)),
            prop::option::of("\\PC{0,300}")
        )
            .prop_map(|(v, c, id, name, data)| {
                let mut body = json!({"name": name, "recognitionModel": "recognition_04"});
                if let Some(data) = data {
                    body["userData"] = json!(data);
                }
                json_request(Method::PUT, format!("/face/{v}/{c}/{id}"), body)
            }),
        (
            version(),
            prop::sample::select(vec!["largefacelists", "persongroups", "largepersongroups"]),
            1..=1000u32,
            "[a-z0-9]{0,64}"
        )
            .prop_map(|(v, c, top, start)| get(&format!("/face/{v}/{c}?top={top}&start={start}"))),
        (version(), collection_id(), guid(), guid()).prop_map(|(v, id, person, face)| delete(
            &format!("/face/{v}/largepersongroups/{id}/persons/{person}/persistedfaces/{face}")
        )),
    ]
}

fn detect_and_liveness() -> impl Strategy<Value = Request<Bytes>> {
    prop_oneof![
        (
            version(),
            prop::sample::select(vec!["detection_01", "Detection_03"]),
            prop::sample::select(vec!["recognition_03", "RECOGNITION_04"]),
            "[a-z]{1,20}",
        )
            .prop_map(|(v, d, r, host)| {
                let path = format!("/face/{v}/detect?detectionModel={d}&recognitionModel={r}&returnFaceAttributes=headPose,mask");
                json_request(Method::POST, path, json!({"url": format!("https://{host}.example.com/face.jpg")}))
            }),
        (24..64u32, 24..64u32).prop_map(|(w, h)| post_image("/face/v1.2/detect", image_of(image::ImageFormat::Png, w, h))),
        (prop::sample::select(vec!["Passive", "PassiveActive"]), "[a-zA-Z0-9-]{1,64}", 60..=86400i64)
            .prop_map(|(mode, device, ttl)| json_request(
                Method::POST,
                "/face/v1.2/detectLiveness-sessions".to_owned(),
                json!({"livenessOperationMode": mode, "deviceCorrelationId": device, "authTokenTimeToLiveInSeconds": ttl})
            )),
    ]
}

fn valid_request() -> impl Strategy<Value = Request<Bytes>> {
    prop_oneof![
        identify(),
        group_and_find_similar(),
        collections(),
        detect_and_liveness()
    ]
}

/// `Ok`, or an error of the catalogue, verbatim.
fn documented(verdict: &Result<(), FaceApiError>) -> bool {
    match verdict {
        Ok(()) => true,
        Err(error) => catalogue::ALL.iter().any(|entry| error.is(entry)),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// The layer's verdict: `Ok` with the request the inner service received,
/// or the status and body of the rejection.
fn through_layer(request: Request<Bytes>) -> Result<Request<Bytes>, (u16, Bytes)> {
    runtime().block_on(async {
        let seen = Seen::default();
        let service = PreflightLayer::new().layer(recording_service(seen.clone()));
        let response = service.oneshot(to_full(request)).await.unwrap();
        let status = response.status().as_u16();
        let rejected = response.body().is_rejection();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        if rejected {
            assert_eq!(seen.calls(), 0);
            return Err((status, body));
        }
        let received = seen.requests.lock().unwrap().pop().unwrap();
        let (parts, body) = received.into_parts();
        Ok(Request::from_parts(
            parts,
            body.collect().await.unwrap().to_bytes(),
        ))
    })
}

/// The reqwest adapter's verdict: `Ok` with the body the inner service
/// received, or the status and body of the rejection.
#[cfg(feature = "reqwest")]
fn through_reqwest(request: Request<Bytes>) -> Result<Bytes, (u16, Bytes)> {
    use std::sync::{Arc, Mutex};
    runtime().block_on(async {
        let received = Arc::new(Mutex::new(None));
        let inner = {
            let received = received.clone();
            tower::service_fn(move |request: reqwest::Request| {
                let body = request
                    .body()
                    .and_then(reqwest::Body::as_bytes)
                    .map(Bytes::copy_from_slice)
                    .unwrap_or_default();
                *received.lock().unwrap() = Some(body);
                async {
                    Ok::<_, reqwest::Error>(reqwest::Response::from(http::Response::new("{}")))
                }
            })
        };
        let service = PreflightLayer::new().layer(inner);
        let request = reqwest::Request::try_from(request.map(reqwest::Body::from)).unwrap();
        let response = service.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        let forwarded = received.lock().unwrap().take();
        match forwarded {
            Some(forwarded) => Ok(forwarded),
            None => Err((status, body)),
        }
    })
}

/// A declared `Content-Length`: none, the true one, a wrong one, one past
/// every limit, or no number at all.
fn declared_length() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("true".to_owned())),
        (0u64..100_000).prop_map(|n| Some(n.to_string())),
        Just(Some((6 * 1024 * 1024 + 65 * 1024 + 1).to_string())),
        Just(Some(u64::MAX.to_string())),
        Just(Some(" 12 ".to_owned())),
        Just(Some("twelve".to_owned())),
    ]
}

/// Any request the generators make: valid, mutated or arbitrary.
fn any_request() -> impl Strategy<Value = Request<Bytes>> {
    prop_oneof![
        valid_request(),
        (valid_request(), mutation()).prop_map(|(request, mutation)| mutate(&request, &mutation)),
        (
            prop::sample::select(vec![Method::GET, Method::POST, Method::PUT, Method::PATCH]),
            prop::sample::select(vec![
                "/face/v1.2/detect",
                "/face/v1.2/persongroups/g1",
                "/face/v1.2/group",
                "/face/v1.2/detectLivenessWithVerify-sessions",
                "/face/v1.2-preview.1/detectLivenessWithVerify/singleModal/sessions",
                "/face/v1.2/largefacelists/l/persistedfaces?targetFace=1,1,1,1"
            ]),
            prop::sample::select(vec![
                "application/json",
                "application/octet-stream",
                "multipart/form-data; boundary=b",
                "text/plain"
            ]),
            prop::collection::vec(any::<u8>(), 0..2048),
        )
            .prop_map(|(method, path, content_type, body)| {
                Request::builder()
                    .method(method)
                    .uri(format!("{HOST}{path}"))
                    .header("content-type", content_type)
                    .body(Bytes::from(body))
                    .unwrap()
            }),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipByte(usize, u8),
    Truncate(usize),
    DeleteField(usize),
    RecaseFields(u64),
    RecasePath(u64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, x)| Mutation::FlipByte(at, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::DeleteField),
        any::<u64>().prop_map(Mutation::RecaseFields),
        any::<u64>().prop_map(Mutation::RecasePath),
    ]
}

fn recase(s: &str, seed: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if seed.rotate_left(i as u32) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn map_fields(
    body: &Bytes,
    f: impl FnOnce(serde_json::Map<String, Value>) -> serde_json::Map<String, Value>,
) -> Option<Bytes> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(map) => Some(Bytes::from(Value::Object(f(map)).to_string())),
        _ => None,
    }
}

/// The request with `mutation` applied.
fn mutate(request: &Request<Bytes>, mutation: &Mutation) -> Request<Bytes> {
    let mut mutated = request.clone();
    let body = request.body().clone();
    match mutation {
        Mutation::FlipByte(at, x) if !body.is_empty() => {
            let mut bytes = body.to_vec();
            bytes[at % body.len()] ^= x;
            *mutated.body_mut() = Bytes::from(bytes);
        }
        Mutation::Truncate(at) => *mutated.body_mut() = body.slice(..at % (body.len() + 1)),
        Mutation::DeleteField(which) => {
            if let Some(new) = map_fields(&body, |mut map| {
                if let Some(key) = map.keys().nth(which % map.len().max(1)).cloned() {
                    map.remove(&key);
                }
                map
            }) {
                *mutated.body_mut() = new;
            }
        }
        Mutation::RecaseFields(seed) => {
            if let Some(new) = map_fields(&body, |map| {
                map.into_iter()
                    .map(|(k, v)| (recase(&k, *seed), v))
                    .collect()
            }) {
                *mutated.body_mut() = new;
            }
        }
        Mutation::RecasePath(seed) => {
            // Fixed segments only: IDs keep their case.
            let path = request.uri().path();
            let recased: Vec<String> = path
                .split('/')
                .map(|segment| {
                    let fixed = [
                        "face",
                        "identify",
                        "group",
                        "findsimilars",
                        "verify",
                        "detect",
                        "persistedfaces",
                        "persons",
                        "facelists",
                        "largefacelists",
                        "persongroups",
                        "largepersongroups",
                        "detectLiveness-sessions",
                    ];
                    if fixed.iter().any(|f| f.eq_ignore_ascii_case(segment)) {
                        recase(segment, *seed)
                    } else {
                        segment.to_owned()
                    }
                })
                .collect();
            let query = request
                .uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            *mutated.uri_mut() = format!("{HOST}{}{query}", recased.join("/"))
                .parse()
                .unwrap();
        }
        _ => {}
    }
    mutated
}

/// How a body is re-serialised in the forms Json.NET reads.
#[derive(Debug, Clone, Copy)]
struct Style {
    single_quotes: bool,
    unquoted_names: bool,
    /// Integers and booleans as strings (where the schema has those types).
    quoted_scalars: bool,
    comments: bool,
    trailing_commas: bool,
}

fn style(quoted_scalars: bool) -> impl Strategy<Value = Style> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        move |(single_quotes, unquoted_names, comments, trailing_commas)| Style {
            single_quotes,
            unquoted_names,
            quoted_scalars,
            comments,
            trailing_commas,
        },
    )
}

fn lenient_string(s: &str, style: Style) -> String {
    if !style.single_quotes {
        return serde_json::to_string(s).unwrap();
    }
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A property name: bare where Json.NET takes it bare, else a string.
fn lenient_name(name: &str, style: Style) -> String {
    let bare = style.unquoted_names
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    if bare {
        name.to_owned()
    } else {
        lenient_string(name, style)
    }
}

fn lenient_json(value: &Value, style: Style) -> String {
    let comment = if style.comments { "/* c */ " } else { "" };
    let trailing = if style.trailing_commas { "," } else { "" };
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(name, value)| {
                    format!(
                        "{comment}{} : {}",
                        lenient_name(name, style),
                        lenient_json(value, style)
                    )
                })
                .collect();
            let close = if fields.is_empty() { "" } else { trailing };
            format!("{{{}{close}}}", fields.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| lenient_json(v, style)).collect();
            let close = if items.is_empty() { "" } else { trailing };
            format!("[{}{close}]", items.join(","))
        }
        Value::String(s) => lenient_string(s, style),
        Value::Number(n) if style.quoted_scalars && (n.is_i64() || n.is_u64()) => {
            lenient_string(&n.to_string(), style)
        }
        Value::Bool(b) if style.quoted_scalars => lenient_string(&b.to_string(), style),
        other => other.to_string(),
    }
}

/// The request with its JSON body (if any) re-serialised in `style`;
/// `None` for a body that is not a JSON object.
fn relaxed(request: &Request<Bytes>, style: Style) -> Option<Request<Bytes>> {
    let value: Value = serde_json::from_slice(request.body()).ok()?;
    let Value::Object(map) = &value else {
        return None;
    };
    // Only top-level scalars are quoted: nested ones are no rule's input.
    let fields: Vec<String> = map
        .iter()
        .map(|(name, field)| {
            let name = lenient_name(name, style);
            let field = match field {
                Value::Number(_) | Value::Bool(_) => lenient_json(field, style),
                other => lenient_json(
                    other,
                    Style {
                        quoted_scalars: false,
                        ..style
                    },
                ),
            };
            format!("{name}:{field}")
        })
        .collect();
    let comment = if style.comments {
        "// made by the property test\n"
    } else {
        ""
    };
    let trailing = if style.trailing_commas && !fields.is_empty() {
        ","
    } else {
        ""
    };
    let body = format!("{comment}{{ {}{trailing} }}", fields.join(" , "));
    let mut relaxed = request.clone();
    *relaxed.body_mut() = Bytes::from(body);
    Some(relaxed)
}

fn replacement() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!(0),
        json!(-1),
        json!(1001),
        json!(2147483648i64),
        json!(1.5),
        json!(""),
        json!("x"),
        json!(true),
        json!(null),
        json!([]),
        json!({}),
        json!("c5c24a82-6845-4031-9d5d-978df9175426"),
        json!("n".repeat(129)),
    ])
}

/// The request with its `which`th top-level field set to `value`.
fn replace_field(request: &Request<Bytes>, which: usize, value: Value) -> Request<Bytes> {
    let mut replaced = request.clone();
    if let Some(body) = map_fields(request.body(), |mut map| {
        if let Some(key) = map.keys().nth(which % map.len().max(1)).cloned() {
            map.insert(key, value);
        }
        map
    }) {
        *replaced.body_mut() = body;
    }
    replaced
}

/// The request with its API version segment replaced.
fn with_version(request: &Request<Bytes>, version: &str) -> Request<Bytes> {
    let mut moved = request.clone();
    let path_and_query = request.uri().path_and_query().map_or("", |p| p.as_str());
    let mut segments: Vec<&str> = path_and_query.splitn(4, '/').collect();
    if let Some(segment) = segments.get_mut(2) {
        *segment = version;
    }
    *moved.uri_mut() = format!("{HOST}{}", segments.join("/")).parse().unwrap();
    moved
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn valid_requests_pass_and_arrive_unchanged(request in valid_request()) {
        prop_assert_eq!(check(&request), Ok(()));
        let received = through_layer(request.clone()).expect("the layer forwards it");
        prop_assert_eq!(received.method(), request.method());
        prop_assert_eq!(received.uri(), request.uri());
        prop_assert_eq!(received.headers(), request.headers());
        prop_assert_eq!(received.body(), request.body());
    }

    #[test]
    fn mutations_get_ok_or_a_documented_error(request in valid_request(), mutation in mutation()) {
        let mutated = mutate(&request, &mutation);
        let verdict = check(&mutated);
        prop_assert!(documented(&verdict), "{:?}", verdict);
        prop_assert_eq!(&check(&mutated), &verdict, "deterministic");
        // Names are read without regard to case: recasing changes nothing.
        if matches!(mutation, Mutation::RecaseFields(_) | Mutation::RecasePath(_)) {
            prop_assert_eq!(&verdict, &Ok(()));
        }
        // The layer gives the same verdict, as a response.
        match (through_layer(mutated.clone()), &verdict) {
            (Ok(received), Ok(())) => prop_assert_eq!(received.body(), mutated.body()),
            (Err((status, body)), Err(error)) => {
                prop_assert_eq!(status, error.status().as_u16());
                prop_assert_eq!(body, error.to_json());
            }
            (layer, check) => prop_assert!(false, "layer {:?} but check {:?}", layer.map(|_| ()), check),
        }
    }

    /// The reference lists no difference between v1.2 and v1.3-preview.1
    /// for any operation the generators make (liveness creates use neither
    /// the new fields nor forms), so valid and mutated requests alike get
    /// the same verdict in both.
    #[test]
    fn v1_3_preview_judges_as_v1_2(request in valid_request(), mutation in mutation()) {
        let mutated = mutate(&request, &mutation);
        let v1_2 = with_version(&mutated, "v1.2");
        let v1_3 = with_version(&mutated, "v1.3-preview.1");
        prop_assert!(v1_3.uri().path().to_ascii_lowercase().starts_with("/face/v1.3-preview.1/"));
        prop_assert_eq!(check(&v1_2), check(&v1_3));
    }

    /// Valid bodies in single quotes, with bare names, quoted integers and
    /// booleans, comments and trailing commas pass as their strict form does.
    #[test]
    fn lenient_forms_of_valid_bodies_pass(request in valid_request(), style in style(true)) {
        if let Some(relaxed) = relaxed(&request, style) {
            prop_assert_eq!(check(&relaxed), Ok(()), "{}", String::from_utf8_lossy(relaxed.body()));
            let received = through_layer(relaxed.clone()).expect("the layer forwards it");
            prop_assert_eq!(received.body(), relaxed.body());
        }
    }

    /// A body with one field replaced or deleted gets the same verdict in
    /// any lenient form as in strict JSON.
    #[test]
    fn lenient_forms_get_the_strict_verdict(
        request in valid_request(),
        which in any::<usize>(),
        value in prop::option::of(replacement()),
        style in style(false),
    ) {
        let changed = match value {
            Some(value) => replace_field(&request, which, value),
            None => mutate(&request, &Mutation::DeleteField(which)),
        };
        if let Some(relaxed) = relaxed(&changed, style) {
            prop_assert_eq!(check(&relaxed), check(&changed), "{}", String::from_utf8_lossy(relaxed.body()));
        }
    }

    /// `check`, the tower layer and the reqwest adapter give one verdict
    /// for any request, whatever `Content-Length` it declares.
    #[test]
    fn check_and_the_adapters_agree_on_every_input(
        request in any_request(),
        declared in declared_length(),
    ) {
        let mut request = request;
        if let Some(declared) = declared {
            let declared = if declared == "true" { request.body().len().to_string() } else { declared };
            request.headers_mut().insert(http::header::CONTENT_LENGTH, declared.parse().unwrap());
        }
        let verdict = check(&request);
        let answer = |error: &FaceApiError| (error.status().as_u16(), error.to_json());
        let layer = through_layer(request.clone()).map(|received| received.into_body());
        prop_assert_eq!(&layer, &verdict.as_ref().map(|()| request.body().clone()).map_err(answer));
        #[cfg(feature = "reqwest")]
        {
            let reqwest = through_reqwest(request.clone());
            prop_assert_eq!(&reqwest, &verdict.as_ref().map(|()| request.body().clone()).map_err(answer));
        }
    }

    #[test]
    fn arbitrary_requests_never_panic(
        method in prop::sample::select(vec![Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE]),
        prefix in prop::sample::select(vec!["/face/v1.0", "/face/v1.1-preview.1", "/face/v1.2-preview.1", "/face/v1.2", "/face/V1.2", "/face/v1.3-preview.1"]),
        segments in prop::collection::vec(prop_oneof![
            prop::sample::select(vec!["detect", "identify", "verify", "findsimilars", "group", "persongroups", "largepersongroups", "facelists", "largefacelists", "persons", "persistedfaces", "dynamicpersongroups", "recognitionModels", "recognition_04", "train", "training", "detectLiveness-sessions", "detectLivenessWithVerify-sessions", "detectLiveness", "singleModal", "sessions", "audit", "snapshots", "operations", "settings", "getClientAssetsAccessToken", "c5c24a82-6845-4031-9d5d-978df9175426"]).prop_map(str::to_owned),
            "[A-Za-z0-9%._-]{0,12}",
        ], 0..7),
        query in "[a-zA-Z0-9=&,%_.-]{0,80}",
        content_type in prop::sample::select(vec!["application/json", "application/octet-stream", "multipart/form-data; boundary=b", "text/plain"]),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let uri = format!("{HOST}{prefix}/{}?{query}", segments.join("/"));
        let Ok(uri) = uri.parse::<http::Uri>() else { return Ok(()) };
        let request = Request::builder().method(method).uri(uri).header("content-type", content_type).body(Bytes::from(body)).unwrap();
        let verdict = check(&request);
        prop_assert!(documented(&verdict), "{:?}", verdict);
        prop_assert_eq!(check(&request), verdict);
    }
}

/// Issue #27: every length bound counts UTF-16 code units, as .NET counts a
/// string's length. Strings of arbitrary Unicode (BMP and astral) around
/// each bound, judged against a reference count.
mod utf16_lengths {
    use super::*;

    /// A string of `chars` characters drawn from ASCII, the BMP beyond it
    /// and the astral planes, so that its UTF-16 length straddles `bound`.
    fn around(bound: usize) -> impl Strategy<Value = String> {
        let any_char = prop_oneof![
            prop::char::range('a', 'z'),
            prop::char::range('\u{e9}', '\u{7ff}'),
            prop::char::range('\u{4e00}', '\u{9fff}'),
            prop::char::range('\u{1f600}', '\u{1f64f}'),
            prop::char::range('\u{20000}', '\u{2a6df}'),
        ];
        (bound / 2..=bound + 2).prop_flat_map(move |chars| {
            prop::collection::vec(any_char.clone(), chars).prop_map(|c| c.into_iter().collect())
        })
    }

    fn units(s: &str) -> usize {
        s.chars().map(char::len_utf16).sum()
    }

    fn verdict(request: &Request<Bytes>) -> Option<String> {
        check(request).err().map(|e| e.code().to_owned())
    }

    proptest! {
        #[test]
        fn name_counts_utf16_units(name in around(128)) {
            let body = json!({ "name": name }).to_string();
            let request = put_json("/face/v1.2/persongroups/g", &body);
            let expected = (units(&name) > 128).then(|| catalogue::NAME_TOO_LONG.code.to_owned());
            prop_assert_eq!(verdict(&request), expected, "{} units", units(&name));
        }

        #[test]
        fn face_user_data_counts_utf16_units(data in around(1024)) {
            let body = json!({ "userData": data }).to_string();
            let request = patch_json(
                &format!("/face/v1.2/persongroups/g/persons/{GUID}/persistedfaces/{GUID2}"),
                &body,
            );
            let expected = (units(&data) > 1024).then(|| catalogue::USER_DATA_TOO_LONG.code.to_owned());
            prop_assert_eq!(verdict(&request), expected, "{} units", units(&data));
        }

        #[test]
        fn device_correlation_id_counts_utf16_units(id in around(64)) {
            let body = json!({
                "livenessOperationMode": "Passive",
                "deviceCorrelationId": id,
            })
            .to_string();
            let request = post_json("/face/v1.2/detectLiveness-sessions", &body);
            let refused = verdict(&request).is_some();
            prop_assert_eq!(refused, units(&id) > 64, "{} units", units(&id));
        }
    }

    #[test]
    fn user_data_of_a_collection_counts_utf16_units() {
        // 8,192 emoji are 16,384 units: the bound; one more is over.
        for (emoji, over) in [(8192, false), (8193, true)] {
            let body = json!({ "name": "n", "userData": "😀".repeat(emoji) }).to_string();
            let request = put_json("/face/v1.2/persongroups/g", &body);
            let expected = over.then(|| catalogue::USER_DATA_TOO_LONG.code.to_owned());
            assert_eq!(verdict(&request), expected, "{emoji} emoji");
        }
    }
}
