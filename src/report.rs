//! Report-only mode: every request is forwarded, and the local verdict is
//! compared with the service's answer. Also the counters of enforced
//! rejections.
//!
//! The comparison needs the service's error body. It is observed as the
//! caller reads it — the same frames, unchanged and undelayed — and judged
//! when it ends (up to 16 KiB are kept for that). A body
//! dropped unread is judged without it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http::StatusCode;

use crate::catalogue;
use crate::error::{FaceApiError, Source};
use crate::router::Operation;

/// How much of an error body is kept to parse it; Face error envelopes are
/// a few hundred bytes.
pub(crate) const INSPECT_LIMIT: usize = 16 * 1024;

/// How a local verdict compares with the service's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Outcome {
    /// Both accepted; or both rejected with the same status, code and
    /// message; or the crate accepted and the service answered an error
    /// the crate never decides (not found, quota, rate limit, …).
    Agreed,
    /// The crate would have rejected what the service accepted (2xx): the
    /// case that matters most.
    FalseRejection,
    /// The crate accepted, and the service answered an error of
    /// [`catalogue::DECIDED_LOCALLY`]: one the crate could have decided.
    Missed,
    /// Both rejected, with different answers (or the service's answer was
    /// not a Face error envelope).
    DifferentError,
}

impl Outcome {
    /// A short name: `agreed`, `false_rejection`, `missed`, `different_error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Agreed => "agreed",
            Outcome::FalseRejection => "false_rejection",
            Outcome::Missed => "missed",
            Outcome::DifferentError => "different_error",
        }
    }

    fn index(self) -> usize {
        match self {
            Outcome::Agreed => 0,
            Outcome::FalseRejection => 1,
            Outcome::Missed => 2,
            Outcome::DifferentError => 3,
        }
    }

    /// Compares a local verdict with the service's status and parsed error.
    pub fn of(
        local: Option<&FaceApiError>,
        status: StatusCode,
        remote: Option<&FaceApiError>,
    ) -> Outcome {
        match (local, status.is_success()) {
            (None, true) => Outcome::Agreed,
            (Some(_), true) => Outcome::FalseRejection,
            (None, false) => match remote {
                Some(remote)
                    if catalogue::DECIDED_LOCALLY
                        .iter()
                        .any(|entry| remote.is(entry)) =>
                {
                    Outcome::Missed
                }
                _ => Outcome::Agreed,
            },
            (Some(local), false) => match remote {
                Some(remote) if remote == local => Outcome::Agreed,
                _ => Outcome::DifferentError,
            },
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One report-only comparison, as handed to
/// [`PreflightLayer::on_verdict`](crate::PreflightLayer::on_verdict). It holds
/// no body, key or image.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Verdict<'a> {
    /// The operation, if the path is a known one.
    pub operation: Option<Operation>,
    /// The judge that would have answered, if one would have.
    pub source: Option<Source>,
    /// What the crate would have answered; `None` if it would have sent it.
    pub local: Option<&'a FaceApiError>,
    /// The service's status.
    pub status: StatusCode,
    /// The service's error, if its body was a Face error envelope.
    pub remote: Option<&'a FaceApiError>,
    /// How the two compare.
    pub outcome: Outcome,
}

/// The key of one row of [`StatsSnapshot::rows`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct StatsKey {
    /// `None` for a rejection enforced locally, else the report-only outcome.
    pub outcome: Option<Outcome>,
    /// The operation, if the path is a known one.
    pub operation: Option<Operation>,
    /// The judge of the local answer, if the crate answers.
    pub source: Option<Source>,
    /// The local answer's code, if the crate rejects.
    pub local_code: Option<String>,
    /// The service's error code, if it answered one (report-only): a
    /// documented code, or `other` for any code outside the catalogue.
    pub remote_code: Option<String>,
}

/// Counters of a layer and all its clones: local answers of every judge
/// and, in report-only mode, the outcome of every comparison, by judge
/// ([`Source`]), operation and code.
///
/// Totals are atomic counters; the breakdown by outcome, operation and code
/// is kept for everything but plain agreements on a request both sides
/// accept (the common case stays one atomic increment).
///
/// ```
/// let layer = face_preflight::PreflightLayer::new().report_only(true);
/// let stats = layer.stats();
/// // … send requests through services made by `layer` …
/// let snapshot = stats.snapshot();
/// assert_eq!(snapshot.false_rejections, 0);
/// ```
#[derive(Clone, Default)]
pub struct Stats {
    inner: Arc<StatsInner>,
}

#[derive(Default)]
struct StatsInner {
    rejected: AtomicU64,
    outcomes: [AtomicU64; 4],
    rows: Mutex<BTreeMap<StatsKey, u64>>,
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Requests answered locally (enforcing).
    pub rejected: u64,
    /// Report-only comparisons that agreed.
    pub agreed: u64,
    /// Report-only: the crate would have rejected, the service accepted.
    pub false_rejections: u64,
    /// Report-only: the crate accepted, the service answered an error the
    /// crate decides.
    pub missed: u64,
    /// Report-only: both rejected, differently.
    pub different_errors: u64,
    /// Counts by outcome, operation and codes.
    pub rows: Vec<(StatsKey, u64)>,
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Stats").field(&self.snapshot()).finish()
    }
}

impl Stats {
    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let outcome = |o: Outcome| self.inner.outcomes[o.index()].load(Ordering::Relaxed);
        let rows = self
            .inner
            .rows
            .lock()
            .map(|rows| rows.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default();
        StatsSnapshot {
            rejected: self.inner.rejected.load(Ordering::Relaxed),
            agreed: outcome(Outcome::Agreed),
            false_rejections: outcome(Outcome::FalseRejection),
            missed: outcome(Outcome::Missed),
            different_errors: outcome(Outcome::DifferentError),
            rows,
        }
    }

    fn count_row(&self, key: StatsKey) {
        if let Ok(mut rows) = self.inner.rows.lock() {
            *rows.entry(key).or_default() += 1;
        }
    }

    pub(crate) fn count_rejection(
        &self,
        operation: Option<Operation>,
        error: &FaceApiError,
        source: Source,
    ) {
        self.inner.rejected.fetch_add(1, Ordering::Relaxed);
        self.count_row(StatsKey {
            outcome: None,
            operation,
            source: Some(source),
            local_code: Some(error.code().to_owned()),
            remote_code: None,
        });
    }

    pub(crate) fn count_verdict(&self, verdict: &Verdict<'_>) {
        self.inner.outcomes[verdict.outcome.index()].fetch_add(1, Ordering::Relaxed);
        if verdict.outcome == Outcome::Agreed && verdict.local.is_none() && verdict.remote.is_none()
        {
            return;
        }
        self.count_row(StatsKey {
            outcome: Some(verdict.outcome),
            operation: verdict.operation,
            source: verdict.source,
            local_code: verdict.local.map(|e| e.code().to_owned()),
            remote_code: verdict.remote.map(|e| code_label(e.code()).to_owned()),
        });
    }
}

/// A service's error code as a counter's key: one of the documented codes,
/// or `other`. The codes come from answer bodies; kept as they are, a
/// service (or anything posing as one) could grow the counters without bound.
pub(crate) fn code_label(code: &str) -> &'static str {
    catalogue::ALL
        .iter()
        .find(|entry| entry.code == code)
        .map_or("other", |entry| entry.code)
}

/// The label of an operation in metrics: its `Debug` form, or `unknown`.
#[cfg(feature = "metrics")]
pub(crate) fn operation_label(operation: Option<Operation>) -> String {
    operation.map_or_else(|| "unknown".to_owned(), |op| format!("{op:?}"))
}
