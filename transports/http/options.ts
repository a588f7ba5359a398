/**
 * `HttpTransport`'s options: the public type, the checks that validate them
 * (`core/options.ts`; not zod, whose import alone exceeds the cold-start
 * budget), and their resolved form (milliseconds, defaults filled in).
 * Runtime-specific refusals (an option one runtime cannot honour) live in the
 * engine files.
 *
 * @module
 */
import { Schedule } from "effect";
import { InvalidOptions, type TransportError } from "../../core/errors.ts";
import { isIpLiteral } from "../../router/ip.ts";
import {
  array,
  boolean,
  type Check,
  custom,
  fail,
  millis,
  number,
  object,
  optional,
  record,
} from "../../core/options.ts";

/**
 * Timeouts in **milliseconds** (HTTPX uses seconds). Each phase fails with its own class.
 * Each is at most 2³¹−1 ms (about 24.8 days, the longest a timer can wait): a
 * longer one is refused with `InvalidOptions`, not clamped. Where phases are
 * added up (an engine that cannot see the connect, so `connect + write + read`
 * bound the wait for the headers), the sum is capped at that same maximum.
 *
 * @example
 * ```ts
 * import type { HttpTimeouts } from "@switchyard/switchyard";
 * const timeouts: HttpTimeouts = { connect: 2_000, read: 10_000, pool: 1_000, total: 30_000 };
 * ```
 */
export interface HttpTimeouts {
  /** Establishing the connection (TCP, TLS, proxy tunnel). See the README for what each runtime can observe. */
  readonly connect?: number;
  /** Silence while waiting for the response: before the headers, and between body chunks. */
  readonly read?: number;
  /** Sending the request body. */
  readonly write?: number;
  /** Waiting for a free slot under `limits.maxConnections`. */
  readonly pool?: number;
  /** The whole exchange, from `handle` to the last body byte, retries included. */
  readonly total?: number;
}

/**
 * TLS settings (PEM strings).
 *
 * @example
 * ```ts
 * import type { HttpTlsOptions } from "@switchyard/switchyard";
 * const pem = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"; // e.g. read from a file
 * const tls: HttpTlsOptions = { caCerts: [pem] };
 * ```
 */
export interface HttpTlsOptions {
  /** Extra root certificates to trust, in addition to the system's. */
  readonly caCerts?: ReadonlyArray<string>;
  /** Client certificate chain for mutual TLS (needs `key`). */
  readonly cert?: string;
  /** Private key of `cert`. */
  readonly key?: string;
  /**
   * Accept any server certificate. **Local development only**: it turns TLS
   * into encryption without authentication. Bun only; on Deno start the
   * process with `--unsafely-ignore-certificate-errors=<host>` instead.
   */
  readonly dangerouslyIgnoreCertificateErrors?: boolean;
}

/**
 * Connection-pool limits (HTTPX's `Limits`).
 *
 * @example
 * ```ts
 * import type { HttpLimits } from "@switchyard/switchyard";
 * const limits: HttpLimits = { maxConnections: 100, maxKeepAliveConnections: 20, keepAliveExpiry: 5_000 };
 * ```
 */
export interface HttpLimits {
  /** Requests in flight at once (a request holds its slot until its body is read or cancelled). */
  readonly maxConnections?: number;
  /** Idle keep-alive connections kept (Deno: per host; Bun: per kind of connection). */
  readonly maxKeepAliveConnections?: number;
  /** Milliseconds an idle keep-alive connection is kept (Bun rounds up to its 4 s timer). */
  readonly keepAliveExpiry?: number;
}

/**
 * A proxy: its URL (`http://`, `https://`, `socks5://`; credentials in the userinfo) and extra headers.
 *
 * @example
 * ```ts
 * import type { HttpProxyOption } from "@switchyard/switchyard";
 * const proxy: HttpProxyOption = { url: "http://user:pw@proxy.local:3128", headers: { "x-team": "a" } };
 * ```
 */
