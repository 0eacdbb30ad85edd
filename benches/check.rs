//! `check` per operation family against the baselines a user would compare:
//! the parse floor (`serde_json` into `IgnoredAny`) and validating the body
//! with the `jsonschema` crate against the operation's official schema.
//!
//! `cargo bench --bench check`

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use face_preflight::check;
use http::Request;

const HOST: &str = "https://myresource.cognitiveservices.azure.com";

fn guids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}"))
        .collect()
}

fn json_request(method: &str, path: &str, body: &serde_json::Value) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(format!("{HOST}{path}"))
        .header("content-type", "application/json")
        .header(
            "ocp-apim-subscription-key",
            "0123456789abcdef0123456789abcdef",
        )
        .body(Bytes::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

fn image_request(path: &str, image: Vec<u8>) -> Request<Bytes> {
    Request::post(format!("{HOST}{path}"))
        .header("content-type", "application/octet-stream")
        .body(Bytes::from(image))
        .unwrap()
}

/// A JPEG of noise of at least `min_len` bytes (and at most 6 MiB).
fn jpeg(min_len: usize) -> Vec<u8> {
    let mut side = 16u32;
    loop {
        let mut state = 0x2545_f491_u32;
        let pixels = image::RgbImage::from_fn(side, side, |_, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(pixels)
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
        let out = out.into_inner();
        if out.len() >= min_len {
            assert!(
                out.len() <= face_preflight::MAX_IMAGE_BYTES,
                "{}",
                out.len()
            );
            return out;
        }
        side = (side as f64 * ((min_len as f64 / out.len() as f64).sqrt().clamp(1.05, 4.0))) as u32;
    }
}

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(format!(
        "{}/benches/schemas/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// One JSON family: valid and invalid `check`, parse floor, jsonschema.
fn json_family(
    c: &mut Criterion,
    name: &str,
    schema_file: &str,
    valid: Request<Bytes>,
    invalid: Request<Bytes>,
) {
    let validator = schema(schema_file);
    assert!(check(&valid).is_ok(), "{name}: valid request rejected");
    assert!(check(&invalid).is_err(), "{name}: invalid request accepted");
    let body = valid.body().clone();
    assert!(
        validator.is_valid(&serde_json::from_slice(&body).unwrap()),
        "{name}: schema rejects the valid body"
    );
    let mut group = c.benchmark_group(name);
    group.bench_function("check valid", |b| b.iter(|| check(black_box(&valid))));
    group.bench_function("check invalid", |b| b.iter(|| check(black_box(&invalid))));
    group.bench_function("parse floor (serde_json IgnoredAny)", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&body)).unwrap())
    });
    group.bench_function("jsonschema parse + validate", |b| {
        b.iter(|| {
            let value: serde_json::Value = serde_json::from_slice(black_box(&body)).unwrap();
            validator.is_valid(&value)
        })
    });
    group.finish();
}

