/**
 * What each runtime lets Switchyard see and rely on (core/runtime.ts): a
 * Request's body source (the client's redirect replay plan and Deno's retry
 * plan), a new Response's URL slot, and the Headers' refusal messages (plugin
 * steps), so a runtime release that changes one fails here first.
 */
import assert from "node:assert/strict";
import { headerRefusal, requestBodySource, setResponseUrl } from "../core/runtime.ts";
import { runtimeName, test } from "./harness.ts";

const stream = () => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new Uint8Array([1])), c.close()) });
async function* chunks() {
  yield new Uint8Array([1]);
}
const post = (body: BodyInit | null, headers?: HeadersInit) =>
  new Request("http://x.test/", { method: "POST", body, headers, duplex: "half" } as RequestInit);

test("runtime: a Request's body source is told apart without reading the body", async () => {
  assert.equal(requestBodySource(new Request("http://x.test/")), "none");
  assert.equal(requestBodySource(post(null)), "none");
  for (const body of ["abc", new Uint8Array([1, 2]), new Blob(["abc"]), new URLSearchParams("a=b"), new FormData()]) {
    const request = post(body);
    assert.equal(requestBodySource(request), "buffered", String(body));
    assert.equal(request.bodyUsed, false);
  }
  assert.equal(requestBodySource(post(stream())), "stream");
  assert.equal(requestBodySource(post(chunks() as unknown as BodyInit)), "stream");
  // A header whose value looks like the inspector's words does not fool it.
  assert.equal(requestBodySource(post(stream(), { "x-note": "} Blob (3 bytes)" })), "stream");
  // Reading the source leaves the body as it was: its text is still the whole body.
  const request = post("payload");
  requestBodySource(request);
  assert.equal(await request.text(), "payload");
});

test("runtime: a new Response gets a URL through Deno's own URL list, elsewhere an own property", () => {
  const response = setResponseUrl(new Response("hi"), "http://x.test/a");
  assert.equal(response.url, "http://x.test/a");
  assert.equal(response.redirected, false);
  // Deno keeps it in its Response's slot (checked on a probe first), which a clone copies; Bun has no such slot.
  assert.equal(Object.hasOwn(response, "url"), runtimeName === "bun");
  if (runtimeName === "deno") assert.equal(response.clone().url, "http://x.test/a", "a clone keeps it");
  // A response that has a URL gets the new one as an own property, on both.
  assert.equal(setResponseUrl(response, "http://x.test/b").url, "http://x.test/b");
});

test("runtime: the Headers' refusals are told apart from their messages (which, on Deno, quote the value)", () => {
  const refusal = (set: () => void) => {
    try {
      set();
    } catch (error) {
      return headerRefusal(error);
    }
    return "accepted";
  };
  for (const value of ["a\r\nb", "a\nb", "a\rb", "a\0b"]) {
    assert.equal(refusal(() => new Headers().set("x-secret", value)), "value", JSON.stringify(value));
    assert.equal(refusal(() => new Headers().append("x-secret", value)), "value", JSON.stringify(value));
    assert.equal(refusal(() => new Headers({ "x-secret": value })), "value", JSON.stringify(value));
  }
  assert.equal(refusal(() => new Headers().set("bad name", "v")), "name");
  // Trailing whitespace, CR and LF included, is stripped, not refused.
  assert.equal(refusal(() => new Headers().set("x", "v\r\n")), "accepted");
  assert.equal(headerRefusal(new TypeError("Invalid URL")), undefined);
  assert.equal(headerRefusal(new Error("Invalid header value: x")), undefined, "only the runtime's TypeError");
});
