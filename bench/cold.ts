/**
 * Cold start: how long a fresh process takes to import `mod.ts`, against importing
 * `effect` (the barrel mod.ts itself imports from) and against importing nothing.
 * Each sample is one new process of the SAME runtime as this script (wall time from
 * spawn to exit, so runtime start-up is in every sample and cancels in the differences).
 * Variants are interleaved, the order rotated each run; one unmeasured run of each first
 * fills the runtime's caches (Deno's transpile and code caches), as any second start would.
 *
 * The goal's figure comes from tight pairs: `effect` and `mod` back to back, the order
 * alternating (AB, BA, ...), one difference per pair. On a shared 2-core VM a process
 * start moves by ±40 ms between minutes; back-to-back pairs cancel that drift. A third
 * figure times the import of mod.ts after effect inside one process (no spawn at all).
 *
 * Env: BENCH_COLD_RUNS (default 15), BENCH_COLD_PAIRS (default 25), BENCH_OUT, BENCH_SMOKE.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import {
  env,
  envNumber,
  isBun,
  log,
  median,
  now,
  rotate,
  runtimeName,
  runtimeVersion,
  SMOKE,
  writeJson,
} from "./lib.ts";

const RUNS = envNumber("BENCH_COLD_RUNS", SMOKE ? 2 : 15);
const dir = new URL("./cold/", import.meta.url).pathname;

const variants = [
  { id: "empty", name: "nothing (runtime start-up)", file: "empty.ts" },
  { id: "effect", name: 'import { Effect } from "effect"', file: "effect.ts" },
  { id: "effect_zod", name: 'import "effect" and "zod"', file: "effect_zod.ts" },
  { id: "mod", name: "import { Client } from mod.ts", file: "mod.ts" },
  { id: "http_client", name: "import http_client.ts (effect/http entry point)", file: "http_client.ts" },
];

const command = (file: string): string[] =>
  isBun ? [`${dir}${file}`] : ["run", "--allow-env", "--allow-read", `${dir}${file}`];

/** One process; returns its wall time in ms, or the reason it failed. */
const once = (file: string): number | string => {
  const t0 = now();
  const result = spawnSync(process.execPath, command(file), { stdio: ["ignore", "ignore", "pipe"] });
  const ms = now() - t0;
  if (result.status !== 0) return `exit ${result.status}: ${String(result.stderr).trim().split("\n")[0]}`;
  return ms;
};

log(`${runtimeVersion}; cold start, ${RUNS} runs per variant`);
const failed: Record<string, string> = {};
for (const v of variants) {
  const warm = once(v.file);
  if (typeof warm === "string") failed[v.id] = warm;
}
// The optional entry point may be absent while it is being written; the others must load.
for (const id of Object.keys(failed)) {
  if (id !== "http_client") throw new Error(`cold start of ${id} failed: ${failed[id]}`);
  log(`skipping http_client: ${failed[id]}`);
}
const active = variants.filter((v) => !(v.id in failed));

const ms: Record<string, number[]> = Object.fromEntries(active.map((v) => [v.id, []]));
for (let r = 0; r < RUNS; r++) {
  for (const v of rotate(active, r)) {
    const t = once(v.file);
    if (typeof t === "string") throw new Error(`cold start of ${v.id} failed: ${t}`);
    ms[v.id].push(t);
  }
}
for (const v of active) log(`cold ${v.id.padEnd(12)} median ${median(ms[v.id]).toFixed(1)} ms  ${v.name}`);

// The goal's figure: back-to-back pairs, order alternating, one difference each.
const PAIRS = envNumber("BENCH_COLD_PAIRS", SMOKE ? 2 : 25);
const pairedDiffMs: number[] = [];
for (let i = 0; i < PAIRS; i++) {
  const order = i % 2 === 0 ? ["effect.ts", "mod.ts"] : ["mod.ts", "effect.ts"];
  const [first, second] = order.map((file) => {
    const t = once(file);
    if (typeof t === "string") throw new Error(`cold start of ${file} failed: ${t}`);
    return t;
  });
  pairedDiffMs.push(order[0] === "mod.ts" ? first - second : second - first);
}
log(`cold mod − effect, ${PAIRS} back-to-back pairs: median ${median(pairedDiffMs).toFixed(1)} ms`);

// The same increment without the spawn's noise: one process imports effect, then times importing mod.ts.
const inProcess: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const result = spawnSync(process.execPath, command("mod_after_effect.ts"), { stdio: ["ignore", "pipe", "pipe"] });
  const value = Number(String(result.stdout).trim());
  if (result.status !== 0 || !Number.isFinite(value)) {
    throw new Error(`mod_after_effect failed: ${String(result.stderr).trim().split("\n")[0]}`);
  }
  inProcess.push(value);
}
log(`cold mod after effect, in one process: median ${median(inProcess).toFixed(1)} ms`);

const out = {
  runtime: runtimeName,
  version: runtimeVersion,
  started: new Date().toISOString(),
  smoke: SMOKE,
  cold: {
    runs: RUNS,
    cases: active.map(({ id, name }) => ({ id, name })),
    skipped: Object.entries(failed).map(([id, reason]) => ({ id, reason })),
    ms,
    modAfterEffectMs: inProcess,
    pairedDiffMs,
  },
  finished: new Date().toISOString(),
};
const OUT = env("BENCH_OUT");
if (OUT) writeJson(OUT, out);
else console.log(JSON.stringify(out, null, 2));
