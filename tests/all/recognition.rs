//! Identify, verify, find similar and group.

use crate::common::*;
use face_preflight::catalogue;

const VERSIONS: [&str; 4] = ["v1.0", "v1.1-preview.1", "v1.2-preview.1", "v1.2"];

fn ids_json(n: usize) -> String {
    serde_json::to_string(&guids(n)).unwrap()
}

fn identify(version: &str, body: &str) -> http::Request<bytes::Bytes> {
    post_json(&format!("/face/{version}/identify"), body)
}

#[test]
fn identify_face_ids_length() {
    for version in VERSIONS {
        for n in [0, 11, 100] {
            let body = format!(r#"{{"faceIds":{},"personGroupId":"staff"}}"#, ids_json(n));
            assert_rejects(
                &identify(version, &body),
                &catalogue::FACE_IDS_LENGTH_INVALID,
            );
        }
        for n in [1, 10] {
            let body = format!(
                r#"{{"faceIds":{},"largePersonGroupId":"staff"}}"#,
                ids_json(n)
            );
            assert_passes(&identify(version, &body));
        }
    }
}

#[test]
fn identify_numbers() {
    let with = |extra: &str| {
        format!(
            r#"{{"faceIds":{},"personGroupId":"g",{extra}}}"#,
            ids_json(1)
        )
    };
    for bad in ["0", "101", "-5"] {
        assert_rejects(
            &identify(
                "v1.2",
                &with(&format!(r#""maxNumOfCandidatesReturned":{bad}"#)),
            ),
            &catalogue::MAX_NUM_OF_CANDIDATES_INVALID,
        );
    }
    for ok in ["1", "100", "100.0"] {
        assert_passes(&identify(
            "v1.2",
            &with(&format!(r#""maxNumOfCandidatesReturned":{ok}"#)),
        ));
    }
    for bad in ["-0.01", "1.0001", "2"] {
        assert_rejects(
            &identify("v1.2", &with(&format!(r#""confidenceThreshold":{bad}"#))),
            &catalogue::CONFIDENCE_THRESHOLD_INVALID,
        );
    }
    for ok in ["0", "1", "0.5", "1.0", "0.0"] {
        assert_passes(&identify(
            "v1.2",
            &with(&format!(r#""confidenceThreshold":{ok}"#)),
        ));
    }
    // A quoted number is read by its value; a fraction where an integer
    // goes is refused by Json.NET's integer reader, and the service's
    // answer to that is not known: it passes, whatever its value.
    for ok in [
        r#""maxNumOfCandidatesReturned":1.5"#,
        r#""maxNumOfCandidatesReturned":100.6"#,
        r#""maxNumOfCandidatesReturned":1e3"#,
        r#""maxNumOfCandidatesReturned":"10""#,
        r#""maxNumOfCandidatesReturned":" +100 ""#,
        r#""confidenceThreshold":"0.5""#,
        r#""confidenceThreshold":" 1 ""#,
        // Json.NET's float reader takes a boolean as 1 or 0.
        r#""confidenceThreshold":true"#,
        r#""confidenceThreshold":false"#,
    ] {
        assert_passes(&identify("v1.2", &with(ok)));
    }
    for (bad, entry) in [
        (
            r#""maxNumOfCandidatesReturned":"101""#,
            catalogue::MAX_NUM_OF_CANDIDATES_INVALID,
        ),
        (
            r#""confidenceThreshold":"1.5""#,
            catalogue::CONFIDENCE_THRESHOLD_INVALID,
        ),
    ] {
        assert_rejects(&identify("v1.2", &with(bad)), &entry);
    }
    // No .NET conversion reads these: a fraction in a string where an
    // integer goes, text, numbers beyond int32.
    for shape in [
        r#""maxNumOfCandidatesReturned":"1.5""#,
        r#""maxNumOfCandidatesReturned":"ten""#,
        r#""maxNumOfCandidatesReturned":[10]"#,
        r#""maxNumOfCandidatesReturned":9223372036854775808"#,
        r#""maxNumOfCandidatesReturned":2147483648"#,
        r#""confidenceThreshold":"half""#,
    ] {
        assert_rejects(
            &identify("v1.2", &with(shape)),
            &catalogue::REQUEST_BODY_INVALID,
        );
    }
}

#[test]
fn identify_face_ids_must_be_guids() {
    for body in [
        r#"{"faceIds":["not-a-guid"],"personGroupId":"g"}"#,
        r#"{"faceIds":[42],"personGroupId":"g"}"#,
        r#"{"faceIds":{"faces":["x"]},"personGroupId":"g"}"#,
        r#"{"faceIds":"c5c24a82-6845-4031-9d5d-978df9175426","personGroupId":"g"}"#,
        r#"{"personGroupId":"g"}"#,
    ] {
        assert_rejects(&identify("v1.2", body), &catalogue::REQUEST_BODY_INVALID);
    }
}

#[test]
fn identify_scope_in_v1_0() {
    let ids = ids_json(2);
    assert_rejects(
        &identify("v1.0", &format!(r#"{{"faceIds":{ids}}}"#)),
        &catalogue::GROUP_IDS_BOTH_NULL,
    );
    assert_rejects(
        &identify(
            "v1.0",
            &format!(r#"{{"faceIds":{ids},"personGroupId":"a","largePersonGroupId":"b"}}"#),
        ),
        &catalogue::GROUP_IDS_BOTH_NOT_NULL,
    );
    assert_passes(&identify(
        "v1.0",
        &format!(r#"{{"faceIds":{ids},"personGroupId":"a","largePersonGroupId":null}}"#),
    ));
}

#[test]
fn identify_scope_in_later_versions() {
    let ids = ids_json(2);
    for version in ["v1.1-preview.1", "v1.2-preview.1", "v1.2"] {
        assert_rejects(
            &identify(version, &format!(r#"{{"faceIds":{ids}}}"#)),
            &catalogue::MISSING_IDENTIFICATION_SCOPE,
        );
        assert_rejects(
            &identify(
                version,
                &format!(r#"{{"faceIds":{ids},"personGroupId":"a","largePersonGroupId":"b"}}"#),
            ),
            &catalogue::GROUP_IDS_BOTH_NOT_NULL,
        );
        for combination in [
            r#""personGroupId":"a","dynamicPersonGroupId":"b""#,
            r#""largePersonGroupId":"a","personIds":["*"]"#,
            r#""dynamicPersonGroupId":"a","personIds":["*"]"#,
            r#""personGroupId":"a","largePersonGroupId":"b","dynamicPersonGroupId":"c""#,
        ] {
            assert_rejects(
                &identify(version, &format!(r#"{{"faceIds":{ids},{combination}}}"#)),
                &catalogue::INCOMPATIBLE_IDENTIFICATION_SCOPE,
            );
        }
        for scope in [
            r#""personGroupId":"a""#,
            r#""largePersonGroupId":"a""#,
            r#""dynamicPersonGroupId":"a""#,
            r#""personIds":["*"]"#,
            r#""personIds":["c5c24a82-6845-4031-9d5d-978df9175426"]"#,
            r#""PERSONGROUPID":"a""#,
        ] {
            assert_passes(&identify(
                version,
                &format!(r#"{{"faceIds":{ids},{scope}}}"#),
            ));
        }
        for shape in [
            r#""personIds":["someone"]"#,
            r#""personIds":"*""#,
            r#""personGroupId":{"id":7}"#,
        ] {
            assert_rejects(
                &identify(version, &format!(r#"{{"faceIds":{ids},{shape}}}"#)),
                &catalogue::REQUEST_BODY_INVALID,
            );
        }
    }
}

#[test]
fn identify_group_ids() {
    let ids = ids_json(1);
    let long = "g".repeat(65);
    for (field, entry) in [
        ("personGroupId", catalogue::PERSON_GROUP_ID_INVALID),
        (
            "largePersonGroupId",
            catalogue::LARGE_PERSON_GROUP_ID_INVALID,
        ),
        (
            "dynamicPersonGroupId",
            catalogue::DYNAMIC_PERSON_GROUP_ID_INVALID,
        ),
    ] {
        for bad in ["Staff", "a b", long.as_str(), ""] {
            assert_rejects(
                &identify("v1.2", &format!(r#"{{"faceIds":{ids},"{field}":"{bad}"}}"#)),
                &entry,
            );
        }
        assert_passes(&identify(
            "v1.2",
            &format!(r#"{{"faceIds":{ids},"{field}":"{}"}}"#, "g".repeat(64)),
        ));
    }
}

fn verify(version: &str, body: &str) -> http::Request<bytes::Bytes> {
    post_json(&format!("/face/{version}/verify"), body)
}

#[test]
fn verify_face_to_face() {
    for version in VERSIONS {
        assert_passes(&verify(
            version,
            &format!(r#"{{"faceId1":"{GUID}","faceId2":"{GUID2}"}}"#),
        ));
        assert_passes(&verify(
            version,
            &format!(r#"{{"FaceID1":"{GUID}","faceid2":"{GUID2}"}}"#),
        ));
        assert_rejects(
            &verify(
                version,
                &format!(r#"{{"faceId1":"x","faceId2":"{GUID2}"}}"#),
            ),
            &catalogue::FACE_ID_INVALID,
        );
        assert_rejects(
            &verify(
                version,
                &format!(r#"{{"faceId1":"{GUID}","faceId2":"1234"}}"#),
            ),
            &catalogue::FACE_ID_INVALID,
        );
        assert_rejects(
            &verify(version, &format!(r#"{{"faceId1":"{GUID}"}}"#)),
            &catalogue::REQUEST_BODY_INVALID,
        );
        // A number is read as its text, which is no GUID.
        assert_rejects(
            &verify(version, &format!(r#"{{"faceId1":"{GUID}","faceId2":5}}"#)),
            &catalogue::FACE_ID_INVALID,
        );
        assert_rejects(
            &verify(version, &format!(r#"{{"faceId1":"{GUID}","faceId2":[5]}}"#)),
            &catalogue::REQUEST_BODY_INVALID,
        );
    }
}

#[test]
fn verify_face_to_person() {
    for version in VERSIONS {
        for group in [
            r#""personGroupId":"staff""#,
            r#""largePersonGroupId":"staff""#,
        ] {
            assert_passes(&verify(
                version,
                &format!(r#"{{"faceId":"{GUID}","personId":"{GUID2}",{group}}}"#),
            ));
            assert_rejects(
                &verify(
                    version,
                    &format!(r#"{{"faceId":"f","personId":"{GUID2}",{group}}}"#),
                ),
                &catalogue::FACE_ID_INVALID,
            );
            assert_rejects(
                &verify(
                    version,
                    &format!(r#"{{"faceId":"{GUID}","personId":"p",{group}}}"#),
                ),
                &catalogue::PERSON_ID_INVALID,
            );
        }
        assert_rejects(
            &verify(
                version,
                &format!(r#"{{"faceId":"{GUID}","personId":"{GUID2}","personGroupId":"Staff"}}"#),
            ),
            &catalogue::PERSON_GROUP_ID_INVALID,
        );
        assert_rejects(
            &verify(
                version,
                &format!(
                    r#"{{"faceId":"{GUID}","personId":"{GUID2}","largePersonGroupId":"Staff"}}"#
                ),
            ),
            &catalogue::LARGE_PERSON_GROUP_ID_INVALID,
        );
        assert_rejects(
            &verify(
                version,
                &format!(r#"{{"faceId":"{GUID}","personGroupId":"s"}}"#),
            ),
            &catalogue::REQUEST_BODY_INVALID,
        );
        assert_rejects(
            &verify(version, r#"{"personGroupId":"s"}"#),
            &catalogue::REQUEST_BODY_INVALID,
        );
        assert_rejects(&verify(version, "{}"), &catalogue::REQUEST_BODY_INVALID);
    }
    // Person Directory: no group, from v1.1-preview.1 on.
    let directory = format!(r#"{{"faceId":"{GUID}","personId":"{GUID2}"}}"#);
    assert_rejects(
        &verify("v1.0", &directory),
        &catalogue::REQUEST_BODY_INVALID,
    );
    for version in ["v1.1-preview.1", "v1.2-preview.1", "v1.2"] {
        assert_passes(&verify(version, &directory));
    }
}

fn find_similar(body: &str) -> http::Request<bytes::Bytes> {
    post_json("/face/v1.2/findsimilars", body)
}

#[test]
fn find_similar_sources() {
    assert_rejects(
        &find_similar(&format!(r#"{{"faceId":"{GUID}"}}"#)),
        &catalogue::FACE_SOURCES_ALL_NULL,
    );
    assert_rejects(
        &find_similar(&format!(r#"{{"faceId":"{GUID}","faceListId":null}}"#)),
        &catalogue::FACE_SOURCES_ALL_NULL,
    );
    for two in [
        r#""faceListId":"a","largeFaceListId":"b""#,
        r#""faceListId":"a","faceIds":["c5c24a82-6845-4031-9d5d-978df9175426"]"#,
        r#""largeFaceListId":"a","faceIds":[]"#,
    ] {
        assert_rejects(
            &find_similar(&format!(r#"{{"faceId":"{GUID}",{two}}}"#)),
            &catalogue::TWO_OR_MORE_FACE_SOURCES,
        );
    }
    assert_rejects(
        &find_similar(&format!(r#"{{"faceId":"{GUID}","faceListId":""}}"#)),
        &catalogue::NOT_EXACTLY_ONE_FACE_SOURCE,
    );
    assert_rejects(
        &find_similar(&format!(r#"{{"faceId":"{GUID}","faceListId":"Bad"}}"#)),
        &catalogue::FACE_LIST_ID_INVALID,
    );
    assert_rejects(
        &find_similar(&format!(r#"{{"faceId":"{GUID}","largeFaceListId":"Bad"}}"#)),
        &catalogue::LARGE_FACE_LIST_ID_INVALID,
    );
    for one in [
        r#""faceListId":"list""#,
        r#""largeFaceListId":"list""#,
        r#""FACEIDS":["c5c24a82-6845-4031-9d5d-978df9175426"]"#,
    ] {
        assert_passes(&find_similar(&format!(r#"{{"faceId":"{GUID}",{one}}}"#)));
    }
}

#[test]
fn find_similar_limits() {
    for n in [0, 1001] {
        assert_rejects(
            &find_similar(&format!(
                r#"{{"faceId":"{GUID}","faceIds":{}}}"#,
                ids_json(n)
            )),
            &catalogue::FACE_IDS_LENGTH_INVALID,
        );
    }
    assert_passes(&find_similar(&format!(
        r#"{{"faceId":"{GUID}","faceIds":{}}}"#,
        ids_json(1000)
    )));
    for bad in ["0", "1001"] {
        assert_rejects(
            &find_similar(&format!(
                r#"{{"faceId":"{GUID}","faceListId":"l","maxNumOfCandidatesReturned":{bad}}}"#
            )),
            &catalogue::MAX_NUM_OF_CANDIDATES_INVALID,
        );
    }
    for ok in ["1", "1000"] {
        assert_passes(&find_similar(&format!(
            r#"{{"faceId":"{GUID}","faceListId":"l","maxNumOfCandidatesReturned":{ok}}}"#
        )));
    }
}

#[test]
fn find_similar_mode_and_shape() {
    for mode in ["matchPerson", "matchFace", "MATCHFACE"] {
        assert_passes(&find_similar(&format!(
            r#"{{"faceId":"{GUID}","faceListId":"l","mode":"{mode}"}}"#
        )));
    }
    // An enum member by its value, or `""` (null to a nullable enum, so
    // the default mode): the service's to judge.
    for mode in ["1", r#""1""#, r#""""#, "true"] {
        assert_passes(&find_similar(&format!(
            r#"{{"faceId":"{GUID}","faceListId":"l","mode":{mode}}}"#
        )));
    }
    for mode in ["match", "match face", "matchPersons"] {
        assert_rejects(
            &find_similar(&format!(
                r#"{{"faceId":"{GUID}","faceListId":"l","mode":"{mode}"}}"#
            )),
            &catalogue::MODE_INVALID,
        );
    }
    for shape in [
        r#"{"faceListId":"l"}"#.to_owned(),
        r#"{"faceId":"x","faceListId":"l"}"#.to_owned(),
        format!(r#"{{"faceId":"{GUID}","faceListId":"l","mode":[1]}}"#),
        format!(r#"{{"faceId":"{GUID}","faceIds":["x"]}}"#),
    ] {
        assert_rejects(&find_similar(&shape), &catalogue::REQUEST_BODY_INVALID);
    }
}

#[test]
fn group_face_ids() {
    for version in VERSIONS {
        let path = format!("/face/{version}/group");
        for n in [0, 1, 1001] {
            assert_rejects(
                &post_json(&path, &format!(r#"{{"faceIds":{}}}"#, ids_json(n))),
                &catalogue::FACE_IDS_LENGTH_INVALID,
            );
        }
        for n in [2, 1000] {
            assert_passes(&post_json(
                &path,
                &format!(r#"{{"faceIds":{}}}"#, ids_json(n)),
            ));
        }
        assert_rejects(
            &post_json(&path, r#"{"faceIds":["a","b"]}"#),
            &catalogue::REQUEST_BODY_INVALID,
        );
        assert_rejects(&post_json(&path, "{}"), &catalogue::REQUEST_BODY_INVALID);
    }
}