export type HttpProxyOption = string | {
  /** The proxy's URL; `user:password@` becomes `Proxy-Authorization: Basic ...`. */
  readonly url: string;
  /** Extra headers for the proxy (Bun only). */
  readonly headers?: Readonly<Record<string, string>>;
};

/**
 * Options of `HttpTransport.make` / `HttpTransport.layer`. Every field is
 * optional; `HttpTransport.make()` is a plain HTTP/1.1 transport with no
 * timeouts and no retries.
 *
 * @example
 * ```ts
 * import type { HttpTransportOptions } from "@switchyard/switchyard";
 * const options: HttpTransportOptions = { retries: 3, timeout: { read: 10_000 } };
 * ```
 */
export interface HttpTransportOptions {
  /** Retry connect failures (`ConnectError`, `ConnectTimeout`) this many times: delays 0, 0.5 s, 1 s, 2 s, ... with jitter. */
  readonly retries?: number;
  /** A custom retry schedule instead of `retries`; its input is the error. */
  readonly retry?: Schedule.Schedule<unknown, TransportError>;
  /** Milliseconds for every phase, or per phase. */
  readonly timeout?: number | HttpTimeouts;
  /** Connect to this unix socket instead of the URL's host. */
  readonly uds?: string;
  /** The local IP address to connect from (e.g. `"0.0.0.0"`, `"127.0.0.2"`). */
  readonly localAddress?: string;
  /** Send every request through this proxy. */
  readonly proxy?: HttpProxyOption;
  /** Use `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` from the environment (default `true`). */
  readonly trustEnv?: boolean;
  /** Allow HTTP/1.1 (default `true`). */
  readonly http1?: boolean;
  /** Allow HTTP/2 (default `false`, as in HTTPX); with `http1: false`, HTTP/2 only (h2c on cleartext). */
  readonly http2?: boolean;
  /** TLS settings. */
  readonly tls?: HttpTlsOptions;
  /** Pool limits. */
  readonly limits?: HttpLimits;
}

/**
 * The options after validation: milliseconds, defaults filled in.
 *
 * @example
 * ```ts
 * import { resolveHttpOptions, type ResolvedHttpOptions } from "./options.ts";
 * const resolved: ResolvedHttpOptions = resolveHttpOptions({ retries: 2 });
 * ```
 */
export interface ResolvedHttpOptions {
  readonly retries: number;
  readonly retry: Schedule.Schedule<unknown, TransportError> | undefined;
  readonly timeout: {
    readonly connect: number | undefined;
    readonly read: number | undefined;
    readonly write: number | undefined;
    readonly pool: number | undefined;
    readonly total: number | undefined;
  };
  readonly uds: string | undefined;
  readonly localAddress: string | undefined;
  readonly proxy: { readonly url: URL; readonly headers: Readonly<Record<string, string>> } | undefined;
  readonly trustEnv: boolean;
  readonly http1: boolean;
  readonly http2: boolean;
  readonly tls: {
    readonly caCerts: ReadonlyArray<string>;
    readonly cert: string | undefined;
    readonly key: string | undefined;
    readonly insecure: boolean;
  };
  readonly limits: {
    readonly maxConnections: number | undefined;
    readonly maxKeepAliveConnections: number | undefined;
    readonly keepAliveExpiry: number | undefined;
  };
}

// Built once at import: a handful of closures (no schema compilation), run once per `HttpTransport.make`.

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);
const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  isObject(u) && (Object.getPrototypeOf(u) === Object.prototype || Object.getPrototypeOf(u) === null);

/** A whole number in `[min, max]`. */
const count = (expected: string, min: number, max = Infinity): Check<number> => {
  const base = number(expected, { min, integer: true });
  return (value, path) => {
    const n = base(value, path);
    return n <= max ? n : fail(path, value, expected);
  };
};

