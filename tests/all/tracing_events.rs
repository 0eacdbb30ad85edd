//! With the `tracing` feature, each rejection emits one event with the
//! operation, status and code.
#![cfg(feature = "tracing")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::common::*;
use face_preflight::PreflightLayer;
use tower::{Layer, ServiceExt};

#[derive(Clone, Default)]
pub(crate) struct Captured(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every event of this thread, in plain text, while the guard lives.
pub(crate) fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn a_rejection_emits_one_event() {
    let (captured, _guard) = capture();

    let seen = Seen::default();
    let service = PreflightLayer::new().layer(recording_service(seen.clone()));
    service
        .clone()
        .oneshot(to_full(get("/face/v1.2/persongroups?top=0")))
        .await
        .unwrap();
    service
        .oneshot(to_full(get("/face/v1.2/persongroups?top=5")))
        .await
        .unwrap();

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let events: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("rejected"))
        .collect();
    assert_eq!(events.len(), 1, "{output}");
    let event = events[0];
    assert!(event.contains("DEBUG"), "{event}");
    assert!(
        event.contains("operation=Some(ListCollections(PersonGroup))"),
        "{event}"
    );
    assert!(event.contains("status=400"), "{event}");
    assert!(event.contains("code=\"BadArgument\""), "{event}");
    assert!(event.contains("source=\"rules\""), "{event}");
}

#[tokio::test]
async fn a_report_only_disagreement_emits_one_warning_without_the_body() {
    let (captured, _guard) = capture();

    let seen = Seen::default();
    let service = PreflightLayer::new()
        .report_only(true)
        .layer(recording_service(seen.clone()));
    let secret = "ocp-key-that-must-not-appear";
    let mut request = to_full(post_json(
        "/face/v1.2/identify",
        &format!(r#"{{"faceIds":[],"personGroupId":"{secret}"}}"#),
    ));
    request
        .headers_mut()
        .insert("ocp-apim-subscription-key", secret.parse().unwrap());
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(seen.calls(), 1);

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = output.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{output}");
    let warning = warnings[0];
    assert!(warning.contains("outcome=\"false_rejection\""), "{warning}");
    assert!(warning.contains("operation=Some(Identify)"), "{warning}");
    assert!(
        warning.contains("The length of faceIds is not in a valid range."),
        "{warning}"
    );
    assert!(!output.contains(secret), "{output}");
}

/// Issue #26: a Redis that refuses the client's password is told apart
/// from one that is down (both leave the local budget to decide).
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_refused_redis_password_is_not_called_unavailable() {
    use face_preflight::pace::{Pacing, Rate, RedisBudget};
    use std::time::Duration;

    let server = crate::private_redis::PrivateRedis::start_with(&["--requirepass", "right"]);
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    for (url, case) in [
        (format!("redis://:wrong@127.0.0.1:{port}"), "wrong password"),
        (format!("redis://127.0.0.1:{port}"), "no password"),
        ("redis://127.0.0.1:1".to_owned(), "nothing listening"),
    ] {
        let (captured, _guard) = capture();
        let budget = RedisBudget::open(&url)
            .unwrap()
            .timeout(Duration::from_millis(500));
        let pacing = Pacing::new(Rate::per_second(1000)).redis(budget);
        let service = PreflightLayer::new()
            .pacing(pacing.clone())
            .layer(recording_service(Seen::default()));
        let response = service
            .oneshot(to_full(get("/face/v1.2/persongroups")))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{case}: the local budget decided");
        assert_eq!(pacing.stats().snapshot().redis_fallbacks, 1, "{case}");
        let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let refused = output.contains("Redis refused the credentials");
        let unavailable = output.contains("Redis unavailable");
        if case == "nothing listening" {
            assert!(unavailable && !refused, "{case}: {output}");
        } else {
            assert!(refused && !unavailable, "{case}: {output}");
        }
    }
}
