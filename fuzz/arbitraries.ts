/**
 * The inputs the fuzz properties draw from: mount keys, URLs, NO_PROXY and
 * proxy strings, methods, header names and values, and option objects that
 * mix each constructor's real keys with values of every type. Each mixes
 * well-formed pieces (so the fuzz reaches deep into the checks) with junk (so
 * it reaches the edges).
 */
import fc from "fast-check";

/** The secret planted in URLs; it must never appear in an error, a log record or an option error. */
export const SECRET = "S3CRETzz";

const junk = fc.string({ unit: "binary", maxLength: 12 });
const printable = fc.string({ unit: "grapheme-ascii", maxLength: 12 });
/** Text that cannot change a URL's structure (no `/?#@:[]%` and no spaces). */
const inert = fc.stringMatching(/^[a-zA-Z0-9._~-]{0,10}$/);

const scheme = fc.oneof(
  fc.constantFrom("http", "https", "all", "HTTP", "Https", "ws", "wss", "ftp", "socks5", "socks5h", "file", "data"),
  fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9+.-]{0,6}$/),
  printable,
);
const host = fc.oneof(
  fc.constantFrom(
    "example.com",
    "a.b.example.com",
    "localhost",
    "127.0.0.1",
    "10.0.0.1",
    "0.0.0.0",
    "[::1]",
    "[fe80::1%25eth0]",
    "[::ffff:127.0.0.1]",
    "xn--bcher-kva.example",
    "bücher.example",
    "EXAMPLE.COM.",
    "256.1.1.1",
    "0x7f.1",
    "",
    "*",
    "*.example.com",
    "*example.com",
    "*.",
    "**.a",
    "[::1",
    "a..b",
    "%41.test",
  ),
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((ip) => `[${ip}]`),
  inert,
  junk,
);
const port = fc.oneof(
  fc.constantFrom("", "", ":", ":0", ":80", ":443", ":8080", ":65535", ":65536", ":99999", ":-1", ":abc", ":08"),
  fc.integer({ min: 0, max: 70_000 }).map((n) => `:${n}`),
);
const path = fc.oneof(
  fc.constantFrom("", "/", "/a", "/a/b", "/a/", "/8", "/16/", "/32", "/%2F", "/../x", "/a?b", "/a#b", "//x"),
  fc.webPath(),
  junk.map((s) => `/${s}`),
);
const query = fc.oneof(
  fc.constant(""),
  fc.webQueryParameters().map((q) => `?${q}`),
  fc.constantFrom("?token=t1", "?q=1&api_key=k&page=2", "?a", "?=x", "?%zz=1", "?sig=a;code=b"),
);
const fragment = fc.oneof(fc.constant(""), fc.webFragments().map((f) => `#${f}`), fc.constant("#access_token=t"));

/** A mount key: mostly URL-pattern shaped, sometimes junk. */
export const mountKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(scheme, host, port, path).map(([s, h, p, q]) => `${s}://${h}${p}${q}`) },
  { weight: 1, arbitrary: fc.constantFrom("", "all://", "http", "http:", "://", "all://*", "all://10.0.0.0/8") },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom("all", "http", "https"), fc.ipV4(), fc.integer({ min: -1, max: 40 }))
      .map(([s, ip, bits]) => `${s}://${ip}/${bits}`),
  },
  { weight: 1, arbitrary: fc.oneof(printable, junk) },
);

/** A request URL string: mostly URL shaped (some with userinfo), sometimes junk or relative. */
export const requestUrl: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(scheme, fc.option(fc.tuple(inert, inert)), host, port, path, query, fragment).map((
      [s, user, h, p, q, search, hash],
    ) => `${s}://${user ? `${user[0]}:${user[1]}@` : ""}${h}${p}${q}${search}${hash}`),
  },
  { weight: 2, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  { weight: 1, arbitrary: fc.oneof(path, printable, junk, fc.constantFrom("//x.test/", "http:/x", "http://")) },
);

/**
 * A URL that parses and has `SECRET` where redaction must hide it (the
 * password, a secret-named parameter, a secret fragment parameter), the
 * rest drawn from inert text, or the same text made unparsable by its port.
 */
export const secretUrl: fc.Arbitrary<string> = fc.tuple(
  fc.constantFrom("http", "https"),
  fc.constantFrom("user", ""),
  fc.oneof(fc.domain(), fc.ipV4()),
  fc.constantFrom("", ":8080", ":99999", ":x"),
  inert,
  fc.constantFrom("token", "api_key", "apiKey", "X-Amz-Signature", "password", "code", "sig", "access_token"),
  fc.constantFrom("password", "user", ""),
  fc.integer({ min: 0, max: 3 }),
).map(([s, user, h, p, seg, param, where, extra]) => {
  const userinfo = user === "" ? "" : `${user}:${SECRET}@`;
  const q = `?a=${extra}&${param}=${SECRET}&b=${seg}`;
  const hash = where === ""
    ? ""
    : `#${where === "password" ? "access_token" : "state"}=${where === "password" ? SECRET : "x"}`;
  return `${s}://${userinfo}${h}${p}/${seg}${q}${hash}`;
});

/** Methods every server sees as written (fetch upper-cases only the six standard names). */
export const STANDARD_METHODS: fc.Arbitrary<string> = fc.constantFrom(
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
  "QUERY",
  "PROPFIND",
);

