//! API version v1.3-preview.1: every operation of the published
//! specification, single faults per family, the new liveness fields and
//! settings operations, and the opt-in for versions newer than the crate.

use crate::common::*;
use bytes::Bytes;
use face_preflight::catalogue;
use face_preflight::router::{self, ApiVersion, Operation};
use face_preflight::PreflightLayer;
use http::{Method, Request};
use http_body_util::BodyExt;
use image::ImageFormat;
use tower::{Layer, ServiceExt};

const V: &str = "/face/v1.3-preview.1";
const DEVICE: &str = "723d6d03-ef33-40a8-9682-23a1feb7bccd";

/// One request per operation of v1.3-preview.1 (80), with the bodies and
/// parameters of the official examples (IDs, names and URLs as they use
/// them; images made here).
fn every_operation() -> Vec<Request<Bytes>> {
    let image = || image_of(ImageFormat::Jpeg, 160, 160);
    let face = GUID;
    let person = GUID2;
    let url = r#"{"url":"https://microsoft.com/example.jpg"}"#;
    let create = r#"{"name":"your_large_person_group_name","userData":"your_user_data","recognitionModel":"recognition_01"}"#;
    let update = r#"{"name":"your_large_person_group_name","userData":"your_user_data"}"#;
    let person_body =
        r#"{"name":"your_large_person_group_person_name","userData":"your_user_data"}"#;
    let face_data = r#"{"userData":"your_user_data"}"#;
    let add_query = "?targetFace=10,10,100,100&detectionModel=detection_01&userData=your_user_data";
    let mut requests = vec![
        // Detection (3)
        post_json(&format!("{V}/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceId=true&returnFaceAttributes=headPose,mask,blur,qualityForRecognition&returnFaceLandmarks=true&returnRecognitionModel=true&faceIdTimeToLive=120"), url),
        post_image(&format!("{V}/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceId=true&returnFaceAttributes=headPose,mask,blur,qualityForRecognition&returnFaceLandmarks=true&returnRecognitionModel=true&faceIdTimeToLive=120"), image()),
        post_json(&format!("{V}/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceId=true&returnFaceAttributes=headPose,mask,blur,qualityForRecognition&returnFaceLandmarks=true&returnRecognitionModel=true&faceIdTimeToLive=120"), r#"{"sessionImageId":"aa93ce80-9a9b-48bd-ae1a-1c7543841e92"}"#),
        // Liveness sessions and settings (10)
        post_json(&format!("{V}/detectLiveness-sessions"), &format!(r#"{{"livenessOperationMode":"PassiveActive","deviceCorrelationIdSetInClient":false,"deviceCorrelationId":"{DEVICE}","userCorrelationIdSetInClient":false,"userCorrelationId":"{DEVICE}","authTokenTimeToLiveInSeconds":60,"numberOfClientAttemptsAllowed":1,"expectedClientIpAddress":"1.2.3.4"}}"#)),
        get(&format!("{V}/detectLiveness-sessions/b12e033e-bda7-4b83-a211-e721c661f30e")),
        delete(&format!("{V}/detectLiveness-sessions/b12e033e-bda7-4b83-a211-e721c661f30e")),
        {
            let (content_type, body) = form(&[
                ("livenessOperationMode", None, b"PassiveActive"),
                ("deviceCorrelationIdSetInClient", None, b"false"),
                ("deviceCorrelationId", None, DEVICE.as_bytes()),
                ("authTokenTimeToLiveInSeconds", None, b"60"),
                ("numberOfClientAttemptsAllowed", None, b"1"),
                ("verifyImage", Some("verify.jpg"), &image()),
            ]);
            request(Method::POST, &format!("{V}/detectLivenessWithVerify-sessions"), Some(&content_type), body)
        },
        get(&format!("{V}/detectLivenessWithVerify-sessions/b12e033e-bda7-4b83-a211-e721c661f30e")),
        delete(&format!("{V}/detectLivenessWithVerify-sessions/b12e033e-bda7-4b83-a211-e721c661f30e")),
        get(&format!("{V}/sessionImages/3d035d35-2e01-4ed4-8935-577afde9caaa")),
        get(&format!("{V}/settings")),
        patch_json(&format!("{V}/settings"), r#"{"livenessAbuseMonitoring":{"enabled":true}}"#),
        get(&format!("{V}/settings/getClientAssetsAccessToken")),
        // FaceList (8)
        get(&format!("{V}/facelists?returnRecognitionModel=true")),
        get(&format!("{V}/facelists/your_face_list_id?returnRecognitionModel=true")),
        put_json(&format!("{V}/facelists/your_face_list_id"), create),
        patch_json(&format!("{V}/facelists/your_face_list_id"), update),
        delete(&format!("{V}/facelists/your_face_list_id")),
        post_json(&format!("{V}/facelists/your_face_list_id/persistedfaces{add_query}"), url),
        post_image(&format!("{V}/facelists/your_face_list_id/persistedfaces{add_query}"), image()),
        delete(&format!("{V}/facelists/your_face_list_id/persistedfaces/{face}")),
        // LargeFaceList (13)
        get(&format!("{V}/largefacelists?start=my_list_id&top=20&returnRecognitionModel=true")),
        get(&format!("{V}/largefacelists/your_large_face_list_id?returnRecognitionModel=true")),
        put_json(&format!("{V}/largefacelists/your_large_face_list_id"), create),
        patch_json(&format!("{V}/largefacelists/your_large_face_list_id"), update),
        delete(&format!("{V}/largefacelists/your_large_face_list_id")),
        get(&format!("{V}/largefacelists/your_large_face_list_id/persistedfaces?start={face}&top=20")),
        post_json(&format!("{V}/largefacelists/your_large_face_list_id/persistedfaces{add_query}"), url),
        post_image(&format!("{V}/largefacelists/your_large_face_list_id/persistedfaces{add_query}"), image()),
        get(&format!("{V}/largefacelists/your_large_face_list_id/persistedfaces/{face}")),
        patch_json(&format!("{V}/largefacelists/your_large_face_list_id/persistedfaces/{face}"), face_data),
        delete(&format!("{V}/largefacelists/your_large_face_list_id/persistedfaces/{face}")),
        request(Method::POST, &format!("{V}/largefacelists/your_large_face_list_id/train"), None, Bytes::new()),
        get(&format!("{V}/largefacelists/your_large_face_list_id/training")),
        // Recognition (12)
        post_json(&format!("{V}/findsimilars"), &format!(r#"{{"faceId":"{face}","maxNumOfCandidatesReturned":3,"mode":"matchPerson","faceIds":["{person}"]}}"#)),
        post_json(&format!("{V}/findsimilars"), &format!(r#"{{"faceId":"{face}","maxNumOfCandidatesReturned":3,"mode":"matchPerson","faceListId":"your_face_list_id"}}"#)),
        post_json(&format!("{V}/findsimilars"), &format!(r#"{{"faceId":"{face}","maxNumOfCandidatesReturned":3,"mode":"matchPerson","largeFaceListId":"your_large_face_list_id"}}"#)),
        post_json(&format!("{V}/group"), &format!(r#"{{"faceIds":["{face}","{person}"]}}"#)),
        post_json(&format!("{V}/identify"), &format!(r#"{{"faceIds":["{face}"],"personGroupId":"your_person_group_id","maxNumOfCandidatesReturned":9,"confidenceThreshold":0.7}}"#)),
        post_json(&format!("{V}/identify"), &format!(r#"{{"faceIds":["{face}"],"largePersonGroupId":"your_large_person_group_id","maxNumOfCandidatesReturned":9,"confidenceThreshold":0.7}}"#)),
        post_json(&format!("{V}/identify"), &format!(r#"{{"faceIds":["{face}"],"personIds":["{person}"],"maxNumOfCandidatesReturned":9,"confidenceThreshold":0.7}}"#)),
        post_json(&format!("{V}/identify"), &format!(r#"{{"faceIds":["{face}"],"dynamicPersonGroupId":"your_dynamic_person_group_id","maxNumOfCandidatesReturned":9,"confidenceThreshold":0.7}}"#)),
        post_json(&format!("{V}/verify"), &format!(r#"{{"faceId1":"{face}","faceId2":"{person}"}}"#)),
        post_json(&format!("{V}/verify"), &format!(r#"{{"faceId":"{face}","personGroupId":"your_person_group_id","personId":"{person}"}}"#)),
        post_json(&format!("{V}/verify"), &format!(r#"{{"faceId":"{face}","largePersonGroupId":"your_large_person_group_id","personId":"{person}"}}"#)),
        post_json(&format!("{V}/verify"), &format!(r#"{{"faceId":"{face}","personId":"{person}"}}"#)),
    ];
    // LargePersonGroup (17) and PersonGroup (17) mirror each other.
    for (groups, id) in [
        ("largepersongroups", "your_large_person_group_id"),
        ("persongroups", "your_person_group_id"),
    ] {
        let group = format!("{V}/{groups}/{id}");
        let persons = format!("{group}/persons");
        let faces = format!("{persons}/{person}/persistedfaces");
        requests.extend([
            get(&format!(
                "{V}/{groups}?start=my_group_id&top=20&returnRecognitionModel=true"
            )),
            get(&format!("{group}?returnRecognitionModel=true")),
            put_json(&group, create),
            patch_json(&group, update),
            delete(&group),
            get(&format!("{persons}?start={person}&top=20")),
            post_json(&persons, person_body),
            get(&format!("{persons}/{person}")),
            patch_json(&format!("{persons}/{person}"), person_body),
            delete(&format!("{persons}/{person}")),
            post_json(&format!("{faces}{add_query}"), url),
            post_image(&format!("{faces}{add_query}"), image()),
            get(&format!("{faces}/{face}")),
            patch_json(&format!("{faces}/{face}"), face_data),
            delete(&format!("{faces}/{face}")),
            request(Method::POST, &format!("{group}/train"), None, Bytes::new()),
            get(&format!("{group}/training")),
        ]);
    }
    requests
}

/// A multipart body of `(name, file name, bytes)` parts.
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----v13-boundary";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file {
            Some(file) => format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn with_verify_form(extra: &[(&str, &[u8])]) -> Request<Bytes> {
    let image = jpeg_at_least(2_000);
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("livenessOperationMode", None, b"Passive"),
        ("deviceCorrelationId", None, DEVICE.as_bytes()),
    ];
    parts.extend(extra.iter().map(|(name, value)| (*name, None, *value)));
    parts.push(("verifyImage", Some("verify.jpg"), &image));
    let (content_type, body) = form(&parts);
    request(
        Method::POST,
        &format!("{V}/detectLivenessWithVerify-sessions"),
        Some(&content_type),
        body,
    )
}

fn liveness(body: &str) -> Request<Bytes> {
    post_json(&format!("{V}/detectLiveness-sessions"), body)
}

#[tokio::test]
async fn every_operation_routes_passes_and_arrives_unchanged() {
    let requests = every_operation();
    assert_eq!(requests.len(), 80);
    let mut operations = std::collections::HashSet::new();
    for request in requests {
        let routed = router::route(request.method(), request.uri().path())
            .unwrap_or_else(|| panic!("{} {} is not routed", request.method(), request.uri()));
        assert_eq!(routed.version, ApiVersion::V1_3Preview1);
        operations.insert((
            routed.operation,
            request.headers().get("content-type").cloned(),
            !request.body().is_empty(),
        ));
        assert_passes(&request);

        let seen = Seen::default();
        let service = PreflightLayer::new().layer(recording_service(seen.clone()));
        let response = service.oneshot(to_full(request.clone())).await.unwrap();
        assert_eq!(response.status(), 200, "{}", request.uri());
        assert_eq!(seen.calls(), 1);
        let received = seen.requests.lock().unwrap().pop().unwrap();
        assert_eq!(received.method(), request.method());
        assert_eq!(received.uri(), request.uri());
        assert_eq!(received.headers(), request.headers());
        let body = received.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, request.body());
    }
    // The twelve recognition operations are four routes, and detect from a
    // URL and from a session image share one (JSON) route: 80 - 8 - 1.
    assert_eq!(operations.len(), 71);
}

#[test]
fn the_new_operations_route() {
    let op = |method: Method, path: &str| router::route(&method, path).map(|r| r.operation);
    assert_eq!(
        op(Method::GET, &format!("{V}/settings")),
        Some(Operation::GetSettings)
    );
    assert_eq!(
        op(Method::PATCH, &format!("{V}/Settings")),
        Some(Operation::UpdateSettings)
    );
    assert_eq!(
        op(
            Method::GET,
            &format!("{V}/settings/getClientAssetsAccessToken")
        ),
        Some(Operation::GetClientAssetsAccessToken)
    );
    // Not in v1.2, and not the earlier revision's path.
    assert_eq!(op(Method::GET, "/face/v1.2/settings"), None);
    assert_eq!(
        op(
            Method::GET,
            &format!("{V}/settings/liveness-abuse-monitoring")
        ),
        None
    );
    assert_eq!(op(Method::POST, &format!("{V}/settings")), None);
}

#[test]
fn person_directory_and_preview_paths_are_unknown_and_pass() {
    for request in [
        put_json(&format!("{V}/dynamicpersongroups/UPPER"), r#"{"name":""}"#),
        post_json(&format!("{V}/persons"), r#"{}"#),
        get(&format!("{V}/persons?start=not-a-guid&top=0")),
        get(&format!("{V}/operations/not-a-guid")),
        get(&format!("{V}/detectLiveness/singleModal/sessions?top=0")),
        get(&format!("{V}/session/sessionImages/x")),
        post_json(
            &format!("{V}/detectLiveness/singleModal/sessions"),
            r#"{"livenessOperationMode":"Nope"}"#,
        ),
    ] {
        assert_eq!(
            router::route(request.method(), request.uri().path()),
            None,
            "{}",
            request.uri()
        );
        assert_passes(&request);
    }
}

#[test]
fn single_faults_per_family() {
    let group = format!(r#"{{"faceIds":["{GUID}"],"personGroupId":"g"}}"#);
    let eleven = format!(
        r#"{{"faceIds":{},"personGroupId":"g"}}"#,
        serde_json::to_string(&guids(11)).unwrap()
    );
    assert_passes(&post_json(&format!("{V}/identify"), &group));
    let cases: Vec<(Request<Bytes>, catalogue::Entry)> = vec![
        // Detect
        (
            post_json(
                &format!("{V}/detect?detectionModel=detection_02&returnFaceAttributes=mask"),
                r#"{"url":"https://a.b/c.jpg"}"#,
            ),
            catalogue::ATTRIBUTES_NOT_SUPPORTED_BY_DETECTION_02,
        ),
        (
            post_json(&format!("{V}/detect?detectionModel=detection_09"), "{}"),
            catalogue::DETECTION_MODEL_INVALID,
        ),
        (
            post_image(&format!("{V}/detect"), vec![0xFF; 600]),
            catalogue::IMAGE_TOO_SMALL,
        ),
        (
            post_image(&format!("{V}/detect"), image_of(ImageFormat::Tiff, 64, 64)),
            catalogue::IMAGE_FORMAT_UNSUPPORTED,
        ),
        (
            post_json(&format!("{V}/detect"), r#"{"url":"ftp://a.b/c.jpg"}"#),
            catalogue::IMAGE_URL_INVALID,
        ),
        // Recognition
        (
            post_json(&format!("{V}/identify"), &eleven),
            catalogue::FACE_IDS_LENGTH_INVALID,
        ),
        (
            post_json(
                &format!("{V}/identify"),
                &format!(r#"{{"faceIds":["{GUID}"],"personGroupId":"G"}}"#),
            ),
            catalogue::PERSON_GROUP_ID_INVALID,
        ),
        (
            post_json(
                &format!("{V}/group"),
                &format!(r#"{{"faceIds":["{GUID}"]}}"#),
            ),
            catalogue::FACE_IDS_LENGTH_INVALID,
        ),
        (
            post_json(
                &format!("{V}/findsimilars"),
                &format!(r#"{{"faceId":"{GUID}","faceIds":["{GUID2}"],"mode":"x"}}"#),
            ),
            catalogue::MODE_INVALID,
        ),
        (
            post_json(
                &format!("{V}/verify"),
                &format!(r#"{{"faceId1":"{GUID}"}}"#),
            ),
            catalogue::REQUEST_BODY_INVALID,
        ),
        // Collections
        (
            put_json(&format!("{V}/persongroups/Staff"), r#"{"name":"staff"}"#),
            catalogue::PERSON_GROUP_ID_INVALID,
        ),
        (
            get(&format!("{V}/largepersongroups?top=0")),
            catalogue::TOP_INVALID,
        ),
        (
            put_json(&format!("{V}/largefacelists/list"), r#"{"name":""}"#),
            catalogue::NAME_EMPTY,
        ),
        (
            patch_json(&format!("{V}/largefacelists/list"), r#"{}"#),
            catalogue::NAME_AND_USER_DATA_EMPTY,
        ),
        (
            get(&format!("{V}/persongroups/g/persons/not-a-guid")),
            catalogue::PERSON_ID_NOT_FOUND,
        ),
        // Liveness
        (
            liveness(&format!(
                r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","authTokenTimeToLiveInSeconds":30}}"#
            )),
            catalogue::INVALID_TOKEN_LIFETIME,
        ),
        (
            liveness(&format!(
                r#"{{"livenessOperationMode":"Active","deviceCorrelationId":"{DEVICE}"}}"#
            )),
            catalogue::INVALID_LIVENESS_OPERATION_MODE,
        ),
        (
            liveness(r#"{"livenessOperationMode":"Passive"}"#),
            catalogue::INVALID_DEVICE_CORRELATION_ID,
        ),
    ];
    for (request, entry) in cases {
        assert_rejects(&request, &entry);
    }
    // The previews' model field is unknown here, so ignored.
    assert_passes(&liveness(&format!(
        r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","livenessSingleModalModel":"2022-10-15-preview.04"}}"#
    )));
}

#[test]
fn new_liveness_fields_json() {
    let base = format!(r#""livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}""#);
    for extra in [
        r#""numberOfClientAttemptsAllowed":1"#,
        r#""numberOfClientAttemptsAllowed":3"#,
        // The JSON bound (1–3) is prose only, with no documented error.
        r#""numberOfClientAttemptsAllowed":7"#,
        r#""numberOfClientAttemptsAllowed":0"#,
        r#""userCorrelationId":"u-1","userCorrelationIdSetInClient":false"#,
        r#""userCorrelationIdSetInClient":true"#,
        r#""expectedClientIpAddress":"10.0.0.0/8""#,
        r#""expectedClientIpAddress":"not an address""#,
        r#""livenessModelVersion":"2024-11-15""#,
    ] {
        assert_passes(&liveness(&format!("{{{base},{extra}}}")));
    }
    for extra in [
        r#""numberOfClientAttemptsAllowed":{"value":1}"#,
        r#""numberOfClientAttemptsAllowed":"two""#,
        r#""userCorrelationId":{"id":42}"#,
        r#""userCorrelationIdSetInClient":"maybe""#,
        r#""expectedClientIpAddress":[1,2,3,4]"#,
        r#""livenessModelVersion":"2023-12-20-preview.06""#,
    ] {
        assert_rejects(
            &liveness(&format!("{{{base},{extra}}}")),
            &catalogue::LIVENESS_REQUEST_BODY_INVALID,
        );
        // In v1.2 the new names are unknown, so ignored.
        if !extra.contains("livenessModelVersion") {
            assert_passes(&post_json(
                "/face/v1.2/detectLiveness-sessions",
                &format!("{{{base},{extra}}}"),
            ));
        }
    }
}

#[test]
fn new_liveness_fields_form() {
    for attempts in [&b"1"[..], b"2", b"3", b" 3 "] {
        assert_passes(&with_verify_form(&[(
            "numberOfClientAttemptsAllowed",
            attempts,
        )]));
    }
    assert_passes(&with_verify_form(&[]));
    for attempts in [&b"0"[..], b"4", b"-1", b"one", b"1.5"] {
        assert_rejects(
            &with_verify_form(&[("numberOfClientAttemptsAllowed", attempts)]),
            &catalogue::LIVENESS_REQUEST_BODY_INVALID,
        );
    }
    // The form has no user-correlation fields: such a part is ignored.
    assert_passes(&with_verify_form(&[(
        "userCorrelationIdSetInClient",
        b"maybe",
    )]));
    assert_rejects(
        &with_verify_form(&[("authTokenTimeToLiveInSeconds", b"59")]),
        &catalogue::INVALID_TOKEN_LIFETIME,
    );
}

#[test]
fn settings_bodies() {
    let path = format!("{V}/settings");
    for body in [
        r#"{"livenessAbuseMonitoring":{"enabled":true}}"#,
        r#"{"livenessAbuseMonitoring":{"enabled":false}}"#,
        // The flat body of an earlier revision's example.
        r#"{"enabled":true}"#,
        r#"{}"#,
        r#"{"livenessAbuseMonitoring":null}"#,
    ] {
        assert_passes(&patch_json(&path, body));
    }
    for body in [
        r#"{"livenessAbuseMonitoring":true}"#,
        r#"{"enabled":"sometimes"}"#,
        r#"[]"#,
    ] {
        assert_rejects(
            &patch_json(&path, body),
            &catalogue::LIVENESS_REQUEST_BODY_INVALID,
        );
    }
    assert_rejects(
        &patch_json(&path, r#"{"enabled":"#),
        &catalogue::LIVENESS_REQUEST_BODY_INVALID,
    );
    // GETs carry no body rule.
    assert_passes(&get(&format!("{path}?anything=at-all")));
}

#[test]
fn newer_versions_are_judged_only_when_asked() {
    let strict = PreflightLayer::new().judge_newer_versions(true);
    let default = PreflightLayer::new();
    let eleven = format!(
        r#"{{"faceIds":{},"personGroupId":"g"}}"#,
        serde_json::to_string(&guids(11)).unwrap()
    );
    for version in ["v1.3-preview.2", "v1.3", "V1.4", "v2.0-preview.1", "v10.0"] {
        let bad = post_json(&format!("/face/{version}/identify"), &eleven);
        assert_eq!(default.check(&bad), Ok(()), "{version}");
        assert_error(
            &strict.check(&bad).unwrap_err(),
            &catalogue::FACE_IDS_LENGTH_INVALID,
        );
        let good = post_json(
            &format!("/face/{version}/identify"),
            &format!(r#"{{"faceIds":["{GUID}"],"personGroupId":"g"}}"#),
        );
        assert_eq!(strict.check(&good), Ok(()));
        // Judged as the newest version: Person Directory CRUD is unknown.
        assert_eq!(
            strict.check(&put_json(
                &format!("/face/{version}/dynamicpersongroups/UPPER"),
                "{}"
            )),
            Ok(())
        );
    }
    // Older or malformed versions stay unknown.
    for version in [
        "v1.1",
        "v0.9",
        "v1.2-preview.2",
        "v1.3-preview.0",
        "latest",
        "v1.x",
        "v1.4-beta.1",
    ] {
        let bad = post_json(&format!("/face/{version}/identify"), &eleven);
        assert_eq!(strict.check(&bad), Ok(()), "{version}");
    }
}
