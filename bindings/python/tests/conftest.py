"""A recording stand-in for the Face service on 127.0.0.1, shared by the tests."""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# The proxy's SDK test holds the invalid calls both ways in must answer alike.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "python"))

GUID = "c5c24a82-6845-4031-9d5d-978df9175426"
GUID2 = "015839fb-fbd9-4f79-ace9-7675fc2f1dd9"


class StandIn(BaseHTTPRequestHandler):
    """Records each request; answers what the test set, else a plausible 200."""

    protocol_version = "HTTP/1.1"
    received = []
    answer = None  # (status, body bytes) to answer instead

    def log_message(self, *args):
        pass

    def handle_any(self):
        body = self.read_body()
        StandIn.received.append((self.command, self.path, [(k.lower(), v) for k, v in self.headers.items()], body))
        extra = []
        if StandIn.answer is not None:
            status, data = StandIn.answer
        elif self.command == "POST" and self.path.split("?")[0].endswith("/train"):
            # A long-running operation: polled at the address it gives.
            host, port = self.server.server_address[:2]
            extra = [("operation-Location", "http://%s:%d/face/v1.2/operations/%s" % (host, port, GUID))]
            status, data = 202, b""
        else:
            status, data = 200, json.dumps(reply_for(self.command, self.path.split("?")[0])).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def reply_for(method, path):
    if path.endswith("/detect") or path.endswith("/detectLiveness") or path.endswith("/findsimilars"):
        return [] if not path.endswith("/detect") else [{"faceId": GUID, "faceRectangle": {"top": 1, "left": 2, "width": 30, "height": 30}}]
    if path.endswith("/verify"):
        return {"isIdentical": False, "confidence": 0.1}
    if path.endswith("/group"):
        return {"groups": [], "messyGroup": []}
    if path.endswith("/identify"):
        return []
    if path.endswith("/persons") and method == "POST":
        return {"personId": GUID}
    if "/persistedfaces" in path and method == "POST":
        return {"persistedFaceId": GUID}
    if path.endswith("Sessions") or path.endswith("sessions"):
        return {"sessionId": GUID, "authToken": "token"} if method == "POST" else []
    if path.endswith("/training") or "/operations/" in path:
        return {"status": "succeeded", "createdDateTime": "2024-01-01T00:00:00Z", "lastActionDateTime": "2024-01-01T00:00:00Z"}
    if method == "GET" and path.rstrip("/").split("/")[-1] in ("persongroups", "largepersongroups", "facelists", "largefacelists", "persons"):
        return []
    if method == "GET":
        return {"name": "staff", "recognitionModel": "recognition_04", "largePersonGroupId": "staff", "personGroupId": "staff", "faceListId": "staff", "largeFaceListId": "staff"}
    return {}


@pytest.fixture(scope="session")
def stand_in_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


@pytest.fixture
def stand_in(stand_in_url):
    StandIn.received.clear()
    StandIn.answer = None
    yield StandIn
    StandIn.answer = None