/** An HTTP method: the usual ones, any case, tokens, and junk. */
export const method: fc.Arbitrary<string> = fc.oneof(
  STANDARD_METHODS,
  fc.constantFrom("get", "Post", "patch", "CONNECT", "TRACE"),
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,8}$/),
  fc.string({ unit: "grapheme-ascii", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
);

/** A header name: tokens, and names the platform must refuse. */
export const headerName: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/),
  fc.constantFrom("x-a", "Content-Type", "authorization", "host", "a b", "a:b", "", "x\r\ny", "ü"),
  printable,
  junk,
);

/** A header value: plain text, HTTP whitespace around it, CR/LF/NUL inside it, unicode. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  printable,
  junk,
  fc.string({ maxLength: 8 }),
  fc.tuple(printable, fc.constantFrom("\r", "\n", "\r\n", "\0", "\t", " ", "\u0085", "\u2028"), printable)
    .map(([a, c, b]) => `${a}${c}${b}`),
);

const noProxyEntry = fc.oneof(
  fc.constantFrom("*", "localhost", ".example.com", "*.example.com", "example.com:8080", "example.com:443", "::1"),
  fc.constantFrom("10.0.0.0/8", "10.0.0.0/33", "fe80::/10", "[fe80::]/10", "[::1]:8080", "1.2.3.4/x", "http://a.b"),
  host,
  fc.tuple(host, port).map(([h, p]) => `${h}${p}`),
  fc.tuple(fc.ipV4(), fc.integer({ min: -1, max: 40 })).map(([ip, bits]) => `${ip}/${bits}`),
  mountKey,
  printable,
);

/** `NO_PROXY`: comma-separated entries, spaces around some. */
export const noProxy: fc.Arbitrary<string> = fc.array(
  fc.tuple(noProxyEntry, fc.constantFrom("", " ", "  ")).map(([e, pad]) => `${pad}${e}${pad}`),
  { maxLength: 6 },
).map((entries) => entries.join(","));

/** A proxy setting: a URL (credentials sometimes, the secret as the password), `host:port`, or junk. */
export const proxyString: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(scheme, fc.constantFrom("", `u:${SECRET}@`, "u@"), host, port)
    .map(([s, u, h, p]) => `${s}://${u}${h}${p}`),
  fc.tuple(host, port).map(([h, p]) => `${h}${p}`),
  fc.constantFrom("", "http://", "proxy:3128", `u:${SECRET}@proxy:3128`),
  printable,
);

/** An environment for `environmentProxies`: the variables it reads, in both cases, sometimes a CGI marker. */
export const proxyEnv: fc.Arbitrary<Record<string, string>> = fc.record({
  HTTP_PROXY: proxyString,
  http_proxy: proxyString,
  HTTPS_PROXY: proxyString,
  https_proxy: proxyString,
  ALL_PROXY: proxyString,
  NO_PROXY: noProxy,
  no_proxy: noProxy,
  REQUEST_METHOD: fc.constantFrom("GET", ""),
}, { requiredKeys: [] });

/** A value of any type, weighted to the ones option checks must tell apart. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, true, false, 0, -1, 1, 0.5, 2 ** 31, 2 ** 31 - 1, NaN, Infinity, -Infinity, "", "x"),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, 1e300, -0, 65536, 100, 101, "http://u:pw@h/", "-----BEGIN X", "0.0.0.0"),
  fc.constantFrom([], {}, [1], [null], [[1, 2]], [["a", "b"]], { a: 1 }, { a: "b" }, new Map(), new Headers()),
  fc.constantFrom(() => {}, () => undefined, Symbol("s"), 10n, new Date(0), /x/, Object.create(null)),
  fc.anything({ maxDepth: 2 }),
);

/**
 * An options object: some of `keys`, each with any value (or, half the time,
 * one from `specific`; always one from `only`), sometimes an unknown key,
 * sometimes not an object at all.
 */
export const optionsFor = (
  keys: ReadonlyArray<string>,
  specific: Readonly<Record<string, fc.Arbitrary<unknown>>> = {},
  only: Readonly<Record<string, fc.Arbitrary<unknown>>> = {},
): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(
        fc.dictionary(fc.constantFrom(...keys), fc.constant(0), { maxKeys: keys.length }),
        fc.option(fc.constantFrom("unknownOption", "__proto__", "constructor", "timeOut")),
      ).chain(([chosen, extra]) => {
        const names = [...Object.keys(chosen), ...(extra === null ? [] : [extra])];
        // `Object.hasOwn`: the names include `constructor` and `__proto__`, which a plain lookup would find.
        const values = names.map((k) =>
          Object.hasOwn(only, k) ? only[k]! : Object.hasOwn(specific, k) ? fc.oneof(specific[k]!, anyValue) : anyValue
        );
        return fc.tuple(...values).map((drawn) => {
          // Own data properties, whatever the name: a literal `__proto__` key, as JSON.parse would make it.
          const out: Record<string, unknown> = {};
          names.forEach((k, i) =>
            Object.defineProperty(out, k, { value: drawn[i], enumerable: true, writable: true, configurable: true })
          );
          return out;
        });
      }),
    },
    { weight: 1, arbitrary: anyValue },
  );
