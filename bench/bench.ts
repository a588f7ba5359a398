/**
 * Switchyard against raw fetch and the peers; runs unchanged on Deno and Bun.
 * The approach is the peer benchmark's (shared/reference/peer-bench): every case of a
 * section runs once per round, the order rotated each round, the baseline twice per
 * round (the second run shows the machine's noise), GC between cases, in-process loops
 * yielding to the event loop every 1,000 calls. `run.sh` drives it; `report.ts` reads
 * the JSON it writes.
 *
 * Sections (BENCH_SECTIONS, comma-separated):
 *   net     loopback GET against server.ts of the same runtime (needs BENCH_URL)
 *   inproc  in-process fetch handler: raw, Hono, Switchyard HandlerTransport
 *   stub    client CPU per request, fetch stubbed (no I/O)
 *   router  mount resolution among 10 / 1,000 / 10,000 mounts (bench/router_bench.ts)
 *   stream  a large streamed response: throughput and RSS growth (needs BENCH_URL)
 *
 * Env: BENCH_URL, BENCH_OUT (JSON path), BENCH_ROUNDS, BENCH_NET_N, BENCH_NET_WARMUP,
 *      BENCH_CONC=1,64, BENCH_INPROC_N, BENCH_STUB_N, BENCH_STREAM_BYTES, BENCH_STREAM_ROUNDS,
 *      BENCH_ONLY=<ids> (only these case ids: for profiling), BENCH_SMOKE=1 (tiny sizes).
 *
 * @module
 */
import { Effect, type Layer, ManagedRuntime, Tracer } from "effect";
import { FetchHttpClient, HttpClient } from "effect/http";
import { Hono } from "hono";
import ky from "ky";
import { ofetch } from "ofetch";
import * as Switchyard from "../mod.ts";
import {
  auth,
  balance,
  bearer,
  cache,
  circuitBreaker,
  Client,
  cookies,
  HandlerTransport,
  hooks,
  type Plugin,
  retry,
  tracing,
  Transport,
} from "../mod.ts";
import { runRouterBench } from "./router_bench.ts";
import {
  BODY,
  type Case,
  drive,
  driveSeq,
  driveWithCpu,
  env,
  envNumber,
  gcAvailable,
  interleave,
  log,
  max,
  now,
  rotate,
  rssBytes,
  runtimeName,
  runtimeVersion,
  settle,
  SMOKE,
  writeJson,
} from "./lib.ts";

const TARGET = env("BENCH_URL") ?? "";
const SECTIONS = new Set((env("BENCH_SECTIONS") ?? "inproc,stub,router").split(","));
const ROUNDS = envNumber("BENCH_ROUNDS", SMOKE ? 1 : 5);
const N_NET = envNumber("BENCH_NET_N", SMOKE ? 200 : 20_000);
const N_NET_WARMUP = envNumber("BENCH_NET_WARMUP", SMOKE ? 50 : 2_000);
const CONCS = (env("BENCH_CONC") ?? "1,64").split(",").map(Number);
const N_INPROC = envNumber("BENCH_INPROC_N", SMOKE ? 2_000 : 200_000);
const N_STUB = envNumber("BENCH_STUB_N", SMOKE ? 2_000 : 100_000);
const STREAM_BYTES = envNumber("BENCH_STREAM_BYTES", SMOKE ? 16 * 2 ** 20 : 2 ** 30);
const STREAM_ROUNDS = envNumber("BENCH_STREAM_ROUNDS", SMOKE ? 1 : 3);
const ONLY = env("BENCH_ONLY") ? new Set(env("BENCH_ONLY")!.split(",")) : undefined;

/** Case lists as they go into the JSON: a case that cannot run yet says why. */
interface Skipped {
  readonly id: string;
  readonly name: string;
  readonly reason: string;
}
interface Built {
  readonly cases: Case[];
  readonly skipped: Skipped[];
}
const select = (cases: Case[], skipped: Skipped[]): Built => ({
  cases: ONLY ? cases.filter((c) => ONLY.has(c.id)) : cases,
  skipped,
});
const describe = ({ cases, skipped }: Built) => ({
  cases: cases.map(({ id, name }) => ({ id, name })),
  skipped,
});

