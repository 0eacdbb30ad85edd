//! Every row of the official error table exists in the catalogue and renders
//! verbatim.

use face_preflight::catalogue::{self, Entry};
use face_preflight::FaceApiError;

/// (status, code, message) of every row of the table, as written.
fn table_rows() -> Vec<(u16, String, String)> {
    let table = include_str!("../data/face-api-error-codes.md");
    table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | Bad Request (400) | code | message | description |
            let status = cells.get(1)?;
            let open = status.rfind('(')?;
            let status: u16 = status[open + 1..status.len() - 1].parse().ok()?;
            // Placeholders are set in code spans in the Markdown.
            let message = cells.get(3)?.replace('`', "");
            Some((status, cells.get(2)?.to_string(), message))
        })
        .collect()
}

#[test]
fn every_documented_row_is_in_the_catalogue() {
    let rows = table_rows();
    assert_eq!(rows.len(), 143, "rows in the official table");
    for (status, code, message) in &rows {
        let entry = catalogue::ALL
            .iter()
            .find(|e| e.status == *status && e.code == code && e.message == message)
            .unwrap_or_else(|| panic!("missing: {status} {code} {message}"));
        let error = FaceApiError::from(*entry);
        assert_eq!(error.status().as_u16(), *status);
        assert_eq!(error.code(), code);
        assert_eq!(error.message(), message);
        let json = serde_json::json!({"error": {"code": code, "message": message}});
        assert_eq!(error.to_json(), serde_json::to_vec(&json).unwrap());
    }
}

#[test]
fn catalogue_holds_nothing_undocumented_and_no_duplicates() {
    let rows = table_rows();
    for entry in catalogue::ALL {
        assert!(
            rows.iter().any(|(s, c, m)| *s == entry.status.as_u16()
                && c == entry.code
                && m == entry.message),
            "{entry:?} is not in the table"
        );
        let copies = catalogue::ALL
            .iter()
            .filter(|other| *other == entry)
            .count();
        assert_eq!(copies, 1, "{entry:?} listed twice");
    }
}

#[test]
fn placeholders_take_the_real_value() {
    let cases: [(Entry, &str, &str); 5] = [
        (
            catalogue::PERSON_NOT_FOUND_BY_ID,
            "p-1",
            "Person p-1 is not found.",
        ),
        (
            catalogue::PERSISTED_FACE_NOT_FOUND_BY_ID,
            "f-1",
            "Persisted face f-1 is not found.",
        ),
        (
            catalogue::LARGE_FACE_LIST_FACE_NOT_FOUND_BY_ID,
            "f-2",
            "Large Face List Face f-2 is not found.",
        ),
        (
            catalogue::DYNAMIC_PERSON_GROUP_EXISTS,
            "g",
            "Dynamic person group ID g already exists.",
        ),
        (
            catalogue::CONCURRENT_OPERATION_CONFLICT,
            "persongroups/g",
            "There is a conflict operation on resource persongroups/g, please try later.",
        ),
    ];
    for (entry, value, message) in cases {
        let error = entry.with(value);
        assert_eq!(error.message(), message);
        assert!(error.is(&entry));
        assert!(!FaceApiError::from(catalogue::PERSON_NOT_FOUND).is(&entry));
    }
}

#[test]
fn parses_the_services_own_error_bodies() {
    let body = br#"{"error":{"code":"InvalidImageSize","message":"Image size is too small."}}"#;
    let remote = FaceApiError::from_json(400, body).unwrap();
    assert_eq!(remote, FaceApiError::from(catalogue::IMAGE_TOO_SMALL));
    assert!(remote.is(&catalogue::IMAGE_TOO_SMALL));

    // Member order, extra members and an inner error do not matter.
    let body = br#"{"error":{"message":"Invalid request has been sent.","code":"InvalidRequest","innererror":{"code":"UnsupportedFeature","message":"x"}}}"#;
    let remote = FaceApiError::from_json(403, body).unwrap();
    assert_eq!(remote.code(), "InvalidRequest");
    assert_eq!(remote.status(), 403);

    let remote = FaceApiError::from_json(
        404,
        br#"{"error":{"code":"PersonNotFound","message":"Person 42 is not found."}}"#,
    )
    .unwrap();
    assert!(remote.is(&catalogue::PERSON_NOT_FOUND_BY_ID));

    for bad in [
        &b""[..],
        b"{}",
        b"[]",
        b"{\"error\":{\"code\":1,\"message\":\"m\"}}",
        b"\xff",
    ] {
        assert_eq!(FaceApiError::from_json(400, bad), None);
    }
    assert_eq!(FaceApiError::from_json(1000, body), None);
}

#[test]
fn display_and_error_trait() {
    let error = FaceApiError::from(catalogue::TOP_INVALID);
    assert_eq!(error.to_string(), "400 BadArgument: 'top' is invalid.");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error.clone());
    assert_eq!(boxed.downcast_ref::<FaceApiError>(), Some(&error));
}
