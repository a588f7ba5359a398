import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  AppError,
  ConnectError,
  ConnectTimeout,
  DecodingError,
  HttpStatusError,
  InvalidOptions,
  isNotSent,
  isTimeoutError,
  isTransportError,
  NetworkErrorBase,
  PoolTimeout,
  ProxyError,
  ReadError,
  ReadTimeout,
  RemoteProtocolError,
  SwitchyardError,
  TimeoutErrorBase,
  TransportErrorBase,
  WriteError,
  WriteTimeout,
} from "../mod.ts";
import { redactUrl } from "../core/redact.ts";
import { test } from "./harness.ts";

const request = { method: "POST", url: "https://alice:s3cret@api.test/x?token=abc&page=2" };

test("errors: every error redacts userinfo and secret query values from its url and message", () => {
  for (
    const E of [
      ConnectError,
      ConnectTimeout,
      ReadError,
      ReadTimeout,
      WriteError,
      WriteTimeout,
      PoolTimeout,
      ProxyError,
      AppError,
    ]
  ) {
    const error = new E(request, { detail: "x" });
    assert.doesNotMatch(error.message, /s3cret|alice|abc/, E.name);
    assert.doesNotMatch(error.url, /s3cret|alice|abc/, E.name);
    assert.match(error.message, /POST https:\/\/\[redacted\]@api\.test\/x\?token=\[redacted\]&page=2/);
  }
  assert.equal(redactUrl("http://[::1"), "http://[::1");
  assert.equal(redactUrl("http://u:p@[::1"), "http://[redacted]@[::1");
});

test("errors: a cause that quotes a credentialed URL is redacted in the message", () => {
  const cause = new TypeError("fetch failed", {
    cause: new Error("error sending request for url (http://bob:hunter2@h.test/): client error (Connect)"),
  });
  const error = new ConnectError({ method: "GET", url: "http://h.test/" }, { cause });
  assert.doesNotMatch(error.message, /hunter2|bob/);
  assert.match(error.message, /client error \(Connect\)/);
  assert.equal(error.cause, cause, "the cause itself is kept for debugging");
});

test("errors: the tree: instanceof, tags and the union guards", () => {
  const connect = new ConnectError(request);
  assert.ok(connect instanceof Error && connect instanceof SwitchyardError && connect instanceof TransportErrorBase);
  assert.ok(connect instanceof NetworkErrorBase && !(connect instanceof TimeoutErrorBase));
  assert.equal(connect._tag, "ConnectError");
  assert.equal(connect.name, "ConnectError");
  assert.ok(isTransportError(connect) && isNotSent(connect) && !isTimeoutError(connect));
  assert.ok(isNotSent(new ConnectTimeout(request)) && isNotSent(new PoolTimeout(request)));
  assert.ok(!isNotSent(new ReadTimeout(request)) && isTimeoutError(new ReadTimeout(request)));
  assert.ok(!isNotSent(new RemoteProtocolError(request)));
  assert.ok(!isTransportError(new InvalidOptions({ option: "a", received: "b", expected: "c" })));
});

test("errors: messages say what happened and what to do", () => {
  assert.match(new ConnectError(request).message, /never sent, so it is safe to retry/);
  assert.match(new ReadError(request).message, /retry only if it is idempotent/);
  const options = new InvalidOptions({
    option: "localAddress",
    received: '"1.2.3.4"',
    expected: "use Deno",
    runtime: "bun 1.4.4",
  });
  assert.equal(options.message, 'Option `localAddress` is not supported on bun 1.4.4: got "1.2.3.4"; use Deno.');
  const decoding = new DecodingError(request, [{ path: ["user", "id"], message: "expected number" }]);
  assert.match(decoding.message, /at user\.id: expected number/);
});

test("errors: yieldable in Effect.gen and caught by tag; runPromise rejects with the same instance", async () => {
  const error = new ReadTimeout(request);
  const caught = await Effect.runPromise(
    Effect.gen(function* () {
      return yield* error;
    }).pipe(Effect.catchTag("ReadTimeout", (e) => Effect.succeed(e))),
  );
  assert.equal(caught, error);
  await assert.rejects(Effect.runPromise(Effect.fail(error)), (e) => e === error);
});

test("errors: HttpStatusError keeps the response out of enumerable fields (logs stay small)", async () => {
  const response = new Response("nope", { status: 404, statusText: "Not Found", headers: { "set-cookie": "sid=1" } });
  const error = new HttpStatusError(request, response);
  assert.equal(error.status, 404);
  assert.equal(error.response, response);
  assert.ok(!Object.keys(error).includes("response"));
  assert.match(error.message, /Client error status: POST .* \(404 Not Found\)/);
  await response.body?.cancel();
});