// ---------------------------------------------------------------------------
// What exists in the work tree right now. HttpTransport, mounts and the effect/http
// layer are written concurrently with this bench: each is feature-checked, and a case
// whose feature is missing is reported as skipped (with the reason), not as a failure.
// ---------------------------------------------------------------------------

interface HttpTransportLike {
  make(options?: Record<string, unknown>): Transport;
}
/** HttpTransport from mod.ts, else from its own file (before mod.ts exports it), else undefined. */
const loadHttpTransport = async (): Promise<HttpTransportLike | undefined> => {
  const exported = (Switchyard as unknown as { HttpTransport?: HttpTransportLike }).HttpTransport;
  if (exported) return exported;
  const specifier = "../transports/http/mod.ts"; // not a literal: a missing module must not fail type-checking
  try {
    return ((await import(specifier)) as { HttpTransport?: HttpTransportLike }).HttpTransport;
  } catch {
    return undefined;
  }
};
const HttpTransport = await loadHttpTransport();

/** The network transport: HttpTransport, or (until it lands) the smallest fetch-backed stand-in. */
const networkTransport = (): Transport =>
  HttpTransport?.make() ?? Transport.make({ handle: (request) => Effect.promise(() => fetch(request)) });
const networkTransportName = HttpTransport
  ? "default transport: HttpTransport"
  : "stand-in Transport(fetch), HttpTransport missing";
/** A client as a user makes it: `Client.make()` uses HttpTransport (and reads the proxy variables). */
const defaultClient = (): Client => HttpTransport ? Client.make() : Client.make({ transport: networkTransport() });

interface SwitchyardHttpClientLike {
  layer(options?: Switchyard.ClientOptions): Layer.Layer<HttpClient.HttpClient, unknown>;
}
/** `@switchyard/switchyard/http-client`, if it can be loaded. */
const loadHttpClientLayer = async (): Promise<SwitchyardHttpClientLike | string> => {
  const specifier = "../http_client.ts"; // not a literal: a missing module must not fail type-checking
  try {
    const mod = await import(specifier) as { SwitchyardHttpClient?: SwitchyardHttpClientLike };
    return mod.SwitchyardHttpClient ?? "http_client.ts has no SwitchyardHttpClient export";
  } catch (error) {
    return `http_client.ts does not load yet (${String(error).split("\n")[0].slice(0, 120)})`;
  }
};

/** A transport that must never be reached: proves that a request was routed by a mount. */
const unreachable = Transport.make({
  handle: (request) => Effect.die(new Error(`mounts not honoured: ${request.url} reached the default transport`)),
});

/**
 * The two trivial plugins of the "3 mounts + 2 plugins" cases: the shipped `hooks` plugin sets a header,
 * and a `Transport.wrap` plugin written with both lanes taps the response.
 */
let tapped = 0;
const tap = (response: Response): Response => {
  tapped++;
  return response;
};
/** The header the first plugin sets, for the raw-fetch reference row N8. */
const BENCH_HEADER_INIT: RequestInit = Object.freeze({ headers: Object.freeze({ "x-bench": "1" }) });
const plugins: Plugin[] = [
  hooks({ request: [(request) => void request.headers.set("x-bench", "1")] }),
  (next) =>
    Transport.wrap(next, {
      name: "tap",
      handle: (request) => Effect.map(next.handle(request), tap),
      fetch: (request, nextFetch) => nextFetch(request).then(tap),
    }),
];

/** 3 mounts (only the last matches `url`) and the 2 plugins around `transport`. */
const mountedClient = (url: string, transport: Transport): Client => {
  const origin = new URL(url).origin; // "http://127.0.0.1:PORT"
  return Client.make({
    transport: unreachable,
    mounts: { "all://*.internal.test": unreachable, "https://": unreachable, [origin]: transport },
    plugins,
  });
};

/** Builds the mounted case, or a skip when mounts are not honoured yet. */
const mountedCase = async (
  id: string,
  name: string,
  url: string,
  transport: Transport,
  read: (client: Client) => Promise<string>,
): Promise<Case | Skipped> => {
  const client = mountedClient(url, transport);
  try {
    await read(client);
  } catch (error) {
    if (String(error).includes("mounts not honoured")) return { id, name, reason: "mounts are not implemented yet" };
    throw error;
  }
  return { id, name, fn: () => read(client) };
};

