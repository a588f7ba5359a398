/**
 * The client's bad input and the reliability defects of its own (issue #12):
 * every bad header value is a typed error on both faces, a one-shot async
 * iterable body is never replayed empty, a bad Location is a typed error, and
 * a plain transport is closed once.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  Client,
  HandlerTransport,
  HttpTransport,
  InvalidOptions,
  InvalidUrl,
  LocalProtocolError,
  RedirectRefused,
  type Transport,
} from "../mod.ts";
import { runtimeName, test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";
import { withServer } from "./fixtures/server.ts";

const ok = HandlerTransport.make(() => new Response("ok"));
const BAD_HEADERS: ReadonlyArray<unknown> = [[1], [null], null, 5, "x", [["a"]], { "x-a": "v\r\nx" }, [[
  "bad name",
  "v",
]]];

test("client input: bad default headers are InvalidOptions naming where, never a TypeError from inside", () => {
  for (const headers of BAD_HEADERS) {
    assert.throws(
      () => Client.make({ transport: ok, headers: headers as never }),
      (e: unknown) => e instanceof InvalidOptions && e.option.startsWith("headers"),
      JSON.stringify(headers),
    );
  }
  // The value of a refused header is never echoed: it may be a secret.
  const error = (() => {
    try {
      Client.make({ transport: ok, headers: { authorization: "Bearer s3cr\r\net" } });
    } catch (e) {
      return e as InvalidOptions;
    }
  })();
  assert.ok(error instanceof InvalidOptions);
  assert.doesNotMatch(error.message, /s3cr/);
});

bothLanes("client input: bad per-call headers are a LocalProtocolError (a TypeError, as fetch's)", async ({ call }) => {
  await using client = Client.make({ transport: ok });
  for (const headers of BAD_HEADERS.filter((h) => typeof h === "object")) {
    const error = await call(client, "http://app.test/", { headers: headers as never }).catch((e) => e);
    assert.ok(
      error instanceof LocalProtocolError && error instanceof TypeError,
      `${JSON.stringify(headers)}: ${error}`,
    );
    assert.match(error.detail, /init\.headers/);
  }
});

bothLanes(
  "client input: a 307 after an async-iterable body fails as fetch does, never re-sent empty",
  async ({ call }) => {
    const bodies: Array<string> = [];
    const app = HandlerTransport.make(async (request) => {
      bodies.push(await request.text());
      return new URL(request.url).pathname === "/old"
        ? new Response(null, { status: 307, headers: { location: "/new" } })
        : new Response("new");
    });
    await using client = Client.make({ transport: app });
    async function* chunks() {
      yield new TextEncoder().encode("only once");
    }
    const error = await call(client, "http://app.test/old", {
      method: "POST",
      body: chunks() as unknown as BodyInit,
      duplex: "half",
    } as RequestInit).catch((e) => e);
    assert.ok(error instanceof RedirectRefused, String(error));
    assert.deepEqual(bodies, ["only once"], "the body went once; nothing was sent again");
  },
);

bothLanes(
  "client input: a redirect with a Location that is not a URL is InvalidUrl, not a defect",
  async ({ call }) => {
    await using client = Client.make({
      transport: HandlerTransport.make(() => new Response(null, { status: 302, headers: { location: "http://[::1" } })),
    });
    const error = await call(client, "http://app.test/").catch((e) => e);
    assert.ok(error instanceof InvalidUrl, String(error));
    assert.match(error.detail, /Location is not a URL/);
  },
);

test("client input: a plain { handle, close } transport is closed once, by await using and close() together", async () => {
  let closes = 0;
  const plain = {
    handle: () => Effect.succeed(new Response("ok")),
    close: () => Effect.sync(() => void closes++),
  } as unknown as Transport;
  {
    await using client = Client.make({ transport: plain });
    await Effect.runPromise(client.close());
    await Effect.runPromise(client.close());
  }
  assert.equal(closes, 1);
});

test("client input: a client that fails to build frees the default transport it made (no leaked HTTP client)", () => {
  // Deno's resource sanitizer fails this test if the HttpTransport built for the client is left open.
  assert.throws(() => Client.make({ plugins: [() => null as never] }), InvalidOptions);
  assert.throws(() => Client.make({ mounts: { "bad key?": null } }), InvalidOptions);
  assert.throws(() => Client.make({ headers: [1] as never }), InvalidOptions);
});

bothLanes(
  "client input: a method is sent as fetch normalizes it, or refused when the runtime would change it",
  async ({ call }) => {
    await using client = Client.make({ transport: HandlerTransport.make((request) => new Response(request.method)) });
    const sent = async (method: string) =>
      await call(client, "http://app.test/", { method }).then((r) => r.text(), (e) => e);
    // The Fetch standard upper-cases these six whatever their case, and keeps every other method as written.
    assert.equal(await sent("Post"), "POST");
    assert.equal(await sent("delete"), "DELETE");
    assert.equal(await sent("PROPFIND"), "PROPFIND");
    for (const method of ["Patch", "FOO", "propfind"]) {
      const outcome = await sent(method);
      if (runtimeName === "deno") assert.equal(outcome, method, "Deno's Request keeps it as written");
      else {
        // Bun's Request sends a method it does not know as GET (and upper-cases others): never silently.
        assert.ok(outcome instanceof LocalProtocolError, `${method}: ${outcome}`);
        assert.match(outcome.detail, /refused rather than changed/);
      }
    }
  },
);

bothLanes(
  "client input: CR/LF in a header value is refused even where the platform would keep an empty value",
  async ({ call }) => {
    await using client = Client.make({ transport: ok });
    // Deno's Headers turns "a\r\nb " into "" instead of refusing it; Switchyard refuses it on both runtimes.
    const error = await call(client, "http://app.test/", { headers: { "x-a": "a\r\nb " } }).catch((e) => e);
    assert.ok(error instanceof LocalProtocolError, String(error));
    assert.throws(() => Client.make({ transport: ok, headers: { "x-a": "a\r\nb " } }), InvalidOptions);
  },
);

bothLanes(
  "client input: a GET or HEAD with a body is refused before sending, as fetch refuses it, whatever the case",
  async ({ call }) => {
    let reached = 0;
    await using client = Client.make({ transport: HandlerTransport.make(() => (reached++, new Response("sent"))) });
    for (const method of ["GET", "get", "HEAD", "Head"]) {
      // The runtime's own fetch rejects it with a TypeError (Deno when the Request is built, Bun when it is sent).
      const raw = await fetch("http://127.0.0.1:9/", { method, body: "x" }).catch((e) => e);
      assert.ok(raw instanceof TypeError, `${method}: raw fetch ${raw}`);
      const error = await call(client, "http://app.test/", { method, body: "x" }).catch((e) => e);
      assert.ok(error instanceof LocalProtocolError && error instanceof TypeError, `${method}: ${error}`);
      assert.match(error.detail, new RegExp(`a ${method.toUpperCase()} request cannot have a body \\(init\\.body`));
      assert.match(error.message, /it was not sent/);
    }
    // A Request input with a body turned into a GET by `init.method` (client.fetch builds this Request).
    const post = new Request("http://app.test/", { method: "POST", body: "x" });
    const error = await client.fetch(post, { method: "GET" }).catch((e) => e);
    assert.ok(error instanceof LocalProtocolError, String(error));
    assert.match(error.detail, /the Request's was given/);
    // An empty body is a body, as in fetch; no body at all is fine.
    assert.ok(
      await call(client, "http://app.test/", { method: "GET", body: "" }).catch((e) => e) instanceof LocalProtocolError,
    );
    assert.equal(await (await call(client, "http://app.test/", { method: "GET", body: null })).text(), "sent");
    assert.equal(reached, 1, "only the request without a body reached the app");
  },
);

test("http transport: a Request whose body was read is LocalProtocolError (not sent), on every engine path", async () => {
  for (const options of [{}, { timeout: 5_000, limits: { maxConnections: 2 } }]) {
    const network = HttpTransport.make({ trustEnv: false, ...options });
    try {
      const request = new Request("http://127.0.0.1:9/", { method: "POST", body: "once" });
      await request.text();
      const error = await network.fetch(request).catch((e) => e);
      assert.ok(error instanceof LocalProtocolError, `${JSON.stringify(options)}: ${error}`);
    } finally {
      await Effect.runPromise(network.close());
    }
  }
});

test("client input: client.send and client.fetch refuse a GET Request with a body, which only Bun's Request builds", async () => {
  let reached = 0;
  await using client = Client.make({ transport: HandlerTransport.make(() => (reached++, new Response("sent"))) });
  let request: Request;
  try {
    request = new Request("http://app.test/", { method: "GET", body: "x" });
  } catch (error) {
    // Deno's Request follows the Fetch standard and cannot be built: nothing to send.
    assert.equal(runtimeName, "deno");
    assert.ok(error instanceof TypeError);
    return;
  }
  assert.equal(runtimeName, "bun");
  const exit = await Effect.runPromiseExit(client.send(request));
  const error = exit._tag === "Failure" ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined;
  assert.ok(error instanceof LocalProtocolError, String(exit));
  assert.match(error.detail, /a GET request cannot have a body/);
  // The Promise face, the Request given as it is (no init).
  const viaFetch = await client.fetch(new Request("http://app.test/", { method: "GET", body: "x" })).catch((e) => e);
  assert.ok(viaFetch instanceof LocalProtocolError, String(viaFetch));
  assert.match(viaFetch.detail, /a GET request cannot have a body \(the Request's was given\)/);
  assert.equal(reached, 0);
  // Handed to the network transport directly, Bun's fetch refuses it before connecting: not sent, typed so.
  const network = HttpTransport.make({ trustEnv: false });
  try {
    const get = new Request("http://127.0.0.1:9/", { method: "GET", body: "x" });
    const direct = await network.fetch(get).catch((e) => e);
    assert.ok(direct instanceof LocalProtocolError, String(direct));
  } finally {
    await Effect.runPromise(network.close());
  }
});

/** A one-chunk stream. */
const streamOf = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });

