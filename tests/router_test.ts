/**
 * Router: HTTPX's test_transport_for_request table, and property tests that
 * the indexed lookup equals a plain sorted linear scan (HTTPX's own algorithm).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidOptions } from "../core/errors.ts";
import { UrlPattern } from "../router/pattern.ts";
import { Router } from "../router/router.ts";
import { test } from "./harness.ts";

/** The reference: HTTPX's `dict(sorted(...))` then first match, written as plainly as possible. */
const linearScan = <V>(entries: ReadonlyArray<readonly [string, V]>, url: URL) => {
  const table = [...new Map(entries)].map(([key, value]) => ({ key, value, pattern: UrlPattern.parse(key) }));
  table.sort((a, b) => UrlPattern.compare(a.pattern, b.pattern));
  return table.filter((e) => UrlPattern.matches(e.pattern, url));
};

const PROXY_URL = "http://[::1]";

// httpx tests/client/test_proxies.py::test_transport_for_request, every case.
// `undefined` = the client's default transport (no mount matched).
const TRANSPORT_FOR_REQUEST: ReadonlyArray<readonly [string, Record<string, string>, string | undefined]> = [
  ["http://example.com", {}, undefined],
  ["http://example.com", { "https://": PROXY_URL }, undefined],
  ["http://example.com", { "http://example.net": PROXY_URL }, undefined],
  ["http://example.com", { "http://*": PROXY_URL }, PROXY_URL],
  ["https://example.com", { "http://*": PROXY_URL }, undefined],
  ["http://example.com", { "http://example.com": PROXY_URL }, PROXY_URL],
  ["http://www.example.com", { "http://example.com": PROXY_URL }, undefined],
  ["http://example.com", { "http://*.example.com": PROXY_URL }, undefined],
  ["http://www.example.com", { "http://*.example.com": PROXY_URL }, PROXY_URL],
  ["http://example.com", { "http://*example.com": PROXY_URL }, PROXY_URL],
  ["http://www.example.com", { "http://*example.com": PROXY_URL }, PROXY_URL],
  ["http://wwwexample.com", { "http://*example.com": PROXY_URL }, undefined],
  ["http://example.com:443", { "http://example.com": PROXY_URL }, PROXY_URL],
  ["http://example.com", { "all://": PROXY_URL }, PROXY_URL],
  ["http://example.com", { "http://": PROXY_URL }, PROXY_URL],
  ["http://example.com", { "all://example.com": PROXY_URL }, PROXY_URL],
  ["http://example.com", { "http://example.com": PROXY_URL }, PROXY_URL],
  ["http://example.com", { "http://example.com:80": PROXY_URL }, PROXY_URL],
  ["http://example.com:8080", { "http://example.com:8080": PROXY_URL }, PROXY_URL],
  ["http://example.com:8080", { "http://example.com": PROXY_URL }, PROXY_URL],
  [
    "http://example.com",
    {
      "all://": PROXY_URL + ":1",
      "http://": PROXY_URL + ":2",
      "all://example.com": PROXY_URL + ":3",
      "http://example.com": PROXY_URL + ":4",
    },
    PROXY_URL + ":4",
  ],
  [
    "http://example.com",
    { "all://": PROXY_URL + ":1", "http://": PROXY_URL + ":2", "all://example.com": PROXY_URL + ":3" },
    PROXY_URL + ":3",
  ],
  ["http://example.com", { "all://": PROXY_URL + ":1", "http://": PROXY_URL + ":2" }, PROXY_URL + ":2"],
];

test("httpx test_transport_for_request: every case", () => {
  for (const [url, mounts, expected] of TRANSPORT_FOR_REQUEST) {
    const router = Router.make(mounts);
    assert.equal(router.resolve(new URL(url))?.value, expected, `${url} with ${JSON.stringify(mounts)}`);
    assert.equal(router.explain(new URL(url))[0]?.value, expected);
  }
});

