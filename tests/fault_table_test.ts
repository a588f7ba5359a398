/**
 * The fault table (the README's "What each fault becomes") as a test: every fault, on this
 * runtime, through both lanes, must give the class the table says; and a class
 * that says "never sent" (`isNotSent`) must agree with what the server saw
 * (no request reached it). Each row is one real misbehaving peer: a raw TCP
 * server (tests/fixtures/faults.ts), a unix socket path, a forward proxy, a
 * TLS server with a certificate from an unknown CA, or an in-process app.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Effect } from "effect";
import {
  Client,
  HandlerTransport,
  HttpTransport,
  type HttpTransportOptions,
  isNotSent,
  type Transport,
} from "../mod.ts";
import { type FaultBehaviour, refusedPort, startFaultServer } from "./fixtures/faults.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { withServer } from "./fixtures/server.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { runtimeName } from "./harness.ts";
import { bothLanes, type Lanes } from "./lanes.ts";

/** What one fault gave: the error (from the request, or from reading its body) and whether a request arrived. */
interface Observed {
  readonly error: unknown;
  /** Whether the peer saw the request (`undefined`: a proxy saw it, which in general may forward it). */
  readonly reached: boolean | undefined;
  /** `"request"`: the call failed; `"body"`: the response came and reading its body failed. */
  readonly at: "request" | "body";
}

type Expected = { readonly deno: string; readonly bun: string; readonly at?: "request" | "body" };

/** Sends through `t` on `lanes`; the call's error, or the body read's. */
const outcome = async (lanes: Lanes, t: Transport, request: Request): Promise<Omit<Observed, "reached">> => {
  let response: Response;
  try {
    response = await lanes.send(t, request);
  } catch (error) {
    return { error, at: "request" };
  }
  try {
    await response.arrayBuffer();
    return { error: undefined, at: "body" };
  } catch (error) {
    return { error, at: "body" };
  }
};

const withTransport = async <A>(options: HttpTransportOptions, fn: (t: Transport) => Promise<A>): Promise<A> => {
  const t = HttpTransport.make({ trustEnv: false, ...options });
  try {
    return await fn(t);
  } finally {
    await Effect.runPromise(t.close());
  }
};

const tcpFault = (behaviour: FaultBehaviour, options: HttpTransportOptions = {}) => async (lanes: Lanes) => {
  const server = await startFaultServer(behaviour);
  try {
    const seen = await withTransport(options, (t) => outcome(lanes, t, new Request(server.url)));
    return { ...seen, reached: server.requests > 0 };
  } finally {
    await server.close();
  }
};

const STALL = { timeout: { read: 200 } };

