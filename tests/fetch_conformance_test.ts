/**
 * fetch conformance: every case runs against the runtime's own `fetch` on a
 * loopback server and against `client.fetch` over HttpTransport, over
 * HandlerTransport (the same app in-process), with a client `timeout` (the
 * Effect lane) and behind mounts, with the same assertions. Each case
 * describes what it saw (status, body, url, the error's kind) and the
 * description must equal what the runtime's own fetch saw, plus the case's
 * own expectations (so a case cannot pass by both sides being wrong).
 *
 * Documented exceptions (asserted, not skipped):
 * - In-process targets have no network, so "a network error's type" runs on
 *   the network targets only.
 * - A response an in-process app builds with a `null` body (a redirect, a
 *   201) keeps `body === null`, where a network response has an empty stream;
 *   `text()` and friends read `""` either way. Switchyard does not copy every
 *   such Response to add an empty stream (3-5 µs each).
 */
import assert from "node:assert/strict";
import { Client, ConnectError, HandlerTransport, HttpTransport, type Transport } from "../mod.ts";
import { refusedPort } from "./fixtures/faults.ts";
import { serve, type TestServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";

type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** The app, served on loopback and run in-process. */
const makeApp = () => {
  const hits = new Map<string, number>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const app = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const redirect = /^\/redirect\/(\d{3})$/.exec(path);
    if (redirect) {
      await request.body?.cancel();
      return new Response(null, { status: Number(redirect[1]), headers: { location: "/echo" } });
    }
    switch (path) {
      case "/slow": {
        // Waits for the test's gate, or for the client to go away.
        const gone = new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve()));
        await Promise.race([gate, gone]);
        return new Response("late");
      }
      case "/cookies": {
        const headers = new Headers();
        headers.append("set-cookie", "a=1; Path=/");
        headers.append("set-cookie", "b=2; Path=/");
        return new Response("cookies", { headers });
      }
      case "/resource":
        return new Response("resource body", { headers: { "x-kind": "resource" } });
      default:
        return Response.json({
          method: request.method,
          path,
          body: await request.text(),
          xa: request.headers.get("x-a"),
        });
    }
  };
  return { app, hits, release };
};

/** What a call did, in a form two runtimes' fetches can be compared by. */
type Seen =
  | { readonly status: number; readonly redirected: boolean; readonly path: string; readonly body: unknown }
  | { readonly rejected: "signal reason" | "TypeError" | "other"; readonly name: string };

const describe = async (call: Promise<Response>, signal?: AbortSignal): Promise<Seen> => {
  try {
    const response = await call;
    // `text()`, not `body`: see the documented exception about null bodies in-process.
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* plain text */ }
    return {
      status: response.status,
      redirected: response.redirected,
      path: response.url === "" ? "" : new URL(response.url).pathname,
      body,
    };
  } catch (error) {
    if (signal?.aborted && error === signal.reason) {
      return { rejected: "signal reason", name: (error as Error).name };
    }
    // fetch's own network error is a plain TypeError; Switchyard's is a TypeError that is also a tagged error.
    return { rejected: error instanceof TypeError ? "TypeError" : "other", name: "" };
  }
};

interface Target {
  readonly name: string;
  readonly network: boolean;
  /** A fetch for this target over `server` (whose `app` is also what in-process targets call). */
  readonly make: (
    server: TestServer,
    app: (r: Request) => Promise<Response>,
  ) => { fetch: FetchLike; close(): Promise<void> };
}

const viaClient = (client: Client) => ({
  fetch: client.fetch as FetchLike,
  close: () => client[Symbol.asyncDispose](),
});

const TARGETS: ReadonlyArray<Target> = [
  { name: "runtime fetch", network: true, make: () => ({ fetch: globalThis.fetch, close: () => Promise.resolve() }) },
  {
    name: "client.fetch over HttpTransport",
    network: true,
    make: () => viaClient(Client.make({ transport: HttpTransport.make() })),
  },
  {
    name: "client.fetch over HandlerTransport",
    network: false,
    make: (_, app) => viaClient(Client.make({ transport: HandlerTransport.make(app) })),
  },
  {
    name: "client.fetch with a timeout (Effect lane)",
    network: true,
    make: () => viaClient(Client.make({ transport: HttpTransport.make(), timeout: 10_000 })),
  },
  {
    name: "client.fetch behind mounts",
    network: true,
    make: () => {
      const mounted: Transport = HttpTransport.make({ timeout: { read: 10_000 } });
      return viaClient(
        Client.make({
          transport: HandlerTransport.make(() => new Response("wrong mount", { status: 500 })),
          mounts: { "all://127.0.0.1": mounted },
        }),
      );
    },
  },
];

