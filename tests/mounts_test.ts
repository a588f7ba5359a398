/** Mounts: real routing through counting transports, closing, explaining, and the Layer. */
import assert from "node:assert/strict";
import { Effect, Exit, Layer } from "effect";
import { InvalidOptions, InvalidUrl } from "../core/errors.ts";
import { Transport } from "../core/transport.ts";
import { Mounts } from "../router/mounts.ts";
import { test } from "./harness.ts";

interface Counting extends Transport {
  readonly name: string;
  readonly seen: string[];
  closes: number;
}
const counting = (name: string, onClose?: () => void): Counting => {
  const seen: string[] = [];
  const self: Counting = {
    name,
    seen,
    closes: 0,
    handle: (request) =>
      Effect.sync(() => {
        seen.push(request.url);
        return new Response(name);
      }),
    fetch: (request) => Effect.runPromise(self.handle(request)),
    close: () =>
      Effect.sync(() => {
        self.closes++;
        onClose?.();
      }),
  };
  return self;
};

const getTransport: Effect.Effect<Transport, never, Transport> = Effect.gen(function* () {
  return yield* Transport;
});

const send = async (transport: Transport, url: string): Promise<string> =>
  await (await Effect.runPromise(transport.handle(new Request(url)))).text();

test("requests go to the transport their URL is mounted on; null and no match go to the fallback", async () => {
  const [internal, v2, port, fallback] = ["internal", "v2", "port", "fallback"].map((n) => counting(n));
  const mounts = Mounts.make({
    "all://*.internal": internal,
    "https://api.example.com/v2": v2,
    "all://*:8443": port,
    "all://localhost": null,
  }, fallback);
  assert.equal(await send(mounts, "http://db.internal/q"), "internal");
  assert.equal(await send(mounts, "https://api.example.com/v2/users"), "v2");
  assert.equal(await send(mounts, "https://api.example.com/v20"), "fallback");
  assert.equal(await send(mounts, "https://db.internal:8443/"), "port"); // a port beats a host
  assert.equal(await send(mounts, "http://localhost:3000/"), "fallback");
  assert.equal(await send(mounts, "http://elsewhere.test/"), "fallback");
  assert.deepEqual(internal.seen, ["http://db.internal/q"]);
  assert.deepEqual(v2.seen, ["https://api.example.com/v2/users"]);
  assert.deepEqual(port.seen, ["https://db.internal:8443/"]);
  assert.equal(fallback.seen.length, 3);
  await Effect.runPromise(mounts.close());
});

test("the request object is handed on untouched (streams are not read)", async () => {
  let received: Request | undefined;
  const target = Transport.make({ handle: (r) => Effect.sync(() => (received = r, new Response(null))) });
  const mounts = Mounts.make({ "http://": target }, counting("fallback"));
  const request = new Request("http://x.test/upload", { method: "POST", body: "payload" });
  await Effect.runPromise(mounts.handle(request));
  assert.equal(received, request);
  assert.equal(request.bodyUsed, false);
  await request.body?.cancel();
});

test("close() closes every distinct transport and the fallback exactly once", async () => {
  const shared = counting("shared");
  const other = counting("other");
  const fallback = counting("fallback");
  const mounts = Mounts.make(
    { "http://": shared, "https://": shared, "all://a.test": other, "all://b.test": fallback, "all://c.test": null },
    fallback,
  );
  await Effect.runPromise(mounts.close());
  await Effect.runPromise(mounts.close());
  assert.deepEqual([shared.closes, other.closes, fallback.closes], [1, 1, 1]);
});

test("a close that dies does not stop the others; the defect is reported", async () => {
  const broken = Transport.make({ handle: () => Effect.die("unused"), close: () => Effect.die(new Error("boom")) });
  const after = counting("after");
  const mounts = Mounts.make({ "http://": broken, "https://": after }, counting("fallback"));
  const exit = await Effect.runPromise(Effect.exit(mounts.close()));
  assert.ok(Exit.isFailure(exit));
  assert.equal(after.closes, 1);
});