/** A string containing `marker` (PEM framing); `secret` keeps the given text out of the message. */
const pemWith = (marker: string, expected: string, secret = false): Check<string> => (value, path) => {
  if (typeof value === "string" && value.includes(marker)) return value;
  if (secret && typeof value === "string") {
    throw new InvalidOptions({
      option: path,
      received: `a string of ${value.length} characters (not shown)`,
      expected,
    });
  }
  return fail(path, value, expected);
};
const pem = pemWith("-----BEGIN ", "a PEM string (-----BEGIN ...)");

/** An array of PEM strings; items are named `tls.caCerts[0]`, `tls.caCerts[1]`, ..., as every other array option. */
const pemList: Check<ReadonlyArray<string>> = array(pem, "an array of PEM strings");

/** An IPv4 or IPv6 literal, without brackets or port. */
const isAddress = (u: unknown): u is string => typeof u === "string" && isIpLiteral(u);

const isSchedule = (u: unknown): u is Schedule.Schedule<unknown, TransportError> => Schedule.isSchedule(u);

const timeouts = object({
  connect: optional(millis),
  read: optional(millis),
  write: optional(millis),
  pool: optional(millis),
  total: optional(millis),
});

/** `number | HttpTimeouts`: a number is checked as milliseconds, an object per phase. */
const timeout: Check<number | HttpTimeouts> = (value, path) =>
  typeof value === "number"
    ? millis(value, path)
    : isObject(value)
    ? timeouts(value, path)
    : fail(path, value, "milliseconds, or { connect?, read?, write?, pool?, total? } in milliseconds");

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value without CR, LF or NUL (some runtimes' Headers let one through when it ends in whitespace). */
const headerValue: Check<string> = (value, path) => {
  if (typeof value !== "string") return fail(path, value, "a header value (a string)");
  if (!/[\r\n\0]/.test(value)) return value;
  throw new InvalidOptions({
    option: path,
    received: `a value of ${value.length} characters with CR, LF or NUL (not shown: it may be a credential)`,
    expected: "a header value without CR, LF or NUL",
  });
};
const headerValues = record(headerValue, "an object of header name to value");
/** Names are HTTP tokens; the value is not shown in the error (it may be a credential). */
const headers: Check<Readonly<Record<string, string>>> = (value, path) => {
  const checked = headerValues(value, path);
  for (const name of Object.keys(checked)) {
    if (!TOKEN.test(name)) fail(`${path}[${JSON.stringify(name)}]`, name, "a header name that is an HTTP token");
  }
  return checked;
};

const proxyObject = object({
  url: custom((u): u is string => typeof u === "string", "a proxy URL string"),
  headers: optional<Readonly<Record<string, string>>>((value, path) =>
    // A Headers instance or a Map has no own entries: refuse it rather than silently send nothing.
    isPlainObject(value) ? headers(value, path) : fail(path, value, "an object of header name to value")
  ),
});

/** `string | { url, headers? }`. */
const proxy: Check<HttpProxyOption> = (value, path) =>
  typeof value === "string"
    ? value
    : isObject(value)
    ? proxyObject(value, path)
    : fail(path, value, "a proxy URL, or { url, headers? }");

const checkOptions = object({
  retries: optional(count("a whole number from 0 to 100", 0, 100)),
  retry: optional(custom(isSchedule, "an Effect Schedule")),
  timeout: optional(timeout),
  uds: optional(custom((u): u is string => typeof u === "string" && u.length > 0, "a non-empty path")),
  localAddress: optional(custom(isAddress, "an IP address such as 0.0.0.0 or ::1, without a port")),
  proxy: optional(proxy),
  trustEnv: optional(boolean),
  http1: optional(boolean),
  http2: optional(boolean),
  tls: optional(object({
    caCerts: optional(pemList),
    cert: optional(pem),
    key: optional(pemWith("PRIVATE KEY", "a PEM private key", true)),
    dangerouslyIgnoreCertificateErrors: optional(boolean),
  })),
  limits: optional(object({
    maxConnections: optional(count("a whole number, 1 or more", 1)),
    maxKeepAliveConnections: optional(count("a whole number, 0 or more", 0)),
    keepAliveExpiry: optional(millis),
  })),
});

const PROXY_SCHEMES = new Set(["http:", "https:", "socks5:", "socks5h:"]);

const parseProxy = (proxy: HttpProxyOption | undefined): ResolvedHttpOptions["proxy"] => {
  if (proxy === undefined) return undefined;
  const raw = typeof proxy === "string" ? proxy : proxy.url;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidOptions({
      option: "proxy",
      received: "a string that is not a URL",
      expected: "a URL such as http://user:password@proxy.local:8080",
    });
  }
  if (!PROXY_SCHEMES.has(url.protocol)) {
    throw new InvalidOptions({
      option: "proxy",
      received: JSON.stringify(`${url.protocol}//${url.host}`),
      expected: "an http://, https://, socks5:// or socks5h:// URL",
    });
  }
  const headers = typeof proxy === "string" ? {} : proxy.headers ?? {};
  return { url, headers };
};

