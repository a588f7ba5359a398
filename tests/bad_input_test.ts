/**
 * Bad input gets a typed error that names it, at construction, on every
 * public constructor and function outside the client (the client's own are
 * in client_test.ts): `InvalidOptions` for options, `InvalidUrl` for URLs;
 * never a `TypeError` from inside. Each row failed before this change
 * (a `TypeError`, or a silent acceptance), unless marked "(held)".
 */
import assert from "node:assert/strict";
import { Effect, Exit, Layer } from "effect";
import {
  Client,
  configureRedaction,
  environmentProxies,
  HandlerTransport,
  hooks,
  HttpTransport,
  InvalidOptions,
  InvalidUrl,
  logging,
  MockTransport,
  Mounts,
  Plugin,
  SwitchyardError,
  Transport,
} from "../mod.ts";
import { Router, UrlPattern } from "../router.ts";
import { record } from "../core/options.ts";
import { test } from "./harness.ts";

const ok = MockTransport.make(() => new Response("ok"));
const app = () => new Response("ok");

/** Calls `fn`, expects `Class` (a SwitchyardError, never a bare TypeError) naming `option` when given. */
const refused = (fn: () => unknown, Class: typeof InvalidOptions | typeof InvalidUrl, option?: string): void => {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SwitchyardError, `expected ${Class.name}, got ${caught}`);
  assert.ok(caught instanceof Class, `expected ${Class.name}, got ${caught}`);
  if (option !== undefined) assert.equal((caught as InvalidOptions).option, option, String(caught));
};

// deno-lint-ignore no-explicit-any
const bad = (u: unknown): any => u;

test("bad input: Router.make refuses what is not a record, a Map or pairs, naming the entry", () => {
  refused(() => Router.make(bad(null)), InvalidOptions, "mounts");
  refused(() => Router.make(bad(undefined)), InvalidOptions, "mounts");
  refused(() => Router.make(bad(5)), InvalidOptions, "mounts");
  refused(() => Router.make(bad("all://")), InvalidOptions, "mounts");
  refused(() => Router.make(bad([1])), InvalidOptions, "mounts[0]");
  refused(() => Router.make(bad([["all://"]])), InvalidOptions, "mounts[0]");
  refused(() => Router.make(bad([[1, "x"]])), InvalidOptions, "mounts[0][0]");
  refused(() => Router.make({ "not a key": 1 }), InvalidOptions); // (held)
  refused(() => UrlPattern.parse(bad(5)), InvalidOptions, "mounts");
  assert.ok(UrlPattern.validate(bad(null)) instanceof InvalidOptions);
});

test("bad input: Router.resolve and explain take a URL string, a URL or a Request, and agree", () => {
  const router = Router.make({ "all://": 1, "all://a.aa": 2, "https://": 3 });
  for (const url of ["http://a.aa/x", "https://b.bb/", "http://c.cc:8080/y?z=1"]) {
    const want = router.resolve(new URL(url))?.value;
    assert.equal(router.resolve(url)?.value, want, url);
    assert.equal(router.resolve(new Request(url))?.value, want, url);
    assert.deepEqual(router.explain(url).map((r) => r.key), router.explain(new URL(url)).map((r) => r.key));
    assert.deepEqual(
      router.explain(new Request(url)).map((r) => r.key),
      router.explain(new URL(url)).map((r) => r.key),
    );
  }
  assert.equal(Router.make({ "all://": 1 }).resolve("http://a.aa")?.value, 1);
  // A string is parsed first, so a non-canonical spelling resolves like its URL.
  assert.equal(router.resolve("HTTP://A.AA:80/x")?.value, 2);
  assert.deepEqual(Router.make({ "https://": 1 }).explain("https://x.test/").map((r) => r.key), ["https://"]);
  refused(() => router.resolve("not a url"), InvalidUrl);
  refused(() => router.resolve(bad(null)), InvalidUrl);
  refused(() => router.resolve(bad(5)), InvalidUrl);
  refused(() => router.explain("/relative"), InvalidUrl);
});

test("bad input: a `__proto__` mount key is kept and refused as a key, on every runtime", () => {
  // Before: on Bun the option checker copied into `{}` and the setter swallowed the key (accepted, lost).
  refused(() => Client.make({ transport: ok, mounts: { ["__proto__"]: null } }), InvalidOptions, 'mounts["__proto__"]');
  refused(() => Client.make({ transport: ok, mounts: JSON.parse('{"__proto__": null}') }), InvalidOptions);
  const copied = record((v) => v, "a record")({ ["__proto__"]: 1, constructor: 2 }, "m");
  assert.deepEqual(Object.keys(copied), ["__proto__", "constructor"]);
  assert.equal(Object.getPrototypeOf(copied), null);
});

