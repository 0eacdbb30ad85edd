// The official JavaScript Face SDK (@azure-rest/ai-vision-face) through
// face-preflight-proxy, as tests/python/sdk_through_proxy.py does it for
// the Python SDK.
//
// A stand-in Face service on 127.0.0.1 records every request. Each valid
// call is made twice with the SDK: straight to the stand-in, then through
// the proxy; the two recorded requests must be the same (method, path and
// query, headers but the per-request ones and the hop-by-hop ones, body
// bytes). A long-running operation (train, then polls at the
// operation-Location) must go through the proxy whole: the proxy counts
// every request the stand-in saw from the proxied client. Each invalid call
// through the proxy must come back with the documented status, code and
// message (the SDK's own `isUnexpected` answer), and the stand-in must see
// nothing.
//
// Usage: node sdk_through_proxy.mjs PATH_TO_face-preflight-proxy

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { AzureKeyCredential } from "@azure/core-auth";
import createFaceClient, { getLongRunningPoller, isUnexpected } from "@azure-rest/ai-vision-face";

const GUID = "c5c24a82-6845-4031-9d5d-978df9175426";
const GUID2 = "015839fb-fbd9-4f79-ace9-7675fc2f1dd9";
// Headers that differ per request or concern one connection (RFC 9110 7.6.1).
const VARYING = new Set([
  "x-ms-client-request-id",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const received = [];

function reply(path, method) {
  if (path.endsWith("/detect")) {
    return [{ faceId: GUID, faceRectangle: { top: 1, left: 2, width: 30, height: 30 } }];
  }
  if (path.endsWith("/verify")) return { isIdentical: false, confidence: 0.1 };
  if (path.endsWith("/group")) return { groups: [], messyGroup: [] };
  if (path.endsWith("-sessions")) return { sessionId: GUID, authToken: "token" };
  if (path.endsWith("/train")) return null;
  if (path.includes("/operations/")) {
    return {
      operationId: GUID,
      status: "succeeded",
      createdTime: "2024-01-01T00:00:00Z",
      lastActionTime: "2024-01-01T00:00:00Z",
    };
  }
  if (method === "PUT") return null;
  return [];
}

const standIn = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const headers = [];
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      headers.push([request.rawHeaders[i].toLowerCase(), request.rawHeaders[i + 1]]);
    }
    headers.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
    received.push({ method: request.method, path: request.url, headers, body: body.toString("base64") });
    const path = request.url.split("?")[0];
    const answer = reply(path, request.method);
    const data = answer === null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(answer));
    const head = { "content-type": "application/json; charset=utf-8", "content-length": data.length };
    if (path.endsWith("/train")) {
      // A long-running operation, polled where the answer says.
      const { address, port } = standIn.address();
      head["operation-Location"] = `http://${address}:${port}/face/v1.2/operations/${GUID}`;
      response.writeHead(202, head);
    } else {
      response.writeHead(200, head);
    }
    response.end(data);
  });
});

function jpeg() {
  // A small JPEG-shaped body: SOI, a JFIF segment, a frame header, padding.
  const soi = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const frame = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x40, 0x00, 0x40, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  return Buffer.concat([soi, frame, Buffer.alloc(2000)]);
}

const key = new AzureKeyCredential("stand-in-key");

// Each returns the SDK's response (the last one, for several requests).
const VALID = [
  ["detect an image", (c) => c.path("/detect").post({
    contentType: "application/octet-stream",
    queryParameters: { detectionModel: "detection_03", recognitionModel: "recognition_04", returnFaceId: true },
    body: jpeg(),
  })],
  ["detect from a URL", (c) => c.path("/detect").post({
    queryParameters: { detectionModel: "detection_01", recognitionModel: "recognition_04", returnFaceId: true, returnFaceAttributes: ["headPose", "mask"] },
    body: { url: "https://example.com/face.jpg" },
  })],
  ["create a large person group", (c) => c.path("/largepersongroups/{largePersonGroupId}", "staff").put({
    body: { name: "Staff", recognitionModel: "recognition_04" },
  })],
  ["identify", (c) => c.path("/identify").post({ body: { faceIds: [GUID], largePersonGroupId: "staff" } })],
  ["verify", (c) => c.path("/verify").post({ body: { faceId1: GUID, faceId2: GUID2 } })],
  ["group", (c) => c.path("/group").post({ body: { faceIds: [GUID, GUID2] } })],
  ["find similar", (c) => c.path("/findsimilars").post({ body: { faceId: GUID, faceIds: [GUID2] } })],
  ["train and poll", async (c) => {
    const initial = await c.path("/largepersongroups/{largePersonGroupId}/train", "staff").post();
    const poller = await getLongRunningPoller(c, initial, { intervalInMs: 0 });
    return poller.pollUntilDone();
  }],
  ["liveness session", (c) => c.path("/detectLiveness-sessions").post({
    body: { livenessOperationMode: "Passive", deviceCorrelationId: GUID, authTokenTimeToLiveInSeconds: 600 },
  })],
];