/** Refuses a combination of options (the `received` text is written out, not a value to describe). */
const refuse = (option: string, received: string, expected: string): never => {
  throw new InvalidOptions({ option, received, expected });
};

/**
 * Validates `input` and fills in the defaults; throws `InvalidOptions` naming
 * the first bad option (credentials redacted).
 *
 * @example
 * ```ts
 * import { resolveHttpOptions } from "./options.ts";
 * resolveHttpOptions({ timeout: 5_000 }).timeout.read; // 5000
 * ```
 */
export const resolveHttpOptions = (input: HttpTransportOptions | undefined): ResolvedHttpOptions => {
  // `undefined` is no options; `null` is refused like any other non-object.
  const o = checkOptions(input, "");
  if (o.retries !== undefined && o.retry !== undefined) {
    refuse("retry", "both `retries` and `retry`", "one of them: `retries` (a count) or `retry` (a Schedule)");
  }
  const t = o.timeout;
  const timeout = typeof t === "number"
    ? { connect: t, read: t, write: t, pool: t, total: undefined }
    : { connect: t?.connect, read: t?.read, write: t?.write, pool: t?.pool, total: t?.total };
  const http1 = o.http1 ?? true;
  const http2 = o.http2 ?? false;
  if (!http1 && !http2) refuse("http1", "false (and http2 false)", "at least one of `http1` and `http2` to be true");
  if (o.tls?.cert !== undefined && o.tls.key === undefined) refuse("tls.key", "undefined", "the key of `tls.cert`");
  if (o.tls?.key !== undefined && o.tls.cert === undefined) {
    refuse("tls.cert", "undefined", "the certificate of `tls.key`");
  }
  if (o.uds !== undefined && o.proxy !== undefined) {
    refuse("proxy", "a proxy together with `uds`", "either `uds` or `proxy`, not both");
  }
  if (o.localAddress !== undefined && o.uds !== undefined) {
    refuse("localAddress", "a local address together with `uds`", "either `uds` or `localAddress`, not both");
  }
  return {
    retries: o.retries ?? 0,
    retry: o.retry,
    timeout,
    uds: o.uds,
    localAddress: o.localAddress,
    proxy: parseProxy(o.proxy),
    trustEnv: o.trustEnv ?? true,
    http1,
    http2,
    tls: {
      caCerts: o.tls?.caCerts ?? [],
      cert: o.tls?.cert,
      key: o.tls?.key,
      insecure: o.tls?.dangerouslyIgnoreCertificateErrors ?? false,
    },
    limits: {
      maxConnections: o.limits?.maxConnections,
      maxKeepAliveConnections: o.limits?.maxKeepAliveConnections,
      keepAliveExpiry: o.limits?.keepAliveExpiry,
    },
  };
};
