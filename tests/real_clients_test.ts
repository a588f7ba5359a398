/**
 * The clients people hand `client.fetch` to, pinned exactly as
 * devDependencies: ky, ofetch, the openai SDK, @octokit/core, Hono's `hc`,
 * and an Elysia app in-process. Each scenario runs with the runtime's own
 * `fetch` against a loopback server, and with `client.fetch` over
 * HttpTransport (the same server) and over HandlerTransport (the same app,
 * in-process), with the same assertions.
 *
 * One documented difference, in Switchyard's favour: ky recognises network
 * errors by their message (`is-network-error`); Bun's own fetch says "Unable
 * to connect", which ky does not know, so ky does not retry a refused
 * connection with Bun's fetch. Through `client.fetch` a network failure
 * rejects with fetch's face ("fetch failed", client/fetch_error.ts), and ky
 * retries it on both runtimes.
 */
import assert from "node:assert/strict";
import { Octokit } from "@octokit/core";
import { Hono } from "hono";
import { hc } from "hono/client";
import ky, { HTTPError, TimeoutError as KyTimeoutError } from "ky";
import { createFetch, FetchError } from "ofetch";
import OpenAI from "openai";
import { Client, ConnectError, HandlerTransport, HttpTransport } from "../mod.ts";
import { refusedPort } from "./fixtures/faults.ts";
import { serve } from "./fixtures/server.ts";
import { runtimeName, test, testOn } from "./harness.ts";

type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One app for every client: counts hits per path; `/flaky/<id>` fails twice with 503, then answers. */
const makeApp = () => {
  const hits = new Map<string, number>();
  const app = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname;
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    if (path.startsWith("/flaky")) {
      return n <= 2 ? new Response("busy", { status: 503 }) : Response.json({ attempt: n });
    }
    if (path === "/missing") return new Response("no such thing", { status: 404 });
    if (path === "/broken") return new Response("broken", { status: 500 });
    if (path === "/slow") {
      // Answers after 2 s, or gives up when the client goes away (no timer left behind).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        request.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()));
      });
      return new Response("late");
    }
    if (path === "/v1/chat/completions") {
      const body = await request.json() as { stream?: boolean; model: string };
      if (!body.stream) {
        return Response.json({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 1,
          model: body.model,
          choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "hello" } }],
        });
      }
      // Server-sent events, one chunk at a time with a pause between them.
      const words = ["one", "two", "three"];
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const [i, word] of words.entries()) {
            const chunk = {
              id: "chatcmpl-2",
              object: "chat.completion.chunk",
              created: 1,
              model: body.model,
              choices: [{ index: 0, delta: { content: word }, finish_reason: i === words.length - 1 ? "stop" : null }],
            };
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
            hits.set(`sent ${word}`, Date.now());
            await sleep(40);
          }
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          controller.close();
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    }
    if (path === "/repos/octo/cat") {
      return Response.json({ full_name: "octo/cat", auth: request.headers.get("authorization") });
    }
    return Response.json({ path, method: request.method, hooked: request.headers.get("x-hooked") });
  };
  return { app, hits };
};

interface Target {
  readonly name: string;
  readonly network: boolean;
  readonly fetch: FetchLike;
  readonly hits: Map<string, number>;
  readonly close: () => Promise<void>;
}

/** Runs `scenario` against the runtime's fetch, client.fetch over the network, and client.fetch in-process. */
const onEveryTarget = async (
  scenario: (target: Target, base: string) => Promise<void>,
  only: { network?: boolean } = {},
): Promise<void> => {
  const shared = makeApp();
  const server = serve(shared.app);
  const inProcess = makeApp();
  const network = Client.make({ transport: HttpTransport.make() });
  const local = Client.make({ transport: HandlerTransport.make(inProcess.app) });
  const targets: Array<Target> = [
    { name: "runtime fetch", network: true, fetch: globalThis.fetch, hits: shared.hits, close: async () => {} },
    {
      name: "client.fetch over HttpTransport",
      network: true,
      fetch: network.fetch as FetchLike,
      hits: shared.hits,
      close: () => network[Symbol.asyncDispose](),
    },
    {
      name: "client.fetch over HandlerTransport",
      network: false,
      fetch: local.fetch as FetchLike,
      hits: inProcess.hits,
      close: () => local[Symbol.asyncDispose](),
    },
  ];
  try {
    for (const target of targets) {
      if (only.network && !target.network) continue;
      target.hits.clear();
      try {
        await scenario(target, server.url);
      } catch (error) {
        if (error instanceof Error) error.message = `[${target.name}] ${error.message}`;
        throw error;
      }
    }
  } finally {
    for (const target of targets) await target.close();
    await server.close();
  }
};

test("real clients: ky retries a 503, runs its hooks, raises HTTPError, times out and aborts", () =>
  onEveryTarget(async ({ fetch, hits }, base) => {
    const api = ky.create({
      baseUrl: base,
      fetch,
      retry: { limit: 2, delay: () => 1 },
      hooks: { beforeRequest: [({ request }) => void request.headers.set("x-hooked", "yes")] },
    });
    assert.deepEqual(await api.get("flaky/a").json(), { attempt: 3 });
    assert.equal(hits.get("/flaky/a"), 3);
    assert.deepEqual(await api.get("echo").json(), { path: "/echo", method: "GET", hooked: "yes" });

    const missing = await api.get("missing").catch((e) => e);
    assert.ok(missing instanceof HTTPError);
    assert.equal(missing.response.status, 404);

    const slow = await api.get("slow", { timeout: 50, retry: 0 }).catch((e) => e);
    assert.ok(slow instanceof KyTimeoutError, String(slow));

    const controller = new AbortController();
    const pending = api.get("slow", { signal: controller.signal, retry: 0 }).catch((e) => e);
    setTimeout(() => controller.abort(), 30);
    const aborted = await pending;
    assert.equal(aborted, controller.signal.reason);
    assert.equal((aborted as DOMException).name, "AbortError");
  }));

