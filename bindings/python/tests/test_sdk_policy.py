"""The official Face SDK (azure-ai-vision-face) with FacePreflightPolicy.

Every valid call reaches the stand-in byte-identical with and without the
policy; every invalid call raises the SDK's own HttpResponseError with the
documented status, code, message and x-ms-error-code, and is never sent.
Sync and aio clients; report-only counts; file bodies read and rewound.
"""

import asyncio
import io

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.ai.vision.face import FaceAdministrationClient, FaceClient, FaceSessionClient
from azure.ai.vision.face import aio

from conftest import GUID, GUID2
from face_preflight import AsyncFacePreflightPolicy, FaceApiError, FacePreflightPolicy, check
import sdk_through_proxy

# Headers that differ per request or concern one connection.
VARYING = {"x-ms-client-request-id", "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"}
KEY = AzureKeyCredential("stand-in-key")


def jpeg(padding=2000):
    """A JPEG-shaped body: SOI, a JFIF segment, a 64x64 frame header, padding."""
    frame = b"\xff\xc0\x00\x11\x08\x00\x40\x00\x40\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + frame + b"\x00" * padding


def clients(endpoint, *policies):
    return tuple(cls(endpoint, KEY, per_call_policies=list(policies)) for cls in (FaceClient, FaceAdministrationClient, FaceSessionClient))


def aio_clients(endpoint, *policies):
    return tuple(
        cls(endpoint, KEY, per_call_policies=list(policies))
        for cls in (aio.FaceClient, aio.FaceAdministrationClient, aio.FaceSessionClient)
    )


IDENTIFY = {"faceIds": [GUID], "largePersonGroupId": "staff"}

# (name, call): one call of each public operation family the SDK has.
VALID = [
    ("detect an image", lambda f, a, s: f.detect(jpeg(), detection_model="detection_03", recognition_model="recognition_04", return_face_id=True)),
    ("detect from a URL", lambda f, a, s: f.detect_from_url(url="https://example.com/face.jpg", detection_model="detection_01", recognition_model="recognition_04", return_face_id=True, return_face_attributes=["headPose", "mask"])),
    ("identify", lambda f, a, s: f.identify_from_large_person_group(IDENTIFY)),
    ("verify face to face", lambda f, a, s: f.verify_face_to_face({"faceId1": GUID, "faceId2": GUID2})),
    ("verify to a person", lambda f, a, s: f.verify_from_large_person_group({"faceId": GUID, "largePersonGroupId": "staff", "personId": GUID2})),
    ("group", lambda f, a, s: f.group({"faceIds": [GUID, GUID2]})),
    ("find similar", lambda f, a, s: f.find_similar({"faceId": GUID, "faceIds": [GUID2]})),
    ("find similar in a large face list", lambda f, a, s: f.find_similar_from_large_face_list({"faceId": GUID, "largeFaceListId": "faces"})),
    ("create a large person group", lambda f, a, s: a.large_person_group.create("staff", {"name": "Staff", "recognitionModel": "recognition_04"})),
    ("get a large person group", lambda f, a, s: a.large_person_group.get("staff")),
    ("list large person groups", lambda f, a, s: a.large_person_group.get_large_person_groups(top=10)),
    ("update a large person group", lambda f, a, s: a.large_person_group.update("staff", {"name": "Staff 2"})),
    ("create a person", lambda f, a, s: a.large_person_group.create_person("staff", {"name": "Ada"})),
    ("list persons", lambda f, a, s: a.large_person_group.get_persons("staff", top=5)),
    ("add a person face", lambda f, a, s: a.large_person_group.add_face("staff", GUID, jpeg(), detection_model="detection_03")),
    ("add a person face from a URL", lambda f, a, s: a.large_person_group.add_face_from_url("staff", GUID, url="https://example.com/face.jpg")),
    ("train and poll", lambda f, a, s: a.large_person_group.begin_train("staff", polling_interval=0).result()),
    ("training status", lambda f, a, s: a.large_person_group.get_training_status("staff")),
    ("delete a large person group", lambda f, a, s: a.large_person_group.delete("staff")),
    ("create a large face list", lambda f, a, s: a.large_face_list.create("faces", {"name": "Faces", "recognitionModel": "recognition_04"})),
    ("add a list face", lambda f, a, s: a.large_face_list.add_face("faces", jpeg(), user_data="x")),
    ("list large face lists", lambda f, a, s: a.large_face_list.get_large_face_lists()),
    ("liveness session", lambda f, a, s: s.create_liveness_session({"livenessOperationMode": "Passive", "deviceCorrelationId": GUID, "authTokenTimeToLiveInSeconds": 600})),
    ("list liveness sessions", lambda f, a, s: s.get_liveness_sessions(top=3)),
]

