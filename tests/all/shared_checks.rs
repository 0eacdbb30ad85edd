//! The shared checks of every family, through `check`.

use crate::common::*;
use face_preflight::catalogue;
use http::Method;

#[test]
fn malformed_json_is_a_parsing_error() {
    for body in [
        "{",
        "{\"name\":}",
        "nul",
        "\u{feff}{",
        "{'name': 'a'",
        "{name: True}",
        "{'name': 'a' 'userData': 'b'}",
        "{'name': 'a\\q'}",
        "/* unterminated",
        // Json.NET wants the colon right after a name (issue #27).
        "{\"name\" /* c */ : \"x\"}",
        "{name // c\n : 'x'}",
    ] {
        assert_rejects(
            &put_json("/face/v1.2/persongroups/g", body),
            &catalogue::JSON_PARSING_ERROR,
        );
    }
    let mut non_utf8 = br#"{"name":""#.to_vec();
    non_utf8.extend_from_slice(b"\xff\xfe");
    assert_rejects(
        &request(
            Method::PUT,
            "/face/v1.2/persongroups/g",
            Some("application/json"),
            non_utf8,
        ),
        &catalogue::JSON_PARSING_ERROR,
    );
    let deep = format!("{{\"name\":{}", "[".repeat(100_000));
    assert_rejects(
        &put_json("/face/v1.2/persongroups/g", &deep),
        &catalogue::JSON_PARSING_ERROR,
    );
}

#[test]
fn wrong_shape_is_an_invalid_body() {
    for body in [
        "",
        "   ",
        "[]",
        "\"name\"",
        "42",
        "null",
        r#"{"name":{"first":"a"}}"#,
        r#"{"name":"a","userData":[]}"#,
        "{'name': ['a']}",
        r#"{"userData":"x"}"#,
    ] {
        assert_rejects(
            &put_json("/face/v1.2/persongroups/g", body),
            &catalogue::REQUEST_BODY_INVALID,
        );
    }
}

/// Bodies that strict JSON refuses but the service's .NET readers take
/// (Json.NET's defaults): judged by the same rules as their strict form.
#[test]
fn lenient_json_is_judged_like_strict_json() {
    let path = "/face/v1.2/persongroups/g";
    for body in [
        // Python's str(dict), in working sample code.
        "{'name': 'staff', 'userData': 'x'}",
        "{name: 'staff', recognitionModel: 'recognition_04'}",
        "{ // the group\n  \"name\": \"staff\", /* inline */ }",
        "{\"name\":\"a\"} trailing text that ASP.NET's reader never reads",
        // A number or boolean where a string goes: its text.
        r#"{"name":42}"#,
        r#"{"name":true}"#,
    ] {
        assert_passes(&put_json(path, body));
    }
    // Bytes that are not UTF-8 are read as U+FFFD by .NET's decoder.
    let mut latin1 = br#"{"name":"caf"#.to_vec();
    latin1.extend_from_slice(b"\xe9\"}");
    assert_passes(&request(
        Method::PUT,
        path,
        Some("application/json"),
        latin1,
    ));
    for (body, entry) in [
        ("{'name': ''}", catalogue::NAME_EMPTY),
        (
            "{name: 'a', recognitionModel: 'recognition_9'}",
            catalogue::RECOGNITION_MODEL_INVALID,
        ),
        ("{'userData': 'x'}", catalogue::REQUEST_BODY_INVALID),
        ("['name']", catalogue::REQUEST_BODY_INVALID),
    ] {
        assert_rejects(&put_json(path, body), &entry);
    }
    let long = format!("{{name: '{}'}}", "n".repeat(129));
    assert_rejects(&put_json(path, &long), &catalogue::NAME_TOO_LONG);
}

