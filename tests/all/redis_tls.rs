//! Redis over TLS (`rediss://`, feature `redis-tls`): a private Redis
//! serving TLS with a certificate of a test CA, the budget and facts
//! reaching it when told the CA, and falling back to local state (never
//! talking in clear, never trusting an unknown certificate) when not.
#![cfg(feature = "redis-tls")]

use std::time::Duration;

use crate::common::*;
use crate::private_redis::PrivateRedis;
use face_preflight::pace::{Pacing, Rate, RedisBudget};
use face_preflight::PreflightLayer;
use tower::{Layer, ServiceExt};

/// A private Redis with a TLS port (and its plain port, for the test to
/// look inside), its CA's PEM, and the directory holding its files.
struct TlsRedis {
    server: PrivateRedis,
    tls_url: String,
    ca: String,
    directory: std::path::PathBuf,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn tls_redis() -> TlsRedis {
    let certificates = crate::certs::generate();
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let directory = std::env::temp_dir().join(format!(
        "face-preflight-tls-{}-{tls_port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&directory).unwrap();
    let path = |name: &str| directory.join(name).to_str().unwrap().to_owned();
    std::fs::write(path("cert.pem"), &certificates.cert).unwrap();
    std::fs::write(path("key.pem"), &certificates.key).unwrap();
    std::fs::write(path("ca.pem"), &certificates.ca).unwrap();
    let server = PrivateRedis::start_with(&[
        "--tls-port",
        &tls_port.to_string(),
        "--tls-cert-file",
        &path("cert.pem"),
        "--tls-key-file",
        &path("key.pem"),
        "--tls-ca-cert-file",
        &path("ca.pem"),
        "--tls-auth-clients",
        "no",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "no TLS port");
        std::thread::sleep(Duration::from_millis(10));
    }
    TlsRedis {
        server,
        tls_url: format!("rediss://127.0.0.1:{tls_port}"),
        ca: certificates.ca,
        directory,
    }
}

/// The keys in the server, read through its plain port.
fn keys(server: &PrivateRedis) -> Vec<String> {
    let mut connection = redis::Client::open(server.url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("KEYS").arg("*").query(&mut connection).unwrap()
}

async fn one_paced_request(budget: RedisBudget) -> (u16, u64) {
    let pacing = Pacing::new(Rate::per_second(1000)).redis(budget);
    let service = PreflightLayer::new()
        .pacing(pacing.clone())
        .layer(recording_service(Seen::default()));
    let response = service
        .oneshot(to_full(get("/face/v1.2/persongroups")))
        .await
        .unwrap();
    (
        response.status().as_u16(),
        pacing.stats().snapshot().redis_fallbacks,
    )
}

#[tokio::test]
async fn a_budget_over_tls_reaches_redis_when_told_its_ca() {
    let redis = tls_redis();
    let budget = RedisBudget::open_with_ca(&redis.tls_url, redis.ca.as_bytes())
        .unwrap()
        .timeout(Duration::from_secs(2));
    assert_eq!(one_paced_request(budget).await, (200, 0));
    let keys = keys(&redis.server);
    assert!(
        keys.iter()
            .any(|key| key.starts_with("face-preflight:pace:")),
        "{keys:?}"
    );
}

#[tokio::test]
async fn an_unknown_certificate_is_not_trusted() {
    let redis = tls_redis();
    // The system's roots do not hold the test CA: the handshake fails, the
    // local budget decides, and nothing is written.
    let (captured, guard) = crate::tracing_events::capture();
    let budget = RedisBudget::open(&redis.tls_url)
        .unwrap()
        .timeout(Duration::from_secs(2));
    assert_eq!(one_paced_request(budget).await, (200, 1));
    assert_eq!(keys(&redis.server), Vec::<String>::new());
    drop(guard);
    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        output.contains("Redis's TLS certificate is not trusted")
            && !output.contains("Redis unavailable"),
        "{output}"
    );

    // Another CA's certificate does not vouch for it either.
    let other = crate::certs::generate();
    let budget = RedisBudget::open_with_ca(&redis.tls_url, other.ca.as_bytes())
        .unwrap()
        .timeout(Duration::from_secs(2));
    assert_eq!(one_paced_request(budget).await, (200, 1));
    assert_eq!(keys(&redis.server), Vec::<String>::new());
}

#[test]
fn a_ca_for_a_plain_url_is_refused() {
    let error = RedisBudget::open_with_ca("redis://127.0.0.1:6379", b"").unwrap_err();
    assert!(
        error.to_string().contains("must start with rediss://"),
        "{error}"
    );
}
