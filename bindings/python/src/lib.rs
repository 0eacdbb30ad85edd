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
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

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
    ///
    /// `headers` is a mapping (its `items()` are read) or pairs; values
    /// that are not `str` are read as `str(value)`, as the transports send
    /// them.
    fn judge(
        &self,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Judging>> {
        let Some(head) = head_of(method, url, header_map_of(headers)?) else {
            return Ok(None);
        };
        let judging = self.layer.judge(&head);
        Ok(Some(Judging {
            judging: Some(judging),
            headers: head.headers,
        }))
    }

    /// The whole verdict on a request whose body is at hand (`bytes`, `str`
    /// sent as UTF-8, or `None`): `judge`, `read_body` and `decide` in one
    /// call, for the common case.
    #[pyo3(signature = (method, url, headers, body = None))]
    fn decide(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Verdict> {
        let Some(head) = head_of(method, url, header_map_of(headers)?) else {
            return Ok((None, None));
        };
        let mut judging = self.layer.judge(&head);
        if judging.wants_body() {
            match body {
                None => read_body(py, &mut judging, &head.headers, b""),
                Some(body) => {
                    if let Ok(bytes) = body.cast::<PyBytes>() {
                        read_body(py, &mut judging, &head.headers, bytes.as_bytes());
                    } else if let Ok(text) = body.cast::<PyString>() {
                        let text = text.to_cow()?;
                        read_body(py, &mut judging, &head.headers, text.as_bytes());
                    }
                }
            }
        }
        Ok(verdict(py, judging))
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
            read_body(py, judging, &self.headers, &body);
        }
    }

    /// The verdict: `(answer, None)` to answer locally, `(None, watch)` to
    /// send (`watch` is `None` when nothing watches the answer).
    fn decide(&mut self, py: Python<'_>) -> PyResult<Verdict> {
        let judging = self
            .judging
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("decide() was already called"))?;
        Ok(verdict(py, judging))
    }
}

/// `(answer, None)` to answer locally, `(None, watch)` to send (`watch`
/// is `None` when nothing watches the answer).
type Verdict = (Option<Answer>, Option<Watch>);

fn verdict(py: Python<'_>, judging: face_preflight::Judging) -> Verdict {
    match judging.decide() {
        Decision::Answer(response) => (Some(Answer::of(py, response)), None),
        Decision::Send(watch) if watch.is_watching() => (None, Some(Watch { watch: Some(watch) })),
        Decision::Send(_) => (None, None),
    }
}

/// Bodies from this size on are judged without the GIL: an image's check
/// is worth letting other threads run; a JSON body's costs less than the
/// release itself.
const RELEASE_GIL_FROM: usize = 16 * 1024;

fn read_body(
    py: Python<'_>,
    judging: &mut face_preflight::Judging,
    headers: &HeaderMap,
    body: &[u8],
) {
    if body.len() >= RELEASE_GIL_FROM {
        py.detach(|| judging.read_body(headers, body));
    } else {
        judging.read_body(headers, body);
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
    fn observe(
        &mut self,
        status: u16,
        headers: &Bound<'_, PyAny>,
        body: Option<PyBackedBytes>,
    ) -> PyResult<()> {
        let (Some(watch), Ok(status)) = (self.watch.take(), StatusCode::from_u16(status)) else {
            return Ok(());
        };
        let headers = header_map_of(headers)?.unwrap_or_default();
        watch.observe(status, &headers, body.as_deref());
        Ok(())
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
    headers: &Bound<'_, PyAny>,
    body: Option<PyBackedBytes>,
) -> PyResult<Option<(u16, String, String)>> {
    let Some(head) = head_of(method, url, header_map_of(headers)?) else {
        return Ok(None);
    };
    let body = body.as_deref().unwrap_or_default();
    let request = http::Request::from_parts(head, body);
    let verdict = py.detach(|| face_preflight::check(&request).err());
    Ok(verdict.map(|error| {
        (
            error.status().as_u16(),
            error.code().to_owned(),
            error.message().to_owned(),
        )
    }))
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

fn head_of(method: &str, url: &str, headers: Option<HeaderMap>) -> Option<http::request::Parts> {
    let (mut parts, ()) = http::Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(url)
        .body(())
        .ok()?
        .into_parts();
    parts.headers = headers?;
    Some(parts)
}

/// Headers from a mapping or an iterable of pairs; `None` if one is not
/// an HTTP header (then nothing is judged).
fn header_map_of(headers: &Bound<'_, PyAny>) -> PyResult<Option<HeaderMap>> {
    let py = headers.py();
    // azure-core's CaseInsensitiveDict keeps `{lower: (name, value)}` in
    // `_store`: read it directly, since its `items()` runs Python code per
    // header. Any other mapping (or a future azure-core) takes `items()`.
    let pairs = match headers.getattr_opt(pyo3::intern!(py, "_store"))? {
        Some(store) if store.is_exact_instance_of::<PyDict>() => {
            store.call_method0(pyo3::intern!(py, "values"))?
        }
        _ if headers.hasattr(pyo3::intern!(py, "items"))? => {
            headers.call_method0(pyo3::intern!(py, "items"))?
        }
        _ => headers.clone(),
    };
    let mut map = HeaderMap::new();
    for pair in pairs.try_iter()? {
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract()?;
        let name = name.str()?;
        let value = value.str()?;
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.to_cow()?.as_bytes()),
            HeaderValue::from_bytes(value.to_cow()?.as_bytes()),
        ) else {
            return Ok(None);
        };
        map.append(name, value);
    }
    Ok(Some(map))
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