test("bad keys and values are typed InvalidOptions naming them", () => {
  const fallback = counting("fallback");
  assert.throws(() => Mounts.make({ http: fallback }, fallback), (e: unknown) => {
    assert.ok(e instanceof InvalidOptions);
    assert.equal(e.option, 'mounts["http"]');
    return true;
  });
  assert.throws(
    () => Mounts.make({ "http://": "nope" as unknown as Transport }, fallback),
    (e: unknown) => e instanceof InvalidOptions && e.option === 'mounts["http://"]',
  );
  assert.throws(
    () => Mounts.make({}, undefined as unknown as Transport),
    (e: unknown) => e instanceof InvalidOptions && e.option === "fallback",
  );
});

test("explain says which key wins and why", () => {
  const a = counting("a");
  const fallback = counting("fallback");
  const mounts = Mounts.make(
    { "all://": a, "all://*.internal": null, "all://*:8443": a, "http://x.test": a },
    fallback,
  );
  const internal = mounts.explain("http://db.internal/");
  assert.deepEqual([internal.key, internal.fallback, internal.transport], ["all://*.internal", true, fallback]);
  assert.equal(
    internal.reason,
    '"all://*.internal" wins over "all://": its host is longer; it is mounted to null, so the fallback transport handles it',
  );
  assert.match(
    mounts.explain("https://db.internal:8443/").reason,
    /wins over "all:\/\/\*\.internal", "all:\/\/": it names a port/,
  );
  assert.match(mounts.explain(new URL("http://other.test/")).reason, /"all:\/\/" is the only key that matches/);
  const none = Mounts.make({ "https://": a }, fallback).explain("http://u:secret@y.test/");
  assert.deepEqual([none.key, none.fallback, none.transport, none.matches], [undefined, true, fallback, []]);
  assert.ok(!none.url.includes("secret"));
  assert.deepEqual(Mounts.explain(mounts, "http://x.test/")?.matches.map((m) => m.key), ["http://x.test", "all://"]);
  assert.equal(Mounts.explain(a, "http://x.test/"), undefined);
  assert.throws(() => mounts.explain("not a url"), InvalidUrl);
});

test("layer: builds each distinct layer once in one scope, provides Transport, closes everything", async () => {
  const events: string[] = [];
  let builds = 0;
  const plain = counting("plain", () => events.push("close plain"));
  const fromLayer = counting("layered", () => events.push("close layered"));
  const shared = Layer.effect(
    Transport,
    Effect.acquireRelease(
      Effect.sync(() => (builds++, fromLayer as Transport)),
      (t) => t.close(),
    ),
  );
  const fallbackLayer = Transport.layer(counting("fallback", () => events.push("close fallback")));
  const live = Mounts.layer(
    { "http://": shared, "https://": shared, "all://p.test": plain, "all://n.test": null },
    fallbackLayer,
  );
  const texts = await Effect.runPromise(
    Effect.gen(function* () {
      const transport = yield* Transport;
      const out: string[] = [];
      for (const url of ["http://a.test/", "https://a.test/", "ws://p.test/", "ws://n.test/", "ws://z.test/"]) {
        out.push(yield* Effect.promise(() => send(transport, url)));
      }
      assert.equal(Mounts.explain(transport, "ws://n.test/")?.fallback, true);
      return out;
    }).pipe(Effect.provide(live)),
  );
  assert.deepEqual(texts, ["layered", "layered", "plain", "fallback", "fallback"]);
  assert.equal(builds, 1);
  assert.deepEqual([...events].sort(), ["close fallback", "close layered", "close plain"]);
});

test("layer: a bad key fails with InvalidOptions before any layer is built; layer errors pass through", async () => {
  let builds = 0;
  const counted = Layer.effect(Transport, Effect.sync(() => (builds++, counting("x") as Transport)));
  const bad = await Effect.runPromise(
    Effect.result(Effect.provide(getTransport, Mounts.layer({ "all://": counted, http: counted }, counted))),
  );
  assert.ok(bad._tag === "Failure" && bad.failure instanceof InvalidOptions && bad.failure.option === 'mounts["http"]');
  assert.equal(builds, 0);
  const failing = Layer.effect(Transport, Effect.fail("no socket" as const));
  const result = await Effect.runPromise(
    Effect.result(Effect.provide(getTransport, Mounts.layer({ "all://": failing }, counting("f")))),
  );
  assert.equal(result._tag, "Failure");
  assert.equal(result._tag === "Failure" ? result.failure : undefined, "no socket");
});
