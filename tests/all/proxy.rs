//! face-preflight-proxy over loopback: what reaches the upstream, local
//! answers, 502 and 504 of its own, health and metrics, draining on
//! shutdown. (The official Python SDK through the proxy runs from
//! `.ci/run`: `tests/python/sdk_through_proxy.py`.)
#![cfg(feature = "proxy")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{assert_response, guids, image_of};
use bytes::Bytes;
use face_preflight::catalogue;
use face_preflight::proxy::{Proxy, ProxyConfig};
use http::HeaderMap;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[derive(Clone, Debug)]
struct Received {
    method: http::Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Received>>>;

/// An upstream that records requests and answers 200 `{"ok":true}` after `delay`.
async fn upstream(delay: Duration) -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = log.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = state.clone();
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let state = state.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        state.lock().unwrap().push(Received {
                            method: parts.method,
                            path_and_query: parts.uri.path_and_query().unwrap().to_string(),
                            headers: parts.headers,
                            body,
                        });
                        tokio::time::sleep(delay).await;
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .header("apim-request-id", "upstream-1")
                                .header("connection", "keep-alive")
                                .body(Full::new(Bytes::from_static(br#"{"ok":true}"#)))
                                .unwrap(),
                        )
                    }
                },
            );
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (address, log)
}

/// A proxy in front of `upstream`; the sender stops it.
async fn proxy(
    upstream: &str,
    change: impl FnOnce(&mut ProxyConfig),
) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let mut config = ProxyConfig::new(upstream.parse().unwrap());
    change(&mut config);
    let proxy = Proxy::bind("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let address = proxy.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        proxy
            .serve(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (address, stop, task)
}

#[tokio::test]
async fn valid_requests_reach_the_upstream_unchanged() {
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let client = reqwest::Client::new();

    let body = serde_json::json!({"faceIds": guids(10), "personGroupId": "staff"}).to_string();
    let response = client
        .post(format!("http://{address}/face/v1.2/identify?x=1&y=%20z"))
        .header("ocp-apim-subscription-key", "secret-key")
        .header("content-type", "application/json")
        .header("x-ms-client-request-id", "req-1")
        .header("connection", "keep-alive, x-hop")
        .header("x-hop", "only for the proxy")
        .header("te", "trailers")
        .header("proxy-authorization", "Basic abc")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["apim-request-id"], "upstream-1");
    assert!(
        response.headers().get("connection").is_none()
            || response.headers()["connection"] != "x-hop"
    );
    assert_eq!(response.text().await.unwrap(), r#"{"ok":true}"#);

    let received = log.lock().unwrap().pop().unwrap();
    assert_eq!(received.method, http::Method::POST);
    assert_eq!(received.path_and_query, "/face/v1.2/identify?x=1&y=%20z");
    assert_eq!(received.body, Bytes::from(body));
    assert_eq!(received.headers["host"], upstream_address.to_string());
    assert_eq!(received.headers["ocp-apim-subscription-key"], "secret-key");
    assert_eq!(received.headers["x-ms-client-request-id"], "req-1");
    assert_eq!(received.headers["content-type"], "application/json");
    for hop in ["x-hop", "te", "proxy-authorization"] {
        assert!(received.headers.get(hop).is_none(), "{hop} was forwarded");
    }

    // A 5 MB image streams through and arrives whole.
    let image = {
        let mut jpeg = image_of(image::ImageFormat::Jpeg, 64, 64);
        jpeg.resize(5_000_000, 0);
        Bytes::from(jpeg)
    };
    let chunks: Vec<Result<Bytes, std::io::Error>> = image
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let response = client
        .post(format!("http://{address}/face/v1.2/detect"))
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(log.lock().unwrap().pop().unwrap().body, image);
}

#[tokio::test]
async fn invalid_requests_are_answered_without_the_upstream() {
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("http://{address}/face/v1.2/identify"))
        .header("content-type", "application/json")
        .body(serde_json::json!({"faceIds": guids(11), "personGroupId": "staff"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-ms-error-code"], "BadArgument");
    assert_response(
        400,
        &response.bytes().await.unwrap(),
        &catalogue::FACE_IDS_LENGTH_INVALID,
    );
    let response = client
        .get(format!("http://{address}/face/v1.2/persongroups?top=0"))
        .send()
        .await
        .unwrap();
    assert_response(
        400,
        &response.bytes().await.unwrap(),
        &catalogue::TOP_INVALID,
    );
    assert!(log.lock().unwrap().is_empty());

    let metrics = scrape(address).await;
    assert!(
        metrics.contains(
            r#"face_preflight_rejections_total{operation="Identify",source="rules",code="BadArgument"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("face_preflight_proxy_requests_total 2"),
        "{metrics}"
    );
    assert!(metrics.contains("# TYPE face_preflight_remote_429_total counter"));
    let health = client
        .get(format!("http://{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn an_unreachable_or_slow_upstream_gets_502_or_504_of_the_proxy() {
    // Nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (address, _stop, _task) = proxy(&format!("http://{closed}"), |_| {}).await;
    let response = reqwest::get(format!("http://{address}/face/v1.2/persongroups"))
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ProxyUpstreamUnreachable");

    let (slow, _) = upstream(Duration::from_secs(5)).await;
    let (address, _stop, _task) = proxy(&format!("http://{slow}"), |config| {
        config.upstream_timeout = Duration::from_millis(200);
    })
    .await;
    let response = reqwest::get(format!("http://{address}/face/v1.2/persongroups"))
        .await
        .unwrap();
    assert_eq!(response.status(), 504);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ProxyUpstreamTimeout");
    assert!(!catalogue::ALL
        .iter()
        .any(|entry| entry.code == "ProxyUpstreamTimeout"));
}

#[tokio::test]
async fn shutdown_drains_requests_in_flight() {
    let (upstream_address, log) = upstream(Duration::from_millis(300)).await;
    let (address, stop, task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let in_flight = tokio::spawn(async move {
        reqwest::get(format!("http://{address}/face/v1.2/persongroups")).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), r#"{"ok":true}"#);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(log.lock().unwrap().len(), 1);
    // No longer listening.
    assert!(reqwest::get(format!("http://{address}/healthz"))
        .await
        .is_err());
}

#[tokio::test]
async fn the_upstream_path_is_the_face_prefix() {
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) =
        proxy(&format!("http://{upstream_address}/gateway/"), |_| {}).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("http://{address}/face/v1.2/persongroups?top=0"))
        .send()
        .await
        .unwrap();
    assert_response(
        400,
        &response.bytes().await.unwrap(),
        &catalogue::TOP_INVALID,
    );
    assert!(log.lock().unwrap().is_empty());
    let response = client
        .get(format!("http://{address}/face/v1.2/persongroups?top=10"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        log.lock().unwrap()[0].path_and_query,
        "/gateway/face/v1.2/persongroups?top=10"
    );
}

/// The proxy's `/metrics` text.
async fn scrape(address: SocketAddr) -> String {
    reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Sends raw bytes on a new connection; returns what came back until close
/// or `wait`.
async fn raw_exchange(address: SocketAddr, request: &[u8], wait: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_client_body_broken_mid_way_is_the_clients_error_not_a_502() {
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    // A checked path: the layer reads the body and meets a chunk size "ZZ".
    let answer = raw_exchange(
        address,
        b"POST /face/v1.2/identify HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
          transfer-encoding: chunked\r\n\r\n5\r\n{\"fac\r\nZZ\r\n",
        Duration::from_secs(2),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("ProxyBadRequestBody"), "{answer}");
    assert!(log.lock().unwrap().is_empty());
    let metrics = scrape(address).await;
    assert!(
        metrics.contains("face_preflight_proxy_client_errors_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("face_preflight_proxy_upstream_errors_total 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn connect_and_options_star_are_answered_by_the_proxy() {
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let answer = raw_exchange(
        address,
        b"CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n",
        Duration::from_millis(500),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(answer.contains("ProxyMethodNotAllowed"), "{answer}");
    let answer = raw_exchange(
        address,
        b"OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        Duration::from_millis(500),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("allow: get"),
        "{answer}"
    );
    assert!(log.lock().unwrap().is_empty());
}

#[test]
fn upstream_urls_that_cannot_work_are_refused() {
    use face_preflight::proxy::UpstreamUrlError::*;
    for (url, error) in [
        ("http://127.0.0.1:", EmptyPort),
        ("ftp://example.com", Scheme),
        ("myresource.cognitiveservices.azure.com", Scheme),
        ("https://x.cognitiveservices.azure.com/?key=1", Query),
        (
            "https://user:secret@x.cognitiveservices.azure.com",
            UserInfo,
        ),
        ("http://127.0.0.1:9000", PlainHttp),
    ] {
        assert_eq!(ProxyConfig::parse_upstream(url, false), Err(error), "{url}");
    }
    assert!(ProxyConfig::parse_upstream("http://127.0.0.1:9000", true).is_ok());
    let uri =
        ProxyConfig::parse_upstream("https://x.cognitiveservices.azure.com/gw", false).unwrap();
    assert_eq!(
        (uri.host(), uri.path()),
        (Some("x.cognitiveservices.azure.com"), "/gw")
    );
}

/// The proxy binary, as a deployment starts it.
mod binary {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    const PROXY: &str = env!("CARGO_BIN_EXE_face-preflight-proxy");

    #[test]
    fn an_invalid_upstream_stops_it_at_start_with_a_clear_message() {
        let output = Command::new(PROXY)
            .args([
                "--upstream",
                "http://127.0.0.1:",
                "--plain-http",
                "--listen",
                "127.0.0.1:0",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("colon after the host but no port"),
            "{stderr}"
        );
    }

    #[test]
    fn tls_files_that_cannot_be_served_stop_it_at_start() {
        let directory =
            std::env::temp_dir().join(format!("face-preflight-bin-tls-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let certificates = crate::certs::generate();
        let (cert, key) = (directory.join("cert.pem"), directory.join("key.pem"));
        std::fs::write(&cert, &certificates.cert).unwrap();
        std::fs::write(&key, &certificates.key).unwrap();
        let missing = directory.join("missing.pem");
        for (cert, key, says) in [
            (&key, &key, "no usable PEM certificate"),
            (&cert, &cert, "no usable PEM private key"),
            (&cert, &missing, "--tls-key"),
        ] {
            let output = Command::new(PROXY)
                .args(["--upstream", "http://127.0.0.1:9", "--plain-http"])
                .args(["--listen", "127.0.0.1:0", "--tls-cert"])
                .arg(cert)
                .arg("--tls-key")
                .arg(key)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{stderr}");
            assert!(stderr.contains(says), "{says}: {stderr}");
        }
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn help_hides_secret_environment_values() {
        let output = Command::new(PROXY)
            .arg("--help")
            .env("FACE_PREFLIGHT_REDIS", "redis://:hunter2@cache:6379")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("FACE_PREFLIGHT_REDIS"), "{help}");
        assert!(!help.contains("hunter2"), "{help}");
    }

    /// Starts the binary on port 0 with `env`; returns it and its address.
    fn start(env: &[(&str, &str)]) -> (std::process::Child, String) {
        let mut child = Command::new(PROXY)
            .args([
                "--upstream",
                "http://127.0.0.1:9",
                "--listen",
                "127.0.0.1:0",
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_default()
            .to_owned();
        (child, address)
    }

    #[test]
    fn boolean_environment_variables_take_1_and_yes_and_rust_log_is_honoured() {
        let (mut child, address) = start(&[
            ("FACE_PREFLIGHT_PLAIN_HTTP", "1"),
            ("FACE_PREFLIGHT_REPORT_ONLY", "yes"),
            ("RUST_LOG", "warn"),
        ]);
        assert!(!address.is_empty(), "did not start");
        child.kill().unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        // At `warn`, the INFO "ready" line is not written.
        assert!(!stderr.contains("face-preflight-proxy ready"), "{stderr}");

        let (mut child, _) = start(&[
            ("FACE_PREFLIGHT_PLAIN_HTTP", "true"),
            ("FACE_PREFLIGHT_REPORT_ONLY", "1"),
        ]);
        child.kill().unwrap();
        let stderr =
            String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
        assert!(stderr.contains("report_only=true"), "{stderr}");
    }

    /// One GET of `path` to the proxy at `address`, answer ignored.
    fn get(address: &str, path: &str) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }

    #[test]
    fn one_worker_thread_serves_everything() {
        let (mut child, address) = start(&[
            ("FACE_PREFLIGHT_PLAIN_HTTP", "1"),
            ("FACE_PREFLIGHT_WORKER_THREADS", "1"),
        ]);
        let pid = child.id();
        let answer = {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            stream
                .write_all(b"GET /livez HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            answer
        };
        // The main thread alone: no runtime workers beside it.
        let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map(|dir| dir.count());
        child.kill().unwrap();
        let _ = child.wait();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        if let Ok(threads) = threads {
            assert_eq!(threads, 1);
        }
    }

    #[test]
    fn paths_are_logged_only_in_the_access_log_and_cut_short() {
        let id = "a".repeat(1000);
        // An ID too long: answered locally. An unknown path: forwarded (502).
        let path = format!("/face/v1.2/persongroups/{id}");
        let unknown = format!("/face/v1.2/{id}");
        let (mut child, address) = start(&[("FACE_PREFLIGHT_PLAIN_HTTP", "1")]);
        get(&address, &path);
        get(&address, &unknown);
        child.kill().unwrap();
        let stderr =
            String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
        assert!(stderr.contains("upstream unreachable"), "{stderr}");
        assert!(!stderr.contains("aaaa"), "{stderr}");

        let (mut child, address) = start(&[
            ("FACE_PREFLIGHT_PLAIN_HTTP", "1"),
            ("FACE_PREFLIGHT_ACCESS_LOG", "1"),
        ]);
        get(&address, &path);
        child.kill().unwrap();
        let stderr =
            String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
        let logged = &path[..256];
        assert!(stderr.contains(&format!("path={logged} ")), "{stderr}");
        assert!(stderr.contains("status=404"), "{stderr}");
        assert!(stderr.contains("GetCollection"), "{stderr}");
    }

    #[test]
    fn the_first_signal_stops_accepting_and_the_second_exits_at_once() {
        // An upstream that takes every connection and never answers keeps a
        // request in flight.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = format!("http://{}", silent.local_addr().unwrap());
        let mut child = Command::new(PROXY)
            .args([
                "--upstream",
                &upstream,
                "--plain-http",
                "--listen",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        let mut in_flight = std::net::TcpStream::connect(&address).unwrap();
        std::io::Write::write_all(
            &mut in_flight,
            b"GET /face/v1.2/persongroups HTTP/1.1\r\nhost: x\r\n\r\n",
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let pid = child.id().to_string();
        let signal = |name: &str| {
            assert!(Command::new("kill")
                .args(["-s", name, &pid])
                .status()
                .unwrap()
                .success());
        };
        signal("TERM");
        std::thread::sleep(Duration::from_millis(300));
        // Draining: still running, and new connections are refused at once.
        assert!(child.try_wait().unwrap().is_none());
        assert!(std::net::TcpStream::connect(&address).is_err());
        signal("INT");
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "still running after the second signal"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(child.wait().unwrap().code(), Some(130));
        drop(silent);
    }
}

/// An upstream that answers 202 with an `operation-Location` at itself and a
/// `Location` elsewhere, as a long-running operation does.
async fn upstream_with_locations() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = hyper::service::service_fn(
                move |_: hyper::Request<hyper::body::Incoming>| async move {
                    Ok::<_, Infallible>(
                        hyper::Response::builder()
                            .status(202)
                            .header(
                                "operation-location",
                                format!("http://{address}/face/v1.2/operations/7?x=1"),
                            )
                            .header("location", "https://elsewhere.example/face/v1.2/x")
                            .body(Full::new(Bytes::new()))
                            .unwrap(),
                    )
                },
            );
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    address
}

#[tokio::test]
async fn operation_locations_at_the_upstream_point_at_the_proxy() {
    let upstream_address = upstream_with_locations().await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let train = format!("http://{address}/face/v1.2/largepersongroups/staff/train");
    let response = reqwest::Client::new().post(&train).send().await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.headers()["operation-location"],
        format!("http://{address}/face/v1.2/operations/7?x=1").as_str()
    );
    // Not the upstream's: left as it is.
    assert_eq!(
        response.headers()["location"],
        "https://elsewhere.example/face/v1.2/x"
    );

    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |config| {
        config.public_url = Some("https://face-proxy.internal".parse().unwrap());
    })
    .await;
    let train = format!("http://{address}/face/v1.2/largepersongroups/staff/train");
    let response = reqwest::Client::new().post(&train).send().await.unwrap();
    assert_eq!(
        response.headers()["operation-location"],
        "https://face-proxy.internal/face/v1.2/operations/7?x=1"
    );
}

#[tokio::test]
async fn readiness_says_when_the_upstream_cannot_be_reached() {
    let (upstream_address, _) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let probe = |path: &'static str| async move {
        let response = reqwest::get(format!("http://{address}{path}"))
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(probe("/readyz").await, (200, "ready\n".to_owned()));
    reqwest::get(format!("http://{address}/face/v1.2/persongroups"))
        .await
        .unwrap();
    assert_eq!(probe("/readyz").await, (200, "ready\n".to_owned()));

    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (address, _stop, _task) = proxy(&format!("http://{closed}"), |_| {}).await;
    let probe = |path: &'static str| async move {
        let response = reqwest::get(format!("http://{address}{path}"))
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    let response = reqwest::get(format!("http://{address}/face/v1.2/persongroups"))
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        probe("/readyz").await,
        (503, "upstream unreachable\n".to_owned())
    );
    assert_eq!(
        probe("/healthz").await,
        (503, "upstream unreachable\n".to_owned())
    );
    // The process itself is fine.
    assert_eq!(probe("/livez").await, (200, "alive\n".to_owned()));
}

#[tokio::test]
async fn a_client_body_that_stops_arriving_gets_408_on_checked_and_unchecked_paths() {
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |config| {
        config.client_body_timeout = Duration::from_millis(300);
    })
    .await;
    for path in ["/face/v1.2/identify", "/face/v1.2/no-such-operation"] {
        let started = std::time::Instant::now();
        // One chunk, then nothing: a client trickling its body.
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
             transfer-encoding: chunked\r\n\r\n5\r\n{{\"fac\r\n"
        );
        let answer = raw_exchange(address, head.as_bytes(), Duration::from_secs(3)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            answer.contains("ProxyClientBodyTimeout"),
            "{path}: {answer}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{path}");
    }
    // The unchecked path was streamed on: the upstream saw its start, never a whole request.
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_slow_upload_does_not_count_against_the_upstream_timeout() {
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |config| {
        config.upstream_timeout = Duration::from_millis(300);
    })
    .await;
    // 8 chunks 120 ms apart on a path that is streamed on: about 1 s of
    // upload, three times the upstream timeout.
    let chunks = futures_util::stream::unfold(0, |i| async move {
        if i == 8 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(120)).await;
        Some((
            Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1000])),
            i + 1,
        ))
    });
    let response = reqwest::Client::new()
        .post(format!("http://{address}/face/v1.2/no-such-operation"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(log.lock().unwrap()[0].body.len(), 8000);
}

#[tokio::test]
async fn an_upstream_that_stalls_mid_answer_does_not_hold_the_client() {
    // Head and half the body, then silence.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n[1,2,3")
                    .await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |config| {
        config.upstream_timeout = Duration::from_millis(300);
    })
    .await;
    let started = std::time::Instant::now();
    let response = reqwest::get(format!("http://{address}/face/v1.2/persongroups"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.is_err(),
        "a cut answer reads as an error"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// Connections waiting in the accept queue of the listening socket on
/// `port`: the `rx_queue` of its LISTEN row in `/proc/net/tcp`.
#[cfg(target_os = "linux")]
fn accept_queue(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        // Local address `0100007F:PORT`, state 0A (LISTEN), `tx:rx` queues.
        .find(|row| row[1].ends_with(&format!(":{port:04X}")) && row[3] == "0A")
        .map(|row| usize::from_str_radix(row[4].split(':').nth(1).unwrap(), 16).unwrap())
        .unwrap()
}

/// A burst of clients larger than the standard library's accept queue (128)
/// must not lose handshakes while the proxy is busy: the queue is as long as
/// `max_connections` (CI once saw 300 concurrent uploads reset).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_burst_of_clients_waits_in_the_accept_queue() {
    let mut config = ProxyConfig::new("http://127.0.0.1:9".parse().unwrap());
    config.max_connections = 1024;
    // Bound, not yet serving: nothing is accepted, every handshake queues.
    let proxy = Proxy::bind("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let address = proxy.local_addr().unwrap();
    // Concurrently, each for a while: past a full queue the kernel drops
    // handshakes and a connect would retry for minutes.
    let connects: Vec<_> = (0..300)
        .map(|_| {
            tokio::spawn(tokio::time::timeout(
                Duration::from_secs(3),
                tokio::net::TcpStream::connect(address),
            ))
        })
        .collect();
    let mut clients = Vec::new();
    for connect in connects {
        if let Ok(Ok(stream)) = connect.await.unwrap() {
            clients.push(stream);
        }
    }
    // The kernel queues a handshake once its last ACK arrives; give loopback
    // a moment (no timing is asserted, only the count).
    let mut queued = 0;
    for _ in 0..100 {
        queued = accept_queue(address.port());
        if queued >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!((clients.len(), queued), (300, 300));
    drop(proxy);
}

/// Issue #26: with a certificate and key the proxy serves HTTPS (SDKs send
/// bearer tokens only to https:// endpoints); checks, forwarding and the
/// rewritten poll address work over it, and the poll address is https://.
#[tokio::test]
async fn the_proxy_serves_https_with_a_certificate_and_key() {
    let certificates = crate::certs::generate();
    let tls = face_preflight::proxy::ListenTls::from_pem(
        certificates.cert.as_bytes(),
        certificates.key.as_bytes(),
    )
    .unwrap();
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |config| {
        config.tls = Some(tls.clone());
    })
    .await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(certificates.ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{}", address.port());

    let response = client
        .get(format!("{base}/face/v1.2/persongroups?top=0"))
        .send()
        .await
        .unwrap();
    assert_response(
        response.status().as_u16(),
        &response.bytes().await.unwrap(),
        &catalogue::TOP_INVALID,
    );
    assert!(log.lock().unwrap().is_empty());

    let body = serde_json::json!({"faceIds": guids(2), "personGroupId": "staff"}).to_string();
    let response = client
        .post(format!("{base}/face/v1.2/identify"))
        .header("authorization", "Bearer token-1")
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = log.lock().unwrap().pop().unwrap();
    assert_eq!(received.path_and_query, "/face/v1.2/identify");
    assert_eq!(received.headers["authorization"], "Bearer token-1");
    assert_eq!(received.body, Bytes::from(body));

    // A client speaking plain HTTP to the TLS port gets no HTTP answer.
    let answer = raw_exchange(
        address,
        b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_secs(2),
    )
    .await;
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer:?}");

    // Polls of a long-running operation come back over https.
    let upstream_address = upstream_with_locations().await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |config| {
        config.tls = Some(tls);
    })
    .await;
    let response = client
        .post(format!(
            "https://localhost:{}/face/v1.2/largepersongroups/staff/train",
            address.port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.headers()["operation-location"],
        format!(
            "https://localhost:{}/face/v1.2/operations/7?x=1",
            address.port()
        )
        .as_str()
    );
}

#[test]
fn a_certificate_or_key_that_cannot_be_served_is_refused() {
    use face_preflight::proxy::{ListenTls, ListenTlsError};
    let certificates = crate::certs::generate();
    let other = crate::certs::generate();
    let (cert, key) = (certificates.cert.as_bytes(), certificates.key.as_bytes());
    assert!(matches!(
        ListenTls::from_pem(key, key),
        Err(ListenTlsError::Certificate(_))
    ));
    assert!(matches!(
        ListenTls::from_pem(cert, cert),
        Err(ListenTlsError::Key(_))
    ));
    assert!(matches!(
        ListenTls::from_pem(cert, other.key.as_bytes()),
        Err(ListenTlsError::Refused(_))
    ));
    assert!(ListenTls::from_pem(cert, key).is_ok());
}

/// Issue #26: `/metrics` comes from one Prometheus registry per proxy (the
/// layer's counters through the `metrics` facade, the proxy's own beside
/// them), so two proxies in one process count apart.
#[tokio::test]
async fn two_proxies_in_one_process_count_apart() {
    let (upstream_address, _log) = upstream(Duration::ZERO).await;
    let (first, _stop_first, _first_task) =
        proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let (second, _stop_second, _second_task) =
        proxy(&format!("http://{upstream_address}"), |_| {}).await;
    for _ in 0..3 {
        let response = reqwest::get(format!("http://{first}/face/v1.2/persongroups?top=0"))
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    let (first, second) = (scrape(first).await, scrape(second).await);
    let rejected = r#"face_preflight_rejections_total{operation="ListCollections(PersonGroup)",source="rules",code="BadArgument"}"#;
    assert!(first.contains(&format!("{rejected} 3")), "{first}");
    assert!(
        first.contains("face_preflight_proxy_requests_total 3"),
        "{first}"
    );
    assert!(!second.contains(rejected), "{second}");
    assert!(
        second.contains("face_preflight_proxy_requests_total 0"),
        "{second}"
    );
}

/// Issue #26: when the body budget is taken, a request that finds no room
/// within the wait gets 503 `ProxyBusy` with `Retry-After`, never reaches
/// the upstream, and goes through once the room is free again.
#[tokio::test]
async fn a_full_body_budget_answers_503_proxy_busy_then_recovers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |config| {
        config.body_budget = 100 * 1024;
        config.body_budget_wait = Duration::from_millis(200);
    })
    .await;
    let mut body = serde_json::json!({"faceIds": guids(1), "personGroupId": "staff"}).to_string();
    body.push_str(&" ".repeat(90_000 - body.len()));
    let head = format!(
        "POST /face/v1.2/identify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );

    // The first upload reserves its 90,000 bytes and stalls.
    let mut first = tokio::net::TcpStream::connect(address).await.unwrap();
    first.write_all(head.as_bytes()).await.unwrap();
    first.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let client = reqwest::Client::new();
    let identify = |client: &reqwest::Client| {
        client
            .post(format!("http://{address}/face/v1.2/identify"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
    };
    let response = identify(&client).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "ProxyBusy");
    assert!(log.lock().unwrap().is_empty(), "the upstream saw it");

    // The first upload ends, is forwarded, and frees its room.
    first.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut answer = vec![0; 1024];
    let read = first.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    let response = identify(&client).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(log.lock().unwrap().len(), 2);

    let metrics = scrape(address).await;
    assert!(
        metrics.contains("face_preflight_proxy_busy_total 1"),
        "{metrics}"
    );
}

/// An upstream that counts the connections it accepts. `/slow` sends its
/// head and first bytes, then the rest once `release` is notified; `/close`
/// answers and then closes the connection without saying so (as an
/// upstream dropping an idle connection does); anything else answers `[]`.
async fn counting_upstream(
    release: Arc<tokio::sync::Notify>,
) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let connections = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let release = Arc::clone(&release);
            let (closing, close) = oneshot::channel::<()>();
            let closing = Arc::new(Mutex::new(Some(closing)));
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let release = Arc::clone(&release);
                    let closing = Arc::clone(&closing);
                    async move {
                        type Chunks = http_body_util::StreamBody<
                            futures_util::stream::BoxStream<
                                'static,
                                Result<hyper::body::Frame<Bytes>, Infallible>,
                            >,
                        >;
                        let body: Chunks = match request.uri().path() {
                            "/face/v1.2/slow" => {
                                use futures_util::StreamExt;
                                let first = futures_util::stream::once(async {
                                    Ok(hyper::body::Frame::data(Bytes::from_static(b"[")))
                                });
                                let rest = futures_util::stream::once(async move {
                                    release.notified().await;
                                    Ok(hyper::body::Frame::data(Bytes::from_static(b"]")))
                                });
                                http_body_util::StreamBody::new(first.chain(rest).boxed())
                            }
                            path => {
                                if path == "/face/v1.2/close" {
                                    if let Some(closing) = closing.lock().unwrap().take() {
                                        let _ = closing.send(());
                                    }
                                }
                                use futures_util::StreamExt;
                                http_body_util::StreamBody::new(
                                    futures_util::stream::once(async {
                                        Ok(hyper::body::Frame::data(Bytes::from_static(b"[]")))
                                    })
                                    .boxed(),
                                )
                            }
                        };
                        Ok::<_, Infallible>(hyper::Response::new(body))
                    }
                },
            );
            tokio::spawn(async move {
                let connection =
                    http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    _ = connection.as_mut() => {}
                    Ok(()) = close => {
                        // Let the answer go out, then drop the connection.
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.await;
                    }
                }
            });
        }
    });
    (address, connections)
}

/// Issue #26 (throughput): the proxy's own pool of upstream connections
/// reuses one connection for requests in turn, never lends a connection
/// whose answer is still arriving, and sends a request again on a new
/// connection when the upstream has closed an idle one.
#[tokio::test]
async fn upstream_connections_are_reused_never_shared_and_replaced_when_closed() {
    use std::sync::atomic::Ordering;
    let release = Arc::new(tokio::sync::Notify::new());
    let (upstream_address, connections) = counting_upstream(Arc::clone(&release)).await;
    let (address, _stop, _task) = proxy(&format!("http://{upstream_address}"), |_| {}).await;
    let client = reqwest::Client::new();
    let list = format!("http://{address}/face/v1.2/persongroups");

    for _ in 0..5 {
        let response = client.get(&list).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "[]");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1, "reused in turn");

    // A long answer holds its connection: a request meanwhile gets another
    // (if it queued behind the long one, it would wait for ever).
    let slow = client
        .get(format!("http://{address}/face/v1.2/slow"))
        .send()
        .await
        .unwrap();
    let fast = tokio::time::timeout(Duration::from_secs(10), async {
        client
            .get(&list)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
    .await
    .expect("a request waited behind another's answer");
    assert_eq!(fast, "[]");
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    release.notify_one();
    assert_eq!(slow.text().await.unwrap(), "[]");

    // The upstream closes connections after answering `/close`; the
    // requests after it still get their answers, on new connections.
    for _ in 0..3 {
        let response = client
            .get(format!("http://{address}/face/v1.2/close"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "[]");
        let response = client.get(&list).send().await.unwrap();
        assert_eq!(response.status(), 200, "after a closed connection");
        assert_eq!(response.text().await.unwrap(), "[]");
    }
    assert!(connections.load(Ordering::SeqCst) >= 4);
}

/// An https upstream whose certificate no WebPKI root vouches for (here a
/// second proxy serving a test CA's certificate) is never talked to: 502,
/// nothing forwarded.
#[tokio::test]
async fn an_upstream_with_an_untrusted_certificate_is_refused() {
    let certificates = crate::certs::generate();
    let tls = face_preflight::proxy::ListenTls::from_pem(
        certificates.cert.as_bytes(),
        certificates.key.as_bytes(),
    )
    .unwrap();
    let (upstream_address, log) = upstream(Duration::ZERO).await;
    let (tls_proxy, _stop_tls, _tls_task) =
        proxy(&format!("http://{upstream_address}"), |config| {
            config.tls = Some(tls);
        })
        .await;
    let (address, _stop, _task) =
        proxy(&format!("https://localhost:{}", tls_proxy.port()), |_| {}).await;
    let response = reqwest::get(format!("http://{address}/face/v1.2/persongroups"))
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "ProxyUpstreamUnreachable");
    assert!(log.lock().unwrap().is_empty());
}