interface Case {
  readonly name: string;
  readonly networkOnly?: boolean;
  /** Runs the case with `fetch` against `url` (the server's origin); returns what was seen. */
  readonly run: (fetch: FetchLike, url: string, app: ReturnType<typeof makeApp>) => Promise<Seen>;
  /** What the runtime's own fetch must have seen (the case's own assertion). */
  readonly expect: (seen: Seen) => void;
}

const stream = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });

const assertRejected = (kind: "signal reason" | "TypeError", name?: string) => (seen: Seen) => {
  assert.ok("rejected" in seen, `expected a rejection, saw ${JSON.stringify(seen)}`);
  assert.equal(seen.rejected, kind);
  if (name !== undefined) assert.equal(seen.name, name);
};
const assertOk = (status: number, check?: (seen: Extract<Seen, { status: number }>) => void) => (seen: Seen) => {
  assert.ok("status" in seen, `expected a response, saw ${JSON.stringify(seen)}`);
  assert.equal(seen.status, status);
  check?.(seen);
};

const BODIES: Record<string, () => { init?: RequestInit; request?: (url: string) => Request }> = {
  "no body": () => ({ init: { method: "POST" } }),
  "a string in init": () => ({ init: { method: "POST", body: "payload" } }),
  "a string in a Request": () => ({ request: (url) => new Request(url, { method: "POST", body: "payload" }) }),
  "a stream in init": () => ({ init: { method: "POST", body: stream("payload"), duplex: "half" } as RequestInit }),
};

