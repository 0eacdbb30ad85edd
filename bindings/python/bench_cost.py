"""What FacePreflightPolicy adds to a call of the official SDK, beside the
SDK's own pipeline time, measured in one run.

The client is `FaceClient.identify_from_large_person_group` with 10 faceIds
over a canned transport (no network: it answers `200 []` at once), so the
time per call is the SDK's own pipeline. Rounds alternate without and with
the policy; the medians of the rounds are printed, and their difference is
the policy's cost per call. A pass-through policy beside them shows what
any per-call policy costs the SDK's pipeline by itself.

Usage: python bench_cost.py [ROUNDS] [CALLS_PER_ROUND]
"""

import statistics
import sys
import time

from azure.core.credentials import AzureKeyCredential
from azure.core.pipeline.policies import HTTPPolicy
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict
from azure.ai.vision.face import FaceClient

from face_preflight import FacePreflightPolicy

FACE_IDS = ["c5c24a82-6845-4031-9d5d-%012x" % i for i in range(10)]


class CannedResponse(HttpResponseImpl):
    def __init__(self, request):
        headers = case_insensitive_dict({"content-type": "application/json; charset=utf-8", "content-length": "2"})
        super().__init__(
            request=request,
            internal_response=None,
            status_code=200,
            reason="OK",
            content_type=headers["content-type"],
            headers=headers,
            stream_download_generator=None,
        )
        self._content = b"[]"

    def close(self):
        self._is_closed = True


class CannedTransport(HttpTransport):
    def send(self, request, **kwargs):
        return CannedResponse(request)

    def open(self):
        pass

    def close(self):
        pass

    def __exit__(self, *args):
        pass


class PassThrough(HTTPPolicy):
    """A policy that does nothing: what any per-call policy costs the SDK."""

    def send(self, request):
        return self.next.send(request)


def client(*policies):
    return FaceClient(
        "https://x.cognitiveservices.azure.com",
        AzureKeyCredential("key"),
        transport=CannedTransport(),
        per_call_policies=list(policies),
    )


def per_call(face, calls):
    body = {"faceIds": FACE_IDS, "largePersonGroupId": "staff"}
    start = time.perf_counter()
    for _ in range(calls):
        face.identify_from_large_person_group(body)
    return (time.perf_counter() - start) / calls * 1e6


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    arms = {
        "SDK pipeline alone": client(),
        "with a pass-through policy": client(PassThrough()),
        "with FacePreflightPolicy": client(FacePreflightPolicy()),
    }
    for face in arms.values():
        per_call(face, 200)  # warm-up
    times = {name: [] for name in arms}
    for _ in range(rounds):
        for name, face in arms.items():
            times[name].append(per_call(face, calls))
    medians = {name: statistics.median(values) for name, values in times.items()}
    bare = medians["SDK pipeline alone"]
    for name, median in medians.items():
        print("%-28s %7.1f us/call  (%+5.1f us, %.3f x)" % (name, median, median - bare, median / bare))
    added = statistics.median(c - b for b, c in zip(times["SDK pipeline alone"], times["with FacePreflightPolicy"]))
    node = statistics.median(c - b for b, c in zip(times["with a pass-through policy"], times["with FacePreflightPolicy"]))
    print("added by FacePreflightPolicy: %.1f us/call (median of round differences; %.1f %% of the SDK's own time)" % (added, 100 * added / bare))
    print("  of which the checks, beyond any policy's node: %.1f us/call" % node)
    print("(median of %d alternating rounds of %d calls)" % (rounds, calls))

if __name__ == "__main__":
    main()
