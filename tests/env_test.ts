/**
 * environmentProxies: HTTPX's test_get_environment_proxies and
 * test_proxies_environ tables, CPython's variable rules, and our extensions.
 */
import assert from "node:assert/strict";
import { InvalidOptions } from "../core/errors.ts";
import { environmentProxies } from "../router/env.ts";
import { Router } from "../router/router.ts";
import { test } from "./harness.ts";

// httpx tests/test_utils.py::test_get_environment_proxies, every case (CIDR: see the extension test below).
const GET_ENVIRONMENT_PROXIES: ReadonlyArray<readonly [Record<string, string>, Record<string, string | null>]> = [
  [{}, {}],
  [{ HTTP_PROXY: "http://127.0.0.1" }, { "http://": "http://127.0.0.1" }],
  [
    { https_proxy: "http://127.0.0.1", HTTP_PROXY: "https://127.0.0.1" },
    { "https://": "http://127.0.0.1", "http://": "https://127.0.0.1" },
  ],
  [{ all_proxy: "http://127.0.0.1" }, { "all://": "http://127.0.0.1" }],
  [{ TRAVIS_APT_PROXY: "http://127.0.0.1" }, {}],
  [{ no_proxy: "127.0.0.1" }, { "all://127.0.0.1": null }],
  [{ no_proxy: "192.168.0.0/16" }, { "all://192.168.0.0/16": null }],
  [{ no_proxy: "::1" }, { "all://[::1]": null }],
  [{ no_proxy: "localhost" }, { "all://localhost": null }],
  [{ no_proxy: "github.com" }, { "all://*github.com": null }],
  [{ no_proxy: ".github.com" }, { "all://*.github.com": null }],
  [{ no_proxy: "http://github.com" }, { "http://github.com": null }],
];

test("httpx test_get_environment_proxies: every case", () => {
  for (const [env, expected] of GET_ENVIRONMENT_PROXIES) {
    assert.deepEqual(environmentProxies(env), expected, JSON.stringify(env));
  }
});

const LOCAL = "http://localhost:123";
// httpx tests/client/test_proxies.py::test_proxies_environ, every case. `null` = not proxied.
const PROXIES_ENVIRON: ReadonlyArray<readonly [string, Record<string, string>, string | null]> = [
  ["http://google.com", {}, null],
  ["http://google.com", { HTTP_PROXY: "http://example.com" }, "http://example.com"],
  ["http://google.com", { HTTP_PROXY: "example.com" }, "http://example.com"],
  ["http://google.com", { HTTP_PROXY: "http://example.com", NO_PROXY: "google.com" }, null],
  ["http://127.0.0.1", { ALL_PROXY: LOCAL, NO_PROXY: "" }, LOCAL],
  ["http://127.0.0.1", { ALL_PROXY: LOCAL, NO_PROXY: "127.0.0.1" }, null],
  ["http://127.0.0.1", { ALL_PROXY: LOCAL, NO_PROXY: "https://127.0.0.1" }, LOCAL],
  ["http://127.0.0.1", { ALL_PROXY: LOCAL, NO_PROXY: "1.1.1.1" }, LOCAL],
  ["http://courses.mit.edu", { ALL_PROXY: LOCAL, NO_PROXY: "mit.edu" }, null],
  ["https://mit.edu.info", { ALL_PROXY: LOCAL, NO_PROXY: "mit.edu" }, LOCAL],
  ["https://mit.edu.info", { ALL_PROXY: LOCAL, NO_PROXY: "mit.edu,edu.info" }, null],
  ["https://mit.edu.info", { ALL_PROXY: LOCAL, NO_PROXY: "mit.edu, edu.info" }, null],
  ["https://mit.edu.info", { ALL_PROXY: LOCAL, NO_PROXY: "mit.edu,mit.info" }, LOCAL],
  ["https://foo.example.com", { ALL_PROXY: LOCAL, NO_PROXY: "www.example.com" }, LOCAL],
  ["https://www.example1.com", { ALL_PROXY: LOCAL, NO_PROXY: ".example1.com" }, null],
  ["https://www.example2.com", { ALL_PROXY: LOCAL, NO_PROXY: "ample2.com" }, LOCAL],
  ["https://www.example3.com", { ALL_PROXY: LOCAL, NO_PROXY: "*" }, null],
];

