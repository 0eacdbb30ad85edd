//! Peak heap of the proxy under 300 concurrent 6 MB image uploads, with a
//! counting global allocator (its own binary, one measurement at a time).
//! Everything in the process counts: the 300 clients, the proxy and the
//! upstream stand-in — so the proxy's share is at most the figure.
#![cfg(feature = "proxy")]

#[path = "common/counting.rs"]
mod counting;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use face_preflight::proxy::{Proxy, ProxyConfig};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

const UPLOADS: usize = 300;
const IMAGE_BYTES: u64 = 6_000_000;
const FRAME: usize = 64 * 1024;
const MB: usize = 1_000_000;
/// The proxy's default body budget: 256 MiB.
const BUDGET: usize = 256 * 1024 * 1024;
/// The stand-ins' buffers (clients and upstream): as small as hyper allows,
/// so that the figure is mostly the proxy's.
const STAND_IN_BUFFER: usize = 8 * 1024;

/// An upstream that reads each body frame by frame, counts its bytes and
/// answers 200 `[]`.
async fn draining_upstream(received: Arc<AtomicU64>) -> SocketAddr {
    // The proxy may open a connection per upload at once: an accept queue
    // longer than the standard library's 128.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1024).unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let received = Arc::clone(&received);
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let received = Arc::clone(&received);
                    async move {
                        let mut body = request.into_body();
                        while let Some(frame) = body.frame().await {
                            if let Ok(data) = frame.unwrap().into_data() {
                                received.fetch_add(data.len() as u64, Ordering::Relaxed);
                            }
                        }
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                            b"[]",
                        ))))
                    }
                },
            );
            tokio::spawn(
                http1::Builder::new()
                    .max_buf_size(STAND_IN_BUFFER)
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    address
}

/// A 6 MB upload that starts as a JPEG, made of one shared 64 KiB frame
/// (no copy per frame: the clients' own memory stays small).
struct Upload {
    frame: Bytes,
    left: u64,
    /// Sent with `Content-Length`; otherwise chunked.
    declared: bool,
}

impl Body for Upload {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(FRAME as u64);
        self.left -= n;
        Poll::Ready(Some(Ok(Frame::data(self.frame.slice(..n as usize)))))
    }

    fn size_hint(&self) -> SizeHint {
        if self.declared {
            SizeHint::with_exact(self.left)
        } else {
            SizeHint::new()
        }
    }
}

/// The status of one upload, or what went wrong on the way.
async fn upload(proxy: SocketAddr, frame: Bytes, declared: bool) -> Result<u16, String> {
    let stream = TcpStream::connect(proxy)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(STAND_IN_BUFFER)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    let mut request = hyper::Request::post("/face/v1.2/detect")
        .header("host", "127.0.0.1")
        .header("ocp-apim-subscription-key", "k")
        .header("content-type", "application/octet-stream");
    if declared {
        request = request.header("content-length", IMAGE_BYTES.to_string());
    }
    let request = request
        .body(Upload {
            frame,
            left: IMAGE_BYTES,
            declared,
        })
        .unwrap();
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("send: {e:?}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("answer body: {e}"))?
        .to_bytes();
    if status != 200 {
        return Err(format!("{status} {}", String::from_utf8_lossy(&body)));
    }
    Ok(status)
}

/// The proxy's own counters, for a failure's message.
async fn proxy_counters(proxy: SocketAddr) -> String {
    let Ok(stream) = TcpStream::connect(proxy).await else {
        return String::from("(proxy unreachable)");
    };
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await
    else {
        return String::from("(no handshake)");
    };
    tokio::spawn(connection);
    let request = hyper::Request::get("/metrics")
        .header("host", "127.0.0.1")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let Ok(response) = sender.send_request(request).await else {
        return String::from("(no answer)");
    };
    let text = response.into_body().collect().await.map(|b| b.to_bytes());
    String::from_utf8_lossy(&text.unwrap_or_default())
        .lines()
        .filter(|line| line.starts_with("face_preflight_proxy_"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Peak heap, in bytes, of `UPLOADS` concurrent uploads through `proxy`.
async fn peak_of_uploads(proxy: SocketAddr, received: &AtomicU64, declared: bool) -> usize {
    let mut frame = vec![0x55u8; FRAME];
    frame[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let frame = Bytes::from(frame);
    received.store(0, Ordering::Relaxed);
    let start = counting::start();
    let uploads: Vec<_> = (0..UPLOADS)
        .map(|_| tokio::spawn(upload(proxy, frame.clone(), declared)))
        .collect();
    let mut failures = Vec::new();
    for upload in uploads {
        if let Err(failure) = upload.await.unwrap() {
            failures.push(failure);
        }
    }
    let peak = counting::peak_since(start);
    assert!(
        failures.is_empty(),
        "{} of {UPLOADS} uploads failed (declared: {declared}); first: {:?}\nproxy:\n{}",
        failures.len(),
        failures.first(),
        proxy_counters(proxy).await
    );
    assert_eq!(
        received.load(Ordering::Relaxed),
        UPLOADS as u64 * IMAGE_BYTES
    );
    peak
}

/// One measurement after the other in one test: the allocator counts the
/// whole process.
#[test]
fn three_hundred_concurrent_image_uploads_stay_within_their_bounds() {
    // The proxy's warnings (busy, upstream failures) explain a failure.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_test_writer()
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let received = Arc::new(AtomicU64::new(0));
        let upstream = draining_upstream(Arc::clone(&received)).await;
        let mut config = ProxyConfig::new(format!("http://{upstream}").parse().unwrap());
        // The default budget; waits long enough for a slow machine to get
        // through 300 uploads 42 at a time.
        assert_eq!(config.body_budget, BUDGET);
        config.body_budget_wait = Duration::from_secs(300);

        let proxy = Proxy::bind("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        let address = proxy.local_addr().unwrap();
        tokio::spawn(proxy.serve(std::future::pending()));

        let declared = peak_of_uploads(address, &received, true).await;
        println!(
            "with Content-Length: peak heap {:.1} MB",
            declared as f64 / MB as f64
        );
        let chunked = peak_of_uploads(address, &received, false).await;
        println!("chunked: peak heap {:.1} MB", chunked as f64 / MB as f64);
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        if let Some(line) = status.lines().find(|line| line.starts_with("VmHWM")) {
            println!("peak resident set of the whole test process: {line}");
        }
        assert!(
            declared <= 100 * MB,
            "peak heap {:.1} MB for {UPLOADS} concurrent 6 MB uploads with Content-Length",
            declared as f64 / MB as f64
        );
        assert!(
            chunked <= BUDGET + 50 * MB,
            "peak heap {:.1} MB for {UPLOADS} concurrent chunked 6 MB uploads",
            chunked as f64 / MB as f64
        );
    });
}