test("bad input: Mounts.make and Mounts.explain", async () => {
  refused(() => Mounts.make(bad(null), ok), InvalidOptions, "mounts");
  refused(() => Mounts.make(bad([1]), ok), InvalidOptions, "mounts[0]");
  refused(() => Mounts.make({}, bad(null)), InvalidOptions, "fallback"); // (held)
  refused(() => Mounts.make({ "all://": bad(5) }, ok), InvalidOptions, 'mounts["all://"]'); // (held)
  const mounts = Mounts.make({ "all://*.internal": null }, ok);
  assert.equal(mounts.explain(new Request("http://db.internal/")).key, "all://*.internal");
  assert.equal(Mounts.explain(mounts, "http://db.internal/")?.key, "all://*.internal");
  assert.equal(Mounts.explain(bad(null), "http://db.internal/"), undefined);
  refused(() => mounts.explain("not a url"), InvalidUrl);
  refused(() => mounts.explain(bad(7)), InvalidUrl);
  const exit = await Effect.runPromiseExit(Layer.build(Mounts.layer(bad(null), ok)).pipe(Effect.scoped));
  assert.ok(Exit.isFailure(exit) && String(exit.cause).includes("InvalidOptions"), String(exit));
  await Effect.runPromise(mounts.close());
});

test("bad input: HandlerTransport options are checked like every other constructor's", async () => {
  refused(() => HandlerTransport.make(bad(null)), InvalidOptions, "handler"); // (held)
  refused(() => HandlerTransport.make(app, bad(null)), InvalidOptions, "options");
  refused(() => HandlerTransport.make(app, bad(5)), InvalidOptions, "options");
  refused(() => HandlerTransport.make(app, bad({ rootPath: 5 })), InvalidOptions, "rootPath");
  refused(() => HandlerTransport.make(app, { rootPath: "api" }), InvalidOptions, "rootPath"); // (held)
  refused(() => HandlerTransport.make(app, bad({ rootpath: "/api" })), InvalidOptions, "rootpath");
  refused(() => HandlerTransport.make(app, bad({ raiseAppExceptions: "no" })), InvalidOptions, "raiseAppExceptions");
  refused(() => HandlerTransport.make(app, bad({ client: 5 })), InvalidOptions, "client");
  refused(() => HandlerTransport.make(app, { client: { hostname: "", port: 1 } }), InvalidOptions, "client.hostname");
  refused(
    () => HandlerTransport.make(app, { client: { hostname: "::1", port: 70000 } }),
    InvalidOptions,
    "client.port",
  );
  refused(() => HandlerTransport.make(app, bad({ lifespan: 5 })), InvalidOptions, "lifespan");
  refused(() => HandlerTransport.make(app, bad({ lifespan: { startup: 5 } })), InvalidOptions, "lifespan.startup");
  refused(() => HandlerTransport.make(app, bad({ lifespan: { shutdown: "x" } })), InvalidOptions, "lifespan.shutdown");
  // A lifespan may be an app object with more fields; its hooks are called on it.
  const db = {
    open: false,
    startup() {
      this.open = true;
    },
  };
  const t = HandlerTransport.make(() => Response.json(db.open), { lifespan: db });
  assert.equal(await (await t.fetch(new Request("http://app.test/"))).json(), true);
  await Effect.runPromise(t.close());
  const exit = await Effect.runPromiseExit(Layer.build(HandlerTransport.layer(app, bad(null))).pipe(Effect.scoped));
  assert.ok(Exit.isFailure(exit) && String(exit.cause).includes("InvalidOptions"), String(exit));
});

test("bad input: MockTransport and HttpTransport", () => {
  refused(() => MockTransport.make(bad(null)), InvalidOptions, "handler"); // (held)
  refused(() => HttpTransport.make(bad(null)), InvalidOptions, "options");
  refused(() => HttpTransport.make(bad(5)), InvalidOptions, "options");
  refused(() => HttpTransport.make(bad({ limits: null })), InvalidOptions, "limits");
  refused(() => HttpTransport.make(bad({ proxy: { url: "http://p", headers: { a: 1 } } })), InvalidOptions);
});