const proxyFor = (url: string, env: Record<string, string | undefined>): string | null =>
  Router.make(environmentProxies(env)).resolve(new URL(url))?.value ?? null;

test("httpx test_proxies_environ: every case", () => {
  for (const [url, env, expected] of PROXIES_ENVIRON) {
    assert.equal(proxyFor(url, env), expected, `${url} with ${JSON.stringify(env)}`);
  }
});

test("lowercase wins; a lowercase name set to empty turns the variable off (CPython)", () => {
  assert.deepEqual(environmentProxies({ HTTP_PROXY: "http://upper", http_proxy: "http://lower" }), {
    "http://": "http://lower",
  });
  assert.deepEqual(environmentProxies({ HTTPS_PROXY: "http://upper", https_proxy: "" }), {});
  assert.deepEqual(environmentProxies({ NO_PROXY: "a.test", no_proxy: "b.test", ALL_PROXY: "p:1" }), {
    "all://": "http://p:1",
    "all://*b.test": null,
  });
  assert.deepEqual(environmentProxies({ Http_Proxy: "http://mixed" }), {}); // mixed case is not read
});

test("HTTPS_PROXY beats ALL_PROXY for https (longer scheme), ALL_PROXY covers the rest", () => {
  const env = { HTTPS_PROXY: "http://secure:1", ALL_PROXY: "socks5://all:2" };
  assert.equal(proxyFor("https://x.test/", env), "http://secure:1");
  assert.equal(proxyFor("http://x.test/", env), "socks5://all:2");
  assert.equal(proxyFor("ws://x.test/", env), "socks5://all:2");
});

test("CGI guard (CVE-2016-1000110): HTTP_PROXY is ignored when REQUEST_METHOD is set", () => {
  assert.deepEqual(environmentProxies({ HTTP_PROXY: "http://evil:1", REQUEST_METHOD: "GET" }), {});
  assert.deepEqual(environmentProxies({ HTTP_PROXY: "http://evil:1", REQUEST_METHOD: "" }), {});
  // Only HTTP_PROXY: a `Proxy:` header cannot set the lowercase name or the others.
  assert.deepEqual(
    environmentProxies({ http_proxy: "http://ok:1", HTTPS_PROXY: "http://ok:2", REQUEST_METHOD: "POST" }),
    { "http://": "http://ok:1", "https://": "http://ok:2" },
  );
});

test("`*` anywhere in NO_PROXY turns env proxies off, even before a bad proxy value is seen", () => {
  assert.deepEqual(environmentProxies({ ALL_PROXY: LOCAL, NO_PROXY: "a.test, *, b.test" }), {});
  assert.deepEqual(environmentProxies({ ALL_PROXY: "ftp://bad", NO_PROXY: "*" }), {});
});

test("extension: NO_PROXY CIDR ranges (v4, v6) bypass the proxy for every address in them", () => {
  const env = { ALL_PROXY: LOCAL, NO_PROXY: "10.0.0.0/8, fe80::/10, [fd00::]/8, 192.168.1.0/24" };
  assert.deepEqual(Object.keys(environmentProxies(env)), [
    "all://",
    "all://10.0.0.0/8",
    "all://[fe80::]/10",
    "all://[fd00::]/8",
    "all://192.168.1.0/24",
  ]);
  assert.equal(proxyFor("http://10.20.30.40/", env), null);
  assert.equal(proxyFor("http://[fe80::1]:8080/", env), null);
  assert.equal(proxyFor("http://[fd12:3456::1]/", env), null);
  assert.equal(proxyFor("http://192.168.1.77/", env), null);
  assert.equal(proxyFor("http://192.168.2.1/", env), LOCAL);
  assert.equal(proxyFor("http://11.0.0.1/", env), LOCAL);
  assert.equal(proxyFor("http://[2001:db8::1]/", env), LOCAL);
});