INVALID = sdk_through_proxy.INVALID + [
    ("top=0", lambda f, a, s: a.large_person_group.get_large_person_groups(top=0), (400, "BadArgument", "'top' is invalid.")),
    ("an upper-case face list ID", lambda f, a, s: a.large_face_list.create("Faces", {"name": "Faces"}), (400, "BadArgument", "Large face list ID is invalid.")),
    ("a TIFF", lambda f, a, s: f.detect(b"II*\x00" + b"\x00" * 2000, detection_model="detection_03", recognition_model="recognition_04", return_face_id=False), (400, "InvalidImage", "Decoding error, image format unsupported.")),
    ("no faceIds to group", lambda f, a, s: f.group({"faceIds": []}), (400, "BadArgument", "The length of faceIds is not in a valid range.")),
]


def comparable(request):
    method, path, headers, body = request
    return method, path, sorted((k, v) for k, v in headers if k not in VARYING), body


def sdk_error(error):
    return (error.status_code, error.error.code if error.error else None, error.error.message if error.error else None)


@pytest.mark.parametrize("name,call", VALID, ids=[v[0] for v in VALID])
def test_a_valid_call_reaches_the_service_unchanged(stand_in, stand_in_url, name, call):
    call(*clients(stand_in_url))
    without = [comparable(r) for r in stand_in.received]
    stand_in.received.clear()
    policy = FacePreflightPolicy()
    call(*clients(stand_in_url, policy))
    assert [comparable(r) for r in stand_in.received] == without
    assert without, "the call sent nothing"
    assert policy.stats["rejected"] == 0


@pytest.mark.parametrize("name,call,expected", INVALID, ids=[v[0] for v in INVALID])
def test_an_invalid_call_raises_the_sdk_error_and_is_never_sent(stand_in, stand_in_url, name, call, expected):
    policy = FacePreflightPolicy()
    with pytest.raises(HttpResponseError) as raised:
        call(*clients(stand_in_url, policy))
    assert sdk_error(raised.value) == expected
    assert raised.value.response.headers["x-ms-error-code"] == expected[1]
    assert raised.value.response.headers["content-type"] == "application/json; charset=utf-8"
    response = raised.value.response
    assert response.read() == response.content and b'"code"' in response.content
    response.close()
    assert response.is_closed
    assert stand_in.received == []
    assert policy.stats["rejected"] == 1


def test_the_answers_are_the_ones_the_service_gives(stand_in, stand_in_url):
    # The stand-in answering the documented error: the SDK cannot tell
    # the local answer from the service's.
    name, call, (status, code, message) = INVALID[0]
    import json

    stand_in.answer = (status, json.dumps({"error": {"code": code, "message": message}}).encode())
    with pytest.raises(HttpResponseError) as remote:
        call(*clients(stand_in_url))
    with pytest.raises(HttpResponseError) as local:
        call(*clients(stand_in_url, FacePreflightPolicy()))
    assert sdk_error(local.value) == sdk_error(remote.value)
    assert type(local.value) is type(remote.value)
    assert str(local.value) == str(remote.value)


def test_aio_clients_get_the_same_answers(stand_in, stand_in_url):
    async def run():
        failures = []
        for name, call, expected in INVALID:
            clients = aio_clients(stand_in_url, AsyncFacePreflightPolicy())
            try:
                await call(*clients)
                failures.append((name, "no error"))
            except HttpResponseError as error:
                if sdk_error(error) != expected:
                    failures.append((name, sdk_error(error)))
                if await error.response.read() != error.response.content:
                    failures.append((name, "read"))
                await error.response.close()
            finally:
                for client in clients:
                    await client.close()
        for name, call in VALID:
            if name == "train and poll":
                continue
            for policies in ((), (AsyncFacePreflightPolicy(),)):
                clients = aio_clients(stand_in_url, *policies)
                try:
                    await call(*clients)
                finally:
                    for client in clients:
                        await client.close()
        return failures

    assert asyncio.run(run()) == []
    assert len(stand_in.received) == 2 * (len(VALID) - 1)
    pairs = [comparable(r) for r in stand_in.received]
    assert pairs[0::2] == pairs[1::2]


def test_aio_long_running_operation_goes_through_the_policy(stand_in, stand_in_url):
    class Counting(AsyncFacePreflightPolicy):
        seen = []

        async def send(self, request):
            Counting.seen.append(request.http_request.url)
            return await super().send(request)

    async def run():
        async with aio.FaceAdministrationClient(stand_in_url, KEY, per_call_policies=[Counting()]) as admin:
            poller = await admin.large_person_group.begin_train("staff", polling_interval=0)
            await poller.result()

    asyncio.run(run())
    paths = [path for _, path, _, _ in stand_in.received]
    assert any("/operations/" in path for path in paths), paths
    # Every request, the polls too, went through the policy.
    assert len(Counting.seen) == len(paths) == 2
    assert "/operations/" in Counting.seen[1]


