/**
 * HttpTransport and environment proxies, by Switchyard's rules (router/env.ts),
 * against real servers and real forward proxies (tests/fixtures/proxy.ts).
 *
 * Most tests pass the environment through `makeHttpTransport(options, env)`:
 * nothing is set in the process, so on Deno the runtime's own env proxying
 * (built into every `Deno.HttpClient` from the process env) never interferes,
 * and only our routing is exercised. The last test sets real variables, in a
 * child process, to check that a request is proxied once, by our rules, with
 * the runtime's own rules active too.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { ConnectError, InvalidOptions } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { type HttpTransportOptions, makeHttpTransport } from "../transports/http/mod.ts";
import type { Env } from "../transports/http/env_proxies.ts";
import { startProxy, type TestProxy } from "./fixtures/proxy.ts";
import { withServer } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { runChild } from "./fixtures/child.ts";
import { test } from "./harness.ts";

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

/** Starts `count` proxies, runs `fn`, closes them. */
const withProxies = async <A>(count: number, fn: (proxies: Array<TestProxy>) => Promise<A>): Promise<A> => {
  const proxies: Array<TestProxy> = [];
  try {
    for (let i = 0; i < count; i++) proxies.push(await startProxy());
    return await fn(proxies);
  } finally {
    for (const proxy of proxies) await proxy.close();
  }
};

/** Builds the transport with `env` as the environment, runs `fn`, closes it. */
const withTransport = async <A>(
  options: HttpTransportOptions,
  env: Env,
  fn: (t: Transport) => Promise<A>,
): Promise<A> => {
  const t = makeHttpTransport(options, env);
  try {
    return await fn(t);
  } finally {
    await run(t.close());
  }
};

/** One GET through each face (`handle`, then the Promise lane when there is one); returns the bodies. */
const getBoth = async (t: Transport, url: string): Promise<Array<string>> => {
  const texts = [await (await run(t.handle(new Request(url)))).text()];
  texts.push(await (await t.fetch(new Request(url))).text());
  return texts;
};

const origin = (req: Request) => new Response(`origin ${new URL(req.url).pathname}`);

test("env: HTTP_PROXY sends an http request through the proxy, once per request, on both faces", () =>
  withServer(origin, (server) =>
    withProxies(1, ([proxy]) =>
      withTransport({}, { HTTP_PROXY: proxy.url }, async (t) => {
        assert.equal(typeof t.fetch, "function", "the Promise lane survives the routing");
        assert.deepEqual(await getBoth(t, `${server.url}/a`), ["origin /a", "origin /a"]);
        assert.deepEqual(proxy.requests.map((r) => `${r.method} ${r.target}`), [
          `GET ${server.url}/a`,
          `GET ${server.url}/a`,
        ]);
      }))));

test("env: NO_PROXY=127.0.0.1 goes direct (the proxy sees nothing)", () =>
  withServer(
    origin,
    (server) =>
      withProxies(1, ([proxy]) =>
        withTransport({}, { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }, async (t) => {
          assert.deepEqual(await getBoth(t, `${server.url}/d`), ["origin /d", "origin /d"]);
          assert.equal(proxy.requests.length, 0);
        })),
  ));

