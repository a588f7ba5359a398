import assert from "node:assert/strict";
import { Effect, Exit, Layer } from "effect";
import { Hono } from "hono";
import { AppError, Client, HandlerTransport, InvalidOptions, ReadTimeout, Transport } from "../mod.ts";
import { runtimeName, test } from "./harness.ts";

const text = (response: Response) => response.text();

test("handler: a Deno-style (request, info) handler sees remoteAddr from the client option", async () => {
  const app = (request: Request, info: { remoteAddr: { hostname: string; port: number; transport: string } }) =>
    Response.json({ path: new URL(request.url).pathname, remote: info.remoteAddr });
  await using client = Client.make({
    baseUrl: "http://app.test",
    transport: HandlerTransport.make(app, { client: { hostname: "10.1.2.3", port: 4567 } }),
  });
  const body = await (await client.fetch("/users/1")).json();
  assert.deepEqual(body, { path: "/users/1", remote: { transport: "tcp", hostname: "10.1.2.3", port: 4567 } });
});

test("handler: a Bun-style fetch(request, server) handler gets server.requestIP", async () => {
  const app = {
    fetch(request: Request, server: { requestIP(r: Request): { address: string; family: string; port: number } }) {
      return Response.json(server.requestIP(request));
    },
  };
  await using client = Client.make({
    transport: HandlerTransport.make(app.fetch, { client: { hostname: "::1", port: 9 } }),
  });
  assert.deepEqual(await (await client.fetch("http://app.test/")).json(), { address: "::1", family: "IPv6", port: 9 });
});