#[test]
fn recognition_model_names() {
    // `""` reads as null if the service binds the name to a nullable
    // enum (then the default model): left to the service.
    assert_passes(&put_json(
        "/face/v1.2/largepersongroups/g",
        r#"{"name":"n","recognitionModel":""}"#,
    ));
    for model in ["recognition_05", "recognition", " x ", "recognition_4"] {
        let body = format!(r#"{{"name":"n","recognitionModel":"{model}"}}"#);
        assert_rejects(
            &put_json("/face/v1.2/largepersongroups/g", &body),
            &catalogue::RECOGNITION_MODEL_INVALID,
        );
    }
    for model in ["recognition_01", "Recognition_04", "RECOGNITION_03"] {
        let body = format!(r#"{{"name":"n","recognitionModel":"{model}"}}"#);
        assert_passes(&put_json("/face/v1.2/largepersongroups/g", &body));
    }
    assert_rejects(
        &request(
            Method::POST,
            "/face/v1.2/detect?recognitionModel=recognition_9",
            Some("application/json"),
            r#"{"url":"https://a.b/c.jpg"}"#,
        ),
        &catalogue::RECOGNITION_MODEL_INVALID,
    );
}

#[test]
fn detection_model_names() {
    assert_rejects(
        &request(
            Method::POST,
            "/face/v1.2/detect?detectionModel=detection_04",
            Some("application/json"),
            r#"{"url":"https://a.b/c.jpg"}"#,
        ),
        &catalogue::DETECTION_MODEL_INVALID,
    );
    assert_rejects(
        &request(
            Method::POST,
            "/face/v1.2/facelists/f/persistedfaces?detectionModel=yolo",
            Some("application/json"),
            r#"{"url":"https://a.b/c.jpg"}"#,
        ),
        &catalogue::DETECTION_MODEL_INVALID,
    );
    assert_passes(&request(
        Method::POST,
        "/face/v1.2/detect?DetectionModel=Detection_03&recognitionModel=RECOGNITION_04",
        Some("application/json"),
        r#"{"url":"https://a.b/c.jpg"}"#,
    ));
}

#[test]
fn name_and_user_data_lengths() {
    let path = "/face/v1.2/persongroups/g";
    assert_rejects(&put_json(path, r#"{"name":""}"#), &catalogue::NAME_EMPTY);
    let long = "n".repeat(129);
    assert_rejects(
        &put_json(path, &format!(r#"{{"name":"{long}"}}"#)),
        &catalogue::NAME_TOO_LONG,
    );
    assert_passes(&put_json(
        path,
        &format!(r#"{{"name":"{}"}}"#, "n".repeat(128)),
    ));
    // Characters, not bytes.
    assert_passes(&put_json(
        path,
        &format!(r#"{{"name":"{}"}}"#, "é".repeat(128)),
    ));
    let data = "d".repeat(16 * 1024);
    assert_passes(&put_json(
        path,
        &format!(r#"{{"name":"n","userData":"{data}"}}"#),
    ));
    assert_rejects(
        &put_json(path, &format!(r#"{{"name":"n","userData":"{data}d"}}"#)),
        &catalogue::USER_DATA_TOO_LONG,
    );
    // Names of fields are matched without regard to case.
    assert_rejects(&put_json(path, r#"{"NAME":""}"#), &catalogue::NAME_EMPTY);
    assert_rejects(
        &put_json(path, &format!(r#"{{"Name":"{long}"}}"#)),
        &catalogue::NAME_TOO_LONG,
    );
}

#[test]
fn start_and_top_of_listings() {
    assert_rejects(
        &get(&format!("/face/v1.2/persongroups?start={}", "a".repeat(65))),
        &catalogue::START_TOO_LONG,
    );
    assert_passes(&get(&format!(
        "/face/v1.2/persongroups?start={}",
        "a".repeat(64)
    )));
    for top in ["0", "1001", "-1", "ten", "1.5", "99999999999999999999"] {
        assert_rejects(
            &get(&format!("/face/v1.2/largepersongroups?top={top}")),
            &catalogue::TOP_INVALID,
        );
    }
    for top in ["1", "1000", "", "+7"] {
        assert_passes(&get(&format!("/face/v1.2/largefacelists?top={top}")));
    }
    assert_rejects(
        &get("/face/v1.2/largefacelists?TOP=0"),
        &catalogue::TOP_INVALID,
    );
}

#[test]
fn collection_ids_in_the_path() {
    let id64 = "a".repeat(64);
    for (collection, create_error, address_error) in COLLECTION_ID_ERRORS {
        for bad in ["MyGroup", "a%20b", "a.b", &"a".repeat(65), "%C3%A9"] {
            let path = format!("/face/v1.2/{collection}/{bad}");
            assert_rejects(&put_json(&path, r#"{"name":"n"}"#), &create_error);
            assert_rejects(&get(&path), &address_error);
            assert_rejects(&delete(&path), &address_error);
        }
        assert_passes(&put_json(
            &format!("/face/v1.2/{collection}/{id64}"),
            r#"{"name":"n"}"#,
        ));
        assert_passes(&get(&format!("/face/v1.2/{collection}/my-group_01")));
        // Percent-encoded, the ID is read as the service decodes it.
        assert_passes(&get(&format!("/face/v1.2/{collection}/%61bc")));
    }
    assert_rejects(
        &put_json(
            "/face/v1.2-preview.1/dynamicpersongroups/Dyn",
            r#"{"name":"n"}"#,
        ),
        &catalogue::DYNAMIC_PERSON_GROUP_ID_NOT_FOUND,
    );
}

#[test]
fn credentials_are_not_required_by_default() {
    assert_passes(&get("/face/v1.2/persongroups"));
}

#[test]
fn unknown_requests_pass_through_whatever_their_body() {
    let bodies: [&[u8]; 4] = [b"", b"{", b"\xff\xfe\x00", b"[[[[[[[[[[[["];
    for path in [
        "/face/v1.3-preview.2/identify",
        "/face/v1.2/unknown",
        "/computervision/v3.2/analyze",
        "/face/v1.2/persongroups/UPPER/unknown",
        "/",
    ] {
        for body in bodies {
            for method in [Method::POST, Method::PUT, Method::GET, Method::OPTIONS] {
                assert_passes(&request(
                    method,
                    path,
                    Some("application/json"),
                    body.to_vec(),
                ));
            }
        }
    }
    // A known path with a body the rules do not read (another content type).
    assert_passes(&request(
        Method::PUT,
        "/face/v1.2/persongroups/g",
        Some("text/plain"),
        "{",
    ));
}

#[test]
fn no_input_panics() {
    let bodies: Vec<Vec<u8>> = vec![
        vec![],
        b"{".to_vec(),
        b"\xff\xd8\xff".to_vec(),
        vec![0xff; 5000],
        "[".repeat(200_000).into_bytes(),
        "{\"a\":".repeat(50_000).into_bytes(),
        br#"{"faceIds":[1e999999,-1e999999,18446744073709551616]}"#.to_vec(),
        br#"{"faceIds":"\ud800"}"#.to_vec(),
    ];
    let paths = [
        "/face/v1.2/detect?returnFaceAttributes=%ff,,age&targetFace=1,2",
        "/face/v1.2/identify",
        "/face/v1.0/verify",
        "/face/v1.2/findsimilars",
        "/face/v1.2/group",
        "/face/v1.2/persongroups/g/persons/p/persistedfaces?targetFace=-1,99999999999,3,4",
        "/face/v1.2-preview.1/persons",
        "/face/v1.2/detectLiveness-sessions",
        "/face/v1.1-preview.1/detectLivenessWithVerify/singleModal/sessions",
    ];
    for path in paths {
        for body in &bodies {
            for content_type in ["application/json", "application/octet-stream"] {
                for cut in [0, body.len().min(1), body.len() / 2, body.len()] {
                    let request =
                        request(Method::POST, path, Some(content_type), body[..cut].to_vec());
                    let _ = face_preflight::check(&request);
                }
            }
        }
    }
}

/// Issue #27: Json.NET converts a bare `NaN`, `Infinity` or `-Infinity` by
/// the property's type: a string property gets its text, a float property
/// its value, a boolean `true`.
#[test]
fn bare_literals_are_read_by_the_property_type() {
    // A name: the text "NaN", valid.
    for literal in ["NaN", "Infinity", "-Infinity"] {
        assert_passes(&put_json(
            "/face/v1.2/persongroups/g",
            &format!("{{'name': {literal}}}"),
        ));
        assert_passes(&post_json(
            "/face/v1.2/detect?returnFaceId=false",
            &format!("{{url: 'https://example.com/a.jpg', returnFaceId: {literal}}}"),
        ));
    }
    let identify = |threshold: &str| {
        post_json(
            "/face/v1.2/identify",
            &format!(
                "{{faceIds: ['{GUID}'], personGroupId: 'g', confidenceThreshold: {threshold}}}"
            ),
        )
    };
    // An infinity is outside [0, 1]; NaN is left to the service.
    assert_rejects(
        &identify("Infinity"),
        &catalogue::CONFIDENCE_THRESHOLD_INVALID,
    );
    assert_rejects(
        &identify("-Infinity"),
        &catalogue::CONFIDENCE_THRESHOLD_INVALID,
    );
    assert_passes(&identify("NaN"));
    // For an integer Json.NET refuses it; the service's answer to that is
    // not known here: it passes.
    assert_passes(&post_json(
        "/face/v1.2/identify",
        &format!("{{faceIds: ['{GUID}'], personGroupId: 'g', maxNumOfCandidatesReturned: NaN}}"),
    ));
}