test("env: NO_PROXY CIDR ranges and host:port entries (beyond HTTPX) go direct, other ports do not", () =>
  withServer(origin, (direct) =>
    withServer(origin, (other) =>
      withProxies(1, async ([proxy]) => {
        await withTransport({}, { ALL_PROXY: proxy.url, NO_PROXY: "10.0.0.0/8, 127.0.0.0/8" }, async (t) => {
          await getBoth(t, `${direct.url}/cidr`);
          assert.equal(proxy.requests.length, 0);
        });
        await withTransport({}, { ALL_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${direct.port}` }, async (t) => {
          await getBoth(t, `${direct.url}/port`);
          assert.equal(proxy.requests.length, 0, "the listed port goes direct");
          await getBoth(t, `${other.url}/port`);
          assert.deepEqual(proxy.requests.map((r) => r.target), [`${other.url}/port`, `${other.url}/port`]);
        });
      }))));

test("env: HTTPS_PROXY beats ALL_PROXY for https; ALL_PROXY still covers http", async () => {
  const certs = makeCertificates();
  const secure = await startTlsServer(() => new Response("secure origin"));
  try {
    await withServer(origin, (plain) =>
      withProxies(2, ([all, https]) =>
        withTransport(
          { tls: { caCerts: [certs.ca] } },
          { ALL_PROXY: all.url, HTTPS_PROXY: https.url },
          async (t) => {
            assert.deepEqual(await getBoth(t, `${secure.url}/s`), ["secure origin", "secure origin"]);
            // One tunnel, kept alive for the second request.
            const tunnels = https.requests.length;
            assert.ok(tunnels >= 1);
            for (const r of https.requests) assert.equal(`${r.method} ${r.target}`, `CONNECT localhost:${secure.port}`);
            assert.equal(all.requests.length, 0);
            await getBoth(t, `${plain.url}/p`);
            assert.deepEqual(all.requests.map((r) => r.target), [`${plain.url}/p`, `${plain.url}/p`]);
            assert.equal(https.requests.length, tunnels, "the https proxy saw no http request");
          },
        )));
  } finally {
    await secure.close();
  }
});

test("env: the lowercase variable wins over the uppercase one (HTTPX, curl; not Deno's own rule)", () =>
  withServer(
    origin,
    (server) =>
      withProxies(2, ([upper, lower]) =>
        withTransport({}, { HTTP_PROXY: upper.url, http_proxy: lower.url }, async (t) => {
          await getBoth(t, `${server.url}/l`);
          assert.equal(lower.requests.length, 2);
          assert.equal(upper.requests.length, 0);
        })),
  ));

test("env: trustEnv: false goes direct; an explicit proxy overrides the environment", () =>
  withServer(origin, (server) =>
    withProxies(2, async ([fromEnv, explicit]) => {
      await withTransport({ trustEnv: false }, { HTTP_PROXY: fromEnv.url }, async (t) => {
        assert.deepEqual(await getBoth(t, `${server.url}/x`), ["origin /x", "origin /x"]);
      });
      await withTransport({ proxy: explicit.url }, { HTTP_PROXY: fromEnv.url, NO_PROXY: "127.0.0.1" }, async (t) => {
        await getBoth(t, `${server.url}/y`);
      });
      assert.equal(fromEnv.requests.length, 0);
      assert.equal(explicit.requests.length, 2, "NO_PROXY from the environment does not apply to an explicit proxy");
    })));

test("env: with retries (the full path, whose Promise lane is derived) requests are routed on both lanes", () =>
  withServer(
    origin,
    (server) =>
      withProxies(1, ([proxy]) =>
        withTransport({ retries: 1 }, { HTTP_PROXY: proxy.url }, async (t) => {
          assert.deepEqual(await getBoth(t, `${server.url}/r`), ["origin /r", "origin /r"]);
          assert.equal(proxy.requests.length, 2, "one request per lane, both through the proxy");
        })),
  ));

test("env: close() closes every engine; afterwards every route refuses with ConnectError", () =>
  withServer(origin, (server) =>
    withProxies(1, async ([proxy]) => {
      const t = makeHttpTransport({}, { HTTP_PROXY: proxy.url, NO_PROXY: "localhost" });
      try {
        await getBoth(t, `${server.url}/via-proxy`);
        await getBoth(t, `http://localhost:${server.port}/direct`);
        assert.equal(proxy.requests.length, 2);
      } finally {
        await run(t.close());
        await run(t.close());
      }
      for (const url of [`${server.url}/after`, `http://localhost:${server.port}/after`]) {
        const error = await run(Effect.flip(t.handle(new Request(url))));
        assert.ok(error instanceof ConnectError && /closed/.test(error.detail), String(error));
        await assert.rejects(t.fetch!(new Request(url)), ConnectError);
      }
      assert.equal(proxy.requests.length, 2);
    })));

test("env: a malformed variable fails construction, naming it", () => {
  assert.throws(
    () => makeHttpTransport({}, { HTTP_PROXY: "ftp://user:s3cret@proxy.test" }),
    (error: unknown) =>
      error instanceof InvalidOptions && error.option === "HTTP_PROXY" && !/s3cret/.test(error.message),
  );
  assert.throws(() => makeHttpTransport({}, { HTTP_PROXY: "http://p:1", NO_PROXY: "a b" }), InvalidOptions);
});

/** A child that sends one GET through each face of `HttpTransport.make()` and prints both bodies. */
const childScript = (url: string): string => `
import { Effect } from "effect";
import { HttpTransport } from "${new URL("../transports/http/mod.ts", import.meta.url).pathname}";
const t = HttpTransport.make();
try {
  const a = await (await Effect.runPromise(t.handle(new Request(${JSON.stringify(url)})))).text();
  const b = await (await t.fetch(new Request(${JSON.stringify(url)}))).text();
  console.log(a + "|" + b);
} finally {
  await Effect.runPromise(t.close());
}
`;

const NO_ENV_PROXIES = {
  HTTP_PROXY: "",
  http_proxy: "",
  HTTPS_PROXY: "",
  https_proxy: "",
  ALL_PROXY: "",
  all_proxy: "",
  NO_PROXY: "",
  no_proxy: "",
};

test("env (process): proxied once, by our rules, with the runtime's own env proxying active too", () =>
  withServer(origin, (server) =>
    withProxies(2, async ([upper, lower]) => {
      // Deno alone would take HTTP_PROXY (uppercase wins there); ours takes http_proxy. One hop either way.
      const env = { ...NO_ENV_PROXIES, HTTP_PROXY: upper.url, http_proxy: lower.url };
      assert.equal(await runChild(childScript(`${server.url}/p`), env), "origin /p|origin /p");
      assert.equal(lower.requests.length, 2);
      assert.equal(upper.requests.length, 0);
      // NO_PROXY=127.0.0.1: direct by our rules and by the runtime's.
      const bypass = { ...env, NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" };
      assert.equal(await runChild(childScript(`${server.url}/d`), bypass), "origin /d|origin /d");
      assert.equal(lower.requests.length + upper.requests.length, 2);
    })));