test("handler: a Hono app's fetch works unchanged, getConnInfo included", async () => {
  const app = new Hono();
  // Each adapter only loads on its own runtime (hono/bun touches `Bun` at import).
  const { getConnInfo } = runtimeName === "bun" ? await import("hono/bun") : await import("hono/deno");
  app.get("/who", (c) => c.json({ ip: getConnInfo(c).remote.address, q: c.req.query("q") }));
  await using client = Client.make({ baseUrl: "http://hono.test", transport: HandlerTransport.make(app.fetch) });
  assert.deepEqual(await (await client.fetch("/who?q=1")).json(), { ip: "127.0.0.1", q: "1" });
  const missing = await client.fetch("/nope");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

test("handler: info.completed resolves once the body was fully read", async () => {
  let completed: Promise<void> | undefined;
  const app = (_: Request, info: { completed: Promise<void> }) => {
    completed = info.completed;
    return new Response("all of it");
  };
  await using client = Client.make({ transport: HandlerTransport.make(app) });
  const response = await client.fetch("http://app.test/");
  let settled = false;
  completed!.then(() => settled = true);
  await Promise.resolve();
  assert.equal(settled, false, "not before the body is read");
  assert.equal(await response.text(), "all of it");
  await completed;
  assert.equal(settled, true);
});

test("handler: info.completed rejects when the client cancels the body", async () => {
  let completed: Promise<void> | undefined;
  let sourceCancelled = false;
  const app = (_: Request, info: { completed: Promise<void> }) => {
    completed = info.completed;
    return new Response(
      new ReadableStream({
        pull(c) {
          c.enqueue(new TextEncoder().encode("x"));
        },
        cancel() {
          sourceCancelled = true;
        },
      }),
    );
  };
  await using client = Client.make({ transport: HandlerTransport.make(app) });
  const response = await client.fetch("http://app.test/");
  const reader = response.body!.getReader();
  await reader.read();
  await reader.cancel(new Error("enough"));
  await assert.rejects(completed!, /enough/);
  assert.equal(sourceCancelled, true, "the app's stream was cancelled");
});

test("handler: the response streams; the client reads event 1 before event 2 is written", async () => {
  const log: string[] = [];
  let firstRead!: () => void;
  const firstReadSeen = new Promise<void>((resolve) => firstRead = resolve);
  const encoder = new TextEncoder();
  const app = () =>
    new Response(
      new ReadableStream({
        async start(controller) {
          controller.enqueue(encoder.encode("data: one\n\n"));
          log.push("wrote 1");
          await firstReadSeen;
          controller.enqueue(encoder.encode("data: two\n\n"));
          log.push("wrote 2");
          controller.close();
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  await using client = Client.make({ transport: HandlerTransport.make(app) });
  const response = await client.fetch("http://app.test/events");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  log.push(`read ${first.value}`);
  firstRead();
  const second = await reader.read();
  log.push(`read ${second.value}`);
  assert.equal((await reader.read()).done, true);
  assert.deepEqual(log, ["wrote 1", "read data: one\n\n", "wrote 2", "read data: two\n\n"]);
});

test("handler: an AbortSignal passed to client.fetch aborts the app's request.signal", async () => {
  let appSawAbort!: (reason: unknown) => void;
  const sawAbort = new Promise((resolve) => appSawAbort = resolve);
  const app = (request: Request) =>
    new Promise<Response>((_, reject) => {
      request.signal.addEventListener("abort", () => {
        appSawAbort(request.signal.reason);
        reject(new Error("client went away"));
      });
    });
  await using client = Client.make({ transport: HandlerTransport.make(app) });
  const controller = new AbortController();
  const call = client.fetch("http://app.test/slow", { signal: controller.signal });
  setTimeout(() => controller.abort(new Error("user gave up")), 10);
  await assert.rejects(call, /user gave up/);
  assert.match(String(await sawAbort), /user gave up/);
});

test("handler: fiber interruption (the client's timeout) aborts the app's signal; the call fails with ReadTimeout", async () => {
  let aborted = false;
  const app = (request: Request) =>
    new Promise<Response>((resolve) => {
      request.signal.addEventListener("abort", () => {
        aborted = true;
        resolve(new Response("too late"));
      });
    });
  await using client = Client.make({ timeout: 20, transport: HandlerTransport.make(app) });
  const exit = await Effect.runPromiseExit(client.get("http://app.test/slow"));
  assert.ok(Exit.isFailure(exit));
  const error = await client.fetch("http://app.test/slow").catch((e) => e);
  assert.ok(error instanceof ReadTimeout, String(error));
  assert.match(error.detail, /no response within 20 ms/);
  assert.equal(aborted, true);
});

test("handler: request bodies reach the app as streams", async () => {
  const app = async (request: Request) => {
    const chunks: string[] = [];
    for await (const chunk of request.body!.pipeThrough(new TextDecoderStream())) chunks.push(chunk);
    return Response.json({ chunks: chunks.join(""), streamed: request.body !== null });
  };
  await using client = Client.make({ transport: HandlerTransport.make(app) });
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(c) {
      c.enqueue(encoder.encode("a"));
      c.enqueue(encoder.encode("b"));
      c.close();
    },
  });
  const response = await client.fetch(
    "http://app.test/upload",
    { method: "POST", body, duplex: "half" } as RequestInit,
  );
  assert.deepEqual(await response.json(), { chunks: "ab", streamed: true });
});

test("handler: HEAD responses carry no body", async () => {
  await using client = Client.make({
    transport: HandlerTransport.make(() => new Response("body!", { headers: { "x-a": "1" } })),
  });
  const response = await client.fetch("http://app.test/", { method: "HEAD" });
  assert.equal(response.body, null);
  assert.equal(response.headers.get("x-a"), "1");
});

test("handler: a thrown error is an AppError on both faces; raiseAppExceptions: false gives a 500", async () => {
  const boom = new Error("boom");
  const app = () => {
    throw boom;
  };
  await using client = Client.make({ transport: HandlerTransport.make(app) });
  const rejected = await client.fetch("http://app.test/x").catch((e) => e);
  assert.ok(rejected instanceof AppError);
  assert.equal(rejected.cause, boom);
  assert.match(rejected.message, /GET http:\/\/app\.test\/x/);
  const tag = await Effect.runPromise(
    client.get("http://app.test/x").pipe(Effect.as("none"), Effect.catchTag("AppError", (e) => Effect.succeed(e._tag))),
  );
  assert.equal(tag, "AppError");
  await using lenient = Client.make({ transport: HandlerTransport.make(app, { raiseAppExceptions: false }) });
  const response = await lenient.fetch("http://app.test/x");
  assert.equal(response.status, 500);
  assert.equal(await response.text(), "Internal Server Error");
});

test("handler: rootPath mounts the app under a sub-path", async () => {
  const app = (request: Request) => new Response(new URL(request.url).pathname + new URL(request.url).search);
  await using client = Client.make({
    baseUrl: "http://app.test",
    transport: HandlerTransport.make(app, { rootPath: "/api/" }),
  });
  assert.equal(await text(await client.fetch("/api/users?x=1")), "/users?x=1");
  assert.equal(await text(await client.fetch("/api")), "/");
  const outside = await client.fetch("/apix");
  assert.equal(outside.status, 404);
  await outside.body?.cancel();
  assert.throws(
    () => HandlerTransport.make(app, { rootPath: "api" }),
    (e) => e instanceof InvalidOptions && /rootPath/.test(e.message),
  );
});

test("handler: lifespan startup runs once before the first request; shutdown on close", async () => {
  const events: string[] = [];
  const lifespan = { startup: () => void events.push("up"), shutdown: () => void events.push("down") };
  const client = Client.make({ transport: HandlerTransport.make(() => new Response("ok"), { lifespan }) });
  assert.deepEqual(events, []);
  await (await client.fetch("http://app.test/")).text();
  await (await client.fetch("http://app.test/")).text();
  assert.deepEqual(events, ["up"]);
  await client[Symbol.asyncDispose]();
  await client[Symbol.asyncDispose]();
  assert.deepEqual(events, ["up", "down"]);
});

test("handler: HandlerTransport.layer runs the lifespan with the layer's scope", async () => {
  const events: string[] = [];
  const layer = HandlerTransport.layer(() => new Response("ok"), {
    lifespan: { startup: () => void events.push("up"), shutdown: () => void events.push("down") },
  });
  const program = Effect.gen(function* () {
    events.push("built");
    const transport = yield* Transport;
    const response = yield* transport.handle(new Request("http://app.test/"));
    return yield* Effect.promise(() => response.text());
  });
  assert.equal(await Effect.runPromise(program.pipe(Effect.provide(layer))), "ok");
  assert.deepEqual(events, ["up", "built", "down"]);
  const bad = await Effect.runPromiseExit(Layer.build(HandlerTransport.layer("nope" as never)).pipe(Effect.scoped));
  assert.ok(Exit.isFailure(bad));
});