bothLanes(
  "client input: a body already read (a Request input's, a stream's) is refused as fetch refuses it, naming the body",
  async ({ call }) => {
    let reached = 0;
    await using client = Client.make({
      transport: HandlerTransport.make(async (request) => (reached++, new Response(await request.text()))),
    });
    const readRequest = async () => {
      const request = new Request("http://app.test/", { method: "POST", body: "once" });
      await request.text();
      return request;
    };
    const lockedStream = () => {
      const stream = streamOf("once");
      stream.getReader();
      return stream;
    };
    const readStream = async () => {
      const response = new Response(streamOf("once"));
      await response.text();
      return response.body!;
    };
    // The runtime's own fetch rejects each of them with a TypeError.
    for (const input of [await readRequest()]) {
      assert.ok(await fetch(input).catch((e) => e) instanceof TypeError);
    }
    for (const body of [lockedStream(), await readStream()]) {
      const raw = await fetch("http://127.0.0.1:9/", { method: "POST", body, duplex: "half" } as RequestInit)
        .catch((e) => e);
      assert.ok(raw instanceof TypeError, String(raw));
    }
    const refused = async (outcome: Promise<Response>, detail: RegExp) => {
      const error = await outcome.catch((e) => e);
      assert.ok(error instanceof LocalProtocolError && error instanceof TypeError, String(error));
      assert.match(error.detail, detail);
    };
    await refused(call(client, await readRequest()), /the Request's body has already been read \(bodyUsed/);
    // With other headers too (client.fetch builds this Request): the body is named, not the headers.
    await refused(client.fetch(await readRequest(), { headers: { "x-a": "b" } }), /body has already been read/);
    const init = (body: ReadableStream) => ({ method: "POST", body, duplex: "half" }) as RequestInit;
    await refused(call(client, "http://app.test/", init(lockedStream())), /ReadableStream that is locked or already/);
    await refused(call(client, "http://app.test/", init(await readStream())), /ReadableStream that is locked or/);
    // A new body for a read Request is fine, as in fetch.
    const replaced = await client.fetch(await readRequest(), { body: "again" });
    assert.equal(await replaced.text(), "again");
    assert.equal(reached, 1);
  },
);

bothLanes(
  "client input: a bad RequestInit member is named with what it takes, where the runtime's fetch refuses it too",
  async ({ call, lane }) => {
    await using client = Client.make({ transport: HandlerTransport.make((request) => new Response(request.method)) });
    const cases: ReadonlyArray<readonly [string, unknown, RegExp]> = [
      ["signal", { signal: {} }, /^init\.signal is not an AbortSignal: pass one/],
      ["redirect", { redirect: "nope" }, /^init\.redirect is "nope": use one of "follow", "error", "manual"$/],
      ["mode", { mode: "sideways" }, /^init\.mode is "sideways": use one of /],
      ["credentials", { credentials: 1 }, /^init\.credentials is a number: use one of "omit"/],
      [
        "referrerPolicy",
        { referrerPolicy: Symbol("r") },
        /^init\.referrerPolicy is a symbol: use one of "no-referrer"/,
      ],
      ["init", "x", /^init is a string: pass an object \(fetch's RequestInit\) or nothing$/],
      ["CONNECT", { method: "CONNECT" }, /^the method CONNECT is forbidden by fetch/],
      ["TRACE", { method: "TRACE" }, /^the method TRACE is forbidden by fetch/],
    ];
    await withServer((request) => new Response(request.method), async (server) => {
      for (const [what, init, detail] of cases) {
        // The Effect face takes an init object (`client.request(method, url, init)`): a string init is fetch's alone.
        if (lane === "effect" && typeof init !== "object") continue;
        // Each runtime's own fetch decides whether it is refused (Bun sends CONNECT and ignores a string init).
        // Bun's Request refuses some members its fetch ignores (a bad `mode`); the client builds a Request.
        const built = (() => {
          try {
            new Request(server.url, init as RequestInit);
            return true;
          } catch {
            return false;
          }
        })();
        const raw = built
          ? await fetch(server.url, init as RequestInit).then((r) => r.text(), (e) => e)
          : new TypeError("the runtime's Request refused it");
        const ours = await call(client, "http://app.test/", init as RequestInit).then((r) => r.text(), (e) => e);
        if (raw instanceof TypeError) {
          assert.ok(ours instanceof LocalProtocolError && ours instanceof TypeError, `${what}: ${ours}`);
          assert.match(ours.detail, detail, what);
        } else {
          assert.equal(
            typeof ours,
            "string",
            `${what}: the runtime's fetch sent it (${raw}), so does the client: ${ours}`,
          );
          assert.equal(ours, new Request("http://app.test/", init as RequestInit).method, `${what}: the method sent`);
        }
      }
    });
  },
);

bothLanes(
  "client input: spaces and C0 controls around a URL string are dropped, as the URL parser does",
  async ({ call }) => {
    await using client = Client.make({ transport: HandlerTransport.make((request) => new Response(request.url)) });
    assert.equal(new URL(" \thttp://app.test/a \n").href, "http://app.test/a");
    assert.equal(await (await call(client, " \thttp://app.test/a \n")).text(), "http://app.test/a");
    await using based = Client.make({
      baseUrl: "http://app.test/v1/",
      transport: HandlerTransport.make((request) => new Response(request.url)),
    });
    assert.equal(await (await call(based, " users ")).text(), "http://app.test/v1/users");
  },
);

// client.fetch's alone: the Effect face takes the method as a string argument (`client.request(method, url)`).
test("client input: a method that is not a string is made one, as WebIDL does for fetch", async () => {
  await using client = Client.make({ transport: HandlerTransport.make((request) => new Response(request.method)) });
  const call = (c: Client, url: string, init: RequestInit) => c.fetch(url, init);
  const outcome = await call(client, "http://app.test/", { method: null as never }).then((r) => r.text(), (e) => e);
  if (runtimeName === "deno") assert.equal(outcome, "null", 'Deno\'s Request keeps the method "null"');
  else {
    // Bun's Request would send "null" as GET: refused rather than changed, as for any method it does not know.
    assert.ok(outcome instanceof LocalProtocolError, String(outcome));
    assert.match(outcome.detail, /the method "null" as GET/);
  }
  const symbol = await call(client, "http://app.test/", { method: Symbol("m") as never }).catch((e) => e);
  assert.ok(symbol instanceof LocalProtocolError, String(symbol));
  assert.match(symbol.detail, /^init\.method is a symbol that cannot be made a string/);
});

bothLanes(
  "client input: a Request input whose body was looked at is re-sent on a 307 where the runtime keeps its source",
  async ({ call }) => {
    // The app cancels the body of the request it redirects, as a server that does not read it would.
    await using client = Client.make({
      transport: HandlerTransport.make(async (request) => {
        if (new URL(request.url).pathname === "/old") {
          await request.body?.cancel();
          return new Response(null, { status: 307, headers: { location: "/new" } });
        }
        return new Response(`${request.method} ${await request.text()}`);
      }),
    });
    const request = new Request("http://app.test/old", { method: "POST", body: "payload" });
    assert.ok(request.body !== null); // looked at, not read
    const outcome = await call(client, request).then((r) => r.text(), (e) => e);
    if (runtimeName === "deno") {
      // Deno keeps the string the body was made from: sent again from it (a clone's tee would hold the cancel).
      assert.equal(outcome, "POST payload");
    } else {
      // Bun's Request turns a body that was looked at into a stream: a 307 cannot re-send it (fetch's rule).
      assert.ok(outcome instanceof RedirectRefused, String(outcome));
    }
  },
);
