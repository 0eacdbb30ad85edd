//! `/metrics`: one Prometheus registry (metrics-exporter-prometheus) per
//! proxy. The layer's counters reach it through the `metrics` facade (see
//! [`PreflightLayer::metrics_recorder`](crate::PreflightLayer::metrics_recorder)),
//! the proxy counts its own there too, and the pacing and facts counters,
//! which those judges keep in their stats, are copied in as each scrape
//! renders.
//!
//! The registry is the proxy's own rather than the process's global
//! recorder: an application that runs two proxies, or a test binary, gets
//! each one's counts apart.

use std::sync::Arc;

use metrics::{Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use super::Observed;

/// The proxy's own counters.
#[derive(Clone, Copy, Debug)]
pub(super) enum ProxyCounter {
    Requests,
    ClientErrors,
    Busy,
    UpstreamErrors,
    UpstreamTimeouts,
}

impl ProxyCounter {
    const ALL: [ProxyCounter; 5] = [
        ProxyCounter::Requests,
        ProxyCounter::ClientErrors,
        ProxyCounter::Busy,
        ProxyCounter::UpstreamErrors,
        ProxyCounter::UpstreamTimeouts,
    ];

    fn name(self) -> &'static str {
        match self {
            ProxyCounter::Requests => "face_preflight_proxy_requests_total",
            ProxyCounter::ClientErrors => "face_preflight_proxy_client_errors_total",
            ProxyCounter::Busy => "face_preflight_proxy_busy_total",
            ProxyCounter::UpstreamErrors => "face_preflight_proxy_upstream_errors_total",
            ProxyCounter::UpstreamTimeouts => "face_preflight_proxy_upstream_timeouts_total",
        }
    }

    fn help(self) -> &'static str {
        match self {
            ProxyCounter::Requests => {
                "Requests received by the proxy (health and metrics excluded)."
            }
            ProxyCounter::ClientErrors => {
                "Requests whose body the client broke (400 or 408, never sent on whole)."
            }
            ProxyCounter::Busy => "Requests that found no room in the body budget in time (503).",
            ProxyCounter::UpstreamErrors => "Requests the upstream could not be reached for (502).",
            ProxyCounter::UpstreamTimeouts => "Requests the upstream did not answer in time (504).",
        }
    }
}

/// The counters the layer sends through the facade, described once.
const LAYER_COUNTERS: [(&str, &str); 2] = [
    (
        "face_preflight_rejections_total",
        "Requests answered locally with the service's documented error, by operation, judge and code.",
    ),
    (
        "face_preflight_verdicts_total",
        "Report-only comparisons of the local verdict with the service's answer.",
    ),
];

/// Counters the pacing and the facts keep in their stats, copied in at
/// each scrape.
const MIRRORED_COUNTERS: [(&str, &str); 8] = [
    (
        "face_preflight_disagreements_total",
        "Report-only disagreements by outcome, operation, local and remote code.",
    ),
    (
        "face_preflight_paced_requests_total",
        "Requests let through by the pacing budget.",
    ),
    (
        "face_preflight_paced_waits_total",
        "Requests that waited for their slot.",
    ),
    (
        "face_preflight_paced_wait_milliseconds_total",
        "Time requests waited for their slot.",
    ),
    (
        "face_preflight_local_429_total",
        "Requests answered locally with 429.",
    ),
    (
        "face_preflight_remote_429_total",
        "429 answers received from the service.",
    ),
    (
        "face_preflight_redis_fallbacks_total",
        "Pacing decisions made locally because Redis was unavailable.",
    ),
    (
        "face_preflight_facts_answers_total",
        "Requests answered locally from learned facts, by code.",
    ),
];

/// One proxy's Prometheus registry.
#[derive(Clone)]
pub(super) struct Registry {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// The proxy's counters, registered once: counting one is an atomic
    /// add, not a registry lookup per request.
    proxy_counters: Arc<[metrics::Counter; 5]>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl Registry {
    pub(super) fn new() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let recorder = Arc::new(recorder);
        let proxy_counters = metrics::with_local_recorder(&*recorder, || {
            for (name, help) in LAYER_COUNTERS.iter().chain(&MIRRORED_COUNTERS) {
                metrics::describe_counter!(*name, *help);
            }
            ProxyCounter::ALL.map(|counter| {
                metrics::describe_counter!(counter.name(), Unit::Count, counter.help());
                // Registered now, so a scrape before the first failure
                // still shows the series, at zero.
                metrics::counter!(counter.name())
            })
        });
        Self {
            recorder,
            handle,
            proxy_counters: Arc::new(proxy_counters),
        }
    }

    /// The recorder for the layer's counters.
    pub(super) fn recorder(&self) -> Arc<dyn Recorder + Send + Sync> {
        self.recorder.clone()
    }

    fn with(&self, record: impl FnOnce()) {
        metrics::with_local_recorder(&*self.recorder, record);
    }

    pub(super) fn increment(&self, counter: ProxyCounter) {
        if let Some(handle) = self.proxy_counters.get(counter as usize) {
            handle.increment(1);
        }
    }

    /// The Prometheus text of everything, the judges' stats copied in first.
    pub(super) fn render(&self, observed: &Observed) -> String {
        self.with(|| mirror(observed));
        self.handle.render()
    }
}

/// Copies the counters the judges keep themselves into the registry.
fn mirror(observed: &Observed) {
    let preflight = observed.preflight.snapshot();
    for (key, count) in &preflight.rows {
        let Some(outcome) = key.outcome else { continue };
        metrics::counter!(
            "face_preflight_disagreements_total",
            "outcome" => outcome.as_str(),
            "operation" => crate::report::operation_label(key.operation),
            "local_code" => key.local_code.clone().unwrap_or_default(),
            "remote_code" => key.remote_code.clone().unwrap_or_default(),
        )
        .absolute(*count);
    }

    let pace = observed.pace.snapshot();
    let waited_ms = u64::try_from(pace.waited_total.as_millis()).unwrap_or(u64::MAX);
    for (name, value) in [
        ("face_preflight_paced_requests_total", pace.sent),
        ("face_preflight_paced_waits_total", pace.waited),
        ("face_preflight_paced_wait_milliseconds_total", waited_ms),
        ("face_preflight_local_429_total", pace.local_429),
        ("face_preflight_remote_429_total", pace.remote_429),
        ("face_preflight_redis_fallbacks_total", pace.redis_fallbacks),
    ] {
        metrics::counter!(name).absolute(value);
    }

    let facts = observed.facts.snapshot();
    for (code, value) in [
        ("FaceNotFound", facts.face_not_found),
        ("RecognitionModelIncompatible", facts.incompatible),
    ] {
        metrics::counter!("face_preflight_facts_answers_total", "code" => code).absolute(value);
    }
}
