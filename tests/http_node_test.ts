/**
 * The node:http engine, which HttpTransport uses where fetch cannot do what was
 * asked: a unix socket on Deno, `localAddress` on Bun. It sees every phase, so
 * here a write that stalls is `WriteTimeout` and silence before the headers is
 * `ReadTimeout` with the connection proven.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Fiber } from "effect";
import {
  ReadError,
  ReadTimeout,
  RemoteProtocolError,
  type TransportError,
  TransportErrorBase,
  WriteTimeout,
} from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import { runtimeName, test } from "./harness.ts";

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

type Behaviour = "echo" | "paused" | "stallHeaders" | "closeMidBody" | "closeBeforeResponse";

interface Target {
  /** The transport options that select the node:http engine on this runtime. */
  readonly options: HttpTransportOptions;
  readonly url: string;
  /** Request heads received. */
  readonly heads: Array<string>;
  /** Client connections that have closed. */
  readonly closed: () => number;
  close(): Promise<void>;
}

/** Reads one request (head + Content-Length or chunked body); returns it as text. */
const onRequest = (socket: net.Socket, done: (head: string, body: string) => void): void => {
  let buffer = "";
  socket.on("data", (chunk: Uint8Array) => {
    buffer += new TextDecoder("latin1").decode(chunk);
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = buffer.slice(0, end);
    const rest = buffer.slice(end + 4);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length && rest.length < Number(length[1])) return;
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head) && !rest.endsWith("0\r\n\r\n")) return;
    buffer = "";
    const body = length ? rest : rest.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, "$1").replace(/\r\n/g, "");
    done(head, body);
  });
};

