//! Replays the inputs committed under `fuzz/regressions/` (crashes and
//! interesting cases the fuzzers found) through the fuzz targets' own
//! invariants, so that they stay fixed.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    inputs.sort();
    inputs
}

/// Replays every committed input of `target` through `invariants`.
fn replay(target: &str, invariants: impl Fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty());
    for (name, data) in inputs {
        eprintln!("{name}");
        invariants(&data);
    }
}

#[test]
fn check_request_regressions() {
    replay("check_request", |data| {
        if let Some(request) = harness::request_from_bytes(data) {
            harness::assert_invariants(request);
        }
    });
}

#[test]
fn image_header_regressions() {
    replay("image_header", |data| {
        harness::assert_invariants(harness::image_request(data))
    });
}

#[test]
fn multipart_regressions() {
    replay("multipart", |data| {
        harness::assert_invariants(harness::multipart_request(data))
    });
}

/// Writes seed corpora for the fuzzers: `cargo test --test fuzz_regressions -- --ignored`.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    use image::ImageFormat::*;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let write = |target: &str, name: &str, data: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), data).unwrap();
    };
    for (i, format) in [Jpeg, Png, Gif, Bmp, Tiff, WebP, Ico]
        .into_iter()
        .enumerate()
    {
        let mut data = vec![0, 0, 40, 30];
        data.extend(crate::common::image_of(format, 40, 30));
        write("image_header", &format!("seed-{i}"), &data);
    }
    let g = crate::common::GUID;
    let requests: [(u8, u8, u8, String, String); 8] = [
        (1, 0, 3, "identify".into(), format!(r#"{{"faceIds":["{g}"],"personGroupId":"g","confidenceThreshold":0.5}}"#)),
        (1, 0, 3, "findsimilars".into(), format!(r#"{{"faceId":"{g}","faceIds":["{g}"],"mode":"matchFace"}}"#)),
        (1, 0, 0, "verify".into(), format!(r#"{{"faceId":"{g}","personId":"{g}","largePersonGroupId":"l"}}"#)),
        (2, 0, 3, "persongroups/g".into(), r#"{"name":"n","recognitionModel":"recognition_04"}"#.into()),
        (1, 0, 3, "detect?detectionModel=detection_03&returnFaceAttributes=headPose,mask".into(), r#"{"url":"https://a.b/c.jpg"}"#.into()),
        (1, 0, 3, "detectLiveness-sessions".into(), r#"{"livenessOperationMode":"Passive","deviceCorrelationId":"d","authTokenTimeToLiveInSeconds":600}"#.into()),
        (0, 4, 2, format!("persons/{g}/recognitionModels/recognition_04/persistedfaces/{g}"), String::new()),
        (3, 0, 1, "dynamicpersongroups/d".into(), format!(r#"{{"addPersonIds":["{g}"],"removePersonIds":[]}}"#)),
    ];
    for (i, (method, content_type, prefix, head, body)) in requests.iter().enumerate() {
        let mut data = vec![*method, *content_type, *prefix];
        data.extend(head.as_bytes());
        data.push(0);
        data.extend(body.as_bytes());
        write("check_request", &format!("seed-{i}"), &data);
    }
    let image = crate::common::image_of(Jpeg, 40, 40);
    for (version, parts) in [
        (
            1u8,
            vec![
                (
                    "Parameters",
                    None,
                    br#"{"livenessOperationMode":"Passive","deviceCorrelationId":"d"}"#.to_vec(),
                ),
                ("VerifyImage", Some("f.jpg"), image.clone()),
            ],
        ),
        (
            0,
            vec![
                ("livenessOperationMode", None, b"Passive".to_vec()),
                ("deviceCorrelationId", None, b"d".to_vec()),
                ("verifyImage", Some("f.jpg"), image.clone()),
            ],
        ),
    ] {
        let mut data = vec![version];
        for (name, file, bytes) in parts {
            data.extend(b"--fuzz\r\n");
            match file {
                Some(file) => data.extend(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\r\n").as_bytes()),
                None => data.extend(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            data.extend(bytes);
            data.extend(b"\r\n");
        }
        data.extend(b"--fuzz--\r\n");
        write("multipart", &format!("seed-{version}"), &data);
    }
}
