//! Face lists, large face lists, person groups, large person groups and
//! Person Directory.

use crate::common::*;
use bytes::Bytes;
use face_preflight::{catalogue, PreflightLayer};
use http::Request;
use tower::{Layer, ServiceExt};

const VERSIONS: [&str; 4] = ["v1.0", "v1.1-preview.1", "v1.2-preview.1", "v1.2"];
const PREVIEWS: [&str; 2] = ["v1.1-preview.1", "v1.2-preview.1"];
const URL_BODY: &str = r#"{"url":"https://example.com/face.jpg"}"#;

fn id64() -> String {
    "a-_9".repeat(16)
}

fn name_at_max() -> String {
    format!(
        r#"{{"name":"{}","userData":"{}","recognitionModel":"recognition_04"}}"#,
        "n".repeat(128),
        "u".repeat(16384)
    )
}

/// A valid request of every collection operation of `version`.
fn valid_requests(version: &str) -> Vec<Request<Bytes>> {
    let v = format!("/face/{version}");
    let id = id64();
    let name = name_at_max();
    let face_data = format!(r#"{{"userData":"{}"}}"#, "u".repeat(1024));
    let mut requests = vec![
        get(&format!("{v}/facelists")),
        get(&format!("{v}/facelists/{id}?returnRecognitionModel=true")),
        put_json(&format!("{v}/facelists/{id}"), &name),
        patch_json(&format!("{v}/facelists/{id}"), r#"{"name":"n"}"#),
        delete(&format!("{v}/facelists/{id}")),
        post_json(
            &format!("{v}/facelists/{id}/persistedfaces?userData=x&detectionModel=detection_03"),
            URL_BODY,
        ),
        delete(&format!("{v}/facelists/{id}/persistedfaces/{GUID2}")),
    ];
    for (collection, faces) in [
        ("largefacelists", true),
        ("persongroups", false),
        ("largepersongroups", false),
    ] {
        let base = format!("{v}/{collection}");
        requests.extend([
            get(&format!("{base}?start={}&top=1", "s".repeat(64))),
            get(&format!("{base}?top=1000")),
            get(&format!("{base}/{id}")),
            put_json(&format!("{base}/{id}"), &name),
            patch_json(&format!("{base}/{id}"), r#"{"userData":"u"}"#),
            delete(&format!("{base}/{id}")),
            post_json(&format!("{base}/{id}/train"), ""),
            get(&format!("{base}/{id}/training")),
        ]);
        let owner = if faces {
            base.clone() + "/" + &id
        } else {
            requests.extend([
                get(&format!("{base}/{id}/persons?top=1000&start={GUID}")),
                post_json(
                    &format!("{base}/{id}/persons"),
                    r#"{"name":"person","userData":"u"}"#,
                ),
                get(&format!("{base}/{id}/persons/{GUID}")),
                patch_json(&format!("{base}/{id}/persons/{GUID}"), r#"{"name":"p"}"#),
                delete(&format!("{base}/{id}/persons/{GUID}")),
            ]);
            format!("{base}/{id}/persons/{GUID}")
        };
        if faces {
            requests.push(get(&format!("{owner}/persistedfaces?top=1")));
        }
        requests.extend([
            post_json(
                &format!("{owner}/persistedfaces?targetFace=1,2,3,4"),
                URL_BODY,
            ),
            post_image(
                &format!("{owner}/persistedfaces"),
                image_of(image::ImageFormat::Png, 40, 40),
            ),
            get(&format!("{owner}/persistedfaces/{GUID2}")),
            patch_json(&format!("{owner}/persistedfaces/{GUID2}"), &face_data),
            delete(&format!("{owner}/persistedfaces/{GUID2}")),
        ]);
    }
    requests
}

#[test]
fn every_collection_operation_has_a_passing_request_in_every_version() {
    for version in VERSIONS {
        for request in valid_requests(version) {
            assert_passes(&request);
        }
    }
}

#[test]
fn collection_id_rows_per_operation() {
    let bad = "Bad.ID";
    for version in VERSIONS {
        let v = format!("/face/{version}");
        for (collection, create, address) in COLLECTION_ID_ERRORS {
            let base = format!("{v}/{collection}/{bad}");
            assert_rejects(&put_json(&base, r#"{"name":"n"}"#), &create);
            for request in [
                get(&base),
                patch_json(&base, r#"{"name":"n"}"#),
                delete(&base),
                post_json(&format!("{base}/persistedfaces"), URL_BODY),
            ] {
                if collection.ends_with("groups")
                    && request.uri().path().ends_with("persistedfaces")
                {
                    continue;
                }
                assert_rejects(&request, &address);
            }
            if collection != "facelists" {
                assert_rejects(&post_json(&format!("{base}/train"), ""), &address);
                assert_rejects(&get(&format!("{base}/training")), &address);
            }
            if collection.ends_with("groups") {
                assert_rejects(&get(&format!("{base}/persons")), &address);
                assert_rejects(
                    &post_json(&format!("{base}/persons"), r#"{"name":"n"}"#),
                    &address,
                );
                assert_rejects(
                    &get(&format!("{base}/persons/{GUID}/persistedfaces/{GUID2}")),
                    &address,
                );
            }
        }
        assert_rejects(
            &put_json(
                &format!("{v}/persongroups/{}", "a".repeat(65)),
                r#"{"name":"n"}"#,
            ),
            &catalogue::PERSON_GROUP_ID_INVALID,
        );
    }
}

#[test]
fn person_and_persisted_face_ids() {
    for version in VERSIONS {
        let v = format!("/face/{version}");
        for group in ["persongroups", "largepersongroups"] {
            let person = format!("{v}/{group}/g/persons");
            for request in [
                get(&format!("{person}/not-a-guid")),
                patch_json(&format!("{person}/not-a-guid"), r#"{"name":"n"}"#),
                delete(&format!("{person}/123")),
                post_json(&format!("{person}/x/persistedfaces"), URL_BODY),
            ] {
                assert_rejects(&request, &catalogue::PERSON_ID_NOT_FOUND);
            }
            for request in [
                get(&format!("{person}/{GUID}/persistedfaces/face")),
                delete(&format!("{person}/{GUID}/persistedfaces/1")),
            ] {
                assert_rejects(&request, &catalogue::PERSISTED_FACE_ID_NOT_FOUND);
            }
        }
        assert_rejects(
            &delete(&format!("{v}/facelists/f/persistedfaces/x")),
            &catalogue::PERSISTED_FACE_ID_NOT_FOUND,
        );
        assert_rejects(
            &patch_json(&format!("{v}/largefacelists/f/persistedfaces/x"), "{}"),
            &catalogue::PERSISTED_FACE_ID_NOT_FOUND,
        );
    }
}

#[test]
fn create_and_update_bodies() {
    for version in VERSIONS {
        let v = format!("/face/{version}");
        for collection in [
            "facelists",
            "largefacelists",
            "persongroups",
            "largepersongroups",
        ] {
            let path = format!("{v}/{collection}/c");
            assert_rejects(&put_json(&path, r#"{"name":""}"#), &catalogue::NAME_EMPTY);
            assert_rejects(
                &put_json(&path, &format!(r#"{{"name":"{}"}}"#, "n".repeat(129))),
                &catalogue::NAME_TOO_LONG,
            );
            assert_rejects(
                &put_json(
                    &path,
                    &format!(r#"{{"name":"n","userData":"{}"}}"#, "u".repeat(16385)),
                ),
                &catalogue::USER_DATA_TOO_LONG,
            );
            assert_rejects(
                &put_json(&path, r#"{"name":"n","recognitionModel":"recognition_00"}"#),
                &catalogue::RECOGNITION_MODEL_INVALID,
            );
            assert_rejects(
                &patch_json(&path, r#"{"name":"","userData":"u"}"#),
                &catalogue::NAME_EMPTY,
            );
            assert_rejects(
                &patch_json(&path, &format!(r#"{{"userData":"{}"}}"#, "u".repeat(16385))),
                &catalogue::USER_DATA_TOO_LONG,
            );
        }
        for group in ["persongroups", "largepersongroups"] {
            let persons = format!("{v}/{group}/g/persons");
            assert_rejects(
                &post_json(&persons, r#"{"name":""}"#),
                &catalogue::NAME_EMPTY,
            );
            assert_rejects(
                &post_json(&persons, &format!(r#"{{"name":"{}"}}"#, "n".repeat(129))),
                &catalogue::NAME_TOO_LONG,
            );
            assert_rejects(
                &patch_json(
                    &format!("{persons}/{GUID}"),
                    &format!(r#"{{"userData":"{}"}}"#, "u".repeat(16385)),
                ),
                &catalogue::USER_DATA_TOO_LONG,
            );
            assert_rejects(
                &patch_json(
                    &format!("{persons}/{GUID}/persistedfaces/{GUID2}"),
                    &format!(r#"{{"userData":"{}"}}"#, "u".repeat(1025)),
                ),
                &catalogue::USER_DATA_TOO_LONG,
            );
        }
        // The large collections document "Both 'name' and 'userData' are empty."
        for collection in ["largefacelists", "largepersongroups"] {
            for body in ["{}", r#"{"name":"","userData":""}"#, r#"{"name":null}"#] {
                assert_rejects(
                    &patch_json(&format!("{v}/{collection}/c"), body),
                    &catalogue::NAME_AND_USER_DATA_EMPTY,
                );
            }
        }
        // The others do not; an empty update is the service's to judge.
        assert_passes(&patch_json(&format!("{v}/persongroups/c"), "{}"));
        assert_passes(&patch_json(&format!("{v}/facelists/c"), "{}"));
    }
    // `name` is required from v1.1-preview.1 on; v1.0's contract does not require it.
    assert_passes(&put_json(
        "/face/v1.0/persongroups/g",
        r#"{"userData":"u"}"#,
    ));
    assert_rejects(
        &put_json("/face/v1.2/persongroups/g", r#"{"userData":"u"}"#),
        &catalogue::REQUEST_BODY_INVALID,
    );
    assert_rejects(
        &post_json("/face/v1.2/largepersongroups/g/persons", "{}"),
        &catalogue::REQUEST_BODY_INVALID,
    );
}

#[test]
fn listings() {
    for version in VERSIONS {
        let v = format!("/face/{version}");
        for listing in [
            format!("{v}/largefacelists"),
            format!("{v}/persongroups"),
            format!("{v}/largepersongroups"),
            format!("{v}/largefacelists/l/persistedfaces"),
            format!("{v}/persongroups/g/persons"),
            format!("{v}/largepersongroups/g/persons"),
        ] {
            assert_rejects(&get(&format!("{listing}?top=0")), &catalogue::TOP_INVALID);
            assert_rejects(
                &get(&format!("{listing}?top=1001")),
                &catalogue::TOP_INVALID,
            );
            assert_rejects(
                &get(&format!("{listing}?start={}", "s".repeat(65))),
                &catalogue::START_TOO_LONG,
            );
        }
        // Face lists are not paged: `top` is an unknown parameter there.
        assert_passes(&get(&format!("{v}/facelists?top=0")));
    }
}

fn pd(version: &str, rest: &str) -> String {
    format!("/face/{version}{rest}")
}

/// `start` and `top` are checked only where the operation has them in
/// that version; elsewhere they are unknown parameters, ignored.
#[test]
fn paging_only_where_the_specification_has_it() {
    for version in PREVIEWS {
        for listing in [
            pd(version, "/persons"),
            pd(version, "/dynamicpersongroups"),
            pd(
                version,
                &format!("/persons/{GUID}/dynamicPersonGroupReferences"),
            ),
            pd(version, "/dynamicpersongroups/d/persons"),
        ] {
            assert_rejects(&get(&format!("{listing}?top=0")), &catalogue::TOP_INVALID);
        }
        // Get Person Faces has no parameters.
        let faces = pd(
            version,
            &format!("/persons/{GUID}/recognitionModels/recognition_04/persistedfaces"),
        );
        assert_passes(&get(&format!("{faces}?top=0&start={}", "s".repeat(100))));
    }
    for version in VERSIONS {
        for unpaged in [
            format!("/face/{version}/facelists"),
            format!("/face/{version}/persongroups/g"),
            format!("/face/{version}/largefacelists/l/persistedfaces/{GUID}"),
            format!("/face/{version}/largepersongroups/g/training"),
        ] {
            assert_passes(&get(&format!("{unpaged}?top=0&start={}", "s".repeat(100))));
        }
    }
}

#[test]
fn person_directory_exists_in_the_previews_only() {
    for rest in ["/persons", "/dynamicpersongroups"] {
        assert_passes(&get(&format!("/face/v1.2{rest}?top=0")));
        assert_passes(&get(&format!("/face/v1.0{rest}?top=0")));
        for version in PREVIEWS {
            assert_rejects(
                &get(&pd(version, &format!("{rest}?top=0"))),
                &catalogue::TOP_INVALID,
            );
        }
    }
}

#[test]
fn person_directory_valid_requests() {
    let id = id64();
    for version in PREVIEWS {
        let person = pd(version, &format!("/persons/{GUID}"));
        let faces = format!("{person}/recognitionModels/recognition_04/persistedfaces");
        for request in [
            get(&pd(version, &format!("/persons?start={GUID}&top=1000"))),
            get(&pd(version, "/persons?top=1")),
            post_json(&pd(version, "/persons"), &name_at_max()),
            get(&person),
            patch_json(&person, r#"{"userData":"u"}"#),
            delete(&person),
            get(&format!(
                "{person}/dynamicPersonGroupReferences?start={id}&top=1"
            )),
            get(&faces),
            post_json(
                &format!("{faces}?targetFace=0,0,10,10&detectionModel=detection_03&userData=x"),
                URL_BODY,
            ),
            post_image(&faces, image_of(image::ImageFormat::Jpeg, 40, 40)),
            get(&format!("{faces}/{GUID2}")),
            patch_json(
                &format!("{faces}/{GUID2}"),
                &format!(r#"{{"userData":"{}"}}"#, "u".repeat(1024)),
            ),
            delete(&format!("{faces}/{GUID2}")),
            get(&pd(
                version,
                &format!("/dynamicpersongroups?start={id}&top=1000"),
            )),
            get(&pd(version, &format!("/dynamicpersongroups/{id}"))),
            put_json(
                &pd(version, &format!("/dynamicpersongroups/{id}")),
                r#"{"name":"g"}"#,
            ),
            put_json(
                &pd(version, &format!("/dynamicpersongroups/{id}")),
                &format!(r#"{{"name":"g","addPersonIds":["{GUID}"]}}"#),
            ),
            patch_json(
                &pd(version, &format!("/dynamicpersongroups/{id}")),
                r#"{"name":"g"}"#,
            ),
            patch_json(
                &pd(version, &format!("/dynamicpersongroups/{id}")),
                &format!(r#"{{"addPersonIds":["{GUID}"],"removePersonIds":["{GUID2}"]}}"#),
            ),
            patch_json(
                &pd(version, &format!("/dynamicpersongroups/{id}")),
                r#"{"addPersonIds":[]}"#,
            ),
            delete(&pd(version, &format!("/dynamicpersongroups/{id}"))),
            get(&pd(
                version,
                &format!("/dynamicpersongroups/{id}/persons?start={GUID}&top=1"),
            )),
            get(&pd(version, &format!("/operations/{GUID}"))),
        ] {
            assert_passes(&request);
        }
    }
}

#[test]
fn person_directory_rows() {
    for version in PREVIEWS {
        // 'start' of a person listing is a person ID.
        assert_rejects(
            &get(&pd(version, "/persons?start=someone")),
            &catalogue::START_NOT_VALID_PERSON_ID,
        );
        assert_rejects(
            &get(&pd(version, "/dynamicpersongroups/g/persons?start=x")),
            &catalogue::START_NOT_VALID_PERSON_ID,
        );
        assert_rejects(
            &get(&pd(
                version,
                &format!("/dynamicpersongroups?start={}", "s".repeat(65)),
            )),
            &catalogue::START_TOO_LONG,
        );
        // Both empty on update of a person and of a dynamic person group.
        assert_rejects(
            &patch_json(&pd(version, &format!("/persons/{GUID}")), "{}"),
            &catalogue::NAME_AND_USER_DATA_EMPTY,
        );
        assert_rejects(
            &patch_json(&pd(version, "/dynamicpersongroups/g"), r#"{"name":""}"#),
            &catalogue::NAME_AND_USER_DATA_EMPTY,
        );
        // IDs.
        for request in [
            get(&pd(version, "/dynamicpersongroups/Group")),
            put_json(
                &pd(version, "/dynamicpersongroups/Group"),
                r#"{"name":"n"}"#,
            ),
            get(&pd(version, "/dynamicpersongroups/x%20y/persons")),
        ] {
            assert_rejects(&request, &catalogue::DYNAMIC_PERSON_GROUP_ID_NOT_FOUND);
        }
        for request in [
            get(&pd(version, "/persons/someone")),
            get(&pd(
                version,
                "/persons/someone/dynamicPersonGroupReferences",
            )),
            post_json(
                &pd(
                    version,
                    "/persons/someone/recognitionModels/recognition_04/persistedfaces",
                ),
                URL_BODY,
            ),
        ] {
            assert_rejects(&request, &catalogue::PERSON_ID_NOT_FOUND);
        }
        let faces = pd(
            version,
            &format!("/persons/{GUID}/recognitionModels/recognition_04/persistedfaces"),
        );
        for request in [
            get(&format!("{faces}/f")),
            patch_json(&format!("{faces}/f"), "{}"),
            delete(&format!("{faces}/f")),
        ] {
            assert_rejects(
                &request,
                &catalogue::PERSON_DIRECTORY_PERSISTED_FACE_ID_NOT_FOUND,
            );
        }
        assert_rejects(
            &get(&pd(
                version,
                &format!("/persons/{GUID}/recognitionModels/recognition_9/persistedfaces"),
            )),
            &catalogue::RECOGNITION_MODEL_INVALID,
        );
        // Bodies.
        assert_rejects(
            &post_json(&pd(version, "/persons"), r#"{"name":""}"#),
            &catalogue::NAME_EMPTY,
        );
        assert_rejects(
            &post_json(&pd(version, "/persons"), "{}"),
            &catalogue::REQUEST_BODY_INVALID,
        );
        assert_rejects(
            &post_json(
                &pd(version, "/persons"),
                &format!(r#"{{"name":"{}"}}"#, "n".repeat(129)),
            ),
            &catalogue::NAME_TOO_LONG,
        );
        assert_rejects(
            &patch_json(
                &format!("{faces}/{GUID2}"),
                &format!(r#"{{"userData":"{}"}}"#, "u".repeat(1025)),
            ),
            &catalogue::USER_DATA_TOO_LONG,
        );
        let group = pd(version, "/dynamicpersongroups/g");
        for shape in [
            r#"{"name":"g","addPersonIds":[]}"#.to_owned(),
            r#"{"name":"g","addPersonIds":["someone"]}"#.to_owned(),
            format!(r#"{{"addPersonIds":["{GUID}"]}}"#),
        ] {
            assert_rejects(&put_json(&group, &shape), &catalogue::REQUEST_BODY_INVALID);
        }
        assert_rejects(
            &patch_json(&group, r#"{"removePersonIds":[1]}"#),
            &catalogue::REQUEST_BODY_INVALID,
        );
    }
}

#[tokio::test]
async fn collection_rows_through_the_layer() {
    let seen = Seen::default();
    let service = PreflightLayer::new().layer(recording_service(seen.clone()));
    let cases = [
        (put_json("/face/v1.2/largepersongroups/Team", r#"{"name":"n"}"#), catalogue::LARGE_PERSON_GROUP_ID_INVALID),
        (get("/face/v1.2/largepersongroups/Team"), catalogue::LARGE_PERSON_GROUP_ID_NOT_FOUND),
        (get("/face/v1.2/persongroups/g/persons/x"), catalogue::PERSON_ID_NOT_FOUND),
        (delete("/face/v1.2/facelists/f/persistedfaces/x"), catalogue::PERSISTED_FACE_ID_NOT_FOUND),
        (patch_json("/face/v1.2/largefacelists/l", "{}"), catalogue::NAME_AND_USER_DATA_EMPTY),
        (get("/face/v1.2-preview.1/persons?start=x"), catalogue::START_NOT_VALID_PERSON_ID),
        (get("/face/v1.1-preview.1/dynamicpersongroups/G"), catalogue::DYNAMIC_PERSON_GROUP_ID_NOT_FOUND),
        (delete(&format!("/face/v1.2-preview.1/persons/{GUID}/recognitionModels/recognition_01/persistedfaces/x")), catalogue::PERSON_DIRECTORY_PERSISTED_FACE_ID_NOT_FOUND),
    ];
    for (request, entry) in cases {
        let response = service.clone().oneshot(to_full(request)).await.unwrap();
        let status = response.status().as_u16();
        assert_eq!(status, entry.status.as_u16());
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert_response(status, &body, &entry);
    }
    assert_eq!(seen.calls(), 0);
    for request in valid_requests("v1.2").into_iter().take(12) {
        let method = request.method().clone();
        let response = service.clone().oneshot(to_full(request)).await.unwrap();
        assert_eq!(response.status(), 200, "{method}");
    }
    assert_eq!(seen.calls(), 12);
}
