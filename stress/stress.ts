/**
 * `npm run stress`: many concurrent requests through one client (mounts,
 * hooks, logging, a pool limit), each carrying an id its response must echo;
 * then `close()`, and the process's open file descriptors must be back where
 * they started. A load check, not a benchmark: it prints counts, not timings
 * to compare, and exits 1 on any error, mismatch or leaked descriptor.
 *
 * Sizes (env): STRESS_IN_PROCESS (default 10000) concurrent requests to an
 * in-process app, STRESS_LOOPBACK (default 2000) concurrent requests to a
 * loopback server in another process, STRESS_MAX_CONNECTIONS (default 50);
 * STRESS_SIZE=small runs 1000 and 200 (what CI runs). Half of each batch goes
 * through `client.fetch` (the Promise lane), half through `client.get` (the
 * Effect lane). Open descriptors are read from /proc/self/fd (Linux).
 *
 * Run: `deno run -A stress/stress.ts`, `bun stress/stress.ts`.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { Effect } from "effect";
import { Client, HandlerTransport, hooks, HttpTransport, logging, MockTransport } from "../mod.ts";

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env: Record<string, string> } }).process?.env[name];
const small = env("STRESS_SIZE") === "small";
const IN_PROCESS = Number(env("STRESS_IN_PROCESS") ?? (small ? 1_000 : 10_000));
const LOOPBACK = Number(env("STRESS_LOOPBACK") ?? (small ? 200 : 2_000));
const MAX_CONNECTIONS = Number(env("STRESS_MAX_CONNECTIONS") ?? 50);
const isBun = "Bun" in globalThis;
const runtime = isBun
  ? `bun ${(globalThis as { Bun?: { version: string } }).Bun!.version}`
  : `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno}`;

/** Open file descriptors of this process (the listing's own descriptor is in every count alike). */
const openFds = (): number => readdirSync("/proc/self/fd").length;

/** Starts the echo server in a child process of this runtime; resolves with its port and a stop function. */
const startPeer = (): Promise<{ port: number; stop: () => Promise<void> }> =>
  new Promise((resolve, reject) => {
    const file = new URL("./echo_server.ts", import.meta.url).pathname;
    const process = (globalThis as unknown as { process: { execPath: string } }).process;
    const child = spawn(process.execPath, isBun ? [file] : ["run", "-A", file], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n")[0]!;
      if (out.includes("\n")) {
        resolve({
          port: Number(line),
          stop: () =>
            new Promise<void>((done) => {
              child.once("close", () => done());
              child.kill();
            }),
        });
      }
    });
    child.once("error", reject);
  });

interface Tally {
  requests: number;
  errors: number;
  mismatches: number;
  firstProblem: string | undefined;
}

const tally = (): Tally => ({ requests: 0, errors: 0, mismatches: 0, firstProblem: undefined });

