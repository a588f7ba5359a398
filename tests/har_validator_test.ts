/**
 * The HAR 1.2 validator the recording tests rely on: it accepts the spec's
 * own shape and names each departure from it.
 */
import assert from "node:assert/strict";
import { test } from "./harness.ts";
import { validateHar } from "./har_validator.ts";

const valid = () => ({
  log: {
    version: "1.2",
    creator: { name: "tool", version: "1" },
    pages: [{ startedDateTime: "2009-04-16T12:07:25.123+01:00", id: "page_0", title: "T", pageTimings: {} }],
    entries: [{
      pageref: "page_0",
      startedDateTime: "2009-04-16T12:07:23.596Z",
      time: 50,
      request: {
        method: "POST",
        url: "http://www.example.com/path/?param=value",
        httpVersion: "HTTP/1.1",
        cookies: [{ name: "c", value: "v", httpOnly: false }],
        headers: [{ name: "a", value: "b" }],
        queryString: [{ name: "param", value: "value" }],
        postData: { mimeType: "text/plain", text: "x" },
        headersSize: 150,
        bodySize: 1,
      },
      response: {
        status: 200,
        statusText: "OK",
        httpVersion: "HTTP/1.1",
        cookies: [],
        headers: [],
        content: { size: 33, compression: 0, mimeType: "text/html; charset=utf-8", text: "\n" },
        redirectURL: "",
        headersSize: 160,
        bodySize: 850,
      },
      cache: { beforeRequest: null, afterRequest: { lastAccess: "x", eTag: "", hitCount: 0 } },
      timings: { blocked: 0, dns: -1, connect: 15, send: 20, wait: 10, receive: 5, ssl: -1 },
      _custom: { anything: true },
    }],
  },
});

test("har validator: the spec's own example shape passes", () => {
  assert.deepEqual(validateHar(valid()), []);
});

test("har validator: names each departure from HAR 1.2", () => {
  type Loose = Record<string, unknown>;
  const broken = valid() as unknown as { log: Loose & { entries: Array<unknown> } };
  const entry = broken.log.entries[0] as Loose & { request: Loose; response: Loose; timings: Loose };
  delete broken.log.creator;
  entry.time = 49;
  entry.pageref = "page_9";
  entry.startedDateTime = "yesterday";
  entry.request.url = "http://x.test/#frag";
  entry.request.postData = { mimeType: "text/plain" };
  delete entry.request.queryString;
  entry.response.status = "200";
  entry.response.extra = 1;
  entry.timings.wait = -2;
  assert.deepEqual(validateHar(broken).sort(), [
    "log.creator: required, missing",
    "log.entries[0].pageref: no page has the id page_9",
    "log.entries[0].request.postData: needs `text` or `params`",
    "log.entries[0].request.queryString: required, missing",
    "log.entries[0].request.url: a request URL must not include its fragment",
    "log.entries[0].response.extra: not a HAR 1.2 field, and custom fields start with _",
    "log.entries[0].response.status: expected number, got string",
    "log.entries[0].startedDateTime: not an ISO 8601 date: yesterday",
    "log.entries[0].time: 49 is not the sum of the timings, 38",
    "log.entries[0].timings.wait: must not be negative",
  ]);
});
