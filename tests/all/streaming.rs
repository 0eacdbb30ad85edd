//! Image bodies with a declared `Content-Length`, judged on their first
//! 64 KiB and streamed on: the inner service is called before the caller
//! has sent the rest, and receives every byte unchanged.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use face_preflight::{catalogue, PreflightLayer, RequestBody};
use http::{Request, Response};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use image::ImageFormat;
use tokio::sync::{mpsc, oneshot};
use tower::{Layer, ServiceExt};

use crate::common::*;

/// A body the test feeds frame by frame.
struct Fed(mpsc::UnboundedReceiver<Bytes>);

impl Body for Fed {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|chunk| Ok(Frame::data(chunk))))
    }
}

/// The inner service: counts calls, reports each call at once, then reads
/// the whole body and hands over the bytes it received.
#[derive(Clone)]
struct Inner {
    calls: Arc<AtomicUsize>,
    called: mpsc::UnboundedSender<()>,
    received: mpsc::UnboundedSender<(Request<()>, Bytes)>,
}

impl tower::Service<Request<RequestBody<Fed>>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody<Fed>>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _ = self.called.send(());
        let received = self.received.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            let _ = received.send((Request::from_parts(parts, ()), bytes));
            Ok(Response::new(Full::new(Bytes::from_static(b"[]"))))
        })
    }
}

struct Upload {
    feed: mpsc::UnboundedSender<Bytes>,
    response: oneshot::Receiver<Result<(u16, Bytes), face_preflight::BodyBudgetExhausted>>,
    calls: Arc<AtomicUsize>,
    called: mpsc::UnboundedReceiver<()>,
    received: mpsc::UnboundedReceiver<(Request<()>, Bytes)>,
}

/// Starts an upload of `length` declared bytes to `path` through the layer.
fn start_upload(path: &str, length: usize) -> Upload {
    start_upload_with(&PreflightLayer::new(), path, Some(length))
}

/// Starts an upload to `path` through `layer`, declaring `length` if given.
fn start_upload_with(layer: &PreflightLayer, path: &str, length: Option<usize>) -> Upload {
    let (feed, fed) = mpsc::unbounded_channel();
    let (called_tx, called) = mpsc::unbounded_channel();
    let (received_tx, received) = mpsc::unbounded_channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = Inner {
        calls: Arc::clone(&calls),
        called: called_tx,
        received: received_tx,
    };
    let service = layer.layer(inner);
    let mut request = Request::post(format!("https://example.cognitiveservices.azure.com{path}"))
        .header("content-type", "application/octet-stream");
    if let Some(length) = length {
        request = request.header("content-length", length.to_string());
    }
    let request = request.body(RequestBody::new(Fed(fed))).unwrap();
    let (answer, response) = oneshot::channel();
    tokio::spawn(async move {
        let result = match service.oneshot(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.into_body().collect().await.unwrap().to_bytes();
                Ok((status, body))
            }
            Err(error) => Err(error
                .downcast::<face_preflight::BodyBudgetExhausted>()
                .map(|exhausted| *exhausted)
                .expect("no other error")),
        };
        let _ = answer.send(result);
    });
    Upload {
        feed,
        response,
        calls,
        called,
        received,
    }
}

/// Feeds `bytes` in 16 KiB frames.
fn feed(upload: &Upload, bytes: &[u8]) {
    for chunk in bytes.chunks(16 * 1024) {
        upload.feed.send(Bytes::copy_from_slice(chunk)).unwrap();
    }
}

const HEAD: usize = 64 * 1024;
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn an_image_with_a_declared_length_is_sent_on_after_its_first_64_kib() {
    let image = jpeg_at_least(2 * 1024 * 1024);
    let mut upload = start_upload("/face/v1.2/detect", image.len());
    feed(&upload, &image[..HEAD]);
    tokio::time::timeout(WAIT, upload.called.recv())
        .await
        .expect("the inner service is called once the first 64 KiB are in")
        .unwrap();
    assert_eq!(upload.calls.load(Ordering::SeqCst), 1);
    feed(&upload, &image[HEAD..]);
    drop(upload.feed);
    let (head, received) = tokio::time::timeout(WAIT, upload.received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received.len(), image.len());
    assert!(received == image[..], "the forwarded bytes differ");
    assert_eq!(head.uri().path(), "/face/v1.2/detect");
    assert_eq!(head.headers()["content-length"], image.len().to_string());
    let (status, body) = upload.response.await.unwrap().unwrap();
    assert_eq!((status, &body[..]), (200, &b"[]"[..]));
}

#[tokio::test]
async fn an_unsupported_image_is_answered_on_its_first_64_kib() {
    let tiff = image_of(ImageFormat::Tiff, 600, 600);
    assert!(tiff.len() > HEAD * 2, "{}", tiff.len());
    let upload = start_upload("/face/v1.2/detect", tiff.len());
    feed(&upload, &tiff[..HEAD]);
    // The rest is never sent: the answer needs none of it.
    let (status, body) = tokio::time::timeout(WAIT, upload.response)
        .await
        .expect("answered on the first 64 KiB")
        .unwrap()
        .unwrap();
    assert_response(status, &body, &catalogue::IMAGE_FORMAT_UNSUPPORTED);
    assert_eq!(upload.calls.load(Ordering::SeqCst), 0);
}

