//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::convert::Infallible;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use face_preflight::catalogue::{self, Entry};
use face_preflight::{check, FaceApiError};
use http::{Method, Request, Response};
use http_body_util::Full;
use image::{DynamicImage, ImageFormat, RgbImage};

pub const HOST: &str = "https://myresource.cognitiveservices.azure.com";
pub const GUID: &str = "c5c24a82-6845-4031-9d5d-978df9175426";
pub const GUID2: &str = "015839fb-fbd9-4f79-ace9-7675fc2f1dd9";

/// Each collection kind in the path, with its error on create (400) and on
/// every other operation (404).
pub const COLLECTION_ID_ERRORS: [(&str, Entry, Entry); 4] = [
    (
        "facelists",
        catalogue::FACE_LIST_ID_INVALID,
        catalogue::FACE_LIST_ID_NOT_FOUND,
    ),
    (
        "largefacelists",
        catalogue::LARGE_FACE_LIST_ID_INVALID,
        catalogue::LARGE_FACE_LIST_ID_NOT_FOUND,
    ),
    (
        "persongroups",
        catalogue::PERSON_GROUP_ID_INVALID,
        catalogue::PERSON_GROUP_ID_NOT_FOUND,
    ),
    (
        "largepersongroups",
        catalogue::LARGE_PERSON_GROUP_ID_INVALID,
        catalogue::LARGE_PERSON_GROUP_ID_NOT_FOUND,
    ),
];

pub fn guids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("c5c24a82-6845-4031-9d5d-{i:012x}"))
        .collect()
}

pub fn request(
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("{HOST}{path}"));
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(body.into()).unwrap()
}

pub fn json(method: Method, path: &str, body: &str) -> Request<Bytes> {
    request(method, path, Some("application/json"), body.to_owned())
}

pub fn post_json(path: &str, body: &str) -> Request<Bytes> {
    json(Method::POST, path, body)
}

pub fn put_json(path: &str, body: &str) -> Request<Bytes> {
    json(Method::PUT, path, body)
}

pub fn patch_json(path: &str, body: &str) -> Request<Bytes> {
    json(Method::PATCH, path, body)
}

pub fn get(path: &str) -> Request<Bytes> {
    request(Method::GET, path, None, Bytes::new())
}

pub fn delete(path: &str) -> Request<Bytes> {
    request(Method::DELETE, path, None, Bytes::new())
}

pub fn post_image(path: &str, image: impl Into<Bytes>) -> Request<Bytes> {
    request(Method::POST, path, Some("application/octet-stream"), image)
}

/// Asserts that `check` rejects `request` with exactly `entry`.
#[track_caller]
pub fn assert_rejects(request: &Request<Bytes>, entry: &Entry) {
    match check(request) {
        Ok(()) => panic!(
            "{} {} was accepted; expected {} {}: {}",
            request.method(),
            request.uri(),
            entry.status,
            entry.code,
            entry.message
        ),
        Err(error) => assert_error(&error, entry),
    }
}

/// Asserts that `error` is exactly `entry` (status, code, message verbatim).
#[track_caller]
pub fn assert_error(error: &FaceApiError, entry: &Entry) {
    assert_eq!(
        (error.status().as_u16(), error.code(), error.message()),
        (entry.status.as_u16(), entry.code, entry.message),
    );
}

/// Asserts that a response's status and JSON body are exactly `entry`.
#[track_caller]
pub fn assert_response(status: u16, body: &[u8], entry: &Entry) {
    let error = FaceApiError::from_json(status, body).expect("a Face error body");
    assert_error(&error, entry);
}

/// Asserts that `check` lets `request` through.
#[track_caller]
pub fn assert_passes(request: &Request<Bytes>) {
    if let Err(error) = check(request) {
        panic!(
            "{} {} was rejected: {error}",
            request.method(),
            request.uri()
        );
    }
}

/// An image of `width` × `height` in `format`, with noise so that its size
/// grows with its area.
pub fn image_of(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let mut pixels = RgbImage::new(width, height);
    let mut state = 0x2545_f491_u32;
    for pixel in pixels.pixels_mut() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *pixel = image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8]);
    }
    let image = match format {
        ImageFormat::Ico => DynamicImage::ImageRgb8(image::imageops::resize(
            &pixels,
            width.min(256),
            height.min(256),
            image::imageops::FilterType::Nearest,
        )),
        _ => DynamicImage::ImageRgb8(pixels),
    };
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A JPEG of at least `min_len` bytes.
pub fn jpeg_at_least(min_len: usize) -> Vec<u8> {
    let mut side = 32;
    loop {
        let jpeg = image_of(ImageFormat::Jpeg, side, side);
        if jpeg.len() >= min_len {
            return jpeg;
        }
        side = side * 3 / 2;
    }
}

/// What the counting inner service saw.
#[derive(Clone, Default)]
pub struct Seen {
    pub calls: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<Request<Full<Bytes>>>>>,
}

impl Seen {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// An inner service that counts calls, records each request and answers 200 `{}`.
pub fn recording_service(
    seen: Seen,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |request: Request<Full<Bytes>>| {
        let seen = seen.clone();
        async move {
            seen.calls.fetch_add(1, Ordering::SeqCst);
            seen.requests.lock().unwrap().push(request);
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"{}"))))
        }
    })
}

pub fn to_full(request: Request<Bytes>) -> Request<Full<Bytes>> {
    request.map(Full::new)
}
