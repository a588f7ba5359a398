/**
 * The fuzz properties over everything that is not a request: mount keys and
 * routing tables, NO_PROXY and proxy strings, redaction, and the options of
 * every public constructor. Each is `{ name, runs, run(numRuns, seed, path?) }`:
 * `fuzz.ts` runs them all at full size, tests/fuzz_slice_test.ts a slice.
 */
import { Effect, Exit, Layer } from "effect";
import fc from "fast-check";
import {
  Client,
  configureRedaction,
  ConnectError,
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
import { redactText, redactUrl } from "../core/redact.ts";
import { makeHttpTransport } from "../transports/http/mod.ts";
import {
  anyValue,
  headerName,
  headerValue,
  mountKey,
  optionsFor,
  proxyEnv,
  proxyString,
  requestUrl,
  SECRET,
  secretUrl,
} from "./arbitraries.ts";
import { construct, expectTyped, violated } from "./oracle.ts";

/** One property: `runs` cases in `npm run fuzz`. */
export interface FuzzProperty {
  readonly name: string;
  readonly runs: number;
  /**
   * Runs `numRuns` cases from `seed` (and `path`, to replay a failure); rejects with fast-check's report.
   * May resolve with a note (a known gap it counted) for the report.
   */
  readonly run: (numRuns: number, seed: number, path?: string) => Promise<string | void>;
}

/** fast-check's parameters: a per-case timeout for async properties, so a hang is a failure, not a stall. */
export const params = (numRuns: number, seed: number, path?: string) => ({
  numRuns,
  seed,
  ...(path === undefined ? {} : { path }),
  timeout: 10_000,
});

const ok = MockTransport.make(() => new Response("ok"));
const parses = (text: string): URL | undefined => {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
};

/** A synchronous `fc.assert` as the Promise `run` returns (a failure becomes its rejection). */
const checked = (assert: () => void): Promise<void> => new Promise((resolve) => resolve(assert()));

/** Whatever a constructor built, closed (a transport or a client), so the fuzz leaks nothing. */
const dispose = async (built: unknown): Promise<void> => {
  if (built instanceof SwitchyardError || typeof built !== "object" || built === null) return;
  const close = (built as { close?: () => unknown }).close;
  if (typeof close === "function") {
    const effect = close.call(built);
    if (Effect.isEffect(effect)) await Effect.runPromise(effect as Effect.Effect<void>);
  }
};

const mountKeys: FuzzProperty = {
  name: "mount keys (UrlPattern, Router.make, resolve = explain's winner)",
  runs: 20_000,
  run: (numRuns, seed, path) =>
    checked(() =>
      fc.assert(
        fc.property(mountKey, fc.array(requestUrl, { maxLength: 4 }), (key, urls) => {
          let verdict: InvalidOptions | undefined;
          try {
            verdict = UrlPattern.validate(key);
          } catch (error) {
            violated("UrlPattern.validate threw", error);
          }
          const router = construct("Router.make", () => Router.make({ [key]: 1 }));
          if (router instanceof InvalidOptions) {
            if (verdict === undefined) violated("Router.make refused a key UrlPattern.validate accepts");
            return;
          }
          if (verdict !== undefined) violated("Router.make accepted a key UrlPattern.validate refuses");
          for (const text of urls) {
            const url = parses(text);
            if (url === undefined) {
              try {
                router.resolve(text);
                violated("resolve accepted a string that is not a URL");
              } catch (error) {
                expectTyped(error, "resolve(junk)", InvalidUrl);
              }
              continue;
            }
            const winner = router.resolve(url)?.key;
            if (router.resolve(url.href)?.key !== winner) violated("resolve(string) and resolve(URL) disagree");
            if (router.explain(url)[0]?.key !== winner) violated("resolve and explain disagree");
          }
        }),
        params(numRuns, seed, path),
      )
    ),
};

const routerTables: FuzzProperty = {
  name: "routing tables of any shape (Router.make, Mounts.make, resolve of anything)",
  runs: 10_000,
  run: (numRuns, seed, path) =>
    checked(() =>
      fc.assert(
        fc.property(
          fc.oneof(
            anyValue,
            fc.array(anyValue, { maxLength: 3 }),
            fc.array(fc.tuple(mountKey, anyValue), { maxLength: 4 }),
            fc.array(fc.tuple(anyValue, anyValue), { maxLength: 2 }),
            fc.dictionary(mountKey, fc.oneof(fc.constant(null), fc.constant(ok), anyValue), { maxKeys: 4 }),
            fc.array(fc.tuple(mountKey, anyValue), { maxLength: 3 }).map((pairs) => new Map(pairs)),
          ),
          fc.oneof(anyValue, requestUrl),
          (entries, target) => {
            const router = construct("Router.make", () => Router.make(entries as never));
            if (!(router instanceof InvalidOptions)) {
              try {
                router.resolve(target as never);
                router.explain(target as never);
              } catch (error) {
                expectTyped(error, "resolve/explain", InvalidUrl);
              }
            }
            const mounts = construct("Mounts.make", () => Mounts.make(entries as never, ok));
            if (!(mounts instanceof InvalidOptions)) {
              try {
                mounts.explain(target as never);
              } catch (error) {
                expectTyped(error, "Mounts.explain", InvalidUrl);
              }
            }
          },
        ),
        params(numRuns, seed, path),
      )
    ),
};

const noProxy: FuzzProperty = {
  name: "NO_PROXY and proxy strings (environmentProxies, HttpTransport's env routing)",
  runs: 12_000,
  run: (numRuns, seed, path) =>
    fc.assert(
      fc.asyncProperty(proxyEnv, fc.boolean(), async (env, build) => {
        const mounts = construct("environmentProxies", () => environmentProxies(env));
        if (!(mounts instanceof InvalidOptions)) {
          // What it returns are valid mounts, by construction.
          const router = construct("Router.make(environmentProxies(...))", () => Router.make(mounts));
          if (router instanceof InvalidOptions) violated("environmentProxies returned a key Router.make refuses");
          for (const value of Object.values(mounts)) {
            if (value !== null && parses(value) === undefined) violated(`a proxy URL that does not parse: ${value}`);
          }
        }
        if (build) await dispose(construct("HttpTransport with env", () => makeHttpTransport({}, env)));
      }),
      params(numRuns, seed, path),
    ),
};

const redaction: FuzzProperty = {
  name: "redaction (redactUrl, redactText, errors built on secret-bearing URLs)",
  runs: 12_000,
  run: (numRuns, seed, path) =>
    checked(() =>
      fc.assert(
        fc.property(secretUrl, fc.oneof(requestUrl, fc.string()), (secret, any) => {
          for (const text of [redactUrl(secret), redactText(`failed for ${secret} (retry later)`)]) {
            if (text.includes(SECRET)) violated(`the secret survived redaction: ${text}`);
          }
          redactUrl(any);
          redactText(any);
          expectTyped(new ConnectError({ method: "GET", url: secret }, { detail: `cause: ${secret}` }), "ConnectError");
        }),
        params(numRuns, seed, path),
      )
    ),
};

const fn = fc.constantFrom(() => {}, () => Effect.succeed(new Response("ok")), () => new Response("ok"));
const headersRecord = fc.dictionary(headerName, headerValue, { maxKeys: 3 });
/** Every shape a `headers` option may come in, good and bad: records, pairs, junk. */
const anyHeaders = fc.oneof(
  headersRecord,
  fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
  fc.array(anyValue, { maxLength: 3 }),
  anyValue,
);
const clientOptions = optionsFor(
  ["baseUrl", "headers", "timeout", "transport", "mounts", "plugins", "followRedirects", "maxRedirects", "trustEnv"],
  {
    baseUrl: fc.oneof(requestUrl, fc.webUrl()),
    transport: fc.constant(ok),
    mounts: fc.dictionary(mountKey, fc.constantFrom(null, ok), { maxKeys: 3 }),
    plugins: fc.array(fc.oneof(fc.constant(logging()), fn, anyValue), { maxLength: 2 }),
  },
  { headers: fc.oneof(fc.constant(undefined), anyHeaders) },
);
const httpOptions = optionsFor(
  ["retries", "retry", "timeout", "uds", "localAddress", "proxy", "trustEnv", "http1", "http2", "tls", "limits"],
  {
    timeout: fc.oneof(
      fc.double(),
      optionsFor(["connect", "read", "write", "pool", "total"], {
        connect: fc.double(),
        read: fc.integer(),
        total: fc.constant(2 ** 31),
      }),
    ),
    proxy: fc.oneof(proxyString, optionsFor(["url", "headers"], { url: proxyString, headers: headersRecord })),
    trustEnv: fc.constant(false),
    localAddress: fc.constantFrom("127.0.0.1", "::1", "0.0.0.0", "1.2.3", "::1:"),
    tls: optionsFor(["caCerts", "cert", "key", "dangerouslyIgnoreCertificateErrors"]),
    limits: optionsFor(["maxConnections", "maxKeepAliveConnections", "keepAliveExpiry"], {
      maxConnections: fc.integer({ min: -1, max: 1000 }),
      keepAliveExpiry: fc.double(),
    }),
  },
);
const handlerOptions = optionsFor(["raiseAppExceptions", "rootPath", "client", "lifespan"], {
  rootPath: fc.oneof(fc.webPath(), fc.string()),
  client: optionsFor(["hostname", "port"], { hostname: fc.ipV4(), port: fc.integer({ min: -5, max: 70_000 }) }),
  lifespan: optionsFor(["startup", "shutdown"], { startup: fn, shutdown: fn }),
});

/** Every public constructor, each with its own options drawn from its keys. */
const constructors: ReadonlyArray<[string, fc.Arbitrary<() => unknown>]> = [
  ["Client.make", clientOptions.map((o) => () => Client.make(o as never))],
  ["HttpTransport.make", httpOptions.map((o) => () => HttpTransport.make(o as never))],
  [
    "HandlerTransport.make",
    fc.tuple(fc.oneof(fn, anyValue), handlerOptions).map(([h, o]) => () =>
      HandlerTransport.make(h as never, o as never)
    ),
  ],
  ["MockTransport.make", fc.oneof(fn, anyValue).map((h) => () => MockTransport.make(h as never))],
  [
    "Mounts.make",
    fc.tuple(fc.dictionary(mountKey, fc.constantFrom(null, ok), { maxKeys: 3 }), fc.oneof(fc.constant(ok), anyValue))
      .map(([m, f]) => () => Mounts.make(m, f as never)),
  ],
  [
    "Transport.make",
    optionsFor(["handle", "fetch", "close", "kind"], { handle: fn, close: fn }).map((o) => () =>
      Transport.make(o as never)
    ),
  ],
  [
    "Transport.wrap",
    fc.tuple(fc.oneof(fc.constant(ok), anyValue), optionsFor(["handle", "fetch", "name"], { handle: fn })).map(
      ([n, o]) => () => Transport.wrap(n as never, o as never),
    ),
  ],
  [
    "Transport.compose",
    fc.tuple(
      fc.oneof(fc.constant(ok), anyValue),
      fc.oneof(fc.array(fc.oneof(fn, fc.constant(logging()), anyValue), { maxLength: 2 }), anyValue),
    ).map(([t, p]) => () => Transport.compose(t as never, p as never)),
  ],
  ["Transport.layer", fc.oneof(fc.constant(ok), anyValue).map((t) => () => Transport.layer(t as never))],
  [
    "Plugin.steps",
    fc.oneof(
      optionsFor(["name", "onRequest", "onResponse", "onError"], { name: fc.string(), onRequest: fn }),
      fc.tuple(fc.string(), fc.oneof(fn, anyValue)).map(([n, f]) => [n, f]),
    ).map((o) => () => Array.isArray(o) ? Plugin.steps(o[0], o[1] as never) : Plugin.steps(o as never)),
  ],
  [
    "hooks",
    optionsFor(["request", "response"], { request: fc.array(fc.oneof(fn, anyValue), { maxLength: 2 }) }).map(
      (o) => () => hooks(o as never),
    ),
  ],
  ["logging", optionsFor(["log"], { log: fn }).map((o) => () => logging(o as never))],
  ["environmentProxies", fc.oneof(proxyEnv, anyValue).map((e) => () => environmentProxies(e as never))],
  [
    "configureRedaction",
    optionsFor(["queryParams", "headers"], { queryParams: fc.array(fc.string(), { maxLength: 2 }) }).map((o) => () =>
      configureRedaction(o as never)
    ),
  ],
  ["Client.layer", clientOptions.map((o) => () => Client.layer(o as never))],
  ["HttpTransport.layer", httpOptions.map((o) => () => HttpTransport.layer(o as never))],
  [
    "HandlerTransport.layer",
    handlerOptions.map((o) => () => HandlerTransport.layer(() => new Response("ok"), o as never)),
  ],
];

const options: FuzzProperty = {
  name: "options of every public constructor (and their layers, built)",
  runs: 34_000,
  run: async (numRuns, seed, path) => {
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(...constructors.map(([name, call]) => call.map((c) => [name, c] as const))),
          async ([name, call]) => {
            const built = construct(name, call);
            if (Layer.isLayer(built)) {
              // A layer fails with InvalidOptions, never dies.
              const exit = await Effect.runPromiseExit(Layer.build(built as Layer.Layer<unknown>).pipe(Effect.scoped));
              if (Exit.isFailure(exit)) {
                const failure = exit.cause.reasons.find((r) => r._tag === "Fail");
                if (failure === undefined) violated(`${name}: the layer died`, exit.cause);
                else expectTyped((failure as { error: unknown }).error, `${name} (built)`, InvalidOptions);
              }
            } else await dispose(built);
          },
        ),
        params(numRuns, seed, path),
      );
    } finally {
      configureRedaction({});
    }
  },
};

export const properties: ReadonlyArray<FuzzProperty> = [mountKeys, routerTables, noProxy, redaction, options];