test("resolve returns the winning entry itself; explain lists every match in priority order", () => {
  const router = Router.make<string>([
    ["all://", "a"],
    ["all://*example.com", "b"],
    ["http://example.com", "c"],
    ["all://*:8080", "d"],
  ]);
  const route = router.resolve(new URL("http://example.com:8080/"));
  assert.deepEqual([route?.key, route?.value, route?.rank, route?.pattern.port], ["all://*:8080", "d", 0, 8080]);
  assert.deepEqual(router.explain(new URL("http://example.com/")).map((r) => r.value), ["b", "c", "a"]);
  assert.deepEqual(router.routes.map((r) => r.key), [
    "all://*:8080",
    "all://*example.com",
    "http://example.com",
    "all://",
  ]);
  assert.equal(Router.make({}).resolve(new URL("http://x.test/")), undefined);
});

test("a key given twice keeps its first position and its last value (Python dict semantics)", () => {
  const router = Router.make<number>([["http://", 1], ["all://", 2], ["http://", 3]]);
  assert.deepEqual(router.routes.map((r) => [r.key, r.value]), [["http://", 3], ["all://", 2]]);
  // Different spellings of one pattern are different keys; the earlier one wins the tie.
  const spelled = Router.make({ "http://example.com:80": "first", "http://example.com": "second" });
  assert.equal(spelled.resolve(new URL("http://example.com/"))?.value, "first");
});

test("a bad key fails compilation with a typed InvalidOptions naming it", () => {
  assert.throws(() => Router.make({ "all://": 1, "http": 2 }), (e: unknown) => {
    assert.ok(e instanceof InvalidOptions);
    assert.equal(e.option, 'mounts["http"]');
    assert.match(e.message, /"http:\/\/"/);
    return true;
  });
  assert.throws(() => Router.make([[1 as unknown as string, "x"]]), InvalidOptions);
});

test("many keys: exact hosts, wildcards, ports, paths and CIDRs among 10,000 resolve right", () => {
  const entries: Array<[string, string]> = [["all://", "default"]];
  for (let i = 0; i < 2500; i++) {
    entries.push([`https://h${i}.example.com`, `exact ${i}`]);
    entries.push([`all://*.t${i}.example.org`, `sub ${i}`]);
    entries.push([`all://*:${10000 + i}`, `port ${i}`]);
    entries.push([`https://api.example.net/v${i}`, `path ${i}`]);
  }
  entries.push(["all://10.0.0.0/8", "cidr"], ["all://[fd00::]/8", "cidr6"]);
  const router = Router.make(entries);
  const at = (url: string) => router.resolve(new URL(url))?.value;
  assert.equal(at("https://h1234.example.com/"), "exact 1234");
  assert.equal(at("http://h1234.example.com/"), "default");
  assert.equal(at("https://a.b.t77.example.org/"), "sub 77");
  assert.equal(at("https://t77.example.org/"), "default");
  assert.equal(at("https://h1234.example.com:10042/"), "port 42");
  assert.equal(at("https://api.example.net/v42/users"), "path 42");
  assert.equal(at("https://api.example.net/v4200"), "default");
  assert.equal(at("http://10.9.9.9/"), "cidr");
  assert.equal(at("http://[fd12::1]/"), "cidr6");
  assert.equal(at("http://11.0.0.1/"), "default");
});

// ---- property tests: the index equals the linear scan ----

