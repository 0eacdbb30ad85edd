"""The official Python Face SDK (azure-ai-vision-face) through face-preflight-proxy.

A stand-in Face service on 127.0.0.1 records every request. Each valid call
is made twice with the SDK: straight to the stand-in, then through the proxy;
the two recorded requests must be the same (method, path and query, headers
but the per-request ID and the hop-by-hop ones, body bytes). Each invalid call
through the proxy must raise the SDK's own HttpResponseError with the
documented status, code and message, and the stand-in must see nothing.

With a second argument, a directory holding a test CA and a certificate it
signed (ca.pem, cert.pem, key.pem: `cargo run --example test_certificates`),
the SDK also authenticates with a bearer token credential, which it sends
only over https: to a second proxy serving TLS with that certificate.

Usage: python sdk_through_proxy.py PATH_TO_face-preflight-proxy [TLS_DIRECTORY]
"""

import io
import json
import os
import re
import ssl
import subprocess
import time
import urllib.request
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from azure.core.credentials import AccessToken, AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.ai.vision.face import FaceAdministrationClient, FaceClient, FaceSessionClient

GUID = "c5c24a82-6845-4031-9d5d-978df9175426"
GUID2 = "015839fb-fbd9-4f79-ace9-7675fc2f1dd9"
# Headers that differ per request or concern one connection (RFC 9110 7.6.1).
VARYING = {"x-ms-client-request-id", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class StandIn(BaseHTTPRequestHandler):
    received = []

    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        StandIn.received.append(
            (self.command, self.path, sorted((k.lower(), v) for k, v in self.headers.items()), body)
        )
        path = self.path.split("?")[0]
        if path.endswith("/detect"):
            reply = [{"faceId": GUID, "faceRectangle": {"top": 1, "left": 2, "width": 30, "height": 30}}]
        elif path.endswith("/verify"):
            reply = {"isIdentical": False, "confidence": 0.1}
        elif path.endswith("/group"):
            reply = {"groups": [], "messyGroup": []}
        elif path.endswith("/sessions"):
            reply = {"sessionId": GUID, "authToken": "token"}
        elif path.endswith("/train"):
            reply = None
        elif "/operations/" in path:
            reply = {"status": "succeeded", "createdDateTime": "2024-01-01T00:00:00Z", "lastActionDateTime": "2024-01-01T00:00:00Z"}
        elif self.command == "PUT":
            reply = None
        else:
            reply = []
        data = b"" if reply is None else json.dumps(reply).encode()
        if path.endswith("/train"):
            # A long-running operation, polled where the answer says.
            host, port = self.server.server_address[:2]
            self.send_response(202)
            self.send_header("operation-Location", "http://%s:%d/face/v1.2/operations/%s" % (host, port, GUID))
        else:
            self.send_response(200)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer


def jpeg():
    """A small JPEG-shaped body: SOI, a JFIF segment, a frame header, padding."""
    frame = b"\xff\xc0\x00\x11\x08\x00\x40\x00\x40\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + frame + b"\x00" * 2000


def clients(endpoint):
    key = AzureKeyCredential("stand-in-key")
    return (
        FaceClient(endpoint, key),
        FaceAdministrationClient(endpoint, key),
        FaceSessionClient(endpoint, key),
    )


VALID = [
    ("detect an image", lambda f, a, s: f.detect(jpeg(), detection_model="detection_03", recognition_model="recognition_04", return_face_id=True)),
    ("detect from a URL", lambda f, a, s: f.detect_from_url(url="https://example.com/face.jpg", detection_model="detection_01", recognition_model="recognition_04", return_face_id=True, return_face_attributes=["headPose", "mask"])),
    ("create a large person group", lambda f, a, s: a.large_person_group.create("staff", {"name": "Staff", "recognitionModel": "recognition_04"})),
    ("identify", lambda f, a, s: f.identify_from_large_person_group({"faceIds": [GUID], "largePersonGroupId": "staff"})),
    ("verify", lambda f, a, s: f.verify_face_to_face({"faceId1": GUID, "faceId2": GUID2})),
    ("group", lambda f, a, s: f.group({"faceIds": [GUID, GUID2]})),
    ("find similar", lambda f, a, s: f.find_similar({"faceId": GUID, "faceIds": [GUID2]})),
    ("train and poll", lambda f, a, s: a.large_person_group.begin_train("staff", polling_interval=0).result()),
    ("liveness session", lambda f, a, s: s.create_liveness_session({"livenessOperationMode": "Passive", "deviceCorrelationId": GUID, "authTokenTimeToLiveInSeconds": 600})),
]

INVALID = [
    ("upper-case group ID", lambda f, a, s: a.large_person_group.create("Staff", {"name": "Staff"}), (400, "BadArgument", "Large person group ID is invalid.")),
    ("11 faceIds", lambda f, a, s: f.identify_from_large_person_group({"faceIds": [GUID] * 11, "largePersonGroupId": "staff"}), (400, "BadArgument", "The length of faceIds is not in a valid range.")),
    ("a 500-byte image", lambda f, a, s: f.detect(b"\xff" * 500, detection_model="detection_03", recognition_model="recognition_04", return_face_id=False), (400, "InvalidImageSize", "Image size is too small.")),
    ("detection_02 with attributes", lambda f, a, s: f.detect_from_url(url="https://example.com/face.jpg", detection_model="detection_02", recognition_model="recognition_04", return_face_id=False, return_face_attributes=["mask"]), (400, "BadArgument", "'returnFaceAttributes' is not supported by detection_02.")),
    ("liveness token lifetime of 30 s", lambda f, a, s: s.create_liveness_session({"livenessOperationMode": "Passive", "deviceCorrelationId": GUID, "authTokenTimeToLiveInSeconds": 30}), (400, "InvalidTokenLifetime", "Invalid authTokenTimeToLiveInSeconds specified. Must be within 60 to 86400.")),
]


class StaticToken:
    """A token credential, as azure-identity's are, without an identity service."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("stand-in-token", int(time.time()) + 3600)


def start_proxy(path, upstream, *extra):
    proxy = subprocess.Popen(
        [path, "--upstream", upstream, "--plain-http", "--listen", "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proxy.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proxy, line[len("listening on "):]


def requests_counted(base, context=None):
    metrics = urllib.request.urlopen(base + "/metrics", context=context).read().decode()
    return int(re.search(r"^face_preflight_proxy_requests_total (\d+)$", metrics, re.M).group(1))


def bearer_over_https(proxy_path, upstream, tls_directory):
    """The SDK with a token credential, through a proxy serving TLS."""
    results = []

    def check(name, condition, detail=""):
        results.append(bool(condition))
        print(("ok      " if condition else "FAILED  ") + "https: " + name + ("" if condition else ": " + detail))

    ca = os.path.join(tls_directory, "ca.pem")
    token = StaticToken()
    # Why the proxy needs TLS: the SDK will not send a token over plain http.
    try:
        FaceClient("http://127.0.0.1:1", token).detect_from_url(url="https://example.com/face.jpg", detection_model="detection_03", recognition_model="recognition_04", return_face_id=False)
        check("the SDK refuses a bearer token over plain http", False, "it sent it")
    except ServiceRequestError as error:
        check("the SDK refuses a bearer token over plain http", "TLS" in str(error) or "https" in str(error), repr(error))

    proxy, address = start_proxy(
        proxy_path, upstream,
        "--tls-cert", os.path.join(tls_directory, "cert.pem"),
        "--tls-key", os.path.join(tls_directory, "key.pem"),
    )
    try:
        endpoint = "https://" + address
        face = FaceClient(endpoint, token, connection_verify=ca)
        admin = FaceAdministrationClient(endpoint, token, connection_verify=ca)

        StandIn.received.clear()
        face.detect(jpeg(), detection_model="detection_03", recognition_model="recognition_04", return_face_id=True)
        headers = dict(StandIn.received[-1][2]) if StandIn.received else {}
        check("detect reaches the stand-in with the bearer token", headers.get("authorization") == "Bearer stand-in-token", repr(headers))

        admin.large_person_group.begin_train("staff", polling_interval=0).result()
        polls = [r for r in StandIn.received if "/operations/" in r[1]]
        check("train polls through the proxy over https", len(polls) >= 1, repr(StandIn.received))

        context = ssl.create_default_context(cafile=ca)
        counted = requests_counted(endpoint, context)
        check("nothing bypassed the TLS proxy (%d requests)" % counted, counted == len(StandIn.received), "stand-in saw %d" % len(StandIn.received))

        StandIn.received.clear()
        try:
            admin.large_person_group.create("Staff", {"name": "Staff"})
            check("an upper-case group ID is answered locally", False, "no error raised")
        except HttpResponseError as error:
            got = (error.status_code, error.error.code if error.error else None, error.error.message if error.error else None)
            check("an upper-case group ID is answered locally", got == (400, "BadArgument", "Large person group ID is invalid.") and not StandIn.received, repr(got))
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)
    return results.count(True), results.count(False)


def comparable(request):
    method, path, headers, body = request
    return method, path, [(k, v) for k, v in headers if k not in VARYING], body


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstream = "http://127.0.0.1:%d" % server.server_address[1]
    proxy, address = start_proxy(sys.argv[1], upstream)
    passed = failed = 0
    try:
        through = "http://" + address
        direct_clients, proxied_clients = clients(upstream), clients(through)

        proxied_total = 0
        for name, call in VALID:
            try:
                StandIn.received.clear()
                call(*direct_clients)
                sent = len(StandIn.received)
                call(*proxied_clients)
                proxied_total += len(StandIn.received) - sent
                assert len(StandIn.received) == 2 * sent, StandIn.received
                direct = [comparable(r) for r in StandIn.received[:sent]]
                proxied = [comparable(r) for r in StandIn.received[sent:]]
                assert direct == proxied, "differs:\n  direct  %r\n  proxied %r" % (direct, proxied)
                print("ok      valid: %s (same %d request(s) upstream)" % (name, sent))
                passed += 1
            except Exception as error:  # noqa: BLE001 - report every failure
                print("FAILED  valid: %s: %r" % (name, error))
                failed += 1

        # Nothing went around the proxy: every request the stand-in saw from
        # the proxied clients (the training polls too) came through it.
        counted = requests_counted(through)
        if counted == proxied_total:
            print("ok      nothing bypassed the proxy (%d requests, polls included)" % counted)
            passed += 1
        else:
            print("FAILED  the proxy counted %d requests, the stand-in saw %d" % (counted, proxied_total))
            failed += 1

        for name, call, (status, code, message) in INVALID:
            StandIn.received.clear()
            try:
                call(*proxied_clients)
                print("FAILED  invalid: %s: no error raised" % name)
                failed += 1
            except HttpResponseError as error:
                got = (error.status_code, error.error.code if error.error else None, error.error.message if error.error else None)
                if got == (status, code, message) and not StandIn.received:
                    print("ok      invalid: %s -> %d %s %r, never sent" % (name, status, code, message))
                    passed += 1
                else:
                    print("FAILED  invalid: %s: got %r, stand-in saw %d" % (name, got, len(StandIn.received)))
                    failed += 1
        if len(sys.argv) > 2:
            more_passed, more_failed = bearer_over_https(sys.argv[1], upstream, sys.argv[2])
            passed += more_passed
            failed += more_failed
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)
        server.shutdown()
    print("python-sdk: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
