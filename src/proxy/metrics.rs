//! `/metrics` in the Prometheus text format, from the layers' counters.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::Observed;
use crate::report::Outcome;

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn counter(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
}

pub(super) fn render(observed: &Observed) -> String {
    let mut out = String::new();
    let preflight = observed.preflight.snapshot();

    counter(
        &mut out,
        "face_preflight_rejections_total",
        "Requests answered locally with the service's documented error.",
    );
    for (key, count) in preflight
        .rows
        .iter()
        .filter(|(key, _)| key.outcome.is_none())
    {
        let _ = writeln!(
            out,
            "face_preflight_rejections_total{{operation=\"{}\",code=\"{}\"}} {count}",
            escape(
                &key.operation
                    .map_or_else(|| "unknown".into(), |op| format!("{op:?}"))
            ),
            escape(key.local_code.as_deref().unwrap_or_default()),
        );
    }

    counter(
        &mut out,
        "face_preflight_verdicts_total",
        "Report-only comparisons of the local verdict with the service's answer.",
    );
    for (outcome, total) in [
        (Outcome::Agreed, preflight.agreed),
        (Outcome::FalseRejection, preflight.false_rejections),
        (Outcome::Missed, preflight.missed),
        (Outcome::DifferentError, preflight.different_errors),
    ] {
        let _ = writeln!(
            out,
            "face_preflight_verdicts_total{{outcome=\"{}\"}} {total}",
            outcome.as_str()
        );
    }
    counter(
        &mut out,
        "face_preflight_disagreements_total",
        "Report-only comparisons by outcome, operation and codes (plain agreements omitted).",
    );
    for (key, count) in &preflight.rows {
        let Some(outcome) = key.outcome else { continue };
        let _ = writeln!(
            out,
            "face_preflight_disagreements_total{{outcome=\"{}\",operation=\"{}\",local_code=\"{}\",remote_code=\"{}\"}} {count}",
            outcome.as_str(),
            escape(&key.operation.map_or_else(|| "unknown".into(), |op| format!("{op:?}"))),
            escape(key.local_code.as_deref().unwrap_or_default()),
            escape(key.remote_code.as_deref().unwrap_or_default()),
        );
    }

    let pace = observed.pace.snapshot();
    for (name, help, value) in [
        (
            "face_preflight_paced_requests_total",
            "Requests let through by the pacing budget.",
            pace.sent,
        ),
        (
            "face_preflight_paced_waits_total",
            "Requests that waited for their slot.",
            pace.waited,
        ),
        (
            "face_preflight_local_429_total",
            "Requests answered locally with 429.",
            pace.local_429,
        ),
        (
            "face_preflight_remote_429_total",
            "429 answers received from the service.",
            pace.remote_429,
        ),
        (
            "face_preflight_redis_fallbacks_total",
            "Pacing decisions made locally because Redis was unavailable.",
            pace.redis_fallbacks,
        ),
    ] {
        counter(&mut out, name, help);
        let _ = writeln!(out, "{name} {value}");
    }
    counter(
        &mut out,
        "face_preflight_paced_wait_seconds_total",
        "Time requests waited for their slot.",
    );
    let _ = writeln!(
        out,
        "face_preflight_paced_wait_seconds_total {}",
        pace.waited_total.as_secs_f64()
    );

    let facts = observed.facts.snapshot();
    counter(
        &mut out,
        "face_preflight_facts_answers_total",
        "Requests answered locally from learned facts.",
    );
    let _ = writeln!(
        out,
        "face_preflight_facts_answers_total{{code=\"FaceNotFound\"}} {}",
        facts.face_not_found
    );
    let _ = writeln!(
        out,
        "face_preflight_facts_answers_total{{code=\"RecognitionModelIncompatible\"}} {}",
        facts.incompatible
    );

    let proxy = &observed.proxy;
    for (name, help, value) in [
        (
            "face_preflight_proxy_requests_total",
            "Requests received by the proxy (health and metrics excluded).",
            &proxy.requests,
        ),
        (
            "face_preflight_proxy_client_errors_total",
            "Requests whose body the client broke (400, never sent on whole).",
            &proxy.client_errors,
        ),
        (
            "face_preflight_proxy_busy_total",
            "Requests that found no room in the body budget in time (503).",
            &proxy.busy,
        ),
        (
            "face_preflight_proxy_upstream_errors_total",
            "Requests the upstream could not be reached for (502).",
            &proxy.upstream_errors,
        ),
        (
            "face_preflight_proxy_upstream_timeouts_total",
            "Requests the upstream did not answer in time (504).",
            &proxy.upstream_timeouts,
        ),
    ] {
        counter(&mut out, name, help);
        let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
    }
    out
}
