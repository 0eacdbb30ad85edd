"""Azure AI Face requests checked in-process, before they are sent.

A request the Face service would reject (an upper-case person group ID,
eleven faceIds in an identify call, a 600-byte image, a liveness token
lifetime of 30 s) is answered at once with the error the service documents:
same status, same ``{"error": {"code": ..., "message": ...}}`` body, same
``x-ms-error-code``. Everything else is sent unchanged.

With the official SDK (``azure-ai-vision-face``)::

    from azure.ai.vision.face import FaceClient
    from face_preflight import FacePreflightPolicy

    client = FaceClient(endpoint, credential, per_call_policies=[FacePreflightPolicy()])

The SDK raises its own ``HttpResponseError`` for a local answer, exactly as
if the service had answered. The checks are the Rust crate face-preflight's.
"""

from http import HTTPStatus
from typing import Any, Iterable, Optional, Tuple

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, HTTPPolicy
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import case_insensitive_dict

from . import _native

__all__ = [
    "AsyncFacePreflightPolicy",
    "FaceApiError",
    "FacePreflightPolicy",
    "check",
    "documented_errors",
]


class FaceApiError(Exception):
    """An error the Face service documents, answered locally.

    ``status`` (int), ``code`` and ``message`` are the service's, verbatim.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__("%d %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message


def check(method: str, url: str, headers: Iterable[Tuple[str, str]] = (), body: Optional[bytes] = None) -> None:
    """Checks one whole request with the default settings.

    Returns ``None`` if the service may accept it (or the operation is not a
    Face operation this package knows); raises :class:`FaceApiError` with the
    service's documented answer otherwise.

    >>> check("PUT", "https://x.cognitiveservices.azure.com/face/v1.2/persongroups/Staff",
    ...       [("content-type", "application/json")], b'{"name":"staff"}')
    Traceback (most recent call last):
    ...
    face_preflight.FaceApiError: 400 BadArgument: Person group ID is invalid.
    """
    verdict = _native.check(method, url, headers, body)
    if verdict is not None:
        raise FaceApiError(*verdict)


def documented_errors():
    """Every documented error as ``(status, code, message)``, for ``allow=``."""
    return _native.documented_errors()


class _Preflight:
    """What the sync and async policies share: the options and counters."""

    def __init__(
        self,
        *,
        report_only: bool = False,
        allow: Iterable[Tuple[str, str]] = (),
        judge_newer_versions: bool = False,
        allow_limited_attributes: bool = False,
        path_prefix: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._preflight = _native.Preflight(
            report_only=report_only,
            allow=[(code, message) for code, message in allow],
            judge_newer_versions=judge_newer_versions,
            allow_limited_attributes=allow_limited_attributes,
            path_prefix=path_prefix,
        )

    @property
    def stats(self) -> dict:
        """The counters: ``rejected`` (answered locally) and, in report-only
        mode, ``agreed``, ``false_rejections``, ``missed``,
        ``different_errors``, with ``rows`` by operation and code."""
        return self._preflight.stats()

    def _judge(self, request: PipelineRequest):
        """The native verdict: ``(answer, watch)``."""
        http_request = request.http_request
        content = http_request.content
        if content is None or isinstance(content, (bytes, str)):
            # The body at hand: one native call.
            return self._preflight.decide(http_request.method, http_request.url, http_request.headers, content)
        judging = self._preflight.judge(http_request.method, http_request.url, http_request.headers)
        if judging is None:
            return None, None
        limit = judging.body_limit
        if limit is not None:
            body = _body_of(content, limit)
            if body is not None:
                judging.read_body(body)
        return judging.decide()


def _body_of(content, limit: int) -> Optional[bytes]:
    """A streamed body as it will be sent, read without losing it; ``None``
    when it cannot be (a one-shot stream): then it is judged without."""
    if isinstance(content, (bytearray, memoryview)):
        return bytes(content)
    read, seek, tell = (getattr(content, name, None) for name in ("read", "seek", "tell"))
    if read is None or seek is None or tell is None:
        return None
    try:
        if hasattr(content, "seekable") and not content.seekable():
            return None
        start = tell()
        # One byte past the limit tells "too large" without holding more.
        data = read(limit + 1)
        seek(start)
    except (OSError, ValueError):
        return None
    return bytes(data) if isinstance(data, (bytes, bytearray)) else None


def _answer_parts(http_request, answer):
    headers = case_insensitive_dict(answer.headers)
    headers["content-length"] = str(len(answer.body))
    return dict(
        request=http_request,
        internal_response=None,
        status_code=answer.status,
        reason=HTTPStatus(answer.status).phrase,
        content_type=headers.get("content-type"),
        headers=headers,
        stream_download_generator=None,
    )


class _LocalResponse(HttpResponseImpl):
    """A local answer, read like any transport's response."""

    def __init__(self, http_request, answer) -> None:
        super().__init__(**_answer_parts(http_request, answer))
        self._content = answer.body

    def close(self) -> None:
        # No connection behind it.
        self._is_closed = True


class _AsyncLocalResponse(AsyncHttpResponseImpl):
    """A local answer for the ``aio`` clients."""

    def __init__(self, http_request, answer) -> None:
        super().__init__(**_answer_parts(http_request, answer))
        self._content = answer.body

    async def close(self) -> None:
        self._is_closed = True


def _observe(watch, response: PipelineResponse) -> None:
    """Report-only: shows the service's answer to the pipeline."""
    http_response = response.http_response
    body = None
    if not 200 <= http_response.status_code < 300:
        try:
            body = http_response.content
        except Exception:  # noqa: BLE001 - a streamed answer not read yet
            body = None
    watch.observe(http_response.status_code, http_response.headers, body)


class FacePreflightPolicy(_Preflight, HTTPPolicy):
    """An azure-core policy for the Face SDK's sync clients.

    Place it with ``per_call_policies=[FacePreflightPolicy()]`` on
    ``FaceClient``, ``FaceAdministrationClient`` or ``FaceSessionClient``. A
    request the service would reject gets the service's documented answer
    without being sent (the SDK raises its ``HttpResponseError``); anything
    else goes on unchanged.

    Options: ``report_only=True`` sends everything and counts how the local
    verdicts compare with the real answers (:attr:`stats`);
    ``allow=[(code, message), ...]`` lets through what would get those
    documented errors; ``judge_newer_versions``, ``allow_limited_attributes``
    and ``path_prefix`` as in the Rust crate.
    """

    def send(self, request: PipelineRequest) -> PipelineResponse:
        answer, watch = self._judge(request)
        if answer is not None:
            http_request = request.http_request
            return PipelineResponse(http_request, _LocalResponse(http_request, answer), request.context)
        response = self.next.send(request)
        if watch is not None:
            _observe(watch, response)
        return response


class AsyncFacePreflightPolicy(_Preflight, AsyncHTTPPolicy):
    """:class:`FacePreflightPolicy` for the SDK's ``aio`` clients."""

    async def send(self, request: PipelineRequest) -> PipelineResponse:
        answer, watch = self._judge(request)
        if answer is not None:
            http_request = request.http_request
            return PipelineResponse(http_request, _AsyncLocalResponse(http_request, answer), request.context)
        response = await self.next.send(request)
        if watch is not None:
            _observe(watch, response)
        return response