/** Sends `count` requests at once, half on each lane; checks that each answer echoes its own id. */
const burst = async (client: Client, base: string, count: number, prefix: string, t: Tally): Promise<void> => {
  const one = async (i: number): Promise<void> => {
    const id = `${prefix}-${i}`;
    const url = `${base}/item?id=${id}`;
    const init = { headers: { "x-request-id": id } };
    try {
      const response = i % 2 === 0 ? await client.fetch(url, init) : await Effect.runPromise(client.get(url, init));
      const body = await response.json() as { id?: string; hooked?: string };
      t.requests++;
      if (response.headers.get("x-request-id") !== id || body.id !== id || body.hooked !== "yes") {
        t.mismatches++;
        t.firstProblem ??= `${id}: got header ${response.headers.get("x-request-id")}, body ${JSON.stringify(body)}`;
      }
    } catch (error) {
      t.requests++;
      t.errors++;
      t.firstProblem ??= `${id}: ${error}`;
    }
  };
  await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The descriptor count once it has not moved for 600 ms (at most 3 s). */
const settledFds = async (): Promise<number> => {
  let last = openFds();
  for (let still = 0, waited = 0; still < 600 && waited < 3_000; waited += 50) {
    await sleep(50);
    const now = openFds();
    still = now === last ? still + 50 : 0;
    last = now;
  }
  return last;
};

const peer = await startPeer();
const loopbackBase = `http://127.0.0.1:${peer.port}`;
// The baseline is the runtime's steady state, not its cold start: each runtime opens a few descriptors of
// its own once, lazily (Bun: the event loop of its HTTP client, on the first fetch; Deno: a socket pair of
// its child-process watcher, ~0.4 s after a spawn). A warm-up client (closed) and a quiet period take them.
{
  const warm = Client.make({ transport: HttpTransport.make({ trustEnv: false }) });
  await (await warm.fetch(`${loopbackBase}/warm-up`, { headers: { "x-request-id": "warm-up" } })).text();
  await Effect.runPromise(warm.close());
}
const before = await settledFds();

let logged = 0;
const app = (request: Request) => {
  const id = request.headers.get("x-request-id");
  return Response.json({ id, hooked: request.headers.get("x-hooked") }, { headers: { "x-request-id": id ?? "" } });
};
const client = Client.make({
  // Anything not mounted is a bug in this script: the default transport answers 599.
  transport: MockTransport.make(() => new Response("not mounted", { status: 599 })),
  mounts: {
    "http://app.test": HandlerTransport.make(app),
    [`http://127.0.0.1:${peer.port}`]: HttpTransport.make({
      limits: { maxConnections: MAX_CONNECTIONS },
      trustEnv: false,
    }),
  },
  plugins: [
    hooks({ request: [(request) => void request.headers.set("x-hooked", "yes")] }),
    logging({ log: () => void logged++ }),
  ],
});

let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, openFds())), 5);

const inProcess = tally();
let started = performance.now();
await burst(client, "http://app.test", IN_PROCESS, "app", inProcess);
const inProcessMs = performance.now() - started;

const loopback = tally();
started = performance.now();
await burst(client, loopbackBase, LOOPBACK, "net", loopback);
const loopbackMs = performance.now() - started;
clearInterval(sampler);
const beforeClose = openFds();

await Effect.runPromise(client.close());
// Sockets close asynchronously: wait (up to 5 s) for the count to come back.
let after = openFds();
for (let waited = 0; after > before && waited < 5_000; waited += 50) {
  await sleep(50);
  after = openFds();
}
await peer.stop();

const line = (name: string, t: Tally, ms: number, extra = "") =>
  console.log(
    `  ${name.padEnd(11)} ${String(t.requests).padStart(6)} requests, ${t.errors} errors, ${t.mismatches} mismatches` +
      ` (${ms.toFixed(0)} ms${extra})${t.firstProblem ? `; first: ${t.firstProblem}` : ""}`,
  );
console.log(`stress on ${runtime}:`);
line("in-process", inProcess, inProcessMs);
line("loopback", loopback, loopbackMs, `, maxConnections ${MAX_CONNECTIONS}`);
console.log(`  log records ${logged} (expected ${IN_PROCESS + LOOPBACK})`);
console.log(
  `  open fds: before ${before}, during (peak) ${peak}, after requests ${beforeClose}, after close() ${after}`,
);

const failures = [
  inProcess.errors + loopback.errors > 0 && "errors",
  inProcess.mismatches + loopback.mismatches > 0 && "mismatches",
  inProcess.requests !== IN_PROCESS || loopback.requests !== LOOPBACK ? "missing answers" : false,
  logged !== IN_PROCESS + LOOPBACK && "log records",
  after > before && `file descriptors (${after - before} still open after close)`,
].filter(Boolean);
if (failures.length > 0) {
  console.error(`stress FAILED: ${failures.join(", ")}`);
  (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(1);
}
console.log("stress OK");
