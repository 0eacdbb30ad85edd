//! [`Judging`](face_preflight::Judging): the pipeline for hosts that hold
//! the request and send it themselves (the Python policy).

use crate::common::*;
use bytes::Bytes;
use face_preflight::catalogue;
use face_preflight::{Decision, LocalRejection, PreflightLayer, Source, MAX_IMAGE_BYTES};
use http::{HeaderMap, Request, StatusCode};

/// Runs `request` through `layer` as a host with the body at hand would.
fn decide(layer: &PreflightLayer, request: &Request<Bytes>) -> Decision {
    let (parts, body) = request.clone().into_parts();
    let mut judging = layer.judge(&parts);
    if judging.wants_body() {
        judging.read_body(&parts.headers, &body);
    }
    judging.decide()
}

fn answer_of(decision: Decision) -> (StatusCode, HeaderMap, Bytes, LocalRejection) {
    match decision {
        Decision::Answer(response) => {
            let rejection = response
                .extensions()
                .get::<LocalRejection>()
                .cloned()
                .unwrap();
            let (parts, body) = response.into_parts();
            (parts.status, parts.headers, body, rejection)
        }
        Decision::Send(_) => panic!("sent; expected a local answer"),
    }
}

#[test]
fn an_invalid_request_is_answered_as_the_service_answers_and_counted() {
    let layer = PreflightLayer::new();
    let request = post_json("/face/v1.2/group", r#"{"faceIds":[]}"#);
    let (status, headers, body, rejection) = answer_of(decide(&layer, &request));
    assert_response(status.as_u16(), &body, &catalogue::FACE_IDS_LENGTH_INVALID);
    assert_eq!(headers["x-ms-error-code"], "BadArgument");
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(rejection.source, Source::Rules);
    assert_eq!(layer.stats().snapshot().rejected, 1);
}

#[test]
fn the_verdict_is_the_same_as_check_gives() {
    let layer = PreflightLayer::new();
    for request in [
        put_json("/face/v1.2/persongroups/Staff", r#"{"name":"staff"}"#),
        post_json(
            "/face/v1.2/identify",
            &format!(r#"{{"faceIds":{:?},"personGroupId":"s"}}"#, guids(11)),
        ),
        post_image("/face/v1.2/detect?returnFaceId=false", vec![0xff; 500]),
        get("/face/v1.2/persongroups?top=0"),
    ] {
        let expected = face_preflight::check(&request).unwrap_err();
        let decision = decide(&layer, &request);
        assert_eq!(decision.error(), Some(&expected), "{}", request.uri());
    }
}

#[test]
fn a_valid_request_is_sent_and_nothing_watches_it_by_default() {
    let layer = PreflightLayer::new();
    let request = post_json(
        "/face/v1.2/group",
        &format!(r#"{{"faceIds":["{GUID}","{GUID2}"]}}"#),
    );
    match decide(&layer, &request) {
        Decision::Send(watch) => assert!(!watch.is_watching()),
        Decision::Answer(response) => panic!("answered {:?}", response.body()),
    }
    assert_eq!(layer.stats().snapshot().rejected, 0);
}

#[test]
fn a_body_not_handed_over_is_not_judged() {
    // A host streaming a file it would rather not read: the rules that
    // needed the body pass (a 500-byte image would be refused if read).
    let layer = PreflightLayer::new();
    let request = post_image("/face/v1.2/detect?returnFaceId=false", vec![0xff; 500]);
    let (parts, _) = request.into_parts();
    let judging = layer.judge(&parts);
    assert!(judging.wants_body());
    assert!(matches!(judging.decide(), Decision::Send(_)));
}

#[test]
fn a_body_past_the_limit_is_too_big_even_in_report_only_mode() {
    let layer = PreflightLayer::new().report_only(true);
    let request = post_image("/face/v1.2/detect?returnFaceId=false", vec![0xff; 10]);
    let (parts, _) = request.into_parts();
    let mut judging = layer.judge(&parts);
    let limit = judging.body_limit().unwrap();
    assert!(limit >= MAX_IMAGE_BYTES);
    judging.read_body(&parts.headers, &vec![0xff; limit + 1]);
    let (status, _, body, _) = answer_of(judging.decide());
    assert_response(status.as_u16(), &body, &catalogue::IMAGE_TOO_BIG);
}

#[test]
fn report_only_sends_everything_and_compares_with_the_answer() {
    let layer = PreflightLayer::new().report_only(true);
    let stats = layer.stats();
    let invalid = post_json("/face/v1.2/group", r#"{"faceIds":[]}"#);
    let service_error = catalogue::FACE_IDS_LENGTH_INVALID.error();
    for (status, body, expected) in [
        // The service gives the same error: agreed.
        (StatusCode::BAD_REQUEST, service_error.to_json(), 1),
        // The service accepts: a false rejection.
        (StatusCode::OK, Bytes::from_static(b"[]"), 2),
    ] {
        let Decision::Send(watch) = decide(&layer, &invalid) else {
            panic!("report-only answered locally");
        };
        assert!(watch.is_watching());
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        watch.observe(status, &headers, Some(&body));
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.agreed + snapshot.false_rejections, expected);
    }
    let snapshot = stats.snapshot();
    assert_eq!(
        (
            snapshot.agreed,
            snapshot.false_rejections,
            snapshot.rejected
        ),
        (1, 1, 0)
    );
}

#[test]
fn report_only_counts_a_miss_from_the_error_body() {
    let layer = PreflightLayer::new().report_only(true);
    let valid = post_json(
        "/face/v1.2/group",
        &format!(r#"{{"faceIds":["{GUID}","{GUID2}"]}}"#),
    );
    let Decision::Send(watch) = decide(&layer, &valid) else {
        panic!("answered");
    };
    let body = catalogue::FACE_IDS_LENGTH_INVALID.error().to_json();
    watch.observe(StatusCode::BAD_REQUEST, &HeaderMap::new(), Some(&body));
    assert_eq!(layer.stats().snapshot().missed, 1);
}

#[test]
fn codes_outside_the_catalogue_are_counted_as_other() {
    // Codes come from answer bodies: kept verbatim they would grow the
    // counters without bound.
    let layer = PreflightLayer::new().report_only(true);
    let valid = post_json(
        "/face/v1.2/group",
        &format!(r#"{{"faceIds":["{GUID}","{GUID2}"]}}"#),
    );
    for code in ["Weird1", "Weird2", "BadArgument"] {
        let Decision::Send(watch) = decide(&layer, &valid) else {
            panic!("answered");
        };
        let body = format!(r#"{{"error":{{"code":"{code}","message":"m"}}}}"#);
        watch.observe(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            Some(body.as_bytes()),
        );
    }
    let codes: Vec<_> = layer
        .stats()
        .snapshot()
        .rows
        .into_iter()
        .map(|(key, count)| (key.remote_code, count))
        .collect();
    assert_eq!(
        codes,
        [
            (Some("BadArgument".to_owned()), 1),
            (Some("other".to_owned()), 2)
        ]
    );
}

#[test]
fn report_only_compares_face_operations_only() {
    let layer = PreflightLayer::new().report_only(true);
    for path in [
        "/healthz",
        "/face/v1.2/no-such-operation",
        "/other/v1.2/group",
    ] {
        let Decision::Send(watch) = decide(&layer, &get(path)) else {
            panic!("answered {path}");
        };
        assert!(!watch.is_watching(), "{path}");
        watch.observe(StatusCode::OK, &HeaderMap::new(), Some(b"ok"));
    }
    let Decision::Send(watch) = decide(&layer, &get("/face/v1.2/persongroups")) else {
        panic!("answered");
    };
    watch.observe(StatusCode::OK, &HeaderMap::new(), Some(b"[]"));
    assert_eq!(layer.stats().snapshot().agreed, 1);
}
