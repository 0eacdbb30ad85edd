//! `face_preflight._native`: the crate's one pipeline for Python, through
//! [`PreflightLayer::judge`]. The azure-core policies around it are Python
//! (`python/face_preflight/`); this module only turns Python values into a
//! request head and the pipeline's verdict back into Python values.
//!
//! The GIL is released while a body is judged, so other Python threads go
//! on during the check of a 6 MB image.

use bytes::Bytes;
use face_preflight::catalogue::{self, Entry};
use face_preflight::report::StatsSnapshot;
use face_preflight::{Decision, PreflightLayer};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList};

/// Header pairs as Python hands them over.
type Headers = Vec<(String, String)>;

/// The pipeline with one set of options and its counters.
#[pyclass(frozen, module = "face_preflight._native")]
struct Preflight {
    layer: PreflightLayer,
}

#[pymethods]
impl Preflight {
    #[new]
    #[pyo3(signature = (
        *,
        report_only = false,
        allow = Vec::new(),
        judge_newer_versions = false,
        allow_limited_attributes = false,
        path_prefix = None,
        require_credentials = false,
    ))]
    fn new(
        report_only: bool,
        allow: Vec<(String, String)>,
        judge_newer_versions: bool,
        allow_limited_attributes: bool,
        path_prefix: Option<String>,
        require_credentials: bool,
    ) -> PyResult<Self> {
        let mut layer = PreflightLayer::new()
            .report_only(report_only)
            .judge_newer_versions(judge_newer_versions)
            .allow_limited_attributes(allow_limited_attributes)
            .require_credentials(require_credentials);
        if let Some(prefix) = path_prefix {
            layer = layer.path_prefix(prefix);
        }
        for (code, message) in allow {
            layer = layer.allow(&documented(&code, &message)?);
        }
        Ok(Self { layer })
    }

    /// Starts judging a request; `None` when its method, URL or a header is
    /// not one HTTP can carry (the transport will say so; nothing to judge).
    fn judge(&self, method: &str, url: &str, headers: Headers) -> Option<Judging> {
        let head = head_of(method, url, &headers)?;
        let judging = self.layer.judge(&head);
        Some(Judging {
            judging: Some(judging),
            headers: head.headers,
        })
    }

    /// The counters: local answers and report-only comparisons.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        stats_dict(py, &self.layer.stats().snapshot())
    }
}

/// One request on its way through the pipeline.
#[pyclass(module = "face_preflight._native")]
struct Judging {
    judging: Option<face_preflight::Judging>,
    headers: HeaderMap,
}

#[pymethods]
impl Judging {
    /// The most body bytes a judge reads, or `None` if no judge wants the
    /// body (then it need not be read at all).
    #[getter]
    fn body_limit(&self) -> Option<usize> {
        self.judging.as_ref().and_then(|j| j.body_limit())
    }

    /// Hands the body to the judges, without the GIL.
    fn read_body(&mut self, py: Python<'_>, body: PyBackedBytes) {
        if let Some(judging) = self.judging.as_mut() {
            let headers = &self.headers;
            py.detach(|| judging.read_body(headers, &body));
        }
    }

    /// The verdict: `(answer, None)` to answer locally, `(None, watch)` to
    /// send (`watch` is `None` when nothing watches the answer).
    fn decide(&mut self, py: Python<'_>) -> PyResult<(Option<Answer>, Option<Watch>)> {
        let judging = self
            .judging
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("decide() was already called"))?;
        Ok(match judging.decide() {
            Decision::Answer(response) => (Some(Answer::of(py, response)), None),
            Decision::Send(watch) if watch.is_watching() => {
                (None, Some(Watch { watch: Some(watch) }))
            }
            Decision::Send(_) => (None, None),
        })
    }
}

/// A local answer, as the service would have sent it.
#[pyclass(frozen, get_all, module = "face_preflight._native")]
struct Answer {
    status: u16,
    headers: Headers,
    body: Py<PyBytes>,
    code: String,
    message: String,
}

