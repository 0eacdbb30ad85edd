//! Liveness and liveness-with-verify sessions.

use crate::common::*;
use bytes::Bytes;
use face_preflight::catalogue;
use http::{Method, Request};
use image::ImageFormat;

const PREVIEWS: [&str; 2] = ["v1.1-preview.1", "v1.2-preview.1"];
const DEVICE: &str = "723d6d03-ef33-40a8-9682-23a1feb7bccd";

fn create_path(version: &str, with_verify: bool) -> String {
    let kind = if with_verify {
        "detectLivenessWithVerify"
    } else {
        "detectLiveness"
    };
    if version == "v1.2" {
        format!("/face/v1.2/{kind}-sessions")
    } else {
        format!("/face/{version}/{kind}/singleModal/sessions")
    }
}

fn create(version: &str, body: &str) -> Request<Bytes> {
    post_json(&create_path(version, false), body)
}

/// A multipart body of `(name, file name, bytes)` parts.
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----face-preflight-boundary";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn post_form(path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Request<Bytes> {
    let (content_type, body) = form(parts);
    request(Method::POST, path, Some(&content_type), body)
}

fn verify_image() -> Vec<u8> {
    image_of(ImageFormat::Jpeg, 64, 64)
}

#[test]
fn valid_requests_of_every_operation_and_version() {
    let image = verify_image();
    for version in PREVIEWS {
        for with_verify in [false, true] {
            let sessions = create_path(version, with_verify);
            for body in [
                format!(r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","authTokenTimeToLiveInSeconds":60}}"#),
                // The official example: both the flag and an ID.
                format!(r#"{{"livenessOperationMode":"passive","sendResultsToClient":true,"deviceCorrelationIdSetInClient":true,"deviceCorrelationId":"{DEVICE}","authTokenTimeToLiveInSeconds":86400,"livenessSingleModalModel":"2022-10-15-preview.04"}}"#),
                r#"{"livenessOperationMode":"PassiveActive","deviceCorrelationIdSetInClient":true,"enableSessionImage":true}"#.to_owned(),
            ] {
                assert_passes(&post_json(&sessions, &body));
            }
            assert_passes(&get(&format!("{sessions}?start={DEVICE}&top=1000")));
            assert_passes(&get(&format!("{sessions}?top=1")));
            assert_passes(&get(&format!("{sessions}/{DEVICE}")));
            assert_passes(&delete(&format!("{sessions}/{DEVICE}")));
            assert_passes(&get(&format!("{sessions}/{DEVICE}/audit?start=42&top=1")));
        }
        let parameters = format!(
            r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","returnVerifyImageHash":true,"verifyConfidenceThreshold":0.4}}"#
        );
        assert_passes(&post_form(
            &create_path(version, true),
            &[
                ("Parameters", None, parameters.as_bytes()),
                ("VerifyImage", Some("face.jpg"), &image),
            ],
        ));
    }
    assert_passes(&get("/face/v1.2-preview.1/session/sessionImages/abc"));

    for with_verify in [false, true] {
        let sessions = create_path("v1.2", with_verify);
        assert_passes(&get(&format!("{sessions}/{DEVICE}")));
        assert_passes(&delete(&format!("{sessions}/{DEVICE}")));
    }
    assert_passes(&create(
        "v1.2",
        &format!(
            r#"{{"livenessOperationMode":"PassiveActive","deviceCorrelationId":"{DEVICE}","livenessModelVersion":"2024-11-15","enableSessionImage":true,"authTokenTimeToLiveInSeconds":600}}"#
        ),
    ));
    assert_passes(&post_form(
        &create_path("v1.2", true),
        &[
            ("livenessOperationMode", None, b"Passive"),
            ("deviceCorrelationId", None, DEVICE.as_bytes()),
            ("authTokenTimeToLiveInSeconds", None, b"60"),
            ("verifyConfidenceThreshold", None, b"0.5"),
            ("returnVerifyImageHash", None, b"true"),
            ("livenessModelVersion", None, b"2024-11-15"),
            ("verifyImage", Some("face.jpg"), &image),
        ],
    ));
    assert_passes(&get("/face/v1.2/sessionImages/abc"));
}

#[test]
fn liveness_operation_mode() {
    for version in ["v1.1-preview.1", "v1.2-preview.1", "v1.2"] {
        for mode in [r#""Active""#, r#""""#, r#""PassiveActiveX""#] {
            let body =
                format!(r#"{{"livenessOperationMode":{mode},"deviceCorrelationId":"{DEVICE}"}}"#);
            assert_rejects(
                &create(version, &body),
                &catalogue::INVALID_LIVENESS_OPERATION_MODE,
            );
        }
        assert_rejects(
            &create(version, &format!(r#"{{"deviceCorrelationId":"{DEVICE}"}}"#)),
            &catalogue::INVALID_LIVENESS_OPERATION_MODE,
        );
        // Json.NET's enum reader takes a number, `true` (1), a string of
        // digits or comma-joined names as a member's value, which this
        // crate cannot know, and trims a name: the service judges these.
        for mode in [
            "1",
            "true",
            r#""1""#,
            r#"" Passive ""#,
            r#""Passive, PassiveActive""#,
        ] {
            assert_passes(&create(
                version,
                &format!(r#"{{"livenessOperationMode":{mode},"deviceCorrelationId":"{DEVICE}"}}"#),
            ));
        }
    }
}

#[test]
fn device_correlation_id() {
    for version in ["v1.1-preview.1", "v1.2-preview.1", "v1.2"] {
        for bad in [
            r#"{"livenessOperationMode":"Passive"}"#.to_owned(),
            r#"{"livenessOperationMode":"Passive","deviceCorrelationId":""}"#.to_owned(),
            r#"{"livenessOperationMode":"Passive","deviceCorrelationId":null}"#.to_owned(),
            r#"{"livenessOperationMode":"Passive","deviceCorrelationIdSetInClient":false}"#
                .to_owned(),
            format!(
                r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{}"}}"#,
                "d".repeat(65)
            ),
            format!(
                r#"{{"livenessOperationMode":"Passive","deviceCorrelationIdSetInClient":true,"deviceCorrelationId":"{}"}}"#,
                "d".repeat(65)
            ),
        ] {
            assert_rejects(
                &create(version, &bad),
                &catalogue::INVALID_DEVICE_CORRELATION_ID,
            );
        }
        for ok in [
            format!(r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{}"}}"#, "d".repeat(64)),
            r#"{"livenessOperationMode":"Passive","deviceCorrelationIdSetInClient":true}"#.to_owned(),
            r#"{"livenessOperationMode":"Passive","DeviceCorrelationIdSetInClient":true,"deviceCorrelationId":""}"#.to_owned(),
        ] {
            assert_passes(&create(version, &ok));
        }
    }
}

#[test]
fn token_lifetime() {
    let with = |ttl: &str| {
        format!(
            r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","authTokenTimeToLiveInSeconds":{ttl}}}"#
        )
    };
    for version in ["v1.1-preview.1", "v1.2-preview.1", "v1.2"] {
        for bad in ["30", "59", "86401", "0", "-60"] {
            assert_rejects(
                &create(version, &with(bad)),
                &catalogue::INVALID_TOKEN_LIFETIME,
            );
        }
        // Json.NET reads a quoted integer by its value.
        for ok in [
            "60",
            "600",
            "86400",
            "600.0",
            r#""600""#,
            r#"" 600 ""#,
            "600.5",
            "59.5",
            // Json.NET refuses a fraction for an integer: left to the
            // service, whatever its value (issue #27).
            "59.4",
            "86400.6",
        ] {
            assert_passes(&create(version, &with(ok)));
        }
        for bad in [r#""30""#, r#"" 86401 ""#] {
            assert_rejects(
                &create(version, &with(bad)),
                &catalogue::INVALID_TOKEN_LIFETIME,
            );
        }
        for shape in [r#""600.5""#, r#""ten minutes""#, "99999999999", "[600]"] {
            assert_rejects(
                &create(version, &with(shape)),
                &catalogue::LIVENESS_REQUEST_BODY_INVALID,
            );
        }
    }
}

#[test]
fn wrong_shapes_are_invalid_request_bodies() {
    for version in ["v1.1-preview.1", "v1.2-preview.1", "v1.2"] {
        for body in [
            "".to_owned(),
            "{".to_owned(),
            "[]".to_owned(),
            r#""Passive""#.to_owned(),
            r#"{"livenessOperationMode":["Passive"]}"#.to_owned(),
            format!(
                r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","deviceCorrelationIdSetInClient":"yes"}}"#
            ),
            r#"{"livenessOperationMode":"Passive","deviceCorrelationId":{"id":42}}"#.to_owned(),
            format!(
                r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","enableSessionImage":"sometimes"}}"#
            ),
        ] {
            assert_rejects(
                &create(version, &body),
                &catalogue::LIVENESS_REQUEST_BODY_INVALID,
            );
        }
    }
    // Model versions take the values of their version.
    let model = |field: &str, value: &str| {
        format!(
            r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","{field}":"{value}"}}"#
        )
    };
    assert_rejects(
        &create(
            "v1.2",
            &model("livenessModelVersion", "2022-10-15-preview.04"),
        ),
        &catalogue::LIVENESS_REQUEST_BODY_INVALID,
    );
    for version in PREVIEWS {
        assert_passes(&create(
            version,
            &model("livenessSingleModalModel", "2023-12-20-preview.06"),
        ));
        assert_rejects(
            &create(version, &model("livenessSingleModalModel", "2024-11-15")),
            &catalogue::LIVENESS_REQUEST_BODY_INVALID,
        );
    }
    let threshold = format!(
        r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","verifyConfidenceThreshold":1.5}}"#
    );
    assert_rejects(
        &post_json(&create_path("v1.2-preview.1", true), &threshold),
        &catalogue::LIVENESS_REQUEST_BODY_INVALID,
    );
}

#[test]
fn listings() {
    for version in PREVIEWS {
        for with_verify in [false, true] {
            let sessions = create_path(version, with_verify);
            for top in ["0", "1001", "x"] {
                assert_rejects(
                    &get(&format!("{sessions}?top={top}")),
                    &catalogue::LIVENESS_TOP_INVALID,
                );
                assert_rejects(
                    &get(&format!("{sessions}/{DEVICE}/audit?top={top}")),
                    &catalogue::LIVENESS_TOP_INVALID,
                );
            }
            assert_rejects(
                &get(&format!("{sessions}/{DEVICE}/audit?start=last")),
                &catalogue::LIVENESS_START_INVALID,
            );
            // A session listing's start is a session ID, whose form is not documented.
            assert_passes(&get(&format!("{sessions}?start=last")));
        }
    }
    // v1.2 has no listings: the paths are unknown and pass.
    assert_passes(&get("/face/v1.2/detectLiveness-sessions?top=0"));
}

#[test]
fn verify_image_forms() {
    let image = verify_image();
    let parameters =
        format!(r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}"}}"#);
    let tiff = image_of(ImageFormat::Tiff, 64, 64);
    for version in PREVIEWS {
        let path = create_path(version, true);
        assert_rejects(
            &post_form(&path, &[("Parameters", None, parameters.as_bytes())]),
            &catalogue::LIVENESS_REQUEST_BODY_INVALID,
        );
        assert_rejects(
            &post_form(&path, &[("VerifyImage", Some("f.jpg"), &image)]),
            &catalogue::LIVENESS_REQUEST_BODY_INVALID,
        );
        assert_rejects(
            &post_form(
                &path,
                &[
                    ("Parameters", None, b"{"),
                    ("VerifyImage", Some("f.jpg"), &image),
                ],
            ),
            &catalogue::LIVENESS_REQUEST_BODY_INVALID,
        );
        assert_rejects(
            &post_form(
                &path,
                &[
                    ("Parameters", None, parameters.as_bytes()),
                    ("VerifyImage", Some("f.jpg"), &[0xff; 600]),
                ],
            ),
            &catalogue::IMAGE_TOO_SMALL,
        );
        // A stream read once and not rewound: an empty image part.
        assert_rejects(
            &post_form(
                &path,
                &[
                    ("Parameters", None, parameters.as_bytes()),
                    ("VerifyImage", Some("f.jpg"), &[]),
                ],
            ),
            &catalogue::IMAGE_TOO_SMALL,
        );
        assert_rejects(
            &post_form(
                &path,
                &[
                    ("Parameters", None, parameters.as_bytes()),
                    ("VerifyImage", Some("f.tif"), &tiff),
                ],
            ),
            &catalogue::IMAGE_FORMAT_UNSUPPORTED,
        );
        let short_lived = format!(
            r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}","authTokenTimeToLiveInSeconds":30}}"#
        );
        assert_rejects(
            &post_form(
                &path,
                &[
                    ("Parameters", None, short_lived.as_bytes()),
                    ("VerifyImage", Some("f.jpg"), &image),
                ],
            ),
            &catalogue::INVALID_TOKEN_LIFETIME,
        );
        // Part names in any case.
        assert_passes(&post_form(
            &path,
            &[
                ("parameters", None, parameters.as_bytes()),
                ("verifyImage", Some("f.jpg"), &image),
            ],
        ));
    }
    let path = create_path("v1.2", true);
    let fields = |mode: &'static [u8],
                  ttl: &'static [u8]|
     -> Vec<(&'static str, Option<&'static str>, &'static [u8])> {
        vec![
            ("livenessOperationMode", None, mode),
            ("deviceCorrelationId", None, DEVICE.as_bytes()),
            ("authTokenTimeToLiveInSeconds", None, ttl),
        ]
    };
    let with_image = |mut parts: Vec<(&'static str, Option<&'static str>, &'static [u8])>,
                      image: &'static [u8]| {
        parts.push(("verifyImage", Some("f.jpg"), image));
        parts
    };
    let image: &'static [u8] = Box::leak(image.into_boxed_slice());
    assert_rejects(
        &post_form(&path, &with_image(fields(b"Active", b"60"), image)),
        &catalogue::INVALID_LIVENESS_OPERATION_MODE,
    );
    assert_rejects(
        &post_form(&path, &with_image(fields(b"Passive", b"30"), image)),
        &catalogue::INVALID_TOKEN_LIFETIME,
    );
    assert_rejects(
        &post_form(&path, &with_image(fields(b"Passive", b"sixty"), image)),
        &catalogue::LIVENESS_REQUEST_BODY_INVALID,
    );
    assert_rejects(
        &post_form(&path, &fields(b"Passive", b"60")),
        &catalogue::LIVENESS_REQUEST_BODY_INVALID,
    );
    assert_rejects(
        &post_form(&path, &with_image(fields(b"Passive", b"60"), &[1; 700])),
        &catalogue::IMAGE_TOO_SMALL,
    );
    // A body that is no form at all.
    let broken = request(
        Method::POST,
        &path,
        Some("multipart/form-data; boundary=x"),
        &b"not a form"[..],
    );
    assert_rejects(&broken, &catalogue::LIVENESS_REQUEST_BODY_INVALID);
    let no_boundary = request(
        Method::POST,
        &path,
        Some("multipart/form-data"),
        &b"--x--"[..],
    );
    assert_rejects(&no_boundary, &catalogue::LIVENESS_REQUEST_BODY_INVALID);
    // v1.2 takes a form only: a JSON body is the service's to refuse.
    assert_passes(&post_json(&path, "{}"));
}

#[test]
fn a_form_with_a_6_mb_image_is_not_too_big() {
    let mut image = verify_image();
    image.resize(face_preflight::MAX_IMAGE_BYTES, 0);
    let parameters =
        format!(r#"{{"livenessOperationMode":"Passive","deviceCorrelationId":"{DEVICE}"}}"#);
    let path = create_path("v1.2-preview.1", true);
    let request = post_form(
        &path,
        &[
            ("Parameters", None, parameters.as_bytes()),
            ("VerifyImage", Some("f.jpg"), &image),
        ],
    );
    assert!(request.body().len() > face_preflight::MAX_IMAGE_BYTES);
    assert_passes(&request);
    image.push(0);
    let request = post_form(
        &path,
        &[
            ("Parameters", None, parameters.as_bytes()),
            ("VerifyImage", Some("f.jpg"), &image),
        ],
    );
    assert_rejects(&request, &catalogue::IMAGE_TOO_BIG);
    image.resize(7_000_000, 0);
    let request = post_form(
        &path,
        &[
            ("Parameters", None, parameters.as_bytes()),
            ("VerifyImage", Some("f.jpg"), &image),
        ],
    );
    assert_rejects(&request, &catalogue::IMAGE_TOO_BIG);
}