const schemeArb = fc.constantFrom("all", "http", "https", "ws", "sftp");
const portArb = fc.constantFrom("", "", ":80", ":443", ":1234", ":8080");
const pathArb = fc.constantFrom("", "", "", "/a", "/a/b", "/a/b/c", "/b", "/ab", "/a/bc", "/c", "/x/y", "/a/");
const hostArb = fc.constantFrom(
  "",
  "*",
  "example.com",
  "www.example.com",
  "a.www.example.com",
  "*.example.com",
  "*example.com",
  "*.www.example.com",
  "*xample.com",
  "wwwexample.com",
  "com",
  "*.com",
  "*com",
  "127.0.0.1",
  "10.1.2.3",
  "*.0.0.1",
  "[::1]",
  "[fe80::1]",
  "bücher.example",
  "*.bücher.example",
);
const cidrArb = fc.constantFrom("10.0.0.0/8", "10.1.0.0/16", "127.0.0.0/8", "0.0.0.0/0", "[fe80::]/10", "[::]/0");
const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant("") },
  {
    weight: 16,
    arbitrary: fc.tuple(schemeArb, hostArb, portArb, pathArb).map(([s, h, p, path]) =>
      `${s}://${h === "" && p !== "" ? "*" : h}${p}${path}`
    ),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(schemeArb, cidrArb, portArb).map(([s, c, p]) => {
      const slash = c.lastIndexOf("/");
      return `${s}://${c.slice(0, slash)}${p}${c.slice(slash)}`;
    }),
  },
);
const urlArb: fc.Arbitrary<URL> = fc.tuple(
  fc.constantFrom("http", "https", "ws", "HTTP", "foo", "sftp"),
  fc.constantFrom("", "", "", "u@", "u:p@", "a%40b:c@"),
  fc.constantFrom(
    "example.com",
    "EXAMPLE.com",
    "www.example.com",
    "a.www.example.com",
    "b.a.www.example.com",
    ".example.com", // HTTPX's `^.+\.example\.com$` needs a character before the dot
    "a..example.com",
    "wwwexample.com",
    "xample.com",
    "com",
    "127.0.0.1",
    "10.1.2.3",
    "10.200.0.1",
    "192.168.1.1",
    "[::1]",
    "[fe80::1]",
    "[febf::2]",
    "xn--bcher-kva.example",
    "www.bücher.example",
  ),
  fc.constantFrom("", "", ":80", ":443", ":1234", ":8080"),
  fc.constantFrom("", "/", "/a", "/a/", "/a/b", "/a/b/c/d", "/ab", "/a/bc", "/b/x", "/c", "/x/y/z", "/abc", "/a%2Fb"),
  fc.constantFrom("", "", "?q=/a/b", "#/a", "?x#y"),
).map(([s, user, h, p, path, rest]) => new URL(`${s}://${user}${h}${p}${path}${rest}`));

/** Few hosts, many paths: buckets big enough for the router to index paths segment by segment. */
const denseKeyArb: fc.Arbitrary<string> = fc.tuple(
  fc.constantFrom("all", "http"),
  fc.constantFrom("example.com", "*example.com", "", "10.0.0.0"),
  fc.constantFrom("", ":8080"),
  fc.constantFrom("", "/a", "/a/b", "/a/b/c", "/b", "/ab", "/a/bc", "/c", "/x/y", "/a/b/c/d", "/abc", "/x"),
).map(([s, h, p, path]) => `${s}://${h === "" && p !== "" ? "*" : h}${p}${path}`);

const entriesArb = (min: number, max: number, key: fc.Arbitrary<string> = keyArb) =>
  fc.array(fc.tuple(key, fc.nat(1000)), { minLength: min, maxLength: max }).map((pairs) =>
    pairs.map(([k, value]) => [k, value] as const)
  );

const sameAsScan = (entries: ReadonlyArray<readonly [string, number]>, router: Router<number>, url: URL) => {
  const expected = linearScan(entries, url);
  const got = router.resolve(url);
  if (url.protocol === "http:" || url.protocol === "https:") {
    // A Request's URL is the same serialisation: the same answer.
    assert.equal(router.resolve(new Request(url)), got);
  }
  assert.equal(got?.key, expected[0]?.key, `${url.href} among ${JSON.stringify(entries.map((e) => e[0]))}`);
  assert.equal(got?.value, expected[0]?.value);
  assert.deepEqual(router.explain(url).map((r) => r.key), expected.map((e) => e.key));
};

test("property: resolve equals a sorted linear scan (small tables, 8,000 cases)", () => {
  fc.assert(
    fc.property(entriesArb(0, 24), urlArb, (entries, url) => sameAsScan(entries, Router.make(entries), url)),
    { numRuns: 8000 },
  );
});

test("property: resolve equals a sorted linear scan (dense paths, 2,000 cases)", () => {
  fc.assert(
    fc.property(
      entriesArb(10, 60, denseKeyArb),
      urlArb,
      (entries, url) => sameAsScan(entries, Router.make(entries), url),
    ),
    { numRuns: 2000 },
  );
});

test("property: resolve equals a sorted linear scan (large tables, 300 tables x 10 URLs)", () => {
  fc.assert(
    fc.property(entriesArb(100, 300), fc.array(urlArb, { minLength: 10, maxLength: 10 }), (entries, urls) => {
      const router = Router.make(entries);
      for (const url of urls) sameAsScan(entries, router, url);
    }),
    { numRuns: 300 },
  );
});