test("extension: NO_PROXY host:port, with default ports covering URLs that omit them", () => {
  const env = { ALL_PROXY: LOCAL, NO_PROXY: "internal.test:8080, secure.test:443, [::1]:3000, localhost:5000" };
  assert.equal(proxyFor("http://internal.test:8080/", env), null);
  assert.equal(proxyFor("http://api.internal.test:8080/", env), null);
  assert.equal(proxyFor("http://internal.test:8081/", env), LOCAL);
  assert.equal(proxyFor("https://secure.test/", env), null);
  assert.equal(proxyFor("http://secure.test:443/", env), null);
  assert.equal(proxyFor("http://secure.test/", env), LOCAL);
  assert.equal(proxyFor("http://[::1]:3000/", env), null);
  assert.equal(proxyFor("http://[::1]:3001/", env), LOCAL);
  assert.equal(proxyFor("http://localhost:5000/", env), null);
  assert.equal(proxyFor("http://sub.localhost:5000/", env), LOCAL);
  assert.deepEqual(Object.keys(environmentProxies({ no_proxy: "*.example.com" })), ["all://*.example.com"]);
});

test("bad values are typed InvalidOptions naming the variable, credentials redacted", () => {
  const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
    [{ HTTPS_PROXY: "ftp://user:hunter2@proxy.test" }, "HTTPS_PROXY"],
    [{ http_proxy: "http://user:hunter2@exa mple.test" }, "http_proxy"],
    [{ ALL_PROXY: "socks4://proxy.test" }, "ALL_PROXY"],
    [{ ALL_PROXY: "socks5://" }, "ALL_PROXY"],
    [{ NO_PROXY: "exa mple.test" }, "NO_PROXY"],
    [{ no_proxy: "example.test/8" }, "no_proxy"],
    [{ NO_PROXY: "10.0.0.0/40" }, "NO_PROXY"],
    [{ NO_PROXY: "example.test:http" }, "NO_PROXY"],
    [{ NO_PROXY: "http://user:hunter2@x.test" }, "NO_PROXY"],
  ];
  for (const [env, name] of cases) {
    assert.throws(() => environmentProxies(env), (e: unknown) => {
      assert.ok(e instanceof InvalidOptions, JSON.stringify(env));
      assert.equal(e.option, name);
      assert.ok(!e.message.includes("hunter2"), e.message);
      return true;
    });
  }
  for (const ok of ["http://p:1", "https://p", "socks5://p:1080", "socks5h://u:pw@p:1080", "p:3128"]) {
    assert.doesNotThrow(() => environmentProxies({ ALL_PROXY: ok }), ok);
  }
});

type EnvApi = { set(k: string, v: string): void; delete(k: string): void; get(k: string): string | undefined };
const processEnv = (): EnvApi => {
  const deno = (globalThis as { Deno?: { env: EnvApi } }).Deno;
  if (deno && !("Bun" in globalThis)) return deno.env;
  const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
  return { set: (k, v) => void (env[k] = v), delete: (k) => void delete env[k], get: (k) => env[k] };
};

test("with no argument, the process environment is read", () => {
  const env = processEnv();
  const names = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];
  const all = [...names, "NO_PROXY", "no_proxy", "REQUEST_METHOD"];
  const saved = all.map((n) => [n, env.get(n)] as const);
  try {
    for (const n of all) env.delete(n);
    env.set("HTTPS_PROXY", "http://from-env:3128");
    env.set("no_proxy", "localhost");
    assert.deepEqual(environmentProxies(), { "https://": "http://from-env:3128", "all://localhost": null });
  } finally {
    for (const [n, v] of saved) v === undefined ? env.delete(n) : env.set(n, v);
  }
});
