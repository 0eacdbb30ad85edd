//! The settings of a [`PreflightLayer`](crate::PreflightLayer), shared by
//! every adapter, and the one verdict they all ask for.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method};

use crate::catalogue::Entry;
use crate::error::FaceApiError;
use crate::report::{Stats, Verdict};
use crate::router::{self, Operation};
use crate::rules::{check_head, BodyPlan, Options};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service that `poll_ready` made ready, leaving a clone in its place:
/// a middleware that sends the request later (after reading its body, after
/// its wait) sends it with this one, as tower-http's async middleware does.
pub(crate) fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}

/// A user's callback for every report-only verdict.
pub(crate) type OnVerdict = Arc<dyn Fn(&Verdict<'_>) + Send + Sync>;

/// Settings shared by every clone of a layer and its services.
#[derive(Clone, Default)]
pub(crate) struct Config {
    pub(crate) options: Options,
    pub(crate) reject_with_error: bool,
    pub(crate) report_only: bool,
    /// Answers the user switched off: a request that would get one passes.
    pub(crate) allowed: Vec<Entry>,
    pub(crate) stats: Stats,
    pub(crate) on_verdict: Option<OnVerdict>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("options", &self.options)
            .field("reject_with_error", &self.reject_with_error)
            .field("report_only", &self.report_only)
            .field("allowed", &self.allowed)
            .field("on_verdict", &self.on_verdict.is_some())
            .finish_non_exhaustive()
    }
}

/// What to do with a request before its body is read.
pub(crate) enum Decision {
    /// Nothing to check, or nothing wrong.
    Pass,
    /// The service would answer this.
    Reject(FaceApiError),
    /// The body decides: read it within the plan's limit.
    Read(BodyPlan),
}

impl Config {
    /// The verdict on everything but the body, for every adapter: the
    /// rules of the head, then a declared `Content-Length` past the plan's
    /// limit, then the allowed answers.
    pub(crate) fn decide_head(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Decision {
        match check_head(&self.options, method, path, query, headers) {
            Ok(None) => Decision::Pass,
            Ok(Some(plan)) if plan.declared_too_large(headers) => self.screen(plan.too_large()),
            Ok(Some(plan)) => Decision::Read(plan),
            Err(error) => self.screen(error),
        }
    }

    /// The verdict on a body that [`decide_head`](Self::decide_head) asked for.
    pub(crate) fn decide_body(
        &self,
        plan: &BodyPlan,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), FaceApiError> {
        match plan.check(headers, body) {
            Ok(()) => Ok(()),
            Err(error) => match self.screen(error) {
                Decision::Reject(error) => Err(error),
                _ => Ok(()),
            },
        }
    }

    /// The whole verdict on a request whose body is at hand.
    pub(crate) fn decide(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), FaceApiError> {
        match self.decide_head(method, path, query, headers) {
            Decision::Pass => Ok(()),
            Decision::Reject(error) => Err(error),
            Decision::Read(plan) => self.decide_body(&plan, headers, body),
        }
    }

    fn screen(&self, error: FaceApiError) -> Decision {
        if self.allowed.iter().any(|entry| error.is(entry)) {
            Decision::Pass
        } else {
            Decision::Reject(error)
        }
    }

    /// The operation of a path, for reports.
    pub(crate) fn operation(&self, method: &Method, path: &str) -> Option<Operation> {
        let path = match self.options.path_prefix.as_deref() {
            Some(prefix) => path.strip_prefix(prefix)?,
            None => path,
        };
        router::route_versions(method, path, self.options.judge_newer_versions)
            .map(|matched| matched.route.operation)
    }

    /// Counts and traces a local answer sent in place of the service's.
    pub(crate) fn note_rejection(&self, method: &Method, path: &str, error: &FaceApiError) {
        let operation = self.operation(method, path);
        self.stats.count_rejection(operation, error);
        #[cfg(feature = "tracing")]
        tracing::debug!(
            operation = ?operation,
            status = error.status().as_u16(),
            code = error.code(),
            message = error.message(),
            "Face request rejected before sending",
        );
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "face_preflight_rejections_total",
            "operation" => crate::report::operation_label(operation),
            "code" => error.code().to_owned(),
        )
        .increment(1);
    }
}