const isCase = (c: Case | Skipped): c is Case => "fn" in c;
const split = (xs: Array<Case | Skipped>): { cases: Case[]; skipped: Skipped[] } => ({
  cases: xs.filter(isCase),
  skipped: xs.filter((x): x is Skipped => !isCase(x)),
});

// The effect/http client as the peer benchmark ran it (A4): a pre-built runtime and tracer
// propagation off (it would add b3/traceparent headers); the client span stays, as by default.
const effectGet = (url: string) =>
  HttpClient.get(url).pipe(
    Effect.flatMap((response) => response.text),
    Effect.provideService(HttpClient.TracerPropagationEnabled, false),
  );

const text = async (response: Response | Promise<Response>): Promise<string> => (await response).text();

/**
 * The resilience stack of issue #13's bench rows: `retry`, `circuitBreaker` and `tracing` (its defaults) over
 * `balance` with one upstream. `tracer` absent: no tracer installed, so `client.fetch` makes no span; present:
 * an in-memory tracer (spans made, filled, ended, dropped; nothing exported).
 */
const resilientClient = (transport: Transport, tracer?: Tracer.Tracer): Client =>
  Client.make({
    transport: balance([transport]),
    plugins: [retry(), circuitBreaker(), tracing(tracer === undefined ? undefined : { tracer })],
  });
/**
 * What the network transport hands fetch for a request nothing can abort: `redirect: "manual"` (the client
 * follows redirects itself), the transport's own pool (a `Bun.FetchSession`, a `Deno.HttpClient`) and no
 * signal (transports/http/bun.ts, deno.ts).
 */
const engineCallInit = (): RequestInit => {
  const g = globalThis as unknown as {
    Bun?: { FetchSession: new (init: object) => unknown };
    Deno?: { createHttpClient(options: object): unknown };
  };
  const pool = g.Bun !== undefined
    ? { session: new g.Bun.FetchSession({}) }
    : { client: g.Deno!.createHttpClient({ http1: true, http2: false }) };
  return { redirect: "manual", signal: null, ...pool } as RequestInit;
};
let spansMade = 0;
const memoryTracer: Tracer.Tracer = Tracer.make({
  span: (options) => (spansMade++, new Tracer.NativeSpan(options)),
});

// ---------------------------------------------------------------------------
// net: loopback GET
// ---------------------------------------------------------------------------

