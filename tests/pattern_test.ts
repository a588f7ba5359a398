/**
 * UrlPattern: HTTPX 0.28.1's tables (tests/test_utils.py), the anchors' checked
 * orderings, our extensions, and a property test against a literal clone of
 * HTTPX's regex-based URLPattern.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidOptions } from "../core/errors.ts";
import { UrlPattern } from "../router/pattern.ts";
import { test } from "./harness.ts";

const matches = (key: string, url: string): boolean => UrlPattern.matches(UrlPattern.parse(key), new URL(url));
const sortKeys = (keys: ReadonlyArray<string>): string[] =>
  keys.map((k) => UrlPattern.parse(k)).sort(UrlPattern.compare).map((p) => p.key);

// httpx tests/test_utils.py::test_url_matches, every case.
const URL_MATCHES: ReadonlyArray<readonly [string, string, boolean]> = [
  ["http://example.com", "http://example.com", true],
  ["http://example.com", "https://example.com", false],
  ["http://example.com", "http://other.com", false],
  ["http://example.com:123", "http://example.com:123", true],
  ["http://example.com:123", "http://example.com:456", false],
  ["http://example.com:123", "http://example.com", false],
  ["all://example.com", "http://example.com", true],
  ["all://example.com", "https://example.com", true],
  ["http://", "http://example.com", true],
  ["http://", "https://example.com", false],
  ["all://", "https://example.com:123", true],
  ["", "https://example.com:123", true],
];

test("httpx test_url_matches: every case", () => {
  for (const [key, url, expected] of URL_MATCHES) assert.equal(matches(key, url), expected, `${key} vs ${url}`);
});

test("httpx test_pattern_priority: shuffled input sorts to port, host, scheme", () => {
  const expected = ["http://example.com:123", "http://example.com", "http://", "all://"];
  for (let i = 0; i < 24; i++) {
    const shuffled = [...expected].sort(() => Math.random() - 0.5);
    assert.deepEqual(sortKeys(shuffled), expected);
  }
});

test("anchors §1.2: HTTPX's full sorted order (checked by running httpx)", () => {
  const expected = [
    "https://example.com:1234",
    "all://*:1234",
    "all://www.example.com",
    "all://*.example.com",
    "all://*example.com",
    "http://example.com",
    "all://example.com",
    "https://",
    "http://",
    "all://",
  ];
  assert.deepEqual(sortKeys([...expected].reverse()), expected);
  // Surprises HTTPX really has: any port beats any host; `*` counts toward host length.
  assert.ok(UrlPattern.compare(UrlPattern.parse("all://*:1234"), UrlPattern.parse("https://example.com")) < 0);
  assert.ok(UrlPattern.compare(UrlPattern.parse("all://*example.com"), UrlPattern.parse("http://example.com")) < 0);
});

test("httpx test_for_deprecated_proxy_params: bare schemes are refused, saying what to write", () => {
  for (const key of ["http", "https", "all"]) {
    const error = UrlPattern.validate(key);
    assert.ok(error instanceof InvalidOptions);
    assert.match(error.message, new RegExp(`"${key}://"`));
    assert.throws(() => UrlPattern.parse(key), InvalidOptions);
  }
  for (const key of ["http://", "https://", "all://", ""]) assert.equal(UrlPattern.validate(key), undefined);
});

test("wildcards: *.d is strict subdomains, *d is the domain and its subdomains, * is any host", () => {
  assert.equal(matches("all://*.example.com", "http://www.example.com"), true);
  assert.equal(matches("all://*.example.com", "http://a.b.example.com"), true);
  assert.equal(matches("all://*.example.com", "http://example.com"), false);
  assert.equal(matches("all://*example.com", "http://example.com"), true);
  assert.equal(matches("all://*example.com", "http://www.example.com"), true);
  assert.equal(matches("all://*example.com", "http://wwwexample.com"), false);
  assert.equal(matches("all://example.com", "http://www.example.com"), false);
  assert.equal(matches("http://*", "http://anything.test"), true);
  assert.equal(matches("http://*", "https://anything.test"), false);
  assert.equal(matches("all://*:1234", "http://a.test:1234"), true);
  assert.equal(matches("all://*:1234", "http://a.test:1235"), false);
});

test("ports: default ports are dropped per scheme; all:// has none (as in HTTPX)", () => {
  assert.equal(UrlPattern.parse("http://example.com:80").port, undefined);
  assert.equal(UrlPattern.parse("https://example.com:443").port, undefined);
  assert.equal(UrlPattern.parse("https://example.com:80").port, 80);
  assert.equal(UrlPattern.parse("all://example.com:80").port, 80);
  assert.equal(matches("http://example.com:80", "http://example.com:8080"), true); // no port = any port
  assert.equal(matches("all://example.com:80", "http://example.com"), false); // the URL's port is default, so none
  assert.equal(matches("all://example.com:80", "https://example.com:80"), true);
});

test("hosts go through URL: case, IDN (punycode), IPv4 and IPv6 forms", () => {
  assert.equal(matches("all://EXAMPLE.com", "http://example.COM"), true);
  assert.equal(matches("all://bücher.example", "http://xn--bcher-kva.example/"), true);
  assert.equal(matches("all://*.bücher.example", "http://www.bücher.example/"), true);
  assert.equal(matches("all://xn--bcher-kva.example", "http://bücher.example/"), true);
  assert.equal(matches("all://[::1]", "http://[0:0::1]:8080/"), true);
  assert.equal(matches("all://[::1]:8080", "http://[::1]:8080/"), true);
  assert.equal(matches("all://127.0.0.1", "http://127.0.0.1/"), true);
  // Priority counts hosts as HTTPX does: IDN in Unicode, IPv6 without brackets.
  assert.equal(UrlPattern.parse("all://bücher.example").priority[1], -"bücher.example".length);
  assert.equal(UrlPattern.parse("all://[::1]").priority[1], -3);
});

test("extension: path prefixes match on segment boundaries and rank after port, host and scheme", () => {
  assert.equal(matches("https://api.example.com/v2", "https://api.example.com/v2"), true);
  assert.equal(matches("https://api.example.com/v2", "https://api.example.com/v2/users"), true);
  assert.equal(matches("https://api.example.com/v2/", "https://api.example.com/v2/users"), true);
  assert.equal(matches("https://api.example.com/v2", "https://api.example.com/v20"), false);
  assert.equal(matches("https://api.example.com/v2", "https://api.example.com/"), false);
  assert.equal(matches("https://api.example.com/", "https://api.example.com/anything"), true);
  assert.equal(UrlPattern.parse("all:///a b").path, "/a%20b");
  assert.deepEqual(
    sortKeys(["all://api.example.com/v2", "https://api.example.com", "https://api.example.com/v2"]),
    ["https://api.example.com/v2", "https://api.example.com", "all://api.example.com/v2"],
  );
});

test("extension: CIDR keys (IPv4 and IPv6), host bits cleared; an exact IP outranks a range", () => {
  assert.equal(matches("all://10.0.0.0/8", "http://10.200.3.4/"), true);
  assert.equal(matches("all://10.0.0.0/8", "http://11.0.0.1/"), false);
  assert.equal(matches("all://10.0.0.0/8", "http://example.com/"), false);
  assert.equal(matches("all://10.0.0.0/8:8080", "http://10.0.0.1:8080/"), false); // port goes before the path
  assert.equal(matches("all://10.0.0.0:8080/8", "http://10.0.0.1:8080/"), true);
  assert.equal(matches("all://0.0.0.0/0", "http://1.2.3.4/"), true);
  assert.equal(matches("all://0.0.0.0/0", "http://[::1]/"), false);
  assert.equal(matches("all://[fe80::]/10", "http://[fe80::1]/"), true);
  assert.equal(matches("all://[fe80::]/10", "http://[febf:ffff::1]/"), true);
  assert.equal(matches("all://[fe80::]/10", "http://[fec0::1]/"), false);
  assert.equal(matches("all://[2001:db8::]/32", "http://[2001:db8:ffff::]/"), true);
  assert.equal(matches("all://[::1]/128", "http://[::1]/"), true);
  const p = UrlPattern.parse("all://192.168.77.5/16");
  assert.deepEqual([p.hostMatch, p.host, p.cidr?.address, p.cidr?.bits], ["cidr", "192.168.0.0", "192.168.0.0", 16]);
  assert.equal(UrlPattern.parse("all://[fe80::1234]/10").cidr?.address, "fe80::");
  assert.equal(UrlPattern.parse("all://10.0.0.1/8/").hostMatch, "exact"); // a trailing slash makes it a path
  assert.deepEqual(sortKeys(["all://10.0.0.0/8", "all://10.0.0.1", "all://10.1.0.0/16"]), [
    "all://10.0.0.1",
    "all://10.1.0.0/16",
    "all://10.0.0.0/8",
  ]);
});

test("bad keys are refused with a typed error naming the key, credentials hidden", () => {
  const cases: ReadonlyArray<readonly [string, RegExp]> = [
    ["http", /"http:\/\/"/],
    ["example.com", /URL pattern/],
    ["http://example.com?x=1", /query or fragment/],
    ["http://example.com/#top", /query or fragment/],
    ["http://user:secret@example.com", /credentials/],
    ["all://a*b.example.com", /only at the start/],
    ["all://*.", /wildcard followed by a domain/],
    ["all://::1", /brackets/],
    ["all://[::1", /brackets/],
    ["http://example.com:65536", /port/],
    ["http://example.com:8x", /port/],
    ["all://10.0.0.0/33", /prefix length/],
    ["all://[::]/129", /prefix length/],
    ["1http://x", /scheme/],
    ["http://exa mple.com", /valid host/],
  ];
  for (const [key, message] of cases) {
    const error = UrlPattern.validate(key);
    assert.ok(error instanceof InvalidOptions, key);
    assert.match(error.message, message, key);
    assert.ok(error.option.startsWith("mounts["), key);
    assert.ok(!error.message.includes("secret"), key);
  }
});

// ---- a literal clone of httpx 0.28.1 URLPattern (regexes, Python's tuple sort), for keys HTTPX accepts ----

interface HttpxPattern {
  readonly scheme: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly regex: RegExp | undefined;
}
const HTTPX_DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const httpxPattern = (key: string): HttpxPattern => {
  if (key === "") return { scheme: "", host: "", port: undefined, regex: undefined };
  const m = /^([a-z]+):\/\/(\[[^\]]*\]|[^:/]*)(?::(\d+))?$/.exec(key)!;
  const host = m[2] === "*" ? "" : m[2];
  const port = m[3] === undefined || HTTPX_DEFAULT_PORTS[m[1]] === Number(m[3]) ? undefined : Number(m[3]);
  const regex = host === ""
    ? undefined
    : host.startsWith("*.")
    ? new RegExp(`^.+\\.${escape(host.slice(2))}$`)
    : host.startsWith("*")
    ? new RegExp(`^(.+\\.)?${escape(host.slice(1))}$`)
    : new RegExp(`^${escape(host)}$`);
  return { scheme: m[1] === "all" ? "" : m[1], host, port, regex };
};
const httpxMatches = (p: HttpxPattern, url: URL): boolean =>
  (p.scheme === "" || `${p.scheme}:` === url.protocol) &&
  (p.regex === undefined || p.regex.test(url.hostname)) &&
  (p.port === undefined || String(p.port) === url.port);
const httpxPriority = (p: HttpxPattern): number[] => [
  p.port === undefined ? 1 : 0,
  -p.host.replace(/^\[|\]$/g, "").length,
  -p.scheme.length,
];

const hostArb = fc.constantFrom(
  "",
  "*",
  "example.com",
  "www.example.com",
  "a.www.example.com",
  "*.example.com",
  "*example.com",
  "*.www.example.com",
  "wwwexample.com",
  "*xample.com",
  "org",
  "*.org",
  "*org",
  "127.0.0.1",
  "*.0.0.1",
  "[::1]",
);
const keyArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant("") },
  {
    weight: 20,
    arbitrary: fc.tuple(
      fc.constantFrom("all", "http", "https", "ws"),
      hostArb,
      fc.constantFrom("", ":80", ":443", ":1234", ":8080"),
    ).map(([s, h, p]) => `${s}://${h}${h === "" && p !== "" ? "*" : ""}${p}`),
  },
);
const urlArb = fc.tuple(
  fc.constantFrom("http", "https", "ws"),
  fc.constantFrom(
    "example.com",
    "www.example.com",
    "a.www.example.com",
    "wwwexample.com",
    "xample.com",
    "org",
    "a.org",
    "127.0.0.1",
    "10.0.0.1",
    "[::1]",
  ),
  fc.constantFrom("", ":80", ":443", ":1234", ":8080"),
).map(([s, h, p]) => new URL(`${s}://${h}${p}/x`));

test("property: UrlPattern agrees with a literal clone of HTTPX's URLPattern (4,000 cases)", () => {
  fc.assert(
    fc.property(keyArb, urlArb, (key, url) => {
      assert.equal(UrlPattern.matches(UrlPattern.parse(key), url), httpxMatches(httpxPattern(key), url), key);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(keyArb, keyArb, (a, b) => {
      const [pa, pb] = [httpxPattern(a), httpxPattern(b)].map(httpxPriority);
      const expected = Math.sign(pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2]);
      assert.equal(Math.sign(UrlPattern.compare(UrlPattern.parse(a), UrlPattern.parse(b))), expected, `${a} vs ${b}`);
    }),
    { numRuns: 2000 },
  );
});