test("real clients: ky retries a refused connection through client.fetch (its own fetch only on Deno)", () =>
  onEveryTarget(async ({ name, fetch }) => {
    const refused = await refusedPort();
    let calls = 0;
    const counting: FetchLike = (input, init) => (calls++, fetch(input, init));
    try {
      const error = await ky.get(`http://127.0.0.1:${refused.port}/`, {
        fetch: counting,
        retry: { limit: 2, delay: () => 1 },
      }).catch((e) => e);
      const raw = name === "runtime fetch";
      // See the module docs: Bun's own message is not one ky knows.
      assert.equal(calls, raw && runtimeName === "bun" ? 1 : 3);
      if (!raw) {
        assert.equal(error.name, "NetworkError", "ky wraps what it recognises as a network error");
        assert.ok(error.cause instanceof ConnectError && error.cause instanceof TypeError);
      }
    } finally {
      await refused.close();
    }
  }, { network: true }));

test("real clients: ofetch parses JSON, retries, raises FetchError and times out", () =>
  onEveryTarget(async ({ fetch, hits }, base) => {
    const $fetch = createFetch({ fetch });
    assert.deepEqual(await $fetch(`${base}/echo`), { path: "/echo", method: "GET", hooked: null });
    assert.deepEqual(await $fetch(`${base}/flaky/b`, { retry: 2, retryDelay: 1 }), { attempt: 3 });
    assert.equal(hits.get("/flaky/b"), 3);
    const broken = await $fetch(`${base}/broken`, { retry: 0 }).catch((e) => e);
    assert.ok(broken instanceof FetchError);
    assert.equal(broken.status, 500);
    const slow = await $fetch(`${base}/slow`, { timeout: 50, retry: 0 }).catch((e) => e);
    assert.ok(slow instanceof FetchError, String(slow));
    assert.match(String(slow.message), /aborted|timeout/i);
  }));

test("real clients: the openai SDK, a JSON completion and a streamed one read chunk by chunk", () =>
  onEveryTarget(async ({ fetch, hits }, base) => {
    const openai = new OpenAI({ apiKey: "sk-test", baseURL: `${base}/v1`, fetch, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(completion.choices[0]!.message.content, "hello");

    const stream = await openai.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "count" }],
      stream: true,
    });
    const words: Array<string> = [];
    for await (const chunk of stream) {
      const word = chunk.choices[0]?.delta?.content;
      if (!word) continue;
      words.push(word);
      // Streamed, not buffered: the first word is here before the server wrote the last one.
      if (word === "one") assert.equal(hits.get("sent three"), undefined, "the first chunk came after the last");
    }
    assert.deepEqual(words, ["one", "two", "three"]);
  }));

test("real clients: @octokit/core through request.fetch; response.url is set", () =>
  onEveryTarget(async ({ fetch }, base) => {
    const octokit = new Octokit({ baseUrl: base, auth: "token-123", request: { fetch } });
    const response = await octokit.request("GET /repos/{owner}/{repo}", { owner: "octo", repo: "cat" });
    assert.equal(response.status, 200);
    const data = response.data as unknown as { full_name: string; auth: string };
    assert.equal(data.full_name, "octo/cat");
    assert.equal(data.auth, "token token-123");
    assert.equal(response.url, `${base}/repos/octo/cat`);
  }));

test("real clients: Hono's hc, against a Hono app in-process and on loopback", async () => {
  const app = new Hono().get("/hello", (c) => c.json({ hello: c.req.query("name") ?? "nobody" }));
  const server = serve((request) => app.fetch(request));
  await using inProcess = Client.make({ transport: HandlerTransport.make(app.fetch) });
  await using network = Client.make({ transport: HttpTransport.make() });
  try {
    for (const fetch of [globalThis.fetch, inProcess.fetch, network.fetch] as Array<FetchLike>) {
      const api = hc<typeof app>(server.url, { fetch });
      const response = await api.hello.$get({ query: { name: "ada" } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { hello: "ada" });
    }
  } finally {
    await server.close();
  }
});

// Elysia is Bun's framework (the issue asks for it on Bun); under Deno its handler compiler leaves a cache timer
// (sucrose's clearSucroseCache) running, which Deno's op sanitizer rightly reports as a leak.
testOn("bun", "made-for-the-other-runtime", "real clients: an Elysia app in-process", async () => {
  const { Elysia } = await import("elysia");
  const app = new Elysia().get("/users/:id", ({ params }) => ({ id: params.id }));
  await using client = Client.make({ baseUrl: "http://elysia.test", transport: HandlerTransport.make(app.fetch) });
  const response = await client.fetch("/users/7");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { id: "7" });
  assert.equal(response.url, "http://elysia.test/users/7");
});