async function sectionNet() {
  if (!TARGET.startsWith("http://127.0.0.1:")) throw new Error("BENCH_URL must be http://127.0.0.1:<port>/");
  const url = TARGET;
  const fetchText = () => text(fetch(url));

  const plain = defaultClient();
  const engineInit = engineCallInit();
  const resilient = resilientClient(networkTransport());
  // Issue #14's row: a static bearer token for the server's origin, and a cookie jar that stays empty.
  const credentialed = Client.make({
    transport: networkTransport(),
    plugins: [auth({ [new URL(url).origin]: bearer("bench-token") }), cookies()],
  });
  const resilientTraced = resilientClient(networkTransport(), memoryTracer);
  const mounted = await mountedCase(
    "N3",
    "Switchyard client.fetch, 3 mounts + 2 plugins",
    url,
    networkTransport(),
    (c) => text(c.fetch(url)),
  );

  const effectRt = ManagedRuntime.make(FetchHttpClient.layer);
  await effectRt.context();
  const layer = await loadHttpClientLayer();
  const syRt = typeof layer === "string"
    ? undefined
    : ManagedRuntime.make(layer.layer({ transport: networkTransport() }));
  await syRt?.context();
  const syHc: Case | Skipped = syRt
    ? { id: "N4", name: "Switchyard effect/http HttpClient layer", fn: () => syRt.runPromise(effectGet(url)) }
    : { id: "N4", name: "Switchyard effect/http HttpClient layer", reason: layer as string };

  const { cases, skipped } = split([
    { id: "N1", name: "fetch (baseline)", fn: fetchText },
    { id: "N2", name: `Switchyard client.fetch (${networkTransportName})`, fn: () => text(plain.fetch(url)) },
    { id: "N5", name: "ky", fn: () => ky.get(url).text() },
    { id: "N6", name: "ofetch", fn: () => ofetch(url, { responseType: "text" }) },
    { id: "N1'", name: "fetch (baseline, 2nd run = noise)", fn: fetchText },
    mounted,
    syHc,
    { id: "N7", name: "effect/http FetchHttpClient (ManagedRuntime)", fn: () => effectRt.runPromise(effectGet(url)) },
    // Context for N3: what the header its plugin adds costs raw fetch on the wire and in the server.
    { id: "N8", name: "fetch with N3's plugin header (x-bench: 1)", fn: () => text(fetch(url, BENCH_HEADER_INIT)) },
    {
      id: "N9",
      name: "Switchyard client.fetch, retry + circuitBreaker + tracing (no tracer) over balance(1 upstream)",
      fn: () => text(resilient.fetch(url)),
    },
    {
      id: "N10",
      name: "Switchyard client.fetch, the N9 stack with an in-memory tracer",
      fn: () => text(resilientTraced.fetch(url)),
    },
    {
      id: "N11",
      name: "Switchyard client.fetch, auth (bearer) + cookies (empty jar)",
      fn: () => text(credentialed.fetch(url)),
    },
    // The floor under N2: fetch called the way the network transport calls it, with nothing of ours around it.
    {
      id: "N12",
      name: 'fetch(new Request(url), { redirect: "manual", own pool }): the engine\'s call alone',
      fn: () => text(fetch(new Request(url), engineInit)),
    },
  ]);
  const built = select(cases, skipped);

  log(`net: warmup ${N_NET_WARMUP} req/case at each concurrency`);
  for (const conc of CONCS) for (const c of built.cases) await drive(c.fn, N_NET_WARMUP, conc);
  const rps: Record<string, Record<string, number[]>> = {};
  // Client CPU µs per request, by concurrency and case, one value per round (same order as `rps`).
  const cpu: Record<string, Record<string, number[]>> = {};
  for (const conc of CONCS) {
    const perCase: Record<string, number[]> = Object.fromEntries(built.cases.map((c) => [c.id, []]));
    cpu[conc] = perCase;
    rps[conc] = await interleave(`net c=${conc}`, built.cases, ROUNDS, async (c) => {
      const { rate, cpuUs } = await driveWithCpu(c.fn, N_NET, conc);
      perCase[c.id].push(cpuUs);
      return rate;
    }, "req/s");
  }
  await effectRt.dispose();
  await syRt?.dispose();
  await Effect.runPromise(plain.close());
  await Effect.runPromise(resilient.close());
  await Effect.runPromise(credentialed.close());
  await Effect.runPromise(resilientTraced.close());
  return { ...describe(built), baseline: "N1", noise: "N1'", n: N_NET, concurrency: CONCS, rps, cpu, spansMade };
}

// ---------------------------------------------------------------------------
// inproc: a fetch handler called in the same process
// ---------------------------------------------------------------------------

async function sectionInproc() {
  const handler = (_request: Request): Response => new Response(BODY);
  const url = "http://localhost/";
  const app = new Hono();
  app.get("/", (c) => c.text(BODY));
  const client = Client.make({ transport: HandlerTransport.make(handler) });
  // Issue #14's row: the same body, cacheable; every call after the first is a cache hit (I5), against the same
  // cacheable app called without the cache (I6).
  const cacheable = (_request: Request): Response =>
    new Response(BODY, { headers: { "cache-control": "max-age=3600" } });
  const uncached = Client.make({ transport: HandlerTransport.make(cacheable) });
  const cached = Client.make({ transport: HandlerTransport.make(cacheable), plugins: [cache()] });

  const built = select([
    { id: "I1", name: "handler(new Request(url)) (baseline)", fn: () => text(handler(new Request(url))) },
    { id: "I2", name: 'Hono app.request("/")', fn: () => text(app.request("/")) },
    { id: "I3", name: "Switchyard HandlerTransport, client.fetch(url)", fn: () => text(client.fetch(url)) },
    { id: "I1'", name: "handler(new Request(url)) (2nd run = noise)", fn: () => text(handler(new Request(url))) },
    {
      id: "I4",
      name: "Switchyard HandlerTransport, Effect.runPromise(client.get(url))",
      fn: () => text(Effect.runPromise(client.get(url))),
    },
    { id: "I5", name: "Switchyard cache() hit (HandlerTransport, max-age app)", fn: () => text(cached.fetch(url)) },
    { id: "I6", name: "Switchyard client.fetch, the I5 app without the cache", fn: () => text(uncached.fetch(url)) },
  ], []);

  const warm = Math.min(20_000, N_INPROC);
  log(`inproc: warmup ${warm} calls/case`);
  for (const c of built.cases) await driveSeq(c.fn, warm);
  const cps = await interleave("inproc", built.cases, ROUNDS, (c) => driveSeq(c.fn, N_INPROC));
  await Effect.runPromise(client.close());
  await Effect.runPromise(cached.close());
  await Effect.runPromise(uncached.close());
  return { ...describe(built), baseline: "I1", noise: "I1'", n: N_INPROC, cps };
}