test("bad input: timeouts past 2^31-1 ms are refused at construction, naming the phase", () => {
  // Before: accepted, and setTimeout fired at once (ReadTimeout after 1-4 ms; PoolTimeout for `pool`).
  refused(() => HttpTransport.make({ timeout: 2 ** 31 }), InvalidOptions, "timeout");
  refused(() => HttpTransport.make({ timeout: { read: Number.MAX_SAFE_INTEGER } }), InvalidOptions, "timeout.read");
  refused(() => HttpTransport.make({ timeout: { pool: 2 ** 31 } }), InvalidOptions, "timeout.pool");
  refused(() => HttpTransport.make({ timeout: { total: 1e12 } }), InvalidOptions, "timeout.total");
  refused(() => HttpTransport.make({ limits: { keepAliveExpiry: 2 ** 31 } }), InvalidOptions, "limits.keepAliveExpiry");
  try {
    HttpTransport.make({ timeout: 2 ** 31 });
  } catch (error) {
    assert.match(String(error), /at most 2147483647/);
  }
  const longest = HttpTransport.make({ timeout: 2 ** 31 - 1 });
  Effect.runSync(longest.close());
});

test("bad input: environmentProxies refuses what is not an environment, naming the variable", () => {
  refused(() => environmentProxies(bad(null)), InvalidOptions, "env");
  refused(() => environmentProxies(bad(5)), InvalidOptions, "env");
  refused(() => environmentProxies(bad(["HTTP_PROXY"])), InvalidOptions, "env");
  refused(() => environmentProxies(bad({ HTTP_PROXY: 5 })), InvalidOptions, "HTTP_PROXY");
  refused(() => environmentProxies(bad({ no_proxy: ["a"] })), InvalidOptions, "no_proxy");
  refused(() => environmentProxies({ HTTP_PROXY: "ftp://p" }), InvalidOptions, "HTTP_PROXY"); // (held)
  // A prototype's getter is not a variable.
  assert.deepEqual(environmentProxies(Object.create({ HTTP_PROXY: "http://p:1" })), {});
});

test("bad input: Transport.make, wrap, compose and layer check their arguments", () => {
  const handle = () => Effect.succeed(new Response("ok"));
  refused(() => Transport.make(bad(null)), InvalidOptions, "spec");
  refused(() => Transport.make(bad({})), InvalidOptions, "spec.handle");
  refused(() => Transport.make(bad({ handle, close: 5 })), InvalidOptions, "spec.close");
  refused(() => Transport.make(bad({ handle, fetch: "x" })), InvalidOptions, "spec.fetch");
  refused(() => Transport.make(bad({ handle, kind: 5 })), InvalidOptions, "spec.kind");
  refused(() => Transport.wrap(bad(null), { handle }), InvalidOptions, "next");
  refused(() => Transport.wrap(ok, bad(null)), InvalidOptions, "spec");
  refused(() => Transport.compose(bad(null), []), InvalidOptions, "transport");
  refused(() => Transport.compose(ok, bad(null)), InvalidOptions, "plugins");
  refused(() => Transport.compose(ok, [bad(() => ({}))]), InvalidOptions, "plugins[0]"); // (held)
  refused(() => Transport.layer(bad(5)), InvalidOptions, "transport");
});

test("bad input: Plugin.steps, hooks, logging and configureRedaction check their arguments", () => {
  refused(() => Plugin.steps(bad(null)), InvalidOptions, "steps");
  refused(() => Plugin.steps(bad({})), InvalidOptions, "steps.name");
  refused(() => Plugin.steps(bad({ name: "x", onRequest: 5 })), InvalidOptions, "steps.onRequest");
  refused(() => Plugin.steps("x", bad(5)), InvalidOptions, "perRequest");
  refused(() => hooks(bad(null)), InvalidOptions, "hooks");
  refused(() => hooks(bad({ request: [1] })), InvalidOptions, "hooks.request[0]");
  refused(() => hooks(bad({ requests: [] })), InvalidOptions, "hooks.requests");
  refused(() => logging(bad(null)), InvalidOptions, "logging");
  refused(() => logging(bad({ log: 5 })), InvalidOptions, "logging.log");
  refused(() => configureRedaction(bad({ queryParams: "otp" })), InvalidOptions, "configureRedaction.queryParams");
  refused(() => configureRedaction(bad({ headers: [""] })), InvalidOptions, "configureRedaction.headers[0]");
});

test("bad input: proxy headers with CR, LF or NUL, or a name that is not a token, are refused without showing the value", () => {
  const withHeaders = (headers: Record<string, string>) => () =>
    HttpTransport.make({ proxy: { url: "http://proxy.test:3128", headers }, trustEnv: false });
  // Before: accepted (and, on Deno, a value ending in whitespace became "").
  refused(withHeaders({ "x-team": "a\r\nb " }), InvalidOptions, 'proxy.headers["x-team"]');
  refused(withHeaders({ "x team": "a" }), InvalidOptions, 'proxy.headers["x team"]');
  try {
    withHeaders({ "proxy-authorization": "Basic s3cret\n" })();
  } catch (error) {
    assert.doesNotMatch(String(error), /s3cret/);
  }
});
