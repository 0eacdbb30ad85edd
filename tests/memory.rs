//! Peak memory on hostile input, measured with a counting global allocator.
//! One test runs every case in turn, so that nothing else allocates meanwhile.

mod common;
#[path = "common/counting.rs"]
mod counting;

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use common::*;
use counting::peak_of;
use face_preflight::{catalogue, check, PreflightLayer, MAX_IMAGE_BYTES};
use http::{Method, Request};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use tower::{Layer, ServiceExt};

const MIB: usize = 1024 * 1024;

/// `total` bytes of `byte`, 64 KiB a frame, made as they are read.
struct Stream {
    byte: u8,
    left: usize,
}

impl Body for Stream {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(64 * 1024);
        self.left -= n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![self.byte; n])))))
    }
}

impl From<Bytes> for Stream {
    fn from(_: Bytes) -> Self {
        unreachable!("a rejected stream is never forwarded")
    }
}

fn stream_through_layer(
    runtime: &tokio::runtime::Runtime,
    path: &str,
    content_type: &str,
    byte: u8,
) -> (u16, Bytes) {
    let inner = tower::service_fn(|_: Request<Stream>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
    });
    let service = PreflightLayer::new().layer(inner);
    let request = Request::post(format!("{HOST}{path}"))
        .header("content-type", content_type)
        .body(Stream {
            byte,
            left: 1 << 30,
        })
        .unwrap();
    runtime.block_on(async {
        let response = service.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    })
}

#[test]
fn memory_stays_bounded_on_hostile_input() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // The bound stated in the README: the 6 MiB limit, one 64 KiB frame
    // beyond it, and small change.
    let bound = MAX_IMAGE_BYTES + 2 * MIB;

    // A gigabyte streamed to an image operation.
    let ((status, body), peak) = peak_of(|| {
        stream_through_layer(
            &runtime,
            "/face/v1.2/detect",
            "application/octet-stream",
            0xff,
        )
    });
    assert_response(status, &body, &catalogue::IMAGE_TOO_BIG);
    println!("1 GiB image stream: peak {peak} bytes");
    assert!(peak < bound, "{peak}");

    // A gigabyte streamed to a JSON operation.
    let ((status, body), peak) =
        peak_of(|| stream_through_layer(&runtime, "/face/v1.2/identify", "application/json", b' '));
    assert_response(status, &body, &catalogue::REQUEST_BODY_INVALID);
    println!("1 GiB JSON stream: peak {peak} bytes");
    assert!(peak < bound, "{peak}");

    // JSON nested 100,000 deep.
    let deep = request(
        Method::POST,
        "/face/v1.2/group",
        Some("application/json"),
        format!("{{\"faceIds\":{}", "[".repeat(100_000)),
    );
    let (verdict, peak) = peak_of(|| check(&deep));
    assert_error(&verdict.unwrap_err(), &catalogue::JSON_PARSING_ERROR);
    println!("nested 100,000 deep: peak {peak} bytes");
    // serde_json skips nesting with a stack of one byte a level, so this is
    // bounded by the body's length, itself bounded by the 6 MiB limit.
    assert!(peak < 2 * 100_000 + 64 * 1024, "{peak}");
    let closed = format!(
        "{{\"faceIds\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let closed = request(
        Method::POST,
        "/face/v1.2/group",
        Some("application/json"),
        closed,
    );
    let (verdict, peak) = peak_of(|| check(&closed));
    assert_error(&verdict.unwrap_err(), &catalogue::REQUEST_BODY_INVALID);
    assert!(peak < 2 * 100_000 + 64 * 1024, "{peak}");

    // 100,000 face IDs (3.9 MB): summarised, not collected.
    let ids = serde_json::to_string(&guids(100_000)).unwrap();
    let many = request(
        Method::POST,
        "/face/v1.2/group",
        Some("application/json"),
        format!("{{\"faceIds\":{ids}}}"),
    );
    let (verdict, peak) = peak_of(|| check(&many));
    assert_error(&verdict.unwrap_err(), &catalogue::FACE_IDS_LENGTH_INVALID);
    println!("100,000 faceIds: peak {peak} bytes");
    assert!(peak < 64 * 1024, "{peak}");

    // A 50,000-character path.
    let long_path = request(
        Method::GET,
        &format!("/face/v1.2/persongroups/{}", "a/".repeat(25_000)),
        None,
        Bytes::new(),
    );
    let (verdict, peak) = peak_of(|| check(&long_path));
    assert!(verdict.is_ok());
    println!("50,000-character path: peak {peak} bytes");
    assert!(peak < 1024, "{peak}");
    let long_id = request(
        Method::GET,
        &format!("/face/v1.2/persongroups/{}", "a".repeat(50_000)),
        None,
        Bytes::new(),
    );
    assert_error(
        &check(&long_id).unwrap_err(),
        &catalogue::PERSON_GROUP_ID_NOT_FOUND,
    );

    // 10,000 query parameters: one borrowed pair each.
    // (`http::Uri` holds at most 65,534 characters: short pairs.)
    let query: Vec<String> = (0..10_000)
        .map(|i| format!("{}=1", (b'a' + (i % 26) as u8) as char))
        .collect();
    let many_params = request(
        Method::POST,
        &format!("/face/v1.2/detect?{}", query.join("&")),
        Some("application/json"),
        r#"{"url":"https://a.b/c.jpg"}"#,
    );
    let (verdict, peak) = peak_of(|| check(&many_params));
    assert!(verdict.is_ok());
    println!("10,000 query parameters: peak {peak} bytes");
    assert!(peak < 4096, "{peak}");

    // A PNG header declaring 100,000 × 100,000 pixels: read, not decoded.
    let mut png = image_of(image::ImageFormat::Png, 8, 8);
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    png.resize(2000, 0);
    let huge = post_image(
        "/face/v1.2/largefacelists/l/persistedfaces?targetFace=99990,99990,10,10",
        png,
    );
    let (verdict, peak) = peak_of(|| check(&huge));
    assert!(verdict.is_ok());
    println!("100,000 × 100,000 PNG header: peak {peak} bytes");
    assert!(peak < 1024, "{peak}");

    #[cfg(feature = "facts")]
    facts_stay_bounded_under_a_million_resources(&runtime);
}

