//! With the `metrics` feature, local rejections and report-only verdicts
//! are counted through the `metrics` facade (here into metrics-util's
//! debugging recorder, as any exporter would receive them).
#![cfg(feature = "metrics")]

use crate::common::*;
use bytes::Bytes;
use face_preflight::PreflightLayer;
use http::Response;
use http_body_util::{BodyExt, Full};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};
use tower::{service_fn, Layer, ServiceExt};

fn counter(
    snapshot: &[(
        CompositeKey,
        Option<metrics::Unit>,
        Option<metrics::SharedString>,
        DebugValue,
    )],
    name: &str,
    labels: &[(&str, &str)],
) -> Option<u64> {
    snapshot.iter().find_map(|(key, _, _, value)| {
        let key_labels: Vec<(&str, &str)> = key
            .key()
            .labels()
            .map(|label| (label.key(), label.value()))
            .collect();
        let matches = key.kind() == MetricKind::Counter
            && key.key().name() == name
            && labels.iter().all(|label| key_labels.contains(label));
        match value {
            DebugValue::Counter(count) if matches => Some(*count),
            _ => None,
        }
    })
}

#[tokio::test(flavor = "current_thread")]
async fn rejections_and_verdicts_are_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    // Enforcing: two local rejections.
    let seen = Seen::default();
    let service = PreflightLayer::new().layer(recording_service(seen.clone()));
    for _ in 0..2 {
        let response = service
            .clone()
            .oneshot(to_full(get("/face/v1.2/persongroups?top=0")))
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    // Report-only: the service accepts what the crate would refuse.
    let accepting = service_fn(|_: http::Request<Full<Bytes>>| async {
        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(b"[]"))))
    });
    let service = PreflightLayer::new().report_only(true).layer(accepting);
    let response = service
        .oneshot(to_full(get("/face/v1.2/persongroups?top=0")))
        .await
        .unwrap();
    response.into_body().collect().await.unwrap();

    let snapshot = snapshotter.snapshot().into_vec();
    assert_eq!(
        counter(
            &snapshot,
            "face_preflight_rejections_total",
            &[
                ("operation", "ListCollections(PersonGroup)"),
                ("code", "BadArgument")
            ]
        ),
        Some(2)
    );
    assert_eq!(
        counter(
            &snapshot,
            "face_preflight_verdicts_total",
            &[("outcome", "false_rejection"), ("code", "BadArgument")]
        ),
        Some(1)
    );
    assert_eq!(seen.calls(), 0);
}