impl Answer {
    fn of(py: Python<'_>, response: http::Response<Bytes>) -> Self {
        let error = response
            .extensions()
            .get::<face_preflight::LocalRejection>()
            .map(|rejection| rejection.error.clone());
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        let status = response.status().as_u16();
        let body = PyBytes::new(py, response.body()).unbind();
        let (code, message) = error.map_or_else(Default::default, |error| {
            (error.code().to_owned(), error.message().to_owned())
        });
        Self {
            status,
            headers,
            body,
            code,
            message,
        }
    }
}

/// What watches the service's answer (report-only comparison).
#[pyclass(module = "face_preflight._native")]
struct Watch {
    watch: Option<face_preflight::Watch>,
}

#[pymethods]
impl Watch {
    /// The service's status, headers and body (`None` if not read).
    #[pyo3(signature = (status, headers, body = None))]
    fn observe(&mut self, status: u16, headers: Headers, body: Option<PyBackedBytes>) {
        let (Some(watch), Ok(status)) = (self.watch.take(), StatusCode::from_u16(status)) else {
            return;
        };
        let headers = header_map(&headers).unwrap_or_default();
        watch.observe(status, &headers, body.as_deref());
    }
}

/// The default pipeline's verdict on a whole request: `None` to send it,
/// else `(status, code, message)`.
#[pyfunction]
#[pyo3(signature = (method, url, headers, body = None))]
fn check(
    py: Python<'_>,
    method: &str,
    url: &str,
    headers: Headers,
    body: Option<PyBackedBytes>,
) -> Option<(u16, String, String)> {
    let head = head_of(method, url, &headers)?;
    let body = body.as_deref().unwrap_or_default();
    let request = http::Request::from_parts(head, body);
    py.detach(|| face_preflight::check(&request).err())
        .map(|error| {
            (
                error.status().as_u16(),
                error.code().to_owned(),
                error.message().to_owned(),
            )
        })
}

/// Every documented error: `(status, code, message)` rows of the official table.
#[pyfunction]
fn documented_errors() -> Vec<(u16, &'static str, &'static str)> {
    catalogue::ALL
        .iter()
        .map(|entry| (entry.status.as_u16(), entry.code, entry.message))
        .collect()
}

fn documented(code: &str, message: &str) -> PyResult<Entry> {
    catalogue::ALL
        .iter()
        .find(|entry| entry.code == code && entry.message == message)
        .copied()
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "not a documented Face error: ({code:?}, {message:?}); see documented_errors()"
            ))
        })
}

fn head_of(method: &str, url: &str, headers: &[(String, String)]) -> Option<http::request::Parts> {
    let (mut parts, ()) = http::Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(url)
        .body(())
        .ok()?
        .into_parts();
    parts.headers = header_map(headers)?;
    Some(parts)
}

fn header_map(headers: &[(String, String)]) -> Option<HeaderMap> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_bytes(value.as_bytes()).ok()?,
        );
    }
    Some(map)
}

fn stats_dict<'py>(py: Python<'py>, snapshot: &StatsSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("rejected", snapshot.rejected)?;
    dict.set_item("agreed", snapshot.agreed)?;
    dict.set_item("false_rejections", snapshot.false_rejections)?;
    dict.set_item("missed", snapshot.missed)?;
    dict.set_item("different_errors", snapshot.different_errors)?;
    let rows = PyList::empty(py);
    for (key, count) in &snapshot.rows {
        let row = PyDict::new(py);
        row.set_item("outcome", key.outcome.map(|o| o.as_str()))?;
        row.set_item("operation", key.operation.map(|op| format!("{op:?}")))?;
        row.set_item("source", key.source.map(|s| s.as_str()))?;
        row.set_item("local_code", key.local_code.as_deref())?;
        row.set_item("remote_code", key.remote_code.as_deref())?;
        row.set_item("count", count)?;
        rows.append(row)?;
    }
    dict.set_item("rows", rows)?;
    Ok(dict)
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Preflight>()?;
    module.add_class::<Judging>()?;
    module.add_class::<Answer>()?;
    module.add_class::<Watch>()?;
    module.add_function(wrap_pyfunction!(check, module)?)?;
    module.add_function(wrap_pyfunction!(documented_errors, module)?)?;
    Ok(())
}