/// A million requests, each to a resource of its own (the host of a URI is
/// whatever a client sends, through the proxy too): the facts keep at most
/// 4,096 resources, and a lookup adds none.
#[cfg(feature = "facts")]
fn facts_stay_bounded_under_a_million_resources(runtime: &tokio::runtime::Runtime) {
    let requests: usize = std::env::var("FACTS_MEMORY_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let facts = face_preflight::facts::Facts::new();
    // Detect answers one new faceId; everything else 200 [].
    let inner = tower::service_fn(|request: Request<Full<Bytes>>| async move {
        let body: &[u8] = if request.uri().path().ends_with("/detect") {
            br#"[{"faceId":"015839fb-fbd9-4f79-ace9-7675fc2f1dd9"}]"#
        } else {
            b"[]"
        };
        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from_static(body))))
    });
    let service = PreflightLayer::new().facts(facts.clone()).layer(inner);
    let padding = "x".repeat(180);
    let identify = Bytes::from(format!(r#"{{"faceIds":["{GUID}"],"personGroupId":"g"}}"#));
    let detect = Bytes::from_static(br#"{"url":"https://a.b/c.jpg"}"#);
    let before = counting::current();
    let (_, peak) = peak_of(|| {
        runtime.block_on(async {
            for i in 0..requests {
                // Every eighth request teaches; the others look up.
                let (path, body) = if i % 8 == 0 {
                    ("detect", detect.clone())
                } else {
                    ("identify", identify.clone())
                };
                let request =
                    Request::post(format!("https://r{i}-{padding}.example/face/v1.2/{path}"))
                        .header("content-type", "application/json")
                        .body(Full::new(body))
                        .unwrap();
                let response = service.clone().oneshot(request).await.unwrap();
                assert_eq!(response.status(), 200);
                response.into_body().collect().await.unwrap();
            }
        })
    });
    let held = counting::current().saturating_sub(before);
    println!(
        "{requests} requests to distinct resources: {held} bytes held after, peak {peak}; {} faceIds held",
        facts.faces_held()
    );
    // 4,096 resources of ~200 bytes each and their faceIds, with the
    // caches' own tables.
    assert!(held < 8 * MIB, "{held}");
    assert!(peak < 16 * MIB, "{peak}");
}