// ---------------------------------------------------------------------------
// stub: client CPU per request, no I/O
// ---------------------------------------------------------------------------

async function sectionStub() {
  const url = TARGET || "http://127.0.0.1:8080/";
  // What a real fetch does before the network is to build a Request from (input, init): that
  // is kept, so what a client makes fetch do (headers, signals, Request copies) still counts.
  // The rest is a resolved 13-byte Response.
  const stub = ((input: RequestInfo | URL, init?: RequestInit) => {
    new Request(input, init);
    return Promise.resolve(new Response(BODY));
  }) as typeof fetch;
  const stubText = () => text(stub(url));
  // For Switchyard's own rows the real HttpTransport runs, with the global fetch it calls
  // replaced by the stub for this section: client + transport + error mapping all count.
  const realFetch = globalThis.fetch;
  globalThis.fetch = stub;
  // The transport a user would write around a fetch function (Effect lane only): for the
  // effect/http row, which doesn't use the Promise lane anyway.
  const stubTransport = () => Transport.make({ handle: (request) => Effect.promise(() => stub(request)) });

  const client = Client.make({ transport: networkTransport() });
  const mounted = await mountedCase(
    "S4",
    "Switchyard client.fetch, 3 mounts + 2 plugins",
    url,
    networkTransport(),
    (c) => text(c.fetch(url)),
  );
  const kyStub = ky.create({ fetch: stub });
  const ofetchStub = ofetch.create({}, { fetch: stub });
  const effectRt = ManagedRuntime.make(FetchHttpClient.layer);
  await effectRt.context();
  const effectStubGet = effectGet(url).pipe(Effect.provideService(FetchHttpClient.Fetch, stub));
  const layer = await loadHttpClientLayer();
  const syRt = typeof layer === "string" ? undefined : ManagedRuntime.make(layer.layer({ transport: stubTransport() }));
  await syRt?.context();
  const syHc: Case | Skipped = syRt
    ? { id: "S5", name: "Switchyard effect/http HttpClient layer", fn: () => syRt.runPromise(effectGet(url)) }
    : { id: "S5", name: "Switchyard effect/http HttpClient layer", reason: layer as string };

  const { cases, skipped } = split([
    { id: "S1", name: "stub fetch + text (baseline)", fn: stubText },
    {
      id: "S2",
      name: "Switchyard client.fetch (HttpTransport, global fetch = stub)",
      fn: () => text(client.fetch(url)),
    },
    {
      id: "S3",
      name: "Switchyard Effect.runPromise(client.get(url))",
      fn: () => text(Effect.runPromise(client.get(url))),
    },
    { id: "S6", name: "ky (fetch: stub)", fn: () => kyStub.get(url).text() },
    { id: "S1'", name: "stub fetch + text (baseline, 2nd run = noise)", fn: stubText },
    mounted,
    syHc,
    { id: "S7", name: "ofetch (fetch: stub)", fn: () => ofetchStub(url, { responseType: "text" }) },
    {
      id: "S8",
      name: "effect/http FetchHttpClient (Fetch = stub, ManagedRuntime)",
      fn: () => effectRt.runPromise(effectStubGet),
    },
  ]);
  const built = select(cases, skipped);

  const warm = Math.min(10_000, N_STUB);
  log(`stub: warmup ${warm} calls/case`);
  for (const c of built.cases) await driveSeq(c.fn, warm);
  const cps = await interleave("stub", built.cases, ROUNDS, (c) => driveSeq(c.fn, N_STUB));
  await effectRt.dispose();
  await syRt?.dispose();
  await Effect.runPromise(client.close());
  globalThis.fetch = realFetch;
  return { ...describe(built), baseline: "S1", noise: "S1'", n: N_STUB, cps };
}