const INVALID = [
  ["upper-case group ID", (c) => c.path("/largepersongroups/{largePersonGroupId}", "Staff").put({ body: { name: "Staff" } }),
    [400, "BadArgument", "Large person group ID is invalid."]],
  ["11 faceIds", (c) => c.path("/identify").post({ body: { faceIds: Array(11).fill(GUID), largePersonGroupId: "staff" } }),
    [400, "BadArgument", "The length of faceIds is not in a valid range."]],
  ["a 500-byte image", (c) => c.path("/detect").post({
    contentType: "application/octet-stream",
    queryParameters: { detectionModel: "detection_03", recognitionModel: "recognition_04", returnFaceId: false },
    body: Buffer.alloc(500, 0xff),
  }), [400, "InvalidImageSize", "Image size is too small."]],
  ["detection_02 with attributes", (c) => c.path("/detect").post({
    queryParameters: { detectionModel: "detection_02", recognitionModel: "recognition_04", returnFaceId: false, returnFaceAttributes: ["mask"] },
    body: { url: "https://example.com/face.jpg" },
  }), [400, "BadArgument", "'returnFaceAttributes' is not supported by detection_02."]],
  ["liveness token lifetime of 30 s", (c) => c.path("/detectLiveness-sessions").post({
    body: { livenessOperationMode: "Passive", deviceCorrelationId: GUID, authTokenTimeToLiveInSeconds: 30 },
  }), [400, "InvalidTokenLifetime", "Invalid authTokenTimeToLiveInSeconds specified. Must be within 60 to 86400."]],
  ["top=0", (c) => c.path("/largepersongroups").get({ queryParameters: { top: 0 } }),
    [400, "BadArgument", "'top' is invalid."]],
];

function comparable(request) {
  return JSON.stringify({
    method: request.method,
    path: request.path,
    headers: request.headers.filter(([name]) => !VARYING.has(name)),
    body: request.body,
  });
}

async function main() {
  await new Promise((resolve) => standIn.listen(0, "127.0.0.1", resolve));
  const upstream = `http://127.0.0.1:${standIn.address().port}`;
  const proxy = spawn(process.argv[2], ["--upstream", upstream, "--plain-http", "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const lines = createInterface({ input: proxy.stdout });
  const first = await new Promise((resolve) => lines.once("line", resolve));
  if (!first.startsWith("listening on ")) throw new Error(first);
  const through = `http://${first.slice("listening on ".length)}`;
  // Plain http on loopback: the SDK refuses it unless told.
  const direct = createFaceClient(upstream, key, { allowInsecureConnection: true });
  const proxied = createFaceClient(through, key, { allowInsecureConnection: true });
  let passed = 0;
  let failed = 0;
  const fail = (message) => {
    console.log(`FAILED  ${message}`);
    failed += 1;
  };
  try {
    let proxiedTotal = 0;
    for (const [name, call] of VALID) {
      try {
        received.length = 0;
        const answer = await call(direct);
        if (answer && isUnexpected(answer)) throw new Error(`direct call answered ${answer.status}`);
        const sent = received.length;
        const again = await call(proxied);
        if (again && isUnexpected(again)) throw new Error(`proxied call answered ${again.status}`);
        proxiedTotal += received.length - sent;
        if (received.length !== 2 * sent) throw new Error(`${sent} direct, ${received.length - sent} proxied`);
        const straight = received.slice(0, sent).map(comparable);
        const proxiedRequests = received.slice(sent).map(comparable);
        for (let i = 0; i < sent; i += 1) {
          if (straight[i] !== proxiedRequests[i]) {
            throw new Error(`differs:\n  direct  ${straight[i]}\n  proxied ${proxiedRequests[i]}`);
          }
        }
        console.log(`ok      valid: ${name} (same ${sent} request(s) upstream)`);
        passed += 1;
      } catch (error) {
        fail(`valid: ${name}: ${error.message}`);
      }
    }

    // Nothing went around the proxy: every request the stand-in saw from
    // the proxied client (the training polls too) came through it.
    const metrics = await (await fetch(`${through}/metrics`)).text();
    const counted = Number(/^face_preflight_proxy_requests_total (\d+)$/m.exec(metrics)?.[1]);
    if (counted === proxiedTotal && counted > 0) {
      console.log(`ok      nothing bypassed the proxy (${counted} requests, polls included)`);
      passed += 1;
    } else {
      fail(`the proxy counted ${counted} requests, the stand-in saw ${proxiedTotal}`);
    }

    for (const [name, call, [status, code, message]] of INVALID) {
      received.length = 0;
      try {
        const answer = await call(proxied);
        const got = [Number(answer.status), answer.body?.error?.code, answer.body?.error?.message];
        const expected = [status, code, message];
        if (isUnexpected(answer) && JSON.stringify(got) === JSON.stringify(expected) && received.length === 0) {
          console.log(`ok      invalid: ${name} -> ${status} ${code} ${JSON.stringify(message)}, never sent`);
          passed += 1;
        } else {
          fail(`invalid: ${name}: got ${JSON.stringify(got)}, stand-in saw ${received.length}`);
        }
      } catch (error) {
        fail(`invalid: ${name}: ${error.message}`);
      }
    }
  } finally {
    proxy.kill("SIGTERM");
    await new Promise((resolve) => proxy.once("exit", resolve));
    standIn.close();
  }
  console.log(`js-sdk: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main();