def test_report_only_sends_everything_and_counts_the_comparisons(stand_in, stand_in_url):
    policy = FacePreflightPolicy(report_only=True)
    f, a, s = clients(stand_in_url, policy)
    a.large_person_group.create("Staff", {"name": "Staff"})  # the service accepts: a false rejection
    stand_in.answer = (400, b'{"error":{"code":"BadArgument","message":"The length of faceIds is not in a valid range."}}')
    with pytest.raises(HttpResponseError):
        f.group({"faceIds": []})  # the same answer: agreed
    with pytest.raises(HttpResponseError):
        f.group({"faceIds": [GUID, GUID2]})  # a miss: the crate decides that error
    assert len(stand_in.received) == 3
    stats = policy.stats
    assert (stats["false_rejections"], stats["agreed"], stats["missed"], stats["rejected"]) == (1, 1, 1, 0)
    rejected = [row for row in stats["rows"] if row["outcome"] == "false_rejection"]
    assert [(row["source"], row["local_code"], row["remote_code"], row["count"]) for row in rejected] == [("rules", "BadArgument", None, 1)]
    assert "LargePersonGroup" in rejected[0]["operation"]


def test_allowed_errors_are_let_through(stand_in, stand_in_url):
    allow = [("BadArgument", "The length of faceIds is not in a valid range.")]
    f, a, s = clients(stand_in_url, FacePreflightPolicy(allow=allow))
    f.group({"faceIds": []})
    assert len(stand_in.received) == 1
    with pytest.raises(ValueError, match="not a documented Face error"):
        FacePreflightPolicy(allow=[("BadArgument", "no such message")])


def test_a_file_body_is_judged_and_rewound_for_the_real_send(stand_in, stand_in_url):
    image = jpeg()
    f, a, s = clients(stand_in_url, FacePreflightPolicy())
    f.detect(io.BytesIO(image), detection_model="detection_03", recognition_model="recognition_04", return_face_id=True)
    assert stand_in.received[0][3] == image
    stand_in.received.clear()
    with pytest.raises(HttpResponseError) as raised:
        f.detect(io.BytesIO(b"\xff" * 500), detection_model="detection_03", recognition_model="recognition_04", return_face_id=False)
    assert sdk_error(raised.value) == (400, "InvalidImageSize", "Image size is too small.")
    assert stand_in.received == []


def test_a_one_shot_stream_is_not_read_and_goes_on_whole(stand_in, stand_in_url):
    # Read, these 500 bytes would be refused as too small; a generator
    # cannot be read without losing it, so it is sent whole, unjudged.
    chunks = [b"\xff" * 200, b"\xff" * 300]
    f, a, s = clients(stand_in_url, FacePreflightPolicy())
    f.detect(iter(chunks), detection_model="detection_03", recognition_model="recognition_04", return_face_id=False)
    assert [body for *_, body in stand_in.received] == [b"".join(chunks)]


def test_check_raises_the_documented_error():
    with pytest.raises(FaceApiError) as raised:
        check("POST", "https://x.cognitiveservices.azure.com/face/v1.2/group", [("content-type", "application/json")], b'{"faceIds":[]}')
    assert (raised.value.status, raised.value.code, raised.value.message) == (400, "BadArgument", "The length of faceIds is not in a valid range.")
    assert check("GET", "https://x.cognitiveservices.azure.com/face/v1.2/largepersongroups?top=10") is None
    # Not an HTTP request at all: nothing to judge, left to the transport.
    assert check("GET", "not a url\n") is None


def test_a_gateway_prefix_is_checked_behind_it(stand_in, stand_in_url):
    group = lambda policy: FaceClient(stand_in_url + "/gateway", KEY, per_call_policies=[policy]).group({"faceIds": []})
    group(FacePreflightPolicy())  # the Face path starts after /gateway: not judged
    assert [path.split("?")[0] for _, path, _, _ in stand_in.received] == ["/gateway/face/v1.2-preview.1/group"]
    stand_in.received.clear()
    with pytest.raises(HttpResponseError) as raised:
        group(FacePreflightPolicy(path_prefix="/gateway"))
    assert sdk_error(raised.value) == (400, "BadArgument", "The length of faceIds is not in a valid range.")
    assert stand_in.received == []


def test_newer_versions_are_judged_only_when_asked(stand_in, stand_in_url):
    group = lambda policy: FaceClient(stand_in_url, KEY, api_version="v1.4", per_call_policies=[policy]).group({"faceIds": []})
    group(FacePreflightPolicy())
    assert len(stand_in.received) == 1
    with pytest.raises(HttpResponseError) as raised:
        group(FacePreflightPolicy(judge_newer_versions=True))
    assert sdk_error(raised.value) == (400, "BadArgument", "The length of faceIds is not in a valid range.")
    assert len(stand_in.received) == 1