// ---------------------------------------------------------------------------
// router: bench/router_bench.ts (another helper's file) measures it; its rows go into the JSON
// ---------------------------------------------------------------------------

function sectionRouter() {
  const rows = runRouterBench({
    rounds: SMOKE ? 1 : undefined,
    resolvesPerSample: SMOKE ? 2_000 : undefined,
    log: (line) => log(line),
  });
  return { rows };
}

// ---------------------------------------------------------------------------
// stream: one large streamed response, read to the end
// ---------------------------------------------------------------------------

async function sectionStream() {
  if (!TARGET.startsWith("http://127.0.0.1:")) throw new Error("BENCH_URL must be http://127.0.0.1:<port>/");
  const url = `${TARGET}stream?bytes=${STREAM_BYTES}`;
  const client = defaultClient();

  let peak = 0;
  const sample = () => {
    const rss = rssBytes();
    if (rss > peak) peak = rss;
  };
  /** Reads the body to the end, counting bytes; samples RSS every 64 chunks (4 MiB) too. */
  const readAll = async (response: Response): Promise<number> => {
    const reader = response.body!.getReader();
    let bytes = 0;
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return bytes;
      bytes += value.byteLength;
      if (++chunks % 64 === 0) sample();
    }
  };
  const cases: Array<{ id: string; name: string; get: () => Promise<Response> }> = [
    { id: "T1", name: "fetch (baseline)", get: () => fetch(url) },
    { id: "T2", name: `Switchyard client.fetch (${networkTransportName})`, get: () => client.fetch(url) },
    { id: "T1'", name: "fetch (baseline, 2nd run = noise)", get: () => fetch(url) },
  ].filter((c) => !ONLY || ONLY.has(c.id));

  const mibps: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.id, []]));
  const rssGrowthMiB: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.id, []]));
  for (let r = 0; r < STREAM_ROUNDS; r++) {
    for (const c of rotate(cases, r)) {
      await settle();
      const before = rssBytes();
      peak = before;
      const timer = setInterval(sample, 10);
      const t0 = now();
      const bytes = await readAll(await c.get());
      const seconds = (now() - t0) / 1000;
      clearInterval(timer);
      sample();
      if (bytes !== STREAM_BYTES) throw new Error(`${c.id}: read ${bytes} bytes, expected ${STREAM_BYTES}`);
      mibps[c.id].push(bytes / 2 ** 20 / seconds);
      rssGrowthMiB[c.id].push((peak - before) / 2 ** 20);
      log(
        `stream round ${r + 1}/${STREAM_ROUNDS} ${c.id.padEnd(4)} ${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s, ` +
          `RSS +${((peak - before) / 2 ** 20).toFixed(1)} MiB  ${c.name}`,
      );
    }
  }
  await Effect.runPromise(client.close());
  return {
    cases: cases.map(({ id, name }) => ({ id, name })),
    skipped: [],
    baseline: "T1",
    noise: "T1'",
    bytes: STREAM_BYTES,
    rounds: STREAM_ROUNDS,
    mibps,
    rssGrowthMiB,
    maxRssGrowthMiB: Object.fromEntries(Object.entries(rssGrowthMiB).map(([k, v]) => [k, max(v)])),
  };
}

// ---------------------------------------------------------------------------

const out: Record<string, unknown> = {
  runtime: runtimeName,
  version: runtimeVersion,
  started: new Date().toISOString(),
  smoke: SMOKE,
  rounds: ROUNDS,
  target: TARGET,
  gcBetweenCases: gcAvailable,
  networkTransport: networkTransportName,
};
log(`${runtimeVersion}; sections=${[...SECTIONS]}; rounds=${ROUNDS}; smoke=${SMOKE}; gc=${gcAvailable}`);
if (SECTIONS.has("net")) out.net = await sectionNet();
if (SECTIONS.has("inproc")) out.inproc = await sectionInproc();
if (SECTIONS.has("stub")) out.stub = await sectionStub();
if (SECTIONS.has("router")) out.router = sectionRouter();
if (SECTIONS.has("stream")) out.stream = await sectionStream();
out.finished = new Date().toISOString();
out.pluginTaps = tapped; // responses seen by the tap plugin: proves the plugin chain ran

const OUT = env("BENCH_OUT");
if (OUT) writeJson(OUT, out);
else console.log(JSON.stringify(out, null, 2));