/** The table: fault → the class on each runtime (the engine that serves the row is in the docs). */
const FAULTS: Record<string, { readonly expected: Expected; readonly run: (lanes: Lanes) => Promise<Observed> }> = {
  "connection refused": {
    expected: { deno: "ConnectError", bun: "ConnectError" },
    run: async (lanes) => {
      const port = await refusedPort();
      const seen = await withTransport({}, (t) => outcome(lanes, t, new Request(port.url)));
      return { ...seen, reached: false };
    },
  },
  "unix socket missing": {
    expected: { deno: "ConnectError", bun: "ConnectError" },
    run: async (lanes) => {
      using tmp = tempDir("switchyard-faults-");
      const seen = await withTransport(
        { uds: join(tmp.dir, "missing.sock") },
        (t) => outcome(lanes, t, new Request("http://localhost/")),
      );
      return { ...seen, reached: false };
    },
  },
  "unix socket path is not a socket": {
    expected: { deno: "ConnectError", bun: "ConnectError" },
    run: async (lanes) => {
      using tmp = tempDir("switchyard-faults-");
      const path = join(tmp.dir, "plain.file");
      writeFileSync(path, "not a socket");
      const seen = await withTransport({ uds: path }, (t) => outcome(lanes, t, new Request("http://localhost/")));
      return { ...seen, reached: false };
    },
  },
  "closed before answering": {
    expected: { deno: "RemoteProtocolError", bun: "RemoteProtocolError" },
    run: tcpFault("closeBeforeResponse"),
  },
  "reset after the request": { expected: { deno: "ReadError", bun: "RemoteProtocolError" }, run: tcpFault("reset") },
  "garbage instead of a status line": {
    expected: { deno: "RemoteProtocolError", bun: "RemoteProtocolError" },
    run: tcpFault("garbage"),
  },
  "closed mid-body (Content-Length)": {
    expected: { deno: "ReadError", bun: "ReadError", at: "body" },
    run: tcpFault("closeMidBody"),
  },
  "closed mid-body (chunked)": {
    expected: { deno: "ReadError", bun: "ReadError", at: "body" },
    run: tcpFault("closeMidChunked"),
  },
  "stalled before the headers (timeout.read 200 ms)": {
    expected: { deno: "ReadTimeout", bun: "ReadTimeout" },
    run: tcpFault("stallHeaders", STALL),
  },
  "stalled mid-body (timeout.read 200 ms)": {
    expected: { deno: "ReadTimeout", bun: "ReadTimeout", at: "body" },
    run: tcpFault("stallBody", STALL),
  },
  "proxy refuses the connection": {
    expected: { deno: "ProxyError", bun: "ProxyError" },
    run: (lanes) => {
      let origin = 0;
      return withServer(() => (origin++, new Response("unreachable")), async (server) => {
        const dead = await refusedPort();
        const seen = await withTransport({ proxy: dead.url }, (t) => outcome(lanes, t, new Request(server.url)));
        return { ...seen, reached: origin > 0 };
      });
    },
  },
  "proxy answers 407": {
    expected: { deno: "ProxyError", bun: "ProxyError" },
    run: (lanes) => {
      let origin = 0;
      return withServer(() => (origin++, new Response("unreachable")), async (server) => {
        const proxy = await startProxy({ auth: { username: "ada", password: "right" } });
        try {
          const seen = await withTransport({ proxy: proxy.url }, (t) => outcome(lanes, t, new Request(server.url)));
          assert.equal(origin, 0, "the origin never saw it");
          return { ...seen, reached: undefined }; // the proxy did: it may forward, in general
        } finally {
          await proxy.close();
        }
      });
    },
  },
  "TLS certificate from an unknown CA": {
    expected: { deno: "ConnectError", bun: "ConnectError" },
    run: async (lanes) => {
      const server = await startTlsServer(() => new Response("over tls"));
      try {
        const seen = await withTransport(
          { tls: { caCerts: [makeCertificates().otherCa] } },
          (t) => outcome(lanes, t, new Request(server.url)),
        );
        return { ...seen, reached: server.connections > 0 };
      } finally {
        await server.close();
      }
    },
  },
  "a GET or HEAD with a body": {
    expected: { deno: "LocalProtocolError", bun: "LocalProtocolError" },
    run: (lanes) => {
      let origin = 0;
      return withServer(() => (origin++, new Response("sent")), async (server) => {
        const client = Client.make({ transport: HttpTransport.make({ trustEnv: false }), trustEnv: false });
        try {
          const error = await lanes.call(client, server.url, { method: "get", body: "x" }).then(
            () => undefined,
            (e) => e,
          );
          return { error, at: "request", reached: origin > 0 };
        } finally {
          await Effect.runPromise(client.close());
        }
      });
    },
  },
  "in-process app throws": {
    expected: { deno: "AppError", bun: "AppError" },
    run: async (lanes) => {
      let called = false;
      const t = HandlerTransport.make(() => {
        called = true;
        throw new Error("boom");
      });
      const seen = await outcome(lanes, t, new Request("http://app.test/"));
      await Effect.runPromise(t.close());
      return { ...seen, reached: called };
    },
  },
  "in-process app never answers (client timeout 200 ms)": {
    expected: { deno: "ReadTimeout", bun: "ReadTimeout" },
    run: async (lanes) => {
      let aborted: Promise<void> | undefined;
      const app = (request: Request) => {
        aborted = new Promise((resolve) => request.signal.addEventListener("abort", () => resolve(), { once: true }));
        return new Promise<Response>(() => {});
      };
      const client = Client.make({ transport: HandlerTransport.make(app), timeout: 200 });
      let error: unknown;
      try {
        await lanes.call(client, "http://app.test/");
      } catch (e) {
        error = e;
      }
      // The app is told: its request's signal aborts when the client gives up.
      await aborted;
      await Effect.runPromise(client.close());
      return { error, at: "request", reached: true };
    },
  },
};

for (const [fault, { expected, run }] of Object.entries(FAULTS)) {
  bothLanes(`fault table: ${fault}`, async (lanes) => {
    const seen = await run(lanes);
    const tag = (seen.error as { _tag?: string } | undefined)?._tag;
    assert.equal(tag, expected[runtimeName], `${fault} on ${runtimeName}: ${seen.error}`);
    assert.equal(seen.at, expected.at ?? "request", `${fault}: where it failed`);
    // "Never sent" must be true: a class that promises it is never given when the peer saw the request.
    if (isNotSent(seen.error)) assert.notEqual(seen.reached, true, `${fault}: ${tag} but the request arrived`);
    if (seen.reached === true) assert.ok(!isNotSent(seen.error), `${fault}: the request arrived, so it may be sent`);
  });
}
