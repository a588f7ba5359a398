/**
 * Each way a server can misbehave, on both runtimes, and the class it becomes
 * (docs/runtimes.md, "Errors"): refused connects, protocol faults, failures
 * while reading the body; no credentials in error messages.
 */
import assert from "node:assert/strict";
import { ConnectError, ReadError, RemoteProtocolError } from "../core/errors.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { refusedPort } from "./fixtures/faults.ts";
import { runtimeName, test } from "./harness.ts";
import { bodyFailure, failure, withFault } from "./http_errors_helpers.ts";
import { run } from "./http_helpers.ts";

test("errors: a refused connect is ConnectError, with method and URL", async () => {
  const server = await refusedPort();
  const t = HttpTransport.make();
  try {
    const error = await failure(t, new Request(server.url, { method: "POST", body: "x" }));
    assert.ok(error instanceof ConnectError, String(error));
    assert.equal(error.method, "POST");
    assert.equal(error.url, `${server.url}/`);
  } finally {
    await run(t.close());
  }
});

test("errors: a server that closes before answering is RemoteProtocolError", () =>
  withFault("closeBeforeResponse", {}, async (t, server) => {
    const error = await failure(t, new Request(server.url));
    assert.ok(error instanceof RemoteProtocolError, String(error));
    assert.ok(server.requests >= 1);
  }));

test("errors: garbage instead of a status line is RemoteProtocolError", () =>
  withFault("garbage", {}, async (t, server) => {
    const error = await failure(t, new Request(server.url));
    assert.ok(error instanceof RemoteProtocolError, String(error));
  }));

test("errors: a reset after the request is ReadError on Deno, RemoteProtocolError on Bun (both ECONNRESET there)", () =>
  withFault("reset", {}, async (t, server) => {
    const error = await failure(t, new Request(server.url));
    const expected = runtimeName === "deno" ? ReadError : RemoteProtocolError;
    assert.ok(error instanceof expected, String(error));
  }));

test("errors: a close mid-body reaches text() as ReadError", () =>
  withFault("closeMidBody", {}, async (t, server) => {
    const response = await run(t.handle(new Request(server.url)));
    assert.equal(response.status, 200);
    const error = await bodyFailure(response, ReadError);
    assert.equal(error.url, `${server.url}/`);
  }));

test("errors: a close mid-chunked-body reaches a body reader as ReadError", () =>
  withFault("closeMidChunked", {}, async (t, server) => {
    const response = await run(t.handle(new Request(server.url)));
    const reader = response.body!.getReader();
    let caught: unknown;
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read());
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ReadError, `expected ReadError, got ${caught}`);
  }));

test("errors: a mid-body close is ReadError however the body is read (for await, pipeTo, pipeThrough, tee)", async () => {
  const ways: Record<string, (body: ReadableStream<Uint8Array>) => Promise<unknown>> = {
    "for await": async (body) => {
      for await (const _ of body);
    },
    pipeTo: (body) => body.pipeTo(new WritableStream()),
    pipeThrough: (body) => new Response(body.pipeThrough(new TransformStream())).arrayBuffer(),
    tee: async (body) => {
      const [a, b] = body.tee();
      await Promise.all([new Response(a).arrayBuffer(), b.cancel()]);
    },
  };
  for (const [way, read] of Object.entries(ways)) {
    await withFault("closeMidChunked", {}, async (t, server) => {
      const response = await run(t.handle(new Request(server.url)));
      const caught = await read(response.body!).then(() => undefined, (error) => error);
      assert.ok(caught instanceof ReadError, `${way}: expected ReadError, got ${caught}`);
    });
  }
});

test("errors: credentials in the URL never reach an error message", async () => {
  const server = await refusedPort();
  const t = HttpTransport.make();
  try {
    const error = await failure(t, new Request(`http://user:s3cret@127.0.0.1:${server.port}/?token=abc`));
    assert.ok(error instanceof ConnectError);
    assert.doesNotMatch(error.message, /s3cret|token=abc/);
    assert.doesNotMatch(error.detail, /s3cret/);
  } finally {
    await run(t.close());
  }
});