fn families(c: &mut Criterion) {
    let ids = guids(1000);
    json_family(
        c,
        "identify 10 faceIds",
        "identify-from-person-group.json",
        json_request(
            "POST",
            "/face/v1.2/identify",
            &serde_json::json!({"faceIds": &ids[..10], "personGroupId": "staff", "maxNumOfCandidatesReturned": 5, "confidenceThreshold": 0.6}),
        ),
        json_request(
            "POST",
            "/face/v1.2/identify",
            &serde_json::json!({"faceIds": &ids[..11], "personGroupId": "staff"}),
        ),
    );
    json_family(
        c,
        "find similar 1000 faceIds",
        "find-similar.json",
        json_request(
            "POST",
            "/face/v1.2/findsimilars",
            &serde_json::json!({"faceId": ids[0], "faceIds": ids, "maxNumOfCandidatesReturned": 20, "mode": "matchPerson"}),
        ),
        json_request(
            "POST",
            "/face/v1.2/findsimilars",
            &serde_json::json!({"faceId": ids[0], "faceIds": ids, "mode": "matchEverything"}),
        ),
    );
    json_family(
        c,
        "group 1000 faceIds",
        "group.json",
        json_request(
            "POST",
            "/face/v1.2/group",
            &serde_json::json!({"faceIds": ids}),
        ),
        json_request(
            "POST",
            "/face/v1.2/group",
            &serde_json::json!({"faceIds": &ids[..1]}),
        ),
    );
    json_family(
        c,
        "detect by URL",
        "detect-from-url.json",
        json_request("POST", "/face/v1.2/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceAttributes=headPose,mask,qualityForRecognition", &serde_json::json!({"url": "https://example.com/images/face.jpg"})),
        json_request("POST", "/face/v1.2/detect?detectionModel=detection_02&returnFaceAttributes=mask", &serde_json::json!({"url": "https://example.com/images/face.jpg"})),
    );
    json_family(
        c,
        "person group create",
        "create-person-group.json",
        json_request(
            "PUT",
            "/face/v1.2/persongroups/staff-2026",
            &serde_json::json!({"name": "Staff", "userData": "Employees of the Seattle office", "recognitionModel": "recognition_04"}),
        ),
        json_request(
            "PUT",
            "/face/v1.2/persongroups/Staff-2026",
            &serde_json::json!({"name": "Staff"}),
        ),
    );
    json_family(
        c,
        "large person group update",
        "update-large-person-group.json",
        json_request(
            "PATCH",
            "/face/v1.2/largepersongroups/staff-2026",
            &serde_json::json!({"name": "Staff 2026", "userData": "Seattle"}),
        ),
        json_request(
            "PATCH",
            "/face/v1.2/largepersongroups/staff-2026",
            &serde_json::json!({"userData": ""}),
        ),
    );
    json_family(
        c,
        "liveness session create",
        "create-liveness-session.json",
        json_request(
            "POST",
            "/face/v1.2/detectLiveness-sessions",
            &serde_json::json!({"livenessOperationMode": "PassiveActive", "deviceCorrelationId": "723d6d03-ef33-40a8-9682-23a1feb7bccd", "authTokenTimeToLiveInSeconds": 600, "enableSessionImage": true}),
        ),
        json_request(
            "POST",
            "/face/v1.2/detectLiveness-sessions",
            &serde_json::json!({"livenessOperationMode": "Passive", "deviceCorrelationId": "723d6d03-ef33-40a8-9682-23a1feb7bccd", "authTokenTimeToLiveInSeconds": 30}),
        ),
    );
}

/// Requests with nothing but a head to check: routing, path IDs, a query.
fn heads(c: &mut Criterion) {
    let mut group = c.benchmark_group("head only");
    for (label, path) in [
        (
            "GET person group (route + path ID)",
            "/face/v1.2/persongroups/staff-2026",
        ),
        (
            "GET person group person (route + 2 path IDs)",
            "/face/v1.2/persongroups/staff-2026/persons/c5c24a82-6845-4031-9d5d-978df9175426",
        ),
        (
            "GET person groups ?start=a&top=10 (listing query)",
            "/face/v1.2/persongroups?start=a&top=10",
        ),
    ] {
        let request = Request::get(format!("https://x.cognitiveservices.azure.com{path}"))
            .body(Bytes::new())
            .unwrap();
        assert!(check(&request).is_ok());
        group.bench_function(label, |b| b.iter(|| check(black_box(&request))));
    }
    group.finish();
}

fn images(c: &mut Criterion) {
    let mut group = c.benchmark_group("image");
    for (label, min_len) in [
        ("2 KB", 2_000),
        ("100 KB", 100_000),
        ("1 MB", 1_000_000),
        ("6 MB", 5_800_000),
    ] {
        let request = image_request(
            "/face/v1.2/detect?detectionModel=detection_03",
            jpeg(min_len),
        );
        assert!(check(&request).is_ok());
        group.bench_with_input(
            BenchmarkId::new("check JPEG", label),
            &request,
            |b, request| b.iter(|| check(black_box(request))),
        );
    }
    let tiff = {
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::new_rgb8(64, 64)
            .write_to(&mut out, image::ImageFormat::Tiff)
            .unwrap();
        image_request("/face/v1.2/detect", out.into_inner())
    };
    assert!(check(&tiff).is_err());
    group.bench_function("check TIFF (rejected)", |b| {
        b.iter(|| check(black_box(&tiff)))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = heads, families, images
}
criterion_main!(benches);