/// A JPEG whose frame header lies past the first 64 KiB: 100 KiB of APP2
/// segments (as an ICC profile would take) after the start marker.
fn jpeg_with_late_frame_header(width: u32, height: u32) -> Vec<u8> {
    let plain = image_of(ImageFormat::Jpeg, width, height);
    let mut out = plain[..2].to_vec();
    for _ in 0..2 {
        out.extend_from_slice(&[0xFF, 0xE2, 0xFF, 0xFF]);
        out.extend(std::iter::repeat_n(0x55, 0xFFFF - 2));
    }
    out.extend_from_slice(&plain[2..]);
    out
}

#[tokio::test]
async fn a_target_face_whose_answer_lies_past_the_head_is_judged_on_the_whole_image() {
    let image = jpeg_with_late_frame_header(200, 100);
    assert!(image.len() > 2 * HEAD);
    let path = "/face/v1.2/largefacelists/list/persistedfaces";

    let mut outside = start_upload(&format!("{path}?targetFace=150,0,100,50"), image.len());
    feed(&outside, &image[..HEAD]);
    // Not answered, not sent: the frame header is still to come.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(outside.response.try_recv().is_err());
    assert_eq!(outside.calls.load(Ordering::SeqCst), 0);
    feed(&outside, &image[HEAD..]);
    drop(outside.feed);
    let (status, body) = tokio::time::timeout(WAIT, outside.response)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_response(status, &body, &catalogue::TARGET_FACE_OUT_OF_RANGE);
    assert_eq!(outside.calls.load(Ordering::SeqCst), 0);

    let mut inside = start_upload(&format!("{path}?targetFace=10,10,100,50"), image.len());
    feed(&inside, &image);
    drop(inside.feed);
    let (_, received) = tokio::time::timeout(WAIT, inside.received.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(received == image[..], "the forwarded bytes differ");
    let (status, _) = inside.response.await.unwrap().unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_png_target_face_is_judged_on_the_first_64_kib() {
    let png = image_of(ImageFormat::Png, 400, 300);
    assert!(png.len() > 2 * HEAD, "{}", png.len());
    let path = "/face/v1.2/largefacelists/list/persistedfaces";
    let upload = start_upload(&format!("{path}?targetFace=350,0,100,50"), png.len());
    feed(&upload, &png[..HEAD]);
    let (status, body) = tokio::time::timeout(WAIT, upload.response)
        .await
        .expect("answered on the first 64 KiB")
        .unwrap()
        .unwrap();
    assert_response(status, &body, &catalogue::TARGET_FACE_OUT_OF_RANGE);
    assert_eq!(upload.calls.load(Ordering::SeqCst), 0);
}

/// One budget of 1 MiB: every image upload without a `Content-Length`
/// reserves the largest legal body, so the whole budget.
#[cfg(feature = "budget")]
fn one_at_a_time(wait: Duration) -> PreflightLayer {
    PreflightLayer::new().body_budget(face_preflight::BodyBudget::new(1024 * 1024).wait(wait))
}

#[cfg(feature = "budget")]
#[tokio::test(start_paused = true)]
async fn a_body_read_whole_waits_for_room_in_the_budget_then_gets_it() {
    let layer = one_at_a_time(Duration::from_secs(30));
    let image = jpeg_at_least(200 * 1024);
    let path = "/face/v1.2/detect";
    let mut first = start_upload_with(&layer, path, None);
    feed(&first, &image[..1000]);
    tokio::time::sleep(Duration::from_millis(10)).await;
    let mut second = start_upload_with(&layer, path, None);
    feed(&second, &image);
    drop(second.feed);
    tokio::time::sleep(Duration::from_secs(5)).await;
    // The second waits for the room the first holds, its body unread.
    assert!(second.response.try_recv().is_err());
    assert_eq!(second.calls.load(Ordering::SeqCst), 0);

    feed(&first, &image[1000..]);
    drop(first.feed);
    for received in [&mut first.received, &mut second.received] {
        let (_, received) = received.recv().await.unwrap();
        assert!(received == image[..], "the forwarded bytes differ");
    }
    assert_eq!(first.response.await.unwrap().unwrap().0, 200);
    assert_eq!(second.response.await.unwrap().unwrap().0, 200);
}

#[cfg(feature = "budget")]
#[tokio::test(start_paused = true)]
async fn a_body_that_finds_no_room_in_time_fails_with_body_budget_exhausted() {
    let layer = one_at_a_time(Duration::from_secs(2));
    let image = jpeg_at_least(200 * 1024);
    let path = "/face/v1.2/detect";
    let first = start_upload_with(&layer, path, None);
    feed(&first, &image[..1000]);
    tokio::time::sleep(Duration::from_millis(10)).await;
    let second = start_upload_with(&layer, path, None);
    feed(&second, &image);
    drop(second.feed);
    let started = tokio::time::Instant::now();
    let error = second.response.await.unwrap().unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(
        error.to_string(),
        "no room for the request body in the body budget within 2s"
    );
    assert_eq!(second.calls.load(Ordering::SeqCst), 0);
    // A streamed image (declared length) needs no room: it passes meanwhile.
    let third = start_upload_with(&layer, path, Some(image.len()));
    feed(&third, &image);
    drop(third.feed);
    assert_eq!(third.response.await.unwrap().unwrap().0, 200);
    drop(first);
}
