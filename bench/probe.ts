/**
 * Where one `client.fetch` spends its time, by ablation: the stub and in-process cases of
 * bench.ts next to variants that each leave one step out, measured the same way
 * (sequential calls, body read, event loop every 1,000 calls, interleaved rounds, GC
 * between cases). Δ ns/call against the baseline then prices each step. For profiling
 * the goals bench.ts reports as missed; not part of run.sh.
 *
 *   deno run --v8-flags=--expose-gc -A bench/probe.ts   |   bun bench/probe.ts
 *   BENCH_ONLY=A0,A1 (only these ids)  BENCH_ROUNDS=3  BENCH_PROBE_N=50000
 *   BENCH_PROFILE_ID=A1 BENCH_PROFILE_N=300000: run one case only, for a CPU profiler
 *
 * @module
 */
import { Effect } from "effect";
import { Hono } from "hono";
import { Client, HandlerTransport, Transport } from "../mod.ts";
import { makeRequestBuilder } from "../client/request.ts";
import { rememberRequest } from "../client/response.ts";
import { isRedirect } from "../client/redirects.ts";
import { BODY, type Case, driveSeq, env, envNumber, interleave, log, median, runtimeVersion } from "./lib.ts";

const ROUNDS = envNumber("BENCH_ROUNDS", 3);
const N = envNumber("BENCH_PROBE_N", 50_000);
const ONLY = env("BENCH_ONLY") ? new Set(env("BENCH_ONLY")!.split(",")) : undefined;

const url = "http://127.0.0.1:8080/";
const text = async (response: Response | Promise<Response>): Promise<string> => (await response).text();
const stub = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  new Request(input, init);
  return Promise.resolve(new Response(BODY));
};
const build = makeRequestBuilder({});
const stubTransport = Transport.make({ handle: (request) => Effect.promise(() => stub(request)) });
const stubClient = Client.make({ transport: stubTransport });
/** A transport that hands back a Response without calling fetch: what the client alone costs. */
const cannedClient = Client.make({
  transport: Transport.make({ handle: () => Effect.sync(() => new Response(BODY)) }),
});

const handler = (_request: Request) => new Response(BODY);
const handlerTransport = HandlerTransport.make(handler);
const handlerClient = Client.make({ transport: handlerTransport });
/** The smallest in-process transport: call the handler, no signal, no request copy. */
const directClient = Client.make({ transport: Transport.make({ handle: (r) => Effect.sync(() => handler(r)) }) });
// Replicas of proposed changes (see the report), so each change is priced before it is made.
const ORIGIN = Symbol("switchyard.origin");
/** (1) absolute strings straight to `new Request` (no `new URL` first); (2) the origin as a
 *  symbol property instead of a WeakMap entry; (3) redirects checked after the one run. */
const leanFetch = (handle: (request: Request) => Effect.Effect<Response, unknown>) => (input: string) => {
  const request = new Request(input);
  return Effect.runPromise(handle(request)).then((response) => {
    (response as unknown as Record<symbol, Request>)[ORIGIN] = request;
    if (isRedirect(response)) throw new Error("redirects are not part of this replica");
    return response;
  });
};
/** (4) no Effect run at all: the transport also exposes a promise function. */
const promiseFetch = (send: (request: Request) => Promise<Response>) => (input: string) => {
  const request = new Request(input);
  return send(request).then((response) => {
    (response as unknown as Record<symbol, Request>)[ORIGIN] = request;
    if (isRedirect(response)) throw new Error("redirects are not part of this replica");
    return response;
  });
};
const leanStub = leanFetch(stubTransport.handle);
const promiseStub = promiseFetch((request) => stub(request));
/** HandlerTransport without the app-request copy, its AbortController and listeners. */
const leanHandler = leanFetch((request) => Effect.sync(() => handler(request)));
const promiseHandler = promiseFetch((request) => Promise.resolve(handler(request)));
/** HandlerTransport keeping the copy (abort on interruption) with one controller and no listeners. */
const copyHandler = leanFetch((request) =>
  Effect.callback<Response>((resume) => {
    const controller = new AbortController();
    resume(Effect.succeed(handler(new Request(request, { signal: controller.signal }))));
    return Effect.sync(() => controller.abort());
  })
);
const weak = new WeakMap<Response, Request>();

const app = new Hono();
app.get("/", (c) => c.text(BODY));