const CASES: ReadonlyArray<Case> = [
  {
    name: "abort before the headers rejects with the signal's reason (AbortError)",
    run: async (fetch, url) => {
      const controller = new AbortController();
      const pending = fetch(`${url}/slow`, { signal: controller.signal });
      setTimeout(() => controller.abort(), 30);
      return await describe(pending, controller.signal);
    },
    expect: assertRejected("signal reason", "AbortError"),
  },
  {
    name: "an already-aborted signal rejects before anything is sent",
    run: async (fetch, url, { hits }) => {
      const signal = AbortSignal.abort();
      const seen = await describe(fetch(`${url}/never`, { signal }), signal);
      assert.equal(hits.get("/never") ?? 0, 0, "the app must not be reached");
      return seen;
    },
    expect: assertRejected("signal reason", "AbortError"),
  },
  {
    name: "AbortSignal.timeout rejects with a TimeoutError",
    run: async (fetch, url) => {
      const signal = AbortSignal.timeout(50);
      return await describe(fetch(`${url}/slow`, { signal }), signal);
    },
    expect: assertRejected("signal reason", "TimeoutError"),
  },
  {
    name: "a Request input's own signal aborts it (also when init is given, as ky does)",
    run: async (fetch, url) => {
      const controller = new AbortController();
      const pending = fetch(new Request(`${url}/slow`, { signal: controller.signal }), {});
      setTimeout(() => controller.abort(), 30);
      return await describe(pending, controller.signal);
    },
    expect: assertRejected("signal reason", "AbortError"),
  },
  {
    name: "a Request input's method, headers and body are sent",
    run: (fetch, url) =>
      describe(fetch(new Request(`${url}/echo`, { method: "PUT", headers: { "x-a": "1" }, body: "b" }))),
    expect: assertOk(200, (seen) => assert.deepEqual(seen.body, { method: "PUT", path: "/echo", body: "b", xa: "1" })),
  },
  {
    name: 'redirect: "manual" returns the 3xx itself',
    run: async (fetch, url) => {
      const response = await fetch(`${url}/redirect/302`, { redirect: "manual" });
      assert.equal(response.headers.get("location"), "/echo");
      return describe(Promise.resolve(response));
    },
    expect: assertOk(302, (seen) => assert.equal(seen.redirected, false)),
  },
  {
    name: 'redirect: "error" rejects with a TypeError',
    run: (fetch, url) => describe(fetch(`${url}/redirect/302`, { redirect: "error" })),
    expect: assertRejected("TypeError"),
  },
  ...[301, 302, 303, 307, 308].flatMap((status) =>
    Object.entries(BODIES).map(([kind, make]): Case => ({
      name: `${status} after a POST with ${kind}`,
      run: (fetch, url) => {
        const { init, request } = make();
        const target = `${url}/redirect/${status}`;
        return describe(request ? fetch(request(target)) : fetch(target, init));
      },
      expect: (seen) => {
        // fetch's HTTP-redirect step 11: anything but a 303 after a streamed body is a network error.
        if (kind === "a stream in init" && status !== 303) return assertRejected("TypeError")(seen);
        assertOk(200, (ok) => {
          assert.equal(ok.redirected, true);
          assert.equal(ok.path, "/echo");
          const body = ok.body as { method: string; body: string };
          const keeps = status === 307 || status === 308;
          assert.equal(body.method, keeps ? "POST" : "GET");
          assert.equal(body.body, keeps && kind !== "no body" ? "payload" : "");
        })(seen);
      },
    }))
  ),
  {
    name: "response.url is the request's URL, and redirected is false, without a redirect",
    run: (fetch, url) => describe(fetch(`${url}/resource`)),
    expect: assertOk(200, (seen) => {
      assert.equal(seen.path, "/resource");
      assert.equal(seen.redirected, false);
    }),
  },
  {
    name: "several Set-Cookie headers come back through getSetCookie()",
    run: async (fetch, url) => {
      const response = await fetch(`${url}/cookies`);
      assert.deepEqual(response.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
      return describe(Promise.resolve(response));
    },
    expect: assertOk(200),
  },
  {
    name: 'a streamed request body with duplex: "half" arrives whole',
    run: (fetch, url) =>
      describe(fetch(`${url}/echo`, { method: "POST", body: stream("streamed"), duplex: "half" } as RequestInit)),
    expect: assertOk(200, (seen) => assert.equal((seen.body as { body: string }).body, "streamed")),
  },
  {
    name: "HEAD has a null body",
    run: async (fetch, url) => {
      const response = await fetch(`${url}/resource`, { method: "HEAD" });
      assert.equal(response.body, null);
      assert.equal(response.headers.get("x-kind"), "resource");
      return describe(Promise.resolve(response));
    },
    expect: assertOk(200, (seen) => assert.equal(seen.body, "")),
  },
  {
    name: "a network error (connection refused) is a TypeError",
    networkOnly: true,
    run: async (fetch) => {
      const refused = await refusedPort();
      try {
        const call = fetch(`http://127.0.0.1:${refused.port}/`);
        const error = await call.catch((e) => e);
        if (!(error instanceof Response) && fetch !== globalThis.fetch) {
          assert.ok(error instanceof ConnectError, "and still the tagged error");
        }
        return await describe(error instanceof Response ? Promise.resolve(error) : Promise.reject(error));
      } finally {
        await refused.close();
      }
    },
    expect: assertRejected("TypeError"),
  },
];

for (const c of CASES) {
  test(`fetch conformance: ${c.name}`, async () => {
    const app = makeApp();
    const server = serve(app.app);
    try {
      const reference = await c.run(globalThis.fetch, server.url, app);
      c.expect(reference);
      for (const target of TARGETS.slice(1)) {
        if (c.networkOnly && !target.network) continue;
        const fresh = makeApp();
        const { fetch, close } = target.make(server, target.network ? app.app : fresh.app);
        try {
          const seen = await c.run(fetch, server.url, target.network ? app : fresh);
          assert.deepEqual(
            seen,
            reference,
            `${target.name} differs from the runtime's own fetch: ${JSON.stringify(seen)} vs ${
              JSON.stringify(reference)
            }`,
          );
        } finally {
          await close();
        }
      }
    } finally {
      app.release();
      await server.close();
    }
  });
}

test("fetch conformance (documented exception): an in-process null body stays null; it reads as empty", async () => {
  await using client = Client.make({ transport: HandlerTransport.make(() => new Response(null, { status: 201 })) });
  const response = await client.fetch("http://app.test/");
  assert.equal(response.body, null);
  assert.equal(await response.text(), "");
});