/** A raw server for the node:http engine: on a unix socket (Deno) or 127.0.0.1 (Bun, with localAddress). */
const startTarget = async (behaviour: Behaviour, extra: HttpTransportOptions = {}): Promise<Target> => {
  const heads: Array<string> = [];
  const sockets = new Set<net.Socket>();
  let closed = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
    socket.on("error", () => {});
    if (behaviour === "paused") return void socket.pause();
    onRequest(socket, (head, body) => {
      heads.push(head);
      if (behaviour === "stallHeaders") return;
      if (behaviour === "closeBeforeResponse") return void socket.end();
      if (behaviour === "closeMidBody") {
        return void socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
      }
      const answer = `${head.split("\r\n")[0]}|${body}`;
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`);
    });
  });
  let dir: string | undefined;
  let options: HttpTransportOptions;
  let url: string;
  if (runtimeName === "deno") {
    dir = mkdtempSync(join(tmpdir(), "switchyard-node-"));
    const path = join(dir, "s.sock");
    await new Promise<void>((resolve) => server.listen(path, () => resolve()));
    options = { ...extra, uds: path };
    url = "http://localhost";
  } else {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    options = { ...extra, localAddress: "127.0.0.1", trustEnv: false };
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }
  return {
    options,
    url,
    heads,
    closed: () => closed,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
};

const withTarget = async <A>(
  behaviour: Behaviour,
  extra: HttpTransportOptions,
  fn: (t: Transport, target: Target) => Promise<A>,
): Promise<A> => {
  const target = await startTarget(behaviour, extra);
  const t = HttpTransport.make(target.options);
  try {
    return await fn(t, target);
  } finally {
    await run(t.close());
    await target.close();
  }
};

const failure = (t: Transport, request: Request): Promise<TransportError> => run(Effect.flip(t.handle(request)));

test("node engine: GET and a buffered POST (sent with Content-Length)", () =>
  withTarget("echo", {}, async (t, target) => {
    assert.equal(await (await run(t.handle(new Request(`${target.url}/a?b=1`)))).text(), "GET /a?b=1 HTTP/1.1|");
    const post = await run(t.handle(new Request(`${target.url}/p`, { method: "POST", body: "hello" })));
    assert.equal(await post.text(), "POST /p HTTP/1.1|hello");
    if (runtimeName === "deno") assert.match(target.heads[1], /content-length: 5/i);
  }));

test("node engine: a streamed request body goes out chunked", () =>
  withTarget("echo", {}, async (t, target) => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("ab"));
        c.enqueue(new TextEncoder().encode("cd"));
        c.close();
      },
    });
    const request = new Request(`${target.url}/s`, { method: "PUT", body, duplex: "half" } as RequestInit);
    assert.equal(await (await run(t.handle(request))).text(), "PUT /s HTTP/1.1|abcd");
    assert.match(target.heads[0], /transfer-encoding: chunked/i);
  }));

test("node engine: a server that stops reading the body is WriteTimeout", () =>
  withTarget("paused", { timeout: { write: 300 } }, async (t, target) => {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 256 * 1024 * 1024) return c.close();
        sent += chunk.byteLength;
        c.enqueue(chunk);
      },
    });
    const request = new Request(`${target.url}/upload`, { method: "POST", body, duplex: "half" } as RequestInit);
    const error = await failure(t, request);
    assert.ok(error instanceof WriteTimeout, String(error));
    assert.ok(sent < 256 * 1024 * 1024, "the upload stopped when the socket filled");
  }));

test("node engine: silence before the headers, once connected and sent, is ReadTimeout", () =>
  withTarget("stallHeaders", { timeout: { connect: 1000, read: 200 } }, async (t, target) => {
    const started = Date.now();
    const error = await failure(t, new Request(target.url));
    assert.ok(error instanceof ReadTimeout, String(error));
    assert.match(error.detail, /of sending/);
    assert.ok(Date.now() - started < 1000, "the read timeout, not connect + read");
  }));

test("node engine: a close before the response is RemoteProtocolError, mid-body ReadError", async () => {
  await withTarget("closeBeforeResponse", {}, async (t, target) => {
    const error = await failure(t, new Request(target.url));
    assert.ok(error instanceof RemoteProtocolError, String(error));
  });
  await withTarget("closeMidBody", {}, async (t, target) => {
    const response = await run(t.handle(new Request(target.url)));
    await assert.rejects(response.text(), (e: unknown) => e instanceof ReadError);
  });
});

test("node engine: an interrupted request is interruption and frees its socket", () =>
  withTarget("stallHeaders", {}, async (t, target) => {
    const fiber = Effect.runFork(t.handle(new Request(target.url)));
    while (target.heads.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await run(Fiber.interrupt(fiber));
    const exit = await run(Fiber.await(fiber));
    assert.ok(Exit.hasInterrupts(exit), String(exit));
    // The connection is destroyed, not left waiting for the answer (bounded wait: 2 s).
    for (let i = 0; i < 400 && target.closed() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(target.closed(), 1);
  }));

test("node engine: errors are typed instances", () =>
  withTarget("closeBeforeResponse", {}, async (t, target) => {
    assert.ok((await failure(t, new Request(target.url))) instanceof TransportErrorBase);
  }));

test("node engine: the Request's method is sent as it is, like fetch does (node:http would upper-case it)", () =>
  // Before, on Deno: `propfind` and `wB^H` went out as PROPFIND and WB^H (found by the fuzz). On Bun the
  // Request itself already changes them (PROPFIND, GET): the engine sends what the Request says.
  withTarget("echo", {}, async (t, target) => {
    for (const method of ["propfind", "wB^H", "PATCH"]) {
      const request = new Request(`${target.url}/m`, { method });
      if (runtimeName === "deno") assert.equal(request.method, method);
      const response = await run(t.handle(request));
      assert.equal(await response.text(), `${request.method} /m HTTP/1.1|`);
    }
  }));

test("node engine: a header byte node:http refuses is LocalProtocolError (never sent), not ReadError", () =>
  // Before: ERR_INVALID_CHAR was classified as a ReadError that "may have reached the server".
  withTarget("echo", {}, async (t, target) => {
    const error = await run(Effect.flip(t.handle(new Request(target.url, { headers: { "x-a": "a\x01b" } }))));
    assert.equal(error._tag, "LocalProtocolError", String(error));
    assert.equal(target.heads.length, 0, "nothing reached the server");
  }));