const all: Case[] = [
  // Stub path (bench.ts S1/S2).
  { id: "A0", name: "stub(url) + text (= S1, baseline)", fn: () => text(stub(url)) },
  { id: "A1", name: "client.fetch(url), Transport calling the stub (= S2)", fn: () => text(stubClient.fetch(url)) },
  {
    id: "A2",
    name: "build(url) + stub(request), no Effect (what a promise fast path could cost)",
    fn: () => text(stub(build(url, undefined))),
  },
  {
    id: "A3",
    name: "A2 + rememberRequest (WeakMap.set per response)",
    fn: () => {
      const request = build(url, undefined);
      return text(stub(request).then((r) => (rememberRequest(r, request), r)));
    },
  },
  {
    id: "A4",
    name: "build(url) + Effect.runPromise(transport.handle(request)) (one Effect, no flatMap)",
    fn: () => text(Effect.runPromise(stubTransport.handle(build(url, undefined)))),
  },
  {
    id: "A5",
    name: "stub(new Request(url)): fetch(request) builds a 2nd Request",
    fn: () => text(stub(new Request(url))),
  },
  {
    id: "A6",
    name: "Effect.runPromise(Effect.promise(() => stub(url)))",
    fn: () => text(Effect.runPromise(Effect.promise(() => stub(url)))),
  },
  {
    id: "A7",
    name: "client.fetch(url), transport returns a canned Response (no fetch, no stub)",
    fn: () => text(cannedClient.fetch(url)),
  },
  {
    id: "A8",
    name: "new Request(url) + new Response + text (no stub)",
    fn: () => (new Request(url), text(new Response(BODY))),
  },
  {
    id: "A9",
    name: "A2 + origin as a symbol property (instead of A3's WeakMap)",
    fn: () => {
      const request = build(url, undefined);
      return text(stub(request).then((r) => ((r as unknown as Record<symbol, Request>)[ORIGIN] = request, r)));
    },
  },
  {
    id: "A10",
    name: "new Request(url) + new Response + WeakMap.set + text",
    fn: () => {
      const request = new Request(url);
      const response = new Response(BODY);
      weak.set(response, request);
      return text(response);
    },
  },
  {
    id: "A11",
    name: "replica: changes 1-3 (one Effect run, no URL, no WeakMap, no flatMap)",
    fn: () => text(leanStub(url)),
  },
  { id: "A12", name: "replica: changes 1-4 (no Effect run: promise fast path)", fn: () => text(promiseStub(url)) },
  {
    id: "A13",
    name: "build(url) + stub(request.url, { method, headers, signal: request.signal }) (no Request clone)",
    fn: () => {
      const r = build(url, undefined);
      return text(stub(r.url, { method: r.method, headers: r.headers, signal: r.signal }));
    },
  },
  {
    id: "A14",
    name: "build(url) + stub(request.url, { method, headers }) (no clone, no signal)",
    fn: () => {
      const r = build(url, undefined);
      return text(stub(r.url, { method: r.method, headers: r.headers }));
    },
  },
  // In-process path (bench.ts I1..I3).
  { id: "H0", name: "handler(new Request(url)) + text (= I1)", fn: () => text(handler(new Request(url))) },
  { id: "H1", name: "client.fetch(url), HandlerTransport (= I3)", fn: () => text(handlerClient.fetch(url)) },
  {
    id: "H2",
    name: "Effect.runPromise(HandlerTransport.handle(new Request(url))) (transport alone)",
    fn: () => text(Effect.runPromise(handlerTransport.handle(new Request(url)))),
  },
  {
    id: "H3",
    name: "client.fetch(url), Transport.make({ handle: r => Effect.sync(() => handler(r)) })",
    fn: () => text(directClient.fetch(url)),
  },
  { id: "H4", name: 'Hono app.request("/") (= I2)', fn: () => text(app.request("/")) },
  {
    id: "H5",
    name: "replica: changes 1-3 + HandlerTransport without the request copy",
    fn: () => text(leanHandler(url)),
  },
  { id: "H6", name: "replica: changes 1-4 + HandlerTransport without the copy", fn: () => text(promiseHandler(url)) },
  {
    id: "H7",
    name: "replica: changes 1-3 + HandlerTransport copy with one controller, no listeners",
    fn: () => text(copyHandler(url)),
  },
];

const profileId = env("BENCH_PROFILE_ID");
if (profileId) {
  // One case, long, for --cpu-prof (see bench/cpu_profile.ts).
  const c = all.find((x) => x.id === profileId);
  if (!c) throw new Error(`no case ${profileId}`);
  await driveSeq(c.fn, 20_000);
  const cps = await driveSeq(c.fn, envNumber("BENCH_PROFILE_N", 300_000));
  log(`${c.id} ${cps.toFixed(0)} calls/s  ${c.name}`);
} else {
  const cases = ONLY ? all.filter((c) => ONLY.has(c.id)) : all;
  log(`${runtimeVersion}; probe, ${ROUNDS} rounds, ${N} calls per case`);
  for (const c of cases) await driveSeq(c.fn, Math.min(N, 10_000));
  const cps = await interleave("probe", cases, ROUNDS, (c) => driveSeq(c.fn, N));
  const baseOf = (id: string) => (id.startsWith("H") ? "H0" : "A0");
  console.log(`| id | variant | ns/call median (min–max) | Δ ns vs ${ONLY ? "its baseline" : "A0/H0"} |`);
  console.log(`|---|---|---:|---:|`);
  for (const c of cases) {
    const ns = cps[c.id].map((x) => 1e9 / x);
    const base = cps[baseOf(c.id)]?.map((x) => 1e9 / x);
    const delta = base ? (median(ns) - median(base)).toFixed(0) : "";
    console.log(
      `| ${c.id} | ${c.name} | ${median(ns).toFixed(0)} (${Math.min(...ns).toFixed(0)}–${
        Math.max(...ns).toFixed(0)
      }) | ${delta} |`,
    );
  }
}
